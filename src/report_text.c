/* report_text.c: the terminal report (docs/reports.md).
 *
 * By default one line per derivation (its verdict against the expected
 * one, the largest relative error, where it first goes wrong), and the
 * details only for what is not as expected; -v the details of every
 * derivation: a table with one row per parameter block (the worst entry
 * over all points, its analytic and numeric values, error bar, relative
 * error and the block's verdict), per-point verdicts, and where the
 * derivation claims intermediate quantities, the first place it goes wrong
 * walking backwards from the loss; -vv adds every entry; -q prints the
 * summary line only.  Colour follows the expectation: an expected
 * disagree is not an alarm, a verdict that is not expected is.  Columns
 * are aligned by display width (UTF-8 names), and on a terminal long lines
 * are wrapped to its width (report.c). */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Colour of a verdict word.  met: the verdict is the one expected (or, for
 * an entry, belongs to a derivation whose verdict is), so a disagree there
 * is information, not an alarm; an unexpected verdict is white on red. */
static const char *color_of(gc_verdict v, int met)
{
    if (!met) return "\033[1;37;41m";
    switch (v) {
    case GC_AGREE: return "\033[32m";
    case GC_DISAGREE: return "\033[33m";
    case GC_KINK: return "\033[36m";
    case GC_NONFINITE: return "\033[35m";
    default: return "\033[33m";
    }
}

/* s padded with spaces to w columns of display width (UTF-8 names line up
 * like ASCII ones); longer strings are written whole. */
static void pad(FILE *f, const char *s, size_t w)
{
    fputs(s, f);
    for (size_t n = gc_display_width(s); n < w; n++) fputc(' ', f);
}

/* A verdict word, coloured when asked, padded to width w. */
static void verdict_met(FILE *f, gc_verdict v, int w, int met,
                        const gc_report_options *o)
{
    if (o->color) fputs(color_of(v, met), f);
    fputs(gc_verdict_name(v), f);
    if (o->color) fputs("\033[0m", f);
    for (int n = (int)strlen(gc_verdict_name(v)); n < w; n++) fputc(' ', f);
}

/* Inside the details of a derivation, entry verdicts are coloured as
 * expected, unless the derivation's own verdict is not: then its writers
 * get a copy of the options with color 2 (alarm), and what is not agree
 * or kink is an alarm too. */
enum { COLOR_ALARM = 2 };

static void verdict(FILE *f, gc_verdict v, int w, const gc_report_options *o)
{
    verdict_met(f, v, w, o->color != COLOR_ALARM || v == GC_AGREE ||
                v == GC_KINK, o);
}

static void num(FILE *f, double x)
{
    if (isnan(x)) fprintf(f, " %12s", "nan");
    else fprintf(f, " %12.6g", x);
}

/* Widths of a derivation table's first and third columns: the longest
 * block (or Jacobian) label and entry name, by display width, so that
 * Jacobian rows and UTF-8 names line up.  Entry names differ only in their
 * indices, so the last entry of a block has the longest. */
typedef struct {
    size_t blk, name;
} cols;

static cols table_cols(const gc_case_report *r,
                       const gc_derivation_report *dr)
{
    const gc_layout *L = &r->c->prob->layout;
    cols c = {8, 16};
    char nm[160];
    for (size_t b = 0; b < L->params.n_blocks; b++) {
        const gc_block *blk = &L->params.block[b];
        if (gc_display_width(blk->name) > c.blk)
            c.blk = gc_display_width(blk->name);
        gc_entry_name(&L->params, blk->offset + blk->size - 1, nm, sizeof nm);
        if (gc_display_width(nm) > c.name) c.name = gc_display_width(nm);
    }
    for (size_t j = 0; j < dr->n_jacobians; j++) {
        const gc_jacobian *J = &dr->type->jacobians[j];
        const gc_block *of = gc_blocks_find(&L->quantities, J->of);
        const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
        const gc_blocks *wf = wp ? &L->params : &L->quantities;
        const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities, J->wrt);
        if (!of || !w) continue;
        char a[64], b[64];
        snprintf(nm, sizeof nm, "d%s/d%s", J->of, J->wrt);
        if (gc_display_width(nm) > c.blk) c.blk = gc_display_width(nm);
        gc_entry_name(&L->quantities, of->offset + of->size - 1, a, sizeof a);
        gc_entry_name(wf, w->offset + w->size - 1, b, sizeof b);
        snprintf(nm, sizeof nm, "d%s/d%s", a, b);
        if (gc_display_width(nm) > c.name) c.name = gc_display_width(nm);
    }
    for (size_t j = 0; j < dr->n_hessians; j++) {
        const gc_jacobian *J = &dr->type->hessians[j];
        const gc_block *A = gc_blocks_find(&L->params, J->of);
        const gc_block *B = gc_blocks_find(&L->params, J->wrt);
        if (!A || !B) continue;
        char a[64], b[64];
        snprintf(nm, sizeof nm, "d2/d%sd%s", J->of, J->wrt);
        if (gc_display_width(nm) > c.blk) c.blk = gc_display_width(nm);
        gc_entry_name(&L->params, A->offset + A->size - 1, a, sizeof a);
        gc_entry_name(&L->params, B->offset + B->size - 1, b, sizeof b);
        snprintf(nm, sizeof nm, "%s,%s", a, b);
        if (gc_display_width(nm) > c.name) c.name = gc_display_width(nm);
    }
    return c;
}

