/* report_golden.c: golden comparisons as a terminal table with a summary,
 * as TAP (one test point per derivation and claim, a YAML block of the
 * numbers on failure) and as JUnit XML written with libxml2. */
#define _GNU_SOURCE   /* asprintf */
#include "gradcheck/golden.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "atomic.h"
#include "html.h"

#include <stdio.h>
#include <libxml/xmlwriter.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *row_name(const gc_golden_diffrow *d, char *buf, size_t n)
{
    const gc_golden_row *r = d->golden ? d->golden : d->got;
    if (r->kind == GC_GOLDEN_CLAIM) snprintf(buf, n, "claim \"%s\"", r->name);
    else if (r->kind == GC_GOLDEN_VERDICT)
        snprintf(buf, n, "%s: verdict", r->deriv);
    else snprintf(buf, n, "%s @%ld %s", r->deriv, r->point, r->name);
    return buf;
}

/* The row's name padded to 40 columns of display width (UTF-8 names line
 * up like ASCII ones; a longer name is written whole). */
static void name_col(FILE *f, const char *indent, const char *name)
{
    fprintf(f, "%s%s", indent, name);
    for (size_t w = gc_display_width(name); w < 40; w++) fputc(' ', f);
}

static void diff_line(FILE *f, const gc_golden_diffrow *d, const char *indent)
{
    char name[2 * GC_NAME_SHOWN_MAX + 32];
    row_name(d, name, sizeof name);
    name_col(f, indent, name);
    if (!d->golden) {
        fprintf(f, " added (not in the golden file)\n");
    } else if (!d->got) {
        fprintf(f, " removed (line %ld of the golden file)\n",
                d->golden->line);
    } else if (strcmp(d->column, "verdict") == 0) {
        fprintf(f, " %-8s %24s %24s\n", "verdict",
                gc_verdict_name((gc_verdict)d->golden->verdict),
                gc_verdict_name((gc_verdict)d->got->verdict));
    } else {
        fprintf(f, " %-8s %24.17g %24.17g %10.3g %10.3g %10.3g\n",
                d->column, d->golden_value, d->got_value, d->abs_diff,
                d->rel_diff, d->tol);
    }
}

int gc_golden_report_changes(FILE *f, const gc_golden_diff *d)
{
    fprintf(f, "    %-40s %-8s %24s %24s %10s %10s %10s\n", "name", "column",
            "golden", "new", "abs diff", "rel diff", "tolerance");
    for (size_t k = 0; k < d->n_rows; k++) diff_line(f, &d->rows[k], "    ");
    return ferror(f) ? GC_EIO : GC_OK;
}

int gc_golden_report_text(FILE *f, gc_golden_check *const *gs, size_t n,
                          const gc_report_options *o)
{
    /* ok in green, FAILED in red when colour is asked (--color) */
    const char *ok = o && o->color ? "\033[32mok\033[0m" : "ok";
    const char *bad = o && o->color ? "\033[1;31mFAILED\033[0m" : "FAILED";
    size_t rows = 0, unchanged = 0, within = 0, beyond = 0, verdicts = 0,
           added = 0, removed = 0, nd = 0, nc = 0, failing = 0;
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        nd += g->report->n_derivs;
        nc += g->report->n_claims;
        if (g->read_status) {
            failing++;
            fprintf(f, "%s: %s: %s: %s%s\n", g->c->name, bad, g->path,
                    g->missing ? "" : "malformed: ", g->read_err.msg);
            continue;
        }
        const gc_golden_diff *d = &g->diff;
        rows += g->golden.n;
        unchanged += d->unchanged;
        within += d->within;
        beyond += d->beyond;
        verdicts += d->verdicts_changed;
        added += d->added;
        removed += d->removed;
        if (gc_golden_check_ok(g)) {
            fprintf(f, "%s: %s: %zu rows, %zu unchanged, %zu changed within "
                    "tolerance\n", g->c->name, ok, g->golden.n, d->unchanged,
                    d->within);
            continue;
        }
        failing++;
        fprintf(f, "%s: %s: %zu row%s beyond tolerance (rtol %g, atol "
                "%g), %zu added, %zu removed", g->c->name, bad, d->beyond,
                d->beyond == 1 ? "" : "s", g->tol.rtol, g->tol.atol,
                d->added, d->removed);
        if (g->received)
            fprintf(f, "; received rows written to %s", g->received);
        fputc('\n', f);
        gc_golden_report_changes(f, d);
    }
    fprintf(f, "\n%zu case%s, %zu derivation%s, %zu claim%s; %zu golden row%s: "
            "%zu unchanged, %zu changed within tolerance, %zu changed beyond "
            "tolerance (%zu new verdict%s), %zu added, %zu removed; %zu case%s "
            "failing\n", n, n == 1 ? "" : "s", nd, nd == 1 ? "" : "s", nc,
            nc == 1 ? "" : "s", rows, rows == 1 ? "" : "s", unchanged, within,
            beyond, verdicts, verdicts == 1 ? "" : "s", added, removed,
            failing, failing == 1 ? "" : "s");
    return ferror(f) ? GC_EIO : GC_OK;
}

