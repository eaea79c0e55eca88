/* fx_impl.h: internal to src/fx (not installed).  The formula language of
 * grading submissions (docs: "The formula language"): the types and
 * functions its files share.
 *
 * A submission states derivatives in homework notation:
 *
 *   s = sum(k, 1, 4, w[k] h[k])                       a definition
 *   a[k] = sum(j, 1, 3, v[j] x[k+j-1])                an indexed definition
 *   dL/dw = 2(z - y) dsigmoid(s) h                    a whole block
 *   dL/dv[i] = 2(z - y) dsigmoid(s) sum(k, 1, 4, w[k] dsigmoid(a[k]) x[i+k-1])
 *   dy_tilde/ds2 = eye(K)                             a Jacobian block
 *
 * Values are scalars or arrays (rank <= 4) whose axes remember the index of
 * their first entry, so x[1] is x_1 when the homework numbers x from 1 and
 * x[0] when it numbers from 0 (the block's base in the model's layout).
 * Names are bound, in this order, to: sum/prod indices and free indices of
 * the answer, earlier definitions, the model's parameter, input and
 * quantity blocks, its dimensions (T, K, n, ...), and pi.
 *
 * Why written by hand: the packaged expression libraries (libmatheval,
 * muparser, muparserx) evaluate scalar (muparserx: array) expressions but
 * have no indexing by an expression, no bound summation index and no
 * notion of a block's first index; what they would add is the easy part.
 *
 * Safety: every statement, nesting level, value, sum and evaluation is
 * bounded by a limit in fx.h (GC_FX_*), checked before anything is
 * allocated for it, and every error carries the line and column in the
 * submission.  Recursion in the parser is depth-counted; + - chains and
 * * / chains are n-ary nodes evaluated in a loop, so a long formula never
 * makes deep recursion.  Values live in arenas with mark/release, so a sum
 * of many terms needs memory for one term and the accumulator.
 *
 * The files, in the order a formula goes through them: lex.c (tokens),
 * parse.c (syntax trees), compile.c (statements of a submission into a
 * program), eval.c (a tree at a point, one node kind at a time),
 * builtins.c (the builtin table and calls of builtins), values.c
 * (arithmetic on values), program.c (answers at a point), expr.c (one
 * expression), tape.c (a pass recorded as operations and replayed for
 * many copies); arena.c and errors.c serve them all.  A new builtin is an
 * entry in the enum below and in builtins.c; a new node kind an entry in
 * the node enum, parse.c and fx_eval's switch in eval.c.  Either must tell
 * the tape the value it makes (fx_tape_op and friends, below) or the
 * tape is spoiled by it (its value keeps tid 0) and networks using it
 * keep the interpreter.
 */
#ifndef GRADCHECK_FX_IMPL_H
#define GRADCHECK_FX_IMPL_H

#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "gradcheck/target.h"
#include "fx/fx.h"

#include <stddef.h>

#define GC_FX_MAX_EVAL_DEPTH 2500   /* nested evaluations (definitions,
                                       recurrences) */
#define FX_MAX_SETTLE 40            /* deep recurrences: entries computed
                                       first (gc_fx_def_eval) */
#define FX_PI 3.14159265358979323846

/* ------------------------------------------------------- arenas (arena.c) */

typedef struct chunk chunk;   /* arena.c */

typedef struct {
    chunk *top;
    size_t total;        /* bytes held in chunks */
    int over;            /* the last failure was the memory limit */
} arena;

typedef struct {
    chunk *top;
    size_t used;
} arena_mark;

/* n bytes (rounded to 16) from the arena; NULL with a->over set when the
 * memory limit GC_FX_MAX_MEMORY is reached, NULL without it when malloc
 * fails. */
void *fx_arena_alloc(arena *a, size_t n);
arena_mark fx_arena_save(const arena *a);
/* Release everything allocated since m. */
void fx_arena_restore(arena *a, arena_mark m);
void fx_arena_clear(arena *a);
/* Release everything but the first chunk, which is kept for reuse (an
 * arena emptied once per evaluation or per point). */
void fx_arena_reset(arena *a);

/* -------------------------- programs (compile.c builds, program.c runs) */

typedef gc_fx_value val;

/* Node kinds of the syntax trees: parse.c builds them, fx_eval (eval.c)
 * evaluates each kind. */
enum {
    N_NUM, N_SLOT, N_BLOCK, N_DEF, N_INDEX, N_NEG, N_ADD, N_MUL, N_POW,
    N_CMP, N_CALL, N_SUM
};

