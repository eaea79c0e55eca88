/* two_layer_002_1_1.c: the two-layer network of seed 002_5474bae4585ee247.txt
 * (NYU Deep Learning HW1, "1.1 Two-Layer Neural Nets"), in three variants,
 * one model each:
 *
 *   relu3_reg_002_1_1_1       1.1.1 regression:   f = 3 ReLU, g = identity,
 *                             C = ||y~ - y||^2
 *   tanh_sig_mse_002_1_1_2a   1.1.2 (a):          f = tanh, g = sigmoid,
 *                             the same squared error C
 *   tanh_sig_bce_002_1_1_2b   1.1.2 (b):          f = tanh, g = sigmoid,
 *                             C = -(1/K) sum_k [y_k log y~_k
 *                                               + (1 - y_k) log(1 - y~_k)]
 *
 * The network, in the homework's notation (one sample x):
 *   s1 = W^(1) x + b^(1),  a1 = f(s1),  s2 = W^(2) a1 + b^(2),  y~ = g(s2)
 * x has n entries, s1 and a1 have d, s2, y~ and y have K; W^(1) is d x n,
 * W^(2) is K x d.  Entries are numbered from 1 (the homework's a^1_11 ...).
 * Blocks: W1, b1, W2, b2 (parameters), x, y (inputs), s1, a1, s2, y_tilde
 * (quantities).
 *
 * C has no 1/2: the homework's dC/dy~ = (2 y~ - 2 y)^T is the derivative of
 * ||y~ - y||^2.  For (b) the homework writes no C; its dC/dy~ =
 * -(1/K)(y/y~ - (1-y)/(1-y~)) is that of the binary cross-entropy averaged
 * over the K outputs, which we take as C.
 *
 * The homework's backward pass (1.1.1 (c), reused by 1.1.2 "(c) we don't
 * need to change any thing"), Jacobians in numerator layout, dC/dy~ a row:
 *   dC/dW^(2) = dC/dy~ dy~/ds2 a1
 *   dC/db^(2) = dC/dy~ dy~/ds2
 *   dC/dW^(1) = dC/dy~ dy~/ds2 W^(2) da1/ds1 x
 *   dC/db^(1) = dC/dy~ dy~/ds2 W^(2) da1/ds1
 * A row vector times a column (a1, x) is read as the outer product with
 * the shape of W: dC/dW^(2)[k][i] = r_k a1_i with r = dC/dy~ dy~/ds2, and
 * dC/dW^(1)[j][m] = u_j x_m with u = r W^(2) da1/ds1.
 *
 * (d), the Jacobians as written:
 *   1.1.1  da1/ds1 = the matrix of entries "da^1_ij/ds^1_ij", each
 *          "3 if s^1_ij > 0, 0 if s^1_ij < 0" (the OCR's "a^1_ij = {3 ...}"
 *          is the value of that derivative, not of a^1);
 *          dy~/ds2 = the matrix of all ones;
 *          dC/dy~  = (2 y~ - 2 y)^T.
 *   1.1.2  da1/ds1 = the matrix of entries 1 - tanh^2(s^1_ij);
 *          dy~/ds2 = the matrix of entries sigma(s^2_ij)(1 - sigma(s^2_ij));
 *          dC/dy~ unchanged for (a) (the OCR's "dC/d eta~" is dC/dy~);
 *          for (b) dC/dy~ = -(1/K)(y/y~ - (1-y)/(1-y~)): the OCR lost the
 *          minus sign between the two fractions ("(y/y~  (1-y)/(1-y~))"),
 *          read as a minus, the only sign that gives a derivative of the
 *          cross-entropy.
 * Diagonal or full?  The homework writes every one of these as a full
 * matrix: no entry is zero, and for the identity g it writes all ones where
 * the Jacobian is the identity matrix.  That all-ones matrix is unambiguous
 * and shows the reading behind the others: every entry of the "Jacobian" of
 * an elementwise function filled with the elementwise derivative.  So
 * `seed` takes them as full matrices.  x is one sample, so s1 is a vector
 * and "s_ij" has one index too many; we fill column j with the derivative
 * at the variable that column differentiates by:
 *   da1/ds1 [i][j] = f'(s1_j),  dy~/ds2 [k][l] = g'(s2_l)
 * (the transposed choice, f'(s1_i) along row i, is off the diagonal just as
 * much).  A generous grader could read the entries as the diagonal of the
 * Jacobian with the zeros left out; `seed_diag` implements that reading
 * (da1/ds1 = diag f'(s1), and dy~/ds2 = diag g'(s2) for 1.1.2 -- but the
 * all-ones dy~/ds2 of 1.1.1 stays all ones, it has no diagonal reading).
 * Under it 1.1.2 (a) and (b) are right and 1.1.1 is still wrong.
 *
 * What is wrong, and where it shows:
 *   1.1.1 seed:      dy~/ds2 all ones (is I) gives every entry of dC/ds2
 *                    the sum over k of 2(y~_k - y_k); da1/ds1 full (is
 *                    diag(3 [s1 > 0])) mixes the hidden units.
 *   1.1.2 seed:      da1/ds1 and dy~/ds2 full (are diagonal).
 * With K >= 2 and d >= 2 both show.  dC/dy~ is right in all three.
 *
 * Quantities for localisation: the derivations claim dC/dy~ = dC/dy~,
 * dC/ds2 = r, dC/da1 = r W^(2), dC/ds1 = r W^(2) da1/ds1 (what the chain
 * implies), so the report names s2 as the first wrong quantity of the seed.
 * Jacobians stated: dy~/ds2 (y_tilde by s2) and da1/ds1 (a1 by s1).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_N, D_D, D_K };

static const gc_dim dims[] = {
    {"n", 3, 1, 4096, "inputs (entries of x)"},
    {"d", 4, 1, 4096, "hidden units (entries of s1, a1)"},
    {"K", 3, 1, 4096, "outputs (entries of s2, y~, y)"},
    {NULL, 0, 0, 0, NULL}
};

enum { P_W1, P_B1, P_W2, P_B2 };
enum { I_X, I_Y };
enum { Q_S1, Q_A1, Q_S2, Q_YT };

/* Which network a model is. */
typedef struct {
    int relu3;   /* f = 3 ReLU (else tanh); g = identity (else sigmoid) */
    int bce;     /* C = mean binary cross-entropy (else squared error) */
} variant;

