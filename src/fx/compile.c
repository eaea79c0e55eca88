/* compile.c: a submission into a program: statements split by indentation,
 * each read as an answer (dL/dv[i] = ...) or a definition (a[k] = ...). */
#include "fx/fx_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *const *l = P->losses ? P->losses : gc_loss_names_default;
    for (size_t i = 0; l[i]; i++)
        if (strcmp(l[i], name) == 0) return 1;
    return 0;
}

static void loss_list(const gc_fx_program *P, char *buf, size_t n)
{
    const char *const *l = P->losses ? P->losses : gc_loss_names_default;
    buf[0] = 0;
    for (size_t i = 0; l[i]; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", i ? ", " : "", l[i]);
    }
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
        if ((st = fx_lex(&ps->lx))) return st;
        for (;;) {
            token t = ps->lx.t;
            if (ix->n > GC_MAX_RANK)
                return fx_fail(ps->err, t.line, t.col, GC_EINVAL, "more "
                               "than %d indices", GC_MAX_RANK);
            int neg = 0;
            if (!names_only && t.k == T_OP && t.op == '-') {
                neg = 1;
                if ((st = fx_lex(&ps->lx))) return st;
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
                return fx_expect(ps, -1, names_only
                                 ? "an index name such as i or k"
                                 : "an index name (i, k) or a whole number");
            }
            ix->line[ix->n] = t.line;
            ix->col[ix->n] = t.col;
            ix->n++;
            if ((st = fx_lex(&ps->lx))) return st;
            if (ps->lx.t.k == T_OP && (ps->lx.t.op == '+' ||
                                       ps->lx.t.op == '-'))
                /* dh[t]/dh[t-1]: a one-step Jacobian of a recurrence */
                return fx_fail(ps->err, t.line, t.col, GC_EINVAL, "an index "
                               "on the left of = is a name or a whole "
                               "number, not an expression: there is no "
                               "Jacobian between two steps (dh[t]/dh[t-1]); "
                               "state dL/dh[t] for each step, or the one-"
                               "step Jacobian as a definition used in it");
            if (ps->lx.t.k != T_COMMA) break;
            if ((st = fx_lex(&ps->lx))) return st;
        }
        if ((st = fx_expect(ps, T_RB, "']' or ','"))) return st;
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
        return fx_fail(ps->err, ix->line[ix->n - 1], ix->col[ix->n - 1],
                       GC_EINVAL, "%s has %d ind%s, found %d", b->name,
                       b->rank, b->rank == 1 ? "ex" : "ices", ix->n);
    (void)side;
    for (int a = 0; a < ix->n; a++) {
        /* a dimension's name is its value: dL/dh[T] = ... for the last
         * step (unless a definition took the name) */
        int dim = ix->is_name[a] &&
                  fx_find_def(ps->P, ix->name[a], ps->n_defs_visible) < 0
                  ? fx_find_dim(ps->P->p, ix->name[a]) : -1;
        if (ix->is_name[a] && dim < 0) {
            /* da[j]/ds[j]: the same letter on both sides, a diagonal
             * Jacobian as on paper; each side needs its own index */
            for (int i = 0; at > 0 && i < ps->n_scope; i++)
                if (strcmp(ps->scope_name[i], ix->name[a]) == 0)
                    return fx_fail(ps->err, ix->line[a], ix->col[a],
                                   GC_EINVAL, "the index %s is already the "
                                   "first side's: give each side its own "
                                   "(a diagonal Jacobian is dr[i]/da[j] = "
                                   "kdelta(i, j) drelu(a[j]), or "
                                   "dr/da = diag(drelu(a)))", ix->name[a]);
            if ((st = fx_check_new_index(ps, ix->name[a], ix->line[a],
                                         ix->col[a])))
                return st;
            if ((st = fx_push_index(ps, ix->name[a], &s->slot[at + a])))
                return st;
        } else {
            long v = dim >= 0 ? ps->P->p->dims[dim] : ix->value[a];
            long lo = b->base[a], hi = b->base[a] + (long)b->shape[a] - 1;
            if (v < lo || v > hi)
                return fx_fail(ps->err, ix->line[a], ix->col[a], GC_EINVAL,
                               "index %ld is out of range: %s has indices "
                               "%ld..%ld along this axis", v, b->name, lo,
                               hi);
            s->slot[at + a] = -1;
            s->fixed[at + a] = v;
            s->n_fixed++;
            if (dim >= 0 && !s->dim_ix[0]) {
                snprintf(s->dim_ix, sizeof s->dim_ix, "%s", ix->name[a]);
                s->dim_line = ix->line[a];
                s->dim_col = ix->col[a];
            }
        }
    }
    return GC_OK;
}

/* The statement may not be longer than GC_FX_MAX_STATEMENT. */
static int check_length(parser *ps, const token *first, size_t len)
{
    if (len > GC_FX_MAX_STATEMENT)
        return fx_fail(ps->err, first->line, first->col, GC_ELIMIT, "the "
                       "statement has %zu characters, more than %d "
                       "(GC_FX_MAX_STATEMENT)", len, GC_FX_MAX_STATEMENT);
    return GC_OK;
}

