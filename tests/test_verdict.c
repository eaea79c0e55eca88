/* test_verdict.c: every edge of the verdict rule.
 *
 * The rule (src/verdict.c), with m = max(|a|, |n|):
 *   disagree      |a - n| > rtol m + atol + k abserr
 *   inconclusive  otherwise, if k abserr > bar_rtol m + atol
 *   agree         otherwise;  nonfinite if anything is NaN/Inf.
 * Tolerances used below: rtol 1e-7, atol 1e-10, k 2, bar_rtol 1e-4. */
#include <math.h>

#include "gradcheck.h"
#include "testutil.h"

static const gc_tol T = {.rtol = 1e-7, .atol = 1e-10, .k = 2, .bar_rtol = 1e-4};

START_TEST(verdict_exact_match_agrees)
{
    ck_assert_int_eq(gc_judge(2.385, 2.385, 1e-12, &T), GC_AGREE);
    ck_assert_double_eq(gc_rel_error(2.385, 2.385, T.atol), 0.0);
}
END_TEST

START_TEST(verdict_both_zero_agrees_with_zero_rel_error)
{
    /* Both exactly zero, and both below atol: nothing to compare. */
    ck_assert_int_eq(gc_judge(0.0, 0.0, 0.0, &T), GC_AGREE);
    ck_assert_double_eq(gc_rel_error(0.0, 0.0, T.atol), 0.0);
    ck_assert_int_eq(gc_judge(0.0, 3e-17, 1e-17, &T), GC_AGREE);
    ck_assert_double_eq(gc_rel_error(0.0, 3e-17, T.atol), 0.0);
}
END_TEST

START_TEST(verdict_tiny_values_use_atol)
{
    /* a = 4e-11, n = -3e-11: |a - n| = 7e-11 <= atol 1e-10: agree. */
    ck_assert_int_eq(gc_judge(4e-11, -3e-11, 0.0, &T), GC_AGREE);
    /* a = 4e-10, n = 1e-10: |a - n| = 3e-10 > 1e-10 + 4e-17: disagree,
     * relative error 3e-10 / 4e-10 = 0.75. */
    ck_assert_int_eq(gc_judge(4e-10, 1e-10, 0.0, &T), GC_DISAGREE);
    ck_assert_double_eq_tol(gc_rel_error(4e-10, 1e-10, T.atol), 0.75, 1e-12);
}
END_TEST

START_TEST(verdict_relative_threshold)
{
    /* a = 2.385, m = 2.385: allowed = 2.385e-7 + 1e-10 + 2*1e-12
     * = 2.38602e-7.  Differences just inside and just outside. */
    ck_assert_int_eq(gc_judge(2.385, 2.385 + 2.38e-7, 1e-12, &T), GC_AGREE);
    ck_assert_int_eq(gc_judge(2.385, 2.385 + 2.40e-7, 1e-12, &T),
                     GC_DISAGREE);
    /* A wrong factor of (1 + 1e-6) is seen: 2.385e-6 > 2.386e-7. */
    ck_assert_int_eq(gc_judge(2.385 * (1 + 1e-6), 2.385, 1e-12, &T),
                     GC_DISAGREE);
}
END_TEST

START_TEST(verdict_error_bar_widens_tolerance)
{
    /* |a - n| = 1e-5 is beyond rtol (2.4e-7) but within k abserr (2e-5):
     * not a disagreement; and the bar 2e-5 <= 1e-4 * 2.385 + 1e-10 =
     * 2.385e-4 still decides, so agree. */
    ck_assert_int_eq(gc_judge(2.385, 2.385 + 1e-5, 1e-5, &T), GC_AGREE);
}
END_TEST

START_TEST(verdict_wide_error_bar_is_inconclusive)
{
    /* abserr 1e-3: k abserr = 2e-3 > 1e-4 * 2.385 + 1e-10 = 2.385e-4. */
    ck_assert_int_eq(gc_judge(2.385, 2.3851, 1e-3, &T), GC_INCONCLUSIVE);
    /* ... but a difference beyond even the bar is still a disagreement. */
    ck_assert_int_eq(gc_judge(2.385, 2.5, 1e-3, &T), GC_DISAGREE);
}
END_TEST

START_TEST(verdict_exact_match_needs_no_error_bar)
{
    /* A dead ReLU: analytic exactly 0, numeric exactly 0, but GSL's
     * round-off estimate 1e-9 (k abserr = 2e-9 > atol): still agree. */
    ck_assert_int_eq(gc_judge(0.0, 0.0, 1e-9, &T), GC_AGREE);
    ck_assert_int_eq(gc_judge(2.385, 2.385, 1e-3, &T), GC_AGREE);
    /* ... but one ulp apart, the wide bar is inconclusive again. */
    ck_assert_int_eq(gc_judge(0.0, 4.9e-324, 1e-9, &T), GC_INCONCLUSIVE);
}
END_TEST

START_TEST(verdict_nonfinite_anywhere)
{
    ck_assert_int_eq(gc_judge(NAN, 1.0, 0.0, &T), GC_NONFINITE);
    ck_assert_int_eq(gc_judge(1.0, INFINITY, 0.0, &T), GC_NONFINITE);
    ck_assert_int_eq(gc_judge(1.0, 1.0, NAN, &T), GC_NONFINITE);
    ck_assert_int_eq(gc_judge(-INFINITY, -INFINITY, 0.0, &T), GC_NONFINITE);
    ck_assert(isnan(gc_rel_error(NAN, 1.0, T.atol)));
}
END_TEST

START_TEST(verdict_one_sided_kink)
{
    /* ReLU at 0: forward slope 1, backward slope 0. */
    ck_assert(gc_one_sided_differ(1.0, 1e-12, 0.0, 1e-12, &T));
    /* A smooth point: both sides 2.385 up to noise. */
    ck_assert(!gc_one_sided_differ(2.385, 1e-9, 2.385 + 1e-9, 1e-9, &T));
    /* Non-finite one-sided values never make a kink. */
    ck_assert(!gc_one_sided_differ(NAN, 0, 0.0, 0, &T));
}
END_TEST

START_TEST(verdict_names_round_trip)
{
    for (int v = 0; v < GC_N_VERDICTS; v++)
        ck_assert_int_eq(gc_verdict_parse(gc_verdict_name((gc_verdict)v)), v);
    ck_assert_int_eq(gc_verdict_parse("agrees"), -1);
    ck_assert_str_eq(gc_verdict_name(GC_KINK), "kink");
}
END_TEST

static Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdict");
    TCase *tc = tcase_create("rule");
    tcase_add_test(tc, verdict_exact_match_agrees);
    tcase_add_test(tc, verdict_both_zero_agrees_with_zero_rel_error);
    tcase_add_test(tc, verdict_tiny_values_use_atol);
    tcase_add_test(tc, verdict_relative_threshold);
    tcase_add_test(tc, verdict_error_bar_widens_tolerance);
    tcase_add_test(tc, verdict_wide_error_bar_is_inconclusive);
    tcase_add_test(tc, verdict_exact_match_needs_no_error_bar);
    tcase_add_test(tc, verdict_nonfinite_anywhere);
    tcase_add_test(tc, verdict_one_sided_kink);
    tcase_add_test(tc, verdict_names_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(verdict_suite()); }
