/* run.c: running a case.  For every derivation and every point (the case's
 * own and the seeded random ones) each claimed parameter entry is checked
 * against the numeric derivative; where the derivation also claims
 * dL/d(quantity), the quantities are checked too and the first place it goes
 * wrong, walking backwards from the loss, is located.  Claims compare the
 * homework's stated numbers with computed ones.  The entries of a point are
 * checked on every thread the options allow (parallel.c); Jacobians and
 * claims, a handful of entries each, on the calling thread. */
#define _GNU_SOURCE   /* asprintf */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/exec.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "nomem.h"
#include "parallel.h"
#include "replay.h"

#include <gsl/gsl_deriv.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall-clock seconds, for the time a report shows (JUnit, HTML). */
static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

gc_run_options gc_run_options_default(void)
{
    gc_run_options o = {.points = -1, .seed = -1, .have_tol = 0,
                        .tol = gc_tol_default, .quantities = 1};
    return o;
}

static int covers(const char *const *list, const char *name)
{
    if (!list) return 1;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

static unsigned char *claimed_mask(const gc_blocks *b, const char *const *list,
                                   size_t *n_claimed)
{
    unsigned char *m = calloc(b->n ? b->n : 1, 1);
    if (!m) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < b->n_blocks; i++) {
        const gc_block *blk = &b->block[i];
        if (!covers(list, blk->name)) continue;
        memset(m + blk->offset, 1, blk->size);
        n += blk->size;
    }
    if (n_claimed) *n_claimed = n;
    return m;
}

/* The disagreeing quantity entry latest in forward order: walking backwards
 * from the loss, everything after it agrees and it is the first that does
 * not. */
static long first_wrong(const gc_blocks *q, const gc_entry_check *ch,
                        const unsigned char *claimed)
{
    long best = -1;
    for (size_t j = 0; j < q->n; j++) {
        if (!claimed[j] || ch[j].verdict != GC_DISAGREE) continue;
        if (best < 0 || gc_blocks_forward_before(q, (size_t)best, j))
            best = (long)j;
    }
    return best;
}

/* Overall verdict from counts: disagree beats nonfinite beats inconclusive
 * beats agree; kinks never count against a derivation. */
static gc_verdict summarize(const size_t *counts)
{
    if (counts[GC_DISAGREE]) return GC_DISAGREE;
    if (counts[GC_NONFINITE]) return GC_NONFINITE;
    if (counts[GC_INCONCLUSIVE]) return GC_INCONCLUSIVE;
    return GC_AGREE;
}

/* The derivation's reason for a value it gave that is not finite (the
 * first of a point, into why): asked right after the call, while it
 * still knows. */
static void derivation_why(const gc_problem *p, const gc_derivation_type *d,
                           const double *v, size_t n,
                           const unsigned char *mask, char *why, size_t len)
{
    if (why[0] || !d->why_nonfinite) return;
    for (size_t k = 0; k < n; k++)
        if ((!mask || mask[k]) && !isfinite(v[k])) {
            if (!d->why_nonfinite(p, why, len)) why[0] = 0;
            return;
        }
}

static size_t n_jacobians(const gc_derivation_type *d)
{
    size_t n = 0;
    if (d->jacobians)
        while (d->jacobians[n].of) n++;
    return n;
}

/* One Jacobian block's entries, checked on the exec's threads a column at
 * a time: column k is the numeric derivative of every quantity entry of_i
 * with respect to parameter entry wrt_k (or, through a tap, quantity entry
 * wrt_k).  The rows of a column move the same entry to the same points, so
 * the engine keeps the quantities of the column's passes
 * (gc_engine_memo_clear) and evaluates each point once.  The columns are
 * independent and each sets its own engine's output, so the results are
 * the serial loop's to the bit whatever the thread that takes one. */
typedef struct {
    const gc_case *c;
    const gc_block *of, *w;
    int wrt_param;
    const double *theta, *A, *q;
    const gc_tol *tol;
    gc_entry_check *out;
} jac_ctx;

static int jac_column(gc_engine *e, size_t k, void *ctxp)
{
    const jac_ctx *j = ctxp;
    int st = GC_OK;
    gc_engine_memo_clear(e);
    for (size_t row = 0; row < j->of->size && !st; row++) {
        size_t i = row * j->w->size + k;
        st = gc_engine_set_output(e, (long)(j->of->offset + row));
        if (!st)
            st = j->wrt_param
                ? gc_engine_check_param(e, j->theta, j->w->offset + k,
                                        j->A[i], &j->c->step, j->tol,
                                        &j->out[i])
                : gc_engine_check_quantity(e, j->theta, j->w->offset + k,
                                           fabs(j->q[j->w->offset + k]),
                                           j->A[i], &j->c->step, j->tol,
                                           &j->out[i]);
    }
    gc_engine_set_output(e, -1);
    return st;
}

