/* bench.c: how fast gradcheck checks large networks (docs/performance.md).
 *
 * For each model (an LSTM with 32 inputs, 64 hidden units and 16 steps, a
 * 3-layer tanh MLP of about the same number of parameters, a small CNN),
 * with seeded random parameters and inputs and the `corrected` (right)
 * derivation:
 *
 *   full       every entry checked one by one (gc_exec_check_params, all
 *              threads, batched where the model has forward_batch):
 *              entries per second, forward passes per entry; again on one
 *              thread (how much the second core gives); and the median
 *              relative error against the analytic gradient;
 *   localisation  every dL/d(quantity) the derivation states checked after
 *              the parameters, as `gradcheck run` does by default (batched
 *              through forward_batch_tap where the model has it): the full
 *              check with and without it;
 *   before     the full check with the step rule before issue 14
 *              (GC_RULE_GSL: GSL's own refinement): passes per entry and
 *              median relative error, for the before/after comparison;
 *   GFLOP/s    forward passes x flops per pass / wall-clock time, where a
 *              pass's flops are the dense count of its matrix products
 *              (2 per multiply-add; activations not counted), and that rate
 *              as a fraction of the peak measured below;
 *   serial     the serial path (1 thread, one forward() per loss value) on
 *              an evenly spaced sample of entries, for the speed-up;
 *   directional  screening of the correct gradient, and of the gradient
 *              with one entry scaled by 1 + 1e-4 (the entry of median
 *              |gradient| in the largest block, and a random one): forward
 *              passes as a share of the full check's, and whether the
 *              entry was named;
 *   memory     peak resident set size (getrusage) of a process that runs
 *              only this model.
 *
 * Peak: a loop of independent AVX2 fused multiply-adds (16 flops per cycle
 * and core on this CPU when the FMA units are free), on one thread and on
 * every core, and OpenBLAS's DGEMM (1024^3) for comparison.  Numbers are
 * printed, never asserted.
 *
 * Usage: bench [--quick] [--threads N] [--model NAME]... [--dump DIR]
 *              [--scaling]
 *   --quick   smaller serial sample and no random-entry directional run
 *   --scaling also the LSTM's full check at several sizes and step counts
 *   --dump    write DIR/<model>.json: parameters, inputs, analytic and
 *             numeric gradients and the timings (scripts/bench-vs-torch)
 */
#define _GNU_SOURCE
#include "gradcheck.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern void openblas_set_num_threads(int) __attribute__((weak));

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------------- peak */

enum { FMA_ITER = 50000000 };

#if defined(__x86_64__)
#include <immintrin.h>
/* Ten independent chains of 4-wide FMAs: enough in flight to cover the
 * FMA latency on both FMA pipes. */
__attribute__((target("avx2,fma"), noinline)) static double fma_loop(void)
{
    __m256d b = _mm256_set1_pd(0.999999), c = _mm256_set1_pd(1e-7);
    __m256d a0 = _mm256_set1_pd(0), a1 = _mm256_set1_pd(1);
    __m256d a2 = _mm256_set1_pd(2), a3 = _mm256_set1_pd(3);
    __m256d a4 = _mm256_set1_pd(4), a5 = _mm256_set1_pd(5);
    __m256d a6 = _mm256_set1_pd(6), a7 = _mm256_set1_pd(7);
    __m256d a8 = _mm256_set1_pd(8), a9 = _mm256_set1_pd(9);
    for (long n = 0; n < FMA_ITER; n++) {
        a0 = _mm256_fmadd_pd(a0, b, c); a1 = _mm256_fmadd_pd(a1, b, c);
        a2 = _mm256_fmadd_pd(a2, b, c); a3 = _mm256_fmadd_pd(a3, b, c);
        a4 = _mm256_fmadd_pd(a4, b, c); a5 = _mm256_fmadd_pd(a5, b, c);
        a6 = _mm256_fmadd_pd(a6, b, c); a7 = _mm256_fmadd_pd(a7, b, c);
        a8 = _mm256_fmadd_pd(a8, b, c); a9 = _mm256_fmadd_pd(a9, b, c);
    }
    __m256d s = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a0, a1),
                                            _mm256_add_pd(a2, a3)),
                              _mm256_add_pd(_mm256_add_pd(a4, a5),
                                            _mm256_add_pd(_mm256_add_pd(a6, a7),
                                                          _mm256_add_pd(a8, a9))));
    double o[4];
    _mm256_storeu_pd(o, s);
    return o[0];
}
static const double FMA_FLOPS = (double)FMA_ITER * 10 * 4 * 2;
static int have_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static double fma_loop(void) { return 0; }
static const double FMA_FLOPS = 0;
static int have_fma(void) { return 0; }
#endif

