/* stepstudy.c: the error of a numeric derivative against its step, for one
 * parameter entry (the HTML report's step plot; scripts/plot-step draws the
 * same study with more rules from benchmarks/step_sweep.c).
 *
 * For h = s 2^-1, s 2^-2, ..., s 2^-n with s = max(|x|, 1), the loss along
 * entry k goes through the engine (gc_engine_loss) into GSL's
 * gsl_deriv_central at h, and the result is compared with the analytic
 * value a: relative difference |n(h) - a| / max(|a|, |n(h)|, atol), and
 * GSL's error estimate relative to the same scale.  Large h: truncation
 * (~ h^4 f^(5)) dominates and the error falls as h shrinks; small h:
 * round-off (~ eps |L| / h) dominates and it grows again -- the "V" whose
 * bottom the engine's step rule aims for.  A wrong derivation shows as a
 * floor no step gets under.  The engine's own result (its rule and
 * retries, gc_engine_param_central) is returned beside the sweep. */
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "gradcheck/stepstudy.h"

#include <gsl/gsl_deriv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gc_engine *e;
    double *theta;
    size_t k;
} along_entry;

static double loss_along(double x, void *params)
{
    along_entry *l = params;
    double saved = l->theta[l->k];
    l->theta[l->k] = x;
    double v = gc_engine_loss(l->e, l->theta, NULL, NULL);
    l->theta[l->k] = saved;
    return v;
}

static double rel_to(double v, double a, double atol)
{
    double m = fmax(fmax(fabs(a), fabs(v)), atol);
    return m > 0 ? fabs(v - a) / m : 0;
}

int gc_step_study(const gc_problem *p, const double *theta, size_t k,
                  double analytic, const gc_step *rule, double atol,
                  gc_step_study_t *out)
{
    memset(out, 0, sizeof *out);
    if (k >= p->layout.params.n) return GC_EINVAL;
    gc_engine *e = NULL;
    size_t np = p->layout.params.n;
    double *t = malloc(np * sizeof *t);
    int st = t ? gc_engine_alloc(p, &e) : GC_ENOMEM;
    if (st) { free(t); return st; }
    memcpy(t, theta, np * sizeof *t);
    along_entry l = {e, t, k};
    gsl_function F = {loss_along, &l};
    double x = theta[k], s = fmax(fabs(x), 1.0);
    for (int i = 0; i < GC_STEP_STUDY_N; i++) {
        double h = ldexp(s, -(i + 1)), v = NAN, err = NAN;
        gsl_deriv_central(&F, x, h, &v, &err);
        double m = fmax(fmax(fabs(analytic), fabs(v)), atol);
        out->h[i] = h;
        out->rel_error[i] = rel_to(v, analytic, atol);
        out->rel_abserr[i] = m > 0 ? err / m : err;
    }
    gc_deriv r;
    st = gc_engine_param_central(e, theta, k, rule, &r);
    if (!st) {
        double m = fmax(fmax(fabs(analytic), fabs(r.value)), atol);
        out->engine_rel_error = rel_to(r.value, analytic, atol);
        out->engine_rel_abserr = m > 0 ? r.abserr / m : r.abserr;
        /* the rule's starting step (engine.c): h_rel max(|x|, h_floor),
         * rounded down to a power of two */
        int ex;
        frexp(rule->h_rel * fmax(fabs(x), rule->h_floor), &ex);
        out->engine_h = ldexp(1.0, ex - 1);
    }
    gc_engine_free(e);
    free(t);
    return st;
}
