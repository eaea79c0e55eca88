/* formula.c: the formula language of grading submissions (README, "The
 * formula language").
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
 * bounded by a limit in gradcheck.h (GC_FX_*), checked before anything is
 * allocated for it, and every error carries the line and column in the
 * submission.  Recursion in the parser is depth-counted; + - chains and
 * * / chains are n-ary nodes evaluated in a loop, so a long formula never
 * makes deep recursion.  Values live in arenas with mark/release, so a sum
 * of many terms needs memory for one term and the accumulator.
 */
#include "gradcheck.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GC_FX_MAX_EVAL_DEPTH 1000   /* nested evaluations (definitions) */
#define FX_PI 3.14159265358979323846

/* ------------------------------------------------------------ arenas */

typedef struct chunk {
    struct chunk *prev;
    size_t cap, used;
} chunk;

#define CHUNK_HDR ((sizeof(chunk) + 15) & ~(size_t)15)
#define CHUNK_MIN ((size_t)64 << 10)

typedef struct {
    chunk *top;
    size_t total;        /* bytes held in chunks */
    int over;            /* the last failure was the memory limit */
} arena;

typedef struct {
    chunk *top;
    size_t used;
} arena_mark;

static void *arena_alloc(arena *a, size_t n)
{
    if (n > GC_FX_MAX_MEMORY) { a->over = 1; return NULL; }
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (!a->top || a->top->cap - a->top->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (a->total + cap > GC_FX_MAX_MEMORY) { a->over = 1; return NULL; }
        chunk *c = malloc(CHUNK_HDR + cap);
        if (!c) { a->over = 0; return NULL; }
        c->prev = a->top;
        c->cap = cap;
        c->used = 0;
        a->top = c;
        a->total += cap;
    }
    void *p = (unsigned char *)a->top + CHUNK_HDR + a->top->used;
    a->top->used += n;
    return p;
}

static arena_mark arena_save(const arena *a)
{
    arena_mark m = {a->top, a->top ? a->top->used : 0};
    return m;
}

static void arena_restore(arena *a, arena_mark m)
{
    while (a->top && a->top != m.top) {
        chunk *c = a->top;
        a->top = c->prev;
        a->total -= c->cap;
        free(c);
    }
    if (a->top) a->top->used = m.used;
}

static void arena_clear(arena *a)
{
    arena_mark zero = {NULL, 0};
    arena_restore(a, zero);
}

/* ------------------------------------------------------------ program */

typedef gc_fx_value val;

enum {   /* node kinds */
    N_NUM, N_SLOT, N_BLOCK, N_DEF, N_INDEX, N_NEG, N_ADD, N_MUL, N_POW,
    N_CMP, N_CALL, N_SUM
};

enum { OP_LE = 256, OP_GE, OP_EQ, OP_NE };
enum { FAM_PARAM, FAM_INPUT, FAM_QUANTITY };

typedef struct node node;
struct node {
    int k;
    int op;               /* N_CMP: operator; N_CALL: builtin; N_SUM: 0/1 */
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

typedef struct {
    char name[GC_NAME_MAX];
    int n_params;
    int slot[GC_MAX_RANK];
    node *body;
    long line;
    int broken;
    unsigned gen;         /* point generation of the cached value */
    val cache;
} definition;

typedef struct {
    long line;
    node *body;
    int n_of, n_wrt;                   /* indices given on each side */
    int slot[2 * GC_MAX_RANK];         /* free index slot, or -1: fixed */
    long fixed[2 * GC_MAX_RANK];       /* homework index when fixed */
} statement;

typedef struct {
    gc_target t;
    long line;
    statement **st;
    size_t n_st;
    long *given;          /* per entry: line of the statement giving it */
    int bad;
    gc_error err;
} answer;

struct gc_fx_program {
    const gc_problem *p;
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
};

const char *const gc_loss_names_default[] = {"L", "E", "e", "C", "J",
                                             "loss", "l", NULL};
#define default_losses gc_loss_names_default

/* ------------------------------------------------------------ errors */

static int fail(gc_error *err, long line, long col, int status,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->column = col;
    return status;
}

/* "a scalar", "a vector of 4 entries", "a 3 x 4 matrix", "a 2 x 3 x 3 array" */
static const char *describe(const val *v, char *buf, size_t n)
{
    if (v->rank == 0) snprintf(buf, n, "a scalar");
    else if (v->rank == 1) snprintf(buf, n, "a vector of %zu entr%s",
                                    v->shape[0], v->shape[0] == 1 ? "y" : "ies");
    else {
        size_t l = (size_t)snprintf(buf, n, "a ");
        for (int i = 0; i < v->rank && l < n; i++)
            l += (size_t)snprintf(buf + l, n - l, "%s%zu", i ? " x " : "",
                                  v->shape[i]);
        if (l < n) snprintf(buf + l, n - l, v->rank == 2 ? " matrix" : " array");
    }
    return buf;
}

/* ------------------------------------------------------------ lexer */

enum { T_END, T_NUM, T_NAME, T_OP, T_LP, T_RP, T_LB, T_RB, T_COMMA,
       T_ASSIGN };

typedef struct {
    int k;
    int op;
    double num;
    int integer;          /* T_NUM written without '.' or exponent */
    int spaced;           /* white space (or a comment) before it */
    char name[GC_NAME_MAX];
    long line, col;
} token;

typedef struct {
    const char *s, *end;
    long line, col;
    token t;              /* current token */
    int prev;             /* kind of the token before it */
    gc_error *err;
} lexer;

/* Non-ASCII characters the language understands: operators as typeset in
 * the seeds, and Greek letters as their names. */
static const struct {
    unsigned cp;
    int kind;             /* T_OP (op) or T_NAME (name) */
    int op;
    const char *name;
} unicode[] = {
    {0x2212, T_OP, '-', NULL},          /* minus sign */
    {0x00B7, T_OP, '*', NULL},          /* middle dot */
    {0x22C5, T_OP, '*', NULL},          /* dot operator */
    {0x00D7, T_OP, '*', NULL},          /* times */
    {0x2299, T_OP, '*', NULL},          /* circled dot: Hadamard product */
    {0x2264, T_OP, OP_LE, NULL},
    {0x2265, T_OP, OP_GE, NULL},
    {0x2260, T_OP, OP_NE, NULL},
    {0x03C3, T_NAME, 0, "sigma"},
    {0x2211, T_NAME, 0, "sum"},         /* n-ary summation */
    {0x03A3, T_NAME, 0, "sum"},         /* capital sigma */
    {0x220F, T_NAME, 0, "prod"},
    {0x03A0, T_NAME, 0, "prod"},
    {0x03B1, T_NAME, 0, "alpha"},
    {0x03B2, T_NAME, 0, "beta"},
    {0x03B3, T_NAME, 0, "gamma"},
    {0x03B4, T_NAME, 0, "delta"},
    {0x0394, T_NAME, 0, "Delta"},
    {0x03B8, T_NAME, 0, "theta"},
    {0x03BB, T_NAME, 0, "lambda"},
    {0x03C0, T_NAME, 0, "pi"},
    {0x2202, T_NAME, 0, "d"},           /* partial: d, glued to the name */
};

/* Decode one UTF-8 character at s; returns its length, 0 if malformed. */
static int utf8(const unsigned char *s, const unsigned char *end,
                unsigned *cp)
{
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || end - s < n) return 0;
    unsigned c = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

static void advance(lexer *L, size_t n)
{
    for (size_t i = 0; i < n && L->s < L->end; i++) {
        unsigned char ch = (unsigned char)*L->s++;
        if (ch == '\n') { L->line++; L->col = 1; }
        else if ((ch & 0xC0) != 0x80) L->col++;   /* count characters */
    }
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* Read the next token into L->t; returns non-zero with L->err set. */
static int lex(lexer *L)
{
    token *t = &L->t;
    L->prev = t->k;
    const char *start = L->s;
    for (;;) {
        while (L->s < L->end && (*L->s == ' ' || *L->s == '\t' ||
                                 *L->s == '\n' || *L->s == '\r'))
            advance(L, 1);
        if (L->s < L->end && *L->s == '#') {
            while (L->s < L->end && *L->s != '\n') advance(L, 1);
            continue;
        }
        break;
    }
    memset(t, 0, sizeof *t);
    t->line = L->line;
    t->col = L->col;
    t->spaced = L->s != start;
    if (L->s >= L->end) { t->k = T_END; return GC_OK; }
    unsigned char c = (unsigned char)*L->s;
    const char *s = L->s;

    if (isdigit(c) || (c == '.' && L->end - s > 1 && isdigit((unsigned char)s[1]))) {
        const char *p = s;
        int integer = 1;
        while (p < L->end && isdigit((unsigned char)*p)) p++;
        if (p < L->end && *p == '.') {
            integer = 0;
            p++;
            while (p < L->end && isdigit((unsigned char)*p)) p++;
        }
        /* an exponent only when digits follow: 2e is 2 times e */
        if (p < L->end && (*p == 'e' || *p == 'E')) {
            const char *q = p + 1;
            if (q < L->end && (*q == '+' || *q == '-')) q++;
            if (q < L->end && isdigit((unsigned char)*q)) {
                integer = 0;
                while (q < L->end && isdigit((unsigned char)*q)) q++;
                p = q;
            }
        }
        char buf[64];
        size_t n = (size_t)(p - s);
        if (n >= sizeof buf)
            return fail(L->err, t->line, t->col, GC_EINVAL,
                        "a number of more than %zu characters",
                        sizeof buf - 1);
        memcpy(buf, s, n);
        buf[n] = 0;
        t->num = strtod(buf, NULL);
        if (!isfinite(t->num))
            return fail(L->err, t->line, t->col, GC_EINVAL,
                        "the number %s is too large", buf);
        t->k = T_NUM;
        t->integer = integer;
        advance(L, n);
        return GC_OK;
    }
    if (isalpha(c) || c == '_') {
        const char *p = s;
        while (p < L->end && is_name_char((unsigned char)*p)) p++;
        size_t n = (size_t)(p - s);
        if (n >= GC_NAME_MAX)
            return fail(L->err, t->line, t->col, GC_EINVAL,
                        "a name of more than %d characters", GC_NAME_MAX - 1);
        memcpy(t->name, s, n);
        t->k = T_NAME;
        advance(L, n);
        return GC_OK;
    }
    if (c >= 0x80) {
        unsigned cp = 0;
        int n = utf8((const unsigned char *)s, (const unsigned char *)L->end,
                     &cp);
        if (!n)
            return fail(L->err, t->line, t->col, GC_EINVAL,
                        "a byte 0x%02X that is not UTF-8 text", c);
        for (size_t i = 0; i < sizeof unicode / sizeof *unicode; i++) {
            if (unicode[i].cp != cp) continue;
            advance(L, (size_t)n);
            t->k = unicode[i].kind;
            t->op = unicode[i].op;
            if (t->k == T_NAME) {
                snprintf(t->name, sizeof t->name, "%s", unicode[i].name);
                /* the partial sign and Greek letters glue to a following
                 * name: "∂L" is dL, "δ3" is delta3 */
                const char *p = L->s;
                while (p < L->end && is_name_char((unsigned char)*p)) p++;
                size_t have = strlen(t->name), more = (size_t)(p - L->s);
                if (have + more >= GC_NAME_MAX)
                    return fail(L->err, t->line, t->col, GC_EINVAL,
                                "a name of more than %d characters",
                                GC_NAME_MAX - 1);
                memcpy(t->name + have, L->s, more);
                t->name[have + more] = 0;
                advance(L, more);
            }
            return GC_OK;
        }
        return fail(L->err, t->line, t->col, GC_EINVAL,
                    "unexpected character U+%04X", cp);
    }
    advance(L, 1);
    switch (c) {
    case '(': t->k = T_LP; return GC_OK;
    case ')': t->k = T_RP; return GC_OK;
    case '[': t->k = T_LB; return GC_OK;
    case ']': t->k = T_RB; return GC_OK;
    case ',': t->k = T_COMMA; return GC_OK;
    case '+': case '-': case '*': case '/': case '^': case '@':
        t->k = T_OP;
        t->op = c;
        return GC_OK;
    case '<': case '>': case '=': case '!': {
        int eq = L->s < L->end && *L->s == '=';
        if (eq) advance(L, 1);
        t->k = T_OP;
        if (c == '<') t->op = eq ? OP_LE : '<';
        else if (c == '>') t->op = eq ? OP_GE : '>';
        else if (c == '=') { if (eq) t->op = OP_EQ; else t->k = T_ASSIGN; }
        else if (eq) t->op = OP_NE;
        else return fail(L->err, t->line, t->col, GC_EINVAL,
                         "unexpected '!' (write != for not equal)");
        return GC_OK;
    }
    case 0:
        return fail(L->err, t->line, t->col, GC_EINVAL,
                    "unexpected NUL byte");
    default:
        if (isprint(c))
            return fail(L->err, t->line, t->col, GC_EINVAL,
                        "unexpected character '%c'", c);
        return fail(L->err, t->line, t->col, GC_EINVAL,
                    "unexpected control character 0x%02X", c);
    }
}

/* ------------------------------------------------------------ builtins */

enum {
    B_EXP, B_LOG, B_SQRT, B_ABS, B_TANH, B_SIGMOID, B_RELU, B_STEP, B_SIGN,
    B_DTANH, B_DSIGMOID, B_DRELU, B_SIN, B_COS, B_ERF, B_PHI_CDF, B_PHI_PDF,
    B_N_UNARY,
    B_MIN = B_N_UNARY, B_MAX, B_LRELU, B_DLRELU, B_DELTA, B_HADAMARD,
    B_SOFTMAX, B_SUM, B_PROD, B_TRANSPOSE, B_MATMUL, B_OUTER, B_DOT, B_DIAG,
    B_EYE, B_ONES, B_ZEROS, B_NORM, B_IF
};

static const struct {
    const char *name;
    int id, min_args, max_args;
} builtins[] = {
    {"exp", B_EXP, 1, 1}, {"log", B_LOG, 1, 1}, {"ln", B_LOG, 1, 1},
    {"sqrt", B_SQRT, 1, 1}, {"abs", B_ABS, 1, 1}, {"tanh", B_TANH, 1, 1},
    {"sigmoid", B_SIGMOID, 1, 1}, {"sigma", B_SIGMOID, 1, 1},
    {"relu", B_RELU, 1, 1}, {"ReLU", B_RELU, 1, 1},
    {"step", B_STEP, 1, 1}, {"sign", B_SIGN, 1, 1},
    {"dtanh", B_DTANH, 1, 1}, {"dsigmoid", B_DSIGMOID, 1, 1},
    {"dsigma", B_DSIGMOID, 1, 1}, {"drelu", B_DRELU, 1, 1},
    {"sin", B_SIN, 1, 1}, {"cos", B_COS, 1, 1}, {"erf", B_ERF, 1, 1},
    {"Phi", B_PHI_CDF, 1, 1}, {"phi", B_PHI_PDF, 1, 1},
    {"min", B_MIN, 1, 2}, {"max", B_MAX, 1, 2},
    {"lrelu", B_LRELU, 2, 2}, {"dlrelu", B_DLRELU, 2, 2},
    {"kdelta", B_DELTA, 2, 2}, {"hadamard", B_HADAMARD, 2, 2},
    {"softmax", B_SOFTMAX, 1, 1}, {"sum", B_SUM, 1, 4}, {"prod", B_PROD, 1, 4},
    {"transpose", B_TRANSPOSE, 1, 1}, {"matmul", B_MATMUL, 2, 2},
    {"outer", B_OUTER, 2, 2}, {"dot", B_DOT, 2, 2}, {"diag", B_DIAG, 1, 1},
    {"eye", B_EYE, 1, 1}, {"ones", B_ONES, 1, 2}, {"zeros", B_ZEROS, 1, 2},
    {"norm", B_NORM, 1, 1}, {"if", B_IF, 3, 3},
};

static int builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
        if (strcmp(builtins[i].name, name) == 0) return (int)i;
    return -1;
}

static double sigmoid(double u)
{
    if (u >= 0) return 1.0 / (1.0 + exp(-u));
    double e = exp(u);
    return e / (1.0 + e);
}

static double f_relu(double u) { return u > 0 ? u : 0.0; }
/* Heaviside step with step(0) = 0: relu'(0) is taken from the left. */
static double f_step(double u) { return u > 0 ? 1.0 : 0.0; }
static double f_sign(double u) { return u > 0 ? 1.0 : u < 0 ? -1.0 : 0.0; }
static double f_dtanh(double u) { double t = tanh(u); return 1.0 - t * t; }
/* sigma'(u) = sigma(u) sigma(-u): no cancellation in 1 - sigma(u) */
static double f_dsigmoid(double u) { return sigmoid(u) * sigmoid(-u); }
static double f_Phi(double u) { return 0.5 * erfc(-u / sqrt(2.0)); }
static double f_phi(double u) { return exp(-0.5 * u * u) / sqrt(2.0 * FX_PI); }

static double (*const unary_fn[B_N_UNARY])(double) = {
    [B_EXP] = exp, [B_LOG] = log, [B_SQRT] = sqrt, [B_ABS] = fabs,
    [B_TANH] = tanh, [B_SIGMOID] = sigmoid, [B_RELU] = f_relu,
    [B_STEP] = f_step, [B_SIGN] = f_sign, [B_DTANH] = f_dtanh,
    [B_DSIGMOID] = f_dsigmoid, [B_DRELU] = f_step, [B_SIN] = sin,
    [B_COS] = cos, [B_ERF] = erf, [B_PHI_CDF] = f_Phi, [B_PHI_PDF] = f_phi,
};

/* ------------------------------------------------------------ parser */

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
} parser;

