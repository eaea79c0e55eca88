/* conv_sigmoid_000_p4.c: a convolution followed by a weighted sigmoid
 * output, of seed 000_be569bac7671ce6e.txt, Problem 4 ("CNN"): dE/dK.
 *
 * The homework does not restate the network; from its chain
 * dE/dK = dE/do . do/dY . dY/dK and its factors (sigma(W (.) Y) - z),
 * sigma'(W (.) Y), [w11 w12 w13 w14], W * X, the model is
 *   Y = X * K                  valid cross-correlation (below)
 *   o = sigma(sum_{i,j} W_ij Y_ij)     ("sigma(W (.) Y)": the homework's
 *                                      W (.) Y is this weighted sum)
 *   E = 1/2 (o - z)^2          dE/do = o - z, with no factor 2, fixes 1/2
 * Shapes (dims n, k): X is n x n, K is k x k, Y and W are m x m with
 * m = n - k + 1; the case uses n = 3, k = 2, so W is 2 x 2 and its four
 * entries are the homework's row [w11 w12 w13 w14] (read as W flattened:
 * the row writes do/dY_ij = sigma'(.) W_ij).  Indices from 1.
 *
 * Convolution convention: "*" is read as the deep-learning convolution,
 * i.e. cross-correlation without flipping, in both places it is written:
 *   (X * K)_ij = sum_{p,q} X_{i+p-1, j+q-1} K_pq          (valid, m x m)
 *   (W * X)_pq = sum_{i,j} W_ij X_{p+i-1, q+j-1}          (valid, k x k)
 * With this reading dY_ij/dK_pq = X_{i+p-1, j+q-1}, so W * X is exactly
 * sum_ij W_ij dY_ij/dK, and the homework's next-to-last line is right.
 * (Read as true, flipped convolution in both places, W * X would need a
 * 180-degree rotation to be right; we do not take that reading.)
 *
 * What (4.1) writes, line by line:
 *   dE/dK = dE/do . do/dY . dY/dK
 *         = (sigma(W (.) Y) - z) . sigma'(W (.) Y) . [w11 w12 w13 w14]   [2]
 *         = (sigma(W (.) Y) - z) . sigma'(W (.) Y) . W * X                [3]
 *         = (sigma(W (.) Y) - z) (1 - sigma(W (.) Y)) . W * X             [4]
 * [2] is dE/dY (the row of W times the scalar factors), not yet dE/dK.
 * [4], the final answer, rewrites sigma' = sigma (1 - sigma) and drops the
 * factor sigma: it is [3] times (1 - o)/sigma'(s) = 1/o.
 *
 * Derivations:
 *   seed        [4], the final line: dE/dK = (o - z)(1 - o) (W * X): wrong
 *               by the factor 1/o.  K only.
 *   seed_line3  [3]: dE/dK = (o - z) sigma'(s) (W * X): right.  K only.
 *   corrected   dE/dK as [3], and dE/dW = (o - z) sigma'(s) Y.
 * Quantities: Y (m x m) and o.  All three claim dE/do = o - z and
 * dE/dY = (o - z) sigma'(s) W, line [2] (the seed's error is in the last
 * rewriting, after every back-propagated quantity is right).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { DN, DK };   /* dims */
enum { K, W };     /* parameter blocks */
enum { QY, QO };   /* quantity blocks */

static const gc_dim dims[] = {
    {"n", 3, 1, 512, "X is n x n"},
    {"k", 2, 1, 512, "K is k x k (k <= n); Y and W are n-k+1 square"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    if (d[DK] > d[DN]) return GC_ESHAPE;
    size_t n = d[DN], k = d[DK], m = n - k + 1;
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "K", 2, k, k, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "W", 2, m, m, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "X", 2, n, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "z", 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "Y", 2, m, m, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "o", 0, 1, 1, 1, 0, 0, 0);
    /* work: Y (m x m), s, o */
    L->work = m * m + 2;
    return st;
}

typedef struct {
    size_t n, k, m;
    double *Y, *s, *o;
} fwd_view;

