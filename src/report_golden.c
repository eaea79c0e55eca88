/* report_golden.c: golden comparisons as a terminal table with a summary,
 * as TAP (one test point per derivation and claim, a YAML block of the
 * numbers on failure) and as JUnit XML written with libxml2. */
#include "gradcheck/golden.h"
#include "gradcheck/report.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "atomic.h"

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

static void diff_line(FILE *f, const gc_golden_diffrow *d, const char *indent)
{
    char name[400];
    row_name(d, name, sizeof name);
    if (!d->golden) {
        fprintf(f, "%s%-40s added (not in the golden file)\n", indent, name);
    } else if (!d->got) {
        fprintf(f, "%s%-40s removed (line %ld of the golden file)\n", indent,
                name, d->golden->line);
    } else if (strcmp(d->column, "verdict") == 0) {
        fprintf(f, "%s%-40s %-8s %24s %24s\n", indent, name, "verdict",
                gc_verdict_name((gc_verdict)d->golden->verdict),
                gc_verdict_name((gc_verdict)d->got->verdict));
    } else {
        fprintf(f, "%s%-40s %-8s %24.17g %24.17g %10.3g %10.3g %10.3g\n",
                indent, name, d->column, d->golden_value, d->got_value,
                d->abs_diff, d->rel_diff, d->tol);
    }
}

int gc_golden_report_changes(FILE *f, const gc_golden_diff *d)
{
    fprintf(f, "    %-40s %-8s %24s %24s %10s %10s %10s\n", "name", "column",
            "golden", "got", "abs diff", "rel diff", "tolerance");
    for (size_t k = 0; k < d->n_rows; k++) diff_line(f, &d->rows[k], "    ");
    return ferror(f) ? GC_EIO : GC_OK;
}