enum { OP_LE = 256, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR };
enum { FAM_PARAM, FAM_INPUT, FAM_QUANTITY };

typedef struct node node;
struct node {
    int k;
    int op;               /* N_CMP: operator; N_CALL: builtin; N_SUM: 0
                             sum, 1 prod, 2 array */
    long line, col;
    double num;           /* N_NUM */
    int slot;             /* N_SLOT; N_SUM: its index */
    int fam;              /* N_BLOCK */
    const gc_block *blk;
    int def;              /* N_DEF */
    int n;                /* kids */
    node **kid;
    int *ops;             /* N_ADD: +1/-1; N_MUL: '*', '/', '@' (kid >= 1) */
    long *oline, *ocol;   /* N_ADD, N_MUL: where each operator is */
    const char *name;     /* for messages */
};

/* One entry of an indexed definition at one point (memoised). */
typedef struct {
    long idx[GC_MAX_RANK];
    int state;            /* 0 empty, 1 being evaluated, 2 done, 3 failed
                             (kept, so that probing passes it) */
    val v;
} memo_entry;

typedef struct {
    char name[GC_NAME_MAX];
    int n_params;
    char index0[GC_NAME_MAX];  /* an indexed definition's first index (t) */
    int slot[GC_MAX_RANK];
    node *body;
    long line, col;
    int broken;
    char why[200];        /* broken: why it cannot be read */
    char shadows[96];     /* the model name it hides ("the model's
                             dimension d3 = 1"), or "" */
    unsigned gen;         /* point generation of the cached value */
    val cache;
    int busy;             /* being evaluated: met again, a cycle */
    int pending;          /* declared ahead (GC_FX_LATER_DEFS), its own
                             statement not compiled yet: usable */
    /* an indexed definition's entries computed at this point: an open
     * addressing table in the point arena */
    memo_entry *memo;
    size_t memo_cap, memo_n;
    unsigned memo_gen;
} definition;

typedef struct {
    long line;
    node *body;
    int n_of, n_wrt;                   /* indices given on each side */
    int n_fixed;                       /* of them, fixed (a number or a
                                          dimension): dL/dh[T] = ... beats
                                          dL/dh[t] = ... at t = T */
    char dim_ix[GC_NAME_MAX];          /* a dimension fixing an index, or
                                          "" (checked by check_dim_fixed) */
    long dim_line, dim_col;
    int slot[2 * GC_MAX_RANK];         /* free index slot, or -1: fixed */
    long fixed[2 * GC_MAX_RANK];       /* homework index when fixed */
} statement;

typedef struct {
    gc_target t;
    long line;
    statement **st;
    size_t n_st;
    long *given;          /* per entry: line of the statement giving it */
    char *note;           /* the definitions it uses that hide a model
                             name, or NULL (gc_fx_answer_note) */
    int bad;
    gc_error err;
} answer;

/* A base case of an indexed definition written on its own line, h[0] =
 * zeros(n) or g[T] = ... (compile.c): joined to the definition's general
 * line once every statement is read. */
typedef struct {
    char name[GC_NAME_MAX];
    long at;              /* the index it gives */
    char dim[GC_NAME_MAX];  /* the dimension it was written as, or "" */
    node *body;
    long line, col;
} fx_case;

struct gc_fx_program {
    const gc_problem *p;
    fx_case *cases;
    size_t n_cases;
    char file[512];
    arena nodes;          /* the syntax trees: lives with the program */
    arena point;          /* cached definition values: one point */
    arena scratch;        /* values of one evaluation */
    definition *defs;
    size_t n_defs;
    answer *ans;
    size_t n_ans;
    gc_error *notes;
    size_t n_notes;
    int n_slots;
    double *slots;
    const double *fam[3];
    unsigned gen;
    const char *loss;
    const char *const *losses;
    int hessians;          /* second derivatives (d2L/dA dB) allowed */
    long line0;            /* added to a line a message names: the
                              file's line before the text's first */
    int later_defs;        /* a definition may use later ones: 1 any
                              (GC_FX_LATER_DEFS), 2 those whose names the
                              model does not have (a submission: above
                              its definition, a model's name is the
                              model's) */
    size_t next_def;       /* later_defs: the next declared definition */
    struct fx_tape *tape;  /* recording a tape (tape.c), or NULL */
    gc_fx_store_fn store;  /* told each definition value computed */
    void *store_ctx;
    double pass_work;      /* operations since gc_fx_set_point */
    double pass_steps;     /* formula nodes evaluated since then */
    double max_steps;      /* gc_fx_set_max_steps (0: none) */
    char max_steps_what[96];
    int deep_def;          /* the entry a too deep evaluation reached */
    long deep_idx[GC_MAX_RANK];
    long top_idx[GC_MAX_RANK];  /* and the outermost entry of that
                                   definition on the way there */
    /* watching for values that are not finite (gc_fx_watch, watch.c) */
    int watch;             /* on */
    int watch_hit;         /* watch_msg holds the first operation that
                              made a value not finite from finite ones */
    char watch_msg[200];
    long watch_line, watch_col;
    char watch_def[96];    /* the first definition entry computed not
                              finite ("a2[3]"), or "" */
};

