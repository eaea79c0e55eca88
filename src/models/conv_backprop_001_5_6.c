/* conv_backprop_001_5_6.c: back-propagation of the error term delta through
 * a convolutional layer, seed 001_d60de9d6fdeee42c.txt, "2.5 Problem 5.6"
 * (Qiu Xipeng, "Neural Networks and Deep Learning", exercise 5-6: prove the
 * back-propagation formula (5.39) of a convolutional layer's error term).
 *
 * What the homework writes (l is the layer, D the input channels, (.) the
 * elementwise product, (x) convolution, (x)~ wide convolution):
 *   Z^(l+1) = sum_{d=1}^D W_d^(l+1) (x) X_d^(l)
 *   delta^(l) = f_l'(Z^(l)) (.) sum_{d=1}^D ( rot180(W_d^(l+1)) (x)~ delta^(l+1) )
 *   "we have" delta^(l) = sum_{d=1}^D ( rot180(W_d^(l+1)) (x)~ delta^(l+1) )
 *                       = sum_{d=1}^D ( (W_d^(l+1))^T (x)~ delta^(l+1) ).
 * The OCR is clean apart from "bar-otimes" for (x)~ (wide convolution) and
 * "delta^(i)" on the last line, read as delta^(l).  The last line drops
 * f_l'(Z^(l)) and writes rot180(W) as the transpose W^T.
 *
 * The model (concretely l = 1; one output map, as the homework's Z^(l+1)
 * has no output-map index):
 *   Z^(1)_d = W^(1)_d (x) X^(0) + b^(1)_d      d = 1..D, X^(0) one input map
 *   X^(1)_d = f_1(Z^(1)_d) = tanh(Z^(1)_d)
 *   Z^(2)   = sum_d W^(2)_d (x) X^(1)_d          (no bias, as written)
 *   L       = 1/2 ||Z^(2) - Y||^2,   so delta^(2) = dL/dZ^(2) = Z^(2) - Y.
 * Z^(1)_d, X^(1)_d are M x N, kernels W^(1)_d, W^(2)_d are U x V, X^(0) is
 * (M+U-1) x (N+V-1), Z^(2) and Y are (M-U+1) x (N-V+1).  Every index is
 * numbered from 1, as in the book.
 *
 * Convention (dim `flip`).  The book defines convolution with a flipped
 * kernel, y_ij = sum_uv w_uv x_{i-u+1,j-v+1} (the seed's own Problem 5.1
 * uses that), then says that CNNs in practice use cross-correlation,
 * y_ij = sum_uv w_uv x_{i+u-1,j+v-1}, and writes (x) for it from then on;
 * (5.39) is derived for that.  flip = 0 (default): (x) is cross-correlation;
 * flip = 1: (x) is true convolution (valid part, output index shifted to
 * start at 1).  Either way the wide (x)~ is the same operation on the input
 * zero-padded by U-1 rows and V-1 columns on each side: W (x)~ X = W (x) X~.
 * The adjoint of "valid correlation with K" is "full convolution with K",
 * i.e. full correlation with rot180(K); so in BOTH conventions
 * dL/dX = rot180(W) (x)~ delta as long as (x)~ is the wide form of the
 * forward (x).  The rot180 line is therefore not convention-dependent;
 * W^T in its place is wrong in both (rot180(W) = W^T only when W is
 * persymmetric; for 2 x 2 kernels that is w11 = w22).
 * The kernel gradient "dL/dW = delta (x) X" ((5.36), delta as the kernel)
 * holds for cross-correlation; for true convolution it becomes
 * dL/dW = rot180(delta (*) X) with (*) cross-correlation.  The homework
 * writes no kernel gradient; every derivation here builds dL/dW^(2)_d from
 * delta^(2) and dL/dW^(1)_d, dL/db^(1)_d from ITS delta^(1) with the formula
 * right for the convention, so the seed's parameter errors are inherited
 * from its delta^(1) only.
 *
 * W^T is V x U, and W^T (x)~ delta^(2) is M x N only when U = V: the seed
 * (last line) returns GC_ESHAPE for non-square kernels.
 *
 * The homework's sum over d.  The book's (5.39) is, per input channel d,
 *   delta^(l,d) = f_l'(Z^(l,d)) (.) sum_{p=1}^P rot180(W^(l+1,p,d)) (x)~ delta^(l+1,p)
 * summing over the OUTPUT maps p.  The homework sums over the input
 * channels d instead and writes delta^(l) without a channel index: read
 * literally, one map sum_d rot180(W_d) (x)~ delta^(l+1) is claimed for every
 * channel, which is wrong whenever D > 1.  Derivations:
 *   seed          the last line as written: delta^(1)_d = sum_{d'} W^(2)_{d'}^T
 *                 (x)~ delta^(2) for every d (f' dropped, W^T, sum over d).
 *   seed_rot180   the first line as written: delta^(1)_d = f'(Z^(1)_d) (.)
 *                 sum_{d'} rot180(W^(2)_{d'}) (x)~ delta^(2) (sum over d).
 *   seed_rot180_d the first line with its sum read as the book's: channel d
 *                 gets its own kernel's term only (P = 1 output map):
 *                 delta^(1)_d = f'(Z^(1)_d) (.) rot180(W^(2)_d) (x)~ delta^(2).
 *   corrected     the chain rule index by index (a scatter through the
 *                 forward sums, no wide convolution), independent of the
 *                 formulas above.
 *
 * Quantities (forward order): Z1 = Z^(1) (D x M x N), X1 = X^(1), Z2 = Z^(2).
 * All derivations claim dL/dZ2 = delta^(2) = Z^(2) - Y and dL/dZ1 =
 * delta^(1); the rot180 ones and corrected also claim dL/dX1, the factor
 * f' multiplies (seed's last line has no such factor, so it claims none).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_D, D_M, D_N, D_U, D_V, D_FLIP };

static const gc_dim dims[] = {
    {"D", 2, 1, 64, "channels of Z^(1), X^(1) (kernels W^(2)_d)"},
    {"M", 4, 1, 256, "rows of Z^(1)_d"},
    {"N", 4, 1, 256, "columns of Z^(1)_d"},
    {"U", 3, 1, 64, "kernel rows (both layers)"},
    {"V", 3, 1, 64, "kernel columns (both layers)"},
    {"flip", 0, 0, 1, "0: (x) is cross-correlation (the book's CNN (x)); "
                      "1: true convolution with a flipped kernel"},
    {NULL, 0, 0, 0, NULL}
};

enum { P_W1, P_B1, P_W2 };
enum { I_X0, I_Y };
enum { Q_Z1, Q_X1, Q_Z2 };

static int layout(const long *d, gc_layout *L)
{
    size_t D = d[D_D], M = d[D_M], N = d[D_N], U = d[D_U], V = d[D_V];
    if (U > M || V > N) return GC_ESHAPE;
    size_t P = M - U + 1, Qn = N - V + 1;
    size_t M0 = M + U - 1, N0 = N + V - 1;
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "W1", 3, D, U, V, 1, 1, 1);
    st = st ? st : gc_blocks_add(&L->params, "b1", 1, D, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "W2", 3, D, U, V, 1, 1, 1);
    st = st ? st : gc_blocks_add(&L->inputs, "X0", 2, M0, N0, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "Y", 2, P, Qn, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "Z1", 3, D, M, N, 1, 1, 1);
    st = st ? st : gc_blocks_add(&L->quantities, "X1", 3, D, M, N, 1, 1, 1);
    st = st ? st : gc_blocks_add(&L->quantities, "Z2", 2, P, Qn, 1, 1, 1, 0);
    /* forward: Z1, X1 (D M N each), Z2 (P Q); backward: delta2 (P Q), the
     * summed map S (M N), dX1, delta1 (D M N each), a kernel (U V, or V U
     * transposed), a kernel-gradient scratch (U V) */
    L->work = 4 * D * M * N + 2 * P * Qn + M * N + 2 * U * V;
    return st;
}

