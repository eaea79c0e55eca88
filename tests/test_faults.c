/* test_faults.c: numeric faults get the right verdicts, and the rest of the
 * report is complete (every entry present, JSON still valid).
 *
 * A three-parameter test model, loss selected by the dim "fault":
 *   0  L = e^(1000 a) + b + c               overflows to +Inf at a = 2.385
 *   1  L = 2.385 a + b^2 + sin c            finite; its derivation returns
 *                                           NaN for b only
 *   2  L = 7.5                              constant: every gradient is 0
 *   3  L = 2.385 a + b^2 + sin c            at a = 1e300 (and the
 *                                           derivation is right) */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

enum { F_OVERFLOW, F_NAN_ENTRY, F_CONSTANT, F_HUGE };

static const gc_dim dims[] = {{"fault", 0, 0, 3, "which fault"},
                              {NULL, 0, 0, 0, NULL}};

static int layout(const long *d, gc_layout *L)
{
    (void)d;
    L->work = 1;
    return gc_blocks_add(&L->params, "theta", 1, 3, 1, 1, 1, 0, 0);
}

static double forward(const gc_problem *p, const double *t, const gc_tap *tap,
                      double *q, double *w)
{
    (void)tap; (void)q; (void)w;
    switch (p->dims[0]) {
    case F_OVERFLOW: return exp(1000 * t[0]) + t[1] + t[2];
    case F_CONSTANT: return 7.5;
    default: return 2.385 * t[0] + t[1] * t[1] + sin(t[2]);
    }
}

/* The right gradient, except that fault 1 gives NaN for b. */
static int gradient(const gc_problem *p, const double *t, double *g,
                    double *w)
{
    (void)w;
    switch (p->dims[0]) {
    case F_OVERFLOW:
        g[0] = 1000 * exp(1000 * t[0]); g[1] = 1; g[2] = 1;
        break;
    case F_CONSTANT:
        g[0] = g[1] = g[2] = 0;
        break;
    default:
        g[0] = 2.385;
        g[1] = p->dims[0] == F_NAN_ENTRY ? NAN : 2 * t[1];
        g[2] = cos(t[2]);
    }
    return 0;
}

static const gc_derivation_type deriv = {.name = "d", .summary = "test",
                                         .gradient = gradient};
static const gc_derivation_type *const derivs[] = {&deriv, NULL};
static const gc_model_type fault_model = {
    .name = "faults", .title = "numeric faults", .source = "tests",
    .dims = dims, .layout = layout, .forward = forward,
    .derivations = derivs};

/* A case built by hand around the test model (it is not in the registry). */
static gc_case *make_case(long fault, double a)
{
    gc_case *c = calloc(1, sizeof *c);
    c->path = strdup("faults.yaml");
    c->name = strdup("faults");
    c->seed = strdup("tests");
    c->problem = strdup("faults");
    c->model = &fault_model;
    ck_assert_int_eq(gc_problem_alloc(&fault_model, &fault, &c->prob), GC_OK);
    c->theta = calloc(3, sizeof *c->theta);
    c->theta[0] = a;
    c->theta[1] = -0.731;
    c->theta[2] = 1.2;
    c->given = calloc(GC_MAX_BLOCKS, 1);
    c->tol = gc_tol_default;
    c->step = gc_step_default;
    c->dist = GC_DIST_NORMAL;
    c->scale = 1.0;
    c->seed_rng = 11;
    c->derivs = calloc(1, sizeof *c->derivs);
    c->derivs[0].type = &deriv;
    c->derivs[0].expect = GC_AGREE;
    c->n_derivs = 1;
    return c;
}

static gc_case_report *run(gc_case *c)
{
    gc_run_options o = gc_run_options_default();
    o.points = 0;
    gc_case_report *r = NULL;
    gc_error err;
    ck_assert_int_eq(gc_run_case(c, &o, &r, &err), GC_OK);
    /* the JSON report stays valid whatever the numbers */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gc_report_options ro = {.verbose = 2};
    ck_assert_int_eq(gc_report_json(f, &r, 1, &ro), GC_OK);
    fclose(f);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    ck_assert_msg(j, "invalid JSON: %s", e.text);
    json_t *ents = json_object_get(json_array_get(json_object_get(
        json_array_get(json_object_get(j, "cases"), 0), "derivations"), 0),
        "entries");
    ck_assert_uint_eq(json_array_size(ents), 3);   /* every entry reported */
    json_decref(j);
    free(buf);
    f = fopen("/dev/null", "w");
    ck_assert_int_eq(gc_report_text(f, &r, 1, &ro), GC_OK);
    fclose(f);
    return r;
}

static gc_verdict v(const gc_case_report *r, int k)
{
    return r->derivs[0].points[0].entries[k].verdict;
}

START_TEST(fault_overflowing_loss_is_nonfinite)
{
    gc_case *c = make_case(F_OVERFLOW, 2.385);
    gc_case_report *r = run(c);
    ck_assert(isinf(r->loss));
    for (int k = 0; k < 3; k++) ck_assert_int_eq(v(r, k), GC_NONFINITE);
    ck_assert_int_eq(r->derivs[0].verdict, GC_NONFINITE);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(fault_nan_in_one_entry)
{
    gc_case *c = make_case(F_NAN_ENTRY, 2.385);
    gc_case_report *r = run(c);
    ck_assert_int_eq(v(r, 0), GC_AGREE);
    ck_assert_int_eq(v(r, 1), GC_NONFINITE);
    ck_assert_int_eq(v(r, 2), GC_AGREE);
    ck_assert_int_eq(r->derivs[0].verdict, GC_NONFINITE);
    ck_assert_uint_eq(r->derivs[0].counts[GC_AGREE], 2);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(fault_constant_loss_agrees_both_zero)
{
    gc_case *c = make_case(F_CONSTANT, 2.385);
    gc_case_report *r = run(c);
    for (int k = 0; k < 3; k++) {
        const gc_entry_check *e = &r->derivs[0].points[0].entries[k];
        ck_assert_int_eq(e->verdict, GC_AGREE);
        ck_assert_double_eq(e->numeric.value, 0.0);
        ck_assert_double_eq(e->rel_error, 0.0);   /* both zero */
    }
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(fault_parameter_at_1e300)
{
    /* dL/da = 2.385 at a = 1e300: the step (2^-10 |a|) is finite and the
     * difference quotient exact enough: agree.  But L is then 2.4e300, one
     * ulp of which is ~3e284, so the changes b and c make to L (order 1)
     * are lost entirely: their numeric derivatives carry error bars of
     * order 1e284 and nothing can be decided: inconclusive, not disagree. */
    gc_case *c = make_case(F_HUGE, 1e300);
    gc_case_report *r = run(c);
    ck_assert_int_eq(v(r, 0), GC_AGREE);
    ck_assert_double_eq_tol(r->derivs[0].points[0].entries[0].numeric.value,
                            2.385, 1e-6);
    ck_assert_int_eq(v(r, 1), GC_INCONCLUSIVE);
    ck_assert_int_eq(v(r, 2), GC_INCONCLUSIVE);
    ck_assert_int_eq(r->derivs[0].verdict, GC_INCONCLUSIVE);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("numeric");
    tcase_add_test(tc, fault_overflowing_loss_is_nonfinite);
    tcase_add_test(tc, fault_nan_in_one_entry);
    tcase_add_test(tc, fault_constant_loss_agrees_both_zero);
    tcase_add_test(tc, fault_parameter_at_1e300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(faults_suite()); }
