/* tanh_net_004_q1.c: the three-layer tanh network with bias units and
 * squared error of seed 004_551e535e53da35e5.txt, Question 1.
 *
 * Notation of the homework (layers l = 1, 2, 3; d^(l) units in layer l):
 *   X^(0) = [1; x]                        input with the bias unit x_0 = 1
 *   S^(l) = W^(l)T X^(l-1)                W^(l) is (d^(l-1)+1) x d^(l),
 *                                         rows numbered from 0 (bias row),
 *                                         columns from 1
 *   X^(l) = [1; tanh(S^(l))]  (l < 3),    x^(3) = tanh(S^(3))
 *   e     = (x^(3) - y)^2                 summed over outputs when d^(3) > 1
 * The homework uses d = (1, 2, 1, 1), x = 2, y = 1 and
 *   W^(1) = [0.1 0.2; 0.3 0.4], W^(2) = [0.2; 1; -3], W^(3) = [1; 2].
 *
 * Backward pass as the homework writes it:
 *   delta^(3) = 2(x^(3) - y)(1 - x^(3)^2)
 *   delta^(l) = theta'(s^(l)) (.) [W^(l+1) delta^(l+1)]_1^{d^(l)}
 *               with theta'(s^(l)) = 1 - x^(l) (.) x^(l)
 *   de/dW^(l) = x^(l-1) delta^(l)T
 * "[v]_1^{d}" discards v_0, the bias unit's component.  Read this way the
 * formulas are right: the homework's mistakes in this question are in its
 * arithmetic (delta^(1)_2 = 0.89676 for 0.4224 * 2.115 = 0.893376, and
 * x^(2)_1 written -0.40 in de/dW^(3) where it was -0.90), which the case
 * checks as claims.  So `seed` and `corrected` are the same derivation.
 *
 * Quantities exposed for localisation: s1, x1, s2, x2, s3, x3 (the bias
 * units are not quantities: they are constants).  The derivation claims
 * de/ds^(l) = delta^(l) and de/dx^(l) = [W^(l+1) delta^(l+1)]_1^{d^(l)}.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "../vecmath.h"
#include "nn.h"

#include <gsl/gsl_cblas.h>

enum { D0, D1, D2, D3 };

static const gc_dim dims[] = {
    {"d0", 1, 1, 4096, "inputs d^(0)"},
    {"d1", 2, 1, 4096, "units in layer 1"},
    {"d2", 1, 1, 4096, "units in layer 2"},
    {"d3", 1, 1, 4096, "outputs d^(3)"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t d0 = d[D0], d1 = d[D1], d2 = d[D2], d3 = d[D3];
    st = st ? st : gc_blocks_add(&L->params, "W1", 2, d0 + 1, d1, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "W2", 2, d1 + 1, d2, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "W3", 2, d2 + 1, d3, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 1, d0, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, d3, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s1", 1, d1, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "x1", 1, d1, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s2", 1, d2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "x2", 1, d2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s3", 1, d3, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "x3", 1, d3, 1, 1, 1, 0, 0);
    /* work: X^(0..2) with bias units, S^(1..3), x^(3), two delta vectors */
    size_t dm = d1 > d2 ? d1 : d2;
    dm = dm > d3 ? dm : d3;
    L->work = (d0 + 1) + (d1 + 1) + (d2 + 1) + d1 + d2 + d3 + d3 + 2 * (dm + 1);
    return st;
}

/* Pointers into work for the forward values. */
typedef struct {
    double *X0, *X1, *X2, *S1, *S2, *S3, *x3, *da, *db;
} fwd_view;

static fwd_view view(const gc_problem *p, double *w)
{
    size_t d0 = p->dims[D0], d1 = p->dims[D1], d2 = p->dims[D2];
    size_t d3 = p->dims[D3];
    size_t dm = d1 > d2 ? d1 : d2;
    dm = dm > d3 ? dm : d3;
    fwd_view v;
    v.X0 = w; w += d0 + 1;
    v.X1 = w; w += d1 + 1;
    v.X2 = w; w += d2 + 1;
    v.S1 = w; w += d1;
    v.S2 = w; w += d2;
    v.S3 = w; w += d3;
    v.x3 = w; w += d3;
    v.da = w; w += dm + 1;
    v.db = w;
    return v;
}

