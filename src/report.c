/* report.c: writing a report to a file atomically, in the chosen format. */
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "atomic.h"

#include <stdio.h>
#include <stdlib.h>
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

/* The text report wrapped to o->width columns (a terminal's). */
static int write_wrapped(FILE *f, gc_case_report *const *r, size_t n,
                         const gc_report_options *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return GC_ENOMEM;
    int st = gc_report_text(m, r, n, o);
    if (fclose(m) != 0 && !st) st = GC_EIO;
    if (!st) st = gc_write_wrapped(f, buf, (size_t)o->width);
    free(buf);
    return st;
}

int gc_report_write(const char *path, gc_format fmt,
                    gc_case_report *const *r, size_t n,
                    const gc_report_options *o)
{
    if (strcmp(path, "-") == 0) {
        int st = fmt == GC_FORMAT_TEXT && o->width > 0
                 ? write_wrapped(stdout, r, n, o)
                 : write_fmt(stdout, fmt, r, n, o);
        return fflush(stdout) == 0 ? st : GC_EIO;
    }
    report_job j = {fmt, r, n, o};
    return gc_write_atomic(path, write_job, &j);
}
