/* builtins.c: the builtin functions in one place: the table the parser
 * looks names up in, the scalar functions, and the evaluation of a call. */
#include "fx/fx_impl.h"
#include "vecmath.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* To add a builtin: its id in fx_impl.h's enum, a row here, its name in
 * fx_builtin_names, and its evaluation in the family's fx_call helper
 * below (a unary function: unary_fn only). */
const fx_builtin fx_builtins[] = {
    {"exp", B_EXP, 1, 1}, {"log", B_LOG, 1, 1}, {"ln", B_LOG, 1, 1},
    {"sqrt", B_SQRT, 1, 1}, {"abs", B_ABS, 1, 1}, {"tanh", B_TANH, 1, 1},
    {"sigmoid", B_SIGMOID, 1, 1}, {"sigma", B_SIGMOID, 1, 1},
    {"relu", B_RELU, 1, 1}, {"ReLU", B_RELU, 1, 1},
    {"step", B_STEP, 1, 1}, {"sign", B_SIGN, 1, 1},
    {"dtanh", B_DTANH, 1, 1}, {"dsigmoid", B_DSIGMOID, 1, 1},
    {"dsigma", B_DSIGMOID, 1, 1}, {"drelu", B_DRELU, 1, 1},
    {"sin", B_SIN, 1, 1}, {"cos", B_COS, 1, 1}, {"erf", B_ERF, 1, 1},
    {"Phi", B_PHI_CDF, 1, 1}, {"phi", B_PHI_PDF, 1, 1},
    {"min", B_MIN, 1, 2}, {"max", B_MAX, 1, 2},
    {"lrelu", B_LRELU, 1, 2}, {"dlrelu", B_DLRELU, 1, 2},
    {"leaky_relu", B_LRELU, 1, 2},
    {"kdelta", B_DELTA, 2, 2}, {"hadamard", B_HADAMARD, 2, 2},
    {"softmax", B_SOFTMAX, 1, 1}, {"sum", B_SUM, 1, 4}, {"prod", B_PROD, 1, 4},
    {"transpose", B_TRANSPOSE, 1, 1}, {"matmul", B_MATMUL, 2, 2},
    {"outer", B_OUTER, 2, 2}, {"dot", B_DOT, 2, 2}, {"diag", B_DIAG, 1, 1},
    {"eye", B_EYE, 1, 1}, {"ones", B_ONES, 1, 2}, {"zeros", B_ZEROS, 1, 2},
    {"norm", B_NORM, 1, 1}, {"if", B_IF, 3, 3}, {"array", B_ARRAY, 4, 4},
    {"softplus", B_SOFTPLUS, 1, 1}, {"gelu", B_GELU, 1, 1},
    {"GELU", B_GELU, 1, 1}, {"mean", B_MEAN, 1, 1}, {"var", B_VAR, 1, 1},
    {"logsumexp", B_LOGSUMEXP, 1, 1}, {"log_softmax", B_LOGSOFTMAX, 1, 1},
    {"logsoftmax", B_LOGSOFTMAX, 1, 1}, {"flatten", B_FLATTEN, 1, 1},
    {"vec", B_FLATTEN, 1, 1}, {"floor", B_FLOOR, 1, 1}, {"ceil", B_CEIL, 1, 1},
    {"cosh", B_COSH, 1, 1}, {"sinh", B_SINH, 1, 1}, {"sech", B_SECH, 1, 1},
    {"silu", B_SILU, 1, 1}, {"swish", B_SILU, 1, 1}, {"elu", B_ELU, 1, 2},
    {"ELU", B_ELU, 1, 2}, {"clip", B_CLIP, 3, 3}, {"kron", B_KRON, 2, 2},
};

const char fx_builtin_names[] =
    "exp, log, sqrt, abs, tanh, sigmoid, relu, step, sign, dtanh, dsigmoid, "
    "drelu, lrelu (leaky_relu), dlrelu, elu, silu (swish), sin, cos, cosh, "
    "sinh, sech, erf, Phi, phi, softplus, gelu, clip, min, "
    "max, sum, mean, var, prod, norm, logsumexp, softmax, log_softmax, "
    "transpose, matmul, outer, kron, dot, hadamard, diag, eye, ones, zeros, "
    "flatten, floor, ceil, kdelta, if, array";

