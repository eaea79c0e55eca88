/* tape.c: a forward program's pass recorded as primitive operations and
 * replayed for many perturbed copies of theta at once (a case-defined
 * network's forward_batch, network.c).
 *
 * While P->tape is set, the evaluator hands each value it makes to the
 * hooks here: a number, an input or a value computed from those only is a
 * constant (its entries are kept); a parameter block read is a reference
 * theta[off ..]; every other value is the result of one operation on
 * earlier tape values (entry by entry arithmetic, a builtin, a matrix
 * product), and becomes a variable with one row of entries per copy.
 * Indexing by a constant index is a view (an offset) into a tape value;
 * sums become chains of additions; array(...) puts its terms in place.  Control flow that depends on values
 * becomes a guard: if(c, a, b) records c and the branch taken, and a copy
 * whose c decides otherwise is evaluated by the interpreter instead.  An
 * index, a bound or a size that depends on parameters, or an
 * operation without a hook (its value has tid 0) spoils the tape: the
 * network then has no batched forward pass.
 *
 * Replay runs the operations in order, each over the n copies, with the
 * evaluator's own kernels (fx_binary_kernel, fx_unary_kernel, ...), so a
 * copy's loss is the interpreter's to the bit, with one exception: a
 * parameter matrix times a vector, A v_c, is one matrix-matrix product
 * over the copies' vectors (cblas_dgemm), and the copy whose perturbed
 * entry A_ij = theta_k + d lies in A gets the rank-one correction
 * (A v_c)_i += d (v_c)_j, as the compiled models' forward_batch does: the
 * same value up to round-off in the last bits (docs/performance.md).
 */
#include "fx/fx_impl.h"
#include "fx/tape.h"

#include <gsl/gsl_cblas.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TK_CONST = 1, TK_PARAM, TK_VAR };

typedef struct {
    int kind;
    size_t size;
    size_t pos;      /* CONST: into cdata; PARAM: into theta; VAR: into a
                        copy's row of var_total entries */
    int owned;       /* a definition's value (fx_tape_own) */
} tval;

typedef struct {
    int kind, sub;
    int a, b;        /* operands' tape values (b 0: none) */
    size_t aoff, boff, asz, bsz;
    int a_scalar, b_scalar;
    size_t d0, d1, d2;
    int out;
    size_t osz;
    /* resolved by fx_tape_finish: the operands' kinds and where they
     * start (pos + off), where the result goes */
    int ak, bk;
    size_t apos, bpos, zpos;
} top;

/* What a replay reads of an operation (fx_tape_finish makes them from the
 * records above): 40 bytes instead of about 170, so the tape of a small
 * network stays in the first-level cache beside a copy's values.  code
 * says which loop runs it: the entry-by-entry +, - and * on two vectors,
 * a vector and a scalar or a scalar and a vector inline (the kernel's
 * arithmetic, fx_binary_kernel's), everything else by kind. */
enum {
    RC_OTHER, RC_ADD, RC_SUB, RC_MUL,        /* + - * of two vectors */
    RC_ADD_VS, RC_SUB_VS, RC_MUL_VS,         /* vector op scalar */
    RC_ADD_SV, RC_SUB_SV, RC_MUL_SV,         /* scalar op vector */
    RC_PUT
};
typedef struct {
    unsigned char code, kind, ak, bk;
    unsigned char fuse;  /* 1: the next operation adds this one's result
                            to a vector entry by entry (z + x, x + z):
                            both run in one loop */
    unsigned char fuse_left;    /* that sum has this result on the left */
    short sub;
    uint32_t apos, bpos, zpos, asz, bsz, osz, d0;
    uint32_t asrc, bsrc; /* VAR operands: the first operation writing their
                            value (replay_staggered) */
    /* TRANS, OUTER, MATMUL: d0, d1, d2 of the record */
} rop;

struct fx_tape {
    tval *v;
    size_t nv, capv;
    top *op;
    size_t nop, capop;
    rop *r;              /* the operations as a replay reads them */
    size_t *seg;         /* seg[i]: the first of the pieces of array(...)
                            that operation i is one of, else i */
    double *cdata;
    size_t nc, capc;
    size_t var_total;    /* entries of one copy's variables */
    size_t max_size;     /* the largest value */
    size_t n_guards;
    int bad;
    char why[160];
    int loss;            /* the loss's tape value and offset */
    size_t loss_off;
    size_t loss_src;     /* the first operation writing it (SIZE_MAX: a
                            constant or a parameter) */
    double *inputs;      /* the inputs the constants were made from */
    size_t n_inputs, n_params;
    size_t nq;           /* quantity entries: */
    size_t *q_op;        /* the operation that makes entry j (a copy into
                            a value of its own), SIZE_MAX if none */
    size_t *q_pos;       /* where j is in a copy's variables */
    size_t *q_first;     /* the first operation that writes entry j's
                            value (q_op[j] or, for a value that several
                            pieces of array(...) make, an earlier one) */
    size_t *p_op;        /* the first operation that reads parameter
                            entry k, nop if none */
    struct { size_t off; int tid; } in_blk[GC_MAX_BLOCKS];
    size_t n_in_blk;     /* input blocks read so far: their constants */
};

fx_tape *fx_tape_alloc(size_t nq)
{
    fx_tape *T = calloc(1, sizeof *T);
    if (!T) return NULL;
    T->nv = 1;           /* tid 0 is "not on the tape" */
    T->capv = 64;
    T->v = calloc(T->capv, sizeof *T->v);
    T->nq = nq;
    T->q_op = malloc((nq ? nq : 1) * sizeof *T->q_op);
    T->q_pos = malloc((nq ? nq : 1) * sizeof *T->q_pos);
    T->q_first = malloc((nq ? nq : 1) * sizeof *T->q_first);
    if (!T->v || !T->q_op || !T->q_pos || !T->q_first) {
        fx_tape_free(T);
        return NULL;
    }
    for (size_t j = 0; j < nq; j++) T->q_op[j] = T->q_first[j] = SIZE_MAX;
    return T;
}

