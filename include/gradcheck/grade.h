/* gradcheck/grade.h: grading student submissions (formula files and C
 * files) against a case at its own and random points, into a gradebook
 * (text, CSV, Gradescope results.json). */
#ifndef GRADCHECK_GRADE_H
#define GRADCHECK_GRADE_H

#include <stdio.h>
#include "gradcheck/case.h"
#include "gradcheck/target.h"
#include "gradcheck/report.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_SUB_MAX_FILES 10000        /* submissions in one grading run */

/* ---- resource limits of a C submission's compile and of its run */

typedef struct {
    double cpu_seconds;      /* RLIMIT_CPU, rounded up; 0: none */
    double wall_seconds;     /* killed (its process group) after; 0: none */
    size_t memory_bytes;     /* RLIMIT_AS; 0: none */
    size_t file_bytes;       /* RLIMIT_FSIZE; 0: none */
    size_t result_bytes;     /* most bytes kept from the result pipe */
    size_t log_bytes;        /* most bytes kept of stdout and stderr */
    int no_fork;             /* RLIMIT_NPROC = 0 */
} gc_sandbox_limits;

/* ---- verdicts of a graded answer */

typedef enum {
    GC_GRADE_AGREE = 0,      /* right at every point (kinks not counted) */
    GC_GRADE_DISAGREE,       /* wrong somewhere */
    GC_GRADE_NONFINITE,      /* the numeric derivative is not finite */
    GC_GRADE_INCONCLUSIVE,   /* the numeric error bar is too wide: by hand */
    GC_GRADE_INVALID,        /* cannot be evaluated: syntax, names, shapes,
                                NaN; the message says where */
    GC_GRADE_MISSING,        /* not answered */
    GC_GRADE_COMPILE,        /* C: does not compile */
    GC_GRADE_CRASHED,        /* C: ended by a signal or without results */
    GC_GRADE_TIMEOUT,        /* C: CPU-time or wall-clock limit */
    GC_GRADE_OOM,            /* C: memory limit */
    GC_GRADE_N
} gc_grade_verdict;

/* "agree", "disagree", "nonfinite", "inconclusive", "invalid", "missing",
 * "compile error", "crashed", "timeout", "out of memory" */
GC_EXPORT const char *gc_grade_verdict_name(gc_grade_verdict v);

/* The header a C submission includes (gradcheck_submission.h): every
 * model at its default dimensions (only == NULL), or one problem's model at
 * the problem's dimensions (some models' blocks depend on them: the grader
 * uses the case's own). */
GC_EXPORT int gc_csub_header(FILE *f, const gc_problem *only);

typedef enum { GC_SUB_FORMULAS, GC_SUB_C } gc_sub_kind;

/* An "expect:" entry: the verdict (or for key "total" the score) the
 * grader must give; a bare "crashed" matches any "crashed: SIG...". */
typedef struct {
    char *key, *verdict;
    long line;
} gc_grade_expect;

typedef struct {
    char *path;
    char *id;                /* id: header, else the file name's stem */
    gc_sub_kind kind;        /* *.c: C, else formulas */
    char *case_name;         /* case: header, or NULL */
    char *loss;              /* loss: header, or NULL */
    char *text;              /* the file; formula headers blanked */
    size_t len;
    gc_grade_expect *expect;
    size_t n_expect;
    int bad;                 /* cannot be graded: error says why */
    gc_error error;
} gc_submission;

/* ---- grade.c: grading submissions against a case */

/* One answer of one submission, graded. */
typedef struct {
    gc_target target;        /* what it answers; target.key names it */
    gc_grade_verdict verdict;
    char detail[32];         /* CRASHED: the signal ("SIGSEGV") */
    char *message;           /* for the student: why, where, which entry */
    long line;               /* formulas: line of its first statement */
    double score, max_score;
    int graded;              /* one of the report's answers (scored) */
    size_t checks;           /* entry checks made: entries x points */
    size_t counts[GC_N_VERDICTS];
    long bad_point;          /* first point not all agree, or -1 */
    double max_rel_error;    /* over the checks, kinks excluded */
} gc_grade_item;

/* "agree", "crashed: SIGSEGV", ... */
GC_EXPORT void gc_grade_item_verdict(const gc_grade_item *it, char *buf, size_t n);

typedef struct {
    gc_submission *sub;      /* owned */
    gc_grade_item *items;    /* the report's answers in its order, then
                                answers not asked for (max_score 0) */
    size_t n_items;
    char *notes;             /* lines not graded, program output, or NULL */
    double score, max_score;
    size_t unmet;            /* expect: entries the grading did not meet */
    char *unmet_text;
    double seconds;
} gc_grade_result;

typedef struct {
    const gc_case *c;
    size_t n_points;         /* 1 (the case's own) + random points */
    long seed;
    gc_target *keys;         /* the answers asked for, in order: the case's
                                grading.formulas, else every answer any
                                submission gives (a C submission: every
                                parameter block) */
    double *points;          /* points per key */
    size_t n_keys;
    gc_grade_result *subs;
    size_t n_subs;
    double max_score;
    size_t unmet;            /* over all submissions */
    double seconds;
} gc_grade_report;

typedef struct {
    long points;             /* random points; -1: the case's grading.points,
                                else its points, at least 3 */
    long seed;               /* -1: the case's random seed */
    const char *cc;          /* NULL: $GRADCHECK_CC, else cc */
    gc_sandbox_limits run, compile;   /* C submissions */
    /* called before each submission (may be NULL) */
    void (*progress)(void *ctx, size_t i, size_t n, const char *path);
    void *progress_ctx;
} gc_grade_options;

GC_EXPORT gc_grade_options gc_grade_options_default(void);

/* Grade the submissions named by args (files, folders) against case c.
 * Fails only when no submission can be found or for the grader's own
 * trouble; a submission that cannot be read, compiled or run is graded.
 * Caller frees *out with gc_grade_report_free. */
GC_EXPORT int gc_grade(const gc_case *c, char *const *args, size_t n_args,
             const gc_grade_options *o, gc_grade_report **out,
             gc_error *err);
GC_EXPORT void gc_grade_report_free(gc_grade_report *r);

/* ---- report_grade.c: the gradebook */

/* One line per submission (id, score, verdict per answer; with verbose the
 * messages), then the instructor's summary: per answer, how many got it
 * right and the most common wrong verdict. */
GC_EXPORT int gc_grade_report_text(FILE *f, const gc_grade_report *r, int verbose);
/* The names a formula can use on case c (blocks with their index ranges,
 * dimensions, the loss) and the answers the case asks for. */
GC_EXPORT int gc_grade_names(FILE *f, const gc_case *c);
/* CSV: id, file, per answer its verdict and score, total, max; atomic. */
GC_EXPORT int gc_grade_write_csv(const char *path, const gc_grade_report *r);
/* DIR/<id>/results.json per submission, Gradescope's format (score,
 * output, tests[] with name, score, max_score, status, output,
 * visibility); each written atomically.  GC_EIO with the failing path in
 * err. */
GC_EXPORT int gc_grade_write_results(const char *dir, const gc_grade_report *r,
                           gc_error *err);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_GRADE_H */
