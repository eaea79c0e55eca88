/* lstm_001_6_4.c: one LSTM layer unrolled over T steps, back-propagation
 * through time, of seed 001_d60de9d6fdeee42c.txt, "3.4 Problem 6.4".
 *
 * The model, in the homework's notation (t = 1..T, sigma the logistic
 * function, (.) the elementwise product):
 *   z_{f,t} = W_f x_t + U_f h_{t-1} + b_f      f_t   = sigma(z_{f,t})
 *   z_{i,t} = W_i x_t + U_i h_{t-1} + b_i      i_t   = sigma(z_{i,t})
 *   z_{c~,t} = W_c x_t + U_c h_{t-1} + b_c     c~_t  = tanh(z_{c~,t})
 *   z_{o,t} = W_o x_t + U_o h_{t-1} + b_o      o_t   = sigma(z_{o,t})
 *   c_t = f_t (.) c_{t-1} + i_t (.) c~_t       h_t   = o_t (.) tanh(c_t)
 *   h_0 = c_0 = 0
 *   L = 1/2 ||h_T - y||^2
 * W_* is n x n_in, U_* is n x n, b_* has n entries; x_t has n_in, y has n.
 *
 * How the garbled OCR was read (as a grader would):
 *  - "z_{t,t} = W_t x_t + U_f h_{t-1} + b_f" is the forget gate
 *    z_{f,t} = W_f x_t + U_f h_{t-1} + b_f.
 *  - "z_{t,t} = W_o x_t + U_o h_{t-1} + b_f" (the line before z_{o,t}) is
 *    the input gate z_{i,t} = W_i x_t + U_i h_{t-1} + b_i, the one gate not
 *    otherwise written.
 *  - "c~_t = tanh(z_{delta,t})" is tanh(z_{c~,t}); "t_{o,t} = sigma(z_{f,t})"
 *    is f_t = sigma(z_{f,t}); i_t = sigma(z_{i,t}) is missing and implied;
 *    "overline{c_t}" in the second statement of c_t is c~_t.
 *  - "delta_{c~,t} = dL/dz_{o,t}" is dL/dz_{c~,t};  "delta_t = dL_t/dh_t" is
 *    dL/dh_t (the next line writes delta_{t-1} = dL/dh_{t-1}).
 *  - "Theta" is (.), "epsilon_t" and "e-dot" are c~_t, "t_t" is i_t; the
 *    three "delta_{t,t}" gate lines are, in order, delta_{f,t}, delta_{i,t}
 *    and delta_{c~,t} (identified by their factors f(1-f), i(1-i),
 *    1 - c~^2); "delta_{e,t} ... W_e" is o first and c~ last, as in the line
 *    above it (dz_{0t}, ..., dz_{dt}).
 *  - The U sums "dL/dU_0 = sum_{j=1}^t delta_{h,j} h_{j-1}^T" (four times)
 *    are dL/dU_o, dL/dU_i, dL/dU_f, dL/dU_c; the b sums "b_0, b_i, b_f, b_e"
 *    with "sum_{j=1}^f" are b_o, b_i, b_f, b_c summed over j = 1..t.  The
 *    per-step lines dL/db_{i,t} = "delta_t" are delta_{i,t}, delta_{c~,t}.
 *  - dL/dW_* = delta_{*,t} x_t^T ("x_i^T", "delta_{f,x_i}^T", "W_rho" read
 *    as x_t^T, delta_{f,t} x_t^T, W_c) is written per step without a sum;
 *    read as summed over the steps, like U and b.
 *  - "bias" in "the bias at time t-1" means error term.
 *  - "delta_k^T = prod_{f=k}^{t-1} ..." is the one-step recursion applied
 *    from t down to k: nothing new.  The "bias in the previous layer"
 *    passage (x_t^l = f(z_t^{l-1})) is about a stacked LSTM's lower layer,
 *    which this one-layer model does not have: not checked.
 *  - Loss: the homework never states L.  Its recursion
 *    delta_{t-1} = dL/dh_{t-1} = delta_t^T dh_t/dh_{t-1} is an identity only
 *    when L depends on h_{t-1} through h_t alone, i.e. a loss on the final
 *    hidden state; we take L = 1/2 ||h_T - y||^2, delta_T = h_T - y, and
 *    the sums' upper limit t is T.
 *  - Time is numbered from 1 (the sums run j = 1..t); unit indices, which
 *    the homework never writes, are numbered from 1 as well.
 *
 * The homework's backward pass, implemented as `seed` as written:
 *   delta_{o,t}  = delta_t (.) tanh(c_t) (.) o_t (.) (1 - o_t)
 *   delta_{f,t}  = delta_t (.) o_t (.) (1 - tanh^2(c_t)) (.) c_{t-1}
 *                          (.) f_t (.) (1 - f_t)
 *   delta_{i,t}  = delta_t (.) o_t (.) (1 - tanh^2(c_t)) (.) c~_t
 *                          (.) i_t (.) (1 - i_t)
 *   delta_{c~,t} = delta_t (.) o_t (.) (1 - tanh^2(c_t)) (.) i_t (.) (1 - c~_t^2)
 *   delta_{t-1}^T = delta_{o,t}^T W_o + delta_{f,t}^T W_f
 *                 + delta_{i,t}^T W_i + delta_{c~,t}^T W_c
 *   dL/dU_* = sum_j delta_{*,j} h_{j-1}^T,  dL/db_* = sum_j delta_{*,j},
 *   dL/dW_* = sum_j delta_{*,j} x_j^T.
 * Two mistakes, left in: (1) delta_{t-1} goes through the input weights W_*
 * where dz_{*,t}/dh_{t-1} = U_* (the line above writes dz/dh_{t-1}
 * correctly); delta^T W has n_in entries, so it is only defined when
 * n_in = n and the seed returns GC_ESHAPE otherwise.  (2) No error is
 * carried along the cell state: every gate delta uses delta_t through h_t
 * only, never dc_t/dc_{t-1} = f_t (which the homework's closing paragraph
 * names as what keeps the gradient from vanishing).  Both are invisible at
 * t = T and show from t = T-1 back.
 *
 * Quantities (each T x n, time from 1): z_f, z_i, z_c (z_{c~}), z_o, c, h.
 * The seed claims dL/dz_{*,t} = delta_{*,t}, dL/dh_t = delta_t and, for c,
 * the implied dL/dc_t = delta_t (.) o_t (.) (1 - tanh^2(c_t)) (the common
 * factor of its gate deltas).  `corrected` gives total derivatives, with
 *   dc_t = delta_t (.) o_t (.) (1 - tanh^2(c_t)) + dc_{t+1} (.) f_{t+1}
 *   delta_{t-1} = U_f^T delta_{f,t} + U_i^T delta_{i,t} + U_c^T delta_{c~,t}
 *               + U_o^T delta_{o,t}.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

#include "../vecmath.h"

#include <gsl/gsl_cblas.h>

enum { D_NIN, D_N, D_T };

static const gc_dim dims[] = {
    {"n_in", 3, 1, 4096, "input size (entries of x_t)"},
    {"n", 3, 1, 4096, "hidden size (entries of h_t, c_t)"},
    {"T", 4, 1, 1024, "time steps"},
    {NULL, 0, 0, 0, NULL}
};

/* Parameter blocks, in layout order. */
enum { P_WF, P_WI, P_WC, P_WO, P_UF, P_UI, P_UC, P_UO, P_BF, P_BI, P_BC,
       P_BO };
