/* relu_net_003_1.c: the 2-4-2 ReLU network with a softmax output of seed
 * 003_cced1246537421bc.txt, "1 Neural Networks" (1.1 Feed forward step,
 * 1.3 Output of Neural Network).
 *
 * Notation of the homework (f(s) = max{s, 0} on every neuron):
 *   z_j = x_1 W_1j + x_2 W_2j + W_0j          f(z_j)   j = 1..4
 *   u_k = f(z_1) V_1k + ... + f(z_4) V_4k + V_0k   f(u_k)   k = 1, 2
 *   o_k = e^{f(u_k)} / (e^{f(u_1)} + e^{f(u_2)})
 * i.e. the softmax is taken of f(u), not of u (its code: softmax applies
 * f inside `fexp`).  Given
 *   [W_11 W_21 W_01; W_12 W_22 W_02; W_13 W_23 W_03; W_14 W_24 W_04]
 *     = [1 0 -1; 0 1 -1; -1 0 -1; 0 -1 -1]
 *   [V_11 V_21 V_31 V_41 V_01; V_12 V_22 V_32 V_42 V_02]
 *     = [1 1 1 1 0; -1 -1 -1 -1 2].
 *
 * Blocks use the homework's indices, not the printed layout: W is 3 x 4
 * with W[i][j] = W_ij (row i = 0 is the bias W_0j, rows 1, 2 the inputs),
 * V is 5 x 2 with V[k][j] = V_kj (row 0 the bias).  The printed matrices are
 * their transposes with the bias column moved last; the case files say so.
 *
 * The homework states only forward values (1.1: (o_1, o_2) at x = (3, 14);
 * 1.3: o_1 when f(z_1) + ... + f(z_4) = S for S = 1, 0, 3) and no loss and
 * no gradient, so there is no `seed` derivation.  For `corrected` we take
 * the cross-entropy L = -sum_k y_k log o_k with a one-hot target y (an
 * input), and back-propagate:
 *   dL/df(u_k) = o_k sum(y) - y_k,   dL/du_k = dL/df(u_k) [u_k > 0]
 *   dL/df(z_j) = sum_k V_jk dL/du_k, dL/dz_j = dL/df(z_j) [z_j > 0]
 *   dL/dV_0k = dL/du_k, dL/dV_jk = f(z_j) dL/du_k
 *   dL/dW_0j = dL/dz_j, dL/dW_ij = x_i dL/dz_j.
 * At a hinge (z_j = 0 or u_k = 0) the derivative is taken as 0; the check
 * reports such entries as kinks.
 *
 * The softmax is evaluated as the homework's code does, e^{f(u_k)} over the
 * plain sum (no shift by the maximum), so that the stated 16-digit outputs
 * are reproduced to the last bit (1/(1 + e^{-15}) differs from
 * e^15/(e^15 + e^0) in the last bit); only when max f(u) > 700, where e^x
 * would overflow, is the shifted form used.
 *
 * Quantities, in forward order: z (4), fz = f(z) (4), u (2), fu = f(u) (2),
 * o (2), each tapped right after it is computed.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { P_W, P_V };                       /* parameter blocks */
enum { I_X, I_Y };                       /* inputs */
enum { Q_Z, Q_FZ, Q_U, Q_FU, Q_O };      /* quantity blocks */

static const gc_dim dims[] = {
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "W", 2, 3, 4, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->params, "V", 2, 5, 2, 1, 0, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 1, 2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, 2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "z", 1, 4, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "fz", 1, 4, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "u", 1, 2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "fu", 1, 2, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "o", 1, 2, 1, 1, 1, 0, 0);
    /* work: z, fz (4 each), u, fu, o (2 each), dz (4), du (2) */
    L->work = 4 + 4 + 2 + 2 + 2 + 4 + 2;
    return st;
}

typedef struct {
    double *z, *fz, *u, *fu, *o, *dz, *du;
} fwd_view;