static void header(FILE *f, const cols *c)
{
    fputs("    ", f);
    pad(f, "block", c->blk);
    fprintf(f, " %7s  ", "entries");
    pad(f, "worst entry", c->name);
    fprintf(f, " %12s %12s %12s %10s  %s\n", "analytic", "numeric",
            "+-abserr", "rel.error", "verdict");
}

static void entry_row(FILE *f, const char *name, const gc_entry_check *ch,
                      const gc_report_options *o)
{
    fputs("  ", f);
    pad(f, name, 16);
    num(f, ch->analytic);
    num(f, ch->numeric.value);
    num(f, ch->numeric.abserr);
    if (isnan(ch->rel_error)) fprintf(f, " %10s  ", "nan");
    else fprintf(f, " %10.2e  ", ch->rel_error);
    verdict(f, ch->verdict, 12, o);
    if (ch->one_sided)
        fprintf(f, " (one-sided %.6g / %.6g)", ch->fwd.value, ch->bwd.value);
    fputc('\n', f);
}

/* Verdict of a block over all points: the same precedence as a
 * derivation's, and "kink" if every checked entry was a kink. */
static gc_verdict block_verdict(const size_t *n)
{
    if (n[GC_DISAGREE]) return GC_DISAGREE;
    if (n[GC_NONFINITE]) return GC_NONFINITE;
    if (n[GC_INCONCLUSIVE]) return GC_INCONCLUSIVE;
    if (n[GC_KINK] && !n[GC_AGREE]) return GC_KINK;
    return GC_AGREE;
}

static void block_table(FILE *f, const cols *cw, const gc_case_report *r,
                        const gc_derivation_report *dr,
                        const gc_report_options *o)
{
    const gc_blocks *P = &r->c->prob->layout.params;
    header(f, cw);
    for (size_t b = 0; b < P->n_blocks; b++) {
        const gc_block *blk = &P->block[b];
        if (!dr->claimed[blk->offset]) {
            if (dr->type->gradient) {
                fputs("    ", f);
                pad(f, blk->name, cw->blk);
                fprintf(f, " %7zu  (not claimed by this derivation)\n",
                        blk->size);
            }
            continue;
        }
        size_t counts[GC_N_VERDICTS] = {0};
        const gc_entry_check *worst = NULL;
        size_t wk = blk->offset;
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t k = blk->offset; k < blk->offset + blk->size; k++) {
                const gc_entry_check *ch = &dr->points[p].entries[k];
                counts[ch->verdict]++;
                int rank_ch = ch->verdict == GC_KINK ? 0 : 1;
                int rank_w = !worst ? -1 : worst->verdict == GC_KINK ? 0 : 1;
                double re = isnan(ch->rel_error) ? INFINITY : ch->rel_error;
                double rw = !worst ? -1 : isnan(worst->rel_error)
                                              ? INFINITY : worst->rel_error;
                if (rank_ch > rank_w || (rank_ch == rank_w && re > rw)) {
                    worst = ch;
                    wk = k;
                }
            }
        char name[64];
        gc_entry_name(P, wk, name, sizeof name);
        fputs("    ", f);
        pad(f, blk->name, cw->blk);
        fprintf(f, " %7zu  ", blk->size);
        pad(f, name, cw->name);
        num(f, worst->analytic);
        num(f, worst->numeric.value);
        num(f, worst->numeric.abserr);
        if (isnan(worst->rel_error)) fprintf(f, " %10s  ", "nan");
        else fprintf(f, " %10.2e  ", worst->rel_error);
        verdict(f, block_verdict(counts), 0, o);
        if (counts[GC_KINK]) fprintf(f, " (%zu kink)", counts[GC_KINK]);
        fputc('\n', f);
    }
}

