/* fx.h: internal to libgradcheck (not installed).  The formula language
 * (src/fx/): values, one-expression evaluation, and compiled programs of
 * definitions and answers, as grading uses them. */
#ifndef GRADCHECK_FX_H
#define GRADCHECK_FX_H

#include "gradcheck/case.h"
#include "gradcheck/target.h"

/* Limits of the formula language, each checked before anything is
 * allocated for it; an error names the limit. */
#define GC_FX_MAX_STATEMENT 4000      /* characters of one statement */
#define GC_FX_MAX_DEPTH 64            /* nesting: ( [ calls, unary signs, ^ */
#define GC_FX_MAX_TENSOR ((size_t)1 << 20)  /* entries of one value */
#define GC_FX_MAX_SUM 1000000L        /* terms of one sum(...) or prod(...) */
#define GC_FX_MAX_WORK 50000000.0     /* operations per answer per point */
#define GC_FX_MAX_MEMORY ((size_t)256 << 20)  /* bytes of values in flight */
#define GC_FX_MAX_RANK 4
#define GC_SUB_MAX_BYTES ((size_t)256 << 10) /* one submission file */
#define GC_SUB_MAX_STATEMENTS 256     /* statements in one file */
/* Steps (formula nodes evaluated) of one forward pass of a network written
 * in a case file: a pass is run at least twice per parameter entry, and
 * a step costs tens of nanoseconds one number at a time, so a pass of
 * sums over single entries must stay well below GC_FX_MAX_WORK. */
#define GC_NET_MAX_STEPS 1048576.0

/* A formula file's text as the lexer reads it, in place: a leading
 * byte-order mark (Windows editors) dropped, a lone CR (old Mac line
 * ends) made LF; CRLF stays (the lexer reads it as one line end). */
void gc_fx_text_normalize(char *text, size_t *len);

/* A value of the formula language: a scalar (rank 0) or an array whose
 * axes carry the index of their first entry (homework notation). */
typedef struct {
    int rank;
    size_t shape[GC_FX_MAX_RANK];
    int base[GC_FX_MAX_RANK];
    size_t size;
    double *v;               /* owned by whoever filled the value */
    int tid;                 /* while a tape records (tape.c): the tape
                                value holding it, 0 if none */
    size_t toff;             /* and where in that tape value it starts */
} gc_fx_value;

void gc_fx_value_clear(gc_fx_value *v);

/* Evaluate one expression (no definitions, no free indices) with the
 * problem's names bound to theta, its inputs and the quantity values q (q
 * may be NULL when the expression names no quantity).  On success *out
 * holds a fresh value (free with gc_fx_value_clear).  On failure returns
 * GC_EINVAL (syntax, names, shapes, indices), GC_ELIMIT (a limit, named in
 * the message) or GC_ENOMEM, with err's line and column inside expr. */
int gc_fx_eval(const gc_problem *p, const double *theta, const double *q,
               const char *expr, gc_fx_value *out, gc_error *err);

/* Text with Greek letters as the formula language reads them: "η" is
 * eta, "δ3" delta3, "2 κ" 2 kappa (ASCII is kept; σ is sigma, the sigmoid
 * function's name).  Returns 0, with out undefined, when in has another
 * non-ASCII character or out would not fit in len bytes.  A case file's
 * dims, blocks and axes may be written so. */
int gc_fx_ascii_text(const char *in, char *out, size_t len);

/* The formulas of one submission, compiled against a problem. */
typedef struct gc_fx_program gc_fx_program;

/* Compile the statements of a formula submission (definitions and
 * answers; docs/formula-language.md).  Lines holding only a header
 * ("case: ...") must have been blanked by the caller.  loss names the loss
 * in answer keys; losses (NULL: gc_loss_names_default) are the names
 * accepted for it, read during the call only.  A statement that
 * cannot be read makes its answer invalid (gc_fx_answer_error), not the
 * program; only allocation failure and the file-level limits fail. */
int gc_fx_compile(const gc_problem *p, const char *file, const char *text,
                  size_t len, const char *loss, const char *const *losses,
                  gc_fx_program **out, gc_error *err);
/* The same with the flags of a case's own formulas (fx/network.c):
 * GC_FX_HESSIANS allows Hessian blocks (d2L/dA dB = ...,
 * GC_TARGET_HESSIAN); GC_FX_LATER_DEFS lets a definition use definitions
 * further down (an LSTM's gates at t use h[t-1], defined after them);
 * cycles are then found when evaluating. */
#define GC_FX_HESSIANS 1
#define GC_FX_LATER_DEFS 2
int gc_fx_compile_with(const gc_problem *p, const char *file,
                       const char *text, size_t len, const char *loss,
                       const char *const *losses, int flags,
                       gc_fx_program **out, gc_error *err);
/* The same for a text that starts on line first_line of its file (a
 * case's forward: or formulas: block): the lines messages name ("already
 * given on line 34", "whose definition on line 30 cannot be read") are the
 * file's; err's own line stays the text's, for the caller to map. */
int gc_fx_compile_from(const gc_problem *p, const char *file,
                       const char *text, size_t len, long first_line,
                       const char *loss, const char *const *losses,
                       int flags, gc_fx_program **out, gc_error *err);
