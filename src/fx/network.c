/* network.c: networks written in the case file (README "Check your own
 * derivation", docs/case-files.md "Networks").
 *
 * A case's network: section names dims, parameter and input blocks (with
 * the first index of each axis) and a forward pass written in the formula
 * language, one definition per line, the last being the loss:
 *
 *   s1 = W1 @ x + b1
 *   a1 = relu(s1)
 *   h[t] = tanh(U @ x[t] + if(t == 1, zeros(n), W @ h[t-1]))
 *   L = 0.5 dot(s2 - y, s2 - y)
 *
 * It becomes a runtime model: a gc_model_type like the compiled ones (the
 * engine, runs, reports, golden files, screening and grading see nothing
 * else), whose forward() evaluates the definitions with the formula
 * language's evaluator.  Every definition but the loss is a quantity of
 * the layout: plain ones with the shape of their value, indexed ones
 * (recurrences) with one leading axis per index, time-major, over the
 * indices the pass evaluates at the case's own point.  Shapes and index
 * ranges are found by running the pass once when the case is read; the
 * order in which that pass completed the entries of the definitions is
 * kept, and later passes compute the entries in that order, so a
 * recurrence over many steps never recurses deeply after the first pass.
 *
 * Taps: the store hook of the evaluator sees each definition's value as
 * soon as it is computed; it adds the tap's delta to the entry tapped
 * (every later use sees the perturbed value) and copies the value into the
 * quantity vector.
 *
 * Threads: forward() is called from every thread of a check.  A compiled
 * program holds the evaluator's arenas and memo tables, so each thread
 * takes a program of its own from a pool (a mutex around taking and giving
 * back; a new one is compiled from the same text when all are busy).
 *
 * Derivations are formula programs compiled against the full problem
 * (parameters, inputs and the quantities); their answers become the
 * callbacks of a gc_derivation_type.  Those callbacks receive only the
 * problem, not the derivation, so each derivation slot has its own small
 * trampoline functions (NET_MAX_DERIVS of them, and NET_MAX_JACOBIANS for
 * Jacobian blocks): the price of using the compiled models' derivation type
 * unchanged.  Derivations are evaluated on the calling thread only.
 */
#include "fx/network.h"
#include "fx/fx.h"
#include "fx/fx_impl.h"
#include "fx/tape.h"
#include "gradcheck/exec.h"
#include "gradcheck/layout.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAX_DERIVS 16      /* derivations of one network case */
#define NET_MAX_JACOBIANS 32   /* Jacobian blocks of one network case */
#define NET_MAX_HESSIANS 16    /* Hessian blocks of one network case */

typedef struct {
    size_t def;
    long idx[GC_MAX_RANK];
} net_step;

typedef struct {
    int n_idx;
    int seen;
    int vrank;
    size_t vshape[GC_FX_MAX_RANK];
    int vbase[GC_FX_MAX_RANK];
    long lo[GC_MAX_RANK], hi[GC_MAX_RANK];
    int qblock;              /* quantity block, -1 for the loss */
    size_t inner;            /* entries of one value */
} net_def;

typedef struct {
    gc_fx_program *prog;
    double *q;
    int busy;
    /* the last untapped pass at base_theta: its quantities, for tapped
     * passes at the same point (localisation) */
    double *base_theta, *base_q;
    int have_base;
    fx_tape_cursor cur;      /* one-copy replays of the tape (work NULL
                                until the tape is recorded) */
} net_inst;

/* A Jacobian block: all answers d(of)/d(wrt) of one derivation. */
typedef struct {
    size_t deriv;
    const gc_block *of, *wrt;
} net_jac;

typedef struct {
    gc_derivation_type type;
    char name[GC_NAME_MAX * 2];
    char *summary;
    gc_fx_program *prog;
    const char *covers[GC_MAX_BLOCKS + 1];
    const char *covers_q[GC_MAX_BLOCKS + 1];
    gc_jacobian jac[NET_MAX_JACOBIANS + 1];
    gc_jacobian hess[NET_MAX_HESSIANS + 1];
    unsigned char *given;    /* claims_params, then claims_quantities; NULL
                                when every answered block is whole */
    char *file;              /* where the formulas are (messages) */
    gc_net_pos pos;
} net_deriv;

struct gc_net {
    gc_model_type type;      /* first: p->model points here */
    char name[128];
    char *title;
    char source[600];
    gc_dim dims[GC_MAX_DIMS + 1];
    char dim_names[GC_MAX_DIMS][GC_NAME_MAX];
    int n_dims;
    gc_problem bare;         /* parameters and inputs only: what the
                                forward program is compiled against */
    char *file;              /* the case file, for messages */
    char *text;              /* the forward: text */
    size_t len;
    gc_net_pos pos;
    net_def *defs;
    size_t n_defs, loss;
    net_step *order;         /* entries in the order the first pass
                                completed them */
    size_t n_order, cap_order;
    size_t *soff;            /* per step: its value's offset in the
                                quantity vector, or NO_OFF (the loss) */
    size_t *qpos;            /* per quantity entry: the step storing it,
                                n_order if none */
    const gc_problem *prob;  /* the full problem (with quantities) */
    pthread_mutex_t mu;
    pthread_cond_t freed;    /* an instance was given back */
    net_inst *inst;          /* cap_inst of them, never moved */
    size_t n_inst, cap_inst;
    net_deriv *derivs[NET_MAX_DERIVS];
    size_t n_derivs;
    const gc_derivation_type *dlist[NET_MAX_DERIVS + 1];
    net_jac jmap[NET_MAX_JACOBIANS];
    size_t n_jac;
    net_jac hmap[NET_MAX_HESSIANS];
    size_t n_hess;
    fx_tape *tape;           /* the pass at the case's point as primitive
                                operations (tape.c), or NULL: no batched
                                forward pass */
    double *qd, *vals;       /* derivations' scratch (calling thread) */
    size_t n_vals;
    char dwhy[400];          /* why the last derivation call left an
                                entry not finite, or "" */
};


/* A position inside a formula text to the case file's. */
static void map_pos(const gc_net_pos *pos, gc_error *err)
{
    if (!pos || err->line <= 0) return;
    if (pos->cols && pos->n_cols && err->line == 1 && err->column > 0) {
        size_t c = (size_t)err->column - 1;     /* an escape's width */
        err->column = c < pos->n_cols ? pos->cols[c]
                      : pos->cols[pos->n_cols - 1] + (long)(c + 1 -
                                                            pos->n_cols);
        err->line = pos->line;
        return;
    }
    err->line = pos->line + err->line - 1;
    err->column = pos->column + (err->column > 0 ? err->column - 1 : 0);
}

/* A copy of pos's column map for dst (the network's own), or none. */
static int keep_pos(gc_net_pos *dst, const gc_net_pos *pos)
{
    *dst = *pos;
    dst->cols = NULL;
    if (!pos->cols || !pos->n_cols) { dst->n_cols = 0; return GC_OK; }
    long *c = malloc(pos->n_cols * sizeof *c);
    if (!c) return GC_ENOMEM;
    memcpy(c, pos->cols, pos->n_cols * sizeof *c);
    dst->cols = c;
    return GC_OK;
}

static void set_file(gc_error *err, const char *file)
{
    snprintf(err->file, sizeof err->file, "%s", file);
}

/* ------------------------------------------------------------ building */

static int net_layout(const long *dims, gc_layout *out)
{
    (void)dims;
    (void)out;
    return GC_EINVAL;        /* built from its case file, never by dims */
}

static double net_forward(const gc_problem *p, const double *theta,
                          const gc_tap *tap, double *q, double *work);
static size_t net_batch_work(const gc_problem *p, size_t n_copies);
static int net_forward_batch(const gc_problem *p, const double *theta,
                             const size_t *k, const double *x, size_t nc,
                             double *losses, double *work);
static int net_forward_batch_tap(const gc_problem *p, const double *theta,
                                 const gc_tap *taps, size_t nc,
                                 double *losses, double *work);
static int net_forward_batch_dir(const gc_problem *p, const double *theta,
                                 const size_t *a, const size_t *len,
                                 const double *const *v, const double *t,
                                 size_t n_all, double *losses, double *work);
static int net_why(const gc_problem *p, const double *theta,
                   const gc_tap *tap, char *msg, size_t len);
static int d_why(const gc_problem *p, char *msg, size_t len);

int gc_net_alloc(const char *name, const char *title, const char *file,
                 gc_net **out)
{
    *out = NULL;
    gc_net *n = calloc(1, sizeof *n);
    if (!n) return GC_ENOMEM;
    /* the model's name is also a C identifier (the C submission API:
     * NAME_gradient, NAME_in): other characters become '_' */
    snprintf(n->name, sizeof n->name, "%s%s",
             isdigit((unsigned char)name[0]) ? "n_" : "", name);
    for (char *p = n->name; *p; p++)
        if (!isalnum((unsigned char)*p)) *p = '_';
    n->title = strdup(title ? title : name);
    n->file = strdup(file);
    if (!n->title || !n->file || pthread_mutex_init(&n->mu, NULL) ||
        (pthread_cond_init(&n->freed, NULL) &&
         (pthread_mutex_destroy(&n->mu), 1))) {
        free(n->title);
        free(n->file);
        free(n);
        return GC_ENOMEM;
    }
    snprintf(n->source, sizeof n->source, "the network: section of %s",
             file);
    n->type.name = n->name;
    n->type.title = n->title;
    n->type.source = n->source;
    n->type.dims = n->dims;
    n->type.layout = net_layout;
    n->type.forward = net_forward;
    n->type.derivations = n->dlist;
    n->type.why_nonfinite = net_why;
    n->bare.model = &n->type;
    *out = n;
    return GC_OK;
}

