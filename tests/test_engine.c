/* test_engine.c: the numeric engine against functions with known
 * derivatives, at unremarkable points; the true error must lie inside the
 * reported error bar. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

/* A one-parameter test model: loss f_fn(a), selected by the dim "fn".
 * Quantity q = a^2 is tapped, and the loss of fn 9 is sin(q). */
enum { F_EXP, F_SINX2, F_LOG, F_CUBIC, F_ABS, F_RELU, F_LOGNEG, F_OVERFLOW,
       F_STEEP, F_SINQ, F_JUMP, F_COUNT };

static const gc_dim dims[] = {{"fn", 0, 0, F_COUNT - 1, "which f"},
                              {NULL, 0, 0, 0, NULL}};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    L->work = 1;
    int st = gc_blocks_add(&L->params, "a", 0, 1, 1, 1, 0, 0, 0);
    return st ? st : gc_blocks_add(&L->quantities, "q", 0, 1, 1, 1, 0, 0, 0);
}

static double forward(const gc_problem *p, const double *th, const gc_tap *tap,
                      double *q, double *work)
{
    double a = th[0];
    work[0] = a;
    double qq = gc_tapped(tap, 0, a * a);
    if (q) q[0] = qq;
    switch (p->dims[0]) {
    case F_EXP: return exp(a);
    case F_SINX2: return sin(a) * a * a;
    case F_LOG: return log(a);
    case F_CUBIC: return a * a * a - 4 * a;
    case F_ABS: return fabs(a - 2.385);
    case F_RELU: return a > 2.385 ? 3.0 * (a - 2.385) : 0.0;
    case F_LOGNEG: return log(a);
    case F_OVERFLOW: return exp(1000 * a);
    case F_STEEP: return 1.0 / (1.0 + exp(-(100 * 3.0 + a)));  /* sigma(300+b) */
    case F_SINQ: return sin(qq);
    case F_JUMP: return a + (a > 2.385 ? 1.0 : 0.0);   /* slope 1, jump 1 */
    }
    return NAN;
}

static int no_grad(const gc_problem *p, const double *th, double *g, double *w)
{
    (void)p; (void)th; (void)w;
    g[0] = 0;
    return 0;
}

static const gc_derivation_type none = {.name = "none", .summary = "",
                                        .gradient = no_grad};
static const gc_derivation_type *const derivs[] = {&none, NULL};
static const gc_model_type fake = {.name = "fake", .title = "", .source = "",
                                   .dims = dims, .layout = layout,
                                   .forward = forward,
                                   .derivations = derivs};

static gc_problem *P;
static gc_engine *E;

static void with_fn(long fn)
{
    gc_problem_free(P);
    gc_engine_free(E);
    ck_assert_int_eq(gc_problem_alloc(&fake, &fn, &P), GC_OK);
    ck_assert_int_eq(gc_engine_alloc(P, &E), GC_OK);
}

static void teardown(void)
{
    gc_engine_free(E);
    gc_problem_free(P);
    E = NULL;
    P = NULL;
}

/* Numeric derivative of fn at a; asserts the true error is inside the
 * error bar and small. */
static void expect_derivative(long fn, double a, double truth, double rel)
{
    with_fn(fn);
    gc_deriv d;
    ck_assert_int_eq(gc_engine_param_central(E, &a, 0, &gc_step_default, &d),
                     GC_OK);
    ck_assert_int_eq(d.status, 0);
    double err = fabs(d.value - truth);
    ck_assert_msg(err <= d.abserr,
                  "fn %ld: true error %.3g outside the error bar %.3g", fn,
                  err, d.abserr);
    ck_assert_msg(err <= rel * fabs(truth),
                  "fn %ld: true error %.3g above %.1g relative", fn, err, rel);
}

START_TEST(deriv_central_exp)
{
    /* d/da e^a = e^a; e^2.385 = 10.859... */
    expect_derivative(F_EXP, 2.385, exp(2.385), 1e-12);
}
END_TEST

START_TEST(deriv_central_sin_x2)
{
    /* d/da a^2 sin a = 2a sin a + a^2 cos a */
    double a = 2.385;
    expect_derivative(F_SINX2, a, 2 * a * sin(a) + a * a * cos(a), 1e-12);
}
END_TEST

START_TEST(deriv_central_log)
{
    expect_derivative(F_LOG, 2.385, 1 / 2.385, 1e-12);   /* d log a = 1/a */
    expect_derivative(F_LOG, 1e-3 * 2.385, 1 / (1e-3 * 2.385), 1e-12);
}
END_TEST

START_TEST(deriv_central_cubic_large_x)
{
    /* d/da (a^3 - 4a) = 3a^2 - 4, at a = -2385: step scales with |a|. */
    double a = -2385.0;
    expect_derivative(F_CUBIC, a, 3 * a * a - 4, 1e-12);
}
END_TEST