/* Does diff row d belong to the derivation `deriv` (or, with claim set, to
 * the claim named so)?  Golden rows carry clean names (names.c), so the
 * test's own names are compared in their clean form: a claim whose name
 * holds a tab still owns its rows. */
static int belongs(const gc_golden_diffrow *d, const char *deriv,
                   const char *claim)
{
    const gc_golden_row *r = d->golden ? d->golden : d->got;
    char clean[GC_NAME_SHOWN_MAX + 1];
    if (claim)
        return r->kind == GC_GOLDEN_CLAIM &&
               !strcmp(r->name, gc_name_clean(claim, clean, sizeof clean));
    return r->kind != GC_GOLDEN_CLAIM &&
           !strcmp(r->deriv, gc_name_clean(deriv, clean, sizeof clean));
}

static size_t rows_of(const gc_golden_check *g, const char *deriv,
                      const char *claim)
{
    size_t bad = 0;
    for (size_t i = 0; i < g->diff.n_rows; i++)
        bad += belongs(&g->diff.rows[i], deriv, claim);
    return bad;
}

/* A TAP description: '\' and '#' escaped (TAP 13), so that a '#' in a name
 * never starts a directive (a failure read as TODO).  Names are clean, one
 * line. */
static void tap_desc(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '#') fputc('\\', f);
        fputc(*s, f);
    }
}

/* YAML strings in TAP blocks: double-quoted, with quotes, backslashes and
 * control characters escaped. */
