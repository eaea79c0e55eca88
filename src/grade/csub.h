/* csub.h: internal to libgradcheck (not installed).  C submissions: the
 * driver, compiling and running a submission at the grading points
 * (csubmission.c). */
#ifndef GRADCHECK_CSUB_H
#define GRADCHECK_CSUB_H

#include "gradcheck/grade.h"
#include "sandbox.h"

/* cc flags, NULL-terminated: before the files, and after them */
extern const char *const gc_csub_cflags[];
extern const char *const gc_csub_ldflags[];
extern const gc_sandbox_limits gc_csub_run_limits;      /* the defaults */
extern const gc_sandbox_limits gc_csub_compile_limits;

typedef struct {
    const char *cc;                    /* NULL: $GRADCHECK_CC, else cc */
    const gc_sandbox_limits *run;      /* NULL: gc_csub_run_limits */
    const gc_sandbox_limits *compile;  /* NULL: gc_csub_compile_limits */
    int keep_dir;                      /* keep the temporary folder */
    int trusted;                       /* not isolated: resource limits
                                          only (--trust-submissions) */
} gc_csub_options;

typedef struct {
    gc_grade_verdict verdict;  /* AGREE: it ran and gave every result;
                                  COMPILE, CRASHED, TIMEOUT, OOM, or
                                  NOT_RUN: it could not be isolated */
    char detail[32];           /* CRASHED: "SIGSEGV", "exit 3" */
    char *message;             /* compiler or program output, or NULL */
    size_t n_points;
    double **values;           /* per point: dL/dparams then dL/dquantities
                                  (NaN: quantity not given) */
    double compile_seconds, run_seconds;
} gc_csub_result;

/* Compile source with the model's driver, run it at the n points (theta[i],
 * q[i] the quantities' values there) and collect its results.  Returns
 * non-zero only for trouble of the grader's own (no temporary folder, no
 * memory, GC_ENOTFOUND: no compiler, said in out->message); what the
 * submission did is out->verdict. */
int gc_csub_run(const gc_problem *p, const char *source,
                double *const *theta, double *const *q, size_t n_points,
                const gc_csub_options *o, gc_csub_result *out);
void gc_csub_result_clear(gc_csub_result *r);

#endif /* GRADCHECK_CSUB_H */
