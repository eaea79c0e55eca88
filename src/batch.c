/* batch.c: central differences of many parameter entries (or quantity
 * taps) at once, their loss values evaluated by the model's forward_batch
 * (forward_batch_tap).
 *
 * For one entry k, an attempt of the step rule asks gsl_deriv_central for
 * its 5-point results at h and h/2: the loss at x +- h, x +- h/2 and
 * x +- h/4; the rule may then retry with a smaller h (engine.c).  Each such
 * evaluation is a copy of theta with one entry changed: a rank-one change
 * of the forward pass.  So instead of evaluating them one after the other,
 * a workspace keeps `width` entries in flight, each with a table of the
 * values it has (gc_replay), and repeats
 *
 *   1. replay every entry in flight on its table (gc_replay_central): an
 *      entry whose replay completes has the rule's value and error bar and
 *      makes room for the next entry; one that lacks values names the (up
 *      to six) points it wants;
 *   2. evaluate every wanted point in one forward_batch call (up to
 *      6 * width copies sharing the weights: matrix-matrix products);
 *   3. add the values to the tables.
 *
 * The replay asks for exactly the points a direct call would, so each
 * result is the rule's estimate on those loss values; it differs from the
 * serial path's only because forward_batch's losses may differ from
 * forward()'s by round-off (docs/performance.md).  A model's
 * forward_batch_tap gives forward()'s losses to the bit, and so batched
 * taps give the serial path's numbers to the bit.
 *
 * The one-sided pairs that tell a kink from a wrong derivation, where the
 * central value does not agree, run the same way (gc_replay_one_sided:
 * forward then backward differences, each with GSL's refinement and the
 * step rule's retries, so a pass names up to four points).
 *
 * Directional derivatives (screen.c) run the same way, a job being a
 * direction v on a range of entries, its copies theta + t v evaluated by
 * forward_batch_dir, and its derivative taken at t = 0 with the step rule's
 * h at scale 1, as gc_engine_direction_central takes it.
 */
#include "batch.h"
#include "replay.h"

#include <stdlib.h>

struct gc_batch {
    const gc_problem *p;
    gc_step step;
    size_t width;          /* entries in flight */
    size_t cap;            /* points per entry's table */
    gc_replay *rep;        /* one per slot */
    double *tx, *tf;       /* the tables' storage: width * cap each */
    long *slot;            /* slot -> index into the caller's k[], or -1 */
    size_t *ck;            /* copies of one call: entry (or job), value, */
    double *cx, *cf;       /* loss, slot; for directions the range too, */
    size_t *cowner, *ca, *clen;   /* for quantities the tap */
    const double **cv;
    gc_tap *ctap;
    double *work;          /* the batch slots' scratch for 6 * width copies */
    size_t passes;         /* copies evaluated so far */
};

int gc_batch_alloc(const gc_problem *p, const gc_step *step, size_t width,
                   gc_batch **out)
{
    *out = NULL;
    const gc_model_type *m = p->model;
    if (!m->forward_batch || !m->batch_work || width == 0)
        return GC_EINVAL;
    gc_batch *b = calloc(1, sizeof *b);
    if (!b) return GC_ENOMEM;
    b->p = p;
    b->step = *step;
    b->width = width;
    /* a central difference, or a one-sided pair (two derivations) */
    b->cap = 2 * GC_REPLAY_POINTS(step->max_shrinks > 0 ? step->max_shrinks
                                                        : 0);
    size_t copies = GC_REPLAY_WANT * width;
    b->rep = calloc(width, sizeof *b->rep);
    b->tx = malloc(width * b->cap * sizeof *b->tx);
    b->tf = malloc(width * b->cap * sizeof *b->tf);
    b->slot = malloc(width * sizeof *b->slot);
    b->ck = malloc(copies * sizeof *b->ck);
    b->cx = malloc(copies * sizeof *b->cx);
    b->cf = malloc(copies * sizeof *b->cf);
    b->cowner = malloc(copies * sizeof *b->cowner);
    b->ca = malloc(copies * sizeof *b->ca);
    b->clen = malloc(copies * sizeof *b->clen);
    b->cv = malloc(copies * sizeof *b->cv);
    b->ctap = malloc(copies * sizeof *b->ctap);
    size_t nw = m->batch_work(p, copies);
    b->work = malloc((nw ? nw : 1) * sizeof *b->work);
    if (!b->rep || !b->tx || !b->tf || !b->slot || !b->ck || !b->cx ||
        !b->cf || !b->cowner || !b->ca || !b->clen || !b->cv || !b->ctap ||
        !b->work) {
        gc_batch_free(b);
        return GC_ENOMEM;
    }
    for (size_t s = 0; s < width; s++) {
        b->rep[s].x = b->tx + s * b->cap;
        b->rep[s].f = b->tf + s * b->cap;
        b->rep[s].cap = b->cap;
    }
    *out = b;
    return GC_OK;
}

void gc_batch_free(gc_batch *b)
{
    if (!b) return;
    free(b->rep);
    free(b->tx);
    free(b->tf);
    free(b->slot);
    free(b->ck);
    free(b->cx);
    free(b->cf);
    free(b->cowner);
    free(b->ca);
    free(b->clen);
    free(b->cv);
    free(b->ctap);
    free(b->work);
    free(b);
}

size_t gc_batch_passes(const gc_batch *b) { return b->passes; }

