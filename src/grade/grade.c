/* grade.c: grading submissions against a case (docs/grading.md).
 *
 * Every answer of every submission is checked entry by entry, with the
 * engine's verdict rule (gc_engine_check_param for dL/d(parameter),
 * gc_engine_check_quantity for dL/d(quantity) through a tap, and either
 * with gc_engine_set_output on the differentiated quantity for a
 * Jacobian), at the case's own point and at the seeded random points
 * (gc_case_point).  An answer earns its points only when it agrees at
 * every point: a formula that coincides with the derivative at the given
 * point and nowhere else is caught by the random ones.  Entries at a kink
 * (the one-sided derivatives differ: ReLU at 0, max at a tie) do not count
 * against it; an answer whose only doubtful entries are inconclusive (the
 * numeric error bar too wide to decide) is graded `inconclusive` for a
 * person to check.
 *
 * Beyond the verdict, a wrong answer gets a hint when one pattern holds
 * at every check: a constant factor (-1: a sign, 1/2 or 2: a factor of
 * two, another constant), the transpose of the right square matrix, or
 * agreement at the case's own point only; and when the submission also
 * answers dL/d(quantity), the first of those that is wrong walking back
 * from the loss, as `run` localises a derivation.  Answers given row by
 * row or entry by entry with literal indices (dL/dW2[0] = ...) are graded
 * together as the block's answer when the block is asked for.  After the
 * last submission, the class summary groups, per answer, the students
 * whose wrong answers have the same values at every check.
 *
 * The points (their parameters and forward quantities) are computed once
 * and shared by every submission.  Submissions are graded one after the
 * other; a C submission runs in the sandbox, so no submission can stop the
 * batch.
 */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/grade.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "gradcheck/target.h"
#include "gradcheck/verdict.h"
#include "fx/fx.h"
#include "fx/network.h"
#include "grade/csub.h"
#include "grade/submission.h"

#include <stdio.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const verdict_names[GC_GRADE_N] = {
    [GC_GRADE_AGREE] = "agree", [GC_GRADE_DISAGREE] = "disagree",
    [GC_GRADE_NONFINITE] = "nonfinite",
    [GC_GRADE_INCONCLUSIVE] = "inconclusive",
    [GC_GRADE_INVALID] = "invalid", [GC_GRADE_MISSING] = "missing",
    [GC_GRADE_COMPILE] = "compile error", [GC_GRADE_CRASHED] = "crashed",
    [GC_GRADE_TIMEOUT] = "timeout", [GC_GRADE_OOM] = "out of memory",
    [GC_GRADE_INCOMPLETE] = "incomplete",
    [GC_GRADE_NOT_RUN] = "not run",
};

const char *gc_grade_verdict_name(gc_grade_verdict v)
{
    return v < GC_GRADE_N ? verdict_names[v] : "?";
}

void gc_grade_item_verdict(const gc_grade_item *it, char *buf, size_t n)
{
    if (it->detail[0])
        snprintf(buf, n, "%s: %s", gc_grade_verdict_name(it->verdict),
                 it->detail);
    else
        snprintf(buf, n, "%s", gc_grade_verdict_name(it->verdict));
}