/* Each Jacobian the derivation states, entry by entry: the numeric
 * derivative of quantity entry of_i with respect to parameter entry wrt_k
 * (or, through a tap, quantity entry wrt_k). */
static int check_jacobians(const gc_case *c, const gc_derivation_type *d,
                           gc_point_report *pr, gc_engine *e, gc_exec *x,
                           const gc_tol *tol, char *dwhy, size_t dlen)
{
    const gc_layout *L = &c->prob->layout;
    size_t nj = n_jacobians(d);
    if (!nj) return GC_OK;
    pr->jentries = calloc(nj, sizeof *pr->jentries);
    double *q = calloc(L->quantities.n ? L->quantities.n : 1, sizeof *q);
    if (!pr->jentries || !q) { free(q); return GC_ENOMEM; }
    gc_engine_loss(e, pr->theta, NULL, q);
    int st = GC_OK;
    for (size_t j = 0; j < nj && !st; j++) {
        const gc_jacobian *J = &d->jacobians[j];
        const gc_block *of = gc_blocks_find(&L->quantities, J->of);
        const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
        const gc_block *wq = wp ? NULL : gc_blocks_find(&L->quantities, J->wrt);
        const gc_block *w = wp ? wp : wq;
        if (!of || !w || !J->fill) { st = GC_EDERIV; break; }
        size_t n = of->size * w->size;
        double *A = malloc((n ? n : 1) * sizeof *A);
        pr->jentries[j] = calloc(n ? n : 1, sizeof **pr->jentries);
        if (!A || !pr->jentries[j]) { free(A); st = GC_ENOMEM; break; }
        for (size_t i = 0; i < n; i++) A[i] = NAN;
        if (J->fill(c->prob, pr->theta, A, gc_engine_work(e))) {
            free(A);
            st = GC_EDERIV;
            break;
        }
        derivation_why(c->prob, d, A, n, NULL, dwhy, dlen);
        jac_ctx ctx = {c, of, w, wp != NULL, pr->theta, A, q, tol,
                       pr->jentries[j]};
        st = gc_exec_for(x, w->size, jac_column, &ctx);
        for (size_t i = 0; i < n && !st; i++) {
            gc_entry_check *ch = &pr->jentries[j][i];
            pr->counts[ch->verdict]++;
            if (ch->verdict != GC_KINK && isfinite(ch->rel_error) &&
                ch->rel_error > pr->max_rel_error)
                pr->max_rel_error = ch->rel_error;
        }
        free(A);
    }
    free(q);
    return st;
}

static size_t n_hessians(const gc_derivation_type *d)
{
    size_t n = 0;
    if (d->hessians)
        while (d->hessians[n].of) n++;
    return n;
}

/* The derivation's own gradient entry a as a function of parameter entry
 * b, for gsl_deriv_central (a gsl_function): every gradient evaluated at
 * this column's x values is kept, so the rows of a column share them. */
#define HESS_CACHE 8
typedef struct {
    const gc_problem *p;
    const gc_derivation_type *d;
    double *theta, *work;
    size_t b, a, n;
    double x[HESS_CACHE];
    double *g[HESS_CACHE];
    int used, next;
} hess_col;

static double hess_f(double x, void *params)
{
    hess_col *h = params;
    for (int i = 0; i < h->used; i++)
        if (h->x[i] == x) return h->g[i][h->a];
    int s = h->next;
    h->next = (h->next + 1) % HESS_CACHE;
    if (h->used < HESS_CACHE) h->used++;
    double keep = h->theta[h->b];
    h->theta[h->b] = x;
    for (size_t k = 0; k < h->n; k++) h->g[s][k] = NAN;
    if (h->d->gradient(h->p, h->theta, h->g[s], h->work))
        for (size_t k = 0; k < h->n; k++) h->g[s][k] = NAN;
    h->theta[h->b] = keep;
    h->x[s] = x;
    return h->g[s][h->a];
}

