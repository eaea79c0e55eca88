/* golden.c: golden files, the reviewed baseline of every reported value
 * (docs/golden.md).
 *
 * A golden file is text, one row per reported value, tab-separated:
 *
 *   kind  derivation  point  name  analytic  numeric  verdict
 *
 * kind is `verdict` (a derivation's overall verdict), `entry` (a parameter
 * entry), `quantity` (dL/d of an intermediate quantity), `jacobian` (an
 * entry of a stated Jacobian) or `claim` (analytic = the stated number,
 * numeric = the computed one).  Floats are written with %.17g so they
 * round-trip; no timings, no machine names.  This format is ours and
 * line-based, so its reader is written here by hand.
 */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/golden.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/names.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "atomic.h"

#include <stdio.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const char *const kinds[] = {"verdict", "entry", "quantity",
                                    "jacobian", "claim"};

void gc_golden_clear(gc_golden *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n; i++) {
        free(g->rows[i].deriv);
        free(g->rows[i].name);
    }
    free(g->rows);
    g->rows = NULL;
    g->n = g->cap = 0;
}

/* A row.  Names from a report go into the tab-separated line in their
 * clean form (names.c), the form every reporter matches rows by; names read
 * from a golden file (is_clean) are that form already and kept as read. */
static int add(gc_golden *g, gc_golden_kind kind, const char *deriv,
               long point, const char *name, double a, double n, int verdict,
               int is_clean)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 256;
        gc_golden_row *r = realloc(g->rows, cap * sizeof *r);
        if (!r) return GC_ENOMEM;
        g->rows = r;
        g->cap = cap;
    }
    gc_golden_row *r = &g->rows[g->n];
    r->kind = kind;
    if (!deriv) deriv = "-";
    if (!name) name = "-";
    r->deriv = is_clean ? strdup(deriv) : gc_name_clean_dup(deriv);
    r->name = is_clean ? strdup(name) : gc_name_clean_dup(name);
    r->point = point;
    r->analytic = a;
    r->numeric = n;
    r->verdict = verdict;
    r->line = 0;
    if (!r->deriv || !r->name) {
        free(r->deriv);
        free(r->name);
        return GC_ENOMEM;
    }
    g->n++;
    return GC_OK;
}

