/* eval.c: evaluation of a syntax tree at a point, one node kind at a
 * time (fx_eval); calls of builtins are evaluated in builtins.c. */
#include "fx/fx_impl.h"

#include <stdlib.h>
#include <string.h>

static int eval_sum(ev *E, const node *n, val *out)
{
    val lo_v, hi_v;
    long lo, hi;
    int st;
    if ((st = fx_eval(E, n->kid[0], &lo_v)) ||
        (st = fx_as_index(E, n->kid[0], &lo_v, &lo)) ||
        (st = fx_eval(E, n->kid[1], &hi_v)) ||
        (st = fx_as_index(E, n->kid[1], &hi_v, &hi)))
        return st;
    int prod = n->op;
    if (hi < lo) return fx_scalar_val(E, n, prod ? 1.0 : 0.0, out);
    if (hi - lo + 1 > GC_FX_MAX_SUM)
        return fx_fail(E->err, n->line, n->col, GC_ELIMIT, "%s over %ld terms "
                       "(%ld to %ld): more than %ld (GC_FX_MAX_SUM)",
                       prod ? "a product" : "a sum", hi - lo + 1, lo, hi,
                       GC_FX_MAX_SUM);
    double *slot = &E->P->slots[n->slot];
    double saved = *slot;
    arena *A = &E->P->scratch;
    arena_mark m0 = fx_arena_save(A);

    *slot = (double)lo;
    val first;
    if ((st = fx_eval(E, n->kid[2], &first))) goto done;
    /* the accumulator must outlive the terms: copy the first term out,
     * release, and allocate the accumulator below the terms' mark */
    double *tmp = malloc(first.size * sizeof *tmp);
    if (!tmp) { st = fx_no_memory(E, n); goto done; }
    memcpy(tmp, first.v, first.size * sizeof *tmp);
    fx_arena_restore(A, m0);
    val acc;
    if ((st = fx_new_val(E, n, first.rank, first.shape, first.base, &acc))) {
        free(tmp);
        goto done;
    }
    memcpy(acc.v, tmp, acc.size * sizeof *tmp);
    free(tmp);
    for (long i = lo + 1; i <= hi; i++) {
        arena_mark m1 = fx_arena_save(A);
        *slot = (double)i;
        val t;
        if ((st = fx_eval(E, n->kid[2], &t))) goto done;
        if (!fx_same_shape(&t, &acc)) {
            char d1[96], d2[96];
            st = fx_fail(E->err, n->kid[2]->line, n->kid[2]->col, GC_EINVAL,
                         "the term of the %s is %s at %s = %ld but %s at %ld",
                         prod ? "product" : "sum",
                         fx_describe(&acc, d1, sizeof d1), "the index", lo,
                         fx_describe(&t, d2, sizeof d2), i);
            goto done;
        }
        if ((st = fx_charge(E, n, (double)acc.size))) goto done;
        for (size_t k = 0; k < acc.size; k++)
            acc.v[k] = prod ? acc.v[k] * t.v[k] : acc.v[k] + t.v[k];
        fx_arena_restore(A, m1);
    }
    *out = acc;
done:
    *slot = saved;
    return st;
}

static int eval_def(ev *E, const node *n, val *out)
{
    gc_fx_program *P = E->P;
    definition *d = &P->defs[n->def];
    int st;
    if (d->n_params == 0) {
        if (d->gen == P->gen) { *out = d->cache; return GC_OK; }
        /* once per point, kept in the point arena */
        val v;
        if ((st = fx_eval(E, d->body, &v))) return st;
        d->cache = v;
        d->cache.v = fx_arena_alloc(&P->point, v.size * sizeof(double) + 1);
        if (!d->cache.v) return fx_no_memory(E, n);
        memcpy(d->cache.v, v.v, v.size * sizeof(double));
        d->gen = P->gen;
        *out = d->cache;
        return GC_OK;
    }
    double saved[GC_MAX_RANK], idx[GC_MAX_RANK];
    for (int i = 0; i < d->n_params; i++) {
        val v;
        long k;
        if ((st = fx_eval(E, n->kid[i], &v)) ||
            (st = fx_as_index(E, n->kid[i], &v, &k)))
            return st;
        idx[i] = (double)k;
    }
    for (int i = 0; i < d->n_params; i++) {
        saved[i] = P->slots[d->slot[i]];
        P->slots[d->slot[i]] = idx[i];
    }
    st = fx_eval(E, d->body, out);
    for (int i = 0; i < d->n_params; i++) P->slots[d->slot[i]] = saved[i];
    return st;
}

