/* parse.c: the parser: one expression into a syntax tree in the
 * program's node arena, names resolved as they are read. */
#include "fx/fx_impl.h"

#include <stdio.h>
#include <string.h>

static node *new_node(parser *ps, int k, long line, long col)
{
    node *n = fx_arena_alloc(&ps->P->nodes, sizeof *n);
    if (!n) {
        fx_fail(ps->err, line, col, ps->P->nodes.over ? GC_ELIMIT : GC_ENOMEM,
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

node *fx_node_new(parser *ps, int k, long line, long col)
{
    return new_node(ps, k, line, col);
}

static const char *save_name(parser *ps, const char *s)
{
    size_t l = strlen(s) + 1;
    char *d = fx_arena_alloc(&ps->P->nodes, l);
    if (d) memcpy(d, s, l);
    return d ? d : "?";
}

/* Append kid (and, for chains, its operator) to n; arrays grow by
 * doubling inside the node arena. */
static int add_kid(parser *ps, node *n, node *kid, int op, long ol, long oc)
{
    if ((n->n & (n->n - 1)) == 0) {   /* 0, 1, 2, 4, ...: grow */
        size_t cap = n->n ? 2 * (size_t)n->n : 1;
        node **k = fx_arena_alloc(&ps->P->nodes, cap * sizeof *k);
        int *o = fx_arena_alloc(&ps->P->nodes, cap * sizeof *o);
        long *l = fx_arena_alloc(&ps->P->nodes, cap * sizeof *l);
        long *c = fx_arena_alloc(&ps->P->nodes, cap * sizeof *c);
        if (!k || !o || !l || !c)
            return fx_fail(ps->err, ol, oc, ps->P->nodes.over ? GC_ELIMIT
                           : GC_ENOMEM, "the formulas need more than %zu "
                           "bytes (GC_FX_MAX_MEMORY)",
                           (size_t)GC_FX_MAX_MEMORY);
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

int fx_node_add(parser *ps, node *n, node *kid)
{
    return add_kid(ps, n, kid, 0, n->line, n->col);
}

int fx_expect(parser *ps, int kind, const char *what)
{
    if (ps->lx.t.k != kind) {
        const token *t = &ps->lx.t;
        const char *found = t->k == T_END ? "the end of the formula"
                          : t->k == T_NUM ? "a number" : t->k == T_NAME ? t->name
                          : t->k == T_ASSIGN ? "'='" : t->k == T_RP ? "')'"
                          : t->k == T_RB ? "']'" : t->k == T_COMMA ? "','"
                          : t->k == T_LP ? "'('" : t->k == T_LB ? "'['"
                          : "an operator";
        return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "expected %s, "
                       "found %s%s%s", what, t->k == T_NAME ? "\"" : "", found,
                       t->k == T_NAME ? "\"" : "");
    }
    return fx_lex(&ps->lx);
}

const gc_block *fx_find_block(const gc_problem *p, const char *name,
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

int fx_find_def(const gc_fx_program *P, const char *name, int visible)
{
    for (int i = 0; i < visible && (size_t)i < P->n_defs; i++)
        if (strcmp(P->defs[i].name, name) == 0) return i;
    return -1;
}

int fx_find_dim(const gc_problem *p, const char *name)
{
    return gc_dim_index(p->model, name);
}

const char *fx_fam_noun(int fam)
{
    return fam == FAM_PARAM ? "parameter" : fam == FAM_INPUT ? "input"
                                                             : "quantity";
}

/* A new index name (sum/prod index, free index, definition parameter)
 * must not hide anything the formula could mean instead. */
int fx_check_new_index(parser *ps, const char *name, long line, long col)
{
    int fam;
    const gc_block *b = fx_find_block(ps->P->p, name, &fam);
    if (b)
        return fx_fail(ps->err, line, col, GC_EINVAL, "the index name \"%s\" "
                       "is already the %s %s: choose another letter", name,
                       fx_fam_noun(fam), name);
    if (fx_find_dim(ps->P->p, name) >= 0)
        return fx_fail(ps->err, line, col, GC_EINVAL, "the index name "
                       "\"%s\" is already a dimension of the model: choose "
                       "another letter", name);
    if (fx_find_def(ps->P, name, ps->n_defs_visible) >= 0)
        return fx_fail(ps->err, line, col, GC_EINVAL, "the index name "
                       "\"%s\" is already defined above: choose another "
                       "letter", name);
    for (int i = 0; i < ps->n_scope; i++)
        if (strcmp(ps->scope_name[i], name) == 0)
            return fx_fail(ps->err, line, col, GC_EINVAL, "the index name "
                           "\"%s\" is already in use here", name);
    if (strcmp(name, "pi") == 0)
        return fx_fail(ps->err, line, col, GC_EINVAL, "\"pi\" cannot be an "
                       "index name");
    return GC_OK;
}

int fx_push_index(parser *ps, const char *name, int *slot)
{
    size_t cap = sizeof ps->scope_slot / sizeof *ps->scope_slot;
    if ((size_t)ps->n_scope >= cap)
        return fx_fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_ELIMIT,
                       "more than %zu index names in scope (GC_FX_MAX_DEPTH)",
                       cap);
    ps->scope_name[ps->n_scope] = save_name(ps, name);
    ps->scope_slot[ps->n_scope] = *slot = ps->P->n_slots++;
    ps->n_scope++;
    return GC_OK;
}

int fx_parse_expr(parser *ps, node **out);
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
    if (fx_builtin_find(t->name) >= 0)
        fx_fail(ps->err, t->line, t->col, GC_EINVAL, "%s is a function: write "
                "%s(...)", t->name, t->name);
    else if (ps->defining && strcmp(ps->defining, t->name) == 0)
        fx_fail(ps->err, t->line, t->col, GC_EINVAL, "%s uses itself: only an "
                "indexed definition (%s[t] = ...) may refer to itself, at "
                "other indices", t->name, t->name);
    else
        fx_fail(ps->err, t->line, t->col, GC_EINVAL, "unknown name \"%s\" "
                "(model %s names: %s)", t->name, p->model->name, names);
}

/* The rest of sum(i, first, last, term) or prod(...) after "i,": i is
 * bound in the term only.  n is the call node, made an N_SUM. */
static int parse_sum(parser *ps, node *n, const token *it, node **out)
{
    int st;
    const char *fn = n->op == B_PROD ? "prod" : n->op == B_ARRAY ? "array"
                   : "sum";
    n->op = n->op == B_PROD ? 1 : n->op == B_ARRAY ? 2 : 0;
    n->k = N_SUM;
    if ((st = fx_check_new_index(ps, it->name, it->line, it->col))) {
        /* sum(W, 1), as NumPy's sum(W, axis): say which forms there are */
        size_t len = strlen(ps->err->msg);
        if (n->op != 2)
            snprintf(ps->err->msg + len, sizeof ps->err->msg - len, " (%s "
                     "takes %s(v), every entry, or %s(i, first, last, term) "
                     "with a new index name i; over one axis: sum(i, 1, n, "
                     "A[i]) adds A's rows, A @ ones(m) its columns)", fn, fn,
                     fn);
        return st;
    }
    if ((st = fx_lex(&ps->lx))) return st;
    node *lo = NULL, *hi = NULL, *body = NULL;
    if ((st = fx_parse_expr(ps, &lo))) return st;
    if ((st = fx_expect(ps, T_COMMA, "',' and the last index of the sum: "
                        "sum(i, first, last, term)")))
        return st;
    if ((st = fx_parse_expr(ps, &hi))) return st;
    if ((st = fx_expect(ps, T_COMMA, "',' and the term: sum(i, first, "
                        "last, term)")))
        return st;
    if ((st = fx_push_index(ps, it->name, &n->slot))) return st;
    st = fx_parse_expr(ps, &body);
    ps->n_scope--;
    if (st) return st;
    if ((st = add_kid(ps, n, lo, 0, 0, 0)) ||
        (st = add_kid(ps, n, hi, 0, 0, 0)) ||
        (st = add_kid(ps, n, body, 0, 0, 0)))
        return st;
    if ((st = fx_expect(ps, T_RP, "')' after the term of the sum")))
        return st;
    *out = n;
    return GC_OK;
}

/* Which builtin "t(" calls; an error when t is no function. */
static int find_function(parser *ps, const token *t)
{
    int b = fx_builtin_find(t->name), fam;
    if (b >= 0) return b;
    if (fx_find_block(ps->P->p, t->name, &fam) ||
        fx_find_dim(ps->P->p, t->name) >= 0 ||
        fx_find_def(ps->P, t->name, ps->n_defs_visible) >= 0)
        fx_fail(ps->err, t->line, t->col, GC_EINVAL, "\"%s\" is not a "
                "function: write %s[i] for an entry or %s*(...) to multiply",
                t->name, t->name, t->name);
    else
        fx_fail(ps->err, t->line, t->col, GC_EINVAL, "unknown function "
                "\"%s\" (functions: %s)", t->name, fx_builtin_names);
    return -1;
}

/* max(a, b, c, ...) and min(...) of three or more arguments, as on paper
 * (max_k z_k over a maxout unit's pieces): the entry-by-entry max(a, b)
 * of its halves, a balanced tree of two-argument calls so that the
 * interpreter, the compiled program and the tape need nothing new and 2000
 * arguments nest 11 deep, not 2000.  call holds the arguments lo..hi-1. */
static int fold_min_max(parser *ps, const node *call, int lo, int hi,
                        node **out)
{
    if (hi - lo == 1) {
        *out = call->kid[lo];
        return GC_OK;
    }
    node *n = new_node(ps, N_CALL, call->line, call->col), *a, *b;
    int st;
    if (!n) return GC_ENOMEM;
    n->op = call->op;
    n->name = call->name;
    int mid = lo + (hi - lo) / 2;
    if ((st = fold_min_max(ps, call, lo, mid, &a)) ||
        (st = fold_min_max(ps, call, mid, hi, &b)) ||
        (st = add_kid(ps, n, a, 0, 0, 0)) || (st = add_kid(ps, n, b, 0, 0, 0)))
        return st;
    *out = n;
    return GC_OK;
}

/* A call of a builtin: t is its name, '(' is current. */
static int parse_call(parser *ps, const token *t, node **out)
{
    int b = find_function(ps, t), st;
    if (b < 0) return GC_EINVAL;
    const fx_builtin *f = &fx_builtins[b];
    node *n = new_node(ps, N_CALL, t->line, t->col);
    if (!n) return GC_ENOMEM;
    n->op = f->id;
    n->name = save_name(ps, t->name);
    if ((st = fx_lex(&ps->lx))) return st;
    if ((f->id == B_SUM || f->id == B_PROD || f->id == B_ARRAY) &&
        ps->lx.t.k == T_NAME) {
        /* sum(i, lo, hi, expr) binds i in expr; sum(v) adds v up */
        lexer save = ps->lx;
        token it = ps->lx.t;
        if ((st = fx_lex(&ps->lx))) return st;
        if (ps->lx.t.k == T_COMMA) return parse_sum(ps, n, &it, out);
        ps->lx = save;     /* sum(v): re-read v as an expression */
    }
    if (ps->lx.t.k != T_RP) {
        for (;;) {
            node *a = NULL;
            if (ps->lx.t.k == T_NAME) {
                /* softmax(z, dim=1), as in PyTorch: no keywords here */
                lexer save = ps->lx;
                token kw = ps->lx.t;
                if ((st = fx_lex(&ps->lx))) return st;
                int keyword = ps->lx.t.k == T_ASSIGN;
                ps->lx = save;
                if (keyword)
                    return fx_fail(ps->err, kw.line, kw.col, GC_EINVAL,
                                   "%s(..., %s=...): a function takes no "
                                   "keyword arguments (softmax, log_softmax "
                                   "of a matrix work on each row, PyTorch's "
                                   "dim=-1; sum(i, 1, n, A[i]) adds A's rows)",
                                   t->name, kw.name);
            }
            if ((st = fx_parse_expr(ps, &a))) return st;
            if ((st = add_kid(ps, n, a, 0, 0, 0))) return st;
            if (ps->lx.t.k != T_COMMA) break;
            if ((st = fx_lex(&ps->lx))) return st;
        }
    }
    if ((st = fx_expect(ps, T_RP, "')' or ',' in the call"))) return st;
    if ((f->id == B_MIN || f->id == B_MAX) && n->n > 2)
        return fold_min_max(ps, n, 0, n->n, out);
    /* sum, prod and array with more than one argument are the bound forms
     * (parse_sum); here only sum(v) and prod(v) remain */
    int bound_form = f->id == B_SUM || f->id == B_PROD || f->id == B_ARRAY;
    if (n->n < f->min_args || n->n > (bound_form ? 1 : f->max_args)) {
        if (f->id == B_ARRAY)
            return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "array takes "
                           "array(i, first, last, term)");
        if (f->id == B_SUM || f->id == B_PROD)
            return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "%s takes "
                           "%s(v) (every entry) or %s(i, first, last, term)"
                           "%s", t->name, t->name, t->name,
                           f->id == B_SUM && n->n == 2
                           ? "; over one axis: sum(i, 1, n, A[i]) adds A's "
                             "rows, A @ ones(m) its columns" : "");
        return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "%s takes %d%s "
                       "argument%s, found %d", t->name, f->min_args,
                       f->max_args > f->min_args ? " or 2" : "",
                       f->max_args == 1 ? "" : "s", n->n);
    }
    *out = n;
    return GC_OK;
}