int gc_golden_from_report(const gc_case_report *r, gc_golden *g)
{
    memset(g, 0, sizeof *g);
    const gc_layout *L = &r->c->prob->layout;
    char name[256];
    int st = GC_OK;
    for (size_t d = 0; d < r->n_derivs && !st; d++) {
        const gc_derivation_report *dr = &r->derivs[d];
        const char *dn = dr->type->name;
        st = add(g, GC_GOLDEN_VERDICT, dn, -1, "-", NAN, NAN, dr->verdict, 0);
        for (size_t p = 0; p < r->n_points && !st; p++) {
            const gc_point_report *pr = &dr->points[p];
            for (size_t k = 0; k < L->params.n && !st; k++) {
                if (!dr->claimed[k]) continue;
                const gc_entry_check *c = &pr->entries[k];
                gc_entry_name(&L->params, k, name, sizeof name);
                st = add(g, GC_GOLDEN_ENTRY, dn, (long)p, name, c->analytic,
                         c->numeric.value, c->verdict, 0);
            }
            for (size_t j = 0; pr->qentries && j < L->quantities.n && !st; j++) {
                if (!dr->qclaimed[j]) continue;
                const gc_entry_check *c = &pr->qentries[j];
                char qn[300];
                gc_entry_name(&L->quantities, j, name, sizeof name);
                snprintf(qn, sizeof qn, "dL/d%s", name);
                st = add(g, GC_GOLDEN_QUANTITY, dn, (long)p, qn, c->analytic,
                         c->numeric.value, c->verdict, 0);
            }
            for (size_t j = 0; j < dr->n_hessians && !st; j++) {
                const gc_jacobian *J = &dr->type->hessians[j];
                const gc_block *A = gc_blocks_find(&L->params, J->of);
                const gc_block *B = gc_blocks_find(&L->params, J->wrt);
                for (size_t i = 0; i < A->size * B->size && !st; i++) {
                    const gc_entry_check *c = &pr->hentries[j][i];
                    char a[64], b[64];
                    gc_entry_name(&L->params, A->offset + i / B->size, a,
                                  sizeof a);
                    gc_entry_name(&L->params, B->offset + i % B->size, b,
                                  sizeof b);
                    /* a Jacobian of the gradient: d(dL/dA_i)/dB_k */
                    snprintf(name, sizeof name, "d2L/d%s_d%s", a, b);
                    st = add(g, GC_GOLDEN_JACOBIAN, dn, (long)p, name,
                             c->analytic, c->numeric.value, c->verdict, 0);
                }
            }
            for (size_t j = 0; j < dr->n_jacobians && !st; j++) {
                const gc_jacobian *J = &dr->type->jacobians[j];
                const gc_block *of = gc_blocks_find(&L->quantities, J->of);
                const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
                const gc_blocks *wf = wp ? &L->params : &L->quantities;
                const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities,
                                                             J->wrt);
                for (size_t i = 0; i < of->size && !st; i++)
                    for (size_t k = 0; k < w->size && !st; k++) {
                        const gc_entry_check *c =
                            &pr->jentries[j][i * w->size + k];
                        char a[64], b[64];
                        gc_entry_name(&L->quantities, of->offset + i, a,
                                      sizeof a);
                        gc_entry_name(wf, w->offset + k, b, sizeof b);
                        snprintf(name, sizeof name, "d%s/d%s", a, b);
                        st = add(g, GC_GOLDEN_JACOBIAN, dn, (long)p, name,
                                 c->analytic, c->numeric.value, c->verdict, 0);
                    }
            }
        }
    }
    for (size_t i = 0; i < r->n_claims && !st; i++) {
        const gc_claim_report *c = &r->claims[i];
        st = add(g, GC_GOLDEN_CLAIM, "-", -1, c->claim->name, c->claim->stated,
                 c->actual, c->verdict, 0);
    }
    if (st) gc_golden_clear(g);
    return st;
}

static void put_num(FILE *f, double x)
{
    if (isnan(x)) fputs("nan", f);
    else if (isinf(x)) fputs(x > 0 ? "inf" : "-inf", f);
    else fprintf(f, "%.17g", x);
}

int gc_golden_write(FILE *f, const gc_golden *g, const char *case_name)
{
    fprintf(f, "# gradcheck golden file for case %s: every reported value, "
            "reviewed.\n# Regenerate on purpose with: gradcheck golden "
            "update %s\n# kind\tderivation\tpoint\tname\tanalytic\tnumeric\t"
            "verdict\n", case_name, case_name);
    for (size_t i = 0; i < g->n; i++) {
        const gc_golden_row *r = &g->rows[i];
        fprintf(f, "%s\t%s\t", kinds[r->kind], r->deriv);
        if (r->point < 0) fputs("-", f);
        else fprintf(f, "%ld", r->point);
        fprintf(f, "\t%s\t", r->name);
        if (r->kind == GC_GOLDEN_VERDICT) fputs("-\t-", f);
        else { put_num(f, r->analytic); fputc('\t', f); put_num(f, r->numeric); }
        fprintf(f, "\t%s\n", gc_verdict_name((gc_verdict)r->verdict));
    }
    return ferror(f) ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ reading */

static int parse_num(const char *s, double *out)
{
    if (strcmp(s, "-") == 0) { *out = NAN; return 0; }
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (end == s || *end) ? -1 : 0;
}

static int fail(gc_error *err, long line, long col, const char *msg)
{
    err->line = line;
    err->column = col;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return GC_EINVAL;
}

int gc_golden_read(const char *path, gc_golden *g, gc_error *err)
{
    memset(g, 0, sizeof *g);
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", path);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err->msg, sizeof err->msg, "no golden file (%s): create it "
                 "on purpose with 'gradcheck golden update'", strerror(errno));
        return GC_ENOTFOUND;
    }
    if (S_ISDIR(sb.st_mode) || sb.st_size > (off_t)GC_GOLDEN_MAX_BYTES) {
        snprintf(err->msg, sizeof err->msg, S_ISDIR(sb.st_mode)
                 ? "is a directory, expected a golden file"
                 : "larger than the golden file limit");
        return GC_EIO;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "cannot read: %s", strerror(errno));
        return GC_EIO;
    }
    int st = gc_golden_read_stream(f, path, g, err);
    fclose(f);
    return st;
}

