/* screen.c: screening parameter blocks along random directions, and
 * localising a wrong entry by bisection.
 *
 * For a block B of parameter entries and a direction v supported on B, the
 * derivative of the loss along v is
 *
 *   d/dt L(theta + t v) |_{t=0} = sum_{k in B} g_k v_k = g_B . v,
 *
 * so a derivation's gradient restricted to B can be compared with one
 * numeric derivative (gc_engine_direction_central: GSL's central
 * difference along v, with its error bar) instead of |B| of them.  If the
 * derivation is wrong by e_k in some entries, the two differ by
 * sum_k e_k v_k.  With v_k independent standard normal numbers this is
 * zero only with probability zero, and it is small against the verdict
 * tolerance rtol |g.v| + k abserr (|g.v| is typically ||g_B||_2) when the
 * wrong entries' errors are small against rtol ||g_B||_2, or when several
 * errors nearly cancel along v.  Several independent directions (3 by
 * default) make an unlucky near-cancellation improbable; they do nothing
 * for errors below the block's tolerance (docs/screening.md).
 *
 * A block that does not agree along every direction is halved and both
 * halves are screened with fresh directions; the wrong entries' share of
 * the block grows as the parts shrink, so each level sees them better.
 * Parts of at most `leaf` entries are checked entry by entry with the full
 * mode's check (GSL per entry, verdict, one-sided differences for kinks):
 * those are the entries the screening names, and only their verdicts decide
 * the derivation's.  A part whose screen disagreed only by chance (a kink
 * on the path of v, an inconclusive error bar) is thus cleared by its
 * entries.  One wrong entry among N costs about
 *   (blocks + 2 log2(N_block / leaf)) * directions * (passes per
 *   derivative, 4 to 8) + leaf * (passes per entry)
 * forward passes, against about 8 N for the full mode.
 *
 * Directions are drawn from a stream seeded by (seed, a, b, r) for part
 * [a, b) and direction r, so they do not depend on the number of threads,
 * on the order in which parts are screened, or on other blocks.  The
 * derivatives of one level run together on the exec's threads, batched
 * through the model's forward_batch_dir when the exec batches (batch.c).
 */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/exec.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/run.h"
#include "gradcheck/screen.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "parallel.h"

#include <stdio.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

gc_screen_options gc_screen_options_default(void)
{
    gc_screen_options d = {.directions = 3, .seed = 1, .leaf = 4};
    return d;
}

/* splitmix64's finaliser: a seed for each (seed, a, b, r). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* What the screening tasks of one level share. */
typedef struct {
    const double *theta, *grad;
    const gc_tol *tol;
    const gc_step *step;
    int R;
    gc_screen_block *s;      /* this level's parts */
    const double *v;       /* v of part s, direction r: v + r*np + s->a */
    size_t np;
    const size_t *named;   /* confirm: entries to check */
    gc_entry_check *entries;
} level;

/* Screen the n parts s[] of one level along R directions each (v of part
 * s, direction r at v + r*np + s->a): the numeric derivatives on the
 * exec's threads, batched where the model can, then g.v and the verdicts.
 * ja, jlen, jv, jd hold n*R jobs. */
static int screen_level(gc_exec *x, const level *L, size_t n, size_t *ja,
                        size_t *jlen, const double **jv, gc_deriv *jd)
{
    size_t R = (size_t)L->R;
    for (size_t i = 0; i < n * R; i++) {
        const gc_screen_block *s = &L->s[i / R];
        ja[i] = s->a;
        jlen[i] = s->b - s->a;
        jv[i] = L->v + (i % R) * L->np + s->a;
    }
    int st = gc_exec_direction_central(x, L->theta, ja, jlen, jv, n * R, jd);
    if (st) return st;
    for (size_t i = 0; i < n * R; i++) {
        gc_screen_block *s = &L->s[i / R];
        int r = (int)(i % R);
        double a = 0;
        for (size_t k = 0; k < jlen[i]; k++) a += L->grad[s->a + k] * jv[i][k];
        const gc_deriv *d = &jd[i];
        s->analytic[r] = a;
        s->numeric[r] = *d;
        s->rel_error[r] = gc_rel_error(a, d->value, L->tol->atol);
        s->dverdict[r] = d->status ? GC_NONFINITE
                                   : gc_judge(a, d->value, d->abserr, L->tol);
    }
    return GC_OK;
}

