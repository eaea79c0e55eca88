/* gradcheck.h: public API of libgradcheck.
 *
 * gradcheck compares hand-derived ("analytic") gradients of a scalar loss
 * against GSL's numerical derivatives, entry by entry, and gives each entry a
 * verdict (agree, disagree, kink, nonfinite, inconclusive).
 *
 * The pieces, each in its own file:
 *   layout.c      parameter/input/quantity blocks and entry names (W1[0][1])
 *   registry.c    the table of models, looked up by name
 *   engine.c      numeric derivatives with gsl_deriv_* (thread-safe workspace)
 *   verdict.c     the verdict rule
 *   case.c        reading a YAML case file into a gc_case
 *   run.c         running a case: points, derivations, claims -> gc_report
 *   report_text.c / report_json.c   report writers
 *
 * Conventions (from GSL): functions return a gc_status, 0 on success, and
 * write results through pointer arguments that come last.  _alloc/_free pairs
 * own memory; every _free accepts NULL.
 */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRADCHECK_VERSION "0.1.0"

/* ---------------------------------------------------------------- status */

/* Status codes; 0 is success.  gc_strstatus() gives a short description. */
typedef enum {
    GC_OK = 0,
    GC_EINVAL,   /* bad argument or bad input (case file, command line) */
    GC_ENOMEM,   /* allocation failed */
    GC_EIO,      /* file could not be read or written */
    GC_ESHAPE,   /* shapes do not fit the model */
    GC_ENOTFOUND,/* unknown model, derivation, case or entry name */
    GC_ELIMIT,   /* a documented resource limit was exceeded */
    GC_EDERIV    /* a derivation or model reported failure */
} gc_status;

const char *gc_strstatus(int status);

/* ---------------------------------------------------------------- layout */

#define GC_MAX_RANK 3
#define GC_MAX_BLOCKS 48
#define GC_NAME_MAX 32

/* One named array of numbers in the homework's notation: a parameter block
 * (W1, U, b_f), an input (x, y) or an intermediate quantity (s, h, z_f).
 * Entries are stored row-major at `offset` in a flat vector.  `base` is the
 * index the homework gives the first entry along each axis (Question 1 of
 * 004 numbers the rows of W(1) from 0, the bias row, and the columns from 1),
 * used only when naming entries. */
typedef struct {
    char name[GC_NAME_MAX];
    int rank;                    /* 0 scalar, 1 vector, 2 matrix, 3 */
    size_t shape[GC_MAX_RANK];   /* unused axes are 1 */
    int base[GC_MAX_RANK];
    size_t offset;               /* first entry in the flat vector */
    size_t size;                 /* product of shape */
    int timed;                   /* quantities only: axis 0 is the time step,
                                    so forward order is time-major across
                                    timed blocks (set with gc_blocks_timed) */
} gc_block;

/* A family of blocks laid out in one flat vector. */
typedef struct {
    gc_block block[GC_MAX_BLOCKS];
    size_t n_blocks;
    size_t n;                    /* total entries */
} gc_blocks;

/* What a model needs for given dimensions: its parameters (theta), inputs
 * and targets, the intermediate quantities its forward pass exposes, and the
 * scratch space (in doubles) that forward() and the derivations use. */
typedef struct {
    gc_blocks params;
    gc_blocks inputs;
    gc_blocks quantities;
    size_t work;
} gc_layout;

/* Append a block to a family; rank 0..3, shape entries for unused axes are
 * ignored.  Returns GC_ELIMIT when the family is full or the size overflows
 * the entry limit GC_MAX_ENTRIES. */
#define GC_MAX_ENTRIES ((size_t)1 << 22)
int gc_blocks_add(gc_blocks *b, const char *name, int rank,
                  size_t d0, size_t d1, size_t d2,
                  int base0, int base1, int base2);
const gc_block *gc_blocks_find(const gc_blocks *b, const char *name);
/* Mark the named blocks (NULL-terminated list) as time-major. */
void gc_blocks_timed(gc_blocks *b, const char *const *names);
/* The block holding flat index k, or NULL. */
const gc_block *gc_blocks_of(const gc_blocks *b, size_t k);
/* Name of flat entry k, e.g. "W1[0][1]" or "b1"; writes at most n bytes. */
void gc_entry_name(const gc_blocks *b, size_t k, char *buf, size_t n);
/* Parse "W1[0][1]" (homework indices) to a flat index; GC_ENOTFOUND if the
 * block is unknown, GC_EINVAL if indices are malformed or out of range.  A
 * bare block name selects its first entry and sets *whole to 1. */
int gc_entry_parse(const gc_blocks *b, const char *text, size_t *k, int *whole);

/* ---------------------------------------------------------------- models */

#define GC_MAX_DIMS 8

/* A named integer of a model's shape (number of hidden units, time steps). */
typedef struct {
    const char *name;
    long def, min, max;
    const char *meaning;
} gc_dim;

/* A tap perturbs one intermediate quantity inside the forward pass: when the
 * model computes entry `index` of its quantity vector it adds `delta` and
 * carries on with the perturbed value.  Differentiating the loss along
 * `delta` gives dL/d(quantity) with everything downstream recomputed, which
 * is what lets the report say where a derivation first goes wrong. */
typedef struct {
    size_t index;
    double delta;
} gc_tap;

/* Apply a tap (may be NULL) to the value of quantity entry idx. */
static inline double gc_tapped(const gc_tap *t, size_t idx, double v)
{
    return (t && t->index == idx) ? v + t->delta : v;
}

typedef struct gc_problem gc_problem;

/* A Jacobian a derivation states: d(of)/d(wrt), where `of` is a quantity
 * block (a vector output of the forward pass) and `wrt` a parameter block or
 * a quantity block computed before `of`.  fill() writes
 * J[i * size(wrt) + k] = d of_i / d wrt_k (row-major, of by wrt). */
typedef struct {
    const char *of;
    const char *wrt;
    int (*fill)(const gc_problem *p, const double *theta, double *J,
                double *work);
} gc_jacobian;

/* A derivation: somebody's analytic gradient for one model.  `seed` is the
 * homework's formulas as written, `corrected` our own. */
