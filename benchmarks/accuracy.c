/* accuracy.c: how close the numeric derivatives come to right analytic
 * gradients, with gradcheck's step rule, the rule before it and
 * PyTorch's (docs/performance.md, accuracy study).
 *
 * For every case in the catalogue and every derivation the case expects to
 * agree (a right derivation), at the case's given point and its random
 * points, every claimed entry's analytic value a is compared with
 *
 *   rule    gradcheck's numeric derivative (gc_engine_check_param: GSL's
 *           5-point results at h and h/2 extrapolated, first step
 *           h = 2^-6 max(|x|, 1) rounded to a power of two, retries);
 *   before  the rule before issue 14 (GC_RULE_GSL: gsl_deriv_central from
 *           2^-10 max(|x|, 1) with GSL's own refinement, same retries);
 *   torch   the 3-point central difference (f(x+h) - f(x-h)) / 2h with
 *           h = 1e-6, the rule and step of torch.autograd.gradcheck;
 *
 * by the relative error |a - n| / max(|a|, |n|).  Entries whose values are
 * both within atol (1e-10) of zero carry no relative error and are left
 * out, as are kinks (the loss is not differentiable there).  A `disagree`
 * verdict on a right derivation is a false alarm, counted for both rules;
 * so are the forward passes per entry (one-sided differences included)
 * and the entries whose true error lies outside the rule's error bar. */
#include "gradcheck.h"

#include <gsl/gsl_deriv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const gc_problem *p;
    double *theta, *work;
    size_t k;
} loss_at;

static double loss_of(double x, void *params)
{
    loss_at *l = params;
    double saved = l->theta[l->k];
    l->theta[l->k] = x;
    double v = l->p->model->forward(l->p, l->theta, NULL, NULL, l->work);
    l->theta[l->k] = saved;
    return v;
}

/* Relative errors of one model, per rule. */
typedef struct {
    const char *model;
    size_t cases, n, cap, disagree, inconclusive, nonfinite;
    size_t disagree_before, entries, passes, passes_before, outside;
    double worst_bar;      /* largest true error / error bar */
    double *err[3];
} tally;

