/* rnn_grad_001_6_2.c: dL/dW and dL/db of a simple recurrent network by
 * back-propagation through time, seed 001_d60de9d6fdeee42c.txt, "Problem
 * 6.2" (Qiu Xipeng, "Neural Networks and Deep Learning", exercise 6-2:
 * derive dL/dW and dL/db, the book having derived dL/dU).
 *
 * The model, in the book's notation (t = 1..T, h_0 = 0):
 *   z_k = U h_{k-1} + W x_k + b      U is n x n, W is n x n_in, b has n
 *   h_k = f(z_k),  f = tanh           (the homework does not say; ours)
 *   L   = sum_{t=1}^T L_t,  L_t = 1/2 ||h_t - y_t||^2   (ours likewise)
 *
 * The homework, as written:
 *   dL_t/dw_ij = sum_{k=1}^t d+z_k/dw_ij  dL_t/dz_k
 *   d+z_k/dw_ij = [0, .., [x_{k-1}]_j, .., 0]                     (line 1)
 *   delta_{t,k} = dL_t/dz_k
 *   dL_t/dW = sum_{k=1}^t delta_{t,k} x_k^T
 *   dL/dW   = "sum_{t=1}^t" sum_{k=1}^t delta_{t,k} x_k^T           (final)
 *   dL_t/db_i = sum_{k=1}^t dL_t/dz_k
 *   dL/db   = sum_{t=1}^T sum_{k=1}^t delta_{t,k}
 * Readings:
 *  - the outer sum "sum_{t=1}^t" of dL/dW is garbled; read as t = 1..T, as
 *    in the dL/db line.
 *  - "dL_t/db_i = sum_k dL_t/dz_k" drops the component: read as
 *    sum_k [delta_{t,k}]_i, which is what the summed dL/db line says.
 *  - the homework never gives the recursion for delta_{t,k}.  Both seed
 *    derivations use the book's (correct) one, and say so:
 *      delta_{t,t} = f'(z_t) (.) dL_t/dh_t = (1 - h_t^2) (.) (h_t - y_t)
 *      delta_{t,k} = diag(f'(z_k)) U^T delta_{t,k+1}
 *  - two lines disagree on the input of step k: d+z_k/dw_ij has x_{k-1}
 *    (a slip copied from the book's d+z_k/du_ij = [h_{k-1}]_j, where the
 *    k-1 belongs), the two dL/dW lines have x_k.  The final summed formula
 *    is the homework's answer: `seed` is the x_k reading, and `seed_line1`
 *    is the x_{k-1} reading (with x_0 = 0, the book's time starting at 1,
 *    so the k = 1 term vanishes).  seed_line1's b formula is the seed's, so
 *    it covers W only.
 * Both seeds give formulas for W and b only (covers W, b; not U), and are
 * evaluated literally as the double sum over t and k (O(T^2) work).
 *
 * Quantities for localisation (T x n, time-major, time from 1): z, h.
 * The seeds claim dL/dz_k = sum_{t>=k} delta_{t,k} (their delta's); they
 * state nothing for h.  `corrected`, one backward sweep:
 *   dL/dh_k = (h_k - y_k) + U^T g_{k+1},  g_k = dL/dz_k = (1 - h_k^2) (.)
 *   dL/dh_k,  g_{T+1} = 0;  dL/dU = sum_k g_k h_{k-1}^T,
 *   dL/dW = sum_k g_k x_k^T,  dL/db = sum_k g_k.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_NIN, D_N, D_T };
enum { P_U, P_W, P_B };
enum { I_X, I_Y };
enum { Q_Z, Q_H };

static const gc_dim dims[] = {
    {"n_in", 2, 1, 4096, "input size (entries of x_k)"},
    {"n", 3, 1, 4096, "hidden size (entries of z_k, h_k)"},
    {"T", 4, 1, 1024, "time steps k = 1 .. T"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t ni = d[D_NIN], n = d[D_N], T = d[D_T];
    st = st ? st : gc_blocks_add(&L->params, "U", 2, n, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "W", 2, n, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "b", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, T, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 2, T, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "z", 2, T, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "h", 2, T, n, 1, 1, 1, 0);
    gc_blocks_timed(&L->quantities, (const char *const[]){"z", "h", NULL});
    /* work: z (T n), h_0..h_T ((T+1) n), three n-vectors */
    L->work = T * n + (T + 1) * n + 3 * n;
    return st;
}

