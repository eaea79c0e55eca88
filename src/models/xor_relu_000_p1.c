/* xor_relu_000_p1.c: the two-unit ReLU network meant to compute XOR, of seed
 * 000_be569bac7671ce6e.txt, Problem 1 (1) ("Multi-layer Perception").
 *
 * Notation of the homework (two inputs x1, x2, two hidden ReLU units):
 *   a_1 = ReLU(w11 x1 + w12 x2 + b1)
 *   a_2 = ReLU(w21 x1 + w22 x2 + b2)
 *   output f(w01 a_1 + w02 a_2 + b0)
 * with w11 = w12 = 1, b1 = -1, w21 = w22 = 1, b2 = -2, w01 = 1, w02 = -2,
 * b0 = 0.  The homework never says what f is in part (1) (part (2) uses a
 * threshold); we take f = identity, so the output is y = w01 a_1 + w02 a_2
 * + b0 (a threshold would make the loss piecewise constant and every
 * gradient zero).
 *
 * The model runs the whole truth table at once: inputs x[n][1], x[n][2] for
 * the four patterns n = 1..4 in the order the homework discusses them,
 * (0,0), (1,0), (0,1), (1,1), with targets t[n] = x1 XOR x2, and the loss
 *   L = sum_{n=1}^4 (y_n - t_n)^2
 * (a squared loss over the truth table: the homework states no loss).
 *
 * Quantities: s[n][j] = w_j1 x1 + w_j2 x2 + b_j (pre-activations), a[n][j]
 * (the hidden units' outputs), y[n] (the network's output), so the
 * homework's "Output Analysis" can be checked as claims.  Computed at the
 * stated weights the network is not XOR: s[2][1] = s[3][1] = 1 + 0 - 1 = 0,
 * so the first unit outputs 0 (not 1) on (1,0) and (0,1), and on (1,1)
 * a = (1, 0) gives y = 1 (not 0): the outputs are (0, 0, 0, 1), i.e. AND,
 * and L = 3.
 *
 * Derivations: Problem 1 writes no gradient at all, so there is no `seed`
 * derivation; `corrected` is back-propagation with ReLU'(s) = 1 for s > 0
 * and 0 for s <= 0 (at the hinge s = 0 exactly we take the left side, 0, as
 * PyTorch does).  At the stated weights three pre-activations sit exactly
 * on the hinge (s[2][1], s[3][1], s[4][2]), so the loss is not
 * differentiable in w11, w12, b1, w21, w22, b2 there: those entries are
 * kinks (the one-sided derivatives differ), whatever side is picked.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { W11, W12, B1, W21, W22, B2, W01, W02, B0 };   /* parameter blocks */
enum { S, A, Y };                                    /* quantity blocks */
enum { N = 4 };                                      /* truth-table rows */

static const gc_dim dims[] = {
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    static const char *const pn[] = {"w11", "w12", "b1", "w21", "w22", "b2",
                                     "w01", "w02", "b0"};
    int st = 0;
    for (size_t i = 0; i < 9; i++)
        st = st ? st : gc_blocks_add(&L->params, pn[i], 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 2, N, 2, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "t", 1, N, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "s", 2, N, 2, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "a", 2, N, 2, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "y", 1, N, 1, 1, 1, 0, 0);
    /* work: s, a (N x 2 each) and y (N), as used downstream */
    L->work = 5 * N;
    return st;
}

typedef struct {
    double *s, *a, *y;     /* s[2n + j], a[2n + j], y[n]; n, j from 0 */
} fwd_view;

static fwd_view view(double *w)
{
    fwd_view v = {w, w + 2 * N, w + 4 * N};
    return v;
}

