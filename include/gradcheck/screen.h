/* gradcheck/screen.h: directional screening (--mode directional): blocks
 * checked along random directions, bisected where they disagree. */
#ifndef GRADCHECK_SCREEN_H
#define GRADCHECK_SCREEN_H

#include "gradcheck/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Directional screening (screen.c, docs/screening.md): the
 * analytic directional derivative g.v of a parameter block against the
 * numeric d/dt L(theta + t v), along several seeded random directions v; a
 * block that does not agree along every one is halved and each half
 * screened, down to blocks of `leaf` entries, which are checked entry by
 * entry (gc_engine_check_param).  Entries of blocks that agree are not
 * checked one by one. */

#define GC_SCREEN_MAX_DIRS 8

typedef struct {
    int directions;          /* directions per block, 1..GC_SCREEN_MAX_DIRS (3) */
    unsigned long seed;      /* of the directions (1) */
    size_t leaf;             /* check blocks this small entry by entry (4) */
} gc_screen_options;

GC_EXPORT gc_screen_options gc_screen_options_default(void);

/* One screened block: parameter entries [a, b). */
typedef struct {
    size_t a, b;
    int depth;               /* 0: a whole block; d: a 2^-d part of one */
    int n_dirs;
    double analytic[GC_SCREEN_MAX_DIRS];   /* g.v */
    gc_deriv numeric[GC_SCREEN_MAX_DIRS];  /* d/dt L(theta + t v) at 0 */
    double rel_error[GC_SCREEN_MAX_DIRS];
    gc_verdict dverdict[GC_SCREEN_MAX_DIRS];
    gc_verdict verdict;      /* GC_AGREE if every direction agrees, else
                                the first other verdict */
} gc_screen_block;

/* Screening of one derivation at one point. */
typedef struct {
    double *theta;           /* the point */
    gc_screen_block *screens;  /* in the order screened, level by level */
    size_t n_screens;
    size_t *named;           /* entries checked one by one, ascending */
    gc_entry_check *entries; /* their checks */
    size_t n_named;
    gc_verdict verdict;      /* of the named entries as in full mode (kinks
                                never count); agree when none is named */
    size_t counts[GC_N_VERDICTS];   /* of the named entries */
    size_t passes;           /* forward passes spent */
    double seconds;          /* wall-clock time */
} gc_screen_point;

/* Screen the parameter entries k with claimed[k] (NULL: all) at theta,
 * whose analytic gradient is grad, block by block (the blocks of the
 * problem's layout), on x's threads.  Fills *out; free its arrays with
 * gc_screen_point_clear. */
GC_EXPORT int gc_screen_at_point(gc_exec *x, const double *theta, const double *grad,
                        const unsigned char *claimed, const gc_tol *tol,
                        const gc_screen_options *d, gc_screen_point *out);
GC_EXPORT void gc_screen_point_clear(gc_screen_point *pt);

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect, verdict;  /* expect is agree when no_expect */
    int no_expect;           /* the case gave no expectation */
    gc_screen_point *points;    /* n_points */
    size_t n_claimed;
    size_t passes;
    int unscreened;          /* it also states Jacobians or Hessian blocks,
                                which screening does not check: an
                                expected disagree they may carry is not
                                contradicted by an agreeing screen */
} gc_screen_derivation;

typedef struct {
    const gc_case *c;
    size_t n_points;
    long seed;               /* of the random points */
    gc_tol tol;
    gc_screen_options dir;
    int threads;
    gc_screen_derivation *derivs;
    size_t n_derivs;
    size_t unmet;            /* derivations whose verdict is not expected */
    size_t passes;
} gc_screen_report;

/* Screen every derivation of a case at every point (claims are not checked
 * in this mode).  Caller frees *out with gc_screen_report_free. */
GC_EXPORT int gc_screen_run_case(const gc_case *c, const gc_run_options *opt,
                    const gc_screen_options *d, gc_screen_report **out,
                    gc_error *err);
GC_EXPORT void gc_screen_report_free(gc_screen_report *r);
/* Text or JSON (report_screen.c), atomically to path ("-": stdout). */
GC_EXPORT int gc_screen_report_write(const char *path, gc_format fmt,
                        gc_screen_report *const *r, size_t n,
                        const gc_report_options *o);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_SCREEN_H */
