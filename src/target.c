/* target.c: target keys ("dL/dv", "dL/dx2[2]", "dy_tilde/ds2") parsed
 * against a problem's blocks; needs only the layout and the registry. */
#include "gradcheck/target.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const gc_loss_names_default[] = {"L", "E", "e", "C", "J",
                                             "loss", "l", NULL};

int gc_target_resolve(const gc_problem *p, const char *x, const char *y,
                      const char *loss, int x_is_loss, gc_target *t,
                      char *msg, size_t n)
{
    memset(t, 0, sizeof *t);
    const gc_block *of = x_is_loss ? NULL
                                   : gc_blocks_find(&p->layout.quantities, x);
    const gc_block *wp = gc_blocks_find(&p->layout.params, y);
    const gc_block *wq = wp ? NULL : gc_blocks_find(&p->layout.quantities, y);
    if (!wp && !wq) {
        if (gc_blocks_find(&p->layout.inputs, y))
            snprintf(msg, n, "%s is an input of the case, not a parameter or "
                     "quantity: its derivative is not checked (in a "
                     "network of the case file, declare it under network: "
                     "params: to check it)", y);
        else
            snprintf(msg, n, "%s is not a parameter or quantity of model %s",
                     y, p->model->name);
        return GC_ENOTFOUND;
    }
    t->wrt = wp ? wp : wq;
    t->wrt_param = wp != NULL;
    if (of) {
        t->kind = GC_TARGET_JACOBIAN;
        t->of = of;
        t->n = of->size * t->wrt->size;
        snprintf(t->key, sizeof t->key, "d%s/d%s", x, y);
    } else {
        t->kind = wp ? GC_TARGET_PARAM : GC_TARGET_QUANTITY;
        t->n = t->wrt->size;
        snprintf(t->key, sizeof t->key, "d%s/d%s", loss, y);
    }
    return GC_OK;
}

void gc_target_key_suffix(char *buf, size_t n, int n_idx, const int *is_free,
                          const long *vals)
{
    int last = n_idx;
    while (last > 0 && is_free[last - 1]) last--;
    size_t l = 0;
    buf[0] = 0;
    for (int a = 0; a < last && l < n; a++)
        l += (size_t)(is_free[a] ? snprintf(buf + l, n - l, "[:]")
                                 : snprintf(buf + l, n - l, "[%ld]", vals[a]));
}

/* One name and its index suffix of a key: "x2[2]", "W[:][1]". */
static int key_part(const char *s, size_t len, char *name, int *n_idx,
                    int *is_free, long *vals)
{
    size_t i = 0;
    while (i < len && s[i] != '[') i++;
    if (i == 0 || i >= GC_NAME_MAX) return -1;
    memcpy(name, s, i);
    name[i] = 0;
    *n_idx = 0;
    while (i < len) {
        if (s[i] != '[' || *n_idx >= GC_MAX_RANK) return -1;
        i++;
        if (i < len && s[i] == ':') {
            is_free[*n_idx] = 1;
            vals[*n_idx] = 0;
            i++;
        } else {
            char *end;
            long v = strtol(s + i, &end, 10);
            if (end == s + i) return -1;
            is_free[*n_idx] = 0;
            vals[*n_idx] = v;
            i = (size_t)(end - s);
        }
        if (i >= len || s[i] != ']') return -1;
        i++;
        (*n_idx)++;
    }
    return 0;
}

static int check_fixed(const gc_block *b, int n_idx, const int *is_free,
                       const long *vals, char *msg, size_t n)
{
    if (n_idx > b->rank) {
        snprintf(msg, n, "%s has %d ind%s, found %d", b->name, b->rank,
                 b->rank == 1 ? "ex" : "ices", n_idx);
        return GC_EINVAL;
    }
    for (int a = 0; a < n_idx; a++) {
        long lo = b->base[a], hi = b->base[a] + (long)b->shape[a] - 1;
        if (!is_free[a] && (vals[a] < lo || vals[a] > hi)) {
            snprintf(msg, n, "index %ld is out of range: %s has indices "
                     "%ld..%ld along this axis", vals[a], b->name, lo, hi);
            return GC_EINVAL;
        }
    }
    return GC_OK;
}

int gc_target_parse(const gc_problem *p, const char *key, const char *loss,
                    const char *const *losses, gc_target *out, char *msg,
                    size_t n)
{
    const char *slash = strchr(key, '/');
    char x[GC_NAME_MAX], y[GC_NAME_MAX];
    int nx = 0, ny = 0, fx[GC_MAX_RANK + 1], fy[GC_MAX_RANK + 1];
    long vx[GC_MAX_RANK + 1], vy[GC_MAX_RANK + 1];
    if (key[0] != 'd' || !slash || slash[1] != 'd' ||
        key_part(key + 1, (size_t)(slash - key - 1), x, &nx, fx, vx) ||
        key_part(slash + 2, strlen(slash + 2), y, &ny, fy, vy)) {
        snprintf(msg, n, "\"%s\": expected dL/dBLOCK or dQUANTITY/dBLOCK, "
                 "optionally with indices ([2] or [:])", key);
        return GC_EINVAL;
    }
    const char *const *l = losses ? losses : gc_loss_names_default;
    int x_loss = !gc_blocks_find(&p->layout.quantities, x);
    if (x_loss) {
        int ok = 0;
        for (size_t i = 0; l[i]; i++) ok |= strcmp(l[i], x) == 0;
        if (!ok) {
            snprintf(msg, n, "\"%s\": %s is neither the loss nor a quantity "
                     "of model %s", key, x, p->model->name);
            return GC_ENOTFOUND;
        }
        if (nx) {
            snprintf(msg, n, "\"%s\": the loss %s takes no indices", key, x);
            return GC_EINVAL;
        }
    }
    char m2[256];
    int st = gc_target_resolve(p, x, y, loss ? loss : "L", x_loss, out, m2,
                               sizeof m2);
    if (!st && out->of) st = check_fixed(out->of, nx, fx, vx, m2, sizeof m2);
    if (!st) st = check_fixed(out->wrt, ny, fy, vy, m2, sizeof m2);
    if (st) {
        snprintf(msg, n, "\"%s\": %s", key, m2);
        return st;
    }
    char sx[48], sy[48];
    gc_target_key_suffix(sx, sizeof sx, nx, fx, vx);
    gc_target_key_suffix(sy, sizeof sy, ny, fy, vy);
    snprintf(out->key, sizeof out->key, "d%.31s%.47s/d%.31s%.47s",
             x_loss ? (loss ? loss : "L") : x, sx, y, sy);
    return GC_OK;
}