/* The target of an answer's left-hand side dX[...]/dY[...] (first and
 * second the names, ix1 and ix2 their indices), keyed with its fixed
 * indices; *x_loss says whether X is the loss. */
static int answer_target(parser *ps, const token *first,
                         const lhs_indices *ix1, const token *second,
                         const lhs_indices *ix2, gc_target *t, int *x_loss)
{
    gc_fx_program *P = ps->P;
    if (first->name[0] != 'd' || !first->name[1] || second->name[0] != 'd' ||
        !second->name[1])
        return fx_fail(ps->err, first->line, first->col, GC_EINVAL,
                       "expected dL/dv, dL/dv[i] or dq[i]/dv[j] on the left "
                       "(d glued to the names), found %s/%s", first->name,
                       second->name);
    const char *x = first->name + 1, *y = second->name + 1;
    *x_loss = !gc_blocks_find(&P->p->layout.quantities, x);
    if (*x_loss && !is_loss(P, x)) {
        char ll[128];
        loss_list(P, ll, sizeof ll);
        return fx_fail(ps->err, first->line, first->col + 1, GC_EINVAL,
                       "%s is neither a name of the loss (%s; a 'loss:' line "
                       "adds one) nor a quantity of model %s", x, ll,
                       P->p->model->name);
    }
    char msg[256];
    if (gc_target_resolve(P->p, x, y, P->loss, *x_loss, t, msg, sizeof msg))
        return fx_fail(ps->err, second->line, second->col + 1, GC_EINVAL,
                       "%s", msg);
    if (t->n > GC_FX_MAX_TENSOR)
        return fx_fail(ps->err, first->line, first->col, GC_ELIMIT, "%s has "
                       "more than %zu entries (GC_FX_MAX_TENSOR)", t->key,
                       (size_t)GC_FX_MAX_TENSOR);
    /* the answer it belongs to: target and fixed indices */
    int f1[GC_MAX_RANK + 1], f2[GC_MAX_RANK + 1];
    char sx[48], sy[48];
    for (int a = 0; a < ix1->n; a++) f1[a] = ix1->is_name[a];
    for (int a = 0; a < ix2->n; a++) f2[a] = ix2->is_name[a];
    gc_target_key_suffix(sx, sizeof sx, ix1->n, f1, ix1->value);
    gc_target_key_suffix(sy, sizeof sy, ix2->n, f2, ix2->value);
    char *slash = strchr(t->key, '/');
    char head[GC_NAME_MAX + 2];
    snprintf(head, sizeof head, "%.*s", (int)(slash - t->key), t->key);
    snprintf(t->key, sizeof t->key, "%.32s%.47s/d%.31s%.47s", head, sx, y,
             sy);
    return GC_OK;
}

/* The answer keyed t->key, added (no statements yet) if it is new. */
static int answer_for(gc_fx_program *P, const gc_target *t, long line,
                      answer **out)
{
    answer *A = find_answer(P, t->key);
    if (!A) {
        if (grow((void **)&P->ans, P->n_ans, sizeof *P->ans))
            return GC_ENOMEM;
        A = &P->ans[P->n_ans++];
        memset(A, 0, sizeof *A);
        A->t = *t;
        A->line = line;
        A->given = calloc(t->n ? t->n : 1, sizeof *A->given);
        if (!A->given) return GC_ENOMEM;
    }
    *out = A;
    return GC_OK;
}

/* Mark the entries statement S gives: each at most once across the
 * answer's statements. */
static int mark_given(parser *ps, answer *A, const statement *S,
                      const token *first)
{
    odometer o;
    fx_odo_init(&o, &A->t, S);
    do {
        size_t ol, orest, wl, wrest;
        fx_combo_entries(&A->t, S, &o, &ol, &orest, &wl, &wrest);
        for (size_t i = 0; i < orest; i++)
            for (size_t k = 0; k < wrest; k++) {
                size_t flat = (ol + i) * A->t.wrt->size + wl + k;
                if (A->given[flat]) {
                    /* the statement with more fixed indices gives the
                     * entry: dL/dh[T] = ... beside dL/dh[t] = ..., in
                     * either order; as many is an error */
                    const statement *T = NULL;
                    for (size_t j = 0; j < A->n_st; j++)
                        if (A->st[j]->line == A->given[flat]) T = A->st[j];
                    if (T && T->n_fixed > S->n_fixed) continue;
                    if (!T || T->n_fixed == S->n_fixed) {
                        char en[160];
                        fx_target_entry_name(ps->P, &A->t, flat, en,
                                             sizeof en);
                        return fx_fail(ps->err, first->line, first->col,
                                       GC_EINVAL, "%s is already given on "
                                       "line %ld", en,
                                       ps->P->line0 + A->given[flat]);
                    }
                }
                A->given[flat] = first->line;
            }
    } while (fx_odo_next(&o));
    return GC_OK;
}