typedef struct {
    double *Z1, *X1, *Z2, *d2, *S, *dX1, *d1, *K, *G;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t D = p->dims[D_D], M = p->dims[D_M], N = p->dims[D_N];
    size_t U = p->dims[D_U], V = p->dims[D_V];
    size_t P = M - U + 1, Qn = N - V + 1;
    view_t v;
    v.Z1 = w;  w += D * M * N;
    v.X1 = w;  w += D * M * N;
    v.Z2 = w;  w += P * Qn;
    v.d2 = w;  w += P * Qn;
    v.S = w;   w += M * N;
    v.dX1 = w; w += D * M * N;
    v.d1 = w;  w += D * M * N;
    v.K = w;   w += U * V;
    v.G = w;
    return v;
}

/* out (om x on) += K (x) X in the chosen convention, on X (xm x xn) padded
 * by pm rows and pn columns of zeros on each side (pm = pn = 0: valid,
 * pm = ku-1, pn = kv-1: wide).  0-based:
 *   flip = 0: out_ij += sum_uv K_uv X_{i+u-pm, j+v-pn}
 *   flip = 1: the same with K_{ku-1-u, kv-1-v} (true convolution). */
static void conv_acc(const double *K, size_t ku, size_t kv, int flip,
                     const double *X, size_t xm, size_t xn, size_t pm,
                     size_t pn, double *out, size_t om, size_t on)
{
    for (size_t i = 0; i < om; i++)
        for (size_t j = 0; j < on; j++) {
            double s = 0;
            for (size_t u = 0; u < ku; u++) {
                long r = (long)(i + u) - (long)pm;
                if (r < 0 || r >= (long)xm) continue;
                for (size_t w = 0; w < kv; w++) {
                    long c = (long)(j + w) - (long)pn;
                    if (c < 0 || c >= (long)xn) continue;
                    double k = flip ? K[(ku - 1 - u) * kv + (kv - 1 - w)]
                                    : K[u * kv + w];
                    s += k * X[r * xn + c];
                }
            }
            out[i * on + j] += s;
        }
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t D = p->dims[D_D], M = p->dims[D_M], N = p->dims[D_N];
    size_t U = p->dims[D_U], V = p->dims[D_V];
    int flip = (int)p->dims[D_FLIP];
    size_t P = M - U + 1, Qn = N - V + 1, M0 = M + U - 1, N0 = N + V - 1;
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *W1 = th + B[P_W1].offset, *b1 = th + B[P_B1].offset;
    const double *W2 = th + B[P_W2].offset;
    const double *X0 = p->inputs + L->inputs.block[I_X0].offset;
    const double *Y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    size_t mn = M * N;

    /* Z^(1)_d = W^(1)_d (x) X^(0) + b^(1)_d;  X^(1)_d = tanh(Z^(1)_d) */
    for (size_t d = 0; d < D; d++) {
        double *z = v.Z1 + d * mn;
        for (size_t k = 0; k < mn; k++) z[k] = b1[d];
        conv_acc(W1 + d * U * V, U, V, flip, X0, M0, N0, 0, 0, z, M, N);
        for (size_t k = 0; k < mn; k++) {
            size_t qi = Q[Q_Z1].offset + d * mn + k;
            z[k] = gc_tapped(tap, qi, z[k]);
            if (q) q[qi] = z[k];
        }
    }
    for (size_t k = 0; k < D * mn; k++) {
        size_t qi = Q[Q_X1].offset + k;
        v.X1[k] = gc_tapped(tap, qi, tanh(v.Z1[k]));
        if (q) q[qi] = v.X1[k];
    }
    /* Z^(2) = sum_d W^(2)_d (x) X^(1)_d */
    memset(v.Z2, 0, P * Qn * sizeof *v.Z2);
    for (size_t d = 0; d < D; d++)
        conv_acc(W2 + d * U * V, U, V, flip, v.X1 + d * mn, M, N, 0, 0,
                 v.Z2, P, Qn);
    double Ls = 0;
    for (size_t k = 0; k < P * Qn; k++) {
        size_t qi = Q[Q_Z2].offset + k;
        v.Z2[k] = gc_tapped(tap, qi, v.Z2[k]);
        if (q) q[qi] = v.Z2[k];
        double e = v.Z2[k] - Y[k];
        Ls += e * e;
    }
    return 0.5 * Ls;
}