void fx_tape_free(fx_tape *T)
{
    if (!T) return;
    free(T->v);
    free(T->op);
    free(T->r);
    free(T->seg);
    free(T->cdata);
    free(T->inputs);
    free(T->q_op);
    free(T->q_pos);
    free(T->q_first);
    free(T->p_op);
    free(T);
}

void fx_tape_spoil(fx_tape *T, const char *why)
{
    if (T->bad) return;
    T->bad = 1;
    snprintf(T->why, sizeof T->why, "%s", why);
}

static int new_value(fx_tape *T, int kind, size_t size, size_t pos)
{
    if (T->bad) return 0;
    if (T->nv == T->capv) {
        tval *v = realloc(T->v, 2 * T->capv * sizeof *v);
        if (!v) { fx_tape_spoil(T, "out of memory"); return 0; }
        T->v = v;
        T->capv *= 2;
    }
    if (T->nv >= INT_MAX) { fx_tape_spoil(T, "too many values"); return 0; }
    T->v[T->nv] = (tval){kind, size, pos, 0};
    if (size > T->max_size) T->max_size = size;
    return (int)T->nv++;
}

void fx_tape_const(fx_tape *T, val *x)
{
    x->tid = 0;
    x->toff = 0;
    if (T->bad) return;
    if (T->nc + x->size > T->capc) {
        size_t cap = T->capc ? 2 * T->capc : 1024;
        while (cap < T->nc + x->size) cap *= 2;
        double *c = realloc(T->cdata, cap * sizeof *c);
        if (!c) { fx_tape_spoil(T, "out of memory"); return; }
        T->cdata = c;
        T->capc = cap;
    }
    memcpy(T->cdata + T->nc, x->v, x->size * sizeof *x->v);
    x->tid = new_value(T, TK_CONST, x->size, T->nc);
    T->nc += x->size;
}

void fx_tape_input(fx_tape *T, val *x, size_t off)
{
    for (size_t i = 0; i < T->n_in_blk; i++)
        if (T->in_blk[i].off == off) {
            x->tid = T->in_blk[i].tid;
            x->toff = 0;
            return;
        }
    fx_tape_const(T, x);
    if (x->tid && T->n_in_blk < GC_MAX_BLOCKS) {
        T->in_blk[T->n_in_blk].off = off;
        T->in_blk[T->n_in_blk++].tid = x->tid;
    }
}

void fx_tape_param(fx_tape *T, val *x, size_t off)
{
    x->tid = new_value(T, TK_PARAM, x->size, off);
    x->toff = 0;
}

void fx_tape_need_const(fx_tape *T, const val *x, const char *why)
{
    if (T->bad) return;
    if (x->tid == 0 || T->v[x->tid].kind != TK_CONST) {
        char b[160];
        snprintf(b, sizeof b, "%s depends on the parameters", why);
        fx_tape_spoil(T, b);
    }
}

static void push_op(fx_tape *T, const top *o)
{
    if (T->nop == T->capop) {
        size_t cap = T->capop ? 2 * T->capop : 256;
        top *p = realloc(T->op, cap * sizeof *p);
        if (!p) { fx_tape_spoil(T, "out of memory"); return; }
        T->op = p;
        T->capop = cap;
    }
    T->op[T->nop++] = *o;
}

void fx_tape_op(fx_tape *T, int kind, int sub, const val *a, const val *b,
                val *out, size_t d0, size_t d1, size_t d2)
{
    int ta = a->tid, tb = b ? b->tid : 0;
    size_t aoff = a->toff, boff = b ? b->toff : 0;
    out->tid = 0;
    out->toff = 0;
    if (T->bad) return;
    if (!ta || (b && !tb)) {
        fx_tape_spoil(T, "an operation the tape does not know");
        return;
    }
    if (T->v[ta].kind == TK_CONST && (!b || T->v[tb].kind == TK_CONST)) {
        fx_tape_const(T, out);
        return;
    }
    top o = {.kind = kind, .sub = sub, .a = ta, .b = tb, .aoff = aoff,
             .boff = boff, .asz = a->size, .bsz = b ? b->size : 0,
             .a_scalar = a->rank == 0, .b_scalar = b ? b->rank == 0 : 0,
             .d0 = d0, .d1 = d1, .d2 = d2, .osz = out->size};
    o.out = new_value(T, TK_VAR, out->size, T->var_total);
    if (!o.out) return;
    T->var_total += out->size;
    push_op(T, &o);
    out->tid = o.out;
}

void fx_tape_stack(fx_tape *T, const int *tid, const size_t *off,
                   size_t len, val *out)
{
    out->tid = 0;
    out->toff = 0;
    if (T->bad) return;
    int all_const = 1;
    for (size_t i = 0; i < len; i++) {
        if (!tid[i]) {
            fx_tape_spoil(T, "a term of array(...) the tape does not know");
            return;
        }
        all_const &= T->v[tid[i]].kind == TK_CONST;
    }
    if (all_const) {
        fx_tape_const(T, out);
        return;
    }
    int id = new_value(T, TK_VAR, out->size, T->var_total);
    if (!id) return;
    T->var_total += out->size;
    size_t piece = len ? out->size / len : 0;
    for (size_t i = 0; i < len; i++) {
        top *last = T->nop ? &T->op[T->nop - 1] : NULL;
        if (i && last && last->kind == TOP_PUT && last->out == id &&
            last->a == tid[i] && last->aoff + last->asz == off[i]) {
            /* the next entries of the same value: one longer copy (a
             * window of a convolution, row by row) */
            last->asz += piece;
            last->osz += piece;
            continue;
        }
        top o;
        memset(&o, 0, sizeof o);
        o.kind = TOP_PUT;     /* entries i * piece .. of the stack */
        o.a = tid[i];
        o.aoff = off[i];
        o.asz = piece;
        o.d0 = i * piece;
        o.out = id;
        o.osz = piece;
        push_op(T, &o);
    }
    out->tid = id;
}

