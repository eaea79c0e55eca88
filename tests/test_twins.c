/* test_twins.c: the six twins (issue 11, part 2).  Each catalogue network
 * below is also written as a case-defined network, cases/NAME_net.yaml, with
 * the homework's seed derivations and our corrected ones as formulas.  A
 * twin must be the same network as its compiled model and its derivations
 * the same derivations:
 *  - the same parameter layout (block names, shapes, first indices, order),
 *    so that the given point and every random point are the same theta;
 *  - at every point, |L_twin - L_compiled| <= 1e-13 |L_compiled| (the
 *    forward passes add in the same order where round-off could matter;
 *    the loss is never a small difference of large numbers here);
 *  - running both cases, every derivation (matched by name) gets the same
 *    verdict overall and at every point, the same first wrong quantity
 *    (block, time step and entry, or none) at every point, and every claim
 *    the same verdict;
 *  - the reports have the same rows (every parameter entry, quantity entry,
 *    Jacobian entry and claim, by derivation, point and name, as a golden
 *    file lists them) with the same verdict in every row, and the same
 *    analytic value (the derivation's) to 1e-9 relative.
 * The expected values come from the compiled models, an independent
 * implementation (C, written against the homework before the network
 * language existed); nothing is compared with the twins' own output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

static const struct {
    const char *twin, *compiled;
} pairs[] = {
    {"tanh_net_004_q1_net", "tanh_net_004_q1"},        /* 004 Question 1 */
    {"rnn_bptt_000_p5_net", "rnn_bptt_000_p5"},        /* 000 Problem 5 */
    {"lstm_001_6_4_net", "lstm_001_6_4"},              /* 001 Problem 6.4 */
    {"gru_bptt_001_6_5_net", "gru_bptt_001_6_5"},      /* 001 Problem 6.5 */
    {"cnn1d_000_p3_net", "cnn1d_000_p3"},              /* 000 Problem 3 */
    {"conv_backprop_001_5_6_net", "conv_backprop_001_5_6"}, /* 001 5.6 */
};
#define N_PAIRS (sizeof pairs / sizeof *pairs)

static gc_case *load(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cases/%s.yaml", name);
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_path(rel), &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld:%ld: %s", err.file, err.line,
                  err.column, err.msg);
    return c;
}

/* Same parameter blocks in the same order: the random points coincide. */
static void same_params(const gc_case *t, const gc_case *c, const char *name)
{
    const gc_blocks *a = &t->prob->layout.params, *b = &c->prob->layout.params;
    ck_assert_msg(a->n_blocks == b->n_blocks && a->n == b->n,
                  "%s: %zu parameter blocks (%zu entries), compiled %zu (%zu)",
                  name, a->n_blocks, a->n, b->n_blocks, b->n);
    for (size_t i = 0; i < a->n_blocks; i++) {
        const gc_block *x = &a->block[i], *y = &b->block[i];
        ck_assert_msg(strcmp(x->name, y->name) == 0 && x->rank == y->rank &&
                      x->offset == y->offset && x->size == y->size,
                      "%s: parameter block %zu is %s, compiled %s", name, i,
                      x->name, y->name);
        for (int k = 0; k < x->rank; k++)
            ck_assert_msg(x->shape[k] == y->shape[k] &&
                          x->base[k] == y->base[k],
                          "%s: %s axis %d differs from the compiled model's",
                          name, x->name, k);
    }
    ck_assert_msg(t->points == c->points && t->seed_rng == c->seed_rng,
                  "%s: points/seed differ", name);
}