const gc_model_type *gc_net_model(const gc_net *n)
{
    return &n->type;
}

int gc_net_add_dim(gc_net *n, const char *name, long value)
{
    if (n->n_dims >= GC_MAX_DIMS) return GC_ELIMIT;
    if (strlen(name) >= GC_NAME_MAX) return GC_EINVAL;
    snprintf(n->dim_names[n->n_dims], GC_NAME_MAX, "%s", name);
    gc_dim *d = &n->dims[n->n_dims];
    d->name = n->dim_names[n->n_dims];
    d->def = d->min = d->max = value;
    d->meaning = "a dimension of the network";
    n->bare.dims[n->n_dims] = value;
    n->n_dims++;
    return GC_OK;
}

/* ---- axis expressions: whole numbers, dims, + - * and parentheses */

typedef struct {
    const gc_net *n;
    const char *s;
    char *msg;
    size_t len;
    int bad;
    int depth;       /* nested parentheses and signs (GC_FX_MAX_DEPTH) */
} axis_parser;

static long axis_sum(axis_parser *a);

static void axis_skip(axis_parser *a)
{
    while (*a->s == ' ' || *a->s == '\t') a->s++;
}

static long axis_atom(axis_parser *a)
{
    axis_skip(a);
    if ((*a->s == '(' || *a->s == '-') && a->depth >= GC_FX_MAX_DEPTH) {
        if (!a->bad) snprintf(a->msg, a->len, "nested more than %d levels "
                              "deep (GC_FX_MAX_DEPTH)", GC_FX_MAX_DEPTH);
        a->bad = 1;
        return 0;
    }
    if (*a->s == '(') {
        a->depth++;
        a->s++;
        long v = axis_sum(a);
        axis_skip(a);
        if (*a->s != ')') {
            if (!a->bad) snprintf(a->msg, a->len, "expected ')'");
            a->bad = 1;
            return 0;
        }
        a->s++;
        a->depth--;
        return v;
    }
    if (*a->s == '-') {
        a->s++;
        a->depth++;
        long v = -axis_atom(a);
        a->depth--;
        return v;
    }
    if (isdigit((unsigned char)*a->s)) {
        long v = 0;
        while (isdigit((unsigned char)*a->s)) {
            if (v > 100000000L) {
                if (!a->bad) snprintf(a->msg, a->len, "a number too large");
                a->bad = 1;
                return 0;
            }
            v = v * 10 + (*a->s++ - '0');
        }
        return v;
    }
    if (isalpha((unsigned char)*a->s) || *a->s == '_') {
        char name[GC_NAME_MAX];
        size_t l = 0;
        while (isalnum((unsigned char)*a->s) || *a->s == '_') {
            if (l + 1 < sizeof name) name[l++] = *a->s;
            a->s++;
        }
        name[l] = 0;
        for (int i = 0; i < a->n->n_dims; i++)
            if (strcmp(a->n->dim_names[i], name) == 0)
                return a->n->dims[i].def;
        if (!a->bad) {
            char names[256] = "";
            for (int i = 0; i < a->n->n_dims; i++) {
                size_t k = strlen(names);
                snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "",
                         a->n->dim_names[i]);
            }
            snprintf(a->msg, a->len, "unknown dimension \"%s\" (dims: %s)",
                     name, names[0] ? names : "none");
        }
        a->bad = 1;
        return 0;
    }
    if (!a->bad)
        snprintf(a->msg, a->len, "expected a whole number or a dimension");
    a->bad = 1;
    return 0;
}

/* a * b, a / b (exact: [H/2] of an odd H is an error) and a b (4 C, as
 * the formula language multiplies by juxtaposition) */
static long axis_prod(axis_parser *a)
{
    long v = axis_atom(a);
    for (;;) {
        axis_skip(a);
        int op = *a->s;
        if (op == '*' || op == '/') a->s++;
        else if (op == '(' || isalnum((unsigned char)op) || op == '_')
            op = '*';
        else return v;
        long w = axis_atom(a);
        if (a->bad) return 0;
        if (op == '/') {
            if (w == 0 || v % w != 0) {
                snprintf(a->msg, a->len, "%ld / %ld is not a whole number",
                         v, w);
                a->bad = 1;
                return 0;
            }
            v /= w;
            continue;
        }
        if (labs(v) > 100000000L || labs(w) > 100000000L ||
            (w && labs(v) > 1000000000L / labs(w))) {
            if (!a->bad) snprintf(a->msg, a->len, "a size too large");
            a->bad = 1;
            return 0;
        }
        v *= w;
    }
}

static long axis_sum(axis_parser *a)
{
    long v = axis_prod(a);
    for (;;) {
        axis_skip(a);
        if (*a->s != '+' && *a->s != '-') return v;
        int sign = *a->s++ == '+' ? 1 : -1;
        v += sign * axis_prod(a);
        if (labs(v) > 1000000000L) {
            if (!a->bad) snprintf(a->msg, a->len, "a size too large");
            a->bad = 1;
            return 0;
        }
    }
}

int gc_net_axis(const gc_net *n, const char *text, long *first, long *size,
                char *msg, size_t len)
{
    axis_parser a = {n, text, msg, len, 0, 0};
    const char *dots = strstr(text, "..");
    long lo = 1, hi;
    if (dots) {
        char buf[128];
        size_t l = (size_t)(dots - text);
        if (l >= sizeof buf) l = sizeof buf - 1;
        memcpy(buf, text, l);
        buf[l] = 0;
        axis_parser b = {n, buf, msg, len, 0, 0};
        lo = axis_sum(&b);
        axis_skip(&b);
        if (!b.bad && *b.s) {
            snprintf(msg, len, "unexpected \"%s\" in the first index", b.s);
            b.bad = 1;
        }
        if (b.bad) return GC_EINVAL;
        a.s = dots + 2;
        hi = axis_sum(&a);
    } else {
        hi = axis_sum(&a);
    }
    axis_skip(&a);
    if (!a.bad && *a.s) {
        snprintf(msg, len, "unexpected \"%s\"", a.s);
        a.bad = 1;
    }
    if (a.bad) return GC_EINVAL;
    if (hi - lo + 1 < 1) {
        snprintf(msg, len, dots ? "the indices %ld..%ld are empty (the last "
                 "index is below the first)" : "a size of %ld%.0ld: expected "
                 "at least 1", dots ? lo : hi, dots ? hi : 0L);
        return GC_ESHAPE;
    }
    if (lo < -1000000000L || lo > 1000000000L) {
        snprintf(msg, len, "the first index %ld is too large", lo);
        return GC_ELIMIT;
    }
    *first = lo;
    *size = hi - lo + 1;
    return GC_OK;
}

size_t gc_net_n_blocks(const gc_net *n, int input, size_t *entries)
{
    const gc_blocks *b = input ? &n->bare.layout.inputs
                               : &n->bare.layout.params;
    *entries = b->n;
    return b->n_blocks;
}

int gc_net_add_block(gc_net *n, int input, const char *name, int rank,
                     const long *first, const long *size)
{
    gc_blocks *b = input ? &n->bare.layout.inputs : &n->bare.layout.params;
    if (gc_blocks_find(&n->bare.layout.params, name) ||
        gc_blocks_find(&n->bare.layout.inputs, name))
        return GC_EINVAL;
    size_t d[GC_MAX_RANK];
    int base[GC_MAX_RANK];
    for (int a = 0; a < GC_MAX_RANK; a++) { d[a] = 1; base[a] = 1; }
    for (int i = 0; i < rank; i++) {
        d[i] = (size_t)size[i];
        base[i] = (int)first[i];
    }
    return gc_blocks_add_shape(b, name, rank, d, base);
}

int gc_net_problem(gc_net *n, gc_problem **out)
{
    *out = NULL;
    gc_problem *p = calloc(1, sizeof *p);
    if (!p) return GC_ENOMEM;
    p->model = &n->type;
    memcpy(p->dims, n->bare.dims, sizeof p->dims);
    p->layout.params = n->bare.layout.params;
    p->layout.inputs = n->bare.layout.inputs;
    p->layout.work = 1;
    p->inputs = calloc(p->layout.inputs.n ? p->layout.inputs.n : 1,
                       sizeof *p->inputs);
    if (!p->inputs) { free(p); return GC_ENOMEM; }
    n->bare.inputs = p->inputs;
    n->prob = p;
    *out = p;
    return GC_OK;
}

/* ------------------------------------------------------------ the pass */

enum { MODE_INFER, MODE_RUN };

typedef struct {
    gc_net *n;
    int mode;
    double *q;
    const gc_tap *tap;
    fx_tape *tape;           /* recording (record_tape), or NULL */
} store_ctx;

static void describe_shape(int rank, const size_t *shape, char *buf,
                           size_t len)
{
    if (rank == 0) { snprintf(buf, len, "a scalar"); return; }
    size_t l = (size_t)snprintf(buf, len, rank == 1 ? "a vector of " : "a ");
    for (int i = 0; i < rank && l < len; i++)
        l += (size_t)snprintf(buf + l, len - l, "%s%zu", i ? " x " : "",
                              shape[i]);
    if (l < len) snprintf(buf + l, len - l, rank == 1 ? " entries"
                          : rank == 2 ? " matrix" : " array");
}