void fx_tape_own(fx_tape *T, gc_fx_value *x, size_t q0)
{
    int from = x->tid;
    size_t off = x->toff;
    x->tid = 0;
    x->toff = 0;
    if (T->bad) return;
    if (!from) { fx_tape_spoil(T, "a definition the tape does not know"); return; }
    if (q0 + x->size > T->nq) { fx_tape_spoil(T, "internal: quantity"); return; }
    const tval *f = &T->v[from];
    if (f->kind == TK_VAR && !f->owned && off == 0 && f->size == x->size &&
        T->nop && T->op[T->nop - 1].out == from) {
        /* the whole result of the operation just made, which nothing
         * else holds: the definition's own value as it is.  A tap moves
         * it after that operation; the value may have been written by
         * several (the pieces of array(...), one after the other), and a
         * one-copy replay that keeps earlier operations' values must
         * know the first of them (fx_tape_replay_one). */
        size_t first = T->nop - 1;
        while (first > 0 && T->op[first - 1].out == from) first--;
        T->v[from].owned = 1;
        for (size_t e = 0; e < x->size; e++) {
            T->q_op[q0 + e] = T->nop - 1;
            T->q_first[q0 + e] = first;
            T->q_pos[q0 + e] = f->pos + e;
        }
        x->tid = from;
        return;
    }
    int id = new_value(T, TK_VAR, x->size, T->var_total);
    if (!id) return;
    T->var_total += x->size;
    top o;
    memset(&o, 0, sizeof o);
    o.kind = TOP_PUT;
    o.a = from;
    o.aoff = off;
    o.asz = x->size;
    o.out = id;
    o.osz = x->size;
    push_op(T, &o);
    T->v[id].owned = 1;
    for (size_t e = 0; e < x->size; e++) {
        T->q_op[q0 + e] = T->q_first[q0 + e] = T->nop - 1;
        T->q_pos[q0 + e] = T->v[id].pos + e;
    }
    x->tid = id;
}

void fx_tape_guard(fx_tape *T, const val *c, int taken)
{
    if (T->bad) return;
    if (!c->tid) { fx_tape_spoil(T, "a condition the tape does not know"); return; }
    if (T->v[c->tid].kind == TK_CONST) return;
    top o;
    memset(&o, 0, sizeof o);
    o.kind = TOP_GUARD;
    o.sub = taken;
    o.a = c->tid;
    o.aoff = c->toff;
    o.asz = 1;
    push_op(T, &o);
    T->n_guards++;
}

/* The replay's records of the operations (rop); 1 if memory is short or a
 * position does not fit in 32 bits (the tape is then spoiled: such a
 * network is evaluated by the interpreter). */
static int make_rops(fx_tape *T)
{
    T->r = calloc(T->nop ? T->nop : 1, sizeof *T->r);
    if (!T->r) return 1;
    if (T->var_total > UINT32_MAX || T->nc > UINT32_MAX ||
        T->nop >= UINT32_MAX ||
        T->max_size > UINT32_MAX) {
        fx_tape_spoil(T, "too large for a replay");
        return 1;
    }
    for (size_t i = 0; i < T->nop; i++) {
        const top *o = &T->op[i];
        rop *r = &T->r[i];
        if (o->apos > UINT32_MAX || o->bpos > UINT32_MAX ||
            o->d0 > UINT32_MAX || o->sub < SHRT_MIN || o->sub > SHRT_MAX) {
            fx_tape_spoil(T, "too large for a replay");
            return 1;
        }
        r->kind = (unsigned char)o->kind;
        r->ak = (unsigned char)o->ak;
        r->bk = (unsigned char)o->bk;
        r->sub = (short)o->sub;
        r->apos = (uint32_t)o->apos;
        r->bpos = (uint32_t)o->bpos;
        r->zpos = (uint32_t)o->zpos;
        r->asz = (uint32_t)o->asz;
        r->bsz = (uint32_t)o->bsz;
        r->osz = (uint32_t)o->osz;
        r->d0 = (uint32_t)o->d0;
        r->code = RC_OTHER;
        if (o->kind == TOP_PUT) r->code = RC_PUT;
        if (o->kind == TOP_BIN && (o->sub == '+' || o->sub == '-' ||
                                   o->sub == '*') &&
            !(o->a_scalar && o->b_scalar && o->osz != 1)) {
            int base = o->sub == '+' ? RC_ADD : o->sub == '-' ? RC_SUB
                                                              : RC_MUL;
            r->code = (unsigned char)(o->a_scalar == o->b_scalar ? base
                                      : o->b_scalar ? base + 3 : base + 6);
        }
    }
    /* the first operation writing each value, and the runs of pieces of
     * array(...) written into one value (consecutive operations) */
    T->seg = malloc((T->nop ? T->nop : 1) * sizeof *T->seg);
    size_t *first = malloc(T->nv * sizeof *first);
    if (!T->seg || !first) { free(first); return 1; }
    for (size_t v = 0; v < T->nv; v++) first[v] = SIZE_MAX;
    for (size_t i = 0; i < T->nop; i++) {
        const top *o = &T->op[i];
        if (o->out && first[o->out] == SIZE_MAX) first[o->out] = i;
        T->seg[i] = i > 0 && o->kind == TOP_PUT && T->op[i - 1].kind ==
                    TOP_PUT && T->op[i - 1].out == o->out ? T->seg[i - 1] : i;
    }
    for (size_t i = 0; i < T->nop; i++) {
        const top *o = &T->op[i];
        rop *r = &T->r[i];
        r->asrc = r->bsrc = UINT32_MAX;
        if (o->ak == TK_VAR) r->asrc = (uint32_t)first[o->a];
        if (o->b && o->bk == TK_VAR) r->bsrc = (uint32_t)first[o->b];
    }
    T->loss_src = first[T->loss];
    free(first);
    /* a product entry by entry followed by its sum with another vector
     * (a convolution's w_uv times a window added to the sum so far) */
    for (size_t i = 0; i + 1 < T->nop; i++) {
        const top *m = &T->op[i], *a = &T->op[i + 1];
        rop *r = &T->r[i];
        if ((r->code != RC_MUL && r->code != RC_MUL_VS &&
             r->code != RC_MUL_SV) || T->r[i + 1].code != RC_ADD ||
            T->v[m->out].owned || a->osz != m->osz)
            continue;
        int left = a->a == m->out, right = a->b == m->out;
        if (left == right || (left ? a->aoff : a->boff) != 0)
            continue;      /* neither, x + x, or a part of x */
        r->fuse = 1;
        r->fuse_left = (unsigned char)left;
        i++;
    }
    return 0;
}

