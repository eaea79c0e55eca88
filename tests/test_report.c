/* test_report.c: the report writers.  The JSON report parses back with
 * jansson, carries the documented fields, and stays valid JSON when values
 * are NaN or infinite. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

static gc_case *C;
static gc_case_report *R;

static void setup(void)
{
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("cases/tanh_net_004_q1.yaml"), &C,
                                  &err), GC_OK);
    gc_run_options o = gc_run_options_default();
    o.points = 1;
    ck_assert_int_eq(gc_run_case(C, &o, &R, &err), GC_OK);
}

static void teardown(void)
{
    gc_case_report_free(R);
    gc_case_free(C);
}

static json_t *render_json(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options ro = {.verbose = 0};
    ck_assert_int_eq(gc_report_json(f, &R, 1, &ro), GC_OK);
    fclose(f);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    ck_assert_msg(j != NULL, "invalid JSON at line %d: %s", e.line, e.text);
    free(buf);
    return j;
}

START_TEST(json_has_documented_fields)
{
    json_t *j = render_json();
    json_t *c = json_array_get(json_object_get(j, "cases"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")),
                     "tanh_net_004_q1");
    ck_assert_str_eq(json_string_value(json_object_get(c, "source")),
                     "004_551e535e53da35e5.txt, Question 1");
    ck_assert_str_eq(json_string_value(json_object_get(c, "model")),
                     "tanh_net_004_q1");
    /* params as nested arrays in the homework's shape: W1[1][2] = 0.4 */
    json_t *w1 = json_object_get(json_object_get(c, "params"), "W1");
    ck_assert_double_eq(json_real_value(json_array_get(json_array_get(w1, 1), 1)), 0.4);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(c, "inputs"), "x"));
    json_t *d = json_array_get(json_object_get(c, "derivations"), 0);
    const char *keys[] = {"name", "expected", "verdict", "max_rel_error",
                          "entries", NULL};
    for (int i = 0; keys[i]; i++)
        ck_assert_msg(json_object_get(d, keys[i]), "missing %s", keys[i]);
    json_t *e0 = json_array_get(json_object_get(d, "entries"), 0);
    const char *ek[] = {"name", "analytic", "numeric", "abserr", "rel_error",
                        "verdict", NULL};
    for (int i = 0; ek[i]; i++)
        ck_assert_msg(json_object_get(e0, ek[i]), "entry lacks %s", ek[i]);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "name")), "W1[0][1]");
    json_t *cl = json_array_get(json_object_get(c, "claims"), 0);
    const char *ck[] = {"name", "claimed", "actual", "verdict", NULL};
    for (int i = 0; ck[i]; i++)
        ck_assert_msg(json_object_get(cl, ck[i]), "claim lacks %s", ck[i]);
    ck_assert(json_is_true(json_object_get(json_object_get(j, "summary"), "ok")));
    json_decref(j);
}
END_TEST

START_TEST(json_nonfinite_stays_valid)
{
    gc_entry_check *e = &R->derivs[0].points[0].entries[0];
    e->analytic = NAN;
    e->numeric.value = INFINITY;
    e->numeric.abserr = -INFINITY;
    e->rel_error = NAN;
    e->verdict = GC_NONFINITE;
    R->loss = NAN;
    json_t *j = render_json();
    json_t *c = json_array_get(json_object_get(j, "cases"), 0);
    json_t *d = json_array_get(json_object_get(c, "derivations"), 0);
    json_t *e0 = json_array_get(json_object_get(d, "entries"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "analytic")), "NaN");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "numeric")), "Infinity");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "abserr")), "-Infinity");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "verdict")), "nonfinite");
    ck_assert_str_eq(json_string_value(json_object_get(c, "loss")), "NaN");
    json_decref(j);
}
END_TEST

START_TEST(json_floats_round_trip)
{
    /* %.17g: the loss parses back to the same double. */
    json_t *j = render_json();
    json_t *c = json_array_get(json_object_get(j, "cases"), 0);
    ck_assert(json_real_value(json_object_get(c, "loss")) == R->loss);
    json_decref(j);
}
END_TEST

START_TEST(text_report_plain_and_coloured)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options ro = {.verbose = 2};
    ck_assert_int_eq(gc_report_text(f, &R, 1, &ro), GC_OK);
    fclose(f);
    ck_assert(strstr(buf, "derivation seed"));
    ck_assert(strstr(buf, "W1[1][2]"));
    ck_assert(strchr(buf, '\033') == NULL);   /* no colour unless asked */
    free(buf);
    f = open_memstream(&buf, &len);
    ro.color = 1;
    gc_report_text(f, &R, 1, &ro);
    fclose(f);
    ck_assert(strchr(buf, '\033') != NULL);
    free(buf);
}
END_TEST

/* The loss overflows: o = w4 h3 + b4 with w4 = b4 = 1e308 is above
 * DBL_MAX (h3 = 1/2 at x = 3, as in the catalogue's case), so the numeric
 * derivatives are not finite and the entries nonfinite.  The largest
 * relative error must then say NaN (it said 0, as if every entry were
 * exact). */
START_TEST(max_rel_error_is_nan_when_an_entry_is_nonfinite)
{
    static const char yaml[] =
        "name: overflow\nsource: {seed: s.txt, problem: P2}\n"
        "model: sigmoid_chain_000_p2\nshape: {}\n"
        "params: {w1: 100, w2: 150, w3: 200, w4: 1.0e308, b1: -300, "
        "b2: -75, b3: -100, b4: 1.0e308}\n"
        "inputs: {x: 3}\npoints: 0\nderivations: {corrected: nonfinite}\n";
    gc_case *c = NULL;
    gc_case_report *r = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load_buffer("overflow.yaml",
                                         (const unsigned char *)yaml,
                                         sizeof yaml - 1, &c, &err), GC_OK);
    gc_run_options o = gc_run_options_default();
    ck_assert_int_eq(gc_run_case(c, &o, &r, &err), GC_OK);
    const gc_derivation_report *dr = &r->derivs[0];
    ck_assert_uint_gt(dr->counts[GC_NONFINITE], 0);
    ck_assert(isnan(dr->max_rel_error));
    ck_assert(isnan(dr->points[0].max_rel_error));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options ro = {.verbose = 0};
    ck_assert_int_eq(gc_report_json(f, &r, 1, &ro), GC_OK);
    fclose(f);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    ck_assert_ptr_nonnull(j);
    json_t *d = json_array_get(json_object_get(
        json_array_get(json_object_get(j, "cases"), 0), "derivations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "max_rel_error")),
                     "NaN");
    json_decref(j);
    free(buf);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("writers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, json_has_documented_fields);
    tcase_add_test(tc, json_nonfinite_stays_valid);
    tcase_add_test(tc, json_floats_round_trip);
    tcase_add_test(tc, text_report_plain_and_coloured);
    tcase_add_test(tc, max_rel_error_is_nan_when_an_entry_is_nonfinite);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(report_suite()); }