static void yq(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F) fprintf(f, "\\x%02X", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* A number YAML 1.1 reads as a float: its float pattern needs a '.', so
 * 1e-10 is written 1.0e-10 (YAML 1.2 reads both). */
static void ynum(FILE *f, double x)
{
    if (isnan(x)) { fputs(".nan", f); return; }
    if (isinf(x)) { fputs(x > 0 ? ".inf" : "-.inf", f); return; }
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    char *e = strchr(buf, 'e');
    if (!strchr(buf, '.')) {
        if (e) {
            char tail[16];
            snprintf(tail, sizeof tail, "%s", e);
            snprintf(e, sizeof buf - (size_t)(e - buf), ".0%s", tail);
        } else if (strspn(buf, "-0123456789") == strlen(buf)) {
            strcat(buf, ".0");
        }
    }
    fputs(buf, f);
}

static void tap_name(FILE *f, const gc_golden_check *g, const char *what,
                     const char *name)
{
    char c1[GC_NAME_SHOWN_MAX + 1], c2[GC_NAME_SHOWN_MAX + 1];
    tap_desc(f, gc_name_clean(g->c->name, c1, sizeof c1));
    fprintf(f, ": %s", what);
    if (name) {
        fputc(' ', f);
        tap_desc(f, gc_name_clean(name, c2, sizeof c2));
    }
    fputc('\n', f);
}

static void tap_point(FILE *f, size_t *k, const gc_golden_check *g,
                      const char *deriv, const char *claim)
{
    const gc_golden_diff *d = &g->diff;
    size_t bad = rows_of(g, deriv, claim);
    fprintf(f, "%s %zu - ", bad ? "not ok" : "ok", ++*k);
    tap_name(f, g, claim ? "claim" : "derivation", claim ? claim : deriv);
    if (!bad) return;
    fprintf(f, "  ---\n  message: \"%zu value%s beyond tolerance\"\n"
            "  golden_file: ", bad, bad == 1 ? "" : "s");
    yq(f, g->path);
    fputs("\n  rtol: ", f); ynum(f, g->tol.rtol);
    fputs("\n  atol: ", f); ynum(f, g->tol.atol);
    fputs("\n  rows:\n", f);
    for (size_t i = 0; i < d->n_rows; i++) {
        const gc_golden_diffrow *r = &d->rows[i];
        if (!belongs(r, deriv, claim)) continue;
        char name[2 * GC_NAME_SHOWN_MAX + 32];
        fputs("    - name: ", f);
        yq(f, row_name(r, name, sizeof name));
        fprintf(f, "\n      column: %s\n", r->column);
        if (r->golden && r->got && strcmp(r->column, "verdict") == 0) {
            fprintf(f, "      golden: %s\n      new: %s\n",
                    gc_verdict_name((gc_verdict)r->golden->verdict),
                    gc_verdict_name((gc_verdict)r->got->verdict));
        } else if (r->golden && r->got) {
            fputs("      golden: ", f); ynum(f, r->golden_value);
            fputs("\n      new: ", f); ynum(f, r->got_value);
            fputs("\n      abs_diff: ", f); ynum(f, r->abs_diff);
            fputs("\n      rel_diff: ", f); ynum(f, r->rel_diff);
            fputs("\n      tolerance: ", f); ynum(f, r->tol);
            fputc('\n', f);
        } else {
            fprintf(f, "      change: %s\n", r->golden ? "removed" : "added");
        }
    }
    fputs("  ...\n", f);
}

int gc_golden_report_tap(FILE *f, gc_golden_check *const *gs, size_t n)
{
    size_t k = 0;
    fputs("TAP version 13\n", f);
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        if (g->read_status) {
            /* A missing or malformed golden file: one failing point with
             * the reason, never an empty stream. */
            fprintf(f, "not ok %zu - ", ++k);
            tap_name(f, g, g->missing ? "golden file missing"
                                      : "golden file malformed", NULL);
            char *msg = gc_text_clean_dup(g->read_err.msg);
            fputs("  ---\n  message: ", f);
            yq(f, msg ? msg : "out of memory");
            fputs("\n  golden_file: ", f);
            yq(f, g->path);
            if (g->read_err.line > 0)
                fprintf(f, "\n  line: %ld", g->read_err.line);
            fputs("\n  ...\n", f);
            free(msg);
            continue;
        }
        for (size_t d = 0; d < g->report->n_derivs; d++)
            tap_point(f, &k, g, g->report->derivs[d].type->name, NULL);
        for (size_t c = 0; c < g->report->n_claims; c++)
            tap_point(f, &k, g, NULL, g->report->claims[c].claim->name);
    }
    fprintf(f, "1..%zu\n", k);
    return ferror(f) ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ JUnit */

/* Attribute values.  Names are clean already (names.c) and written as
 * they are; paths and messages are cleaned first (xattr_text), so the XML
 * is 1.0 whatever they hold. */
static int xattr(xmlTextWriterPtr w, const char *name, const char *value)
{
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

static int xattr_num(xmlTextWriterPtr w, const char *name, size_t n)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST num);
}

static int xattr_time(xmlTextWriterPtr w, double t)
{
    char num[32];
    snprintf(num, sizeof num, "%.6f", t >= 0 ? t : 0);
    return xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num);
}

