/* gru_bptt_001_6_5.c: a GRU unrolled over T steps with a softmax output at
 * every step, and the homework's dL/dW_z, seed 001_d60de9d6fdeee42c.txt,
 * "3.5 Problem 6.5" (Qiu Xipeng, "Neural Networks and Deep Learning",
 * exercise 6-5: the gradients of a GRU's parameters).
 *
 * The forward pass as the homework writes it (OCR garbling read as below),
 * t = 1..T, sigma the logistic function, (.) the elementwise product:
 *   r_t  = sigma(W_r x_t + U_r h_{t-1} + b_r)
 *   z_t  = sigma(W_z x_t + U_z h_{t-1} + b_z)        ("W_t", "U_s", "b_t")
 *   h~_t = tanh(W_h x_t + U_h (r_t (.) h_{t-1}) + b_h)   (written "h_t",
 *                                                      "b_B": h~_t, b_h)
 *   h_t  = (1 - z_t) (.) h~_t + z_t (.) h_{t-1}      ("bar h_t" is h~_t)
 *   y_t  = softmax(V h_t + b_v)
 * with h_0 = 0.  The homework never states the loss; we take
 * L = sum_t L_t, L_t = -sum_k yhat_{t,k} log y_{t,k} (cross-entropy against
 * one-hot targets yhat_t, input `target`).  W_* is n x n_in, U_* is n x n,
 * b_* has n entries, V is K x n, b_v has K.
 *
 * The homework's gradient (only dL/dW_z is derived):
 *   dL_t/dW_z = dL_t/dh_t  dh_t/dW_z
 *   dL_t/dh_t = V dL_t/dy_t
 *   dh_t/dW_z = sum_{i=1}^t ( dh_t/dh_i ((s_{t-1} - h_t) (.) z_t (.) (1 - z_t)) x_t^T )
 *             = sum_{i=1}^t ( prod_{j=i}^{t-1} dh_{j+1}/dh_j ) ((s_{t-1} - h_t)
 *                                      (.) z_t (.) (1 - z_t)) x_t^T
 *   dh_t/dh_{t-1} = dh_t/dh^_t dh^_t/dh_{t-1} + dh_t/dz_t dz_t/dh_{t-1}
 *                   + d+h_t/dh_{t-1}
 *                 = dh_t/dh^_t ( dh^_t/dr_t dr_t/dh_{t-1} + d+h_t/dh_{t-1} )
 *                   + dh_t/dz_t dz_t/dh_{t-1} + d+h_t/dh_{t-1}
 * ("h^_t" is the OCR's hat for h~_t.)  How it is read and implemented
 * (`seed`):
 *  - "s_{t-1}" is h_{t-1} (there is no s in the model).
 *  - dL_t/dy_t is the derivative with respect to y_t, which the homework
 *    defines as the softmax OUTPUT: -yhat_t (./) y_t.  "V dL_t/dy_t"
 *    multiplies the K x n matrix V by a K-vector, which is defined only when
 *    K = n (the case takes K = n = 3); the right product is
 *    V^T (softmax Jacobian) dL_t/dy_t = V^T (y_t - yhat_t).  `seed_logits`
 *    reads dL_t/dy_t as the error at the softmax input, y_t - yhat_t (the
 *    common shorthand), keeping V: it is still wrong (V for V^T).
 *  - dh_t/dW_z is a 3-tensor; the formula is read entrywise:
 *    dh_t[k]/dW_z[a][b] = sum_{i=1}^t [dh_t/dh_i]_{ka} g_t[a] x_t[b],
 *    g_t = (h_{t-1} - h_t) (.) z_t (.) (1 - z_t), so
 *    dL/dW_z = sum_t sum_{i<=t} ((dh_t/dh_i)^T dL_t/dh_t (.) g_t) x_t^T.
 *    As written the summand uses index t where i belongs (g_t and x_t for
 *    g_i and x_i), and (h_{t-1} - h_t) where dh/dz needs (h_{i-1} - h~_i).
 *    L = sum_t L_t is summed over t (the homework writes L_t only).
 *  - dh_t/dh_i is the chain product J_t J_{t-1} ... J_{i+1} (numerator
 *    layout; the homework's prod_{j=i}^{t-1} fixes no order, read as the
 *    chain rule), dh_t/dh_t = I, with the one-step J_t = dh_t/dh_{t-1} as
 *    the LAST line writes it:
 *      J_t = diag(1-z_t) [ dh~_t/dr_t dr_t/dh_{t-1} + diag(z_t) ]
 *            + diag(h_{t-1} - h~_t) diag(z_t(1-z_t)) U_z + diag(z_t)
 *    with dh~_t/dr_t = diag(1-h~_t^2) U_h diag(h_{t-1}),
 *    dr_t/dh_{t-1} = diag(r_t(1-r_t)) U_r (partials the homework names but
 *    does not expand: taken as their true values).  The direct term
 *    d+h_t/dh_{t-1} = diag(z_t) appears twice (inside the parentheses it
 *    stands where d+h~_t/dh_{t-1} = diag(1-h~_t^2) U_h diag(r_t), the path
 *    through h~_t with r_t held fixed, belongs): double-counted, and that
 *    path is missing.  The first line of dh_t/dh_{t-1} is right (with
 *    dh~_t/dh_{t-1} total); the second line's expansion of it is not.
 * The seed claims: dL/dW_z (covers W_z only); dL/dh_i implied by its
 * chain, sum_{t>=i} (dh_t/dh_i)^T V dL_t/dy_t; dL/dy_t = -yhat_t (./) y_t
 * (`seed`) or dL/do_t = y_t - yhat_t (`seed_logits`, o_t = V h_t + b_v);
 * and, as Jacobians, its dh/dW_z (the formula above) and dh/dh (the chain
 * product, block (t, i) = dh_t/dh_i, identity for i = t, 0 for i > t).
 *
 * `corrected`: BPTT for every parameter, with a_z the z-gate pre-activation,
 *   dh_t (total) = V^T (y_t - yhat_t) + dh_{t+1 -> t}
 *   dh~_t = dh_t (.) (1 - z_t),  da_z = dh_t (.) (h_{t-1} - h~_t) (.) z_t(1-z_t)
 *   da_h = dh~_t (.) (1 - h~_t^2),  d(r h) = U_h^T da_h,
 *   dr_t = d(r h) (.) h_{t-1},  da_r = dr_t (.) r_t(1-r_t)
 *   dh_{t-1} += dh_t (.) z_t + d(r h) (.) r_t + U_z^T da_z + U_r^T da_r
 * and the true Jacobians dh/dW_z, dh/dh.
 *
 * Quantities (each T x .; time from 1, entries from 1), in forward order
 * within a step: r (r_t), a_z (z-gate pre-activation), h_tilde (h~_t),
 * h (h_t), o (V h_t + b_v), y (y_t).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

#include <stdio.h>

enum { D_NIN, D_N, D_K, D_T };

static const gc_dim dims[] = {
    {"n_in", 2, 1, 1024, "input size (entries of x_t)"},
    {"n", 3, 1, 256, "hidden size (entries of h_t)"},
    {"K", 3, 1, 1024, "classes (entries of y_t)"},
    {"T", 4, 1, 128, "time steps t = 1..T"},
    {NULL, 0, 0, 0, NULL}
};

enum { P_WR, P_UR, P_BR, P_WZ, P_UZ, P_BZ, P_WH, P_UH, P_BH, P_V, P_BV };
enum { I_X, I_TG };
enum { Q_R, Q_AZ, Q_HT, Q_H, Q_O, Q_Y };

static int layout(const long *d, gc_layout *L)
{
    size_t ni = d[D_NIN], n = d[D_N], K = d[D_K], T = d[D_T];
    static const char *const g[] = {"r", "z", "h"};
    char nm[GC_NAME_MAX];
    int st = 0;
    for (int k = 0; k < 3; k++) {
        snprintf(nm, sizeof nm, "W_%s", g[k]);
        st = st ? st : gc_blocks_add(&L->params, nm, 2, n, ni, 1, 1, 1, 0);
        snprintf(nm, sizeof nm, "U_%s", g[k]);
        st = st ? st : gc_blocks_add(&L->params, nm, 2, n, n, 1, 1, 1, 0);
        snprintf(nm, sizeof nm, "b_%s", g[k]);
        st = st ? st : gc_blocks_add(&L->params, nm, 1, n, 1, 1, 1, 0, 0);
    }
    st = st ? st : gc_blocks_add(&L->params, "V", 2, K, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "b_v", 1, K, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, T, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "target", 2, T, K, 1, 1, 1, 0);
    static const char *const qn[] = {"r", "a_z", "h_tilde", "h", "o", "y",
                                     NULL};
    for (int k = 0; k < 6; k++)
        st = st ? st : gc_blocks_add(&L->quantities, qn[k], 2, T,
                                     k < 4 ? n : K, 1, 1, 1, 0);
    gc_blocks_timed(&L->quantities, qn);
    /* forward: h_0..h_T, r, z, h~ (T n each), y (T K); backward: J_t
     * (T n n), dh_t/dh_i (T T n n), six n-vectors, one K-vector */
    L->work = (T + 1) * n + 3 * T * n + T * K + T * n * n + T * T * n * n
              + 6 * n + K;
    return st;
}

