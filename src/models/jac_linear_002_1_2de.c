/* jac_linear_002_1_2de.c: Jacobians of sums and compositions of linear
 * maps, seed 002_5474bae4585ee247.txt (NYU Deep Learning HW1), 1.2 (d)
 * and (e).  Two models:
 *
 *   jac_sum_002_1_2d    f(x) = W1 x, g(x) = W2 x, h = f + g
 *   jac_comp_002_1_2e   f(x) = W1 x, g(x) = W2 x, h = g(f(x))
 * W1, W2 are n x n (inputs), x has n entries and is the variable (the
 * parameter block), entries numbered from 1.
 *
 * The homework (OCR read as written):
 *   (d)(a) J_f = dW1x/dx = W1,  J_g = dW2x/dx = W2
 *      (b) J_h = d(f(x) + g(x))/dx = J_f + J_g = W1 + W2
 *      (c) J_h = W1 + W2 = 2W1 = 2W2
 *   (e)(a) J_f = W1,  J_g = W2
 *      (b) J_h = dg(f(x))/df(x) df(x)/dx = W2 W1
 *      (c) J_h = W2 W1 = W1^2 = W2^2
 * The question text is not in the seed.  "W1 + W2 = 2W1 = 2W2" is an
 * identity only when W1 = W2, so a grader reads (c) as the answer to "what
 * is J_h if W1 = W2?" (the NYU question's third part): right under that
 * assumption, wrong in general.  The cases check both: one with W1 = W2
 * (seed_c agrees) and one with W1 != W2 (seed_c disagrees, as it must
 * outside its assumption).
 *
 * Derivations state Jacobians only (no gradient):
 *   seed      (a) and (b) as written: J_f = W1 (f by x), J_g = W2 (g by x,
 *             sum model), dh/df = W2 (h by f, composition model), J_h =
 *             W1 + W2 or W2 W1 (h by x).
 *   seed_c    (c): J_h = 2 W1 (sum) or W1^2 (composition).
 *   corrected the same as seed: (a) and (b) are right.
 * The forward pass also returns a scalar L = sum_i h_i, which the engine
 * needs but no derivation claims a gradient of.
 * Quantities: f, g, h (sum); f, h (composition).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { D_N };

static const gc_dim dims[] = {
    {"n", 3, 1, 1024, "size of x (W1, W2 are n x n)"},
    {NULL, 0, 0, 0, NULL}
};

enum { I_W1, I_W2 };

extern const gc_model_type gc_model_jac_sum_002_1_2d;

static int is_sum(const gc_problem *p)
{
    return p->model == &gc_model_jac_sum_002_1_2d;
}

static int layout_common(const long *dm, gc_layout *L, int sum)
{
    int st = 0;
    size_t n = dm[D_N];
    st = st ? st : gc_blocks_add(&L->params, "x", 1, n, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "W1", 2, n, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "W2", 2, n, n, 1, 1, 1, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "f", 1, n, 1, 1, 1, 0, 0);
    if (sum)
        st = st ? st : gc_blocks_add(&L->quantities, "g", 1, n, 1, 1, 1, 0,
                                     0);
    st = st ? st : gc_blocks_add(&L->quantities, "h", 1, n, 1, 1, 1, 0, 0);
    L->work = 3 * n;
    return st;
}

static int layout_sum(const long *dm, gc_layout *L)
{
    return layout_common(dm, L, 1);
}

static int layout_comp(const long *dm, gc_layout *L)
{
    return layout_common(dm, L, 0);
}

static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t n = p->dims[D_N];
    const double *W1 = p->inputs + L->inputs.block[I_W1].offset;
    const double *W2 = p->inputs + L->inputs.block[I_W2].offset;
    const gc_block *Qf = gc_blocks_find(&L->quantities, "f");
    const gc_block *Qg = gc_blocks_find(&L->quantities, "g");
    const gc_block *Qh = gc_blocks_find(&L->quantities, "h");
    double *f = work, *g = work + n, *h = work + 2 * n;
    const double *x = th;

    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += W1[i * n + j] * x[j];
        f[i] = gc_tapped(tap, Qf->offset + i, s);
        if (q) q[Qf->offset + i] = f[i];
    }
    if (Qg)
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++) s += W2[i * n + j] * x[j];
            g[i] = gc_tapped(tap, Qg->offset + i, s);
            if (q) q[Qg->offset + i] = g[i];
        }
    double Lsum = 0;
    for (size_t i = 0; i < n; i++) {
        double s;
        if (Qg) s = f[i] + g[i];
        else {
            s = 0;
            for (size_t j = 0; j < n; j++) s += W2[i * n + j] * f[j];
        }
        h[i] = gc_tapped(tap, Qh->offset + i, s);
        if (q) q[Qh->offset + i] = h[i];
        Lsum += h[i];
    }
    return Lsum;
}

static const double *W_in(const gc_problem *p, int which)
{
    return p->inputs + p->layout.inputs.block[which].offset;
}

/* (a): J_f = W1, J_g = W2; (e)(b)'s dg(f)/df = W2. */
static int fill_W1(const gc_problem *p, const double *th, double *J,
                   double *work)
{
    (void)th; (void)work;
    size_t n = p->dims[D_N];
    memcpy(J, W_in(p, I_W1), n * n * sizeof *J);
    return GC_OK;
}