START_TEST(twin_loss_equals_compiled)
{
    const char *name = pairs[_i].twin;
    gc_case *t = load(name), *c = load(pairs[_i].compiled);
    same_params(t, c, name);
    size_t np = c->prob->layout.params.n;
    gc_engine *et = NULL, *ec = NULL;
    ck_assert_int_eq(gc_engine_alloc(t->prob, &et), GC_OK);
    ck_assert_int_eq(gc_engine_alloc(c->prob, &ec), GC_OK);
    double *tht = malloc(np * sizeof *tht), *thc = malloc(np * sizeof *thc);
    ck_assert(tht && thc);
    for (long p = 0; p <= c->points; p++) {
        if (p == 0) {
            memcpy(tht, t->theta, np * sizeof *tht);
            memcpy(thc, c->theta, np * sizeof *thc);
        } else {
            gc_case_point(t, t->seed_rng, p, tht);
            gc_case_point(c, c->seed_rng, p, thc);
        }
        ck_assert_msg(memcmp(tht, thc, np * sizeof *tht) == 0,
                      "%s: point %ld is not the compiled case's", name, p);
        double lt = gc_engine_loss(et, tht, NULL, NULL);
        double lc = gc_engine_loss(ec, thc, NULL, NULL);
        ck_assert_msg(isfinite(lc) && fabs(lt - lc) <= 1e-13 * fabs(lc),
                      "%s: point %ld: loss %.17g, compiled %.17g (rel %.3g)",
                      name, p, lt, lc, fabs(lt - lc) / fabs(lc));
    }
    free(tht);
    free(thc);
    gc_engine_free(et);
    gc_engine_free(ec);
    gc_case_free(t);
    gc_case_free(c);
}
END_TEST

/* The quantity blocks a derivation gives dL/d(...) for, by name: the
 * blocks localisation walks through. */
static void same_claimed_quantities(const gc_case *t,
                                    const gc_derivation_report *dt,
                                    const gc_case *c,
                                    const gc_derivation_report *dc,
                                    const char *name)
{
    const gc_blocks *qt = &t->prob->layout.quantities;
    const gc_blocks *qc = &c->prob->layout.quantities;
    char a[512] = "", b[512] = "";
    for (size_t i = 0; i < qt->n_blocks; i++)
        if (dt->type->quantity_grads && dt->qclaimed[qt->block[i].offset]) {
            strncat(a, qt->block[i].name, sizeof a - strlen(a) - 2);
            strcat(a, " ");
        }
    for (size_t i = 0; i < qc->n_blocks; i++)
        if (dc->type->quantity_grads && dc->qclaimed[qc->block[i].offset]) {
            strncat(b, qc->block[i].name, sizeof b - strlen(b) - 2);
            strcat(b, " ");
        }
    ck_assert_msg(strcmp(a, b) == 0, "%s %s: dL/d of quantities [%s], "
                  "compiled [%s]", name, dt->type->name, a, b);
}

/* "h[3][2]", or "none". */
static void first_wrong_name(const gc_case *c, long j, char *buf, size_t n)
{
    if (j < 0) snprintf(buf, n, "none");
    else gc_entry_name(&c->prob->layout.quantities, (size_t)j, buf, n);
}

/* Every row of the two reports, as golden files list them: the same rows
 * in the same order, with the same verdicts. */
static void same_rows(const gc_case_report *rt, const gc_case_report *rc,
                      const char *name)
{
    gc_golden gt = {0}, gcomp = {0};
    ck_assert_int_eq(gc_golden_from_report(rt, &gt), GC_OK);
    ck_assert_int_eq(gc_golden_from_report(rc, &gcomp), GC_OK);
    ck_assert_msg(gt.n == gcomp.n, "%s: %zu report rows, compiled %zu", name,
                  gt.n, gcomp.n);
    for (size_t i = 0; i < gcomp.n; i++) {
        const gc_golden_row *a = &gt.rows[i], *b = &gcomp.rows[i];
        ck_assert_msg(a->kind == b->kind && a->point == b->point &&
                      strcmp(a->deriv, b->deriv) == 0 &&
                      strcmp(a->name, b->name) == 0,
                      "%s: row %zu is %s %s point %ld, compiled %s %s point "
                      "%ld", name, i, a->deriv, a->name, a->point, b->deriv,
                      b->name, b->point);
        ck_assert_msg(a->verdict == b->verdict, "%s: %s %s point %ld: %s, "
                      "compiled %s", name, a->deriv, a->name, a->point,
                      gc_verdict_name(a->verdict),
                      gc_verdict_name(b->verdict));
        /* The derivation's own value: the same formula evaluated in
         * another order, so equal to round-off (seen: 7e-13 relative). */
        if (a->kind == GC_GOLDEN_ENTRY || a->kind == GC_GOLDEN_QUANTITY ||
            a->kind == GC_GOLDEN_JACOBIAN) {
            double x = a->analytic, y = b->analytic;
            ck_assert_msg((isnan(x) && isnan(y)) ||
                          fabs(x - y) <= 1e-12 + 1e-9 * fmax(fabs(x), fabs(y)),
                          "%s: %s %s point %ld: analytic %.17g, compiled %.17g",
                          name, a->deriv, a->name, a->point, x, y);
        }
    }
    gc_golden_clear(&gt);
    gc_golden_clear(&gcomp);
}

