/* test_nonfinite.c: a verdict 'nonfinite' says why.  Case-defined
 * networks whose forward pass or derivation is not finite at a point the
 * check reaches (a finite-difference step into log's forbidden half, an
 * index computed from a parameter stepping out of range, a division by
 * zero, sqrt of a negative entry in a derivation): the point report's
 * `why` names the entry, the step, the definition, what went wrong and
 * its line and column in the case file, and the JSON and HTML reports
 * carry it.  The steps and values in the expected messages are worked out
 * by hand in the comments (the step rule: h = 2^-6 max(|x|, 1) rounded
 * down to a power of two, engine.c). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

static gc_case *load(const char *text)
{
    return tu_load_case(tu_tmpfile(text));
}


static void has(const char *s, const char *part)
{
    ck_assert_msg(s != NULL, "no reason given (expected \"%s\")", part);
    ck_assert_msg(strstr(s, part) != NULL, "\"%s\" not in \"%s\"", part, s);
}

/* At b = (1, 1, 1) the branch b[1] > 1 is not taken: a2 = b, L = 3 and
 * dL/db[2] = 2 b[2] = 2 agrees.  The central difference of b[1] steps to
 * b[1] + h with h = 2^-6 max(1, 1) = 0.015625, where the branch is taken:
 * a = b - 3, a[1] = 1.015625 - 3 = -1.984375, log of it NaN.  log( is
 * column 23 of line 7: 4 spaces, "a2 = if(b[1] > 1, " is 18 more. */
static const char log_step[] =
    "name: log_step\n"                                  /* 1 */
    "network:\n"                                        /* 2 */
    "  dims: {n: 3}\n"                                  /* 3 */
    "  params: {b: [n]}\n"                              /* 4 */
    "  forward: |\n"                                    /* 5 */
    "    a = b - 3\n"                                   /* 6 */
    "    a2 = if(b[1] > 1, log(a), b)\n"                /* 7 */
    "    L = sum(a2 * a2)\n"                            /* 8 */
    "params: {b: [1, 1, 1]}\n"                          /* 9 */
    "derivations:\n"                                    /* 10 */
    "  mine:\n"                                         /* 11 */
    "    formulas: |\n"                                 /* 12 */
    "      dL/db = 2 b\n";                              /* 13 */

