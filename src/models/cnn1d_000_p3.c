/* cnn1d_000_p3.c: the one-dimensional CNN of seed 000_be569bac7671ce6e.txt,
 * Problem 3 ("CNN"): one 3-tap filter v over a 6-entry input, four sigmoid
 * feature units h_i, a sigmoid output z and squared error.
 *
 * Notation of the homework (sigma the logistic function):
 *   h_i = sigma(sum_{j=1}^3 v_j x_{i+j-1}),   i = 1..4   (x has 6 entries)
 *   z   = sigma(sum_{i=1}^4 w_i h_i)
 *   L   = (z - y)^2
 * Parameters v_1..v_3, w_1..w_4 ("the total number of parameters ... is 7",
 * checked as a claim).  The homework states no x, y or weights: the case
 * says which it takes.  Below a_k = sum_j v_j x_{k+j-1} and
 * s = sum_i w_i h_i.
 *
 * What the homework writes, (3.1) and the dL/dv_i block after it:
 *   dL/dw = 2 (z - y) h^T sigma'(sum_{i=1}^4 w_i h_i)                   [w1]
 *         = 2 (z - y) h^T sigma(w (.) h) (1 - sigma(w (.) h))           [w2]
 *   dL/dv_i = 2 (z - y) w^T sigma'(sum w_i h_i)
 *               [x_i sigma'(sum_j v_j x_j); x_{i+1} sigma'(sum_j v_j x_{j+1});
 *                x_{i+2} sigma'(sum_j v_j x_{j+2});
 *                x_{i+3} sigma'(sum_j v_j x_{j+3})]                      [v1]
 *           = 2 (z - y) w^T sigma(sum w_i h_i) (1 - (sum w_i h_i)) [...]  [v2]
 *           = 2 (z - y) w^T sigma(w (.) h)(1 - sigma(w (.) h)) X_i (.) Sigma
 *             X_i = [x_i; x_{i+1}; x_{i+2}; x_{i+3}], Sigma = [...]      [v3]
 *
 * How it was read:
 *  - "w (.) h" inside sigma: the homework itself writes
 *    sigma'(sum w_i h_i) = sigma(w (.) h)(1 - sigma(w (.) h)) in (3.1), so
 *    it uses w (.) h for the weighted sum s = sum_i w_i h_i (taken as a
 *    Hadamard product sigma(w (.) h) would be a vector and h^T times it a
 *    scalar, not a gradient).  `seed` reads it so.  `seed_hadamard` takes
 *    (.) literally (elementwise sigma(w_k h_k), with the products read
 *    entrywise so the shapes work) to show the notation is not harmless.
 *  - Sigma in [v3] is OCR garbage (sigma(sum v_j x_j)(1 - sigma(sum v_j
 *    x_{j+1}) (1 - ... repeated, unbalanced); read as the column
 *    Sigma_k = sigma(a_k)(1 - sigma(a_k)), k = 1..4, i.e. the sigma'(a_k) of
 *    [v1] rewritten the way [w2] rewrites sigma'(s).  X_i (.) Sigma is then
 *    the column of [v1], and w^T . (column) the sum over k.
 *  - [v2]'s column has five rows with indices that repeat and skip
 *    (x_{i+3} twice; sigma'(sum v_j x_{j+1}) three times): a fifth row
 *    cannot multiply the 4-entry w^T, so it is read as an OCR corruption of
 *    [v1]'s column; what [v2] says differently and legibly is the factor
 *    sigma(s) (1 - s): 1 minus the weighted sum itself, sigma left out.
 *
 * Derivations:
 *   seed          [w2] for w, [v3] for v (the final lines): right.
 *   seed_line2    [v2] for v only: sigma(s)(1 - s) in place of sigma'(s):
 *                 wrong by the factor (1 - s)/(1 - sigma(s)).
 *   seed_hadamard [w2] and [v3] with (.) taken literally:
 *                 dL/dw_k = 2(z - y) h_k sigma(w_k h_k)(1 - sigma(w_k h_k)),
 *                 dL/dv_i = 2(z - y) sum_k w_k sigma(w_k h_k)
 *                           (1 - sigma(w_k h_k)) x_{i+k-1} sigma'(a_k): wrong.
 *   corrected     back-propagation.
 *
 * Quantities exposed for localisation: h (4 entries) and z.  Each derivation
 * claims dL/dz = 2(z - y) ("dL/dz" of its first factor) and
 * dL/dh = dL/dz dz/dh as its own factors imply (2(z - y) w^T times its
 * sigma' of s).
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

enum { V, W };     /* parameter blocks */
enum { H, Z };     /* quantity blocks */
enum { NV = 3, NH = 4, NX = 6 };

static const gc_dim dims[] = {
    {NULL, 0, 0, 0, NULL}
};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    int st = 0;
    st = st ? st : gc_blocks_add(&L->params, "v", 1, NV, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->params, "w", 1, NH, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 1, NX, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "h", 1, NH, 1, 1, 1, 0, 0);
    st = st ? st : gc_blocks_add(&L->quantities, "z", 0, 1, 1, 1, 0, 0, 0);
    /* work: a (4), h (4), s, z */
    L->work = 2 * NH + 2;
    return st;
}

typedef struct {
    double *a, *h, *s, *z;
} fwd_view;