static int push(tally *t, const double e[3])
{
    if (t->n == t->cap) {
        size_t c = t->cap ? 2 * t->cap : 256;
        for (int r = 0; r < 3; r++) {
            double *x = realloc(t->err[r], c * sizeof *x);
            if (!x) return -1;
            t->err[r] = x;
        }
        t->cap = c;
    }
    for (int r = 0; r < 3; r++) t->err[r][t->n] = e[r];
    t->n++;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void check_case(const gc_case *c, tally *t)
{
    const gc_problem *p = c->prob;
    size_t np = p->layout.params.n;
    gc_engine *e = NULL, *eb = NULL;
    double *theta = malloc(np * sizeof *theta), *grad = malloc(np * sizeof *grad);
    double *work = malloc((p->layout.work + 1) * sizeof *work);
    if (gc_engine_alloc(p, &e) || gc_engine_alloc(p, &eb) || !theta ||
        !grad || !work)
        exit(2);
    gc_step before = c->step;
    before.rule = GC_RULE_GSL;
    loss_at l = {p, theta, work, 0};
    int counted = 0;
    for (size_t i = 0; i < c->n_derivs; i++) {
        const gc_derivation_type *d = c->derivs[i].type;
        if (c->derivs[i].expect != GC_AGREE || !d->gradient) continue;
        for (long pt = 0; pt <= c->points; pt++) {
            if (pt == 0) memcpy(theta, c->theta, np * sizeof *theta);
            else gc_case_point(c, c->seed_rng, pt, theta);
            if (d->gradient(p, theta, grad, work)) continue;
            counted = 1;
            for (size_t bi = 0; bi < p->layout.params.n_blocks; bi++) {
                const gc_block *b = &p->layout.params.block[bi];
                int cov = !d->covers;
                for (size_t j = 0; d->covers && d->covers[j]; j++)
                    cov |= !strcmp(d->covers[j], b->name);
                for (size_t k = b->offset; cov && k < b->offset + b->size;
                     k++) {
                    gc_entry_check ch, cb;
                    gc_engine_check_param(e, theta, k, grad[k], &c->step,
                                          &c->tol, &ch);
                    gc_engine_check_param(eb, theta, k, grad[k], &before,
                                          &c->tol, &cb);
                    t->entries++;
                    t->disagree += ch.verdict == GC_DISAGREE;
                    t->disagree_before += cb.verdict == GC_DISAGREE;
                    t->inconclusive += ch.verdict == GC_INCONCLUSIVE;
                    t->nonfinite += ch.verdict == GC_NONFINITE;
                    if (ch.verdict == GC_KINK || ch.verdict == GC_NONFINITE ||
                        cb.verdict == GC_KINK || cb.verdict == GC_NONFINITE)
                        continue;
                    double a = grad[k];
                    l.k = k;
                    double h = 1e-6;
                    double n3 = (loss_of(theta[k] + h, &l) -
                                 loss_of(theta[k] - h, &l)) / (2 * h);
                    double m = fmax(fabs(a), fabs(ch.numeric.value));
                    if (m <= c->tol.atol) continue;
                    t->outside += !(fabs(a - ch.numeric.value) <=
                                    ch.numeric.abserr);
                    double q = fabs(a - ch.numeric.value) /
                               ch.numeric.abserr;
                    if (q > t->worst_bar) t->worst_bar = q;
                    double ev[3] = {gc_rel_error(a, ch.numeric.value, 0),
                                    gc_rel_error(a, cb.numeric.value, 0),
                                    gc_rel_error(a, n3, 0)};
                    if (push(t, ev)) exit(2);
                }
            }
        }
    }
    t->cases += counted;
    t->passes += gc_engine_passes(e);
    t->passes_before += gc_engine_passes(eb);
    gc_engine_free(e);
    gc_engine_free(eb);
    free(theta);
    free(grad);
    free(work);
}

int main(int argc, char **argv)
{
    gc_init();
    const char *dir = argc > 1 ? argv[1] : gc_cases_dir();
    char **names = NULL;
    size_t n = 0;
    if (gc_catalogue_list(dir, &names, &n)) {
        fprintf(stderr, "accuracy: %s: cannot read the case folder\n", dir);
        return 2;
    }
    tally *t = calloc(n + 1, sizeof *t);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        gc_case *c = NULL;
        gc_error err;
        if (gc_catalogue_resolve(dir, names[i], &path) ||
            gc_case_load(path, &c, &err)) {
            fprintf(stderr, "accuracy: %s: cannot load\n", names[i]);
            free(path);
            free(names[i]);
            continue;
        }
        size_t j = 0;
        while (j < nt && strcmp(t[j].model, c->model->name)) j++;
        if (j == nt) t[nt++].model = c->model->name;
        check_case(c, &t[j]);
        gc_case_free(c);
        free(path);
        free(names[i]);
    }
    free(names);
    printf("accuracy of numeric derivatives on right derivations, every "
           "claimed entry at every point of every case\n");
    printf("relative error |a - n| / max(|a|, |n|) against the analytic "
           "value: median (max); forward passes per entry\n\n");
    printf("%-23s %5s %7s  %-21s %-21s %-21s %6s %6s %8s\n", "model",
           "cases", "entries", "rule (gradcheck)", "before (GSL refines)",
           "3-point, h = 1e-6", "passes", "before", "disagree");
    tally all = {.model = "all"};
    for (size_t j = 0; j < nt; j++) {
        if (!t[j].n) continue;
        for (size_t i = 0; i < t[j].n; i++) {
            double ev[3] = {t[j].err[0][i], t[j].err[1][i], t[j].err[2][i]};
            push(&all, ev);
        }
        all.cases += t[j].cases;
        all.entries += t[j].entries;
        all.passes += t[j].passes;
        all.passes_before += t[j].passes_before;
        all.outside += t[j].outside;
        all.worst_bar = fmax(all.worst_bar, t[j].worst_bar);
        all.disagree += t[j].disagree;
        all.disagree_before += t[j].disagree_before;
        all.inconclusive += t[j].inconclusive;
        all.nonfinite += t[j].nonfinite;
    }
    double md[3] = {0, 0, 0};
    for (size_t j = 0; j <= nt; j++) {
        tally *x = j < nt ? &t[j] : &all;
        if (!x->n) continue;
        if (j == nt) printf("\n");
        printf("%-23s %5zu %7zu ", x->model, x->cases, x->n);
        for (int r = 0; r < 3; r++) {
            double mx = 0;
            for (size_t i = 0; i < x->n; i++) mx = fmax(mx, x->err[r][i]);
            md[r] = median(x->err[r], x->n);
            printf(" %9.2e (%8.1e)", md[r], mx);
        }
        printf(" %6.2f %6.2f %4zu %3zu\n",
               (double)x->passes / (double)x->entries,
               (double)x->passes_before / (double)x->entries, x->disagree,
               x->disagree_before);
    }
    printf("\nmedian relative error: torch's 3-point rule / gradcheck's rule "
           "%.0fx, the rule before / gradcheck's rule %.0fx\n",
           md[2] / md[0], md[1] / md[0]);
    printf("disagree: entries of right derivations judged `disagree` (false "
           "alarms), by the rule and by the rule before; %zu inconclusive, "
           "%zu nonfinite;\nthe true error outside the rule's error bar: "
           "%zu of %zu entries, at most %.2g times the bar\n",
           all.inconclusive, all.nonfinite, all.outside, all.n,
           all.worst_bar);
    for (size_t j = 0; j <= nt; j++)
        for (int r = 0; r < 3; r++) free(j < nt ? t[j].err[r] : all.err[r]);
    free(t);
    return 0;
}
