/* eval.c: evaluation of a syntax tree at a point, one node kind at a
 * time (fx_eval); calls of builtins are evaluated in builtins.c. */
#include "fx/fx_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* array(i, first, last, term): the terms stacked along a new first axis
 * whose indices run from first to last. */
static int eval_array(ev *E, const node *n, long lo, long hi, val *out)
{
    if (hi < lo)
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "array(i, %ld, "
                       "%ld, ...) has no entries: the last index is below "
                       "the first", lo, hi);
    if (hi - lo + 1 > (long)GC_FX_MAX_TENSOR)
        return fx_fail(E->err, n->line, n->col, GC_ELIMIT, "array over %ld "
                       "indices: more than %zu (GC_FX_MAX_TENSOR)",
                       hi - lo + 1, (size_t)GC_FX_MAX_TENSOR);
    double *slot = &E->P->slots[n->slot];
    double saved = *slot;
    size_t len = (size_t)(hi - lo + 1);
    val acc, t;
    int st = GC_OK;
    memset(&acc, 0, sizeof acc);
    fx_tape *T = E->P->tape;
    int *ptid = NULL;            /* recording: the terms' tape values */
    size_t *poff = NULL;
    if (T) {
        ptid = malloc(len * sizeof *ptid);
        poff = malloc(len * sizeof *poff);
        if (!ptid || !poff) fx_tape_spoil(T, "out of memory");
    }
    for (long i = lo; i <= hi; i++) {
        *slot = (double)i;
        if ((st = fx_eval(E, n->kid[2], &t))) break;
        if (i == lo) {
            if (t.rank + 1 > GC_FX_MAX_RANK) {
                st = fx_fail(E->err, n->kid[2]->line, n->kid[2]->col,
                             GC_EINVAL, "array of a value with %d axes: at "
                             "most %d axes in all", t.rank, GC_FX_MAX_RANK);
                break;
            }
            size_t sh[GC_FX_MAX_RANK];
            int bs[GC_FX_MAX_RANK];
            sh[0] = len;
            bs[0] = (int)lo;
            for (int a = 0; a < t.rank; a++) {
                sh[a + 1] = t.shape[a];
                bs[a + 1] = t.base[a];
            }
            if ((st = fx_new_val(E, n, t.rank + 1, sh, bs, &acc))) break;
        } else if (t.rank != acc.rank - 1 || t.size != acc.size / len) {
            char d1[96], d2[96];
            val first = acc;
            first.rank--;
            for (int a = 0; a < first.rank; a++)
                first.shape[a] = acc.shape[a + 1];
            st = fx_fail(E->err, n->kid[2]->line, n->kid[2]->col, GC_EINVAL,
                         "the term of the array is %s at the index %ld but "
                         "%s at %ld", fx_describe(&first, d1, sizeof d1), lo,
                         fx_describe(&t, d2, sizeof d2), i);
            break;
        }
        memcpy(acc.v + (size_t)(i - lo) * t.size, t.v,
               t.size * sizeof *t.v);
        if (ptid && poff) {
            ptid[i - lo] = t.tid;
            poff[i - lo] = t.toff;
        }
    }
    *slot = saved;
    if (!st && T && ptid && poff) fx_tape_stack(T, ptid, poff, len, &acc);
    free(ptid);
    free(poff);
    if (!st) *out = acc;
    return st;
}

/* Index arithmetic without values: whole numbers, indices in scope and
 * + - * of them, as in x[i+k-1], computed on longs; 1 when n is such an
 * expression (the value in *out), else 0 and the caller evaluates it the
 * general way (which also says what is wrong).  Most of the nodes a
 * network written with sums evaluates are these. */
static int int_value(ev *E, const node *n, long *out, int depth)
{
    if (depth > 16) return 0;
    switch (n->k) {
    case N_NUM:
        /* the range first: converting 1e300 to long is undefined */
        if (!(fabs(n->num) <= 1e9) || n->num != floor(n->num)) return 0;
        *out = (long)n->num;
        return 1;
    case N_SLOT: {
        double x = E->P->slots[n->slot];
        if (!(fabs(x) <= 1e9) || x != floor(x)) return 0;
        *out = (long)x;
        return 1;
    }
    case N_NEG:
        if (!int_value(E, n->kid[0], out, depth + 1)) return 0;
        *out = -*out;
        return 1;
    case N_ADD: case N_MUL: {
        long acc = 0, v;
        for (int i = 0; i < n->n; i++) {
            if (n->k == N_MUL && i && n->ops[i] != '*') return 0;
            if (!int_value(E, n->kid[i], &v, depth + 1)) return 0;
            if (i == 0) acc = v;
            else if (n->k == N_ADD) acc += n->ops[i] > 0 ? v : -v;
            else acc *= v;
            if (labs(acc) > 1000000000L) return 0;
        }
        *out = acc;
        return 1;
    }
    default:
        return 0;
    }
}

