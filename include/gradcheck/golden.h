/* gradcheck/golden.h: golden files, the reviewed baseline of every reported
 * value: writing, reading, comparing, checking a case, updating on purpose,
 * and the text, TAP and JUnit writers of a comparison. */
#ifndef GRADCHECK_GOLDEN_H
#define GRADCHECK_GOLDEN_H

#include <stdio.h>
#include "gradcheck/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Golden files: the reviewed baseline of every reported value (golden.c,
 * docs/golden.md). */
typedef enum {
    GC_GOLDEN_VERDICT, GC_GOLDEN_ENTRY, GC_GOLDEN_QUANTITY,
    GC_GOLDEN_JACOBIAN, GC_GOLDEN_CLAIM
} gc_golden_kind;

typedef struct {
    gc_golden_kind kind;
    char *deriv;             /* derivation name, "-" for claims */
    long point;              /* -1 for verdicts and claims */
    char *name;              /* entry name or claim name */
    double analytic;         /* claims: the stated number */
    double numeric;          /* claims: the computed number */
    int verdict;
    long line;               /* line in the file it was read from, or 0 */
} gc_golden_row;

typedef struct {
    gc_golden_row *rows;
    size_t n, cap;
} gc_golden;


#define GC_GOLDEN_MAX_BYTES ((size_t)64 << 20)

typedef struct {
    const gc_golden_row *golden, *got;   /* either NULL: row removed/added */
    const char *column;      /* "verdict", "analytic", "numeric", "row" ... */
    double golden_value, got_value, abs_diff, rel_diff, tol;
} gc_golden_diffrow;

typedef struct {
    size_t unchanged;        /* rows identical to the bit */
    size_t within;           /* numbers moved, within tolerance */
    size_t beyond;           /* a number beyond tolerance or a new verdict */
    size_t verdicts_changed;
    size_t added, removed;   /* rows only in the new report / the golden */
    gc_golden_diffrow *rows; /* what moved beyond tolerance, in order */
    size_t n_rows, cap;
} gc_golden_diff;

/* The golden rows of a report.  Caller frees with gc_golden_clear. */
GC_EXPORT int gc_golden_from_report(const gc_case_report *r, gc_golden *g);
GC_EXPORT int gc_golden_write(FILE *f, const gc_golden *g, const char *case_name);
/* Atomic: temporary file, then rename. */
GC_EXPORT int gc_golden_write_file(const char *path, const gc_golden *g,
                         const char *case_name);
/* Read a golden file; GC_ENOTFOUND if it does not exist (never created
 * silently), GC_EINVAL with err's line for a malformed one. */
GC_EXPORT int gc_golden_read(const char *path, gc_golden *g, gc_error *err);
/* The same from an open stream; `name` stands for the file in messages. */
GC_EXPORT int gc_golden_read_stream(FILE *f, const char *name, gc_golden *g,
                          gc_error *err);
GC_EXPORT void gc_golden_clear(gc_golden *g);
GC_EXPORT int gc_golden_compare(const gc_golden *golden, const gc_golden *got,
                      const gc_golden_tol *t, gc_golden_diff *d);
GC_EXPORT int gc_golden_diff_ok(const gc_golden_diff *d);
GC_EXPORT void gc_golden_diff_clear(gc_golden_diff *d);

/* One case against its golden file (golden_check.c). */
typedef struct {
    const gc_case *c;
    gc_case_report *report;  /* the run, owned */
    gc_golden got;           /* its rows */
    gc_golden golden;        /* the golden file's rows (empty if missing) */
    char *path;              /* the golden file */
    int read_status;         /* 0, GC_ENOTFOUND (missing) or a read error */
    gc_error read_err;
    int missing;
    gc_golden_diff diff;
    gc_golden_tol tol;
    double seconds;          /* wall-clock time of the run and comparison */
    char *received;          /* where the received rows were written, or
                                NULL (gc_golden_write_received_in) */
} gc_golden_check;

/* Run the case and compare with dir/NAME.golden; tolerances: override,
 * else the case's golden: section, else the defaults.  Caller frees. */
GC_EXPORT int gc_golden_check_run(const gc_case *c, const char *dir,
                        const gc_golden_tol *override, gc_golden_check **out,
                        gc_error *err);
GC_EXPORT void gc_golden_check_free(gc_golden_check *g);
/* Golden present and readable, nothing beyond tolerance, no rows added or
 * removed. */
GC_EXPORT int gc_golden_check_ok(const gc_golden_check *g);
/* Write the received rows beside the golden file (NAME.golden.received). */
GC_EXPORT int gc_golden_write_received(const gc_golden_check *g);
/* The same into dir/CASE.golden.received (dir NULL: beside the golden
 * file), e.g. the nightly job's output folder; sets g->received. */
GC_EXPORT int gc_golden_write_received_in(gc_golden_check *g,
                                          const char *dir);
/* Remove a stale received file (after a passing check or an update). */
GC_EXPORT void gc_golden_remove_received(const gc_golden_check *g);
/* Rewrite the golden file from the run if its text differs or it is
 * missing (atomically); *written says whether it did. */
GC_EXPORT int gc_golden_update(const gc_golden_check *g, int *written);

/* Writers of golden comparisons (report_golden.c). */
GC_EXPORT int gc_golden_report_text(FILE *f, gc_golden_check *const *g, size_t n,
                          const gc_report_options *o);
GC_EXPORT int gc_golden_report_tap(FILE *f, gc_golden_check *const *g, size_t n);
/* The table of rows in d (name, column, golden, got, differences). */
GC_EXPORT int gc_golden_report_changes(FILE *f, const gc_golden_diff *d);
/* JUnit XML (one testsuite per case, one testcase per derivation and
 * claim), written atomically to path. */
GC_EXPORT int gc_golden_report_junit(const char *path, gc_golden_check *const *g,
                           size_t n);
/* One HTML page: per case the changed rows, golden and new side by side,
 * grouped by the test (derivation or claim) they belong to; to f, or
 * atomically to path. */
GC_EXPORT int gc_golden_report_html(FILE *f, gc_golden_check *const *g,
                                    size_t n);
GC_EXPORT int gc_golden_report_html_file(const char *path,
                                         gc_golden_check *const *g, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_GOLDEN_H */