START_TEST(twin_verdicts_equal_compiled)
{
    const char *name = pairs[_i].twin;
    gc_case *t = load(name), *c = load(pairs[_i].compiled);
    gc_run_options o = gc_run_options_default();
    o.threads = 1;
    gc_case_report *rt = NULL, *rc = NULL;
    gc_error err;
    ck_assert_msg(gc_run_case(t, &o, &rt, &err) == GC_OK, "%s: %s", name,
                  err.msg);
    ck_assert_msg(gc_run_case(c, &o, &rc, &err) == GC_OK, "%s: %s",
                  pairs[_i].compiled, err.msg);

    ck_assert_msg(rt->n_derivs == rc->n_derivs, "%s: %zu derivations, "
                  "compiled %zu", name, rt->n_derivs, rc->n_derivs);
    ck_assert_uint_eq(rt->n_points, rc->n_points);
    for (size_t i = 0; i < rc->n_derivs; i++) {
        const gc_derivation_report *dc = &rc->derivs[i], *dt = NULL;
        for (size_t k = 0; k < rt->n_derivs; k++)
            if (strcmp(rt->derivs[k].type->name, dc->type->name) == 0)
                dt = &rt->derivs[k];
        ck_assert_msg(dt, "%s: no derivation %s", name, dc->type->name);
        const char *dn = dc->type->name;
        ck_assert_msg(dt->verdict == dc->verdict, "%s %s: %s, compiled %s",
                      name, dn, gc_verdict_name(dt->verdict),
                      gc_verdict_name(dc->verdict));
        ck_assert_msg(dt->n_claimed == dc->n_claimed, "%s %s: %zu parameter "
                      "entries claimed, compiled %zu", name, dn,
                      dt->n_claimed, dc->n_claimed);
        ck_assert_msg(dt->n_jacobians == dc->n_jacobians, "%s %s: %zu "
                      "Jacobians, compiled %zu", name, dn, dt->n_jacobians,
                      dc->n_jacobians);
        same_claimed_quantities(t, dt, c, dc, name);
        for (size_t p = 0; p < rc->n_points; p++) {
            const gc_point_report *pt = &dt->points[p], *pc = &dc->points[p];
            ck_assert_msg(pt->verdict == pc->verdict, "%s %s point %zu: %s, "
                          "compiled %s", name, dn, p,
                          gc_verdict_name(pt->verdict),
                          gc_verdict_name(pc->verdict));
            char a[64], b[64];
            first_wrong_name(t, pt->first_wrong, a, sizeof a);
            first_wrong_name(c, pc->first_wrong, b, sizeof b);
            ck_assert_msg(strcmp(a, b) == 0, "%s %s point %zu: first wrong "
                          "%s, compiled %s", name, dn, p, a, b);
        }
    }

    ck_assert_msg(rt->n_claims == rc->n_claims, "%s: %zu claims, compiled "
                  "%zu", name, rt->n_claims, rc->n_claims);
    for (size_t i = 0; i < rc->n_claims; i++) {
        const gc_claim_report *a = &rt->claims[i], *b = &rc->claims[i];
        ck_assert_str_eq(a->claim->name, b->claim->name);
        ck_assert_msg(a->verdict == b->verdict, "%s claim \"%s\": %s, "
                      "compiled %s", name, b->claim->name,
                      gc_verdict_name(a->verdict),
                      gc_verdict_name(b->verdict));
    }

    same_rows(rt, rc, name);
    gc_case_report_free(rt);
    gc_case_report_free(rc);
    gc_case_free(t);
    gc_case_free(c);
}
END_TEST

static Suite *twins_suite(void)
{
    Suite *s = suite_create("twins");
    TCase *tc = tcase_create("twins");
    tcase_add_loop_test(tc, twin_loss_equals_compiled, 0, (int)N_PAIRS);
    tcase_add_loop_test(tc, twin_verdicts_equal_compiled, 0, (int)N_PAIRS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(twins_suite()); }
