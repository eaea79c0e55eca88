/* swish_001_4_4.c: the derivative of the swish function, seed
 * 001_d60de9d6fdeee42c.txt, "1.4 Problem 4.4" (Qiu Xipeng, "Neural Networks
 * and Deep Learning", exercise 4-4).
 *
 * The homework ("The diverge goes as", read: the derivative goes as):
 *   swish(x)    = x sigma(beta x)
 *   (swish(x))' = sigma(beta x) + beta x sigma(beta x)(1 - sigma(beta x))
 * with ' the derivative with respect to x (the only variable named).
 *
 * Model: the sample points are the parameter block x = (x_1, .., x_n) and
 * beta is a scalar parameter;
 *   L = sum_i swish(x_i) = sum_i x_i sigma(beta x_i),
 * so dL/dx_i = swish'(x_i), and dL/dbeta = sum_i x_i^2 sigma(beta x_i)
 * (1 - sigma(beta x_i)).
 *
 * `seed`: the homework's formula for dL/dx_i; it gives nothing for beta, so
 * it covers x only.  It is right.
 * `corrected`: the same dL/dx_i and dL/dbeta above.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_N };
enum { P_X, P_BETA };

static const gc_dim dims[] = {
    {"n", 5, 1, 1 << 20, "sample points x_1 .. x_n"},
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "x", 1, d[D_N], 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "beta", 0, 1, 1, 1, 0, 0, 0);
    L->work = 1;
    return st;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    (void)tap; (void)q; (void)work;
    size_t n = p->dims[D_N];
    const double *x = th + p->layout.params.block[P_X].offset;
    double beta = th[p->layout.params.block[P_BETA].offset];
    double L = 0;
    for (size_t i = 0; i < n; i++) L += x[i] * nn_sigmoid(beta * x[i]);
    return L;
}

/* dL/dx_i = sigma(beta x) + beta x sigma(beta x)(1 - sigma(beta x)), as the
 * homework writes it (and as it is); with_beta adds dL/dbeta. */
static void grads(const gc_problem *p, const double *th, double *grad,
                  int with_beta)
{
    size_t n = p->dims[D_N];
    const double *x = th + p->layout.params.block[P_X].offset;
    double beta = th[p->layout.params.block[P_BETA].offset];
    double *gx = grad + p->layout.params.block[P_X].offset;
    double gb = 0;
    for (size_t i = 0; i < n; i++) {
        double s = nn_sigmoid(beta * x[i]);
        gx[i] = s + beta * x[i] * s * (1 - s);
        gb += x[i] * x[i] * s * (1 - s);
    }
    grad[p->layout.params.block[P_BETA].offset] = with_beta ? gb : 0.0;
}

static int seed_gradient(const gc_problem *p, const double *th, double *grad,
                         double *work)
{
    (void)work;
    grads(p, th, grad, 0);
    return GC_OK;
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    (void)work;
    grads(p, th, grad, 1);
    return GC_OK;
}

static const char *const seed_covers[] = {"x", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "(swish(x))' = sigma(beta x) + beta x sigma(beta x)"
               "(1 - sigma(beta x)), as written; d/dx only",
    .gradient = seed_gradient,
    .covers = seed_covers,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "the seed's d/dx_i, and dL/dbeta = sum_i x_i^2 sigma(beta x_i)"
               "(1 - sigma(beta x_i))",
    .gradient = corrected_gradient,
};

static const gc_derivation_type *const derivations[] = {&seed, &corrected,
                                                        NULL};

const gc_model_type gc_model_swish_001_4_4 = {
    .name = "swish_001_4_4",
    .title = "swish(x) = x sigma(beta x) at sample points, L = sum_i swish(x_i)",
    .source = "001_d60de9d6fdeee42c.txt, Problem 4.4",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