typedef struct {
    double *h, *r, *z, *ht, *y, *J, *P, *a, *b, *c, *e, *f, *g, *k;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t n = p->dims[D_N], K = p->dims[D_K], T = p->dims[D_T];
    view_t v;
    v.h = w;  w += (T + 1) * n;   /* row s is h_s, h_0 = 0 */
    v.r = w;  w += T * n;         /* row s is step t = s + 1 */
    v.z = w;  w += T * n;
    v.ht = w; w += T * n;
    v.y = w;  w += T * K;
    v.J = w;  w += T * n * n;     /* J[s] = dh_{s+1}/dh_s */
    v.P = w;  w += T * T * n * n; /* P[s][i] = dh_{s+1}/dh_{i+1}, i <= s */
    v.a = w;  w += n;
    v.b = w;  w += n;
    v.c = w;  w += n;
    v.e = w;  w += n;
    v.f = w;  w += n;
    v.g = w;  w += n;
    v.k = w;
    return v;
}

/* W x + U h + b, row j */
static double preact(const double *W, const double *U, const double *b,
                     size_t ni, size_t n, size_t j, const double *x,
                     const double *h)
{
    double s = b[j];
    for (size_t k = 0; k < ni; k++) s += W[j * ni + k] * x[k];
    for (size_t k = 0; k < n; k++) s += U[j * n + k] * h[k];
    return s;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *tg = p->inputs + L->inputs.block[I_TG].offset;
    const double *V = th + B[P_V].offset, *bv = th + B[P_BV].offset;
    view_t v = view(p, work);
    double Ls = 0;

    memset(v.h, 0, n * sizeof *v.h);
    for (size_t s = 0; s < T; s++) {
        const double *xt = x + s * ni, *hp = v.h + s * n;
        double *r = v.r + s * n, *z = v.z + s * n, *ht = v.ht + s * n;
        double *h = v.h + (s + 1) * n, *y = v.y + s * K;
        double *rh = v.a, *o = v.k;
        for (size_t j = 0; j < n; j++) {
            size_t qi = Q[Q_R].offset + s * n + j;
            r[j] = gc_tapped(tap, qi, nn_sigmoid(preact(
                       th + B[P_WR].offset, th + B[P_UR].offset,
                       th + B[P_BR].offset, ni, n, j, xt, hp)));
            if (q) q[qi] = r[j];
        }
        for (size_t j = 0; j < n; j++) {
            size_t qi = Q[Q_AZ].offset + s * n + j;
            double az = gc_tapped(tap, qi, preact(
                            th + B[P_WZ].offset, th + B[P_UZ].offset,
                            th + B[P_BZ].offset, ni, n, j, xt, hp));
            if (q) q[qi] = az;
            z[j] = nn_sigmoid(az);
        }
        for (size_t j = 0; j < n; j++) rh[j] = r[j] * hp[j];
        for (size_t j = 0; j < n; j++) {
            size_t qi = Q[Q_HT].offset + s * n + j;
            ht[j] = gc_tapped(tap, qi, tanh(preact(
                        th + B[P_WH].offset, th + B[P_UH].offset,
                        th + B[P_BH].offset, ni, n, j, xt, rh)));
            if (q) q[qi] = ht[j];
        }
        for (size_t j = 0; j < n; j++) {
            size_t qi = Q[Q_H].offset + s * n + j;
            h[j] = gc_tapped(tap, qi, (1 - z[j]) * ht[j] + z[j] * hp[j]);
            if (q) q[qi] = h[j];
        }
        for (size_t j = 0; j < K; j++) {
            double a = bv[j];
            for (size_t k = 0; k < n; k++) a += V[j * n + k] * h[k];
            size_t qi = Q[Q_O].offset + s * K + j;
            o[j] = gc_tapped(tap, qi, a);
            if (q) q[qi] = o[j];
        }
        nn_softmax(o, K, y);
        for (size_t j = 0; j < K; j++) {
            size_t qi = Q[Q_Y].offset + s * K + j;
            y[j] = gc_tapped(tap, qi, y[j]);
            if (q) q[qi] = y[j];
            /* L_t = -sum_k yhat_k log y_k; zero targets skipped, so a tap
             * on a non-target y entry never takes a log of a negative */
            if (tg[s * K + j] != 0) Ls -= tg[s * K + j] * log(y[j]);
        }
    }
    return Ls;
}

