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
} grader;

/* One answer being graded. */
typedef struct {
    gc_grade_item it;
    int failed;              /* invalid (or a C failure): no more checks */
    int point_bad;           /* some entry not agreeing at this point */
    int bad_at0, bad_later;  /* disagreed at the given / a random point */
    /* the entry to tell the student about: first disagreement, else first
     * other trouble */
    int have_worst, worst_verdict;
    long worst_point;
    size_t worst_entry;
    double worst_a, worst_n, worst_err;
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

/* Check every entry of an answer at point p; a[] are its values. */
static int check_answer(grader *g, grading *gr, long p, const double *a)
{
    const gc_target *t = &gr->it.target;
    const gc_case *c = g->c;
    const double *theta = g->theta[p], *q = g->q[p];
    int st = GC_OK, bad = 0;
    long out = -2;
    for (size_t flat = 0; flat < t->n && !st; flat++) {
        if (isnan(a[flat])) continue;    /* an entry the answer omits */
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
        if (ch.verdict != GC_KINK && isfinite(ch.rel_error) &&
            ch.rel_error > gr->it.max_rel_error)
            gr->it.max_rel_error = ch.rel_error;
        if (ch.verdict == GC_AGREE || ch.verdict == GC_KINK) continue;
        bad = 1;
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

/* The verdict and the student's message once every point is checked. */
static void conclude(const grader *g, grading *gr)
{
    gc_grade_item *it = &gr->it;
    if (gr->failed) return;
    const size_t *n = it->counts;
    it->verdict = n[GC_DISAGREE] ? GC_GRADE_DISAGREE
                : n[GC_NONFINITE] ? GC_GRADE_NONFINITE
                : n[GC_INCONCLUSIVE] ? GC_GRADE_INCONCLUSIVE : GC_GRADE_AGREE;
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
    case GC_GRADE_DISAGREE:
        set_msg(it, "wrong: at %s, %s is %.6g by this answer but %.6g "
                "(+- %.1e) numerically; %zu of %zu checks disagree%s%s",
                pt, en, gr->worst_a, gr->worst_n, gr->worst_err,
                n[GC_DISAGREE], it->checks,
                !gr->bad_at0 && gr->bad_later
                    ? ". It agrees at the case's own point, so it only "
                      "coincides there" : "", kinks);
        break;
    case GC_GRADE_NONFINITE:
        set_msg(it, "not checked: the numerical derivative of %s is not "
                "finite at %s (the loss overflows there)", en, pt);
        break;
    case GC_GRADE_INCONCLUSIVE:
        set_msg(it, "undecided: at %s the numerical derivative of %s is "
                "%.6g +- %.1e, too uncertain to judge %.6g; please check by "
                "hand", pt, en, gr->worst_n, gr->worst_err, gr->worst_a);
        break;
    default:
        break;
    }
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
    for (size_t i = 0; i < s->n; i++) free(s->g[i].it.message);
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
    return gr;
}

static void whole(graded *s, gc_grade_verdict v, const char *detail,
                  const char *msg)
{
    s->whole_failed = 1;
    s->whole_verdict = v;
    snprintf(s->whole_detail, sizeof s->whole_detail, "%s",
             detail ? detail : "");
    free(s->whole_msg);
    s->whole_msg = strdup(msg ? msg : "");
}

static int grade_formulas(grader *g, gc_submission *sub, graded *s,
                          char **notes)
{
    const gc_problem *p = g->c->prob;
    const char *names[GC_MAX_BLOCKS + 16];
    size_t nn = 0;
    for (size_t i = 0; i < g->n_losses && nn + 2 < sizeof names / sizeof *names; i++)
        names[nn++] = g->losses[i];
    if (sub->loss) names[nn++] = sub->loss;
    names[nn] = NULL;
    gc_fx_program *P = NULL;
    gc_error err;
    int st = gc_fx_compile(p, sub->path, sub->text, sub->len, g->loss, names,
                           &P, &err);
    if (st == GC_ENOMEM) return st;
    char buf[1024];
    if (st) {
        where(&err, buf, sizeof buf);
        whole(s, GC_GRADE_INVALID, NULL, buf);
        return GC_OK;
    }
    for (size_t i = 0; i < gc_fx_n_notes(P); i++) {
        where(gc_fx_note(P, i), buf, sizeof buf);
        char line[1100];
        snprintf(line, sizeof line, "not graded: %s", buf);
        if ((st = append_note(notes, line))) goto done;
    }
    size_t na = gc_fx_n_answers(P);
    size_t first = s->n;
    size_t maxn = 1;
    for (size_t i = 0; i < na; i++) {
        grading *gr = add_grading(s, gc_fx_answer_target(P, i));
        if (!gr) { st = GC_ENOMEM; goto done; }
        gr->it.line = gc_fx_answer_line(P, i);
        const gc_error *ae = gc_fx_answer_error(P, i);
        if (ae) {
            where(ae, buf, sizeof buf);
            fail_item(gr, GC_GRADE_INVALID, NULL, buf);
        }
        if (gr->it.target.n > maxn) maxn = gr->it.target.n;
    }
    double *vals = malloc(maxn * sizeof *vals);
    if (!vals) { st = GC_ENOMEM; goto done; }
    for (size_t pt = 0; pt < g->n_points && !st; pt++) {
        gc_fx_set_point(P, g->theta[pt], g->q[pt]);
        for (size_t i = 0; i < na && !st; i++) {
            grading *gr = &s->g[first + i];
            if (gr->failed) continue;
            int es = gc_fx_answer_eval(P, i, vals, &err);
            if (es == GC_ENOMEM) { st = es; break; }
            if (es) {
                char pt_text[512];
                point_text(g, (long)pt, pt_text, sizeof pt_text);
                where(&err, buf, sizeof buf);
                char m[1700];
                snprintf(m, sizeof m, "%s (at %s)", buf, pt_text);
                fail_item(gr, GC_GRADE_INVALID, NULL, m);
                continue;
            }
            st = check_answer(g, gr, (long)pt, vals);
        }
    }
    free(vals);
    for (size_t i = 0; i < na; i++) conclude(g, &s->g[first + i]);
done:
    gc_fx_program_free(P);
    return st;
}

static int grade_c(grader *g, gc_submission *sub, graded *s, char **notes,
                   gc_error *err)
{
    const gc_layout *L = &g->c->prob->layout;
    gc_csub_options co = {.cc = g->o->cc, .run = &g->o->run,
                          .compile = &g->o->compile};
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

/* ------------------------------------------------------------ the batch */

static int key_index(const gc_grade_report *r, const char *key)
{
    for (size_t i = 0; i < r->n_keys; i++)
        if (strcmp(r->keys[i].key, key) == 0) return (int)i;
    return -1;
}

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
    size_t nn = 0;
    for (size_t i = 0; i < g->n_losses && nn + 2 < sizeof names / sizeof *names; i++)
        names[nn++] = g->losses[i];
    if (res->sub->loss) names[nn++] = res->sub->loss;
    names[nn] = NULL;
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
static int assemble(const gc_grade_report *r, graded *s, gc_grade_result *res)
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
            used[found] = 1;
        } else {
            memset(it, 0, sizeof *it);
            it->target = r->keys[k];
            it->bad_point = -1;
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
        it->graded = 1;
        res->score += it->score;
        res->max_score += it->max_score;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (used[i]) continue;
        gc_grade_item *it = &res->items[res->n_items++];
        *it = s->g[i].it;
        s->g[i].it.message = NULL;
        it->max_score = it->score = 0;
        it->graded = 0;
    }
    free(used);
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

/* Grade the submission at path into gs; *sub receives it.  Without fixed
 * keys, the answers it gives become keys of the report. */
static int grade_one(grader *g, gc_grade_report *r, const char *path,
                     int fixed_keys, gc_submission **sub, graded *gs,
                     gc_grade_result *res, gc_error *err)
{
    const gc_case *c = g->c;
    int st = gc_submission_load(path, sub);
    if (st) return st;
    gc_submission *s = *sub;
    char buf[1024];
    if (s->bad) {
        where(&s->error, buf, sizeof buf);
        whole(gs, GC_GRADE_INVALID, NULL, buf);
    } else if (s->case_name && strcmp(s->case_name, c->name) != 0) {
        snprintf(buf, sizeof buf, "the submission answers case %s, not "
                 "%s", s->case_name, c->name);
        whole(gs, GC_GRADE_INVALID, NULL, buf);
    } else if (s->kind == GC_SUB_C) {
        if (!fixed_keys && (st = c_keys(g, r))) return st;
        if ((st = grade_c(g, s, gs, &res->notes, err))) return st;
    } else if ((st = grade_formulas(g, s, gs, &res->notes))) {
        return st;
    }
    if (!fixed_keys)
        for (size_t k = 0; k < gs->n; k++)
            if (key_index(r, gs->g[k].it.target.key) < 0 &&
                (st = add_key(r, &gs->g[k].it.target, 1.0)))
                return st;
    return GC_OK;
}

/* The report's row of a graded submission, once every key is known, with
 * its expect: entries checked. */
static int grade_row(grader *g, gc_grade_report *r, graded *gs,
                     gc_grade_result *res)
{
    int st = assemble(r, gs, res);
    if (st) return st;
    for (size_t x = 0; x < res->sub->n_expect; x++) {
        char why[512];
        if (!expectation_met(g, res, &res->sub->expect[x], why,
                             sizeof why)) {
            res->unmet++;
            if ((st = append_note(&res->unmet_text, why))) return st;
        }
    }
    r->unmet += res->unmet;
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
    char **paths = NULL;
    size_t n_paths = 0;
    int st = gc_submission_collect(args, n_args, &paths, &n_paths, err);
    if (st) return st;
    if (n_paths == 0) {
        snprintf(err->msg, sizeof err->msg, "no submission files (*.txt, *.c) "
                 "in the folders given");
        free(paths);
        return GC_ENOTFOUND;
    }

    gc_grade_report *r = calloc(1, sizeof *r);
    graded *gs = calloc(n_paths, sizeof *gs);
    gc_submission **subs = calloc(n_paths, sizeof *subs);
    grader g;
    memset(&g, 0, sizeof g);
    g.c = c;
    g.o = o;
    st = GC_ENOMEM;
    if (!r || !gs || !subs) goto done;
    r->c = c;
    if ((st = grader_points(&g, r)) || (st = grader_case_keys(&g, r)))
        goto done;
    int fixed_keys = r->n_keys > 0;

    st = GC_ENOMEM;
    r->subs = calloc(n_paths, sizeof *r->subs);
    if (!r->subs) goto done;
    for (size_t i = 0; i < n_paths; i++) {
        if (o->progress) o->progress(o->progress_ctx, i, n_paths, paths[i]);
        double ts = seconds();
        gc_grade_result *res = &r->subs[r->n_subs++];
        if ((st = grade_one(&g, r, paths[i], fixed_keys, &subs[i], &gs[i],
                            res, err)))
            goto done;
        res->seconds = seconds() - ts;
    }
    for (size_t i = 0; i < n_paths; i++) {
        r->subs[i].sub = subs[i];
        subs[i] = NULL;
        if ((st = grade_row(&g, r, &gs[i], &r->subs[i]))) goto done;
    }
    for (size_t k = 0; k < r->n_keys; k++) r->max_score += r->points[k];
    r->seconds = seconds() - t0;
    st = GC_OK;

done:
    if (st && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "%s", gc_strstatus(st));
    for (size_t i = 0; gs && i < n_paths; i++) graded_free(&gs[i]);
    free(gs);
    for (size_t i = 0; subs && i < n_paths; i++) gc_submission_free(subs[i]);
    free(subs);
    for (size_t i = 0; i < n_paths; i++) free(paths[i]);
    free(paths);
    for (size_t p = 0; p < g.n_points; p++) {
        if (g.theta) free(g.theta[p]);
        if (g.q) free(g.q[p]);
    }
    free(g.theta);
    free(g.q);
    free(g.losses);
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
        for (size_t k = 0; k < s->n_items; k++) free(s->items[k].message);
        free(s->items);
        free(s->notes);
        free(s->unmet_text);
        gc_submission_free(s->sub);
    }
    free(r->subs);
    free(r->keys);
    free(r->points);
    free(r);
}