static fwd_view view(double *w)
{
    fwd_view v = {w, w + NH, w + 2 * NH, w + 2 * NH + 1};
    return v;
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *Q = L->quantities.block;
    const double *v = th + L->params.block[V].offset;
    const double *w = th + L->params.block[W].offset;
    const double *x = p->inputs + L->inputs.block[0].offset;
    double y = p->inputs[L->inputs.block[1].offset];
    fwd_view f = view(work);

    *f.s = 0;
    for (size_t i = 0; i < NH; i++) {
        double a = 0;
        for (size_t j = 0; j < NV; j++) a += v[j] * x[i + j];
        f.a[i] = a;
        f.h[i] = gc_tapped(tap, Q[H].offset + i, nn_sigmoid(a));
        if (q) q[Q[H].offset + i] = f.h[i];
        *f.s += w[i] * f.h[i];
    }
    *f.z = gc_tapped(tap, Q[Z].offset, nn_sigmoid(*f.s));
    if (q) q[Q[Z].offset] = *f.z;
    return (*f.z - y) * (*f.z - y);
}

/* sigma'(u) = sigma(u) sigma(-u), without the cancellation in 1 - sigma. */
static double dsigmoid(double u)
{
    return nn_sigmoid(u) * nn_sigmoid(-u);
}

/* The factor each derivation writes for dz/ds (per k: the Hadamard reading
 * gives one per feature unit). */
typedef enum { READ_SEED, READ_LINE2, READ_HADAMARD, READ_CORRECT } reading;

static double dz_factor(reading r, double s, double wk, double hk)
{
    double g;
    switch (r) {
    case READ_SEED:                       /* sigma(w(.)h)(1 - sigma(w(.)h)) */
        g = nn_sigmoid(s);
        return g * (1 - g);
    case READ_LINE2:                      /* sigma(sum w h)(1 - (sum w h)) */
        return nn_sigmoid(s) * (1 - s);
    case READ_HADAMARD:                   /* elementwise sigma(w_k h_k) */
        g = nn_sigmoid(wk * hk);
        return g * (1 - g);
    case READ_CORRECT:
    default:
        return dsigmoid(s);
    }
}

/* The gradient and dL/dq of one reading; grad, dq may be NULL. */
static int grads(reading r, const gc_problem *p, const double *th,
                 double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *w = th + P[W].offset;
    const double *x = p->inputs + L->inputs.block[0].offset;
    double y = p->inputs[L->inputs.block[1].offset];
    fwd_view f = view(work);
    forward(p, th, NULL, NULL, work);

    double g_z = 2 * (*f.z - y);                      /* dL/dz */
    if (dq) dq[Q[Z].offset] = g_z;
    if (grad) for (size_t i = 0; i < NV; i++) grad[P[V].offset + i] = 0;
    for (size_t k = 0; k < NH; k++) {
        double c = g_z * dz_factor(r, *f.s, w[k], f.h[k]);  /* dL/ds, per k */
        double g_h = c * w[k];                              /* dL/dh_k */
        if (dq) dq[Q[H].offset + k] = g_h;
        if (!grad) continue;
        grad[P[W].offset + k] = c * f.h[k];
        /* sigma'(a_k): [v3]'s Sigma_k = sigma(a_k)(1 - sigma(a_k)) in the
         * homework's readings, sigma(a_k) sigma(-a_k) in ours */
        double sa = nn_sigmoid(f.a[k]);
        double da = r == READ_CORRECT ? dsigmoid(f.a[k]) : sa * (1 - sa);
        for (size_t i = 0; i < NV; i++)
            grad[P[V].offset + i] += g_h * x[i + k] * da;   /* x_{i+k-1} */
    }
    return GC_OK;
}

#define READING(fn, r)                                                     \
    static int fn##_gradient(const gc_problem *p, const double *th,         \
                             double *grad, double *work)                    \
    {                                                                       \
        return grads(r, p, th, grad, NULL, work);                           \
    }                                                                       \
    static int fn##_quantity_grads(const gc_problem *p, const double *th,   \
                                   double *dq, double *work)                \
    {                                                                       \
        return grads(r, p, th, NULL, dq, work);                             \
    }

READING(seed, READ_SEED)
READING(line2, READ_LINE2)
READING(hadamard, READ_HADAMARD)
READING(corrected, READ_CORRECT)

static const char *const line2_covers[] = {"v", NULL};

static const gc_derivation_type seed = {
    .name = "seed",
    .summary = "final lines of (3.1) and dL/dv_i: 2(z-y) h sigma(w.h)"
               "(1-sigma(w.h)), 2(z-y) w^T sigma(w.h)(1-sigma(w.h)) "
               "X_i (.) Sigma, w.h read as sum w_i h_i",
    .gradient = seed_gradient,
    .quantity_grads = seed_quantity_grads,
};

static const gc_derivation_type seed_line2 = {
    .name = "seed_line2",
    .summary = "second line of dL/dv_i: 2(z-y) w^T sigma(sum w h)"
               "(1 - (sum w h)) [x_{i+k-1} sigma'(a_k)]_k (sigma left out "
               "of the second factor), v only",
    .gradient = line2_gradient,
    .quantity_grads = line2_quantity_grads,
    .covers = line2_covers,
};

static const gc_derivation_type seed_hadamard = {
    .name = "seed_hadamard",
    .summary = "the final lines with (.) taken literally: sigma(w_k h_k)"
               "(1-sigma(w_k h_k)) per feature unit in place of sigma'(s)",
    .gradient = hadamard_gradient,
    .quantity_grads = hadamard_quantity_grads,
};

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "back-propagation: dL/dw_k = 2(z-y) sigma'(s) h_k, dL/dv_i = "
               "2(z-y) sigma'(s) sum_k w_k sigma'(a_k) x_{i+k-1}",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
};

static const gc_derivation_type *const derivations[] = {
    &seed, &seed_line2, &seed_hadamard, &corrected, NULL
};

const gc_model_type gc_model_cnn1d_000_p3 = {
    .name = "cnn1d_000_p3",
    .title = "1-D CNN: 3-tap filter, four sigmoid units, sigmoid output, "
             "squared error",
    .source = "000_be569bac7671ce6e.txt, Problem 3",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