int fx_builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof fx_builtins / sizeof *fx_builtins; i++)
        if (strcmp(fx_builtins[i].name, name) == 0) return (int)i;
    return -1;
}

const char *fx_builtin_name(int id)
{
    for (size_t i = 0; i < sizeof fx_builtins / sizeof *fx_builtins; i++)
        if (fx_builtins[i].id == id) return fx_builtins[i].name;
    return "a function";
}

static double sigmoid(double u)
{
    if (u >= 0) return 1.0 / (1.0 + exp(-u));
    double e = exp(u);
    return e / (1.0 + e);
}

static double f_relu(double u) { return u > 0 ? u : 0.0; }
/* Heaviside step with step(0) = 0: relu'(0) is taken from the left. */
static double f_step(double u) { return u > 0 ? 1.0 : 0.0; }
static double f_sign(double u) { return u > 0 ? 1.0 : u < 0 ? -1.0 : 0.0; }
static double f_dtanh(double u) { double t = tanh(u); return 1.0 - t * t; }
/* sigma'(u) = sigma(u) sigma(-u): no cancellation in 1 - sigma(u) */
static double f_dsigmoid(double u) { return sigmoid(u) * sigmoid(-u); }
static double f_Phi(double u) { return 0.5 * erfc(-u / sqrt(2.0)); }
static double f_phi(double u) { return exp(-0.5 * u * u) / sqrt(2.0 * FX_PI); }
/* softplus(u) = log(1 + e^u) = max(u, 0) + log1p(e^-|u|): no overflow for
 * large u, no loss of the small e^u for very negative u */
static double f_softplus(double u)
{
    return (u > 0 ? u : 0.0) + log1p(exp(-fabs(u)));
}
/* GELU, exact: u Phi(u) (PyTorch's gelu without approximate='tanh') */
static double f_gelu(double u) { return u * f_Phi(u); }
static double f_copy(double u) { return u; }
static double f_sech(double u) { return 1.0 / cosh(u); }
/* SiLU (swish with beta = 1): u sigma(u) */
static double f_silu(double u) { return u * sigmoid(u); }

static double (*const unary_fn[B_N_UNARY])(double) = {
    [B_EXP] = exp, [B_LOG] = log, [B_SQRT] = sqrt, [B_ABS] = fabs,
    [B_TANH] = tanh, [B_SIGMOID] = sigmoid, [B_RELU] = f_relu,
    [B_STEP] = f_step, [B_SIGN] = f_sign, [B_DTANH] = f_dtanh,
    [B_DSIGMOID] = f_dsigmoid, [B_DRELU] = f_step, [B_SIN] = sin,
    [B_COS] = cos, [B_ERF] = erf, [B_PHI_CDF] = f_Phi, [B_PHI_PDF] = f_phi,
    [B_SOFTPLUS] = f_softplus, [B_GELU] = f_gelu, [B_FLOOR] = floor,
    [B_CEIL] = ceil, [B_COSH] = cosh, [B_SINH] = sinh, [B_SECH] = f_sech,
    [B_SILU] = f_silu,
    [B_COPY] = f_copy,
};

static int want_rank(ev *E, const node *at, const val *v, int lo, int hi,
                     const char *what)
{
    char d[96];
    if (v->rank < lo || v->rank > hi)
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "%s, found %s",
                       what, fx_describe(v, d, sizeof d));
    return GC_OK;
}

static int size_arg(ev *E, const node *at, const val *v, size_t *out)
{
    long n;
    if (v->rank == 0 && isfinite(v->v[0]) && v->v[0] == floor(v->v[0]) &&
        fabs(v->v[0]) > (double)GC_FX_MAX_TENSOR)  /* past an index's range */
        return fx_fail(E->err, at->line, at->col,
                       v->v[0] < 0 ? GC_EINVAL : GC_ELIMIT, "a size must be "
                       "from 0 to %zu (GC_FX_MAX_TENSOR), found %.17g",
                       (size_t)GC_FX_MAX_TENSOR, v->v[0]);
    int st = fx_as_index(E, at, v, &n);
    if (st) return st;
    if (n < 0 || (size_t)n > GC_FX_MAX_TENSOR)
        return fx_fail(E->err, at->line, at->col,
                       n < 0 ? GC_EINVAL : GC_ELIMIT, "a size must be from 0 "
                       "to %zu (GC_FX_MAX_TENSOR), found %ld",
                       (size_t)GC_FX_MAX_TENSOR, n);
    *out = (size_t)n;
    return GC_OK;
}

