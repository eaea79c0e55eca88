/* residual_rnn_001_6_3.c: the residual state update
 * h_k = h_{k-1} + g(x_k, h_{k-1}; theta) and its back-propagated error,
 * seed 001_d60de9d6fdeee42c.txt, "3.3 Problem 6.3" (Qiu Xipeng, "Neural
 * Networks and Deep Learning", exercise 6-3: why this update can still make
 * the gradient explode, and a fix).
 *
 * The model (k = 1..T, h_0 = 0).  The homework leaves g abstract; we take
 *   g(x_k, h_{k-1}; theta) = tanh(a_k),  a_k = W x_k + U h_{k-1} + b
 *   h_k = h_{k-1} + g(x_k, h_{k-1}; theta)
 * with W n x n_in, U n x n, b n entries, and a loss on the final state,
 *   L = L_T = 1/2 ||h_T - y||^2          (so t = T below)
 * (the homework names only L_t; one loss at the last step keeps delta_{t,k}
 * = dL_t/dh_k the whole error of h_k).
 *
 * The homework, as written (delta_{t,k} = dL_t/dh_k, the first line makes
 * it the error of the state h_k; Jacobians in the book's layout, so that a
 * Jacobian multiplies the error from the left):
 *   dL_t/dh_{k-1} = dh_k/dh_{k-1} dL_t/dh_k
 *                 = d(h_{k-1} + g(x_k, h_{k-1}))/dh_{k-1} dL_t/dh_k   (right)
 *   delta_{t,k} = prod_{i=k}^{t-1} d(h_{i-1} + g(x_i, h_{i-1}))/dh_{i-1}
 *                 delta_{t,t}                                          (wrong)
 * Write D_i = d(h_{i-1} + g(x_i, h_{i-1}))/dh_{i-1} = dh_i/dh_{i-1}
 *           = I + U^T diag(1 - g_i^2)   (book layout: [D_i]_{ab} =
 *             dh_{i,b}/dh_{i-1,a}).
 * The product is read in increasing i from left to right, D_k D_{k+1} ..
 * D_{t-1} delta_{t,t} (the order the first line's recursion produces).  The
 * first line, applied from t down to k, gives
 *   delta_{t,k} = D_{k+1} D_{k+2} .. D_t delta_{t,t}  = prod_{i=k+1}^{t}:
 * the homework's range i = k..t-1 is shifted down by one step, so every
 * factor is the Jacobian of the step before the right one.  It is right for
 * k = t (empty product) and wrong from k = t-1 back.
 *
 * `seed`: delta_{T,T} = h_T - y, delta_{T,k} = D_k delta_{T,k+1} (the
 * homework's product), as quantity_grads for h_k; the homework derives no
 * parameter gradient, so `seed` builds them from its delta's the way the
 * book does: with r_k = (1 - g_k^2) (.) delta_{T,k},
 *   dL/dW = sum_k r_k x_k^T,  dL/dU = sum_k r_k h_{k-1}^T,  dL/db = sum_k r_k.
 * `corrected`: the same, with delta_{T,k} = D_{k+1} delta_{T,k+1}.
 *
 * The homework also says D_k "> 1, so we may have gradient explosion".  D_k
 * is a matrix, I + U^T diag(1 - g_k^2): its diagonal entries are
 * 1 + U_jj (1 - g_{k,j}^2), below 1 whenever U_jj < 0, and its off-diagonal
 * entries U_ji (1 - g_{k,j}^2) can have either sign and any size.  So the
 * claim does not hold entrywise; what can explode is the product of the
 * D's, when their norm (spectral radius) exceeds 1, which happens for some
 * U (e.g. U with positive diagonal) and not others.  Not a number: no claim.
 *
 * Quantities for localisation: h (T x n, time-major, time from 1).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_NIN, D_N, D_T };
enum { P_W, P_U, P_B };
enum { I_X, I_Y };
enum { Q_H };

static const gc_dim dims[] = {
    {"n_in", 2, 1, 4096, "input size (entries of x_k)"},
    {"n", 3, 1, 4096, "state size (entries of h_k)"},
    {"T", 4, 1, 1024, "time steps k = 1 .. T"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t ni = d[D_NIN], n = d[D_N], T = d[D_T];
    st = st ? st : gc_blocks_add(&L->params, "W", 2, n, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "U", 2, n, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "b", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, T, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "h", 2, T, n, 1, 1, 1, 0);
    gc_blocks_timed(&L->quantities, (const char *const[]){"h", NULL});
    /* work: g_1..g_T (T n), h_0..h_T ((T+1) n), three n-vectors */
    L->work = T * n + (T + 1) * n + 3 * n;
    return st;
}

