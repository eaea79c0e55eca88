/* replay.h: internal to libgradcheck (not installed).  GSL's central
 * difference replayed on loss values evaluated elsewhere, many entries at a
 * time (engine.c explains the replay, batch.c drives it), and the verdict of
 * an entry whose central difference is already known. */
#ifndef GRADCHECK_REPLAY_H
#define GRADCHECK_REPLAY_H

#include "gradcheck/engine.h"
#include "gradcheck/verdict.h"

/* derive()'s status when the replay lacks values (never a GSL status). */
#define GC_REPLAY_MORE (-2)

/* Points one pass of a replay can ask for: the six of an attempt of the
 * step rule (x +- h, x +- h/2, x +- h/4); GC_RULE_GSL asks for four. */
#define GC_REPLAY_WANT 6
/* Points one entry's central difference can ask for in all: per attempt
 * six, or eight with GC_RULE_GSL (GSL's four and its refinement's four). */
#define GC_REPLAY_POINTS(max_shrinks) (8 * ((size_t)(max_shrinks) + 1))

/* One entry's table of loss values: f[i] is the loss with the entry set to
 * x[i].  Storage (cap points each) belongs to the caller. */
typedef struct {
    double *x, *f;
    size_t n, cap;
    double want[GC_REPLAY_WANT];   /* points the abandoned attempt asked for */
    size_t n_want;
    size_t missed;         /* lookups that missed in the current attempt */
} gc_replay;

/* The step rule's first step at scale x (a power of two; engine.c). */
double gc_engine_first_step(double x, const gc_step *s);

/* Empty the table (storage kept). */
void gc_replay_reset(gc_replay *r);
/* Add f at x; GC_ELIMIT when the table is full. */
int gc_replay_add(gc_replay *r, double x, double f);
/* The central difference at x with the step rule, its first step taken
 * at scale `scale` (x itself for a parameter entry, the quantity's |value|
 * for a tap, 0 for a direction), from the table: GC_OK with *out filled,
 * or GC_REPLAY_MORE with want[0 .. n_want) the points to evaluate, add,
 * and call again. */
int gc_replay_central(gc_replay *r, double x, double scale,
                      const gc_step *step, gc_deriv *out);

/* The one-sided pair at x (gsl_deriv_forward and gsl_deriv_backward with
 * GSL's refinement and the step rule's retries, from one shrink below the
 * central rule's first step at scale `scale`), as the engine's
 * gc_engine_param_one_sided / gc_engine_quantity_one_sided computes it,
 * from the table: GC_OK with *fwd and *bwd filled, or GC_REPLAY_MORE as
 * gc_replay_central.  The table must hold 2 GC_REPLAY_POINTS. */
int gc_replay_one_sided(gc_replay *r, double x, double scale,
                        const gc_step *step, gc_deriv *fwd, gc_deriv *bwd);

/* An entry's verdict from out->numeric alone (analytic, rel_error and
 * verdict set); 1 when the central value does not agree, and the
 * one-sided pair must then be computed into out->fwd, out->bwd and
 * gc_judge_one_sided called, which tells a kink. */
int gc_judge_central(double analytic, const gc_tol *tol, gc_entry_check *out);
void gc_judge_one_sided(const gc_tol *tol, gc_entry_check *out);

/* Forget the quantity vectors the engine kept (engine.c, evaluate):
 * call before checking a Jacobian column at a new point.  While e's output
 * is a quantity (gc_engine_set_output), a pass at the same parameter entry
 * or tap moved to the same value as a kept one since the last call takes
 * the kept quantities instead of calling forward() again (at most 256 kept,
 * none when the quantities are too many); the base theta must not change
 * in between. */
void gc_engine_memo_clear(gc_engine *e);

#endif
