/* test_parallel.c: checking entries on several threads and with batched
 * forward passes gives the serial path's results: to the bit without
 * batching, and within round-off (explained in docs/performance.md)
 * with it. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

/* A problem of model `name` with dims, parameters and inputs drawn from a
 * seeded normal distribution with standard deviation `scale`. */
typedef struct {
    gc_problem *p;
    double *theta, *grad, *work;
} fixture;

static fixture make(const char *name, const long *dims, double scale,
                    unsigned long seed, const char *deriv)
{
    fixture f;
    const gc_model_type *m = gc_model_find(name);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(gc_problem_alloc(m, dims, &f.p), GC_OK);
    size_t np = f.p->layout.params.n;
    f.theta = malloc(np * sizeof *f.theta);
    f.grad = malloc(np * sizeof *f.grad);
    f.work = malloc((f.p->layout.work + 1) * sizeof *f.work);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < np; k++) f.theta[k] = gsl_ran_gaussian(r, scale);
    for (size_t k = 0; k < f.p->layout.inputs.n; k++)
        f.p->inputs[k] = gsl_ran_gaussian(r, 0.7);
    gsl_rng_free(r);
    const gc_derivation_type *d = gc_derivation_find(m, deriv);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->gradient(f.p, f.theta, f.grad, f.work), GC_OK);
    return f;
}

static void unmake(fixture *f)
{
    gc_problem_free(f->p);
    free(f->theta);
    free(f->grad);
    free(f->work);
}

/* Check every entry with `threads` threads and batch mode b. */
static gc_entry_check *check_all_step(const fixture *f, const gc_step *st,
                                      int threads, gc_batch_mode b,
                                      int *batched)
{
    gc_exec *x = NULL;
    ck_assert_int_eq(gc_exec_alloc(f->p, st, threads, b, &x), GC_OK);
    gc_entry_check *out = calloc(f->p->layout.params.n, sizeof *out);
    ck_assert_int_eq(gc_exec_check_params(x, f->theta, f->grad, NULL,
                                          &gc_tol_default, out), GC_OK);
    if (batched) *batched = gc_exec_batched(x);
    gc_exec_free(x);
    return out;
}

static gc_entry_check *check_all(const fixture *f, int threads,
                                 gc_batch_mode b, int *batched)
{
    return check_all_step(f, &gc_step_default, threads, b, batched);
}

static void assert_same_deriv(const gc_deriv *a, const gc_deriv *b)
{
    ck_assert(memcmp(&a->value, &b->value, sizeof a->value) == 0);
    ck_assert(memcmp(&a->abserr, &b->abserr, sizeof a->abserr) == 0);
    ck_assert_int_eq(a->status, b->status);
}

/* Threads without batching: every field of every entry to the bit, for a
 * derivation that agrees and one that does not (one-sided differences). */
static void threads_bitwise(const char *name, const long *dims,
                            const char *deriv)
{
    fixture f = make(name, dims, 0.4, 2385, deriv);
    gc_entry_check *s = check_all(&f, 1, GC_BATCH_OFF, NULL);
    gc_entry_check *t = check_all(&f, 3, GC_BATCH_OFF, NULL);
    for (size_t k = 0; k < f.p->layout.params.n; k++) {
        assert_same_deriv(&s[k].numeric, &t[k].numeric);
        ck_assert_int_eq(s[k].verdict, t[k].verdict);
        ck_assert_int_eq(s[k].one_sided, t[k].one_sided);
        if (s[k].one_sided) {
            assert_same_deriv(&s[k].fwd, &t[k].fwd);
            assert_same_deriv(&s[k].bwd, &t[k].bwd);
        }
    }
    free(s);
    free(t);
    unmake(&f);
}

START_TEST(threads_match_serial_lstm)
{
    const long d[] = {4, 4, 5};
    threads_bitwise("lstm_001_6_4", d, "corrected");
    threads_bitwise("lstm_001_6_4", d, "seed");   /* disagrees */
}
END_TEST

START_TEST(threads_match_serial_mlp_and_cnn)
{
    const long d[] = {5, 7, 6, 3};
    threads_bitwise("tanh_net_004_q1", d, "corrected");
    const long c[] = {7, 3};
    threads_bitwise("conv_sigmoid_000_p4", c, "seed");   /* disagrees */
}
END_TEST

/* forward_batch against forward, copy by copy: the same loss up to
 * round-off.  The sums are forward()'s in another order and vectorised tanh
 * and exp are within a few ulps, so the network's outputs move by a few
 * ulps; a squared-error loss L = 1/2 ||r||^2 then moves by about
 * ||r|| * (those ulps) = sqrt(2L) * (a few eps), which is the bound below
 * (with L's own rounding). */