static int confirm_task(gc_engine *e, size_t i, void *ctx)
{
    level *L = ctx;
    size_t k = L->named[i];
    return gc_engine_check_param(e, L->theta, k, L->grad[k], L->step, L->tol,
                                 &L->entries[i]);
}

void gc_screen_point_clear(gc_screen_point *pt)
{
    if (!pt) return;
    free(pt->screens);
    free(pt->named);
    free(pt->entries);
    pt->screens = NULL;
    pt->named = NULL;
    pt->entries = NULL;
    pt->n_screens = pt->n_named = 0;
}

/* Append n parts to the list of screens. */
static int grow(gc_screen_block **s, size_t *n, size_t *cap, size_t more)
{
    if (*n + more <= *cap) return GC_OK;
    size_t c = *cap ? *cap : 64;
    while (c < *n + more) c *= 2;
    gc_screen_block *t = realloc(*s, c * sizeof *t);
    if (!t) return GC_ENOMEM;
    *s = t;
    *cap = c;
    return GC_OK;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int gc_screen_at_point(gc_exec *x, const double *theta, const double *grad,
                        const unsigned char *claimed, const gc_tol *tol,
                        const gc_screen_options *d, gc_screen_point *out)
{
    const gc_problem *p = gc_exec_problem(x);
    const gc_blocks *B = &p->layout.params;
    size_t np = B->n;
    int R = d->directions < 1 ? 1 : d->directions > GC_SCREEN_MAX_DIRS
                                        ? GC_SCREEN_MAX_DIRS : d->directions;
    size_t leaf = d->leaf ? d->leaf : 1;
    double t0 = now();
    size_t passes0 = gc_exec_passes(x);
    memset(out->counts, 0, sizeof out->counts);
    out->screens = NULL;
    out->named = NULL;
    out->entries = NULL;
    out->n_screens = out->n_named = 0;
    out->verdict = GC_AGREE;

    gc_screen_block *cur = NULL, *next = NULL;
    size_t n_cur = 0, n_next = 0, cap_cur = 0, cap_next = 0, cap_all = 0;
    size_t *ja = NULL, *jlen = NULL, cap_jobs = 0;   /* one level's jobs */
    const double **jv = NULL;
    gc_deriv *jd = NULL;
    double *v = malloc((size_t)R * (np ? np : 1) * sizeof *v);
    unsigned char *mark = calloc(np ? np : 1, 1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int st = v && mark && rng ? GC_OK : GC_ENOMEM;
    const gc_step *step = gc_exec_step(x);

    /* level 0: the runs of claimed entries of every block */
    for (size_t bi = 0; bi < B->n_blocks && !st; bi++) {
        const gc_block *b = &B->block[bi];
        size_t k = b->offset, end = b->offset + b->size;
        while (k < end && !st) {
            while (k < end && claimed && !claimed[k]) k++;
            size_t a = k;
            while (k < end && (!claimed || claimed[k])) k++;
            if (k > a && !(st = grow(&cur, &n_cur, &cap_cur, 1)))
                cur[n_cur++] = (gc_screen_block){.a = a, .b = k, .depth = 0,
                                               .n_dirs = R};
        }
    }
    while (n_cur && !st) {
        /* fresh directions for every part of this level */
        for (size_t i = 0; i < n_cur; i++)
            for (int r = 0; r < R; r++) {
                gc_screen_block *s = &cur[i];
                gsl_rng_set(rng, (unsigned long)mix(
                    mix(mix(mix(d->seed) ^ s->a) ^ s->b) ^ (uint64_t)r));
                double *vr = v + (size_t)r * np + s->a;
                for (size_t k = 0; k < s->b - s->a; k++)
                    vr[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            }
        level L = {.theta = theta, .grad = grad, .tol = tol, .step = step,
                   .R = R, .s = cur, .v = v, .np = np};
        if (n_cur * (size_t)R > cap_jobs) {
            cap_jobs = 2 * n_cur * (size_t)R;
            size_t *na = realloc(ja, cap_jobs * sizeof *ja);
            if (na) ja = na;
            size_t *nl = realloc(jlen, cap_jobs * sizeof *jlen);
            if (nl) jlen = nl;
            const double **nv = realloc(jv, cap_jobs * sizeof *jv);
            if (nv) jv = nv;
            gc_deriv *nd = realloc(jd, cap_jobs * sizeof *jd);
            if (nd) jd = nd;
            if (!na || !nl || !nv || !nd) { st = GC_ENOMEM; break; }
        }
        if ((st = screen_level(x, &L, n_cur, ja, jlen, jv, jd))) break;
        n_next = 0;
        for (size_t i = 0; i < n_cur && !st; i++) {
            gc_screen_block *s = &cur[i];
            s->verdict = GC_AGREE;
            for (int r = 0; r < R && s->verdict == GC_AGREE; r++)
                s->verdict = s->dverdict[r];
            if (s->verdict == GC_AGREE) continue;
            if (s->b - s->a <= leaf) {
                memset(mark + s->a, 1, s->b - s->a);
                continue;
            }
            size_t mid = s->a + (s->b - s->a) / 2;
            if ((st = grow(&next, &n_next, &cap_next, 2))) break;
            next[n_next++] = (gc_screen_block){.a = s->a, .b = mid,
                                             .depth = s->depth + 1,
                                             .n_dirs = R};
            next[n_next++] = (gc_screen_block){.a = mid, .b = s->b,
                                             .depth = s->depth + 1,
                                             .n_dirs = R};
        }
        if (st || (st = grow(&out->screens, &out->n_screens, &cap_all,
                             n_cur)))
            break;
        memcpy(out->screens + out->n_screens, cur, n_cur * sizeof *cur);
        out->n_screens += n_cur;
        gc_screen_block *t = cur;
        cur = next;
        next = t;
        size_t tc = cap_cur;
        cap_cur = cap_next;
        cap_next = tc;
        n_cur = n_next;
    }

    /* the named entries, checked one by one */
    size_t n_named = 0;
    for (size_t k = 0; k < np && !st; k++) n_named += mark[k];
    if (!st && n_named) {
        out->named = malloc(n_named * sizeof *out->named);
        out->entries = calloc(n_named, sizeof *out->entries);
        if (!out->named || !out->entries) st = GC_ENOMEM;
        for (size_t k = 0; k < np && !st; k++)
            if (mark[k]) out->named[out->n_named++] = k;
        level L = {.theta = theta, .grad = grad, .tol = tol, .step = step,
                   .named = out->named, .entries = out->entries};
        if (!st) st = gc_exec_for(x, n_named, confirm_task, &L);
    }
    for (size_t i = 0; i < out->n_named && !st; i++)
        out->counts[out->entries[i].verdict]++;
    out->verdict = out->counts[GC_DISAGREE] ? GC_DISAGREE
                 : out->counts[GC_NONFINITE] ? GC_NONFINITE
                 : out->counts[GC_INCONCLUSIVE] ? GC_INCONCLUSIVE : GC_AGREE;
    out->passes = gc_exec_passes(x) - passes0;
    out->seconds = now() - t0;
    free(cur);
    free(next);
    free(ja);
    free(jlen);
    free(jv);
    free(jd);
    free(v);
    free(mark);
    gsl_rng_free(rng);
    if (st) gc_screen_point_clear(out);
    return st;
}

int gc_screen_run_case(const gc_case *c, const gc_run_options *opt,
                    const gc_screen_options *d, gc_screen_report **out,
                    gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", c->path);
    const gc_layout *L = &c->prob->layout;
    size_t np = L->params.n;
    gc_exec *x = NULL;
    double *grad = NULL, *work = NULL;
    unsigned char *claimed = NULL;
    int st = GC_ENOMEM;

    gc_screen_report *r = calloc(1, sizeof *r);
    if (!r) return GC_ENOMEM;
    r->c = c;
    r->tol = opt->have_tol ? opt->tol : c->tol;
    r->seed = opt->seed >= 0 ? opt->seed : (long)c->seed_rng;
    r->n_points = 1 + (size_t)(opt->points >= 0 ? opt->points : c->points);
    r->dir = *d;
    if ((st = gc_exec_alloc(c->prob, &c->step, opt->threads, opt->batch, &x)))
        goto done;
    r->threads = gc_exec_threads(x);
    st = GC_ENOMEM;
    grad = malloc((np ? np : 1) * sizeof *grad);
    work = malloc((L->work ? L->work : 1) * sizeof *work);
    claimed = malloc(np ? np : 1);
    r->derivs = calloc(c->n_derivs ? c->n_derivs : 1, sizeof *r->derivs);
    if (!grad || !work || !claimed || !r->derivs) goto done;

    for (size_t i = 0; i < c->n_derivs; i++) {
        const gc_derivation_type *t = c->derivs[i].type;
        gc_screen_derivation *dd = &r->derivs[r->n_derivs++];
        dd->type = t;
        dd->expect = c->derivs[i].expect;
        dd->no_expect = c->derivs[i].no_expect;
        dd->verdict = GC_AGREE;
        dd->points = calloc(r->n_points, sizeof *dd->points);
        if (!dd->points) { st = GC_ENOMEM; goto done; }
        /* the blocks the derivation gives formulas for */
        memset(claimed, 0, np ? np : 1);
        for (size_t b = 0; t->gradient && b < L->params.n_blocks; b++) {
            const gc_block *blk = &L->params.block[b];
            int cov = !t->covers;
            for (size_t j = 0; t->covers && t->covers[j]; j++)
                cov |= strcmp(t->covers[j], blk->name) == 0;
            if (cov) {
                memset(claimed + blk->offset, 1, blk->size);
                dd->n_claimed += blk->size;
            }
        }
        if (t->claims_params) {      /* some entries of a block only */
            dd->n_claimed = 0;
            for (size_t k = 0; k < np; k++)
                dd->n_claimed += claimed[k] &= t->claims_params[k];
        }
        size_t counts[GC_N_VERDICTS] = {0};
        for (size_t p = 0; p < r->n_points; p++) {
            gc_screen_point *pt = &dd->points[p];
            pt->theta = malloc((np ? np : 1) * sizeof *pt->theta);
            if (!pt->theta) { st = GC_ENOMEM; goto done; }
            if (p == 0) memcpy(pt->theta, c->theta, np * sizeof *pt->theta);
            else gc_case_point(c, (unsigned long)r->seed, (long)p, pt->theta);
            if (!dd->n_claimed) continue;   /* states only Jacobians */
            for (size_t k = 0; k < np; k++) grad[k] = NAN;
            if ((st = t->gradient(c->prob, pt->theta, grad, work))) {
                snprintf(err->msg, sizeof err->msg, "derivation %s of model "
                         "%s cannot run with this case's shapes (%s)",
                         t->name, c->model->name, gc_strstatus(st));
                st = GC_EDERIV;
                goto done;
            }
            if ((st = gc_screen_at_point(x, pt->theta, grad, claimed,
                                          &r->tol, d, pt)))
                goto done;
            for (int v = 0; v < GC_N_VERDICTS; v++) counts[v] += pt->counts[v];
            dd->passes += pt->passes;
        }
        dd->verdict = counts[GC_DISAGREE] ? GC_DISAGREE
                    : counts[GC_NONFINITE] ? GC_NONFINITE
                    : counts[GC_INCONCLUSIVE] ? GC_INCONCLUSIVE : GC_AGREE;
        r->passes += dd->passes;
        dd->unscreened = (t->jacobians && t->jacobians[0].of) ||
                         (t->hessians && t->hessians[0].of);
        /* a wrong Hessian (or Jacobian) under a right gradient: the screen
         * agrees and cannot say otherwise, so that is no unmet
         * expectation; --mode full checks the rest */
        int cannot_tell = dd->unscreened && dd->verdict == GC_AGREE &&
                          dd->expect == GC_DISAGREE && !dd->no_expect;
        if (dd->n_claimed && dd->verdict != dd->expect && !cannot_tell)
            r->unmet++;
    }
    st = GC_OK;

done:
    gc_exec_free(x);
    free(grad);
    free(work);
    free(claimed);
    if (st) {
        if (!err->msg[0])
            snprintf(err->msg, sizeof err->msg, "%s", gc_strstatus(st));
        gc_screen_report_free(r);
        return st;
    }
    *out = r;
    return GC_OK;
}

void gc_screen_report_free(gc_screen_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_derivs; i++) {
        gc_screen_derivation *dd = &r->derivs[i];
        for (size_t p = 0; dd->points && p < r->n_points; p++) {
            free(dd->points[p].theta);
            gc_screen_point_clear(&dd->points[p]);
        }
        free(dd->points);
    }
    free(r->derivs);
    free(r);
}