/* The parameter block named name, or NULL. */
static const gc_block *param_named(const gc_fx_program *P, const char *name)
{
    return gc_blocks_find(&P->p->layout.params, name);
}

/* The statement of answer A whose left-hand side was read (indices ixo
 * of block of, which may be NULL for the loss, and ixw of wrt): its
 * indices bound, '=' and the formula read, the entries it gives marked. */
static int add_statement(parser *ps, const token *first, size_t len,
                         const lhs_indices *ixo, const gc_block *of,
                         const lhs_indices *ixw, const gc_block *wrt,
                         answer *A)
{
    gc_fx_program *P = ps->P;
    int st;
    statement *S = fx_arena_alloc(&P->nodes, sizeof *S);
    if (!S) return GC_ENOMEM;
    memset(S, 0, sizeof *S);
    S->line = first->line;
    S->n_of = ixo->n;
    S->n_wrt = ixw->n;
    if ((of && (st = bind_indices(ps, ixo, of, "of", S, 0))) ||
        (st = bind_indices(ps, ixw, wrt, "wrt", S, ixo->n)) ||
        (st = fx_expect(ps, T_ASSIGN, "'=' after the left-hand side")) ||
        (st = check_length(ps, first, len)) ||
        (st = fx_parse_formula(ps, &S->body)) ||
        (st = mark_given(ps, A, S, first)))
        return st;
    if (grow((void **)&A->st, A->n_st, sizeof *A->st))
        return GC_ENOMEM;
    A->st[A->n_st++] = S;
    return GC_OK;
}

/* A Hessian block d2L/dA[...] dB[...] = expr (or glued, d2L/dAdB, when
 * that splits into two parameter blocks one way only); first (d2L) and
 * ix1 are read, the '/' is current. */
static int compile_hessian(parser *ps, const token *first,
                           const lhs_indices *ix1, size_t len, answer **A)
{
    gc_fx_program *P = ps->P;
    int st;
    if (!P->hessians)
        return fx_fail(ps->err, first->line, first->col, GC_EINVAL, "second "
                       "derivatives (%s/...) are checked in a case's own "
                       "derivations, not graded", first->name);
    if (ix1->n)
        return fx_fail(ps->err, ix1->line[0], ix1->col[0], GC_EINVAL, "the "
                       "loss is a scalar: write d2%s/dA[i] dB[j]",
                       first->name + 2);
    if ((st = fx_lex(&ps->lx))) return st;
    token a = ps->lx.t, b;
    if (a.k != T_NAME || a.name[0] != 'd' || !a.name[1])
        return fx_expect(ps, -1, "dA dB after d2L/ (two parameter blocks)");
    lhs_indices ixa, ixb;
    memset(&ixa, 0, sizeof ixa);
    memset(&ixb, 0, sizeof ixb);
    if ((st = fx_lex(&ps->lx)) || (st = parse_lhs_indices(ps, &ixa, 0)))
        return st;
    const gc_block *ba = NULL, *bb = NULL;
    if (ps->lx.t.k == T_NAME) {               /* d2L/dA dB */
        b = ps->lx.t;
        if (b.name[0] != 'd' || !b.name[1])
            return fx_fail(ps->err, b.line, b.col, GC_EINVAL, "expected "
                           "dB (d glued to a parameter block), found %s",
                           b.name);
        if ((st = fx_lex(&ps->lx)) || (st = parse_lhs_indices(ps, &ixb, 0)))
            return st;
        ba = param_named(P, a.name + 1);
        bb = param_named(P, b.name + 1);
        if (!ba || !bb)
            return fx_fail(ps->err, ba ? b.line : a.line,
                           (ba ? b.col : a.col) + 1, GC_EINVAL, "%s is not a "
                           "parameter block of model %s: second derivatives "
                           "are with respect to two parameter blocks",
                           ba ? b.name + 1 : a.name + 1, P->p->model->name);
    } else {                                  /* d2L/dAdB, glued */
        if (ixa.n)
            return fx_fail(ps->err, ixa.line[0], ixa.col[0], GC_EINVAL,
                           "write d2L/dA[i] dB with a space before dB");
        b = a;
        int found = 0;
        for (size_t k = 2; a.name[k]; k++) {
            if (a.name[k] != 'd') continue;
            char x[GC_NAME_MAX];
            snprintf(x, sizeof x, "%.*s", (int)k - 1, a.name + 1);
            const gc_block *p1 = param_named(P, x);
            const gc_block *p2 = param_named(P, a.name + k + 1);
            if (p1 && p2) { ba = p1; bb = p2; found++; }
        }
        if (found != 1)
            return fx_fail(ps->err, a.line, a.col, GC_EINVAL, "%s/%s: write "
                           "the two parameter blocks apart, d2L/dA dB%s",
                           first->name, a.name, found ? " (it splits more "
                           "than one way)" : "");
        ixb = ixa;
        ixb.n = 0;
    }
    gc_target t;
    memset(&t, 0, sizeof t);
    t.kind = GC_TARGET_HESSIAN;
    t.of = ba;
    t.wrt = bb;
    t.wrt_param = 1;
    t.n = ba->size * bb->size;
    if (t.n > GC_FX_MAX_TENSOR)
        return fx_fail(ps->err, first->line, first->col, GC_ELIMIT, "the "
                       "Hessian block has more than %zu entries "
                       "(GC_FX_MAX_TENSOR)", (size_t)GC_FX_MAX_TENSOR);
    int f1[GC_MAX_RANK + 1], f2[GC_MAX_RANK + 1];
    char sx[48], sy[48];
    for (int k = 0; k < ixa.n; k++) f1[k] = ixa.is_name[k];
    for (int k = 0; k < ixb.n; k++) f2[k] = ixb.is_name[k];
    gc_target_key_suffix(sx, sizeof sx, ixa.n, f1, ixa.value);
    gc_target_key_suffix(sy, sizeof sy, ixb.n, f2, ixb.value);
    snprintf(t.key, sizeof t.key, "d2%.24s/d%.24s%.30s d%.24s%.30s", P->loss,
             ba->name, sx, bb->name, sy);
    if ((st = answer_for(P, &t, first->line, A))) return st;
    return add_statement(ps, first, len, &ixa, ba, &ixb, bb, *A);
}