static void batch_losses(const char *name, const long *dims)
{
    fixture f = make(name, dims, 0.5, 11, "corrected");
    const gc_model_type *m = f.p->model;
    size_t np = f.p->layout.params.n, n = 3 * np / 2 + 7;
    size_t *k = malloc(n * sizeof *k);
    double *x = malloc(n * sizeof *x), *L = malloc(n * sizeof *L);
    double *work = malloc(m->batch_work(f.p, n) * sizeof *work);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    for (size_t i = 0; i < n; i++) {   /* every entry, then random ones */
        k[i] = i < np ? i : gsl_rng_uniform_int(r, np);
        x[i] = f.theta[k[i]] + gsl_ran_gaussian(r, 0.01);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(m->forward_batch(f.p, f.theta, k, x, n, L, work), GC_OK);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double saved = f.theta[k[i]];
        f.theta[k[i]] = x[i];
        double direct = m->forward(f.p, f.theta, NULL, NULL, f.work);
        f.theta[k[i]] = saved;
        double scale = fabs(direct) + sqrt(2 * fabs(direct));
        worst = fmax(worst, fabs(L[i] - direct) / scale);
    }
    ck_assert_msg(worst < 16 * 2.220446049250313e-16,
                  "%s: batched loss off by %g eps", name,
                  worst / 2.220446049250313e-16);
    fprintf(stderr, "# %s: batched losses within %.2f eps (|L| + sqrt(2L)) "
            "of forward()'s\n", name, worst / 2.220446049250313e-16);
    free(k);
    free(x);
    free(L);
    free(work);
    unmake(&f);
}

START_TEST(forward_batch_matches_forward)
{
    const long l[] = {6, 5, 7};
    batch_losses("lstm_001_6_4", l);
    const long t[] = {6, 9, 7, 4};
    batch_losses("tanh_net_004_q1", t);
    const long c[] = {9, 4};
    batch_losses("conv_sigmoid_000_p4", c);
}
END_TEST

/* Batched against serial: the numeric values differ only through the
 * round-off of the loss values, which GSL's error bar includes, so they lie
 * within the two error bars of each other, and the verdicts are the same.
 * Most are equal to the bit. */
static void batched_near_serial(const char *name, const long *dims,
                                const char *deriv)
{
    fixture f = make(name, dims, 0.4, 77, deriv);
    int batched = 0;
    gc_entry_check *s = check_all(&f, 1, GC_BATCH_OFF, NULL);
    gc_entry_check *b = check_all(&f, 2, GC_BATCH_ON, &batched);
    ck_assert(batched);
    size_t np = f.p->layout.params.n, same = 0;
    for (size_t k = 0; k < np; k++) {
        double d = fabs(s[k].numeric.value - b[k].numeric.value);
        ck_assert_msg(d <= s[k].numeric.abserr + b[k].numeric.abserr,
                      "%s entry %zu: serial %.17g +- %g, batched %.17g +- %g",
                      name, k, s[k].numeric.value, s[k].numeric.abserr,
                      b[k].numeric.value, b[k].numeric.abserr);
        ck_assert_int_eq(s[k].verdict, b[k].verdict);
        same += d == 0;
    }
    fprintf(stderr, "# %s %s: %zu of %zu numeric values equal to the bit\n",
            name, deriv, same, np);
    free(s);
    free(b);
    unmake(&f);
}

START_TEST(batched_matches_serial_lstm)
{
    const long d[] = {5, 5, 6};
    batched_near_serial("lstm_001_6_4", d, "corrected");
    batched_near_serial("lstm_001_6_4", d, "seed");
}
END_TEST

/* Batched results do not depend on the number of threads: entries are
 * batched in fixed chunks of the entry list, whichever thread takes them
 * (a copy's loss can depend on the size of the matrix product it is part
 * of: OpenBLAS multiplies a single row by another kernel). */
START_TEST(batched_threads_identical)
{
    const long d[] = {8, 10, 3};   /* 760 entries: two chunks */
    fixture f = make("lstm_001_6_4", d, 0.4, 31, "corrected");
    gc_entry_check *a = check_all(&f, 1, GC_BATCH_ON, NULL);
    gc_entry_check *b = check_all(&f, 3, GC_BATCH_ON, NULL);
    for (size_t k = 0; k < f.p->layout.params.n; k++) {
        assert_same_deriv(&a[k].numeric, &b[k].numeric);
        ck_assert_int_eq(a[k].verdict, b[k].verdict);
    }
    free(a);
    free(b);
    unmake(&f);
}
END_TEST

