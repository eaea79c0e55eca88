/* test_network.c: networks written in a case file (network: section):
 * the forward pass against hand computation, taps, first indices,
 * recurrences, derivations agreeing and disagreeing with the first wrong
 * quantity and time step named, no expectation, threads.  Expected numbers
 * come from the arithmetic shown in the comments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"



static const gc_derivation_report *deriv(const gc_case_report *r,
                                         const char *name)
{
    for (size_t i = 0; i < r->n_derivs; i++)
        if (strcmp(r->derivs[i].type->name, name) == 0) return &r->derivs[i];
    ck_abort_msg("no derivation %s", name);
    return NULL;
}

/* L = 0.5 |W x - y|^2 with W = [[1, 2], [3, 4]] (rows numbered from 0),
 * x = (1, 1), y = (0, 0): s = W x = (3, 7), L = 0.5 (9 + 49) = 29. */
static const char linear[] =
    "name: linear\n"                                          /* 1 */
    "network:\n"                                              /* 2 */
    "  dims: {n: 2}\n"                                        /* 3 */
    "  params: {W: [0..n-1, n]}\n"                            /* 4 */
    "  inputs: {x: [n], y: [0..1]}\n"                         /* 5 */
    "  forward: |\n"                                          /* 6 */
    "    s = W @ x\n"                                         /* 7 */
    "    L = 0.5 dot(s - y, s - y)\n"                         /* 8 */
    "params: {W: [[1, 2], [3, 4]]}\n"                         /* 9 */
    "inputs: {x: [1, 1], y: [0, 0]}\n"                        /* 10 */
    "derivations:\n"                                          /* 11 */
    "  mine:\n"                                               /* 12 */
    "    formulas: |\n"                                       /* 13 */
    "      dL/ds = s - y\n"                                   /* 14 */
    "      dL/dW = outer(s - y, x)\n";                        /* 15 */

START_TEST(network_forward_by_hand_with_taps_and_bases)
{
    gc_case *c = tu_load_case(tu_tmpfile(linear));
    const gc_layout *L = &c->prob->layout;
    ck_assert_int_eq(L->quantities.n_blocks, 1);
    const gc_block *s = gc_blocks_find(&L->quantities, "s");
    ck_assert_ptr_nonnull(s);
    /* s = W @ x keeps W's rows, numbered from 0 */
    ck_assert_int_eq(s->rank, 1);
    ck_assert_int_eq(s->shape[0], 2);
    ck_assert_int_eq(s->base[0], 0);
    char name[64];
    gc_entry_name(&L->quantities, s->offset + 1, name, sizeof name);
    ck_assert_str_eq(name, "s[1]");
    gc_entry_name(&L->params, 1, name, sizeof name);
    ck_assert_str_eq(name, "W[0][2]");
    double q[2], *work = calloc(L->work + 1, sizeof *work);
    double loss = c->model->forward(c->prob, c->theta, NULL, q, work);
    ck_assert_double_eq(loss, 29.0);
    ck_assert_double_eq(q[0], 3.0);
    ck_assert_double_eq(q[1], 7.0);
    /* a tap on s[1] (the second entry, 7) by 0.5: 0.5 (9 + 7.5^2) = 32.625 */
    gc_tap t = {s->offset + 1, 0.5};
    ck_assert_double_eq(c->model->forward(c->prob, c->theta, &t, q, work),
                        32.625);
    ck_assert_double_eq(q[1], 7.5);
    free(work);
    /* the derivation is exact: dL/dW = (s - y) x^T = [[3, 3], [7, 7]] */
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *d = deriv(r, "mine");
    ck_assert_int_eq(d->verdict, GC_AGREE);
    ck_assert(d->no_expect);
    ck_assert_int_eq(r->unmet, 0);
    ck_assert_double_eq(d->points[0].entries[1].analytic, 3.0);
    ck_assert_double_eq(d->points[0].entries[2].analytic, 7.0);
    ck_assert_double_eq_tol(d->points[0].entries[2].numeric.value, 7.0, 1e-8);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(network_mlp_right_agrees_wrong_is_localised)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/mlp2_relu.yaml"));
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(r->n_points, 5);
    const gc_derivation_report *d = deriv(r, "right");
    for (size_t p = 0; p < r->n_points; p++)
        ck_assert_int_eq(d->points[p].verdict, GC_AGREE);
    ck_assert_int_eq(d->n_claimed, 26);        /* 12 + 4 + 8 + 2 */
    /* da1/ds1 = diag(relu'(s1)): 4 x 4 entries at every point */
    ck_assert_int_eq(d->n_jacobians, 1);
    for (size_t p = 0; p < r->n_points; p++)
        for (size_t e = 0; e < 16; e++)
            ck_assert_int_ne(d->points[p].jentries[0][e].verdict,
                             GC_DISAGREE);
    d = deriv(r, "wrong");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    ck_assert(!d->no_expect);
    /* the output layer is right, the hidden one wrong: the first wrong
     * quantity walking back from the loss is an entry of s1 */
    long fw = d->points[0].first_wrong;
    ck_assert_int_ge(fw, 0);
    const gc_block *b = gc_blocks_of(&c->prob->layout.quantities, (size_t)fw);
    ck_assert_str_eq(b->name, "s1");
    ck_assert_int_eq(r->unmet, 0);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(network_recurrence_localises_the_time_step)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/rnn_tanh.yaml"));
    const gc_block *h = gc_blocks_find(&c->prob->layout.quantities, "h");
    ck_assert_ptr_nonnull(h);
    ck_assert(h->timed);                      /* h[t][k], time-major */
    ck_assert_int_eq(h->shape[0], 4);
    ck_assert_int_eq(h->shape[1], 3);
    ck_assert_int_eq(h->base[0], 1);
    gc_case_report *r = tu_run_case(c, 2);
    ck_assert_int_eq(deriv(r, "bptt")->verdict, GC_AGREE);
    const gc_derivation_report *d = deriv(r, "no_transpose");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    /* dL/dh[4] = h[4] - y is right; going back a step without W^T makes
     * dL/dh[3] wrong: the first wrong quantity is at t = 3 */
    long fw = d->points[0].first_wrong;
    ck_assert_int_ge(fw, 0);
    char name[64];
    gc_entry_name(&c->prob->layout.quantities, (size_t)fw, name, sizeof name);
    ck_assert_msg(strncmp(name, "h[3][", 5) == 0, "first wrong %s", name);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(network_threads_give_the_same_numbers)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/rnn_tanh.yaml"));
    /* 24 threads: more than the 16 compiled programs of the pool, so
     * some wait for one */
    gc_case_report *a = tu_run_case(c, 1), *b = tu_run_case(c, 2), *m = tu_run_case(c, 24);
    for (size_t i = 0; i < a->n_derivs; i++)
        for (size_t p = 0; p < a->n_points; p++)
            for (size_t k = 0; k < c->prob->layout.params.n; k++) {
                double v = a->derivs[i].points[p].entries[k].numeric.value;
                ck_assert(v == b->derivs[i].points[p].entries[k].numeric.value);
                ck_assert(v == m->derivs[i].points[p].entries[k].numeric.value);
            }
    gc_case_report_free(a);
    gc_case_report_free(b);
    gc_case_report_free(m);
    gc_case_free(c);
}
END_TEST