int fx_tape_finish(fx_tape *T, const gc_fx_value *loss, const double *inputs,
                   size_t n_inputs, size_t n_params)
{
    if (!T->bad && (!loss->tid || loss->size != 1))
        fx_tape_spoil(T, "the loss is not on the tape");
    if (T->bad) return GC_EINVAL;
    T->loss = loss->tid;
    T->loss_off = loss->toff;
    for (size_t i = 0; i < T->nop; i++) {
        top *o = &T->op[i];
        o->ak = T->v[o->a].kind;
        o->apos = T->v[o->a].pos + o->aoff;
        if (o->b) {
            o->bk = T->v[o->b].kind;
            o->bpos = T->v[o->b].pos + o->boff;
        }
        if (o->out) o->zpos = T->v[o->out].pos;
    }
    if (make_rops(T)) return T->bad ? GC_EINVAL : GC_ENOMEM;
    T->p_op = malloc((n_params ? n_params : 1) * sizeof *T->p_op);
    if (!T->p_op) return GC_ENOMEM;
    for (size_t j = 0; j < n_params; j++) T->p_op[j] = T->nop;
    for (size_t i = T->nop; i-- > 0;) {
        const top *o = &T->op[i];
        if (o->kind == TOP_GUARD) continue;
        for (int side = 0; side < 2; side++) {
            int kind = side ? o->bk : o->ak;
            size_t pos = side ? o->bpos : o->apos;
            size_t sz = side ? o->bsz : o->asz;
            if ((side && !o->b) || kind != TK_PARAM) continue;
            for (size_t j = pos; j < pos + sz && j < n_params; j++)
                T->p_op[j] = i;
        }
    }
    T->n_params = n_params;
    T->n_inputs = n_inputs;
    T->inputs = malloc((n_inputs ? n_inputs : 1) * sizeof *T->inputs);
    if (!T->inputs) return GC_ENOMEM;
    memcpy(T->inputs, inputs, n_inputs * sizeof *inputs);
    return GC_OK;
}

const char *fx_tape_why(const fx_tape *T) { return T->bad ? T->why : ""; }
size_t fx_tape_n_ops(const fx_tape *T) { return T->nop; }

size_t fx_tape_work(const fx_tape *T, size_t n)
{
    /* the copies' variables and the unperturbed pass's
     * (replay_staggered), 2 operands' patched copies, a broadcast product
     * or a third operand, the copies' order, their taps' order and what
     * each changes in theta */
    return (n + 1) * T->var_total + 3 * T->max_size + 8 * n + 1;
}

/* ------------------------------------------------------------ replay */

typedef struct {
    const fx_tape *T;
    const double *theta;
    const size_t *k;     /* NULL: no parameter is perturbed */
    const double *x;
    double *var;         /* copy c's variables at var + c * var_total */
} rep;

/* Copy c's entries off .. off+sz of tape value id; a parameter read is
 * patched (in scr) when the copy's perturbed entry lies in it. */
static inline const double *at_pos(const rep *R, int kind, size_t o,
                                   size_t sz, size_t c, double *scr)
{
    switch (kind) {
    case TK_CONST:
        return R->T->cdata + o;
    case TK_PARAM: {
        size_t kc = R->k ? R->k[c] : SIZE_MAX;
        if (kc >= o && kc < o + sz) {
            memcpy(scr, R->theta + o, sz * sizeof *scr);
            scr[kc - o] = R->x[c];
            return scr;
        }
        return R->theta + o;
    }
    default:
        return R->var + c * R->T->var_total + o;
    }
}

static const double *opnd(const rep *R, int id, size_t off, size_t sz,
                          size_t c, double *scr)
{
    const tval *t = &R->T->v[id];
    return at_pos(R, t->kind, t->pos + off, sz, c, scr);
}

static double *dst(const rep *R, int id, size_t c)
{
    return R->var + c * R->T->var_total + R->T->v[id].pos;
}

/* A parameter matrix (n x k) times the copies' vectors, or the copies'
 * row vectors times a parameter matrix (k x m): one product over all
 * copies, then each perturbed copy's rank-one correction.  0 if the
 * operation is not of that form. */