static int eval_index(ev *E, const node *n, val *out)
{
    val b;
    int st = fx_eval(E, n->kid[0], &b);
    if (st) return st;
    const char *name = n->kid[0]->name;
    char d[96];
    for (int i = 1; i < n->n; i++) {
        if (b.rank == 0) {
            if (name && n->kid[0]->k != N_INDEX)
                return fx_fail(E->err, n->kid[i]->line, n->kid[i]->col,
                               GC_EINVAL, "%s has %d ind%s, found %d", name,
                               i - 1, i - 1 == 1 ? "ex" : "ices", n->n - 1);
            return fx_fail(E->err, n->kid[i]->line, n->kid[i]->col, GC_EINVAL,
                           "too many indices: the value is a scalar");
        }
        val iv;
        long k;
        if ((st = fx_eval(E, n->kid[i], &iv)) ||
            (st = fx_as_index(E, n->kid[i], &iv, &k)))
            return st;
        long lo = b.base[0], hi = b.base[0] + (long)b.shape[0] - 1;
        if (k < lo || k > hi) {
            if (name)
                return fx_fail(E->err, n->kid[i]->line, n->kid[i]->col,
                               GC_EINVAL, "index %ld is out of range: %s has "
                               "%s %ld..%ld along this axis", k, name,
                               i == 1 ? "entries" : "indices", lo, hi);
            return fx_fail(E->err, n->kid[i]->line, n->kid[i]->col, GC_EINVAL,
                           "index %ld is out of range: %s has indices "
                           "%ld..%ld along this axis", k,
                           fx_describe(&b, d, sizeof d), lo, hi);
        }
        size_t stride = b.size / b.shape[0];
        b.v += (size_t)(k - lo) * stride;
        b.size = stride;
        for (int a = 1; a < b.rank; a++) {
            b.shape[a - 1] = b.shape[a];
            b.base[a - 1] = b.base[a];
        }
        b.rank--;
    }
    *out = b;
    return GC_OK;
}

static int eval_chain(ev *E, const node *n, val *out)
{
    val acc;
    int st = fx_eval(E, n->kid[0], &acc);
    if (st) return st;
    int owned = 0;
    for (int i = 1; i < n->n; i++) {
        val t;
        if ((st = fx_eval(E, n->kid[i], &t))) return st;
        int op = n->ops[i];
        if (n->k == N_ADD) op = op > 0 ? '+' : '-';
        if (op == '@') {
            val r;
            if ((st = fx_matmul(E, n, n->oline[i], n->ocol[i], &acc, &t, &r)))
                return st;
            acc = r;
            owned = 1;
            continue;
        }
        int in_place = owned && (acc.rank || !t.rank);
        val r;
        if ((st = fx_binary(E, n, n->oline[i], n->ocol[i], op, &acc, &t, &r,
                            in_place)))
            return st;
        acc = r;
        owned = 1;
    }
    *out = acc;
    return GC_OK;
}

/* A parameter, input or quantity block: its values in place, read only. */
static int eval_block(ev *E, const node *n, val *out)
{
    const double *base = E->P->fam[n->fam];
    if (!base)
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "the %s %s has "
                       "no value here", fx_fam_noun(n->fam), n->name);
    memset(out, 0, sizeof *out);
    out->rank = n->blk->rank;
    for (int i = 0; i < out->rank; i++) {
        out->shape[i] = n->blk->shape[i];
        out->base[i] = n->blk->base[i];
    }
    out->size = n->blk->size;
    out->v = (double *)(base + n->blk->offset);   /* read only */
    return GC_OK;
}

static int eval_neg(ev *E, const node *n, val *out)
{
    val a;
    int st;
    if ((st = fx_eval(E, n->kid[0], &a)) ||
        (st = fx_new_val(E, n, a.rank, a.shape, a.base, out)))
        return st;
    for (size_t i = 0; i < a.size; i++) out->v[i] = -a.v[i];
    return GC_OK;
}

/* a ^ b and comparisons a < b (1 or 0), entry by entry. */
static int eval_pair(ev *E, const node *n, val *out)
{
    val a, b;
    int st;
    if ((st = fx_eval(E, n->kid[0], &a)) ||
        (st = fx_eval(E, n->kid[1], &b)))
        return st;
    return fx_binary(E, n, n->line, n->col, n->k == N_POW ? '^' : n->op, &a,
                     &b, out, 0);
}

/* Every node kind is evaluated here, or by the function named here. */
int fx_eval(ev *E, const node *n, val *out)
{
    int st;
    if (++E->depth > GC_FX_MAX_EVAL_DEPTH) {
        E->depth--;
        return fx_fail(E->err, n->line, n->col, GC_ELIMIT, "evaluation nested "
                       "more than %d levels deep (definitions using "
                       "definitions)", GC_FX_MAX_EVAL_DEPTH);
    }
    if ((st = fx_charge(E, n, 1))) goto done;
    switch (n->k) {
    case N_NUM: st = fx_scalar_val(E, n, n->num, out); break;
    case N_SLOT: st = fx_scalar_val(E, n, E->P->slots[n->slot], out); break;
    case N_BLOCK: st = eval_block(E, n, out); break;
    case N_DEF: st = eval_def(E, n, out); break;
    case N_INDEX: st = eval_index(E, n, out); break;
    case N_NEG: st = eval_neg(E, n, out); break;
    case N_ADD: case N_MUL: st = eval_chain(E, n, out); break;
    case N_POW: case N_CMP: st = eval_pair(E, n, out); break;
    case N_CALL: st = fx_call(E, n, out); break;      /* builtins.c */
    case N_SUM: st = eval_sum(E, n, out); break;
    default:
        st = fx_fail(E->err, n->line, n->col, GC_EINVAL, "internal: node %d",
                     n->k);
    }
done:
    E->depth--;
    return st;
}