typedef struct {
    const char *name;      /* "seed", "corrected", ... */
    const char *summary;   /* one line: what it is and where it comes from */
    /* dL/dtheta for every parameter entry into grad[layout.params.n].
     * May be NULL for a derivation that only states Jacobians. */
    int (*gradient)(const gc_problem *p, const double *theta,
                    double *grad, double *work);
    /* Optional (NULL if absent): the derivation's claimed dL/dq for the
     * quantity entries of the blocks it covers. */
    int (*quantity_grads)(const gc_problem *p, const double *theta,
                          double *dq, double *work);
    /* Optional: the parameter blocks the derivation gives formulas for,
     * NULL-terminated; NULL means every block.  Entries of other blocks are
     * reported as not claimed (the homework derived only dE/db1, say). */
    const char *const *covers;
    /* Optional: the quantity blocks quantity_grads fills; NULL means every
     * quantity block (when quantity_grads is set). */
    const char *const *covers_quantities;
    /* Optional: Jacobians the derivation states, terminated by {NULL}. */
    const gc_jacobian *jacobians;
} gc_derivation_type;

/* A model: a homework network with its forward pass and derivations. */
typedef struct {
    const char *name;      /* registry key, e.g. "tanh_net_004_q1" */
    const char *title;     /* one line */
    const char *source;    /* "004_551e535e53da35e5.txt, Question 1" */
    const gc_dim *dims;    /* terminated by {NULL}; may be just {NULL} */
    /* Fill the layout for the given dims (same order as `dims`). */
    int (*layout)(const long *dims, gc_layout *out);
    /* Forward pass: returns the loss.  q (may be NULL) receives every
     * quantity's value; tap (may be NULL) perturbs one quantity.  Writes
     * nothing but work[0 .. layout.work) and q: thread-safe. */
    double (*forward)(const gc_problem *p, const double *theta,
                      const gc_tap *tap, double *q, double *work);
    const gc_derivation_type *const *derivations;  /* NULL-terminated */
    /* Optional (NULL if absent): the loss of n perturbed copies of theta in
     * one call, copy i being theta with parameter entry k[i] set to x[i],
     * into losses[i].  Perturbing one entry changes the forward pass by a
     * rank-one term, so the copies can share the weights and run as
     * matrix-matrix products; losses[i] equals forward() on that copy up to
     * round-off (a few ulps of the quantities, README "Performance").
     * Writes nothing but work[0 .. batch_work(p, n)) and losses:
     * thread-safe.  Returns a gc_status. */
    int (*forward_batch)(const gc_problem *p, const double *theta,
                         const size_t *k, const double *x, size_t n,
                         double *losses, double *work);
    /* Scratch, in doubles, that forward_batch needs for n copies (set
     * together with forward_batch). */
    size_t (*batch_work)(const gc_problem *p, size_t n);
    /* Optional (NULL if absent; needs batch_work): the loss of n copies of
     * theta moved along directions, copy i being theta + t[i] v_i, where
     * v_i moves parameter entries a[i] .. a[i]+len[i]-1, all in one block,
     * by v[i][0 .. len[i]).  For directional screening (directional.c);
     * otherwise as forward_batch. */
    int (*forward_batch_dir)(const gc_problem *p, const double *theta,
                             const size_t *a, const size_t *len,
                             const double *const *v, const double *t,
                             size_t n, double *losses, double *work);
} gc_model_type;

/* A model instantiated with dims and inputs: what the engine evaluates. */
struct gc_problem {
    const gc_model_type *model;
    long dims[GC_MAX_DIMS];
    gc_layout layout;
    double *inputs;        /* layout.inputs.n values, owned */
};

/* The registry: NULL-terminated table of every model. */
extern const gc_model_type *const gc_models[];
const gc_model_type *gc_model_find(const char *name);
const gc_derivation_type *gc_derivation_find(const gc_model_type *m,
                                             const char *name);
/* Look up a dim by name; returns its index or -1. */
int gc_dim_index(const gc_model_type *m, const char *name);

/* Allocate a problem for model m with dims (NULL: defaults); inputs zeroed.
 * Caller frees with gc_problem_free. */
int gc_problem_alloc(const gc_model_type *m, const long *dims,
                     gc_problem **out);
void gc_problem_free(gc_problem *p);

/* ---------------------------------------------------------------- verdicts */

typedef enum {
    GC_AGREE = 0,      /* analytic and numeric agree within tolerance */
    GC_DISAGREE,       /* they differ beyond tolerance and error bar */
    GC_KINK,           /* one-sided derivatives differ: not differentiable */
    GC_NONFINITE,      /* NaN or Inf in the loss, numeric or analytic value */
    GC_INCONCLUSIVE,   /* the numeric error bar is too large to decide */
    GC_N_VERDICTS
} gc_verdict;

const char *gc_verdict_name(gc_verdict v);
/* Parse a verdict name; returns -1 if unknown. */
int gc_verdict_parse(const char *s);

/* Tolerances of the verdict rule (README, "Verdicts"). */
typedef struct {
    double rtol;       /* relative tolerance */
    double atol;       /* absolute tolerance */
    double k;          /* multiple of the numeric error bar allowed */
    double bar_rtol;   /* agreement counts only if k*abserr <= bar_rtol*m + atol */
} gc_tol;

extern const gc_tol gc_tol_default;

/* Relative error |a-n|/max(|a|,|n|); 0 when both are within atol of zero. */
double gc_rel_error(double a, double n, double atol);

/* The rule without the kink test: GC_AGREE, GC_DISAGREE, GC_NONFINITE or
 * GC_INCONCLUSIVE. */
gc_verdict gc_judge(double analytic, double numeric, double abserr,
                    const gc_tol *tol);
/* Whether two one-sided derivatives differ beyond tolerance and error bars
 * (a kink). */
int gc_one_sided_differ(double fwd, double fwd_err, double bwd, double bwd_err,
                        const gc_tol *tol);

/* ---------------------------------------------------------------- engine */