static const variant V_REG = {1, 0}, V_MSE = {0, 0}, V_BCE = {0, 1};

extern const gc_model_type gc_model_relu3_reg_002_1_1_1;
extern const gc_model_type gc_model_tanh_sig_mse_002_1_1_2a;
extern const gc_model_type gc_model_tanh_sig_bce_002_1_1_2b;

static const variant *var_of(const gc_problem *p)
{
    if (p->model == &gc_model_relu3_reg_002_1_1_1) return &V_REG;
    if (p->model == &gc_model_tanh_sig_mse_002_1_1_2a) return &V_MSE;
    return &V_BCE;
}

static int layout(const long *dm, gc_layout *L)
{
    int st = 0;
    size_t n = dm[D_N], d = dm[D_D], K = dm[D_K];
    st = st ? st : gc_blocks_add(&L->params, "W1", 2, d, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "b1", 1, d, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "W2", 2, K, d, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "b2", 1, K, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, K, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s1", 1, d, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "a1", 1, d, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s2", 1, K, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "y_tilde", 1, K, 1, 1, 1,
                                 0, 0);
    /* work: s1, a1, s2, y~ | dC/dy~, r, v, u | M (d x d), N (K x K) */
    L->work = 2 * d + 2 * K + 2 * K + 2 * d + d * d + K * K;
    return st;
}

typedef struct {
    double *s1, *a1, *s2, *yt, *gy, *r, *v, *u, *M, *N;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t d = p->dims[D_D], K = p->dims[D_K];
    view_t v;
    v.s1 = w; w += d;
    v.a1 = w; w += d;
    v.s2 = w; w += K;
    v.yt = w; w += K;
    v.gy = w; w += K;
    v.r = w;  w += K;
    v.v = w;  w += d;
    v.u = w;  w += d;
    v.M = w;  w += d * d;
    v.N = w;
    return v;
}

/* f and f', g and g' (f'(0) of 3 ReLU taken as 0: the homework gives only
 * s > 0 and s < 0). */
static double act_f(const variant *V, double s)
{
    return V->relu3 ? 3 * nn_relu(s) : tanh(s);
}
static double act_df(const variant *V, double s)
{
    if (V->relu3) return s > 0 ? 3.0 : 0.0;
    double t = tanh(s);
    return 1 - t * t;
}
static double act_g(const variant *V, double s)
{
    return V->relu3 ? s : nn_sigmoid(s);
}
static double act_dg(const variant *V, double s)
{
    if (V->relu3) return 1.0;
    double sg = nn_sigmoid(s);
    return sg * (1 - sg);
}

