/* gradcheck/verdict.h: the verdict rule: analytic against numeric with its
 * error bar, under tolerances. */
#ifndef GRADCHECK_VERDICT_H
#define GRADCHECK_VERDICT_H

#include "gradcheck/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GC_AGREE = 0,      /* analytic and numeric agree within tolerance */
    GC_DISAGREE,       /* they differ beyond tolerance and error bar */
    GC_KINK,           /* one-sided derivatives differ: not differentiable */
    GC_NONFINITE,      /* NaN or Inf in the loss, numeric or analytic value */
    GC_INCONCLUSIVE,   /* the numeric error bar is too large to decide */
    GC_N_VERDICTS
} gc_verdict;

GC_EXPORT const char *gc_verdict_name(gc_verdict v);
/* Parse a verdict name; returns -1 if unknown. */
GC_EXPORT int gc_verdict_parse(const char *s);

/* Tolerances of the verdict rule (docs/verdicts.md). */
typedef struct {
    double rtol;       /* relative tolerance */
    double atol;       /* absolute tolerance */
    double k;          /* multiple of the numeric error bar allowed */
    double bar_rtol;   /* agreement counts only if k*abserr <= bar_rtol*m + atol */
} gc_tol;

GC_EXPORT extern const gc_tol gc_tol_default;

/* Relative error |a-n|/max(|a|,|n|); 0 when both are within atol of zero. */
GC_EXPORT double gc_rel_error(double a, double n, double atol);

/* The rule without the kink test: GC_AGREE, GC_DISAGREE, GC_NONFINITE or
 * GC_INCONCLUSIVE. */
GC_EXPORT gc_verdict gc_judge(double analytic, double numeric, double abserr,
                    const gc_tol *tol);
/* Whether two one-sided derivatives differ beyond tolerance and error bars
 * (a kink). */
GC_EXPORT int gc_one_sided_differ(double fwd, double fwd_err, double bwd, double bwd_err,
                        const gc_tol *tol);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_VERDICT_H */
