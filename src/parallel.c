/* parallel.c: checking many entries of one problem on several threads.
 *
 * Every entry's check is independent of every other's (its own perturbed
 * copies of theta, its own gsl_deriv_central), so entries are handed out in
 * chunks from one atomic counter to the threads, each of which owns an
 * engine (parameter copy and model scratch) and, when batching, a batch
 * workspace (batch.c).  Results go to out[k], which only the thread that
 * took entry k writes, so no locking is needed and the results do not
 * depend on which thread took what: without batching they are the serial
 * loop's to the bit.
 *
 * With batching the central differences come from gc_batch_param_central,
 * and those of the quantity taps from gc_batch_tap_central when the model
 * has forward_batch_tap; where the central value does not agree, the
 * one-sided differences that tell a kink are batched the same way, all the
 * chunk's at once (gc_batch_param_one_sided, gc_batch_tap_one_sided).
 *
 * BLAS: when the library is linked with OpenBLAS its own threads are
 * switched off (openblas_set_num_threads(1), once, for the process): the
 * threads here already use every core, and nested BLAS threads would only
 * compete with them.
 */
#include "gradcheck/engine.h"
#include "gradcheck/exec.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"
#include "batch.h"
#include "parallel.h"
#include "replay.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* OpenBLAS's thread control, when that is the BLAS we are linked with. */
extern void openblas_set_num_threads(int) __attribute__((weak));

/* Entries in flight per thread when batching: up to 6 * 64 = 384 copies
 * per forward_batch call, which keeps the matrix products large enough to
 * run near the BLAS's speed and the copies' state (an LSTM's h, c and gate
 * pre-activations) inside the L2 cache (docs/performance.md). */
enum { BATCH_WIDTH = 64 };
/* Entries handed out at a time: large enough that a batching thread keeps
 * its slots full, small enough to balance the threads' loads. */
enum { CHUNK_SERIAL = 16, CHUNK_BATCH = 8 * BATCH_WIDTH };
/* The fewest entries handed out at a time when a short list is cut finer
 * (chunk_for): below that a thread's start costs more than it saves. */
enum { CHUNK_MIN = 8 };

typedef struct {
    gc_engine *e;
    gc_batch *b;
    gc_deriv *d;           /* batched central differences of one chunk */
    double *scale;         /* the chunk's quantity magnitudes */
    size_t *os;            /* the chunk's entries that need one-sided */
    double *oscale;        /* pairs, their magnitudes, the pairs */
    gc_deriv *fwd, *bwd;
} worker;

struct gc_exec {
    const gc_problem *p;
    gc_step step;
    int threads;
    int batched;
    int batched_taps;      /* quantity taps through forward_batch_tap */
    worker *w;             /* threads of them */
    size_t *idx;           /* entries to check */
};

/* What one call shares with its threads. */
typedef struct {
    gc_exec *x;
    int quantities;        /* 0: parameter entries, 1: quantity entries */
    const double *theta, *analytic, *qvalues;
    const gc_tol *tol;
    gc_entry_check *out;
    int (*fn)(gc_engine *e, size_t i, void *ctx);   /* gc_exec_for */
    void *ctx;
    const size_t *da, *dlen;   /* gc_exec_direction_central */
    const double *const *dv;
    gc_deriv *dout;
    size_t n, chunk;
    atomic_size_t next;
    atomic_int status;
} job;

typedef struct {
    job *j;
    worker *w;
} task;

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n < 1024 ? n : 1024) : 1;
}

