/* test_case.c: reading case files: a good one parses to the numbers
 * written, and each malformed one is rejected with its line and what was
 * expected. */
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

/* A small valid case; the bad ones below change one line of it. */
#define HEAD "name: t\n"                                   /* line 1 */ \
             "source: {seed: s.txt, problem: P1}\n"        /* line 2 */ \
             "model: tanh_net_004_q1\n"                    /* line 3 */
#define PARAMS "params:\n"                                 /* line 4 */ \
               "  W1: [[0.1, 0.2], [0.3, 0.4]]\n"          /* line 5 */ \
               "  W2: [[0.2], [1], [-3]]\n"                /* line 6 */ \
               "  W3: [[1], [2]]\n"                        /* line 7 */
#define TAIL "inputs: {x: [2], y: [1]}\n"                  /* line 8 */ \
             "derivations: {seed: agree}\n"                /* line 9 */

static void expect_error(const char *text, long line, const char *needle)
{
    const char *path = tu_tmpfile(text);
    ck_assert_ptr_nonnull(path);
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(path, &c, &err);
    ck_assert_msg(st != GC_OK, "accepted a bad case (wanted \"%s\")", needle);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.file, path);
    ck_assert_msg(err.line == line, "line %ld, wanted %ld: %s", err.line,
                  line, err.msg);
    ck_assert_msg(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"",
                  err.msg, needle);
}

START_TEST(case_good_parses_numbers_and_digits)
{
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_path("cases/tanh_net_004_q1.yaml"), &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld: %s", err.file, err.line, err.msg);
    ck_assert_str_eq(c->model->name, "tanh_net_004_q1");
    /* W1 = [[0.1, 0.2], [0.3, 0.4]]: W1[1][2] is 0.4 at flat index 3. */
    ck_assert_double_eq(c->theta[3], 0.4);
    ck_assert_double_eq(c->prob->inputs[0], 2.0);
    /* The claim "-1.855" has three decimals: tolerance 0.5e-3. */
    int found = 0;
    for (size_t i = 0; i < c->n_claims; i++)
        if (strcmp(c->claims[i].of, "d/ds3[1]") == 0) {
            ck_assert_double_eq_tol(c->claims[i].tol, 5e-4, 1e-18);
            ck_assert_int_eq(c->claims[i].kind, GC_CLAIM_DQUANTITY);
            found = 1;
        }
    ck_assert(found);
    gc_case_free(c);
}
END_TEST

START_TEST(case_minimal_is_valid)
{
    const char *path = tu_tmpfile(HEAD PARAMS TAIL);
    gc_case *c = NULL;
    gc_error err;
    ck_assert_msg(gc_case_load(path, &c, &err) == GC_OK, "%ld: %s", err.line,
                  err.msg);
    ck_assert_uint_eq(c->n_derivs, 1);
    gc_case_free(c);
}
END_TEST

START_TEST(case_digits_tolerance)
{
    const char *path = tu_tmpfile(HEAD PARAMS TAIL
        "claims:\n"
        "  - {name: a, of: loss, stated: 187500, expect: agree}\n"
        "  - {name: b, of: loss, stated: 2.5e-4, expect: agree}\n"
        "  - {name: c, of: loss, stated: 0.60, expect: agree, tol: 0.1}\n");
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(path, &c, &err), GC_OK);
    ck_assert_double_eq_tol(c->claims[0].tol, 0.5, 1e-15);   /* units */
    ck_assert_double_eq_tol(c->claims[1].tol, 5e-6, 1e-20);  /* 0.1e-4 / 2 */
    ck_assert_double_eq_tol(c->claims[2].tol, 0.1, 1e-15);   /* given */
    gc_case_free(c);
}
END_TEST

START_TEST(case_truncated_yaml)
{
    expect_error("name: t\nsource: {seed: s.txt, problem: P1\n", 3,
                 "not valid YAML");
}
END_TEST

START_TEST(case_unknown_key)
{
    expect_error(HEAD PARAMS TAIL "pionts: 3\n", 10,
                 "unknown key \"pionts\"");
}
END_TEST

START_TEST(case_wrong_type)
{
    expect_error(HEAD "params:\n  W1: 0.5\n  W2: [[0.2], [1], [-3]]\n"
                 "  W3: [[1], [2]]\n" TAIL, 5, "expected a list");
}
END_TEST

START_TEST(case_missing_row)
{
    expect_error(HEAD "params:\n  W1: [[0.1, 0.2]]\n  W2: [[0.2], [1], [-3]]\n"
                 "  W3: [[1], [2]]\n" TAIL, 5,
                 "expected 2 rows (shape 2 x 2), found 1");
}
END_TEST

START_TEST(case_short_row)
{
    expect_error(HEAD "params:\n  W1: [[0.1, 0.2], [0.3]]\n"
                 "  W2: [[0.2], [1], [-3]]\n  W3: [[1], [2]]\n" TAIL, 5,
                 "row 1: expected 2 numbers");
}
END_TEST

START_TEST(case_param_twice)
{
    expect_error(HEAD PARAMS "  W1: [[0.1, 0.2], [0.3, 0.4]]\n" TAIL, 8,
                 "\"W1\" is given twice (first at line 5)");
}
END_TEST