/* Kernel gradient from an error map dl (om x on) and the layer's input X
 * (xm x xn) into G (ku x kv), overwritten:
 *   flip = 0: G = dl (x) X (the book's (5.36), dl as the kernel);
 *   flip = 1: G = rot180(dl (*) X), (*) cross-correlation. */
static void kernel_grad(const double *dl, size_t om, size_t on,
                        const double *X, size_t xm, size_t xn, int flip,
                        double *G, size_t ku, size_t kv)
{
    (void)xm;
    for (size_t u = 0; u < ku; u++)
        for (size_t w = 0; w < kv; w++) {
            double s = 0;
            for (size_t i = 0; i < om; i++)
                for (size_t j = 0; j < on; j++)
                    s += dl[i * on + j] * X[(i + u) * xn + (j + w)];
            if (flip) G[(ku - 1 - u) * kv + (kv - 1 - w)] = s;
            else G[u * kv + w] = s;
        }
}

/* What the homework's lines give for delta^(1), by wide convolution. */
enum form { SEED_T, SEED_ROT180, SEED_ROT180_D };

static int formula_backprop(const gc_problem *p, const double *th,
                            enum form form, double *grad, double *dq,
                            double *work)
{
    const gc_layout *L = &p->layout;
    size_t D = p->dims[D_D], M = p->dims[D_M], N = p->dims[D_N];
    size_t U = p->dims[D_U], V = p->dims[D_V];
    int flip = (int)p->dims[D_FLIP];
    size_t P = M - U + 1, Qn = N - V + 1, M0 = M + U - 1, N0 = N + V - 1;
    /* W^T (x)~ delta^(2) is (P + V - 1) x (Q + U - 1): M x N only if U = V */
    if (form == SEED_T && U != V) return GC_ESHAPE;
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *W2 = th + B[P_W2].offset;
    const double *X0 = p->inputs + L->inputs.block[I_X0].offset;
    const double *Y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    size_t mn = M * N, uv = U * V;
    forward(p, th, NULL, NULL, work);

    /* delta^(2) = Z^(2) - Y */
    for (size_t k = 0; k < P * Qn; k++) v.d2[k] = v.Z2[k] - Y[k];

    /* dX1[d]: the map the line convolves out for channel d */
    memset(v.dX1, 0, D * mn * sizeof *v.dX1);
    memset(v.S, 0, mn * sizeof *v.S);
    for (size_t d = 0; d < D; d++) {
        const double *Wd = W2 + d * uv;
        size_t ku = U, kv = V;
        if (form == SEED_T) {           /* (W_d)^T: V x U */
            for (size_t u = 0; u < U; u++)
                for (size_t w = 0; w < V; w++) v.K[w * U + u] = Wd[u * V + w];
            ku = V; kv = U;
        } else {                        /* rot180(W_d): U x V */
            for (size_t k = 0; k < uv; k++) v.K[k] = Wd[uv - 1 - k];
        }
        double *out = form == SEED_ROT180_D ? v.dX1 + d * mn : v.S;
        conv_acc(v.K, ku, kv, flip, v.d2, P, Qn, ku - 1, kv - 1, out, M, N);
    }
    if (form != SEED_ROT180_D)          /* sum over d, same map for each d */
        for (size_t d = 0; d < D; d++)
            memcpy(v.dX1 + d * mn, v.S, mn * sizeof *v.S);
    /* delta^(1) */
    for (size_t k = 0; k < D * mn; k++)
        v.d1[k] = form == SEED_T ? v.dX1[k]       /* f' dropped */
                                 : (1 - v.X1[k] * v.X1[k]) * v.dX1[k];

    if (dq) {
        memcpy(dq + Q[Q_Z2].offset, v.d2, P * Qn * sizeof *dq);
        memcpy(dq + Q[Q_Z1].offset, v.d1, D * mn * sizeof *dq);
        if (form != SEED_T)
            memcpy(dq + Q[Q_X1].offset, v.dX1, D * mn * sizeof *dq);
    }
    if (grad) {
        for (size_t d = 0; d < D; d++) {
            kernel_grad(v.d2, P, Qn, v.X1 + d * mn, M, N, flip,
                        grad + B[P_W2].offset + d * uv, U, V);
            kernel_grad(v.d1 + d * mn, M, N, X0, M0, N0, flip,
                        grad + B[P_W1].offset + d * uv, U, V);
            double s = 0;
            for (size_t k = 0; k < mn; k++) s += v.d1[d * mn + k];
            grad[B[P_B1].offset + d] = s;
        }
    }
    return GC_OK;
}