/* "dh[1]/dx[2]": entry (i, k) of the Jacobian d(of)/d(wrt). */
static void jac_name(const gc_layout *L, const gc_jacobian *J, size_t i,
                     size_t k, char *buf, size_t n)
{
    const gc_block *of = gc_blocks_find(&L->quantities, J->of);
    const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
    const gc_blocks *wf = wp ? &L->params : &L->quantities;
    const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities, J->wrt);
    char a[64], b[64];
    gc_entry_name(&L->quantities, of->offset + i, a, sizeof a);
    gc_entry_name(wf, w->offset + k, b, sizeof b);
    snprintf(buf, n, "d%s/d%s", a, b);
}

/* A Jacobian's or Hessian's row of the block table: its label, entry
 * count, worst entry and that entry's numbers, and the block's verdict
 * (the caller ends the line). */
static void block_row(FILE *f, const cols *cw, const char *label, size_t n,
                      const char *name, const gc_entry_check *worst,
                      gc_verdict v, const gc_report_options *o)
{
    fputs("    ", f);
    pad(f, label, cw->blk);
    fprintf(f, " %7zu  ", n);
    pad(f, name, cw->name);
    num(f, worst->analytic);
    num(f, worst->numeric.value);
    num(f, worst->numeric.abserr);
    if (isnan(worst->rel_error)) fprintf(f, " %10s  ", "nan");
    else fprintf(f, " %10.2e  ", worst->rel_error);
    verdict(f, v, 0, o);
}

/* One row per stated Jacobian: the worst entry over all points. */
static void jacobian_rows(FILE *f, const cols *cw, const gc_case_report *r,
                          const gc_derivation_report *dr,
                          const gc_report_options *o)
{
    const gc_layout *L = &r->c->prob->layout;
    for (size_t j = 0; j < dr->n_jacobians; j++) {
        const gc_jacobian *J = &dr->type->jacobians[j];
        const gc_block *of = gc_blocks_find(&L->quantities, J->of);
        const gc_block *w = gc_blocks_find(&L->params, J->wrt);
        if (!w) w = gc_blocks_find(&L->quantities, J->wrt);
        size_t n = of->size * w->size, counts[GC_N_VERDICTS] = {0};
        const gc_entry_check *worst = NULL;
        size_t wi = 0, wp = 0;
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t e = 0; e < n; e++) {
                const gc_entry_check *ch = &dr->points[p].jentries[j][e];
                counts[ch->verdict]++;
                double re = isnan(ch->rel_error) ? INFINITY : ch->rel_error;
                if (!worst || (ch->verdict != GC_KINK &&
                               re > (isnan(worst->rel_error) ? INFINITY
                                                             : worst->rel_error))) {
                    worst = ch;
                    wi = e;
                    wp = p;
                }
            }
        char name[160], label[96];
        jac_name(L, J, wi / w->size, wi % w->size, name, sizeof name);
        snprintf(label, sizeof label, "d%s/d%s", J->of, J->wrt);
        block_row(f, cw, label, n, name, worst, block_verdict(counts), o);
        fprintf(f, " (Jacobian%s)\n", r->n_points > 1 ? "" : "");
        (void)wp;
        if (o->verbose < 2) continue;
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t e = 0; e < n; e++) {
                jac_name(L, J, e / w->size, e % w->size, name, sizeof name);
                char pn[200];
                snprintf(pn, sizeof pn, "%s @%zu", name, p);
                fprintf(f, "    ");
                entry_row(f, pn, &dr->points[p].jentries[j][e], o);
            }
    }
}

/* One row per stated Hessian block: the worst entry over all points,
 * against the derivative of the derivation's own gradient. */
