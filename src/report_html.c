/* report_html.c: the run report as one self-contained HTML page (README
 * "The HTML report").
 *
 * Everything is inline: CSS in <style>, pictures as SVG written here, and a
 * Content-Security-Policy that forbids fetching anything, so the file can
 * be mailed, archived as a CI artifact or opened from disk years later.
 * The page is complete without scripts (numbers sit in tables and in SVG
 * <title> tooltips); one small script only adds a filter ("only what is not
 * as expected").
 *
 * The SVG is written directly rather than through a plotting library: the
 * pictures are a handful of rectangles, lines and text, and a library
 * (gnuplot, matplotlib) would add a run-time dependency, a subprocess and
 * fonts for something fprintf does in a few lines.
 *
 * Per case: a header, per derivation its verdict against the expected one,
 *   - a heatmap of entries (rows, grouped by block) by points (columns),
 *     coloured by log10 relative error, verdicts marked: kink (diagonal
 *     stroke, never counts), inconclusive (ring), nonfinite (black),
 *     disagree (dark outline); large grids are binned, a bin showing its
 *     worst entry;
 *   - the table of blocks (worst entry of each), as in the text report;
 *   - where the derivation states dL/d(quantity): the localisation grid of
 *     quantity blocks by time step (or one column per untimed block), the
 *     first wrong cell outlined, numbers in a table below;
 *   - the step study of its worst entry (gc_step_study): relative error of
 *     GSL's central difference against h, with the engine's own result;
 * then the claims, stated against computed, each with its distance from
 * the stated number in units of the claim's tolerance. */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "gradcheck/stepstudy.h"
#include "gradcheck/verdict.h"
#include "html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static void num(FILE *f, double x)
{
    if (isnan(x)) fputs("NaN", f);
    else if (isinf(x)) fputs(x > 0 ? "Infinity" : "-Infinity", f);
    else fprintf(f, "%.6g", x);
}

static void relerr(FILE *f, double x)
{
    if (isnan(x)) fputs("NaN", f);
    else fprintf(f, "%.2e", x);
}

/* Verdict badge; class "unexpected" when it is not what the case expects,
 * so an expected disagree is not an alarm. */
static void badge(FILE *f, gc_verdict v, int expected)
{
    fprintf(f, "<span class=\"v v-%s%s\">%s</span>", gc_verdict_name(v),
            expected ? "" : " unexpected", gc_verdict_name(v));
}

/* Colour of a relative error on a log scale: below 1e-12 the lightest
 * blue, blues up to 1e-8, then orange through dark red at 1 and above.
 * The bend sits near the default rtol (1e-7), where verdicts change. */
static void err_color(double rel, char out[8])
{
    static const struct { double at; unsigned char r, g, b; } stop[] = {
        {-12, 0xee, 0xf5, 0xfb}, {-10, 0xc6, 0xdb, 0xef},
        {-8, 0x6b, 0xae, 0xd6}, {-7, 0xfe, 0xe0, 0x8b},
        {-4, 0xfc, 0x8d, 0x59}, {-2, 0xe3, 0x4a, 0x33},
        {0, 0x99, 0x00, 0x0d},
    };
    const size_t n = sizeof stop / sizeof stop[0];
    double l = rel > 0 ? log10(rel) : -99;
    if (l <= stop[0].at) l = stop[0].at;
    if (l >= stop[n - 1].at) l = stop[n - 1].at;
    size_t i = 0;
    while (i + 2 < n && l > stop[i + 1].at) i++;
    double t = (l - stop[i].at) / (stop[i + 1].at - stop[i].at);
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    snprintf(out, 8, "#%02x%02x%02x",
             (unsigned)lround(stop[i].r + t * (stop[i + 1].r - stop[i].r)),
             (unsigned)lround(stop[i].g + t * (stop[i + 1].g - stop[i].g)),
             (unsigned)lround(stop[i].b + t * (stop[i + 1].b - stop[i].b)));
}

/* Precedence of verdicts inside a bin or a block: the one to show. */
static int rank(gc_verdict v)
{
    switch (v) {
    case GC_DISAGREE: return 4;
    case GC_NONFINITE: return 3;
    case GC_INCONCLUSIVE: return 2;
    case GC_AGREE: return 1;
    default: return 0;   /* kink: never counts */
    }
}

/* Is a worse than b (to show a bin's worst entry)? */
static int worse(const gc_entry_check *a, const gc_entry_check *b)
{
    if (!b) return 1;
    if (rank(a->verdict) != rank(b->verdict))
        return rank(a->verdict) > rank(b->verdict);
    double ra = isnan(a->rel_error) ? INFINITY : a->rel_error;
    double rb = isnan(b->rel_error) ? INFINITY : b->rel_error;
    return ra > rb;
}

/* One cell: its fill by relative error and its verdict's mark, with the
 * numbers as a tooltip. */