/* Each Hessian block the derivation states, entry by entry: d2L/dA_i dB_k
 * against GSL's central difference of the derivation's own dL/dA_i along
 * B_k (the step of the engine's rule at B_k's magnitude).  The gradient
 * itself is checked against the loss as every derivation's is. */
static int check_hessians(const gc_case *c, const gc_derivation_type *d,
                          gc_point_report *pr, gc_engine *e,
                          const gc_tol *tol, char *dwhy, size_t dlen)
{
    const gc_layout *L = &c->prob->layout;
    size_t nh = n_hessians(d), np = L->params.n;
    if (!nh) return GC_OK;
    if (!d->gradient) return GC_EDERIV;
    pr->hentries = calloc(nh, sizeof *pr->hentries);
    hess_col h = {.p = c->prob, .d = d, .work = gc_engine_work(e), .n = np};
    h.theta = malloc((np ? np : 1) * sizeof *h.theta);
    int st = pr->hentries && h.theta ? GC_OK : GC_ENOMEM;
    for (int i = 0; i < HESS_CACHE && !st; i++)
        if (!(h.g[i] = malloc((np ? np : 1) * sizeof *h.g[i]))) st = GC_ENOMEM;
    if (!st) memcpy(h.theta, pr->theta, np * sizeof *h.theta);
    for (size_t j = 0; j < nh && !st; j++) {
        const gc_jacobian *J = &d->hessians[j];
        const gc_block *A = gc_blocks_find(&L->params, J->of);
        const gc_block *B = gc_blocks_find(&L->params, J->wrt);
        if (!A || !B || !J->fill) { st = GC_EDERIV; break; }
        double *H = malloc(A->size * B->size * sizeof *H);
        pr->hentries[j] = calloc(A->size * B->size, sizeof **pr->hentries);
        if (!H || !pr->hentries[j]) { free(H); st = GC_ENOMEM; break; }
        for (size_t i = 0; i < A->size * B->size; i++) H[i] = NAN;
        if (J->fill(c->prob, pr->theta, H, gc_engine_work(e))) {
            free(H);
            st = GC_EDERIV;
            break;
        }
        derivation_why(c->prob, d, H, A->size * B->size, NULL, dwhy, dlen);
        for (size_t k = 0; k < B->size; k++) {
            h.b = B->offset + k;
            h.used = h.next = 0;
            double x0 = pr->theta[h.b];
            double step = c->step.h_rel * fmax(fabs(x0), c->step.h_floor);
            for (size_t i = 0; i < A->size; i++) {
                gc_entry_check *ch = &pr->hentries[j][i * B->size + k];
                h.a = A->offset + i;
                gsl_function F = {hess_f, &h};
                double v = NAN, err = NAN;
                int gs = gsl_deriv_central(&F, x0, step, &v, &err);
                ch->analytic = H[i * B->size + k];
                ch->numeric.value = v;
                ch->numeric.abserr = err;
                ch->numeric.status = gs;
                ch->rel_error = gc_rel_error(ch->analytic, v, tol->atol);
                ch->verdict = gs ? GC_NONFINITE
                                 : gc_judge(ch->analytic, v, err, tol);
                pr->counts[ch->verdict]++;
                if (isfinite(ch->rel_error) &&
                    ch->rel_error > pr->max_rel_error)
                    pr->max_rel_error = ch->rel_error;
            }
        }
        free(H);
    }
    for (int i = 0; i < HESS_CACHE; i++) free(h.g[i]);
    free(h.theta);
    return st;
}

/* A value that is not finite in words. */
static const char *bad_word(double v)
{
    return isnan(v) ? "NaN" : v > 0 ? "infinite" : "minus infinite";
}

/* Whether the pass at th (tap may be NULL) gives a loss, or quantity
 * entry out (>= 0), that is not finite; *v is that value. */
static int bad_at(gc_engine *e, const double *th, const gc_tap *tap,
                  long out, double *q, double *v)
{
    double L = gc_engine_loss(e, th, tap, q);
    *v = out >= 0 && isfinite(L) ? q[out] : L;
    return !isfinite(*v);
}

/* Why the numeric derivative of the loss (or of quantity entry out >= 0)
 * along parameter entry idx (param) or quantity entry idx (a tap) at th0
 * is not finite: a point of its difference rule where the pass is not
 * finite (the point itself, then the first attempt's stencil x +- h,
 * h/2, h/4 and the retries' smaller steps, engine.c), and the model's
 * reason there (its optional why_nonfinite slot).  name prefixes a step's
 * reason.  A malloc'd line, or NULL. */