static node *new_node(parser *ps, int k, long line, long col)
{
    node *n = arena_alloc(&ps->P->nodes, sizeof *n);
    if (!n) {
        fail(ps->err, line, col, ps->P->nodes.over ? GC_ELIMIT : GC_ENOMEM,
             ps->P->nodes.over ? "the formulas need more than %zu bytes "
             "(GC_FX_MAX_MEMORY)" : "out of memory",
             (size_t)GC_FX_MAX_MEMORY);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->k = k;
    n->line = line;
    n->col = col;
    n->slot = -1;
    return n;
}

static const char *save_name(parser *ps, const char *s)
{
    size_t l = strlen(s) + 1;
    char *d = arena_alloc(&ps->P->nodes, l);
    if (d) memcpy(d, s, l);
    return d ? d : "?";
}

/* Append kid (and, for chains, its operator) to n; arrays grow by
 * doubling inside the node arena. */
static int add_kid(parser *ps, node *n, node *kid, int op, long ol, long oc)
{
    if ((n->n & (n->n - 1)) == 0) {   /* 0, 1, 2, 4, ...: grow */
        size_t cap = n->n ? 2 * (size_t)n->n : 1;
        node **k = arena_alloc(&ps->P->nodes, cap * sizeof *k);
        int *o = arena_alloc(&ps->P->nodes, cap * sizeof *o);
        long *l = arena_alloc(&ps->P->nodes, cap * sizeof *l);
        long *c = arena_alloc(&ps->P->nodes, cap * sizeof *c);
        if (!k || !o || !l || !c)
            return fail(ps->err, ol, oc, ps->P->nodes.over ? GC_ELIMIT
                        : GC_ENOMEM, "the formulas need more than %zu bytes "
                        "(GC_FX_MAX_MEMORY)", (size_t)GC_FX_MAX_MEMORY);
        if (n->n) {
            memcpy(k, n->kid, (size_t)n->n * sizeof *k);
            memcpy(o, n->ops, (size_t)n->n * sizeof *o);
            memcpy(l, n->oline, (size_t)n->n * sizeof *l);
            memcpy(c, n->ocol, (size_t)n->n * sizeof *c);
        }
        n->kid = k;
        n->ops = o;
        n->oline = l;
        n->ocol = c;
    }
    n->kid[n->n] = kid;
    n->ops[n->n] = op;
    n->oline[n->n] = ol;
    n->ocol[n->n] = oc;
    n->n++;
    return GC_OK;
}

static int expect(parser *ps, int kind, const char *what)
{
    if (ps->lx.t.k != kind) {
        const token *t = &ps->lx.t;
        const char *found = t->k == T_END ? "the end of the formula"
                          : t->k == T_NUM ? "a number" : t->k == T_NAME ? t->name
                          : t->k == T_ASSIGN ? "'='" : t->k == T_RP ? "')'"
                          : t->k == T_RB ? "']'" : t->k == T_COMMA ? "','"
                          : t->k == T_LP ? "'('" : t->k == T_LB ? "'['"
                          : "an operator";
        return fail(ps->err, t->line, t->col, GC_EINVAL, "expected %s, found "
                    "%s%s%s", what, t->k == T_NAME ? "\"" : "", found,
                    t->k == T_NAME ? "\"" : "");
    }
    return lex(&ps->lx);
}

static const gc_block *find_block(const gc_problem *p, const char *name,
                                  int *fam)
{
    const gc_blocks *f[3] = {&p->layout.params, &p->layout.inputs,
                             &p->layout.quantities};
    for (int i = 0; i < 3; i++) {
        const gc_block *b = gc_blocks_find(f[i], name);
        if (b) { if (fam) *fam = i; return b; }
    }
    return NULL;
}

static int find_def(const gc_fx_program *P, const char *name, int visible)
{
    for (int i = 0; i < visible && (size_t)i < P->n_defs; i++)
        if (strcmp(P->defs[i].name, name) == 0) return i;
    return -1;
}

static int find_dim(const gc_problem *p, const char *name)
{
    return gc_dim_index(p->model, name);
}

static const char *fam_noun(int fam)
{
    return fam == FAM_PARAM ? "parameter" : fam == FAM_INPUT ? "input"
                                                             : "quantity";
}

/* A new index name (sum/prod index, free index, definition parameter)
 * must not hide anything the formula could mean instead. */
static int check_new_index(parser *ps, const char *name, long line, long col)
{
    int fam;
    const gc_block *b = find_block(ps->P->p, name, &fam);
    if (b)
        return fail(ps->err, line, col, GC_EINVAL, "the index name \"%s\" "
                    "is already the %s %s: choose another letter", name,
                    fam_noun(fam), name);
    if (find_dim(ps->P->p, name) >= 0)
        return fail(ps->err, line, col, GC_EINVAL, "the index name \"%s\" is "
                    "already a dimension of the model: choose another letter",
                    name);
    if (find_def(ps->P, name, ps->n_defs_visible) >= 0)
        return fail(ps->err, line, col, GC_EINVAL, "the index name \"%s\" is "
                    "already defined above: choose another letter", name);
    for (int i = 0; i < ps->n_scope; i++)
        if (strcmp(ps->scope_name[i], name) == 0)
            return fail(ps->err, line, col, GC_EINVAL, "the index name \"%s\" "
                        "is already in use here", name);
    if (strcmp(name, "pi") == 0)
        return fail(ps->err, line, col, GC_EINVAL, "\"pi\" cannot be an "
                    "index name");
    return GC_OK;
}

static int push_index(parser *ps, const char *name, int *slot)
{
    size_t cap = sizeof ps->scope_slot / sizeof *ps->scope_slot;
    if ((size_t)ps->n_scope >= cap)
        return fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_ELIMIT,
                    "more than %zu index names in scope (GC_FX_MAX_DEPTH)",
                    cap);
    ps->scope_name[ps->n_scope] = save_name(ps, name);
    ps->scope_slot[ps->n_scope] = *slot = ps->P->n_slots++;
    ps->n_scope++;
    return GC_OK;
}

static int parse_expr(parser *ps, node **out);
static int parse_unary(parser *ps, node **out);

static void unknown_name(parser *ps, const token *t)
{
    const gc_problem *p = ps->P->p;
    char names[384] = "";
    const gc_blocks *f[3] = {&p->layout.params, &p->layout.inputs,
                             &p->layout.quantities};
    for (int i = 0; i < 3; i++)
        for (size_t j = 0; j < f[i]->n_blocks; j++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "",
                     f[i]->block[j].name);
        }
    for (int j = 0; p->model->dims[j].name; j++) {
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "",
                 p->model->dims[j].name);
    }
    if (builtin_find(t->name) >= 0)
        fail(ps->err, t->line, t->col, GC_EINVAL, "%s is a function: write "
             "%s(...)", t->name, t->name);
    else
        fail(ps->err, t->line, t->col, GC_EINVAL, "unknown name \"%s\" (model "
             "%s names: %s)", t->name, p->model->name, names);
}