void gc_fx_program_free(gc_fx_program *prog);

/* The base cases written on lines of their own (h[0] = zeros(n) beside
 * h[t] = ...): n of them; case i names its definition and *at the index it
 * gives. */
size_t gc_fx_n_base_cases(const gc_fx_program *prog);
const char *gc_fx_base_case(const gc_fx_program *prog, size_t i, long *at);
/* Entries of quantity block q whose first index is row, given by a
 * statement whose first index on q is free (dL/dh[t] = ...), are not given
 * after this call: a row the forward pass defines on a line of its own
 * (h[0] = zeros(n)) is answered only by a statement that names it
 * (dL/dh[0] = ...).  Returns how many entries it took back. */
size_t gc_fx_ungive_row(gc_fx_program *prog, const gc_block *q, long row);

size_t gc_fx_n_answers(const gc_fx_program *prog);
const gc_target *gc_fx_answer_target(const gc_fx_program *prog, size_t i);
long gc_fx_answer_line(const gc_fx_program *prog, size_t i);
/* The reason the answer cannot be evaluated at all (a syntax error, an
 * unknown name, entries given twice or not at all), or NULL. */
const gc_error *gc_fx_answer_error(const gc_fx_program *prog, size_t i);
/* What the answer's formulas mean by a name the model also has: "d3 is
 * your definition on line 2, not the model's dimension d3 = 1" (a
 * definition hides a block or a dimension from its line on), or NULL. */
const char *gc_fx_answer_note(const gc_fx_program *prog, size_t i);
/* Lines that are no answer and could not be read (a broken definition, a
 * left-hand side that is neither); n_notes of them. */
size_t gc_fx_n_notes(const gc_fx_program *prog);
const gc_error *gc_fx_note(const gc_fx_program *prog, size_t i);

/* Evaluate answer i at a point: values[target.n] receives the answer's
 * derivative entries (row-major; Jacobians of by wrt).  Definitions are
 * evaluated once per point: call gc_fx_set_point first.  Returns
 * GC_EINVAL/GC_ELIMIT with err at the formula's position, or
 * GC_ENOMEM. */
void gc_fx_set_point(gc_fx_program *prog, const double *theta,
                     const double *q);
int gc_fx_answer_eval(gc_fx_program *prog, size_t i, double *values,
                      gc_error *err);

/* Programs that are definitions only: the forward pass of a network
 * written in a case file (fx/network.c).  The store hook is called each
 * time a definition's value (an indexed definition's at idx) has been
 * computed at the current point, before anything uses it: it may change
 * v->v in place (a tap) and returns non-zero, with err filled, to stop the
 * evaluation. */
typedef int (*gc_fx_store_fn)(void *ctx, size_t def, const long *idx,
                              int n_idx, gc_fx_value *v, gc_error *err);
void gc_fx_set_store(gc_fx_program *prog, gc_fx_store_fn fn, void *ctx);
/* Watching for values that are not finite (watch.c; off by default, and
 * set off again by on = 0): the first operation that makes a value NaN or
 * infinite from finite operands, and the first definition entry computed
 * not finite, are noted.  gc_fx_watch_note gives the definition entry
 * ("a2[3]", "" if none) and returns 1 with the operation's message ("log
 * of a negative number: log(-0.3)") and its place in the formula text, or
 * 0 when no operation was noted. */
void gc_fx_watch(gc_fx_program *prog, int on);
int gc_fx_watch_note(const gc_fx_program *prog, char *def, size_t def_len,
                     char *msg, size_t len, long *line, long *col);
/* At most max steps (formula nodes evaluated) between two calls of
 * gc_fx_set_point, what names the limit in the error (0: no limit but
 * GC_FX_MAX_WORK's). */
void gc_fx_set_max_steps(gc_fx_program *prog, double max, const char *what);
size_t gc_fx_n_defs(const gc_fx_program *prog);
const char *gc_fx_def_name(const gc_fx_program *prog, size_t i);
int gc_fx_def_n_params(const gc_fx_program *prog, size_t i);
/* An indexed definition's first index name as written (t in h[t]), or "". */
const char *gc_fx_def_index_name(const gc_fx_program *prog, size_t i);
/* Where definition i's name stands in the text. */
void gc_fx_def_pos(const gc_fx_program *prog, size_t i, long *line,
                   long *col);
/* Definition i at indices idx (n_params of them) at the point set by
 * gc_fx_set_point; *out stays valid until the next gc_fx_set_point.  Each
 * entry is computed once per point (memoised); a recurrence deeper than
 * the evaluator's depth limit is computed from its far end first. */
int gc_fx_def_eval(gc_fx_program *prog, size_t i, const long *idx,
                   gc_fx_value *out, gc_error *err);

/* Give definition i at idx the value v (copied) at the current point, as
 * if it had been computed: a later pass at the same point reuses what did
 * not change (fx/network.c, a tapped pass).  The store hook is not
 * called. */
int gc_fx_def_preset(gc_fx_program *prog, size_t i, const long *idx,
                     const gc_fx_value *v);

#endif /* GRADCHECK_FX_H */