typedef struct {
    double *G, *H, *d, *r, *nx;  /* G row k-1 is g_k; H row k is h_k */
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t n = p->dims[D_N], T = p->dims[D_T];
    view_t v;
    v.G = w; w += T * n;
    v.H = w; w += (T + 1) * n;
    v.d = w; w += n;
    v.r = w; w += n;
    v.nx = w;
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *W = th + P[P_W].offset, *U = th + P[P_U].offset;
    const double *b = th + P[P_B].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);

    memset(v.H, 0, n * sizeof *v.H);               /* h_0 = 0 */
    for (size_t s = 0; s < T; s++) {               /* step k = s + 1 */
        const double *hp = v.H + s * n, *xk = x + s * ni;
        double *g = v.G + s * n, *h = v.H + (s + 1) * n;
        for (size_t i = 0; i < n; i++) {
            double a = b[i];
            for (size_t j = 0; j < ni; j++) a += W[i * ni + j] * xk[j];
            for (size_t j = 0; j < n; j++) a += U[i * n + j] * hp[j];
            g[i] = tanh(a);
        }
        for (size_t i = 0; i < n; i++) {
            size_t qi = Q[Q_H].offset + s * n + i;
            h[i] = gc_tapped(tap, qi, hp[i] + g[i]);
            if (q) q[qi] = h[i];
        }
    }
    const double *hT = v.H + T * n;
    double E = 0;
    for (size_t i = 0; i < n; i++) E += (hT[i] - y[i]) * (hT[i] - y[i]);
    return 0.5 * E;
}

/* out = D_i e = e + U^T ((1 - g_i^2) (.) e), i = 1..T. */
static void apply_D(const double *U, const double *gi, size_t n,
                    const double *e, double *tmp, double *out)
{
    for (size_t j = 0; j < n; j++) tmp[j] = (1 - gi[j] * gi[j]) * e[j];
    memcpy(out, e, n * sizeof *out);
    nn_matvec_t_add(U, n, n, tmp, out);
}

/* delta_{T,k} for k = T..1, with parameter gradients built from them.
 * shifted = 1: the homework's delta_{T,k} = D_k delta_{T,k+1};
 * shifted = 0: delta_{T,k} = D_{k+1} delta_{T,k+1}.  grad, dq may be NULL. */
static int backprop(const gc_problem *p, const double *th, int shifted,
                    double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *U = th + P[P_U].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    if (grad) memset(grad, 0, L->params.n * sizeof *grad);

    const double *hT = v.H + T * n;
    for (size_t i = 0; i < n; i++) v.d[i] = hT[i] - y[i];   /* delta_{T,T} */
    for (size_t k = T; k >= 1; k--) {
        const double *gk = v.G + (k - 1) * n, *hp = v.H + (k - 1) * n;
        if (dq) memcpy(dq + Q[Q_H].offset + (k - 1) * n, v.d, n * sizeof *dq);
        if (grad) {
            /* r_k = (1 - g_k^2) (.) delta_{T,k} = dL/da_k given delta */
            for (size_t i = 0; i < n; i++) v.r[i] = (1 - gk[i] * gk[i]) * v.d[i];
            nn_outer_add(grad + P[P_W].offset, n, ni, v.r, x + (k - 1) * ni);
            nn_outer_add(grad + P[P_U].offset, n, n, v.r, hp);
            for (size_t i = 0; i < n; i++) grad[P[P_B].offset + i] += v.r[i];
        }
        if (k == 1) break;
        /* delta_{T,k-1} = D_{k-1} delta_{T,k} (seed) or D_k delta_{T,k} */
        const double *gD = shifted ? v.G + (k - 2) * n : gk;
        apply_D(U, gD, n, v.d, v.r, v.nx);
        memcpy(v.d, v.nx, n * sizeof *v.d);
    }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return backprop(p, th, 1, grad, NULL, work);
}

static int seed_qgrads(const gc_problem *p, const double *th, double *dq,
                       double *work)
{
    return backprop(p, th, 1, NULL, dq, work);
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return backprop(p, th, 0, grad, NULL, work);
}

static int corrected_qgrads(const gc_problem *p, const double *th, double *dq,
                            double *work)
{
    return backprop(p, th, 0, NULL, dq, work);
}

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "delta_{t,k} = prod_{i=k}^{t-1} d(h_{i-1} + g_i)/dh_{i-1} "
               "delta_{t,t} as written (one step early); parameter "
               "gradients built from these delta's",
    .gradient = seed_gradient,
    .quantity_grads = seed_qgrads,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "delta_{t,k} = prod_{i=k+1}^{t} (I + U^T diag(1 - g_i^2)) "
               "delta_{t,t}; dL/dW, dL/dU, dL/db from (1 - g_k^2) (.) "
               "delta_{t,k}",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_qgrads,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_residual_rnn_001_6_3 = {
    .name = "residual_rnn_001_6_3",
    .title = "residual recurrence h_k = h_{k-1} + tanh(W x_k + U h_{k-1} + "
             "b), L = 1/2 ||h_T - y||^2",
    .source = "001_d60de9d6fdeee42c.txt, Problem 6.3",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