/* Quantity blocks, in layout order. */
enum { Q_ZF, Q_ZI, Q_ZC, Q_ZO, Q_C, Q_H };

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t ni = d[D_NIN], n = d[D_N], T = d[D_T];
    static const char *const wn[] = {"W_f", "W_i", "W_c", "W_o"};
    static const char *const un[] = {"U_f", "U_i", "U_c", "U_o"};
    static const char *const bn[] = {"b_f", "b_i", "b_c", "b_o"};
    static const char *const qn[] = {"z_f", "z_i", "z_c", "z_o", "c", "h", NULL};
    for (int k = 0; k < 4; k++)
        st = st ? st : gc_blocks_add(&L->params, wn[k], 2, n, ni, 1, 1, 1, 0);
    for (int k = 0; k < 4; k++)
        st = st ? st : gc_blocks_add(&L->params, un[k], 2, n, n, 1, 1, 1, 0);
    for (int k = 0; k < 4; k++)
        st = st ? st : gc_blocks_add(&L->params, bn[k], 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, T, ni, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, n, 1, 1, 1, 0, 0);
    for (int k = 0; k < 6; k++)
        st = st ? st : gc_blocks_add(&L->quantities, qn[k], 2, T, n, 1,
                                     1, 1, 0);
    /* work: h_0..h_T, c_0..c_T, the gates [f i c~ o] and tanh(c) for
     * t = 1..T, W x_t + b for t = 1..T, and eight n-vectors for the
     * backward pass. */
    L->work = 2 * (T + 1) * n + 9 * T * n + 8 * n;
    /* all six quantities are computed step by step: time-major order */
    gc_blocks_timed(&L->quantities, qn);
    return st;
}