static void hessian_rows(FILE *f, const cols *cw, const gc_case_report *r,
                         const gc_derivation_report *dr,
                         const gc_report_options *o)
{
    const gc_layout *L = &r->c->prob->layout;
    for (size_t j = 0; j < dr->n_hessians; j++) {
        const gc_jacobian *J = &dr->type->hessians[j];
        const gc_block *A = gc_blocks_find(&L->params, J->of);
        const gc_block *B = gc_blocks_find(&L->params, J->wrt);
        size_t n = A->size * B->size, counts[GC_N_VERDICTS] = {0}, wi = 0;
        const gc_entry_check *worst = NULL;
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t e = 0; e < n; e++) {
                const gc_entry_check *ch = &dr->points[p].hentries[j][e];
                counts[ch->verdict]++;
                double re = isnan(ch->rel_error) ? INFINITY : ch->rel_error;
                if (!worst || re > (isnan(worst->rel_error)
                                    ? INFINITY : worst->rel_error)) {
                    worst = ch;
                    wi = e;
                }
            }
        char a[64], b[64], name[160], label[96];
        gc_entry_name(&L->params, A->offset + wi / B->size, a, sizeof a);
        gc_entry_name(&L->params, B->offset + wi % B->size, b, sizeof b);
        snprintf(name, sizeof name, "%s,%s", a, b);
        snprintf(label, sizeof label, "d2/d%sd%s", J->of, J->wrt);
        block_row(f, cw, label, n, name, worst, block_verdict(counts), o);
        fprintf(f, " (Hessian: numeric is d/d%s of the derivation's "
                "dL/d%s)\n", J->wrt, J->of);
        if (o->verbose < 2) continue;       /* every entry: -vv, as Jacobians */
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t e = 0; e < n; e++) {
                gc_entry_name(&L->params, A->offset + e / B->size, a, sizeof a);
                gc_entry_name(&L->params, B->offset + e % B->size, b, sizeof b);
                char pn[200];
                snprintf(pn, sizeof pn, "d2/d%s d%s @%zu", a, b, p);
                fprintf(f, "    ");
                entry_row(f, pn, &dr->points[p].hentries[j][e], o);
            }
    }
}

/* Time step of quantity entry j in a timed block, or -1. */
static long time_of(const gc_blocks *Q, size_t j)
{
    const gc_block *b = gc_blocks_of(Q, j);
    if (!b || !b->timed) return -1;
    return (long)((j - b->offset) / (b->size / b->shape[0])) + b->base[0];
}

static void localisation(FILE *f, const gc_case_report *r,
                         const gc_derivation_report *dr, size_t p,
                         const gc_report_options *o)
{
    const gc_point_report *pr = &dr->points[p];
    const gc_blocks *Q = &r->c->prob->layout.quantities;
    if (!pr->qentries) return;
    if (pr->first_wrong < 0) {
        if (pr->verdict == GC_DISAGREE)
            fprintf(f, "      every claimed dL/d(quantity) agrees: the error "
                    "is in the last step, from quantities to parameters\n");
        return;
    }
    char name[64];
    size_t j = (size_t)pr->first_wrong;
    gc_entry_name(Q, j, name, sizeof name);
    const gc_entry_check *ch = &pr->qentries[j];
    long t = time_of(Q, j);
    fprintf(f, "      first wrong, walking back from the loss: dL/d%s", name);
    if (t >= 0) {
        const char *s = gc_blocks_of(Q, j)->step;
        if (!*s || strcmp(s, "t") == 0)
            fprintf(f, " (time step t = %ld)", t);
        else
            fprintf(f, " (%s = %ld)", s, t);
    }
    fprintf(f, ": derivation %.6g, numeric %.6g +- %.2g; everything after "
            "it agrees\n", ch->analytic, ch->numeric.value,
            ch->numeric.abserr);
    /* The other quantity blocks wrong at the same step. */
    if (t >= 0) {
        int any = 0;
        for (size_t b = 0; b < Q->n_blocks; b++) {
            const gc_block *blk = &Q->block[b];
            if (!blk->timed) continue;
            size_t inner = blk->size / blk->shape[0];
            size_t s0 = blk->offset + (size_t)(t - blk->base[0]) * inner;
            int wrong = 0;
            for (size_t k = s0; k < s0 + inner; k++)
                if (dr->qclaimed[k] && pr->qentries[k].verdict == GC_DISAGREE)
                    wrong = 1;
            if (wrong) {
                fprintf(f, "%s%s", any ? ", " : "      wrong at that step: ",
                        blk->name);
                any = 1;
            }
        }
        if (any) fputc('\n', f);
    }
    const gc_blocks *P = &r->c->prob->layout.params;
    int any = 0;
    for (size_t b = 0; b < P->n_blocks; b++) {
        const gc_block *blk = &P->block[b];
        int wrong = 0;
        for (size_t k = blk->offset; k < blk->offset + blk->size; k++)
            if (dr->claimed[k] && pr->entries[k].verdict == GC_DISAGREE)
                wrong = 1;
        if (wrong) {
            fprintf(f, "%s%s", any ? ", " : "      parameter gradients that "
                    "inherit it: ", blk->name);
            any = 1;
        }
    }
    if (any) fputc('\n', f);
    if (o->verbose >= 2) {
        fprintf(f, "      quantities at point %zu:\n", p);
        for (size_t k = 0; k < Q->n; k++) {
            if (!dr->qclaimed[k]) continue;
            gc_entry_name(Q, k, name, sizeof name);
            char dn[72];
            snprintf(dn, sizeof dn, "dL/d%s", name);
            fprintf(f, "    ");
            entry_row(f, dn, &pr->qentries[k], o);
        }
    }
}