/* ------------------------------------------------- calls, by family */

/* if(c, a, b) with c an array: entry by entry, a where c is not 0 and b
 * where it is (a and b: scalars or c's shape), as NumPy's where; both
 * branches are evaluated, and a NaN or infinity in the entries not chosen
 * does not reach the result (Huber's if(abs(r) <= 1, r^2/2, abs(r) - 1/2)).
 * On a tape: one guard per entry of c (a copy whose condition decides an
 * entry otherwise is evaluated by the interpreter) and the chosen entries
 * stacked. */
static int call_if_entries(ev *E, const node *n, const val *c, val *out)
{
    val a, b;
    char d[96], d2[96];
    int st;
    if ((st = fx_eval(E, n->kid[1], &a)) || (st = fx_eval(E, n->kid[2], &b)))
        return st;
    const val *br[2] = {&a, &b};
    for (int k = 0; k < 2; k++)
        if (br[k]->rank != 0 && !fx_same_shape(br[k], c))
            return fx_fail(E->err, n->kid[k + 1]->line, n->kid[k + 1]->col,
                           GC_EINVAL, "with a condition that is %s, each "
                           "branch of if must be one number or of its shape, "
                           "found %s", fx_describe(c, d, sizeof d),
                           fx_describe(br[k], d2, sizeof d2));
    if ((st = fx_new_val(E, n, c->rank, c->shape, c->base, out))) return st;
    for (size_t i = 0; i < c->size; i++) {
        const val *v = c->v[i] != 0 ? &a : &b;
        out->v[i] = v->v[v->rank ? i : 0];
    }
    fx_tape *T = E->P->tape;
    if (!T) return GC_OK;
    if (!c->tid || !a.tid || !b.tid) {
        fx_tape_spoil(T, "an if(...) the tape does not know");
        return GC_OK;
    }
    int *tid = fx_arena_alloc(&E->P->scratch, c->size * sizeof *tid);
    size_t *off = fx_arena_alloc(&E->P->scratch, c->size * sizeof *off);
    if (!tid || !off) return fx_no_memory(E, n);
    for (size_t i = 0; i < c->size; i++) {
        val ci = *c;            /* entry i of c, as a number */
        ci.rank = 0;
        ci.size = 1;
        ci.toff = c->toff + i;
        fx_tape_guard(T, &ci, c->v[i] != 0);
        const val *v = c->v[i] != 0 ? &a : &b;
        tid[i] = v->tid;
        off[i] = v->toff + (v->rank ? i : 0);
    }
    fx_tape_stack(T, tid, off, c->size, out);
    return GC_OK;
}

/* if(c, a, b): only the branch taken is evaluated, so if(i == 0, 1, x[i])
 * never indexes x[0]; an array c chooses entry by entry (above). */
static int call_if(ev *E, const node *n, val *out)
{
    val c;
    int st = fx_eval(E, n->kid[0], &c);
    if (st) return st;
    if (c.rank != 0) return call_if_entries(E, n, &c, out);
    if (E->P->tape) fx_tape_guard(E->P->tape, &c, c.v[0] != 0);
    return fx_eval(E, n->kid[c.v[0] != 0 ? 1 : 2], out);
}

/* The unary functions (unary_fn), entry by entry. */
static int call_unary(ev *E, const node *n, const val *a, val *out)
{
    int st = fx_new_val(E, n, a[0].rank, a[0].shape, a[0].base, out);
    if (st) return st;
    fx_unary_kernel(n->op, a[0].v, out->v, out->size);
    if (E->P->watch && !E->P->watch_hit)
        fx_watch_unary(E->P, n, n->op, &a[0], out);
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_UN, n->op, &a[0], NULL, out,
                               0, 0, 0);
    return GC_OK;
}