/* Pointers into work.  h and c have T+1 rows (row 0 is h_0 = c_0 = 0); z
 * (the gates [f i c~ o] once activated, 4n per row), tc (tanh(c_t)) and a
 * (W x_t + b, 4n per row) have T rows (row s is time t = s+1). */
typedef struct {
    double *h, *c, *z, *tc, *a;
    double *dh, *dc, *dzf, *dzi, *dzg, *dzo, *dhp, *dcp;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    size_t n = p->dims[D_N], T = p->dims[D_T];
    view_t v;
    v.h = w;   w += (T + 1) * n;
    v.c = w;   w += (T + 1) * n;
    v.z = w;   w += T * 4 * n;
    v.tc = w;  w += T * n;
    v.a = w;   w += T * 4 * n;
    v.dh = w;  w += n;
    v.dc = w;  w += n;
    v.dzf = w; w += n;
    v.dzi = w; w += n;
    v.dzg = w; w += n;
    v.dzo = w; w += n;
    v.dhp = w; w += n;
    v.dcp = w;
    return v;
}

/* Step s of the cell, from its pre-activations z = [z_f z_i z_c z_o]
 * (4n, turned into the gates [f i c~ o]) and the previous cell state cp:
 * c_t into ct, tanh(c_t) into tc, h_t into ht, with the tap (may be NULL)
 * applied and the quantities written to q (may be NULL) as they are
 * computed.  forward() and forward_batch_tap() both run every step
 * through this function and gc_rows_dot, so a tapped copy in a batch is
 * forward()'s pass to the bit. */
static void cell_step(const gc_problem *p, size_t s, double *z,
                      const double *cp, double *ct, double *tc, double *ht,
                      const gc_tap *tap, double *q)
{
    size_t n = p->dims[D_N];
    const gc_block *Q = p->layout.quantities.block;
    if (tap || q)
        for (int k = 0; k < 4; k++) {
            size_t qo = Q[Q_ZF + k].offset + s * n;
            for (size_t j = 0; j < n; j++) {
                double *zj = &z[k * n + j];
                *zj = gc_tapped(tap, qo + j, *zj);
                if (q) q[qo + j] = *zj;
            }
        }
    gc_vsigmoid(z, 2 * n);          /* f, i */
    gc_vtanh(z + 2 * n, n);         /* c~ */
    gc_vsigmoid(z + 3 * n, n);      /* o */
    size_t qc = Q[Q_C].offset + s * n, qh = Q[Q_H].offset + s * n;
    for (size_t j = 0; j < n; j++) {
        ct[j] = gc_tapped(tap, qc + j, z[j] * cp[j] + z[n + j] * z[2 * n + j]);
        if (q) q[qc + j] = ct[j];
        tc[j] = ct[j];
    }
    gc_vtanh(tc, n);
    for (size_t j = 0; j < n; j++) {
        ht[j] = gc_tapped(tap, qh + j, z[3 * n + j] * tc[j]);
        if (q) q[qh + j] = ht[j];
    }
}