static int store(void *ctxp, size_t di, const long *idx, int n_idx,
                 gc_fx_value *v, gc_error *err)
{
    store_ctx *ctx = ctxp;
    gc_net *n = ctx->n;
    net_def *d = &n->defs[di];
    if (ctx->mode == MODE_INFER) {
        if (!d->seen) {
            d->seen = 1;
            d->vrank = v->rank;
            for (int a = 0; a < v->rank; a++) {
                d->vshape[a] = v->shape[a];
                d->vbase[a] = v->base[a];
            }
            for (int a = 0; a < n_idx; a++) d->lo[a] = d->hi[a] = idx[a];
        } else {
            int same = d->vrank == v->rank;
            for (int a = 0; same && a < v->rank; a++)
                same = d->vshape[a] == v->shape[a];
            if (!same) {
                char s1[96], s2[96], at[96];
                describe_shape(d->vrank, d->vshape, s1, sizeof s1);
                describe_shape(v->rank, v->shape, s2, sizeof s2);
                size_t l = (size_t)snprintf(at, sizeof at, "%s",
                                            gc_fx_def_name(n->inst[0].prog,
                                                           di));
                for (int a = 0; a < n_idx && l < sizeof at; a++)
                    l += (size_t)snprintf(at + l, sizeof at - l, "[%ld]",
                                          idx[a]);
                long line, col;
                gc_fx_def_pos(n->inst[0].prog, di, &line, &col);
                return fx_fail(err, line, col, GC_EINVAL, "%s is %s, but its "
                            "first entry computed was %s: every entry of an "
                            "indexed definition must have the same shape",
                            at, s2, s1);
            }
            for (int a = 0; a < n_idx; a++) {
                if (idx[a] < d->lo[a]) d->lo[a] = idx[a];
                if (idx[a] > d->hi[a]) d->hi[a] = idx[a];
            }
        }
        if (n->n_order == n->cap_order) {
            size_t cap = n->cap_order ? 2 * n->cap_order : 64;
            if (cap > (size_t)1 << 24)
                return fx_fail(err, 0, 0, GC_ELIMIT, "more than %zu entries of "
                            "definitions in one pass", (size_t)1 << 24);
            net_step *o = realloc(n->order, cap * sizeof *o);
            if (!o) return GC_ENOMEM;
            n->order = o;
            n->cap_order = cap;
        }
        net_step *s = &n->order[n->n_order++];
        s->def = di;
        for (int a = 0; a < n_idx; a++) s->idx[a] = idx[a];
        return GC_OK;
    }
    if (d->qblock < 0) return GC_OK;
    const gc_block *b = &n->prob->layout.quantities.block[d->qblock];
    size_t k = 0;
    for (int a = 0; a < n_idx; a++) {
        long lo = b->base[a], hi = b->base[a] + (long)b->shape[a] - 1;
        if (idx[a] < lo || idx[a] > hi)
            return fx_fail(err, 0, 0, GC_EINVAL, "%s is evaluated at index %ld "
                        "outside %ld..%ld, the range found at the case's "
                        "point", b->name, idx[a], lo, hi);
        k = k * b->shape[a] + (size_t)(idx[a] - lo);
    }
    if (v->size != d->inner)
        return fx_fail(err, 0, 0, GC_EINVAL, "%s changed shape", b->name);
    size_t off = b->offset + k * d->inner;
    const gc_tap *t = ctx->tap;
    if (t && t->index >= off && t->index < off + d->inner)
        v->v[t->index - off] += t->delta;
    memcpy(ctx->q + off, v->v, d->inner * sizeof *v->v);
    if (ctx->tape) fx_tape_own(ctx->tape, v, off);
    return GC_OK;
}

static void base_alloc(gc_net *n, net_inst *in);

/* A program of the forward text for this thread: a free one, else a new
 * one (up to cap_inst), else the next one given back. */
static net_inst *take(gc_net *n)
{
    net_inst *got = NULL;
    pthread_mutex_lock(&n->mu);
again:
    for (size_t i = 0; i < n->n_inst && !got; i++)
        if (!n->inst[i].busy) got = &n->inst[i];
    if (!got && n->n_inst < n->cap_inst) {
        gc_error err;
        net_inst *in = &n->inst[n->n_inst];
        memset(in, 0, sizeof *in);
        size_t nq = n->prob->layout.quantities.n;
        in->q = calloc(nq ? nq : 1, sizeof *in->q);
        if (in->q && gc_fx_compile_from(&n->bare, n->file, n->text, n->len,
                                        n->pos.line, NULL, NULL,
                                        GC_FX_LATER_DEFS, &in->prog,
                                        &err) == GC_OK) {
            gc_fx_set_max_steps(in->prog, GC_NET_MAX_STEPS,
                                "the forward pass");
            base_alloc(n, in);
            n->n_inst++;
            got = in;
        } else {
            free(in->q);
        }
    }
    if (!got && n->n_inst > 0 && n->n_inst == n->cap_inst) {
        pthread_cond_wait(&n->freed, &n->mu);    /* more threads than
                                                    instances: wait */
        goto again;
    }
    if (got) got->busy = 1;
    pthread_mutex_unlock(&n->mu);
    if (got && n->tape && !got->cur.work)
        fx_tape_cursor_alloc(n->tape, &got->cur);  /* failing: interpreter */
    return got;
}

static void give_back(gc_net *n, net_inst *in)
{
    pthread_mutex_lock(&n->mu);
    in->busy = 0;
    pthread_cond_signal(&n->freed);
    pthread_mutex_unlock(&n->mu);
}

#define NO_OFF ((size_t)-1)

/* One pass of instance `in` at theta: every entry in the first pass's
 * order from step `from` on (the steps before it take their values from
 * the instance's base pass), then the loss.  NaN when the pass fails (a
 * verdict, not an error: the engine reports it as not finite). */
static double pass_from(gc_net *n, net_inst *in, const double *theta,
                        const gc_tap *tap, size_t from, gc_error *err)
{
    size_t nq = n->prob->layout.quantities.n;
    store_ctx ctx = {n, MODE_RUN, in->q, tap, NULL};
    if (from) memcpy(in->q, in->base_q, nq * sizeof *in->q);
    else memset(in->q, 0, (nq ? nq : 1) * sizeof *in->q);
    gc_fx_set_store(in->prog, store, &ctx);
    gc_fx_set_point(in->prog, theta, NULL);
    gc_fx_value v;
    for (size_t i = 0; i < from && i < n->n_order; i++) {
        if (n->soff[i] == NO_OFF) continue;
        const net_def *d = &n->defs[n->order[i].def];
        gc_fx_value pv;
        memset(&pv, 0, sizeof pv);
        pv.rank = d->vrank;
        for (int a = 0; a < d->vrank; a++) {
            pv.shape[a] = d->vshape[a];
            pv.base[a] = d->vbase[a];
        }
        pv.size = d->inner;
        pv.v = in->base_q + n->soff[i];
        if (gc_fx_def_preset(in->prog, n->order[i].def, n->order[i].idx,
                             &pv))
            return NAN;
    }
    for (size_t i = from; i < n->n_order; i++)
        if (gc_fx_def_eval(in->prog, n->order[i].def, n->order[i].idx, &v,
                           err))
            return NAN;
    if (gc_fx_def_eval(in->prog, n->loss, NULL, &v, err)) return NAN;
    return v.size == 1 ? v.v[0] : NAN;
}

/* A pass; a tapped one at the point of the instance's last untapped pass
 * recomputes only the entries completed after the tapped one (those
 * before it cannot depend on it), which is most of localisation's cost. */
static double run_pass(gc_net *n, net_inst *in, const double *theta,
                       const gc_tap *tap, gc_error *err)
{
    size_t np = n->prob->layout.params.n, nq = n->prob->layout.quantities.n;
    if (!tap || !n->qpos || !in->base_q || tap->index >= nq) {
        double L = pass_from(n, in, theta, tap, 0, err);
        if (!tap && isfinite(L) && in->base_q) {
            memcpy(in->base_theta, theta, np * sizeof *theta);
            memcpy(in->base_q, in->q, nq * sizeof *in->q);
            in->have_base = 1;
        }
        return L;
    }
    if (!in->have_base ||
        memcmp(in->base_theta, theta, np * sizeof *theta) != 0) {
        double L0 = pass_from(n, in, theta, NULL, 0, err);
        if (!isfinite(L0)) return pass_from(n, in, theta, tap, 0, err);
        memcpy(in->base_theta, theta, np * sizeof *theta);
        memcpy(in->base_q, in->q, nq * sizeof *in->q);
        in->have_base = 1;
    }
    return pass_from(n, in, theta, tap, n->qpos[tap->index], err);
}

/* The instance's base pass buffers (NULL if memory is short: every pass
 * is then a full one). */
static void base_alloc(gc_net *n, net_inst *in)
{
    size_t np = n->prob->layout.params.n, nq = n->prob->layout.quantities.n;
    in->base_theta = malloc((np ? np : 1) * sizeof *in->base_theta);
    in->base_q = malloc((nq ? nq : 1) * sizeof *in->base_q);
    if (!in->base_theta || !in->base_q) {
        free(in->base_theta);
        free(in->base_q);
        in->base_theta = in->base_q = NULL;
    }
}

