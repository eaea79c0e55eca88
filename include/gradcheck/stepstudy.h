/* gradcheck/stepstudy.h: the error of a numeric derivative against its
 * step, for one parameter entry (stepstudy.c; the HTML report's step
 * plot). */
#ifndef GRADCHECK_STEPSTUDY_H
#define GRADCHECK_STEPSTUDY_H

#include <stddef.h>
#include "gradcheck/export.h"
#include "gradcheck/engine.h"
#include "gradcheck/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_STEP_STUDY_N 40

/* For h = max(|x|, 1) 2^-i, i = 1..GC_STEP_STUDY_N, GSL's central
 * difference of the loss along entry k at h against the analytic value,
 * and the engine's own result with its step rule. */
typedef struct {
    double h[GC_STEP_STUDY_N];
    double rel_error[GC_STEP_STUDY_N];  /* |n(h) - a| / max(|a|, |n|, atol) */
    double rel_abserr[GC_STEP_STUDY_N]; /* GSL's abserr on the same scale */
    double engine_h;                    /* the rule's starting step */
    double engine_rel_error, engine_rel_abserr;
} gc_step_study_t;

/* Fills *out; GC_EINVAL if k is not a parameter entry, else the engine's
 * status. */
GC_EXPORT int gc_step_study(const gc_problem *p, const double *theta,
                            size_t k, double analytic, const gc_step *rule,
                            double atol, gc_step_study_t *out);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_STEPSTUDY_H */