/* The loss 1/2 ||h_T - y||^2. */
static double loss_of(const double *hT, const double *y, size_t n)
{
    double e = 0;
    for (size_t j = 0; j < n; j++) e += (hT[j] - y[j]) * (hT[j] - y[j]);
    return 0.5 * e;
}

/* The pre-activations: z_t = (W x_t + b) + U h_{t-1}, the four gates'
 * blocks being contiguous in theta (W = [W_f; W_i; W_c; W_o] is one
 * 4n x n_in matrix, U one 4n x n, b one 4n-vector).  Both products go
 * through gc_rows_dot, whose order of operations is fixed (vecmath.c). */
static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    size_t G = 4 * n;
    const gc_block *P = L->params.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    const double *W = th + P[P_WF].offset, *U = th + P[P_UF].offset;
    const double *b = th + P[P_BF].offset;
    view_t v = view(p, work);

    gc_rows_dot(W, G, ni, b, x, ni, T, v.a, G);   /* W x_t + b, every t */
    memset(v.h, 0, n * sizeof *v.h);   /* h_0 = 0 */
    memset(v.c, 0, n * sizeof *v.c);   /* c_0 = 0 */
    for (size_t s = 0; s < T; s++) {
        double *z = v.z + s * G;
        gc_rows_dot(U, G, n, v.a + s * G, v.h + s * n, n, 1, z, G);
        cell_step(p, s, z, v.c + s * n, v.c + (s + 1) * n, v.tc + s * n,
                  v.h + (s + 1) * n, tap, q);
    }
    return loss_of(v.h + T * n, y, n);
}

/* Back-propagation through time.  `as_written` selects the homework's
 * recursion (W in place of U, no cell carry); otherwise correct BPTT.
 * grad and dq may be NULL. */
