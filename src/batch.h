/* batch.h: internal to libgradcheck (not installed).  Central differences
 * of many parameter entries at once through the model's forward_batch
 * (batch.c); parallel.c gives each thread one workspace. */
#ifndef GRADCHECK_BATCH_H
#define GRADCHECK_BATCH_H

#include "gradcheck/engine.h"
#include "gradcheck/model.h"

typedef struct gc_batch gc_batch;

/* A workspace keeping `width` entries in flight (up to 6 * width copies per
 * forward_batch call) for problem p with step rule step.  GC_EINVAL if the
 * model has no forward_batch.  Free with gc_batch_free. */
int gc_batch_alloc(const gc_problem *p, const gc_step *step, size_t width,
                   gc_batch **out);
void gc_batch_free(gc_batch *b);

/* out[i] = the central difference of the loss along entry k[i] at theta,
 * for i < n: GSL's value and error bar with the step rule, as
 * gc_engine_param_central gives, on loss values from forward_batch. */
int gc_batch_param_central(gc_batch *b, const double *theta, const size_t *k,
                           size_t n, gc_deriv *out);

/* out[i] = the central difference of the loss along a tap on quantity
 * entry q[i] (magnitude scale[i]) at theta, as gc_engine_quantity_central
 * gives it, on losses from forward_batch_tap (GC_EINVAL if the model has
 * none). */
int gc_batch_tap_central(gc_batch *b, const double *theta, const size_t *q,
                         const double *scale, size_t n, gc_deriv *out);

/* The one-sided pairs (fwd[i], bwd[i]) of parameter entries k[i], or of
 * quantity taps q[i] with magnitudes scale[i], as the engine's
 * gc_engine_param_one_sided / gc_engine_quantity_one_sided give them, on
 * losses from forward_batch / forward_batch_tap. */
int gc_batch_param_one_sided(gc_batch *b, const double *theta,
                             const size_t *k, size_t n, gc_deriv *fwd,
                             gc_deriv *bwd);
int gc_batch_tap_one_sided(gc_batch *b, const double *theta, const size_t *q,
                           const double *scale, size_t n, gc_deriv *fwd,
                           gc_deriv *bwd);

/* out[i] = d/dt L(theta + t v_i) at t = 0, v_i moving entries a[i] ..
 * a[i]+len[i]-1 by v[i][..], as gc_engine_direction_central gives it, on
 * losses from forward_batch_dir (GC_EINVAL if the model has none). */
int gc_batch_direction_central(gc_batch *b, const double *theta, const size_t *a,
                         const size_t *len, const double *const *v, size_t n,
                         gc_deriv *out);

/* Copies evaluated so far (each one forward pass of the model). */
size_t gc_batch_passes(const gc_batch *b);

#endif
