/* values.c: arithmetic on values under the limits: fresh values, entry by
 * entry operations with scalars broadcast, the matrix product. */
#include "fx/fx_impl.h"

#include <gsl/gsl_cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

int fx_no_memory(ev *E, const node *at)
{
    if (E->P->scratch.over || E->P->point.over)
        return fx_fail(E->err, at->line, at->col, GC_ELIMIT, "the values of "
                       "this formula need more than %zu MiB "
                       "(GC_FX_MAX_MEMORY)", (size_t)GC_FX_MAX_MEMORY >> 20);
    return fx_fail(E->err, at->line, at->col, GC_ENOMEM, "out of memory");
}

int fx_charge(ev *E, const node *at, double ops)
{
    E->work += ops;
    if (E->work > GC_FX_MAX_WORK)
        return fx_fail(E->err, at->line, at->col, GC_ELIMIT, "needs more than "
                       "%.0f operations at one point (GC_FX_MAX_WORK)",
                       GC_FX_MAX_WORK);
    return GC_OK;
}

/* A fresh value of the given shape in the scratch arena (limits first). */
int fx_new_val(ev *E, const node *at, int rank, const size_t *shape,
               const int *base, val *out)
{
    size_t size = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] && size > GC_FX_MAX_TENSOR / shape[i]) {
            size = GC_FX_MAX_TENSOR + 1;
            break;
        }
        size *= shape[i];
    }
    if (size > GC_FX_MAX_TENSOR) {
        char d[96];
        val tmp = {.rank = rank};
        for (int i = 0; i < rank; i++) tmp.shape[i] = shape[i];
        return fx_fail(E->err, at->line, at->col, GC_ELIMIT, "%s has more "
                       "than %zu entries (GC_FX_MAX_TENSOR)",
                       fx_describe(&tmp, d, sizeof d),
                       (size_t)GC_FX_MAX_TENSOR);
    }
    int st = fx_charge(E, at, (double)size);
    if (st) return st;
    memset(out, 0, sizeof *out);
    out->rank = rank;
    for (int i = 0; i < rank; i++) {
        out->shape[i] = shape[i];
        out->base[i] = base ? base[i] : 1;
    }
    out->size = size;
    out->v = fx_arena_alloc(&E->P->scratch, size * sizeof(double));
    if (!out->v) return fx_no_memory(E, at);
    return GC_OK;
}

int fx_same_shape(const val *a, const val *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* A whole number that can index: rank 0, finite, integral. */
int fx_as_index(ev *E, const node *at, const val *v, long *out)
{
    char d[96];
    if (v->rank != 0)
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "an index must "
                       "be one whole number, found %s",
                       fx_describe(v, d, sizeof d));
    double x = v->v[0];
    if (!isfinite(x) || x != floor(x))
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "an index must "
                       "be a whole number, found %.17g", x);
    if (fabs(x) > 1e9)
        return fx_fail(E->err, at->line, at->col, GC_EINVAL, "an index must "
                       "be a whole number from -1000000000 to 1000000000, "
                       "found %.17g", x);
    *out = (long)x;
    return GC_OK;
}

static double apply2(int op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return pow(a, b);
    case '<': return a < b;
    case '>': return a > b;
    case OP_LE: return a <= b;
    case OP_GE: return a >= b;
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_AND: return a != 0 && b != 0;
    case OP_OR: return a != 0 || b != 0;
    case 'm': return fmin(a, b);
    case 'M': return fmax(a, b);
    case 'l': return a > 0 ? a : b * a;    /* lrelu(x, alpha) */
    case 'L': return a > 0 ? 1.0 : b;      /* dlrelu(x, alpha), x = 0 left */
    case 'e': return a > 0 ? a : b * expm1(a);   /* elu(x, alpha) */
    default: return NAN;
    }
}

static const char *verb(int op)
{
    switch (op) {
    case '+': return "add";
    case '-': return "subtract";
    case '*': return "multiply entry by entry";
    case '/': return "divide entry by entry";
    case '^': return "raise entry by entry";
    case 'm': case 'M': return "take min/max of";
    case 'l': case 'L': return "apply lrelu to";
    case 'e': return "apply elu to";
    default: return "compare";
    }
}