static void *fma_thread(void *arg)
{
    *(double *)arg = fma_loop();
    return NULL;
}

/* GFLOP/s of the FMA loop on n threads at once. */
static double fma_peak(int n)
{
    if (!have_fma()) return NAN;
    pthread_t t[64];
    double sink[64];
    if (n > 64) n = 64;
    double t0 = now();
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, fma_thread, &sink[i]);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    return n * FMA_FLOPS / (now() - t0) / 1e9;
}

/* GFLOP/s of a 1024^3 DGEMM with the BLAS on n threads. */
static double dgemm_rate(int n)
{
    const int N = 1024;
    double *A = malloc(sizeof(double) * N * N), *B = malloc(sizeof(double) * N * N);
    double *C = malloc(sizeof(double) * N * N);
    for (long i = 0; i < (long)N * N; i++) {
        A[i] = 1.0 / (double)(i % 97 + 1);
        B[i] = 1.0 / (double)(i % 89 + 1);
    }
    if (openblas_set_num_threads) openblas_set_num_threads(n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, A, N,
                B, N, 0.0, C, N);   /* warm-up */
    double t0 = now();
    int reps = 3;
    for (int r = 0; r < reps; r++)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0,
                    A, N, B, N, 0.0, C, N);
    double rate = reps * 2.0 * N * N * N / (now() - t0) / 1e9;
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    free(A);
    free(B);
    free(C);
    return rate;
}

/* ---------------------------------------------------------------- models */

typedef struct {
    const char *label;       /* short name for the table */
    const char *model;
    long dims[GC_MAX_DIMS];
    double theta_scale;      /* parameters ~ N(0, scale^2) */
    double input_scale;
} bench_model;

static const bench_model models[] = {
    {"lstm", "lstm_001_6_4", {32, 64, 16}, 0.1, 0.5},
    {"mlp", "tanh_net_004_q1", {64, 128, 128, 16}, 0.1, 1.0},
    {"cnn", "conv_sigmoid_000_p4", {64, 8}, 0.05, 1.0},
};
enum { N_MODELS = sizeof models / sizeof models[0] };

/* Dense flops of one forward pass: 2 per multiply-add of its matrix
 * products (the activations are not counted). */
static double flops_per_pass(const gc_problem *p)
{
    const char *m = p->model->name;
    const long *d = p->dims;
    if (!strcmp(m, "lstm_001_6_4"))   /* T steps of z = W x + U h, 4 gates */
        return 2.0 * d[2] * 4 * d[1] * (d[0] + d[1]);
    if (!strcmp(m, "tanh_net_004_q1"))   /* S = W^T [1; x], three layers */
        return 2.0 * ((d[0] + 1) * d[1] + (d[1] + 1) * d[2] + (d[2] + 1) * d[3]);
    if (!strcmp(m, "conv_sigmoid_000_p4")) {   /* m^2 k^2 conv, m^2 sum */
        double mm = (double)(d[0] - d[1] + 1);
        return 2.0 * mm * mm * d[1] * d[1] + 2.0 * mm * mm;
    }
    return NAN;
}