static int product_shared(const rep *R, const top *o, size_t n, double *scr)
{
    const fx_tape *T = R->T;
    const tval *A = &T->v[o->a], *B = &T->v[o->b];
    size_t rows = o->d0, inner = o->d1, cols = o->d2;
    int left = A->kind == TK_PARAM && B->kind != TK_PARAM && cols == 1;
    int right = B->kind == TK_PARAM && A->kind != TK_PARAM && rows == 1;
    if ((!left && !right) || !R->k) return 0;
    if (n > INT_MAX || inner > INT_MAX || rows > INT_MAX || cols > INT_MAX ||
        T->var_total > INT_MAX)
        return 0;
    const tval *P = left ? A : B, *V = left ? B : A;
    size_t poff = P->pos + (left ? o->aoff : o->boff);
    size_t voff = left ? o->boff : o->aoff;
    size_t vlen = inner, olen = left ? rows : cols;
    const double *W = R->theta + poff;
    double *Y0 = dst(R, o->out, 0);
    size_t ld = T->var_total;
    if (V->kind == TK_CONST) {
        /* the same vector for every copy: one product, copied */
        const double *v = T->cdata + V->pos + voff;
        if (left) fx_matmul_kernel(W, v, rows, inner, 1, scr);
        else fx_matmul_kernel(v, W, 1, inner, cols, scr);
        for (size_t c = 0; c < n; c++)
            memcpy(Y0 + c * ld, scr, olen * sizeof *scr);
    } else {
        const double *V0 = R->var + V->pos + voff;
        if (left)      /* Y (n x rows) = V (n x inner) W^T */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n,
                        (int)rows, (int)inner, 1.0, V0, (int)ld, W,
                        (int)inner, 0.0, Y0, (int)ld);
        else           /* Y (n x cols) = V (n x inner) W */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
                        (int)cols, (int)inner, 1.0, V0, (int)ld, W,
                        (int)cols, 0.0, Y0, (int)ld);
    }
    size_t psz = left ? rows * inner : inner * cols;
    for (size_t c = 0; c < n; c++) {
        size_t kc = R->k[c];
        if (kc < poff || kc >= poff + psz) continue;
        size_t r = kc - poff;
        double d = R->x[c] - R->theta[kc];
        const double *v = opnd(R, left ? o->b : o->a, voff, vlen, c, scr);
        double *y = Y0 + c * ld;
        if (left) y[r / inner] += d * v[r % inner];     /* A_ij: i, j */
        else y[r % cols] += d * v[r / cols];            /* B_jl: l, j */
    }
    return 1;
}

/* What a copy changes in theta: entries a .. a+len-1, entry a set to t
 * (v NULL, len 1: forward_batch's copies) or each entry j moved to
 * theta_j + t v[j - a], as the engine's loss_along writes it
 * (forward_batch_dir's); len 0: nothing (a tap, or theta itself). */
typedef struct {
    size_t a, len;
    const double *v;
    double t;
} pert;

static const pert no_pert = {0, 0, NULL, 0};

typedef struct { size_t op, c; } tap_at;

/* The copies of one replay: entry k[c] set to x[c] (forward_batch), or
 * entries a[c] .. a[c]+len[c]-1 moved along v[c] by t[c]
 * (forward_batch_dir), or taps[c] (forward_batch_tap); all NULL: theta
 * itself. */
typedef struct {
    const size_t *k;
    const double *x;
    const size_t *a, *len;
    const double *const *v;
    const double *t;
    const gc_tap *taps;
} copies;

static inline pert pert_of(const fx_tape *T, const copies *C, size_t c)
{
    if (C->k)
        return C->k[c] < T->n_params ? (pert){C->k[c], 1, NULL, C->x[c]}
                                     : no_pert;
    if (C->a) {
        size_t a = C->a[c] < T->n_params ? C->a[c] : T->n_params;
        size_t len = C->len[c] < T->n_params - a ? C->len[c]
                                                 : T->n_params - a;
        return (pert){a, len, C->v[c], C->t[c]};
    }
    return no_pert;
}

static int by_op(const void *a, const void *b)
{
    const tap_at *x = a, *y = b;
    return x->op < y->op ? -1 : x->op > y->op ? 1
         : x->c < y->c ? -1 : x->c > y->c;
}

static int replay_ops(const fx_tape *T, const double *theta,
                      const copies *C, size_t n, int exact, size_t from,
                      double *losses, unsigned char *redo, double *work);

int fx_tape_replay(const fx_tape *T, const double *theta, const size_t *k,
                   const double *x, const gc_tap *taps, size_t n,
                   int exact, const double *inputs, double *losses,
                   unsigned char *redo, double *work)
{
    memset(redo, 0, n);
    if (T->bad) return GC_EINVAL;
    if (memcmp(inputs, T->inputs, T->n_inputs * sizeof *inputs) != 0) {
        memset(redo, 1, n);          /* other inputs: the interpreter */
        return GC_OK;
    }
    copies C = {.k = taps ? NULL : k, .x = x, .taps = taps};
    return replay_ops(T, theta, &C, n, exact, 0, losses, redo, work);
}

int fx_tape_replay_dir(const fx_tape *T, const double *theta,
                       const size_t *a, const size_t *len,
                       const double *const *v, const double *t, size_t n,
                       const double *inputs, double *losses,
                       unsigned char *redo, double *work)
{
    memset(redo, 0, n);
    if (T->bad) return GC_EINVAL;
    if (memcmp(inputs, T->inputs, T->n_inputs * sizeof *inputs) != 0) {
        memset(redo, 1, n);
        return GC_OK;
    }
    copies C = {.a = a, .len = len, .v = v, .t = t};
    return replay_ops(T, theta, &C, n, 1, 0, losses, redo, work);
}