/* The first wrong quantity of a derivation, as "dL/dh[2][3] at t = 2",
 * or "" (the first point that shows it, as the details do). */
static void where(const gc_case_report *r, const gc_derivation_report *dr,
                  char *buf, size_t n)
{
    const gc_blocks *Q = &r->c->prob->layout.quantities;
    buf[0] = 0;
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_point_report *pr = &dr->points[p];
        if (!pr->qentries || pr->first_wrong < 0) continue;
        char name[64];
        gc_entry_name(Q, (size_t)pr->first_wrong, name, sizeof name);
        long t = time_of(Q, (size_t)pr->first_wrong);
        int k = snprintf(buf, n, "first wrong dL/d%s", name);
        const char *s = gc_blocks_of(Q, (size_t)pr->first_wrong)->step;
        if (t >= 0 && k >= 0 && (size_t)k < n)
            snprintf(buf + k, n - (size_t)k, " at %s = %ld", *s ? s : "t",
                     t);
        return;
    }
}

static void derivation(FILE *f, const gc_case_report *r,
                       const gc_derivation_report *dr,
                       const gc_report_options *opt)
{
    int met = dr->verdict == dr->expect;   /* agree when no_expect */
    gc_report_options details = *opt;
    if (details.color && !met) details.color = COLOR_ALARM;
    const gc_report_options *o = &details;
    fputs("  derivation ", f);
    pad(f, dr->type->name, 10);
    fputc(' ', f);
    verdict_met(f, dr->verdict, 0, met, o);
    if (dr->no_expect)
        fprintf(f, " (no expectation)");
    else
        fprintf(f, " (expected %s)%s", gc_verdict_name(dr->expect),
                met ? "" : "  <-- UNEXPECTED");
    fprintf(f, "  max rel.error %.2e over %zu entries x %zu points\n",
            dr->max_rel_error, dr->n_claimed, r->n_points);
    fprintf(f, "    %s\n", dr->type->summary);
    cols cw = table_cols(r, dr);
    block_table(f, &cw, r, dr, o);
    jacobian_rows(f, &cw, r, dr, o);
    hessian_rows(f, &cw, r, dr, o);
    fprintf(f, "    points:");
    if (r->n_points <= 16 || o->verbose >= 2) {
        for (size_t p = 0; p < r->n_points; p++) {
            fprintf(f, " %zu%s=", p, p == 0 ? "(given)" : "");
            verdict(f, dr->points[p].verdict, 0, o);
        }
    } else {
        /* Many points: the given one, then counts, then the first few
         * random points that do not agree. */
        size_t n[GC_N_VERDICTS] = {0}, shown = 0;
        for (size_t p = 1; p < r->n_points; p++) n[dr->points[p].verdict]++;
        fprintf(f, " 0(given)=");
        verdict(f, dr->points[0].verdict, 0, o);
        fprintf(f, "; %zu random:", r->n_points - 1);
        for (int v = 0; v < GC_N_VERDICTS; v++)
            if (n[v]) fprintf(f, " %zu %s", n[v], gc_verdict_name((gc_verdict)v));
        for (size_t p = 1; p < r->n_points && shown < 8; p++)
            if (dr->points[p].verdict != GC_AGREE)
                fprintf(f, "%s%zu", shown++ ? ", " : "; not agreeing: ", p);
        if (shown == 8) fprintf(f, ", ... (-v lists all)");
    }
    fputc('\n', f);
    if (dr->points[0].verdict == GC_AGREE && dr->verdict == GC_DISAGREE)
        fprintf(f, "    agrees at the given point only: the formula is "
                "wrong elsewhere\n");
    /* why an entry is not finite: the first point that says so (JSON and
     * HTML give every point's) */
    for (size_t p = 0; p < r->n_points; p++)
        if (dr->points[p].why) {
            fprintf(f, "    not finite at point %zu%s: %s\n", p,
                    p == 0 ? " (given)" : "", dr->points[p].why);
            break;
        }
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_point_report *pr = &dr->points[p];
        if (pr->qentries && (pr->first_wrong >= 0 ||
                             pr->verdict == GC_DISAGREE)) {
            fprintf(f, "    localisation at point %zu:\n", p);
            localisation(f, r, dr, p, o);
            break;   /* the first point that shows it is enough */
        }
    }
    if (o->verbose < 2) return;
    const gc_blocks *P = &r->c->prob->layout.params;
    for (size_t p = 0; p < r->n_points; p++) {
        fprintf(f, "    entries at point %zu:\n", p);
        for (size_t k = 0; k < P->n; k++) {
            if (!dr->claimed[k]) continue;
            char name[64];
            gc_entry_name(P, k, name, sizeof name);
            fprintf(f, "    ");
            entry_row(f, name, &dr->points[p].entries[k], o);
        }
    }
}