static int fill_W2(const gc_problem *p, const double *th, double *J,
                   double *work)
{
    (void)th; (void)work;
    size_t n = p->dims[D_N];
    memcpy(J, W_in(p, I_W2), n * n * sizeof *J);
    return GC_OK;
}

/* (b): J_h = W1 + W2 (sum) or W2 W1 (composition). */
static int fill_Jh_b(const gc_problem *p, const double *th, double *J,
                     double *work)
{
    (void)th; (void)work;
    size_t n = p->dims[D_N];
    const double *W1 = W_in(p, I_W1), *W2 = W_in(p, I_W2);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++) {
            double s = 0;
            if (is_sum(p)) s = W1[i * n + k] + W2[i * n + k];
            else
                for (size_t j = 0; j < n; j++)
                    s += W2[i * n + j] * W1[j * n + k];
            J[i * n + k] = s;
        }
    return GC_OK;
}

/* (c): J_h = 2 W1 (sum) or W1^2 (composition). */
static int fill_Jh_c(const gc_problem *p, const double *th, double *J,
                     double *work)
{
    (void)th; (void)work;
    size_t n = p->dims[D_N];
    const double *W1 = W_in(p, I_W1);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++) {
            double s = 0;
            if (is_sum(p)) s = 2 * W1[i * n + k];
            else
                for (size_t j = 0; j < n; j++)
                    s += W1[i * n + j] * W1[j * n + k];
            J[i * n + k] = s;
        }
    return GC_OK;
}

static const gc_jacobian sum_ab[] = {
    {"f", "x", fill_W1}, {"g", "x", fill_W2}, {"h", "x", fill_Jh_b},
    {NULL, NULL, NULL}};
static const gc_jacobian sum_c[] = {{"h", "x", fill_Jh_c}, {NULL, NULL, NULL}};
static const gc_jacobian comp_ab[] = {
    {"f", "x", fill_W1}, {"h", "f", fill_W2}, {"h", "x", fill_Jh_b},
    {NULL, NULL, NULL}};
static const gc_jacobian comp_c[] = {{"h", "x", fill_Jh_c},
                                     {NULL, NULL, NULL}};

static const gc_derivation_type sum_seed = {
    .name = "seed",
    .summary = "(d)(a),(b) as written: J_f = W1, J_g = W2, J_h = W1 + W2",
    .jacobians = sum_ab,
};
static const gc_derivation_type sum_seed_c = {
    .name = "seed_c",
    .summary = "(d)(c) as written: J_h = 2 W1 (= W1 + W2 only if W1 = W2)",
    .jacobians = sum_c,
};
static const gc_derivation_type sum_corrected = {
    .name = "corrected",
    .summary = "J_f = W1, J_g = W2, J_h = W1 + W2 (the seed's (a), (b))",
    .jacobians = sum_ab,
};

static const gc_derivation_type comp_seed = {
    .name = "seed",
    .summary = "(e)(a),(b) as written: J_f = W1, dg/df = W2, J_h = W2 W1",
    .jacobians = comp_ab,
};
static const gc_derivation_type comp_seed_c = {
    .name = "seed_c",
    .summary = "(e)(c) as written: J_h = W1^2 (= W2 W1 only if W1 = W2)",
    .jacobians = comp_c,
};
static const gc_derivation_type comp_corrected = {
    .name = "corrected",
    .summary = "J_f = W1, dg/df = W2, J_h = W2 W1 (the seed's (a), (b))",
    .jacobians = comp_ab,
};

static const gc_derivation_type *const sum_derivations[] = {
    &sum_seed, &sum_seed_c, &sum_corrected, NULL};
static const gc_derivation_type *const comp_derivations[] = {
    &comp_seed, &comp_seed_c, &comp_corrected, NULL};

const gc_model_type gc_model_jac_sum_002_1_2d = {
    .name = "jac_sum_002_1_2d",
    .title = "Jacobian of h(x) = W1 x + W2 x",
    .source = "002_5474bae4585ee247.txt, 1.2 (d)",
    .dims = dims,
    .layout = layout_sum,
    .forward = forward,
    .derivations = sum_derivations,
};

const gc_model_type gc_model_jac_comp_002_1_2e = {
    .name = "jac_comp_002_1_2e",
    .title = "Jacobian of h(x) = W2 (W1 x)",
    .source = "002_5474bae4585ee247.txt, 1.2 (e)",
    .dims = dims,
    .layout = layout_comp,
    .forward = forward,
    .derivations = comp_derivations,
};