/* NAME, possibly a call; the token is current. */
static int parse_name(parser *ps, node **out)
{
    token t = ps->lx.t;
    gc_fx_program *P = ps->P;
    int st;
    if ((st = lex(&ps->lx))) return st;

    /* "name(" is a call; "name (" a call of a function, else a product
     * (gamma (1 - x)) */
    if (ps->lx.t.k == T_LP &&
        (!ps->lx.t.spaced || builtin_find(t.name) >= 0)) {
        int b = builtin_find(t.name);
        if (b < 0) {
            int fam;
            if (find_block(P->p, t.name, &fam) || find_dim(P->p, t.name) >= 0 ||
                find_def(P, t.name, ps->n_defs_visible) >= 0)
                return fail(ps->err, t.line, t.col, GC_EINVAL, "\"%s\" is not "
                            "a function: write %s[i] for an entry or %s*(...) "
                            "to multiply", t.name, t.name, t.name);
            return fail(ps->err, t.line, t.col, GC_EINVAL, "unknown function "
                        "\"%s\" (functions: exp, log, sqrt, abs, tanh, "
                        "sigmoid, relu, step, sign, dtanh, dsigmoid, drelu, "
                        "lrelu, dlrelu, sin, cos, erf, Phi, phi, min, max, "
                        "softmax, sum, prod, transpose, matmul, outer, dot, "
                        "hadamard, diag, eye, ones, zeros, norm, kdelta, if)",
                        t.name);
        }
        node *n = new_node(ps, N_CALL, t.line, t.col);
        if (!n) return GC_ENOMEM;
        n->op = builtins[b].id;
        n->name = save_name(ps, t.name);
        if ((st = lex(&ps->lx))) return st;
        int id = builtins[b].id;
        if ((id == B_SUM || id == B_PROD) && ps->lx.t.k == T_NAME) {
            /* sum(i, lo, hi, expr) binds i in expr; sum(v) adds v up */
            lexer save = ps->lx;
            token it = ps->lx.t;
            if ((st = lex(&ps->lx))) return st;
            if (ps->lx.t.k == T_COMMA) {
                n->k = N_SUM;
                n->op = id == B_PROD;
                if ((st = check_new_index(ps, it.name, it.line, it.col)))
                    return st;
                if ((st = lex(&ps->lx))) return st;
                node *lo = NULL, *hi = NULL, *body = NULL;
                if ((st = parse_expr(ps, &lo))) return st;
                if ((st = expect(ps, T_COMMA, "',' and the last index of the "
                                 "sum: sum(i, first, last, term)")))
                    return st;
                if ((st = parse_expr(ps, &hi))) return st;
                if ((st = expect(ps, T_COMMA, "',' and the term: sum(i, first, "
                                 "last, term)")))
                    return st;
                if ((st = push_index(ps, it.name, &n->slot))) return st;
                st = parse_expr(ps, &body);
                ps->n_scope--;
                if (st) return st;
                if ((st = add_kid(ps, n, lo, 0, 0, 0)) ||
                    (st = add_kid(ps, n, hi, 0, 0, 0)) ||
                    (st = add_kid(ps, n, body, 0, 0, 0)))
                    return st;
                if ((st = expect(ps, T_RP, "')' after the term of the sum")))
                    return st;
                *out = n;
                return GC_OK;
            }
            ps->lx = save;     /* sum(v): re-read v as an expression */
        }
        if (ps->lx.t.k != T_RP) {
            for (;;) {
                node *a = NULL;
                if ((st = parse_expr(ps, &a))) return st;
                if ((st = add_kid(ps, n, a, 0, 0, 0))) return st;
                if (ps->lx.t.k != T_COMMA) break;
                if ((st = lex(&ps->lx))) return st;
            }
        }
        if ((st = expect(ps, T_RP, "')' or ',' in the call"))) return st;
        if (n->n < builtins[b].min_args || n->n > builtins[b].max_args) {
            if (id == B_SUM || id == B_PROD)
                return fail(ps->err, t.line, t.col, GC_EINVAL, "%s takes "
                            "%s(v) or %s(i, first, last, term)", t.name,
                            t.name, t.name);
            return fail(ps->err, t.line, t.col, GC_EINVAL, "%s takes %d%s "
                        "argument%s, found %d", t.name, builtins[b].min_args,
                        builtins[b].max_args > builtins[b].min_args
                            ? " or 2" : "",
                        builtins[b].max_args == 1 ? "" : "s", n->n);
        }
        *out = n;
        return GC_OK;
    }

    for (int i = ps->n_scope - 1; i >= 0; i--)
        if (strcmp(ps->scope_name[i], t.name) == 0) {
            node *n = new_node(ps, N_SLOT, t.line, t.col);
            if (!n) return GC_ENOMEM;
            n->slot = ps->scope_slot[i];
            n->name = ps->scope_name[i];
            *out = n;
            return GC_OK;
        }
    int d = find_def(P, t.name, ps->n_defs_visible);
    if (d >= 0) {
        if (P->defs[d].broken)
            return fail(ps->err, t.line, t.col, GC_EINVAL, "uses %s, whose "
                        "definition on line %ld cannot be read", t.name,
                        P->defs[d].line);
        node *n = new_node(ps, N_DEF, t.line, t.col);
        if (!n) return GC_ENOMEM;
        n->def = d;
        n->name = P->defs[d].name;
        *out = n;
        return GC_OK;
    }
    int fam;
    const gc_block *b = find_block(P->p, t.name, &fam);
    if (b) {
        node *n = new_node(ps, N_BLOCK, t.line, t.col);
        if (!n) return GC_ENOMEM;
        n->blk = b;
        n->fam = fam;
        n->name = b->name;
        *out = n;
        return GC_OK;
    }
    int dim = find_dim(P->p, t.name);
    if (dim >= 0 || strcmp(t.name, "pi") == 0) {
        node *n = new_node(ps, N_NUM, t.line, t.col);
        if (!n) return GC_ENOMEM;
        n->num = dim >= 0 ? (double)P->p->dims[dim] : FX_PI;
        n->name = dim >= 0 ? P->p->model->dims[dim].name : "pi";
        *out = n;
        return GC_OK;
    }
    unknown_name(ps, &t);
    return GC_EINVAL;
}

static int parse_primary(parser *ps, node **out)
{
    token t = ps->lx.t;
    int st;
    switch (t.k) {
    case T_NUM: {
        node *n = new_node(ps, N_NUM, t.line, t.col);
        if (!n) return GC_ENOMEM;
        n->num = t.num;
        *out = n;
        return lex(&ps->lx);
    }
    case T_NAME:
        return parse_name(ps, out);
    case T_LP:
        if ((st = lex(&ps->lx))) return st;
        if ((st = parse_expr(ps, out))) return st;
        return expect(ps, T_RP, "')'");
    default:
        return expect(ps, -1, "a number, a name or '('");
    }
}

/* primary followed by any number of [i, j] or [i][j] */
static int parse_postfix(parser *ps, node **out)
{
    node *base = NULL;
    int st = parse_primary(ps, &base);
    if (st) return st;
    if (ps->lx.t.k != T_LB) {
        if (base->k == N_DEF && ps->P->defs[base->def].n_params)
            return fail(ps->err, base->line, base->col, GC_EINVAL, "%s needs "
                        "%d index%s: %s[...]", base->name,
                        ps->P->defs[base->def].n_params,
                        ps->P->defs[base->def].n_params == 1 ? "" : "es",
                        base->name);
        *out = base;
        return GC_OK;
    }
    node *ix = new_node(ps, N_INDEX, ps->lx.t.line, ps->lx.t.col);
    if (!ix) return GC_ENOMEM;
    if ((st = add_kid(ps, ix, base, 0, 0, 0))) return st;
    while (ps->lx.t.k == T_LB) {
        if ((st = lex(&ps->lx))) return st;
        for (;;) {
            node *e = NULL;
            if ((st = parse_expr(ps, &e))) return st;
            if (ix->n > GC_FX_MAX_RANK + GC_MAX_RANK)
                return fail(ps->err, e->line, e->col, GC_EINVAL, "too many "
                            "indices");
            if ((st = add_kid(ps, ix, e, 0, 0, 0))) return st;
            if (ps->lx.t.k != T_COMMA) break;
            if ((st = lex(&ps->lx))) return st;
        }
        if ((st = expect(ps, T_RB, "']' or ','"))) return st;
    }
    if (base->k == N_DEF) {
        /* the first indices are the definition's parameters */
        int np = ps->P->defs[base->def].n_params;
        if (ix->n - 1 < np)
            return fail(ps->err, base->line, base->col, GC_EINVAL, "%s needs "
                        "%d index%s, found %d", base->name, np,
                        np == 1 ? "" : "es", ix->n - 1);
        if (np) {
            base->kid = arena_alloc(&ps->P->nodes, (size_t)np * sizeof *base->kid);
            if (!base->kid) return GC_ENOMEM;
            memcpy(base->kid, ix->kid + 1, (size_t)np * sizeof *base->kid);
            base->n = np;
            if (ix->n - 1 == np) { *out = base; return GC_OK; }
            ix->kid[np] = base;      /* the rest index the result */
            ix->kid += np;
            ix->ops += np;
            ix->oline += np;
            ix->ocol += np;
            ix->n -= np;
        }
    }
    *out = ix;
    return GC_OK;
}

/* postfix [^ unary]: right-associative, binds tighter than a sign on its
 * left (-x^2 is -(x^2)) */
static int parse_pow(parser *ps, node **out)
{
    node *b = NULL;
    int st = parse_postfix(ps, &b);
    if (st) return st;
    if (!(ps->lx.t.k == T_OP && ps->lx.t.op == '^')) { *out = b; return GC_OK; }
    node *n = new_node(ps, N_POW, ps->lx.t.line, ps->lx.t.col);
    if (!n) return GC_ENOMEM;
    if ((st = lex(&ps->lx))) return st;
    node *e = NULL;
    if ((st = parse_unary(ps, &e))) return st;
    if ((st = add_kid(ps, n, b, 0, 0, 0)) || (st = add_kid(ps, n, e, 0, 0, 0)))
        return st;
    *out = n;
    return GC_OK;
}

static int parse_unary(parser *ps, node **out)
{
    int st;
    if (++ps->depth > GC_FX_MAX_DEPTH) {
        st = fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_ELIMIT, "nested "
                  "more than %d levels deep (GC_FX_MAX_DEPTH)",
                  GC_FX_MAX_DEPTH);
        ps->depth--;
        return st;
    }
    token t = ps->lx.t;
    if (t.k == T_OP && (t.op == '-' || t.op == '+')) {
        if ((st = lex(&ps->lx))) goto done;
        node *e = NULL;
        if ((st = parse_unary(ps, &e))) goto done;
        if (t.op == '+') { *out = e; goto done; }
        node *n = new_node(ps, N_NEG, t.line, t.col);
        if (!n) { st = GC_ENOMEM; goto done; }
        if ((st = add_kid(ps, n, e, 0, 0, 0))) goto done;
        *out = n;
        goto done;
    }
    st = parse_pow(ps, out);
done:
    ps->depth--;
    return st;
}

/* Whether the current token can start a factor that multiplies the one
 * before it without a '*' ("2(z - y)", "sigma(s)(1 - sigma(s))"). */
static int starts_factor(const token *t)
{
    return t->k == T_NUM || t->k == T_NAME || t->k == T_LP;
}

static int parse_mul(parser *ps, node **out)
{
    node *first = NULL;
    int st = parse_unary(ps, &first);
    if (st) return st;
    node *n = NULL;
    for (;;) {
        const token *t = &ps->lx.t;
        int op;
        long ol = t->line, oc = t->col;
        if (t->k == T_OP && (t->op == '*' || t->op == '/' || t->op == '@')) {
            op = t->op;
            if ((st = lex(&ps->lx))) return st;
        } else if (starts_factor(t) &&
                   !(t->k == T_NUM && ps->lx.prev == T_NUM)) {
            op = '*';        /* juxtaposition */
        } else break;
        if (!n) {
            if (!(n = new_node(ps, N_MUL, first->line, first->col)))
                return GC_ENOMEM;
            if ((st = add_kid(ps, n, first, '*', 0, 0))) return st;
        }
        node *e = NULL;
        if ((st = parse_unary(ps, &e))) return st;
        if ((st = add_kid(ps, n, e, op, ol, oc))) return st;
    }
    *out = n ? n : first;
    return GC_OK;
}