static char *numeric_why(const gc_case *c, gc_engine *e, const double *th0,
                         int param, size_t idx, long out, const char *name,
                         int deriv)
{
    const gc_layout *L = &c->prob->layout;
    size_t np = L->params.n, nq = L->quantities.n;
    char moved[200] = "", msg[600] = "";
    char *why = NULL;
    int r;
    double *th = malloc((np ? np : 1) * sizeof *th);
    double *q = malloc((nq ? nq : 1) * sizeof *q);
    if (!th || !q) { free(th); free(q); return NULL; }
    memcpy(th, th0, np * sizeof *th);
    double v = 0;
    gc_tap tap = {idx, 0}, *tp = NULL;
    int found = bad_at(e, th, NULL, out, q, &v);
    if (!found) {
        gc_engine_loss(e, th, NULL, q);
        double x0 = param ? th[idx] : 0;
        double scale = param ? th[idx] : fabs(q[idx]);
        double h = gc_engine_first_step(scale, &c->step);
        static const double part[] = {1, -1, 0.5, -0.5, 0.25, -0.25};
        for (int s = 0; s <= c->step.max_shrinks && !found; s++) {
            for (int i = 0; i < 6 && !found; i++) {
                double dx = part[i] * h;
                if (param) th[idx] = x0 + dx;
                else { tap.delta = dx; tp = &tap; }
                if ((found = bad_at(e, th, tp, out, q, &v))) {
                    char nm[64];
                    gc_entry_name(param ? &L->params : &L->quantities, idx,
                                  nm, sizeof nm);
                    snprintf(moved, sizeof moved, " with %s%s %s %g (a step "
                             "of the numeric derivative)", param ? ""
                             : "the quantity ", nm, dx < 0 ? "-" : "+",
                             fabs(dx));
                }
            }
            h *= c->step.shrink;
        }
    }
    if (found) {
        const gc_model_type *m = c->prob->model;
        if (!m->why_nonfinite ||
            !m->why_nonfinite(c->prob, th, tp, msg, sizeof msg))
            msg[0] = 0;
        char what[120];
        if (out >= 0) {
            char a[64];
            gc_entry_name(&L->quantities, (size_t)out, a, sizeof a);
            snprintf(what, sizeof what, "%s is %s", a, bad_word(v));
        } else {
            snprintf(what, sizeof what, "the loss is %s", bad_word(v));
        }
        if (moved[0])                   /* at a step of this entry */
            r = asprintf(&why, "%s: %s at this point%s%s%s", name, what,
                         moved, msg[0] ? ": " : "", msg);
        else                            /* at the point: every entry */
            r = asprintf(&why, "%s at this point%s%s%s", what,
                         deriv ? ", so no numeric derivative is finite" : "",
                         msg[0] ? ": " : "", msg);
    } else {
        r = asprintf(&why, "%s: its numeric derivative is not finite (the "
                     "loss is finite at the points tried again: a value "
                     "that overflows?)", name);
    }
    if (r < 0) why = NULL;
    free(th);
    free(q);
    return why;
}

/* Why the first nonfinite entry of a point is so, into pr->why (the
 * report's one line for a student).  A value the derivation gave is
 * explained by the derivation (dwhy); a numeric one by finding a point
 * its difference rule evaluated where the forward pass is not finite
 * (the point itself, then the first attempt's stencil x +- h, h/2, h/4
 * and the retries' smaller steps, engine.c) and asking the model why
 * there (its optional why_nonfinite slot).  Only after a check, only
 * where something is not finite: it costs a few passes then. */
