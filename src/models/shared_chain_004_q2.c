/* shared_chain_004_q2.c: the shared-weight chain of seed
 * 004_551e535e53da35e5.txt, Question 2.
 *
 * Notation of the homework (v and w shared weights, theta "some arbitrary
 * activation function"):
 *   x^(1)_i = theta(w x^(0)_i),  i = 1, 2, 3
 *   x^(2)_2 = x^(1)_2 + v x^(1)_1
 *   x^(2)_3 = x^(1)_3 + v x^(2)_2,     y^ = x^(2)_3
 *   e = (y^ - y)^2,                    Delta = y^ - y
 * The forward equations are never written out; they are read off (a)
 * ("x_3^(2) = x_3^(1) + v x_2^(2) = x_3^(1) + v(x_2^(1) + v x_1^(1))") and
 * (e) ("y^ = theta(w x_3) + gamma theta(w x_2) + gamma^2 theta(w x_1)").
 * The homework also writes r (in (b)-(d)) and gamma (in (d), (e)) for v.
 *
 * Its derivation, implemented as `seed` as written:
 *   (a) de/dv = 2 Delta (x^(1)_2 + 2 v x^(1)_1)
 *   (b) de/dx^(2)_2 = 2 r Delta,  de/dx^(1)_1 = 2 r^2 Delta,
 *       de/dx^(1)_2 = 2 r Delta,  de/dx^(1)_3 = 2 Delta
 *   (c) de/dw = 2 r^2 Delta theta'(w x_1) x_1 + 2 r Delta theta'(w x_2) x_2
 *               + 2 Delta theta'(w x_3) x_3          (x_i = x^(0)_i)
 *   (d) de/dx^(0)_1 = 2 r^2 Delta theta'(w x_1) w
 *       de/dx^(0)_2 = 2 r Delta theta'(w x_2) w
 *       de/dx^(0)_3 = (2 gamma) theta'(w x_3) w
 * (a), (b), (c) and the first two lines of (d) are right.  The last line of
 * (d) has 2 gamma = 2 v where the chain rule and the line's own first factor
 * de/dx^(1)_3 = 2 Delta (from (b)) give 2 Delta; it is taken as written (a
 * gamma misread for a handwritten Delta would be an OCR slip, but the OCR
 * reads gamma for v consistently elsewhere).  So `seed` disagrees in
 * de/dx^(0)_3 wherever theta'(w x_3) w != 0 and v != Delta.
 *
 * To check (d), x^(0) is a PARAMETER block (x0), next to v and w: the
 * derivation's "de/dx" then counts in its verdict like de/dv and de/dw.
 * The case's random points redraw x^(0) as well.  y is an input.
 *
 * theta is a dim: 0 = ReLU max(0, s) (part (e)), 1 = tanh.  theta'(0) is
 * taken as 0 for ReLU; a hinge w x_i = 0 is reported as a kink.
 *
 * `corrected`: the same as `seed` with de/dx^(0)_3 = 2 Delta theta'(w x_3) w.
 * Quantities, in forward order: x1 = x^(1) (3, indices 1..3) and
 * x2 = (x^(2)_2, x^(2)_3) (indices 2, 3; x2[3] is y^).  Both derivations
 * claim (b) for x1 and x2[2], and de/dy^ = 2 Delta (from (a)) for x2[3].
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_THETA };

static const gc_dim dims[] = {
    {"theta", 0, 0, 1, "activation: 0 ReLU max(0, s) (part (e)), 1 tanh"},
    {NULL, 0, 0, 0, NULL}
};

enum { P_V, P_W, P_X0 };
enum { Q_X1, Q_X2 };

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "v", 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "w", 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "x0", 1, 3, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "x1", 1, 3, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "x2", 1, 2, 1, 1, 2, 0, 0);
    /* work: x^(1)_1..3, x^(2)_2, x^(2)_3 */
    L->work = 5;
    return st;
}