/* The chain rule entry by entry: every term k * x of a forward sum sends
 * its output's error to k (times x) and to x (times k). */
static void scatter(const double *K, size_t ku, size_t kv, int flip,
                    const double *X, size_t xn, const double *dl, size_t om,
                    size_t on, double *dK, double *dX)
{
    for (size_t i = 0; i < om; i++)
        for (size_t j = 0; j < on; j++)
            for (size_t u = 0; u < ku; u++)
                for (size_t w = 0; w < kv; w++) {
                    size_t kk = flip ? (ku - 1 - u) * kv + (kv - 1 - w)
                                     : u * kv + w;
                    size_t xx = (i + u) * xn + (j + w);
                    double e = dl[i * on + j];
                    dK[kk] += e * X[xx];
                    if (dX) dX[xx] += e * K[kk];
                }
}

static int corrected_backprop(const gc_problem *p, const double *th,
                              double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t D = p->dims[D_D], M = p->dims[D_M], N = p->dims[D_N];
    size_t U = p->dims[D_U], V = p->dims[D_V];
    int flip = (int)p->dims[D_FLIP];
    size_t P = M - U + 1, Qn = N - V + 1, N0 = N + V - 1;
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *W1 = th + B[P_W1].offset, *W2 = th + B[P_W2].offset;
    const double *X0 = p->inputs + L->inputs.block[I_X0].offset;
    const double *Y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    size_t mn = M * N, uv = U * V;
    forward(p, th, NULL, NULL, work);

    for (size_t k = 0; k < P * Qn; k++) v.d2[k] = v.Z2[k] - Y[k];
    memset(v.dX1, 0, D * mn * sizeof *v.dX1);
    for (size_t d = 0; d < D; d++) {
        memset(v.G, 0, uv * sizeof *v.G);
        scatter(W2 + d * uv, U, V, flip, v.X1 + d * mn, N, v.d2, P, Qn, v.G,
                v.dX1 + d * mn);
        if (grad) memcpy(grad + B[P_W2].offset + d * uv, v.G,
                         uv * sizeof *v.G);
    }
    for (size_t k = 0; k < D * mn; k++)
        v.d1[k] = v.dX1[k] * (1 - v.X1[k] * v.X1[k]);
    if (grad)
        for (size_t d = 0; d < D; d++) {
            memset(v.G, 0, uv * sizeof *v.G);
            scatter(W1 + d * uv, U, V, flip, X0, N0, v.d1 + d * mn, M, N,
                    v.G, NULL);
            memcpy(grad + B[P_W1].offset + d * uv, v.G, uv * sizeof *v.G);
            double s = 0;
            for (size_t k = 0; k < mn; k++) s += v.d1[d * mn + k];
            grad[B[P_B1].offset + d] = s;
        }
    if (dq) {
        memcpy(dq + Q[Q_Z2].offset, v.d2, P * Qn * sizeof *dq);
        memcpy(dq + Q[Q_X1].offset, v.dX1, D * mn * sizeof *dq);
        memcpy(dq + Q[Q_Z1].offset, v.d1, D * mn * sizeof *dq);
    }
    return GC_OK;
}