/* One model's results, sent from the child process that measured them. */
typedef struct {
    size_t params, entries;
    double flops;
    int threads, batched;
    double full_s;
    size_t full_passes, disagree, inconclusive;
    size_t quantities;        /* localisation: quantity entries checked */
    double quant_s;
    size_t quant_passes, quant_disagree;
    double full1_s;           /* the full check on one thread */
    double med, med_before;   /* median relative error vs the analytic */
    double before_s;
    size_t before_passes, before_disagree;
    double serial_eps;
    size_t serial_n;
    double dir_s;
    size_t dir_passes, dir_named;
    int dir_verdict;
    int bad_ok[2];            /* corrupted entry named and disagreeing */
    size_t bad_passes[2], bad_named[2], bad_k[2];
    double bad_s[2], bad_g[2];
    long maxrss_kb;
} result;

typedef struct {
    int quick, threads, scaling;
    const char *dump;
} options;

static void dump_json(const char *dir, const bench_model *bm,
                      const gc_problem *p, const double *theta,
                      const double *grad, const gc_entry_check *ch,
                      const gc_entry_check *cb, const result *r,
                      double *ch_work)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, bm->label);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: %s: cannot write\n", path);
        return;
    }
    fprintf(f, "{\"label\": \"%s\", \"model\": \"%s\", \"dims\": [", bm->label,
            bm->model);
    for (int i = 0; p->model->dims[i].name; i++)
        fprintf(f, "%s%ld", i ? ", " : "", p->dims[i]);
    fprintf(f, "],\n \"loss\": %.17g,", p->model->forward(p, theta, NULL,
                                                           NULL, ch_work));
    fprintf(f, "\n \"threads\": %d, \"batched\": %d, \"full_seconds\": "
            "%.6g, \"full_passes\": %zu, \"dir_seconds\": %.6g, "
            "\"dir_passes\": %zu,\n", r->threads, r->batched, r->full_s,
            r->full_passes, r->dir_s, r->dir_passes);
    fprintf(f, " \"quant_seconds\": %.6g, \"passes_per_entry\": %.6g, "
            "\"passes_per_entry_before\": %.6g,\n", r->quant_s,
            (double)r->full_passes / (double)r->entries,
            (double)r->before_passes / (double)r->entries);
    const char *keys[] = {"theta", "inputs", "analytic", "numeric", "abserr",
                          "numeric_before"};
    size_t np = p->layout.params.n;
    for (int key = 0; key < 6; key++) {
        size_t n = key == 1 ? p->layout.inputs.n : np;
        fprintf(f, " \"%s\": [", keys[key]);
        for (size_t i = 0; i < n; i++) {
            double v = key == 0 ? theta[i] : key == 1 ? p->inputs[i]
                     : key == 2 ? grad[i] : key == 3 ? ch[i].numeric.value
                     : key == 4 ? ch[i].numeric.abserr : cb[i].numeric.value;
            fprintf(f, "%s%.17g", i ? ", " : "", v);
        }
        fprintf(f, "]%s\n", key < 5 ? "," : "");
    }
    fprintf(f, "}\n");
    fclose(f);
}

/* Screen grad (with entry k scaled by 1 + 1e-4 if k < np) and record. */
static void screen(gc_exec *x, const double *theta, double *grad, size_t k,
                   size_t np, int slot, result *r)
{
    double saved = k < np ? grad[k] : 0;
    if (k < np) grad[k] *= 1 + 1e-4;
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pt;
    if (gc_screen_at_point(x, theta, grad, NULL, &gc_tol_default, &d, &pt))
        return;
    if (k < np) {
        grad[k] = saved;
        r->bad_k[slot] = k;
        r->bad_g[slot] = saved;
        r->bad_passes[slot] = pt.passes;
        r->bad_named[slot] = pt.n_named;
        r->bad_s[slot] = pt.seconds;
        for (size_t i = 0; i < pt.n_named; i++)
            if (pt.named[i] == k && pt.entries[i].verdict == GC_DISAGREE)
                r->bad_ok[slot] = 1;
    } else {
        r->dir_passes = pt.passes;
        r->dir_named = pt.n_named;
        r->dir_verdict = pt.verdict;
        r->dir_s = pt.seconds;
    }
    gc_screen_point_clear(&pt);
}