/* A numeric derivative with its error estimate (never a bare number). */
typedef struct {
    double value;
    double abserr;
    int status;        /* GSL status of the evaluation, 0 if fine */
} gc_deriv;

/* Per-thread workspace for numeric differentiation of one problem. */
typedef struct gc_engine gc_engine;

/* Step-size rule (README, "Step size"): start at
 * h = h_rel * max(|x|, h_floor) rounded down to a power of two; while the
 * error bar exceeds good_rel * |value|, retry with h * shrink, at most
 * max_shrinks times, and keep the estimate with the smallest error bar. */
typedef struct {
    double h_rel;
    double h_floor;
    double shrink;
    int max_shrinks;
    double good_rel;
} gc_step;

extern const gc_step gc_step_default;

int gc_engine_alloc(const gc_problem *p, gc_engine **out);
void gc_engine_free(gc_engine *e);

/* The engine's model scratch (layout.work doubles), for calling a
 * derivation on the same thread. */
double *gc_engine_work(gc_engine *e);

/* What the engine differentiates: the loss (j = -1, the default) or the
 * value of quantity entry j (for Jacobians).  GC_EINVAL if j is out of
 * range. */
int gc_engine_set_output(gc_engine *e, long j);

/* Loss at theta (tap may be NULL); q may be NULL. */
double gc_engine_loss(gc_engine *e, const double *theta, const gc_tap *tap,
                      double *q);

/* Central difference of the loss along parameter entry k at theta. */
int gc_engine_param_central(gc_engine *e, const double *theta, size_t k,
                            const gc_step *step, gc_deriv *out);
/* One-sided differences (forward: x+h side, backward: x-h side). */
int gc_engine_param_one_sided(gc_engine *e, const double *theta, size_t k,
                              const gc_step *step, gc_deriv *fwd,
                              gc_deriv *bwd);
/* Central difference of the loss w.r.t. quantity entry j (via a tap) and the
 * one-sided pair, at theta.  `scale` is the quantity's magnitude. */
int gc_engine_quantity_central(gc_engine *e, const double *theta, size_t j,
                               double scale, const gc_step *step,
                               gc_deriv *out);
int gc_engine_quantity_one_sided(gc_engine *e, const double *theta, size_t j,
                                 double scale, const gc_step *step,
                                 gc_deriv *fwd, gc_deriv *bwd);

/* Check one entry: numeric central difference, verdict, and one-sided
 * derivatives where the central one does not agree (to tell a kink). */
typedef struct {
    double analytic;
    gc_deriv numeric;
    double rel_error;
    gc_verdict verdict;
    int one_sided;           /* fwd/bwd below were computed */
    gc_deriv fwd, bwd;
} gc_entry_check;

int gc_engine_check_param(gc_engine *e, const double *theta, size_t k,
                          double analytic, const gc_step *step,
                          const gc_tol *tol, gc_entry_check *out);
int gc_engine_check_quantity(gc_engine *e, const double *theta, size_t j,
                             double scale, double analytic,
                             const gc_step *step, const gc_tol *tol,
                             gc_entry_check *out);

/* Forward passes the engine has evaluated so far (every loss value GSL
 * asked for is one pass). */
size_t gc_engine_passes(const gc_engine *e);

/* Central difference of the loss along a direction: d/dt L(theta + t v) at
 * t = 0, where v (n values) moves parameter entries a .. a+n-1, with the
 * step rule at scale 1 (h = h_rel * h_floor; entries of v of order 1). */
int gc_engine_direction_central(gc_engine *e, const double *theta,
                                size_t a, size_t n, const double *v,
                                const gc_step *step, gc_deriv *out);

/* ---------------------------------------------------------------- parallel */

/* Checking many entries fast (parallel.c, README "Performance"): entries
 * are shared out to threads, each with its own engine; with batching, each
 * thread evaluates the loss values GSL asks for many entries at a time
 * through the model's forward_batch. */

/* How loss values are evaluated. */
typedef enum {
    GC_BATCH_AUTO = 0, /* batched when the model has forward_batch and at
                          least GC_BATCH_MIN_PARAMS parameter entries */
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
int gc_exec_alloc(const gc_problem *p, const gc_step *step, int threads,
                  gc_batch_mode batch, gc_exec **out);
void gc_exec_free(gc_exec *x);
int gc_exec_threads(const gc_exec *x);
/* 1 if parameter entries' loss values are batched. */
int gc_exec_batched(const gc_exec *x);
/* Forward passes spent so far, over all threads (a batched copy counts as
 * one pass). */
size_t gc_exec_passes(const gc_exec *x);

/* out[k] = gc_engine_check_param(theta, k, grad[k]) for every parameter
 * entry k with claimed[k] (claimed NULL: every entry); other entries of out
 * are left alone.  Without batching the results are those of the serial
 * loop to the bit; batched, the numeric values may differ from them by
 * round-off in the loss (README "Performance"). */
int gc_exec_check_params(gc_exec *x, const double *theta, const double *grad,
                         const unsigned char *claimed, const gc_tol *tol,
                         gc_entry_check *out);
/* out[j] = gc_engine_check_quantity(theta, j, |qvalues[j]|, dq[j]) for
 * every quantity entry j with claimed[j] (NULL: all); never batched. */
int gc_exec_check_quantities(gc_exec *x, const double *theta,
                             const double *qvalues, const double *dq,
                             const unsigned char *claimed, const gc_tol *tol,
                             gc_entry_check *out);

/* ---------------------------------------------------------------- cases */

/* Where an input error was found: gradcheck: file:line:column: message. */
typedef struct {
    char file[512];
    long line, column;   /* 1-based; 0 when not known */
    char msg[512];
} gc_error;

typedef enum { GC_DIST_NORMAL, GC_DIST_UNIFORM } gc_dist;

/* Tolerance for golden comparisons: |got - golden| <= atol + rtol |golden|
 * (see "golden" below). */
typedef struct {
    double rtol, atol;
} gc_golden_tol_t;

typedef enum {
    GC_CLAIM_LOSS,       /* of: loss */
    GC_CLAIM_VALUE,      /* of: x1[2]      value of a quantity */
    GC_CLAIM_DPARAM,     /* of: d/dW1[0][1] numeric dL/d(parameter entry) */
    GC_CLAIM_DQUANTITY,  /* of: d/ds2[1]    numeric dL/d(quantity entry) */
    GC_CLAIM_COUNT       /* of: n_params    number of parameter entries */
} gc_claim_kind;

/* A number the homework states, to compare with the computed value. */
typedef struct {
    char *name;
    char *of;            /* as written in the case */
    gc_claim_kind kind;
    size_t index;        /* flat entry in params or quantities */
    double stated;
    double tol;          /* absolute; from the digits written unless given */
    int tol_given;
    gc_verdict expect;
    long line;
} gc_claim;

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect;
    long line;
} gc_case_derivation;