static int parse_add(parser *ps, node **out)
{
    node *first = NULL;
    int st = parse_mul(ps, &first);
    if (st) return st;
    node *n = NULL;
    while (ps->lx.t.k == T_OP && (ps->lx.t.op == '+' || ps->lx.t.op == '-')) {
        int sign = ps->lx.t.op == '+' ? 1 : -1;
        long ol = ps->lx.t.line, oc = ps->lx.t.col;
        if ((st = lex(&ps->lx))) return st;
        if (!n) {
            if (!(n = new_node(ps, N_ADD, first->line, first->col)))
                return GC_ENOMEM;
            if ((st = add_kid(ps, n, first, 1, 0, 0))) return st;
        }
        node *e = NULL;
        if ((st = parse_mul(ps, &e))) return st;
        if ((st = add_kid(ps, n, e, sign, ol, oc))) return st;
    }
    *out = n ? n : first;
    return GC_OK;
}

static int is_cmp(const token *t)
{
    return t->k == T_OP && (t->op == '<' || t->op == '>' || t->op == OP_LE ||
                            t->op == OP_GE || t->op == OP_EQ || t->op == OP_NE);
}

static int parse_expr(parser *ps, node **out)
{
    node *a = NULL;
    int st = parse_add(ps, &a);
    if (st) return st;
    if (!is_cmp(&ps->lx.t)) { *out = a; return GC_OK; }
    node *n = new_node(ps, N_CMP, ps->lx.t.line, ps->lx.t.col);
    if (!n) return GC_ENOMEM;
    n->op = ps->lx.t.op;
    if ((st = lex(&ps->lx))) return st;
    node *b = NULL;
    if ((st = parse_add(ps, &b))) return st;
    if ((st = add_kid(ps, n, a, 0, 0, 0)) || (st = add_kid(ps, n, b, 0, 0, 0)))
        return st;
    if (is_cmp(&ps->lx.t))
        return fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_EINVAL,
                    "comparisons do not chain: write (a < b) * (b < c)");
    *out = n;
    return GC_OK;
}

/* ------------------------------------------------------------ evaluation */

typedef struct {
    gc_fx_program *P;
    gc_error *err;
    double work;
    int depth;
} ev;

static int no_memory(ev *E, const node *at)
{
    if (E->P->scratch.over || E->P->point.over)
        return fail(E->err, at->line, at->col, GC_ELIMIT, "the values of "
                    "this formula need more than %zu MiB (GC_FX_MAX_MEMORY)",
                    (size_t)GC_FX_MAX_MEMORY >> 20);
    return fail(E->err, at->line, at->col, GC_ENOMEM, "out of memory");
}

static int charge(ev *E, const node *at, double ops)
{
    E->work += ops;
    if (E->work > GC_FX_MAX_WORK)
        return fail(E->err, at->line, at->col, GC_ELIMIT, "needs more than "
                    "%.0f operations at one point (GC_FX_MAX_WORK)",
                    GC_FX_MAX_WORK);
    return GC_OK;
}

/* A fresh value of the given shape in the scratch arena (limits first). */
static int new_val(ev *E, const node *at, int rank, const size_t *shape,
                   const int *base, val *out)
{
    size_t size = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] && size > GC_FX_MAX_TENSOR / shape[i]) {
            size = GC_FX_MAX_TENSOR + 1;
            break;
        }
        size *= shape[i];
    }
    if (size > GC_FX_MAX_TENSOR) {
        char d[96];
        val tmp = {.rank = rank};
        for (int i = 0; i < rank; i++) tmp.shape[i] = shape[i];
        return fail(E->err, at->line, at->col, GC_ELIMIT, "%s has more than "
                    "%zu entries (GC_FX_MAX_TENSOR)",
                    describe(&tmp, d, sizeof d), (size_t)GC_FX_MAX_TENSOR);
    }
    int st = charge(E, at, (double)size);
    if (st) return st;
    memset(out, 0, sizeof *out);
    out->rank = rank;
    for (int i = 0; i < rank; i++) {
        out->shape[i] = shape[i];
        out->base[i] = base ? base[i] : 1;
    }
    out->size = size;
    out->v = arena_alloc(&E->P->scratch, size * sizeof(double));
    if (!out->v) return no_memory(E, at);
    return GC_OK;
}

static int same_shape(const val *a, const val *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static int eval(ev *E, const node *n, val *out);

/* A whole number that can index: rank 0, finite, integral. */
static int as_index(ev *E, const node *at, const val *v, long *out)
{
    char d[96];
    if (v->rank != 0)
        return fail(E->err, at->line, at->col, GC_EINVAL, "an index must be "
                    "one whole number, found %s", describe(v, d, sizeof d));
    double x = v->v[0];
    if (!isfinite(x) || x != floor(x) || fabs(x) > 1e9)
        return fail(E->err, at->line, at->col, GC_EINVAL, "an index must be "
                    "a whole number, found %.17g", x);
    *out = (long)x;
    return GC_OK;
}

static double apply2(int op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return pow(a, b);
    case '<': return a < b;
    case '>': return a > b;
    case OP_LE: return a <= b;
    case OP_GE: return a >= b;
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case 'm': return fmin(a, b);
    case 'M': return fmax(a, b);
    case 'l': return a > 0 ? a : b * a;    /* lrelu(x, alpha) */
    case 'L': return a > 0 ? 1.0 : b;      /* dlrelu(x, alpha), x = 0 left */
    default: return NAN;
    }
}

static const char *verb(int op)
{
    switch (op) {
    case '+': return "add";
    case '-': return "subtract";
    case '*': return "multiply entry by entry";
    case '/': return "divide entry by entry";
    case '^': return "raise entry by entry";
    case 'm': case 'M': return "take min/max of";
    case 'l': case 'L': return "apply lrelu to";
    default: return "compare";
    }
}

/* a op b entry by entry; a scalar on either side applies to every entry.
 * dst may be a itself when a is a temporary of the result's shape. */
static int binary(ev *E, const node *at, long ol, long oc, int op,
                  const val *a, const val *b, val *out, int in_place)
{
    char da[96], db[96];
    if (a->rank && b->rank && !same_shape(a, b))
        return fail(E->err, ol ? ol : at->line, ol ? oc : at->col, GC_EINVAL,
                    "cannot %s %s and %s (shapes must match, or one side be "
                    "a scalar%s)", verb(op), describe(a, da, sizeof da),
                    describe(b, db, sizeof db),
                    op == '*' ? "; matmul(A, B) or A @ B is the matrix "
                                "product, outer(a, b) the outer product" : "");
    const val *shape = a->rank ? a : b;
    val r;
    int st;
    if (in_place && a->rank == shape->rank) {
        r = *a;
        if ((st = charge(E, at, (double)r.size))) return st;
    } else if ((st = new_val(E, at, shape->rank, shape->shape, shape->base,
                             &r)))
        return st;
    for (size_t i = 0; i < r.size; i++)
        r.v[i] = apply2(op, a->v[a->rank ? i : 0], b->v[b->rank ? i : 0]);
    *out = r;
    return GC_OK;
}

static int scalar_val(ev *E, const node *at, double x, val *out)
{
    int st = new_val(E, at, 0, NULL, NULL, out);
    if (!st) out->v[0] = x;
    return st;
}

static int matmul(ev *E, const node *at, long ol, long oc, const val *a,
                  const val *b, val *out)
{
    char da[96], db[96];
    long l = ol ? ol : at->line, c = ol ? oc : at->col;
    if (a->rank == 0 || b->rank == 0 || a->rank > 2 || b->rank > 2)
        return fail(E->err, l, c, GC_EINVAL, "the matrix product needs "
                    "vectors or matrices, found %s and %s (use * with a "
                    "scalar)", describe(a, da, sizeof da),
                    describe(b, db, sizeof db));
    /* a vector is a row on the left and a column on the right */
    size_t n = a->rank == 2 ? a->shape[0] : 1;
    size_t k = a->rank == 2 ? a->shape[1] : a->shape[0];
    size_t k2 = b->shape[0];
    size_t m = b->rank == 2 ? b->shape[1] : 1;
    if (k != k2)
        return fail(E->err, l, c, GC_EINVAL, "cannot multiply %s by %s: %zu "
                    "columns against %zu rows", describe(a, da, sizeof da),
                    describe(b, db, sizeof db), k, k2);
    size_t shape[2];
    int base[2], rank = 0;
    if (a->rank == 2) { shape[rank] = n; base[rank++] = a->base[0]; }
    if (b->rank == 2) { shape[rank] = m; base[rank++] = b->base[1]; }
    int st = new_val(E, at, rank, shape, base, out);
    if (st) return st;
    if ((st = charge(E, at, (double)(n * m * k)))) return st;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double s = 0;
            for (size_t q = 0; q < k; q++)
                s += a->v[i * k + q] * b->v[q * m + j];
            out->v[i * m + j] = s;
        }
    return GC_OK;
}

static int want_rank(ev *E, const node *at, const val *v, int lo, int hi,
                     const char *what)
{
    char d[96];
    if (v->rank < lo || v->rank > hi)
        return fail(E->err, at->line, at->col, GC_EINVAL, "%s, found %s",
                    what, describe(v, d, sizeof d));
    return GC_OK;
}

static int size_arg(ev *E, const node *at, const val *v, size_t *out)
{
    long n;
    int st = as_index(E, at, v, &n);
    if (st) return st;
    if (n < 0 || (size_t)n > GC_FX_MAX_TENSOR)
        return fail(E->err, at->line, at->col, n < 0 ? GC_EINVAL : GC_ELIMIT,
                    "a size must be from 0 to %zu (GC_FX_MAX_TENSOR), found "
                    "%ld", (size_t)GC_FX_MAX_TENSOR, n);
    *out = (size_t)n;
    return GC_OK;
}