static int cmp_abs(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return (x > y) - (x < y);
}

/* Median relative error |a - n| / max(|a|, |n|) of the numeric values
 * against the analytic ones, entries with max(|a|, |n|) <= 1e-10 left out
 * (as scripts/bench-vs-torch does). */
static double median_rel(const double *grad, const gc_entry_check *ch,
                         size_t np)
{
    double *e = malloc(np * sizeof *e);
    size_t n = 0;
    for (size_t k = 0; k < np; k++) {
        double m = fmax(fabs(grad[k]), fabs(ch[k].numeric.value));
        if (m > 1e-10) e[n++] = fabs(grad[k] - ch[k].numeric.value) / m;
    }
    qsort(e, n, sizeof *e, cmp_abs);
    double med = n ? (n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]))
                   : NAN;
    free(e);
    return med;
}

/* The full check of every parameter entry with `step` on `threads`
 * threads: seconds, and passes into *passes. */
static double full_check(const gc_problem *p, const gc_step *step,
                         int threads, const double *theta,
                         const double *grad, gc_entry_check *ch,
                         size_t *passes)
{
    gc_exec *x = NULL;
    if (gc_exec_alloc(p, step, threads, GC_BATCH_AUTO, &x)) return NAN;
    double t0 = now();
    int st = gc_exec_check_params(x, theta, grad, NULL, &gc_tol_default, ch);
    double t = now() - t0;
    if (passes) *passes = gc_exec_passes(x);
    gc_exec_free(x);
    return st ? NAN : t;
}