typedef struct {
    double *Z, *H, *a, *b, *c;   /* H row k is h_k, row 0 is h_0 = 0 */
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t n = p->dims[D_N], T = p->dims[D_T];
    view_t v;
    v.Z = w; w += T * n;
    v.H = w; w += (T + 1) * n;
    v.a = w; w += n;
    v.b = w; w += n;
    v.c = w;
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *U = th + P[P_U].offset, *W = th + P[P_W].offset;
    const double *b = th + P[P_B].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    view_t v = view(p, work);
    double E = 0;

    memset(v.H, 0, n * sizeof *v.H);               /* h_0 = 0 */
    for (size_t s = 0; s < T; s++) {               /* step k = s + 1 */
        const double *hp = v.H + s * n, *xk = x + s * ni;
        double *z = v.Z + s * n, *h = v.H + (s + 1) * n;
        for (size_t i = 0; i < n; i++) {
            double a = b[i];
            for (size_t j = 0; j < n; j++) a += U[i * n + j] * hp[j];
            for (size_t j = 0; j < ni; j++) a += W[i * ni + j] * xk[j];
            size_t qi = Q[Q_Z].offset + s * n + i;
            z[i] = gc_tapped(tap, qi, a);
            if (q) q[qi] = z[i];
        }
        for (size_t i = 0; i < n; i++) {
            size_t qi = Q[Q_H].offset + s * n + i;
            h[i] = gc_tapped(tap, qi, tanh(z[i]));
            if (q) q[qi] = h[i];
            double e = h[i] - y[s * n + i];
            E += 0.5 * e * e;
        }
    }
    return E;
}

/* The homework's double sum over t and k; x_shift = 1 uses x_{k-1}
 * (line 1, x_0 = 0) in place of x_k.  grad and dq may be NULL. */
static int seed_sums(const gc_problem *p, const double *th, int x_shift,
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
    if (dq) memset(dq + Q[Q_Z].offset, 0, Q[Q_Z].size * sizeof *dq);

    for (size_t t = 1; t <= T; t++) {
        /* delta_{t,t} = f'(z_t) (.) (h_t - y_t) */
        const double *ht = v.H + t * n;
        for (size_t i = 0; i < n; i++)
            v.a[i] = (1 - ht[i] * ht[i]) * (ht[i] - y[(t - 1) * n + i]);
        for (size_t k = t; k >= 1; k--) {
            /* v.a = delta_{t,k} */
            if (grad) {
                size_t kx = k - (size_t)x_shift;      /* x_k or x_{k-1} */
                if (kx >= 1)
                    nn_outer_add(grad + P[P_W].offset, n, ni, v.a,
                                 x + (kx - 1) * ni);
                for (size_t i = 0; i < n; i++) grad[P[P_B].offset + i] += v.a[i];
            }
            if (dq)
                for (size_t i = 0; i < n; i++)
                    dq[Q[Q_Z].offset + (k - 1) * n + i] += v.a[i];
            if (k == 1) break;
            /* delta_{t,k-1} = diag(f'(z_{k-1})) U^T delta_{t,k} (the book's
             * recursion; the homework gives none) */
            const double *hk1 = v.H + (k - 1) * n;
            memset(v.b, 0, n * sizeof *v.b);
            nn_matvec_t_add(U, n, n, v.a, v.b);
            for (size_t i = 0; i < n; i++)
                v.a[i] = (1 - hk1[i] * hk1[i]) * v.b[i];
        }
    }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return seed_sums(p, th, 0, grad, NULL, work);
}