/* A case: one homework problem as a YAML file (README, "Case files"). */
typedef struct {
    char *path;
    char *name, *title, *seed, *problem;
    const gc_model_type *model;
    gc_problem *prob;
    double *theta;           /* the given point (missing blocks drawn) */
    unsigned char *given;    /* per param block: 1 if the case gave it */
    long points;             /* extra random points */
    unsigned long seed_rng;
    gc_dist dist;
    double scale;
    gc_tol tol;
    gc_step step;
    gc_case_derivation *derivs;
    size_t n_derivs;
    gc_claim *claims;
    size_t n_claims;
    char **assumptions;
    size_t n_assumptions;
    gc_golden_tol_t golden_tol;  /* the case's golden: section */
    int have_golden_tol;
    struct gc_grading *grading;  /* the case's grading: section, or NULL */
} gc_case;

/* Limits on what a case may ask for (README, "Limits"). */
#define GC_CASE_MAX_BYTES ((size_t)4 << 20)
#define GC_CASE_MAX_POINTS 10000L
#define GC_CASE_MAX_DEPTH 32             /* nesting of YAML collections */
#define GC_CASE_MAX_NODES 200000L        /* YAML values in one file */
#define GC_CASE_MAX_KEYS 256             /* keys in one YAML mapping */
/* Entry checks one run keeps (points x derivations x entries): about
 * 100 bytes each, so 2^23 is under 1 GiB of report. */
#define GC_RUN_MAX_CHECKS ((size_t)1 << 23)

/* Read and validate a case file.  On failure returns non-zero and fills err
 * (file, line, what was expected); *out is NULL.  Caller frees *out. */
int gc_case_load(const char *path, gc_case **out, gc_error *err);
/* The same from memory; `name` stands for the file in messages. */
int gc_case_load_buffer(const char *name, const unsigned char *buf,
                        size_t len, gc_case **out, gc_error *err);
void gc_case_free(gc_case *c);
/* Draw the parameters of extra point i (1-based) into theta: point i of the
 * case's seeded stream, independent of how many points are run. */
void gc_case_point(const gc_case *c, unsigned long seed, long i,
                   double *theta);

/* ---------------------------------------------------------------- runs */

/* Options of a run; gc_run_options_default() gives the case's own. */
typedef struct {
    long points;             /* -1: the case's */
    long seed;               /* -1: the case's */
    int have_tol;            /* override the case's tolerances with tol */
    gc_tol tol;
    int quantities;          /* check intermediate quantities (localise) */
    int threads;             /* threads checking entries (-j); 0: every
                                core.  Results do not depend on it. */
    gc_batch_mode batch;     /* batched loss values (GC_BATCH_AUTO) */
} gc_run_options;

gc_run_options gc_run_options_default(void);

/* Results of one derivation at one point. */
typedef struct {
    double *theta;           /* the point */
    gc_entry_check *entries; /* one per parameter entry */
    gc_verdict verdict;      /* over the claimed entries, kinks excluded */
    size_t counts[GC_N_VERDICTS];
    double max_rel_error;
    size_t worst;            /* entry with the largest rel_error */
    /* localisation (when the derivation gives quantity_grads) */
    gc_entry_check *qentries;/* one per quantity entry, or NULL */
    double *qvalues;         /* forward values of the quantities */
    long first_wrong;        /* quantity entry where the derivation first
                                goes wrong walking backwards, or -1 */
    gc_entry_check **jentries;  /* per stated Jacobian: size(of) x size(wrt) */
} gc_point_report;

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect, verdict;
    unsigned char *claimed;  /* per parameter entry: covered */
    unsigned char *qclaimed; /* per quantity entry: covered */
    size_t n_claimed;
    gc_point_report *points; /* n_points */
    size_t n_jacobians;      /* type->jacobians entries */
    double max_rel_error;
    size_t counts[GC_N_VERDICTS];
} gc_derivation_report;

typedef struct {
    const gc_claim *claim;
    double actual, abserr;
    double tol;
    gc_verdict verdict;
} gc_claim_report;

typedef struct {
    const gc_case *c;
    double loss;             /* at the given point */
    size_t n_points;         /* 1 + extra */
    long seed;
    gc_tol tol;
    gc_derivation_report *derivs;
    size_t n_derivs;
    gc_claim_report *claims;
    size_t n_claims;
    size_t unmet;            /* verdicts that differ from the expected */
} gc_case_report;

/* Run a case.  Caller frees *out with gc_case_report_free. */
int gc_run_case(const gc_case *c, const gc_run_options *opt,
                gc_case_report **out, gc_error *err);
void gc_case_report_free(gc_case_report *r);

/* ---------------------------------------------------------------- reports */

typedef enum { GC_FORMAT_TEXT, GC_FORMAT_JSON } gc_format;

typedef struct {
    int verbose;             /* every entry, not only the worst per block */
    int color;               /* ANSI colour */
} gc_report_options;

/* Write reports of n cases to f; returns GC_EIO on a write error. */
int gc_report_text(FILE *f, gc_case_report *const *r, size_t n,
                   const gc_report_options *o);
int gc_report_json(FILE *f, gc_case_report *const *r, size_t n,
                   const gc_report_options *o);

/* Write a file atomically (atomic.c): fn writes the contents to a
 * temporary file beside path, which replaces path only if fn returned 0
 * and everything reached the disk.  Returns fn's status or GC_EIO. */