/* The whole number node n evaluates to (an index, a bound of a sum). */
static int index_of(ev *E, const node *n, long *out)
{
    if (int_value(E, n, out, 0)) return fx_charge(E, n, 1);
    val v;
    int st = fx_eval(E, n, &v);
    if (!st && E->P->tape) fx_tape_need_const(E->P->tape, &v, "an index");
    return st ? st : fx_as_index(E, n, &v, out);
}

static int eval_sum(ev *E, const node *n, val *out)
{
    long lo, hi;
    int st;
    if ((st = index_of(E, n->kid[0], &lo)) ||
        (st = index_of(E, n->kid[1], &hi)))
        return st;
    if (n->op == 2) return eval_array(E, n, lo, hi, out);
    int prod = n->op;
    if (hi < lo) {
        if ((st = fx_scalar_val(E, n, prod ? 1.0 : 0.0, out))) return st;
        if (E->P->tape) fx_tape_const(E->P->tape, out);
        return GC_OK;
    }
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
    acc.tid = first.tid;      /* the same value, moved */
    acc.toff = first.toff;
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
        val prev = acc;
        for (size_t k = 0; k < acc.size; k++)
            acc.v[k] = prod ? acc.v[k] * t.v[k] : acc.v[k] + t.v[k];
        if (E->P->tape)       /* as fx_binary_kernel computes it */
            fx_tape_op(E->P->tape, TOP_BIN, prod ? '*' : '+', &prev, &t,
                       &acc, 0, 0, 0);
        fx_arena_restore(A, m1);
    }
    *out = acc;
done:
    *slot = saved;
    return st;
}

/* "h[3]", "a[2][1]": a definition at an index, for messages. */
static void def_at(const definition *d, const long *idx, char *buf, size_t n)
{
    size_t l = (size_t)snprintf(buf, n, "%s", d->name);
    for (int i = 0; i < d->n_params && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, "[%ld]", idx[i]);
}

/* Keep a computed value for the rest of the point (the point arena) and
 * hand it to the store hook, which may change it (a tap). */
static int keep(ev *E, const node *at, size_t di, const long *idx,
                const val *v, val *kept)
{
    gc_fx_program *P = E->P;
    *kept = *v;
    kept->v = fx_arena_alloc(&P->point, v->size * sizeof(double) + 1);
    if (!kept->v) return fx_no_memory(E, at);
    memcpy(kept->v, v->v, v->size * sizeof(double));
    if (P->watch) fx_watch_def(P, di, idx, kept);
    if (P->store)
        return P->store(P->store_ctx, di, idx, P->defs[di].n_params, kept,
                        E->err);
    return GC_OK;
}