/* One layer: S = W^T X (with taps on S), X_next = [1; tanh(S)] (taps on the
 * tanh outputs).  qs, qx are the quantity offsets of s^(l), x^(l); q may be
 * NULL.  `bias` says whether X_next gets a bias unit. */
static void layer(const double *W, size_t n_in, size_t n_out, const double *X,
                  double *S, double *Xn, int bias, const gc_tap *tap,
                  size_t qs, size_t qx, double *q)
{
    for (size_t j = 0; j < n_out; j++) {
        double s = 0;
        for (size_t i = 0; i < n_in + 1; i++) s += W[i * n_out + j] * X[i];
        S[j] = gc_tapped(tap, qs + j, s);
    }
    if (bias) Xn[0] = 1.0;
    for (size_t j = 0; j < n_out; j++) {
        double x = gc_tapped(tap, qx + j, tanh(S[j]));
        Xn[j + (bias ? 1 : 0)] = x;
        if (q) { q[qs + j] = S[j]; q[qx + j] = x; }
    }
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t d0 = p->dims[D0], d1 = p->dims[D1], d2 = p->dims[D2];
    size_t d3 = p->dims[D3];
    const gc_block *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(p, work);

    v.X0[0] = 1.0;
    memcpy(v.X0 + 1, x, d0 * sizeof *x);
    layer(th + L->params.block[0].offset, d0, d1, v.X0, v.S1, v.X1, 1, tap,
          Q[0].offset, Q[1].offset, q);
    layer(th + L->params.block[1].offset, d1, d2, v.X1, v.S2, v.X2, 1, tap,
          Q[2].offset, Q[3].offset, q);
    layer(th + L->params.block[2].offset, d2, d3, v.X2, v.S3, v.x3, 0, tap,
          Q[4].offset, Q[5].offset, q);
    double e = 0;
    for (size_t j = 0; j < d3; j++) e += (v.x3[j] - y[j]) * (v.x3[j] - y[j]);
    return e;
}

/* delta_prev_j = (1 - x_j^2) [W delta]_j for j = 1..n (bias row 0 dropped);
 * also records de/dx = [W delta]_1^n and de/ds = delta_prev in dq. */
static void back_layer(const double *W, size_t n, size_t m, const double *X,
                       const double *delta, double *delta_prev, double *dq,
                       size_t qs, size_t qx)
{
    for (size_t j = 1; j <= n; j++) {
        double s = 0;
        for (size_t k = 0; k < m; k++) s += W[j * m + k] * delta[k];
        delta_prev[j - 1] = (1 - X[j] * X[j]) * s;
        if (dq) { dq[qx + j - 1] = s; dq[qs + j - 1] = delta_prev[j - 1]; }
    }
}

/* The homework's backward pass; fills grad (may be NULL) and dq (may be
 * NULL). */
static int backprop(const gc_problem *p, const double *th, double *grad,
                    double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t d0 = p->dims[D0], d1 = p->dims[D1], d2 = p->dims[D2];
    size_t d3 = p->dims[D3];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *y = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);

    /* delta^(3) = 2 (x^(3) - y)(1 - x^(3)^2) */
    double *d3v = v.da;
    for (size_t j = 0; j < d3; j++) {
        d3v[j] = 2 * (v.x3[j] - y[j]) * (1 - v.x3[j] * v.x3[j]);
        if (dq) { dq[Q[5].offset + j] = 2 * (v.x3[j] - y[j]);
                  dq[Q[4].offset + j] = d3v[j]; }
    }
    double *d2v = v.db;
    back_layer(th + P[2].offset, d2, d3, v.X2, d3v, d2v, dq,
               Q[2].offset, Q[3].offset);
    double *d1v = v.da;   /* reuses delta^(3)'s space: de/dW^(3) comes first */
    if (grad) {
        /* de/dW^(3) = x^(2) delta^(3)T, before delta^(3) is overwritten */
        memset(grad + P[2].offset, 0, P[2].size * sizeof *grad);
        nn_outer_add(grad + P[2].offset, d2 + 1, d3, v.X2, d3v);
    }
    back_layer(th + P[1].offset, d1, d2, v.X1, d2v, d1v, dq,
               Q[0].offset, Q[1].offset);
    if (grad) {
        memset(grad + P[1].offset, 0, P[1].size * sizeof *grad);
        nn_outer_add(grad + P[1].offset, d1 + 1, d2, v.X1, d2v);
        memset(grad + P[0].offset, 0, P[0].size * sizeof *grad);
        nn_outer_add(grad + P[0].offset, d0 + 1, d1, v.X0, d1v);
    }
    return GC_OK;
}