gc_grade_options gc_grade_options_default(void)
{
    gc_grade_options o = {.points = -1, .seed = -1,
                          .run = gc_csub_run_limits,
                          .compile = gc_csub_compile_limits};
    return o;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ the grader */

typedef struct {
    const gc_case *c;
    const gc_grade_options *o;
    gc_engine *e;
    size_t n_points;
    long seed;
    double **theta, **q;     /* per point */
    const char *loss;        /* the loss's name in keys */
    const char **losses;     /* names accepted for it, NULL-terminated */
    size_t n_losses;
    const gc_grade_report *r;
    int fixed_keys;          /* the case's grading: section fixes the keys */
    char **blocks;           /* no grading: section: the whole-block keys
                                some submission gives (parts of them
                                merge) */
    size_t n_blocks;
    size_t kept;             /* bytes of answers' values kept for the class
                                summary, at most GC_GRADE_KEPT_TOTAL */
} grader;

/* The values of every student's answers are kept until the class summary
 * groups them; beyond this many bytes in all, later answers are grouped by
 * verdict only (a class of 10000 with answers of 65536 values would
 * otherwise hold 5 GB per answer). */
#define GC_GRADE_KEPT_TOTAL ((size_t)256 << 20)

/* One answer being graded. */
typedef struct {
    gc_grade_item it;
    int failed;              /* invalid (or a C failure): no more checks */
    int bad_at0, bad_later;  /* disagreed at the given / a random point */
    /* the entry to tell the student about: first disagreement, else first
     * other trouble */
    int have_worst, worst_verdict;
    long worst_point;
    size_t worst_entry;
    double worst_a, worst_n, worst_err;
    /* every check, when kept (it.values holds the answer's values):
     * numeric value, error bar and verdict at [point * n + entry] */
    double *num, *err;
    unsigned char *ver;
    unsigned char *given;    /* per entry: the answer gives it */
    unsigned char *bad;      /* per entry: not right at some point */
    int merged;              /* parts (dL/dW2[0], ...) graded as a block */
    char parts[200];         /* merged: "lines 3, 4, 5" */
    const char *note;        /* what its names mean (gc_fx_answer_note) */
} grading;

static void set_msg(gc_grade_item *it, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(it->message);
    it->message = strdup(buf);
}

/* Append text to the message; text starting ". " is a new sentence,
 * whose full stop is left out after a message ending in '?' or '.'. */
static void add_msg(gc_grade_item *it, const char *fmt, ...)
{
    char buf[1600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t a = it->message ? strlen(it->message) : 0, b = strlen(buf);
    if (a && b > 1 && buf[0] == '.' && buf[1] == ' ' &&
        (it->message[a - 1] == '?' || it->message[a - 1] == '.')) {
        memmove(buf, buf + 1, b);
        b--;
    }
    char *m = realloc(it->message, a + b + 1);
    if (!m) return;            /* the message stays as it was */
    memcpy(m + a, buf, b + 1);
    it->message = m;
}

/* "the case's own point" or "random point 3 (v = [0.1, 0.2], w = 1.5)" */
static void point_text(const grader *g, long p, char *buf, size_t n)
{
    if (p == 0) { snprintf(buf, n, "the case's own point"); return; }
    size_t l = (size_t)snprintf(buf, n, "random point %ld", p);
    const gc_blocks *P = &g->c->prob->layout.params;
    if (P->n > 8 || l >= n) return;
    l += (size_t)snprintf(buf + l, n - l, " (");
    for (size_t b = 0; b < P->n_blocks && l < n; b++) {
        const gc_block *k = &P->block[b];
        l += (size_t)snprintf(buf + l, n - l, "%s%s = %s", b ? ", " : "",
                              k->name, k->rank ? "[" : "");
        for (size_t i = 0; i < k->size && l < n; i++)
            l += (size_t)snprintf(buf + l, n - l, "%s%.4g", i ? ", " : "",
                                  g->theta[p][k->offset + i]);
        if (k->rank && l < n) l += (size_t)snprintf(buf + l, n - l, "]");
    }
    if (l < n) snprintf(buf + l, n - l, ")");
}

static void entry_text(const grader *g, const gc_target *t, size_t flat,
                       char *buf, size_t n)
{
    const gc_layout *L = &g->c->prob->layout;
    const gc_blocks *wf = t->wrt_param ? &L->params : &L->quantities;
    char w[64], o[64];
    gc_entry_name(wf, t->wrt->offset + flat % t->wrt->size, w, sizeof w);
    if (t->kind == GC_TARGET_JACOBIAN) {
        gc_entry_name(&L->quantities, t->of->offset + flat / t->wrt->size, o,
                      sizeof o);
        snprintf(buf, n, "d%s/d%s", o, w);
    } else {
        snprintf(buf, n, "d%s/d%s", g->loss, w);
    }
}

/* Room for the answer's checks: the per-entry flags always, the values at
 * every point when they fit GC_GRADE_MAX_KEPT and the run's budget.  All
 * but the values are dropped once the student is graded (drop_checks). */
static int keep_alloc(grader *g, grading *gr)
{
    size_t n = gr->it.target.n ? gr->it.target.n : 1;
    gr->given = calloc(n, 1);
    gr->bad = calloc(n, 1);
    if (!gr->given || !gr->bad) return GC_ENOMEM;
    size_t m = n * g->n_points;
    if (m > GC_GRADE_MAX_KEPT ||
        g->kept + m * sizeof(double) > GC_GRADE_KEPT_TOTAL)
        return GC_OK;
    g->kept += m * sizeof(double);
    gr->it.values = malloc(m * sizeof *gr->it.values);
    gr->num = malloc(m * sizeof *gr->num);
    gr->err = malloc(m * sizeof *gr->err);
    gr->ver = calloc(m, 1);
    if (!gr->it.values || !gr->num || !gr->err || !gr->ver) return GC_ENOMEM;
    for (size_t i = 0; i < m; i++)
        gr->it.values[i] = gr->num[i] = gr->err[i] = NAN;
    return GC_OK;
}

/* What only hints and localisation needed: gone once a student is
 * graded; the answer's values stay for the class summary. */
static void drop_checks(grading *gr)
{
    free(gr->num);
    free(gr->err);
    free(gr->ver);
    free(gr->given);
    free(gr->bad);
    gr->num = gr->err = NULL;
    gr->ver = gr->given = gr->bad = NULL;
}

static void grading_clear(grading *gr)
{
    free(gr->it.message);
    free(gr->it.values);
    free(gr->num);
    free(gr->err);
    free(gr->ver);
    free(gr->given);
    free(gr->bad);
}

/* Check every entry of an answer at point p; a[] are its values. */
static int check_answer(grader *g, grading *gr, long p, const double *a)
{
    const gc_target *t = &gr->it.target;
    const gc_case *c = g->c;
    const double *theta = g->theta[p], *q = g->q[p];
    int st = GC_OK, bad = 0;
    long out = -2;
    if (!gr->given && (st = keep_alloc(g, gr))) return st;
    for (size_t flat = 0; flat < t->n && !st; flat++) {
        if (isnan(a[flat])) continue;    /* an entry the answer omits */
        gr->given[flat] = 1;
        size_t k = flat % t->wrt->size, i = flat / t->wrt->size;
        if (t->kind == GC_TARGET_JACOBIAN &&
            out != (long)(t->of->offset + i)) {
            out = (long)(t->of->offset + i);
            gc_engine_set_output(g->e, out);
        }
        gc_entry_check ch;
        memset(&ch, 0, sizeof ch);
        size_t idx = t->wrt->offset + k;
        st = t->wrt_param
             ? gc_engine_check_param(g->e, theta, idx, a[flat], &c->step,
                                     &c->tol, &ch)
             : gc_engine_check_quantity(g->e, theta, idx, fabs(q[idx]),
                                        a[flat], &c->step, &c->tol, &ch);
        if (st) break;
        gr->it.checks++;
        gr->it.counts[ch.verdict]++;
        if (gr->num) {
            size_t at = (size_t)p * t->n + flat;
            gr->it.values[at] = a[flat];
            gr->num[at] = ch.numeric.value;
            gr->err[at] = ch.numeric.abserr;
            gr->ver[at] = (unsigned char)ch.verdict;
        }
        if (ch.verdict != GC_KINK && isfinite(ch.rel_error) &&
            ch.rel_error > gr->it.max_rel_error)
            gr->it.max_rel_error = ch.rel_error;
        if (ch.verdict == GC_AGREE || ch.verdict == GC_KINK) continue;
        bad = 1;
        gr->bad[flat] = 1;
        int better = !gr->have_worst ||
                     (ch.verdict == GC_DISAGREE &&
                      gr->worst_verdict != GC_DISAGREE);
        if (better) {
            gr->have_worst = 1;
            gr->worst_verdict = ch.verdict;
            gr->worst_point = p;
            gr->worst_entry = flat;
            gr->worst_a = a[flat];
            gr->worst_n = ch.numeric.value;
            gr->worst_err = ch.numeric.abserr;
        }
        if (ch.verdict == GC_DISAGREE) {
            if (p == 0) gr->bad_at0 = 1;
            else gr->bad_later = 1;
        }
    }
    if (t->kind == GC_TARGET_JACOBIAN) gc_engine_set_output(g->e, -1);
    if (bad && gr->it.bad_point < 0) gr->it.bad_point = p;
    return st;
}

/* ------------------------------------------------------------ hints */

const char *gc_grade_hint_text(gc_grade_hint h, double factor, char *buf,
                               size_t n)
{
    switch (h) {
    case GC_HINT_SIGN:
        snprintf(buf, n, "exactly -1 x the right value (a sign error?)");
        break;
    case GC_HINT_HALF:
        snprintf(buf, n, "exactly 1/2 x the right value (a factor of 2 "
                 "missing?)");
        break;
    case GC_HINT_DOUBLE:
        snprintf(buf, n, "exactly 2 x the right value (a factor of 2 too "
                 "many?)");
        break;
    case GC_HINT_FACTOR:
        snprintf(buf, n, "exactly %.6g x the right value", factor);
        break;
    case GC_HINT_TRANSPOSE:
        snprintf(buf, n, "the transpose of the right matrix");
        break;
    case GC_HINT_OWN_POINT:
        snprintf(buf, n, "right at the case's own point only");
        break;
    default:
        snprintf(buf, n, "-");
        break;
    }
    return buf;
}

static int near(double x, double y)
{
    return fabs(x - y) <= 1e-6 * fabs(y);
}

/* A constant c with answer = c x right value at every check.  A check
 * says something about c only when the right value is well away from 0
 * (ten error bars and ten atol); every other check must still fit c. */
static int constant_factor(const grader *g, const grading *gr, double *c)
{
    const gc_tol *tol = &g->c->tol;
    size_t m = gr->it.target.n * g->n_points, best = m, informative = 0;
    for (size_t i = 0; i < m; i++) {
        if (isnan(gr->it.values[i]) || gr->ver[i] == GC_KINK) continue;
        double nv = gr->num[i];
        if (!isfinite(nv) || !isfinite(gr->it.values[i])) return 0;
        if (fabs(nv) <= 10 * gr->err[i] || fabs(nv) <= 10 * tol->atol)
            continue;
        informative++;
        if (best == m || fabs(nv) > fabs(gr->num[best])) best = i;
    }
    if (informative < 2) return 0;
    double k = gr->it.values[best] / gr->num[best];
    for (size_t i = 0; i < m; i++) {
        if (isnan(gr->it.values[i]) || gr->ver[i] == GC_KINK) continue;
        if (gc_judge(gr->it.values[i], k * gr->num[i], fabs(k) * gr->err[i],
                     tol) != GC_AGREE)
            return 0;
    }
    *c = k;
    return 1;
}

/* The answer is the transpose of the right square matrix at every check. */
static int transposed(const grader *g, const grading *gr)
{
    const gc_target *t = &gr->it.target;
    size_t rows, cols;
    if (t->kind == GC_TARGET_JACOBIAN) {
        rows = t->of->size;
        cols = t->wrt->size;
    } else if (t->wrt->rank == 2) {
        rows = t->wrt->shape[0];
        cols = t->wrt->shape[1];
    } else {
        return 0;
    }
    if (rows != cols || rows < 2) return 0;
    for (size_t f = 0; f < t->n; f++)
        if (!gr->given[f]) return 0;
    for (size_t p = 0; p < g->n_points; p++)
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                size_t a = p * t->n + i * cols + j, b = p * t->n + j * cols + i;
                if (gr->ver[b] == GC_KINK) continue;
                if (gc_judge(gr->it.values[a], gr->num[b], gr->err[b],
                             &g->c->tol) != GC_AGREE)
                    return 0;
            }
    return 1;
}

static void find_hint(const grader *g, grading *gr)
{
    gc_grade_item *it = &gr->it;
    double c;
    /* c = 0 (an answer that is 0 everywhere) is no factor to tell of */
    if (gr->num && constant_factor(g, gr, &c) && !near(c, 1.0) &&
        fabs(c) > 1e-9) {
        it->hint = near(c, -1.0) ? GC_HINT_SIGN : near(c, 0.5) ? GC_HINT_HALF
                 : near(c, 2.0) ? GC_HINT_DOUBLE : GC_HINT_FACTOR;
        it->hint_factor = it->hint == GC_HINT_SIGN ? -1.0
                        : it->hint == GC_HINT_HALF ? 0.5
                        : it->hint == GC_HINT_DOUBLE ? 2.0 : c;
    } else if (gr->num && transposed(g, gr)) {
        it->hint = GC_HINT_TRANSPOSE;
    } else if (!gr->bad_at0 && gr->bad_later) {
        it->hint = GC_HINT_OWN_POINT;
    }
}

/* The hint as the student reads it. */
static void hint_sentence(const gc_grade_item *it)
{
    gc_grade_item *w = (gc_grade_item *)it;
    switch (it->hint) {
    case GC_HINT_SIGN:
        add_msg(w, ". Hint: at every check it is exactly -1 times the right "
                "value: a sign error?");
        break;
    case GC_HINT_HALF:
        add_msg(w, ". Hint: at every check it is exactly half the right "
                "value: a factor of 2 missing (the 2 from differentiating a "
                "square?)");
        break;
    case GC_HINT_DOUBLE:
        add_msg(w, ". Hint: at every check it is exactly twice the right "
                "value: a factor of 2 too many");
        break;
    case GC_HINT_FACTOR:
        add_msg(w, ". Hint: at every check it is exactly %.6g times the "
                "right value: a constant factor is off", it->hint_factor);
        break;
    case GC_HINT_TRANSPOSE:
        add_msg(w, ". Hint: at every check it is the transpose of the right "
                "matrix: rows and columns swapped");
        break;
    case GC_HINT_OWN_POINT:
        add_msg(w, ". It agrees at the case's own point, so it only "
                "coincides there");
        break;
    default:
        break;
    }
}

/* "dL/dW2[2][1], dL/dW2[3][1] and 2 more" */
static void missing_text(const grader *g, const grading *gr, char *buf,
                         size_t n, size_t *count)
{
    size_t l = 0, shown = 0;
    *count = 0;
    buf[0] = 0;
    for (size_t f = 0; f < gr->it.target.n; f++) {
        if (gr->given[f]) continue;
        (*count)++;
        if (shown < 6 && l < n) {
            char en[160];
            entry_text(g, &gr->it.target, f, en, sizeof en);
            l += (size_t)snprintf(buf + l, n - l, "%s%s", shown ? ", " : "",
                                  en);
            shown++;
        }
    }
    if (*count > shown && l < n)
        snprintf(buf + l, n - l, " and %zu more", *count - shown);
}

/* The verdict and the student's message once every point is checked. */
static void conclude(const grader *g, grading *gr)
{
    gc_grade_item *it = &gr->it;
    if (gr->failed) return;
    const size_t *n = it->counts;
    int hide = g->o->hide_truth;
    it->verdict = n[GC_DISAGREE] ? GC_GRADE_DISAGREE
                : n[GC_NONFINITE] ? GC_GRADE_NONFINITE
                : n[GC_INCONCLUSIVE] ? GC_GRADE_INCONCLUSIVE : GC_GRADE_AGREE;
    it->entries = it->entries_right = 0;
    for (size_t f = 0; gr->given && f < it->target.n; f++) {
        if (!gr->given[f]) continue;
        it->entries++;
        if (!gr->bad[f]) it->entries_right++;
    }
    char missing[600] = "";
    size_t n_missing = 0;
    if (gr->merged) {
        missing_text(g, gr, missing, sizeof missing, &n_missing);
        it->entries = it->target.n;    /* the block's entries are asked */
        if (n_missing && it->verdict == GC_GRADE_AGREE)
            it->verdict = GC_GRADE_INCOMPLETE;
    }
    char pt[512], en[160], kinks[160] = "";
    if (n[GC_KINK])
        snprintf(kinks, sizeof kinks, "; %zu check%s at a kink (the loss has "
                 "no derivative there) did not count", n[GC_KINK],
                 n[GC_KINK] == 1 ? "" : "s");
    if (gr->have_worst) {
        point_text(g, gr->worst_point, pt, sizeof pt);
        entry_text(g, &it->target, gr->worst_entry, en, sizeof en);
    }
    switch (it->verdict) {
    case GC_GRADE_AGREE:
        set_msg(it, "right: agrees with the numerical derivative in every "
                "entry at all %zu points (%zu checks)%s", g->n_points,
                it->checks, kinks);
        break;
    case GC_GRADE_INCOMPLETE:
        set_msg(it, "incomplete: %s not given; the %zu entr%s given agree "
                "with the numerical derivative at all %zu points%s", missing,
                it->entries - n_missing,
                it->entries - n_missing == 1 ? "y" : "ies", g->n_points,
                kinks);
        break;
    case GC_GRADE_DISAGREE:
        it->wrong_point = gr->worst_point;
        it->wrong_entry = gr->worst_entry;
        it->wrong_value = gr->worst_a;
        it->right_value = gr->worst_n;
        find_hint(g, gr);
        if (hide)
            set_msg(it, "wrong: at %s, %s is %.6g by this answer, which is "
                    "not the derivative there; %zu of %zu checks disagree%s",
                    pt, en, gr->worst_a, n[GC_DISAGREE], it->checks, kinks);
        else
            set_msg(it, "wrong: at %s, %s is %.6g by this answer but %.6g "
                    "(+- %.1e) numerically; %zu of %zu checks disagree%s",
                    pt, en, gr->worst_a, gr->worst_n, gr->worst_err,
                    n[GC_DISAGREE], it->checks, kinks);
        hint_sentence(it);
        if (n_missing) add_msg(it, ". Not given: %s", missing);
        break;
    case GC_GRADE_NONFINITE:
        set_msg(it, "not checked: the numerical derivative of %s is not "
                "finite at %s (the loss overflows there)", en, pt);
        break;
    case GC_GRADE_INCONCLUSIVE:
        if (hide)
            set_msg(it, "undecided: at %s the numerical derivative of %s is "
                    "too uncertain to judge %.6g; please ask for a check by "
                    "hand", pt, en, gr->worst_a);
        else
            set_msg(it, "undecided: at %s the numerical derivative of %s is "
                    "%.6g +- %.1e, too uncertain to judge %.6g; please check "
                    "by hand", pt, en, gr->worst_n, gr->worst_err,
                    gr->worst_a);
        break;
    default:
        break;
    }
    if (gr->merged && gr->parts[0])
        add_msg(it, " (given part by part: %s)", gr->parts);
}

static void fail_item(grading *gr, gc_grade_verdict v, const char *detail,
                      const char *msg)
{
    gr->failed = 1;
    gr->it.verdict = v;
    snprintf(gr->it.detail, sizeof gr->it.detail, "%s", detail ? detail : "");
    free(gr->it.message);
    gr->it.message = strdup(msg ? msg : gc_grade_verdict_name(v));
}

static void where(const gc_error *e, char *buf, size_t n)
{
    if (e->line > 0 && e->column > 0)
        snprintf(buf, n, "line %ld, column %ld: %s", e->line, e->column,
                 e->msg);
    else if (e->line > 0)
        snprintf(buf, n, "line %ld: %s", e->line, e->msg);
    else
        snprintf(buf, n, "%s", e->msg);
}

static int append_note(char **notes, const char *text)
{
    size_t a = *notes ? strlen(*notes) : 0, b = strlen(text);
    char *n = realloc(*notes, a + b + 2);
    if (!n) return GC_ENOMEM;
    if (a) n[a++] = '\n';
    memcpy(n + a, text, b + 1);
    *notes = n;
    return GC_OK;
}

/* ------------------------------------------------------------ one submission */

typedef struct {
    grading *g;
    size_t n;
    /* a failure of the whole submission (unreadable, wrong case, crashed):
     * every answer of the report gets it */
    int whole_failed;
    gc_grade_verdict whole_verdict;
    char whole_detail[32];
    char *whole_msg;
} graded;

static void graded_free(graded *s)
{
    for (size_t i = 0; i < s->n; i++) grading_clear(&s->g[i]);
    free(s->g);
    free(s->whole_msg);
}

static grading *add_grading(graded *s, const gc_target *t)
{
    grading *n = realloc(s->g, (s->n + 1) * sizeof *n);
    if (!n) return NULL;
    s->g = n;
    grading *gr = &n[s->n++];
    memset(gr, 0, sizeof *gr);
    gr->it.target = *t;
    gr->it.bad_point = -1;
    gr->it.wrong_point = -1;
    return gr;
}

static void whole(graded *s, gc_grade_verdict v, const char *detail,
                  const char *msg)
{
    if (s->whole_failed) return;     /* the first reason is the one told */
    s->whole_failed = 1;
    s->whole_verdict = v;
    snprintf(s->whole_detail, sizeof s->whole_detail, "%s",
             detail ? detail : "");
    free(s->whole_msg);
    s->whole_msg = strdup(msg ? msg : "");
}

static int key_index(const gc_grade_report *r, const char *key)
{
    for (size_t i = 0; i < r->n_keys; i++)
        if (strcmp(r->keys[i].key, key) == 0) return (int)i;
    return -1;
}

/* The block an answer with fixed indices belongs to: dL/dW2 for
 * dL/dW2[0], dy/ds2 for dy[1]/ds2.  Returns 0 when the answer is the
 * block's own. */
static int block_key(const grader *g, const gc_target *t, char *buf,
                     size_t n)
{
    if (t->of) snprintf(buf, n, "d%s/d%s", t->of->name, t->wrt->name);
    else snprintf(buf, n, "d%s/d%s", g->loss, t->wrt->name);
    return strcmp(buf, t->key) != 0;
}

/* Whether the block key is one of the answers graded. */
static int block_asked(const grader *g, const char *key)
{
    if (g->fixed_keys) return key_index(g->r, key) >= 0;
    for (size_t i = 0; i < g->n_blocks; i++)
        if (strcmp(g->blocks[i], key) == 0) return 1;
    return key_index(g->r, key) >= 0;
}

static const char *const *loss_names(const grader *g, const gc_submission *sub,
                                     const char **names, size_t cap)
{
    size_t nn = 0;
    for (size_t i = 0; i < g->n_losses && nn + 2 < cap; i++)
        names[nn++] = g->losses[i];
    if (sub && sub->loss) names[nn++] = sub->loss;
    names[nn] = NULL;
    return names;
}

static int grade_formulas(grader *g, gc_submission *sub, graded *s,
                          char **notes)
{
    const gc_problem *p = g->c->prob;
    const char *names[GC_MAX_BLOCKS + 16];
    loss_names(g, sub, names, sizeof names / sizeof *names);
    gc_fx_program *P = NULL;
    gc_error err;
    int st = gc_fx_compile(p, sub->path, sub->text, sub->len, g->loss, names,
                           &P, &err);
    if (st == GC_ENOMEM) return st;
    if (!st && g->c->net) gc_net_ungive_base_rows(g->c->net, p, P);
    char buf[1024];
    if (st) {
        where(&err, buf, sizeof buf);
        whole(s, GC_GRADE_INVALID, NULL, buf);
        return GC_OK;
    }
    size_t na = gc_fx_n_answers(P);
    size_t first = s->n;
    size_t maxn = 1;
    /* each answer's grading, or -1 when it is only part of a block;
     * part[i]: the merged block grading it feeds, or -1 */
    long *own = malloc((na ? na : 1) * sizeof *own);
    long *part = malloc((na ? na : 1) * sizeof *part);
    double *vals = NULL, *blockv = NULL;
    size_t *slot = NULL, n_merged = 0;   /* merged grading: its values */
    if (!own || !part) { st = GC_ENOMEM; goto done; }
    for (size_t i = 0; i < gc_fx_n_notes(P); i++) {
        where(gc_fx_note(P, i), buf, sizeof buf);
        char line[1100];
        snprintf(line, sizeof line, "not graded: %s", buf);
        if ((st = append_note(notes, line))) goto done;
    }
    for (size_t i = 0; i < na; i++) {
        const gc_target *t = gc_fx_answer_target(P, i);
        char bk[sizeof t->key];
        own[i] = part[i] = -1;
        int merge = 0;
        if (block_key(g, t, bk, sizeof bk) && block_asked(g, bk)) {
            merge = 1;     /* unless the block is also given whole */
            for (size_t j = 0; j < na && merge; j++)
                if (strcmp(gc_fx_answer_target(P, j)->key, bk) == 0)
                    merge = 0;
        }
        if (merge) {
            size_t b = first;
            while (b < s->n && !(s->g[b].merged &&
                                 strcmp(s->g[b].it.target.key, bk) == 0))
                b++;
            if (b == s->n) {
                grading *gr = add_grading(s, t);
                if (!gr) { st = GC_ENOMEM; goto done; }
                snprintf(gr->it.target.key, sizeof gr->it.target.key, "%s",
                         bk);
                gr->merged = 1;
                gr->it.line = gc_fx_answer_line(P, i);
            }
            grading *gr = &s->g[b];
            size_t l = strlen(gr->parts);
            snprintf(gr->parts + l, sizeof gr->parts - l, "%s%s on line %ld",
                     l ? ", " : "", t->key, gc_fx_answer_line(P, i));
            if (!gr->note) gr->note = gc_fx_answer_note(P, i);
            part[i] = (long)b;
            /* the part is graded on its own as well when it is asked */
            if (key_index(g->r, t->key) < 0) continue;
        }
        grading *gr = add_grading(s, t);
        if (!gr) { st = GC_ENOMEM; goto done; }
        own[i] = (long)(s->n - 1);
        gr->it.line = gc_fx_answer_line(P, i);
        gr->note = gc_fx_answer_note(P, i);
        const gc_error *ae = gc_fx_answer_error(P, i);
        if (ae) {
            where(ae, buf, sizeof buf);
            fail_item(gr, GC_GRADE_INVALID, NULL, buf);
        }
    }
    for (size_t i = first; i < s->n; i++)
        if (s->g[i].it.target.n > maxn) maxn = s->g[i].it.target.n;
    vals = malloc(maxn * sizeof *vals);
    slot = calloc(s->n - first + 1, sizeof *slot);
    if (!slot) { st = GC_ENOMEM; goto done; }
    for (size_t i = first; i < s->n; i++)
        if (s->g[i].merged) slot[i - first] = n_merged++;
    blockv = malloc((n_merged ? n_merged : 1) * maxn * sizeof *blockv);
    if (!vals || !blockv) { st = GC_ENOMEM; goto done; }
    for (size_t pt = 0; pt < g->n_points && !st; pt++) {
        gc_fx_set_point(P, g->theta[pt], g->q[pt]);
        for (size_t i = first; i < s->n; i++)
            if (s->g[i].merged)
                for (size_t k = 0; k < maxn; k++)
                    blockv[slot[i - first] * maxn + k] = NAN;
        char pt_text[512];
        point_text(g, (long)pt, pt_text, sizeof pt_text);
        for (size_t i = 0; i < na && !st; i++) {
            grading *gr = own[i] >= 0 ? &s->g[own[i]] : NULL;
            grading *bl = part[i] >= 0 ? &s->g[part[i]] : NULL;
            if ((!gr || gr->failed) && (!bl || bl->failed)) continue;
            int es = gc_fx_answer_eval(P, i, vals, &err);
            if (es == GC_ENOMEM) { st = es; break; }
            if (es) {
                where(&err, buf, sizeof buf);
                char m[1700];
                snprintf(m, sizeof m, "%s (at %s)", buf, pt_text);
                if (gr && !gr->failed) fail_item(gr, GC_GRADE_INVALID, NULL, m);
                if (bl && !bl->failed) {
                    char m2[1900];
                    snprintf(m2, sizeof m2, "%s: %s", gc_fx_answer_target(P, i)
                             ->key, m);
                    fail_item(bl, GC_GRADE_INVALID, NULL, m2);
                }
                continue;
            }
            if (bl && !bl->failed) {
                double *b = blockv + slot[part[i] - (long)first] * maxn;
                const gc_target *t = &bl->it.target;
                for (size_t k = 0; k < t->n; k++) {
                    if (isnan(vals[k])) continue;
                    if (!isnan(b[k])) {
                        char en[160], m[400];
                        entry_text(g, t, k, en, sizeof en);
                        snprintf(m, sizeof m, "%s is given twice (%s)", en,
                                 bl->parts);
                        fail_item(bl, GC_GRADE_INVALID, NULL, m);
                        break;
                    }
                    b[k] = vals[k];
                }
            }
            if (gr && !gr->failed)
                st = check_answer(g, gr, (long)pt, vals);
        }
        for (size_t i = first; i < s->n && !st; i++)
            if (s->g[i].merged && !s->g[i].failed)
                st = check_answer(g, &s->g[i], (long)pt,
                                  blockv + slot[i - first] * maxn);
    }
    for (size_t i = first; i < s->n; i++) conclude(g, &s->g[i]);
done:
    free(own);
    free(part);
    free(vals);
    free(blockv);
    free(slot);
    /* the notes point into P: copy them into the messages now */
    for (size_t i = first; i < s->n && !st; i++)
        if (s->g[i].note) {
            add_msg(&s->g[i].it, ". Note: %s", s->g[i].note);
            s->g[i].note = NULL;
        }
    gc_fx_program_free(P);
    return st;
}

static int grade_c(grader *g, gc_submission *sub, graded *s, char **notes,
                   gc_error *err)
{
    const gc_layout *L = &g->c->prob->layout;
    gc_csub_options co = {.cc = g->o->cc, .run = &g->o->run,
                          .compile = &g->o->compile,
                          .trusted = g->o->trust_submissions};
    gc_csub_result r;
    int st = gc_csub_run(g->c->prob, sub->path, g->theta, g->q, g->n_points,
                         &co, &r);
    if (st) {
        snprintf(err->file, sizeof err->file, "%s", sub->path);
        snprintf(err->msg, sizeof err->msg, "%s", r.message ? r.message
                 : "cannot compile or run C submissions here");
        gc_csub_result_clear(&r);
        return st;
    }
    if (r.verdict != GC_GRADE_AGREE) {
        whole(s, r.verdict, r.detail, r.message);
        gc_csub_result_clear(&r);
        return GC_OK;
    }
    if (r.message && (st = append_note(notes, r.message))) goto done;
    size_t np = L->params.n;
    /* every parameter block; quantity blocks it fills */
    for (int fam = 0; fam < 2 && !st; fam++) {
        const gc_blocks *b = fam ? &L->quantities : &L->params;
        for (size_t bi = 0; bi < b->n_blocks && !st; bi++) {
            const gc_block *blk = &b->block[bi];
            size_t base = fam ? np + blk->offset : blk->offset;
            size_t given = 0, nan_at = 0;
            long nan_point = -1;
            for (size_t pt = 0; pt < g->n_points; pt++)
                for (size_t k = 0; k < blk->size; k++) {
                    if (!isnan(r.values[pt][base + k])) given++;
                    else if (nan_point < 0) {
                        nan_point = (long)pt;
                        nan_at = k;
                    }
                }
            if (fam && !given) continue;
            char key[2 * GC_NAME_MAX + 8], msg[300];
            snprintf(key, sizeof key, "d%s/d%s", g->loss, blk->name);
            gc_target t;
            if (gc_target_parse(g->c->prob, key, g->loss, g->losses, &t, msg,
                                sizeof msg))
                continue;
            grading *gr = add_grading(s, &t);
            if (!gr) { st = GC_ENOMEM; break; }
            if (nan_point >= 0) {
                char en[160], pt_text[512], m[800];
                entry_text(g, &t, nan_at, en, sizeof en);
                point_text(g, nan_point, pt_text, sizeof pt_text);
                snprintf(m, sizeof m, "%s is NaN at %s (not set, or computed "
                         "as NaN)", en, pt_text);
                fail_item(gr, GC_GRADE_INVALID, NULL, m);
                continue;
            }
            for (size_t pt = 0; pt < g->n_points && !st; pt++)
                st = check_answer(g, gr, (long)pt, r.values[pt] + base);
            conclude(g, gr);
        }
    }
done:
    gc_csub_result_clear(&r);
    return st;
}

/* ------------------------------------------------------------ localisation */

/* When a submission answers dL/d(quantity), each wrong answer is told the
 * first of those that is wrong walking back from the loss, at the point
 * where it goes wrong. */
static void localise(const grader *g, graded *s, size_t first)
{
    const gc_blocks *Q = &g->c->prob->layout.quantities;
    int any = 0;
    for (size_t i = first; i < s->n; i++) {
        const grading *q = &s->g[i];
        any |= q->it.target.kind == GC_TARGET_QUANTITY && !q->failed &&
               q->ver != NULL;
    }
    if (!any) return;
    for (size_t i = first; i < s->n; i++) {
        grading *gr = &s->g[i];
        if (gr->failed || gr->it.verdict != GC_GRADE_DISAGREE ||
            gr->it.bad_point < 0)
            continue;
        size_t p = (size_t)gr->it.bad_point;
        long best = -1, best_g = -1;
        for (size_t j = first; j < s->n; j++) {
            const grading *q = &s->g[j];
            if (q->it.target.kind != GC_TARGET_QUANTITY || q->failed ||
                !q->ver)
                continue;
            for (size_t e = 0; e < q->it.target.n; e++) {
                size_t at = p * q->it.target.n + e;
                if (isnan(q->it.values[at]) || q->ver[at] != GC_DISAGREE)
                    continue;
                size_t qi = q->it.target.wrt->offset + e;
                if (best < 0 ||
                    gc_blocks_forward_before(Q, (size_t)best, qi)) {
                    best = (long)qi;
                    best_g = (long)j;
                }
            }
        }
        char pt[520], name[64];
        if ((long)p == gr->it.wrong_point) {
            snprintf(pt, sizeof pt, "there");     /* the message's point */
        } else {
            memcpy(pt, "at ", 3);
            point_text(g, (long)p, pt + 3, sizeof pt - 3);
        }
        if (best < 0) {
            if (gr->it.target.kind == GC_TARGET_PARAM)
                add_msg(&gr->it, ". The submission's d%s/d(quantity) answers "
                        "are right %s, so the mistake comes after them, on "
                        "the way from those quantities to the parameters",
                        g->loss, pt);
            continue;
        }
        gc_entry_name(Q, (size_t)best, name, sizeof name);
        if (best_g == (long)i) {
            add_msg(&gr->it, ". Walking back from the loss %s, d%s/d%s is "
                    "the first wrong d%s/d(quantity) of this submission: the "
                    "ones it answers after it are right", pt, g->loss, name,
                    g->loss);
        } else {
            const grading *q = &s->g[best_g];
            size_t at = p * q->it.target.n +
                        ((size_t)best - q->it.target.wrt->offset);
            if (g->o->hide_truth)
                add_msg(&gr->it, ". Walking back from the loss %s, the "
                        "first wrong d%s/d(quantity) of this submission is "
                        "d%s/d%s", pt, g->loss, g->loss, name);
            else
                add_msg(&gr->it, ". Walking back from the loss %s, the "
                        "first wrong d%s/d(quantity) of this submission is "
                        "d%s/d%s (%.6g by it, %.6g numerically)", pt, g->loss,
                        g->loss, name, q->it.values[at], q->num[at]);
        }
    }
}

/* ------------------------------------------------------------ the batch */

static int add_key(gc_grade_report *r, const gc_target *t, double points)
{
    gc_target *k = realloc(r->keys, (r->n_keys + 1) * sizeof *k);
    if (!k) return GC_ENOMEM;
    r->keys = k;
    double *p = realloc(r->points, (r->n_keys + 1) * sizeof *p);
    if (!p) return GC_ENOMEM;
    r->points = p;
    r->keys[r->n_keys] = *t;
    r->points[r->n_keys] = points;
    r->n_keys++;
    return GC_OK;
}

/* The answers a C submission must give: dL/d(every parameter block). */
static int c_keys(grader *g, gc_grade_report *r)
{
    const gc_blocks *b = &g->c->prob->layout.params;
    for (size_t i = 0; i < b->n_blocks; i++) {
        char key[2 * GC_NAME_MAX + 8], msg[300];
        snprintf(key, sizeof key, "d%s/d%s", g->loss, b->block[i].name);
        gc_target t;
        if (gc_target_parse(g->c->prob, key, g->loss, g->losses, &t, msg,
                            sizeof msg) == GC_OK &&
            key_index(r, t.key) < 0) {
            int st = add_key(r, &t, 1.0);
            if (st) return st;
        }
    }
    return GC_OK;
}

static int add_warning(gc_grade_report *r, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **w = realloc(r->warnings, (r->n_warnings + 1) * sizeof *w);
    if (!w) return GC_ENOMEM;
    r->warnings = w;
    if (!(w[r->n_warnings] = gc_utf8_clean(buf, 0))) return GC_ENOMEM;
    r->n_warnings++;
    return GC_OK;
}

static int expectation_met(const grader *g, const gc_grade_result *res,
                           const gc_grade_expect *x, char *why, size_t n)
{
    if (strcmp(x->key, "total") == 0 || strcmp(x->key, "score") == 0) {
        char *end;
        double v = strtod(x->verdict, &end);
        if (end == x->verdict || *end) {
            snprintf(why, n, "line %ld: expect: total needs a number, found "
                     "\"%s\"", x->line, x->verdict);
            return 0;
        }
        if (fabs(v - res->score) > 1e-9) {
            snprintf(why, n, "line %ld: expected total %s, graded %g", x->line,
                     x->verdict, res->score);
            return 0;
        }
        return 1;
    }
    /* dE/dU and dL/dU name the same answer when E and L name the loss */
    const char *names[GC_MAX_BLOCKS + 16];
    loss_names(g, res->sub, names, sizeof names / sizeof *names);
    gc_target t;
    char msg[300];
    const char *key = gc_target_parse(g->c->prob, x->key, g->loss, names, &t,
                                      msg, sizeof msg) == GC_OK ? t.key
                                                                : x->key;
    for (size_t i = 0; i < res->n_items; i++) {
        const gc_grade_item *it = &res->items[i];
        if (strcmp(it->target.key, key) != 0) continue;
        char v[96];
        gc_grade_item_verdict(it, v, sizeof v);
        if (strcmp(v, x->verdict) == 0 ||
            strcmp(gc_grade_verdict_name(it->verdict), x->verdict) == 0)
            return 1;
        snprintf(why, n, "line %ld: expected %s %s, graded %s", x->line,
                 x->key, x->verdict, v);
        return 0;
    }
    snprintf(why, n, "line %ld: expected %s %s, but the report has no %s",
             x->line, x->key, x->verdict, x->key);
    return 0;
}

/* Rows in report order: its keys, then extras (not scored). */
static int assemble(const grader *g, const gc_grade_report *r, graded *s,
                    gc_grade_result *res)
{
    size_t cap = r->n_keys + s->n;
    res->items = calloc(cap ? cap : 1, sizeof *res->items);
    if (!res->items) return GC_ENOMEM;
    unsigned char *used = calloc(s->n ? s->n : 1, 1);
    if (!used) return GC_ENOMEM;
    for (size_t k = 0; k < r->n_keys; k++) {
        gc_grade_item *it = &res->items[res->n_items++];
        int found = -1;
        for (size_t i = 0; i < s->n && found < 0; i++)
            if (strcmp(s->g[i].it.target.key, r->keys[k].key) == 0)
                found = (int)i;
        if (found >= 0) {
            *it = s->g[found].it;
            s->g[found].it.message = NULL;
            s->g[found].it.values = NULL;
            used[found] = 1;
        } else {
            memset(it, 0, sizeof *it);
            it->target = r->keys[k];
            it->bad_point = it->wrong_point = -1;
            if (s->whole_failed) {
                it->verdict = s->whole_verdict;
                snprintf(it->detail, sizeof it->detail, "%s", s->whole_detail);
                it->message = strdup(s->whole_msg ? s->whole_msg : "");
            } else {
                it->verdict = GC_GRADE_MISSING;
                char m[200];
                snprintf(m, sizeof m, "no answer for %s", r->keys[k].key);
                it->message = strdup(m);
            }
        }
        it->max_score = r->points[k];
        it->score = it->verdict == GC_GRADE_AGREE ? it->max_score : 0;
        if (g->o->partial_credit && it->entries &&
            (it->verdict == GC_GRADE_DISAGREE ||
             it->verdict == GC_GRADE_INCOMPLETE ||
             it->verdict == GC_GRADE_INCONCLUSIVE ||
             it->verdict == GC_GRADE_NONFINITE)) {
            it->score = it->max_score * (double)it->entries_right /
                        (double)it->entries;
            add_msg(it, " [partial credit: %zu of %zu entries right, %g of "
                    "%g points]", it->entries_right, it->entries, it->score,
                    it->max_score);
        }
        it->graded = 1;
        res->score += it->score;
        res->max_score += it->max_score;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (used[i]) continue;
        gc_grade_item *it = &res->items[res->n_items++];
        *it = s->g[i].it;
        s->g[i].it.message = NULL;
        s->g[i].it.values = NULL;
        it->max_score = it->score = 0;
        it->graded = 0;
    }
    free(used);
    /* every message valid UTF-8: a program's output or a name may not be */
    for (size_t i = 0; i < res->n_items; i++) {
        char *m = gc_utf8_clean(res->items[i].message, 0);
        if (!m) return GC_ENOMEM;
        free(res->items[i].message);
        res->items[i].message = m;
    }
    if (res->notes) {
        char *m = gc_utf8_clean(res->notes, 0);
        if (!m) return GC_ENOMEM;
        free(res->notes);
        res->notes = m;
    }
    return GC_OK;
}

/* ------------------------------------------------------------ class summary */

/* The same values at every check, within round-off (the same wrong
 * formula written two ways). */
static int same_values(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return 0;
        if (isnan(a[i])) continue;
        double m = fmax(fabs(a[i]), fabs(b[i]));
        if (fabs(a[i] - b[i]) > 1e-9 * m + 1e-300) return 0;
    }
    return 1;
}