static size_t memo_hash(const long *idx, int n, size_t cap)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) {
        h ^= (uint64_t)idx[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The entry of idx in d's table at this point, claimed if new (state 3
 * until computed); the table grows in the point arena.  NULL when memory
 * runs out. */
static memo_entry *memo_slot(ev *E, definition *d, const long *idx)
{
    gc_fx_program *P = E->P;
    if (d->memo_gen != P->gen) {
        d->memo = NULL;
        d->memo_cap = d->memo_n = 0;
        d->memo_gen = P->gen;
    }
    if (2 * (d->memo_n + 1) > d->memo_cap) {
        size_t cap = d->memo_cap ? 2 * d->memo_cap : 16;
        if (cap > GC_FX_MAX_TENSOR * 4) return NULL;
        memo_entry *m = fx_arena_alloc(&P->point, cap * sizeof *m);
        if (!m) return NULL;
        memset(m, 0, cap * sizeof *m);
        for (size_t i = 0; i < d->memo_cap; i++) {
            if (!d->memo[i].state) continue;
            size_t h = memo_hash(d->memo[i].idx, d->n_params, cap);
            while (m[h].state) h = (h + 1) & (cap - 1);
            m[h] = d->memo[i];
        }
        d->memo = m;
        d->memo_cap = cap;
    }
    size_t h = memo_hash(idx, d->n_params, d->memo_cap);
    size_t bytes = (size_t)d->n_params * sizeof *idx;
    for (;;) {
        memo_entry *e = &d->memo[h];
        if (!e->state) {
            memcpy(e->idx, idx, bytes);
            e->state = 3;
            d->memo_n++;
            return e;
        }
        if (memcmp(e->idx, idx, bytes) == 0) return e;
        h = (h + 1) & (d->memo_cap - 1);
    }
}

/* Definition di at indices idx (none for a plain definition), evaluated
 * once per point and then kept.  Meeting an entry again while it is being
 * evaluated is a cycle; running out of depth inside a definition that uses
 * itself is a recursion without a base case, or a long one: the entry
 * reached is kept in the program (gc_fx_def_eval computes it first and
 * tries again), and the message names it. */
int fx_eval_def_at(ev *E, const node *at, size_t di, const long *idx,
                   val *out)
{
    gc_fx_program *P = E->P;
    definition *d = &P->defs[di];
    char name[96];
    int st;
    if (d->broken)
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "uses %s, whose "
                       "definition on line %ld cannot be read", d->name,
                       P->line0 + d->line);
    if (d->n_params == 0) {
        if (d->gen == P->gen) { *out = d->cache; return GC_OK; }
        if (d->busy)
            return fx_fail(E->err, at->line, at->col, GC_EINVAL, "%s depends "
                           "on itself (a cycle)", d->name);
        val v;
        d->busy = 1;
        st = fx_eval(E, d->body, &v);
        d->busy = 0;
        if (!st) st = keep(E, at, di, NULL, &v, &d->cache);
        if (st) return st;
        d->gen = P->gen;
        *out = d->cache;
        return GC_OK;
    }
    memo_entry *m = memo_slot(E, d, idx);
    if (!m) return fx_no_memory(E, at);
    if (m->state == 2) { *out = m->v; return GC_OK; }
    if (m->state == 1) {
        def_at(d, idx, name, sizeof name);
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "%s depends on "
                       "itself (a cycle: computing it needs its own value)",
                       name);
    }
    m->state = 1;
    double saved[GC_MAX_RANK];
    for (int i = 0; i < d->n_params; i++) {
        saved[i] = P->slots[d->slot[i]];
        P->slots[d->slot[i]] = (double)idx[i];
    }
    val v;
    st = fx_eval(E, d->body, &v);
    for (int i = 0; i < d->n_params; i++) P->slots[d->slot[i]] = saved[i];
    /* the table may have grown (moved) meanwhile */
    if (!(m = memo_slot(E, d, idx))) return fx_no_memory(E, at);
    if (st) {
        m->state = 3;
        if (E->depth_hit == 2 && P->deep_def == (int)di)
            memcpy(P->top_idx, idx, (size_t)d->n_params * sizeof *idx);
        if (E->depth_hit == 1) {
            /* the innermost indexed definition names the entry reached */
            E->depth_hit = 2;
            P->deep_def = (int)di;
            memcpy(P->deep_idx, idx, (size_t)d->n_params * sizeof *idx);
            memcpy(P->top_idx, idx, (size_t)d->n_params * sizeof *idx);
            def_at(d, idx, name, sizeof name);
            return fx_fail(E->err, d->line, d->col, GC_EINVAL, "%s: no base "
                           "case: %s is computed from itself at further and "
                           "further indices without end (or over more than "
                           "some 20 000 steps, the longest recurrence "
                           "followed); stop the recursion with if(..., first "
                           "value, ...)", d->name, d->name);
        }
        return st;
    }
    val kept;
    if ((st = keep(E, at, di, idx, &v, &kept))) { m->state = 3; return st; }
    m->v = kept;
    m->state = 2;
    *out = kept;
    return GC_OK;
}

