/* backprop_003_3.c: the L-layer network of seed 003_cced1246537421bc.txt,
 * "3 Backpropagation" (3.1 Computing the Error).
 *
 * Notation of the homework (l = 1..L; j-th neuron of layer l; w_jk^l the
 * weight from neuron k of layer l-1 to neuron j of layer l):
 *   z^l = w^l a^{l-1} + b^l,   a^l = f(z^l),   Loss = C(a^L)
 *   delta_j^l = dC/dz_j^l
 * and asks for delta_j^L.  The homework never answers ("Loads of arithmetic
 * later...."): there is no `seed` derivation, and f, C, L and the layer
 * sizes are ours: f = the logistic sigmoid, C = 1/2 ||a^L - y||^2, with L
 * and the sizes d0 (inputs a^0), d1, ..., dL as dims (up to 6 layers).
 * Neurons are numbered from 1 (the homework never writes an index base).
 *
 * `corrected`, the standard back-propagation equations:
 *   delta^L = (a^L - y) (.) f'(z^L)                        (the answer)
 *   delta^l = ((w^{l+1})^T delta^{l+1}) (.) f'(z^l),  l < L
 *   dC/dw^l = delta^l (a^{l-1})^T,  dC/db^l = delta^l
 * with f'(z) = f(z)(1 - f(z)).  It also states dC/da^L = a^L - y and
 * dC/da^l = (w^{l+1})^T delta^{l+1}.
 *
 * Quantities, in forward order: z1, a1, z2, a2, ..., zL, aL; the check of
 * dC/dz^l against quantity_grads is the check of every delta^l, delta^L
 * first when walking back from the loss.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

#include <stdio.h>

#define MAXL 6

static const gc_dim dims[] = {
    {"L", 3, 1, MAXL, "number of layers (at most 6)"},
    {"d0", 3, 1, 4096, "inputs (entries of a^0)"},
    {"d1", 4, 1, 4096, "neurons in layer 1"},
    {"d2", 3, 1, 4096, "neurons in layer 2"},
    {"d3", 2, 1, 4096, "neurons in layer 3"},
    {"d4", 2, 1, 4096, "neurons in layer 4 (used when L >= 4)"},
    {"d5", 2, 1, 4096, "neurons in layer 5 (used when L >= 5)"},
    {"d6", 2, 1, 4096, "neurons in layer 6 (used when L >= 6)"},
    {NULL, 0, 0, 0, NULL}
};
static size_t nl(const long *d, int l)
{
    return (size_t)d[1 + l];
}

static int layout(const long *d, gc_layout *Lo)
{
    int st = 0;
    int L = (int)d[0];
    char name[GC_NAME_MAX];
    size_t tot = nl(d, 0), mx = nl(d, 0);
    for (int l = 1; l <= L; l++) {
        snprintf(name, sizeof name, "w%d", l);
        st = st ? st : gc_blocks_add(&Lo->params, name, 2, nl(d, l),
                                     nl(d, l - 1), 1, 1, 1, 0);
    }
    for (int l = 1; l <= L; l++) {
        snprintf(name, sizeof name, "b%d", l);
        st = st ? st : gc_blocks_add(&Lo->params, name, 1, nl(d, l), 1, 1,
                                     1, 0, 0);
    }
    st = st ? st : gc_blocks_add(&Lo->inputs, "a0", 1, nl(d, 0), 1, 1,
                                 1, 0, 0);
    st = st ? st : gc_blocks_add(&Lo->inputs, "y", 1, nl(d, L), 1, 1,
                                 1, 0, 0);
    for (int l = 1; l <= L; l++) {
        snprintf(name, sizeof name, "z%d", l);
        st = st ? st : gc_blocks_add(&Lo->quantities, name, 1, nl(d, l), 1,
                                     1, 1, 0, 0);
        snprintf(name, sizeof name, "a%d", l);
        st = st ? st : gc_blocks_add(&Lo->quantities, name, 1, nl(d, l), 1,
                                     1, 1, 0, 0);
        tot += nl(d, l);
        if (nl(d, l) > mx) mx = nl(d, l);
    }
    /* work: a^0..a^L and z^1..z^L (tot each at most), two delta vectors */
    Lo->work = 2 * tot + 2 * mx;
    return st;
}

/* Offsets of a^l (l = 0..L) and z^l (l = 1..L) in work. */
typedef struct {
    double *a[MAXL + 1], *z[MAXL + 1], *d1, *d2;
} view_t;