/* An answer dX[...]/dY[...] = expr; first and ix1 (X and its indices)
 * are read, the '/' is current.  *A is set as soon as the answer is
 * known, so that an error after it marks the answer invalid. */
static int compile_answer(parser *ps, const token *first,
                          const lhs_indices *ix1, size_t len, answer **A)
{
    gc_fx_program *P = ps->P;
    lhs_indices ix2;
    memset(&ix2, 0, sizeof ix2);
    int st, x_loss = 0;
    if (first->name[0] == 'd' && first->name[1] == '2' &&
        is_loss(P, first->name + 2) &&
        !gc_blocks_find(&P->p->layout.quantities, first->name + 1))
        return compile_hessian(ps, first, ix1, len, A);
    if ((st = fx_lex(&ps->lx))) return st;
    token second = ps->lx.t;
    if (second.k != T_NAME)
        return fx_expect(ps, -1, "dv after dL/ (the block differentiated "
                         "with respect to)");
    if ((st = fx_lex(&ps->lx))) return st;
    if ((st = parse_lhs_indices(ps, &ix2, 0))) return st;
    gc_target t;
    if ((st = answer_target(ps, first, ix1, &second, &ix2, &t, &x_loss)) ||
        (st = answer_for(P, &t, first->line, A)))
        return st;
    if (x_loss && ix1->n)
        return fx_fail(ps->err, ix1->line[0], ix1->col[0], GC_EINVAL, "the "
                       "loss %s is a scalar: write d%s/%s[i], not "
                       "d%s[...]/...", first->name + 1, first->name + 1,
                       second.name, first->name + 1);
    return add_statement(ps, first, len, ix1, t.of, &ix2, t.wrt, *A);
}

/* A definition's name must not be defined above, a function or pi.  It
 * may hide a block or a dimension of the model (a student's d1, d2, d3
 * for the deltas of a network whose layer sizes are d1, d2, d3): from its
 * line on the name is the student's, and every answer that uses it says
 * so (gc_fx_answer_note).  A definition named like a function or pi keeps
 * its name but stays broken, so an answer that uses the name is invalid
 * with the reason in its own message.  A second definition of a name
 * gives the name up: the first one keeps it. */
static int check_def_name(parser *ps, const token *first, definition *D)
{
    gc_fx_program *P = ps->P;
    const char *name = first->name;
    int fam, dim;
    const gc_block *b;
    if (fx_find_def(P, name, (int)(D - P->defs)) >= 0) {
        D->name[0] = 0;
        return fx_fail(ps->err, first->line, first->col, GC_EINVAL, "%s is "
                       "defined twice", name);
    }
    if (fx_builtin_find(name) >= 0 && first->spelled[0]) {
        /* σ, φ, Φ: the letter is a function's name in formulas */
        int id = fx_builtins[fx_builtin_find(name)].id;
        return fx_fail(ps->err, first->line, first->col, GC_EINVAL, "%s is "
                       "the name of the function %s in formulas (%s(x) is "
                       "%s(x)): name your definition differently, e.g. %s",
                       first->spelled, fx_builtin_name(id), first->spelled,
                       fx_builtin_name(id), id == B_SIGMOID ? "sig"
                       : id == B_PHI_PDF ? "dens" : id == B_PHI_CDF ? "cdf"
                       : id == B_SUM ? "total" : "prod1");
    }
    if (fx_builtin_find(name) >= 0 || strcmp(name, "pi") == 0)
        return fx_fail(ps->err, first->line, first->col, GC_EINVAL, "%s is "
                       "already %s: choose another name", first->spelled[0]
                       ? first->spelled : name,
                       fx_builtin_find(name) >= 0 ? "a function"
                       : "the number pi");
    if ((b = fx_find_block(P->p, name, &fam)))
        snprintf(D->shadows, sizeof D->shadows, "the model's %s %s",
                 fx_fam_noun(fam), b->name);
    else if ((dim = fx_find_dim(P->p, name)) >= 0)
        snprintf(D->shadows, sizeof D->shadows, "the model's dimension %s "
                 "= %ld", name, P->p->dims[dim]);
    return GC_OK;
}