void fx_unary_kernel(int id, const double *a, double *out, size_t n)
{
    if ((id == B_TANH || id == B_SIGMOID) && n >= 4) {
        /* the compiled models' vector tanh and sigmoid (vecmath.c): a
         * network's activations, and the same bits as those models */
        if (out != a) memcpy(out, a, n * sizeof *out);
        if (id == B_TANH) gc_vtanh(out, n);
        else gc_vsigmoid(out, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = unary_fn[id](a[i]);
}

/* Entry by entry on two arguments, a scalar applying to every entry:
 * min(a, b), max(a, b), lrelu, dlrelu, elu, kdelta (1 where equal),
 * hadamard.  lrelu(x) and dlrelu(x) take PyTorch's slope 0.01, elu(x) its
 * alpha 1. */
static int call_binary(ev *E, const node *n, val *a, val *out)
{
    int id = n->op;
    int op = id == B_MIN ? 'm' : id == B_MAX ? 'M' : id == B_LRELU ? 'l'
           : id == B_DLRELU ? 'L' : id == B_ELU ? 'e'
           : id == B_DELTA ? OP_EQ : '*';
    if (n->n == 1) {
        int st = fx_scalar_val(E, n, id == B_ELU ? 1.0 : 0.01, &a[1]);
        if (st) return st;
        if (E->P->tape) fx_tape_const(E->P->tape, &a[1]);
    }
    return fx_binary(E, n, 0, 0, op, &a[0], &a[1], out, 0);
}

/* clip(x, lo, hi) = min(max(x, lo), hi), entry by entry (lo, hi numbers
 * or of x's shape): a Huber loss's derivative, a gradient clipped. */
static int call_clip(ev *E, const node *n, const val *a, val *out)
{
    val hi, t;
    int st;
    if ((st = fx_eval(E, n->kid[2], &hi)) ||
        (st = fx_binary(E, n, 0, 0, 'M', &a[0], &a[1], &t, 0)))
        return st;
    return fx_binary(E, n, 0, 0, 'm', &t, &hi, out, 1);
}

/* To a scalar, over every entry: min(v), max(v), sum(v), prod(v), norm(v)
 * (Euclidean), mean(v), var(v), logsumexp(v), and dot(a, b). */
static int call_reduce(ev *E, const node *n, const val *a, val *out)
{
    int id = n->op;
    char d[96], d2[96];
    if (id == B_MIN || id == B_MAX || id == B_MEAN || id == B_VAR ||
        id == B_LOGSUMEXP) {
        if (a[0].size == 0)
            return fx_fail(E->err, n->line, n->col, GC_EINVAL, "%s of no "
                           "entries", n->name);
    } else if (id == B_DOT && !fx_same_shape(&a[0], &a[1])) {
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "dot needs "
                       "two values of the same shape, found %s and %s",
                       fx_describe(&a[0], d, sizeof d),
                       fx_describe(&a[1], d2, sizeof d2));
    }
    double s = fx_reduce_kernel(id, a[0].v, id == B_DOT ? a[1].v : NULL,
                                a[0].size);
    int st = fx_scalar_val(E, n, s, out);
    if (!st && E->P->tape)
        fx_tape_op(E->P->tape, TOP_RED, id, &a[0], id == B_DOT ? &a[1] : NULL,
                   out, a[0].size, 0, 0);
    return st;
}

double fx_reduce_kernel(int id, const double *a, const double *b, size_t n)
{
    double s;
    switch (id) {
    case B_MIN: case B_MAX:
        s = a[0];
        for (size_t i = 1; i < n; i++)
            s = id == B_MIN ? fmin(s, a[i]) : fmax(s, a[i]);
        break;
    case B_DOT:
        s = 0;
        for (size_t i = 0; i < n; i++) s += a[i] * b[i];
        break;
    case B_MEAN: case B_VAR: {
        /* var: the mean square deviation from the mean, divided by n (the
         * population variance of layer normalisation; torch.var(v,
         * unbiased=False)), from the deviations: no cancellation */
        double m = 0;
        for (size_t i = 0; i < n; i++) m += a[i];
        m /= (double)n;
        if (id == B_MEAN) return m;
        s = 0;
        for (size_t i = 0; i < n; i++) s += (a[i] - m) * (a[i] - m);
        s /= (double)n;
        break;
    }
    case B_LOGSUMEXP: {
        /* log sum_i e^(a_i) = m + log sum_i e^(a_i - m), m = max_i a_i:
         * no exp overflows; an infinite m is the answer itself */
        double m = -INFINITY;
        for (size_t i = 0; i < n; i++) m = fmax(m, a[i]);
        if (isinf(m)) return m;
        s = 0;
        for (size_t i = 0; i < n; i++) s += exp(a[i] - m);
        s = m + log(s);
        break;
    }
    default:   /* sum, prod, norm */
        s = id == B_PROD ? 1 : 0;
        for (size_t i = 0; i < n; i++)
            s = id == B_PROD ? s * a[i]
              : id == B_SUM ? s + a[i] : s + a[i] * a[i];
        if (id == B_NORM) s = sqrt(s);
    }
    return s;
}

/* softmax(v)_i = exp(v_i - m) / sum_j exp(v_j - m), m = max_j v_j so that
 * no exp overflows; log_softmax(v)_i = v_i - m - log sum_j exp(v_j - m).
 * Of a matrix (or more axes): along the last axis, each row on its own,
 * as attention's softmax(Q K^T / sqrt(d)) and PyTorch's dim=-1. */
static int call_softmax(ev *E, const node *n, const val *a, val *out)
{
    int st;
    char d[96];
    if (a[0].rank == 0 || a[0].size == 0)
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "%s takes a "
                       "vector (or a matrix: each row), found %s", n->name,
                       fx_describe(&a[0], d, sizeof d));
    if ((st = fx_new_val(E, n, a[0].rank, a[0].shape, a[0].base, out)))
        return st;
    size_t len = a[0].shape[a[0].rank - 1];
    fx_softmax_kernel(n->op, a[0].v, out->v, a[0].size, len);
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_SOFTMAX, n->op, &a[0], NULL,
                               out, len, 0, 0);
    return GC_OK;
}