/* linear with its first `old` replaced by `new`, in a static buffer */
static const char *edited(const char *old, const char *new)
{
    static char buf[4096];
    const char *at = strstr(linear, old);
    ck_assert_ptr_nonnull(at);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - linear), linear, new,
             at + strlen(old));
    return buf;
}

/* A derivation without expect: whose verdict is disagree is not met. */
START_TEST(network_no_expectation_decides_by_its_own_verdict)
{
    /* dL/dW = (s - y) s^T instead of (s - y) x^T: wrong, no expect: */
    gc_case *c = tu_load_case(tu_tmpfile(edited("outer(s - y, x)", "outer(s - y, s)")));
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(deriv(r, "mine")->verdict, GC_DISAGREE);
    ck_assert_int_eq(r->unmet, 1);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

static void expect_error(const char *text, long line, long col,
                         const char *needle)
{
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_tmpfile(text), &c, &err);
    ck_assert_msg(st != GC_OK, "accepted (wanted \"%s\")", needle);
    ck_assert_msg(err.line == line && err.column == col, "at %ld:%ld, "
                  "wanted %ld:%ld: %s", err.line, err.column, line, col,
                  err.msg);
    ck_assert_msg(strstr(err.msg, needle), "\"%s\" lacks \"%s\"", err.msg,
                  needle);
}

START_TEST(network_errors_carry_the_case_files_position)
{
    /* in forward: line 7 "    s = W @ z": z at column 13 */
    expect_error(edited("s = W @ x", "s = W @ z"), 7, 13, "unknown name \"z\"");
    /* in formulas: line 15 "      dL/dW = s - y" gives a vector: the
     * formula starts at column 15 */
    expect_error(edited("dL/dW = outer(s - y, x)", "dL/dW = s - y"), 15, 15,
                 "dL/dW needs a 2 x 2 matrix");
    /* the loss must be one number: line 8, L at column 5 */
    expect_error(edited("L = 0.5 dot(s - y, s - y)", "L = 0.5 (s - y)"), 8, 5,
                 "must be one number");
    /* shapes: an axis naming no dim: "0..k-1" on line 4 at column 16 */
    expect_error(edited("[0..n-1, n]", "[0..k-1, n]"), 4, 16,
                 "unknown dimension \"k\"");
    /* a line a message names is the case file's: dL/dW given again on
     * line 16 says line 15, not the formulas' own line 2 */
    expect_error(edited("dL/dW = outer(s - y, x)\n",
                        "dL/dW = outer(s - y, x)\n      dL/dW = 2 W\n"),
                 16, 7, "dL/dW[0][1] is already given on line 15");
}
END_TEST