/* One-step Jacobians J[s] = dh_{s+1}/dh_s (numerator layout, row k is
 * h_{s+1}[k]) and chain products P[s][i] = dh_{s+1}/dh_{i+1} for i <= s.
 * as_written: the homework's last line (diag(z) twice, no r-fixed path
 * through h~). */
static void jacobians(const gc_problem *p, const double *th, int as_written,
                      view_t *v)
{
    const gc_block *B = p->layout.params.block;
    size_t n = p->dims[D_N], T = p->dims[D_T];
    const double *Ur = th + B[P_UR].offset, *Uz = th + B[P_UZ].offset;
    const double *Uh = th + B[P_UH].offset;
    for (size_t s = 0; s < T; s++) {
        const double *r = v->r + s * n, *z = v->z + s * n;
        const double *ht = v->ht + s * n, *hp = v->h + s * n;
        double *J = v->J + s * n * n;
        for (size_t k = 0; k < n; k++)
            for (size_t m = 0; m < n; m++) {
                /* dh~/dr dr/dh_{t-1} */
                double viar = 0;
                for (size_t l = 0; l < n; l++)
                    viar += Uh[k * n + l] * hp[l] * r[l] * (1 - r[l])
                            * Ur[l * n + m];
                viar *= 1 - ht[k] * ht[k];
                double eye = k == m ? 1.0 : 0.0;
                double inner = as_written
                    ? viar + z[k] * eye                        /* d+h_t */
                    : viar + (1 - ht[k] * ht[k]) * Uh[k * n + m] * r[m];
                J[k * n + m] = (1 - z[k]) * inner
                    + (hp[k] - ht[k]) * z[k] * (1 - z[k]) * Uz[k * n + m]
                    + z[k] * eye;
            }
    }
    /* P[s][s] = I; P[s][i] = P[s][i+1] J[i+1] */
    for (size_t s = 0; s < T; s++) {
        double *Pss = v->P + (s * T + s) * n * n;
        for (size_t k = 0; k < n * n; k++) Pss[k] = 0;
        for (size_t k = 0; k < n; k++) Pss[k * n + k] = 1;
        for (size_t i = s; i-- > 0;) {
            const double *A = v->P + (s * T + i + 1) * n * n;
            const double *Jn = v->J + (i + 1) * n * n;
            double *C = v->P + (s * T + i) * n * n;
            for (size_t k = 0; k < n; k++)
                for (size_t m = 0; m < n; m++) {
                    double a = 0;
                    for (size_t l = 0; l < n; l++)
                        a += A[k * n + l] * Jn[l * n + m];
                    C[k * n + m] = a;
                }
        }
    }
}