static void cell(FILE *f, double x, double y, double w, double h,
                 const gc_entry_check *ch, const char *label, int first)
{
    char col[8];
    if (ch->verdict == GC_NONFINITE) snprintf(col, sizeof col, "#000000");
    else if (ch->verdict == GC_KINK) snprintf(col, sizeof col, "#d9d9d9");
    else err_color(ch->rel_error, col);
    fprintf(f, "<g class=\"c c-%s\"><rect x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"",
            gc_verdict_name(ch->verdict), x, y, w, h, col);
    if (ch->verdict == GC_DISAGREE && !first)
        fprintf(f, " stroke=\"#111\" stroke-width=\"%s\"",
                w >= 6 && h >= 6 ? "1" : "0.5");
    fputs("><title>", f);
    gc_html_esc(f, label);
    fputs(": analytic ", f);
    num(f, ch->analytic);
    fputs(", numeric ", f);
    num(f, ch->numeric.value);
    fputs(" &plusmn; ", f);
    num(f, ch->numeric.abserr);
    fputs(", rel. error ", f);
    relerr(f, ch->rel_error);
    fprintf(f, ", %s%s</title></rect>", gc_verdict_name(ch->verdict),
            first ? " (first wrong, walking back from the loss)" : "");
    if (ch->verdict == GC_KINK && w >= 3 && h >= 3)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#555\" stroke-width=\"1\"/>", x, y + h, x + w, y);
    if (ch->verdict == GC_INCONCLUSIVE && w >= 4 && h >= 4)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" "
                "stroke=\"#333\" stroke-width=\"1\"/>", x + w / 2, y + h / 2,
                fmin(w, h) / 3);
    /* the first wrong cell: a yellow ring inside a black one, visible on
     * any fill */
    if (first)
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"none\" stroke=\"#000\" stroke-width=\"4\"/>"
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"none\" stroke=\"#ffd400\" stroke-width=\"2\" "
                "class=\"first-wrong\"/>", x, y, w, h, x + 1, y + 1, w - 2,
                h - 2);
    fputs("</g>", f);
}

/* ------------------------------------------------------------ heatmap */

#define HEAT_MAX_ROWS 160
#define HEAT_MAX_COLS 60

static void heatmap(FILE *f, const gc_case_report *r,
                    const gc_derivation_report *dr)
{
    const gc_blocks *P = &r->c->prob->layout.params;
    size_t nrow = dr->n_claimed, ncol = r->n_points;
    if (!nrow || !ncol) return;
    size_t *rows = malloc(nrow * sizeof *rows);
    if (!rows) return;
    size_t m = 0;
    for (size_t k = 0; k < P->n; k++)
        if (dr->claimed[k]) rows[m++] = k;
    size_t rb = (nrow + HEAT_MAX_ROWS - 1) / HEAT_MAX_ROWS;  /* per bin */
    size_t cb = (ncol + HEAT_MAX_COLS - 1) / HEAT_MAX_COLS;
    size_t R = (nrow + rb - 1) / rb, C = (ncol + cb - 1) / cb;
    double cw = C <= 5 ? 36 : C <= 20 ? 18 : 9;
    double ch = R <= 30 ? 13 : R <= 80 ? 6 : 3;
    double left = 150, top = 22, W = left + C * cw + 10, H = top + R * ch + 4;
    fprintf(f, "<figure class=\"heatmap\"><svg xmlns=\"http://www.w3.org/"
            "2000/svg\" role=\"img\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" aria-label=\"relative error of every "
            "entry at every point\">", W, H, W, H);
    /* column labels: point numbers (0 is the given point) */
    for (size_t c = 0; c < C; c++) {
        size_t p0 = c * cb;
        if (C <= 20 || c % 5 == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"14\" class=\"ax\" "
                    "text-anchor=\"middle\">%zu%s</text>",
                    left + c * cw + cw / 2, p0, p0 == 0 && C <= 5 ? " given" :
                    "");
    }
    const gc_block *last = NULL;
    for (size_t i = 0; i < R; i++) {
        size_t k0 = rows[i * rb];
        const gc_block *b = gc_blocks_of(P, k0);
        double y = top + i * ch;
        if (b != last) {
            if (last)
                fprintf(f, "<line x1=\"0\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
                        "class=\"sep\"/>", W - 10, y, y);
            fprintf(f, "<text x=\"4\" y=\"%.1f\" class=\"blk\">", y + 10);
            gc_html_esc(f, b->name);
            fputs("</text>", f);
            last = b;
        }
        if (ch >= 12 && rb == 1) {
            char nm[96];
            gc_entry_name(P, k0, nm, sizeof nm);
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"ax\" "
                    "text-anchor=\"end\">", left - 4, y + ch - 3);
            gc_html_esc(f, nm);
            fputs("</text>", f);
        }
        for (size_t c = 0; c < C; c++) {
            const gc_entry_check *w = NULL;
            size_t wk = k0, wp = c * cb;
            for (size_t a = i * rb; a < (i + 1) * rb && a < nrow; a++)
                for (size_t p = c * cb; p < (c + 1) * cb && p < ncol; p++) {
                    const gc_entry_check *e = &dr->points[p].entries[rows[a]];
                    if (worse(e, w)) { w = e; wk = rows[a]; wp = p; }
                }
            char nm[96], label[160];
            gc_entry_name(P, wk, nm, sizeof nm);
            snprintf(label, sizeof label, "%s at point %zu%s", nm, wp,
                     rb > 1 || cb > 1 ? " (worst of its bin)" : "");
            cell(f, left + c * cw, y, cw - 1, ch - (ch > 4 ? 1 : 0), w, label,
                 0);
        }
    }
    fprintf(f, "</svg><figcaption>Relative error of each of the %zu claimed "
            "entries (rows) at each point (columns; 0 is the case's own)%s; "
            "hover a cell for its numbers.</figcaption></figure>\n", nrow,
            rb > 1 || cb > 1 ? ", binned: a cell shows the worst entry of its "
            "bin" : "");
    free(rows);
}