/* gradcheck grade against a network written in the case file: formula
 * submissions answer in its names, a C submission gets a header made
 * from its layout (carol.c computes the right gradient in C). */
START_TEST(network_grades_formula_and_c_submissions)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/mlp2_relu.yaml"));
    char *args[1] = {(char *)tu_path("tests/networks/submissions")};
    gc_grade_options o = gc_grade_options_default();
    gc_grade_report *r = NULL;
    gc_error err;
    int st = gc_grade(c, args, 1, &o, &r, &err);
    ck_assert_msg(st == GC_OK, "%s", err.msg);
    ck_assert_int_eq(r->n_subs, 3);
    for (size_t i = 0; i < r->n_subs; i++) {
        const gc_grade_result *g = &r->subs[i];
        const char *id = g->sub->id;
        ck_assert_int_eq(g->n_items, 4);
        for (size_t k = 0; k < g->n_items; k++) {
            const gc_grade_item *it = &g->items[k];
            /* bob forgot the ReLU's derivative: W1, b1 wrong */
            int wrong = strcmp(id, "bob") == 0 &&
                        (strcmp(it->target.key, "dL/dW1") == 0 ||
                         strcmp(it->target.key, "dL/db1") == 0);
            ck_assert_msg(it->verdict == (wrong ? GC_GRADE_DISAGREE
                                                : GC_GRADE_AGREE),
                          "%s %s: %s", id, it->target.key,
                          it->message ? it->message : "");
        }
        ck_assert_double_eq(g->score, strcmp(id, "bob") == 0 ? 3.0 : 6.0);
    }
    gc_grade_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(network_hessian_blocks_are_checked)
{
    /* L = 0.5 |W x - y|^2: d2L/dW_ij dW_kl = kdelta(i, k) x_j x_l with
     * x = (1.5, -0.5, 2): entry (W[1][2], W[1][3]) is -0.5 * 2 = -1,
     * (W[1][2], W[2][3]) is 0 and (W[2][1], W[2][1]) is 1.5^2 = 2.25. */
    gc_case *c = tu_load_case(tu_path("tests/networks/linear_hessian.yaml"));
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *d = deriv(r, "right");
    ck_assert_int_eq(d->n_hessians, 1);
    ck_assert_int_eq(d->verdict, GC_AGREE);
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_entry_check *h = d->points[p].hentries[0];   /* 6 x 6 */
        for (size_t e = 0; e < 36; e++)
            ck_assert_int_eq(h[e].verdict, GC_AGREE);
        /* row W[1][2] is entry 1, column W[1][3] entry 2, W[2][3] entry 5 */
        ck_assert_double_eq(h[1 * 6 + 2].analytic, -1.0);
        ck_assert_double_eq_tol(h[1 * 6 + 2].numeric.value, -1.0, 1e-8);
        ck_assert_double_eq(h[1 * 6 + 5].analytic, 0.0);
        ck_assert_double_eq_tol(h[1 * 6 + 5].numeric.value, 0.0, 1e-8);
        ck_assert_double_eq_tol(h[3 * 6 + 3].numeric.value, 2.25, 1e-8);
    }
    /* the same block written whole, kron(eye(n), outer(x, x)): entry by
     * entry the per-entry formula's values */
    const gc_derivation_report *w = deriv(r, "whole");
    ck_assert_int_eq(w->verdict, GC_AGREE);
    for (size_t e = 0; e < 36; e++)
        ck_assert_double_eq(w->points[0].hentries[0][e].analytic,
                            d->points[0].hentries[0][e].analytic);
    /* the identity is wrong in the Hessian, its gradient right */
    d = deriv(r, "identity");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    for (size_t k = 0; k < 6; k++)
        ck_assert_int_eq(d->points[0].entries[k].verdict, GC_AGREE);
    ck_assert_int_eq(d->points[0].hentries[0][1 * 6 + 2].verdict,
                     GC_DISAGREE);
    ck_assert_int_eq(r->unmet, 0);
    gc_case_report_free(r);
    gc_case_free(c);
    /* a Hessian block needs the derivation's own gradient of its block */
    expect_error(edited("      dL/dW = outer(s - y, x)\n",
                        "      d2L/dW dW = zeros(4, 4)\n"), 15, 7,
                 "give dL/dW too");
}
END_TEST

/* An LSTM: the gates at t use h[t-1], defined below them (a definition
 * may use later ones in a case's formulas); the derivation carries
 * dL/dh[t] and dL/dc[t] in one recurrence G[t] backwards.  Forgetting
 * the cell state's own path back (dL/dc[t] gets nothing from c[t+1]) is
 * first wrong at dL/dc at t = T - 1 = 3. */