static fwd_view view(double *w)
{
    fwd_view v;
    v.z = w;  w += 4;
    v.fz = w; w += 4;
    v.u = w;  w += 2;
    v.fu = w; w += 2;
    v.o = w;  w += 2;
    v.dz = w; w += 4;
    v.du = w;
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *Q = L->quantities.block;
    const double *W = th + L->params.block[P_W].offset;   /* W[i*4 + j-1] */
    const double *V = th + L->params.block[P_V].offset;   /* V[k*2 + j-1] */
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    fwd_view v = view(work);

    for (size_t j = 0; j < 4; j++) {
        double z = x[0] * W[1 * 4 + j] + x[1] * W[2 * 4 + j] + W[0 * 4 + j];
        v.z[j] = gc_tapped(tap, Q[Q_Z].offset + j, z);
        if (q) q[Q[Q_Z].offset + j] = v.z[j];
    }
    for (size_t j = 0; j < 4; j++) {
        v.fz[j] = gc_tapped(tap, Q[Q_FZ].offset + j, nn_relu(v.z[j]));
        if (q) q[Q[Q_FZ].offset + j] = v.fz[j];
    }
    for (size_t k = 0; k < 2; k++) {
        double u = V[0 * 2 + k];
        for (size_t j = 0; j < 4; j++) u += v.fz[j] * V[(j + 1) * 2 + k];
        v.u[k] = gc_tapped(tap, Q[Q_U].offset + k, u);
        if (q) q[Q[Q_U].offset + k] = v.u[k];
    }
    for (size_t k = 0; k < 2; k++) {
        v.fu[k] = gc_tapped(tap, Q[Q_FU].offset + k, nn_relu(v.u[k]));
        if (q) q[Q[Q_FU].offset + k] = v.fu[k];
    }
    /* o = softmax(f(u)), as the homework's code evaluates it */
    double mx = v.fu[0] > v.fu[1] ? v.fu[0] : v.fu[1];
    double e[2], s;
    if (mx > 700) {
        nn_softmax(v.fu, 2, e);
    } else {
        e[0] = exp(v.fu[0]);
        e[1] = exp(v.fu[1]);
        s = e[0] + e[1];
        e[0] /= s;
        e[1] /= s;
    }
    double loss = 0;
    for (size_t k = 0; k < 2; k++) {
        v.o[k] = gc_tapped(tap, Q[Q_O].offset + k, e[k]);
        if (q) q[Q[Q_O].offset + k] = v.o[k];
        if (y[k] != 0) loss -= y[k] * log(v.o[k]);
    }
    return loss;
}

/* Back-propagation of the cross-entropy; grad and dq may be NULL. */
static int backprop(const gc_problem *p, const double *th, double *grad,
                    double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *V = th + P[P_V].offset;
    const double *x = p->inputs + L->inputs.block[I_X].offset;
    const double *y = p->inputs + L->inputs.block[I_Y].offset;
    fwd_view v = view(work);
    forward(p, th, NULL, NULL, work);

    double sy = y[0] + y[1];
    for (size_t k = 0; k < 2; k++) {
        double dfu = v.o[k] * sy - y[k];
        v.du[k] = v.u[k] > 0 ? dfu : 0.0;
        if (dq) {
            dq[Q[Q_O].offset + k] = y[k] != 0 ? -y[k] / v.o[k] : 0.0;
            dq[Q[Q_FU].offset + k] = dfu;
            dq[Q[Q_U].offset + k] = v.du[k];
        }
    }
    for (size_t j = 0; j < 4; j++) {
        double dfz = V[(j + 1) * 2 + 0] * v.du[0] + V[(j + 1) * 2 + 1] * v.du[1];
        v.dz[j] = v.z[j] > 0 ? dfz : 0.0;
        if (dq) {
            dq[Q[Q_FZ].offset + j] = dfz;
            dq[Q[Q_Z].offset + j] = v.dz[j];
        }
    }
    if (grad) {
        double *gW = grad + P[P_W].offset, *gV = grad + P[P_V].offset;
        for (size_t k = 0; k < 2; k++) {
            gV[0 * 2 + k] = v.du[k];
            for (size_t j = 0; j < 4; j++)
                gV[(j + 1) * 2 + k] = v.fz[j] * v.du[k];
        }
        for (size_t j = 0; j < 4; j++) {
            gW[0 * 4 + j] = v.dz[j];
            gW[1 * 4 + j] = x[0] * v.dz[j];
            gW[2 * 4 + j] = x[1] * v.dz[j];
        }
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

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "cross-entropy through softmax(f(u)): dL/du = (o - y)[u > 0], "
               "dL/dz = (V dL/du)[z > 0], dL/dV = f(z) dL/du, dL/dW = x dL/dz "
               "(the homework derives no gradient)",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&corrected, NULL};

const gc_model_type gc_model_relu_net_003_1 = {
    .name = "relu_net_003_1",
    .title = "2-4-2 ReLU network, softmax of f(u), cross-entropy",
    .source = "003_cced1246537421bc.txt, 1 Neural Networks",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
