/* network.h: internal to libgradcheck (not installed).  Networks written
 * in a case file (network: section; docs/case-files.md "Networks"): the
 * case reader builds a runtime model with these, in this order: alloc,
 * dims, blocks, problem (parameters and inputs; the reader fills theta
 * and the inputs), forward (runs the pass once at theta and adds the
 * quantities to the problem's layout), derivations.  The problem's model
 * is the network's: free the problem (gc_problem_free) before the network
 * (gc_net_free). */
#ifndef GRADCHECK_FX_NETWORK_H
#define GRADCHECK_FX_NETWORK_H

#include "gradcheck/case.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "fx/fx.h"

#include <stddef.h>

/* Where a formula text starts in the case file: its line 1 is file line
 * `line`, and column c of any of its lines is file column column + c - 1
 * (a YAML block scalar's indentation). */
typedef struct {
    long line, column;
    /* A quoted one-line text ("L = ...", whose escapes \t, \u03b1, ''
     * are longer in the file than in the text): column c of it is file
     * column cols[c - 1] (n_cols of them, one per character, and one past
     * the end); NULL otherwise.  The network keeps a copy. */
    const long *cols;
    size_t n_cols;
} gc_net_pos;

/* name is the case's (the model's name), file the case file (messages).
 * Caller frees with gc_net_free. */
int gc_net_alloc(const char *name, const char *title, const char *file,
                 gc_net **out);
void gc_net_free(gc_net *n);
/* Formulas compiled against n's problem p (a case's derivation, a graded
 * submission): a row the forward pass defines on a line of its own (h[0]
 * = zeros(n)) is answered only by a statement naming it (dL/dh[0] = ...),
 * not by dL/dh[t] = ... (gc_fx_ungive_row). */
void gc_net_ungive_base_rows(const gc_net *n, const gc_problem *p,
                             gc_fx_program *P);
const gc_model_type *gc_net_model(const gc_net *n);
/* GC_ELIMIT past GC_MAX_DIMS. */
int gc_net_add_dim(gc_net *n, const char *name, long value);
/* One axis of a shape: "n1" (indices 1..n1) or "FIRST..LAST", each a whole
 * number expression of integers and dims (+ - * and parentheses).  On
 * failure a message in msg. */
int gc_net_axis(const gc_net *n, const char *text, long *first, long *size,
                char *msg, size_t len);
/* A parameter (input 0) or input block; GC_EINVAL if the name is taken,
 * GC_ELIMIT past the layout's limits. */
int gc_net_add_block(gc_net *n, int input, const char *name, int rank,
                     const long *first, const long *size);
/* How many parameter (input 0) or input blocks so far, and their entries. */
size_t gc_net_n_blocks(const gc_net *n, int input, size_t *entries);
/* The problem of the blocks so far (no quantities yet); owned by the
 * caller (gc_problem_free), which fills its inputs. */
int gc_net_problem(gc_net *n, gc_problem **out);
/* Compile the forward pass and run it once at theta: shapes, index
 * ranges, the order of the entries; adds the quantities to p's layout.
 * Errors carry the case file's line and column (pos). */
int gc_net_set_forward(gc_net *n, gc_problem *p, const double *theta,
                       const char *text, size_t len, const gc_net_pos *pos,
                       gc_error *err);
/* One interpreted pass at theta: GC_OK when it runs (a loss that is not
 * finite is a verdict, not an error), else GC_EINVAL with the mistake at
 * the case file's line and column (a shape that holds at the case's point
 * only, an index beyond the range found there). */
int gc_net_check_point(const gc_problem *p, const double *theta,
                       gc_error *err);
/* The loss's name: the last definition of the forward pass. */
const char *gc_net_loss_name(const gc_net *n);
/* The forward pass of a case-defined network's problem p by the formula
 * interpreter alone (forward() replays the recorded tape when it can,
 * src/fx/tape.c): what the tests compare the tape with. */
double gc_net_forward_interpreted(const gc_problem *p, const double *theta,
                                  const gc_tap *tap, double *q);
/* 1 if p's network has a tape (a batched forward pass). */
int gc_net_has_tape(const gc_problem *p);
/* A derivation in the formula language, checked once at theta; file names
 * the text in messages (the case file, or the derivation's own file).
 * *out is owned by the network. */
int gc_net_add_derivation(gc_net *n, const gc_problem *p, const double *theta,
                          const char *name, const char *summary,
                          const char *file, const char *text, size_t len,
                          const gc_net_pos *pos,
                          const gc_derivation_type **out, gc_error *err);

#endif /* GRADCHECK_FX_NETWORK_H */
