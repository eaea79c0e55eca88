/* report_screen.c: the report of a directional screening (--mode directional,
 * docs/screening.md), as text or JSON, written atomically.
 *
 * Text, per case and derivation: the verdict against the expected one, the
 * entries screened and named, the forward passes spent; per point the parts
 * whose screen did not agree (all parts with -v), and the named entries
 * with their per-entry checks.  JSON carries everything. */
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/screen.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "atomic.h"

#include <stdio.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void name_range(const gc_blocks *P, size_t a, size_t b, char *buf,
                       size_t n)
{
    char x[96], y[96];
    gc_entry_name(P, a, x, sizeof x);
    if (b - a == 1) {
        snprintf(buf, n, "%s", x);
        return;
    }
    const gc_block *blk = gc_blocks_of(P, a);
    if (blk && a == blk->offset && b == blk->offset + blk->size) {
        snprintf(buf, n, "%s", blk->name);
        return;
    }
    gc_entry_name(P, b - 1, y, sizeof y);
    snprintf(buf, n, "%s..%s", x, y);
}

static void screen_row(FILE *f, const gc_blocks *P, const gc_screen_block *s)
{
    char nm[200];
    name_range(P, s->a, s->b, nm, sizeof nm);
    /* the direction with the largest relative error */
    int w = 0;
    for (int r = 1; r < s->n_dirs; r++)
        if (!(s->rel_error[r] <= s->rel_error[w])) w = r;
    fprintf(f, "      %-28s %7zu %5d %13.6g %13.6g %11.4g %10.2e  %s\n", nm,
            s->b - s->a, s->depth, s->analytic[w], s->numeric[w].value,
            s->numeric[w].abserr, s->rel_error[w],
            gc_verdict_name(s->verdict));
}

static void text_point(FILE *f, const gc_blocks *P, const gc_screen_point *pt,
                       size_t p, const gc_report_options *o)
{
    size_t shown = 0;
    for (size_t i = 0; i < pt->n_screens; i++)
        shown += o->verbose || pt->screens[i].verdict != GC_AGREE;
    fprintf(f, "    point %zu%s: %s, %zu part%s screened, %zu entr%s named, "
            "%zu forward pass%s, %.3g s\n", p, p ? "" : " (given)",
            gc_verdict_name(pt->verdict), pt->n_screens,
            pt->n_screens == 1 ? "" : "s", pt->n_named,
            pt->n_named == 1 ? "y" : "ies", pt->passes,
            pt->passes == 1 ? "" : "es", pt->seconds);
    if (shown) {
        fprintf(f, "      %-28s %7s %5s %13s %13s %11s %10s  %s\n", "part",
                "entries", "depth", "g.v", "numeric", "+-abserr",
                "rel.error", "screen");
        for (size_t i = 0; i < pt->n_screens; i++)
            if (o->verbose || pt->screens[i].verdict != GC_AGREE)
                screen_row(f, P, &pt->screens[i]);
    }
    for (size_t i = 0; i < pt->n_named; i++) {
        const gc_entry_check *ch = &pt->entries[i];
        char nm[96];
        gc_entry_name(P, pt->named[i], nm, sizeof nm);
        fprintf(f, "      named %-22s analytic %.10g numeric %.10g +- %.3g "
                "rel.error %.2e  %s\n", nm, ch->analytic, ch->numeric.value,
                ch->numeric.abserr, ch->rel_error,
                gc_verdict_name(ch->verdict));
    }
}

static int write_text(FILE *f, gc_screen_report *const *rs, size_t n,
                      const gc_report_options *o)
{
    for (size_t i = 0; i < n; i++) {
        const gc_screen_report *r = rs[i];
        const gc_blocks *P = &r->c->prob->layout.params;
        char name[GC_NAME_SHOWN_MAX + 1];
        fputs(gc_name_clean(r->c->name, name, sizeof name), f);
        char *t = gc_text_clean_dup(r->c->title ? r->c->title : "");
        if (t && t[0]) fprintf(f, ": %s", t);   /* a network needs no title */
        free(t);
        fprintf(f, "\n  directional screening: %d directions per part "
                "(seed %lu), parts of <= %zu entries checked one by one; "
                "%zu points, %d threads\n", r->dir.directions, r->dir.seed, r->dir.leaf, r->n_points,
                r->threads);
        for (size_t d = 0; d < r->n_derivs; d++) {
            const gc_screen_derivation *dd = &r->derivs[d];
            if (!dd->n_claimed) {
                fprintf(f, "  derivation %-10s not screened (it states only "
                        "Jacobians: use --mode full)\n", dd->type->name);
                continue;
            }
            fprintf(f, "  derivation %-10s %s (%s%s)%s  %zu entries "
                    "screened, %zu forward passes\n", dd->type->name,
                    gc_verdict_name(dd->verdict),
                    dd->no_expect ? "no expectation" : "expected ",
                    dd->no_expect ? "" : gc_verdict_name(dd->expect),
                    dd->verdict == dd->expect || dd->no_expect ? ""
                    : dd->unscreened && dd->verdict == GC_AGREE
                    ? "  (its Jacobians and Hessian blocks are not "
                      "screened: use --mode full)"
                    : "  <-- UNEXPECTED",
                    dd->n_claimed, dd->passes);
            for (size_t p = 0; p < r->n_points; p++)
                text_point(f, P, &dd->points[p], p, o);
        }
    }
    return ferror(f) ? GC_EIO : GC_OK;
}

static json_t *jnum(double x)
{
    if (isnan(x)) return json_string("NaN");
    if (isinf(x)) return json_string(x > 0 ? "Infinity" : "-Infinity");
    return json_real(x);
}