static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    const variant *V = var_of(p);
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_N], d = p->dims[D_D], K = p->dims[D_K];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *W1 = th + P[P_W1].offset, *b1 = th + P[P_B1].offset;
    const double *W2 = th + P[P_W2].offset, *b2 = th + P[P_B2].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);

    for (size_t i = 0; i < d; i++) {
        double s = b1[i];
        for (size_t m = 0; m < n; m++) s += W1[i * n + m] * x[m];
        v.s1[i] = gc_tapped(tap, Q[Q_S1].offset + i, s);
        if (q) q[Q[Q_S1].offset + i] = v.s1[i];
    }
    for (size_t i = 0; i < d; i++) {
        v.a1[i] = gc_tapped(tap, Q[Q_A1].offset + i, act_f(V, v.s1[i]));
        if (q) q[Q[Q_A1].offset + i] = v.a1[i];
    }
    for (size_t k = 0; k < K; k++) {
        double s = b2[k];
        for (size_t i = 0; i < d; i++) s += W2[k * d + i] * v.a1[i];
        v.s2[k] = gc_tapped(tap, Q[Q_S2].offset + k, s);
        if (q) q[Q[Q_S2].offset + k] = v.s2[k];
    }
    for (size_t k = 0; k < K; k++) {
        v.yt[k] = gc_tapped(tap, Q[Q_YT].offset + k, act_g(V, v.s2[k]));
        if (q) q[Q[Q_YT].offset + k] = v.yt[k];
    }
    double C = 0;
    if (V->bce) {
        for (size_t k = 0; k < K; k++)
            C -= y[k] * log(v.yt[k]) + (1 - y[k]) * log(1 - v.yt[k]);
        C /= (double)K;
    } else {
        for (size_t k = 0; k < K; k++)
            C += (v.yt[k] - y[k]) * (v.yt[k] - y[k]);
    }
    return C;
}

/* How a derivation reads the Jacobians of (d). */
typedef enum {
    R_SEED,        /* as written: full matrices (all ones for identity g) */
    R_SEED_DIAG,   /* written entries on the diagonal; all ones stays */
    R_CORRECTED    /* diag f'(s1), diag g'(s2) */
} reading;

/* M = da1/ds1 (d x d) and N = dy~/ds2 (K x K) at the forward values in v. */
static void jacobians(const gc_problem *p, reading rd, view_t *v)
{
    const variant *V = var_of(p);
    size_t d = p->dims[D_D], K = p->dims[D_K];
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            v->M[i * d + j] = (rd == R_SEED || i == j)
                              ? act_df(V, v->s1[j]) : 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < K; l++) {
            double e;
            if (rd == R_CORRECTED) e = k == l ? act_dg(V, v->s2[l]) : 0.0;
            else if (V->relu3) e = 1.0;          /* all ones, as written */
            else if (rd == R_SEED) e = act_dg(V, v->s2[l]);
            else e = k == l ? act_dg(V, v->s2[l]) : 0.0;
            v->N[k * K + l] = e;
        }
}

/* The chain of 1.1.1 (c) with the Jacobians of `rd`; grad and dq may be
 * NULL. */
static int backprop(const gc_problem *p, const double *th, reading rd,
                    double *grad, double *dq, double *work)
{
    const variant *V = var_of(p);
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_N], d = p->dims[D_D], K = p->dims[D_K];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *W2 = th + P[P_W2].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    jacobians(p, rd, &v);

    /* dC/dy~ (a row) */
    for (size_t k = 0; k < K; k++)
        v.gy[k] = V->bce
            ? -(1.0 / (double)K) * (y[k] / v.yt[k]
                                    - (1 - y[k]) / (1 - v.yt[k]))
            : 2 * v.yt[k] - 2 * y[k];
    /* r = dC/dy~ dy~/ds2 */
    for (size_t l = 0; l < K; l++) {
        double s = 0;
        for (size_t k = 0; k < K; k++) s += v.gy[k] * v.N[k * K + l];
        v.r[l] = s;
    }
    /* v = r W^(2), u = v da1/ds1 */
    memset(v.v, 0, d * sizeof *v.v);
    nn_matvec_t_add(W2, K, d, v.r, v.v);
    for (size_t j = 0; j < d; j++) {
        double s = 0;
        for (size_t i = 0; i < d; i++) s += v.v[i] * v.M[i * d + j];
        v.u[j] = s;
    }
    if (grad) {
        memset(grad, 0, L->params.n * sizeof *grad);
        nn_outer_add(grad + P[P_W2].offset, K, d, v.r, v.a1);
        memcpy(grad + P[P_B2].offset, v.r, K * sizeof *grad);
        nn_outer_add(grad + P[P_W1].offset, d, n, v.u, x);
        memcpy(grad + P[P_B1].offset, v.u, d * sizeof *grad);
    }
    if (dq) {
        memcpy(dq + Q[Q_YT].offset, v.gy, K * sizeof *dq);
        memcpy(dq + Q[Q_S2].offset, v.r, K * sizeof *dq);
        memcpy(dq + Q[Q_A1].offset, v.v, d * sizeof *dq);
        memcpy(dq + Q[Q_S1].offset, v.u, d * sizeof *dq);
    }
    return GC_OK;
}

