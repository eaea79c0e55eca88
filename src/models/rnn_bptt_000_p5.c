/* rnn_bptt_000_p5.c: back-propagation through time for a tanh RNN with a
 * softmax output and cross-entropy loss, seed 000_be569bac7671ce6e.txt,
 * Problem 5 ("RNN: BPTT").
 *
 * Notation of the homework (time steps t = 0, 1, ...; vector components are
 * written with superscripts o_t^(1) .. o_t^(K), h_t^(1) .. h_t^(m), so the
 * rows and columns of U, W, V and the components of every vector are
 * numbered from 1, time from 0):
 *   s_t = U x_t + W h_{t-1},  h_{-1} = 0     U is m x n_in, W is m x m
 *   h_t = tanh(s_t)
 *   z_t = V h_t                              V is K x m
 *   o^_t = softmax(z_t)                      the prediction ("\hat{o}_t")
 *   E_t = -sum_i o_t^(i) log o^_t^(i)        o_t is the target distribution
 *   E   = sum_t E_t
 * The homework writes its sums as sum_{t=0}^{T}; here the dim T counts the
 * time steps, so t runs 0 .. T-1 (inputs x and o have T rows).  The loss is
 * computed as E_t = sum_i o_t^(i) (lse(z_t) - z_t^(i)) with log-sum-exp.
 *
 * The homework's derivation (`seed`), delta_k^(t) = dE_t/ds_k:
 *   (5.5)  dE_t/dz_t = o^_t - o_t
 *   (5.7)  dE/dV = sum_t (o^_t - o_t) h_t^T
 *   (5.16) delta_t^(t) = (V^T (o^_t - o_t)) (.) (1 - h_t (.) h_t)
 *          delta_k^(t) = (U^T delta_{k+1}^(t)) (.) (1 - h_k (.) h_k), k < t
 *   (5.19) dE/dW = sum_t sum_{k=0}^{t} delta_k^(t) h_{k-1}^T
 *   (5.21) dE/dU = sum_t sum_{k=0}^{t} delta_k^(t) x_k^T
 * The recursion's U^T is the homework's error: its own (5.11) says
 * ds_{k+1}/dh_k = W^T, and (5.12) then writes U^T.  It is kept as written.
 * U^T delta is an n_in-vector multiplied entrywise by an m-vector, so the
 * seed is only defined when n_in = m; otherwise it returns GC_ESHAPE.
 * The seed is implemented literally as the double sum over t and k
 * (O(T^2) work), which is what (5.19) and (5.21) say.
 *
 * Quantities exposed for localisation: s, h (T x m) and z (T x K), row t is
 * time step t.  The seed's claimed total derivatives, as its recursion
 * implies them:
 *   dE/dz_t = o^_t - o_t                                     (5.5)
 *   dE/ds_k = sum_{t>=k} delta_k^(t)                         (5.16)
 *   dE/dh_k = V^T (o^_k - o_k) + sum_{t>k} U^T delta_{k+1}^(t)
 * the last read off the chain rule (5.12)/(5.13): the factor that
 * diag(1 - h_k (.) h_k) multiplies is dE_t/dh_k, which is V^T (o^_t - o_t)
 * for k = t and U^T delta_{k+1}^(t) for k < t.  So the seed agrees for z
 * everywhere and for s, h at the last step, and first goes wrong at
 * s_{T-2}, h_{T-2} (walking backwards).
 *
 * `corrected` is the usual BPTT, accumulated over t in one backward sweep:
 *   g_k = (V^T (o^_k - o_k) + W^T g_{k+1}) (.) (1 - h_k (.) h_k),  g_T = 0
 *   dE/dW = sum_k g_k h_{k-1}^T,  dE/dU = sum_k g_k x_k^T,
 *   dE/dV = sum_k (o^_k - o_k) h_k^T,
 *   dE/ds_k = g_k,  dE/dh_k = V^T (o^_k - o_k) + W^T g_{k+1},
 *   dE/dz_k = o^_k - o_k.
 *
 * Garbled text and how it was read:
 *  - the first line of (1) ends "(o^_t^(i) - o^_t^(i)) h_t^(j)", a
 *    difference of a thing with itself: read as (o^_t^(i) - o_t^(i)) h_t^(j),
 *    which is what (5.4), (5.6) and (5.7) say.
 *  - "(y^_t - y_t)" in the line after it and in (5.5) is the same quantity
 *    in another notation: read as (o^_t - o_t).
 *  - in (5.1)-(5.4) the softmax Jacobian and dE_t/do^_t drop the hats
 *    (d o_t^(j)/d z_t^(k), -o_t^(i)/o_t^(i)): read as the prediction o^_t
 *    wherever a softmax output is meant; the result (5.4) is right.
 *  - the class count is written both k and K; read as K (lowercase k is the
 *    time index of the delta recursion).
 *  - the heading "calculate ds_k/dW_{i,i}" is read as ds_k/dW_{ij}, and the
 *    forward pass s_k^(i) = sum_l W_il h_{k-1}^(l) (+ U x_k) is read from
 *    its text, with (5.21) implying the U x_k term.
 *  - delta_k in (5.8)-(5.16) depends on t (delta_k = dE_t/ds_k); written
 *    delta_k^(t) here.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_NIN, D_M, D_K, D_T };

static const gc_dim dims[] = {
    {"n_in", 3, 1, 4096, "input size (entries of x_t)"},
    {"m", 3, 1, 4096, "hidden units (entries of s_t, h_t)"},
    {"K", 3, 1, 4096, "classes (entries of z_t, o_t)"},
    {"T", 4, 1, 1024, "time steps t = 0 .. T-1"},
    {NULL, 0, 0, 0, NULL}
};

/* Block indices, in the order layout() adds them. */
enum { P_U, P_W, P_V };
enum { I_X, I_O };
enum { Q_S, Q_H, Q_Z };

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t n = d[D_NIN], m = d[D_M], K = d[D_K], T = d[D_T];
    st = st ? st : gc_blocks_add(&L->params, "U", 2, m, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "W", 2, m, m, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "V", 2, K, m, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, T, n, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "o", 2, T, K, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s", 2, T, m, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "h", 2, T, m, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "z", 2, T, K, 1, 0, 1, 0);
    /* work: s, h (T x m), z, o^ (T x K); backward scratch e (K), three
     * m-vectors (dh, delta, next) */
    L->work = 2 * T * m + 2 * T * K + K + 3 * m;
    /* s_t, h_t, z_t are computed step by step: time-major forward order */
    gc_blocks_timed(&L->quantities, (const char *const[]){"s", "h", "z", NULL});
    return st;
}