START_TEST(batched_matches_serial_mlp_cnn)
{
    const long d[] = {8, 12, 9, 3};
    batched_near_serial("tanh_net_004_q1", d, "corrected");
    const long c[] = {12, 4};
    batched_near_serial("conv_sigmoid_000_p4", c, "corrected");
    batched_near_serial("conv_sigmoid_000_p4", c, "seed");   /* disagrees */
}
END_TEST

/* The rule before issue 14 (GSL's own refinement, eight points an
 * attempt), kept for the benchmarks, replays in batches too: every entry
 * within the two error bars of the serial value, the same verdicts. */
START_TEST(batched_rule_gsl_lstm)
{
    const long d[] = {5, 5, 6};
    fixture f = make("lstm_001_6_4", d, 0.4, 77, "corrected");
    gc_step st = gc_step_default;
    st.rule = GC_RULE_GSL;
    gc_entry_check *s = check_all_step(&f, &st, 1, GC_BATCH_OFF, NULL);
    gc_entry_check *b = check_all_step(&f, &st, 2, GC_BATCH_ON, NULL);
    for (size_t k = 0; k < f.p->layout.params.n; k++) {
        ck_assert(fabs(s[k].numeric.value - b[k].numeric.value) <=
                  s[k].numeric.abserr + b[k].numeric.abserr);
        ck_assert_int_eq(s[k].verdict, b[k].verdict);
    }
    free(s);
    free(b);
    unmake(&f);
}
END_TEST

/* forward_batch_tap against forward with the tap, copy by copy: the same
 * loss to the bit (the model runs every copy through forward()'s own
 * arithmetic), for every quantity entry and random repeats, in one call. */