int gc_exec_alloc(const gc_problem *p, const gc_step *step, int threads,
                  gc_batch_mode batch, gc_exec **out)
{
    *out = NULL;
    gc_exec *x = calloc(1, sizeof *x);
    if (!x) return GC_ENOMEM;
    x->p = p;
    x->step = *step;
    x->threads = threads > 0 ? threads : cores();
    int can = p->model->forward_batch && p->model->batch_work;
    x->batched = can && (batch == GC_BATCH_ON ||
                         (batch == GC_BATCH_AUTO &&
                          (p->layout.params.n >= GC_BATCH_MIN_PARAMS ||
                          p->layout.params.n <
                              p->model->batch_exact_below)));
    x->w = calloc((size_t)x->threads, sizeof *x->w);
    size_t np = p->layout.params.n, nq = p->layout.quantities.n;
    x->idx = malloc((np > nq ? np : nq ? nq : 1) * sizeof *x->idx);
    int st = x->w && x->idx ? GC_OK : GC_ENOMEM;
    for (int t = 0; t < x->threads && !st; t++) {
        worker *w = &x->w[t];
        st = gc_engine_alloc(p, &w->e);
        if (!st && x->batched) {
            st = gc_batch_alloc(p, step, BATCH_WIDTH, &w->b);
            w->d = malloc(CHUNK_BATCH * sizeof *w->d);
            w->scale = malloc(CHUNK_BATCH * sizeof *w->scale);
            w->os = malloc(CHUNK_BATCH * sizeof *w->os);
            w->oscale = malloc(CHUNK_BATCH * sizeof *w->oscale);
            w->fwd = malloc(CHUNK_BATCH * sizeof *w->fwd);
            w->bwd = malloc(CHUNK_BATCH * sizeof *w->bwd);
            if (!st && (!w->d || !w->scale || !w->os || !w->oscale ||
                        !w->fwd || !w->bwd))
                st = GC_ENOMEM;
        }
    }
    if (st) {
        gc_exec_free(x);
        return st;
    }
    x->batched_taps = x->batched && p->model->forward_batch_tap != NULL;
    if (x->batched && openblas_set_num_threads) openblas_set_num_threads(1);
    *out = x;
    return GC_OK;
}

void gc_exec_free(gc_exec *x)
{
    if (!x) return;
    for (int t = 0; x->w && t < x->threads; t++) {
        gc_engine_free(x->w[t].e);
        gc_batch_free(x->w[t].b);
        free(x->w[t].d);
        free(x->w[t].scale);
        free(x->w[t].os);
        free(x->w[t].oscale);
        free(x->w[t].fwd);
        free(x->w[t].bwd);
    }
    free(x->w);
    free(x->idx);
    free(x);
}

int gc_exec_threads(const gc_exec *x) { return x->threads; }

const gc_problem *gc_exec_problem(const gc_exec *x) { return x->p; }

const gc_step *gc_exec_step(const gc_exec *x) { return &x->step; }

int gc_exec_batched(const gc_exec *x) { return x->batched; }

size_t gc_exec_passes(const gc_exec *x)
{
    size_t n = 0;
    for (int t = 0; t < x->threads; t++) {
        n += gc_engine_passes(x->w[t].e);
        if (x->w[t].b) n += gc_batch_passes(x->w[t].b);
    }
    return n;
}

/* Entries handed out at a time for n entries.  A batch whose losses are
 * forward()'s to the bit (the model's batch_exact_below) gives the same
 * numbers however the entries are chunked, so a list too short to fill
 * every thread's chunks is cut finer, a few chunks per thread (the
 * one-sided differences of a block of disagreeing entries then spread over
 * the threads); other batches keep fixed chunks, so that their round-off
 * does not depend on -j. */
static size_t chunk_for(const gc_exec *x, size_t n, int batched)
{
    if (!batched) return CHUNK_SERIAL;
    if (x->p->layout.params.n >= x->p->model->batch_exact_below ||
        n >= (size_t)x->threads * CHUNK_BATCH)
        return CHUNK_BATCH;
    size_t c = (n + 4 * (size_t)x->threads - 1) / (4 * (size_t)x->threads);
    return c > CHUNK_MIN ? c : CHUNK_MIN;
}

/* The one-sided pairs of the m entries w->os[] whose central values did
 * not agree (magnitudes w->oscale[] for quantities), batched as their
 * central differences were, and their verdicts. */