/* -------------------------------------------- watching (watch.c) */

/* While P->watch is on and nothing is noted yet: the first operation
 * whose result is not finite at an entry where its operands are (a
 * unary builtin, an entry-by-entry operator, any node as a last resort)
 * is noted with its place; a definition value computed finite forgets a
 * note (its NaN was discarded, as if(...) entry by entry does), one not
 * finite keeps it and names the definition entry. */
void fx_watch_unary(gc_fx_program *P, const node *at, int id,
                    const val *a, const val *out);
void fx_watch_binary(gc_fx_program *P, long line, long col, int op,
                     const val *a, const val *b, const val *out);
void fx_watch_node(gc_fx_program *P, const node *at, const val *out);
void fx_watch_def(gc_fx_program *P, size_t di, const long *idx,
                  const val *v);

/* ------------------------------------------------------ errors (errors.c) */

/* Fill err (message, line, column) and return status. */
int fx_fail(gc_error *err, long line, long col, int status,
            const char *fmt, ...);
/* "a scalar", "a vector of 4 entries", "a 3 x 4 matrix", "a 2 x 3 x 3
 * array", into buf; returns buf. */
const char *fx_describe(const val *v, char *buf, size_t n);

/* ---------------------------------------------------------- lexer (lex.c) */

enum { T_END, T_NUM, T_NAME, T_OP, T_LP, T_RP, T_LB, T_RB, T_COMMA,
       T_ASSIGN };

typedef struct {
    int k;
    int op;
    double num;
    int integer;          /* T_NUM written without '.' or exponent */
    int spaced;           /* white space (or a comment) before it */
    char name[GC_NAME_MAX];
    char spelled[GC_NAME_MAX];  /* a name written with a Greek letter: as
                                   written ("σ"; name is "sigma"), else "" */
    long line, col;
} token;

typedef struct {
    const char *s, *end;
    long line, col;
    token t;              /* current token */
    int prev;             /* kind of the token before it */
    gc_error *err;
} lexer;

/* Read the next token into L->t; returns non-zero with L->err set. */
int fx_lex(lexer *L);

/* -------------------------------------------------- builtins (builtins.c) */

/* Builtin ids: the unary functions first (applied entry by entry), then
 * the others. */
enum {
    B_EXP, B_LOG, B_SQRT, B_ABS, B_TANH, B_SIGMOID, B_RELU, B_STEP, B_SIGN,
    B_DTANH, B_DSIGMOID, B_DRELU, B_SIN, B_COS, B_ERF, B_PHI_CDF, B_PHI_PDF,
    B_SOFTPLUS, B_GELU, B_FLOOR, B_CEIL, B_COSH, B_SINH, B_SECH, B_SILU,
    B_COPY,               /* flatten's copy on a tape (no name) */
    B_N_UNARY,
    B_MIN = B_N_UNARY, B_MAX, B_LRELU, B_DLRELU, B_DELTA, B_HADAMARD,
    B_SOFTMAX, B_SUM, B_PROD, B_TRANSPOSE, B_MATMUL, B_OUTER, B_DOT, B_DIAG,
    B_EYE, B_ONES, B_ZEROS, B_NORM, B_IF, B_ARRAY, B_MEAN, B_VAR,
    B_LOGSUMEXP, B_LOGSOFTMAX, B_FLATTEN, B_ELU, B_CLIP, B_KRON
};

typedef struct {
    const char *name;
    int id, min_args, max_args;
} fx_builtin;

/* The builtins by name (aliases share an id); fx_builtin_find returns an
 * index into it, or -1. */
extern const fx_builtin fx_builtins[];
int fx_builtin_find(const char *name);
/* The first name of builtin id ("sigmoid" for B_SIGMOID), or "a
 * function". */
const char *fx_builtin_name(int id);
/* The builtins listed for "unknown function" messages. */
extern const char fx_builtin_names[];

/* ------------------------------------------------------- parser (parse.c) */

