/* gradcheck/model.h: models (a homework network: layout, forward pass,
 * derivations) as registered const type objects, and problems (a model
 * instantiated with dimensions and inputs). */
#ifndef GRADCHECK_MODEL_H
#define GRADCHECK_MODEL_H

#include <stddef.h>
#include "gradcheck/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_MAX_DIMS 32

/* A named integer of a model's shape (number of hidden units, time steps). */
typedef struct {
    const char *name;
    long def, min, max;
    const char *meaning;
} gc_dim;

/* A tap perturbs one intermediate quantity inside the forward pass: when the
 * model computes entry `index` of its quantity vector it adds `delta` and
 * carries on with the perturbed value.  Differentiating the loss along
 * `delta` gives dL/d(quantity) with everything downstream recomputed, which
 * is what lets the report say where a derivation first goes wrong. */
typedef struct {
    size_t index;
    double delta;
} gc_tap;

/* Apply a tap (may be NULL) to the value of quantity entry idx. */
static inline double gc_tapped(const gc_tap *t, size_t idx, double v)
{
    return (t && t->index == idx) ? v + t->delta : v;
}

typedef struct gc_problem gc_problem;

/* A Jacobian a derivation states: d(of)/d(wrt), where `of` is a quantity
 * block (a vector output of the forward pass) and `wrt` a parameter block or
 * a quantity block computed before `of`.  fill() writes
 * J[i * size(wrt) + k] = d of_i / d wrt_k (row-major, of by wrt). */
typedef struct {
    const char *of;
    const char *wrt;
    int (*fill)(const gc_problem *p, const double *theta, double *J,
                double *work);
} gc_jacobian;

/* A derivation: somebody's analytic gradient for one model.  `seed` is the
 * homework's formulas as written, `corrected` our own. */
typedef struct {
    const char *name;      /* "seed", "corrected", ... */
    const char *summary;   /* one line: what it is and where it comes from */
    /* dL/dtheta for every parameter entry into grad[layout.params.n].
     * May be NULL for a derivation that only states Jacobians. */
    int (*gradient)(const gc_problem *p, const double *theta,
                    double *grad, double *work);
    /* Optional (NULL if absent): the derivation's claimed dL/dq for the
     * quantity entries of the blocks it covers. */
    int (*quantity_grads)(const gc_problem *p, const double *theta,
                          double *dq, double *work);
    /* Optional: the parameter blocks the derivation gives formulas for,
     * NULL-terminated; NULL means every block.  Entries of other blocks are
     * reported as not claimed (the homework derived only dE/db1, say). */
    const char *const *covers;
    /* Optional: the quantity blocks quantity_grads fills; NULL means every
     * quantity block (when quantity_grads is set). */
    const char *const *covers_quantities;
    /* Optional: Jacobians the derivation states, terminated by {NULL}. */
    const gc_jacobian *jacobians;
    /* Optional: Hessian blocks the derivation states, terminated by
     * {NULL}: `of` and `wrt` name two parameter blocks A and B, and fill()
     * writes H[i * size(B) + k] = d2L / dA_i dB_k.  Each entry is checked
     * against the central difference of the derivation's own gradient
     * entry dL/dA_i along B_k (so `gradient` must be set and cover A). */
    const gc_jacobian *hessians;
    /* Optional: within the blocks covers (covers_quantities) names, 1 for
     * each parameter (quantity) entry the derivation gives, indexed like
     * the family; NULL means every entry of those blocks.  A case's
     * derivation that answers dL/dW[1][2] alone claims that entry only:
     * the others are reported as not claimed, not checked as NaN. */
    const unsigned char *claims_params;
    const unsigned char *claims_quantities;
    /* Optional (NULL if absent): why the last call of gradient,
     * quantity_grads or a Jacobian's or Hessian's fill left an entry it
     * gives NaN or infinite: one line for a student into msg ("dL/db1 on
     * line 12, column 9: log of a negative number: log(-0.2)"), returning
     * 1; 0 when it knows no reason.  Called on the thread that made the
     * call, right after it (run.c), for the report. */
    int (*why_nonfinite)(const gc_problem *p, char *msg, size_t len);
} gc_derivation_type;

