/* test_screen.c: directional screening finds and names wrong entries,
 * passes correct gradients, and spends far fewer forward passes than the
 * full per-entry check. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

typedef struct {
    gc_problem *p;
    double *theta, *grad, *work;
    gc_exec *x;
} fixture;

static fixture make_mode(const long *dims, int threads, gc_batch_mode b)
{
    fixture f;
    const gc_model_type *m = gc_model_find("lstm_001_6_4");
    ck_assert_int_eq(gc_problem_alloc(m, dims, &f.p), GC_OK);
    size_t np = f.p->layout.params.n;
    f.theta = malloc(np * sizeof *f.theta);
    f.grad = malloc(np * sizeof *f.grad);
    f.work = malloc(f.p->layout.work * sizeof *f.work);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2385);
    for (size_t k = 0; k < np; k++) f.theta[k] = gsl_ran_gaussian(r, 0.4);
    for (size_t k = 0; k < f.p->layout.inputs.n; k++)
        f.p->inputs[k] = gsl_ran_gaussian(r, 0.7);
    gsl_rng_free(r);
    ck_assert_int_eq(gc_derivation_find(m, "corrected")->gradient(
                         f.p, f.theta, f.grad, f.work), GC_OK);
    ck_assert_int_eq(gc_exec_alloc(f.p, &gc_step_default, threads, b,
                                   &f.x), GC_OK);
    return f;
}

static fixture make(const long *dims, int threads)
{
    return make_mode(dims, threads, GC_BATCH_OFF);
}

static void unmake(fixture *f)
{
    gc_exec_free(f->x);
    gc_problem_free(f->p);
    free(f->theta);
    free(f->grad);
    free(f->work);
}

/* The entry of block `name` whose gradient is largest in magnitude. */
static size_t largest_in(const fixture *f, const char *name)
{
    const gc_block *b = gc_blocks_find(&f->p->layout.params, name);
    ck_assert_ptr_nonnull(b);
    size_t best = b->offset;
    for (size_t k = b->offset; k < b->offset + b->size; k++)
        if (fabs(f->grad[k]) > fabs(f->grad[best])) best = k;
    return best;
}

static int named(const gc_screen_point *pt, size_t k, gc_verdict *v)
{
    for (size_t i = 0; i < pt->n_named; i++)
        if (pt->named[i] == k) {
            *v = pt->entries[i].verdict;
            return 1;
        }
    return 0;
}

static const long dims[] = {6, 10, 4};   /* 680 parameters */

START_TEST(correct_gradient_agrees_without_bisection)
{
    fixture f = make(dims, 2);
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pt;
    ck_assert_int_eq(gc_screen_at_point(f.x, f.theta, f.grad, NULL,
                                         &gc_tol_default, &d, &pt), GC_OK);
    ck_assert_int_eq(pt.verdict, GC_AGREE);
    ck_assert_uint_eq(pt.n_screens, f.p->layout.params.n_blocks);
    ck_assert_uint_eq(pt.n_named, 0);
    /* 12 blocks x 3 directions x 8 passes, and the odd retry */
    ck_assert_uint_le(pt.passes, 12 * 3 * 8 * 3 / 2);
    gc_screen_point_clear(&pt);
    unmake(&f);
}
END_TEST

START_TEST(one_entry_off_by_1e_4_is_named)
{
    fixture f = make(dims, 2);
    size_t k = largest_in(&f, "U_c");
    f.grad[k] *= 1 + 1e-4;
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pt;
    ck_assert_int_eq(gc_screen_at_point(f.x, f.theta, f.grad, NULL,
                                         &gc_tol_default, &d, &pt), GC_OK);
    gc_verdict v;
    ck_assert(named(&pt, k, &v));
    ck_assert_int_eq(v, GC_DISAGREE);
    ck_assert_int_eq(pt.verdict, GC_DISAGREE);
    ck_assert_uint_eq(pt.counts[GC_DISAGREE], 1);
    ck_assert_uint_le(pt.n_named, d.leaf);
    /* the full check would spend about 8 passes on each of 680 entries */
    ck_assert_uint_lt(pt.passes, 680 * 8 / 4);
    gc_screen_point_clear(&pt);
    unmake(&f);
}
END_TEST

/* Two errors of equal size and opposite sign in one block: along a
 * Rademacher direction they would cancel half of the time; along Gaussian
 * directions they do not, and both are named. */
START_TEST(two_opposite_errors_are_both_named)
{
    fixture f = make(dims, 2);
    const gc_block *b = gc_blocks_find(&f.p->layout.params, "W_o");
    size_t k1 = b->offset + 3, k2 = b->offset + 40;
    double e = 1e-4 * fmax(fabs(f.grad[k1]), fabs(f.grad[k2]));
    f.grad[k1] += e;
    f.grad[k2] -= e;
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pt;
    ck_assert_int_eq(gc_screen_at_point(f.x, f.theta, f.grad, NULL,
                                         &gc_tol_default, &d, &pt), GC_OK);
    gc_verdict v1, v2;
    ck_assert(named(&pt, k1, &v1) && named(&pt, k2, &v2));
    ck_assert_int_eq(v1, GC_DISAGREE);
    ck_assert_int_eq(v2, GC_DISAGREE);
    gc_screen_point_clear(&pt);
    unmake(&f);
}
END_TEST