static fwd_view view(const gc_problem *p, double *w)
{
    fwd_view v;
    v.n = p->dims[DN];
    v.k = p->dims[DK];
    v.m = v.n - v.k + 1;
    v.Y = w;
    v.s = w + v.m * v.m;
    v.o = v.s + 1;
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *Q = L->quantities.block;
    const double *Kp = th + L->params.block[K].offset;
    const double *Wp = th + L->params.block[W].offset;
    const double *X = p->inputs + L->inputs.block[0].offset;
    double z = p->inputs[L->inputs.block[1].offset];
    fwd_view v = view(p, work);

    *v.s = 0;
    for (size_t i = 0; i < v.m; i++)
        for (size_t j = 0; j < v.m; j++) {
            double y = 0;
            for (size_t a = 0; a < v.k; a++)
                for (size_t b = 0; b < v.k; b++)
                    y += X[(i + a) * v.n + (j + b)] * Kp[a * v.k + b];
            size_t e = i * v.m + j;
            v.Y[e] = gc_tapped(tap, Q[QY].offset + e, y);
            if (q) q[Q[QY].offset + e] = v.Y[e];
            *v.s += Wp[e] * v.Y[e];
        }
    *v.o = gc_tapped(tap, Q[QO].offset, nn_sigmoid(*v.s));
    if (q) q[Q[QO].offset] = *v.o;
    return 0.5 * (*v.o - z) * (*v.o - z);
}

/* Batched forward passes (gc_model_type.forward_batch): m copies of theta,
 * copy i with parameter entry k_i set to x_i = theta_{k_i} + d_i.  The
 * pre-activation s = sum_ij W_ij Y_ij is linear in each parameter entry,
 * and a change d of one entry changes it by a rank-one term:
 *   W_ij:  s += d Y_ij
 *   K_pq:  Y += d X_{. + p - 1, . + q - 1}, so s += d (W * X)_pq
 * with (W * X) the k x k valid cross-correlation of W with X, computed once
 * per call (one convolution, the cost of one forward pass).  Then
 * o = sigma(s) and E = 1/2 (o - z)^2 per copy, as in forward().  The sums
 * are forward()'s in another order: the losses agree to a few ulps. */
static size_t batch_work(const gc_problem *p, size_t m)
{
    (void)m;
    size_t k = p->dims[DK], mm = p->dims[DN] - k + 1;
    /* W * X (k x k); forward_batch_tap's running sums (m^2 + 1) */
    return p->layout.work + (k * k > mm * mm + 1 ? k * k : mm * mm + 1);
}

static int forward_batch(const gc_problem *p, const double *th,
                         const size_t *kk, const double *xx, size_t m,
                         double *loss, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block;
    const double *Wp = th + P[W].offset;
    const double *X = p->inputs + L->inputs.block[0].offset;
    double z = p->inputs[L->inputs.block[1].offset];
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);
    double *WX = work + L->work;             /* (W * X)_pq, k x k */
    for (size_t a = 0; a < v.k; a++)
        for (size_t b = 0; b < v.k; b++) {
            double c = 0;
            for (size_t i = 0; i < v.m; i++)
                for (size_t j = 0; j < v.m; j++)
                    c += Wp[i * v.m + j] * X[(a + i) * v.n + (b + j)];
            WX[a * v.k + b] = c;
        }
    for (size_t i = 0; i < m; i++) {
        size_t k = kk[i];
        double d = xx[i] - th[k];
        double s = *v.s + d * (k < P[W].offset ? WX[k - P[K].offset]
                                               : v.Y[k - P[W].offset]);
        double o = nn_sigmoid(s);
        loss[i] = 0.5 * (o - z) * (o - z);
    }
    return GC_OK;
}

/* Batched forward passes with taps (gc_model_type.forward_batch_tap):
 * copy i is forward(p, theta, &taps[i]).  forward() adds s += W_e Y_e in
 * the order e = 0, 1, ...; a tap on Y_e leaves the first e terms as they
 * are, so the unperturbed pass is run once with its running sums P_e kept,
 * and a copy tapping Y_e continues from P_e with W_e (Y_e + delta) and the
 * remaining terms, a tap on o adds delta to sigma(s): the same operations
 * as forward(), so each loss is forward()'s with that tap to the bit. */