static int backprop(const gc_problem *p, const double *th, int as_written,
                    double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    /* The seed's delta_{*,t}^T W_* has n_in entries but stands for
     * delta_{t-1}, which has n: defined only when n_in = n. */
    if (as_written && ni != n) return GC_ESHAPE;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    if (grad) memset(grad, 0, L->params.n * sizeof *grad);
    const double *hT = v.h + T * n;
    for (size_t j = 0; j < n; j++) {
        v.dh[j] = hT[j] - y[j];       /* delta_T = h_T - y */
        v.dc[j] = 0;                  /* no cell error after step T */
    }
    double *dz[4] = {v.dzf, v.dzi, v.dzg, v.dzo};
    for (size_t s = T; s-- > 0;) {
        const double *f = v.z + s * 4 * n, *i = f + n, *g = f + 2 * n;
        const double *o = f + 3 * n, *tc = v.tc + s * n;
        const double *cp = v.c + s * n, *hp = v.h + s * n;
        const double *xt = x + s * ni;
        for (size_t j = 0; j < n; j++) {
            /* dL/dc_t through h_t; plus the carry dc_{t+1} f_{t+1} when
             * corrected (v.dc is zero for the seed). */
            double dct = v.dh[j] * o[j] * (1 - tc[j] * tc[j]) + v.dc[j];
            v.dzo[j] = v.dh[j] * tc[j] * o[j] * (1 - o[j]);
            v.dzf[j] = dct * cp[j] * f[j] * (1 - f[j]);
            v.dzi[j] = dct * g[j] * i[j] * (1 - i[j]);
            v.dzg[j] = dct * i[j] * (1 - g[j] * g[j]);
            v.dcp[j] = as_written ? 0.0 : dct * f[j];
            if (dq) {
                dq[Q[Q_C].offset + s * n + j] = dct;
                dq[Q[Q_H].offset + s * n + j] = v.dh[j];
            }
        }
        if (dq)
            for (int k = 0; k < 4; k++)
                memcpy(dq + Q[Q_ZF + k].offset + s * n, dz[k],
                       n * sizeof *dq);
        if (grad)
            for (int k = 0; k < 4; k++) {
                nn_outer_add(grad + P[P_WF + k].offset, n, ni, dz[k], xt);
                nn_outer_add(grad + P[P_UF + k].offset, n, n, dz[k], hp);
                double *gb = grad + P[P_BF + k].offset;
                for (size_t j = 0; j < n; j++) gb[j] += dz[k][j];
            }
        /* delta_{t-1}: through U_* (corrected) or W_* (as written, n_in = n
         * checked above, so W_*^T delta has n entries). */
        memset(v.dhp, 0, n * sizeof *v.dhp);
        for (int k = 0; k < 4; k++) {
            if (as_written)
                nn_matvec_t_add(th + P[P_WF + k].offset, n, ni, dz[k], v.dhp);
            else
                nn_matvec_t_add(th + P[P_UF + k].offset, n, n, dz[k], v.dhp);
        }
        memcpy(v.dh, v.dhp, n * sizeof *v.dh);
        memcpy(v.dc, v.dcp, n * sizeof *v.dc);
    }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return backprop(p, th, 1, grad, NULL, work);
}

static int seed_quantity_grads(const gc_problem *p, const double *th,
                               double *dq, double *work)
{
    return backprop(p, th, 1, NULL, dq, work);
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return backprop(p, th, 0, grad, NULL, work);
}

static int corrected_quantity_grads(const gc_problem *p, const double *th,
                                    double *dq, double *work)
{
    return backprop(p, th, 0, NULL, dq, work);
}

/* Batched forward passes (gc_model_type.forward_batch): m copies of theta,
 * copy i with parameter entry k_i set to x_i = theta_{k_i} + d_i.  The four
 * gates' blocks are contiguous in theta, so W = [W_f; W_i; W_c; W_o] is one
 * 4n x n_in matrix, U one 4n x n and b one 4n-vector, and for every copy
 *   Z_t = (W x_t + b) + U h_{t-1}  +  d_i (x_t)_c e_r     (k_i = W_{r,c})
 *                                  +  d_i (h_{t-1})_c e_r (k_i = U_{r,c})
 *                                  +  d_i e_r             (k_i = b_r)
 * The first term is the same for all copies (one T x 4n product per call);
 * the second is, over the copies, the matrix product H_{t-1} U^T with the
 * copies' hidden states as rows (cblas_dgemm, shared weights); the rank-one
 * correction touches one entry of z per copy and step.  The gates and the
 * cell then run elementwise as in forward(), with the same vectorised tanh
 * and sigmoid (vecmath.c).  The sums are those of forward() in another
 * order, so the losses agree with forward()'s to a few ulps. */
static size_t batch_work(const gc_problem *p, size_t m)
{
    size_t n = p->dims[D_N], T = p->dims[D_T];
    /* forward_batch: A (T x 4n), and per copy h, c (n each) and z (4n);
     * forward_batch_tap: forward()'s work, and per copy h, c, tanh(c)
     * (n each), z (4n) and two indices */
    size_t param = T * 4 * n + m * 6 * n;
    size_t tap = p->layout.work + m * 7 * n + 2 * m;
    return param > tap ? param : tap;
}

/* z_r += d y_c over entries a .. a+len-1 of an R x C matrix stored from
 * offset o (d_j = t v_j, or one entry with d), row by row. */