/* The pass as a one-copy replay of the tape (tape.c): the interpreter's
 * kernels on the operations it recorded, so the same bits without the
 * cost of interpreting the syntax trees.  0 when the copy needs the
 * interpreter (a guard decided otherwise, other inputs). */
static int replay_one(gc_net *n, net_inst *in, const double *theta,
                      const gc_tap *tap, double *q, double *L)
{
    return fx_tape_replay_one(n->tape, &in->cur, theta, tap, n->bare.inputs,
                              L, q);
}

static double net_forward(const gc_problem *p, const double *theta,
                          const gc_tap *tap, double *q, double *work)
{
    (void)work;
    gc_net *n = (gc_net *)(void *)p->model;
    net_inst *in = take(n);
    if (!in) return NAN;
    gc_error err;
    double L;
    if (in->cur.work && replay_one(n, in, theta, tap, q, &L)) {
        give_back(n, in);
        return L;
    }
    L = run_pass(n, in, theta, tap, &err);
    if (q)
        memcpy(q, in->q, n->prob->layout.quantities.n * sizeof *q);
    give_back(n, in);
    return L;
}

int gc_net_check_point(const gc_problem *p, const double *theta,
                       gc_error *err)
{
    gc_net *n = (gc_net *)(void *)p->model;
    net_inst *in = take(n);
    if (!in) return GC_ENOMEM;
    memset(err, 0, sizeof *err);
    double L = run_pass(n, in, theta, NULL, err);
    give_back(n, in);
    if (isfinite(L) || !err->msg[0]) return GC_OK;
    if (err->line == 0)                    /* no place of its own: the loss */
        gc_fx_def_pos(n->inst[0].prog, n->loss, &err->line, &err->column);
    set_file(err, n->file);
    map_pos(&n->pos, err);
    return GC_EINVAL;
}

/* The model's why_nonfinite: the pass at theta by the interpreter,
 * watching (fx/watch.c): the evaluator's error if the pass stops (an
 * index out of range, a shape), else the first definition entry computed
 * not finite and the operation that made it so. */
static int net_why(const gc_problem *p, const double *theta,
                   const gc_tap *tap, char *msg, size_t len)
{
    gc_net *n = (gc_net *)(void *)p->model;
    net_inst *in = take(n);
    if (!in) return 0;
    gc_error err;
    memset(&err, 0, sizeof err);
    gc_fx_watch(in->prog, 1);
    double L = pass_from(n, in, theta, tap, 0, &err);
    char def[96], what[200];
    long line = 0, col = 0;
    int noted = gc_fx_watch_note(in->prog, def, sizeof def, what,
                                 sizeof what, &line, &col);
    gc_fx_watch(in->prog, 0);
    give_back(n, in);
    if (err.msg[0]) {
        if (err.line == 0)
            gc_fx_def_pos(n->inst[0].prog, n->loss, &err.line, &err.column);
        map_pos(&n->pos, &err);
        snprintf(msg, len, "the forward pass stops: %s (line %ld, column "
                 "%ld)", err.msg, err.line, err.column);
        return 1;
    }
    if (isfinite(L) && !def[0]) return 0;
    if (noted) {
        gc_error at = {0};
        at.line = line;
        at.column = col;
        map_pos(&n->pos, &at);
        snprintf(msg, len, "%s%s%s (line %ld, column %ld)", what,
                 def[0] ? ", computing " : "", def, at.line, at.column);
    } else if (def[0]) {
        snprintf(msg, len, "%s is not finite (it uses no value that is: an "
                 "overflow in a sum or a product of matrices?)", def);
    } else {
        snprintf(msg, len, "the loss %s is %s", gc_net_loss_name(n),
                 isnan(L) ? "NaN" : "infinite");
    }
    return 1;
}

double gc_net_forward_interpreted(const gc_problem *p, const double *theta,
                                  const gc_tap *tap, double *q)
{
    gc_net *n = (gc_net *)(void *)p->model;
    net_inst *in = take(n);
    if (!in) return NAN;
    gc_error err;
    double L = run_pass(n, in, theta, tap, &err);
    if (q)
        memcpy(q, in->q, n->prob->layout.quantities.n * sizeof *q);
    give_back(n, in);
    return L;
}

int gc_net_has_tape(const gc_problem *p)
{
    return ((const gc_net *)(const void *)p->model)->tape != NULL;
}

static int set_forward(gc_net *n, gc_problem *p, const double *theta,
                       const char *text, size_t len, const gc_net_pos *pos,
                       gc_error *err);

/* ------------------------------------------------------ batched passes */

/* The pass at theta recorded as a tape (tape.c).  A network the tape
 * cannot replay (array(...), an index that depends on parameters) keeps
 * forward_batch NULL: every loss is an interpreted pass, as before. */
static void record_tape(gc_net *n, const double *theta)
{
    net_inst *in = &n->inst[0];
    size_t nq = n->prob->layout.quantities.n;
    fx_tape *T = fx_tape_alloc(nq);
    if (!T) return;
    gc_error err;
    store_ctx ctx = {n, MODE_RUN, in->q, NULL, T};
    memset(in->q, 0, (nq ? nq : 1) * sizeof *in->q);
    gc_fx_set_store(in->prog, store, &ctx);
    gc_fx_set_point(in->prog, theta, NULL);
    gc_fx_record(in->prog, T);
    gc_fx_value v;
    int st = GC_OK;
    for (size_t i = 0; i < n->n_order && !st; i++)
        st = gc_fx_def_eval(in->prog, n->order[i].def, n->order[i].idx, &v,
                            &err);
    if (!st) st = gc_fx_def_eval(in->prog, n->loss, NULL, &v, &err);
    gc_fx_record(in->prog, NULL);
    if (!st)
        st = fx_tape_finish(T, &v, n->bare.inputs,
                            n->bare.layout.inputs.n,
                            n->bare.layout.params.n);
    in->have_base = 0;
    if (st) {
        fx_tape_free(T);
        return;
    }
    n->tape = T;
    n->type.forward_batch = net_forward_batch;
    n->type.batch_work = net_batch_work;
    n->type.forward_batch_tap = net_forward_batch_tap;
    n->type.forward_batch_dir = net_forward_batch_dir;
    n->type.batch_exact_below = GC_BATCH_MIN_PARAMS;
}

/* A batch replays at most this many doubles of copies' values at once
 * (64 MiB per thread); more copies go in turns. */
#define NET_BATCH_MAX_WORK ((size_t)1 << 23)

/* Copies replayed at once out of n: as many as NET_BATCH_MAX_WORK holds,
 * at least one (never more for fewer copies, so a call's turns fit the
 * work batch_work gave for more). */
static size_t batch_turn(const gc_net *n, size_t copies)
{
    size_t one = fx_tape_work(n->tape, 1);
    size_t fit = one < NET_BATCH_MAX_WORK ? NET_BATCH_MAX_WORK / one : 1;
    return copies < fit ? copies : fit;
}

/* Doubles of copies' values an exact replay (every copy by the
 * interpreter's kernels: no matrix product over the copies to feed) holds
 * at once (8 MiB).  The copies of a large network then go a few at a time
 * and stay nearer the cache (screening the 24 832-entry LSTM, 43 909
 * values a copy, one thread: 0.052-0.071 s with 191 copies a turn,
 * 0.035-0.048 s with 23, as the one-copy path's 0.033-0.057 s); a twin's
 * (300 to 1 000 values a copy) all at once. */
#define NET_EXACT_TURN_WORK ((size_t)1 << 20)

static size_t exact_turn(const gc_net *n, size_t copies)
{
    size_t one = fx_tape_work(n->tape, 1), t = batch_turn(n, copies);
    size_t fit = one < NET_EXACT_TURN_WORK ? NET_EXACT_TURN_WORK / one : 1;
    return t < fit ? t : fit;
}

/* work: the tape's scratch for one turn of copies, a copy of theta (for
 * copies the interpreter evaluates), and the turn's redo flags. */
static size_t net_batch_work(const gc_problem *p, size_t n_copies)
{
    const gc_net *n = (const gc_net *)(const void *)p->model;
    size_t t = batch_turn(n, n_copies);
    return fx_tape_work(n->tape, t) + p->layout.params.n +
           t / sizeof(double) + 1;
}

/* Below GC_BATCH_MIN_PARAMS entries every copy runs the interpreter's own
 * kernels (the losses are forward()'s to the bit, so batching changes no
 * number); from there on a parameter matrix times the copies' vectors is
 * one matrix-matrix product. */
static int net_forward_batch(const gc_problem *p, const double *theta,
                             const size_t *k, const double *x, size_t n_all,
                             double *losses, double *work)
{
    const gc_net *n = (const gc_net *)(const void *)p->model;
    size_t np = p->layout.params.n;
    size_t turn = np < GC_BATCH_MIN_PARAMS ? exact_turn(n, n_all)
                                           : batch_turn(n, n_all);
    double *th = work + fx_tape_work(n->tape, turn);
    unsigned char *redo = (unsigned char *)(th + np);
    int copied = 0;
    for (size_t c0 = 0; c0 < n_all; c0 += turn) {
        size_t nc = n_all - c0 < turn ? n_all - c0 : turn;
        int st = fx_tape_replay(n->tape, theta, k + c0, x + c0, NULL, nc,
                                np < GC_BATCH_MIN_PARAMS, p->inputs,
                                losses + c0, redo, work);
        if (st) return st;
        for (size_t i = 0; i < nc; i++) {
            size_t c = c0 + i;
            if (!redo[i]) continue;
            /* a guard decided otherwise: the interpreter */
            if (!copied) memcpy(th, theta, np * sizeof *th);
            copied = 1;
            th[k[c]] = x[c];
            losses[c] = net_forward(p, th, NULL, NULL, NULL);
            th[k[c]] = theta[k[c]];
        }
    }
    return GC_OK;
}

