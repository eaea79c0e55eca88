/* registry.c: the table of models, lookup by name, and problem set-up. */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"

#include <stdlib.h>
#include <string.h>

#define GC_MODEL(file, object) extern const gc_model_type object;
#include "models/models.def"
#undef GC_MODEL

/* Every model, in catalogue order (models/models.def). */
const gc_model_type *const gc_models[] = {
#define GC_MODEL(file, object) &object,
#include "models/models.def"
#undef GC_MODEL
    NULL
};

const gc_model_type *gc_model_find(const char *name)
{
    for (size_t i = 0; gc_models[i]; i++)
        if (strcmp(gc_models[i]->name, name) == 0) return gc_models[i];
    return NULL;
}

const gc_derivation_type *gc_derivation_find(const gc_model_type *m,
                                             const char *name)
{
    for (size_t i = 0; m->derivations[i]; i++)
        if (strcmp(m->derivations[i]->name, name) == 0)
            return m->derivations[i];
    return NULL;
}

int gc_dim_index(const gc_model_type *m, const char *name)
{
    for (int i = 0; m->dims[i].name; i++)
        if (strcmp(m->dims[i].name, name) == 0) return i;
    return -1;
}

int gc_problem_alloc(const gc_model_type *m, const long *dims,
                     gc_problem **out)
{
    *out = NULL;
    gc_problem *p = calloc(1, sizeof *p);
    if (!p) return GC_ENOMEM;
    p->model = m;
    for (int i = 0; m->dims[i].name; i++) {
        if (i >= GC_MAX_DIMS) { free(p); return GC_ELIMIT; }
        p->dims[i] = dims ? dims[i] : m->dims[i].def;
        if (p->dims[i] < m->dims[i].min || p->dims[i] > m->dims[i].max) {
            free(p);
            return GC_ESHAPE;
        }
    }
    int st = m->layout(p->dims, &p->layout);
    if (st) { free(p); return st; }
    if (p->layout.work > GC_MAX_ENTRIES * 4) { free(p); return GC_ELIMIT; }
    p->inputs = calloc(p->layout.inputs.n ? p->layout.inputs.n : 1,
                       sizeof *p->inputs);
    if (!p->inputs) { free(p); return GC_ENOMEM; }
    *out = p;
    return GC_OK;
}

void gc_problem_free(gc_problem *p)
{
    if (!p) return;
    free(p->inputs);
    free(p);
}

const char *gc_strstatus(int status)
{
    switch (status) {
    case GC_OK: return "success";
    case GC_EINVAL: return "invalid input";
    case GC_ENOMEM: return "out of memory";
    case GC_EIO: return "input/output error";
    case GC_ESHAPE: return "shape does not fit the model";
    case GC_ENOTFOUND: return "not found";
    case GC_ELIMIT: return "resource limit exceeded";
    case GC_EDERIV: return "derivation failed";
    default: return "unknown status";
    }
}
