/* gradcheck/engine.h: numeric derivatives of a problem's loss with GSL
 * (gsl_deriv_central and its one-sided siblings), each with its error
 * estimate, in a per-thread workspace. */
#ifndef GRADCHECK_ENGINE_H
#define GRADCHECK_ENGINE_H

#include <stddef.h>
#include "gradcheck/model.h"
#include "gradcheck/verdict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A numeric derivative with its error estimate (never a bare number). */
typedef struct {
    double value;
    double abserr;
    int status;        /* GSL status of the evaluation, 0 if fine */
} gc_deriv;

/* Per-thread workspace for numeric differentiation of one problem. */
typedef struct gc_engine gc_engine;

/* How a central difference is made from GSL's results (engine.c). */
typedef enum {
    GC_RULE_EXTRAPOLATE = 0,  /* GSL's 5-point rule at h and h/2, its own
                                 refinement declined, extrapolated */
    GC_RULE_GSL               /* gsl_deriv_central with its own refinement,
                                 from h * shrink: the rule before issue 14,
                                 kept for the benchmarks' comparison */
} gc_rule;

/* Step-size rule (docs/verdicts.md#step-size): start at
 * h = h_rel * max(|x|, h_floor) rounded down to a power of two; each
 * attempt extrapolates GSL's 5-point results at h and h/2 (engine.c); while
 * the error bar exceeds good_rel * |value|, retry with h * shrink, at most
 * max_shrinks times, and keep the estimate with the smallest error bar. */
typedef struct {
    double h_rel;
    double h_floor;
    double shrink;
    int max_shrinks;
    double good_rel;
    gc_rule rule;
} gc_step;

GC_EXPORT extern const gc_step gc_step_default;

GC_EXPORT int gc_engine_alloc(const gc_problem *p, gc_engine **out);
GC_EXPORT void gc_engine_free(gc_engine *e);

/* The engine's model scratch (layout.work doubles), for calling a
 * derivation on the same thread. */
GC_EXPORT double *gc_engine_work(gc_engine *e);

/* What the engine differentiates: the loss (j = -1, the default) or the
 * value of quantity entry j (for Jacobians).  GC_EINVAL if j is out of
 * range. */
GC_EXPORT int gc_engine_set_output(gc_engine *e, long j);

/* Loss at theta (tap may be NULL); q may be NULL. */
GC_EXPORT double gc_engine_loss(gc_engine *e, const double *theta, const gc_tap *tap,
                      double *q);

/* Central difference of the loss along parameter entry k at theta. */
GC_EXPORT int gc_engine_param_central(gc_engine *e, const double *theta, size_t k,
                            const gc_step *step, gc_deriv *out);
/* One-sided differences (forward: x+h side, backward: x-h side). */
GC_EXPORT int gc_engine_param_one_sided(gc_engine *e, const double *theta, size_t k,
                              const gc_step *step, gc_deriv *fwd,
                              gc_deriv *bwd);
/* Central difference of the loss w.r.t. quantity entry j (via a tap) and the
 * one-sided pair, at theta.  `scale` is the quantity's magnitude. */
GC_EXPORT int gc_engine_quantity_central(gc_engine *e, const double *theta, size_t j,
                               double scale, const gc_step *step,
                               gc_deriv *out);
GC_EXPORT int gc_engine_quantity_one_sided(gc_engine *e, const double *theta, size_t j,
                                 double scale, const gc_step *step,
                                 gc_deriv *fwd, gc_deriv *bwd);

/* Check one entry: numeric central difference, verdict, and one-sided
 * derivatives where the central one does not agree (to tell a kink). */
typedef struct {
    double analytic;
    gc_deriv numeric;
    double rel_error;
    gc_verdict verdict;
    int one_sided;           /* fwd/bwd below were computed */
    gc_deriv fwd, bwd;
} gc_entry_check;

GC_EXPORT int gc_engine_check_param(gc_engine *e, const double *theta, size_t k,
                          double analytic, const gc_step *step,
                          const gc_tol *tol, gc_entry_check *out);
GC_EXPORT int gc_engine_check_quantity(gc_engine *e, const double *theta, size_t j,
                             double scale, double analytic,
                             const gc_step *step, const gc_tol *tol,
                             gc_entry_check *out);

/* Forward passes the engine has evaluated so far (every loss value GSL
 * asked for is one pass). */
GC_EXPORT size_t gc_engine_passes(const gc_engine *e);

/* Central difference of the loss along a direction: d/dt L(theta + t v) at
 * t = 0, where v (n values) moves parameter entries a .. a+n-1, with the
 * step rule at scale 1 (h = h_rel * h_floor; entries of v of order 1). */
GC_EXPORT int gc_engine_direction_central(gc_engine *e, const double *theta,
                                size_t a, size_t n, const double *v,
                                const gc_step *step, gc_deriv *out);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_ENGINE_H */