static int forward_batch_tap(const gc_problem *p, const double *th,
                             const gc_tap *taps, size_t m, double *loss,
                             double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *Q = L->quantities.block;
    const double *Wp = th + L->params.block[W].offset;
    double z = p->inputs[L->inputs.block[1].offset];
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);
    size_t mm = v.m * v.m;
    double *P = work + L->work;   /* P[e] = W_0 Y_0 + ... + W_{e-1} Y_{e-1} */
    P[0] = 0;
    for (size_t e = 0; e < mm; e++) P[e + 1] = P[e] + Wp[e] * v.Y[e];
    for (size_t i = 0; i < m; i++) {
        size_t j = taps[i].index;
        if (j >= L->quantities.n) return GC_EINVAL;
        double s = P[mm];
        if (j < Q[QY].offset + mm) {
            size_t e = j - Q[QY].offset;
            s = P[e] + Wp[e] * gc_tapped(&taps[i], j, v.Y[e]);
            for (size_t f = e + 1; f < mm; f++) s += Wp[f] * v.Y[f];
        }
        double o = gc_tapped(&taps[i], Q[QO].offset, nn_sigmoid(s));
        loss[i] = 0.5 * (o - z) * (o - z);
    }
    return GC_OK;
}

static double dsigmoid(double u)
{
    return nn_sigmoid(u) * nn_sigmoid(-u);
}

typedef enum { READ_FINAL, READ_LINE3, READ_CORRECT } reading;

/* dE/dK (and dE/dW for corrected) by one reading; grad, dq may be NULL. */
static int grads(reading r, const gc_problem *p, const double *th,
                 double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *Wp = th + P[W].offset;
    const double *X = p->inputs + L->inputs.block[0].offset;
    double z = p->inputs[L->inputs.block[1].offset];
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);
    double o = *v.o;

    /* the scalar in front of W * X */
    double c = r == READ_FINAL ? (o - z) * (1 - o)   /* [4] */
                               : (o - z) * dsigmoid(*v.s);   /* [3] */
    if (dq) {
        double cy = (o - z) * dsigmoid(*v.s);         /* [2] */
        dq[Q[QO].offset] = o - z;
        for (size_t e = 0; e < v.m * v.m; e++)
            dq[Q[QY].offset + e] = cy * Wp[e];
    }
    if (!grad) return GC_OK;
    for (size_t a = 0; a < v.k; a++)
        for (size_t b = 0; b < v.k; b++) {
            double wx = 0;                             /* (W * X)_ab */
            for (size_t i = 0; i < v.m; i++)
                for (size_t j = 0; j < v.m; j++)
                    wx += Wp[i * v.m + j] * X[(a + i) * v.n + (b + j)];
            grad[P[K].offset + a * v.k + b] = c * wx;
        }
    for (size_t e = 0; e < v.m * v.m; e++)
        grad[P[W].offset + e] = r == READ_CORRECT ? c * v.Y[e] : 0;
    return GC_OK;
}

#define READING(fn, r)                                                     \
    static int fn##_gradient(const gc_problem *p, const double *th,         \
                             double *grad, double *work)                    \
    {                                                                       \
        return grads(r, p, th, grad, NULL, work);                           \
    }                                                                       \
    static int fn##_quantity_grads(const gc_problem *p, const double *th,   \
                                   double *dq, double *work)                \
    {                                                                       \
        return grads(r, p, th, NULL, dq, work);                             \
    }

READING(seed, READ_FINAL)
READING(line3, READ_LINE3)
READING(corrected, READ_CORRECT)

static const char *const k_only[] = {"K", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "(4.1) final line: dE/dK = (sigma(W.Y) - z)(1 - sigma(W.Y)) "
               "W * X (the factor sigma of sigma' dropped), K only",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers = k_only,
};

static const gc_derivation_type seed_line3 = {
    .name = "seed_line3",
    .summary = "(4.1) next-to-last line: dE/dK = (sigma(W.Y) - z) "
               "sigma'(W.Y) W * X, K only",
    .gradient = line3_gradient,
    .quantity_grads = line3_quantity_grads,
    .covers = k_only,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "dE/dK = (o - z) sigma'(s) W * X (cross-correlation), "
               "dE/dW = (o - z) sigma'(s) Y",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
};

static const gc_derivation_type *const derivations[] = {
    &seed, &seed_line3, &corrected, NULL
};

const gc_model_type gc_model_conv_sigmoid_000_p4 = {
    .name = "conv_sigmoid_000_p4",
    .title = "convolution, weighted sigmoid output, half squared error: dE/dK",
    .source = "000_be569bac7671ce6e.txt, Problem 4",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
    .forward_batch = forward_batch,
    .forward_batch_tap = forward_batch_tap,
    .batch_work = batch_work,
};