/* Pointers into work. */
typedef struct {
    double *S, *H, *Z, *P, *e, *dh, *dl, *nx;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t m = p->dims[D_M], K = p->dims[D_K], T = p->dims[D_T];
    view_t v;
    v.S = w; w += T * m;
    v.H = w; w += T * m;
    v.Z = w; w += T * K;
    v.P = w; w += T * K;
    v.e = w; w += K;
    v.dh = w; w += m;
    v.dl = w; w += m;
    v.nx = w;
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_NIN], m = p->dims[D_M], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *U = th + P[P_U].offset, *W = th + P[P_W].offset;
    const double *V = th + P[P_V].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *o = p->inputs + L->inputs.block[I_O].offset;
    view_t v = view(p, work);
    double E = 0;

    for (size_t t = 0; t < T; t++) {
        double *s = v.S + t * m, *h = v.H + t * m, *z = v.Z + t * K;
        const double *hp = t > 0 ? v.H + (t - 1) * m : NULL;  /* h_{-1} = 0 */
        /* s_t = U x_t + W h_{t-1} */
        for (size_t i = 0; i < m; i++) {
            double a = 0;
            for (size_t j = 0; j < n; j++) a += U[i * n + j] * x[t * n + j];
            if (hp)
                for (size_t j = 0; j < m; j++) a += W[i * m + j] * hp[j];
            size_t qi = Q[Q_S].offset + t * m + i;
            s[i] = gc_tapped(tap, qi, a);
            if (q) q[qi] = s[i];
        }
        /* h_t = tanh(s_t) */
        for (size_t i = 0; i < m; i++) {
            size_t qi = Q[Q_H].offset + t * m + i;
            h[i] = gc_tapped(tap, qi, tanh(s[i]));
            if (q) q[qi] = h[i];
        }
        /* z_t = V h_t */
        for (size_t i = 0; i < K; i++) {
            double a = 0;
            for (size_t j = 0; j < m; j++) a += V[i * m + j] * h[j];
            size_t qi = Q[Q_Z].offset + t * K + i;
            z[i] = gc_tapped(tap, qi, a);
            if (q) q[qi] = z[i];
        }
        /* o^_t = softmax(z_t); E_t = sum_i o_t^(i) (lse(z_t) - z_t^(i)) */
        nn_softmax(z, K, v.P + t * K);
        double mx = z[0];
        for (size_t i = 1; i < K; i++) if (z[i] > mx) mx = z[i];
        double se = 0;
        for (size_t i = 0; i < K; i++) se += exp(z[i] - mx);
        double lse = mx + log(se);
        for (size_t i = 0; i < K; i++) E += o[t * K + i] * (lse - z[i]);
    }
    return E;
}