static int junit_case(xmlTextWriterPtr w, const gc_golden_check *g,
                      const char *deriv, const char *claim, double seconds)
{
    const gc_golden_diff *d = &g->diff;
    char cname[GC_NAME_SHOWN_MAX + 1], name[GC_NAME_SHOWN_MAX + 16];
    char tname[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean(g->c->name, cname, sizeof cname);
    gc_name_clean(claim ? claim : deriv, tname, sizeof tname);
    snprintf(name, sizeof name, "%s %s", claim ? "claim" : "derivation",
             tname);
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testcase");
    rc |= xattr(w, "classname", cname);
    rc |= xattr(w, "name", name);
    rc |= xattr_time(w, seconds);
    size_t bad = rows_of(g, deriv, claim);
    if (bad) {
        char *text = NULL, *path = gc_text_clean_dup(g->path);
        size_t len = 0;
        FILE *f = path ? open_memstream(&text, &len) : NULL;
        if (!f) { free(path); return -1; }
        /* GitLab shows only this body: the header row says which value is
         * the golden one and which the new one. */
        fprintf(f, "golden file %s, tolerance rtol %g atol %g\n", path,
                g->tol.rtol, g->tol.atol);
        free(path);
        fprintf(f, "%-40s %-8s %24s %24s %10s %10s %10s\n", "name", "column",
                "golden", "new", "abs diff", "rel diff", "tolerance");
        for (size_t i = 0; i < d->n_rows; i++)
            if (belongs(&d->rows[i], deriv, claim))
                diff_line(f, &d->rows[i], "");
        if (fclose(f) != 0) { free(text); return -1; }
        char msg[128];
        snprintf(msg, sizeof msg, "%zu value%s beyond tolerance (rtol %g, "
                 "atol %g)", bad, bad == 1 ? "" : "s", g->tol.rtol,
                 g->tol.atol);
        rc |= xmlTextWriterStartElement(w, BAD_CAST "failure");
        rc |= xattr(w, "message", msg);
        rc |= xattr(w, "type", "golden");
        rc |= xmlTextWriterWriteString(w, BAD_CAST text);
        rc |= xmlTextWriterEndElement(w);
        free(text);
    }
    rc |= xmlTextWriterEndElement(w);
    return rc < 0 ? -1 : 0;
}

/* A missing or malformed golden file: one testcase with an <error> (the
 * comparison could not run), never a missing report. */
static int junit_error(xmlTextWriterPtr w, const gc_golden_check *g)
{
    char cname[GC_NAME_SHOWN_MAX + 1], line[32] = "";
    gc_name_clean(g->c->name, cname, sizeof cname);
    char *path = gc_text_clean_dup(g->path);
    char *why = gc_text_clean_dup(g->read_err.msg);
    char *msg = NULL;
    if (g->read_err.line > 0)
        snprintf(line, sizeof line, "line %ld: ", g->read_err.line);
    if (path && why &&
        asprintf(&msg, "golden file %s: %s: %s%s", path,
                 g->missing ? "missing" : "malformed", line, why) < 0)
        msg = NULL;
    free(path);
    free(why);
    if (!msg) return -1;
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testcase");
    rc |= xattr(w, "classname", cname);
    rc |= xattr(w, "name", "golden file");
    rc |= xattr_time(w, g->seconds);
    rc |= xmlTextWriterStartElement(w, BAD_CAST "error");
    rc |= xattr(w, "message", msg);
    rc |= xattr(w, "type", g->missing ? "missing golden file"
                                      : "malformed golden file");
    rc |= xmlTextWriterWriteString(w, BAD_CAST msg);
    rc |= xmlTextWriterEndElement(w);
    rc |= xmlTextWriterEndElement(w);
    free(msg);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    size_t tests, failures, errors;
} junit_counts;

static junit_counts counts_of(const gc_golden_check *g)
{
    junit_counts c = {0, 0, 0};
    if (g->read_status) {
        c.tests = c.errors = 1;
        return c;
    }
    for (size_t d = 0; d < g->report->n_derivs; d++) {
        c.tests++;
        c.failures += rows_of(g, g->report->derivs[d].type->name, NULL) > 0;
    }
    for (size_t k = 0; k < g->report->n_claims; k++) {
        c.tests++;
        c.failures += rows_of(g, NULL, g->report->claims[k].claim->name) > 0;
    }
    return c;
}

typedef struct {
    gc_golden_check *const *gs;
    size_t n;
} junit_job;

/* The XML goes through a libxml2 output buffer on f (which libxml2 does
 * not close), so gc_write_atomic can replace the file whole. */
static int write_junit(FILE *f, const void *ctx)
{
    const junit_job *job = ctx;
    gc_golden_check *const *gs = job->gs;
    size_t n = job->n;
    xmlOutputBufferPtr out = xmlOutputBufferCreateFile(f, NULL);
    if (!out) return GC_ENOMEM;
    xmlTextWriterPtr w = xmlNewTextWriter(out);
    if (!w) { xmlOutputBufferClose(out); return GC_ENOMEM; }
    xmlTextWriterSetIndent(w, 1);
    junit_counts all = {0, 0, 0};
    double seconds = 0;
    for (size_t i = 0; i < n; i++) {
        junit_counts c = counts_of(gs[i]);
        all.tests += c.tests;
        all.failures += c.failures;
        all.errors += c.errors;
        seconds += gs[i]->seconds;
    }
    int rc = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuites");
    rc |= xattr(w, "name", "gradcheck golden");
    rc |= xattr_num(w, "tests", all.tests);
    rc |= xattr_num(w, "failures", all.failures);
    rc |= xattr_num(w, "errors", all.errors);
    rc |= xattr_time(w, seconds);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const gc_golden_check *g = gs[i];
        junit_counts c = counts_of(g);
        char cname[GC_NAME_SHOWN_MAX + 1];
        rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuite");
        rc |= xattr(w, "name", gc_name_clean(g->c->name, cname, sizeof cname));
        rc |= xattr_num(w, "tests", c.tests);
        rc |= xattr_num(w, "failures", c.failures);
        rc |= xattr_num(w, "errors", c.errors);
        rc |= xattr_time(w, g->seconds);
        if (g->read_status) {
            rc |= junit_error(w, g);
        } else {
            const gc_case_report *r = g->report;
            for (size_t d = 0; d < r->n_derivs && rc >= 0; d++)
                rc |= junit_case(w, g, r->derivs[d].type->name, NULL,
                                 r->derivs[d].seconds);
            for (size_t k = 0; k < r->n_claims && rc >= 0; k++)
                rc |= junit_case(w, g, NULL, r->claims[k].claim->name,
                                 r->claims[k].seconds);
        }
        rc |= xmlTextWriterEndElement(w);
    }
    rc |= xmlTextWriterEndElement(w);
    rc |= xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);   /* flushes the buffer into f */
    return rc < 0 ? GC_EIO : GC_OK;
}

