/* report.c: writing a report to a file atomically, in the chosen format. */
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "atomic.h"

#include <stdio.h>
#include <string.h>

static int write_fmt(FILE *f, gc_format fmt, gc_case_report *const *r,
                     size_t n, const gc_report_options *o)
{
    switch (fmt) {
    case GC_FORMAT_JSON: return gc_report_json(f, r, n, o);
    case GC_FORMAT_HTML: return gc_report_html(f, r, n, o);
    default: return gc_report_text(f, r, n, o);
    }
}

typedef struct {
    gc_format fmt;
    gc_case_report *const *r;
    size_t n;
    const gc_report_options *o;
} report_job;

static int write_job(FILE *f, const void *ctx)
{
    const report_job *j = ctx;
    return write_fmt(f, j->fmt, j->r, j->n, j->o);
}

int gc_report_write(const char *path, gc_format fmt,
                    gc_case_report *const *r, size_t n,
                    const gc_report_options *o)
{
    if (strcmp(path, "-") == 0) {
        int st = write_fmt(stdout, fmt, r, n, o);
        return fflush(stdout) == 0 ? st : GC_EIO;
    }
    report_job j = {fmt, r, n, o};
    return gc_write_atomic(path, write_job, &j);
}