/* A stated Jacobian d(of)/d(wrt) at the point where it is worst: rows
 * the entries of `of`, columns those of `wrt`, coloured and marked as the
 * heatmap's cells; large ones are binned the same way. */
static void jacobian_map(FILE *f, const gc_case_report *r,
                         const gc_derivation_report *dr, size_t j)
{
    const gc_layout *L = &r->c->prob->layout;
    const gc_jacobian *J = &dr->type->jacobians[j];
    const gc_block *of = gc_blocks_find(&L->quantities, J->of);
    const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
    const gc_blocks *wf = wp ? &L->params : &L->quantities;
    const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities, J->wrt);
    if (!of || !w || !of->size || !w->size) return;
    size_t n = of->size * w->size, wpnt = 0;
    const gc_entry_check *worst = NULL;
    for (size_t p = 0; p < r->n_points; p++)
        for (size_t e = 0; e < n; e++)
            if (worse(&dr->points[p].jentries[j][e], worst)) {
                worst = &dr->points[p].jentries[j][e];
                wpnt = p;
            }
    const gc_entry_check *E = dr->points[wpnt].jentries[j];
    size_t rb = (of->size + HEAT_MAX_ROWS - 1) / HEAT_MAX_ROWS;
    size_t cb = (w->size + HEAT_MAX_COLS - 1) / HEAT_MAX_COLS;
    size_t R = (of->size + rb - 1) / rb, C = (w->size + cb - 1) / cb;
    double cw = C <= 12 ? 26 : C <= 30 ? 12 : 7, ch = R <= 20 ? 16 : 6;
    double left = 110, top = 40;
    double W = left + C * cw + 10, H = top + R * ch + 4;
    char a[64], b[64], nm[160];
    fprintf(f, "<figure class=\"jacobian\"><svg xmlns=\"http://www.w3.org/"
            "2000/svg\" role=\"img\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" aria-label=\"stated Jacobian\">",
            W, H, W, H);
    for (size_t c = 0; c < C; c++)
        if (C <= 12) {
            gc_entry_name(wf, w->offset + c * cb, b, sizeof b);
            fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"ax\" "
                    "transform=\"rotate(-40 %.1f %.0f)\">", left + c * cw +
                    cw / 2, top - 4, left + c * cw + cw / 2, top - 4);
            gc_html_esc(f, b);
            fputs("</text>", f);
        }
    for (size_t i = 0; i < R; i++) {
        double y = top + i * ch;
        if (ch >= 12) {
            gc_entry_name(&L->quantities, of->offset + i * rb, a, sizeof a);
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"ax\" "
                    "text-anchor=\"end\">", left - 4, y + ch - 4);
            gc_html_esc(f, a);
            fputs("</text>", f);
        }
        for (size_t c = 0; c < C; c++) {
            const gc_entry_check *e = NULL;
            size_t ei = i * rb, ek = c * cb;
            for (size_t ii = i * rb; ii < (i + 1) * rb && ii < of->size; ii++)
                for (size_t kk = c * cb; kk < (c + 1) * cb && kk < w->size;
                     kk++)
                    if (worse(&E[ii * w->size + kk], e)) {
                        e = &E[ii * w->size + kk];
                        ei = ii;
                        ek = kk;
                    }
            gc_entry_name(&L->quantities, of->offset + ei, a, sizeof a);
            gc_entry_name(wf, w->offset + ek, b, sizeof b);
            snprintf(nm, sizeof nm, "d%s/d%s", a, b);
            cell(f, left + c * cw, y, cw - 1, ch - 1, e, nm, 0);
        }
    }
    fputs("</svg><figcaption>Stated Jacobian d", f);
    gc_html_esc(f, J->of);
    fputs("/d", f);
    gc_html_esc(f, J->wrt);
    fprintf(f, " at point %zu, where it is worst: rows the entries of ", wpnt);
    gc_html_esc(f, J->of);
    fputs(", columns those of ", f);
    gc_html_esc(f, J->wrt);
    fprintf(f, "%s.</figcaption></figure>\n",
            rb > 1 || cb > 1 ? " (binned)" : "");
}