/* A definition name[i][j] = expr; first and ix1 (the name and its
 * indices) are read.  It stays broken (its uses are errors) unless it
 * compiles. */
static int define(parser *ps, const token *first, const lhs_indices *ix1,
                  size_t len)
{
    gc_fx_program *P = ps->P;
    int st;
    definition *D;
    if (P->later_defs && P->next_def < P->n_defs &&
        strcmp(P->defs[P->next_def].name, first->name) == 0) {
        D = &P->defs[P->next_def++];        /* declared ahead */
        D->pending = 0;
    } else {
        if (grow((void **)&P->defs, P->n_defs, sizeof *P->defs))
            return GC_ENOMEM;
        D = &P->defs[P->n_defs++];
    }
    memset(D, 0, sizeof *D);
    snprintf(D->name, sizeof D->name, "%s", first->name);
    D->line = first->line;
    D->col = first->col;
    D->broken = 1;            /* until it compiles */
    D->gen = (unsigned)-1;
    D->memo_gen = (unsigned)-1;
    if ((st = check_def_name(ps, first, D))) return st;
    if (ps->lx.t.k != T_ASSIGN)
        return fx_expect(ps, T_ASSIGN, "'=' (a definition name = ..., or an "
                         "answer dL/dv = ...)");
    D->n_params = ix1->n;
    if (ix1->n) snprintf(D->index0, sizeof D->index0, "%s", ix1->name[0]);
    for (int a = 0; a < ix1->n; a++)
        if ((st = fx_check_new_index(ps, ix1->name[a], ix1->line[a],
                                     ix1->col[a])) ||
            (st = fx_push_index(ps, ix1->name[a], &D->slot[a])))
            return st;
    if ((st = fx_lex(&ps->lx)) || (st = check_length(ps, first, len)))
        return st;
    /* an indexed definition may use itself at other indices (a
     * recurrence, h[t] from h[t-1]); a plain one may not use itself */
    int di = (int)(D - P->defs);
    ps->n_defs_visible = P->later_defs ? (int)P->n_defs
                                       : di + (ix1->n ? 1 : 0);
    ps->self = ix1->n ? di : -1;
    ps->defining = D->name;
    ps->defining_index = di;
    if ((st = fx_parse_formula(ps, &D->body))) return st;
    D->broken = 0;
    return GC_OK;
}

/* A base case on its own line, as recurrences are written on paper:
 * h[0] = zeros(n) above h[t] = tanh(W @ h[t-1] + ...), or g[T] = ... above
 * g[t] = ... g[t+1]: one index, a whole number or a dimension.  Its
 * formula is read now and joined to the general line's when every
 * statement is read (join_cases): h[t] becomes if(t == 0, zeros(n), ...),
 * so only the branch taken is evaluated and each entry is still computed
 * once. */
static int compile_case(parser *ps, const token *first,
                        const lhs_indices *ix, size_t len)
{
    gc_fx_program *P = ps->P;
    int st;
    if (ix->n != 1)
        return fx_fail(ps->err, ix->line[0], ix->col[0], GC_EINVAL, "a base "
                       "case on its own line gives one index (h[0] = ..., "
                       "g[T] = ...); for more, write if(...) in the general "
                       "line");
    long at = ix->value[0];
    if (ix->is_name[0]) {
        int dim = fx_find_dim(P->p, ix->name[0]);
        at = P->p->dims[dim];
    }
    if (ps->lx.t.k != T_ASSIGN)
        return fx_expect(ps, T_ASSIGN, "'=' after the base case");
    if ((st = fx_lex(&ps->lx)) || (st = check_length(ps, first, len)))
        return st;
    int di = fx_find_def(P, first->name, (int)P->n_defs);
    ps->n_defs_visible = (int)P->n_defs;
    ps->self = di;
    ps->defining = first->name;
    ps->defining_index = -1;
    node *body = NULL;
    if ((st = fx_parse_formula(ps, &body))) return st;
    if (grow((void **)&P->cases, P->n_cases, sizeof *P->cases))
        return GC_ENOMEM;
    fx_case *c = &P->cases[P->n_cases++];
    snprintf(c->name, sizeof c->name, "%s", first->name);
    snprintf(c->dim, sizeof c->dim, "%s", ix->is_name[0] ? ix->name[0] : "");
    c->at = at;
    c->body = body;
    c->line = first->line;
    c->col = first->col;
    return GC_OK;
}

/* A dimension fixes an index (dL/dh[T] = ...) only beside a statement of
 * the same answer that gives the other entries (dL/dh[t] = ...): alone,
 * dL/dW[k][j] with k a dimension more likely means k as an index over
 * every row, so the answer is refused, as before dimensions could fix
 * an index, with the reason. */