int gc_golden_read_stream(FILE *f, const char *name, gc_golden *g,
                          gc_error *err)
{
    memset(g, 0, sizeof *g);
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long ln = 0;
    int st = GC_OK;
    size_t total = 0;
    while (!st && (len = getline(&line, &cap, f)) != -1) {
        ln++;
        total += (size_t)len;
        if (total > GC_GOLDEN_MAX_BYTES || len > 65536) {
            st = fail(err, ln, 1, len > 65536
                      ? "line longer than the limit of 65536 bytes"
                      : "larger than the golden file limit of 64 MiB");
            break;
        }
        if ((size_t)len != strlen(line)) {
            st = fail(err, ln, 1, "expected text, found a NUL byte");
            break;
        }
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        char *field[8];
        int nf = 0;
        char *p = line;
        while (nf < 8) {
            field[nf++] = p;
            char *t = strchr(p, '\t');
            if (!t) break;
            *t = 0;
            p = t + 1;
        }
        if (nf != 7) {
            st = fail(err, ln, 1, "expected 7 tab-separated fields (kind, "
                      "derivation, point, name, analytic, numeric, verdict)");
            break;
        }
        int kind = -1;
        for (int k = 0; k < 5; k++)
            if (strcmp(field[0], kinds[k]) == 0) kind = k;
        if (kind < 0) {
            st = fail(err, ln, 1, "expected a kind (verdict, entry, quantity, "
                      "jacobian, claim)");
            break;
        }
        long point = -1;
        if (strcmp(field[2], "-") != 0) {
            char *end;
            errno = 0;
            point = strtol(field[2], &end, 10);
            if (end == field[2] || *end || errno || point < 0) {
                st = fail(err, ln, (long)(field[2] - line) + 1,
                          "expected a point number or -");
                break;
            }
        }
        double a, n;
        if (parse_num(field[4], &a) || parse_num(field[5], &n)) {
            st = fail(err, ln, (long)(field[4] - line) + 1,
                      "expected two numbers (analytic, numeric)");
            break;
        }
        int v = gc_verdict_parse(field[6]);
        if (v < 0) {
            st = fail(err, ln, (long)(field[6] - line) + 1,
                      "expected a verdict (agree, disagree, kink, nonfinite, "
                      "inconclusive)");
            break;
        }
        if ((st = add(g, (gc_golden_kind)kind, field[1], point, field[3], a, n,
                      v, 1)))
            break;
        g->rows[g->n - 1].line = ln;
    }
    free(line);
    if (!st && ferror(f)) st = fail(err, ln, 0, "read error");
    if (st) gc_golden_clear(g);
    return st;
}

/* ------------------------------------------------------------ comparing */

static int same_key(const gc_golden_row *a, const gc_golden_row *b)
{
    return a->kind == b->kind && a->point == b->point &&
           strcmp(a->deriv, b->deriv) == 0 && strcmp(a->name, b->name) == 0;
}

static int num_eq(double g, double x, const gc_golden_tol *t, double *ad,
                  double *rd)
{
    *ad = *rd = 0;
    if (isnan(g) || isnan(x)) return isnan(g) && isnan(x);
    if (isinf(g) || isinf(x)) return g == x;
    *ad = fabs(x - g);
    *rd = g != 0 ? *ad / fabs(g) : (*ad ? INFINITY : 0);
    return *ad <= t->atol + t->rtol * fabs(g);
}

