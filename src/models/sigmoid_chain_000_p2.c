/* sigmoid_chain_000_p2.c: the scalar chain of three sigmoid units and a
 * linear output of seed 000_be569bac7671ce6e.txt, Problem 2 ("Gradient
 * explosion and gradient vanishing").
 *
 * Notation of the homework (all scalars, sigma the logistic function):
 *   h1 = sigma(w1 x + b1)
 *   h2 = sigma(w2 h1 + b2)
 *   h3 = sigma(w3 h2 + b3)
 *   o  = w4 h3 + b4
 * The homework differentiates the output o itself, so o is the "loss".
 *
 * Its formula (2.1):
 *   do/db1 = do/dh3 . dh3/dh2 . dh2/dh1 . dh1/db1
 *          = w4 . w3 . sigma'(w3 h2 + b3) . w2 . sigma'(w2 h1 + b2)
 *               . sigma'(w1 x + b1)
 *          = w4 . w3 . w2 [1 - sigma(w3 h2 + b3)] . sigma(w3 h2 + b3)
 *               . [1 - sigma(w2 h1 + b2)] . sigma(w2 h1 + b2)
 *               . [1 - sigma(w1 x + b1)] . sigma(w1 x + b1)
 * then evaluates it for two parameter sets:
 *   (1) w = (100, 150, 200, 200), b = (-300, -75, -100, 10): 187500  (2.2)
 *   (2) w = (0.2, 0.5, 0.3, 0.6), b = (1, 2, 2, 1): 0.000975758116082039 (2.3)
 *
 * Reading: the OCR text is clean here; the only thing missing is the input
 * x, which the homework never states.  (2.1) is right as written, so `seed`
 * (the formula verbatim, for b1 only) and `corrected` (every parameter)
 * agree; the homework's slips are in its numbers, which the cases check as
 * claims.  Both stated numbers are reproduced, to double precision, by x = 3
 * with the middle factor [1 - sigma(w2 h1 + b2)] left out, i.e. with
 * sigma(w2 h1 + b2) in place of sigma'(w2 h1 + b2):
 *   (1) all three pre-activations are 0 at x = 3, so the value is
 *       200.200.150.(1/4)(1/2)(1/4) = 187500, twice the true 93750 (and
 *       since sigma' <= 1/4, |do/db1| <= 93750 for every x);
 *   (2) 0.6.0.3.0.5.sigma'(z3).sigma(z2).sigma'(z1) = 9.75758116082039e-4
 *       at x = 3 (relative difference 4e-16), against the true
 *       7.99731679914943e-5; the true value is below 1.7e-4 for every x.
 *
 * Quantities exposed for localisation: h1, h2, h3, each tapped right after
 * it is computed, so a tap on h1 carries through h2, h3 and o.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { W1, W2, W3, W4, B1, B2, B3, B4 };   /* parameter blocks, in order */
enum { H1, H2, H3 };                        /* quantity blocks */

static const gc_dim dims[] = {
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    static const char *const pn[] = {"w1", "w2", "w3", "w4",
                                     "b1", "b2", "b3", "b4"};
    static const char *const qn[] = {"h1", "h2", "h3"};
    int st = 0;
    for (size_t i = 0; i < 8; i++)
        st = st ? st : gc_blocks_add(&L->params, pn[i], 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 0, 1, 1, 1, 0, 0, 0);
    for (size_t i = 0; i < 3; i++)
        st = st ? st : gc_blocks_add(&L->quantities, qn[i], 0, 1, 1, 1,
                                     0, 0, 0);
    /* work: z1, z2, z3 (pre-activations), h1, h2, h3 (as used downstream) */
    L->work = 6;
    return st;
}

/* Pointers into work for the forward values. */
typedef struct {
    double *z1, *z2, *z3, *h1, *h2, *h3;
} fwd_view;

static fwd_view view(double *w)
{
    fwd_view v = {w, w + 1, w + 2, w + 3, w + 4, w + 5};
    return v;
}

/* The parameter and the input as scalars. */
static double par(const gc_problem *p, const double *th, int k)
{
    return th[p->layout.params.block[k].offset];
}

static double input_x(const gc_problem *p)
{
    return p->inputs[p->layout.inputs.block[0].offset];
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_block *Q = p->layout.quantities.block;
    double x = input_x(p);
    fwd_view v = view(work);

    *v.z1 = par(p, th, W1) * x + par(p, th, B1);
    *v.h1 = gc_tapped(tap, Q[H1].offset, nn_sigmoid(*v.z1));
    *v.z2 = par(p, th, W2) * *v.h1 + par(p, th, B2);
    *v.h2 = gc_tapped(tap, Q[H2].offset, nn_sigmoid(*v.z2));
    *v.z3 = par(p, th, W3) * *v.h2 + par(p, th, B3);
    *v.h3 = gc_tapped(tap, Q[H3].offset, nn_sigmoid(*v.z3));
    if (q) {
        q[Q[H1].offset] = *v.h1;
        q[Q[H2].offset] = *v.h2;
        q[Q[H3].offset] = *v.h3;
    }
    return par(p, th, W4) * *v.h3 + par(p, th, B4);
}

/* ------------------------------------------------------------ seed (2.1) */