/* A name that is no call, bound in this order: an index in scope, an
 * earlier definition, a block, a dimension, pi.  t is the name. */
static int parse_ref(parser *ps, const token *t, node **out)
{
    gc_fx_program *P = ps->P;
    node *n;
    for (int i = ps->n_scope - 1; i >= 0; i--)
        if (strcmp(ps->scope_name[i], t->name) == 0) {
            if (!(n = new_node(ps, N_SLOT, t->line, t->col))) return GC_ENOMEM;
            n->slot = ps->scope_slot[i];
            n->name = ps->scope_name[i];
            *out = n;
            return GC_OK;
        }
    int d = fx_find_def(P, t->name, ps->n_defs_visible);
    if (d >= 0) {
        if (d == ps->defining_index && d != ps->self)
            return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "%s uses "
                           "itself: only an indexed definition (%s[t] = ...) "
                           "may refer to itself, at other indices", t->name,
                           t->name);
        if (P->defs[d].broken && d != ps->self && !P->defs[d].pending)
            return fx_fail(ps->err, t->line, t->col, GC_EINVAL, "uses %s, "
                           "whose definition on line %ld cannot be read (%s)",
                           t->name, P->line0 + P->defs[d].line,
                           P->defs[d].why);
        if (!(n = new_node(ps, N_DEF, t->line, t->col))) return GC_ENOMEM;
        n->def = d;
        n->name = P->defs[d].name;
        *out = n;
        return GC_OK;
    }
    int fam;
    const gc_block *b = fx_find_block(P->p, t->name, &fam);
    if (b) {
        if (!(n = new_node(ps, N_BLOCK, t->line, t->col))) return GC_ENOMEM;
        n->blk = b;
        n->fam = fam;
        n->name = b->name;
        *out = n;
        return GC_OK;
    }
    int dim = fx_find_dim(P->p, t->name);
    if (dim >= 0 || strcmp(t->name, "pi") == 0) {
        if (!(n = new_node(ps, N_NUM, t->line, t->col))) return GC_ENOMEM;
        n->num = dim >= 0 ? (double)P->p->dims[dim] : FX_PI;
        n->name = dim >= 0 ? P->p->model->dims[dim].name : "pi";
        *out = n;
        return GC_OK;
    }
    unknown_name(ps, t);
    return GC_EINVAL;
}