typedef struct {
    lexer lx;
    gc_fx_program *P;
    gc_error *err;
    int depth;
    /* names in scope: sum/prod indices, free indices, definition params */
    const char *scope_name[4 * GC_FX_MAX_DEPTH + 2 * GC_MAX_RANK];
    int scope_slot[4 * GC_FX_MAX_DEPTH + 2 * GC_MAX_RANK];
    int n_scope;
    int n_defs_visible;   /* definitions before this statement */
    int self;             /* an indexed definition being compiled, which
                             may use itself at other indices, or -1 */
    const char *defining; /* the definition being compiled, or NULL */
    int defining_index;   /* its index, -1 if none */
} parser;

/* A parser over text[0..len), which starts at (line, col) of the file;
 * errors go to err.  No token is read yet. */
void fx_parser_init(parser *ps, gc_fx_program *P, gc_error *err,
                    const char *text, size_t len, long line, long col);
/* The expression that is the rest of the formula, into *out. */
int fx_parse_formula(parser *ps, node **out);
/* A node of kind k (parse.c's allocator: the program's node arena), and
 * kid appended to n's kids; for trees built outside the parser
 * (compile.c's base cases). */
node *fx_node_new(parser *ps, int k, long line, long col);
int fx_node_add(parser *ps, node *n, node *kid);
/* The current token must be of kind (else an error naming what was
 * expected); reads the next. */
int fx_expect(parser *ps, int kind, const char *what);
/* A comparison, a sum, a product or a term, into *out. */
int fx_parse_expr(parser *ps, node **out);
/* Names: the block named name (*fam its family), the definition before
 * `visible`, the dimension (-1 if none). */
const gc_block *fx_find_block(const gc_problem *p, const char *name,
                              int *fam);
int fx_find_def(const gc_fx_program *P, const char *name, int visible);
int fx_find_dim(const gc_problem *p, const char *name);
const char *fx_fam_noun(int fam);
/* A new index name must not hide a block, dimension, definition, index
 * in scope or pi; fx_push_index brings it into scope with a fresh slot. */
int fx_check_new_index(parser *ps, const char *name, long line, long col);
int fx_push_index(parser *ps, const char *name, int *slot);

/* ------------------------------------------ evaluation (eval.c, values.c) */

typedef struct {
    gc_fx_program *P;
    gc_error *err;
    double work;
    double steps;         /* nodes evaluated (P->max_steps) */
    int depth;
    int depth_hit;        /* 1: the depth limit was just reached; 2: an
                             indexed definition has named the entry */
} ev;

/* Evaluate node n into *out (in the scratch arena, or read-only block
 * and cached definition values). */
int fx_eval(ev *E, const node *n, val *out);
/* Definition di at indices idx (its n_params of them), once per point
 * (eval.c); at: where it is used, for messages. */
int fx_eval_def_at(ev *E, const node *at, size_t di, const long *idx,
                   val *out);
/* Definition di at idx takes the value v (copied) at this point. */
int fx_def_preset(ev *E, size_t di, const long *idx, const val *v);
/* Evaluate a call of a builtin (builtins.c). */
int fx_call(ev *E, const node *n, val *out);
/* The transpose of the matrix a (builtins.c; A^T in eval.c too). */
int fx_transpose(ev *E, const node *n, const val *a, val *out);

/* values.c: GC_ELIMIT or GC_ENOMEM for a failed allocation at `at`. */
int fx_no_memory(ev *E, const node *at);
/* Count ops operations against GC_FX_MAX_WORK. */
int fx_charge(ev *E, const node *at, double ops);
/* A fresh value of the given shape in the scratch arena (limits first);
 * base NULL numbers every axis from 1. */
int fx_new_val(ev *E, const node *at, int rank, const size_t *shape,
               const int *base, val *out);
int fx_scalar_val(ev *E, const node *at, double x, val *out);
int fx_same_shape(const val *a, const val *b);
/* A whole number that can index: rank 0, finite, integral. */
int fx_as_index(ev *E, const node *at, const val *v, long *out);
/* a op b entry by entry, a scalar on either side applying to every entry
 * (op: + - * / ^, comparisons, 'm'/'M' min/max, 'l'/'L' lrelu/dlrelu);
 * in_place reuses a when it is a temporary of the result's shape.  ol, oc:
 * where the operator is (0: at). */
int fx_binary(ev *E, const node *at, long ol, long oc, int op,
              const val *a, const val *b, val *out, int in_place);
/* The matrix product; a vector is a row on the left, a column on the
 * right. */