/* e = o^_t - o_t (5.5) */
static void output_error(const view_t *v, const double *o, size_t K, size_t t)
{
    for (size_t i = 0; i < K; i++) v->e[i] = v->P[t * K + i] - o[t * K + i];
}

/* The homework's formulas as written: the double sum over t and k of
 * (5.19)/(5.21) with the recursion (5.16), U^T included.  grad and dq may
 * each be NULL. */
static int seed_backprop(const gc_problem *p, const double *th, double *grad,
                         double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_NIN], m = p->dims[D_M], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    /* U^T delta_{k+1} (n_in entries) (.) (1 - h_k (.) h_k) (m entries) is
     * only defined when n_in = m. */
    if (n != m) return GC_ESHAPE;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *U = th + P[P_U].offset, *V = th + P[P_V].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *o = p->inputs + L->inputs.block[I_O].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    if (grad) memset(grad, 0, L->params.n * sizeof *grad);
    if (dq) memset(dq, 0, L->quantities.n * sizeof *dq);
    double *gU = grad ? grad + P[P_U].offset : NULL;
    double *gW = grad ? grad + P[P_W].offset : NULL;
    double *gV = grad ? grad + P[P_V].offset : NULL;

    for (size_t t = 0; t < T; t++) {
        output_error(&v, o, K, t);
        if (dq)
            for (size_t i = 0; i < K; i++)
                dq[Q[Q_Z].offset + t * K + i] = v.e[i];
        /* (5.7) dE/dV += (o^_t - o_t) h_t^T */
        if (gV) nn_outer_add(gV, K, m, v.e, v.H + t * m);
        /* dE_t/dh_t = V^T (o^_t - o_t)  (5.14) */
        memset(v.dh, 0, m * sizeof *v.dh);
        nn_matvec_t_add(V, K, m, v.e, v.dh);
        for (size_t k = t + 1; k-- > 0;) {
            const double *hk = v.H + k * m;
            /* delta_k^(t) = dE_t/dh_k (.) (1 - h_k (.) h_k) */
            for (size_t i = 0; i < m; i++)
                v.dl[i] = v.dh[i] * (1 - hk[i] * hk[i]);
            if (dq)
                for (size_t i = 0; i < m; i++) {
                    dq[Q[Q_H].offset + k * m + i] += v.dh[i];
                    dq[Q[Q_S].offset + k * m + i] += v.dl[i];
                }
            /* (5.19) dE/dW += delta_k^(t) h_{k-1}^T, h_{-1} = 0 */
            if (gW && k > 0) nn_outer_add(gW, m, m, v.dl, hk - m);
            /* (5.21) dE/dU += delta_k^(t) x_k^T */
            if (gU) nn_outer_add(gU, m, n, v.dl, x + k * n);
            /* (5.16) as written: dE_t/dh_{k-1} = U^T delta_k^(t) */
            if (k > 0) {
                memset(v.dh, 0, m * sizeof *v.dh);
                nn_matvec_t_add(U, m, n, v.dl, v.dh);
            }
        }
    }
    return GC_OK;
}

