/* gradcheck/report.h: writing a run's report (text, JSON, HTML),
 * atomically. */
#ifndef GRADCHECK_REPORT_H
#define GRADCHECK_REPORT_H

#include <stdio.h>
#include "gradcheck/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GC_FORMAT_TEXT, GC_FORMAT_JSON, GC_FORMAT_HTML } gc_format;

typedef struct {
    int verbose;             /* text: 0 one line per derivation, details
                                only where a verdict is not as expected;
                                1 details of every derivation; 2 also every
                                entry at every point */
    int color;               /* ANSI colour */
    int quiet;               /* text: the summary line only */
    int width;               /* text: wrap lines to this many columns (a
                                terminal's width); 0: never wrap */
} gc_report_options;

/* Write reports of n cases to f; returns GC_EIO on a write error. */
GC_EXPORT int gc_report_text(FILE *f, gc_case_report *const *r, size_t n,
                   const gc_report_options *o);
GC_EXPORT int gc_report_json(FILE *f, gc_case_report *const *r, size_t n,
                   const gc_report_options *o);
/* One self-contained HTML page (report_html.c, docs/reports.md "The HTML
 * report"): inline CSS and SVG, nothing fetched, readable without
 * scripts.  It runs the step study (gradcheck/stepstudy.h) of each
 * derivation's worst entry. */
GC_EXPORT int gc_report_html(FILE *f, gc_case_report *const *r, size_t n,
                             const gc_report_options *o);

/* Write the report to `path` atomically: a temporary file in the same
 * folder, renamed over `path` only when complete, so a failed run never
 * leaves a partial file.  path "-" writes to stdout. */
GC_EXPORT int gc_report_write(const char *path, gc_format fmt,
                    gc_case_report *const *r, size_t n,
                    const gc_report_options *o);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_REPORT_H */