static int call(ev *E, const node *n, val *out)
{
    val a[2];
    int st;
    if (n->op == B_IF) {
        /* if(c, a, b): only the branch taken is evaluated, so
         * if(i == 0, 1, x[i]) never indexes x[0] */
        char d[96];
        if ((st = eval(E, n->kid[0], &a[0]))) return st;
        if (a[0].rank != 0)
            return fail(E->err, n->kid[0]->line, n->kid[0]->col, GC_EINVAL,
                        "the condition of if must be one number, found %s",
                        describe(&a[0], d, sizeof d));
        return eval(E, n->kid[a[0].v[0] != 0 ? 1 : 2], out);
    }
    for (int i = 0; i < n->n && i < 2; i++)
        if ((st = eval(E, n->kid[i], &a[i]))) return st;
    int id = n->op;
    char d[96];
    if (id < B_N_UNARY) {
        if ((st = new_val(E, n, a[0].rank, a[0].shape, a[0].base, out)))
            return st;
        for (size_t i = 0; i < out->size; i++)
            out->v[i] = unary_fn[id](a[0].v[i]);
        return GC_OK;
    }
    switch (id) {
    case B_MIN: case B_MAX:
        if (n->n == 2)
            return binary(E, n, 0, 0, id == B_MIN ? 'm' : 'M', &a[0], &a[1],
                          out, 0);
        if (a[0].size == 0)
            return fail(E->err, n->line, n->col, GC_EINVAL, "%s of no "
                        "entries", n->name);
        {
            double m = a[0].v[0];
            for (size_t i = 1; i < a[0].size; i++)
                m = id == B_MIN ? fmin(m, a[0].v[i]) : fmax(m, a[0].v[i]);
            return scalar_val(E, n, m, out);
        }
    case B_LRELU: case B_DLRELU:
        return binary(E, n, 0, 0, id == B_LRELU ? 'l' : 'L', &a[0], &a[1],
                      out, 0);
    case B_DELTA:
        return binary(E, n, 0, 0, OP_EQ, &a[0], &a[1], out, 0);
    case B_HADAMARD:
        return binary(E, n, 0, 0, '*', &a[0], &a[1], out, 0);
    case B_SOFTMAX: {
        if ((st = want_rank(E, n, &a[0], 1, 1, "softmax takes a vector")))
            return st;
        if ((st = new_val(E, n, 1, a[0].shape, a[0].base, out))) return st;
        double m = -INFINITY, s = 0;
        for (size_t i = 0; i < a[0].size; i++) m = fmax(m, a[0].v[i]);
        for (size_t i = 0; i < a[0].size; i++)
            s += out->v[i] = exp(a[0].v[i] - m);
        for (size_t i = 0; i < a[0].size; i++) out->v[i] /= s;
        return GC_OK;
    }
    case B_SUM: case B_PROD: case B_NORM: {
        double s = id == B_PROD ? 1 : 0;
        for (size_t i = 0; i < a[0].size; i++)
            s = id == B_PROD ? s * a[0].v[i]
              : id == B_SUM ? s + a[0].v[i] : s + a[0].v[i] * a[0].v[i];
        return scalar_val(E, n, id == B_NORM ? sqrt(s) : s, out);
    }
    case B_DOT: {
        if (!same_shape(&a[0], &a[1])) {
            char d2[96];
            return fail(E->err, n->line, n->col, GC_EINVAL, "dot needs two "
                        "values of the same shape, found %s and %s",
                        describe(&a[0], d, sizeof d),
                        describe(&a[1], d2, sizeof d2));
        }
        double s = 0;
        for (size_t i = 0; i < a[0].size; i++) s += a[0].v[i] * a[1].v[i];
        return scalar_val(E, n, s, out);
    }
    case B_TRANSPOSE: {
        if ((st = want_rank(E, n, &a[0], 0, 2, "transpose takes a scalar, "
                            "vector or matrix")))
            return st;
        if (a[0].rank < 2) { *out = a[0]; return GC_OK; }
        size_t sh[2] = {a[0].shape[1], a[0].shape[0]};
        int bs[2] = {a[0].base[1], a[0].base[0]};
        if ((st = new_val(E, n, 2, sh, bs, out))) return st;
        for (size_t i = 0; i < sh[0]; i++)
            for (size_t j = 0; j < sh[1]; j++)
                out->v[i * sh[1] + j] = a[0].v[j * sh[0] + i];
        return GC_OK;
    }
    case B_MATMUL:
        return matmul(E, n, 0, 0, &a[0], &a[1], out);
    case B_OUTER: {
        int rank = a[0].rank + a[1].rank;
        if (rank > GC_FX_MAX_RANK)
            return fail(E->err, n->line, n->col, GC_EINVAL, "the outer "
                        "product would have %d axes (at most %d)", rank,
                        GC_FX_MAX_RANK);
        size_t sh[GC_FX_MAX_RANK];
        int bs[GC_FX_MAX_RANK];
        for (int i = 0; i < a[0].rank; i++) {
            sh[i] = a[0].shape[i];
            bs[i] = a[0].base[i];
        }
        for (int i = 0; i < a[1].rank; i++) {
            sh[a[0].rank + i] = a[1].shape[i];
            bs[a[0].rank + i] = a[1].base[i];
        }
        if ((st = new_val(E, n, rank, sh, bs, out))) return st;
        for (size_t i = 0; i < a[0].size; i++)
            for (size_t j = 0; j < a[1].size; j++)
                out->v[i * a[1].size + j] = a[0].v[i] * a[1].v[j];
        return GC_OK;
    }
    case B_DIAG: {
        if ((st = want_rank(E, n, &a[0], 1, 2, "diag takes a vector (to make "
                            "a diagonal matrix) or a square matrix")))
            return st;
        if (a[0].rank == 2) {
            if (a[0].shape[0] != a[0].shape[1])
                return fail(E->err, n->line, n->col, GC_EINVAL, "diag of "
                            "a matrix needs a square one, found %s",
                            describe(&a[0], d, sizeof d));
            if ((st = new_val(E, n, 1, a[0].shape, a[0].base, out)))
                return st;
            for (size_t i = 0; i < a[0].shape[0]; i++)
                out->v[i] = a[0].v[i * a[0].shape[0] + i];
            return GC_OK;
        }
        size_t sh[2] = {a[0].shape[0], a[0].shape[0]};
        int bs[2] = {a[0].base[0], a[0].base[0]};
        if ((st = new_val(E, n, 2, sh, bs, out))) return st;
        memset(out->v, 0, out->size * sizeof *out->v);
        for (size_t i = 0; i < sh[0]; i++) out->v[i * sh[0] + i] = a[0].v[i];
        return GC_OK;
    }
    case B_EYE: case B_ONES: case B_ZEROS: {
        size_t sh[2];
        if ((st = size_arg(E, n->kid[0], &a[0], &sh[0]))) return st;
        int rank = 1;
        if (id == B_EYE) { sh[1] = sh[0]; rank = 2; }
        else if (n->n == 2) {
            if ((st = size_arg(E, n->kid[1], &a[1], &sh[1]))) return st;
            rank = 2;
        }
        if ((st = new_val(E, n, rank, sh, NULL, out))) return st;
        for (size_t i = 0; i < out->size; i++)
            out->v[i] = id == B_ONES ? 1.0
                      : id == B_ZEROS ? 0.0 : (i % (sh[0] + 1) == 0);
        return GC_OK;
    }
    }
    return fail(E->err, n->line, n->col, GC_EINVAL, "internal: builtin %d",
                id);
}

static int eval_sum(ev *E, const node *n, val *out)
{
    val lo_v, hi_v;
    long lo, hi;
    int st;
    if ((st = eval(E, n->kid[0], &lo_v)) ||
        (st = as_index(E, n->kid[0], &lo_v, &lo)) ||
        (st = eval(E, n->kid[1], &hi_v)) ||
        (st = as_index(E, n->kid[1], &hi_v, &hi)))
        return st;
    int prod = n->op;
    if (hi < lo) return scalar_val(E, n, prod ? 1.0 : 0.0, out);
    if (hi - lo + 1 > GC_FX_MAX_SUM)
        return fail(E->err, n->line, n->col, GC_ELIMIT, "%s over %ld terms "
                    "(%ld to %ld): more than %ld (GC_FX_MAX_SUM)",
                    prod ? "a product" : "a sum", hi - lo + 1, lo, hi,
                    GC_FX_MAX_SUM);
    double *slot = &E->P->slots[n->slot];
    double saved = *slot;
    arena *A = &E->P->scratch;
    arena_mark m0 = arena_save(A);

    *slot = (double)lo;
    val first;
    if ((st = eval(E, n->kid[2], &first))) goto done;
    /* the accumulator must outlive the terms: copy the first term out,
     * release, and allocate the accumulator below the terms' mark */
    double *tmp = malloc(first.size * sizeof *tmp);
    if (!tmp) { st = no_memory(E, n); goto done; }
    memcpy(tmp, first.v, first.size * sizeof *tmp);
    arena_restore(A, m0);
    val acc;
    if ((st = new_val(E, n, first.rank, first.shape, first.base, &acc))) {
        free(tmp);
        goto done;
    }
    memcpy(acc.v, tmp, acc.size * sizeof *tmp);
    free(tmp);
    for (long i = lo + 1; i <= hi; i++) {
        arena_mark m1 = arena_save(A);
        *slot = (double)i;
        val t;
        if ((st = eval(E, n->kid[2], &t))) goto done;
        if (!same_shape(&t, &acc)) {
            char d1[96], d2[96];
            st = fail(E->err, n->kid[2]->line, n->kid[2]->col, GC_EINVAL,
                      "the term of the %s is %s at %s = %ld but %s at %ld",
                      prod ? "product" : "sum", describe(&acc, d1, sizeof d1),
                      "the index", lo, describe(&t, d2, sizeof d2), i);
            goto done;
        }
        if ((st = charge(E, n, (double)acc.size))) goto done;
        for (size_t k = 0; k < acc.size; k++)
            acc.v[k] = prod ? acc.v[k] * t.v[k] : acc.v[k] + t.v[k];
        arena_restore(A, m1);
    }
    *out = acc;
done:
    *slot = saved;
    return st;
}

static int eval_def(ev *E, const node *n, val *out)
{
    gc_fx_program *P = E->P;
    definition *d = &P->defs[n->def];
    int st;
    if (d->n_params == 0) {
        if (d->gen == P->gen) { *out = d->cache; return GC_OK; }
        /* once per point, kept in the point arena */
        val v;
        if ((st = eval(E, d->body, &v))) return st;
        d->cache = v;
        d->cache.v = arena_alloc(&P->point, v.size * sizeof(double) + 1);
        if (!d->cache.v) return no_memory(E, n);
        memcpy(d->cache.v, v.v, v.size * sizeof(double));
        d->gen = P->gen;
        *out = d->cache;
        return GC_OK;
    }
    double saved[GC_MAX_RANK], idx[GC_MAX_RANK];
    for (int i = 0; i < d->n_params; i++) {
        val v;
        long k;
        if ((st = eval(E, n->kid[i], &v)) ||
            (st = as_index(E, n->kid[i], &v, &k)))
            return st;
        idx[i] = (double)k;
    }
    for (int i = 0; i < d->n_params; i++) {
        saved[i] = P->slots[d->slot[i]];
        P->slots[d->slot[i]] = idx[i];
    }
    st = eval(E, d->body, out);
    for (int i = 0; i < d->n_params; i++) P->slots[d->slot[i]] = saved[i];
    return st;
}

static int eval_index(ev *E, const node *n, val *out)
{
    val b;
    int st = eval(E, n->kid[0], &b);
    if (st) return st;
    const char *name = n->kid[0]->name;
    char d[96];
    for (int i = 1; i < n->n; i++) {
        if (b.rank == 0) {
            if (name && n->kid[0]->k != N_INDEX)
                return fail(E->err, n->kid[i]->line, n->kid[i]->col,
                            GC_EINVAL, "%s has %d ind%s, found %d", name,
                            i - 1, i - 1 == 1 ? "ex" : "ices", n->n - 1);
            return fail(E->err, n->kid[i]->line, n->kid[i]->col, GC_EINVAL,
                        "too many indices: the value is a scalar");
        }
        val iv;
        long k;
        if ((st = eval(E, n->kid[i], &iv)) ||
            (st = as_index(E, n->kid[i], &iv, &k)))
            return st;
        long lo = b.base[0], hi = b.base[0] + (long)b.shape[0] - 1;
        if (k < lo || k > hi) {
            if (name)
                return fail(E->err, n->kid[i]->line, n->kid[i]->col,
                            GC_EINVAL, "index %ld is out of range: %s has "
                            "%s %ld..%ld along this axis", k, name,
                            i == 1 ? "entries" : "indices", lo, hi);
            return fail(E->err, n->kid[i]->line, n->kid[i]->col, GC_EINVAL,
                        "index %ld is out of range: %s has indices "
                        "%ld..%ld along this axis", k,
                        describe(&b, d, sizeof d), lo, hi);
        }
        size_t stride = b.size / b.shape[0];
        b.v += (size_t)(k - lo) * stride;
        b.size = stride;
        for (int a = 1; a < b.rank; a++) {
            b.shape[a - 1] = b.shape[a];
            b.base[a - 1] = b.base[a];
        }
        b.rank--;
    }
    *out = b;
    return GC_OK;
}

static int eval_chain(ev *E, const node *n, val *out)
{
    val acc;
    int st = eval(E, n->kid[0], &acc);
    if (st) return st;
    int owned = 0;
    for (int i = 1; i < n->n; i++) {
        val t;
        if ((st = eval(E, n->kid[i], &t))) return st;
        int op = n->ops[i];
        if (n->k == N_ADD) op = op > 0 ? '+' : '-';
        if (op == '@') {
            val r;
            if ((st = matmul(E, n, n->oline[i], n->ocol[i], &acc, &t, &r)))
                return st;
            acc = r;
            owned = 1;
            continue;
        }
        int in_place = owned && (acc.rank || !t.rank);
        val r;
        if ((st = binary(E, n, n->oline[i], n->ocol[i], op, &acc, &t, &r,
                         in_place)))
            return st;
        acc = r;
        owned = 1;
    }
    *out = acc;
    return GC_OK;
}