static int run_model(const bench_model *bm, const options *o, result *r)
{
    const gc_model_type *m = gc_model_find(bm->model);
    gc_problem *p = NULL;
    if (!m || gc_problem_alloc(m, bm->dims, &p)) return 1;
    size_t np = p->layout.params.n;
    double *theta = malloc(np * sizeof *theta), *grad = malloc(np * sizeof *grad);
    double *work = malloc((p->layout.work + 1) * sizeof *work);
    gc_entry_check *ch = calloc(np, sizeof *ch), *sch = calloc(np, sizeof *sch);
    gc_entry_check *cb = calloc(np, sizeof *cb);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2385);
    for (size_t k = 0; k < np; k++)
        theta[k] = gsl_ran_gaussian(rng, bm->theta_scale);
    for (size_t k = 0; k < p->layout.inputs.n; k++)
        p->inputs[k] = gsl_ran_gaussian(rng, bm->input_scale);
    const gc_derivation_type *d = gc_derivation_find(m, "corrected");
    if (!d || d->gradient(p, theta, grad, work)) return 1;
    r->params = r->entries = np;
    r->flops = flops_per_pass(p);

    /* full per-entry check */
    gc_exec *x = NULL;
    if (gc_exec_alloc(p, &gc_step_default, o->threads, GC_BATCH_AUTO, &x))
        return 1;
    r->threads = gc_exec_threads(x);
    r->batched = gc_exec_batched(x);
    double t0 = now();
    if (gc_exec_check_params(x, theta, grad, NULL, &gc_tol_default, ch))
        return 1;
    r->full_s = now() - t0;
    r->full_passes = gc_exec_passes(x);
    for (size_t k = 0; k < np; k++) {
        r->disagree += ch[k].verdict == GC_DISAGREE;
        r->inconclusive += ch[k].verdict == GC_INCONCLUSIVE;
    }

    /* localisation: every dL/d(quantity) the derivation states, as
     * gradcheck run checks them after the parameters */
    size_t nq = p->layout.quantities.n;
    if (d->quantity_grads && nq) {
        double *q = malloc(nq * sizeof *q), *dq = malloc(nq * sizeof *dq);
        gc_entry_check *qch = calloc(nq, sizeof *qch);
        t0 = now();
        p->model->forward(p, theta, NULL, q, work);
        d->quantity_grads(p, theta, dq, work);
        if (gc_exec_check_quantities(x, theta, q, dq, NULL, &gc_tol_default,
                                     qch))
            return 1;
        r->quant_s = now() - t0;
        r->quant_passes = gc_exec_passes(x) - r->full_passes;
        r->quantities = nq;
        for (size_t j = 0; j < nq; j++)
            r->quant_disagree += qch[j].verdict == GC_DISAGREE;
        free(q);
        free(dq);
        free(qch);
    }
    r->med = median_rel(grad, ch, np);

    /* one thread, and the rule before */
    if (r->threads > 1)
        r->full1_s = full_check(p, &gc_step_default, 1, theta, grad, sch,
                                NULL);
    gc_step before = gc_step_default;
    before.rule = GC_RULE_GSL;
    r->before_s = full_check(p, &before, o->threads, theta, grad, cb,
                             &r->before_passes);
    for (size_t k = 0; k < np; k++)
        r->before_disagree += cb[k].verdict == GC_DISAGREE;
    r->med_before = median_rel(grad, cb, np);

    /* the serial path on a sample */
    size_t want = o->quick ? 100 : 400, stride = np / want ? np / want : 1;
    unsigned char *sample = calloc(np, 1);
    for (size_t k = 0; k < np; k += stride) {
        sample[k] = 1;
        r->serial_n++;
    }
    gc_exec *s = NULL;
    if (gc_exec_alloc(p, &gc_step_default, 1, GC_BATCH_OFF, &s)) return 1;
    t0 = now();
    gc_exec_check_params(s, theta, grad, sample, &gc_tol_default, sch);
    r->serial_eps = (double)r->serial_n / (now() - t0);
    gc_exec_free(s);

    /* directional: the correct gradient, then one corrupted entry */
    screen(x, theta, grad, np, np, 0, r);
    const gc_block *big = &p->layout.params.block[0];
    for (size_t b = 1; b < p->layout.params.n_blocks; b++)
        if (p->layout.params.block[b].size > big->size)
            big = &p->layout.params.block[b];
    double *g = malloc(big->size * sizeof *g);
    memcpy(g, grad + big->offset, big->size * sizeof *g);
    qsort(g, big->size, sizeof *g, cmp_abs);
    double med = fabs(g[big->size / 2]);
    size_t km = big->offset;
    for (size_t k = big->offset; k < big->offset + big->size; k++)
        if (fabs(grad[k]) == med) { km = k; break; }
    screen(x, theta, grad, km, np, 0, r);
    if (!o->quick)
        screen(x, theta, grad, gsl_rng_uniform_int(rng, np), np, 1, r);
    free(g);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->maxrss_kb = ru.ru_maxrss;
    if (o->dump) dump_json(o->dump, bm, p, theta, grad, ch, cb, r, work);
    gc_exec_free(x);
    gsl_rng_free(rng);
    free(sample);
    free(theta);
    free(grad);
    free(work);
    free(ch);
    free(sch);
    free(cb);
    gc_problem_free(p);
    return 0;
}

/* Run one model in a child process (its own peak memory). */
static int measure(const bench_model *bm, const options *o, result *r)
{
    int fd[2];
    if (pipe(fd)) return 1;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        close(fd[0]);
        result mine;
        memset(&mine, 0, sizeof mine);
        int st = run_model(bm, o, &mine);
        if (!st && write(fd[1], &mine, sizeof mine) != (ssize_t)sizeof mine)
            st = 1;
        _exit(st);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], r, sizeof *r);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    return got == (ssize_t)sizeof *r && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* How the full check's cost grows: the LSTM with 32 inputs at several
 * hidden sizes and step counts (the whole gradient checked each time). */