/* v, a vector as long as m's last axis, stacked once per row of m (every
 * axis but the last) into a value of m's shape: a bias added to each row
 * of a batch, X @ W + b, as NumPy and PyTorch broadcast.  On a tape the
 * rows are copies of v (fx_tape_stack). */
static int broadcast_rows(ev *E, const node *at, const val *v, const val *m,
                          val *out)
{
    int st = fx_new_val(E, at, m->rank, m->shape, m->base, out);
    if (st) return st;
    size_t len = v->size, rows = len ? m->size / len : 0;
    for (size_t r = 0; r < rows; r++)
        memcpy(out->v + r * len, v->v, len * sizeof *v->v);
    fx_tape *T = E->P->tape;
    if (!T) return GC_OK;
    if (!v->tid) { fx_tape_spoil(T, "a value the tape does not know"); return GC_OK; }
    int *tid = fx_arena_alloc(&E->P->scratch, (rows ? rows : 1) * sizeof *tid);
    size_t *off = fx_arena_alloc(&E->P->scratch, (rows ? rows : 1) *
                                 sizeof *off);
    if (!tid || !off) return fx_no_memory(E, at);
    for (size_t r = 0; r < rows; r++) {
        tid[r] = v->tid;
        off[r] = v->toff;
    }
    fx_tape_stack(T, tid, off, rows, out);
    return GC_OK;
}

/* A vector on one side whose length is the other side's last axis (the
 * other of 2 axes or more) is applied to each row. */
static int rows_of(const val *m, const val *v)
{
    return m->rank >= 2 && v->rank == 1 &&
           v->shape[0] == m->shape[m->rank - 1] &&
           v->base[0] == m->base[m->rank - 1];
}

/* a op b entry by entry; a scalar on either side applies to every entry,
 * and for + and - a vector as long as a matrix's rows to each row (a bias;
 * W * x for W @ x stays an error).  dst may be a itself when a is a
 * temporary of the result's shape. */
int fx_binary(ev *E, const node *at, long ol, long oc, int op,
              const val *a, const val *b, val *out, int in_place)
{
    char da[96], db[96];
    if ((op == '+' || op == '-') && (rows_of(a, b) || rows_of(b, a))) {
        val wide;
        int st = rows_of(a, b) ? broadcast_rows(E, at, b, a, &wide)
                               : broadcast_rows(E, at, a, b, &wide);
        if (st) return st;
        return rows_of(a, b) ? fx_binary(E, at, ol, oc, op, a, &wide, out,
                                         in_place)
                             : fx_binary(E, at, ol, oc, op, &wide, b, out, 1);
    }
    if (a->rank && b->rank && !fx_same_shape(a, b))
        return fx_fail(E->err, ol ? ol : at->line, ol ? oc : at->col,
                       GC_EINVAL, "cannot %s %s and %s (shapes must match, or "
                       "one side be a scalar%s)", verb(op),
                       fx_describe(a, da, sizeof da),
                       fx_describe(b, db, sizeof db),
                       (op == '*' || op == '/') && (rows_of(a, b) ||
                                                   rows_of(b, a))
                       ? "; only + and - apply a vector to each row: A @ "
                         "diag(v) multiplies A's columns by v, and a per-row "
                         "definition Y[n] = g * X[n] is a batch's scaling; "
                         "A @ B is the matrix product"
                       : op == '*' ? "; matmul(A, B) or A @ B is the matrix "
                                   "product, outer(a, b) the outer product"
                       : op == '+' || op == '-' ? "; a vector as long as a "
                                   "matrix's rows is added to each row"
                                 : "");
    const val *shape = a->rank ? a : b;
    val r;
    int st;
    if (in_place && a->rank == shape->rank) {
        r = *a;
        if ((st = fx_charge(E, at, (double)r.size))) return st;
    } else if ((st = fx_new_val(E, at, shape->rank, shape->shape, shape->base,
                                &r)))
        return st;
    fx_binary_kernel(op, a->v, !a->rank, b->v, !b->rank, r.v, r.size);
    if (E->P->watch && !E->P->watch_hit)
        fx_watch_binary(E->P, ol ? ol : at->line, ol ? oc : at->col, op, a,
                        b, &r);
    if (E->P->tape) fx_tape_op(E->P->tape, TOP_BIN, op, a, b, &r, 0, 0, 0);
    *out = r;
    return GC_OK;
}