/* The colour scale, once per page. */
static void legend(FILE *f)
{
    fputs("<figure class=\"legend\"><svg xmlns=\"http://www.w3.org/2000/svg\""
          " width=\"640\" height=\"46\" viewBox=\"0 0 640 46\" role=\"img\" "
          "aria-label=\"colour scale\">", f);
    for (int i = 0; i <= 12; i++) {
        char col[8];
        err_color(pow(10, -12 + i), col);
        fprintf(f, "<rect x=\"%d\" y=\"4\" width=\"30\" height=\"14\" "
                "fill=\"%s\"/>", 10 + 30 * i, col);
        if (i % 2 == 0)
            fprintf(f, "<text x=\"%d\" y=\"32\" class=\"ax\" "
                    "text-anchor=\"middle\">1e%d</text>", 25 + 30 * i,
                    -12 + i);
    }
    fputs("<rect x=\"420\" y=\"4\" width=\"14\" height=\"14\" fill=\"#d9d9d9\"/>"
          "<line x1=\"420\" y1=\"18\" x2=\"434\" y2=\"4\" stroke=\"#555\"/>"
          "<text x=\"438\" y=\"15\" class=\"ax\">kink</text>"
          "<rect x=\"530\" y=\"4\" width=\"14\" height=\"14\" fill=\"#000\"/>"
          "<text x=\"548\" y=\"15\" class=\"ax\">nonfinite</text>"
          "<rect x=\"420\" y=\"24\" width=\"14\" height=\"14\" fill=\"#fee08b\""
          "/><circle cx=\"427\" cy=\"31\" r=\"4\" fill=\"none\" stroke=\"#333\"/>"
          "<text x=\"438\" y=\"35\" class=\"ax\">inconclusive</text>"
          "<rect x=\"530\" y=\"24\" width=\"14\" height=\"14\" fill=\"#e34a33\" "
          "stroke=\"#111\"/><text x=\"548\" y=\"35\" class=\"ax\">disagree"
          "</text><text x=\"10\" y=\"44\" class=\"ax\">relative error "
          "|analytic &minus; numeric| / max(|analytic|, |numeric|)"
          "</text></svg></figure>\n", f);
}

/* ------------------------------------------------------------ blocks */

