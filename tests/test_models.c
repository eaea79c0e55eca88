/* test_models.c: the models and derivations.
 *  - known answers from closed forms at the homework's points;
 *  - every `corrected` derivation agrees with the numeric gradient, entry by
 *    entry, at random points other than the case's own;
 *  - every case's derivations and claims get the verdicts the case expects.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

static gc_case *load(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cases/%s.yaml", name);
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_path(rel), &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld: %s", err.file, err.line, err.msg);
    return c;
}

START_TEST(tanh_net_forward_closed_form)
{
    /* 004 Q1: S1 = (0.1 + 0.3*2, 0.2 + 0.4*2) = (0.7, 1.0);
     * S2 = 0.2 + tanh 0.7 - 3 tanh 1; S3 = 1 + 2 tanh S2; e = (tanh S3 - 1)^2. */
    gc_case *c = load("tanh_net_004_q1");
    gc_engine *e;
    ck_assert_int_eq(gc_engine_alloc(c->prob, &e), GC_OK);
    double q[16];
    double L = gc_engine_loss(e, c->theta, NULL, q);
    double s2 = 0.2 + tanh(0.7) - 3 * tanh(1.0);
    double s3 = 1 + 2 * tanh(s2);
    double x3 = tanh(s3);
    ck_assert_double_eq_tol(L, (x3 - 1) * (x3 - 1), 1e-15);
    size_t k;
    gc_entry_parse(&c->prob->layout.quantities, "s3[1]", &k, NULL);
    ck_assert_double_eq_tol(q[k], s3, 1e-15);
    /* delta^(3) = 2 (x3 - 1)(1 - x3^2) from the corrected derivation's
     * de/dW3[0][1] (times the bias unit 1). */
    double g[16];
    const gc_derivation_type *d = gc_derivation_find(c->model, "corrected");
    ck_assert_int_eq(d->gradient(c->prob, c->theta, g, gc_engine_work(e)), 0);
    gc_entry_parse(&c->prob->layout.params, "W3[0][1]", &k, NULL);
    ck_assert_double_eq_tol(g[k], 2 * (x3 - 1) * (1 - x3 * x3), 1e-14);
    gc_engine_free(e);
    gc_case_free(c);
}
END_TEST

START_TEST(sigmoid_chain_explode_closed_form)
{
    /* 000 P2 set (1) at x = 3: every pre-activation is 0, so sigma' = 1/4
     * three times and do/db1 = w4 w3 w2 / 64 = 200*200*150/64 = 93750. */
    gc_case *c = load("sigmoid_chain_000_p2_explode");
    gc_engine *e;
    ck_assert_int_eq(gc_engine_alloc(c->prob, &e), GC_OK);
    double g[8];
    size_t k;
    gc_entry_parse(&c->prob->layout.params, "b1", &k, NULL);
    for (const char *name = "seed"; name; name = strcmp(name, "seed") ? NULL : "corrected") {
        const gc_derivation_type *d = gc_derivation_find(c->model, name);
        ck_assert_int_eq(d->gradient(c->prob, c->theta, g, gc_engine_work(e)), 0);
        ck_assert_double_eq_tol(g[k], 93750.0, 1e-9);
    }
    /* o = w4 h3 + b4 = 200 * 1/2 + 10 = 110. */
    ck_assert_double_eq_tol(gc_engine_loss(e, c->theta, NULL, NULL), 110.0,
                            1e-12);
    gc_engine_free(e);
    gc_case_free(c);
}
END_TEST

/* corrected agrees entry by entry at 6 random points drawn with a seed
 * that is not the case's. */
static void corrected_agrees(const char *name)
{
    gc_case *c = load(name);
    const gc_derivation_type *d = gc_derivation_find(c->model, "corrected");
    ck_assert_ptr_nonnull(d);
    const gc_layout *L = &c->prob->layout;
    gc_engine *e;
    ck_assert_int_eq(gc_engine_alloc(c->prob, &e), GC_OK);
    double *theta = malloc(L->params.n * sizeof *theta);
    double *g = malloc(L->params.n * sizeof *g);
    for (long p = 1; p <= 6; p++) {
        gc_case_point(c, 987654, p, theta);
        ck_assert_int_eq(d->gradient(c->prob, theta, g, gc_engine_work(e)), 0);
        for (size_t k = 0; k < L->params.n; k++) {
            gc_entry_check ch;
            gc_engine_check_param(e, theta, k, g[k], &c->step, &c->tol, &ch);
            char en[64];
            gc_entry_name(&L->params, k, en, sizeof en);
            ck_assert_msg(ch.verdict == GC_AGREE,
                          "%s point %ld %s: analytic %.17g numeric %.17g +- "
                          "%.3g: %s", name, p, en, g[k], ch.numeric.value,
                          ch.numeric.abserr, gc_verdict_name(ch.verdict));
        }
    }
    free(theta);
    free(g);
    gc_engine_free(e);
    gc_case_free(c);
}

