/* registry.c: the table of models, lookup by name, and problem set-up. */
#include "gradcheck.h"

#include <stdlib.h>
#include <string.h>

extern const gc_model_type gc_model_tanh_net_004_q1;
extern const gc_model_type gc_model_shared_chain_004_q2;
extern const gc_model_type gc_model_backprop_003_3;
extern const gc_model_type gc_model_lstm_scalar_003_2;
extern const gc_model_type gc_model_relu_net_003_1;
extern const gc_model_type gc_model_gru_bptt_001_6_5;
extern const gc_model_type gc_model_conv_backprop_001_5_6;
extern const gc_model_type gc_model_jac_comp_002_1_2e;
extern const gc_model_type gc_model_jac_sum_002_1_2d;
extern const gc_model_type gc_model_activations_002_1_2c;
extern const gc_model_type gc_model_tanh_sig_bce_002_1_1_2b;
extern const gc_model_type gc_model_tanh_sig_mse_002_1_1_2a;
extern const gc_model_type gc_model_relu3_reg_002_1_1_1;
extern const gc_model_type gc_model_conv_sigmoid_000_p4;
extern const gc_model_type gc_model_cnn1d_000_p3;
extern const gc_model_type gc_model_xor_relu_000_p1;
extern const gc_model_type gc_model_residual_rnn_001_6_3;
extern const gc_model_type gc_model_rnn_grad_001_6_2;
extern const gc_model_type gc_model_maxpool_001_5_5;
extern const gc_model_type gc_model_swish_001_4_4;
extern const gc_model_type gc_model_leaky_relu_001_4_3;
extern const gc_model_type gc_model_sigmoid_chain_000_p2;
extern const gc_model_type gc_model_rnn_bptt_000_p5;
extern const gc_model_type gc_model_lstm_001_6_4;

/* Every model, in catalogue order. */
const gc_model_type *const gc_models[] = {
    &gc_model_sigmoid_chain_000_p2,
    &gc_model_rnn_bptt_000_p5,
    &gc_model_lstm_001_6_4,
    &gc_model_tanh_net_004_q1,
    &gc_model_leaky_relu_001_4_3,
    &gc_model_swish_001_4_4,
    &gc_model_maxpool_001_5_5,
    &gc_model_rnn_grad_001_6_2,
    &gc_model_residual_rnn_001_6_3,
    &gc_model_xor_relu_000_p1,
    &gc_model_cnn1d_000_p3,
    &gc_model_conv_sigmoid_000_p4,
    &gc_model_relu3_reg_002_1_1_1,
    &gc_model_tanh_sig_mse_002_1_1_2a,
    &gc_model_tanh_sig_bce_002_1_1_2b,
    &gc_model_activations_002_1_2c,
    &gc_model_jac_sum_002_1_2d,
    &gc_model_jac_comp_002_1_2e,
    &gc_model_conv_backprop_001_5_6,
    &gc_model_gru_bptt_001_6_5,
    &gc_model_relu_net_003_1,
    &gc_model_lstm_scalar_003_2,
    &gc_model_backprop_003_3,
    &gc_model_shared_chain_004_q2,
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