/* The homework's dL_t/dh_t = V dL_t/dy_t into out (n = K entries), with
 * dL_t/dy_t = -yhat/y (logits = 0) or y - yhat (logits = 1). */
static void seed_dLdh(const double *V, size_t n, const double *y,
                      const double *tg, int logits, double *gy, double *out)
{
    for (size_t k = 0; k < n; k++)
        gy[k] = logits ? y[k] - tg[k] : (tg[k] != 0 ? -tg[k] / y[k] : 0.0);
    for (size_t a = 0; a < n; a++) {
        double s = 0;
        for (size_t k = 0; k < n; k++) s += V[a * n + k] * gy[k];
        out[a] = s;
    }
}

static int seed_backprop(const gc_problem *p, const double *th, int logits,
                         double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    /* V (K x n) times the K-vector dL_t/dy_t gives n entries only if K = n */
    if (K != n) return GC_ESHAPE;
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *tg = p->inputs + L->inputs.block[I_TG].offset;
    const double *V = th + B[P_V].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    jacobians(p, th, 1, &v);

    if (grad) memset(grad, 0, L->params.n * sizeof *grad);
    if (dq) memset(dq, 0, L->quantities.n * sizeof *dq);
    for (size_t s = 0; s < T; s++) {
        const double *y = v.y + s * K, *z = v.z + s * n;
        const double *h = v.h + (s + 1) * n, *hp = v.h + s * n;
        double *vt = v.a, *S = v.b, *gy = v.k;
        seed_dLdh(V, n, y, tg + s * K, logits, gy, vt);
        if (dq)
            for (size_t k = 0; k < K; k++)
                dq[Q[logits ? Q_O : Q_Y].offset + s * K + k] = gy[k];
        /* S = sum_{i<=t} (dh_t/dh_i)^T dL_t/dh_t; dL/dh_i += each term */
        memset(S, 0, n * sizeof *S);
        for (size_t i = 0; i <= s; i++) {
            const double *Pm = v.P + (s * T + i) * n * n;
            for (size_t m = 0; m < n; m++) {
                double a = 0;
                for (size_t k = 0; k < n; k++) a += Pm[k * n + m] * vt[k];
                S[m] += a;
                if (dq) dq[Q[Q_H].offset + i * n + m] += a;
            }
        }
        /* dL_t/dW_z = (S (.) (h_{t-1} - h_t) (.) z_t (.) (1 - z_t)) x_t^T */
        if (grad) {
            double *G = grad + B[P_WZ].offset;
            for (size_t a = 0; a < n; a++) {
                double c = S[a] * (hp[a] - h[a]) * z[a] * (1 - z[a]);
                for (size_t b = 0; b < ni; b++)
                    G[a * ni + b] += c * x[s * ni + b];
            }
        }
    }
    return GC_OK;
}