static int one_sided(job *j, worker *w, size_t m)
{
    if (!m) return GC_OK;
    int st = j->quantities
        ? gc_batch_tap_one_sided(w->b, j->theta, w->os, w->oscale, m,
                                 w->fwd, w->bwd)
        : gc_batch_param_one_sided(w->b, j->theta, w->os, m, w->fwd,
                                   w->bwd);
    if (st) return st;
    for (size_t i = 0; i < m; i++) {
        gc_entry_check *out = &j->out[w->os[i]];
        out->fwd = w->fwd[i];
        out->bwd = w->bwd[i];
        gc_judge_one_sided(j->tol, out);
    }
    return GC_OK;
}

/* Check entries idx[a .. b) on worker w. */
static int run_chunk(job *j, worker *w, size_t a, size_t b)
{
    gc_exec *x = j->x;
    const size_t *idx = x->idx;
    if (j->dout)   /* directions, batched */
        return gc_batch_direction_central(w->b, j->theta, j->da + a, j->dlen + a,
                                    j->dv + a, b - a, j->dout + a);
    if (j->fn) {
        for (size_t i = a; i < b; i++) {
            int st = j->fn(w->e, i, j->ctx);
            if (st) return st;
        }
        return GC_OK;
    }
    if (j->quantities && x->batched_taps) {
        for (size_t i = a; i < b; i++)
            w->scale[i - a] = fabs(j->qvalues[idx[i]]);
        int st = gc_batch_tap_central(w->b, j->theta, idx + a, w->scale,
                                      b - a, w->d);
        if (st) return st;
        size_t m = 0;
        for (size_t i = a; i < b; i++) {
            size_t q = idx[i];
            j->out[q].numeric = w->d[i - a];
            if (gc_judge_central(j->analytic[q], j->tol, &j->out[q])) {
                w->os[m] = q;
                w->oscale[m++] = w->scale[i - a];
            }
        }
        return one_sided(j, w, m);
    }
    if (j->quantities) {
        for (size_t i = a; i < b; i++) {
            size_t q = idx[i];
            int st = gc_engine_check_quantity(w->e, j->theta, q,
                                              fabs(j->qvalues[q]),
                                              j->analytic[q], &x->step,
                                              j->tol, &j->out[q]);
            if (st) return st;
        }
        return GC_OK;
    }
    if (!x->batched) {
        for (size_t i = a; i < b; i++) {
            size_t k = idx[i];
            int st = gc_engine_check_param(w->e, j->theta, k, j->analytic[k],
                                           &x->step, j->tol, &j->out[k]);
            if (st) return st;
        }
        return GC_OK;
    }
    int st = gc_batch_param_central(w->b, j->theta, idx + a, b - a, w->d);
    if (st) return st;
    size_t m = 0;
    for (size_t i = a; i < b; i++) {
        size_t k = idx[i];
        j->out[k].numeric = w->d[i - a];
        if (gc_judge_central(j->analytic[k], j->tol, &j->out[k]))
            w->os[m++] = k;
    }
    return one_sided(j, w, m);
}

static void *run_task(void *arg)
{
    task *t = arg;
    job *j = t->j;
    for (;;) {
        if (atomic_load(&j->status)) break;
        size_t a = atomic_fetch_add(&j->next, j->chunk);
        if (a >= j->n) break;
        size_t b = a + j->chunk < j->n ? a + j->chunk : j->n;
        int st = run_chunk(j, t->w, a, b);
        if (st) {
            int zero = 0;
            atomic_compare_exchange_strong(&j->status, &zero, st);
            break;
        }
    }
    return NULL;
}

/* Run job j on as many threads as it has chunks for (at most x->threads);
 * the calling thread is one of them. */