static int group_order(const void *x, const void *y)
{
    const gc_grade_group *a = x, *b = y;
    if (a->n != b->n) return a->n > b->n ? -1 : 1;
    if (a->verdict != b->verdict) return a->verdict < b->verdict ? -1 : 1;
    return a->subs[0] < b->subs[0] ? -1 : a->subs[0] > b->subs[0];
}

static int summarise(const grader *g, gc_grade_report *r)
{
    gc_grade_summary *sm = &r->summary;
    sm->union_keys = !g->fixed_keys;
    sm->answers = calloc(r->n_keys ? r->n_keys : 1, sizeof *sm->answers);
    if (!sm->answers) return GC_ENOMEM;
    sm->n_answers = r->n_keys;
    double total = 0;
    for (size_t s = 0; s < r->n_subs; s++) total += r->subs[s].score;
    sm->mean_score = r->n_subs ? total / (double)r->n_subs : 0;
    size_t vn = g->n_points;
    for (size_t k = 0; k < r->n_keys; k++) {
        gc_grade_answer_summary *a = &sm->answers[k];
        a->key = k;
        double sum = 0;
        for (size_t s = 0; s < r->n_subs; s++) {
            const gc_grade_item *it = &r->subs[s].items[k];
            a->counts[it->verdict]++;
            sum += it->score;
            if (it->verdict == GC_GRADE_AGREE) continue;
            /* its group: the same values, else the same verdict */
            size_t gi = 0;
            for (; gi < a->n_groups; gi++) {
                gc_grade_group *gp = &a->groups[gi];
                const gc_grade_item *rep = &r->subs[gp->subs[0]].items[k];
                if (gp->verdict != it->verdict ||
                    strcmp(gp->detail, it->detail) != 0)
                    continue;
                if (it->verdict != GC_GRADE_DISAGREE) break;
                if (it->values && rep->values &&
                    rep->target.n == it->target.n &&
                    same_values(it->values, rep->values, vn * it->target.n))
                    break;
            }
            if (gi == a->n_groups) {
                gc_grade_group *ng = realloc(a->groups, (a->n_groups + 1) *
                                             sizeof *ng);
                if (!ng) return GC_ENOMEM;
                a->groups = ng;
                memset(&ng[gi], 0, sizeof *ng);
                ng[gi].verdict = it->verdict;
                snprintf(ng[gi].detail, sizeof ng[gi].detail, "%s",
                         it->detail);
                ng[gi].hint = it->hint;
                ng[gi].hint_factor = it->hint_factor;
                a->n_groups++;
            }
            gc_grade_group *gp = &a->groups[gi];
            size_t *ns = realloc(gp->subs, (gp->n + 1) * sizeof *ns);
            if (!ns) return GC_ENOMEM;
            gp->subs = ns;
            ns[gp->n++] = s;
        }
        a->right = a->counts[GC_GRADE_AGREE];
        a->mean_score = r->n_subs ? sum / (double)r->n_subs : 0;
        for (size_t gi = 0; gi < a->n_groups; gi++) {
            gc_grade_group *gp = &a->groups[gi];
            const gc_grade_item *rep = &r->subs[gp->subs[0]].items[k];
            char buf[1000];
            if (gp->verdict != GC_GRADE_DISAGREE) {
                gc_grade_item_verdict(rep, buf, sizeof buf);
            } else if (gp->hint != GC_HINT_NONE) {
                gc_grade_hint_text(gp->hint, gp->hint_factor, buf, sizeof buf);
            } else if (rep->wrong_point >= 0) {
                char en[160], pt[512];
                entry_text(g, &rep->target, rep->wrong_entry, en, sizeof en);
                point_text(g, rep->wrong_point, pt, sizeof pt);
                snprintf(buf, sizeof buf, "%s (%s = %.4g where it is %.4g, "
                         "at %s)", gp->n > 1 ? "the same wrong values"
                         : "wrong values", en, rep->wrong_value,
                         rep->right_value, pt);
            } else {
                snprintf(buf, sizeof buf, "disagree");
            }
            if (!(gp->label = gc_utf8_clean(buf, 0))) return GC_ENOMEM;
        }
        if (a->n_groups > 1)
            qsort(a->groups, a->n_groups, sizeof *a->groups, group_order);
    }
    return GC_OK;
}