static int corrected_backprop(const gc_problem *p, const double *th,
                              double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], K = p->dims[D_K];
    size_t T = p->dims[D_T];
    const gc_block *B = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *tg = p->inputs + L->inputs.block[I_TG].offset;
    const double *V = th + B[P_V].offset;
    const double *Ur = th + B[P_UR].offset, *Uz = th + B[P_UZ].offset;
    const double *Uh = th + B[P_UH].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    if (grad) memset(grad, 0, L->params.n * sizeof *grad);
    double *dh = v.a, *daz = v.b, *dah = v.c, *drh = v.e, *dar = v.f;
    double *dhp = v.g, *eo = v.k;
    memset(dh, 0, n * sizeof *dh);      /* carry from step T+1: none */
    for (size_t s = T; s-- > 0;) {
        const double *xt = x + s * ni, *hp = v.h + s * n, *h = v.h + (s + 1) * n;
        const double *r = v.r + s * n, *z = v.z + s * n, *ht = v.ht + s * n;
        const double *y = v.y + s * K;
        for (size_t k = 0; k < K; k++) eo[k] = y[k] - tg[s * K + k];
        nn_matvec_t_add(V, K, n, eo, dh);          /* + V^T (y - yhat) */
        for (size_t j = 0; j < n; j++) {
            daz[j] = dh[j] * (hp[j] - ht[j]) * z[j] * (1 - z[j]);
            dah[j] = dh[j] * (1 - z[j]) * (1 - ht[j] * ht[j]);
        }
        memset(drh, 0, n * sizeof *drh);
        nn_matvec_t_add(Uh, n, n, dah, drh);       /* d(r (.) h_{t-1}) */
        for (size_t j = 0; j < n; j++)
            dar[j] = drh[j] * hp[j] * r[j] * (1 - r[j]);
        if (dq)
            for (size_t j = 0; j < n; j++) {
                dq[Q[Q_R].offset + s * n + j] = drh[j] * hp[j];
                dq[Q[Q_AZ].offset + s * n + j] = daz[j];
                dq[Q[Q_HT].offset + s * n + j] = dh[j] * (1 - z[j]);
                dq[Q[Q_H].offset + s * n + j] = dh[j];
            }
        if (dq)
            for (size_t k = 0; k < K; k++) {
                dq[Q[Q_O].offset + s * K + k] = eo[k];
                dq[Q[Q_Y].offset + s * K + k] =
                    tg[s * K + k] != 0 ? -tg[s * K + k] / y[k] : 0.0;
            }
        if (grad) {
            const double *dg[3] = {dar, daz, dah};
            for (int g = 0; g < 3; g++) {
                nn_outer_add(grad + B[P_WR + 3 * g].offset, n, ni, dg[g], xt);
                double *gb = grad + B[P_BR + 3 * g].offset;
                for (size_t j = 0; j < n; j++) gb[j] += dg[g][j];
            }
            nn_outer_add(grad + B[P_UR].offset, n, n, dar, hp);
            nn_outer_add(grad + B[P_UZ].offset, n, n, daz, hp);
            double *GUh = grad + B[P_UH].offset;
            for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++)
                    GUh[a * n + b] += dah[a] * r[b] * hp[b];
            nn_outer_add(grad + B[P_V].offset, K, n, eo, h);
            double *gbv = grad + B[P_BV].offset;
            for (size_t k = 0; k < K; k++) gbv[k] += eo[k];
        }
        /* dL/dh_{t-1} from this step */
        for (size_t j = 0; j < n; j++) dhp[j] = dh[j] * z[j] + drh[j] * r[j];
        nn_matvec_t_add(Uz, n, n, daz, dhp);
        nn_matvec_t_add(Ur, n, n, dar, dhp);
        memcpy(dh, dhp, n * sizeof *dh);
    }
    return GC_OK;
}