static void check_dim_fixed(gc_fx_program *P)
{
    for (size_t i = 0; i < P->n_ans; i++) {
        answer *A = &P->ans[i];
        for (size_t j = 0; j < A->n_st && !A->bad; j++) {
            const statement *S = A->st[j];
            if (!S->dim_ix[0]) continue;
            int general = 0;
            for (size_t k = 0; k < A->n_st; k++)
                general |= A->st[k]->n_fixed < S->n_fixed;
            if (general) continue;
            int dim = fx_find_dim(P->p, S->dim_ix);
            A->bad = 1;
            memset(&A->err, 0, sizeof A->err);
            snprintf(A->err.file, sizeof A->err.file, "%s", P->file);
            fx_fail(&A->err, S->dim_line, S->dim_col, GC_EINVAL, "%s is the "
                    "model's dimension %s = %ld, so this gives only that "
                    "entry, and no other statement gives the rest: for an "
                    "index over every entry choose a letter that is not a "
                    "dimension; for the last one beside a general line, "
                    "write both (dL/dh[T] = ... and dL/dh[t] = ...)",
                    S->dim_ix, S->dim_ix, dim >= 0 ? P->p->dims[dim] : 0L);
        }
    }
}

/* Join each base case to its definition: body = if(i == at, case, body).
 * A case without a general line of one index is a note (the statements
 * that use the name say it is unknown). */
static int join_cases(gc_fx_program *P, gc_error *err)
{
    for (size_t k = 0; k < P->n_cases; k++) {
        fx_case *c = &P->cases[k];
        gc_error e;
        memset(&e, 0, sizeof e);
        snprintf(e.file, sizeof e.file, "%s", P->file);
        parser ps;
        fx_parser_init(&ps, P, &e, "", 0, c->line, c->col);
        int di = fx_find_def(P, c->name, (int)P->n_defs);
        if (di < 0 || P->defs[di].n_params != 1) {
            if (c->dim[0])
                fx_fail(&e, c->line, c->col, GC_EINVAL, "%s[%s]: %s is the "
                        "model's dimension %s = %ld, so this is the base "
                        "case %s[%ld], and no %s[t] = ... (one index) is "
                        "defined for it; to define %s at every index, "
                        "choose an index name that is not a dimension",
                        c->name, c->dim, c->dim, c->dim, c->at, c->name,
                        c->at, c->name, c->name);
            else
                fx_fail(&e, c->line, c->col, GC_EINVAL, "%s[%ld] = ... is a "
                        "base case, but no %s[t] = ... (one index) is "
                        "defined for it", c->name, c->at, c->name);
            if (add_note(P, &e)) return GC_ENOMEM;
            continue;
        }
        definition *D = &P->defs[di];
        if (D->broken || !D->body) continue;
        node *cmp = fx_node_new(&ps, N_CMP, c->line, c->col);
        node *ix = fx_node_new(&ps, N_SLOT, c->line, c->col);
        node *at = fx_node_new(&ps, N_NUM, c->line, c->col);
        node *call = fx_node_new(&ps, N_CALL, c->line, c->col);
        if (!cmp || !ix || !at || !call) {
            *err = e;
            return P->nodes.over ? GC_ELIMIT : GC_ENOMEM;
        }
        ix->slot = D->slot[0];
        ix->name = D->index0;
        at->num = (double)c->at;
        cmp->op = OP_EQ;
        call->op = B_IF;
        call->name = "if";
        int st;
        if ((st = fx_node_add(&ps, cmp, ix)) || (st = fx_node_add(&ps, cmp, at))
            || (st = fx_node_add(&ps, call, cmp)) ||
            (st = fx_node_add(&ps, call, c->body)) ||
            (st = fx_node_add(&ps, call, D->body))) {
            *err = e;
            return st;
        }
        D->body = call;
    }
    return GC_OK;
}

/* define(), keeping why a broken definition cannot be read for the
 * messages of the answers that use it. */
static int compile_definition(parser *ps, const token *first,
                              const lhs_indices *ix1, size_t len)
{
    gc_fx_program *P = ps->P;
    size_t d = P->later_defs && P->next_def < P->n_defs &&
               strcmp(P->defs[P->next_def].name, first->name) == 0
               ? P->next_def : P->n_defs;
    int st = define(ps, first, ix1, len);
    if (st && st != GC_ENOMEM && d < P->n_defs)
        snprintf(P->defs[d].why, sizeof P->defs[d].why, "%.190s",
                 ps->err->msg);
    return st;
}

/* GC_FX_LATER_DEFS: declare the definition statement text[0..len) names
 * (name[i] = ...), so that the statements before it can use it.  Anything
 * else, or a statement that cannot be read, is left to compile_statement. */