/* NAME, possibly a call; the token is current. */
static int parse_name(parser *ps, node **out)
{
    token t = ps->lx.t;
    int st;
    if ((st = fx_lex(&ps->lx))) return st;
    /* "name(" is a call; "name (" a call of a function, else a product
     * (gamma (1 - x)) */
    if (ps->lx.t.k == T_LP &&
        (!ps->lx.t.spaced || fx_builtin_find(t.name) >= 0))
        return parse_call(ps, &t, out);
    return parse_ref(ps, &t, out);
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
        return fx_lex(&ps->lx);
    }
    case T_NAME:
        return parse_name(ps, out);
    case T_LP:
        if ((st = fx_lex(&ps->lx))) return st;
        if ((st = fx_parse_expr(ps, out))) return st;
        return fx_expect(ps, T_RP, "')'");
    default:
        return fx_expect(ps, -1, "a number, a name or '('");
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
            return fx_fail(ps->err, base->line, base->col, GC_EINVAL, "%s "
                           "needs %d index%s: %s[...]%s%s%s", base->name,
                           ps->P->defs[base->def].n_params,
                           ps->P->defs[base->def].n_params == 1 ? "" : "es",
                           base->name,
                           ps->P->defs[base->def].n_params == 1
                           ? " (all its entries at once: array(i, first, "
                             "last, " : "",
                           ps->P->defs[base->def].n_params == 1
                           ? base->name : "",
                           ps->P->defs[base->def].n_params == 1
                           ? "[i]))" : "");
        *out = base;
        return GC_OK;
    }
    node *ix = new_node(ps, N_INDEX, ps->lx.t.line, ps->lx.t.col);
    if (!ix) return GC_ENOMEM;
    if ((st = add_kid(ps, ix, base, 0, 0, 0))) return st;
    while (ps->lx.t.k == T_LB) {
        if ((st = fx_lex(&ps->lx))) return st;
        for (;;) {
            node *e = NULL;
            if ((st = fx_parse_expr(ps, &e))) return st;
            if (ix->n > GC_FX_MAX_RANK + GC_MAX_RANK)
                return fx_fail(ps->err, e->line, e->col, GC_EINVAL, "too many "
                               "indices");
            if ((st = add_kid(ps, ix, e, 0, 0, 0))) return st;
            if (ps->lx.t.k != T_COMMA) break;
            if ((st = fx_lex(&ps->lx))) return st;
        }
        if ((st = fx_expect(ps, T_RB, "']' or ','"))) return st;
    }
    if (base->k == N_DEF) {
        /* the first indices are the definition's parameters */
        int np = ps->P->defs[base->def].n_params;
        if (ix->n - 1 < np)
            return fx_fail(ps->err, base->line, base->col, GC_EINVAL, "%s "
                           "needs %d index%s, found %d", base->name, np,
                           np == 1 ? "" : "es", ix->n - 1);
        if (np) {
            base->kid = fx_arena_alloc(&ps->P->nodes,
                                       (size_t)np * sizeof *base->kid);
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
    if ((st = fx_lex(&ps->lx))) return st;
    if (ps->lx.t.k == T_NAME && strcmp(ps->lx.t.name, "T") == 0) {
        /* A^T, the homework's transpose: a bare T (not T[...] or T(...);
         * T (...) with a space multiplies, X^T (P - Y) as on paper)
         * marks the node (op 'T'); fx_eval transposes a matrix, refuses a
         * vector with the way to write it, and raises a number to the
         * power T where T is a name (a dimension), else leaves it */
        lexer save = ps->lx;
        if ((st = fx_lex(&ps->lx))) return st;
        int bare = ps->lx.t.k != T_LB &&
                   (ps->lx.t.k != T_LP || ps->lx.t.spaced);
        ps->lx = save;
        if (bare) {
            int bound = fx_find_def(ps->P, "T", ps->n_defs_visible) >= 0 ||
                        fx_find_dim(ps->P->p, "T") >= 0;
            int fam;
            bound |= fx_find_block(ps->P->p, "T", &fam) != NULL;
            for (int i = 0; i < ps->n_scope; i++)
                bound |= strcmp(ps->scope_name[i], "T") == 0;
            n->op = 'T';
            n->name = "^T";
            if (!bound) {
                if ((st = fx_lex(&ps->lx)) ||
                    (st = add_kid(ps, n, b, 0, 0, 0)))
                    return st;
                *out = n;
                return GC_OK;
            }
        }
    }
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
        st = fx_fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_ELIMIT, "nested "
                     "more than %d levels deep (GC_FX_MAX_DEPTH)",
                     GC_FX_MAX_DEPTH);
        ps->depth--;
        return st;
    }
    token t = ps->lx.t;
    if (t.k == T_OP && (t.op == '-' || t.op == '+')) {
        if ((st = fx_lex(&ps->lx))) goto done;
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
            if ((st = fx_lex(&ps->lx))) return st;
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
        if ((st = fx_lex(&ps->lx))) return st;
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

static int parse_cmp(parser *ps, node **out)
{
    node *a = NULL;
    int st = parse_add(ps, &a);
    if (st) return st;
    if (!is_cmp(&ps->lx.t)) { *out = a; return GC_OK; }
    node *n = new_node(ps, N_CMP, ps->lx.t.line, ps->lx.t.col);
    if (!n) return GC_ENOMEM;
    n->op = ps->lx.t.op;
    if ((st = fx_lex(&ps->lx))) return st;
    node *b = NULL;
    if ((st = parse_add(ps, &b))) return st;
    if ((st = add_kid(ps, n, a, 0, 0, 0)) || (st = add_kid(ps, n, b, 0, 0, 0)))
        return st;
    if (is_cmp(&ps->lx.t))
        return fx_fail(ps->err, ps->lx.t.line, ps->lx.t.col, GC_EINVAL,
                       "comparisons do not chain: write (a < b) && (b < c)");
    *out = n;
    return GC_OK;
}

/* a && b (tighter) and a || b, left to right: 1 or 0, entry by entry,
 * both sides evaluated (if(i < 1 || i > n, 0, x[i]) guards the index by
 * if, which evaluates only the branch taken). */
static int parse_logic(parser *ps, int op, node **out)
{
    node *a = NULL;
    int st = op == OP_OR ? parse_logic(ps, OP_AND, &a) : parse_cmp(ps, &a);
    if (st) return st;
    while (ps->lx.t.k == T_OP && ps->lx.t.op == op) {
        node *n = new_node(ps, N_CMP, ps->lx.t.line, ps->lx.t.col);
        if (!n) return GC_ENOMEM;
        n->op = op;
        if ((st = fx_lex(&ps->lx))) return st;
        node *b = NULL;
        if ((st = op == OP_OR ? parse_logic(ps, OP_AND, &b)
                              : parse_cmp(ps, &b)))
            return st;
        if ((st = add_kid(ps, n, a, 0, 0, 0)) ||
            (st = add_kid(ps, n, b, 0, 0, 0)))
            return st;
        a = n;
    }
    *out = a;
    return GC_OK;
}

int fx_parse_expr(parser *ps, node **out)
{
    return parse_logic(ps, OP_OR, out);
}

void fx_parser_init(parser *ps, gc_fx_program *P, gc_error *err,
                    const char *text, size_t len, long line, long col)
{
    memset(ps, 0, sizeof *ps);
    ps->P = P;
    ps->err = err;
    ps->lx.s = text;
    ps->lx.end = text + len;
    ps->lx.line = line;
    ps->lx.col = col;
    ps->lx.err = err;
    ps->self = -1;
    ps->defining_index = -1;
}

int fx_parse_formula(parser *ps, node **out)
{
    int st = fx_parse_expr(ps, out);
    if (!st && ps->lx.t.k != T_END)
        st = fx_expect(ps, -1, "an operator or the end of the formula");
    return st;
}