/* d h / d W_z into J (rows: h entries, T n; columns: W_z entries, n n_in):
 *   as_written: sum_{i<=t} [dh_t/dh_i]_{ka} g_t[a] x_t[b],
 *               g_t = (h_{t-1} - h_t) (.) z_t (.) (1 - z_t), seed's chain;
 *   otherwise:  sum_{i<=t} [dh_t/dh_i]_{ka} g_i[a] x_i[b],
 *               g_i = (h_{i-1} - h~_i) (.) z_i (.) (1 - z_i), true chain. */
static int fill_h_Wz(const gc_problem *p, const double *th, int as_written,
                     double *J, double *work)
{
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    jacobians(p, th, as_written, &v);
    size_t cols = n * ni;
    const double *x = p->inputs + p->layout.inputs.block[I_X].offset;
    memset(J, 0, T * n * cols * sizeof *J);
    for (size_t s = 0; s < T; s++)
        for (size_t i = 0; i <= s; i++) {
            size_t u = as_written ? s : i;     /* the step g and x come from */
            const double *z = v.z + u * n, *hp = v.h + u * n;
            const double *sub = as_written ? v.h + (u + 1) * n : v.ht + u * n;
            const double *Pm = v.P + (s * T + i) * n * n;
            for (size_t k = 0; k < n; k++)
                for (size_t a = 0; a < n; a++) {
                    double c = Pm[k * n + a] * (hp[a] - sub[a]) * z[a]
                               * (1 - z[a]);
                    for (size_t b = 0; b < ni; b++)
                        J[(s * n + k) * cols + a * ni + b] +=
                            c * x[u * ni + b];
                }
        }
    return GC_OK;
}