static void scaling(const options *o)
{
    static const long sizes[][3] = {{32, 32, 8}, {32, 32, 16}, {32, 32, 32},
                                    {32, 64, 8}, {32, 64, 16}, {32, 64, 32},
                                    {32, 128, 8}};
    printf("\nLSTM, 32 inputs: full per-entry check as the network grows\n");
    printf("%6s %4s %8s %10s %9s %10s %12s\n", "hidden", "T", "params",
           "seconds", "passes/e", "entries/s", "us/pass");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const gc_model_type *m = gc_model_find("lstm_001_6_4");
        gc_problem *p = NULL;
        if (gc_problem_alloc(m, sizes[i], &p)) continue;
        size_t np = p->layout.params.n;
        double *theta = malloc(np * sizeof *theta);
        double *grad = malloc(np * sizeof *grad);
        double *work = malloc(p->layout.work * sizeof *work);
        gc_entry_check *ch = calloc(np, sizeof *ch);
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 2385);
        for (size_t k = 0; k < np; k++) theta[k] = gsl_ran_gaussian(rng, 0.1);
        for (size_t k = 0; k < p->layout.inputs.n; k++)
            p->inputs[k] = gsl_ran_gaussian(rng, 0.5);
        gc_derivation_find(m, "corrected")->gradient(p, theta, grad, work);
        gc_exec *x = NULL;
        if (!gc_exec_alloc(p, &gc_step_default, o->threads, GC_BATCH_AUTO,
                           &x)) {
            double t0 = now();
            gc_exec_check_params(x, theta, grad, NULL, &gc_tol_default, ch);
            double t = now() - t0;
            size_t passes = gc_exec_passes(x);
            printf("%6ld %4ld %8zu %10.2f %9.2f %10.0f %12.1f\n",
                   sizes[i][1], sizes[i][2], np, t, (double)passes / np,
                   np / t, 1e6 * t * gc_exec_threads(x) / passes);
            gc_exec_free(x);
        }
        gsl_rng_free(rng);
        free(theta);
        free(grad);
        free(work);
        free(ch);
        gc_problem_free(p);
    }
    printf("us/pass: thread-microseconds per forward pass (wall time x "
           "threads / passes)\n");
}

static void machine(int threads)
{
    char model[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) snprintf(model, sizeof model, "%s", c + 2);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    if (f) fclose(f);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    time_t t = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    printf("gradcheck %s benchmark, %s\n", GRADCHECK_VERSION, date);
    printf("machine: %s, %ld cores online, %d threads used; load average "
           "%.2f before the run\n", model, sysconf(_SC_NPROCESSORS_ONLN),
           threads, load[0]);
}