static void add_rows(double *z, size_t o, size_t C, size_t a, size_t len,
                     const double *v, double t, const double *y)
{
    size_t r = (a - o) / C, c = (a - o) % C;
    for (size_t j = 0; j < len; j++) {
        z[r] += t * v[j] * y[c];
        if (++c == C) { c = 0; r++; }
    }
}

/* The batched pass for copies of theta changed in one entry each (kk, xx)
 * or along one direction each (a, len, v, t; kk NULL). */
static int batch(const gc_problem *p, const double *th, const size_t *kk,
                 const double *xx, const size_t *a, const size_t *len,
                 const double *const *v, const double *t, size_t m,
                 double *loss, double *work)
{
    const gc_layout *L = &p->layout;
    size_t ni = p->dims[D_NIN], n = p->dims[D_N], T = p->dims[D_T];
    size_t G = 4 * n;
    const gc_block *P = L->params.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    const double *W = th + P[P_WF].offset, *U = th + P[P_UF].offset;
    const double *b = th + P[P_BF].offset;
    size_t oW = P[P_WF].offset, oU = P[P_UF].offset, oB = P[P_BF].offset;
    double *A = work, *H = A + T * G, *C = H + m * n, *Z = C + m * n;
    static const double one = 1.0;

    /* A_t = W x_t + b for every step: A = X W^T (T x 4n), plus b */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)G,
                (int)ni, 1.0, x, (int)ni, W, (int)ni, 0.0, A, (int)G);
    for (size_t s = 0; s < T; s++)
        for (size_t r = 0; r < G; r++) A[s * G + r] += b[r];
    memset(H, 0, 2 * m * n * sizeof *H);   /* h_0 = c_0 = 0 */
    for (size_t s = 0; s < T; s++) {
        const double *As = A + s * G, *xt = x + s * ni;
        for (size_t i = 0; i < m; i++) memcpy(Z + i * G, As, G * sizeof *Z);
        if (s > 0)                         /* Z += H U^T (U h_0 = 0) */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m,
                        (int)G, (int)n, 1.0, H, (int)n, U, (int)n, 1.0, Z,
                        (int)G);
        for (size_t i = 0; i < m; i++) {   /* the change of the copy */
            double *z = Z + i * G, *h = H + i * n;
            size_t k = kk ? kk[i] : a[i], nk = kk ? 1 : len[i];
            const double *vk = kk ? &one : v[i];
            double d = kk ? xx[i] - th[k] : t[i];
            if (k < oU) add_rows(z, oW, ni, k, nk, vk, d, xt);
            else if (k < oB) add_rows(z, oU, n, k, nk, vk, d, h);
            else
                for (size_t j = 0; j < nk; j++) z[k - oB + j] += d * vk[j];
        }
        for (size_t i = 0; i < m; i++) {
            /* z = [f i c~ o] after the activations; tanh(c_t) replaces c~
             * once c_t is known */
            double *z = Z + i * G, *c = C + i * n, *h = H + i * n;
            gc_vsigmoid(z, 2 * n);
            gc_vtanh(z + 2 * n, n);
            gc_vsigmoid(z + 3 * n, n);
            for (size_t j = 0; j < n; j++) {
                c[j] = z[j] * c[j] + z[n + j] * z[2 * n + j];
                z[2 * n + j] = c[j];
            }
            gc_vtanh(z + 2 * n, n);
            for (size_t j = 0; j < n; j++) h[j] = z[3 * n + j] * z[2 * n + j];
        }
    }
    for (size_t i = 0; i < m; i++) {
        const double *h = H + i * n;
        double e = 0;
        for (size_t j = 0; j < n; j++) e += (h[j] - y[j]) * (h[j] - y[j]);
        loss[i] = 0.5 * e;
    }
    return GC_OK;
}

static int forward_batch(const gc_problem *p, const double *th,
                         const size_t *kk, const double *xx, size_t m,
                         double *loss, double *work)
{
    return batch(p, th, kk, xx, NULL, NULL, NULL, NULL, m, loss, work);
}