void fx_softmax_kernel(int id, const double *a, double *out, size_t n,
                       size_t len)
{
    for (size_t r = 0; len && r + len <= n; r += len) {
        const double *x = a + r;
        double *z = out + r;
        double m = -INFINITY, s = 0;
        for (size_t i = 0; i < len; i++) m = fmax(m, x[i]);
        if (id == B_LOGSOFTMAX) {
            for (size_t i = 0; i < len; i++) s += exp(x[i] - m);
            double lse = m + log(s);
            for (size_t i = 0; i < len; i++) z[i] = x[i] - lse;
            continue;
        }
        for (size_t i = 0; i < len; i++)
            s += z[i] = exp(x[i] - m);
        for (size_t i = 0; i < len; i++) z[i] /= s;
    }
}

/* flatten(A), vec(A): A's entries in storage order (row-major: the last
 * index fastest, as flatten in NumPy and PyTorch) as a vector numbered
 * from 1. */
static int call_flatten(ev *E, const node *n, const val *a, val *out)
{
    size_t sh[1] = {a[0].size};
    int st = fx_new_val(E, n, 1, sh, NULL, out);
    if (st) return st;
    memcpy(out->v, a[0].v, a[0].size * sizeof *out->v);
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_UN, B_COPY, &a[0], NULL, out,
                               0, 0, 0);
    return GC_OK;
}

/* transpose(A): a scalar or vector is its own transpose. */
static int call_transpose(ev *E, const node *n, const val *a, val *out)
{
    int st;
    if ((st = want_rank(E, n, &a[0], 0, 2, "transpose takes a scalar, "
                        "vector or matrix")))
        return st;
    if (a[0].rank < 2) { *out = a[0]; return GC_OK; }
    return fx_transpose(E, n, a, out);
}

int fx_transpose(ev *E, const node *n, const val *a, val *out)
{
    int st;
    size_t sh[2] = {a[0].shape[1], a[0].shape[0]};
    int bs[2] = {a[0].base[1], a[0].base[0]};
    if ((st = fx_new_val(E, n, 2, sh, bs, out))) return st;
    for (size_t i = 0; i < sh[0]; i++)
        for (size_t j = 0; j < sh[1]; j++)
            out->v[i * sh[1] + j] = a[0].v[j * sh[0] + i];
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_TRANS, 0, &a[0], NULL, out,
                               sh[0], sh[1], 0);
    return GC_OK;
}

