/* expr.c: gc_fx_eval, one expression evaluated at a point (the --names
 * and expression checks of grading). */
#include "fx/fx_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gc_fx_value_clear(gc_fx_value *v)
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
        return fx_fail(err, 1, 1, GC_ELIMIT, "the formula has %zu characters, "
                       "more than %d (GC_FX_MAX_STATEMENT)", len,
                       GC_FX_MAX_STATEMENT);
    gc_fx_program *P = calloc(1, sizeof *P);
    if (!P) return GC_ENOMEM;
    P->p = p;
    snprintf(P->file, sizeof P->file, "formula");
    parser ps;
    fx_parser_init(&ps, P, err, expr, len, 1, 1);
    node *root = NULL;
    int st = fx_lex(&ps.lx);
    if (!st) st = fx_parse_formula(&ps, &root);
    if (!st) {
        P->slots = calloc((size_t)P->n_slots + 1, sizeof *P->slots);
        if (!P->slots) st = GC_ENOMEM;
    }
    if (!st) {
        gc_fx_set_point(P, theta, q);
        ev E = {.P = P, .err = err};
        val v;
        st = fx_eval(&E, root, &v);
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
