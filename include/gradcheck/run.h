/* gradcheck/run.h: running a case: every derivation at every point,
 * entry by entry, with localisation, Jacobians and claims. */
#ifndef GRADCHECK_RUN_H
#define GRADCHECK_RUN_H

#include "gradcheck/case.h"
#include "gradcheck/exec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options of a run; gc_run_options_default() gives the case's own. */
typedef struct {
    long points;             /* -1: the case's */
    long seed;               /* -1: the case's */
    int have_tol;            /* override the case's tolerances with tol */
    gc_tol tol;
    int quantities;          /* check intermediate quantities (localise) */
    int threads;             /* threads checking entries (-j); 0: every
                                core.  Results do not depend on it. */
    gc_batch_mode batch;     /* batched loss values (GC_BATCH_AUTO) */
    /* called after each derivation is checked at each point (may be NULL:
     * the command line's progress line) */
    void (*progress)(void *ctx);
    void *progress_ctx;
} gc_run_options;

GC_EXPORT gc_run_options gc_run_options_default(void);

/* Results of one derivation at one point. */
typedef struct {
    double *theta;           /* the point */
    gc_entry_check *entries; /* one per parameter entry */
    gc_verdict verdict;      /* over the claimed entries, kinks excluded */
    size_t counts[GC_N_VERDICTS];
    double max_rel_error;    /* NaN when any entry is nonfinite */
    size_t worst;            /* entry with the largest rel_error */
    /* localisation (when the derivation gives quantity_grads) */
    gc_entry_check *qentries;/* one per quantity entry, or NULL */
    double *qvalues;         /* forward values of the quantities */
    long first_wrong;        /* quantity entry where the derivation first
                                goes wrong walking backwards, or -1 */
    gc_entry_check **jentries;  /* per stated Jacobian: size(of) x size(wrt) */
    gc_entry_check **hentries;  /* per stated Hessian block: size(A) x
                                   size(B), against the central difference
                                   of the derivation's own dL/dA */
    char *why;               /* when an entry is nonfinite: why, in one
                                line for a student (the first such entry:
                                which value, at which point, what went
                                wrong), else NULL; owned */
} gc_point_report;

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect, verdict;  /* expect is agree when no_expect */
    int no_expect;           /* the case gave no expectation */
    unsigned char *claimed;  /* per parameter entry: covered */
    unsigned char *qclaimed; /* per quantity entry: covered */
    size_t n_claimed;
    gc_point_report *points; /* n_points */
    size_t n_jacobians;      /* type->jacobians entries */
    size_t n_hessians;       /* type->hessians entries */
    double max_rel_error;    /* NaN when any entry is nonfinite */
    size_t counts[GC_N_VERDICTS];
    double seconds;          /* wall-clock time of its checks */
} gc_derivation_report;

typedef struct {
    const gc_claim *claim;
    double actual, abserr;
    double tol;
    gc_verdict verdict;
    double seconds;          /* wall-clock time of its check */
    char *why;               /* nonfinite: why, one line (as a point's
                                why), else NULL; owned */
} gc_claim_report;

typedef struct {
    const gc_case *c;
    double loss;             /* at the given point */
    size_t n_points;         /* 1 + extra */
    long seed;
    gc_tol tol;
    gc_derivation_report *derivs;
    size_t n_derivs;
    gc_claim_report *claims;
    size_t n_claims;
    size_t unmet;            /* verdicts that differ from the expected */
} gc_case_report;

/* Run a case.  Caller frees *out with gc_case_report_free. */
GC_EXPORT int gc_run_case(const gc_case *c, const gc_run_options *opt,
                gc_case_report **out, gc_error *err);
GC_EXPORT void gc_case_report_free(gc_case_report *r);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_RUN_H */