static void explain(const gc_case *c, const gc_derivation_type *d,
                    const gc_derivation_report *dr, gc_point_report *pr,
                    gc_engine *e, const char *dwhy)
{
    const gc_layout *L = &c->prob->layout;
    size_t np = L->params.n, nq = L->quantities.n;
    char name[200] = "";
    const gc_entry_check *ch = NULL;
    int param = 1;
    size_t idx = 0;
    long out = -1;
    for (size_t k = 0; k < np && !ch; k++)
        if (dr->claimed[k] && pr->entries[k].verdict == GC_NONFINITE) {
            ch = &pr->entries[k];
            idx = k;
            gc_entry_name(&L->params, k, name, sizeof name);
        }
    for (size_t j = 0; pr->qentries && j < nq && !ch; j++)
        if (dr->qclaimed[j] && pr->qentries[j].verdict == GC_NONFINITE) {
            ch = &pr->qentries[j];
            param = 0;
            idx = j;
            char nm[64];
            gc_entry_name(&L->quantities, j, nm, sizeof nm);
            snprintf(name, sizeof name, "dL/d%s", nm);
        }
    for (size_t j = 0; j < dr->n_jacobians && pr->jentries && !ch; j++) {
        const gc_jacobian *J = &d->jacobians[j];
        const gc_block *of = gc_blocks_find(&L->quantities, J->of);
        const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
        const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities, J->wrt);
        if (!of || !w || !pr->jentries[j]) continue;
        for (size_t i = 0; i < of->size * w->size && !ch; i++)
            if (pr->jentries[j][i].verdict == GC_NONFINITE) {
                ch = &pr->jentries[j][i];
                param = wp != NULL;
                idx = w->offset + i % w->size;
                out = (long)(of->offset + i / w->size);
                char a[64], b[64];
                gc_entry_name(&L->quantities, (size_t)out, a, sizeof a);
                gc_entry_name(wp ? &L->params : &L->quantities, idx, b,
                              sizeof b);
                snprintf(name, sizeof name, "d%s/d%s", a, b);
            }
    }
    for (size_t j = 0; j < dr->n_hessians && pr->hentries && !ch; j++) {
        const gc_jacobian *J = &d->hessians[j];
        const gc_block *A = gc_blocks_find(&L->params, J->of);
        const gc_block *B = gc_blocks_find(&L->params, J->wrt);
        if (!A || !B || !pr->hentries[j]) continue;
        for (size_t i = 0; i < A->size * B->size && !ch; i++)
            if (pr->hentries[j][i].verdict == GC_NONFINITE) {
                ch = &pr->hentries[j][i];
                char a[64], b[64];
                gc_entry_name(&L->params, A->offset + i / B->size, a,
                              sizeof a);
                gc_entry_name(&L->params, B->offset + i % B->size, b,
                              sizeof b);
                snprintf(name, sizeof name, "d2L/d%s d%s", a, b);
                if (isfinite(ch->analytic)) {   /* the numeric one */
                    if (asprintf(&pr->why, "%s: its numeric value, the "
                                 "derivative of the derivation's own dL/d%s "
                                 "along %s, is not finite%s%s", name, a, b,
                                 dwhy[0] ? ": " : "", dwhy) < 0)
                        pr->why = NULL;
                    return;
                }
            }
    }
    if (!ch) return;
    int r;
    if (!isfinite(ch->analytic)) {
        if (dwhy[0]) r = asprintf(&pr->why, "%s: the derivation's %s", name,
                                  dwhy);
        else r = asprintf(&pr->why, "%s: the derivation gives %s",
                          name, bad_word(ch->analytic));
        if (r < 0) pr->why = NULL;
        return;
    }
    /* the numeric value */
    pr->why = numeric_why(c, e, pr->theta, param, idx, out, name, 1);
}