/* A model: a homework network with its forward pass and derivations. */
typedef struct {
    const char *name;      /* registry key, e.g. "tanh_net_004_q1" */
    const char *title;     /* one line */
    const char *source;    /* "004_551e535e53da35e5.txt, Question 1" */
    const gc_dim *dims;    /* terminated by {NULL}; may be just {NULL} */
    /* Fill the layout for the given dims (same order as `dims`). */
    int (*layout)(const long *dims, gc_layout *out);
    /* Forward pass: returns the loss.  q (may be NULL) receives every
     * quantity's value; tap (may be NULL) perturbs one quantity.  Writes
     * nothing but work[0 .. layout.work) and q: thread-safe. */
    double (*forward)(const gc_problem *p, const double *theta,
                      const gc_tap *tap, double *q, double *work);
    const gc_derivation_type *const *derivations;  /* NULL-terminated */
    /* Optional (NULL if absent): the loss of n perturbed copies of theta in
     * one call, copy i being theta with parameter entry k[i] set to x[i],
     * into losses[i].  Perturbing one entry changes the forward pass by a
     * rank-one term, so the copies can share the weights and run as
     * matrix-matrix products; losses[i] equals forward() on that copy up to
     * round-off (a few ulps of the quantities, docs/performance.md).
     * Writes nothing but work[0 .. batch_work(p, n)) and losses:
     * thread-safe.  Returns a gc_status. */
    int (*forward_batch)(const gc_problem *p, const double *theta,
                         const size_t *k, const double *x, size_t n,
                         double *losses, double *work);
    /* Scratch, in doubles, that forward_batch needs for n copies (set
     * together with forward_batch). */
    size_t (*batch_work)(const gc_problem *p, size_t n);
    /* Optional (NULL if absent; needs batch_work): the loss of n copies of
     * theta moved along directions, copy i being theta + t[i] v_i, where
     * v_i moves parameter entries a[i] .. a[i]+len[i]-1, all in one block,
     * by v[i][0 .. len[i]).  For directional screening (screen.c);
     * otherwise as forward_batch. */
    int (*forward_batch_dir)(const gc_problem *p, const double *theta,
                             const size_t *a, const size_t *len,
                             const double *const *v, const double *t,
                             size_t n, double *losses, double *work);
    /* Optional (NULL if absent; needs batch_work): the loss of n copies of
     * the forward pass at theta, copy i with quantity entry taps[i].index
     * moved by taps[i].delta, as forward(p, theta, &taps[i], NULL, work)
     * gives it up to round-off of the batched arithmetic.  For
     * localisation (dL/d(quantity) through taps) in batches; otherwise as
     * forward_batch. */
    int (*forward_batch_tap)(const gc_problem *p, const double *theta,
                             const gc_tap *taps, size_t n, double *losses,
                             double *work);
    /* Optional (0 if not): on problems with fewer parameter entries than
     * this, forward_batch gives forward()'s losses to the bit, so batching
     * changes no number and GC_BATCH_AUTO batches them too (exec.h).  The
     * case-defined networks set it (their batch replays the interpreter's
     * kernels, src/fx/tape.c); the compiled models' batches have
     * round-off of their own and leave it 0. */
    size_t batch_exact_below;
    /* Optional (NULL if absent): why forward() at theta (tap may be NULL)
     * gives a loss or a quantity that is NaN or infinite: one line for a
     * student into msg (the definition and entry where it first happens
     * and what went wrong: "a2[1] (line 7, column 10): log of a negative
     * number: log(-1.98)", or the evaluator's error), returning 1; 0 when
     * every value is finite or it knows no reason.  Called only for the
     * report, after a check found a value that is not finite (run.c):
     * may be slow; thread-safe as forward() is. */
    int (*why_nonfinite)(const gc_problem *p, const double *theta,
                         const gc_tap *tap, char *msg, size_t len);
} gc_model_type;

/* A model instantiated with dims and inputs: what the engine evaluates. */
struct gc_problem {
    const gc_model_type *model;
    long dims[GC_MAX_DIMS];
    gc_layout layout;
    double *inputs;        /* layout.inputs.n values, owned */
};

/* The registry: NULL-terminated table of every model. */
GC_EXPORT extern const gc_model_type *const gc_models[];
GC_EXPORT const gc_model_type *gc_model_find(const char *name);
GC_EXPORT const gc_derivation_type *gc_derivation_find(const gc_model_type *m,
                                             const char *name);
/* Look up a dim by name; returns its index or -1. */
GC_EXPORT int gc_dim_index(const gc_model_type *m, const char *name);

/* Allocate a problem for model m with dims (NULL: defaults); inputs zeroed.
 * Caller frees with gc_problem_free. */
GC_EXPORT int gc_problem_alloc(const gc_model_type *m, const long *dims,
                     gc_problem **out);
GC_EXPORT void gc_problem_free(gc_problem *p);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_MODEL_H */