static int declare_statement(gc_fx_program *P, const char *text, size_t len,
                             long line, long col)
{
    gc_error err;
    parser ps;
    fx_parser_init(&ps, P, &err, text, len, line, col);
    lhs_indices ix;
    if (fx_lex(&ps.lx) || ps.lx.t.k != T_NAME) return GC_OK;
    token first = ps.lx.t;
    if (fx_lex(&ps.lx) || parse_lhs_indices(&ps, &ix, 1) ||
        ps.lx.t.k != T_ASSIGN)
        return GC_OK;
    if (fx_find_def(P, first.name, (int)P->n_defs) >= 0 ||
        fx_builtin_find(first.name) >= 0 || strcmp(first.name, "pi") == 0)
        return GC_OK;                 /* its statement says what is wrong */
    int fam;
    if (P->later_defs == 2 && (fx_find_block(P->p, first.name, &fam) ||
                               fx_find_dim(P->p, first.name) >= 0))
        return GC_OK;                 /* defined at its line, as before */
    if (grow((void **)&P->defs, P->n_defs, sizeof *P->defs))
        return GC_ENOMEM;
    definition *D = &P->defs[P->n_defs++];
    memset(D, 0, sizeof *D);
    snprintf(D->name, sizeof D->name, "%s", first.name);
    D->line = first.line;
    D->col = first.col;
    D->n_params = ix.n;
    if (ix.n) snprintf(D->index0, sizeof D->index0, "%s", ix.name[0]);
    D->broken = 1;
    D->pending = 1;
    D->gen = (unsigned)-1;
    D->memo_gen = (unsigned)-1;
    return GC_OK;
}

/* One statement: text[0..len) starting at (line, col) of the file.  One
 * that cannot be read makes its answer invalid or, if it is no answer, a
 * note; only allocation failure fails the program. */
static int compile_statement(gc_fx_program *P, const char *text, size_t len,
                             long line, long col)
{
    gc_error err;
    memset(&err, 0, sizeof err);
    snprintf(err.file, sizeof err.file, "%s", P->file);
    parser ps;
    fx_parser_init(&ps, P, &err, text, len, line, col);
    ps.n_defs_visible = (int)P->n_defs;
    answer *A = NULL;
    lhs_indices ix1;
    int st, is_answer = 0;

    if ((st = fx_lex(&ps.lx))) goto bad;
    token first = ps.lx.t;
    if (first.k != T_NAME) {
        st = fx_expect(&ps, -1, "an answer dL/dv = ... or a definition "
                       "name = ...");
        goto bad;
    }
    if ((st = fx_lex(&ps.lx))) goto bad;
    {
        /* look ahead: an answer has a '/' before the '=' */
        lexer save = ps.lx;
        if ((st = parse_lhs_indices(&ps, &ix1, 0))) goto bad;
        if (ps.lx.t.k == T_OP && ps.lx.t.op == '/') is_answer = 1;
        else {
            /* h[0] = ..., g[T] = ...: an index that is a number or a
             * dimension makes a base case of the definition */
            int fixed = 0;
            for (int a = 0; a < ix1.n; a++)
                fixed |= !ix1.is_name[a] ||
                         (fx_find_dim(P->p, ix1.name[a]) >= 0 &&
                          fx_find_def(P, ix1.name[a], (int)P->n_defs) < 0);
            if (fixed) {
                st = compile_case(&ps, &first, &ix1, len);
                if (!st) return GC_OK;
                goto bad;
            }
            ps.lx = save;
            if ((st = parse_lhs_indices(&ps, &ix1, 1))) goto bad;
        }
    }
    st = is_answer ? compile_answer(&ps, &first, &ix1, len, &A)
                   : compile_definition(&ps, &first, &ix1, len);
    if (!st) return GC_OK;
bad:
    if (st == GC_ENOMEM) return GC_ENOMEM;
    if (A) {
        if (!A->bad) {
            A->bad = 1;
            A->err = err;
        }
        return GC_OK;
    }
    return add_note(P, &err);
}

/* Mark the definitions node n uses, directly or through other
 * definitions. */
static void uses_defs(const gc_fx_program *P, const node *n,
                      unsigned char *seen)
{
    if (!n) return;
    if (n->k == N_DEF && !seen[n->def]) {
        seen[n->def] = 1;
        uses_defs(P, P->defs[n->def].body, seen);
    }
    for (int i = 0; i < n->n; i++) uses_defs(P, n->kid[i], seen);
}

/* The first line where n reads the model's block or dimension `name`
 * (not a definition of that name), or 0. */
static long model_use(const node *n, const char *name)
{
    if (!n) return 0;
    if ((n->k == N_BLOCK || (n->k == N_NUM && n->name)) &&
        strcmp(n->name, name) == 0)
        return n->line;
    for (int i = 0; i < n->n; i++) {
        long l = model_use(n->kid[i], name);
        if (l) return l;
    }
    return 0;
}

/* Each answer's note: the definitions it uses that hide a model name, and
 * the model names it reads above a definition that hides them below (a
 * definition counts from its line on, so d3 used on line 2 and defined on
 * line 5 is the model's d3 on line 2). */