static json_t *jpoint(const gc_blocks *P, const gc_screen_point *pt, size_t p)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:f}", "point", (json_int_t)p,
                          "verdict", gc_verdict_name(pt->verdict), "passes",
                          (json_int_t)pt->passes, "seconds", pt->seconds);
    json_t *sc = json_array(), *nm = json_array();
    for (size_t i = 0; i < pt->n_screens; i++) {
        const gc_screen_block *s = &pt->screens[i];
        char a[96], b[96];
        gc_entry_name(P, s->a, a, sizeof a);
        gc_entry_name(P, s->b - 1, b, sizeof b);
        json_t *dirs = json_array();
        for (int r = 0; r < s->n_dirs; r++) {
            json_t *dj = json_object();
            json_object_set_new(dj, "analytic", jnum(s->analytic[r]));
            json_object_set_new(dj, "numeric", jnum(s->numeric[r].value));
            json_object_set_new(dj, "abserr", jnum(s->numeric[r].abserr));
            json_object_set_new(dj, "rel_error", jnum(s->rel_error[r]));
            json_object_set_new(dj, "verdict", json_string(
                                    gc_verdict_name(s->dverdict[r])));
            json_array_append_new(dirs, dj);
        }
        json_array_append_new(sc, json_pack(
            "{s:s, s:s, s:I, s:I, s:s, s:o}", "first", a, "last", b,
            "entries", (json_int_t)(s->b - s->a), "depth",
            (json_int_t)s->depth, "verdict", gc_verdict_name(s->verdict),
            "directions", dirs));
    }
    for (size_t i = 0; i < pt->n_named; i++) {
        const gc_entry_check *ch = &pt->entries[i];
        char e[96];
        gc_entry_name(P, pt->named[i], e, sizeof e);
        json_t *ej = json_pack("{s:s}", "name", e);
        json_object_set_new(ej, "analytic", jnum(ch->analytic));
        json_object_set_new(ej, "numeric", jnum(ch->numeric.value));
        json_object_set_new(ej, "abserr", jnum(ch->numeric.abserr));
        json_object_set_new(ej, "rel_error", jnum(ch->rel_error));
        json_object_set_new(ej, "verdict",
                            json_string(gc_verdict_name(ch->verdict)));
        json_array_append_new(nm, ej);
    }
    json_object_set_new(o, "screens", sc);
    json_object_set_new(o, "named", nm);
    return o;
}

static int write_json(FILE *f, gc_screen_report *const *rs, size_t n)
{
    /* its own document ("report": "screen"), with its own schema
     * (docs/screening.md), never mistaken for a run report */
    json_t *root = json_pack("{s:s, s:s, s:i, s:s}", "gradcheck",
                             GRADCHECK_VERSION, "report", "screen", "schema",
                             1, "mode", "directional");
    json_t *cases = json_array();
    size_t unmet = 0;
    for (size_t i = 0; i < n; i++) {
        const gc_screen_report *r = rs[i];
        const gc_blocks *P = &r->c->prob->layout.params;
        json_t *ds = json_array();
        for (size_t d = 0; d < r->n_derivs; d++) {
            const gc_screen_derivation *dd = &r->derivs[d];
            json_t *pts = json_array();
            for (size_t p = 0; dd->n_claimed && p < r->n_points; p++)
                json_array_append_new(pts, jpoint(P, &dd->points[p], p));
            json_array_append_new(ds, json_pack(
                "{s:s, s:b, s:s, s:s, s:I, s:I, s:o}", "name",
                dd->type->name, "screened", dd->n_claimed > 0, "verdict",
                gc_verdict_name(dd->verdict), "expected",
                dd->no_expect ? "none" : gc_verdict_name(dd->expect),
                "claimed_entries",
                (json_int_t)dd->n_claimed, "passes", (json_int_t)dd->passes,
                "points", pts));
        }
        unmet += r->unmet;
        json_array_append_new(cases, json_pack(
            "{s:s, s:s, s:{s:i, s:I, s:I}, s:I, s:I, s:o}", "name",
            r->c->name, "model", r->c->model->name, "screening",
            "directions", r->dir.directions, "seed", (json_int_t)r->dir.seed,
            "leaf", (json_int_t)r->dir.leaf, "passes", (json_int_t)r->passes,
            "unmet", (json_int_t)r->unmet, "derivations", ds));
    }
    json_object_set_new(root, "cases", cases);
    json_object_set_new(root, "summary", json_pack("{s:I, s:I, s:b}",
                        "cases", (json_int_t)n, "unmet", (json_int_t)unmet,
                        "ok", unmet == 0));
    int st = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!st) fputc('\n', f);
    return st || ferror(f) ? GC_EIO : GC_OK;
}

static int write_fmt(FILE *f, gc_format fmt, gc_screen_report *const *r,
                     size_t n, const gc_report_options *o)
{
    return fmt == GC_FORMAT_JSON ? write_json(f, r, n)
                                 : write_text(f, r, n, o);
}

typedef struct {
    gc_format fmt;
    gc_screen_report *const *r;
    size_t n;
    const gc_report_options *o;
} dir_job;

static int write_dir_job(FILE *f, const void *ctx)
{
    const dir_job *j = ctx;
    return write_fmt(f, j->fmt, j->r, j->n, j->o);
}

/* As gc_report_write (report.c): stdout for "-", else atomically. */
int gc_screen_report_write(const char *path, gc_format fmt,
                        gc_screen_report *const *r, size_t n,
                        const gc_report_options *o)
{
    if (strcmp(path, "-") == 0) {
        int st = write_fmt(stdout, fmt, r, n, o);
        return fflush(stdout) == 0 ? st : GC_EIO;
    }
    dir_job j = {fmt, r, n, o};
    return gc_write_atomic(path, write_dir_job, &j);
}