static double theta(int tanh_, double s) { return tanh_ ? tanh(s) : nn_relu(s); }
static double dtheta(int tanh_, double s)
{
    if (tanh_) { double t = tanh(s); return 1 - t * t; }
    return s > 0 ? 1.0 : 0.0;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    int th_tanh = p->dims[D_THETA] != 0;
    double v = th[P[P_V].offset], w = th[P[P_W].offset];
    const double *x0 = th + P[P_X0].offset;
    double y = p->inputs[L->inputs.block[0].offset];
    double *x1 = work, *x2 = work + 3;   /* x2[0] = x^(2)_2, x2[1] = x^(2)_3 */

    for (size_t i = 0; i < 3; i++) {
        x1[i] = gc_tapped(tap, Q[Q_X1].offset + i, theta(th_tanh, w * x0[i]));
        if (q) q[Q[Q_X1].offset + i] = x1[i];
    }
    x2[0] = gc_tapped(tap, Q[Q_X2].offset + 0, x1[1] + v * x1[0]);
    x2[1] = gc_tapped(tap, Q[Q_X2].offset + 1, x1[2] + v * x2[0]);
    if (q) {
        q[Q[Q_X2].offset + 0] = x2[0];
        q[Q[Q_X2].offset + 1] = x2[1];
    }
    return (x2[1] - y) * (x2[1] - y);
}

/* The homework's (a)-(d); as_written keeps (d)'s 2 gamma.  grad and dq may
 * be NULL. */
static int derive(const gc_problem *p, const double *th, int as_written,
                  double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    int t = p->dims[D_THETA] != 0;
    double v = th[P[P_V].offset], w = th[P[P_W].offset];
    double r = v, gamma = v;              /* the homework's other names */
    const double *x0 = th + P[P_X0].offset;
    double y = p->inputs[L->inputs.block[0].offset];
    forward(p, th, NULL, NULL, work);
    const double *x1 = work, *x2 = work + 3;
    double D = x2[1] - y;                 /* Delta = y^ - y */
    double t1 = dtheta(t, w * x0[0]), t2 = dtheta(t, w * x0[1]);
    double t3 = dtheta(t, w * x0[2]);

    if (grad) {
        /* (a) */
        grad[P[P_V].offset] = 2 * D * (x1[1] + 2 * v * x1[0]);
        /* (c) */
        grad[P[P_W].offset] = 2 * r * r * D * t1 * x0[0]
                            + 2 * r * D * t2 * x0[1] + 2 * D * t3 * x0[2];
        /* (d) */
        double *gx = grad + P[P_X0].offset;
        gx[0] = 2 * r * r * D * t1 * w;
        gx[1] = 2 * r * D * t2 * w;
        gx[2] = (as_written ? 2 * gamma : 2 * D) * t3 * w;
    }
    if (dq) {
        /* (b), and de/dy^ = 2 Delta from (a) */
        dq[Q[Q_X2].offset + 1] = 2 * D;
        dq[Q[Q_X2].offset + 0] = 2 * r * D;
        dq[Q[Q_X1].offset + 0] = 2 * r * r * D;
        dq[Q[Q_X1].offset + 1] = 2 * r * D;
        dq[Q[Q_X1].offset + 2] = 2 * D;
    }
    return GC_OK;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    return derive(p, th, 1, grad, NULL, work);
}

static int seed_quantity_grads(const gc_problem *p, const double *th,
                               double *dq, double *work)
{
    return derive(p, th, 1, NULL, dq, work);
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return derive(p, th, 0, grad, NULL, work);
}

static int corrected_quantity_grads(const gc_problem *p, const double *th,
                                    double *dq, double *work)
{
    return derive(p, th, 0, NULL, dq, work);
}

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "Question 2 (a)-(d) as written: de/dv = 2 Delta (x1_2 + 2v x1_1), "
               "de/dw and de/dx0_1,2 right, de/dx0_3 = (2 gamma) theta'(w x3) w",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "(a)-(d) with de/dx0_3 = 2 Delta theta'(w x3) w",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_shared_chain_004_q2 = {
    .name = "shared_chain_004_q2",
    .title = "shared-weight chain y^ = theta(w x3) + v theta(w x2) + "
             "v^2 theta(w x1), squared error",
    .source = "004_551e535e53da35e5.txt, Question 2",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