typedef int (*gc_writer_fn)(FILE *f, const void *ctx);
int gc_write_atomic(const char *path, gc_writer_fn fn, const void *ctx);

/* Write the report to `path` atomically: a temporary file in the same
 * folder, renamed over `path` only when complete, so a failed run never
 * leaves a partial file.  path "-" writes to stdout. */
int gc_report_write(const char *path, gc_format fmt,
                    gc_case_report *const *r, size_t n,
                    const gc_report_options *o);

/* ---------------------------------------------------------------- directional */

/* Directional screening (directional.c, README "Directional mode"): the
 * analytic directional derivative g.v of a parameter block against the
 * numeric d/dt L(theta + t v), along several seeded random directions v; a
 * block that does not agree along every one is halved and each half
 * screened, down to blocks of `leaf` entries, which are checked entry by
 * entry (gc_engine_check_param).  Entries of blocks that agree are not
 * checked one by one. */

#define GC_DIR_MAX 8

typedef struct {
    int directions;          /* directions per block, 1..GC_DIR_MAX (3) */
    unsigned long seed;      /* of the directions (1) */
    size_t leaf;             /* check blocks this small entry by entry (4) */
} gc_dir_options;

gc_dir_options gc_dir_options_default(void);

/* One screened block: parameter entries [a, b). */
typedef struct {
    size_t a, b;
    int depth;               /* 0: a whole block; d: a 2^-d part of one */
    int n_dirs;
    double analytic[GC_DIR_MAX];   /* g.v */
    gc_deriv numeric[GC_DIR_MAX];  /* d/dt L(theta + t v) at 0 */
    double rel_error[GC_DIR_MAX];
    gc_verdict dverdict[GC_DIR_MAX];
    gc_verdict verdict;      /* GC_AGREE if every direction agrees, else
                                the first other verdict */
} gc_dir_screen;

/* Screening of one derivation at one point. */
typedef struct {
    double *theta;           /* the point */
    gc_dir_screen *screens;  /* in the order screened, level by level */
    size_t n_screens;
    size_t *named;           /* entries checked one by one, ascending */
    gc_entry_check *entries; /* their checks */
    size_t n_named;
    gc_verdict verdict;      /* of the named entries as in full mode (kinks
                                never count); agree when none is named */
    size_t counts[GC_N_VERDICTS];   /* of the named entries */
    size_t passes;           /* forward passes spent */
    double seconds;          /* wall-clock time */
} gc_dir_point;

/* Screen the parameter entries k with claimed[k] (NULL: all) at theta,
 * whose analytic gradient is grad, block by block (the blocks of the
 * problem's layout), on x's threads.  Fills *out; free its arrays with
 * gc_dir_point_clear. */
int gc_dir_screen_point(gc_exec *x, const double *theta, const double *grad,
                        const unsigned char *claimed, const gc_tol *tol,
                        const gc_dir_options *d, gc_dir_point *out);
void gc_dir_point_clear(gc_dir_point *pt);

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect, verdict;
    gc_dir_point *points;    /* n_points */
    size_t n_claimed;
    size_t passes;
} gc_dir_derivation;

typedef struct {
    const gc_case *c;
    size_t n_points;
    long seed;               /* of the random points */
    gc_tol tol;
    gc_dir_options dir;
    int threads;
    gc_dir_derivation *derivs;
    size_t n_derivs;
    size_t unmet;            /* derivations whose verdict is not expected */
    size_t passes;
} gc_dir_report;

/* Screen every derivation of a case at every point (claims are not checked
 * in this mode).  Caller frees *out with gc_dir_report_free. */
int gc_dir_run_case(const gc_case *c, const gc_run_options *opt,
                    const gc_dir_options *d, gc_dir_report **out,
                    gc_error *err);
void gc_dir_report_free(gc_dir_report *r);
/* Text or JSON (report_dir.c), atomically to path ("-": stdout). */
int gc_dir_report_write(const char *path, gc_format fmt,
                        gc_dir_report *const *r, size_t n,
                        const gc_report_options *o);

/* ---------------------------------------------------------------- golden */

/* Golden files: the reviewed baseline of every reported value (golden.c,
 * README "Golden files and the nightly job"). */
typedef enum {
    GC_GOLDEN_VERDICT, GC_GOLDEN_ENTRY, GC_GOLDEN_QUANTITY,
    GC_GOLDEN_JACOBIAN, GC_GOLDEN_CLAIM
} gc_golden_kind;

typedef struct {
    gc_golden_kind kind;
    char *deriv;             /* derivation name, "-" for claims */
    long point;              /* -1 for verdicts and claims */
    char *name;              /* entry name or claim name */
    double analytic;         /* claims: the stated number */
    double numeric;          /* claims: the computed number */
    int verdict;
    long line;               /* line in the file it was read from, or 0 */
} gc_golden_row;

typedef struct {
    gc_golden_row *rows;
    size_t n, cap;
} gc_golden;

typedef gc_golden_tol_t gc_golden_tol;

extern const gc_golden_tol gc_golden_tol_default;

#define GC_GOLDEN_MAX_BYTES ((size_t)64 << 20)

typedef struct {
    const gc_golden_row *golden, *got;   /* either NULL: row removed/added */
    const char *column;      /* "verdict", "analytic", "numeric", "row" ... */
    double golden_value, got_value, abs_diff, rel_diff, tol;
} gc_golden_diffrow;

typedef struct {
    size_t unchanged;        /* rows identical to the bit */
    size_t within;           /* numbers moved, within tolerance */
    size_t beyond;           /* a number beyond tolerance or a new verdict */
    size_t verdicts_changed;
    size_t added, removed;   /* rows only in the new report / the golden */
    gc_golden_diffrow *rows; /* what moved beyond tolerance, in order */
    size_t n_rows, cap;
} gc_golden_diff;

/* The golden rows of a report.  Caller frees with gc_golden_free. */
int gc_golden_from_report(const gc_case_report *r, gc_golden *g);
int gc_golden_write(FILE *f, const gc_golden *g, const char *case_name);
/* Atomic: temporary file, then rename. */
int gc_golden_write_file(const char *path, const gc_golden *g,
                         const char *case_name);
