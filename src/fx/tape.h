/* fx/tape.h: not installed.  A forward program's pass as a tape of
 * primitive operations, replayed for many perturbed copies of theta at
 * once (tape.c; a case-defined network's forward_batch, network.c). */
#ifndef GRADCHECK_FX_TAPE_H
#define GRADCHECK_FX_TAPE_H

#include "fx/fx.h"
#include "gradcheck/model.h"

#include <stddef.h>

typedef struct fx_tape fx_tape;

/* An empty tape for a problem of nq quantity entries; NULL when memory is
 * short.  Free with fx_tape_free
 * (NULL: nothing). */
fx_tape *fx_tape_alloc(size_t nq);
/* While recording: x is the value of quantity entries q0 .. q0+size-1
 * (the store hook's); it becomes a tape value of its own, which a tap
 * moves. */
void fx_tape_own(fx_tape *T, gc_fx_value *x, size_t q0);
void fx_tape_free(fx_tape *T);
/* Record on T while a program evaluates: gc_fx_record (program.c). */
void gc_fx_record(gc_fx_program *prog, fx_tape *T);
/* After the pass: the loss value it ended with, the inputs it read.
 * GC_EINVAL when the pass cannot be replayed (fx_tape_why says why). */
int fx_tape_finish(fx_tape *T, const gc_fx_value *loss, const double *inputs,
                   size_t n_inputs, size_t n_params);
const char *fx_tape_why(const fx_tape *T);
size_t fx_tape_n_ops(const fx_tape *T);
/* Doubles of scratch fx_tape_replay needs for n copies. */
size_t fx_tape_work(const fx_tape *T, size_t n);
/* The losses of n copies of theta, copy c with parameter entry k[c] set
 * to x[c] (taps NULL), or with quantity entry taps[c].index moved by
 * taps[c].delta (k, x unused); redo[c] = 1 for a copy the tape cannot give
 * (a guard decided otherwise, or inputs differ from the recorded ones):
 * the caller evaluates those with the interpreter.  With exact, or with
 * taps, every copy is computed by the interpreter's kernels, so its loss
 * is forward()'s to the bit; without, a parameter matrix times the
 * copies' vectors is one matrix-matrix product, with round-off of its
 * own.  Writes work[0 .. fx_tape_work). */
int fx_tape_replay(const fx_tape *T, const double *theta, const size_t *k,
                   const double *x, const gc_tap *taps, size_t n,
                   int exact, const double *inputs, double *losses,
                   unsigned char *redo, double *work);

/* The same for copies moved along directions (forward_batch_dir): copy c
 * is theta with entries a[c] .. a[c]+len[c]-1 set to theta_j + t[c]
 * v[c][j - a[c]], as the engine's one-copy loss_along writes them; every
 * copy by the interpreter's kernels (forward()'s losses to the bit). */
int fx_tape_replay_dir(const fx_tape *T, const double *theta,
                       const size_t *a, const size_t *len,
                       const double *const *v, const double *t, size_t n,
                       const double *inputs, double *losses,
                       unsigned char *redo, double *work);

/* One thread's replays of one copy: the last replay's values and the
 * point they are for (the base), so that the next replay can start at the
 * first operation a changed parameter or a tap reaches. */
typedef struct {
    double *work;        /* fx_tape_work(T, 1) */
    double *theta;       /* the base point */
    int valid;           /* work holds a replay at theta */
    size_t dirty_from;   /* operations from here on may hold another
                            point's or a tapped value */
} fx_tape_cursor;
int fx_tape_cursor_alloc(const fx_tape *T, fx_tape_cursor *cur);
/* Frees the cursor's buffers (not cur itself). */
void fx_tape_cursor_clear(fx_tape_cursor *cur);
/* forward() of one copy (tap may be NULL) through cursor cur: 1 with the
 * loss in *loss and, q not NULL, the quantities in q, to the bit as the
 * interpreter gives them; 0 if the interpreter must evaluate it (a guard
 * decided otherwise, other inputs). */
int fx_tape_replay_one(const fx_tape *T, fx_tape_cursor *cur,
                       const double *theta, const gc_tap *tap,
                       const double *inputs, double *loss, double *q);

/* After a replay of one copy: the quantity vector it computed, into q
 * (nq entries; those no definition stores are 0, as in a pass). */
void fx_tape_quantities(const fx_tape *T, const double *work, double *q);

#endif /* GRADCHECK_FX_TAPE_H */