static void block_table(FILE *f, const gc_case_report *r,
                        const gc_derivation_report *dr)
{
    const gc_blocks *P = &r->c->prob->layout.params;
    if (!dr->n_claimed) return;
    fputs("<table class=\"blocks\"><thead><tr><th>block</th><th>entries</th>"
          "<th>worst entry</th><th>point</th><th>analytic</th><th>numeric"
          "</th><th>&plusmn;abserr</th><th>rel. error</th><th>verdict</th>"
          "</tr></thead><tbody>\n", f);
    for (size_t b = 0; b < P->n_blocks; b++) {
        const gc_block *blk = &P->block[b];
        if (!dr->claimed[blk->offset]) continue;
        const gc_entry_check *w = NULL;
        size_t wk = blk->offset, wp = 0, kinks = 0;
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t k = blk->offset; k < blk->offset + blk->size; k++) {
                const gc_entry_check *e = &dr->points[p].entries[k];
                kinks += e->verdict == GC_KINK;
                if (worse(e, w)) { w = e; wk = k; wp = p; }
            }
        char nm[96];
        gc_entry_name(P, wk, nm, sizeof nm);
        fputs("<tr><td>", f);
        gc_html_esc(f, blk->name);
        fprintf(f, "</td><td>%zu</td><td>", blk->size);
        gc_html_esc(f, nm);
        fprintf(f, "</td><td>%zu</td><td>", wp);
        num(f, w->analytic);
        fputs("</td><td>", f);
        num(f, w->numeric.value);
        fputs("</td><td>", f);
        num(f, w->numeric.abserr);
        fputs("</td><td>", f);
        relerr(f, w->rel_error);
        fputs("</td><td>", f);
        fprintf(f, "<span class=\"v v-%s\">%s</span>",
                gc_verdict_name(w->verdict), gc_verdict_name(w->verdict));
        if (kinks) fprintf(f, " (%zu kink)", kinks);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* ------------------------------------------------------------ localisation */

/* Time step of quantity entry j of a timed block (homework index). */
static long time_of(const gc_block *b, size_t j)
{
    return (long)((j - b->offset) / (b->size / b->shape[0])) + b->base[0];
}

static void localisation(FILE *f, const gc_case_report *r,
                         const gc_derivation_report *dr, size_t p)
{
    const gc_point_report *pr = &dr->points[p];
    const gc_blocks *Q = &r->c->prob->layout.quantities;
    /* rows: claimed quantity blocks; columns: time steps (timed blocks)
     * or a single column (a layer's block) */
    long tmin = 0, tmax = -1;
    size_t nrows = 0;
    for (size_t b = 0; b < Q->n_blocks; b++) {
        const gc_block *blk = &Q->block[b];
        if (!dr->qclaimed[blk->offset]) continue;
        nrows++;
        if (blk->timed) {
            long t0 = blk->base[0], t1 = t0 + (long)blk->shape[0] - 1;
            if (tmax < tmin) { tmin = t0; tmax = t1; }
            if (t0 < tmin) tmin = t0;
            if (t1 > tmax) tmax = t1;
        }
    }
    if (!nrows) return;
    long ncols = tmax >= tmin ? tmax - tmin + 1 : 0;
    int untimed_col = 0;
    for (size_t b = 0; b < Q->n_blocks; b++)
        if (dr->qclaimed[Q->block[b].offset] && !Q->block[b].timed)
            untimed_col = 1;
    long cols = ncols + untimed_col;
    double cw = cols > 30 ? 14 : 34, chh = 22, left = 110, top = 24;
    double W = left + cols * cw + 10, H = top + nrows * chh + 8;
    fprintf(f, "<figure class=\"localisation\"><svg xmlns=\"http://www.w3.org/"
            "2000/svg\" role=\"img\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" aria-label=\"localisation grid\">",
            W, H, W, H);
    for (long t = 0; t < ncols; t++)
        if (cols <= 30 || t % 5 == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"16\" class=\"ax\" "
                    "text-anchor=\"middle\">t=%ld</text>",
                    left + t * cw + cw / 2, tmin + t);
    if (untimed_col)
        fprintf(f, "<text x=\"%.1f\" y=\"16\" class=\"ax\" "
                "text-anchor=\"middle\">layer</text>",
                left + ncols * cw + cw / 2);
    size_t row = 0;
    for (size_t b = 0; b < Q->n_blocks; b++) {
        const gc_block *blk = &Q->block[b];
        if (!dr->qclaimed[blk->offset]) continue;
        double y = top + row++ * chh;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"blk\" "
                "text-anchor=\"end\">dL/d", left - 6, y + 15);
        gc_html_esc(f, blk->name);
        fputs("</text>", f);
        long steps = blk->timed ? (long)blk->shape[0] : 1;
        size_t inner = blk->size / (size_t)steps;
        for (long s = 0; s < steps; s++) {
            const gc_entry_check *w = NULL;
            size_t wj = blk->offset + (size_t)s * inner;
            int first = 0;
            for (size_t j = blk->offset + (size_t)s * inner;
                 j < blk->offset + (size_t)(s + 1) * inner; j++) {
                if (!dr->qclaimed[j]) continue;
                if (pr->first_wrong >= 0 && (size_t)pr->first_wrong == j)
                    first = 1;
                if (worse(&pr->qentries[j], w)) { w = &pr->qentries[j]; wj = j; }
            }
            if (!w) continue;
            if (first) wj = (size_t)pr->first_wrong, w = &pr->qentries[wj];
            double x = blk->timed ? left + (time_of(blk, wj) - tmin) * cw
                                  : left + ncols * cw;
            char nm[96], label[140];
            gc_entry_name(Q, wj, nm, sizeof nm);
            snprintf(label, sizeof label, "dL/d%s", nm);
            cell(f, x + 1, y + 1, cw - 2, chh - 4, w, label, first);
        }
    }
    fputs("</svg><figcaption>", f);
    if (pr->first_wrong >= 0) {
        char nm[96];
        gc_entry_name(Q, (size_t)pr->first_wrong, nm, sizeof nm);
        const gc_block *b = gc_blocks_of(Q, (size_t)pr->first_wrong);
        fprintf(f, "At point %zu, walking back from the loss, the first wrong "
                "quantity is <strong class=\"first-wrong\">dL/d", p);
        gc_html_esc(f, nm);
        fputs("</strong>", f);
        if (b && b->timed && *b->step && strcmp(b->step, "t") != 0) {
            fputs(" (", f);
            gc_html_esc(f, b->step);
            fprintf(f, " = %ld)", time_of(b, (size_t)pr->first_wrong));
        } else if (b && b->timed)
            fprintf(f, " (time step t = %ld)",
                    time_of(b, (size_t)pr->first_wrong));
        fputs(" (outlined); everything after it agrees.", f);
    } else if (pr->verdict == GC_DISAGREE) {
        fprintf(f, "At point %zu every claimed dL/d(quantity) agrees: the "
                "error is in the last step, from quantities to parameters.",
                p);
    } else {
        fprintf(f, "At point %zu every claimed dL/d(quantity) agrees.", p);
    }
    fputs("</figcaption></figure>\n<details><summary>every quantity at this "
          "point</summary><table class=\"quantities\"><thead><tr><th>"
          "quantity</th><th>analytic</th><th>numeric</th><th>&plusmn;abserr"
          "</th><th>rel. error</th><th>verdict</th></tr></thead><tbody>\n", f);
    for (size_t j = 0; j < Q->n; j++) {
        if (!dr->qclaimed[j]) continue;
        const gc_entry_check *e = &pr->qentries[j];
        char nm[96];
        gc_entry_name(Q, j, nm, sizeof nm);
        fprintf(f, "<tr%s><td>dL/d", (long)j == pr->first_wrong
                ? " class=\"first-wrong\"" : "");
        gc_html_esc(f, nm);
        fputs("</td><td>", f);
        num(f, e->analytic);
        fputs("</td><td>", f);
        num(f, e->numeric.value);
        fputs("</td><td>", f);
        num(f, e->numeric.abserr);
        fputs("</td><td>", f);
        relerr(f, e->rel_error);
        fprintf(f, "</td><td><span class=\"v v-%s\">%s</span></td></tr>\n",
                gc_verdict_name(e->verdict), gc_verdict_name(e->verdict));
    }
    fputs("</tbody></table></details>\n", f);
}