void fx_binary_kernel(int op, const double *x, int x_scalar,
                      const double *y, int y_scalar, double *z, size_t n)
{
    /* the arithmetic of a forward pass, one loop each; the rest through
     * apply2 */
    if (!x_scalar && !y_scalar && (op == '+' || op == '-' || op == '*')) {
        if (op == '+') for (size_t i = 0; i < n; i++) z[i] = x[i] + y[i];
        else if (op == '-') for (size_t i = 0; i < n; i++) z[i] = x[i] - y[i];
        else for (size_t i = 0; i < n; i++) z[i] = x[i] * y[i];
    } else if (y_scalar && (op == '+' || op == '-' || op == '*')) {
        double c = y[0];
        if (op == '+') for (size_t i = 0; i < n; i++) z[i] = x[i] + c;
        else if (op == '-') for (size_t i = 0; i < n; i++) z[i] = x[i] - c;
        else for (size_t i = 0; i < n; i++) z[i] = x[i] * c;
    } else if (x_scalar && (op == '+' || op == '-' || op == '*')) {
        double c = x[0];
        if (op == '+') for (size_t i = 0; i < n; i++) z[i] = c + y[i];
        else if (op == '-') for (size_t i = 0; i < n; i++) z[i] = c - y[i];
        else for (size_t i = 0; i < n; i++) z[i] = c * y[i];
    } else {
        for (size_t i = 0; i < n; i++)
            z[i] = apply2(op, x[x_scalar ? 0 : i], y[y_scalar ? 0 : i]);
    }
}

int fx_scalar_val(ev *E, const node *at, double x, val *out)
{
    int st = fx_new_val(E, at, 0, NULL, NULL, out);
    if (!st) out->v[0] = x;
    return st;
}

int fx_matmul(ev *E, const node *at, long ol, long oc, const val *a,
              const val *b, val *out)
{
    char da[96], db[96];
    long l = ol ? ol : at->line, c = ol ? oc : at->col;
    if (a->rank == 0 || b->rank == 0 || a->rank > 2 || b->rank > 2)
        return fx_fail(E->err, l, c, GC_EINVAL, "the matrix product needs "
                       "vectors or matrices, found %s and %s (use * with a "
                       "scalar)", fx_describe(a, da, sizeof da),
                       fx_describe(b, db, sizeof db));
    /* a vector is a row on the left and a column on the right */
    size_t n = a->rank == 2 ? a->shape[0] : 1;
    size_t k = a->rank == 2 ? a->shape[1] : a->shape[0];
    size_t k2 = b->shape[0];
    size_t m = b->rank == 2 ? b->shape[1] : 1;
    if (k != k2)
        return fx_fail(E->err, l, c, GC_EINVAL, "cannot multiply %s by %s: "
                       "%zu columns against %zu rows",
                       fx_describe(a, da, sizeof da),
                       fx_describe(b, db, sizeof db), k, k2);
    size_t shape[2];
    int base[2], rank = 0;
    if (a->rank == 2) { shape[rank] = n; base[rank++] = a->base[0]; }
    if (b->rank == 2) { shape[rank] = m; base[rank++] = b->base[1]; }
    int st = fx_new_val(E, at, rank, shape, base, out);
    if (st) return st;
    if ((st = fx_charge(E, at, (double)(n * m * k)))) return st;
    fx_matmul_kernel(a->v, b->v, n, k, m, out->v);
    if (E->P->tape)
        fx_tape_op(E->P->tape, TOP_MATMUL, 0, a, b, out, n, k, m);
    return GC_OK;
}

void fx_matmul_kernel(const double *a, const double *b, size_t n, size_t k,
                      size_t m, double *out)
{
    if (n * m * k >= 512 && n <= INT_MAX && m <= INT_MAX && k <= INT_MAX) {
        /* BLAS (OpenBLAS where installed): a network's W @ h in its
         * forward pass is most of the pass's time */
        if (m == 1)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0,
                        a, (int)k, b, 1, 0.0, out, 1);
        else if (n == 1)
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)k, (int)m, 1.0,
                        b, (int)m, a, 1, 0.0, out, 1);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n,
                        (int)m, (int)k, 1.0, a, (int)k, b, (int)m,
                        0.0, out, (int)m);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double s = 0;
            for (size_t q = 0; q < k; q++)
                s += a[i * k + q] * b[q * m + j];
            out[i * m + j] = s;
        }
}
