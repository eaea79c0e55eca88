/* parallel.h: internal to libgradcheck (not installed).  Running other
 * per-thread work on an exec's threads and engines (parallel.c). */
#ifndef GRADCHECK_PARALLEL_H
#define GRADCHECK_PARALLEL_H

#include "gradcheck/engine.h"
#include "gradcheck/exec.h"
#include "gradcheck/model.h"

/* fn(e, i, ctx) for every i < n, on the exec's threads, e being the
 * calling thread's engine.  Calls for different i may run at the same time
 * and in any order: fn writes only what belongs to i.  Returns the first
 * non-zero status fn returned (the rest of the calls are then skipped). */
int gc_exec_for(gc_exec *x, size_t n,
                int (*fn)(gc_engine *e, size_t i, void *ctx), void *ctx);

/* out[i] = d/dt L(theta + t v_i) at t = 0 for i < n, v_i moving entries
 * a[i] .. a[i]+len[i]-1 (in one block) by v[i][..]: batched through the
 * model's forward_batch_dir when the exec batches and the model has it,
 * else gc_engine_direction_central on each thread. */
int gc_exec_direction_central(gc_exec *x, const double *theta,
                              const size_t *a, const size_t *len,
                              const double *const *v, size_t n,
                              gc_deriv *out);

/* The problem and step rule the exec was allocated for. */
const gc_problem *gc_exec_problem(const gc_exec *x);
const gc_step *gc_exec_step(const gc_exec *x);

#endif