/* ------------------------------------------------------------ step plot */

static double ylog(double v, double lo, double hi, double y0, double y1)
{
    double l = v > 0 ? log10(v) : lo;
    if (l < lo) l = lo;
    if (l > hi) l = hi;
    return y0 + (hi - l) / (hi - lo) * (y1 - y0);
}

static void step_plot(FILE *f, const gc_case_report *r,
                      const gc_derivation_report *dr)
{
    if (!dr->n_claimed || !dr->type->gradient) return;
    /* the worst entry: largest relative error over all points */
    size_t wp = 0, wk = 0;
    const gc_entry_check *w = NULL;
    const gc_blocks *P = &r->c->prob->layout.params;
    for (size_t p = 0; p < r->n_points; p++)
        for (size_t k = 0; k < P->n; k++)
            if (dr->claimed[k] && dr->points[p].entries[k].verdict != GC_KINK &&
                worse(&dr->points[p].entries[k], w)) {
                w = &dr->points[p].entries[k];
                wp = p;
                wk = k;
            }
    if (!w || !isfinite(w->analytic)) return;
    gc_step_study_t s;
    if (gc_step_study(r->c->prob, dr->points[wp].theta, wk, w->analytic,
                      &r->c->step, r->tol.atol, &s))
        return;
    const double W = 520, H = 290, x0 = 56, x1 = 508, y0 = 14, y1 = 234;
    const double lo = -17, hi = 1;
    double lh0 = log10(s.h[GC_STEP_STUDY_N - 1]), lh1 = log10(s.h[0]);
    char nm[96];
    gc_entry_name(P, wk, nm, sizeof nm);
    fprintf(f, "<figure class=\"step\"><svg xmlns=\"http://www.w3.org/2000/"
            "svg\" role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
            "%.0f %.0f\" aria-label=\"error against step size\">", W, H, W, H);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
            "class=\"frame\"/>", x0, y0, x1 - x0, y1 - y0);
    for (int d = (int)lo + 1; d <= (int)hi; d += 2) {
        double y = ylog(pow(10, d), lo, hi, y0, y1);
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
                "class=\"grid\"/><text x=\"%.0f\" y=\"%.1f\" class=\"ax\" "
                "text-anchor=\"end\">1e%d</text>", x0, x1, y, y, x0 - 4,
                y + 4, d);
    }
    for (int d = (int)ceil(lh0); d <= (int)floor(lh1); d += 2) {
        double x = x0 + (d - lh0) / (lh1 - lh0) * (x1 - x0);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" "
                "class=\"grid\"/><text x=\"%.1f\" y=\"%.0f\" class=\"ax\" "
                "text-anchor=\"middle\">1e%d</text>", x, x, y0, y1, x,
                y1 + 14, d);
    }
    for (int series = 0; series < 2; series++) {
        fprintf(f, "<polyline class=\"%s\" points=\"",
                series ? "abserr" : "err");
        for (int i = 0; i < GC_STEP_STUDY_N; i++) {
            double v = series ? s.rel_abserr[i] : s.rel_error[i];
            if (!isfinite(v)) continue;
            double x = x0 + (log10(s.h[i]) - lh0) / (lh1 - lh0) * (x1 - x0);
            fprintf(f, "%.1f,%.1f ", x, ylog(v, lo, hi, y0, y1));
        }
        fputs("\"/>", f);
    }
    if (s.engine_h > 0) {
        double x = x0 + (log10(s.engine_h) - lh0) / (lh1 - lh0) * (x1 - x0);
        double y = ylog(s.engine_rel_error, lo, hi, y0, y1);
        if (x >= x0 && x <= x1)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" "
                    "class=\"rule\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                    "class=\"engine\"><title>gradcheck's result: rel. error "
                    "%.2e, rel. abserr %.2e, starting step %.3g</title>"
                    "</circle>", x, x, y0, y1, x, y, s.engine_rel_error,
                    s.engine_rel_abserr, s.engine_h);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"ax\" text-anchor=\"middle\">"
            "step h</text>", (x0 + x1) / 2, H - 18);
    fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" "
            "class=\"err\"/><text x=\"%.0f\" y=\"%.0f\" class=\"ax\">"
            "gsl_deriv_central at h</text>", x0, x0 + 20, H - 8, H - 8,
            x0 + 24, H - 4);
    fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" "
            "class=\"abserr\"/><text x=\"%.0f\" y=\"%.0f\" class=\"ax\">"
            "its abserr</text><circle cx=\"%.0f\" cy=\"%.0f\" r=\"4\" "
            "class=\"engine\"/><text x=\"%.0f\" y=\"%.0f\" class=\"ax\">"
            "gradcheck's step rule</text>", x0 + 200, x0 + 220, H - 8, H - 8,
            x0 + 224, H - 4, x0 + 310, H - 8, x0 + 318, H - 4);
    fputs("</svg><figcaption>Worst entry ", f);
    gc_html_esc(f, nm);
    fprintf(f, " at point %zu: relative difference between GSL's central "
            "difference and the derivation's value (", wp);
    num(f, w->analytic);
    fputs(") against the step. A right derivation shows a V whose bottom is "
          "the step rule's aim; a wrong one, a floor no step gets under."
          "</figcaption></figure>\n", f);
}