static double par(const gc_problem *p, const double *th, int k)
{
    return th[p->layout.params.block[k].offset];
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *t = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(work);
    const double w[2][2] = {{par(p, th, W11), par(p, th, W12)},
                            {par(p, th, W21), par(p, th, W22)}};
    const double b[2] = {par(p, th, B1), par(p, th, B2)};
    const double w0[2] = {par(p, th, W01), par(p, th, W02)};
    double loss = 0;
    for (size_t n = 0; n < N; n++) {
        for (size_t j = 0; j < 2; j++) {
            size_t e = 2 * n + j;
            v.s[e] = gc_tapped(tap, Q[S].offset + e,
                               w[j][0] * x[2 * n] + w[j][1] * x[2 * n + 1]
                               + b[j]);
            v.a[e] = gc_tapped(tap, Q[A].offset + e, nn_relu(v.s[e]));
        }
        v.y[n] = gc_tapped(tap, Q[Y].offset + n,
                           w0[0] * v.a[2 * n] + w0[1] * v.a[2 * n + 1]
                           + par(p, th, B0));
        if (q) {
            for (size_t j = 0; j < 2; j++) {
                q[Q[S].offset + 2 * n + j] = v.s[2 * n + j];
                q[Q[A].offset + 2 * n + j] = v.a[2 * n + j];
            }
            q[Q[Y].offset + n] = v.y[n];
        }
        loss += (v.y[n] - t[n]) * (v.y[n] - t[n]);
    }
    return loss;
}

/* ------------------------------------------------------------ corrected */

/* ReLU'(s): 1 for s > 0, 0 for s <= 0 (the left derivative at the hinge). */
static double drelu(double s) { return s > 0 ? 1.0 : 0.0; }

/* Back-propagation over the four patterns; fills grad and dq (each may be
 * NULL). */
static int backprop(const gc_problem *p, const double *th, double *grad,
                    double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *t = p->inputs + L->inputs.block[1].offset;
    fwd_view v = view(work);
    forward(p, th, NULL, NULL, work);
    const double w0[2] = {par(p, th, W01), par(p, th, W02)};
    /* per hidden unit j: dL/dw_j1, dL/dw_j2, dL/db_j */
    double gw[2][2] = {{0, 0}, {0, 0}}, gb[2] = {0, 0}, gw0[2] = {0, 0};
    double gb0 = 0;
    for (size_t n = 0; n < N; n++) {
        double g_y = 2 * (v.y[n] - t[n]);               /* dL/dy_n */
        gb0 += g_y;
        if (dq) dq[Q[Y].offset + n] = g_y;
        for (size_t j = 0; j < 2; j++) {
            size_t e = 2 * n + j;
            gw0[j] += g_y * v.a[e];
            double g_a = g_y * w0[j];                   /* dL/da_nj */
            double g_s = g_a * drelu(v.s[e]);           /* dL/ds_nj */
            gw[j][0] += g_s * x[2 * n];
            gw[j][1] += g_s * x[2 * n + 1];
            gb[j] += g_s;
            if (dq) {
                dq[Q[A].offset + e] = g_a;
                dq[Q[S].offset + e] = g_s;
            }
        }
    }
    if (grad) {
        grad[P[W11].offset] = gw[0][0];
        grad[P[W12].offset] = gw[0][1];
        grad[P[B1].offset] = gb[0];
        grad[P[W21].offset] = gw[1][0];
        grad[P[W22].offset] = gw[1][1];
        grad[P[B2].offset] = gb[1];
        grad[P[W01].offset] = gw0[0];
        grad[P[W02].offset] = gw0[1];
        grad[P[B0].offset] = gb0;
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

/* No `seed`: Problem 1 gives weights and a truth-table analysis, no
 * gradient formula. */
static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "back-propagation over the truth table, ReLU'(s) = 1 for s > 0, "
               "0 for s <= 0 (left side at the hinge); the homework writes no "
               "gradient",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&corrected, NULL};

const gc_model_type gc_model_xor_relu_000_p1 = {
    .name = "xor_relu_000_p1",
    .title = "two-unit ReLU network for XOR, squared loss over the truth table",
    .source = "000_be569bac7671ce6e.txt, Problem 1",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