/* A parameter operand pos .. pos+sz-1 of a copy that changes p: theta's
 * own entries, or those of the copy patched in scr where they overlap. */
static inline const double *param_at(const double *theta, size_t pos,
                                     size_t sz, const pert *p, double *scr)
{
    if (p->len == 0 || p->a >= pos + sz || p->a + p->len <= pos)
        return theta + pos;
    memcpy(scr, theta + pos, sz * sizeof *scr);
    if (!p->v) {
        scr[p->a - pos] = p->t;
        return scr;
    }
    size_t lo = p->a > pos ? p->a : pos;
    size_t hi = p->a + p->len < pos + sz ? p->a + p->len : pos + sz;
    for (size_t j = lo; j < hi; j++)
        scr[j - pos] = theta[j] + p->t * p->v[j - p->a];
    return scr;
}

/* Operation i (with the next one when fused: they are joined, o->fuse,
 * and the caller runs them as one) for one copy whose values are row,
 * theta changed by *pc; a value that an
 * operation before `join` writes is read from brow instead (0: none).  base[] holds where constants and theta live; s1, s2, s3 are
 * max_size scratch each.  A guard that decides otherwise sets *redo. */
#if defined(__GNUC__)
#define FX_INLINE inline __attribute__((always_inline))
#else
#define FX_INLINE inline
#endif
/* (inlined into each of its three callers: each gets a copy specialised
 * to its own arguments, the one-copy replay and the unperturbed row
 * without the patching and the join; 10 to 18 % of a twin's run) */
static FX_INLINE int exec_op(const fx_tape *T, size_t i, int fused,
                   const double *const *base, double *row,
                   const double *brow, size_t join, const pert *pc,
                   double *s1, double *s2, double *s3, unsigned char *redo)
{
    const rop *o = &T->r[i];
    const double *theta = base[TK_PARAM];
    const double *a = o->ak == TK_VAR
                    ? (o->asrc < join ? brow : row) + o->apos
                    : o->ak == TK_PARAM
                    ? param_at(theta, o->apos, o->asz, pc, s1)
                    : base[TK_CONST] + o->apos;
    if (o->kind == TOP_GUARD) {
        if ((a[0] != 0) != (o->sub != 0)) *redo = 1;
        return GC_OK;
    }
    const double *b = o->bk == TK_VAR
                    ? (o->bsrc < join ? brow : row) + o->bpos
                    : o->bk == TK_PARAM
                    ? param_at(theta, o->bpos, o->bsz, pc, s2)
                    : o->bk ? base[TK_CONST] + o->bpos : NULL;
    double *z = row + o->zpos;
    size_t m = o->osz;
    if (fused) {
        /* z = a * b, then w = z + y (or y + z) in one loop: the same two
         * roundings as the two operations' (z is stored before the sum
         * reads it, so the compiler cannot fuse them) */
        const rop *p = o + 1;
        int left = o->fuse_left;
        int yk = left ? p->bk : p->ak;
        size_t ypos = left ? p->bpos : p->apos;
        size_t ysrc = left ? p->bsrc : p->asrc;
        const double *y = yk == TK_VAR ? (ysrc < join ? brow : row) + ypos
                        : yk == TK_PARAM
                        ? param_at(theta, ypos, m, pc, s3)
                        : base[TK_CONST] + ypos;
        double *w = row + p->zpos;
        if (o->code == RC_MUL_VS) {
            double q = b[0];
            for (size_t j = 0; j < m; j++) {
                double v = a[j] * q;
                z[j] = v;
                w[j] = left ? v + y[j] : y[j] + v;
            }
        } else if (o->code == RC_MUL_SV) {
            double q = a[0];
            for (size_t j = 0; j < m; j++) {
                double v = q * b[j];
                z[j] = v;
                w[j] = left ? v + y[j] : y[j] + v;
            }
        } else {
            for (size_t j = 0; j < m; j++) {
                double v = a[j] * b[j];
                z[j] = v;
                w[j] = left ? v + y[j] : y[j] + v;
            }
        }
        return GC_OK;
    }
    switch (o->code) {
    case RC_ADD: for (size_t j = 0; j < m; j++) z[j] = a[j] + b[j]; return GC_OK;
    case RC_SUB: for (size_t j = 0; j < m; j++) z[j] = a[j] - b[j]; return GC_OK;
    case RC_MUL: for (size_t j = 0; j < m; j++) z[j] = a[j] * b[j]; return GC_OK;
    case RC_ADD_VS: { double q = b[0]; for (size_t j = 0; j < m; j++) z[j] = a[j] + q; return GC_OK; }
    case RC_SUB_VS: { double q = b[0]; for (size_t j = 0; j < m; j++) z[j] = a[j] - q; return GC_OK; }
    case RC_MUL_VS: { double q = b[0]; for (size_t j = 0; j < m; j++) z[j] = a[j] * q; return GC_OK; }
    case RC_ADD_SV: { double q = a[0]; for (size_t j = 0; j < m; j++) z[j] = q + b[j]; return GC_OK; }
    case RC_SUB_SV: { double q = a[0]; for (size_t j = 0; j < m; j++) z[j] = q - b[j]; return GC_OK; }
    case RC_MUL_SV: { double q = a[0]; for (size_t j = 0; j < m; j++) z[j] = q * b[j]; return GC_OK; }
    case RC_PUT:      /* (a window row: a few entries, no call) */
        if (m <= 16) for (size_t j = 0; j < m; j++) z[o->d0 + j] = a[j];
        else memcpy(z + o->d0, a, m * sizeof *z);
        return GC_OK;
    default:
        break;
    }
    const top *t = &T->op[i];
    switch (o->kind) {
    case TOP_BIN:
        fx_binary_kernel(o->sub, a, t->a_scalar, b, t->b_scalar, z, m);
        break;
    case TOP_NEG:
        for (size_t j = 0; j < m; j++) z[j] = -a[j];
        break;
    case TOP_UN:
        fx_unary_kernel(o->sub, a, z, m);
        break;
    case TOP_RED:
        z[0] = fx_reduce_kernel(o->sub, a, b, o->d0);
        break;
    case TOP_SOFTMAX:
        fx_softmax_kernel(o->sub, a, z, m, o->d0);
        break;
    case TOP_TRANS:       /* d0 x d1 from d1 x d0 */
        for (size_t r = 0; r < t->d0; r++)
            for (size_t q = 0; q < t->d1; q++)
                z[r * t->d1 + q] = a[q * t->d0 + r];
        break;
    case TOP_OUTER:
        for (size_t r = 0; r < t->d0; r++)
            for (size_t q = 0; q < t->d1; q++)
                z[r * t->d1 + q] = a[r] * b[q];
        break;
    case TOP_DIAGV:
        memset(z, 0, m * sizeof *z);
        for (size_t r = 0; r < t->d0; r++) z[r * t->d0 + r] = a[r];
        break;
    case TOP_DIAGM:
        for (size_t r = 0; r < t->d0; r++) z[r] = a[r * t->d0 + r];
        break;
    case TOP_MATMUL:
        fx_matmul_kernel(a, b, t->d0, t->d1, t->d2, z);
        break;
    default:
        return GC_EINVAL;
    }
    return GC_OK;
}