static void summary_clear(gc_grade_summary *sm)
{
    for (size_t k = 0; k < sm->n_answers; k++) {
        for (size_t gi = 0; gi < sm->answers[k].n_groups; gi++) {
            free(sm->answers[k].groups[gi].subs);
            free(sm->answers[k].groups[gi].label);
        }
        free(sm->answers[k].groups);
    }
    free(sm->answers);
    memset(sm, 0, sizeof *sm);
}

/* ------------------------------------------------------------ students */

/* One student's files as one submission: the first file's headers (an
 * id: line anywhere wins over the folder's name), every file's expect:
 * lines. */
static int student_submission(const gc_student_files *sf,
                              gc_submission *const *files, size_t n,
                              const char *id, gc_submission **out)
{
    *out = calloc(1, sizeof **out);
    gc_submission *s = *out;
    if (!s) return GC_ENOMEM;
    s->path = strdup(sf->path);
    s->kind = n ? files[0]->kind : GC_SUB_FORMULAS;
    const char *given = id && *id ? id : NULL;
    for (size_t i = 0; i < n && !given; i++)
        if (files[i]->id_given) given = files[i]->id;
    if (!given && !sf->folder && n) given = files[0]->id;
    char *name = NULL;
    if (!given) {
        size_t l = strlen(sf->path);
        while (l > 1 && sf->path[l - 1] == '/') l--;
        size_t b = l;
        while (b > 0 && sf->path[b - 1] != '/') b--;
        name = malloc(l - b + 1);
        if (name) { memcpy(name, sf->path + b, l - b); name[l - b] = 0; }
        if (sf->folder == 0) {   /* a file: its stem */
            char *dot = name ? strrchr(name, '.') : NULL;
            if (dot && dot > name) *dot = 0;
        }
    }
    s->id = gc_utf8_clean(given ? given : name ? name : "", 200);
    free(name);
    if (!s->path || !s->id) return GC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (files[i]->loss && !s->loss && !(s->loss = strdup(files[i]->loss)))
            return GC_ENOMEM;
        for (size_t x = 0; x < files[i]->n_expect; x++) {
            gc_grade_expect *e = realloc(s->expect, (s->n_expect + 1) *
                                         sizeof *e);
            if (!e) return GC_ENOMEM;
            s->expect = e;
            e += s->n_expect;
            e->key = strdup(files[i]->expect[x].key);
            e->verdict = strdup(files[i]->expect[x].verdict);
            e->line = files[i]->expect[x].line;
            s->n_expect++;
            if (!e->key || !e->verdict) return GC_ENOMEM;
        }
    }
    return GC_OK;
}

