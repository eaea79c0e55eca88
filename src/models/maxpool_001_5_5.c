/* maxpool_001_5_5.c: the gradient of max pooling, seed
 * 001_d60de9d6fdeee42c.txt, "2.4 Problem 5.5" (Qiu Xipeng, "Neural Networks
 * and Deep Learning", exercise 5-5: gradients of max pooling and of
 * arg max).
 *
 * The homework:
 *   nabla y = max(x_1, .., x_d) = (0, .., 0, 1, 0, .., 0)^T
 *             where i = sup{x_i};
 *   y = arg max(x_1, .., x_d) does not have a gradient.
 * How it was read: "nabla y = max(..) = (0,..,1,..,0)" is y = max(x_1..x_d)
 * with nabla y the one-hot vector, and "i = sup{x_i}" is the position of
 * the 1: i = arg max_i x_i (sup{x_i} is the maximal value itself, not an
 * index).  Where several entries tie for the maximum, "the" arg max is read
 * as the first of them.  The arg max statement has no number or formula to
 * check (arg max is piecewise constant, its gradient is 0 wherever defined).
 *
 * Model: one pooling region, the parameter block x = (x_1, .., x_d), and
 * the loss is the pooled value itself: L = y = max_i x_i.
 *
 * `seed`: the one-hot vector at the (first) arg max, as written.  It is the
 * gradient wherever the maximum is unique.  Where two or more entries tie,
 * y has no gradient: increasing any tied entry raises y (right slope 1),
 * decreasing it leaves y at the other tied value (left slope 0), so every
 * tied entry is a `kink`, whatever a derivation claims there.
 * `corrected`: the same vector; nothing in it is wrong (at a tie it is one
 * subgradient, which is all that can be asked).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"

enum { D_D };

static const gc_dim dims[] = {
    {"d", 5, 1, 1 << 20, "entries x_1 .. x_d of the pooling region"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = gc_blocks_add(&L->params, "x", 1, d[D_D], 1, 1, 1, 0, 0);
    L->work = 1;
    return st;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    (void)tap; (void)q; (void)work;
    size_t d = p->dims[D_D];
    const double *x = th + p->layout.params.block[0].offset;
    double y = x[0];
    for (size_t i = 1; i < d; i++) if (x[i] > y) y = x[i];
    return y;
}

/* (0, .., 1, .., 0) with the 1 at the first arg max. */
static int onehot_gradient(const gc_problem *p, const double *th,
                           double *grad, double *work)
{
    (void)work;
    size_t d = p->dims[D_D];
    const double *x = th + p->layout.params.block[0].offset;
    double *g = grad + p->layout.params.block[0].offset;
    size_t am = 0;
    for (size_t i = 1; i < d; i++) if (x[i] > x[am]) am = i;
    for (size_t i = 0; i < d; i++) g[i] = i == am ? 1.0 : 0.0;
    return GC_OK;
}

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "nabla y = (0, .., 1, .., 0)^T with the 1 at i = arg max x_i "
               "(\"i = sup{x_i}\"), as written",
    .gradient = onehot_gradient,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "the same one-hot vector (first arg max at a tie, where y has "
               "no gradient)",
    .gradient = onehot_gradient,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_maxpool_001_5_5 = {
    .name = "maxpool_001_5_5",
    .title = "max pooling y = max(x_1, .., x_d), its gradient",
    .source = "001_d60de9d6fdeee42c.txt, Problem 5.5",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
