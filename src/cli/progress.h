/* progress.h: the command line's progress line (progress.c; not
 * installed). */
#ifndef GC_PROGRESS_H
#define GC_PROGRESS_H

#include <stddef.h>

typedef struct {
    const char *what, *unit;  /* "running", "checks" */
    size_t total;
    int on, shown;            /* stderr is a terminal; a line is drawn */
    double t0, last;
} gc_progress;

/* Start counting; nothing is drawn before a second has passed. */
void gc_progress_start(gc_progress *p, const char *what, const char *unit,
                       size_t total);
/* done of total finished: redraw (at most every 0.1 s). */
void gc_progress_step(gc_progress *p, size_t done);
/* Erase the line, if one was drawn. */
void gc_progress_end(gc_progress *p);

#endif