static int gradient(const gc_problem *p, const double *th, double *grad,
                    double *work)
{
    return backprop(p, th, grad, NULL, work);
}

static int quantity_grads(const gc_problem *p, const double *th, double *dq,
                          double *work)
{
    return backprop(p, th, NULL, dq, work);
}

/* Batched forward passes (gc_model_type.forward_batch): m copies of theta,
 * copy i with parameter entry k_i set to x_i = theta_{k_i} + d_i.  The
 * unperturbed pass is computed once, as forward() computes it.  A change d
 * of W^(l)_{r,c} changes only S^(l)_c, by d X^(l-1)_r, hence only
 * X^(l)_{c+1} (the +1 skips the bias unit), by D = tanh(S^(l)_c + d
 * X^(l-1)_r) - X^(l)_{c+1}; the next layer then changes by the rank-one
 * term S^(l+1) += D W^(l+1)_{c+1,.}.  So
 *   W^(3): S^(3)_c += d X^(2)_r                       (one entry)
 *   W^(2): S^(3) += D W^(3)_{c+1,.}                   (rank one)
 *   W^(1): S^(2) += D W^(2)_{c+1,.}, X^(2) = [1; tanh(S^(2))] per copy,
 *          and S^(3) = W^(3)T X^(2) for all those copies at once: one
 *          matrix product with the shared W^(3) (cblas_dgemm).
 * The loss is then summed as forward() sums it.  The perturbed sums are
 * forward()'s with their terms in another order, so the losses agree with
 * forward()'s to a few ulps. */
static size_t batch_work(const gc_problem *p, size_t m)
{
    size_t d0 = p->dims[D0], d1 = p->dims[D1], d2 = p->dims[D2];
    size_t d3 = p->dims[D3];
    /* forward()'s values; per copy X^(2) (d2 + 1) and S^(3) (d3); for
     * forward_batch_tap one copy's S^(l) and X^(l) */
    return p->layout.work + m * (d2 + 1 + d3) + (d0 + d1 + d2 + d3) +
           2 * (d1 + d2 + d3) + 3;
}

static int forward_batch(const gc_problem *p, const double *th,
                         const size_t *kk, const double *xx, size_t m,
                         double *loss, double *work)
{
    const gc_layout *L = &p->layout;
    size_t d1 = p->dims[D1], d2 = p->dims[D2], d3 = p->dims[D3];
    const gc_block *P = L->params.block;
    const double *W2 = th + P[1].offset, *W3 = th + P[2].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);
    double *X2m = work + L->work;            /* m x (d2 + 1) */
    double *S3m = X2m + m * (d2 + 1);        /* m x d3 */
    size_t n1 = 0;                           /* copies changing W^(1) */

    /* Copies changing W^(1) first get their X^(2) rows (in order, at the
     * front); the others get S^(3) directly. */
    for (size_t i = 0; i < m; i++) {
        size_t k = kk[i];
        double d = xx[i] - th[k];
        if (k < P[1].offset) {               /* W^(1)_{r,c} */
            size_t r = (k - P[0].offset) / d1, c = (k - P[0].offset) % d1;
            double D = tanh(v.S1[c] + d * v.X0[r]) - v.X1[c + 1];
            double *X2 = X2m + n1++ * (d2 + 1);
            X2[0] = 1.0;
            for (size_t j = 0; j < d2; j++)
                X2[j + 1] = v.S2[j] + D * W2[(c + 1) * d2 + j];
            gc_vtanh(X2 + 1, d2);
        }
    }
    if (n1)   /* S^(3) = X^(2) W^(3) for those copies: (n1 x d2+1)(d2+1 x d3) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n1,
                    (int)d3, (int)(d2 + 1), 1.0, X2m, (int)(d2 + 1), W3,
                    (int)d3, 0.0, S3m, (int)d3);
    size_t i1 = 0;
    for (size_t i = 0; i < m; i++) {
        size_t k = kk[i];
        double d = xx[i] - th[k];
        double *S3 = S3m + (k < P[1].offset ? i1++ : n1) * d3;
        if (k < P[1].offset) {
            /* done above */
        } else if (k < P[2].offset) {        /* W^(2)_{r,c} */
            size_t r = (k - P[1].offset) / d2, c = (k - P[1].offset) % d2;
            double D = tanh(v.S2[c] + d * v.X1[r]) - v.X2[c + 1];
            for (size_t j = 0; j < d3; j++)
                S3[j] = v.S3[j] + D * W3[(c + 1) * d3 + j];
        } else {                             /* W^(3)_{r,c} */
            size_t r = (k - P[2].offset) / d3, c = (k - P[2].offset) % d3;
            memcpy(S3, v.S3, d3 * sizeof *S3);
            S3[c] += d * v.X2[r];
        }
        double e = 0;
        for (size_t j = 0; j < d3; j++) {
            double x3 = tanh(S3[j]);
            e += (x3 - y[j]) * (x3 - y[j]);
        }
        loss[i] = e;
    }
    return GC_OK;
}