static view_t view(const gc_problem *p, double *w)
{
    view_t v;
    int L = (int)p->dims[0];
    size_t mx = 0;
    v.z[0] = NULL;
    for (int l = 0; l <= L; l++) {
        v.a[l] = w; w += nl(p->dims, l);
        if (nl(p->dims, l) > mx) mx = nl(p->dims, l);
    }
    for (int l = 1; l <= L; l++) { v.z[l] = w; w += nl(p->dims, l); }
    v.d1 = w; w += mx;
    v.d2 = w;
    return v;
}

static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    const gc_layout *Lo = &p->layout;
    int L = (int)p->dims[0];
    const gc_block *P = Lo->params.block, *Q = Lo->quantities.block;
    const double *a0 = p->inputs + Lo->inputs.block[0].offset;
    const double *y = p->inputs + Lo->inputs.block[1].offset;
    view_t v = view(p, work);

    memcpy(v.a[0], a0, nl(p->dims, 0) * sizeof *a0);
    for (int l = 1; l <= L; l++) {
        size_t n = nl(p->dims, l), m = nl(p->dims, l - 1);
        const double *w = th + P[l - 1].offset, *b = th + P[L + l - 1].offset;
        const gc_block *qz = &Q[2 * (l - 1)], *qa = &Q[2 * (l - 1) + 1];
        nn_matvec(w, n, m, v.a[l - 1], v.z[l]);
        for (size_t j = 0; j < n; j++) {
            v.z[l][j] = gc_tapped(tap, qz->offset + j, v.z[l][j] + b[j]);
            if (q) q[qz->offset + j] = v.z[l][j];
        }
        for (size_t j = 0; j < n; j++) {
            v.a[l][j] = gc_tapped(tap, qa->offset + j, nn_sigmoid(v.z[l][j]));
            if (q) q[qa->offset + j] = v.a[l][j];
        }
    }
    double C = 0;
    for (size_t j = 0; j < nl(p->dims, L); j++)
        C += (v.a[L][j] - y[j]) * (v.a[L][j] - y[j]);
    return 0.5 * C;
}

static int backprop(const gc_problem *p, const double *th, double *grad,
                    double *dq, double *work)
{
    const gc_layout *Lo = &p->layout;
    int L = (int)p->dims[0];
    const gc_block *P = Lo->params.block, *Q = Lo->quantities.block;
    const double *y = p->inputs + Lo->inputs.block[1].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    /* dC/da^L = a^L - y; delta^L = (a^L - y) (.) f'(z^L) */
    double *da = v.d1, *delta = v.d2;
    for (size_t j = 0; j < nl(p->dims, L); j++) da[j] = v.a[L][j] - y[j];
    for (int l = L; l >= 1; l--) {
        size_t n = nl(p->dims, l), m = nl(p->dims, l - 1);
        const double *w = th + P[l - 1].offset;
        for (size_t j = 0; j < n; j++) {
            double s = v.a[l][j];
            delta[j] = da[j] * s * (1 - s);
            if (dq) {
                dq[Q[2 * (l - 1) + 1].offset + j] = da[j];
                dq[Q[2 * (l - 1)].offset + j] = delta[j];
            }
        }
        if (grad) {
            double *gw = grad + P[l - 1].offset, *gb = grad + P[L + l - 1].offset;
            memset(gw, 0, n * m * sizeof *gw);
            nn_outer_add(gw, n, m, delta, v.a[l - 1]);
            memcpy(gb, delta, n * sizeof *gb);
        }
        /* dC/da^{l-1} = (w^l)^T delta^l, into da (delta stays intact) */
        memset(da, 0, m * sizeof *da);
        nn_matvec_t_add(w, n, m, delta, da);
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
    .summary = "delta^L = (a^L - y) (.) f'(z^L), delta^l = ((w^{l+1})^T "
               "delta^{l+1}) (.) f'(z^l), dC/dw^l = delta^l (a^{l-1})^T, "
               "dC/db^l = delta^l (the homework gives no answer)",
    .gradient = gradient,
    .quantity_grads = quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&corrected, NULL};

const gc_model_type gc_model_backprop_003_3 = {
    .name = "backprop_003_3",
    .title = "L-layer sigmoid network, C = 1/2 ||a^L - y||^2, "
             "errors delta^l = dC/dz^l",
    .source = "003_cced1246537421bc.txt, 3 Backpropagation",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