int gc_golden_report_junit(const char *path, gc_golden_check *const *gs,
                           size_t n)
{
    junit_job j = {gs, n};
    return gc_write_atomic(path, write_junit, &j);
}

/* ------------------------------------------------------------ HTML */

/* One failing test's rows, golden and new side by side. */
static void html_rows(FILE *f, const gc_golden_check *g, const char *deriv,
                      const char *claim)
{
    const gc_golden_diff *d = &g->diff;
    fputs("<tbody class=\"test\"><tr><th colspan=\"7\" class=\"testname\">", f);
    gc_html_esc(f, claim ? "claim " : "derivation ");
    gc_html_name(f, claim ? claim : deriv);
    fputs("</th></tr>\n", f);
    for (size_t i = 0; i < d->n_rows; i++) {
        const gc_golden_diffrow *r = &d->rows[i];
        if (!belongs(r, deriv, claim)) continue;
        char name[2 * GC_NAME_SHOWN_MAX + 32];
        fputs("<tr><td class=\"name\">", f);
        gc_html_esc(f, row_name(r, name, sizeof name));
        fputs("</td><td>", f);
        gc_html_esc(f, r->column);
        fputs("</td>", f);
        if (!r->golden || !r->got) {
            fprintf(f, "<td colspan=\"5\" class=\"name\">%s</td></tr>\n",
                    r->golden ? "removed: in the golden file, not in the new "
                                "run" : "added: in the new run, not in the "
                                "golden file");
            continue;
        }
        if (!strcmp(r->column, "verdict")) {
            fprintf(f, "<td class=\"golden\">%s</td><td class=\"new\">%s</td>"
                    "<td colspan=\"3\"></td></tr>\n",
                    gc_verdict_name((gc_verdict)r->golden->verdict),
                    gc_verdict_name((gc_verdict)r->got->verdict));
            continue;
        }
        fprintf(f, "<td class=\"golden\">%.17g</td><td class=\"new\">%.17g"
                "</td><td>%.3g</td><td>%.3g</td><td>%.3g</td></tr>\n",
                r->golden_value, r->got_value, r->abs_diff, r->rel_diff,
                r->tol);
    }
    fputs("</tbody>\n", f);
}