/* J (d x d) = da1/ds1 or J (K x K) = dy~/ds2 under reading rd. */
static int fill(const gc_problem *p, const double *th, reading rd, int of_y,
                double *J, double *work)
{
    size_t d = p->dims[D_D], K = p->dims[D_K];
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    jacobians(p, rd, &v);
    if (of_y) memcpy(J, v.N, K * K * sizeof *J);
    else memcpy(J, v.M, d * d * sizeof *J);
    return GC_OK;
}

#define READING_FNS(tag, rd)                                                 \
    static int tag##_gradient(const gc_problem *p, const double *th,         \
                              double *g, double *w)                          \
    { return backprop(p, th, rd, g, NULL, w); }                              \
    static int tag##_qgrads(const gc_problem *p, const double *th,           \
                            double *dq, double *w)                           \
    { return backprop(p, th, rd, NULL, dq, w); }                             \
    static int tag##_dyds2(const gc_problem *p, const double *th, double *J, \
                           double *w)                                        \
    { return fill(p, th, rd, 1, J, w); }                                     \
    static int tag##_da1ds1(const gc_problem *p, const double *th,           \
                            double *J, double *w)                            \
    { return fill(p, th, rd, 0, J, w); }                                     \
    static const gc_jacobian tag##_jac[] = {                                 \
        {"y_tilde", "s2", tag##_dyds2},                                      \
        {"a1", "s1", tag##_da1ds1},                                          \
        {NULL, NULL, NULL}};

READING_FNS(seed, R_SEED)
READING_FNS(seed_diag, R_SEED_DIAG)
READING_FNS(corr, R_CORRECTED)

static const gc_derivation_type seed_reg = {
    .name = "seed",
    .summary = "1.1.1 (c)+(d) as written: dy~/ds2 = all ones, da1/ds1 full "
               "matrix of 3/0 entries, dC/dy~ = (2y~ - 2y)^T",
    .gradient = seed_gradient,
    .quantity_grads = seed_qgrads,
    .jacobians = seed_jac,
};

static const gc_derivation_type seed_diag_reg = {
    .name = "seed_diag",
    .summary = "1.1.1 with da1/ds1 read as diag(3 [s1 > 0]); dy~/ds2 still "
               "all ones as written",
    .gradient = seed_diag_gradient,
    .quantity_grads = seed_diag_qgrads,
    .jacobians = seed_diag_jac,
};

static const gc_derivation_type seed_cls = {
    .name = "seed",
    .summary = "1.1.2 (d) as written: da1/ds1 = full matrix of 1 - tanh^2, "
               "dy~/ds2 = full matrix of sigma(1 - sigma)",
    .gradient = seed_gradient,
    .quantity_grads = seed_qgrads,
    .jacobians = seed_jac,
};

static const gc_derivation_type seed_diag_cls = {
    .name = "seed_diag",
    .summary = "1.1.2 (d) with the written entries read as the diagonals: "
               "diag(1 - tanh^2(s1)), diag(sigma'(s2))",
    .gradient = seed_diag_gradient,
    .quantity_grads = seed_diag_qgrads,
    .jacobians = seed_diag_jac,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "da1/ds1 = diag f'(s1), dy~/ds2 = diag g'(s2) (identity for "
               "g = identity)",
    .gradient = corr_gradient,
    .quantity_grads = corr_qgrads,
    .jacobians = corr_jac,
};

static const gc_derivation_type *const derivations_reg[] = {
    &seed_reg, &seed_diag_reg, &corrected, NULL};
static const gc_derivation_type *const derivations_cls[] = {
    &seed_cls, &seed_diag_cls, &corrected, NULL};

const gc_model_type gc_model_relu3_reg_002_1_1_1 = {
    .name = "relu3_reg_002_1_1_1",
    .title = "two-layer net, f = 3 ReLU, g = identity, C = ||y~ - y||^2",
    .source = "002_5474bae4585ee247.txt, 1.1.1 Regression Task",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations_reg,
};

const gc_model_type gc_model_tanh_sig_mse_002_1_1_2a = {
    .name = "tanh_sig_mse_002_1_1_2a",
    .title = "two-layer net, f = tanh, g = sigmoid, C = ||y~ - y||^2",
    .source = "002_5474bae4585ee247.txt, 1.1.2 Classification Task (a)",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations_cls,
};

const gc_model_type gc_model_tanh_sig_bce_002_1_1_2b = {
    .name = "tanh_sig_bce_002_1_1_2b",
    .title = "two-layer net, f = tanh, g = sigmoid, C = mean binary "
             "cross-entropy",
    .source = "002_5474bae4585ee247.txt, 1.1.2 Classification Task (b)",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations_cls,
};