static int eval(ev *E, const node *n, val *out)
{
    int st;
    if (++E->depth > GC_FX_MAX_EVAL_DEPTH) {
        E->depth--;
        return fail(E->err, n->line, n->col, GC_ELIMIT, "evaluation nested "
                    "more than %d levels deep (definitions using "
                    "definitions)", GC_FX_MAX_EVAL_DEPTH);
    }
    if ((st = charge(E, n, 1))) goto done;
    switch (n->k) {
    case N_NUM:
        st = scalar_val(E, n, n->num, out);
        break;
    case N_SLOT:
        st = scalar_val(E, n, E->P->slots[n->slot], out);
        break;
    case N_BLOCK: {
        const double *base = E->P->fam[n->fam];
        if (!base) {
            st = fail(E->err, n->line, n->col, GC_EINVAL, "the %s %s has no "
                      "value here", fam_noun(n->fam), n->name);
            break;
        }
        memset(out, 0, sizeof *out);
        out->rank = n->blk->rank;
        for (int i = 0; i < out->rank; i++) {
            out->shape[i] = n->blk->shape[i];
            out->base[i] = n->blk->base[i];
        }
        out->size = n->blk->size;
        out->v = (double *)(base + n->blk->offset);   /* read only */
        break;
    }
    case N_DEF:
        st = eval_def(E, n, out);
        break;
    case N_INDEX:
        st = eval_index(E, n, out);
        break;
    case N_NEG: {
        val a;
        if ((st = eval(E, n->kid[0], &a))) break;
        if ((st = new_val(E, n, a.rank, a.shape, a.base, out))) break;
        for (size_t i = 0; i < a.size; i++) out->v[i] = -a.v[i];
        break;
    }
    case N_ADD: case N_MUL:
        st = eval_chain(E, n, out);
        break;
    case N_POW: case N_CMP: {
        val a, b;
        if ((st = eval(E, n->kid[0], &a)) || (st = eval(E, n->kid[1], &b)))
            break;
        st = binary(E, n, n->line, n->col, n->k == N_POW ? '^' : n->op, &a,
                    &b, out, 0);
        break;
    }
    case N_CALL:
        st = call(E, n, out);
        break;
    case N_SUM:
        st = eval_sum(E, n, out);
        break;
    default:
        st = fail(E->err, n->line, n->col, GC_EINVAL, "internal: node %d",
                  n->k);
    }
done:
    E->depth--;
    return st;
}

/* ------------------------------------------------------------ statements */

static int grow(void **arr, size_t n, size_t elem)
{
    if (n & (n - 1)) return GC_OK;        /* not a power of two: room left */
    size_t cap = n ? 2 * n : 4;
    void *p = realloc(*arr, cap * elem);
    if (!p) return GC_ENOMEM;
    *arr = p;
    return GC_OK;
}

static int is_loss(const gc_fx_program *P, const char *name)
{
    const char *const *l = P->losses ? P->losses : default_losses;
    for (size_t i = 0; l[i]; i++)
        if (strcmp(l[i], name) == 0) return 1;
    return 0;
}

static void loss_list(const gc_fx_program *P, char *buf, size_t n)
{
    const char *const *l = P->losses ? P->losses : default_losses;
    buf[0] = 0;
    for (size_t i = 0; l[i]; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", i ? ", " : "", l[i]);
    }
}

/* Resolve "dX/dY" into a target; X is the loss or a quantity block, Y a
 * parameter or quantity block. */
static int resolve_target(const gc_problem *p, const char *x, const char *y,
                          const char *loss, int x_is_loss, gc_target *t,
                          char *msg, size_t n)
{
    memset(t, 0, sizeof *t);
    const gc_block *of = x_is_loss ? NULL
                                   : gc_blocks_find(&p->layout.quantities, x);
    const gc_block *wp = gc_blocks_find(&p->layout.params, y);
    const gc_block *wq = wp ? NULL : gc_blocks_find(&p->layout.quantities, y);
    if (!wp && !wq) {
        if (gc_blocks_find(&p->layout.inputs, y))
            snprintf(msg, n, "%s is an input of the case, not a parameter or "
                     "quantity: its derivative is not checked", y);
        else
            snprintf(msg, n, "%s is not a parameter or quantity of model %s",
                     y, p->model->name);
        return GC_ENOTFOUND;
    }
    t->wrt = wp ? wp : wq;
    t->wrt_param = wp != NULL;
    if (of) {
        t->kind = GC_TARGET_JACOBIAN;
        t->of = of;
        t->n = of->size * t->wrt->size;
        snprintf(t->key, sizeof t->key, "d%s/d%s", x, y);
    } else {
        t->kind = wp ? GC_TARGET_PARAM : GC_TARGET_QUANTITY;
        t->n = t->wrt->size;
        snprintf(t->key, sizeof t->key, "d%s/d%s", loss, y);
    }
    return GC_OK;
}

/* "[2]" for a fixed index, "[:]" for a free one; free indices after the
 * last fixed one are left out, so dL/dv[i] is keyed dL/dv and dL/dx2[2]
 * dL/dx2[2]. */
static void key_suffix(char *buf, size_t n, int n_idx, const int *is_free,
                       const long *vals)
{
    int last = n_idx;
    while (last > 0 && is_free[last - 1]) last--;
    size_t l = 0;
    buf[0] = 0;
    for (int a = 0; a < last && l < n; a++)
        l += (size_t)(is_free[a] ? snprintf(buf + l, n - l, "[:]")
                                 : snprintf(buf + l, n - l, "[%ld]", vals[a]));
}

/* One name and its index suffix of a key: "x2[2]", "W[:][1]". */
static int key_part(const char *s, size_t len, char *name, int *n_idx,
                    int *is_free, long *vals)
{
    size_t i = 0;
    while (i < len && s[i] != '[') i++;
    if (i == 0 || i >= GC_NAME_MAX) return -1;
    memcpy(name, s, i);
    name[i] = 0;
    *n_idx = 0;
    while (i < len) {
        if (s[i] != '[' || *n_idx >= GC_MAX_RANK) return -1;
        i++;
        if (i < len && s[i] == ':') {
            is_free[*n_idx] = 1;
            vals[*n_idx] = 0;
            i++;
        } else {
            char *end;
            long v = strtol(s + i, &end, 10);
            if (end == s + i) return -1;
            is_free[*n_idx] = 0;
            vals[*n_idx] = v;
            i = (size_t)(end - s);
        }
        if (i >= len || s[i] != ']') return -1;
        i++;
        (*n_idx)++;
    }
    return 0;
}

static int check_fixed(const gc_block *b, int n_idx, const int *is_free,
                       const long *vals, char *msg, size_t n)
{
    if (n_idx > b->rank) {
        snprintf(msg, n, "%s has %d ind%s, found %d", b->name, b->rank,
                 b->rank == 1 ? "ex" : "ices", n_idx);
        return GC_EINVAL;
    }
    for (int a = 0; a < n_idx; a++) {
        long lo = b->base[a], hi = b->base[a] + (long)b->shape[a] - 1;
        if (!is_free[a] && (vals[a] < lo || vals[a] > hi)) {
            snprintf(msg, n, "index %ld is out of range: %s has indices "
                     "%ld..%ld along this axis", vals[a], b->name, lo, hi);
            return GC_EINVAL;
        }
    }
    return GC_OK;
}

int gc_target_parse(const gc_problem *p, const char *key, const char *loss,
                    const char *const *losses, gc_target *out, char *msg,
                    size_t n)
{
    const char *slash = strchr(key, '/');
    char x[GC_NAME_MAX], y[GC_NAME_MAX];
    int nx = 0, ny = 0, fx[GC_MAX_RANK + 1], fy[GC_MAX_RANK + 1];
    long vx[GC_MAX_RANK + 1], vy[GC_MAX_RANK + 1];
    if (key[0] != 'd' || !slash || slash[1] != 'd' ||
        key_part(key + 1, (size_t)(slash - key - 1), x, &nx, fx, vx) ||
        key_part(slash + 2, strlen(slash + 2), y, &ny, fy, vy)) {
        snprintf(msg, n, "\"%s\": expected dL/dBLOCK or dQUANTITY/dBLOCK, "
                 "optionally with indices ([2] or [:])", key);
        return GC_EINVAL;
    }
    const char *const *l = losses ? losses : default_losses;
    int x_loss = !gc_blocks_find(&p->layout.quantities, x);
    if (x_loss) {
        int ok = 0;
        for (size_t i = 0; l[i]; i++) ok |= strcmp(l[i], x) == 0;
        if (!ok) {
            snprintf(msg, n, "\"%s\": %s is neither the loss nor a quantity "
                     "of model %s", key, x, p->model->name);
            return GC_ENOTFOUND;
        }
        if (nx) {
            snprintf(msg, n, "\"%s\": the loss %s takes no indices", key, x);
            return GC_EINVAL;
        }
    }
    char m2[256];
    int st = resolve_target(p, x, y, loss ? loss : "L", x_loss, out, m2,
                            sizeof m2);
    if (!st && out->of) st = check_fixed(out->of, nx, fx, vx, m2, sizeof m2);
    if (!st) st = check_fixed(out->wrt, ny, fy, vy, m2, sizeof m2);
    if (st) {
        snprintf(msg, n, "\"%s\": %s", key, m2);
        return st;
    }
    char sx[48], sy[48];
    key_suffix(sx, sizeof sx, nx, fx, vx);
    key_suffix(sy, sizeof sy, ny, fy, vy);
    snprintf(out->key, sizeof out->key, "d%.31s%.47s/d%.31s%.47s",
             x_loss ? (loss ? loss : "L") : x, sx, y, sy);
    return GC_OK;
}

static answer *find_answer(gc_fx_program *P, const char *key)
{
    for (size_t i = 0; i < P->n_ans; i++)
        if (strcmp(P->ans[i].t.key, key) == 0) return &P->ans[i];
    return NULL;
}

static int add_note(gc_fx_program *P, const gc_error *e)
{
    if (grow((void **)&P->notes, P->n_notes, sizeof *P->notes))
        return GC_ENOMEM;
    P->notes[P->n_notes++] = *e;
    return GC_OK;
}

/* The name of entry (of_i, wrt_k) of a target, for messages. */
static void target_entry_name(const gc_fx_program *P, const gc_target *t,
                              size_t flat, char *buf, size_t n)
{
    const gc_layout *L = &P->p->layout;
    const gc_blocks *wf = t->wrt_param ? &L->params : &L->quantities;
    char w[64], o[64];
    size_t k = flat % t->wrt->size, i = flat / t->wrt->size;
    gc_entry_name(wf, t->wrt->offset + k, w, sizeof w);
    if (t->kind == GC_TARGET_JACOBIAN) {
        gc_entry_name(&L->quantities, t->of->offset + i, o, sizeof o);
        snprintf(buf, n, "d%s/d%s", o, w);
    } else {
        snprintf(buf, n, "%.*s%s", (int)(strchr(t->key, '/') - t->key + 2),
                 t->key, w);
    }
}

/* Visit every combination of the statement's indexed axes: calls fn with
 * the flat offset of the first covered entry block. */
typedef struct {
    size_t n_ax;
    size_t len[2 * GC_MAX_RANK];      /* values along each indexed axis */
    long first[2 * GC_MAX_RANK];      /* homework index of the first */
    size_t cur[2 * GC_MAX_RANK];
} odometer;

static void odo_init(odometer *o, const gc_target *t, const statement *s)
{
    memset(o, 0, sizeof *o);
    o->n_ax = (size_t)(s->n_of + s->n_wrt);
    for (int a = 0; a < s->n_of + s->n_wrt; a++) {
        const gc_block *b = a < s->n_of ? t->of : t->wrt;
        int ax = a < s->n_of ? a : a - s->n_of;
        if (s->slot[a] < 0) {
            o->len[a] = 1;
            o->first[a] = s->fixed[a];
        } else {
            o->len[a] = b->shape[ax];
            o->first[a] = b->base[ax];
        }
    }
}

static int odo_next(odometer *o)
{
    for (size_t a = o->n_ax; a-- > 0;) {
        if (++o->cur[a] < o->len[a]) return 1;
        o->cur[a] = 0;
    }
    return 0;
}

/* The entries one combination covers: the remaining (trailing) axes of
 * `of` times those of `wrt`, row-major.  *of_lin and *w_lin are the flat
 * indices, within `of` and `wrt`, of the first covered entry; entry (r, k)
 * of the combination is target entry (of_lin + r) * size(wrt) + w_lin + k. */