int fx_def_preset(ev *E, size_t di, const long *idx, const val *v)
{
    gc_fx_program *P = E->P;
    definition *d = &P->defs[di];
    node at;
    memset(&at, 0, sizeof at);
    val kept = *v;
    kept.v = fx_arena_alloc(&P->point, v->size * sizeof(double) + 1);
    if (!kept.v) return fx_no_memory(E, &at);
    memcpy(kept.v, v->v, v->size * sizeof(double));
    if (d->n_params == 0) {
        d->cache = kept;
        d->gen = P->gen;
        return GC_OK;
    }
    memo_entry *m = memo_slot(E, d, idx);
    if (!m) return fx_no_memory(E, &at);
    m->v = kept;
    m->state = 2;
    return GC_OK;
}

static int eval_def(ev *E, const node *n, val *out)
{
    definition *d = &E->P->defs[n->def];
    long idx[GC_MAX_RANK];
    int st;
    for (int i = 0; i < d->n_params; i++)
        if ((st = index_of(E, n->kid[i], &idx[i]))) return st;
    return fx_eval_def_at(E, n, (size_t)n->def, idx, out);
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
        long k;
        if ((st = index_of(E, n->kid[i], &k))) return st;
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
        b.toff += (size_t)(k - lo) * stride;
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
    if (E->P->tape) {
        if (n->fam == FAM_PARAM) fx_tape_param(E->P->tape, out, n->blk->offset);
        else if (n->fam == FAM_INPUT)
            fx_tape_input(E->P->tape, out, n->blk->offset);
    }
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
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_NEG, 0, &a, NULL, out, 0, 0, 0);
    return GC_OK;
}

/* A^T (parse_pow marks it op 'T'): a matrix's transpose; a number to the
 * power T when T is a name (a dimension), else itself; a vector or an
 * array of more axes is refused with the way to write what is meant (the
 * language's vectors are rows on the left of @ and columns on the right,
 * so g x^T is outer(g, x) and x^T y is dot(x, y)). */
static int eval_transposed(ev *E, const node *n, const val *a, val *out)
{
    char d[96];
    if (a->rank == 2) return fx_transpose(E, n, a, out);
    if (a->rank == 0) {
        if (n->n < 2) { *out = *a; return GC_OK; }
        val b;
        int st = fx_eval(E, n->kid[1], &b);
        return st ? st : fx_binary(E, n, n->line, n->col, '^', a, &b, out,
                                   0);
    }
    if (a->rank == 1)
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "^T of a vector "
                       "(%s): a vector is a row on the left of @ and a "
                       "column on the right, so none is needed (W @ x, "
                       "x @ W); g x^T is outer(g, x), x^T y is dot(x, y)",
                       fx_describe(a, d, sizeof d));
    return fx_fail(E->err, n->line, n->col, GC_EINVAL, "^T needs a matrix, "
                   "found %s", fx_describe(a, d, sizeof d));
}

/* a ^ b and comparisons a < b (1 or 0), entry by entry. */
static int eval_pair(ev *E, const node *n, val *out)
{
    val a, b;
    int st;
    if (n->k == N_POW && n->op == 'T') {
        if ((st = fx_eval(E, n->kid[0], &a))) return st;
        return eval_transposed(E, n, &a, out);
    }
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
        if (!E->depth_hit) E->depth_hit = 1;
        return fx_fail(E->err, n->line, n->col, GC_ELIMIT, "evaluation nested "
                       "more than %d levels deep (definitions using "
                       "definitions)", GC_FX_MAX_EVAL_DEPTH);
    }
    if ((st = fx_charge(E, n, 1))) goto done;
    if (++E->steps > E->P->max_steps && E->P->max_steps > 0) {
        st = fx_fail(E->err, n->line, n->col, GC_ELIMIT, "%s takes more "
                     "than %.0f steps (GC_NET_MAX_STEPS): it is run at least "
                     "twice per parameter entry; write it with whole "
                     "vectors and matrices (W @ x, sum(v), dot(u, v)) rather "
                     "than sums over single entries", E->P->max_steps_what,
                     E->P->max_steps);
        goto done;
    }
    switch (n->k) {
    case N_NUM: case N_SLOT:
        st = fx_scalar_val(E, n, n->k == N_NUM ? n->num
                                 : E->P->slots[n->slot], out);
        if (!st && E->P->tape) fx_tape_const(E->P->tape, out);
        break;
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
    if (!st && E->P->watch && !E->P->watch_hit) fx_watch_node(E->P, n, out);
done:
    E->depth--;
    return st;
}