static int shadow_notes(gc_fx_program *P)
{
    int any = 0;
    for (size_t d = 0; d < P->n_defs; d++) any |= P->defs[d].shadows[0] != 0;
    if (!any || !P->n_ans) return GC_OK;
    unsigned char *seen = malloc(P->n_defs);
    if (!seen) return GC_ENOMEM;
    for (size_t a = 0; a < P->n_ans; a++) {
        answer *A = &P->ans[a];
        memset(seen, 0, P->n_defs);
        for (size_t i = 0; i < A->n_st; i++) uses_defs(P, A->st[i]->body, seen);
        char buf[1024];
        size_t l = 0;
        buf[0] = 0;
        for (size_t d = 0; d < P->n_defs && l < sizeof buf; d++) {
            if (!seen[d] || !P->defs[d].shadows[0]) continue;
            l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s is your "
                                  "definition on line %ld, not %s",
                                  l ? "; " : "", P->defs[d].name,
                                  P->line0 + P->defs[d].line,
                                  P->defs[d].shadows);
        }
        for (size_t d = 0; d < P->n_defs && l < sizeof buf; d++) {
            if (!P->defs[d].shadows[0]) continue;
            long at = 0;
            for (size_t i = 0; i < A->n_st && !at; i++)
                at = model_use(A->st[i]->body, P->defs[d].name);
            for (size_t e = 0; e < P->n_defs && !at; e++)
                if (seen[e]) at = model_use(P->defs[e].body, P->defs[d].name);
            if (at && at < P->defs[d].line)
                l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s on line "
                                      "%ld is %s: your definition of %s is "
                                      "below it, on line %ld, and counts "
                                      "from there on", l ? "; " : "",
                                      P->defs[d].name, P->line0 + at,
                                      P->defs[d].shadows, P->defs[d].name,
                                      P->line0 + P->defs[d].line);
        }
        if (l && !(A->note = strdup(buf))) {
            free(seen);
            return GC_ENOMEM;
        }
    }
    free(seen);
    return GC_OK;
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
    return gc_fx_compile_with(p, file, text, len, loss, losses, 0, out,
                              err);
}

int gc_fx_compile_with(const gc_problem *p, const char *file,
                       const char *text, size_t len, const char *loss,
                       const char *const *losses, int flags,
                       gc_fx_program **out, gc_error *err)
{
    return gc_fx_compile_from(p, file, text, len, 1, loss, losses, flags,
                              out, err);
}

int gc_fx_compile_from(const gc_problem *p, const char *file,
                       const char *text, size_t len, long first_line,
                       const char *loss, const char *const *losses,
                       int flags, gc_fx_program **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", file ? file : "formula");
    if (len > GC_SUB_MAX_BYTES)
        return fx_fail(err, 0, 0, GC_ELIMIT, "the submission has %zu bytes, "
                       "more than %zu (GC_SUB_MAX_BYTES)", len,
                       (size_t)GC_SUB_MAX_BYTES);
    gc_fx_program *P = calloc(1, sizeof *P);
    if (!P) return GC_ENOMEM;
    P->p = p;
    snprintf(P->file, sizeof P->file, "%s", err->file);
    P->loss = loss ? loss : "L";
    P->losses = losses;
    P->hessians = (flags & GC_FX_HESSIANS) != 0;
    P->line0 = first_line > 0 ? first_line - 1 : 0;
    /* a submission's definitions may use later ones too (d[t] from
     * g[t+1] and g[t] from d[t], the two lines of a BPTT on paper), but
     * only where the name would otherwise be unknown: a name the model has
     * stays the model's above the definition that hides it */
    P->later_defs = (flags & GC_FX_LATER_DEFS) ? 1 : 2;

    /* Statements: a line at the indentation of the statement's first line
     * starts a new one; more indented lines continue it.  With later_defs
     * a first pass declares the definitions. */
    int st = GC_OK;
    for (int pass = P->later_defs ? 0 : 1; pass < 2 && !st; pass++) {
    const char *s = text, *end = text + len;
    long line = 1, count = 0;
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
            st = fx_fail(err, first_line, 1, GC_ELIMIT, "more than %d "
                         "statements (GC_SUB_MAX_STATEMENTS)",
                         GC_SUB_MAX_STATEMENTS);
            break;
        }
        st = pass ? compile_statement(P, start, (size_t)(stop - start),
                                      first_line, (long)ind + 1)
                  : declare_statement(P, start, (size_t)(stop - start),
                                      first_line, (long)ind + 1);
    }
    }
    if (!st) st = join_cases(P, err);
    if (!st) check_dim_fixed(P);
    if (st) {
        if (st == GC_ENOMEM) snprintf(err->msg, sizeof err->msg,
                                      "out of memory");
        gc_fx_program_free(P);
        return st;
    }
    P->slots = calloc(P->n_slots ? (size_t)P->n_slots : 1, sizeof *P->slots);
    if (!P->slots || shadow_notes(P)) {
        gc_fx_program_free(P);
        return GC_ENOMEM;
    }
    *out = P;
    return GC_OK;
}
