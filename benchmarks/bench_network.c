/* bench_network.c: networks written in case files against the compiled
 * models (issue 11, docs/performance.md "Networks written in case files").
 *
 *   LSTM     benchmarks/lstm_net_32_64_16.yaml (32 inputs, 64 hidden, 16
 *            steps, forward pass and BPTT in the formula language) and
 *            benchmarks/lstm_32_64_16.yaml (lstm_001_6_4, compiled, at the
 *            same dims and inputs): the full per-entry check of one point
 *            (gc_run_case, every thread, no localisation), wall-clock and
 *            CPU seconds, and the ratio;
 *   cases    every case of the case folder (or those named) whose model is
 *            a network: section (the catalogue's twins): the whole run as
 *            `gradcheck run` makes it, milliseconds each.
 *
 * Numbers are printed, never asserted.  Usage:
 *   bench_network [--threads N] [--no-lstm] [CASE.yaml ...]
 */
#define _GNU_SOURCE
#include "gradcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* One run of case c: seconds of wall-clock and CPU time, its verdicts. */
static int time_case(const gc_case *c, long points, int quantities,
                     int threads, double *w, double *u, size_t *entries,
                     const char **verdict)
{
    gc_run_options o = gc_run_options_default();
    o.points = points;
    o.quantities = quantities;
    o.threads = threads;
    gc_case_report *r = NULL;
    gc_error err;
    double w0 = wall(), u0 = cpu();
    int st = gc_run_case(c, &o, &r, &err);
    *w = wall() - w0;
    *u = cpu() - u0;
    if (st) {
        fprintf(stderr, "bench_network: %s: %s\n", c->path, err.msg);
        return st;
    }
    *entries = c->prob->layout.params.n;
    *verdict = r->n_derivs ? gc_verdict_name(r->derivs[0].verdict) : "-";
    gc_case_report_free(r);
    return GC_OK;
}

static gc_case *load(const char *path)
{
    gc_case *c = NULL;
    gc_error err;
    if (gc_case_load(path, &c, &err)) {
        fprintf(stderr, "bench_network: %s:%ld:%ld: %s\n", err.file,
                err.line, err.column, err.msg);
        return NULL;
    }
    return c;
}

int main(int argc, char **argv)
{
    gc_init();
    int threads = 0, lstm = 1;
    char **named = calloc((size_t)argc + 1, sizeof *named);
    int n_named = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-lstm")) lstm = 0;
        else named[n_named++] = argv[i];
    }
    const char *root = getenv("GRADCHECK_SOURCE_ROOT");
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/benchmarks/lstm_net_32_64_16.yaml",
             root ? root : ".");
    snprintf(b, sizeof b, "%s/benchmarks/lstm_32_64_16.yaml",
             root ? root : ".");
    printf("networks written in case files (bench_network; %d thread%s, 0: "
           "every core)\n", threads, threads == 1 ? "" : "s");
    if (lstm) {
        gc_case *net = load(a), *cmp = load(b);
        if (!net || !cmp) return 2;
        double wn, un, wc, uc;
        size_t en, ec;
        const char *vn, *vc;
        if (time_case(cmp, 0, 0, threads, &wc, &uc, &ec, &vc) ||
            time_case(net, 0, 0, threads, &wn, &un, &en, &vn))
            return 2;
        printf("  LSTM 32 inputs, 64 hidden, 16 steps: full per-entry check "
               "of %zu entries, one point, no localisation\n", en);
        printf("    %-34s %8.2f s wall %8.2f s cpu  verdict %s\n",
               "compiled lstm_001_6_4", wc, uc, vc);
        printf("    %-34s %8.2f s wall %8.2f s cpu  verdict %s\n",
               "written in the case file", wn, un, vn);
        printf("    ratio (case file / compiled): %.1fx wall, %.1fx cpu "
               "(target: within 5x)\n", wn / wc, un / uc);
        gc_case_free(net);
        gc_case_free(cmp);
    }
    /* the network cases: named, else every one in the case folder */
    char **names = NULL;
    size_t n = 0;
    const char *dir = gc_cases_dir();
    if (n_named) {
        names = named;
        n = (size_t)n_named;
    } else if (gc_catalogue_list(dir, &names, &n)) {
        n = 0;
    }
    int header = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        if (gc_catalogue_resolve(dir, names[i], &path)) continue;
        gc_case *c = load(path);
        free(path);
        if (!c) continue;
        if (!c->net) { gc_case_free(c); continue; }
        if (!header++)
            printf("  cases written as networks: the whole run as gradcheck "
                   "run makes it (target: under 50 ms each)\n");
        double w, u;
        size_t e;
        const char *v;
        if (!time_case(c, -1, 1, threads, &w, &u, &e, &v))
            printf("    %-40s %8.1f ms wall %8.1f ms cpu  %zu entries x %zu "
                   "points\n", c->name, 1e3 * w, 1e3 * u, e,
                   (size_t)c->points + 1);
        gc_case_free(c);
    }
    if (!header) printf("  (no case in %s is written as a network)\n", dir);
    if (!n_named) {
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
    }
    free(named);
    return 0;
}