/* s cut to at most w columns at a character boundary ("..." marks a
 * cut), then padded to w. */
static void pad_cut(FILE *f, const char *s, size_t w)
{
    if (gc_display_width(s) <= w) { pad(f, s, w); return; }
    char buf[GC_NAME_SHOWN_MAX + 8];
    size_t len = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && len < GC_NAME_SHOWN_MAX) {
        size_t n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        memcpy(buf + len, p, n);
        buf[len + n] = 0;
        if (gc_display_width(buf) + 3 > w) break;
        len += n;
        p += n;
    }
    memcpy(buf + len, "...", 4);
    pad(f, buf, w);
}

/* Claims: all of them (unmet_only 0), or only those not as expected. */
static void claims(FILE *f, const gc_case_report *r,
                   const gc_report_options *o, int unmet_only)
{
    if (!r->n_claims) return;
    size_t shown = 0;
    for (size_t i = 0; i < r->n_claims; i++) {
        const gc_claim_report *cr = &r->claims[i];
        if (unmet_only && cr->verdict == cr->claim->expect) continue;
        if (!shown++) {
            fprintf(f, "  claims (stated numbers)%s:\n",
                    unmet_only ? " not as expected" : "");
            fputs("    ", f);
            pad(f, "claim", 44);
            fprintf(f, " %12s %14s %9s  %s\n", "stated", "computed", "tol",
                    "verdict");
        }
        char name[GC_NAME_SHOWN_MAX + 1];
        gc_name_clean(cr->claim->name, name, sizeof name);
        fputs("    ", f);
        pad_cut(f, name, 44);
        fprintf(f, " %12.6g %14.8g %9.2g  ", cr->claim->stated, cr->actual,
                cr->tol);
        int met = cr->verdict == cr->claim->expect;
        verdict_met(f, cr->verdict, 0, met, o);
        if (!met)
            fprintf(f, " (expected %s)  <-- UNEXPECTED",
                    gc_verdict_name(cr->claim->expect));
        fputc('\n', f);
        if (cr->why) fprintf(f, "      not finite: %s\n", cr->why);
    }
}

/* The details of a case (the -v report): header, assumptions, every
 * derivation's tables, the claims. */