/* ------------------------------------------------------------ claims */

static void claims(FILE *f, const gc_case_report *r)
{
    if (!r->n_claims) return;
    fputs("<h3>Claims: numbers the homework states</h3>\n<table class=\""
          "claims\"><thead><tr><th>claim</th><th>of</th><th>stated</th><th>"
          "computed</th><th>&plusmn;abserr</th><th>tol</th><th>distance "
          "(tolerances)</th><th>verdict</th><th>expected</th></tr></thead>"
          "<tbody>\n", f);
    for (size_t i = 0; i < r->n_claims; i++) {
        const gc_claim_report *c = &r->claims[i];
        int met = c->verdict == c->claim->expect;
        fprintf(f, "<tr class=\"claim\" data-met=\"%d\"><td>", met);
        gc_html_name(f, c->claim->name);
        fputs("</td><td>", f);
        gc_html_name(f, c->claim->of);
        fputs("</td><td>", f);
        num(f, c->claim->stated);
        fputs("</td><td>", f);
        fprintf(f, "%.10g", c->actual);
        fputs("</td><td>", f);
        num(f, c->abserr);
        fputs("</td><td>", f);
        num(f, c->tol);
        /* |stated - computed| in units of the tolerance, on a log scale
         * from 1e-3 to 1e3; the mark at 1 is the edge of agreement */
        double d = fabs(c->claim->stated - c->actual) /
                   (c->tol > 0 ? c->tol : 1e-300);
        double l = d > 0 ? log10(d) : -3;
        if (!(l > -3)) l = -3;
        if (l > 3) l = 3;
        fprintf(f, "</td><td><svg xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"130\" height=\"14\" viewBox=\"0 0 130 14\" "
                "class=\"dist\"><rect x=\"5\" y=\"3\" width=\"%.1f\" "
                "height=\"8\" class=\"%s\"/><line x1=\"65\" x2=\"65\" y1=\"0\" "
                "y2=\"14\" class=\"edge\"/><title>|stated &minus; "
                "computed| = %.3g tolerances</title></svg></td><td>",
                (l + 3) / 6 * 120, d <= 1 ? "in" : "out", d);
        badge(f, c->verdict, met);
        if (c->why) {                  /* nonfinite: why */
            fputs("<br><span class=\"why\">", f);
            gc_html_text(f, c->why);
            fputs("</span>", f);
        }
        fprintf(f, "</td><td>%s</td></tr>\n",
                gc_verdict_name(c->claim->expect));
    }
    fputs("</tbody></table>\n", f);
}

/* ------------------------------------------------------------ page */

static void derivation(FILE *f, const gc_case_report *r,
                       const gc_derivation_report *dr)
{
    int met = dr->verdict == dr->expect;
    fprintf(f, "<section class=\"derivation%s\" data-met=\"%d\" id=\"",
            met ? " met" : "", met);
    gc_html_id(f, "d-", r->c->name);
    gc_html_id(f, "-", dr->type->name);
    fputs("\"><h3>derivation ", f);
    gc_html_esc(f, dr->type->name);
    fputs(": ", f);
    badge(f, dr->verdict, met);
    if (dr->no_expect)
        fputs(" <span class=\"sub\">(no expectation)</span>", f);
    else
        fprintf(f, " <span class=\"sub\">(expected %s)</span>",
                gc_verdict_name(dr->expect));
    if (!met) fputs(" <span class=\"bad\">not as expected</span>", f);
    fputs("</h3>\n<p class=\"sub\">", f);
    gc_html_esc(f, dr->type->summary);
    fprintf(f, "<br>max rel. error ");
    relerr(f, dr->max_rel_error);
    fprintf(f, " over %zu claimed entries &times; %zu points; counts:",
            dr->n_claimed, r->n_points);
    for (int v = 0; v < GC_N_VERDICTS; v++)
        if (dr->counts[v])
            fprintf(f, " %zu %s", dr->counts[v], gc_verdict_name((gc_verdict)v));
    fprintf(f, "; %.3f s", dr->seconds);
    if (dr->points[0].verdict == GC_AGREE && dr->verdict == GC_DISAGREE)
        fputs("<br><strong>agrees at the given point only: the formula is "
              "wrong elsewhere</strong>", f);
    /* why an entry is not finite (the first point that says) */
    for (size_t p = 0; p < r->n_points; p++)
        if (dr->points[p].why) {
            fprintf(f, "<br><strong class=\"why\">not finite at point "
                    "%zu%s:</strong> ", p, p == 0 ? " (given)" : "");
            gc_html_text(f, dr->points[p].why);
            break;
        }
    fputs("</p>\n", f);
    fputs("<div class=\"figs\">", f);
    heatmap(f, r, dr);
    step_plot(f, r, dr);
    fputs("</div>\n", f);
    block_table(f, r, dr);
    if (dr->n_jacobians) {
        fputs("<div class=\"figs\">", f);
        for (size_t j = 0; j < dr->n_jacobians; j++) jacobian_map(f, r, dr, j);
        fputs("</div>\n", f);
    }
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_point_report *pr = &dr->points[p];
        if (pr->qentries && (pr->first_wrong >= 0 ||
                             pr->verdict == GC_DISAGREE || p + 1 == r->n_points)) {
            fputs("<h4>Where it goes wrong</h4>\n", f);
            localisation(f, r, dr, pr->first_wrong >= 0 ||
                         pr->verdict == GC_DISAGREE ? p : 0);
            break;
        }
    }
    fputs("</section>\n", f);
}