#define WRAP(name, form)                                                     \
    static int name##_gradient(const gc_problem *p, const double *th,        \
                               double *grad, double *work)                   \
    {                                                                        \
        return formula_backprop(p, th, form, grad, NULL, work);              \
    }                                                                        \
    static int name##_quantity_grads(const gc_problem *p, const double *th,  \
                                     double *dq, double *work)               \
    {                                                                        \
        return formula_backprop(p, th, form, NULL, dq, work);                \
    }
WRAP(seed, SEED_T)
WRAP(seed_rot180, SEED_ROT180)
WRAP(seed_rot180_d, SEED_ROT180_D)
#undef WRAP

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return corrected_backprop(p, th, grad, NULL, work);
}

static int corrected_quantity_grads(const gc_problem *p, const double *th,
                                    double *dq, double *work)
{
    return corrected_backprop(p, th, NULL, dq, work);
}

static const char *const deltas_only[] = {"Z1", "Z2", NULL};
static const char *const all_quantities[] = {"Z1", "X1", "Z2", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "Problem 5.6's last line: delta^(l) = sum_d (W_d^(l+1))^T (x)~ "
               "delta^(l+1) (W^T for rot180(W), f' dropped, sum over input "
               "channels); needs U = V",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers_quantities = deltas_only,
};

static const gc_derivation_type seed_rot180 = {
    .name = "seed_rot180",
    .summary = "Problem 5.6's first line as written: delta^(l) = f'(Z^(l)) (.) "
               "sum_d rot180(W_d^(l+1)) (x)~ delta^(l+1), one map summed over "
               "the input channels d",
    .gradient = seed_rot180_gradient,
    .quantity_grads = seed_rot180_quantity_grads,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type seed_rot180_d = {
    .name = "seed_rot180_d",
    .summary = "the first line with the book's sum (over output maps, here "
               "one): delta^(l)_d = f'(Z^(l)_d) (.) rot180(W_d^(l+1)) (x)~ "
               "delta^(l+1)",
    .gradient = seed_rot180_d_gradient,
    .quantity_grads = seed_rot180_d_quantity_grads,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "chain rule entry by entry through both convolutions (no wide "
               "convolution), tanh' = 1 - X^2",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type *const derivations[] = {
    &seed, &seed_rot180, &seed_rot180_d, &corrected, NULL};

const gc_model_type gc_model_conv_backprop_001_5_6 = {
    .name = "conv_backprop_001_5_6",
    .title = "two convolutional layers (tanh), squared error: delta^(l) "
             "through a convolution",
    .source = "001_d60de9d6fdeee42c.txt, Problem 5.6",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