/* The jobs of one call: parameter entries k[i], quantity entries q[i]
 * (magnitudes qscale[i]), or directions (a[i], len[i], v[i]). */
typedef struct {
    const size_t *k;
    const size_t *q;
    const double *qscale;
    const size_t *a, *len;
    const double *const *v;
    gc_deriv *bwd;         /* not NULL: one-sided pairs, the forward
                              differences into out, the backward here */
} jobs;

/* Where job i's derivative is taken: at theta_k, or at t = 0 (a tap's
 * delta, a direction's t). */
static double origin(const jobs *J, const double *theta, size_t i)
{
    return J->k ? theta[J->k[i]] : 0.0;
}

/* The scale of job i's first step (engine.c's step rule). */
static double scale(const jobs *J, const double *theta, size_t i)
{
    return J->k ? theta[J->k[i]] : J->q ? J->qscale[i] : 0.0;
}

static int run(gc_batch *b, const double *theta, const jobs *J, size_t n,
               gc_deriv *out)
{
    const gc_problem *p = b->p;
    size_t np = p->layout.params.n;
    size_t nq = p->layout.quantities.n;
    for (size_t i = 0; i < n; i++)
        if (J->k ? J->k[i] >= np
                 : J->q ? J->q[i] >= nq
                        : J->a[i] > np || J->len[i] > np - J->a[i])
            return GC_EINVAL;
    size_t next = 0, active = 0;
    for (size_t s = 0; s < b->width; s++) {
        b->slot[s] = next < n ? (long)next++ : -1;
        if (b->slot[s] >= 0) {
            gc_replay_reset(&b->rep[s]);
            active++;
        }
    }
    while (active) {
        size_t nc = 0;
        for (size_t s = 0; s < b->width; s++) {
            while (b->slot[s] >= 0) {
                size_t i = (size_t)b->slot[s];
                gc_replay *r = &b->rep[s];
                int more = J->bwd
                    ? gc_replay_one_sided(r, origin(J, theta, i),
                                          scale(J, theta, i), &b->step,
                                          &out[i], &J->bwd[i])
                    : gc_replay_central(r, origin(J, theta, i),
                                        scale(J, theta, i), &b->step,
                                        &out[i]);
                if (more == GC_REPLAY_MORE) {
                    for (size_t w = 0; w < r->n_want; w++) {
                        b->ck[nc] = J->k ? J->k[i] : i;
                        b->cx[nc] = r->want[w];
                        b->cowner[nc++] = s;
                    }
                    break;
                }
                /* done: the slot takes the next job */
                if (next < n) {
                    b->slot[s] = (long)next++;
                    gc_replay_reset(r);
                } else {
                    b->slot[s] = -1;
                    active--;
                }
            }
        }
        if (!nc) break;
        int st;
        if (J->k) {
            st = p->model->forward_batch(p, theta, b->ck, b->cx, nc, b->cf,
                                         b->work);
        } else if (J->q) {     /* ck holds the job */
            for (size_t c = 0; c < nc; c++)
                b->ctap[c] = (gc_tap){J->q[b->ck[c]], b->cx[c]};
            st = p->model->forward_batch_tap(p, theta, b->ctap, nc, b->cf,
                                             b->work);
        } else {
            for (size_t c = 0; c < nc; c++) {   /* ck holds the job */
                b->ca[c] = J->a[b->ck[c]];
                b->clen[c] = J->len[b->ck[c]];
                b->cv[c] = J->v[b->ck[c]];
            }
            st = p->model->forward_batch_dir(p, theta, b->ca, b->clen, b->cv,
                                             b->cx, nc, b->cf, b->work);
        }
        if (st) return st;
        b->passes += nc;
        for (size_t c = 0; c < nc; c++)
            if ((st = gc_replay_add(&b->rep[b->cowner[c]], b->cx[c],
                                    b->cf[c])))
                return st;
    }
    return GC_OK;
}

int gc_batch_param_central(gc_batch *b, const double *theta, const size_t *k,
                           size_t n, gc_deriv *out)
{
    jobs J = {.k = k};
    return run(b, theta, &J, n, out);
}

int gc_batch_tap_central(gc_batch *b, const double *theta, const size_t *q,
                         const double *scale, size_t n, gc_deriv *out)
{
    if (!b->p->model->forward_batch_tap) return GC_EINVAL;
    jobs J = {.q = q, .qscale = scale};
    return run(b, theta, &J, n, out);
}

int gc_batch_param_one_sided(gc_batch *b, const double *theta,
                             const size_t *k, size_t n, gc_deriv *fwd,
                             gc_deriv *bwd)
{
    jobs J = {.k = k, .bwd = bwd};
    return run(b, theta, &J, n, fwd);
}

int gc_batch_tap_one_sided(gc_batch *b, const double *theta, const size_t *q,
                           const double *scale, size_t n, gc_deriv *fwd,
                           gc_deriv *bwd)
{
    if (!b->p->model->forward_batch_tap) return GC_EINVAL;
    jobs J = {.q = q, .qscale = scale, .bwd = bwd};
    return run(b, theta, &J, n, fwd);
}

int gc_batch_direction_central(gc_batch *b, const double *theta, const size_t *a,
                         const size_t *len, const double *const *v, size_t n,
                         gc_deriv *out)
{
    if (!b->p->model->forward_batch_dir) return GC_EINVAL;
    jobs J = {.a = a, .len = len, .v = v};
    return run(b, theta, &J, n, out);
}
