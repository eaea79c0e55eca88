/* gradcheck/exec.h: checking many entries fast: threads, each with its own
 * engine, and loss values batched through a model's forward_batch. */
#ifndef GRADCHECK_EXEC_H
#define GRADCHECK_EXEC_H

#include "gradcheck/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checking many entries fast (parallel.c, docs/performance.md): entries
 * are shared out to threads, each with its own engine; with batching, each
 * thread evaluates the loss values GSL asks for many entries at a time
 * through the model's forward_batch. */

/* How loss values are evaluated. */
typedef enum {
    GC_BATCH_AUTO = 0, /* batched when the model has forward_batch and at
                          least GC_BATCH_MIN_PARAMS parameter entries, or
                          fewer than its batch_exact_below (model.h: there
                          its batch gives the serial path's numbers) */
    GC_BATCH_OFF,      /* one forward() per value: the serial path's
                          numbers, to the bit, on any number of threads */
    GC_BATCH_ON        /* batched whenever the model has forward_batch */
} gc_batch_mode;

/* Batching pays at every size (measured on the LSTM: 1.3x faster at 72
 * entries, 5x at 1288, 13x at 25k), but its numbers differ from the
 * serial path's by round-off; below this many parameter entries the serial
 * path is used, so the catalogue's cases keep the numbers their golden
 * files hold, and small problems take a few milliseconds either way. */
#define GC_BATCH_MIN_PARAMS 1024

typedef struct gc_exec gc_exec;

/* Workspaces to check entries of problem p with step rule `step` on
 * `threads` threads (0: every core online).  Caller frees with
 * gc_exec_free. */
GC_EXPORT int gc_exec_alloc(const gc_problem *p, const gc_step *step, int threads,
                  gc_batch_mode batch, gc_exec **out);
GC_EXPORT void gc_exec_free(gc_exec *x);
GC_EXPORT int gc_exec_threads(const gc_exec *x);
/* 1 if parameter entries' loss values are batched. */
GC_EXPORT int gc_exec_batched(const gc_exec *x);
/* Forward passes spent so far, over all threads (a batched copy counts as
 * one pass). */
GC_EXPORT size_t gc_exec_passes(const gc_exec *x);

/* out[k] = gc_engine_check_param(theta, k, grad[k]) for every parameter
 * entry k with claimed[k] (claimed NULL: every entry); other entries of out
 * are left alone.  Without batching the results are those of the serial
 * loop to the bit; batched, the numeric values may differ from them by
 * round-off in the loss (docs/performance.md). */
GC_EXPORT int gc_exec_check_params(gc_exec *x, const double *theta, const double *grad,
                         const unsigned char *claimed, const gc_tol *tol,
                         gc_entry_check *out);
/* out[j] = gc_engine_check_quantity(theta, j, |qvalues[j]|, dq[j]) for
 * every quantity entry j with claimed[j] (NULL: all); batched through the
 * model's forward_batch_tap when the exec batches and the model has it,
 * with the serial path's results to the bit (docs/performance.md). */
GC_EXPORT int gc_exec_check_quantities(gc_exec *x, const double *theta,
                             const double *qvalues, const double *dq,
                             const unsigned char *claimed, const gc_tol *tol,
                             gc_entry_check *out);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_EXEC_H */