/* The first operation copy c's values can differ at: the first reading
 * its perturbed parameter entry, or the one its tap follows (the first
 * piece, when that is one of the pieces of an array(...)); nop if none. */
static size_t copy_start(const fx_tape *T, const copies *C, size_t c)
{
    size_t i = T->nop;
    if (C->taps) {
        size_t j = C->taps[c].index;
        if (j < T->nq && T->q_op[j] != SIZE_MAX) i = T->q_op[j];
    } else {
        pert p = pert_of(T, C, c);
        for (size_t j = p.a; j < p.a + p.len; j++)
            if (T->p_op[j] < i) i = T->p_op[j];
    }
    return i < T->nop ? T->seg[i] : T->nop;   /* a whole array(...) */
}

/* Every copy from its own first operation on (exact replays of several
 * copies): the pass at theta itself runs in one more row (brow) up to the
 * last copy's start; a copy joins at its start, and a value that an
 * operation before its start wrote is read from that row (those
 * operations cannot depend on its entry or tap; a start is never inside
 * the pieces of one array(...)), so its loss is the same function of the
 * same values as a replay from the first operation, and the copy's own
 * row holds only what it computes. */
static int replay_staggered(const fx_tape *T, const double *theta,
                            const copies *C, size_t n, double *losses,
                            unsigned char *redo, double *work)
{
    size_t vt = T->var_total;
    const gc_tap *taps = C->taps;
    double *brow = work + n * vt;
    double *s1 = brow + vt, *s2 = s1 + T->max_size, *s3 = s2 + T->max_size;
    tap_at *at = (tap_at *)(void *)(s3 + T->max_size), *tp = at + n;
    pert *pc = (pert *)(void *)(tp + n);
    size_t n_tp = 0, tn = 0;
    for (size_t c = 0; c < n; c++) {
        at[c] = (tap_at){copy_start(T, C, c), c};
        pc[c] = pert_of(T, C, c);
        if (taps && at[c].op < T->nop)   /* the tap follows its operation */
            tp[n_tp++] = (tap_at){T->q_op[taps[c].index], c};
    }
    qsort(at, n, sizeof *at, by_op);
    qsort(tp, n_tp, sizeof *tp, by_op);
    const double *base[4] = {NULL, T->cdata, theta, NULL};
    unsigned char base_redo = 0;
    size_t act = 0, last = at[n - 1].op;
    for (size_t i = 0; i < T->nop; i++) {
        for (; act < n && at[act].op <= i; act++)
            redo[at[act].c] |= base_redo;    /* joins at i */
        /* a joined pair runs as one unless a copy joins at its sum */
        int fused = T->r[i].fuse && !(act < n && at[act].op == i + 1);
        int st;
        if (i < last &&
            (st = exec_op(T, i, fused, base, brow, brow, 0, &no_pert, s1, s2,
                          s3, &base_redo)))
            return st;
        for (size_t a = 0; a < act; a++) {
            size_t c = at[a].c;
            if ((st = exec_op(T, i, fused, base, work + c * vt, brow,
                              at[a].op, &pc[c], s1, s2, s3, &redo[c])))
                return st;
        }
        if (fused) i++;     /* the sum ran with the product */
        for (; tn < n_tp && tp[tn].op <= i; tn++) {
            size_t c = tp[tn].c;        /* as the store hook adds it */
            work[c * vt + T->q_pos[taps[c].index]] += taps[c].delta;
        }
    }
    for (; act < n; act++)           /* copies that change nothing */
        redo[at[act].c] |= base_redo;
    const tval *lv = &T->v[T->loss];
    size_t lpos = lv->pos + T->loss_off;
    for (size_t a = 0; a < n; a++) {
        size_t c = at[a].c;
        const double *row = T->loss_src != SIZE_MAX &&
                            T->loss_src >= at[a].op && at[a].op < T->nop
                          ? work + c * vt : brow;
        losses[c] = lv->kind == TK_VAR ? row[lpos]
                  : lv->kind == TK_CONST ? T->cdata[lpos]
                  : param_at(theta, lpos, 1, &pc[c], s1)[0];
    }
    return GC_OK;
}