START_TEST(nonfinite_forward_log_at_a_step)
{
    gc_case *c = load(log_step);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_point_report *pr = &r->derivs[0].points[0];
    ck_assert_int_eq(pr->entries[0].verdict, GC_NONFINITE);
    ck_assert_int_eq(pr->entries[1].verdict, GC_AGREE);
    has(pr->why, "b[1]: the loss is NaN at this point with b[1] + 0.015625");
    has(pr->why, "log of a negative number: log(-1.98438)");
    has(pr->why, "computing a2[1] (line 7, column 23)");
    /* the same reason whatever the threads (it is found on the calling
     * thread, after the check) */
    gc_case_report *r2 = tu_run_case(c, 2);
    ck_assert_str_eq(r2->derivs[0].points[0].why, pr->why);

    /* JSON: the point's reason and the derivation's first, valid */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options o = {0};
    ck_assert_int_eq(gc_report_json(f, &r, 1, &o), GC_OK);
    fclose(f);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    ck_assert_msg(j != NULL, "invalid JSON: %s", e.text);
    json_t *d = json_array_get(json_object_get(json_array_get(
        json_object_get(j, "cases"), 0), "derivations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "reason")),
                     pr->why);
    json_t *p0 = json_array_get(json_object_get(d, "points"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(p0, "reason")),
                     pr->why);
    json_decref(j);
    free(buf);

    /* HTML and text say it too */
    buf = NULL;
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(gc_report_html(f, &r, 1, &o), GC_OK);
    fclose(f);
    has(buf, "not finite at point 0 (given):</strong> b[1]: the loss is NaN");
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    o.verbose = 1;
    ck_assert_int_eq(gc_report_text(f, &r, 1, &o), GC_OK);
    fclose(f);
    has(buf, "    not finite at point 0 (given): b[1]: the loss is NaN");
    free(buf);
    gc_case_report_free(r2);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* k = floor(b[1] + 3) is 3 at b[1] = 0.99999999; every step of b[1]'s
 * central difference, even the smallest (2^-6 / 16^4 / 4 = 6e-8), moves
 * b[1] + step past 1, where k = 4 and b[k] is out of range: the pass stops
 * there (the case reads: at the point itself k = 3).  k is column 11 of
 * line 7 ("    L = b[" is 10 columns). */
static const char index_step[] =
    "name: index_step\n"                                /* 1 */
    "network:\n"                                        /* 2 */
    "  dims: {n: 3}\n"                                  /* 3 */
    "  params: {b: [n]}\n"                              /* 4 */
    "  forward: |\n"                                    /* 5 */
    "    k = floor(b[1] + 3)\n"                         /* 6 */
    "    L = b[k] * b[2] + b[3]\n"                      /* 7 */
    "params: {b: [0.99999999, 1, 1]}\n"                 /* 8 */
    "derivations:\n"                                    /* 9 */
    "  mine:\n"                                         /* 10 */
    "    formulas: |\n"                                 /* 11 */
    "      dL/db[1] = 0\n";                             /* 12 */

START_TEST(nonfinite_forward_index_out_of_range_at_a_step)
{
    gc_case *c = load(index_step);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_point_report *pr = &r->derivs[0].points[0];
    ck_assert_int_eq(pr->entries[0].verdict, GC_NONFINITE);
    has(pr->why, "b[1]: the loss is NaN at this point with b[1] + ");
    has(pr->why, "the forward pass stops: index 4 is out of range");
    has(pr->why, "(line 7, column 11)");
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* d = b[1] - 1 = 0 at b = (1, 2, 3): L = sum(b) / d = 6 / 0, infinite at
 * the point itself (a verdict, not an error: the case reads); '/' is
 * column 16 of line 7. */
static const char division[] =
    "name: division\n"                                  /* 1 */
    "network:\n"                                        /* 2 */
    "  dims: {n: 3}\n"                                  /* 3 */
    "  params: {b: [n]}\n"                              /* 4 */
    "  forward: |\n"                                    /* 5 */
    "    d = b[1] - 1\n"                                /* 6 */
    "    L = sum(b) / d\n"                              /* 7 */
    "params: {b: [1, 2, 3]}\n"                          /* 8 */
    "derivations:\n"                                    /* 9 */
    "  mine:\n"                                         /* 10 */
    "    formulas: |\n"                                 /* 11 */
    "      dL/db[2] = 0\n";                             /* 12 */

START_TEST(nonfinite_forward_division_by_zero_at_the_point)
{
    gc_case *c = load(division);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_point_report *pr = &r->derivs[0].points[0];
    ck_assert_int_eq(pr->entries[1].verdict, GC_NONFINITE);
    has(pr->why, "the loss is infinite at this point, so no numeric "
        "derivative is finite: division by zero: 6 / 0, computing L (line 7, "
        "column 16)");
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* The derivation writes b^2 as sqrt(b)^4: right where b >= 0, NaN at
 * b[1] = -1 alone.  dL/db[2] = 2^2 = 4 and dL/db[3] = 0.5^2 = 0.25 still
 * agree (an answer's NaN entry used to leave the entries after it unset,
 * so they came out 'nonfinite' too).  sqrt is column 11 of line 11. */
static const char sqrt_entry[] =
    "name: sqrt_entry\n"                                /* 1 */
    "network:\n"                                        /* 2 */
    "  dims: {n: 3}\n"                                  /* 3 */
    "  params: {b: [n]}\n"                              /* 4 */
    "  forward: |\n"                                    /* 5 */
    "    L = sum(b * b * b) / 3\n"                      /* 6 */
    "params: {b: [-1, 2, 0.5]}\n"                       /* 7 */
    "derivations:\n"                                    /* 8 */
    "  mine:\n"                                         /* 9 */
    "    formulas: |\n"                                 /* 10 */
    "      r = sqrt(b)\n"                               /* 11 */
    "      dL/db = r * r * r * r\n";                    /* 12 */

START_TEST(nonfinite_derivation_sqrt_of_one_entry)
{
    gc_case *c = load(sqrt_entry);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_point_report *pr = &r->derivs[0].points[0];
    ck_assert_int_eq(pr->entries[0].verdict, GC_NONFINITE);
    ck_assert_int_eq(pr->entries[1].verdict, GC_AGREE);
    ck_assert_int_eq(pr->entries[2].verdict, GC_AGREE);
    has(pr->why, "b[1]: the derivation's dL/db[1] is not finite: sqrt of a "
        "negative number: sqrt(-1), computing r[1] (line 11, column 11)");
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* log(b + 2.5) at 80 random points (normal, scale 1): wherever some
 * b[i] < -2.5 the loss itself is NaN; each such point, the ones past the
 * first 32 that the case reader runs too, says why. */
static const char random_log[] =
    "name: random_log\n"
    "network:\n"
    "  dims: {n: 3}\n"
    "  params: {b: [n]}\n"
    "  forward: |\n"
    "    c = log(b + 2.5)\n"
    "    L = sum(c)\n"
    "params: {b: [0, 0, 0]}\n"
    "points: 80\n"
    "random: {seed: 3, dist: normal, scale: 1}\n"
    "derivations:\n"
    "  mine:\n"
    "    formulas: |\n"
    "      dL/db = 1 / (b + 2.5)\n";

START_TEST(nonfinite_random_points_say_why)
{
    gc_case *c = load(random_log);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *dr = &r->derivs[0];
    size_t bad = 0, late = 0;
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_point_report *pr = &dr->points[p];
        int below = 0;
        for (int i = 0; i < 3; i++) below |= pr->theta[i] < -2.5;
        ck_assert_int_eq(pr->verdict == GC_NONFINITE, below);
        if (!below) { ck_assert_ptr_null(pr->why); continue; }
        bad++;
        late += p > 32;
        has(pr->why, "the loss is NaN at this point");
        has(pr->why, "log of a negative number");
        has(pr->why, "(line 6, column 9)");
    }
    ck_assert_uint_gt(bad, 0);
    ck_assert_uint_gt(late, 0);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* A claim on dL/db[1] of log_step: its numeric derivative steps into
 * the branch where log's argument is negative, as the derivation's did. */
START_TEST(nonfinite_claim_says_why)
{
    char text[2048];
    snprintf(text, sizeof text, "%sclaims:\n  - {name: \"dL/db1 = 2\", of: "
             "\"d/db[1]\", stated: 2, expect: nonfinite}\n", log_step);
    gc_case *c = load(text);
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(r->claims[0].verdict, GC_NONFINITE);
    has(r->claims[0].why, "b[1]: the loss is NaN at this point with b[1] + "
        "0.015625");
    has(r->claims[0].why, "log of a negative number: log(-1.98438), "
        "computing a2[1] (line 7, column 23)");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options o = {0};
    ck_assert_int_eq(gc_report_json(f, &r, 1, &o), GC_OK);
    fclose(f);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    ck_assert_msg(j != NULL, "invalid JSON: %s", e.text);
    json_t *cl = json_array_get(json_object_get(json_array_get(
        json_object_get(j, "cases"), 0), "claims"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(cl, "reason")),
                     r->claims[0].why);
    json_decref(j);
    free(buf);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nonfinite");
    TCase *tc = tcase_create("why");
    tcase_add_test(tc, nonfinite_forward_log_at_a_step);
    tcase_add_test(tc, nonfinite_forward_index_out_of_range_at_a_step);
    tcase_add_test(tc, nonfinite_forward_division_by_zero_at_the_point);
    tcase_add_test(tc, nonfinite_derivation_sqrt_of_one_entry);
    tcase_add_test(tc, nonfinite_random_points_say_why);
    tcase_add_test(tc, nonfinite_claim_says_why);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