/* Along directions: the same pass, each copy's change being t v on a range
 * of one block (z_r += t sum_j v_j y_j over the range's entries of row r,
 * y = x_t for W, h_{t-1} for U, 1 for b). */
static int forward_batch_dir(const gc_problem *p, const double *th,
                             const size_t *a, const size_t *len,
                             const double *const *v, const double *t,
                             size_t m, double *loss, double *work)
{
    return batch(p, th, NULL, NULL, a, len, v, t, m, loss, work);
}

/* Batched forward passes with taps (gc_model_type.forward_batch_tap):
 * copy i is forward(p, theta, &taps[i]).  A tap at step s changes nothing
 * before s, so the unperturbed pass is run once (forward(), into work) and
 * copy i starts at its tap's step from that pass's h and c; from there on
 * the copies whose steps have begun run side by side, their hidden states
 * the rows of one matrix H, z = (W x_t + b) + U h_{t-1} for all of them in
 * one gc_rows_dot call (sharing the loads of U), then cell_step per copy.
 * Every value of a copy is computed by the same operations as in forward()
 * (gc_rows_dot's order does not depend on the number of copies), so each
 * loss is forward()'s with that tap to the bit. */
static int forward_batch_tap(const gc_problem *p, const double *th,
                             const gc_tap *taps, size_t m, double *loss,
                             double *work)
{
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_N], T = p->dims[D_T], G = 4 * n;
    const double *U = th + L->params.block[P_UF].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);
    double *H = work + L->work, *C = H + m * n, *TC = C + m * n;
    double *Z = TC + m * n;
    /* index storage inside the (untyped, malloc'ed) work */
    size_t *step = (size_t *)(Z + m * G), *copy = step + m;
    for (size_t i = 0; i < m; i++) {   /* the step of each tap */
        size_t j = taps[i].index;
        if (j >= L->quantities.n) return GC_EINVAL;
        const gc_block *b = gc_blocks_of(&L->quantities, j);
        step[i] = (j - b->offset) / n;
    }
    size_t na = 0;   /* copies started: rows 0 .. na-1 of H, C, Z */
    for (size_t s = 0; s < T; s++) {
        for (size_t i = 0; i < m; i++)
            if (step[i] == s) {
                memcpy(H + na * n, v.h + s * n, n * sizeof *H);
                memcpy(C + na * n, v.c + s * n, n * sizeof *C);
                copy[na++] = i;
            }
        if (!na) continue;
        gc_rows_dot(U, G, n, v.a + s * G, H, n, na, Z, G);
        for (size_t r = 0; r < na; r++)
            cell_step(p, s, Z + r * G, C + r * n, C + r * n, TC + r * n,
                      H + r * n, &taps[copy[r]], NULL);
    }
    for (size_t r = 0; r < na; r++)
        loss[copy[r]] = loss_of(H + r * n, y, n);
    return GC_OK;
}

static const char *const all_quantities[] = {"z_f", "z_i", "z_c", "z_o",
                                             "c", "h", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "Problem 6.4 as written: delta_{t-1} = sum delta_{*,t}^T W_* "
               "(input weights for U_*), no error carried along c_t; "
               "needs n_in = n",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers = NULL,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "BPTT with delta_{t-1} = sum U_*^T delta_{*,t} and the cell "
               "carry dc_{t-1} += dc_t (.) f_t",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
    .covers = NULL,
    .covers_quantities = all_quantities,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_lstm_001_6_4 = {
    .name = "lstm_001_6_4",
    .title = "one LSTM layer over T steps, loss 1/2 ||h_T - y||^2, BPTT",
    .source = "001_d60de9d6fdeee42c.txt, Problem 6.4",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
    .forward_batch = forward_batch,
    .batch_work = batch_work,
    .forward_batch_dir = forward_batch_dir,
    .forward_batch_tap = forward_batch_tap,
};