/* Without a grading: section, the whole-block answers any submission
 * gives (answers given part by part merge into these). */
static int collect_blocks(grader *g, const gc_submission_set *set)
{
    int any_c = 0;
    for (size_t i = 0; i < set->n_students; i++)
        for (size_t f = 0; f < set->students[i].n_files; f++) {
            gc_submission *sub = NULL;
            int st = gc_submission_load(set->students[i].files[f], &sub);
            if (st) return st;
            if (sub->bad || (sub->case_name &&
                             strcmp(sub->case_name, g->c->name) != 0)) {
                gc_submission_free(sub);
                continue;
            }
            if (sub->kind == GC_SUB_C) {
                any_c = 1;
                gc_submission_free(sub);
                continue;
            }
            const char *names[GC_MAX_BLOCKS + 16];
            loss_names(g, sub, names, sizeof names / sizeof *names);
            gc_fx_program *P = NULL;
            gc_error err;
            st = gc_fx_compile(g->c->prob, sub->path, sub->text, sub->len,
                               g->loss, names, &P, &err);
            for (size_t a = 0; !st && a < gc_fx_n_answers(P); a++) {
                const gc_target *t = gc_fx_answer_target(P, a);
                char bk[sizeof t->key];
                if (block_key(g, t, bk, sizeof bk)) continue;
                size_t k = 0;
                while (k < g->n_blocks && strcmp(g->blocks[k], bk)) k++;
                if (k < g->n_blocks) continue;
                char **nb = realloc(g->blocks, (g->n_blocks + 1) * sizeof *nb);
                if (!nb || !(nb[g->n_blocks] = strdup(bk))) {
                    if (nb) g->blocks = nb;
                    st = GC_ENOMEM;
                    break;
                }
                g->blocks = nb;
                g->n_blocks++;
            }
            gc_fx_program_free(P);
            gc_submission_free(sub);
            if (st == GC_ENOMEM) return st;
        }
    if (any_c) {
        const gc_blocks *b = &g->c->prob->layout.params;
        for (size_t i = 0; i < b->n_blocks; i++) {
            char **nb = realloc(g->blocks, (g->n_blocks + 1) * sizeof *nb);
            if (!nb) return GC_ENOMEM;
            g->blocks = nb;
            char key[2 * GC_NAME_MAX + 8];
            snprintf(key, sizeof key, "d%s/d%s", g->loss, b->block[i].name);
            if (!(nb[g->n_blocks] = strdup(key))) return GC_ENOMEM;
            g->n_blocks++;
        }
    }
    return GC_OK;
}

