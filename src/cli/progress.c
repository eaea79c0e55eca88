/* progress.c: a progress line on standard error for work that takes more
 * than a second (a large network, a big grading batch, the nightly job):
 * done/total, rate and time left, redrawn at most ten times a second,
 * shown only when standard error is a terminal, and erased at the end so
 * that it never mixes with the report. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gc_progress_start(gc_progress *p, const char *what, const char *unit,
                       size_t total)
{
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->on = isatty(STDERR_FILENO);
    p->shown = 0;
    p->t0 = p->last = now();
}

void gc_progress_step(gc_progress *p, size_t done)
{
    if (!p->on || p->total == 0) return;
    double t = now();
    if (t - p->t0 < 1.0 || t - p->last < 0.1) return;
    p->last = t;
    double rate = done / (t - p->t0);
    fprintf(stderr, "\r%s %zu/%zu %s, %.3g/s", p->what, done, p->total,
            p->unit, rate);
    if (rate > 0 && done < p->total)
        fprintf(stderr, ", about %.0f s left", (p->total - done) / rate);
    fputs("\033[K", stderr);
    p->shown = 1;
}

void gc_progress_end(gc_progress *p)
{
    if (p->shown) fputs("\r\033[K", stderr);
    p->shown = 0;
}