static int seed_qgrads(const gc_problem *p, const double *th, double *dq,
                       double *work)
{
    return seed_sums(p, th, 0, NULL, dq, work);
}

static int line1_gradient(const gc_problem *p, const double *th, double *grad,
                          double *work)
{
    return seed_sums(p, th, 1, grad, NULL, work);
}

static int line1_qgrads(const gc_problem *p, const double *th, double *dq,
                        double *work)
{
    return seed_sums(p, th, 1, NULL, dq, work);
}

/* Usual BPTT in one backward sweep; grad and dq may be NULL. */
static int bptt(const gc_problem *p, const double *th, double *grad,
                double *dq, double *work)
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

    memset(v.a, 0, n * sizeof *v.a);               /* g_{T+1} = 0 */
    for (size_t k = T; k >= 1; k--) {
        const double *hk = v.H + k * n, *hp = v.H + (k - 1) * n;
        /* dL/dh_k = (h_k - y_k) + U^T g_{k+1} */
        for (size_t i = 0; i < n; i++) v.b[i] = hk[i] - y[(k - 1) * n + i];
        nn_matvec_t_add(U, n, n, v.a, v.b);
        for (size_t i = 0; i < n; i++) v.a[i] = (1 - hk[i] * hk[i]) * v.b[i];
        if (dq) {
            memcpy(dq + Q[Q_H].offset + (k - 1) * n, v.b, n * sizeof *dq);
            memcpy(dq + Q[Q_Z].offset + (k - 1) * n, v.a, n * sizeof *dq);
        }
        if (grad) {
            nn_outer_add(grad + P[P_U].offset, n, n, v.a, hp);
            nn_outer_add(grad + P[P_W].offset, n, ni, v.a, x + (k - 1) * ni);
            for (size_t i = 0; i < n; i++) grad[P[P_B].offset + i] += v.a[i];
        }
    }
    return GC_OK;
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return bptt(p, th, grad, NULL, work);
}

static int corrected_qgrads(const gc_problem *p, const double *th, double *dq,
                            double *work)
{
    return bptt(p, th, NULL, dq, work);
}

static const char *const seed_covers[] = {"W", "b", NULL};
static const char *const line1_covers[] = {"W", NULL};
static const char *const seed_quantities[] = {"z", NULL};
static const char *const all_quantities[] = {"z", "h", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "dL/dW = sum_t sum_k delta_{t,k} x_k^T, dL/db = sum_t sum_k "
               "delta_{t,k} (final lines as written; the book's delta "
               "recursion, which the homework omits)",
    .gradient = seed_gradient,
    .quantity_grads = seed_qgrads,
    .covers = seed_covers,
    .covers_quantities = seed_quantities,
};

static const gc_derivation_type seed_line1 = {
    .name = "seed_line1",
    .summary = "dL/dW from the line d+z_k/dw_ij = [x_{k-1}]_j: sum_t sum_k "
               "delta_{t,k} x_{k-1}^T, x_0 = 0",
    .gradient = line1_gradient,
    .quantity_grads = line1_qgrads,
    .covers = line1_covers,
    .covers_quantities = seed_quantities,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "BPTT: g_k = (1 - h_k^2) (.) ((h_k - y_k) + U^T g_{k+1}); "
               "dL/dU = sum g_k h_{k-1}^T, dL/dW = sum g_k x_k^T, "
               "dL/db = sum g_k",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_qgrads,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type *const derivations[] = {&seed, &seed_line1,
                                                        &corrected, NULL};

const gc_model_type gc_model_rnn_grad_001_6_2 = {
    .name = "rnn_grad_001_6_2",
    .title = "tanh RNN z_k = U h_{k-1} + W x_k + b, L = sum_t 1/2 ||h_t - "
             "y_t||^2: dL/dW, dL/db",
    .source = "001_d60de9d6fdeee42c.txt, Problem 6.2",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