START_TEST(corrected_tanh_net) { corrected_agrees("tanh_net_004_q1"); }
END_TEST
START_TEST(corrected_sigmoid_chain) { corrected_agrees("sigmoid_chain_000_p2_vanish"); }
END_TEST
START_TEST(corrected_rnn) { corrected_agrees("rnn_bptt_000_p5"); }
END_TEST
START_TEST(corrected_lstm) { corrected_agrees("lstm_001_6_4"); }
END_TEST

/* Every case in cases/: each derivation's and claim's verdict is the one
 * the case expects. */
START_TEST(every_case_meets_its_expectations)
{
    DIR *dir = opendir(tu_path("cases"));
    ck_assert_ptr_nonnull(dir);
    struct dirent *de;
    int n = 0;
    gc_run_options o = gc_run_options_default();
    while ((de = readdir(dir))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml")) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(l - 5), de->d_name);
        gc_case *c = load(name);
        gc_case_report *r = NULL;
        gc_error err;
        ck_assert_msg(gc_run_case(c, &o, &r, &err) == GC_OK, "%s: %s", name,
                      err.msg);
        for (size_t i = 0; i < r->n_derivs; i++)
            ck_assert_msg(r->derivs[i].verdict == r->derivs[i].expect,
                          "%s: derivation %s is %s, the case expects %s",
                          name, r->derivs[i].type->name,
                          gc_verdict_name(r->derivs[i].verdict),
                          gc_verdict_name(r->derivs[i].expect));
        for (size_t i = 0; i < r->n_claims; i++)
            ck_assert_msg(r->claims[i].verdict == r->claims[i].claim->expect,
                          "%s: claim \"%s\" is %s (computed %.10g), the case "
                          "expects %s", name, r->claims[i].claim->name,
                          gc_verdict_name(r->claims[i].verdict),
                          r->claims[i].actual,
                          gc_verdict_name(r->claims[i].claim->expect));
        ck_assert_uint_eq(r->unmet, 0);
        gc_case_report_free(r);
        gc_case_free(c);
        n++;
    }
    closedir(dir);
    ck_assert_int_ge(n, 5);
}
END_TEST

START_TEST(seed_localisation_names_the_step)
{
    /* The seed BPTT (U^T for W^T) and LSTM (W_* for U_*, no cell carry)
     * are right at the last step and first wrong one step earlier: the
     * first wrong quantity lies at t = T-2 (RNN, time from 0) and t = T-1
     * (LSTM, time from 1), i.e. at the second-to-last step. */
    const char *names[] = {"rnn_bptt_000_p5", "lstm_001_6_4"};
    for (int i = 0; i < 2; i++) {
        gc_case *c = load(names[i]);
        gc_run_options o = gc_run_options_default();
        o.points = 0;
        gc_case_report *r = NULL;
        gc_error err;
        ck_assert_int_eq(gc_run_case(c, &o, &r, &err), GC_OK);
        const gc_derivation_report *seed = NULL;
        for (size_t d = 0; d < r->n_derivs; d++)
            if (!strcmp(r->derivs[d].type->name, "seed")) seed = &r->derivs[d];
        ck_assert_ptr_nonnull(seed);
        long j = seed->points[0].first_wrong;
        ck_assert_int_ge(j, 0);
        const gc_blocks *Q = &c->prob->layout.quantities;
        const gc_block *b = gc_blocks_of(Q, (size_t)j);
        size_t T = b->shape[0];
        size_t t = ((size_t)j - b->offset) / (b->size / T);
        ck_assert_msg(b->timed, "%s: quantity %s is not marked timed",
                      names[i], b->name);
        ck_assert_msg(t == T - 2, "%s: first wrong at step index %zu of %zu",
                      names[i], t, T);
        gc_case_report_free(r);
        gc_case_free(c);
    }
}
END_TEST

static Suite *models_suite(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("derivations");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, tanh_net_forward_closed_form);
    tcase_add_test(tc, sigmoid_chain_explode_closed_form);
    tcase_add_test(tc, corrected_tanh_net);
    tcase_add_test(tc, corrected_sigmoid_chain);
    tcase_add_test(tc, corrected_rnn);
    tcase_add_test(tc, corrected_lstm);
    tcase_add_test(tc, every_case_meets_its_expectations);
    tcase_add_test(tc, seed_localisation_names_the_step);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(models_suite()); }
