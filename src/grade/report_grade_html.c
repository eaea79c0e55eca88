/* report_grade_html.c: a grading run as one HTML page (docs/grading.md,
 * "The grade page"), on the class summary gc_grade fills
 * (report->summary).
 *
 * Per answer asked for: a bar of the class's verdicts (one segment per
 * verdict, its width the share of students), the mean score, and the
 * students whose answers went wrong the same way, grouped, with the
 * pattern found ("exactly 2 x the right value").  Then one row per student:
 * score and a verdict per answer, and the messages (folded).  The frame,
 * style and escaping are the other pages' (html.c); SVG written directly,
 * as there. */
#include "gradcheck/case.h"
#include "gradcheck/grade.h"
#include "gradcheck/names.h"
#include "gradcheck/status.h"
#include "gradcheck/target.h"
#include "atomic.h"
#include "html.h"
#include "grade/submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fill of each grade verdict in the bars and cells: right green, wrong
 * red (incomplete orange), the numeric ones (nonfinite, inconclusive)
 * purple and amber, what could not be evaluated greys to black. */
static const char *fill_of(gc_grade_verdict v)
{
    switch (v) {
    case GC_GRADE_AGREE: return "#4f9a5a";
    case GC_GRADE_DISAGREE: return "#d0453a";
    case GC_GRADE_NONFINITE: return "#8e5bb5";
    case GC_GRADE_INCONCLUSIVE: return "#e0b040";
    case GC_GRADE_INVALID: return "#9a6b5a";
    case GC_GRADE_MISSING: return "#c8c8c8";
    case GC_GRADE_INCOMPLETE: return "#e8906a";
    case GC_GRADE_COMPILE: return "#6a6a6a";
    case GC_GRADE_CRASHED: return "#222222";
    case GC_GRADE_TIMEOUT: return "#4a4a78";
    default: return "#444444";   /* out of memory */
    }
}

static void student_id(FILE *f, const gc_grade_report *r, size_t s)
{
    gc_html_id(f, "s-", r->subs[s].sub->id);
    fprintf(f, "-%zu", s);
}

/* The bar of one answer's verdicts across the class. */
static void answer_bar(FILE *f, const gc_grade_report *r,
                       const gc_grade_answer_summary *a)
{
    const double W = 420, H = 22;
    size_t n = r->n_subs ? r->n_subs : 1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bar\" "
            "role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
            "%.0f\" aria-label=\"verdicts of the class\">", W, H + 16, W,
            H + 16);
    double x = 0;
    for (int v = 0; v < GC_GRADE_N; v++) {
        if (!a->counts[v]) continue;
        double w = W * (double)a->counts[v] / (double)n;
        fprintf(f, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"%.0f\" "
                "fill=\"%s\" class=\"seg seg-%d\"><title>%zu %s</title></rect>",
                x, w, H, fill_of((gc_grade_verdict)v), v, a->counts[v],
                gc_grade_verdict_name((gc_grade_verdict)v));
        if (w >= 28)
            fprintf(f, "<text x=\"%.2f\" y=\"15\" class=\"segn\">%zu</text>",
                    x + 4, a->counts[v]);
        x += w;
    }
    fprintf(f, "<text x=\"0\" y=\"%.0f\" class=\"ax\">%zu of %zu right</text>"
            "</svg>", H + 13, a->right, r->n_subs);
}

static void legend(FILE *f)
{
    fputs("<p class=\"legend\">", f);
    for (int v = 0; v < GC_GRADE_N; v++)
        fprintf(f, "<span class=\"key\"><span class=\"sw\" style=\""
                "background:%s\"></span>%s</span> ",
                fill_of((gc_grade_verdict)v),
                gc_grade_verdict_name((gc_grade_verdict)v));
    fputs("</p>\n", f);
}