/* Taps replay with the interpreter's kernels: forward()'s losses to the
 * bit, as batch.c relies on. */
static int net_forward_batch_tap(const gc_problem *p, const double *theta,
                                 const gc_tap *taps, size_t n_all,
                                 double *losses, double *work)
{
    const gc_net *n = (const gc_net *)(const void *)p->model;
    size_t np = p->layout.params.n, turn = exact_turn(n, n_all);
    double *th = work + fx_tape_work(n->tape, turn);
    unsigned char *redo = (unsigned char *)(th + np);
    for (size_t c0 = 0; c0 < n_all; c0 += turn) {
        size_t nc = n_all - c0 < turn ? n_all - c0 : turn;
        int st = fx_tape_replay(n->tape, theta, NULL, NULL, taps + c0, nc, 1,
                                p->inputs, losses + c0, redo, work);
        if (st) return st;
        for (size_t i = 0; i < nc; i++)
            if (redo[i])
                losses[c0 + i] = net_forward(p, theta, &taps[c0 + i], NULL,
                                             NULL);
    }
    return GC_OK;
}

/* Copies moved along directions (screening, --mode directional), copy c
 * being theta with entries a[c] .. a[c]+len[c]-1 at theta_j + t[c]
 * v[c][j - a[c]]: the interpreter's kernels on every copy (forward()'s
 * losses to the bit, whatever the size: a direction changes many entries
 * of a matrix, so there is no rank-one shortcut). */
static int net_forward_batch_dir(const gc_problem *p, const double *theta,
                                 const size_t *a, const size_t *len,
                                 const double *const *v, const double *t,
                                 size_t n_all, double *losses, double *work)
{
    const gc_net *n = (const gc_net *)(const void *)p->model;
    size_t np = p->layout.params.n, turn = exact_turn(n, n_all);
    double *th = work + fx_tape_work(n->tape, turn);
    unsigned char *redo = (unsigned char *)(th + np);
    for (size_t c0 = 0; c0 < n_all; c0 += turn) {
        size_t nc = n_all - c0 < turn ? n_all - c0 : turn;
        int st = fx_tape_replay_dir(n->tape, theta, a + c0, len + c0, v + c0,
                                    t + c0, nc, p->inputs, losses + c0,
                                    redo, work);
        if (st) return st;
        for (size_t i = 0; i < nc; i++) {
            size_t c = c0 + i;
            if (!redo[i]) continue;
            /* a guard decided otherwise: the interpreter, on the copy as
             * the engine's loss_along writes it */
            if (a[c] > np || len[c] > np - a[c]) return GC_EINVAL;
            memcpy(th, theta, np * sizeof *th);
            for (size_t j = 0; j < len[c]; j++)
                th[a[c] + j] = theta[a[c] + j] + t[c] * v[c][j];
            losses[c] = net_forward(p, th, NULL, NULL, NULL);
        }
    }
    return GC_OK;
}

int gc_net_set_forward(gc_net *n, gc_problem *p, const double *theta,
                       const char *text, size_t len, const gc_net_pos *pos,
                       gc_error *err)
{
    int st = set_forward(n, p, theta, text, len, pos, err);
    if (st && !err->file[0]) set_file(err, n->file);
    return st;
}