START_TEST(network_lstm_uses_later_definitions)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/lstm_small.yaml"));
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(deriv(r, "bptt")->verdict, GC_AGREE);
    const gc_derivation_report *d = deriv(r, "no_cell_path");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    char name[64];
    gc_entry_name(&c->prob->layout.quantities,
                  (size_t)d->points[0].first_wrong, name, sizeof name);
    ck_assert_msg(strncmp(name, "c[3][", 5) == 0, "first wrong %s", name);
    gc_case_report_free(r);
    gc_case_free(c);
    /* a cycle through later definitions is found when evaluating */
    expect_error(edited("    s = W @ x\n", "    s = W @ x + 0 u\n"
                                             "    u = 2 s\n"), 8, 11,
                 "depends on itself");
}
END_TEST

/* A derivation in a formula file beside the case; a mistake in it is
 * reported at the file's own line and column. */
START_TEST(network_derivation_from_a_file)
{
    gc_case *c = tu_load_case(tu_path("tests/networks/mlp2_relu_file.yaml"));
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(deriv(r, "right")->verdict, GC_AGREE);
    ck_assert_int_eq(r->unmet, 0);
    gc_case_report_free(r);
    gc_case_free(c);
    /* "dL/dW = outer(s - y, x" unclosed: line 2, its end at column 23 */
    const char *txt = tu_tmpfile("dL/ds = s - y\n"
                                 "dL/dW = outer(s - y, x\n");
    char text[4096];
    snprintf(text, sizeof text, "%s", linear);
    char *d = strstr(text, "derivations:");
    snprintf(d, sizeof text - (size_t)(d - text),
             "derivations:\n  mine: {file: %s}\n", txt);
    gc_case *bad = NULL;
    gc_error err;
    ck_assert_int_ne(gc_case_load(tu_tmpfile(text), &bad, &err), GC_OK);
    ck_assert_str_eq(err.file, txt);
    ck_assert_msg(err.line == 2 && err.column == 23, "%ld:%ld: %s", err.line,
                  err.column, err.msg);
}
END_TEST

/* The loss's own name: "cost = ..." is answered by dcost/dW, in the
 * case's derivations and in its grading: section. */