/* outer(a, b): the axes of a, then those of b. */
static int call_outer(ev *E, const node *n, const val *a, val *out)
{
    int rank = a[0].rank + a[1].rank, st;
    if (rank > GC_FX_MAX_RANK)
        return fx_fail(E->err, n->line, n->col, GC_EINVAL, "the outer "
                       "product would have %d axes (at most %d)", rank,
                       GC_FX_MAX_RANK);
    size_t sh[GC_FX_MAX_RANK];
    int bs[GC_FX_MAX_RANK];
    for (int i = 0; i < a[0].rank; i++) {
        sh[i] = a[0].shape[i];
        bs[i] = a[0].base[i];
    }
    for (int i = 0; i < a[1].rank; i++) {
        sh[a[0].rank + i] = a[1].shape[i];
        bs[a[0].rank + i] = a[1].base[i];
    }
    if ((st = fx_new_val(E, n, rank, sh, bs, out))) return st;
    for (size_t i = 0; i < a[0].size; i++)
        for (size_t j = 0; j < a[1].size; j++)
            out->v[i * a[1].size + j] = a[0].v[i] * a[1].v[j];
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_OUTER, 0, &a[0], &a[1], out,
                               a[0].size, a[1].size, 0);
    return GC_OK;
}

/* kron(A, B): the Kronecker product, as numpy.kron: two vectors give the
 * vector of a[i] b[k] at (i - 1) q + k; otherwise a vector counts as one
 * row, and the m x n matrix A and the p x q matrix B give the mp x nq
 * matrix whose entry ((i-1) p + k, (j-1) q + l) is A[i][j] B[k][l], indices
 * from 1.  It writes a whole Hessian block in the flattened order blocks
 * use: d2L/dW dW = kron(eye(n2), outer(a1, a1)) for L = |W a1 - y|^2 / 2.
 * Not on the recorded tape: a forward pass that uses it is interpreted. */
static int call_kron(ev *E, const node *n, const val *a, val *out)
{
    size_t r[2], c[2];
    for (int k = 0; k < 2; k++) {
        if (a[k].rank > 2) {
            char d[96];
            return fx_fail(E->err, n->line, n->col, GC_EINVAL, "kron takes "
                           "numbers, vectors and matrices, not %s",
                           fx_describe(&a[k], d, sizeof d));
        }
        r[k] = a[k].rank == 2 ? a[k].shape[0] : 1;
        c[k] = a[k].rank == 0 ? 1 : a[k].shape[a[k].rank - 1];
    }
    int rank = a[0].rank == 2 || a[1].rank == 2 ? 2
               : a[0].rank || a[1].rank ? 1 : 0;
    size_t sh[2];
    int bs[2] = {1, 1};
    if (rank == 2) { sh[0] = r[0] * r[1]; sh[1] = c[0] * c[1]; }
    else sh[0] = c[0] * c[1];
    int st = fx_new_val(E, n, rank, sh, bs, out);
    if (st) return st;
    size_t cols = c[0] * c[1];
    for (size_t i = 0; i < r[0]; i++)
        for (size_t j = 0; j < c[0]; j++)
            for (size_t k = 0; k < r[1]; k++)
                for (size_t l = 0; l < c[1]; l++)
                    out->v[(i * r[1] + k) * cols + j * c[1] + l] =
                        a[0].v[i * c[0] + j] * a[1].v[k * c[1] + l];
    if (E->P->tape) fx_tape_spoil(E->P->tape, "kron(...), which the tape does "
                                  "not know");
    return GC_OK;
}

/* diag(v): the diagonal matrix of a vector; diag(A): the diagonal of a
 * square matrix. */