static int replay_ops(const fx_tape *T, const double *theta,
                      const copies *C, size_t n, int exact, size_t from,
                      double *losses, unsigned char *redo, double *work)
{
    if (exact && n > 1 && from == 0)
        return replay_staggered(T, theta, C, n, losses, redo, work);
    size_t vt = T->var_total;
    const gc_tap *taps = C->taps;
    double *s1 = work + (n + 1) * vt, *s2 = s1 + T->max_size,
           *s3 = s2 + T->max_size;
    /* product_shared's copies: one entry each (forward_batch) */
    rep R = {T, theta, C->k, C->x, work};
    /* taps: the copies in the order of the operations that make the
     * entries they move */
    tap_at *at = (tap_at *)(void *)(s3 + T->max_size);
    pert *pc = (pert *)(void *)(at + 2 * n);
    size_t n_at = 0, next = 0;
    for (size_t c = 0; c < n; c++) {
        pc[c] = pert_of(T, C, c);
        size_t j = taps ? taps[c].index : SIZE_MAX;
        if (taps && j < T->nq && T->q_op[j] != SIZE_MAX)
            at[n_at++] = (tap_at){T->q_op[j], c};
    }
    qsort(at, n_at, sizeof *at, by_op);
    while (next < n_at && at[next].op < from) next++;
    const double *base[4] = {NULL, T->cdata, theta, NULL};
    for (size_t i = from; i < T->nop; i++) {
        if (T->r[i].kind == TOP_MATMUL && !exact && C->k &&
            product_shared(&R, &T->op[i], n, s3))
            goto taps;
        int fused = T->r[i].fuse;
        for (size_t c = 0; c < n; c++) {
            int st = exec_op(T, i, fused, base, work + c * vt, NULL, 0,
                             &pc[c], s1, s2, s3, &redo[c]);
            if (st) return st;
        }
        if (fused) i++;     /* the sum ran with the product */
    taps:
        for (; next < n_at && at[next].op == i; next++) {
            size_t c = at[next].c;    /* as the store hook adds it */
            work[c * vt + T->q_pos[taps[c].index]] += taps[c].delta;
        }
    }
    const tval *lv = &T->v[T->loss];
    size_t lpos = lv->pos + T->loss_off;
    for (size_t c = 0; c < n; c++)
        losses[c] = lv->kind == TK_VAR ? work[c * vt + lpos]
                  : lv->kind == TK_CONST ? T->cdata[lpos]
                  : param_at(theta, lpos, 1, &pc[c], s1)[0];
    return GC_OK;
}

void gc_fx_record(gc_fx_program *prog, fx_tape *T) { prog->tape = T; }

void fx_tape_quantities(const fx_tape *T, const double *work, double *q)
{
    for (size_t j = 0; j < T->nq; j++)
        q[j] = T->q_op[j] == SIZE_MAX ? 0.0 : work[T->q_pos[j]];
}

/* One copy, reusing the cursor's last replay: an operation before the
 * first one that reads a parameter entry changed since the cursor's base
 * point, or makes the tapped entry, has the value it had there (it cannot
 * depend on them), so the replay starts at that operation, as a tapped
 * interpreted pass starts at the tapped entry (network.c). */
int fx_tape_replay_one(const fx_tape *T, fx_tape_cursor *cur,
                       const double *theta, const gc_tap *tap,
                       const double *inputs, double *loss, double *q)
{
    if (T->bad) return 0;
    if (memcmp(inputs, T->inputs, T->n_inputs * sizeof *inputs) != 0)
        return 0;
    size_t s = T->nop, start = 0;
    if (cur->valid) {
        for (size_t j = 0; j < T->n_params; j++) {
            uint64_t a, b;       /* the bits: -0 is not 0 here */
            memcpy(&a, &theta[j], sizeof a);
            memcpy(&b, &cur->theta[j], sizeof b);
            if (a != b && T->p_op[j] < s) s = T->p_op[j];
        }
        if (tap && tap->index < T->nq && T->q_op[tap->index] < s)
            s = T->q_op[tap->index];
        start = s < cur->dirty_from ? s : cur->dirty_from;
    }
    unsigned char redo = 0;
    copies C = {.taps = tap};
    if (replay_ops(T, theta, &C, 1, 1, start, loss, &redo, cur->work) ||
        redo) {
        cur->valid = 0;
        return 0;
    }
    if (start == 0) {
        /* a whole pass: theta is the new base */
        memcpy(cur->theta, theta, T->n_params * sizeof *theta);
        cur->valid = 1;
        s = T->nop;
    }
    /* the tapped entry's value now holds the tap from the first operation
     * that writes it on (the pieces of one array(...) write one value) */
    if (tap && tap->index < T->nq && T->q_first[tap->index] < s)
        s = T->q_first[tap->index];
    cur->dirty_from = s;
    if (q) fx_tape_quantities(T, cur->work, q);
    return 1;
}

int fx_tape_cursor_alloc(const fx_tape *T, fx_tape_cursor *cur)
{
    cur->work = malloc((fx_tape_work(T, 1) + 1) * sizeof *cur->work);
    cur->theta = malloc((T->n_params + 1) * sizeof *cur->theta);
    cur->valid = 0;
    cur->dirty_from = 0;
    if (!cur->work || !cur->theta) {
        fx_tape_cursor_clear(cur);
        return GC_ENOMEM;
    }
    return GC_OK;
}

void fx_tape_cursor_clear(fx_tape_cursor *cur)
{
    free(cur->work);
    free(cur->theta);
    cur->work = cur->theta = NULL;
    cur->valid = 0;
}