static int run_job(job *j)
{
    gc_exec *x = j->x;
    size_t chunks = (j->n + j->chunk - 1) / j->chunk;
    int nt = (size_t)x->threads < chunks ? x->threads : (int)chunks;
    if (nt < 1) return GC_OK;
    task *tasks = calloc((size_t)nt, sizeof *tasks);
    pthread_t *tid = calloc((size_t)nt, sizeof *tid);
    if (!tasks || !tid) {
        free(tasks);
        free(tid);
        return GC_ENOMEM;
    }
    int started = 1;
    for (int t = 0; t < nt; t++) tasks[t] = (task){j, &x->w[t]};
    for (int t = 1; t < nt; t++, started++)
        if (pthread_create(&tid[t], NULL, run_task, &tasks[t])) break;
    run_task(&tasks[0]);   /* the threads that did start share the rest */
    for (int t = 1; t < started; t++) pthread_join(tid[t], NULL);
    free(tasks);
    free(tid);
    return atomic_load(&j->status);
}

int gc_exec_check_params(gc_exec *x, const double *theta, const double *grad,
                         const unsigned char *claimed, const gc_tol *tol,
                         gc_entry_check *out)
{
    size_t n = 0;
    for (size_t k = 0; k < x->p->layout.params.n; k++)
        if (!claimed || claimed[k]) x->idx[n++] = k;
    job j = {.x = x, .quantities = 0, .theta = theta, .analytic = grad,
             .tol = tol, .out = out, .n = n,
             .chunk = chunk_for(x, n, x->batched)};
    atomic_init(&j.next, 0);
    atomic_init(&j.status, 0);
    return run_job(&j);
}

int gc_exec_check_quantities(gc_exec *x, const double *theta,
                             const double *qvalues, const double *dq,
                             const unsigned char *claimed, const gc_tol *tol,
                             gc_entry_check *out)
{
    size_t n = 0;
    for (size_t q = 0; q < x->p->layout.quantities.n; q++)
        if (!claimed || claimed[q]) x->idx[n++] = q;
    job j = {.x = x, .quantities = 1, .theta = theta, .analytic = dq,
             .qvalues = qvalues, .tol = tol, .out = out, .n = n,
             .chunk = chunk_for(x, n, x->batched_taps)};
    atomic_init(&j.next, 0);
    atomic_init(&j.status, 0);
    return run_job(&j);
}

int gc_exec_for(gc_exec *x, size_t n,
                int (*fn)(gc_engine *e, size_t i, void *ctx), void *ctx)
{
    job j = {.x = x, .fn = fn, .ctx = ctx, .n = n, .chunk = 1};
    atomic_init(&j.next, 0);
    atomic_init(&j.status, 0);
    return run_job(&j);
}

typedef struct {
    const double *theta;
    const size_t *a, *len;
    const double *const *v;
    gc_deriv *out;
    const gc_step *step;
} dir_ctx;

static int dir_task(gc_engine *e, size_t i, void *ctx)
{
    dir_ctx *d = ctx;
    return gc_engine_direction_central(e, d->theta, d->a[i], d->len[i],
                                       d->v[i], d->step, &d->out[i]);
}

int gc_exec_direction_central(gc_exec *x, const double *theta,
                              const size_t *a, const size_t *len,
                              const double *const *v, size_t n,
                              gc_deriv *out)
{
    if (!x->batched || !x->p->model->forward_batch_dir) {
        dir_ctx d = {theta, a, len, v, out, &x->step};
        return gc_exec_for(x, n, dir_task, &d);
    }
    /* one chunk per thread: a screening level has few jobs, and each
     * thread's batch keeps all of its jobs in flight */
    size_t chunk = (n + (size_t)x->threads - 1) / (size_t)x->threads;
    job j = {.x = x, .theta = theta, .da = a, .dlen = len, .dv = v,
             .dout = out, .n = n, .chunk = chunk ? chunk : 1};
    atomic_init(&j.next, 0);
    atomic_init(&j.status, 0);
    return run_job(&j);
}