static void case_details(FILE *f, const gc_case_report *r,
                         const gc_report_options *o)
{
    const gc_case *c = r->c;
    char name[GC_NAME_SHOWN_MAX + 1];
    fputs(gc_name_clean(c->name, name, sizeof name), f);
    char *t = gc_text_clean_dup(c->title ? c->title : "");
    if (t && t[0]) fprintf(f, ": %s", t);   /* a network needs no title */
    fputc('\n', f);
    free(t);
    fprintf(f, "  source %s, %s; model %s; loss %.10g at the given "
            "point; %zu random point%s (seed %ld)\n", c->seed, c->problem,
            c->model->name, r->loss, r->n_points - 1,
            r->n_points == 2 ? "" : "s", r->seed);
    for (size_t a = 0; a < c->n_assumptions; a++) {
        char *as = gc_text_clean_dup(c->assumptions[a]);
        fprintf(f, "  assumes: %s\n", as ? as : "");
        free(as);
    }
    for (size_t d = 0; d < r->n_derivs; d++)
        derivation(f, r, &r->derivs[d], o);
    claims(f, r, o, 0);
    /* derivations without expect: are expected to agree */
    size_t open = 0, bad_open = 0;
    for (size_t d = 0; d < r->n_derivs; d++) {
        open += (size_t)r->derivs[d].no_expect;
        bad_open += (size_t)(r->derivs[d].no_expect &&
                             r->derivs[d].verdict != GC_AGREE);
    }
    fprintf(f, "  => %s\n\n", !r->unmet
            ? (open ? "every verdict as expected (derivations without "
                      "an expectation agree)" : "every verdict as expected")
            : bad_open == r->unmet
            ? "a derivation without an expectation does not agree"
            : "some verdicts differ from the case's expectations");
}

/* Column widths of the one-line-per-derivation view. */
typedef struct {
    size_t name, deriv;
} widths;

/* One line per derivation: case (on its first line only), derivation,
 * verdict, whether it is the expected one, largest relative error, checks
 * and where it first goes wrong; the case's claims in a note on its first
 * line; then the details of anything not as expected. */