/* Read a golden file; GC_ENOTFOUND if it does not exist (never created
 * silently), GC_EINVAL with err's line for a malformed one. */
int gc_golden_read(const char *path, gc_golden *g, gc_error *err);
/* The same from an open stream; `name` stands for the file in messages. */
int gc_golden_read_stream(FILE *f, const char *name, gc_golden *g,
                          gc_error *err);
void gc_golden_free(gc_golden *g);
int gc_golden_compare(const gc_golden *golden, const gc_golden *got,
                      const gc_golden_tol *t, gc_golden_diff *d);
int gc_golden_diff_ok(const gc_golden_diff *d);
void gc_golden_diff_free(gc_golden_diff *d);

/* One case against its golden file (golden_check.c). */
typedef struct {
    const gc_case *c;
    gc_case_report *report;  /* the run, owned */
    gc_golden got;           /* its rows */
    gc_golden golden;        /* the golden file's rows (empty if missing) */
    char *path;              /* the golden file */
    int read_status;         /* 0, GC_ENOTFOUND (missing) or a read error */
    gc_error read_err;
    int missing;
    gc_golden_diff diff;
    gc_golden_tol tol;
} gc_golden_check;

/* The golden folder: GRADCHECK_GOLDEN if set, else the one built in. */
const char *gc_golden_dir(void);
/* Run the case and compare with dir/NAME.golden; tolerances: override,
 * else the case's golden: section, else the defaults.  Caller frees. */
int gc_golden_check_run(const gc_case *c, const char *dir,
                        const gc_golden_tol *override, gc_golden_check **out,
                        gc_error *err);
void gc_golden_check_free(gc_golden_check *g);
/* Golden present and readable, nothing beyond tolerance, no rows added or
 * removed. */
int gc_golden_check_ok(const gc_golden_check *g);
/* Write the received rows beside the golden file (NAME.golden.received). */
int gc_golden_write_received(const gc_golden_check *g);
/* Remove a stale received file (after a passing check or an update). */
void gc_golden_remove_received(const gc_golden_check *g);
/* Rewrite the golden file from the run if its text differs or it is
 * missing (atomically); *written says whether it did. */
int gc_golden_update(const gc_golden_check *g, int *written);

/* Writers of golden comparisons (report_golden.c). */
int gc_golden_report_text(FILE *f, gc_golden_check *const *g, size_t n,
                          const gc_report_options *o);
int gc_golden_report_tap(FILE *f, gc_golden_check *const *g, size_t n);
/* The table of rows in d (name, column, golden, got, differences). */
int gc_golden_report_changes(FILE *f, const gc_golden_diff *d);
/* JUnit XML (one testsuite per case, one testcase per derivation and
 * claim), written atomically to path. */
int gc_golden_report_junit(const char *path, gc_golden_check *const *g,
                           size_t n);

/* ---------------------------------------------------------------- catalogue */

/* The case folder: GRADCHECK_CASES if set, else the one built in. */
const char *gc_cases_dir(void);
/* Names (file names without .yaml) of the cases in dir, sorted.  Caller
 * frees each name and the array. */
int gc_catalogue_list(const char *dir, char ***names, size_t *n);
/* A command-line case argument to a file path: an existing file as given,
 * else dir/ARG.yaml.  Caller frees *path.  GC_ENOTFOUND if neither exists. */
int gc_catalogue_resolve(const char *dir, const char *arg, char **path);

/* Call once before using the library: switches GSL's abort-on-error handler
 * off (every GSL status is handled where it is returned). */
void gc_init(void);

/* ---------------------------------------------------------------- grading */

/* Grading student submissions (README, "Grading a homework"):
 *   formula.c        the formula language: lexer, parser, evaluator
 *   submission.c     reading submission files (formulas or C) and folders
 *   csubmission.c    C submissions: the header, the driver, compile and run
 *   sandbox.c        running a program in a child with resource limits
 *   grade.c          checking every answer at every point, scores
 *   report_grade.c   gradebook CSV, results.json, the instructor summary
 */

/* The case's grading: section (case.c). */
typedef struct {
    char *key;               /* "dL/dv": the answer, as gc_target keys it */
    double points;
    long line;
} gc_grading_formula;

typedef struct gc_grading {
    char **loss;             /* names of the loss, NULL-terminated; the
                                first is used in keys */
    size_t n_loss;
    long points;             /* random points to grade at; -1: not given */
    gc_grading_formula *formulas;   /* what a submission answers */
    size_t n_formulas;
} gc_grading;

void gc_grading_free(gc_grading *g);

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
#define GC_SUB_MAX_STATEMENTS 256
#define GC_SUB_MAX_FILES 10000        /* submissions in one grading run */

/* A value of the formula language: a scalar (rank 0) or an array whose
 * axes carry the index of their first entry (homework notation). */
typedef struct {
    int rank;
    size_t shape[GC_FX_MAX_RANK];
    int base[GC_FX_MAX_RANK];
    size_t size;
    double *v;               /* owned by whoever filled the value */
} gc_fx_value;

void gc_fx_value_free(gc_fx_value *v);

/* Evaluate one expression (no definitions, no free indices) with the
 * problem's names bound to theta, its inputs and the quantity values q (q
 * may be NULL when the expression names no quantity).  On success *out
 * holds a fresh value (free with gc_fx_value_free).  On failure returns
 * GC_EINVAL (syntax, names, shapes, indices), GC_ELIMIT (a limit, named in
 * the message) or GC_ENOMEM, with err's line and column inside expr. */
int gc_fx_eval(const gc_problem *p, const double *theta, const double *q,
               const char *expr, gc_fx_value *out, gc_error *err);

/* What an answer is the derivative of, and with respect to what. */
typedef enum {
    GC_TARGET_PARAM,      /* dL/d(parameter block) */
    GC_TARGET_QUANTITY,   /* dL/d(quantity block): checked through a tap */
    GC_TARGET_JACOBIAN    /* d(quantity block)/d(parameter or quantity) */
} gc_target_kind;