static int set_forward(gc_net *n, gc_problem *p, const double *theta,
                       const char *text, size_t len, const gc_net_pos *pos,
                       gc_error *err)
{
    memset(err, 0, sizeof *err);
    set_file(err, n->file);
    n->text = malloc(len + 1);
    if (!n->text) return GC_ENOMEM;
    memcpy(n->text, text, len);
    n->text[len] = 0;
    n->len = len;
    if (keep_pos(&n->pos, pos)) return GC_ENOMEM;
    n->cap_inst = 16;         /* threads beyond it wait their turn */
    n->inst = calloc(n->cap_inst, sizeof *n->inst);
    if (!n->inst) return GC_ENOMEM;
    gc_fx_program *P = NULL;
    int st = gc_fx_compile_from(&n->bare, n->file, n->text, len,
                                pos ? pos->line : 1, NULL, NULL,
                                GC_FX_LATER_DEFS, &P, err);
    if (st) { map_pos(pos, err); return st; }
    gc_fx_set_max_steps(P, GC_NET_MAX_STEPS, "the forward pass");
    n->inst[0].prog = P;
    n->n_inst = 1;
    n->inst[0].busy = 0;
    /* a definition becomes a quantity: its name must be its own (said
     * before any other mistake of its line: "b = W @ b" names b taken,
     * not b using itself) */
    for (size_t i = 0; i < gc_fx_n_defs(P); i++) {
        const char *dn = gc_fx_def_name(P, i);
        int is_dim = 0;
        for (int k = 0; k < n->n_dims; k++)
            is_dim |= strcmp(n->dim_names[k], dn) == 0;
        if (is_dim || gc_blocks_find(&n->bare.layout.params, dn) ||
            gc_blocks_find(&n->bare.layout.inputs, dn)) {
            long line, col;
            gc_fx_def_pos(P, i, &line, &col);
            fx_fail(err, line, col, GC_EINVAL, "%s is already %s of the "
                 "network: a definition of the forward pass is a quantity "
                 "and needs a name of its own", dn, is_dim ? "a dimension"
                 : gc_blocks_find(&n->bare.layout.params, dn)
                 ? "a parameter block" : "an input");
            map_pos(pos, err);
            return GC_EINVAL;
        }
    }
    if (gc_fx_n_notes(P)) {
        *err = *gc_fx_note(P, 0);
        map_pos(pos, err);
        return GC_EINVAL;
    }
    if (gc_fx_n_answers(P)) {
        const gc_error *e = gc_fx_answer_error(P, 0);
        if (e && !strstr(e->msg, "neither a name of the loss")) {
            *err = *e;
        } else {
            err->line = gc_fx_answer_line(P, 0);
            err->column = 1;
            snprintf(err->msg, sizeof err->msg, "forward: %s is an answer; "
                     "the forward pass holds only definitions (name = ... "
                     "or name[t] = ...), derivatives go in derivations:",
                     gc_fx_answer_target(P, 0)->key);
        }
        set_file(err, n->file);
        map_pos(pos, err);
        return GC_EINVAL;
    }
    n->n_defs = gc_fx_n_defs(P);
    if (n->n_defs == 0)
        return fx_fail(err, pos->line, pos->column, GC_EINVAL, "forward: "
                    "expected definitions, the last one the loss (L = ...)");
    n->defs = calloc(n->n_defs, sizeof *n->defs);
    if (!n->defs) return GC_ENOMEM;
    n->loss = n->n_defs - 1;
    for (size_t i = 0; i < n->n_defs; i++) {
        n->defs[i].n_idx = gc_fx_def_n_params(P, i);
        n->defs[i].qblock = -1;
    }
    long ll, lc;
    gc_fx_def_pos(P, n->loss, &ll, &lc);
    const char *lname = gc_fx_def_name(P, n->loss);
    if (n->defs[n->loss].n_idx) {
        fx_fail(err, ll, lc, GC_EINVAL, "the loss %s (the last definition) "
             "must not be indexed: it is one number", lname);
        map_pos(pos, err);
        return GC_EINVAL;
    }

    /* the first pass: shapes, index ranges, the order of the entries */
    store_ctx ctx = {n, MODE_INFER, NULL, NULL, NULL};
    gc_fx_set_store(P, store, &ctx);
    gc_fx_set_point(P, theta, NULL);
    gc_fx_value v;
    if ((st = gc_fx_def_eval(P, n->loss, NULL, &v, err))) {
        set_file(err, n->file);
        if (st == GC_EINVAL && err->line == 0) { err->line = ll; err->column = lc; }
        map_pos(pos, err);
        return st;
    }
    if (v.size != 1) {
        char d[96], hint[160] = "";
        describe_shape(v.rank, v.shape, d, sizeof d);
        /* a loss written above the last line (L = ... then p = ...) */
        for (size_t i = 0; i < n->loss && !hint[0]; i++) {
            const char *dn = gc_fx_def_name(P, i);
            for (int k = 0; gc_loss_names_default[k]; k++)
                if (strcmp(dn, gc_loss_names_default[k]) == 0) {
                    long dl, dc;
                    gc_fx_def_pos(P, i, &dl, &dc);
                    gc_error tmp = {0};
                    tmp.line = dl;
                    tmp.column = dc;
                    map_pos(pos, &tmp);
                    snprintf(hint, sizeof hint, " (%s, on line %ld, is "
                             "named like a loss: put it last)", dn,
                             tmp.line);
                    break;
                }
        }
        /* ||v||^2 written (v)^2 as on paper: the square of each entry */
        if (!hint[0])
            snprintf(hint, sizeof hint, " (sum(v) adds a value's entries "
                     "up: ||v||^2 is sum(v^2) or dot(v, v))");
        fx_fail(err, ll, lc, GC_EINVAL, "the loss %s (the last definition) is "
             "%s: it must be one number%s", lname, d, hint);
        map_pos(pos, err);
        return GC_EINVAL;
    }
    /* plain definitions the loss does not use: their shape, at least */
    for (size_t i = 0; i < n->loss; i++) {
        if (n->defs[i].seen) continue;
        long line, col;
        gc_fx_def_pos(P, i, &line, &col);
        if (n->defs[i].n_idx) {
            fx_fail(err, line, col, GC_EINVAL, "%s is not used by the loss %s, "
                 "so the indices it runs over are unknown: use it or "
                 "remove it", gc_fx_def_name(P, i), lname);
            map_pos(pos, err);
            return GC_EINVAL;
        }
        if ((st = gc_fx_def_eval(P, i, NULL, &v, err))) {
            set_file(err, n->file);
            map_pos(pos, err);
            return st;
        }
    }

    /* the quantities */
    const char *timed[GC_MAX_BLOCKS + 1];
    size_t n_timed = 0;
    for (size_t i = 0; i < n->loss; i++) {
        net_def *d = &n->defs[i];
        const char *name = gc_fx_def_name(P, i);
        long line, col;
        gc_fx_def_pos(P, i, &line, &col);
        int rank = d->n_idx + d->vrank;
        if (rank > GC_MAX_RANK) {
            fx_fail(err, line, col, GC_EINVAL, "%s has %d axes (%d ind%s and "
                 "%d of its value): a quantity has at most %d", name, rank,
                 d->n_idx, d->n_idx == 1 ? "ex" : "ices", d->vrank,
                 GC_MAX_RANK);
            map_pos(pos, err);
            return GC_EINVAL;
        }
        size_t sh[GC_MAX_RANK];
        int bs[GC_MAX_RANK];
        for (int a = 0; a < GC_MAX_RANK; a++) { sh[a] = 1; bs[a] = 1; }
        d->inner = 1;
        for (int a = 0; a < d->n_idx; a++) {
            sh[a] = (size_t)(d->hi[a] - d->lo[a] + 1);
            bs[a] = (int)d->lo[a];
        }
        for (int a = 0; a < d->vrank; a++) {
            sh[d->n_idx + a] = d->vshape[a];
            bs[d->n_idx + a] = d->vbase[a];
            d->inner *= d->vshape[a];
        }
        st = gc_blocks_add_shape(&p->layout.quantities, name, rank, sh, bs);
        if (st) {
            double mine = 1;
            for (int a = 0; a < rank; a++) mine *= (double)sh[a];
            const gc_blocks *qs = &p->layout.quantities;
            if (st != GC_ELIMIT)
                fx_fail(err, line, col, st, "%s: a quantity cannot have this "
                     "shape", name);
            else if (qs->n_blocks >= GC_MAX_BLOCKS)
                fx_fail(err, line, col, st, "%s: more than %d quantities "
                     "(GC_MAX_BLOCKS): every definition but the loss is one",
                     name, GC_MAX_BLOCKS);
            else {
                char above[96] = "";
                if (qs->n)
                    snprintf(above, sizeof above, ", %.0f with the "
                             "quantities above", mine + (double)qs->n);
                fx_fail(err, line, col, st, "%s: %.0f entries%s%s: more "
                     "than %zu (GC_MAX_ENTRIES)", name, mine, d->n_idx
                     ? " over the indices the pass evaluates" : "", above,
                     (size_t)GC_MAX_ENTRIES);
            }
            map_pos(pos, err);
            return st;
        }
        d->qblock = (int)p->layout.quantities.n_blocks - 1;
        if (d->n_idx) {
            gc_block *qb = &p->layout.quantities.block[d->qblock];
            timed[n_timed++] = qb->name;
            snprintf(qb->step, sizeof qb->step, "%s",
                     gc_fx_def_index_name(P, i));
        }
    }
    timed[n_timed] = NULL;
    gc_blocks_timed(&p->layout.quantities, timed);
    n->inst[0].q = calloc(p->layout.quantities.n ? p->layout.quantities.n : 1,
                          sizeof *n->inst[0].q);
    if (!n->inst[0].q) return GC_ENOMEM;
    /* which step stores each quantity entry (for tapped passes) */
    size_t nq = p->layout.quantities.n;
    n->soff = malloc((n->n_order ? n->n_order : 1) * sizeof *n->soff);
    n->qpos = malloc((nq ? nq : 1) * sizeof *n->qpos);
    if (!n->soff || !n->qpos) return GC_ENOMEM;
    for (size_t j = 0; j < nq; j++) n->qpos[j] = n->n_order;
    for (size_t i = 0; i < n->n_order; i++) {
        const net_def *d = &n->defs[n->order[i].def];
        n->soff[i] = NO_OFF;
        if (d->qblock < 0) continue;
        const gc_block *b = &p->layout.quantities.block[d->qblock];
        size_t k = 0;
        for (int a = 0; a < d->n_idx; a++)
            k = k * b->shape[a] + (size_t)(n->order[i].idx[a] - b->base[a]);
        n->soff[i] = b->offset + k * d->inner;
        for (size_t e = 0; e < d->inner; e++) n->qpos[n->soff[i] + e] = i;
    }
    base_alloc(n, &n->inst[0]);
    /* the pass as every later one runs it */
    double L = run_pass(n, &n->inst[0], theta, NULL, err);
    if (!isfinite(L) && err->msg[0]) {
        set_file(err, n->file);
        if (err->line == 0) { err->line = ll; err->column = lc; }
        map_pos(pos, err);
        return GC_EINVAL;
    }
    record_tape(n, theta);
    memset(err, 0, sizeof *err);
    set_file(err, n->file);
    return GC_OK;
}

const char *gc_net_loss_name(const gc_net *n)
{
    return n->n_defs ? gc_fx_def_name(n->inst[0].prog, n->loss) : "L";
}

/* ------------------------------------------------------------ derivations */

static net_deriv *deriv_of(const gc_problem *p, size_t k)
{
    gc_net *n = (gc_net *)(void *)p->model;
    return k < n->n_derivs ? n->derivs[k] : NULL;
}

/* Set derivation k's program at theta (the forward quantities first). */
static int deriv_point(const gc_problem *p, net_deriv *D, const double *theta)
{
    gc_net *n = (gc_net *)(void *)p->model;
    net_forward(p, theta, NULL, n->qd, NULL);
    gc_fx_set_point(D->prog, theta, n->qd);
    gc_fx_watch(D->prog, 1);
    n->dwhy[0] = 0;
    return GC_OK;
}

/* Why answer i of D left entry k (of its values) not finite, into
 * n->dwhy (the first one of a call): its error, or what the watch saw. */
static void answer_why(gc_net *n, net_deriv *D, size_t i, size_t k,
                       const gc_error *err)
{
    const gc_target *t = gc_fx_answer_target(D->prog, i);
    char ent[80] = "";
    if (t->kind == GC_TARGET_PARAM || t->kind == GC_TARGET_QUANTITY) {
        const gc_blocks *b = t->kind == GC_TARGET_PARAM
                             ? &n->prob->layout.params
                             : &n->prob->layout.quantities;
        char nm[64];
        gc_entry_name(b, t->wrt->offset + k, nm, sizeof nm);
        snprintf(ent, sizeof ent, "d%.12s/d%.60s", gc_net_loss_name(n), nm);
    } else {
        snprintf(ent, sizeof ent, "%.50s (entry %zu)", t->key, k + 1);
    }
    const char *base = strrchr(D->file, '/');
    base = base ? base + 1 : D->file;
    int own = strcmp(D->file, n->file) != 0;   /* a file: of its own */
    char def[96], what[200];
    long line = 0, col = 0;
    gc_error at = {0};
    /* an entry that evaluates to NaN: what the watch saw, if anything,
     * says more */
    int nan_only = err && strstr(err->msg, " evaluates to ") &&
                   gc_fx_watch_note(D->prog, def, sizeof def, what,
                                    sizeof what, &line, &col);
    if (err && err->msg[0] && !nan_only) {
        at = *err;
        snprintf(what, sizeof what, "%.199s", err->msg);
        def[0] = 0;
    } else if (gc_fx_watch_note(D->prog, def, sizeof def, what, sizeof what,
                                &line, &col)) {
        at.line = line;
        at.column = col;
    } else {
        at.line = gc_fx_answer_line(D->prog, i);
        snprintf(what, sizeof what, "%s", def[0] ? "it uses a value that "
                 "is not finite" : "its formula gives a value that is not "
                 "finite");
    }
    map_pos(&D->pos, &at);
    char place[96];
    snprintf(place, sizeof place, at.column > 0 ? "%s%sline %ld, column %ld"
             : "%s%sline %ld", own ? base : "", own ? ", " : "", at.line,
             at.column);
    snprintf(n->dwhy, sizeof n->dwhy, "%s is not finite: %s%s%s (%s)", ent,
             what, def[0] ? ", computing " : "", def, place);
}

static int d_why(const gc_problem *p, char *msg, size_t len)
{
    const gc_net *n = (const gc_net *)(const void *)p->model;
    if (!n->dwhy[0]) return 0;
    snprintf(msg, len, "%s", n->dwhy);
    return 1;
}