static int check_point(const gc_case *c, const gc_derivation_type *d,
                       gc_derivation_report *dr, gc_point_report *pr,
                       gc_engine *e, gc_exec *x, const gc_tol *tol,
                       int quantities, double *grad, double *dq,
                       gc_error *err)
{
    const gc_layout *L = &c->prob->layout;
    size_t np = L->params.n, nq = L->quantities.n;

    pr->entries = calloc(np ? np : 1, sizeof *pr->entries);
    if (!pr->entries) return GC_ENOMEM;
    for (size_t k = 0; k < np; k++) grad[k] = NAN;
    char dwhy[600] = "";
    int st = d->gradient ? d->gradient(c->prob, pr->theta, grad,
                                       gc_engine_work(e)) : GC_OK;
    if (!st && d->gradient)
        derivation_why(c->prob, d, grad, np, dr->claimed, dwhy, sizeof dwhy);
    if (st) {
        snprintf(err->msg, sizeof err->msg, "derivation %s of model %s "
                 "cannot run with this case's shapes (%s)", d->name,
                 c->model->name, gc_strstatus(st));
        return GC_EDERIV;
    }
    pr->worst = 0;
    if ((st = gc_exec_check_params(x, pr->theta, grad, dr->claimed, tol,
                                   pr->entries)))
        return st;
    for (size_t k = 0; k < np; k++) {
        if (!dr->claimed[k]) continue;
        gc_entry_check *ch = &pr->entries[k];
        pr->counts[ch->verdict]++;
        if (ch->verdict != GC_KINK && isfinite(ch->rel_error) &&
            ch->rel_error > pr->max_rel_error) {
            pr->max_rel_error = ch->rel_error;
            pr->worst = k;
        }
    }
    if ((st = check_jacobians(c, d, pr, e, x, tol, dwhy, sizeof dwhy)))
        return st == GC_EDERIV ? (snprintf(err->msg, sizeof err->msg,
                                           "derivation %s of model %s: a "
                                           "stated Jacobian names an unknown "
                                           "block or failed", d->name,
                                           c->model->name), st) : st;
    if ((st = check_hessians(c, d, pr, e, tol, dwhy, sizeof dwhy)))
        return st == GC_EDERIV ? (snprintf(err->msg, sizeof err->msg,
                                           "derivation %s of model %s: a "
                                           "stated Hessian block names an "
                                           "unknown block or failed",
                                           d->name, c->model->name), st)
                               : st;
    if (pr->counts[GC_NONFINITE]) pr->max_rel_error = NAN;
    pr->verdict = summarize(pr->counts);
    pr->first_wrong = -1;

    if (!quantities || !d->quantity_grads || nq == 0) {
        if (pr->counts[GC_NONFINITE]) explain(c, d, dr, pr, e, dwhy);
        return GC_OK;
    }
    pr->qentries = calloc(nq, sizeof *pr->qentries);
    pr->qvalues = calloc(nq, sizeof *pr->qvalues);
    if (!pr->qentries || !pr->qvalues) return GC_ENOMEM;
    gc_engine_loss(e, pr->theta, NULL, pr->qvalues);
    for (size_t j = 0; j < nq; j++) dq[j] = NAN;
    st = d->quantity_grads(c->prob, pr->theta, dq, gc_engine_work(e));
    if (!st)
        derivation_why(c->prob, d, dq, nq, dr->qclaimed, dwhy, sizeof dwhy);
    if (st) {
        snprintf(err->msg, sizeof err->msg, "derivation %s of model %s: "
                 "quantity gradients failed (%s)", d->name, c->model->name,
                 gc_strstatus(st));
        return GC_EDERIV;
    }
    if ((st = gc_exec_check_quantities(x, pr->theta, pr->qvalues, dq,
                                       dr->qclaimed, tol, pr->qentries)))
        return st;
    pr->first_wrong = first_wrong(&L->quantities, pr->qentries, dr->qclaimed);
    /* A dL/d(quantity) the derivation states is a statement like dL/dW:
     * a wrong one makes the derivation disagree even where every
     * parameter gradient it gives agrees, or it gives none (a student
     * checking only a delta, dL/dz = p - y).  Only wrong entries count
     * here, so a derivation whose quantities agree keeps its counts. */
    for (size_t j = 0; j < nq; j++) {
        const gc_entry_check *ch = &pr->qentries[j];
        if (!dr->qclaimed[j] || (ch->verdict != GC_DISAGREE &&
                                 ch->verdict != GC_NONFINITE))
            continue;
        pr->counts[ch->verdict]++;
        if (isfinite(ch->rel_error) && ch->rel_error > pr->max_rel_error)
            pr->max_rel_error = ch->rel_error;
    }
    if (pr->counts[GC_NONFINITE]) pr->max_rel_error = NAN;
    pr->verdict = summarize(pr->counts);
    if (pr->counts[GC_NONFINITE]) explain(c, d, dr, pr, e, dwhy);
    return GC_OK;
}