static int add_diff(gc_golden_diff *d, const gc_golden_row *g,
                    const gc_golden_row *x, const char *column, double gv,
                    double xv, double ad, double rd, double tol)
{
    if (d->n_rows == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        gc_golden_diffrow *r = realloc(d->rows, cap * sizeof *r);
        if (!r) return GC_ENOMEM;
        d->rows = r;
        d->cap = cap;
    }
    gc_golden_diffrow *r = &d->rows[d->n_rows++];
    r->golden = g;
    r->got = x;
    r->column = column;
    r->golden_value = gv;
    r->got_value = xv;
    r->abs_diff = ad;
    r->rel_diff = rd;
    r->tol = tol;
    return GC_OK;
}

int gc_golden_compare(const gc_golden *golden, const gc_golden *got,
                      const gc_golden_tol *t, gc_golden_diff *d)
{
    memset(d, 0, sizeof *d);
    unsigned char *used = calloc(got->n ? got->n : 1, 1);
    if (!used) return GC_ENOMEM;
    size_t hint = 0;
    int st = GC_OK;
    for (size_t i = 0; i < golden->n && !st; i++) {
        const gc_golden_row *g = &golden->rows[i];
        const gc_golden_row *x = NULL;
        /* Rows usually line up; search from the hint, then from the top. */
        for (size_t k = 0; k < got->n && !x; k++) {
            size_t j = (hint + k) % got->n;
            if (!used[j] && same_key(g, &got->rows[j])) {
                x = &got->rows[j];
                used[j] = 1;
                hint = j + 1;
            }
        }
        if (!x) {
            d->removed++;
            st = add_diff(d, g, NULL, "row", NAN, NAN, 0, 0, 0);
            continue;
        }
        int moved = 0, beyond = 0;
        double ad, rd;
        if (g->verdict != x->verdict) {
            d->verdicts_changed++;
            beyond = 1;
            st = add_diff(d, g, x, "verdict", NAN, NAN, 0, 0, 0);
        }
        const double gv[2] = {g->analytic, g->numeric};
        const double xv[2] = {x->analytic, x->numeric};
        const char *col[2] = {g->kind == GC_GOLDEN_CLAIM ? "stated"
                                                         : "analytic",
                              g->kind == GC_GOLDEN_CLAIM ? "computed"
                                                         : "numeric"};
        for (int c = 0; c < 2 && !st; c++) {
            int eq_bits = (isnan(gv[c]) && isnan(xv[c])) || gv[c] == xv[c];
            if (eq_bits) continue;
            moved = 1;
            if (!num_eq(gv[c], xv[c], t, &ad, &rd)) {
                beyond = 1;
                st = add_diff(d, g, x, col[c], gv[c], xv[c], ad, rd,
                              t->atol + t->rtol * fabs(gv[c]));
            }
        }
        if (beyond) d->beyond++;
        else if (moved) d->within++;
        else d->unchanged++;
    }
    for (size_t j = 0; j < got->n && !st; j++)
        if (!used[j]) {
            d->added++;
            st = add_diff(d, NULL, &got->rows[j], "row", NAN, NAN, 0, 0, 0);
        }
    free(used);
    return st;
}

void gc_golden_diff_clear(gc_golden_diff *d)
{
    if (!d) return;
    free(d->rows);
    memset(d, 0, sizeof *d);
}

int gc_golden_diff_ok(const gc_golden_diff *d)
{
    return d->beyond == 0 && d->added == 0 && d->removed == 0;
}

typedef struct {
    const gc_golden *g;
    const char *name;
} golden_job;

static int write_golden_job(FILE *f, const void *ctx)
{
    const golden_job *j = ctx;
    return gc_golden_write(f, j->g, j->name);
}

/* Atomically (atomic.c): an interrupted write leaves the old file whole. */
int gc_golden_write_file(const char *path, const gc_golden *g,
                         const char *case_name)
{
    golden_job j = {g, case_name};
    return gc_write_atomic(path, write_golden_job, &j);
}