int fx_matmul(ev *E, const node *at, long ol, long oc, const val *a,
              const val *b, val *out);

/* The arithmetic of values, shared by the evaluator and a tape's replay
 * (tape.c) so that both compute the same bits: z = x op y entry by entry,
 * a side flagged scalar applying its one entry to every entry (values.c);
 * the matrix product of an n x k and a k x m matrix (values.c); the
 * builtins' kernels (builtins.c). */
void fx_binary_kernel(int op, const double *x, int x_scalar,
                      const double *y, int y_scalar, double *z, size_t n);
void fx_matmul_kernel(const double *a, const double *b, size_t n, size_t k,
                      size_t m, double *out);
void fx_unary_kernel(int id, const double *a, double *out, size_t n);
double fx_reduce_kernel(int id, const double *a, const double *b, size_t n);
/* softmax (id B_SOFTMAX) or log-softmax (B_LOGSOFTMAX) of each run of
 * len entries of a[0..n) (a matrix's rows) */
void fx_softmax_kernel(int id, const double *a, double *out, size_t n,
                       size_t len);

/* -------------------------------------------------------- tapes (tape.c) */

/* A tape: the primitive operations one pass of a forward program made,
 * with their shapes, recorded while P->tape is set; replayed for many
 * perturbed copies of theta at once (gc_fx_tape_replay, fx.h).  The
 * evaluator tells it each value it makes through these hooks (a value's
 * tid says which tape value it is); a value made by an operation without a
 * hook has tid 0, and using it spoils the tape (it is then not used). */
typedef struct fx_tape fx_tape;
/* x (made from numbers and inputs only) is a constant of the tape. */
void fx_tape_const(fx_tape *T, val *x);
/* x is the input block at inputs[off ..]: one constant per block. */
void fx_tape_input(fx_tape *T, val *x, size_t off);
/* x is parameter block entries theta[off ..]. */
void fx_tape_param(fx_tape *T, val *x, size_t off);
/* out = op(a, b) (b NULL for one operand): kind is a TOP_* of tape.c,
 * sub its operator or builtin id, d0..d2 its sizes. */
enum { TOP_BIN, TOP_NEG, TOP_UN, TOP_RED, TOP_SOFTMAX, TOP_TRANS,
       TOP_OUTER, TOP_DIAGV, TOP_DIAGM, TOP_MATMUL, TOP_GUARD, TOP_PUT };
void fx_tape_op(fx_tape *T, int kind, int sub, const val *a, const val *b,
                val *out, size_t d0, size_t d1, size_t d2);
/* out = array(...) of len terms, term i being tape value tid[i] from
 * off[i]. */
void fx_tape_stack(fx_tape *T, const int *tid, const size_t *off,
                   size_t len, val *out);
/* if(c, ...) took the branch `taken`: copies where c decides otherwise
 * are evaluated by the interpreter instead. */
void fx_tape_guard(fx_tape *T, const val *c, int taken);
/* A value used as an index or bound must be a constant. */
void fx_tape_need_const(fx_tape *T, const val *x, const char *why);
/* Something the tape cannot replay was met. */
void fx_tape_spoil(fx_tape *T, const char *why);

/* ---------------------------------------------------- answers (program.c) */

/* Every combination of the indices a statement gives on its left-hand
 * side (a fixed index has one value): fx_odo_init, then the combination in
 * cur until fx_odo_next returns 0. */
typedef struct {
    size_t n_ax;
    size_t len[2 * GC_MAX_RANK];      /* values along each indexed axis */
    long first[2 * GC_MAX_RANK];      /* homework index of the first */
    size_t cur[2 * GC_MAX_RANK];
} odometer;

void fx_odo_init(odometer *o, const gc_target *t, const statement *s);
/* The next combination; 0 after the last. */
int fx_odo_next(odometer *o);
/* The entries one combination covers: the remaining (trailing) axes of
 * `of` times those of `wrt`, row-major.  *of_lin and *w_lin are the flat
 * indices, within `of` and `wrt`, of the first covered entry; entry (r, k)
 * of the combination is target entry (of_lin + r) * size(wrt) + w_lin + k. */
void fx_combo_entries(const gc_target *t, const statement *s,
                      const odometer *o, size_t *of_lin, size_t *of_rest,
                      size_t *w_lin, size_t *w_rest);
/* The name of entry `flat` of a target, for messages ("dL/dv[2]"). */
void fx_target_entry_name(const gc_fx_program *P, const gc_target *t,
                          size_t flat, char *buf, size_t n);

#endif /* GRADCHECK_FX_IMPL_H */