/* Every answer of kind `kind` (and for Jacobians of this of/wrt pair)
 * into dst, entry by entry at the wrt block's offset (family vectors) or
 * row-major of x wrt (Jacobians).  An answer that cannot be evaluated at
 * this point leaves its entries NaN: a verdict (not finite). */
static int answers_into(const gc_problem *p, net_deriv *D, int kind,
                        const gc_block *of, const gc_block *wrt, double *dst)
{
    gc_net *n = (gc_net *)(void *)p->model;
    gc_error err;
    for (size_t i = 0; i < gc_fx_n_answers(D->prog); i++) {
        const gc_target *t = gc_fx_answer_target(D->prog, i);
        if ((int)t->kind != kind) continue;
        int block = kind == GC_TARGET_JACOBIAN || kind == GC_TARGET_HESSIAN;
        if (block && (t->of != of || t->wrt != wrt)) continue;
        if (t->n > n->n_vals) return GC_ENOMEM;
        memset(&err, 0, sizeof err);
        int st = gc_fx_answer_eval(D->prog, i, n->vals, &err);
        size_t off = block ? 0 : t->wrt->offset;
        const unsigned char *given = NULL;    /* the entries it claims */
        if (D->given && !block)
            given = D->given + (kind == GC_TARGET_PARAM ? 0
                                : n->prob->layout.params.n) + off;
        for (size_t k = 0; k < t->n; k++) {
            if (!isnan(n->vals[k])) dst[off + k] = n->vals[k];
                /* an error stops the answer (no entry is given); an entry
             * that is not finite is that entry's verdict alone */
            int stopped = st && !strstr(err.msg, " evaluates to ");
            if (!n->dwhy[0] && (!given || given[k]) &&
                (stopped || !isfinite(n->vals[k])))
                answer_why(n, D, i, k, st ? &err : NULL);
        }
    }
    return GC_OK;
}

static int d_gradient(size_t k, const gc_problem *p, const double *theta,
                      double *grad)
{
    net_deriv *D = deriv_of(p, k);
    if (!D) return GC_EINVAL;
    deriv_point(p, D, theta);
    return answers_into(p, D, GC_TARGET_PARAM, NULL, NULL, grad);
}

static int d_qgrads(size_t k, const gc_problem *p, const double *theta,
                    double *dq)
{
    net_deriv *D = deriv_of(p, k);
    if (!D) return GC_EINVAL;
    deriv_point(p, D, theta);
    return answers_into(p, D, GC_TARGET_QUANTITY, NULL, NULL, dq);
}

static int d_jacobian(size_t j, const gc_problem *p, const double *theta,
                      double *J)
{
    gc_net *n = (gc_net *)(void *)p->model;
    if (j >= n->n_jac) return GC_EINVAL;
    net_jac *m = &n->jmap[j];
    net_deriv *D = n->derivs[m->deriv];
    deriv_point(p, D, theta);
    return answers_into(p, D, GC_TARGET_JACOBIAN, m->of, m->wrt, J);
}

static int d_hessian(size_t j, const gc_problem *p, const double *theta,
                     double *H)
{
    gc_net *n = (gc_net *)(void *)p->model;
    if (j >= n->n_hess) return GC_EINVAL;
    net_jac *m = &n->hmap[j];
    net_deriv *D = n->derivs[m->deriv];
    deriv_point(p, D, theta);
    return answers_into(p, D, GC_TARGET_HESSIAN, m->of, m->wrt, H);
}

/* The trampolines: slot k of the derivation table, Jacobian j. */
#define TRAMP(k) \
    static int grad_##k(const gc_problem *p, const double *th, double *g, \
                        double *w) \
    { (void)w; return d_gradient(k, p, th, g); } \
    static int qgrad_##k(const gc_problem *p, const double *th, double *g, \
                         double *w) \
    { (void)w; return d_qgrads(k, p, th, g); }
#define HTRAMP(j) \
    static int hess_##j(const gc_problem *p, const double *th, double *H, \
                        double *w) \
    { (void)w; return d_hessian(j, p, th, H); }
#define JTRAMP(j) \
    static int jac_##j(const gc_problem *p, const double *th, double *J, \
                       double *w) \
    { (void)w; return d_jacobian(j, p, th, J); }
TRAMP(0) TRAMP(1) TRAMP(2) TRAMP(3) TRAMP(4) TRAMP(5) TRAMP(6) TRAMP(7)
TRAMP(8) TRAMP(9) TRAMP(10) TRAMP(11) TRAMP(12) TRAMP(13) TRAMP(14) TRAMP(15)
JTRAMP(0) JTRAMP(1) JTRAMP(2) JTRAMP(3) JTRAMP(4) JTRAMP(5) JTRAMP(6)
JTRAMP(7) JTRAMP(8) JTRAMP(9) JTRAMP(10) JTRAMP(11) JTRAMP(12) JTRAMP(13)
JTRAMP(14) JTRAMP(15) JTRAMP(16) JTRAMP(17) JTRAMP(18) JTRAMP(19) JTRAMP(20)
JTRAMP(21) JTRAMP(22) JTRAMP(23) JTRAMP(24) JTRAMP(25) JTRAMP(26) JTRAMP(27)
JTRAMP(28) JTRAMP(29) JTRAMP(30) JTRAMP(31)

HTRAMP(0) HTRAMP(1) HTRAMP(2) HTRAMP(3) HTRAMP(4) HTRAMP(5) HTRAMP(6)
HTRAMP(7) HTRAMP(8) HTRAMP(9) HTRAMP(10) HTRAMP(11) HTRAMP(12) HTRAMP(13)
HTRAMP(14) HTRAMP(15)

typedef int (*tramp_fn)(const gc_problem *, const double *, double *,
                        double *);
static const tramp_fn hess_fn[NET_MAX_HESSIANS] = {
    hess_0, hess_1, hess_2, hess_3, hess_4, hess_5, hess_6, hess_7,
    hess_8, hess_9, hess_10, hess_11, hess_12, hess_13, hess_14, hess_15,
};
static const tramp_fn grad_fn[NET_MAX_DERIVS] = {
    grad_0, grad_1, grad_2, grad_3, grad_4, grad_5, grad_6, grad_7,
    grad_8, grad_9, grad_10, grad_11, grad_12, grad_13, grad_14, grad_15,
};
static const tramp_fn qgrad_fn[NET_MAX_DERIVS] = {
    qgrad_0, qgrad_1, qgrad_2, qgrad_3, qgrad_4, qgrad_5, qgrad_6, qgrad_7,
    qgrad_8, qgrad_9, qgrad_10, qgrad_11, qgrad_12, qgrad_13, qgrad_14, qgrad_15,
};
static const tramp_fn jac_fn[NET_MAX_JACOBIANS] = {
    jac_0, jac_1, jac_2, jac_3, jac_4, jac_5, jac_6, jac_7,
    jac_8, jac_9, jac_10, jac_11, jac_12, jac_13, jac_14, jac_15,
    jac_16, jac_17, jac_18, jac_19, jac_20, jac_21, jac_22, jac_23,
    jac_24, jac_25, jac_26, jac_27, jac_28, jac_29, jac_30, jac_31,
};

/* Registers answer target t (d(of)/d(wrt), a Jacobian or a Hessian block) of
 * derivation k as entry *count of map, unless the derivation already has
 * that pair (map entries from `first` on are its own): the block's
 * trampoline fns[*count] fills out[*nout]. */
static int add_pair(net_jac *map, size_t *count, size_t first, size_t max,
                    const tramp_fn *fns, gc_jacobian *out, size_t *nout,
                    size_t k, const gc_target *t, const char *what,
                    long line, gc_error *err)
{
    for (size_t j = first; j < *count; j++)
        if (map[j].of == t->of && map[j].wrt == t->wrt) return GC_OK;
    if (*count >= max)
        return fx_fail(err, line, 1, GC_ELIMIT, "more than %zu %s blocks in "
                       "one case", max, what);
    map[*count] = (net_jac){.deriv = k, .of = t->of, .wrt = t->wrt};
    out[*nout] = (gc_jacobian){.of = t->of->name, .wrt = t->wrt->name,
                               .fill = fns[*count]};
    (*nout)++;
    (*count)++;
    return GC_OK;
}

static int add_derivation(gc_net *n, const gc_problem *p,
                          const double *theta, const char *name,
                          const char *summary, const char *file,
                          const char *text, size_t len,
                          const gc_net_pos *pos,
                          const gc_derivation_type **out, gc_error *err);

int gc_net_add_derivation(gc_net *n, const gc_problem *p, const double *theta,
                          const char *name, const char *summary,
                          const char *file, const char *text, size_t len,
                          const gc_net_pos *pos,
                          const gc_derivation_type **out, gc_error *err)
{
    int st = add_derivation(n, p, theta, name, summary, file, text, len, pos,
                            out, err);
    if (st && !err->file[0]) set_file(err, file);
    return st;
}