/* d h / d h: block (t, i) = dh_t/dh_i for i <= t, 0 for i > t. */
static int fill_h_h(const gc_problem *p, const double *th, int as_written,
                    double *J, double *work)
{
    size_t n = p->dims[D_N], T = p->dims[D_T];
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    jacobians(p, th, as_written, &v);
    size_t cols = T * n;
    memset(J, 0, T * n * cols * sizeof *J);
    for (size_t s = 0; s < T; s++)
        for (size_t i = 0; i <= s; i++) {
            const double *Pm = v.P + (s * T + i) * n * n;
            for (size_t k = 0; k < n; k++)
                for (size_t m = 0; m < n; m++)
                    J[(s * n + k) * cols + i * n + m] = Pm[k * n + m];
        }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return seed_backprop(p, th, 0, grad, NULL, work);
}

static int seed_quantity_grads(const gc_problem *p, const double *th,
                               double *dq, double *work)
{
    return seed_backprop(p, th, 0, NULL, dq, work);
}

static int seed_logits_gradient(const gc_problem *p, const double *th,
                                double *grad, double *work)
{
    return seed_backprop(p, th, 1, grad, NULL, work);
}

static int seed_logits_quantity_grads(const gc_problem *p, const double *th,
                                      double *dq, double *work)
{
    return seed_backprop(p, th, 1, NULL, dq, work);
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

static int seed_h_Wz(const gc_problem *p, const double *th, double *J,
                     double *work)
{
    return fill_h_Wz(p, th, 1, J, work);
}

static int seed_h_h(const gc_problem *p, const double *th, double *J,
                    double *work)
{
    return fill_h_h(p, th, 1, J, work);
}

static int corrected_h_Wz(const gc_problem *p, const double *th, double *J,
                          double *work)
{
    return fill_h_Wz(p, th, 0, J, work);
}

static int corrected_h_h(const gc_problem *p, const double *th, double *J,
                         double *work)
{
    return fill_h_h(p, th, 0, J, work);
}

static const char *const only_Wz[] = {"W_z", NULL};
static const char *const seed_q[] = {"h", "y", NULL};
static const char *const seed_logits_q[] = {"h", "o", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "Problem 6.5 as written: dL_t/dh_t = V dL_t/dy_t (dL_t/dy_t = "
               "-yhat/y), dh_t/dW_z = sum_i dh_t/dh_i ((h_{t-1} - h_t) (.) "
               "z_t(1-z_t)) x_t^T, dh_t/dh_{t-1} with d+h_t/dh_{t-1} twice; "
               "needs K = n",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers = only_Wz,
    .covers_quantities = seed_q,
    .jacobians = (const gc_jacobian[]){{"h", "W_z", seed_h_Wz},
                                       {"h", "h", seed_h_h},
                                       {NULL, NULL, NULL}},
};

static const gc_derivation_type seed_logits = {
    .name = "seed_logits",
    .summary = "the same with dL_t/dy_t read as the error at the softmax "
               "input, y_t - yhat_t (still V for V^T); needs K = n",
    .gradient = seed_logits_gradient,
    .quantity_grads = seed_logits_quantity_grads,
    .covers = only_Wz,
    .covers_quantities = seed_logits_q,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "BPTT for every GRU parameter: dh_t += V^T (y_t - yhat_t), "
               "dh_{t-1} = dh_t (.) z_t + (U_h^T da_h) (.) r_t + U_z^T da_z "
               "+ U_r^T da_r",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
    .jacobians = (const gc_jacobian[]){{"h", "W_z", corrected_h_Wz},
                                       {"h", "h", corrected_h_h},
                                       {NULL, NULL, NULL}},
};

static const gc_derivation_type *const derivations[] = {
    &seed, &seed_logits, &corrected, NULL};

const gc_model_type gc_model_gru_bptt_001_6_5 = {
    .name = "gru_bptt_001_6_5",
    .title = "GRU over T steps, softmax output and cross-entropy at every "
             "step, BPTT",
    .source = "001_d60de9d6fdeee42c.txt, Problem 6.5",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
