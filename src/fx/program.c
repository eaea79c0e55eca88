/* program.c: a compiled program: its answers and notes, the entries each
 * statement gives, and answers evaluated at a point. */
#include "fx/fx_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name of entry (of_i, wrt_k) of a target, for messages. */
void fx_target_entry_name(const gc_fx_program *P, const gc_target *t,
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
    } else if (t->kind == GC_TARGET_HESSIAN) {
        gc_entry_name(&L->params, t->of->offset + i, o, sizeof o);
        snprintf(buf, n, "d2%s/d%s d%s", P->loss, o, w);
    } else {
        snprintf(buf, n, "%.*s%s", (int)(strchr(t->key, '/') - t->key + 2),
                 t->key, w);
    }
}

void fx_odo_init(odometer *o, const gc_target *t, const statement *s)
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

int fx_odo_next(odometer *o)
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
void fx_combo_entries(const gc_target *t, const statement *s,
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

void gc_fx_program_free(gc_fx_program *P)
{
    if (!P) return;
    for (size_t i = 0; i < P->n_ans; i++) {
        free(P->ans[i].st);
        free(P->ans[i].given);
        free(P->ans[i].note);
    }
    free(P->ans);
    free(P->cases);
    free(P->defs);
    free(P->notes);
    free(P->slots);
    fx_arena_clear(&P->nodes);
    fx_arena_clear(&P->point);
    fx_arena_clear(&P->scratch);
    free(P);
}

size_t gc_fx_n_base_cases(const gc_fx_program *P) { return P->n_cases; }

const char *gc_fx_base_case(const gc_fx_program *P, size_t i, long *at)
{
    if (i >= P->n_cases) return NULL;
    *at = P->cases[i].at;
    return P->cases[i].name;
}

size_t gc_fx_ungive_row(gc_fx_program *P, const gc_block *q, long row)
{
    size_t n = 0;
    if (!q->rank || row < q->base[0] ||
        row >= q->base[0] + (long)q->shape[0])
        return 0;
    size_t per = q->size / q->shape[0], r = (size_t)(row - q->base[0]);
    for (size_t i = 0; i < P->n_ans; i++) {
        answer *A = &P->ans[i];
        if (A->t.kind != GC_TARGET_QUANTITY || A->t.wrt != q) continue;
        for (size_t e = r * per; e < (r + 1) * per; e++) {
            const statement *S = NULL;
            for (size_t j = 0; j < A->n_st; j++)
                if (A->st[j]->line == A->given[e]) S = A->st[j];
            /* the statement's first index on q: slot n_of (the loss has
             * none); a free one runs over every row */
            if (!S || S->n_wrt < 1 || S->slot[S->n_of] < 0) continue;
            A->given[e] = 0;
            n++;
        }
    }
    return n;
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

const char *gc_fx_answer_note(const gc_fx_program *P, size_t i)
{
    return i < P->n_ans ? P->ans[i].note : NULL;
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
    fx_arena_reset(&P->point);
    P->point.over = 0;
    P->pass_work = 0;
    P->pass_steps = 0;
}

void gc_fx_set_max_steps(gc_fx_program *P, double max, const char *what)
{
    P->max_steps = max;
    snprintf(P->max_steps_what, sizeof P->max_steps_what, "%s", what);
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

/* The shape a statement's formula must have: the remaining axes of `of`
 * then of `wrt`. */
static val want_shape(const gc_target *t, const statement *s)
{
    val w = {0};
    if (t->of)
        for (int a = s->n_of; a < t->of->rank; a++)
            w.shape[w.rank++] = t->of->shape[a];
    for (int a = s->n_wrt; a < t->wrt->rank && w.rank < GC_FX_MAX_RANK; a++)
        w.shape[w.rank++] = t->wrt->shape[a];
    return w;
}

static void want_text(const gc_target *t, const statement *s, char *buf,
                      size_t n)
{
    val w = want_shape(t, s);
    fx_describe(&w, buf, n);
}

/* A matrix where the transposed shape is due: the student's rows and
 * columns swapped, the commonest shape error of a weight gradient. */
static int transposed_shape(const val *v, const gc_target *t,
                            const statement *s)
{
    val w = want_shape(t, s);
    return v->rank == 2 && w.rank == 2 && v->shape[0] == w.shape[1] &&
           v->shape[1] == w.shape[0];
}

static int answer_eval(gc_fx_program *P, size_t i, double *values,
                       gc_error *err, int *deep)
{
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", P->file);
    if (i >= P->n_ans) return GC_EINVAL;
    answer *A = &P->ans[i];
    if (A->bad) { *err = A->err; return GC_EINVAL; }
    for (size_t k = 0; k < A->t.n; k++) values[k] = NAN;
    ev E = {.P = P, .err = err};
    int st = GC_OK, nonfinite = GC_OK;
    gc_error nf_err = {0};
    for (size_t si = 0; si < A->n_st && !st; si++) {
        statement *S = A->st[si];
        odometer o;
        fx_odo_init(&o, &A->t, S);
        do {
            for (size_t a = 0; a < o.n_ax; a++)
                if (S->slot[a] >= 0)
                    P->slots[S->slot[a]] = (double)(o.first[a] +
                                                    (long)o.cur[a]);
            size_t ol, orest, wl, wrest;
            fx_combo_entries(&A->t, S, &o, &ol, &orest, &wl, &wrest);
            /* entries a more specific statement gives (dL/dh[T] beside
             * dL/dh[t]) are not this one's: not evaluated here */
            int mine = 0;
            for (size_t r = 0; r < orest && !mine; r++)
                for (size_t k = 0; k < wrest && !mine; k++)
                    mine = A->given[(ol + r) * A->t.wrt->size + wl + k] ==
                           S->line;
            if (!mine) continue;
            arena_mark m = fx_arena_save(&P->scratch);
            val v;
            if ((st = fx_eval(&E, S->body, &v))) break;
            if (!fits(&v, &A->t, S, orest, wrest)) {
                char d1[96], d2[96];
                want_text(&A->t, S, d2, sizeof d2);
                st = fx_fail(err, S->body->line, S->body->col, GC_EINVAL,
                             "the formula gives %s where %s%s needs %s%s",
                             fx_describe(&v, d1, sizeof d1), A->t.key,
                             o.n_ax ? " per entry" : "", d2,
                             transposed_shape(&v, &A->t, S)
                             ? ": the transpose's shape (rows and columns "
                               "swapped?)"
                             : o.n_ax || !A->t.wrt->rank ? ""
                             : " (or write one entry: ...[i] = ...)");
                break;
            }
            size_t e = 0;
            for (size_t r = 0; r < orest; r++)
                for (size_t k = 0; k < wrest; k++, e++) {
                    size_t flat = (ol + r) * A->t.wrt->size + wl + k;
                    if (A->given[flat] != S->line) continue;
                    values[flat] = v.v[e];
                    if (!isfinite(v.v[e]) && !nonfinite) {
                        /* said, but every other entry is still given:
                         * one NaN entry (sqrt of a negative b[1]) is a
                         * verdict on that entry alone */
                        char en[160];
                        fx_target_entry_name(P, &A->t, flat, en, sizeof en);
                        nonfinite = fx_fail(&nf_err, S->line, 1, GC_EINVAL,
                                            "%s evaluates to %s", en,
                                            isnan(v.v[e]) ? "NaN"
                                                          : "an infinity");
                    }
                }
            fx_arena_restore(&P->scratch, m);
            if (st) break;
        } while (fx_odo_next(&o));
    }
    fx_arena_reset(&P->scratch);
    P->scratch.over = 0;
    *deep = E.depth_hit == 2;
    if (!st && nonfinite) {
        snprintf(nf_err.file, sizeof nf_err.file, "%s", P->file);
        *err = nf_err;
        st = nonfinite;
    }
    return st;
}

/* Compute the entry a too deep evaluation reached (P->deep_def at
 * P->deep_idx) on its own, and so on while that is too deep too: each
 * step starts afresh at the depth limit's distance from the last, and the
 * entries computed stay for the point.  A recurrence over many steps
 * (h[t] from h[t-1], t up to thousands) is evaluated this way at its first
 * point; a recursion without a base case gives up after FX_MAX_SETTLE
 * steps with the message of the last. */
static int settle(gc_fx_program *P, gc_error *err)
{
    struct { size_t def; long idx[GC_MAX_RANK]; } *stack;
    stack = malloc(FX_MAX_SETTLE * sizeof *stack);
    if (!stack) return GC_ENOMEM;
    size_t n = 0;
    stack[n].def = (size_t)P->deep_def;
    memcpy(stack[n].idx, P->deep_idx, sizeof stack[n].idx);
    n++;
    int st = GC_OK;
    while (n > 0) {
        definition *d = &P->defs[stack[n - 1].def];
        node at;
        memset(&at, 0, sizeof at);
        at.line = d->line;
        at.col = d->col;
        ev E = {.P = P, .err = err, .work = P->pass_work,
                .steps = P->pass_steps};
        val v;
        memset(err, 0, sizeof *err);
        snprintf(err->file, sizeof err->file, "%s", P->file);
        st = fx_eval_def_at(&E, &at, stack[n - 1].def, stack[n - 1].idx, &v);
        P->pass_work = E.work;
        P->pass_steps = E.steps;
        fx_arena_reset(&P->scratch);
        P->scratch.over = 0;
        if (!st) { n--; continue; }
        if (E.depth_hit != 2 || n >= FX_MAX_SETTLE) break;
        stack[n].def = (size_t)P->deep_def;
        memcpy(stack[n].idx, P->deep_idx, sizeof stack[n].idx);
        n++;
    }
    free(stack);
    return st;
}

int gc_fx_answer_eval(gc_fx_program *P, size_t i, double *values,
                      gc_error *err)
{
    int deep = 0;
    int st = answer_eval(P, i, values, err, &deep);
    for (int tries = 0; st && deep && tries < FX_MAX_SETTLE; tries++) {
        gc_error e2;
        if (settle(P, &e2)) return st;
        st = answer_eval(P, i, values, err, &deep);
    }
    return st;
}

static int def_eval(gc_fx_program *P, size_t i, const long *idx,
                    gc_fx_value *out, gc_error *err);

int gc_fx_def_preset(gc_fx_program *P, size_t i, const long *idx,
                     const gc_fx_value *v)
{
    if (i >= P->n_defs || P->defs[i].broken) return GC_EINVAL;
    gc_error err;
    ev E = {.P = P, .err = &err};
    return fx_def_preset(&E, i, idx, v);
}

void gc_fx_set_store(gc_fx_program *P, gc_fx_store_fn fn, void *ctx)
{
    P->store = fn;
    P->store_ctx = ctx;
}

size_t gc_fx_n_defs(const gc_fx_program *P) { return P->n_defs; }

const char *gc_fx_def_name(const gc_fx_program *P, size_t i)
{
    return i < P->n_defs ? P->defs[i].name : NULL;
}

const char *gc_fx_def_index_name(const gc_fx_program *P, size_t i)
{
    return i < P->n_defs ? P->defs[i].index0 : "";
}

int gc_fx_def_n_params(const gc_fx_program *P, size_t i)
{
    return i < P->n_defs ? P->defs[i].n_params : 0;
}

void gc_fx_def_pos(const gc_fx_program *P, size_t i, long *line, long *col)
{
    *line = i < P->n_defs ? P->defs[i].line : 0;
    *col = i < P->n_defs ? P->defs[i].col : 0;
}

int gc_fx_def_eval(gc_fx_program *P, size_t i, const long *idx,
                   gc_fx_value *out, gc_error *err)
{
    /* called once per entry per forward pass: err is filled only on
     * failure (fx_fail sets the message and position) */
    err->file[0] = 0;
    err->msg[0] = 0;
    err->line = err->column = 0;
    int st = def_eval(P, i, idx, out, err);
    if (st) snprintf(err->file, sizeof err->file, "%s", P->file);
    return st;
}

static int def_eval(gc_fx_program *P, size_t i, const long *idx,
                    gc_fx_value *out, gc_error *err)
{
    if (i >= P->n_defs || P->defs[i].broken)
        return fx_fail(err, 0, 0, GC_EINVAL, "internal: no definition %zu",
                       i);
    node at;
    memset(&at, 0, sizeof at);
    at.line = P->defs[i].line;
    at.col = P->defs[i].col;
    int top_def = -1;
    long top[GC_MAX_RANK];
    for (int tries = 0;; tries++) {
        ev E = {.P = P, .err = err, .work = P->pass_work,
                .steps = P->pass_steps};
        val v;
        int st = fx_eval_def_at(&E, &at, i, idx, &v);
        if (st && E.depth_hit == 2 && top_def < 0) {
            top_def = P->deep_def;          /* where it began, for the message */
            memcpy(top, P->top_idx, sizeof top);
        }
        P->pass_work = E.work;
        P->pass_steps = E.steps;
        fx_arena_reset(&P->scratch);
        P->scratch.over = 0;
        if (!st) { *out = v; return GC_OK; }
        if (E.depth_hit != 2 || tries >= FX_MAX_SETTLE) return st;
        gc_error e2;
        if (settle(P, &e2)) {
            /* name the entry whose recursion never ends: h[4] */
            const definition *td = &P->defs[top_def >= 0 ? top_def : (int)i];
            const long *ti = top_def >= 0 ? top : idx;
            char at_name[96], msg[1200];
            size_t l = (size_t)snprintf(at_name, sizeof at_name, "%s",
                                        td->name);
            for (int a = 0; a < td->n_params && l < sizeof at_name; a++)
                l += (size_t)snprintf(at_name + l, sizeof at_name - l,
                                      "[%ld]", ti[a]);
            *err = e2;
            snprintf(msg, sizeof msg, "%.400s (from %s)", e2.msg, at_name);
            snprintf(err->msg, sizeof err->msg, "%.500s", msg);
            return st;
        }
    }
}
