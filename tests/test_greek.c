/* test_greek.c: Greek letters as names in a case-defined network.  A
 * letter that is not a function's name (α, β, δ, ε, η, κ) works as a
 * dimension, a parameter block, a forward definition, a derivation's
 * definition and in dL/dβ; σ and φ, the sigmoid's and the normal
 * density's names, are refused in the student's spelling
 * (tests/bad/network_greek_*.yaml). */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

/* z = β x + b with β = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], x = (1, 2, 3),
 * b = (0.1, 0.2): z = (0.1 + 0.4 + 0.9 + 0.1, 0.3 + 0.4 + 0.3 + 0.2) =
 * (1.5, 1.2); L = η = α sum(sigmoid(z)) = 0.1 (0.8175744762 +
 * 0.7685247835) = 0.15860992597. */
static const char greek[] =
    "name: greek\n"
    "network:\n"
    "  dims: {n: 3, κ: 2}\n"
    "  params: {β: [κ, n], b: [κ]}\n"
    "  inputs: {x: [n]}\n"
    "  forward: |\n"
    "    z = β @ x + b\n"
    "    α = 0.1\n"
    "    δ = sigmoid(z)\n"
    "    η = α sum(δ)\n"
    "    L = η\n"
    "inputs: {x: [1, 2, 3]}\n"
    "params: {β: [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], b: [0.1, 0.2]}\n"
    "derivations:\n"
    "  mine:\n"
    "    formulas: |\n"
    "      ε = α dsigmoid(z)\n"
    "      dL/db = ε\n"
    "      dL/dβ = outer(ε, x)\n";

START_TEST(greek_letters_name_dims_blocks_and_definitions)
{
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_tmpfile(greek), &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld:%ld: %s", err.file, err.line,
                  err.column, err.msg);
    const gc_layout *L = &c->prob->layout;
    ck_assert_ptr_nonnull(gc_blocks_find(&L->params, "beta"));
    ck_assert_ptr_nonnull(gc_blocks_find(&L->quantities, "delta"));
    ck_assert_int_eq(gc_blocks_find(&L->params, "beta")->size, 6);
    gc_run_options o = gc_run_options_default();
    gc_case_report *r = NULL;
    ck_assert_int_eq(gc_run_case(c, &o, &r, &err), GC_OK);
    ck_assert_double_eq_tol(r->loss, 0.15860992597, 1e-10);
    ck_assert_int_eq(r->derivs[0].verdict, GC_AGREE);
    ck_assert_int_eq(r->derivs[0].n_claimed, 8);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("greek");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, greek_letters_name_dims_blocks_and_definitions);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
