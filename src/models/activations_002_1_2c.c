/* activations_002_1_2c.c: derivatives of GELU, LeakyReLU, ReLU and tanh,
 * seed 002_5474bae4585ee247.txt (NYU Deep Learning HW1), 1.2 (c).
 *
 * The homework answers (c) with "See fig. 2" ("Figure 2: Derivatives for
 * GELU, LeakyReLU, ReLU, tanh"); the figure is not in the text, so there
 * is no formula to check and no `seed` derivation.  `corrected` is ours,
 * for reference:
 *   GELU(x)      = x Phi(x) (exact, Phi the standard normal cdf)
 *   GELU'(x)     = Phi(x) + x phi(x)
 *   LeakyReLU(x) = x if x > 0, alpha x otherwise;  derivative 1 / alpha
 *   ReLU(x)      = max(0, x);                      derivative 1 / 0
 *   tanh'(x)     = 1 - tanh^2(x)
 * alpha is an input (the case uses PyTorch's default 0.01).  At x = 0
 * ReLU and LeakyReLU have no derivative; `corrected` returns the right-hand
 * one (1) and the report calls those entries kinks.
 *
 * To check a derivative at many points with one scalar loss, each
 * activation gets its own parameter block of n sample points and
 *   L = sum_i GELU(x_GELU_i) + sum_i LeakyReLU(x_LeakyReLU_i)
 *     + sum_i ReLU(x_ReLU_i) + sum_i tanh(x_tanh_i),
 * so dL/dx_<act>_i = <act>'(x_<act>_i).  Points are numbered from 1.  No
 * quantities.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_N };

static const gc_dim dims[] = {
    {"n", 7, 1, 4096, "sample points per activation"},
    {NULL, 0, 0, 0, NULL}
};

enum { P_GELU, P_LEAKY, P_RELU, P_TANH };

static int layout(const long *dm, gc_layout *L)
{
    int st = 0;
    size_t n = dm[D_N];
    st = st ? st : gc_blocks_add(&L->params, "x_GELU", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "x_LeakyReLU", 1, n, 1, 1, 1,
                                 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "x_ReLU", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "x_tanh", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "alpha", 0, 1, 1, 1, 0, 0, 0);
    L->work = 1;
    return st;
}

static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
/* 1/sqrt(2 pi) */
static double phi(double x)
{
    return 0.398942280401432677939946 * exp(-0.5 * x * x);
}

static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    (void)tap; (void)q; (void)work;
    const gc_block *P = p->layout.params.block;
    size_t n = p->dims[D_N];
    double alpha = p->inputs[p->layout.inputs.block[0].offset];
    const double *xg = th + P[P_GELU].offset, *xl = th + P[P_LEAKY].offset;
    const double *xr = th + P[P_RELU].offset, *xt = th + P[P_TANH].offset;
    double L = 0;
    for (size_t i = 0; i < n; i++) {
        L += xg[i] * Phi(xg[i]);
        L += xl[i] > 0 ? xl[i] : alpha * xl[i];
        L += nn_relu(xr[i]);
        L += tanh(xt[i]);
    }
    return L;
}

static int gradient(const gc_problem *p, const double *th, double *g,
                    double *work)
{
    (void)work;
    const gc_block *P = p->layout.params.block;
    size_t n = p->dims[D_N];
    double alpha = p->inputs[p->layout.inputs.block[0].offset];
    for (size_t i = 0; i < n; i++) {
        double x = th[P[P_GELU].offset + i];
        g[P[P_GELU].offset + i] = Phi(x) + x * phi(x);
        x = th[P[P_LEAKY].offset + i];
        g[P[P_LEAKY].offset + i] = x >= 0 ? 1.0 : alpha;
        x = th[P[P_RELU].offset + i];
        g[P[P_RELU].offset + i] = x >= 0 ? 1.0 : 0.0;
        double t = tanh(th[P[P_TANH].offset + i]);
        g[P[P_TANH].offset + i] = 1 - t * t;
    }
    return GC_OK;
}

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "GELU' = Phi + x phi, LeakyReLU' = 1 / alpha, ReLU' = 1 / 0, "
               "tanh' = 1 - tanh^2 (no seed: the homework's answer is a "
               "figure not in the text)",
    .gradient = gradient,
};

static const gc_derivation_type *const derivations[] = {&corrected, NULL};

const gc_model_type gc_model_activations_002_1_2c = {
    .name = "activations_002_1_2c",
    .title = "derivatives of GELU, LeakyReLU, ReLU, tanh at sample points",
    .source = "002_5474bae4585ee247.txt, 1.2 (c)",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