static int add_derivation(gc_net *n, const gc_problem *p,
                          const double *theta, const char *name,
                          const char *summary, const char *file,
                          const char *text, size_t len,
                          const gc_net_pos *pos,
                          const gc_derivation_type **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    set_file(err, file);
    if (n->n_derivs >= NET_MAX_DERIVS)
        return fx_fail(err, pos->line, pos->column, GC_ELIMIT, "more than %d "
                    "derivations in one case", NET_MAX_DERIVS);
    size_t nq = p->layout.quantities.n;
    if (!n->qd && !(n->qd = calloc(nq ? nq : 1, sizeof *n->qd)))
        return GC_ENOMEM;
    net_deriv *D = calloc(1, sizeof *D);
    if (!D) return GC_ENOMEM;
    n->derivs[n->n_derivs] = D;       /* owned by n from here on */
    size_t k = n->n_derivs;
    snprintf(D->name, sizeof D->name, "%s", name);
    D->summary = strdup(summary);
    D->file = strdup(file);
    if (keep_pos(&D->pos, pos)) return GC_ENOMEM;
    if (!D->summary || !D->file) return GC_ENOMEM;

    /* the loss: its own name, and the usual ones */
    const char *lname = gc_net_loss_name(n);
    const char *losses[10];
    size_t nl = 0;
    losses[nl++] = lname;
    for (size_t i = 0; gc_loss_names_default[i]; i++)
        if (strcmp(gc_loss_names_default[i], lname))
            losses[nl++] = gc_loss_names_default[i];
    losses[nl] = NULL;
    int st = gc_fx_compile_from(p, file, text, len, pos ? pos->line : 1,
                                lname, losses,
                                GC_FX_HESSIANS | GC_FX_LATER_DEFS, &D->prog,
                                err);
    if (st) { map_pos(pos, err); return st; }
    gc_fx_program *P = D->prog;
    gc_net_ungive_base_rows(n, p, P);
    if (gc_fx_n_notes(P)) {
        *err = *gc_fx_note(P, 0);
        map_pos(pos, err);
        return GC_EINVAL;
    }
    size_t na = gc_fx_n_answers(P);
    if (na == 0)
        return fx_fail(err, pos->line, pos->column, GC_EINVAL, "derivation %s "
                    "gives no answer (d%s/dW = ..., d%s/ds = ...)", name,
                    lname, lname);
    size_t maxn = 0;
    int any_param = 0, any_q = 0;
    size_t nc = 0, ncq = 0, nj0 = n->n_jac, nj = 0, nh0 = n->n_hess, nh = 0;
    for (size_t i = 0; i < na; i++) {
        const gc_error *e = gc_fx_answer_error(P, i);
        if (e) {
            *err = *e;
            map_pos(pos, err);
            return GC_EINVAL;
        }
        const gc_target *t = gc_fx_answer_target(P, i);
        if (t->n > maxn) maxn = t->n;
        if (t->kind == GC_TARGET_PARAM) {
            any_param = 1;
            int dup = 0;
            for (size_t c = 0; c < nc; c++) dup |= !strcmp(D->covers[c], t->wrt->name);
            if (!dup) D->covers[nc++] = t->wrt->name;
        } else if (t->kind == GC_TARGET_QUANTITY) {
            any_q = 1;
            int dup = 0;
            for (size_t c = 0; c < ncq; c++) dup |= !strcmp(D->covers_q[c], t->wrt->name);
            if (!dup) D->covers_q[ncq++] = t->wrt->name;
        } else if (t->kind == GC_TARGET_HESSIAN) {
            st = add_pair(n->hmap, &n->n_hess, nh0, NET_MAX_HESSIANS, hess_fn,
                          D->hess, &nh, k, t, "Hessian",
                          gc_fx_answer_line(P, i), err);
            if (st) return st;
        } else {
            st = add_pair(n->jmap, &n->n_jac, nj0, NET_MAX_JACOBIANS, jac_fn,
                          D->jac, &nj, k, t, "Jacobian",
                          gc_fx_answer_line(P, i), err);
            if (st) return st;
        }
    }
    /* a Hessian block is checked against the derivative of the
     * derivation's own gradient: it must give that gradient */
    for (size_t h = 0; h < nh; h++) {
        int have = 0;
        for (size_t c = 0; c < nc; c++) have |= !strcmp(D->covers[c], D->hess[h].of);
        if (!have) {
            size_t i = 0;
            for (; i < na; i++) {
                const gc_target *t = gc_fx_answer_target(P, i);
                if (t->kind == GC_TARGET_HESSIAN && !strcmp(t->of->name, D->hess[h].of))
                    break;
            }
            fx_fail(err, gc_fx_answer_line(P, i < na ? i : 0), 1, GC_EINVAL,
                 "d2%s/d%s d%s is checked against the derivative of this "
                 "derivation's own d%s/d%s: give d%s/d%s too", lname,
                 D->hess[h].of, D->hess[h].wrt, lname, D->hess[h].of, lname,
                 D->hess[h].of);
            map_pos(pos, err);
            return GC_EINVAL;
        }
    }
    if (maxn > n->n_vals) {
        double *v = realloc(n->vals, maxn * sizeof *v);
        if (!v) return GC_ENOMEM;
        n->vals = v;
        n->n_vals = maxn;
    }
    /* every answer once at the case's point: shapes and names are
     * checked here, so a mistake in the case is an error with its place;
     * a value that is not finite is a verdict, left to the run */
    net_forward(p, theta, NULL, n->qd, NULL);
    gc_fx_set_point(P, theta, n->qd);
    size_t np = p->layout.params.n;
    unsigned char *given = calloc(np + nq + 1, 1);   /* params, quantities */
    if (!given) return GC_ENOMEM;
    for (size_t i = 0; i < na; i++) {
        st = gc_fx_answer_eval(P, i, n->vals, err);
        if (st == GC_ENOMEM) { free(given); return st; }
        if (st && !strstr(err->msg, " evaluates to ")) {
            free(given);
            set_file(err, file);
            map_pos(pos, err);
            return st;
        }
        const gc_target *t = gc_fx_answer_target(P, i);
        if (t->kind != GC_TARGET_PARAM && t->kind != GC_TARGET_QUANTITY)
            continue;
        unsigned char *g = given + (t->kind == GC_TARGET_PARAM ? 0 : np) +
                           t->wrt->offset;
        for (size_t e = 0; e < t->n && e < t->wrt->size; e++)
            g[e] |= st || !isnan(n->vals[e]);   /* not finite: a verdict */
    }
    /* an answer for some entries of a block only (dL/dW[1][2] = ...):
     * those entries are claimed, the others reported as not claimed */
    int partial = 0;
    for (size_t i = 0; i < na && !partial; i++) {
        const gc_target *t = gc_fx_answer_target(P, i);
        if (t->kind != GC_TARGET_PARAM && t->kind != GC_TARGET_QUANTITY)
            continue;
        const unsigned char *g = given + (t->kind == GC_TARGET_PARAM ? 0
                                          : np) + t->wrt->offset;
        for (size_t e = 0; e < t->wrt->size; e++) partial |= !g[e];
    }
    if (partial) {
        D->given = given;            /* owned by D */
        D->type.claims_params = given;
        D->type.claims_quantities = given + np;
        given = NULL;
    }
    free(given);
    memset(err, 0, sizeof *err);
    set_file(err, file);
    D->type.name = D->name;
    D->type.summary = D->summary;
    D->type.gradient = any_param ? grad_fn[k] : NULL;
    D->type.quantity_grads = any_q ? qgrad_fn[k] : NULL;
    D->type.covers = D->covers;
    D->type.covers_quantities = D->covers_q;
    D->type.jacobians = nj ? D->jac : NULL;
    D->type.hessians = nh ? D->hess : NULL;
    D->type.why_nonfinite = d_why;
    n->dlist[k] = &D->type;
    n->n_derivs++;
    *out = &D->type;
    return GC_OK;
}

/* A row the forward pass defines on a line of its own (h[0] = zeros(n)
 * above h[t] = ...) is the recurrence's start, not one of its steps:
 * dL/dh[t] = V^T @ e[t] + ... answers the steps (e[0] need not exist), and
 * dL/dh[0] = ... the start, when the formulas give it. */
void gc_net_ungive_base_rows(const gc_net *n, const gc_problem *p,
                             gc_fx_program *P)
{
    const gc_fx_program *F = n->inst[0].prog;
    for (size_t c = 0; c < gc_fx_n_base_cases(F); c++) {
        long at;
        const char *qn = gc_fx_base_case(F, c, &at);
        const gc_block *qb = gc_blocks_find(&p->layout.quantities, qn);
        if (qb) gc_fx_ungive_row(P, qb, at);
    }
}

void gc_net_free(gc_net *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n_inst; i++) {
        gc_fx_program_free(n->inst[i].prog);
        free(n->inst[i].q);
        free(n->inst[i].base_theta);
        free(n->inst[i].base_q);
        fx_tape_cursor_clear(&n->inst[i].cur);
    }
    free(n->inst);
    for (size_t i = 0; i < NET_MAX_DERIVS; i++) {
        if (!n->derivs[i]) continue;
        gc_fx_program_free(n->derivs[i]->prog);
        free(n->derivs[i]->summary);
        free(n->derivs[i]->given);
        free(n->derivs[i]->file);
        free((void *)n->derivs[i]->pos.cols);
        free(n->derivs[i]);
    }
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->freed);
    free(n->defs);
    free(n->order);
    free(n->soff);
    free(n->qpos);
    fx_tape_free(n->tape);
    free(n->text);
    free((void *)n->pos.cols);
    free(n->file);
    free(n->title);
    free(n->qd);
    free(n->vals);
    free(n);
}