START_TEST(deriv_central_steep_shifted_bias)
{
    /* sigma(300 + b) at b = -300: derivative sigma'(0) = 1/4 although |b|
     * = 300 suggests a step of 0.29; the engine must shrink it. */
    expect_derivative(F_STEEP, -300.0, 0.25, 1e-12);
}
END_TEST

/* The error bar holds along a sweep, not only at chosen points: a^2 sin a
 * at 48 points in [0.1, 3.6], derivative 2a sin a + a^2 cos a. */
START_TEST(deriv_central_sweep_in_bar)
{
    for (int i = 0; i < 48; i++) {
        double a = 0.1 + 0.0731 * i;
        expect_derivative(F_SINX2, a, 2 * a * sin(a) + a * a * cos(a), 1e-11);
    }
}
END_TEST

/* A smooth entry costs one attempt: GSL's 5-point rule at h and h/2, six
 * loss values (x +- h/2 shared), GSL's own refinement declined. */
START_TEST(deriv_central_six_passes)
{
    with_fn(F_EXP);
    double a = 2.385;
    gc_deriv d;
    gc_engine_param_central(E, &a, 0, &gc_step_default, &d);
    ck_assert_uint_eq(gc_engine_passes(E), 6);
}
END_TEST

/* A jump inside the stencil: a + [a > 2.385] at a = 2.385 has one-sided
 * slopes 1 and 1 but no derivative; the central difference grows like
 * 1/h, and the error bar with it, so the entry is inconclusive, never a
 * disagreement (nor a kink: the one-sided slopes agree). */
START_TEST(check_jump_inconclusive)
{
    with_fn(F_JUMP);
    double a = 2.385;
    gc_entry_check c;
    gc_engine_check_param(E, &a, 0, 1.0, &gc_step_default, &gc_tol_default,
                          &c);
    ck_assert_int_eq(c.verdict, GC_INCONCLUSIVE);
    ck_assert(fabs(c.numeric.value) > 10);
    a = 2.385 + 0.5;   /* away from the jump: slope 1 */
    gc_engine_check_param(E, &a, 0, 1.0, &gc_step_default, &gc_tol_default,
                          &c);
    ck_assert_int_eq(c.verdict, GC_AGREE);
}
END_TEST

START_TEST(deriv_quantity_tap)
{
    /* L = sin(q), q = a^2: dL/dq = cos(a^2), measured through the tap. */
    with_fn(F_SINQ);
    double a = 2.385, q[1];
    gc_engine_loss(E, &a, NULL, q);
    ck_assert_double_eq_tol(q[0], a * a, 1e-15);
    gc_deriv d;
    ck_assert_int_eq(gc_engine_quantity_central(E, &a, 0, fabs(q[0]),
                                                &gc_step_default, &d), GC_OK);
    double truth = cos(a * a);
    ck_assert_msg(fabs(d.value - truth) <= d.abserr, "%.17g vs %.17g +- %.3g",
                  d.value, truth, d.abserr);
    ck_assert(fabs(d.value - truth) < 1e-9);
}
END_TEST

START_TEST(deriv_output_selection)
{
    /* Jacobian machinery: differentiate the quantity q = a^2 instead of the
     * loss: dq/da = 2a; through a tap on q itself, dq/dq = 1. */
    with_fn(F_SINQ);
    double a = 2.385;
    ck_assert_int_eq(gc_engine_set_output(E, 0), GC_OK);
    ck_assert_int_eq(gc_engine_set_output(E, 1), GC_EINVAL);
    gc_entry_check c;
    gc_engine_check_param(E, &a, 0, 2 * a, &gc_step_default, &gc_tol_default,
                          &c);
    ck_assert_int_eq(c.verdict, GC_AGREE);
    ck_assert(fabs(c.numeric.value - 2 * a) <= c.numeric.abserr + 1e-15);
    gc_engine_check_quantity(E, &a, 0, a * a, 1.0, &gc_step_default,
                             &gc_tol_default, &c);
    ck_assert_int_eq(c.verdict, GC_AGREE);
    /* back to the loss sin(q): d/da = 2a cos(a^2) */
    gc_engine_set_output(E, -1);
    gc_engine_check_param(E, &a, 0, 2 * a * cos(a * a), &gc_step_default,
                          &gc_tol_default, &c);
    ck_assert_int_eq(c.verdict, GC_AGREE);
}
END_TEST