typedef struct {
    gc_target_kind kind;
    const gc_block *of;      /* JACOBIAN: the quantity differentiated */
    const gc_block *wrt;     /* the block differentiated with respect to */
    int wrt_param;           /* wrt is a parameter block (else a quantity) */
    size_t n;                /* entries of the derivative: size(wrt),
                                times size(of) (an answer with fixed
                                indices gives some of them) */
    char key[160];           /* "dL/dv", "dL/dx2[2]", "dy_tilde/ds2": the
                                names and any fixed indices ([:] free) */
} gc_target;

/* The names a formula may give the loss unless told others: L, E, e, C,
 * J, loss, l (NULL-terminated). */
extern const char *const gc_loss_names_default[];

/* Parse a target key such as "dL/dv" or "dy_tilde/ds2" against the
 * problem's blocks; loss is the canonical loss name used in keys and
 * losses (NULL-terminated, may be NULL for the defaults L, E, e, C, J,
 * loss) the names accepted for it.  Returns GC_ENOTFOUND with a message in
 * msg when the key names no block. */
int gc_target_parse(const gc_problem *p, const char *key, const char *loss,
                    const char *const *losses, gc_target *out, char *msg,
                    size_t n);

/* The formulas of one submission, compiled against a problem. */
typedef struct gc_fx_program gc_fx_program;

/* Compile the statements of a formula submission (definitions and
 * answers; README "The formula language").  Lines holding only a header
 * ("case: ...") must have been blanked by the caller.  loss names the loss
 * in answer keys; losses (NULL: gc_loss_names_default) are the names
 * accepted for it, read during the call only.  A statement that
 * cannot be read makes its answer invalid (gc_fx_answer_error), not the
 * program; only allocation failure and the file-level limits fail. */
int gc_fx_compile(const gc_problem *p, const char *file, const char *text,
                  size_t len, const char *loss, const char *const *losses,
                  gc_fx_program **out, gc_error *err);
void gc_fx_program_free(gc_fx_program *prog);

size_t gc_fx_n_answers(const gc_fx_program *prog);
const gc_target *gc_fx_answer_target(const gc_fx_program *prog, size_t i);
long gc_fx_answer_line(const gc_fx_program *prog, size_t i);
/* The reason the answer cannot be evaluated at all (a syntax error, an
 * unknown name, entries given twice or not at all), or NULL. */
const gc_error *gc_fx_answer_error(const gc_fx_program *prog, size_t i);
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

/* ---- sandbox.c: a program in a child process with resource limits */

typedef struct {
    double cpu_seconds;      /* RLIMIT_CPU, rounded up; 0: none */
    double wall_seconds;     /* killed (its process group) after; 0: none */
    size_t memory_bytes;     /* RLIMIT_AS; 0: none */
    size_t file_bytes;       /* RLIMIT_FSIZE; 0: none */
    size_t result_bytes;     /* most bytes kept from the result pipe */
    size_t log_bytes;        /* most bytes kept of stdout and stderr */
    int no_fork;             /* RLIMIT_NPROC = 0 */
} gc_sandbox_limits;

typedef struct {
    int exited, status;      /* exited normally, with this status */
    int signal;              /* the signal that ended it, or 0 */
    int timed_out;           /* killed at the wall-clock limit */
    int cpu_exceeded;        /* ended by the CPU-time limit */
    unsigned char *result;   /* what it wrote to fd 3 (owned) */
    size_t result_len;
    int result_truncated;
    char *log;               /* its stdout and stderr, NUL-terminated or NULL */
    size_t log_len;
    int log_truncated;
    double wall, cpu;        /* seconds */
} gc_sandbox_result;

/* Run argv (envp NULL: this environment and a PATH search; else argv[0]
 * is a path) in dir with the limits; want_result gives the child a result
 * pipe as fd 3.  Returns GC_EIO only when the child could not be started;
 * what the child did is in *out (free with gc_sandbox_result_free). */
int gc_sandbox_run(char *const argv[], char *const envp[], const char *dir,
                   const gc_sandbox_limits *lim, int want_result,
                   gc_sandbox_result *out);
void gc_sandbox_result_free(gc_sandbox_result *r);
/* "SIGSEGV" for SIGSEGV, ... */
const char *gc_signal_name(int sig);

/* ---- verdicts of a graded answer */

typedef enum {
    GC_GRADE_AGREE = 0,      /* right at every point (kinks not counted) */
    GC_GRADE_DISAGREE,       /* wrong somewhere */
    GC_GRADE_NONFINITE,      /* the numeric derivative is not finite */
    GC_GRADE_INCONCLUSIVE,   /* the numeric error bar is too wide: by hand */
    GC_GRADE_INVALID,        /* cannot be evaluated: syntax, names, shapes,
                                NaN; the message says where */
    GC_GRADE_MISSING,        /* not answered */
    GC_GRADE_COMPILE,        /* C: does not compile */
    GC_GRADE_CRASHED,        /* C: ended by a signal or without results */
    GC_GRADE_TIMEOUT,        /* C: CPU-time or wall-clock limit */
    GC_GRADE_OOM,            /* C: memory limit */
    GC_GRADE_N
} gc_grade_verdict;

/* "agree", "disagree", "nonfinite", "inconclusive", "invalid", "missing",
 * "compile error", "crashed", "timeout", "out of memory" */
const char *gc_grade_verdict_name(gc_grade_verdict v);

/* ---- csubmission.c: C submissions */

/* The header text: every model at its default dimensions (only == NULL),
 * or one problem's model at the problem's dimensions (some models' blocks
 * depend on them: the grader uses the case's own). */
int gc_csub_header(FILE *f, const gc_problem *only);

/* cc flags, NULL-terminated: before the files, and after them */
extern const char *const gc_csub_cflags[];
extern const char *const gc_csub_ldflags[];
extern const gc_sandbox_limits gc_csub_run_limits;      /* the defaults */
extern const gc_sandbox_limits gc_csub_compile_limits;

typedef struct {
    const char *cc;                    /* NULL: $GRADCHECK_CC, else cc */
    const gc_sandbox_limits *run;      /* NULL: gc_csub_run_limits */
    const gc_sandbox_limits *compile;  /* NULL: gc_csub_compile_limits */
    int keep_dir;                      /* keep the temporary folder */
} gc_csub_options;