static void case_lines(FILE *f, const gc_case_report *r, const widths *w,
                       const gc_report_options *o)
{
    char name[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean(r->c->name, name, sizeof name);
    size_t cmet = 0;
    for (size_t k = 0; k < r->n_claims; k++)
        cmet += r->claims[k].verdict == r->claims[k].claim->expect;
    for (size_t d = 0; d < r->n_derivs; d++) {
        const gc_derivation_report *dr = &r->derivs[d];
        int met = dr->verdict == dr->expect;   /* agree when no_expect */
        pad(f, d == 0 ? name : "", w->name);
        fputs("  ", f);
        pad(f, dr->type->name, w->deriv);
        fputs("  ", f);
        verdict_met(f, dr->verdict, 12, met, o);
        if (met) fputs(dr->no_expect ? "yes (none set)  " : "yes             ", f);
        else {
            char buf[40];
            if (dr->no_expect) snprintf(buf, sizeof buf, "NO (none set)");
            else snprintf(buf, sizeof buf, "NO: %s",
                          gc_verdict_name(dr->expect));
            if (o->color) fputs(color_of(dr->verdict, 0), f);
            fputs(buf, f);
            if (o->color) fputs("\033[0m", f);
            pad(f, "", 16 - strlen(buf));
        }
        char rel[16];
        if (isnan(dr->max_rel_error)) snprintf(rel, sizeof rel, "nan");
        else snprintf(rel, sizeof rel, "%.1e", dr->max_rel_error);
        char checks[48], loc[160];
        if (dr->n_claimed || !dr->n_jacobians)
            snprintf(checks, sizeof checks, "%5zu x %zu", dr->n_claimed,
                     r->n_points);
        else
            snprintf(checks, sizeof checks, "%5zu Jacobian%s", dr->n_jacobians,
                     dr->n_jacobians == 1 ? "" : "s");
        where(r, dr, loc, sizeof loc);
        fprintf(f, "%9s  ", rel);
        if (loc[0] || (d == 0 && r->n_claims)) pad(f, checks, 14);
        else fputs(checks, f);
        if (loc[0]) fputs(loc, f);
        if (d == 0 && r->n_claims)
            fprintf(f, "%sclaims %zu of %zu as expected", loc[0] ? "; " : "",
                    cmet, r->n_claims);
        fputc('\n', f);
        if (!met) derivation(f, r, dr, o);
    }
    if (r->n_derivs == 0 && r->n_claims) {
        pad(f, name, w->name);
        fprintf(f, "  claims %zu of %zu as expected\n", cmet, r->n_claims);
    }
    if (cmet < r->n_claims) claims(f, r, o, 1);
}

/* A case whose every derivation and claim is as expected, in one line,
 * when several cases are reported (a catalogue or nightly run reads at a
 * glance; one case alone keeps its line per derivation): the verdicts
 * counted, colour by expectation, and the claims. */
static int case_line_short(FILE *f, const gc_case_report *r,
                           const widths *w, const gc_report_options *o)
{
    if (r->unmet || r->n_derivs == 0) return 0;
    for (size_t k = 0; k < r->n_claims; k++)
        if (r->claims[k].verdict != r->claims[k].claim->expect) return 0;
    char name[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean(r->c->name, name, sizeof name);
    size_t counts[GC_N_VERDICTS] = {0};
    for (size_t d = 0; d < r->n_derivs; d++) counts[r->derivs[d].verdict]++;
    pad(f, name, w->name);
    fprintf(f, "  %zu derivation%s as expected: ", r->n_derivs,
            r->n_derivs == 1 ? "" : "s");
    int first = 1;
    for (int v = 0; v < GC_N_VERDICTS; v++)
        if (counts[v]) {
            fprintf(f, "%s%zu ", first ? "" : ", ", counts[v]);
            if (o->color) fputs(color_of((gc_verdict)v, 1), f);
            fputs(gc_verdict_name((gc_verdict)v), f);
            if (o->color) fputs("\033[0m", f);
            first = 0;
        }
    if (r->n_claims) fprintf(f, "; claims %zu/%zu", r->n_claims, r->n_claims);
    fputc('\n', f);
    return 1;
}

int gc_report_text(FILE *f, gc_case_report *const *rs, size_t n,
                   const gc_report_options *o)
{
    size_t unmet = 0, nd = 0, nc = 0, counts[GC_N_VERDICTS] = {0};
    widths w = {4, 10};
    for (size_t i = 0; i < n; i++) {
        char name[GC_NAME_SHOWN_MAX + 1];
        size_t cw = gc_display_width(gc_name_clean(rs[i]->c->name, name,
                                                   sizeof name));
        if (cw > w.name) w.name = cw;
        for (size_t d = 0; d < rs[i]->n_derivs; d++) {
            size_t dw = gc_display_width(rs[i]->derivs[d].type->name);
            if (dw > w.deriv) w.deriv = dw;
            counts[rs[i]->derivs[d].verdict]++;
        }
    }
    int headed = 0;
    for (size_t i = 0; i < n; i++) {
        const gc_case_report *r = rs[i];
        if (o->verbose) case_details(f, r, o);
        else if (!o->quiet && !(n > 1 && case_line_short(f, r, &w, o))) {
            if (!headed) {    /* over the first case shown line by line */
                pad(f, "case", w.name);
                fputs("  ", f);
                pad(f, "derivation", w.deriv);
                fputs("  verdict     as expected?    max error  entries x "
                      "points\n", f);
                headed = 1;
            }
            case_lines(f, r, &w, o);
        }
        unmet += r->unmet;
        nd += r->n_derivs;
        nc += r->n_claims;
    }
    if (!o->quiet && !o->verbose) fputc('\n', f);
    fprintf(f, "%zu case%s, %zu derivation%s (", n, n == 1 ? "" : "s", nd,
            nd == 1 ? "" : "s");
    int first = 1;
    for (int v = 0; v < GC_N_VERDICTS; v++)
        if (counts[v]) {
            fprintf(f, "%s%zu %s", first ? "" : ", ", counts[v],
                    gc_verdict_name((gc_verdict)v));
            first = 0;
        }
    fprintf(f, "%s), %zu claim%s: ", first ? "none" : "", nc,
            nc == 1 ? "" : "s");
    if (o->color) fputs(unmet ? "\033[1;37;41m" : "\033[32m", f);
    if (unmet) fprintf(f, "%zu verdict%s not as expected", unmet,
                       unmet == 1 ? "" : "s");
    else fputs("every verdict as expected", f);
    if (o->color) fputs("\033[0m", f);
    fputc('\n', f);
    return ferror(f) ? GC_EIO : GC_OK;
}
