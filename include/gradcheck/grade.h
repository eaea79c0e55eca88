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
    double wall_seconds;     /* killed (with its PID namespace, or its
                                process group when trusted) after; 0: none */
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
    GC_GRADE_INCOMPLETE,     /* given row by row or entry by entry with
                                literal indices, the entries given right,
                                but some of the block not given */
    GC_GRADE_NOT_RUN,        /* C: not compiled or run, because it could
                                not be isolated here (the message says why
                                and what to do) */
    GC_GRADE_N
} gc_grade_verdict;

/* "agree", "disagree", "nonfinite", "inconclusive", "invalid", "missing",
 * "compile error", "crashed", "timeout", "out of memory", "incomplete",
 * "not run" */
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
    int id_given;            /* id comes from an id: (or student:) line */
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

/* Why an answer is wrong, when one pattern holds at every check (every
 * entry at every point; entries whose right value is about 0 say nothing
 * about a factor and are skipped; at least two checks must say
 * something). */
typedef enum {
    GC_HINT_NONE = 0,
    GC_HINT_SIGN,            /* exactly -1 x the right value: a sign */
    GC_HINT_HALF,            /* exactly 1/2 x: a factor of 2 missing */
    GC_HINT_DOUBLE,          /* exactly 2 x: a factor of 2 too many */
    GC_HINT_FACTOR,          /* another constant: hint_factor */
    GC_HINT_TRANSPOSE,       /* the transpose of the right square matrix */
    GC_HINT_OWN_POINT,       /* right at the case's own point only */
    GC_HINT_N
} gc_grade_hint;

/* For the instructor: "exactly -1 x the right value (a sign error?)",
 * "exactly 3 x the right value", "the transpose of the right matrix",
 * ...; returns buf. */
GC_EXPORT const char *gc_grade_hint_text(gc_grade_hint h, double factor,
                                         char *buf, size_t n);

#define GC_GRADE_MAX_KEPT 65536       /* values kept per answer (entries x
                                         points), for hints and the class
                                         summary */

/* One answer of one submission, graded. */
typedef struct {
    gc_target target;        /* what it answers; target.key names it */
    gc_grade_verdict verdict;
    char detail[32];         /* CRASHED: the signal ("SIGSEGV") */
    char *message;           /* for the student: why, where, which entry;
                                valid UTF-8 */
    long line;               /* formulas: line of its first statement */
    double score, max_score;
    int graded;              /* one of the report's answers (scored) */
    size_t checks;           /* entry checks made: entries x points */
    size_t counts[GC_N_VERDICTS];
    long bad_point;          /* first point not all agree, or -1 */
    double max_rel_error;    /* over the checks, kinks excluded */
    gc_grade_hint hint;      /* GC_HINT_NONE unless verdict is DISAGREE */
    double hint_factor;      /* SIGN, HALF, DOUBLE, FACTOR: the constant */
    size_t entries;          /* entries it answers (of target.n) */
    size_t entries_right;    /* of them, right at every point (kinks
                                excepted); partial credit is
                                max_score * entries_right / entries */
    /* DISAGREE: the entry shown to the student (point, flat entry) with
     * the answer's value and the right one */
    long wrong_point;
    size_t wrong_entry;
    double wrong_value, right_value;
    double *values;          /* its values, point by point (n_points x
                                target.n; NaN: not given), or NULL when not
                                evaluated or more than GC_GRADE_MAX_KEPT;
                                owned by the report */
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

/* ---- the class summary (gc_grade fills report->summary) */

/* Students whose answers to one question went wrong the same way. */
typedef struct {
    gc_grade_verdict verdict;  /* DISAGREE: the same wrong values at every
                                  check (within round-off); any other
                                  verdict: every student with it */
    char detail[32];           /* as gc_grade_item.detail */
    size_t n;                  /* students in the group (>= 1) */
    size_t *subs;              /* their indices in report->subs, ascending */
    gc_grade_hint hint;        /* DISAGREE groups: the shared hint */
    double hint_factor;
    char *label;               /* for the instructor, one line of UTF-8:
                                  "exactly 2 x the right value ...", "the
                                  same wrong values (dL/dv[3] = 0.4128
                                  where it is 0.07208, at the case's own
                                  point)", "invalid", "crashed: SIGSEGV" */
} gc_grade_group;

/* One answer asked for, across the class. */
typedef struct {
    size_t key;                /* index into report->keys, report->points */
    size_t counts[GC_GRADE_N]; /* students per verdict */
    size_t right;              /* counts[GC_GRADE_AGREE] */
    double mean_score;         /* of this answer, over the students */
    gc_grade_group *groups;    /* every student not right, grouped: the
                                  largest group first, ties by verdict then
                                  first student; the n add up to
                                  n_subs - right */
    size_t n_groups;
} gc_grade_answer_summary;

typedef struct {
    gc_grade_answer_summary *answers;  /* one per report key, key order */
    size_t n_answers;
    double mean_score;                 /* over the students */
    int union_keys;          /* the case has no grading: section: the
                                answers, and so each student's maximum, are
                                the union of what the submissions give */
} gc_grade_summary;

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
    gc_grade_result *subs;   /* one per student */
    size_t n_subs;
    double max_score;
    size_t unmet;            /* over all submissions */
    double seconds;
    gc_grade_summary summary;
    char **warnings;         /* for the person grading (stderr), UTF-8:
                                files skipped and why, ids given twice, no
                                grading: section */
    size_t n_warnings;
    const char *visibility;  /* results.json: visible, after_published,
                                after_due_date or hidden (static) */
} gc_grade_report;