/* Correct BPTT in one backward sweep, g_k = dE/ds_k accumulated over t. */
static int corrected_backprop(const gc_problem *p, const double *th,
                              double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_NIN], m = p->dims[D_M], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *W = th + P[P_W].offset, *V = th + P[P_V].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *o = p->inputs + L->inputs.block[I_O].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    if (grad) memset(grad, 0, L->params.n * sizeof *grad);
    double *gU = grad ? grad + P[P_U].offset : NULL;
    double *gW = grad ? grad + P[P_W].offset : NULL;
    double *gV = grad ? grad + P[P_V].offset : NULL;

    memset(v.nx, 0, m * sizeof *v.nx);          /* g_T = 0 */
    for (size_t k = T; k-- > 0;) {
        const double *hk = v.H + k * m;
        output_error(&v, o, K, k);
        /* dE/dh_k = V^T (o^_k - o_k) + W^T g_{k+1} */
        memset(v.dh, 0, m * sizeof *v.dh);
        nn_matvec_t_add(V, K, m, v.e, v.dh);
        if (k + 1 < T) nn_matvec_t_add(W, m, m, v.nx, v.dh);
        /* g_k = dE/dh_k (.) (1 - h_k (.) h_k) */
        for (size_t i = 0; i < m; i++) v.dl[i] = v.dh[i] * (1 - hk[i] * hk[i]);
        if (dq) {
            for (size_t i = 0; i < K; i++)
                dq[Q[Q_Z].offset + k * K + i] = v.e[i];
            for (size_t i = 0; i < m; i++) {
                dq[Q[Q_H].offset + k * m + i] = v.dh[i];
                dq[Q[Q_S].offset + k * m + i] = v.dl[i];
            }
        }
        if (gV) nn_outer_add(gV, K, m, v.e, hk);
        if (gW && k > 0) nn_outer_add(gW, m, m, v.dl, hk - m);
        if (gU) nn_outer_add(gU, m, n, v.dl, x + k * n);
        memcpy(v.nx, v.dl, m * sizeof *v.nx);
    }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return seed_backprop(p, th, grad, NULL, work);
}

static int seed_quantity_grads(const gc_problem *p, const double *th,
                               double *dq, double *work)
{
    return seed_backprop(p, th, NULL, dq, work);
}

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

static const char *const all_quantities[] = {"s", "h", "z", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "BPTT as written in Problem 5: delta_k = (U^T delta_{k+1}) "
               "(.) (1 - h_k (.) h_k) (5.16), dE/dW, dE/dU by (5.19), (5.21); "
               "needs n_in = m",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers = NULL,                      /* U, W and V all derived */
    .covers_quantities = all_quantities, /* z (5.5); s, h implied by (5.16) */
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "BPTT with W^T in the delta recursion (as (5.11) says), "
               "accumulated over t",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
    .covers = NULL,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_rnn_bptt_000_p5 = {
    .name = "rnn_bptt_000_p5",
    .title = "tanh RNN with softmax output and cross-entropy, BPTT",
    .source = "000_be569bac7671ce6e.txt, Problem 5",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