/* The factors of (2.1), in its expanded sigma(1 - sigma) form, evaluated on
 * the pre-activations w1 x + b1, w2 h1 + b2, w3 h2 + b3. */
typedef struct {
    double do_dh3;   /* w4 */
    double dh3_dh2;  /* w3 [1 - sigma(w3 h2 + b3)] sigma(w3 h2 + b3) */
    double dh2_dh1;  /* w2 [1 - sigma(w2 h1 + b2)] sigma(w2 h1 + b2) */
    double dh1_db1;  /* [1 - sigma(w1 x + b1)] sigma(w1 x + b1) */
} seed_factors;

static seed_factors seed_chain(const gc_problem *p, const double *th,
                               double *work)
{
    fwd_view v = view(work);
    forward(p, th, NULL, NULL, work);
    double s3 = nn_sigmoid(par(p, th, W3) * *v.h2 + par(p, th, B3));
    double s2 = nn_sigmoid(par(p, th, W2) * *v.h1 + par(p, th, B2));
    double s1 = nn_sigmoid(par(p, th, W1) * input_x(p) + par(p, th, B1));
    seed_factors f;
    f.do_dh3 = par(p, th, W4);
    f.dh3_dh2 = par(p, th, W3) * (1 - s3) * s3;
    f.dh2_dh1 = par(p, th, W2) * (1 - s2) * s2;
    f.dh1_db1 = (1 - s1) * s1;
    return f;
}

/* (2.1): do/db1 only; the other entries are not claimed (covers = b1) and
 * are set to 0. */
static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    const gc_blocks *P = &p->layout.params;
    seed_factors f = seed_chain(p, th, work);
    for (size_t k = 0; k < P->n; k++) grad[k] = 0;
    grad[P->block[B1].offset] = f.do_dh3 * f.dh3_dh2 * f.dh2_dh1 * f.dh1_db1;
    return GC_OK;
}

/* The partial products of (2.1)'s chain do/dh3 . dh3/dh2 . dh2/dh1: these are
 * do/dh3, do/dh2 and do/dh1 as the formula's factors imply. */
static int seed_quantity_grads(const gc_problem *p, const double *th,
                               double *dq, double *work)
{
    const gc_block *Q = p->layout.quantities.block;
    seed_factors f = seed_chain(p, th, work);
    dq[Q[H3].offset] = f.do_dh3;
    dq[Q[H2].offset] = f.do_dh3 * f.dh3_dh2;
    dq[Q[H1].offset] = f.do_dh3 * f.dh3_dh2 * f.dh2_dh1;
    return GC_OK;
}

/* ------------------------------------------------------------ corrected */

/* sigma'(z) = sigma(z) sigma(-z): the same as sigma(1 - sigma), but without
 * the cancellation in 1 - sigma(z) when a unit saturates (z >> 0), where
 * random points with large weights often are. */
static double dsigmoid(double z)
{
    return nn_sigmoid(z) * nn_sigmoid(-z);
}

/* Back-propagation through the whole chain; fills grad and dq (each may be
 * NULL). */
static int backprop(const gc_problem *p, const double *th, double *grad,
                    double *dq, double *work)
{
    const gc_block *P = p->layout.params.block;
    const gc_block *Q = p->layout.quantities.block;
    fwd_view v = view(work);
    forward(p, th, NULL, NULL, work);
    double x = input_x(p), h1 = *v.h1, h2 = *v.h2, h3 = *v.h3;

    double g_h3 = par(p, th, W4);              /* do/dh3 */
    double g_z3 = g_h3 * dsigmoid(*v.z3);      /* do/d(w3 h2 + b3) */
    double g_h2 = g_z3 * par(p, th, W3);       /* do/dh2 */
    double g_z2 = g_h2 * dsigmoid(*v.z2);      /* do/d(w2 h1 + b2) */
    double g_h1 = g_z2 * par(p, th, W2);       /* do/dh1 */
    double g_z1 = g_h1 * dsigmoid(*v.z1);      /* do/d(w1 x + b1) */
    if (grad) {
        grad[P[W4].offset] = h3;
        grad[P[B4].offset] = 1;
        grad[P[W3].offset] = g_z3 * h2;
        grad[P[B3].offset] = g_z3;
        grad[P[W2].offset] = g_z2 * h1;
        grad[P[B2].offset] = g_z2;
        grad[P[W1].offset] = g_z1 * x;
        grad[P[B1].offset] = g_z1;
    }
    if (dq) {
        dq[Q[H3].offset] = g_h3;
        dq[Q[H2].offset] = g_h2;
        dq[Q[H1].offset] = g_h1;
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

static const char *const seed_covers[] = {"b1", NULL};
static const char *const seed_covers_quantities[] = {"h1", "h2", "h3", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "(2.1) as written: do/db1 = w4 w3 w2 sigma'(w3h2+b3) "
               "sigma'(w2h1+b2) sigma'(w1x+b1), b1 only",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
    .covers = seed_covers,
    .covers_quantities = seed_covers_quantities,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "back-propagation through the chain for all eight parameters "
               "(agrees with (2.1) on b1)",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_sigmoid_chain_000_p2 = {
    .name = "sigmoid_chain_000_p2",
    .title = "scalar chain of three sigmoid units and a linear output",
    .source = "000_be569bac7671ce6e.txt, Problem 2",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