typedef struct {
    long points;             /* random points; -1: the case's grading.points,
                                else its points, at least 3 */
    long seed;               /* -1: the case's random seed */
    const char *cc;          /* NULL: $GRADCHECK_CC, else cc */
    gc_sandbox_limits run, compile;   /* C submissions */
    int trust_submissions;   /* C submissions run with the resource limits
                                only, as this user, seeing its files and the
                                network; default 0: isolated, and refused
                                (GC_GRADE_NOT_RUN) where that is impossible
                                (docs/grading.md, "The sandbox") */
    /* called before each submission (may be NULL) */
    void (*progress)(void *ctx, size_t i, size_t n, const char *path);
    void *progress_ctx;
    int one_student;         /* every argument is one student's work
                                (Gradescope's /autograder/submission/) */
    const char *student_id;  /* one_student: its id (NULL or "": an id:
                                line, else the file or folder name) */
    int partial_credit;      /* a wrong answer earns max_score times the
                                share of its entries right everywhere */
    int hide_truth;          /* messages never show the right values */
    const char *visibility;  /* results.json visibility (NULL: visible);
                                must outlive the report */
} gc_grade_options;

GC_EXPORT gc_grade_options gc_grade_options_default(void);

/* Grade the students named by args against case c: a file is one
 * student; a folder is a class, each *.txt or *.c file in it one student
 * and each folder in it one student (all the .txt and .c files under it,
 * graded together: LMS and Gradescope exports); other files are skipped
 * and named in r->warnings, or, when they look like a student's work in
 * another form (a .py), graded invalid with why.  With o->one_student
 * everything named is one student's.  Fails only when no student can be
 * found (err names the path) or for the grader's own trouble; a
 * submission that cannot be read, compiled or run is graded.
 * Caller frees *out with gc_grade_report_free. */
GC_EXPORT int gc_grade(const gc_case *c, char *const *args, size_t n_args,
             const gc_grade_options *o, gc_grade_report **out,
             gc_error *err);
GC_EXPORT void gc_grade_report_free(gc_grade_report *r);

/* ---- report_grade.c: the gradebook */

/* One line per submission (id, score, verdict per answer; with
 * GC_GRADE_VERBOSE the messages), then the instructor's summary: per
 * answer, how many got it right and the most common wrong verdict, then
 * the wrong answers several students share (the class summary).
 * GC_GRADE_COLOR colours the verdicts (ANSI). */
enum { GC_GRADE_VERBOSE = 1, GC_GRADE_COLOR = 2 };
GC_EXPORT int gc_grade_report_text(FILE *f, const gc_grade_report *r,
                                   int flags);
/* One self-contained HTML page (report_grade_html.c): per answer a bar of
 * the class's verdicts and the students grouped by how they went wrong
 * (report->summary), then each student's row with verdicts and messages;
 * to f, or atomically to path. */
GC_EXPORT int gc_grade_report_html(FILE *f, const gc_grade_report *r);
GC_EXPORT int gc_grade_write_html(const char *path, const gc_grade_report *r);
/* The names a formula can use on case c (blocks with their index ranges,
 * dimensions, the loss) and the answers the case asks for. */
GC_EXPORT int gc_grade_names(FILE *f, const gc_case *c);
/* CSV: id, file, per answer its verdict and score ("dL/dw score (of 2)"
 * in the header), total, max, then per answer its message; valid UTF-8;
 * atomic. */
GC_EXPORT int gc_grade_write_csv(const char *path, const gc_grade_report *r);
/* DIR/<id>/results.json per submission, Gradescope's format (score,
 * output, tests[] with name, score, max_score, status, output,
 * visibility); each written atomically.  GC_EIO with the failing path in
 * err. */
GC_EXPORT int gc_grade_write_results(const char *dir, const gc_grade_report *r,
                           gc_error *err);
#define GC_RESULTS_MAX_OUTPUT 4000    /* bytes of one output in
                                         results.json: longer ones are cut
                                         at a character, " (truncated)" */
/* Student i's results.json at path (an autograder writes
 * /autograder/results/results.json); atomic. */
GC_EXPORT int gc_grade_write_result(const char *path,
                                    const gc_grade_report *r, size_t i,
                                    gc_error *err);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_GRADE_H */