static void answers(FILE *f, const gc_grade_report *r)
{
    const gc_grade_summary *sm = &r->summary;
    fputs("<h2>Per answer</h2>\n", f);
    legend(f);
    fputs("<table id=\"answers\"><thead><tr><th>answer</th><th>points</th>"
          "<th>mean score</th><th>the class's verdicts</th></tr></thead>"
          "<tbody>\n", f);
    for (size_t i = 0; i < sm->n_answers; i++) {
        const gc_grade_answer_summary *a = &sm->answers[i];
        fputs("<tr class=\"answer\"><td>", f);
        gc_html_name(f, r->keys[a->key].key);
        fprintf(f, "</td><td>%g</td><td>%.3g</td><td class=\"name\">",
                r->points[a->key], a->mean_score);
        answer_bar(f, r, a);
        fputs("</td></tr>\n", f);
        if (!a->n_groups) continue;
        fputs("<tr class=\"groups\"><td></td><td colspan=\"3\" "
              "class=\"name\"><ul>", f);
        for (size_t g = 0; g < a->n_groups; g++) {
            const gc_grade_group *gp = &a->groups[g];
            fprintf(f, "<li class=\"group\"><span class=\"sw\" style=\""
                    "background:%s\"></span><strong>%zu student%s</strong>: ",
                    fill_of(gp->verdict), gp->n, gp->n == 1 ? "" : "s");
            gc_html_text(f, gp->label ? gp->label
                                      : gc_grade_verdict_name(gp->verdict));
            fputs(" (", f);
            for (size_t k = 0; k < gp->n; k++) {
                fputs(k ? ", " : "", f);
                fputs("<a href=\"#", f);
                student_id(f, r, gp->subs[k]);
                fputs("\">", f);
                gc_html_name(f, r->subs[gp->subs[k]].sub->id);
                fputs("</a>", f);
            }
            fputs(")</li>", f);
        }
        fputs("</ul></td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void students(FILE *f, const gc_grade_report *r)
{
    fputs("<h2>Students</h2>\n<table id=\"students\"><thead><tr><th>id</th>"
          "<th>score</th>", f);
    for (size_t k = 0; k < r->n_keys; k++) {
        fputs("<th>", f);
        gc_html_name(f, r->keys[k].key);
        fputs("</th>", f);
    }
    fputs("<th class=\"name\">messages</th></tr></thead><tbody>\n", f);
    for (size_t s = 0; s < r->n_subs; s++) {
        const gc_grade_result *res = &r->subs[s];
        int full = res->score >= res->max_score && !res->unmet;
        fprintf(f, "<tr class=\"student%s\" id=\"", full ? " met" : "");
        student_id(f, r, s);
        fputs("\"><td>", f);
        gc_html_name(f, res->sub->id);
        fprintf(f, "</td><td>%g / %g</td>", res->score, res->max_score);
        for (size_t k = 0; k < r->n_keys && k < res->n_items; k++) {
            char v[64];
            gc_grade_item_verdict(&res->items[k], v, sizeof v);
            fprintf(f, "<td><span class=\"gv\" style=\"border-color:%s\">",
                    fill_of(res->items[k].verdict));
            gc_html_esc(f, v);
            fputs("</span></td>", f);
        }
        fputs("<td class=\"name\">", f);
        int any = 0;
        for (size_t k = 0; k < res->n_items; k++)
            any |= res->items[k].message != NULL;
        if (any || res->notes || res->unmet) {
            fputs("<details><summary>messages</summary><ul>", f);
            for (size_t k = 0; k < res->n_items; k++) {
                const gc_grade_item *it = &res->items[k];
                if (!it->message) continue;
                fputs("<li><strong>", f);
                gc_html_name(f, it->target.key);
                fputs("</strong>", f);
                if (!it->graded) fputs(" (not asked)", f);
                fputs(": ", f);
                gc_html_text(f, it->message);
                fputs("</li>", f);
            }
            if (res->unmet && res->unmet_text) {
                fputs("<li class=\"bad\">expectation not met: ", f);
                gc_html_text(f, res->unmet_text);
                fputs("</li>", f);
            }
            fputs("</ul>", f);
            if (res->notes) {
                fputs("<pre>", f);
                gc_html_text(f, res->notes);
                fputs("</pre>", f);
            }
            fputs("</details>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

int gc_grade_report_html(FILE *f, const gc_grade_report *r)
{
    char title[GC_NAME_SHOWN_MAX + 32];
    char cname[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean(r->c->name, cname, sizeof cname);
    snprintf(title, sizeof title, "grading %s", cname);
    gc_html_begin(f, title);
    fputs("<header><h1>", f);
    gc_html_esc(f, title);
    fprintf(f, "</h1><p id=\"verdict\" class=\"%s\">%zu submission%s graded "
            "at %zu point%s (the case's own and %zu random, seed %ld); mean "
            "score %.3g of %g", r->unmet ? "bad" : "ok", r->n_subs,
            r->n_subs == 1 ? "" : "s", r->n_points,
            r->n_points == 1 ? "" : "s", r->n_points - 1, r->seed,
            r->summary.mean_score, r->max_score);
    if (r->unmet)
        fprintf(f, "; %zu expectation%s not met", r->unmet,
                r->unmet == 1 ? "" : "s");
    fputs("</p><div id=\"filter\"></div></header>\n", f);
    if (r->summary.union_keys)
        fputs("<p class=\"sub\">The case has no grading: section: the answers "
              "(and each student's maximum) are those the submissions "
              "give.</p>\n", f);
    answers(f, r);
    students(f, r);
    gc_html_end(f);
    return ferror(f) ? GC_EIO : GC_OK;
}

static int write_job(FILE *f, const void *ctx)
{
    return gc_grade_report_html(f, ctx);
}

int gc_grade_write_html(const char *path, const gc_grade_report *r)
{
    return gc_write_atomic(path, write_job, r);
}