static void combo_entries(const gc_target *t, const statement *s,
                          const odometer *o, size_t *of_lin, size_t *of_rest,
                          size_t *w_lin, size_t *w_rest)
{
    size_t ol = 0, orest = 1, wl = 0, wrest = 1;
    if (t->of) {
        for (int a = 0; a < t->of->rank; a++) {
            if (a < s->n_of) {
                size_t i = (size_t)(o->first[a] - t->of->base[a]) + o->cur[a];
                ol = ol * t->of->shape[a] + i;
            } else {
                ol *= t->of->shape[a];
                orest *= t->of->shape[a];
            }
        }
    }
    for (int a = 0; a < t->wrt->rank; a++) {
        int k = s->n_of + a;
        if (a < s->n_wrt) {
            size_t i = (size_t)(o->first[k] - t->wrt->base[a]) + o->cur[k];
            wl = wl * t->wrt->shape[a] + i;
        } else {
            wl *= t->wrt->shape[a];
            wrest *= t->wrt->shape[a];
        }
    }
    *of_lin = ol;
    *of_rest = orest;
    *w_lin = wl;
    *w_rest = wrest;
}

/* Parse one index list [a][b, c] on the left-hand side. */
typedef struct {
    int n;
    int is_name[GC_MAX_RANK + 1];
    char name[GC_MAX_RANK + 1][GC_NAME_MAX];
    long value[GC_MAX_RANK + 1];
    long line[GC_MAX_RANK + 1], col[GC_MAX_RANK + 1];
} lhs_indices;

static int parse_lhs_indices(parser *ps, lhs_indices *ix, int names_only)
{
    int st;
    ix->n = 0;
    while (ps->lx.t.k == T_LB) {
        if ((st = lex(&ps->lx))) return st;
        for (;;) {
            token t = ps->lx.t;
            if (ix->n > GC_MAX_RANK)
                return fail(ps->err, t.line, t.col, GC_EINVAL, "more than %d "
                            "indices", GC_MAX_RANK);
            int neg = 0;
            if (!names_only && t.k == T_OP && t.op == '-') {
                neg = 1;
                if ((st = lex(&ps->lx))) return st;
                t = ps->lx.t;
            }
            if (t.k == T_NAME && !neg) {
                ix->is_name[ix->n] = 1;
                snprintf(ix->name[ix->n], GC_NAME_MAX, "%s", t.name);
            } else if (t.k == T_NUM && !names_only && t.integer &&
                       t.num <= 1e9) {
                ix->is_name[ix->n] = 0;
                ix->value[ix->n] = neg ? -(long)t.num : (long)t.num;
            } else {
                return expect(ps, -1, names_only
                              ? "an index name such as i or k"
                              : "an index name (i, k) or a whole number");
            }
            ix->line[ix->n] = t.line;
            ix->col[ix->n] = t.col;
            ix->n++;
            if ((st = lex(&ps->lx))) return st;
            if (ps->lx.t.k != T_COMMA) break;
            if ((st = lex(&ps->lx))) return st;
        }
        if ((st = expect(ps, T_RB, "']' or ','"))) return st;
    }
    return GC_OK;
}

/* Bind a side's indices: free names get slots, numbers are checked
 * against the block's range. */
static int bind_indices(parser *ps, const lhs_indices *ix,
                        const gc_block *b, const char *side, statement *s,
                        int at)
{
    int st;
    if (ix->n > b->rank)
        return fail(ps->err, ix->line[ix->n - 1], ix->col[ix->n - 1],
                    GC_EINVAL, "%s has %d ind%s, found %d", b->name, b->rank,
                    b->rank == 1 ? "ex" : "ices", ix->n);
    (void)side;
    for (int a = 0; a < ix->n; a++) {
        if (ix->is_name[a]) {
            if ((st = check_new_index(ps, ix->name[a], ix->line[a],
                                      ix->col[a])))
                return st;
            if ((st = push_index(ps, ix->name[a], &s->slot[at + a])))
                return st;
        } else {
            long lo = b->base[a], hi = b->base[a] + (long)b->shape[a] - 1;
            if (ix->value[a] < lo || ix->value[a] > hi)
                return fail(ps->err, ix->line[a], ix->col[a], GC_EINVAL,
                            "index %ld is out of range: %s has indices "
                            "%ld..%ld along this axis", ix->value[a], b->name,
                            lo, hi);
            s->slot[at + a] = -1;
            s->fixed[at + a] = ix->value[a];
        }
    }
    return GC_OK;
}

/* One statement: text[0..len) starting at (line, col) of the file. */
static int compile_statement(gc_fx_program *P, const char *text, size_t len,
                             long line, long col)
{
    gc_error err;
    memset(&err, 0, sizeof err);
    snprintf(err.file, sizeof err.file, "%s", P->file);
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.P = P;
    ps.err = &err;
    ps.lx.s = text;
    ps.lx.end = text + len;
    ps.lx.line = line;
    ps.lx.col = col;
    ps.lx.err = &err;
    ps.n_defs_visible = (int)P->n_defs;
    answer *A = NULL;
    definition *D = NULL;
    statement *S = NULL;
    int st;

    if ((st = lex(&ps.lx))) goto bad;
    token first = ps.lx.t;
    if (first.k != T_NAME) {
        st = expect(&ps, -1, "an answer dL/dv = ... or a definition "
                    "name = ...");
        goto bad;
    }
    if ((st = lex(&ps.lx))) goto bad;
    lhs_indices ix1, ix2;
    memset(&ix2, 0, sizeof ix2);
    token second;
    memset(&second, 0, sizeof second);
    int is_answer = 0;
    {
        /* look ahead: an answer has a '/' before the '=' */
        lexer save = ps.lx;
        if ((st = parse_lhs_indices(&ps, &ix1, 0))) goto bad;
        if (ps.lx.t.k == T_OP && ps.lx.t.op == '/') is_answer = 1;
        else {
            ps.lx = save;
            if ((st = parse_lhs_indices(&ps, &ix1, 1))) goto bad;
        }
    }

    if (is_answer) {
        if ((st = lex(&ps.lx))) goto bad;
        second = ps.lx.t;
        if (second.k != T_NAME) {
            st = expect(&ps, -1, "dv after dL/ (the block differentiated "
                        "with respect to)");
            goto bad;
        }
        if ((st = lex(&ps.lx))) goto bad;
        if ((st = parse_lhs_indices(&ps, &ix2, 0))) goto bad;
        if (first.name[0] != 'd' || !first.name[1] || second.name[0] != 'd' ||
            !second.name[1]) {
            st = fail(&err, first.line, first.col, GC_EINVAL, "expected "
                      "dL/dv, dL/dv[i] or dq[i]/dv[j] on the left (d "
                      "glued to the names), found %s/%s", first.name,
                      second.name);
            goto bad;
        }
        const char *x = first.name + 1, *y = second.name + 1;
        int x_loss = !gc_blocks_find(&P->p->layout.quantities, x);
        if (x_loss && !is_loss(P, x)) {
            char ll[128];
            loss_list(P, ll, sizeof ll);
            st = fail(&err, first.line, first.col + 1, GC_EINVAL, "%s is "
                      "neither a name of the loss (%s; a 'loss:' line adds "
                      "one) nor a quantity of model %s", x, ll,
                      P->p->model->name);
            goto bad;
        }
        gc_target t;
        char msg[256];
        if (resolve_target(P->p, x, y, P->loss, x_loss, &t, msg, sizeof msg)) {
            st = fail(&err, second.line, second.col + 1, GC_EINVAL, "%s",
                      msg);
            goto bad;
        }
        if (t.n > GC_FX_MAX_TENSOR) {
            st = fail(&err, first.line, first.col, GC_ELIMIT, "%s has more "
                      "than %zu entries (GC_FX_MAX_TENSOR)", t.key,
                      (size_t)GC_FX_MAX_TENSOR);
            goto bad;
        }
        /* the answer it belongs to: target and fixed indices */
        {
            int f1[GC_MAX_RANK + 1], f2[GC_MAX_RANK + 1];
            char sx[48], sy[48];
            for (int a = 0; a < ix1.n; a++) f1[a] = ix1.is_name[a];
            for (int a = 0; a < ix2.n; a++) f2[a] = ix2.is_name[a];
            key_suffix(sx, sizeof sx, ix1.n, f1, ix1.value);
            key_suffix(sy, sizeof sy, ix2.n, f2, ix2.value);
            char *slash = strchr(t.key, '/');
            char head[GC_NAME_MAX + 2];
            snprintf(head, sizeof head, "%.*s", (int)(slash - t.key), t.key);
            snprintf(t.key, sizeof t.key, "%.32s%.47s/d%.31s%.47s", head, sx,
                     y, sy);
        }
        A = find_answer(P, t.key);
        if (!A) {
            if (grow((void **)&P->ans, P->n_ans, sizeof *P->ans)) {
                st = GC_ENOMEM;
                goto fatal;
            }
            A = &P->ans[P->n_ans++];
            memset(A, 0, sizeof *A);
            A->t = t;
            A->line = first.line;
            A->given = calloc(t.n ? t.n : 1, sizeof *A->given);
            if (!A->given) { st = GC_ENOMEM; goto fatal; }
        }
        if (x_loss && ix1.n) {
            st = fail(&err, ix1.line[0], ix1.col[0], GC_EINVAL, "the loss "
                      "%s is a scalar: write d%s/%s[i], not d%s[...]/...", x,
                      x, second.name, x);
            goto bad;
        }
        S = arena_alloc(&P->nodes, sizeof *S);
        if (!S) { st = GC_ENOMEM; goto fatal; }
        memset(S, 0, sizeof *S);
        S->line = first.line;
        S->n_of = ix1.n;
        S->n_wrt = ix2.n;
        if (t.of && (st = bind_indices(&ps, &ix1, t.of, "of", S, 0)))
            goto bad;
        if ((st = bind_indices(&ps, &ix2, t.wrt, "wrt", S, ix1.n))) goto bad;
        if ((st = expect(&ps, T_ASSIGN, "'=' after the left-hand side")))
            goto bad;
        if (len > GC_FX_MAX_STATEMENT) {
            st = fail(&err, first.line, first.col, GC_ELIMIT, "the statement "
                      "has %zu characters, more than %d (GC_FX_MAX_STATEMENT)",
                      len, GC_FX_MAX_STATEMENT);
            goto bad;
        }
        if ((st = parse_expr(&ps, &S->body))) goto bad;
        if (ps.lx.t.k != T_END) {
            st = expect(&ps, -1, "an operator or the end of the formula");
            goto bad;
        }
        /* the entries it gives: each at most once across statements */
        odometer o;
        odo_init(&o, &A->t, S);
        do {
            size_t ol, orest, wl, wrest;
            combo_entries(&A->t, S, &o, &ol, &orest, &wl, &wrest);
            for (size_t i = 0; i < orest; i++)
                for (size_t k = 0; k < wrest; k++) {
                    size_t flat = (ol + i) * A->t.wrt->size + wl + k;
                    if (A->given[flat]) {
                        char en[160];
                        target_entry_name(P, &A->t, flat, en, sizeof en);
                        st = fail(&err, first.line, first.col, GC_EINVAL,
                                  "%s is already given on line %ld", en,
                                  A->given[flat]);
                        goto bad;
                    }
                    A->given[flat] = first.line;
                }
        } while (odo_next(&o));
        if (grow((void **)&A->st, A->n_st, sizeof *A->st)) {
            st = GC_ENOMEM;
            goto fatal;
        }
        A->st[A->n_st++] = S;
        return GC_OK;
    }

    /* a definition: name[i][j] = expr */
    if (grow((void **)&P->defs, P->n_defs, sizeof *P->defs)) {
        st = GC_ENOMEM;
        goto fatal;
    }
    D = &P->defs[P->n_defs++];
    memset(D, 0, sizeof *D);
    snprintf(D->name, sizeof D->name, "%s", first.name);
    D->line = first.line;
    D->broken = 1;            /* until it compiles */
    D->gen = (unsigned)-1;
    {
        int fam;
        if (find_def(P, first.name, (int)P->n_defs - 1) >= 0) {
            D->name[0] = 0;   /* the first definition keeps the name */
            st = fail(&err, first.line, first.col, GC_EINVAL, "%s is defined "
                      "twice", first.name);
            goto bad;
        }
        if (find_block(P->p, first.name, &fam) ||
            find_dim(P->p, first.name) >= 0 || builtin_find(first.name) >= 0 ||
            strcmp(first.name, "pi") == 0) {
            D->name[0] = 0;
            st = fail(&err, first.line, first.col, GC_EINVAL, "%s is already "
                      "%s: choose another name", first.name,
                      builtin_find(first.name) >= 0 ? "a function"
                      : find_block(P->p, first.name, &fam)
                          ? "a block of the model" : "a dimension or pi");
            goto bad;
        }
    }
    if (ps.lx.t.k != T_ASSIGN) {
        st = expect(&ps, T_ASSIGN, "'=' (a definition name = ..., or an "
                    "answer dL/dv = ...)");
        goto bad;
    }
    D->n_params = ix1.n;
    for (int a = 0; a < ix1.n; a++) {
        if ((st = check_new_index(&ps, ix1.name[a], ix1.line[a], ix1.col[a])))
            goto bad;
        if ((st = push_index(&ps, ix1.name[a], &D->slot[a]))) goto bad;
    }
    if ((st = lex(&ps.lx))) goto bad;
    if (len > GC_FX_MAX_STATEMENT) {
        st = fail(&err, first.line, first.col, GC_ELIMIT, "the statement "
                  "has %zu characters, more than %d (GC_FX_MAX_STATEMENT)",
                  len, GC_FX_MAX_STATEMENT);
        goto bad;
    }
    ps.n_defs_visible = (int)P->n_defs - 1;    /* not itself */
    if ((st = parse_expr(&ps, &D->body))) goto bad;
    if (ps.lx.t.k != T_END) {
        st = expect(&ps, -1, "an operator or the end of the formula");
        goto bad;
    }
    D->broken = 0;
    return GC_OK;

bad:
    if (st == GC_ENOMEM) goto fatal;
    if (A) {
        if (!A->bad) {
            A->bad = 1;
            A->err = err;
        }
        return GC_OK;
    }
    if (D) D->line = first.line;
    return add_note(P, &err);
fatal:
    return GC_ENOMEM;
}