/* Grade one student's files into s. */
static int grade_student(grader *g, gc_grade_report *r,
                         const gc_student_files *sf, gc_submission **subs,
                         graded *s, gc_grade_result *res, gc_error *err)
{
    int st = GC_OK;
    char buf[1200];
    if (sf->problem)
        whole(s, sf->empty ? GC_GRADE_MISSING : GC_GRADE_INVALID, NULL,
              sf->problem);
    for (size_t f = 0; f < sf->n_files; f++) {
        gc_submission *sub = subs[f];
        size_t first = s->n;
        if (sub->bad) {
            where(&sub->error, buf, sizeof buf);
            if (sf->n_files > 1) {
                char m[1400];
                snprintf(m, sizeof m, "%s: %s", sub->path, buf);
                whole(s, GC_GRADE_INVALID, NULL, m);
            } else {
                whole(s, GC_GRADE_INVALID, NULL, buf);
            }
        } else if (sub->case_name && strcmp(sub->case_name, g->c->name) != 0) {
            snprintf(buf, sizeof buf, "the submission answers case %s, not "
                     "%s", sub->case_name, g->c->name);
            whole(s, GC_GRADE_INVALID, NULL, buf);
        } else if (sub->kind == GC_SUB_C) {
            if (!g->fixed_keys && (st = c_keys(g, r))) return st;
            if ((st = grade_c(g, sub, s, &res->notes, err))) return st;
        } else if ((st = grade_formulas(g, sub, s, &res->notes))) {
            return st;
        }
        /* an answer given in two files: the first file's is graded */
        for (size_t i = first; i < s->n; i++)
            for (size_t j = 0; j < first; j++)
                if (strcmp(s->g[i].it.target.key, s->g[j].it.target.key) == 0) {
                    snprintf(buf, sizeof buf, "%s is answered again in %s; "
                             "the first answer is the one graded",
                             s->g[i].it.target.key, sub->path);
                    fail_item(&s->g[i], GC_GRADE_INVALID, NULL, buf);
                    break;
                }
        localise(g, s, first);
    }
    for (size_t i = 0; i < s->n; i++) drop_checks(&s->g[i]);
    return GC_OK;
}