/* Batched forward passes with taps (gc_model_type.forward_batch_tap):
 * copy i is forward(p, theta, &taps[i]).  A tap on s^(l) or x^(l) leaves
 * the layers before l as they are: the unperturbed pass is run once
 * (forward(), into work), and each copy takes its layer l from it with the
 * tapped unit recomputed (S^(l)_j + delta, tanh, + delta on x^(l)_j), then
 * runs the layers after l through layer(), forward()'s own code.  So each
 * loss is forward()'s with that tap to the bit. */
static int forward_batch_tap(const gc_problem *p, const double *th,
                             const gc_tap *taps, size_t m, double *loss,
                             double *work)
{
    const gc_layout *L = &p->layout;
    size_t d[4] = {p->dims[D0], p->dims[D1], p->dims[D2], p->dims[D3]};
    const gc_block *Q = L->quantities.block;
    const double *y = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(p, work);
    forward(p, th, NULL, NULL, work);
    const double *W[3] = {th + L->params.block[0].offset,
                          th + L->params.block[1].offset,
                          th + L->params.block[2].offset};
    const double *Sb[3] = {v.S1, v.S2, v.S3};
    const double *Xb[3] = {v.X1, v.X2, v.x3};
    /* one copy's layers: S^(l) and X^(l) with its bias unit, l = 1..3 */
    double *S[3], *X[3];
    double *w = work + L->work;
    for (int l = 0; l < 3; l++) {
        S[l] = w;
        w += d[l + 1];
        X[l] = w;
        w += d[l + 1] + 1;
    }
    for (size_t i = 0; i < m; i++) {
        size_t j = taps[i].index;
        if (j >= L->quantities.n) return GC_EINVAL;
        int l = (int)(gc_blocks_of(&L->quantities, j) - Q) / 2;  /* layer */
        int bias = l < 2;
        memcpy(S[l], Sb[l], d[l + 1] * sizeof *S[l]);
        memcpy(X[l], Xb[l], (d[l + 1] + bias) * sizeof *X[l]);
        size_t u = (j - Q[2 * l].offset) % d[l + 1];   /* the unit */
        S[l][u] = gc_tapped(&taps[i], Q[2 * l].offset + u, S[l][u]);
        X[l][u + bias] = gc_tapped(&taps[i], Q[2 * l + 1].offset + u,
                                   tanh(S[l][u]));
        for (int k = l + 1; k < 3; k++)
            layer(W[k], d[k], d[k + 1], X[k - 1], S[k], X[k], k < 2, NULL,
                  Q[2 * k].offset, Q[2 * k + 1].offset, NULL);
        double e = 0;
        for (size_t o = 0; o < d[3]; o++)
            e += (X[2][o] - y[o]) * (X[2][o] - y[o]);
        loss[i] = e;
    }
    return GC_OK;
}

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "delta^(L) = theta'(s) (.) [W^(L+1) delta^(L+1)]_1^d, "
               "de/dW^(L) = x^(L-1) delta^(L)T, as written in Question 1",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "the same back-propagation: the seed's formulas are right "
               "(its slips are in the arithmetic, checked as claims)",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_tanh_net_004_q1 = {
    .name = "tanh_net_004_q1",
    .title = "three-layer tanh network with bias units, squared error",
    .source = "004_551e535e53da35e5.txt, Question 1",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
    .forward_batch = forward_batch,
    .forward_batch_tap = forward_batch_tap,
    .batch_work = batch_work,
};