START_TEST(check_abs_kink)
{
    /* |a - 2.385| at its hinge: one-sided slopes +1 and -1; whatever the
     * analytic value, the entry is a kink, never a disagreement. */
    with_fn(F_ABS);
    double a = 2.385;
    gc_entry_check c;
    ck_assert_int_eq(gc_engine_check_param(E, &a, 0, 1.0, &gc_step_default,
                                           &gc_tol_default, &c), GC_OK);
    ck_assert_int_eq(c.verdict, GC_KINK);
    ck_assert(c.one_sided);
    ck_assert_double_eq_tol(c.fwd.value, 1.0, 1e-9);
    ck_assert_double_eq_tol(c.bwd.value, -1.0, 1e-9);
}
END_TEST

START_TEST(check_relu_kink_and_smooth_side)
{
    /* 3 relu(a - 2.385): kink at the hinge, slope 3 just to the right. */
    with_fn(F_RELU);
    double a = 2.385;
    gc_entry_check c;
    gc_engine_check_param(E, &a, 0, 0.0, &gc_step_default, &gc_tol_default, &c);
    ck_assert_int_eq(c.verdict, GC_KINK);
    a = 2.385 + 0.5;
    gc_engine_check_param(E, &a, 0, 3.0, &gc_step_default, &gc_tol_default, &c);
    ck_assert_int_eq(c.verdict, GC_AGREE);
    gc_engine_check_param(E, &a, 0, 2.9, &gc_step_default, &gc_tol_default, &c);
    ck_assert_int_eq(c.verdict, GC_DISAGREE);
}
END_TEST

START_TEST(check_nan_loss_is_nonfinite)
{
    /* log of a negative number: NaN loss; GSL's handler is off, so the
     * process goes on and the entry is nonfinite. */
    with_fn(F_LOGNEG);
    double a = -2.385;
    gc_entry_check c;
    ck_assert_int_eq(gc_engine_check_param(E, &a, 0, -1 / 2.385,
                                           &gc_step_default, &gc_tol_default,
                                           &c), GC_OK);
    ck_assert_int_eq(c.verdict, GC_NONFINITE);
}
END_TEST

START_TEST(check_overflow_is_nonfinite)
{
    /* e^(1000 a) at a = 2.385 overflows to +Inf. */
    with_fn(F_OVERFLOW);
    double a = 2.385;
    gc_entry_check c;
    gc_engine_check_param(E, &a, 0, 0.0, &gc_step_default, &gc_tol_default,
                          &c);
    ck_assert_int_eq(c.verdict, GC_NONFINITE);
}
END_TEST

START_TEST(check_nan_analytic_is_nonfinite)
{
    with_fn(F_EXP);
    double a = 2.385;
    gc_entry_check c;
    gc_engine_check_param(E, &a, 0, NAN, &gc_step_default, &gc_tol_default,
                          &c);
    ck_assert_int_eq(c.verdict, GC_NONFINITE);
}
END_TEST

/* Thread safety: two engines on one problem in two threads give the same
 * numbers, bit for bit, as one engine in one thread. */
typedef struct {
    const gc_problem *p;
    double a[64];
    double out[64];
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    gc_engine *e;
    if (gc_engine_alloc(j->p, &e)) return NULL;
    for (int i = 0; i < 64; i++) {
        gc_deriv d;
        gc_engine_param_central(e, &j->a[i], 0, &gc_step_default, &d);
        j->out[i] = d.value;
    }
    gc_engine_free(e);
    return NULL;
}

START_TEST(engine_threads_match_serial)
{
    with_fn(F_SINX2);
    static job jobs[3];
    for (int t = 0; t < 3; t++) {
        jobs[t].p = P;
        for (int i = 0; i < 64; i++) jobs[t].a[i] = 0.1 + 0.0731 * i;
    }
    run_job(&jobs[2]);   /* serial reference */
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, run_job, &jobs[t]), 0);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 64; i++)
            ck_assert_msg(memcmp(&jobs[t].out[i], &jobs[2].out[i],
                                 sizeof(double)) == 0,
                          "thread %d entry %d differs", t, i);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("known derivatives");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, deriv_central_exp);
    tcase_add_test(tc, deriv_central_sin_x2);
    tcase_add_test(tc, deriv_central_log);
    tcase_add_test(tc, deriv_central_cubic_large_x);
    tcase_add_test(tc, deriv_central_steep_shifted_bias);
    tcase_add_test(tc, deriv_central_sweep_in_bar);
    tcase_add_test(tc, deriv_central_six_passes);
    tcase_add_test(tc, check_jump_inconclusive);
    tcase_add_test(tc, deriv_quantity_tap);
    tcase_add_test(tc, deriv_output_selection);
    tcase_add_test(tc, check_abs_kink);
    tcase_add_test(tc, check_relu_kink_and_smooth_side);
    tcase_add_test(tc, check_nan_loss_is_nonfinite);
    tcase_add_test(tc, check_overflow_is_nonfinite);
    tcase_add_test(tc, check_nan_analytic_is_nonfinite);
    tcase_add_test(tc, engine_threads_match_serial);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(engine_suite()); }