static void check_claim(const gc_case *c, const gc_claim *cl, gc_engine *e,
                        const double *q0, double loss0, const gc_tol *tol,
                        gc_claim_report *out)
{
    gc_deriv d = {0, 0, 0};
    out->claim = cl;
    out->tol = cl->tol;
    switch (cl->kind) {
    case GC_CLAIM_LOSS: d.value = loss0; break;
    case GC_CLAIM_VALUE: d.value = q0[cl->index]; break;
    case GC_CLAIM_DPARAM:
        gc_engine_param_central(e, c->theta, cl->index, &c->step, &d);
        break;
    case GC_CLAIM_DQUANTITY:
        gc_engine_quantity_central(e, c->theta, cl->index,
                                   fabs(q0[cl->index]), &c->step, &d);
        break;
    case GC_CLAIM_COUNT: d.value = (double)c->prob->layout.params.n; break;
    }
    out->actual = d.value;
    out->abserr = d.abserr;
    if (d.status || !isfinite(d.value) || !isfinite(d.abserr)) {
        out->verdict = GC_NONFINITE;
        /* why: the pass at the case's point, or at a step of the
         * claim's numeric derivative */
        const gc_layout *L = &c->prob->layout;
        char nm[64];
        gc_entry_name(cl->kind == GC_CLAIM_DPARAM ? &L->params
                      : &L->quantities, cl->index, nm, sizeof nm);
        if (cl->kind == GC_CLAIM_DPARAM || cl->kind == GC_CLAIM_DQUANTITY)
            out->why = numeric_why(c, e, c->theta,
                                   cl->kind == GC_CLAIM_DPARAM, cl->index,
                                   -1, nm, 1);
        else if (cl->kind == GC_CLAIM_LOSS || cl->kind == GC_CLAIM_VALUE)
            out->why = numeric_why(c, e, c->theta, 1, 0,
                                   cl->kind == GC_CLAIM_VALUE
                                   ? (long)cl->index : -1, nm, 0);
        return;
    }
    /* The stated number agrees when it is within its own rounding (tol),
     * the numeric error bar, and a few ulps of the computed value. */
    double bar = tol->k * d.abserr;
    double slack = cl->tol + bar + 4 * 2.220446049250313e-16 * fabs(d.value);
    if (fabs(cl->stated - d.value) > slack) out->verdict = GC_DISAGREE;
    else if (bar > cl->tol && bar > tol->bar_rtol * fabs(d.value) + tol->atol)
        out->verdict = GC_INCONCLUSIVE;
    else out->verdict = GC_AGREE;
}