int gc_report_html(FILE *f, gc_case_report *const *rs, size_t n,
                   const gc_report_options *o)
{
    (void)o;
    size_t unmet = 0, nd = 0, nc = 0;
    for (size_t i = 0; i < n; i++) {
        unmet += rs[i]->unmet;
        nd += rs[i]->n_derivs;
        nc += rs[i]->n_claims;
    }
    gc_html_begin(f, n == 1 ? rs[0]->c->name : "gradcheck report");
    fputs("<header><h1>gradcheck report</h1>", f);
    fprintf(f, "<p id=\"verdict\" class=\"%s\">%zu case%s, %zu derivation%s, "
            "%zu claim%s: ", unmet ? "bad" : "ok", n, n == 1 ? "" : "s", nd,
            nd == 1 ? "" : "s", nc, nc == 1 ? "" : "s");
    if (unmet)
        fprintf(f, "%zu verdict%s not as expected", unmet,
                unmet == 1 ? "" : "s");
    else
        fputs("every verdict as expected", f);
    fputs("</p><div id=\"filter\"></div></header>\n", f);
    legend(f);
    /* the overview: one row per case, its derivations as badges */
    fputs("<table id=\"summary\"><thead><tr><th>case</th><th>derivations"
          "</th><th>claims as expected</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        const gc_case_report *r = rs[i];
        size_t cmet = 0;
        for (size_t k = 0; k < r->n_claims; k++)
            cmet += r->claims[k].verdict == r->claims[k].claim->expect;
        fprintf(f, "<tr class=\"%s\"><td><a href=\"#", r->unmet ? "" : "met");
        gc_html_id(f, "c-", r->c->name);
        fputs("\">", f);
        gc_html_name(f, r->c->name);
        fputs("</a></td><td class=\"name\">", f);
        for (size_t d = 0; d < r->n_derivs; d++) {
            const gc_derivation_report *dr = &r->derivs[d];
            fputs("<a class=\"chip\" href=\"#", f);
            gc_html_id(f, "d-", r->c->name);
            gc_html_id(f, "-", dr->type->name);
            fputs("\">", f);
            gc_html_esc(f, dr->type->name);
            fputs(" ", f);
            badge(f, dr->verdict, dr->verdict == dr->expect);
            fputs("</a> ", f);
        }
        fprintf(f, "</td><td class=\"%s\">%zu of %zu</td></tr>\n",
                cmet == r->n_claims ? "" : "bad", cmet, r->n_claims);
    }
    fputs("</tbody></table>\n", f);
    for (size_t i = 0; i < n; i++) {
        const gc_case_report *r = rs[i];
        const gc_case *c = r->c;
        fprintf(f, "<section class=\"case%s\" id=\"", r->unmet ? "" : " met");
        gc_html_id(f, "c-", c->name);
        fputs("\"><h2>", f);
        gc_html_name(f, c->name);
        fputs(": ", f);
        gc_html_text(f, c->title ? c->title : "");
        fputs("</h2>\n<p class=\"sub\">source ", f);
        gc_html_text(f, c->seed);
        fputs(", ", f);
        gc_html_text(f, c->problem);
        fputs("; model ", f);
        gc_html_esc(f, c->model->name);
        fputs("; loss ", f);
        num(f, r->loss);
        fprintf(f, " at the given point; %zu random point%s (seed %ld)",
                r->n_points - 1, r->n_points == 2 ? "" : "s", r->seed);
        for (size_t a = 0; a < c->n_assumptions; a++) {
            fputs("<br>assumes: ", f);
            gc_html_text(f, c->assumptions[a]);
        }
        fputs("</p>\n", f);
        for (size_t d = 0; d < r->n_derivs; d++)
            derivation(f, r, &r->derivs[d]);
        claims(f, r);
        fputs("</section>\n", f);
    }
    gc_html_end(f);
    return ferror(f) ? GC_EIO : GC_OK;
}