int main(int argc, char **argv)
{
    gc_init();
    options o = {0, 0, 0, NULL};
    const char *only[N_MODELS];
    int n_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) o.quick = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc && n_only < N_MODELS)
            only[n_only++] = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) o.dump = argv[++i];
        else if (!strcmp(argv[i], "--scaling")) o.scaling = 1;
        else {
            fprintf(stderr, "usage: bench [--quick] [--threads N] "
                    "[--model lstm|mlp|cnn]... [--dump DIR] [--scaling]\n");
            return 2;
        }
    }
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o.threads > 0 ? o.threads : cores;
    machine(threads);
    double peak1 = fma_peak(1), peakn = fma_peak(cores);
    double gemm1 = dgemm_rate(1), gemmn = dgemm_rate(cores);
    double peak = fmax(peak1, peakn);
    printf("peak: AVX2 FMA loop %.1f GFLOP/s on 1 thread, %.1f on %d; "
           "DGEMM 1024^3 %.1f on 1 thread, %.1f on %d; peak taken as %.1f\n",
           peak1, peakn, cores, gemm1, gemmn, cores, peak);
    if (peakn < 1.5 * peak1)
        printf("note: %d threads of FMAs run only %.2fx as fast as one: the "
               "cores share their floating-point units or the machine is "
               "busy\n", cores, peakn / peak1);
    printf("\n%-5s %7s %10s %9s %11s %10s %8s %7s %10s %8s %11s %8s %7s\n",
           "model", "params", "entries/s", "passes/e", "flops/pass",
           "GFLOP/s", "of peak", "serial", "speed-up", "dir.agr",
           "dir.1e-4", "named", "MB");
    for (int i = 0; i < N_MODELS; i++) {
        const bench_model *bm = &models[i];
        int pick = !n_only;
        for (int j = 0; j < n_only; j++) pick |= !strcmp(only[j], bm->label);
        if (!pick) continue;
        result r;
        memset(&r, 0, sizeof r);
        if (measure(bm, &o, &r)) {
            printf("%-5s failed\n", bm->label);
            continue;
        }
        double eps = r.entries / r.full_s;
        double ppe = (double)r.full_passes / r.entries;
        double gf = r.full_passes * r.flops / r.full_s / 1e9;
        printf("%-5s %7zu %10.0f %9.2f %11.0f %10.2f %7.0f%% %7.0f %9.1fx "
               "%7.2f%% %10.3f%% %8s %7.1f\n", bm->label, r.params, eps, ppe,
               r.flops, gf, 100 * gf / peak, r.serial_eps, eps / r.serial_eps,
               100.0 * r.dir_passes / r.full_passes,
               100.0 * r.bad_passes[0] / r.full_passes,
               r.bad_ok[0] ? "yes" : "NO", r.maxrss_kb / 1024.0);
        printf("      full: %d thread%s, %s, %.2f s, %zu disagree, %zu "
               "inconclusive; serial sample %zu entries\n", r.threads,
               r.threads == 1 ? "" : "s",
               r.batched ? "batched (forward_batch)" : "forward() per value",
               r.full_s, r.disagree, r.inconclusive, r.serial_n);
        if (r.quantities)
            printf("      with localisation: %zu quantity entries in %.2f s "
                   "(%.2f passes each, %zu disagree): full check %.2f s, "
                   "%.2fx the check without\n", r.quantities, r.quant_s,
                   (double)r.quant_passes / r.quantities, r.quant_disagree,
                   r.full_s + r.quant_s, (r.full_s + r.quant_s) / r.full_s);
        if (r.full1_s > 0)
            printf("      one thread: %.2f s; %d threads are %.2fx faster\n",
                   r.full1_s, r.threads, r.full1_s / r.full_s);
        printf("      accuracy: median relative error %.2e against the "
               "analytic gradient; before (GSL's refinement) %.2e, %.0fx "
               "larger, %.2f passes/entry, %.2f s, %zu disagree\n", r.med,
               r.med_before, r.med_before / r.med,
               (double)r.before_passes / r.entries, r.before_s,
               r.before_disagree);
        printf("      directional, correct gradient: %s, %zu passes, %zu "
               "named, %.3f s\n", gc_verdict_name(r.dir_verdict),
               r.dir_passes, r.dir_named, r.dir_s);
        for (int s = 0; s < 2; s++)
            if (r.bad_passes[s])
                printf("      directional, entry %zu (%s, gradient %.3g) "
                       "x (1 + 1e-4): %s, %zu passes (%.3f%% of full), %zu "
                       "named, %.3f s\n", r.bad_k[s],
                       s ? "random" : "median |g| of the largest block",
                       r.bad_g[s], r.bad_ok[s] ? "named, disagree"
                                               : "NOT named", r.bad_passes[s],
                       100.0 * r.bad_passes[s] / r.full_passes,
                       r.bad_named[s], r.bad_s[s]);
    }
    printf("\nentries/s and GFLOP/s: full per-entry check on all threads; "
           "passes/e: forward passes per entry;\nflops/pass: dense "
           "multiply-adds x 2 of one forward pass (GFLOP/s counts them for "
           "every pass: over 100%% of peak\nmeans the batch skips work the "
           "dense count includes); serial: entries/s of one thread, one "
           "forward() per value;\ndir.agr / dir.1e-4: forward "
           "passes of directional screening as a share of the full check's "
           "(correct gradient / one entry x (1 + 1e-4));\nnamed: that entry "
           "named and disagreeing; MB: peak resident memory of the process "
           "checking the model.\n");
    if (o.scaling) scaling(&o);
    return 0;
}