int gc_golden_report_text(FILE *f, gc_golden_check *const *gs, size_t n,
                          const gc_report_options *o)
{
    (void)o;
    size_t rows = 0, unchanged = 0, within = 0, beyond = 0, verdicts = 0,
           added = 0, removed = 0, nd = 0, nc = 0, failing = 0;
    for (size_t i = 0; i < n; i++) {
        const gc_golden_check *g = gs[i];
        nd += g->report->n_derivs;
        nc += g->report->n_claims;
        if (g->read_status) {
            failing++;
            fprintf(f, "%s: FAILED: %s: %s%s\n", g->c->name, g->path,
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
            fprintf(f, "%s: ok: %zu rows, %zu unchanged, %zu changed within "
                    "tolerance\n", g->c->name, g->golden.n, d->unchanged,
                    d->within);
            continue;
        }
        failing++;
        fprintf(f, "%s: FAILED: %zu row%s beyond tolerance (rtol %g, atol "
                "%g), %zu added, %zu removed; received rows written to "
                "%s.received\n", g->c->name, d->beyond,
                d->beyond == 1 ? "" : "s", g->tol.rtol, g->tol.atol,
                d->added, d->removed, g->path);
        gc_golden_report_changes(f, d);
    }
    fprintf(f, "\n%zu case%s, %zu derivations, %zu claims; %zu golden rows: "
            "%zu unchanged, %zu changed within tolerance, %zu changed beyond "
            "tolerance (%zu new verdict%s), %zu added, %zu removed; %zu case%s "
            "failing\n", n, n == 1 ? "" : "s", nd, nc, rows, unchanged, within,
            beyond, verdicts, verdicts == 1 ? "" : "s", added, removed,
            failing, failing == 1 ? "" : "s");
    return ferror(f) ? GC_EIO : GC_OK;
}

/* Does diff row d belong to the derivation `deriv` (or, with claim set, to
 * the claim named so)? */
static int belongs(const gc_golden_diffrow *d, const char *deriv,
                   const char *claim)
{
    const gc_golden_row *r = d->golden ? d->golden : d->got;
    if (claim) return r->kind == GC_GOLDEN_CLAIM && !strcmp(r->name, claim);
    return r->kind != GC_GOLDEN_CLAIM && !strcmp(r->deriv, deriv);
}

/* YAML strings in TAP blocks: double-quoted, with quotes and backslashes
 * escaped. */
static void yq(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void ynum(FILE *f, double x)
{
    if (isnan(x)) fputs(".nan", f);
    else if (isinf(x)) fputs(x > 0 ? ".inf" : "-.inf", f);
    else fprintf(f, "%.17g", x);
}

static void tap_point(FILE *f, size_t *k, const gc_golden_check *g,
                      const char *deriv, const char *claim)
{
    const gc_golden_diff *d = &g->diff;
    size_t bad = 0;
    for (size_t i = 0; i < d->n_rows; i++)
        bad += belongs(&d->rows[i], deriv, claim);
    ++*k;
    if (claim) fprintf(f, "%s %zu - %s: claim %s\n", bad ? "not ok" : "ok",
                       *k, g->c->name, claim);
    else fprintf(f, "%s %zu - %s: derivation %s\n", bad ? "not ok" : "ok", *k,
                 g->c->name, deriv);
    if (!bad) return;
    fprintf(f, "  ---\n  message: %zu value%s beyond tolerance\n  golden: ",
            bad, bad == 1 ? "" : "s");
    yq(f, g->path);
    fprintf(f, "\n  rtol: %g\n  atol: %g\n  rows:\n", g->tol.rtol, g->tol.atol);
    for (size_t i = 0; i < d->n_rows; i++) {
        const gc_golden_diffrow *r = &d->rows[i];
        if (!belongs(r, deriv, claim)) continue;
        char name[400];
        fputs("    - name: ", f);
        yq(f, row_name(r, name, sizeof name));
        fprintf(f, "\n      column: %s\n", r->column);
        if (r->golden && r->got && strcmp(r->column, "verdict") == 0) {
            fprintf(f, "      golden: %s\n      got: %s\n",
                    gc_verdict_name((gc_verdict)r->golden->verdict),
                    gc_verdict_name((gc_verdict)r->got->verdict));
        } else if (r->golden && r->got) {
            fputs("      golden: ", f); ynum(f, r->golden_value);
            fputs("\n      got: ", f); ynum(f, r->got_value);
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
            fprintf(f, "not ok %zu - %s: golden file %s: %s\n", ++k,
                    g->c->name, g->path, g->read_err.msg);
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

static int junit_case(xmlTextWriterPtr w, const gc_golden_check *g,
                      const char *deriv, const char *claim)
{
    const gc_golden_diff *d = &g->diff;
    char name[400];
    if (claim) snprintf(name, sizeof name, "claim %s", claim);
    else snprintf(name, sizeof name, "derivation %s", deriv);
    int rc = xmlTextWriterStartElement(w, BAD_CAST "testcase");
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname",
                                      BAD_CAST g->c->name);
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name);
    char *text = NULL;
    size_t len = 0, bad = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return -1;
    if (g->read_status) {
        fprintf(f, "golden file %s: %s\n", g->path, g->read_err.msg);
        bad = 1;
    } else {
        for (size_t i = 0; i < d->n_rows; i++)
            if (belongs(&d->rows[i], deriv, claim)) {
                diff_line(f, &d->rows[i], "");
                bad++;
            }
    }
    fclose(f);
    if (bad) {
        char msg[128];
        snprintf(msg, sizeof msg, "%zu value%s beyond tolerance (rtol %g, atol "
                 "%g)", bad, bad == 1 ? "" : "s", g->tol.rtol, g->tol.atol);
        if (g->read_status) snprintf(msg, sizeof msg, "no readable golden file");
        rc |= xmlTextWriterStartElement(w, BAD_CAST "failure");
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST msg);
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "golden");
        rc |= xmlTextWriterWriteString(w, BAD_CAST text);
        rc |= xmlTextWriterEndElement(w);
    }
    free(text);
    rc |= xmlTextWriterEndElement(w);
    return rc < 0 ? -1 : 0;
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
    int rc = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuites");
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST "gradcheck golden");
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const gc_golden_check *g = gs[i];
        size_t tests = g->read_status ? 1
                     : g->report->n_derivs + g->report->n_claims;
        size_t failures = 0;
        if (g->read_status) failures = 1;
        else {
            for (size_t d = 0; d < g->report->n_derivs; d++)
                for (size_t k = 0; k < g->diff.n_rows; k++)
                    if (belongs(&g->diff.rows[k], g->report->derivs[d].type->name, NULL)) { failures++; break; }
            for (size_t c = 0; c < g->report->n_claims; c++)
                for (size_t k = 0; k < g->diff.n_rows; k++)
                    if (belongs(&g->diff.rows[k], NULL, g->report->claims[c].claim->name)) { failures++; break; }
        }
        char num[32];
        rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuite");
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST g->c->name);
        snprintf(num, sizeof num, "%zu", tests);
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num);
        snprintf(num, sizeof num, "%zu", failures);
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num);
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0");
        if (g->read_status) {
            rc |= junit_case(w, g, "golden file", NULL);
        } else {
            for (size_t d = 0; d < g->report->n_derivs && rc >= 0; d++)
                rc |= junit_case(w, g, g->report->derivs[d].type->name, NULL);
            for (size_t c = 0; c < g->report->n_claims && rc >= 0; c++)
                rc |= junit_case(w, g, NULL, g->report->claims[c].claim->name);
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