/* The grading points (the case's own, then random ones), the names of
 * the loss, and the quantities' values at each point. */
static int grader_points(grader *g, gc_grade_report *r)
{
    const gc_case *c = g->c;
    const gc_grade_options *o = g->o;
    const gc_layout *L = &c->prob->layout;
    const gc_grading *gd = c->grading;
    long extra = o->points >= 0 ? o->points
               : gd && gd->points >= 0 ? gd->points
               : c->points > 3 ? c->points : 3;
    g->n_points = 1 + (size_t)extra;
    g->seed = o->seed >= 0 ? o->seed : (long)c->seed_rng;
    r->n_points = g->n_points;
    r->seed = g->seed;
    g->loss = gd && gd->n_loss ? gd->loss[0] : "L";
    size_t nd = 0;
    while (gc_loss_names_default[nd]) nd++;
    g->losses = calloc(nd + (gd ? gd->n_loss : 0) + 1, sizeof *g->losses);
    if (!g->losses) return GC_ENOMEM;
    for (size_t i = 0; i < nd; i++)
        g->losses[g->n_losses++] = gc_loss_names_default[i];
    for (size_t i = 0; gd && i < gd->n_loss; i++)
        g->losses[g->n_losses++] = gd->loss[i];
    g->theta = calloc(g->n_points, sizeof *g->theta);
    g->q = calloc(g->n_points, sizeof *g->q);
    if (!g->theta || !g->q) return GC_ENOMEM;
    int st = gc_engine_alloc(c->prob, &g->e);
    if (st) return st;
    for (size_t p = 0; p < g->n_points; p++) {
        g->theta[p] = malloc((L->params.n ? L->params.n : 1) * sizeof(double));
        g->q[p] = calloc(L->quantities.n ? L->quantities.n : 1, sizeof(double));
        if (!g->theta[p] || !g->q[p]) return GC_ENOMEM;
        if (p == 0) memcpy(g->theta[0], c->theta, L->params.n * sizeof(double));
        else gc_case_point(c, (unsigned long)g->seed, (long)p, g->theta[p]);
        gc_engine_loss(g->e, g->theta[p], NULL, g->q[p]);
    }
    return GC_OK;
}