/* The directions depend on the seed and the part only: the same screens on
 * one thread and on three. */
START_TEST(threads_do_not_change_screening)
{
    fixture a = make(dims, 1), b = make(dims, 3);
    size_t k = largest_in(&a, "b_i");
    a.grad[k] *= 1 + 1e-3;
    b.grad[k] *= 1 + 1e-3;
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pa, pb;
    ck_assert_int_eq(gc_screen_at_point(a.x, a.theta, a.grad, NULL,
                                         &gc_tol_default, &d, &pa), GC_OK);
    ck_assert_int_eq(gc_screen_at_point(b.x, b.theta, b.grad, NULL,
                                         &gc_tol_default, &d, &pb), GC_OK);
    ck_assert_uint_eq(pa.n_screens, pb.n_screens);
    for (size_t i = 0; i < pa.n_screens; i++) {
        ck_assert_uint_eq(pa.screens[i].a, pb.screens[i].a);
        for (int r = 0; r < pa.screens[i].n_dirs; r++)
            ck_assert(memcmp(&pa.screens[i].numeric[r].value,
                             &pb.screens[i].numeric[r].value,
                             sizeof(double)) == 0);
    }
    ck_assert_uint_eq(pa.n_named, pb.n_named);
    ck_assert_uint_eq(pa.passes, pb.passes);
    gc_screen_point_clear(&pa);
    gc_screen_point_clear(&pb);
    unmake(&a);
    unmake(&b);
}
END_TEST

/* Batched directional derivatives (forward_batch_dir) screen as the
 * serial ones do: the same parts, the same entry named, numeric values
 * within each other's error bars. */
START_TEST(batched_screening_matches_serial)
{
    fixture a = make_mode(dims, 1, GC_BATCH_OFF);
    fixture b = make_mode(dims, 2, GC_BATCH_ON);
    ck_assert(gc_exec_batched(b.x));
    size_t k = largest_in(&a, "U_o");
    a.grad[k] *= 1 + 1e-4;
    b.grad[k] *= 1 + 1e-4;
    gc_screen_options d = gc_screen_options_default();
    gc_screen_point pa, pb;
    ck_assert_int_eq(gc_screen_at_point(a.x, a.theta, a.grad, NULL,
                                         &gc_tol_default, &d, &pa), GC_OK);
    ck_assert_int_eq(gc_screen_at_point(b.x, b.theta, b.grad, NULL,
                                         &gc_tol_default, &d, &pb), GC_OK);
    ck_assert_uint_eq(pa.n_screens, pb.n_screens);
    for (size_t i = 0; i < pa.n_screens; i++) {
        const gc_screen_block *x = &pa.screens[i], *y = &pb.screens[i];
        ck_assert_uint_eq(x->a, y->a);
        ck_assert_int_eq(x->verdict, y->verdict);
        for (int r = 0; r < x->n_dirs; r++)
            ck_assert(fabs(x->numeric[r].value - y->numeric[r].value) <=
                      x->numeric[r].abserr + y->numeric[r].abserr);
    }
    gc_verdict v;
    ck_assert(named(&pb, k, &v));
    ck_assert_int_eq(v, GC_DISAGREE);
    ck_assert_uint_eq(pa.n_named, pb.n_named);
    gc_screen_point_clear(&pa);
    gc_screen_point_clear(&pb);
    unmake(&a);
    unmake(&b);
}
END_TEST

/* A case through gc_screen_run_case: the seed derivation of Problem 6.4 is
 * wrong and the corrected one right, as in the full mode. */
START_TEST(case_verdicts_as_full_mode)
{
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("cases/lstm_001_6_4.yaml"), &c,
                                  &err), GC_OK);
    gc_run_options o = gc_run_options_default();
    gc_screen_options d = gc_screen_options_default();
    gc_screen_report *r = NULL;
    ck_assert_int_eq(gc_screen_run_case(c, &o, &d, &r, &err), GC_OK);
    ck_assert_uint_eq(r->unmet, 0);
    for (size_t i = 0; i < r->n_derivs; i++)
        ck_assert_int_eq(r->derivs[i].verdict, r->derivs[i].expect);
    gc_screen_report_free(r);
    gc_case_free(c);
}
END_TEST

static Suite *directional_suite(void)
{
    Suite *s = suite_create("directional");
    TCase *tc = tcase_create("directional");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, correct_gradient_agrees_without_bisection);
    tcase_add_test(tc, one_entry_off_by_1e_4_is_named);
    tcase_add_test(tc, two_opposite_errors_are_both_named);
    tcase_add_test(tc, threads_do_not_change_screening);
    tcase_add_test(tc, batched_screening_matches_serial);
    tcase_add_test(tc, case_verdicts_as_full_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(directional_suite());
}