START_TEST(network_loss_keeps_its_name)
{
    char text[4096];
    snprintf(text, sizeof text, "%s", edited("L = 0.5", "cost = 0.5"));
    for (char *p; (p = strstr(text, "dL/"));) {
        memmove(p + 6, p + 3, strlen(p + 3) + 1);
        memcpy(p, "dcost/", 6);
    }
    strcat(text, "grading:\n  formulas: {dcost/dW: 1}\n");
    gc_case *c = tu_load_case(tu_tmpfile(text));
    ck_assert_ptr_nonnull(c->grading);
    ck_assert_int_eq(c->grading->n_loss, 1);
    ck_assert_str_eq(c->grading->loss[0], "cost");
    ck_assert_str_eq(c->grading->formulas[0].key, "dcost/dW");
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(deriv(r, "mine")->verdict, GC_AGREE);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* A deep tanh MLP of `layers` layers of 2 units: dims n0..n<layers>, one
 * weight block and two quantities (z_l, a_l) a layer, and its back-
 * propagation written out layer by layer as a student would:
 * d_l = (1 - a_l^2) * (W_{l+1}^T d_{l+1}), dL/dW_l = outer(d_l, a_{l-1}). */
static char *deep_mlp(int layers)
{
    size_t cap = 4096 + (size_t)layers * 400, k = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
#define ADD(...) (k += (size_t)snprintf(t + k, cap - k, __VA_ARGS__))
    ADD("name: deep\nnetwork:\n  dims: {");
    for (int l = 0; l <= layers; l++) ADD("%sn%d: 2", l ? ", " : "", l);
    ADD("}\n  params: {");
    for (int l = 1; l <= layers; l++)
        ADD("%sW%d: [n%d, n%d]", l > 1 ? ", " : "", l, l, l - 1);
    ADD("}\n  inputs: {x: [n0], y: [n%d]}\n  forward: |\n", layers);
    for (int l = 1; l <= layers; l++) {
        if (l == 1) ADD("    z1 = W1 @ x\n");
        else ADD("    z%d = W%d @ a%d\n", l, l, l - 1);
        ADD("    a%d = tanh(z%d)\n", l, l);
    }
    ADD("    L = 0.5 dot(a%d - y, a%d - y)\n", layers, layers);
    ADD("inputs: {x: [0.9, -0.4], y: [0.2, -0.3]}\n"
        "random: {seed: 5, dist: normal, scale: 1.2}\n"
        "derivations:\n  right:\n    formulas: |\n");
    ADD("      d%d = (1 - a%d^2) * (a%d - y)\n", layers, layers, layers);
    for (int l = layers - 1; l >= 1; l--)
        ADD("      d%d = (1 - a%d^2) * (transpose(W%d) @ d%d)\n", l, l,
            l + 1, l + 1);
    for (int l = 1; l <= layers; l++) {
        ADD("      dL/dz%d = d%d\n", l, l);
        if (l == 1) ADD("      dL/dW1 = outer(d1, x)\n");
        else ADD("      dL/dW%d = outer(d%d, a%d)\n", l, l, l - 1);
    }
#undef ADD
    ck_assert_uint_lt(k, cap);
    return t;
}

/* Limits sized for ordinary networks: a 30-layer MLP has 31 dims and 60
 * quantities (the limits were 8 and 48); its back-propagation agrees at
 * every point.  32 dims load, 33 are refused with the limit named. */
START_TEST(network_deep_mlp_fits_the_limits)
{
    char *text = deep_mlp(30);
    gc_case *c = tu_load_case(tu_tmpfile(text));
    free(text);
    ck_assert_uint_eq(c->prob->layout.quantities.n_blocks, 60);
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *d = deriv(r, "right");
    ck_assert_int_eq(d->verdict, GC_AGREE);
    ck_assert_int_eq(d->n_claimed, 30 * 4);
    gc_case_report_free(r);
    gc_case_free(c);

    text = deep_mlp(31);        /* 32 dims: n0..n31 */
    c = tu_load_case(tu_tmpfile(text));
    free(text);
    gc_case_free(c);
    text = deep_mlp(32);        /* 33 dims */
    gc_error err;
    c = NULL;
    ck_assert_int_ne(gc_case_load(tu_tmpfile(text), &c, &err), GC_OK);
    free(text);
    ck_assert_msg(strstr(err.msg, "more than 32 dims"), "%s", err.msg);
}
END_TEST

/* 65 layers sharing one weight: the 129th quantity (a64; a0 is the 1st)
 * is refused with the limit named, at its line. */
START_TEST(network_too_many_quantities_name_the_limit)
{
    size_t cap = 65 * 120 + 1024, k = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    k += (size_t)snprintf(t + k, cap - k, "name: wide\nnetwork:\n"
                          "  dims: {n: 2}\n  params: {W: [n, n]}\n"
                          "  inputs: {x: [n]}\n  forward: |\n"
                          "    a0 = x\n");
    for (int l = 1; l <= 65; l++)
        k += (size_t)snprintf(t + k, cap - k, "    z%d = W @ a%d\n"
                              "    a%d = tanh(z%d)\n", l, l - 1, l, l);
    k += (size_t)snprintf(t + k, cap - k, "    L = sum(a65)\n"
                          "inputs: {x: [1, 2]}\nrandom: {seed: 1}\n"
                          "derivations:\n  mine:\n"
                          "    formulas: |\n      dL/dW = W\n");
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_ne(gc_case_load(tu_tmpfile(t), &c, &err), GC_OK);
    free(t);
    ck_assert_msg(strstr(err.msg, "a64: more than 128 quantities"), "%s",
                  err.msg);
    ck_assert_int_eq(err.line, 7 + 128);
}
END_TEST

/* A derivation that answers some entries of a block claims those only: the
 * linear case (W = [[1, 2], [3, 4]], x = (1, 1), y = 0, s = (3, 7)) with
 * dL/dW[0][1] = (s - y)[0] x[1] = 3 alone (s numbers its entries like W's
 * rows, from 0), and dL/ds[1] = s[1] = 7 alone (s[0] not given).  Both
 * are right: the derivation agrees over 1 entry (it was 'nonfinite', the
 * other entries checked as NaN); with dL/ds[1] = 2s[1] it disagrees and
 * names s[1]. */
START_TEST(network_partial_answers_claim_their_entries)
{
    char text[4096];
    snprintf(text, sizeof text, "%s", linear);
    char *d = strstr(text, "      dL/ds = s - y\n");
    snprintf(d, sizeof text - (size_t)(d - text),
             "      dL/ds[1] = s[1]\n      dL/dW[0][1] = (s - y)[0] x[1]\n");
    gc_case *c = tu_load_case(tu_tmpfile(text));
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *m = deriv(r, "mine");
    ck_assert_int_eq(m->verdict, GC_AGREE);
    ck_assert_uint_eq(m->n_claimed, 1);
    ck_assert(m->claimed[0] && !m->claimed[1] && !m->claimed[2] &&
              !m->claimed[3]);
    ck_assert(m->qclaimed[1] && !m->qclaimed[0]);
    gc_case_report_free(r);
    /* --mode directional screens the entry it claims, no other */
    gc_run_options o = gc_run_options_default();
    gc_screen_options so = gc_screen_options_default();
    gc_screen_report *sr = NULL;
    gc_error err;
    ck_assert_int_eq(gc_screen_run_case(c, &o, &so, &sr, &err), GC_OK);
    ck_assert_int_eq(sr->derivs[0].verdict, GC_AGREE);
    ck_assert_uint_eq(sr->derivs[0].n_claimed, 1);
    gc_screen_report_free(sr);
    gc_case_free(c);
    d = strstr(text, "      dL/ds[1] = s[1]\n");
    snprintf(d, sizeof text - (size_t)(d - text),
             "      dL/ds[1] = 2 s[1]\n      dL/dW[0][1] = (s - y)[0] x[1]\n");
    c = tu_load_case(tu_tmpfile(text));
    r = tu_run_case(c, 1);
    m = deriv(r, "mine");
    ck_assert_int_eq(m->verdict, GC_DISAGREE);
    ck_assert_int_eq(m->points[0].first_wrong, 1);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

/* A quantity of 1000 entries at each of 4200 steps: 4.2 million entries,
 * past the layout's 2^22 = 4194304, named with its count at its definition
 * (line 5, column 5).  Here, not in tests/bad/: its values alone need more
 * than bad_inputs.sh's 256 MiB of address space beside OpenBLAS. */
START_TEST(network_oversized_quantity_names_its_entries)
{
    expect_error("name: big\nnetwork:\n  params: {b: [3]}\n  forward: |\n"
                 "    a[t] = ones(1000) * b[1]\n"
                 "    L = sum(u, 1, 4200, sum(a[u]))\n"
                 "random: {seed: 1}\nderivations:\n  mine:\n"
                 "    formulas: |\n      dL/db = zeros(3)\n", 5, 5,
                 "a: 4200000 entries over the indices the pass evaluates: "
                 "more than 4194304 (GC_MAX_ENTRIES)");
}
END_TEST

/* Shapes as a student writes them: [2, 4 C] (juxtaposition), [H/2, C]
 * (exact division), [0..2(C-1), 1]: with H = 4, C = 3 these are 2 x 12,
 * 2 x 3 and 5 x 1 (rows 0..4); an odd division is refused. */
START_TEST(network_shapes_multiply_and_divide)
{
    static const char text[] =
        "name: shapes\n"
        "network:\n"
        "  dims: {H: 4, C: 3}\n"
        "  params: {W: [2, 4 C], V: [H/2, C], U: [0..2(C-1), 1]}\n"
        "  inputs: {x: [4*C]}\n"
        "  forward: |\n"
        "    L = sum(W @ x) + sum(V) + sum(U)\n"
        "random: {seed: 1}\n"
        "inputs: {x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}\n"
        "derivations:\n"
        "  mine:\n"
        "    formulas: |\n"
        "      dL/dV = ones(2, 3)\n";
    gc_case *c = tu_load_case(tu_tmpfile(text));
    const gc_blocks *P = &c->prob->layout.params;
    const gc_block *W = gc_blocks_find(P, "W"), *V = gc_blocks_find(P, "V"),
                   *U = gc_blocks_find(P, "U");
    ck_assert(W && V && U);
    ck_assert_uint_eq(W->shape[1], 12);
    ck_assert_uint_eq(V->shape[0], 2);
    ck_assert_uint_eq(U->shape[0], 5);
    ck_assert_int_eq(U->base[0], 0);
    gc_case_free(c);
    char *odd = strdup(text);
    ck_assert_ptr_nonnull(odd);
    memcpy(strstr(odd, "H/2"), "C/2", 3);
    gc_error err;
    c = NULL;
    ck_assert_int_ne(gc_case_load(tu_tmpfile(odd), &c, &err), GC_OK);
    free(odd);
    ck_assert_msg(strstr(err.msg, "axis 1: 3 / 2 is not a whole number"),
                  "%s", err.msg);
}
END_TEST

/* Recurrences as on paper: the base case on its own line (h[0] = zeros(n)
 * above h[t] = ...; g[T] = ... beside g[t] = ... g[t+1]), and an answer
 * for the last step (dL/dh[T] = ...) beside the general one, in either
 * order.  The network is rnn_tanh's (whose h[1] is written with if), so
 * the losses are equal; h then has a row h[0]. */
static const char paper_rnn[] =
    "name: paper_rnn\n"
    "network:\n"
    "  dims: {n: 3, m: 2, T: 4}\n"
    "  params: {U: [n, m], W: [n, n], b: [n]}\n"
    "  inputs: {x: [T, m], y: [n]}\n"
    "  forward: |\n"
    "    h[0] = zeros(n)\n"
    "    h[t] = tanh(U @ x[t] + W @ h[t-1] + b)\n"
    "    L = 0.5 dot(h[T] - y, h[T] - y)\n"
    "inputs: {x: [[1, 0.5], [-0.3, 0.8], [0.2, -1], [0.7, 0.1]],\n"
    "         y: [0.1, -0.2, 0.3]}\n"
    "points: 3\n"
    "random: {seed: 7, dist: normal, scale: 0.6}\n"
    "derivations:\n"
    "  last_first:\n"
    "    formulas: |\n"
    "      g[T] = (1 - h[T]^2) * (h[T] - y)\n"
    "      g[t] = (1 - h[t]^2) * (W^T @ g[t+1])\n"
    "      dL/dh[T] = h[T] - y\n"
    "      dL/dh[t] = W^T @ g[t+1]\n"
    "      dL/dW = sum(t, 1, T, outer(g[t], h[t-1]))\n"
    "      dL/dU = sum(t, 1, T, outer(g[t], x[t]))\n"
    "  general_first:\n"
    "    formulas: |\n"
    "      g[t] = (1 - h[t]^2) * (W^T @ g[t+1])\n"
    "      g[T] = (1 - h[T]^2) * (h[T] - y)\n"
    "      dL/dh[t] = W^T @ g[t+1]\n"
    "      dL/dh[T] = h[T] - y\n"
    "      dL/db = sum(t, 1, T, g[t])\n"
    "  last_doubled:\n"
    "    expect: disagree\n"
    "    formulas: |\n"
    "      g[T] = (1 - h[T]^2) * 2 (h[T] - y)\n"
    "      g[t] = (1 - h[t]^2) * (W^T @ g[t+1])\n"
    "      dL/dh[T] = 2 (h[T] - y)\n"
    "      dL/dh[t] = W^T @ g[t+1]\n"
    "      dL/db = sum(t, 1, T, g[t])\n";

START_TEST(network_base_cases_on_their_own_lines)
{
    gc_case *c = tu_load_case(tu_tmpfile(paper_rnn));
    gc_case *ref = tu_load_case(tu_path("tests/networks/rnn_tanh.yaml"));
    const gc_block *h = gc_blocks_find(&c->prob->layout.quantities, "h");
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(h->base[0], 0);           /* h[0] .. h[4] */
    ck_assert_uint_eq(h->shape[0], 5);
    gc_engine *e1 = NULL, *e2 = NULL;
    ck_assert_int_eq(gc_engine_alloc(c->prob, &e1), GC_OK);
    ck_assert_int_eq(gc_engine_alloc(ref->prob, &e2), GC_OK);
    ck_assert_uint_eq(c->prob->layout.params.n, ref->prob->layout.params.n);
    double l1 = gc_engine_loss(e1, c->theta, NULL, NULL);
    double l2 = gc_engine_loss(e2, c->theta, NULL, NULL);
    ck_assert_double_eq_tol(l1, l2, 1e-15 * fabs(l2));
    gc_engine_free(e1);
    gc_engine_free(e2);
    gc_case_free(ref);
    gc_case_report *r = tu_run_case(c, 1);
    ck_assert_int_eq(deriv(r, "last_first")->verdict, GC_AGREE);
    ck_assert_int_eq(deriv(r, "general_first")->verdict, GC_AGREE);
    const gc_derivation_report *d = deriv(r, "last_doubled");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    /* the last step is wrong, and everything before it inherits it */
    char name[64];
    gc_entry_name(&c->prob->layout.quantities, (size_t)d->points[0].first_wrong,
                  name, sizeof name);
    ck_assert_msg(strncmp(name, "h[4]", 4) == 0, "%s", name);
    ck_assert_int_eq(r->unmet, 0);
    gc_case_report_free(r);
    gc_case_free(c);

    /* alone, a dimension on the left means the index was meant to run:
     * refused with the reason (n = 2 here) */
    char *lone = strdup(paper_rnn);
    ck_assert_ptr_nonnull(lone);
    char *at = strstr(lone, "      dL/dh[t] = W^T @ g[t+1]\n      dL/dW");
    ck_assert_ptr_nonnull(at);
    memset(at, ' ', strlen("      dL/dh[t] = W^T @ g[t+1]"));
    gc_error err;
    c = NULL;
    ck_assert_int_ne(gc_case_load(tu_tmpfile(lone), &c, &err), GC_OK);
    free(lone);
    ck_assert_msg(strstr(err.msg, "T is the model's dimension T = 4, so "
                         "this gives only that entry"), "%s", err.msg);
}
END_TEST

/* A row the forward pass defines on a line of its own (h[0] = zeros(n)) is
 * the recurrence's start, not a step: an RNN with a loss at every step,
 * L = 1/2 sum_t |h_t - y_t|^2, whose dL/dh[t] = e[t] + W^T g[t+1] reads
 * e[0] = h[0] - y[0], and y has no row 0.  The general line answers
 * h[1..T] (it was exit 2, 'index 0 is out of range: y has entries 1..3',
 * at e's definition); h[0] is not claimed unless a line names it:
 * dL/dh[0] = W^T g[1] is right (h_1 = tanh(U x_1 + W h_0)), and
 * dL/dh[0] = g[1] is wrong and named first wrong (walking back from the
 * loss, h[0] is the last entry reached). */
static const char every_step[] =
    "name: every_step\n"
    "network:\n"
    "  dims: {n: 2, m: 2, T: 3}\n"
    "  params: {U: [n, m], W: [n, n]}\n"
    "  inputs: {x: [T, m], y: [T, n]}\n"
    "  forward: |\n"
    "    h[0] = zeros(n)\n"
    "    h[t] = tanh(U @ x[t] + W @ h[t-1])\n"
    "    L = 0.5 sum(t, 1, T, dot(h[t] - y[t], h[t] - y[t]))\n"
    "inputs: {x: [[1, 0.5], [-0.3, 0.8], [0.2, -1]],\n"
    "         y: [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.2]]}\n"
    "points: 2\n"
    "random: {seed: 11, dist: normal, scale: 0.7}\n"
    "derivations:\n"
    "  steps:\n"
    "    formulas: |\n"
    "      e[t] = h[t] - y[t]\n"
    "      g[T] = (1 - h[T]^2) * e[T]\n"
    "      g[t] = (1 - h[t]^2) * (e[t] + W^T @ g[t+1])\n"
    "      dL/dh[T] = e[T]\n"
    "      dL/dh[t] = e[t] + W^T @ g[t+1]\n"
    "      dL/dW = sum(t, 1, T, outer(g[t], h[t-1]))\n"
    "  with_start:\n"
    "    formulas: |\n"
    "      e[t] = h[t] - y[t]\n"
    "      g[T] = (1 - h[T]^2) * e[T]\n"
    "      g[t] = (1 - h[t]^2) * (e[t] + W^T @ g[t+1])\n"
    "      dL/dh[T] = e[T]\n"
    "      dL/dh[t] = e[t] + W^T @ g[t+1]\n"
    "      dL/dh[0] = W^T @ g[1]\n"
    "  start_wrong:\n"
    "    expect: disagree\n"
    "    formulas: |\n"
    "      e[t] = h[t] - y[t]\n"
    "      g[T] = (1 - h[T]^2) * e[T]\n"
    "      g[t] = (1 - h[t]^2) * (e[t] + W^T @ g[t+1])\n"
    "      dL/dh[T] = e[T]\n"
    "      dL/dh[t] = e[t] + W^T @ g[t+1]\n"
    "      dL/dh[0] = g[1]\n";

START_TEST(network_base_row_is_answered_by_its_own_line)
{
    gc_case *c = tu_load_case(tu_tmpfile(every_step));
    const gc_blocks *Q = &c->prob->layout.quantities;
    const gc_block *h = gc_blocks_find(Q, "h");
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(h->base[0], 0);            /* h[0] .. h[3], 2 each */
    gc_case_report *r = tu_run_case(c, 1);
    const gc_derivation_report *d = deriv(r, "steps");
    ck_assert_int_eq(d->verdict, GC_AGREE);
    for (size_t j = 0; j < h->size; j++)        /* h[0][1], h[0][2] not */
        ck_assert_int_eq(d->qclaimed[h->offset + j], j >= 2);
    d = deriv(r, "with_start");
    ck_assert_int_eq(d->verdict, GC_AGREE);
    for (size_t j = 0; j < h->size; j++)
        ck_assert(d->qclaimed[h->offset + j]);
    d = deriv(r, "start_wrong");
    ck_assert_int_eq(d->verdict, GC_DISAGREE);
    char name[64];
    gc_entry_name(Q, (size_t)d->points[0].first_wrong, name, sizeof name);
    ck_assert_msg(strncmp(name, "h[0]", 4) == 0, "%s", name);
    ck_assert_int_eq(r->unmet, 0);
    gc_case_report_free(r);
    gc_case_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("network");
    TCase *tc = tcase_create("network");
    tcase_add_test(tc, network_forward_by_hand_with_taps_and_bases);
    tcase_add_test(tc, network_mlp_right_agrees_wrong_is_localised);
    tcase_add_test(tc, network_recurrence_localises_the_time_step);
    tcase_add_test(tc, network_threads_give_the_same_numbers);
    tcase_add_test(tc, network_no_expectation_decides_by_its_own_verdict);
    tcase_add_test(tc, network_errors_carry_the_case_files_position);
    tcase_add_test(tc, network_grades_formula_and_c_submissions);
    tcase_add_test(tc, network_hessian_blocks_are_checked);
    tcase_add_test(tc, network_lstm_uses_later_definitions);
    tcase_add_test(tc, network_derivation_from_a_file);
    tcase_add_test(tc, network_loss_keeps_its_name);
    tcase_add_test(tc, network_deep_mlp_fits_the_limits);
    tcase_add_test(tc, network_too_many_quantities_name_the_limit);
    tcase_add_test(tc, network_oversized_quantity_names_its_entries);
    tcase_add_test(tc, network_partial_answers_claim_their_entries);
    tcase_add_test(tc, network_shapes_multiply_and_divide);
    tcase_add_test(tc, network_base_cases_on_their_own_lines);
    tcase_add_test(tc, network_base_row_is_answered_by_its_own_line);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