int gc_run_case(const gc_case *c, const gc_run_options *opt,
                gc_case_report **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", c->path);
    const gc_layout *L = &c->prob->layout;
    size_t np = L->params.n, nq = L->quantities.n;
    gc_engine *e = NULL;
    gc_exec *x = NULL;
    double *grad = NULL, *dq = NULL, *q0 = NULL;
    int st = GC_ENOMEM;

    gc_case_report *r = calloc(1, sizeof *r);
    if (!r) return GC_ENOMEM;
    r->c = c;
    r->tol = opt->have_tol ? opt->tol : c->tol;
    r->seed = opt->seed >= 0 ? opt->seed : (long)c->seed_rng;
    long extra = opt->points >= 0 ? opt->points : c->points;
    r->n_points = 1 + (size_t)extra;

    /* The report keeps every check: refuse a run whose report would pass
     * the limit before allocating any of it (Jacobian entries come on
     * top, bounded by the same per-family limit). */
    double checks = (double)r->n_points * (double)c->n_derivs *
                    (double)(np + nq);
    if (checks > (double)GC_RUN_MAX_CHECKS) {
        snprintf(err->msg, sizeof err->msg, "the run would keep %.0f checks "
                 "((1 + %ld points) x %zu derivations x %zu entries), more "
                 "than the limit GC_RUN_MAX_CHECKS = %zu: fewer --points",
                 checks, extra, c->n_derivs, np + nq,
                 (size_t)GC_RUN_MAX_CHECKS);
        free(r);
        return GC_ELIMIT;
    }

    if ((st = gc_engine_alloc(c->prob, &e))) goto done;
    if ((st = gc_exec_alloc(c->prob, &c->step, opt->threads, opt->batch,
                            &x)))
        goto done;
    st = GC_ENOMEM;
    grad = malloc((np ? np : 1) * sizeof *grad);
    dq = malloc((nq ? nq : 1) * sizeof *dq);
    q0 = calloc(nq ? nq : 1, sizeof *q0);
    r->derivs = calloc(c->n_derivs, sizeof *r->derivs);
    r->claims = calloc(c->n_claims ? c->n_claims : 1, sizeof *r->claims);
    if (!grad || !dq || !q0 || !r->derivs || !r->claims) goto done;
    r->loss = gc_engine_loss(e, c->theta, NULL, q0);

    for (size_t i = 0; i < c->n_derivs; i++) {
        const gc_derivation_type *d = c->derivs[i].type;
        gc_derivation_report *dr = &r->derivs[r->n_derivs++];
        dr->type = d;
        dr->expect = c->derivs[i].expect;
        dr->no_expect = c->derivs[i].no_expect;
        dr->claimed = claimed_mask(&L->params, d->covers, &dr->n_claimed);
        if (dr->claimed && d->claims_params) {   /* some entries only */
            dr->n_claimed = 0;
            for (size_t k = 0; k < np; k++)
                dr->n_claimed += dr->claimed[k] &= d->claims_params[k];
        }
        if (dr->claimed && !d->gradient) {   /* states only Jacobians */
            memset(dr->claimed, 0, np ? np : 1);
            dr->n_claimed = 0;
        }
        dr->n_jacobians = n_jacobians(d);
        dr->n_hessians = n_hessians(d);
        dr->qclaimed = claimed_mask(&L->quantities,
                                    d->quantity_grads ? d->covers_quantities
                                                      : NULL, NULL);
        if (dr->qclaimed && d->quantity_grads && d->claims_quantities)
            for (size_t j = 0; j < nq; j++)
                dr->qclaimed[j] &= d->claims_quantities[j];
        dr->points = calloc(r->n_points, sizeof *dr->points);
        if (!dr->claimed || !dr->qclaimed || !dr->points) goto done;
        double t0 = seconds_now();
        for (size_t p = 0; p < r->n_points; p++) {
            gc_point_report *pr = &dr->points[p];
            pr->theta = malloc((np ? np : 1) * sizeof *pr->theta);
            if (!pr->theta) goto done;
            if (p == 0) memcpy(pr->theta, c->theta, np * sizeof *pr->theta);
            else gc_case_point(c, (unsigned long)r->seed, (long)p, pr->theta);
            if ((st = check_point(c, d, dr, pr, e, x, &r->tol,
                                  opt->quantities, grad, dq, err)))
                goto done;
            st = GC_ENOMEM;
            if (opt->progress) opt->progress(opt->progress_ctx);
            for (int v = 0; v < GC_N_VERDICTS; v++)
                dr->counts[v] += pr->counts[v];
            if (pr->max_rel_error > dr->max_rel_error)
                dr->max_rel_error = pr->max_rel_error;
        }
        /* A NaN anywhere is reported as NaN, never hidden behind the
         * largest finite error. */
        if (dr->counts[GC_NONFINITE]) dr->max_rel_error = NAN;
        dr->verdict = summarize(dr->counts);
        if (dr->verdict != dr->expect) r->unmet++;
        dr->seconds = seconds_now() - t0;
    }

    for (size_t i = 0; i < c->n_claims; i++) {
        double t0 = seconds_now();
        check_claim(c, &c->claims[i], e, q0, r->loss, &r->tol, &r->claims[i]);
        r->n_claims++;
        if (r->claims[i].verdict != c->claims[i].expect) r->unmet++;
        r->claims[i].seconds = seconds_now() - t0;
    }
    st = GC_OK;

done:
    gc_engine_free(e);
    gc_exec_free(x);
    free(grad);
    free(dq);
    free(q0);
    if (st) {
        if (st == GC_ENOMEM && !err->msg[0]) {
            char extra[160];
            snprintf(extra, sizeof extra, "and the report's %.0f checks, "
                     "%.0f MiB", checks, checks *
                     (double)sizeof(gc_entry_check) / 1048576.0);
            gc_nomem_explain(L, "running the case", extra, err->msg,
                             sizeof err->msg);
        }
        if (!err->msg[0]) snprintf(err->msg, sizeof err->msg, "%s",
                                   gc_strstatus(st));
        gc_case_report_free(r);
        return st;
    }
    *out = r;
    return GC_OK;
}

void gc_case_report_free(gc_case_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_derivs; i++) {
        gc_derivation_report *dr = &r->derivs[i];
        if (dr->points)
            for (size_t p = 0; p < r->n_points; p++) {
                free(dr->points[p].theta);
                free(dr->points[p].why);
                free(dr->points[p].entries);
                free(dr->points[p].qentries);
                free(dr->points[p].qvalues);
                if (dr->points[p].jentries)
                    for (size_t j = 0; j < dr->n_jacobians; j++)
                        free(dr->points[p].jentries[j]);
                free(dr->points[p].jentries);
                if (dr->points[p].hentries)
                    for (size_t j = 0; j < dr->n_hessians; j++)
                        free(dr->points[p].hentries[j]);
                free(dr->points[p].hentries);
            }
        free(dr->points);
        free(dr->claimed);
        free(dr->qclaimed);
    }
    free(r->derivs);
    for (size_t i = 0; r->claims && i < r->n_claims; i++)
        free(r->claims[i].why);
    free(r->claims);
    free(r);
}
