/* step_sweep.c: the error of a numeric derivative against its step, for one
 * entry of one case (scripts/plot-step draws it).
 *
 * For h = 2^-1 .. 2^-44 it prints the relative error, against the right
 * derivation's analytic value, of
 *   the 3-point central difference  (f(x+h) - f(x-h)) / 2h,
 *     truncation ~ h^2 f'''/6, round-off ~ eps |f| / h;
 *   the 5-point central difference
 *     (f(x-h) - 8 f(x-h/2) + 8 f(x+h/2) - f(x+h)) / 6h,
 *     truncation ~ h^4 f^(5)/2880, round-off ~ 3 eps |f| / h;
 *   gsl_deriv_central at h (the 5-point rule plus GSL's refinement), and
 *     GSL's error estimate abserr, relative;
 * so the truncation/round-off "V" of each rule shows, with its minimum
 * near h ~ eps^(1/3) for 3 points and eps^(1/5) for 5.  These two formulas
 * are written out here because they are what the plot is about; gradcheck
 * itself only ever calls GSL.  A final comment line gives the step the
 * engine's rule starts from and the error of its result.
 *
 * Usage: step_sweep [CASE [DERIVATION [ENTRY]]]
 *        (default lstm_001_6_4 corrected U_f[1][1]) */
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

int main(int argc, char **argv)
{
    gc_init();
    const char *name = argc > 1 ? argv[1] : "lstm_001_6_4";
    const char *dname = argc > 2 ? argv[2] : "corrected";
    const char *ename = argc > 3 ? argv[3] : "U_f[1][1]";
    char *path = NULL;
    gc_case *c = NULL;
    gc_error err;
    if (gc_catalogue_resolve(gc_cases_dir(), name, &path) ||
        gc_case_load(path, &c, &err)) {
        fprintf(stderr, "step_sweep: %s: no such case\n", name);
        return 2;
    }
    const gc_derivation_type *d = gc_derivation_find(c->model, dname);
    const gc_problem *p = c->prob;
    size_t k;
    int whole;
    if (!d || !d->gradient ||
        gc_entry_parse(&p->layout.params, ename, &k, &whole)) {
        fprintf(stderr, "step_sweep: %s: no derivation %s with a gradient, "
                "or no parameter entry %s\n", name, dname, ename);
        return 2;
    }
    size_t np = p->layout.params.n;
    double *theta = malloc(np * sizeof *theta), *grad = malloc(np * sizeof *grad);
    double *work = malloc((p->layout.work + 1) * sizeof *work);
    memcpy(theta, c->theta, np * sizeof *theta);
    d->gradient(p, theta, grad, work);
    double a = grad[k], x = theta[k];
    loss_at l = {p, theta, work, k};
    gsl_function F = {loss_of, &l};
    printf("# case %s, derivation %s, entry %s = %.17g, analytic %.17g, "
           "loss %.17g\n", name, dname, ename, x, a, loss_of(x, &l));
    printf("# h  err_3point  err_5point  err_gsl  abserr_gsl (relative to "
           "|analytic|)\n");
    for (int e = 1; e <= 44; e++) {
        double h = ldexp(1.0, -e);
        double n3 = (loss_of(x + h, &l) - loss_of(x - h, &l)) / (2 * h);
        double n5 = (loss_of(x - h, &l) - 8 * loss_of(x - h / 2, &l) +
                     8 * loss_of(x + h / 2, &l) - loss_of(x + h, &l)) /
                    (6 * h);
        double ng, eg;
        gsl_deriv_central(&F, x, h, &ng, &eg);
        /* an exact result is drawn at the plot's floor */
        printf("%.6e %.6e %.6e %.6e %.6e\n", h,
               fmax(fabs(n3 - a) / fabs(a), 1e-17),
               fmax(fabs(n5 - a) / fabs(a), 1e-17),
               fmax(fabs(ng - a) / fabs(a), 1e-17), eg / fabs(a));
    }
    gc_engine *en = NULL;
    gc_deriv r;
    gc_engine_alloc(p, &en);
    gc_engine_param_central(en, theta, k, &c->step, &r);
    double h0 = c->step.h_rel * fmax(fabs(x), c->step.h_floor);
    int ex;
    frexp(h0, &ex);
    printf("# rule: start h %.6e, result error %.6e, abserr %.6e\n",
           ldexp(1.0, ex - 1), fmax(fabs(r.value - a) / fabs(a), 1e-17),
           r.abserr / fabs(a));
    gc_engine_free(en);
    gc_case_free(c);
    free(path);
    free(theta);
    free(grad);
    free(work);
    return 0;
}
