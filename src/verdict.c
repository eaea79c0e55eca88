/* verdict.c: the verdict rule (docs/verdicts.md).
 *
 * An entry's analytic value a is compared with the numeric central
 * difference n, whose error estimate is abserr.  With m = max(|a|, |n|):
 *
 *   nonfinite     a, n or abserr is NaN or infinite
 *   disagree      |a - n| > rtol*m + atol + k*abserr
 *   inconclusive  not disagree, but k*abserr > bar_rtol*m + atol: the error
 *                 bar is too wide for the agreement to mean anything
 *   agree         otherwise, and always when a == n exactly: an exact
 *                 match (a dead ReLU: analytic 0, every evaluation of the
 *                 loss equal, numeric 0) needs no error bar, although GSL's
 *                 round-off estimate for it is not zero
 *
 * A disagreement is re-examined with one-sided differences: if the forward
 * and backward derivatives themselves differ beyond tolerance and their
 * error bars, the loss has a kink at this point (ReLU, max, |x| exactly at a
 * hinge) and the entry is a `kink`, which never counts against a derivation.
 */
#include "gradcheck/verdict.h"

#include <math.h>
#include <string.h>

/* Defaults (docs/verdicts.md#choosing-the-tolerances): GSL's 5-point central rule
 * with our step resolves smooth losses to ~1e-10 relative, so 1e-7 leaves
 * three orders of headroom while still seeing a wrong factor of (1+1e-6). */
const gc_tol gc_tol_default = {
    .rtol = 1e-7,
    .atol = 1e-10,
    .k = 2.0,
    .bar_rtol = 1e-4,
};

static const char *const names[GC_N_VERDICTS] = {
    "agree", "disagree", "kink", "nonfinite", "inconclusive"
};

const char *gc_verdict_name(gc_verdict v)
{
    return (v >= 0 && v < GC_N_VERDICTS) ? names[v] : "?";
}

int gc_verdict_parse(const char *s)
{
    for (int v = 0; v < GC_N_VERDICTS; v++)
        if (strcmp(s, names[v]) == 0) return v;
    return -1;
}

double gc_rel_error(double a, double n, double atol)
{
    if (!isfinite(a) || !isfinite(n)) return NAN;
    double m = fmax(fabs(a), fabs(n));
    if (m <= atol) return 0.0;   /* both (near) zero: nothing to compare */
    return fabs(a - n) / m;
}

gc_verdict gc_judge(double a, double n, double abserr, const gc_tol *tol)
{
    if (!isfinite(a) || !isfinite(n) || !isfinite(abserr)) return GC_NONFINITE;
    if (a == n) return GC_AGREE;
    double m = fmax(fabs(a), fabs(n));
    double bar = tol->k * abserr;
    if (fabs(a - n) > tol->rtol * m + tol->atol + bar) return GC_DISAGREE;
    if (bar > tol->bar_rtol * m + tol->atol) return GC_INCONCLUSIVE;
    return GC_AGREE;
}

int gc_one_sided_differ(double fwd, double fwd_err, double bwd, double bwd_err,
                        const gc_tol *tol)
{
    if (!isfinite(fwd) || !isfinite(bwd)) return 0;
    double m = fmax(fabs(fwd), fabs(bwd));
    return fabs(fwd - bwd) >
           tol->rtol * m + tol->atol + tol->k * (fwd_err + bwd_err);
}