static int call_diag(ev *E, const node *n, const val *a, val *out)
{
    char d[96];
    int st;
    if ((st = want_rank(E, n, &a[0], 1, 2, "diag takes a vector (to make "
                        "a diagonal matrix) or a square matrix")))
        return st;
    if (a[0].rank == 2) {
        if (a[0].shape[0] != a[0].shape[1])
            return fx_fail(E->err, n->line, n->col, GC_EINVAL, "diag of "
                           "a matrix needs a square one, found %s",
                           fx_describe(&a[0], d, sizeof d));
        if ((st = fx_new_val(E, n, 1, a[0].shape, a[0].base, out)))
            return st;
        for (size_t i = 0; i < a[0].shape[0]; i++)
            out->v[i] = a[0].v[i * a[0].shape[0] + i];
        if (E->P->tape) fx_tape_op(E->P->tape, TOP_DIAGM, 0, &a[0], NULL,
                                   out, a[0].shape[0], 0, 0);
        return GC_OK;
    }
    size_t sh[2] = {a[0].shape[0], a[0].shape[0]};
    int bs[2] = {a[0].base[0], a[0].base[0]};
    if ((st = fx_new_val(E, n, 2, sh, bs, out))) return st;
    memset(out->v, 0, out->size * sizeof *out->v);
    for (size_t i = 0; i < sh[0]; i++) out->v[i * sh[0] + i] = a[0].v[i];
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_DIAGV, 0, &a[0], NULL, out,
                               sh[0], 0, 0);
    return GC_OK;
}

/* eye(n), ones(n), ones(n, m), zeros(n), zeros(n, m): axes numbered
 * from 1. */
static int call_construct(ev *E, const node *n, const val *a, val *out)
{
    int id = n->op, rank = 1, st;
    size_t sh[2];
    if (E->P->tape) {
        fx_tape_need_const(E->P->tape, &a[0], "a size");
        if (n->n == 2) fx_tape_need_const(E->P->tape, &a[1], "a size");
    }
    if ((st = size_arg(E, n->kid[0], &a[0], &sh[0]))) return st;
    if (id == B_EYE) { sh[1] = sh[0]; rank = 2; }
    else if (n->n == 2) {
        if ((st = size_arg(E, n->kid[1], &a[1], &sh[1]))) return st;
        rank = 2;
    }
    if ((st = fx_new_val(E, n, rank, sh, NULL, out))) return st;
    for (size_t i = 0; i < out->size; i++)
        out->v[i] = id == B_ONES ? 1.0
                  : id == B_ZEROS ? 0.0 : (i % (sh[0] + 1) == 0);
    if (E->P->tape) fx_tape_const(E->P->tape, out);
    return GC_OK;
}

int fx_call(ev *E, const node *n, val *out)
{
    val a[2];
    int st;
    if (n->op == B_IF) return call_if(E, n, out);
    for (int i = 0; i < n->n && i < 2; i++)
        if ((st = fx_eval(E, n->kid[i], &a[i]))) return st;
    int id = n->op;
    if (id < B_N_UNARY) return call_unary(E, n, a, out);
    switch (id) {
    case B_MIN: case B_MAX:
        return n->n == 2 ? call_binary(E, n, a, out)
                         : call_reduce(E, n, a, out);
    case B_LRELU: case B_DLRELU: case B_DELTA: case B_HADAMARD: case B_ELU:
        return call_binary(E, n, a, out);
    case B_CLIP: return call_clip(E, n, a, out);
    case B_SUM: case B_PROD: case B_NORM: case B_DOT: case B_MEAN:
    case B_VAR: case B_LOGSUMEXP:
        return call_reduce(E, n, a, out);
    case B_SOFTMAX: case B_LOGSOFTMAX: return call_softmax(E, n, a, out);
    case B_FLATTEN: return call_flatten(E, n, a, out);
    case B_TRANSPOSE: return call_transpose(E, n, a, out);
    case B_MATMUL: return fx_matmul(E, n, 0, 0, &a[0], &a[1], out);
    case B_OUTER: return call_outer(E, n, a, out);
    case B_KRON: return call_kron(E, n, a, out);
    case B_DIAG: return call_diag(E, n, a, out);
    case B_EYE: case B_ONES: case B_ZEROS:
        return call_construct(E, n, a, out);
    }
    return fx_fail(E->err, n->line, n->col, GC_EINVAL, "internal: builtin "
                   "%d", id);
}