static int line_blank(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r')) s++;
    return s == end || *s == '#' || *s == '\n';
}

static size_t indent_of(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && (s[n] == ' ' || s[n] == '\t')) n++;
    return n;
}

int gc_fx_compile(const gc_problem *p, const char *file, const char *text,
                  size_t len, const char *loss, const char *const *losses,
                  gc_fx_program **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "formula");
    if (len > GC_SUB_MAX_BYTES)
        return fail(err, 0, 0, GC_ELIMIT, "the submission has %zu bytes, more "
                    "than %zu (GC_SUB_MAX_BYTES)", len,
                    (size_t)GC_SUB_MAX_BYTES);
    gc_fx_program *P = calloc(1, sizeof *P);
    if (!P) return GC_ENOMEM;
    P->p = p;
    snprintf(P->file, sizeof P->file, "%s", err->file);
    P->loss = loss ? loss : "L";
    P->losses = losses;

    /* Statements: a line at the indentation of the statement's first line
     * starts a new one; more indented lines continue it. */
    const char *s = text, *end = text + len;
    long line = 1, count = 0;
    int st = GC_OK;
    while (s < end && !st) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol) eol = end;
        if (line_blank(s, eol)) {
            s = eol < end ? eol + 1 : end;
            line++;
            continue;
        }
        size_t ind = indent_of(s, eol);
        const char *start = s + ind, *stop = eol;
        long first_line = line;
        s = eol < end ? eol + 1 : end;
        line++;
        while (s < end) {
            const char *e2 = memchr(s, '\n', (size_t)(end - s));
            if (!e2) e2 = end;
            if (!line_blank(s, e2) && indent_of(s, e2) <= ind) break;
            stop = e2;
            s = e2 < end ? e2 + 1 : end;
            line++;
        }
        if (++count > GC_SUB_MAX_STATEMENTS) {
            st = fail(err, first_line, 1, GC_ELIMIT, "more than %d statements "
                      "(GC_SUB_MAX_STATEMENTS)", GC_SUB_MAX_STATEMENTS);
            break;
        }
        st = compile_statement(P, start, (size_t)(stop - start), first_line,
                               (long)ind + 1);
    }
    if (st) {
        if (st == GC_ENOMEM) snprintf(err->msg, sizeof err->msg,
                                      "out of memory");
        gc_fx_program_free(P);
        return st;
    }
    P->slots = calloc(P->n_slots ? (size_t)P->n_slots : 1, sizeof *P->slots);
    if (!P->slots) {
        gc_fx_program_free(P);
        return GC_ENOMEM;
    }
    *out = P;
    return GC_OK;
}

void gc_fx_program_free(gc_fx_program *P)
{
    if (!P) return;
    for (size_t i = 0; i < P->n_ans; i++) {
        free(P->ans[i].st);
        free(P->ans[i].given);
    }
    free(P->ans);
    free(P->defs);
    free(P->notes);
    free(P->slots);
    arena_clear(&P->nodes);
    arena_clear(&P->point);
    arena_clear(&P->scratch);
    free(P);
}

size_t gc_fx_n_answers(const gc_fx_program *P) { return P->n_ans; }

const gc_target *gc_fx_answer_target(const gc_fx_program *P, size_t i)
{
    return i < P->n_ans ? &P->ans[i].t : NULL;
}

long gc_fx_answer_line(const gc_fx_program *P, size_t i)
{
    return i < P->n_ans ? P->ans[i].line : 0;
}

const gc_error *gc_fx_answer_error(const gc_fx_program *P, size_t i)
{
    return i < P->n_ans && P->ans[i].bad ? &P->ans[i].err : NULL;
}

size_t gc_fx_n_notes(const gc_fx_program *P) { return P->n_notes; }

const gc_error *gc_fx_note(const gc_fx_program *P, size_t i)
{
    return i < P->n_notes ? &P->notes[i] : NULL;
}

void gc_fx_set_point(gc_fx_program *P, const double *theta, const double *q)
{
    P->fam[FAM_PARAM] = theta;
    P->fam[FAM_INPUT] = P->p->inputs;
    P->fam[FAM_QUANTITY] = q;
    P->gen++;
    if (P->gen == (unsigned)-1) P->gen = 0;
    arena_clear(&P->point);
    P->point.over = 0;
}

/* The value v, computed for one combination, against the entries it must
 * give: the remaining axes of `of` then of `wrt`.  Axes of length 1 may
 * be left out or added (a 3-vector for a 3 x 1 matrix), and a Jacobian may
 * also come as the size(of) x size(wrt) matrix. */
static int fits(const val *v, const gc_target *t, const statement *s,
                size_t orest, size_t wrest)
{
    if (v->size != orest * wrest) return 0;
    size_t want[2 * GC_MAX_RANK];
    int n = 0;
    if (t->of)
        for (int a = s->n_of; a < t->of->rank; a++)
            if (t->of->shape[a] != 1) want[n++] = t->of->shape[a];
    for (int a = s->n_wrt; a < t->wrt->rank; a++)
        if (t->wrt->shape[a] != 1) want[n++] = t->wrt->shape[a];
    int m = 0, ok = 1;
    for (int a = 0; a < v->rank; a++) {
        if (v->shape[a] == 1) continue;
        if (m >= n || v->shape[a] != want[m]) { ok = 0; break; }
        m++;
    }
    if (ok && m == n) return 1;
    /* the flattened Jacobian matrix */
    return t->of && v->rank == 2 && v->shape[0] == orest &&
           v->shape[1] == wrest;
}

static void want_text(const gc_target *t, const statement *s, char *buf,
                      size_t n)
{
    val w = {0};
    if (t->of)
        for (int a = s->n_of; a < t->of->rank; a++)
            w.shape[w.rank++] = t->of->shape[a];
    for (int a = s->n_wrt; a < t->wrt->rank && w.rank < GC_FX_MAX_RANK; a++)
        w.shape[w.rank++] = t->wrt->shape[a];
    describe(&w, buf, n);
}

int gc_fx_answer_eval(gc_fx_program *P, size_t i, double *values,
                      gc_error *err)
{
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", P->file);
    if (i >= P->n_ans) return GC_EINVAL;
    answer *A = &P->ans[i];
    if (A->bad) { *err = A->err; return GC_EINVAL; }
    for (size_t k = 0; k < A->t.n; k++) values[k] = NAN;
    ev E = {.P = P, .err = err};
    int st = GC_OK;
    for (size_t si = 0; si < A->n_st && !st; si++) {
        statement *S = A->st[si];
        odometer o;
        odo_init(&o, &A->t, S);
        do {
            for (size_t a = 0; a < o.n_ax; a++)
                if (S->slot[a] >= 0)
                    P->slots[S->slot[a]] = (double)(o.first[a] +
                                                    (long)o.cur[a]);
            arena_mark m = arena_save(&P->scratch);
            val v;
            if ((st = eval(&E, S->body, &v))) break;
            size_t ol, orest, wl, wrest;
            combo_entries(&A->t, S, &o, &ol, &orest, &wl, &wrest);
            if (!fits(&v, &A->t, S, orest, wrest)) {
                char d1[96], d2[96];
                want_text(&A->t, S, d2, sizeof d2);
                st = fail(err, S->body->line, S->body->col, GC_EINVAL,
                          "the formula gives %s where %s%s needs %s%s",
                          describe(&v, d1, sizeof d1), A->t.key,
                          o.n_ax ? " per entry" : "", d2,
                          o.n_ax || !A->t.wrt->rank ? ""
                          : " (or write one entry: ...[i] = ...)");
                break;
            }
            size_t e = 0;
            for (size_t r = 0; r < orest; r++)
                for (size_t k = 0; k < wrest; k++, e++) {
                    size_t flat = (ol + r) * A->t.wrt->size + wl + k;
                    values[flat] = v.v[e];
                    if (!isfinite(v.v[e])) {
                        char en[160];
                        target_entry_name(P, &A->t, flat, en, sizeof en);
                        st = fail(err, S->line, 1, GC_EINVAL, "%s evaluates "
                                  "to %s", en, isnan(v.v[e]) ? "NaN"
                                  : "an infinity");
                        break;
                    }
                }
            arena_restore(&P->scratch, m);
            if (st) break;
        } while (odo_next(&o));
    }
    arena_clear(&P->scratch);
    P->scratch.over = 0;
    return st;
}

/* ------------------------------------------------------------ one expression */

void gc_fx_value_free(gc_fx_value *v)
{
    if (!v) return;
    free(v->v);
    v->v = NULL;
}

int gc_fx_eval(const gc_problem *p, const double *theta, const double *q,
               const char *expr, gc_fx_value *out, gc_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "formula");
    size_t len = strlen(expr);
    if (len > GC_FX_MAX_STATEMENT)
        return fail(err, 1, 1, GC_ELIMIT, "the formula has %zu characters, "
                    "more than %d (GC_FX_MAX_STATEMENT)", len,
                    GC_FX_MAX_STATEMENT);
    gc_fx_program *P = calloc(1, sizeof *P);
    if (!P) return GC_ENOMEM;
    P->p = p;
    snprintf(P->file, sizeof P->file, "formula");
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.P = P;
    ps.err = err;
    ps.lx.s = expr;
    ps.lx.end = expr + len;
    ps.lx.line = 1;
    ps.lx.col = 1;
    ps.lx.err = err;
    node *root = NULL;
    int st = lex(&ps.lx);
    if (!st) st = parse_expr(&ps, &root);
    if (!st && ps.lx.t.k != T_END)
        st = expect(&ps, -1, "an operator or the end of the formula");
    if (!st) {
        P->slots = calloc((size_t)P->n_slots + 1, sizeof *P->slots);
        if (!P->slots) st = GC_ENOMEM;
    }
    if (!st) {
        gc_fx_set_point(P, theta, q);
        ev E = {.P = P, .err = err};
        val v;
        st = eval(&E, root, &v);
        if (!st) {
            *out = v;
            out->v = malloc((v.size ? v.size : 1) * sizeof *out->v);
            if (!out->v) st = GC_ENOMEM;
            else memcpy(out->v, v.v, v.size * sizeof *out->v);
        }
    }
    if (st == GC_ENOMEM && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "out of memory");
    gc_fx_program_free(P);
    return st;
}