typedef struct {
    gc_grade_verdict verdict;  /* AGREE: it ran and gave every result;
                                  COMPILE, CRASHED, TIMEOUT or OOM */
    char detail[32];           /* CRASHED: "SIGSEGV", "exit 3" */
    char *message;             /* compiler or program output, or NULL */
    size_t n_points;
    double **values;           /* per point: dL/dparams then dL/dquantities
                                  (NaN: quantity not given) */
    double compile_seconds, run_seconds;
} gc_csub_result;

/* Compile source with the model's driver, run it at the n points (theta[i],
 * q[i] the quantities' values there) and collect its results.  Returns
 * non-zero only for trouble of the grader's own (no temporary folder, no
 * memory, GC_ENOTFOUND: no compiler, said in out->message); what the
 * submission did is out->verdict. */
int gc_csub_run(const gc_problem *p, const char *source,
                double *const *theta, double *const *q, size_t n_points,
                const gc_csub_options *o, gc_csub_result *out);
void gc_csub_result_free(gc_csub_result *r);

/* ---- submission.c: submission files */

typedef enum { GC_SUB_FORMULAS, GC_SUB_C } gc_sub_kind;

/* An "expect:" entry: the verdict (or for key "total" the score) the
 * grader must give; a bare "crashed" matches any "crashed: SIG...". */
typedef struct {
    char *key, *verdict;
    long line;
} gc_grade_expect;

typedef struct {
    char *path;
    char *id;                /* id: header, else the file name's stem */
    gc_sub_kind kind;        /* *.c: C, else formulas */
    char *case_name;         /* case: header, or NULL */
    char *loss;              /* loss: header, or NULL */
    char *text;              /* the file; formula headers blanked */
    size_t len;
    gc_grade_expect *expect;
    size_t n_expect;
    int bad;                 /* cannot be graded: error says why */
    gc_error error;
} gc_submission;

/* Read a submission; fails only for lack of memory (a file that cannot be
 * read is returned with bad set).  Caller frees with gc_submission_free. */
int gc_submission_load(const char *path, gc_submission **out);
void gc_submission_free(gc_submission *s);
/* The submission files named by args (files as given; folders: their
 * *.txt and *.c files, sorted).  Caller frees each path and the array. */
int gc_submission_collect(char *const *args, size_t n, char ***paths,
                          size_t *n_paths, gc_error *err);

/* ---- grade.c: grading submissions against a case */

/* One answer of one submission, graded. */
typedef struct {
    gc_target target;        /* what it answers; target.key names it */
    gc_grade_verdict verdict;
    char detail[32];         /* CRASHED: the signal ("SIGSEGV") */
    char *message;           /* for the student: why, where, which entry */
    long line;               /* formulas: line of its first statement */
    double score, max_score;
    int graded;              /* one of the report's answers (scored) */
    size_t checks;           /* entry checks made: entries x points */
    size_t counts[GC_N_VERDICTS];
    long bad_point;          /* first point not all agree, or -1 */
    double max_rel_error;    /* over the checks, kinks excluded */
} gc_grade_item;

/* "agree", "crashed: SIGSEGV", ... */
void gc_grade_item_verdict(const gc_grade_item *it, char *buf, size_t n);

typedef struct {
    gc_submission *sub;      /* owned */
    gc_grade_item *items;    /* the report's answers in its order, then
                                answers not asked for (max_score 0) */
    size_t n_items;
    char *notes;             /* lines not graded, program output, or NULL */
    double score, max_score;
    size_t unmet;            /* expect: entries the grading did not meet */
    char *unmet_text;
    double seconds;
} gc_grade_result;

typedef struct {
    const gc_case *c;
    size_t n_points;         /* 1 (the case's own) + random points */
    long seed;
    gc_target *keys;         /* the answers asked for, in order: the case's
                                grading.formulas, else every answer any
                                submission gives (a C submission: every
                                parameter block) */
    double *points;          /* points per key */
    size_t n_keys;
    gc_grade_result *subs;
    size_t n_subs;
    double max_score;
    size_t unmet;            /* over all submissions */
    double seconds;
} gc_grade_report;

typedef struct {
    long points;             /* random points; -1: the case's grading.points,
                                else its points, at least 3 */
    long seed;               /* -1: the case's random seed */
    const char *cc;          /* NULL: $GRADCHECK_CC, else cc */
    gc_sandbox_limits run, compile;   /* C submissions */
    /* called before each submission (may be NULL) */
    void (*progress)(void *ctx, size_t i, size_t n, const char *path);
    void *progress_ctx;
} gc_grade_options;

gc_grade_options gc_grade_options_default(void);

/* Grade the submissions named by args (files, folders) against case c.
 * Fails only when no submission can be found or for the grader's own
 * trouble; a submission that cannot be read, compiled or run is graded.
 * Caller frees *out with gc_grade_report_free. */
int gc_grade(const gc_case *c, char *const *args, size_t n_args,
             const gc_grade_options *o, gc_grade_report **out,
             gc_error *err);
void gc_grade_report_free(gc_grade_report *r);

/* ---- report_grade.c: the gradebook */

/* One line per submission (id, score, verdict per answer; with verbose the
 * messages), then the instructor's summary: per answer, how many got it
 * right and the most common wrong verdict. */
int gc_grade_report_text(FILE *f, const gc_grade_report *r, int verbose);
/* The names a formula can use on case c (blocks with their index ranges,
 * dimensions, the loss) and the answers the case asks for. */
int gc_grade_names(FILE *f, const gc_case *c);
/* CSV: id, file, per answer its verdict and score, total, max; atomic. */
int gc_grade_write_csv(const char *path, const gc_grade_report *r);
/* DIR/<id>/results.json per submission, Gradescope's format (score,
 * output, tests[] with name, score, max_score, status, output,
 * visibility); each written atomically.  GC_EIO with the failing path in
 * err. */
int gc_grade_write_results(const char *dir, const gc_grade_report *r,
                           gc_error *err);


#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_H */