START_TEST(case_unknown_model)
{
    expect_error("name: t\nsource: {seed: s.txt, problem: P1}\n"
                 "model: lstm\n" PARAMS TAIL, 3,
                 "unknown model \"lstm\" (expected one of: ");
}
END_TEST

START_TEST(case_unknown_derivation)
{
    expect_error(HEAD PARAMS "inputs: {x: [2], y: [1]}\n"
                 "derivations: {sead: agree}\n", 9,
                 "no derivation \"sead\" (expected seed, corrected)");
}
END_TEST

START_TEST(case_bad_verdict)
{
    expect_error(HEAD PARAMS "inputs: {x: [2], y: [1]}\n"
                 "derivations: {seed: agrees}\n", 9, "expected a verdict");
}
END_TEST

START_TEST(case_nan_and_inf)
{
    expect_error(HEAD "params:\n  W1: [[0.1, .nan], [0.3, 0.4]]\n"
                 "  W2: [[0.2], [1], [-3]]\n  W3: [[1], [2]]\n" TAIL, 5,
                 "expected a finite number");
    expect_error(HEAD "params:\n  W1: [[0.1, 0.2], [0.3, 0.4]]\n"
                 "  W2: [[0.2], [1e999], [-3]]\n  W3: [[1], [2]]\n" TAIL, 6,
                 "expected a finite number");
    expect_error(HEAD "params:\n  W1: [[0.1, 0.2], [0.3, 0.4]]\n"
                 "  W2: [[0.2], [\"1\"], [-3]]\n  W3: [[1], [2]]\n" TAIL, 6,
                 "quoted");
}
END_TEST

START_TEST(case_shape_out_of_range)
{
    expect_error(HEAD "shape: {d1: 1000000000}\n" TAIL, 4,
                 "shape.d1: expected a whole number from 1 to 4096");
    expect_error(HEAD "shape: {depth: 3}\n" TAIL, 4,
                 "no dimension \"depth\" (expected d0, d1, d2, d3)");
}
END_TEST

START_TEST(case_missing_param_without_random)
{
    expect_error(HEAD "params:\n  W1: [[0.1, 0.2], [0.3, 0.4]]\n" TAIL, 5,
                 "expected a value for \"W2\"");
}
END_TEST

START_TEST(case_missing_input)
{
    expect_error(HEAD PARAMS "inputs: {x: [2]}\nderivations: {seed: agree}\n",
                 8, "expected a value for \"y\"");
}
END_TEST

START_TEST(case_bad_claim_entry)
{
    expect_error(HEAD PARAMS TAIL "claims:\n"
                 "  - {name: a, of: \"d/dW1[5][1]\", stated: 1, expect: agree}\n",
                 11, "expected one entry of W1");
    expect_error(HEAD PARAMS TAIL "claims:\n"
                 "  - {name: a, of: \"d/dV[1]\", stated: 1, expect: agree}\n",
                 11, "parameters: W1, W2, W3");
    expect_error(HEAD PARAMS TAIL "claims:\n  - {name: a, of: loss}\n", 11,
                 "expected a \"stated\" key");
}
END_TEST

START_TEST(case_empty_file)
{
    expect_error("", 1, "empty file");
}
END_TEST

START_TEST(case_not_a_mapping)
{
    expect_error("- just\n- a list\n", 1, "expected a case mapping");
}
END_TEST

START_TEST(case_non_utf8)
{
    expect_error("name: t\xff\xfe\n", 1, "not valid YAML");
}
END_TEST

START_TEST(case_two_documents)
{
    expect_error(HEAD PARAMS TAIL "---\nname: u\n", 11, "second YAML document");
}
END_TEST

START_TEST(case_directory_and_missing_file)
{
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load("/tmp", &c, &err), GC_EIO);
    ck_assert(strstr(err.msg, "is a directory"));
    ck_assert_int_eq(gc_case_load("/nonexistent/x.yaml", &c, &err), GC_EIO);
    ck_assert(strstr(err.msg, "cannot read"));
}
END_TEST

static Suite *case_suite(void)
{
    Suite *s = suite_create("case");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, case_good_parses_numbers_and_digits);
    tcase_add_test(tc, case_minimal_is_valid);
    tcase_add_test(tc, case_digits_tolerance);
    tcase_add_test(tc, case_truncated_yaml);
    tcase_add_test(tc, case_unknown_key);
    tcase_add_test(tc, case_wrong_type);
    tcase_add_test(tc, case_missing_row);
    tcase_add_test(tc, case_short_row);
    tcase_add_test(tc, case_param_twice);
    tcase_add_test(tc, case_unknown_model);
    tcase_add_test(tc, case_unknown_derivation);
    tcase_add_test(tc, case_bad_verdict);
    tcase_add_test(tc, case_nan_and_inf);
    tcase_add_test(tc, case_shape_out_of_range);
    tcase_add_test(tc, case_missing_param_without_random);
    tcase_add_test(tc, case_missing_input);
    tcase_add_test(tc, case_bad_claim_entry);
    tcase_add_test(tc, case_empty_file);
    tcase_add_test(tc, case_not_a_mapping);
    tcase_add_test(tc, case_non_utf8);
    tcase_add_test(tc, case_two_documents);
    tcase_add_test(tc, case_directory_and_missing_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(case_suite()); }
