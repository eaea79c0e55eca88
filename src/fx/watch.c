/* watch.c: why a value is not finite.  A pass whose loss comes out NaN or
 * infinite at some point (a finite-difference step into log's forbidden
 * half, a division by zero a random point reaches) is a verdict, and the
 * report says why: the evaluator, watching (gc_fx_watch), notes the first
 * operation whose result is not finite where its operands are, with its
 * place in the formula text, and the first definition entry computed not
 * finite.  Off by default: the checks cost a branch per operation. */
#include "fx/fx_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The first entry of v that is not finite, or v->size. */
static size_t first_bad(const val *v)
{
    for (size_t i = 0; i < v->size; i++)
        if (!isfinite(v->v[i])) return i;
    return v->size;
}

/* Entry i of v as indices, "[2][3]" (its axes' own first indices), or ""
 * for a scalar. */
static void entry_of(const val *v, size_t i, char *buf, size_t len)
{
    long idx[GC_FX_MAX_RANK];
    for (int a = v->rank - 1; a >= 0; a--) {
        idx[a] = (long)(i % v->shape[a]) + v->base[a];
        i /= v->shape[a];
    }
    size_t l = 0;
    buf[0] = 0;
    for (int a = 0; a < v->rank && l < len; a++)
        l += (size_t)snprintf(buf + l, len - l, "[%ld]", idx[a]);
}

static void note(gc_fx_program *P, long line, long col, const char *msg)
{
    P->watch_hit = 1;
    P->watch_line = line;
    P->watch_col = col;
    snprintf(P->watch_msg, sizeof P->watch_msg, "%s", msg);
}

void fx_watch_unary(gc_fx_program *P, const node *at, int id, const val *a,
                    const val *out)
{
    size_t i = first_bad(out);
    if (i == out->size || !isfinite(a->v[i])) return;
    double x = a->v[i];
    const char *f = fx_builtin_name(id);
    char e[64], msg[200];
    entry_of(out, i, e, sizeof e);
    if ((id == B_LOG || id == B_SQRT) && x < 0)
        snprintf(msg, sizeof msg, "%s of a negative number: %s(%.6g)", f,
                 f, x);
    else if (id == B_LOG && x == 0)
        snprintf(msg, sizeof msg, "log of 0 (minus infinity)");
    else
        snprintf(msg, sizeof msg, "%s(%.6g) is %s", f, x,
                 isnan(out->v[i]) ? "not a number"
                 : "too large for a double (it overflows)");
    note(P, at->line, at->col, msg);
}

/* A value that is not finite in words. */
static const char *bad_word(double v)
{
    return isnan(v) ? "NaN" : v > 0 ? "infinite" : "minus infinite";
}

void fx_watch_binary(gc_fx_program *P, long line, long col, int op,
                     const val *a, const val *b, const val *out)
{
    size_t i = first_bad(out);
    if (i == out->size) return;
    /* a computed in place (a chain's accumulator) holds the result now */
    int known = a->v != out->v;
    double x = known ? a->v[a->rank ? i : 0] : 0, y = b->v[b->rank ? i : 0];
    if (!isfinite(x) || !isfinite(y)) return;
    char msg[200];
    const char *r = bad_word(out->v[i]);
    if (op == '/' && y == 0 && !known)
        snprintf(msg, sizeof msg, "division by zero");
    else if (!known)
        snprintf(msg, sizeof msg, "the result is %s", r);
    else if (op == '/' && y == 0)
        snprintf(msg, sizeof msg, "division by zero: %.6g / 0", x);
    else if (op == '^' && x == 0 && y < 0)
        snprintf(msg, sizeof msg, "0 ^ %.6g is a division by zero", y);
    else if (op == '^' && isnan(out->v[i]))
        snprintf(msg, sizeof msg, "%.6g ^ %.6g is not a real number (a "
                 "negative number to a power that is not whole)", x, y);
    else if (op == '+' || op == '-' || op == '*' || op == '/' || op == '^')
        snprintf(msg, sizeof msg, "%.6g %c %.6g is too large for a double "
                 "(it overflows)", x, op, y);
    else
        snprintf(msg, sizeof msg, "the result is %s", r);
    note(P, line, col, msg);
}

void fx_watch_node(gc_fx_program *P, const node *at, const val *out)
{
    size_t i = first_bad(out);
    if (i == out->size) return;
    char e[64], msg[200];
    entry_of(out, i, e, sizeof e);
    const char *r = bad_word(out->v[i]);
    if (at->k == N_BLOCK && at->blk)
        snprintf(msg, sizeof msg, "the %s %s%s is %s", fx_fam_noun(at->fam),
                 at->blk->name, e, r);
    else if (at->k == N_CALL)
        snprintf(msg, sizeof msg, "%s(...) is %s%s%s (an overflow?)",
                 fx_builtin_name(at->op), r, e[0] ? " at entry " : "", e);
    else
        snprintf(msg, sizeof msg, "the value here is %s%s%s (an overflow?)",
                 r, e[0] ? " at entry " : "", e);
    note(P, at->line, at->col, msg);
}

void fx_watch_def(gc_fx_program *P, size_t di, const long *idx,
                  const val *v)
{
    if (P->watch_def[0]) return;          /* the first one is kept */
    size_t i = first_bad(v);
    if (i == v->size) {                    /* finite: a NaN was discarded */
        P->watch_hit = 0;
        return;
    }
    const definition *d = &P->defs[di];
    size_t l = (size_t)snprintf(P->watch_def, sizeof P->watch_def, "%s",
                                d->name);
    for (int a = 0; a < d->n_params && l < sizeof P->watch_def; a++)
        l += (size_t)snprintf(P->watch_def + l, sizeof P->watch_def - l,
                              "[%ld]", idx[a]);
    if (l < sizeof P->watch_def) entry_of(v, i, P->watch_def + l,
                                          sizeof P->watch_def - l);
}

void gc_fx_watch(gc_fx_program *P, int on)
{
    P->watch = on;
    P->watch_hit = 0;
    P->watch_def[0] = 0;
}

int gc_fx_watch_note(const gc_fx_program *P, char *def, size_t def_len,
                     char *msg, size_t len, long *line, long *col)
{
    snprintf(def, def_len, "%s", P->watch_def);
    if (!P->watch_hit) return 0;
    snprintf(msg, len, "%s", P->watch_msg);
    *line = P->watch_line;
    *col = P->watch_col;
    return 1;
}