int gc_golden_report_html(FILE *f, gc_golden_check *const *gs, size_t n)
{
    size_t failing = 0, rows = 0, unchanged = 0, within = 0, beyond = 0;
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        failing += !gc_golden_check_ok(g);
        if (g->read_status) continue;
        rows += g->golden.n;
        unchanged += g->diff.unchanged;
        within += g->diff.within;
        beyond += g->diff.beyond;
    }
    gc_html_begin(f, "gradcheck golden check");
    fprintf(f, "<header><h1>gradcheck golden check</h1><p id=\"verdict\" "
            "class=\"%s\">%zu case%s, %zu failing; %zu golden rows: %zu "
            "unchanged, %zu changed within tolerance, %zu changed beyond it"
            "</p><div id=\"filter\"></div></header>\n", failing ? "bad" : "ok",
            n, n == 1 ? "" : "s", failing, rows, unchanged, within, beyond);
    fputs("<table id=\"summary\"><thead><tr><th>case</th><th>result</th><th>"
          "tests failing</th><th>rows</th><th>tolerance</th></tr></thead>"
          "<tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        junit_counts c = counts_of(g);
        int ok = gc_golden_check_ok(g);
        fprintf(f, "<tr class=\"%s\"><td><a href=\"#", ok ? "met" : "");
        gc_html_id(f, "g-", g->c->name);
        fputs("\">", f);
        gc_html_name(f, g->c->name);
        fprintf(f, "</a></td><td class=\"%s\">%s</td><td>%zu of %zu</td>"
                "<td>%zu</td><td>rtol %g, atol %g</td></tr>\n",
                ok ? "ok" : "bad", ok ? "ok" : g->missing ? "missing golden "
                "file" : g->read_status ? "malformed golden file" : "changed",
                c.failures + c.errors, c.tests, g->golden.n, g->tol.rtol,
                g->tol.atol);
    }
    fputs("</tbody></table>\n", f);
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        int ok = gc_golden_check_ok(g);
        fprintf(f, "<section class=\"case%s\" id=\"", ok ? " met" : "");
        gc_html_id(f, "g-", g->c->name);
        fputs("\"><h2>", f);
        gc_html_name(f, g->c->name);
        fputs("</h2>\n<p class=\"sub\">golden file ", f);
        gc_html_text(f, g->path);
        fputs("</p>\n", f);
        if (g->read_status) {
            fprintf(f, "<p class=\"error bad\">%s golden file",
                    g->missing ? "missing" : "malformed");
            if (g->read_err.line > 0)
                fprintf(f, ", line %ld", g->read_err.line);
            fputs(": ", f);
            gc_html_text(f, g->read_err.msg);
            fputs("</p></section>\n", f);
            continue;
        }
        if (ok) {
            fprintf(f, "<p class=\"ok\">%zu rows: %zu unchanged, %zu changed "
                    "within tolerance</p></section>\n", g->golden.n,
                    g->diff.unchanged, g->diff.within);
            continue;
        }
        fprintf(f, "<p class=\"bad\">%zu row%s beyond tolerance, %zu added, "
                "%zu removed (rows of %zu tests)</p>\n", g->diff.beyond,
                g->diff.beyond == 1 ? "" : "s", g->diff.added,
                g->diff.removed, counts_of(g).tests);
        fputs("<table class=\"changes\"><thead><tr><th>row</th><th>column"
              "</th><th>golden</th><th>new</th><th>abs. diff</th><th>rel. "
              "diff</th><th>tolerance</th></tr></thead>\n", f);
        const gc_case_report *r = g->report;
        for (size_t d = 0; d < r->n_derivs; d++)
            if (rows_of(g, r->derivs[d].type->name, NULL))
                html_rows(f, g, r->derivs[d].type->name, NULL);
        for (size_t k = 0; k < r->n_claims; k++)
            if (rows_of(g, NULL, r->claims[k].claim->name))
                html_rows(f, g, NULL, r->claims[k].claim->name);
        fputs("</table></section>\n", f);
    }
    gc_html_end(f);
    return ferror(f) ? GC_EIO : GC_OK;
}

static int write_html_job(FILE *f, const void *ctx)
{
    const junit_job *j = ctx;
    return gc_golden_report_html(f, j->gs, j->n);
}

int gc_golden_report_html_file(const char *path, gc_golden_check *const *gs,
                               size_t n)
{
    junit_job j = {gs, n};
    return gc_write_atomic(path, write_html_job, &j);
}