/* The answers the case's grading: section asks for, with their points. */
static int grader_case_keys(grader *g, gc_grade_report *r)
{
    const gc_grading *gd = g->c->grading;
    for (size_t i = 0; gd && i < gd->n_formulas; i++) {
        gc_target t;
        char msg[300];
        int st;
        if (gc_target_parse(g->c->prob, gd->formulas[i].key, g->loss,
                            g->losses, &t, msg, sizeof msg) == GC_OK &&
            (st = add_key(r, &t, gd->formulas[i].points)))
            return st;
    }
    return GC_OK;
}

int gc_grade(const gc_case *c, char *const *args, size_t n_args,
             const gc_grade_options *o, gc_grade_report **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    double t0 = seconds();
    gc_grade_options defaults = gc_grade_options_default();
    if (!o) o = &defaults;
    gc_submission_set set;
    int st = gc_submission_collect(args, n_args, o->one_student, &set, err);
    if (st) return st;
    size_t n_stud = set.n_students;

    gc_grade_report *r = calloc(1, sizeof *r);
    graded *gs = calloc(n_stud ? n_stud : 1, sizeof *gs);
    gc_submission **subs = calloc(n_stud ? n_stud : 1, sizeof *subs);
    grader g;
    memset(&g, 0, sizeof g);
    g.c = c;
    g.o = o;
    g.r = r;
    st = GC_ENOMEM;
    if (!r || !gs || !subs) goto done;
    r->c = c;
    r->visibility = o->visibility ? o->visibility : "visible";
    if ((st = grader_points(&g, r)) || (st = grader_case_keys(&g, r)))
        goto done;
    st = GC_ENOMEM;
    g.fixed_keys = r->n_keys > 0;
    if (!g.fixed_keys && (st = collect_blocks(&g, &set))) goto done;

    /* what the person grading should know */
    for (size_t i = 0; i < set.n_skipped; i++)
        if ((st = add_warning(r, "%s: skipped: %s", set.skipped[i].path,
                              set.skipped[i].why)))
            goto done;
    if (!g.fixed_keys &&
        (st = add_warning(r, "%s: the case has no grading: section, so the "
                          "answers asked for are the union of the answers "
                          "the submissions give, each worth 1 point: a "
                          "student's maximum depends on what classmates "
                          "answered (add a grading: section with formulas: "
                          "to fix it)", c->name)))
        goto done;

    /* grade */
    r->subs = calloc(n_stud ? n_stud : 1, sizeof *r->subs);
    if (!r->subs) goto done;
    for (size_t i = 0; i < n_stud; i++) {
        const gc_student_files *sf = &set.students[i];
        if (o->progress) o->progress(o->progress_ctx, i, n_stud, sf->path);
        double ts = seconds();
        gc_grade_result *res = &r->subs[r->n_subs++];
        gc_submission **files = calloc(sf->n_files ? sf->n_files : 1,
                                       sizeof *files);
        st = files ? GC_OK : GC_ENOMEM;
        for (size_t f = 0; f < sf->n_files && !st; f++)
            st = gc_submission_load(sf->files[f], &files[f]);
        if (!st && !sf->folder && !o->one_student && sf->n_files == 1) {
            subs[i] = files[0];            /* one file: itself */
            files[0] = NULL;
            st = grade_student(&g, r, sf, &subs[i], &gs[i], res, err);
        } else if (!st) {
            st = student_submission(sf, files, sf->n_files,
                                    o->one_student ? o->student_id : NULL,
                                    &subs[i]);
            if (!st) st = grade_student(&g, r, sf, files, &gs[i], res, err);
        }
        for (size_t f = 0; files && f < sf->n_files; f++)
            gc_submission_free(files[f]);
        free(files);
        if (st) goto done;
        if (!g.fixed_keys)
            for (size_t k = 0; k < gs[i].n; k++)
                if (key_index(r, gs[i].g[k].it.target.key) < 0 &&
                    (st = add_key(r, &gs[i].g[k].it.target, 1.0)))
                    goto done;
        res->seconds = seconds() - ts;
    }
    /* rows, once every key is known */
    for (size_t i = 0; i < n_stud; i++) {
        gc_grade_result *res = &r->subs[i];
        res->sub = subs[i];
        subs[i] = NULL;
        if ((st = assemble(&g, r, &gs[i], res))) goto done;
        for (size_t x = 0; x < res->sub->n_expect; x++) {
            char why[512];
            if (!expectation_met(&g, res, &res->sub->expect[x], why,
                                 sizeof why)) {
                res->unmet++;
                if ((st = append_note(&res->unmet_text, why))) goto done;
            }
        }
        r->unmet += res->unmet;
    }
    /* ids used twice: kept as separate rows, said once */
    for (size_t i = 0; i < n_stud; i++) {
        size_t same = 0, j;
        for (j = 0; j < i; j++)
            if (strcmp(r->subs[j].sub->id, r->subs[i].sub->id) == 0) break;
        if (j < i) continue;              /* told with its first */
        char paths[800] = "";
        size_t l = 0;
        for (j = i; j < n_stud; j++)
            if (strcmp(r->subs[j].sub->id, r->subs[i].sub->id) == 0) {
                same++;
                if (l < sizeof paths)
                    l += (size_t)snprintf(paths + l, sizeof paths - l, "%s%s",
                                          same > 1 ? ", " : "",
                                          r->subs[j].sub->path);
            }
        if (same > 1 &&
            (st = add_warning(r, "id %s is given by %zu submissions (%s): "
                              "they are graded as separate rows", 
                              r->subs[i].sub->id, same, paths)))
            goto done;
    }
    for (size_t k = 0; k < r->n_keys; k++) r->max_score += r->points[k];
    if ((st = summarise(&g, r))) goto done;
    r->seconds = seconds() - t0;
    st = GC_OK;

done:
    if (st && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "%s", gc_strstatus(st));
    for (size_t i = 0; gs && i < n_stud; i++) graded_free(&gs[i]);
    free(gs);
    for (size_t i = 0; subs && i < n_stud; i++) gc_submission_free(subs[i]);
    free(subs);
    gc_submission_set_clear(&set);
    for (size_t p = 0; p < g.n_points; p++) {
        if (g.theta) free(g.theta[p]);
        if (g.q) free(g.q[p]);
    }
    free(g.theta);
    free(g.q);
    free(g.losses);
    for (size_t i = 0; i < g.n_blocks; i++) free(g.blocks[i]);
    free(g.blocks);
    gc_engine_free(g.e);
    if (st) {
        gc_grade_report_free(r);
        return st;
    }
    *out = r;
    return GC_OK;
}

void gc_grade_report_free(gc_grade_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_subs; i++) {
        gc_grade_result *s = &r->subs[i];
        for (size_t k = 0; k < s->n_items; k++) {
            free(s->items[k].message);
            free(s->items[k].values);
        }
        free(s->items);
        free(s->notes);
        free(s->unmet_text);
        gc_submission_free(s->sub);
    }
    free(r->subs);
    free(r->keys);
    free(r->points);
    summary_clear(&r->summary);
    for (size_t i = 0; i < r->n_warnings; i++) free(r->warnings[i]);
    free(r->warnings);
    free(r);
}