static void batch_tap_losses(const char *name, const long *dims)
{
    fixture f = make(name, dims, 0.5, 13, "corrected");
    const gc_model_type *m = f.p->model;
    ck_assert_ptr_nonnull(m->forward_batch_tap);
    size_t nq = f.p->layout.quantities.n, n = 2 * nq + 5;
    gc_tap *taps = malloc(n * sizeof *taps);
    double *L = malloc(n * sizeof *L);
    double *work = malloc(m->batch_work(f.p, n) * sizeof *work);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (size_t i = 0; i < n; i++) {   /* every entry, then random ones */
        taps[i].index = i < nq ? nq - 1 - i : gsl_rng_uniform_int(r, nq);
        taps[i].delta = gsl_ran_gaussian(r, 0.01);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(m->forward_batch_tap(f.p, f.theta, taps, n, L, work),
                     GC_OK);
    for (size_t i = 0; i < n; i++) {
        double direct = m->forward(f.p, f.theta, &taps[i], NULL, f.work);
        ck_assert_msg(memcmp(&direct, &L[i], sizeof direct) == 0,
                      "%s: tap on quantity %zu: batched %.17g, forward() "
                      "%.17g", name, taps[i].index, L[i], direct);
    }
    free(taps);
    free(L);
    free(work);
    unmake(&f);
}

START_TEST(forward_batch_tap_matches_forward)
{
    const long l[] = {6, 5, 7};
    batch_tap_losses("lstm_001_6_4", l);
    const long l2[] = {3, 9, 4};   /* n not a multiple of 4 */
    batch_tap_losses("lstm_001_6_4", l2);
    const long t[] = {6, 9, 7, 4};
    batch_tap_losses("tanh_net_004_q1", t);
    const long c[] = {9, 4};
    batch_tap_losses("conv_sigmoid_000_p4", c);
}
END_TEST

/* Localisation batched and not: every field of every quantity entry's
 * check to the bit, for a derivation that agrees and one that does not. */
static void quantities_bitwise(const char *name, const long *dims,
                               const char *deriv)
{
    fixture f = make(name, dims, 0.4, 2385, deriv);
    const gc_derivation_type *d = gc_derivation_find(f.p->model, deriv);
    size_t nq = f.p->layout.quantities.n;
    double *q = malloc(nq * sizeof *q), *dq = malloc(nq * sizeof *dq);
    f.p->model->forward(f.p, f.theta, NULL, q, f.work);
    ck_assert_int_eq(d->quantity_grads(f.p, f.theta, dq, f.work), GC_OK);
    gc_entry_check *out[2];
    for (int b = 0; b < 2; b++) {
        gc_exec *x = NULL;
        ck_assert_int_eq(gc_exec_alloc(f.p, &gc_step_default, 2,
                                       b ? GC_BATCH_ON : GC_BATCH_OFF, &x),
                         GC_OK);
        ck_assert_int_eq(gc_exec_batched(x), b);
        out[b] = calloc(nq, sizeof *out[b]);
        ck_assert_int_eq(gc_exec_check_quantities(x, f.theta, q, dq, NULL,
                                                  &gc_tol_default, out[b]),
                         GC_OK);
        gc_exec_free(x);
    }
    size_t wrong = 0;
    for (size_t j = 0; j < nq; j++) {
        assert_same_deriv(&out[0][j].numeric, &out[1][j].numeric);
        ck_assert_int_eq(out[0][j].verdict, out[1][j].verdict);
        ck_assert_int_eq(out[0][j].one_sided, out[1][j].one_sided);
        if (out[0][j].one_sided) {
            assert_same_deriv(&out[0][j].fwd, &out[1][j].fwd);
            assert_same_deriv(&out[0][j].bwd, &out[1][j].bwd);
        }
        wrong += out[0][j].verdict == GC_DISAGREE;
    }
    fprintf(stderr, "# %s %s: %zu quantity entries equal to the bit, %zu "
            "disagree\n", name, deriv, nq, wrong);
    free(out[0]);
    free(out[1]);
    free(q);
    free(dq);
    unmake(&f);
}

START_TEST(batched_quantities_bitwise_lstm)
{
    const long d[] = {5, 5, 6};
    quantities_bitwise("lstm_001_6_4", d, "corrected");
    quantities_bitwise("lstm_001_6_4", d, "seed");   /* disagrees */
}
END_TEST

START_TEST(batched_quantities_bitwise_mlp_cnn)
{
    const long d[] = {8, 12, 9, 3};
    quantities_bitwise("tanh_net_004_q1", d, "corrected");
    const long c[] = {12, 4};
    quantities_bitwise("conv_sigmoid_000_p4", c, "corrected");
    quantities_bitwise("conv_sigmoid_000_p4", c, "seed");
}
END_TEST

/* A whole case through gc_run_case: -j 1 and -j 4 give the same report. */
START_TEST(run_case_threads_identical)
{
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("cases/lstm_001_6_4.yaml"), &c,
                                  &err), GC_OK);
    gc_run_options o = gc_run_options_default();
    gc_case_report *r1 = NULL, *r4 = NULL;
    o.threads = 1;
    ck_assert_int_eq(gc_run_case(c, &o, &r1, &err), GC_OK);
    o.threads = 4;
    ck_assert_int_eq(gc_run_case(c, &o, &r4, &err), GC_OK);
    size_t np = c->prob->layout.params.n, nq = c->prob->layout.quantities.n;
    for (size_t d = 0; d < r1->n_derivs; d++) {
        ck_assert_int_eq(r1->derivs[d].verdict, r4->derivs[d].verdict);
        for (size_t p = 0; p < r1->n_points; p++) {
            const gc_point_report *a = &r1->derivs[d].points[p];
            const gc_point_report *b = &r4->derivs[d].points[p];
            for (size_t k = 0; k < np; k++)
                assert_same_deriv(&a->entries[k].numeric,
                                  &b->entries[k].numeric);
            ck_assert_int_eq(a->first_wrong, b->first_wrong);
            if (a->qentries)
                for (size_t j = 0; j < nq; j++)
                    assert_same_deriv(&a->qentries[j].numeric,
                                      &b->qentries[j].numeric);
        }
    }
    gc_case_report_free(r1);
    gc_case_report_free(r4);
    gc_case_free(c);
}
END_TEST

static Suite *parallel_suite(void)
{
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("parallel");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, threads_match_serial_lstm);
    tcase_add_test(tc, threads_match_serial_mlp_and_cnn);
    tcase_add_test(tc, forward_batch_matches_forward);
    tcase_add_test(tc, batched_matches_serial_lstm);
    tcase_add_test(tc, batched_matches_serial_mlp_cnn);
    tcase_add_test(tc, batched_threads_identical);
    tcase_add_test(tc, batched_rule_gsl_lstm);
    tcase_add_test(tc, forward_batch_tap_matches_forward);
    tcase_add_test(tc, batched_quantities_bitwise_lstm);
    tcase_add_test(tc, batched_quantities_bitwise_mlp_cnn);
    tcase_add_test(tc, run_case_threads_identical);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(parallel_suite());
}
