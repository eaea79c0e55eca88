/* leaky_relu_001_4_3.c: the LeakyReLU activation of seed
 * 001_d60de9d6fdeee42c.txt, "1.3 Problem 4.3" (Qiu Xipeng, "Neural Networks
 * and Deep Learning", exercise 4-3: the dying-ReLU problem and its fix).
 *
 * The homework writes the function only:
 *   LeakyReLU(x) = x        (x > 0)
 *                  gamma x  (x <= 0)
 * and no derivative, so there is no `seed` derivation: only `corrected`.
 *
 * To check the derivative as a gradient, the sample points are the
 * parameter block x = (x_1, .., x_n) and the loss is the sum
 *   L = sum_i LeakyReLU(x_i),  so  dL/dx_i = LeakyReLU'(x_i).
 * gamma is an input (the homework gives no value; the case states one).
 *
 * `corrected`: LeakyReLU'(x) = 1 for x > 0, gamma for x < 0.  At x = 0 the
 * function has a kink (left slope gamma, right slope 1, no derivative); the
 * derivation takes the x <= 0 branch of the definition, gamma, there.  The
 * engine's central difference at 0 is (1 + gamma)/2, which matches neither
 * side, and its one-sided differences (1 and gamma) differ: that entry is a
 * `kink` and does not count against the derivation.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"

enum { D_N };

static const gc_dim dims[] = {
    {"n", 7, 1, 1 << 20, "sample points x_1 .. x_n"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "x", 1, d[D_N], 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "gamma", 0, 1, 1, 1, 0, 0, 0);
    L->work = 1;
    return st;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    (void)tap; (void)q; (void)work;
    size_t n = p->dims[D_N];
    double gamma = p->inputs[p->layout.inputs.block[0].offset];
    const double *x = th + p->layout.params.block[0].offset;
    double L = 0;
    for (size_t i = 0; i < n; i++) L += x[i] > 0 ? x[i] : gamma * x[i];
    return L;
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    (void)work;
    size_t n = p->dims[D_N];
    double gamma = p->inputs[p->layout.inputs.block[0].offset];
    const double *x = th + p->layout.params.block[0].offset;
    double *g = grad + p->layout.params.block[0].offset;
    /* x = 0 takes the x <= 0 branch: gamma (one of the one-sided slopes) */
    for (size_t i = 0; i < n; i++) g[i] = x[i] > 0 ? 1.0 : gamma;
    return GC_OK;
}

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "LeakyReLU'(x) = 1 (x > 0), gamma (x <= 0; x = 0 is a kink, "
               "the x <= 0 branch is taken)",
    .gradient = corrected_gradient,
};

/* No `seed`: the homework gives the function but no derivative. */
static const gc_derivation_type *const derivations[] = {&corrected, NULL};

const gc_model_type gc_model_leaky_relu_001_4_3 = {
    .name = "leaky_relu_001_4_3",
    .title = "LeakyReLU derivative at sample points, L = sum_i LeakyReLU(x_i)",
    .source = "001_d60de9d6fdeee42c.txt, Problem 4.3",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
