/* test_netbatch.c: a case-defined network's batched forward pass (its
 * forward pass recorded as a tape and replayed for many copies of theta,
 * src/fx/tape.c) against forward(): every copy's loss within a few ulps,
 * relative, of forward() on theta with that entry set, for the twins
 * (recurrences with if(t == 1, ...), convolutions written with sums), a
 * softmax with cross-entropy, and guards that depend on values, whose
 * copies that decide otherwise are evaluated by the interpreter; copies
 * moved along directions (forward_batch_dir) to the bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"
#include "fx/network.h"


static const char *case_path(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cases/%s.yaml", name);
    return tu_path(rel);
}

/* Every parameter entry moved by +-2.385e-3 (relative) and to a far value,
 * all in one forward_batch call; each copy's loss against the
 * interpreter's pass on that copy, within tol_ulps (relative; 0: to the
 * bit).  Then forward() (a one-copy replay) and every quantity entry
 * tapped in one forward_batch_tap call, both to the bit. */
static void check_batch(const gc_case *c, double tol_ulps)
{
    const gc_model_type *m = c->model;
    const gc_problem *p = c->prob;
    ck_assert_msg(m->forward_batch && m->batch_work && m->forward_batch_tap,
                  "%s has no batched forward pass", m->name);
    size_t np = p->layout.params.n, nq = p->layout.quantities.n;
    size_t n = 3 * np > nq ? 3 * np : nq;
    size_t *k = malloc(n * sizeof *k);
    double *x = malloc(n * sizeof *x), *L = malloc(n * sizeof *L);
    double *th = malloc(np * sizeof *th);
    double *q1 = malloc((nq + 1) * sizeof *q1), *q2 = malloc((nq + 1) *
                                                             sizeof *q2);
    double *work = malloc((m->batch_work(p, n) + 1) * sizeof *work);
    double *fw = calloc(p->layout.work + 1, sizeof *fw);
    gc_tap *taps = malloc(n * sizeof *taps);
    ck_assert(k && x && L && th && work && fw && q1 && q2 && taps);
    for (size_t i = 0; i < 3 * np; i++) {
        k[i] = i % np;
        double t = c->theta[k[i]];
        x[i] = i < np ? t * (1 + 2.385e-3) + 1e-4
             : i < 2 * np ? t * (1 - 2.385e-3) - 1e-4 : -2.385 * t + 0.7;
    }
    ck_assert_int_eq(m->forward_batch(p, c->theta, k, x, 3 * np, L, work),
                     GC_OK);
    memcpy(th, c->theta, np * sizeof *th);
    for (size_t i = 0; i < 3 * np; i++) {
        th[k[i]] = x[i];
        double want = gc_net_forward_interpreted(p, th, NULL, q1);
        double got = m->forward(p, th, NULL, q2, fw);
        th[k[i]] = c->theta[k[i]];
        double tol = tol_ulps * 2.22e-16 * fabs(want);
        ck_assert_msg(fabs(L[i] - want) <= tol || (isnan(want) &&
                      isnan(L[i])), "%s copy %zu (entry %zu = %g): batched "
                      "%.17g, interpreted %.17g", m->name, i, k[i], x[i],
                      L[i], want);
        ck_assert_msg(got == want || (isnan(got) && isnan(want)), "%s copy "
                      "%zu: forward %.17g, interpreted %.17g", m->name, i,
                      got, want);
        ck_assert(memcmp(q1, q2, nq * sizeof *q1) == 0);
    }
    for (size_t i = 0; i < nq; i++)
        taps[i] = (gc_tap){i, (i % 2 ? -2.385e-3 : 1.7e-2) *
                              (1 + (double)i / (double)nq)};
    ck_assert_int_eq(m->forward_batch_tap(p, c->theta, taps, nq, L, work),
                     GC_OK);
    for (size_t i = 0; i < nq; i++) {
        double want = gc_net_forward_interpreted(p, c->theta, &taps[i], q1);
        double got = m->forward(p, c->theta, &taps[i], q2, fw);
        ck_assert_msg(L[i] == want || (isnan(want) && isnan(L[i])),
                      "%s tap %zu: batched %.17g, interpreted %.17g",
                      m->name, i, L[i], want);
        ck_assert_msg(got == want || (isnan(got) && isnan(want)), "%s tap %zu: forward %.17g, interpreted "
                      "%.17g", m->name, i, got, want);
        ck_assert(memcmp(q1, q2, nq * sizeof *q1) == 0);
    }
    free(k); free(x); free(L); free(th); free(work); free(fw);
    free(q1); free(q2); free(taps);
}

START_TEST(netbatch_twins_equal_forward)
{
    static const char *const twins[] = {
        "tanh_net_004_q1_net", "rnn_bptt_000_p5_net", "lstm_001_6_4_net",
        "gru_bptt_001_6_5_net", "cnn1d_000_p3_net",
        "conv_backprop_001_5_6_net", NULL};
    for (int i = 0; twins[i]; i++) {
        gc_case *c = tu_load_case(case_path(twins[i]));
        check_batch(c, 0);      /* below GC_BATCH_MIN_PARAMS: exact */
        gc_case_free(c);
    }
}
END_TEST

/* forward() of one copy replays the tape from the first operation a
 * changed parameter or a tap reaches, keeping the values of the earlier
 * ones from its last call (fx_tape_replay_one).  Calls in any order, as
 * threads sharing a pool of programs make them: the same tap with two
 * deltas (a one-sided difference), another tap, a moved parameter, the
 * base point; each to the bit as the interpreter gives it.  A definition
 * made by array(...) of pieces written by several operations (the
 * convolution twin's Z1) once kept an earlier tap in a piece. */
static void check_one_copy_sequence(const gc_case *c)
{
    const gc_model_type *m = c->model;
    const gc_problem *p = c->prob;
    size_t np = p->layout.params.n, nq = p->layout.quantities.n;
    double *th = malloc(np * sizeof *th);
    double *fw = calloc(p->layout.work + 1, sizeof *fw);
    ck_assert(th && fw);
    memcpy(th, c->theta, np * sizeof *th);
    for (size_t s = 0; s < 6 * nq; s++) {
        size_t i = s / 6;
        gc_tap tap = {i, 0};
        const gc_tap *t = &tap;
        size_t kk = (i * 7 + s) % np;
        switch (s % 6) {
        case 0: tap.delta = 2.385e-3; break;
        case 1: tap.delta = -1.7e-2; break;            /* same tap */
        case 2: tap = (gc_tap){(i * 5 + 3) % nq, 0.25}; break;
        case 3: th[kk] += 1e-3; t = NULL; break;       /* a moved entry */
        case 4: tap.delta = 0.125; break;              /* and a tap there */
        default: t = NULL; break;                      /* the base point */
        }
        double want = gc_net_forward_interpreted(p, th, t, NULL);
        double got = m->forward(p, th, t, NULL, fw);
        ck_assert_msg(got == want || (isnan(got) && isnan(want)), "%s call "
                      "%zu (tap %zd): forward %.17g, interpreted %.17g",
                      m->name, s, t ? (ssize_t)t->index : -1, got, want);
        if (s % 6 == 4) memcpy(th, c->theta, np * sizeof *th);
    }
    free(th);
    free(fw);
}

START_TEST(netbatch_one_copy_calls_in_any_order)
{
    static const char *const twins[] = {
        "tanh_net_004_q1_net", "rnn_bptt_000_p5_net", "lstm_001_6_4_net",
        "gru_bptt_001_6_5_net", "cnn1d_000_p3_net",
        "conv_backprop_001_5_6_net", NULL};
    for (int i = 0; twins[i]; i++) {
        gc_case *c = tu_load_case(case_path(twins[i]));
        check_one_copy_sequence(c);
        gc_case_free(c);
    }
}
END_TEST

/* From GC_BATCH_MIN_PARAMS entries a parameter matrix times the copies'
 * vectors is one matrix-matrix product with a rank-one correction: the
 * same losses up to round-off (the LSTM of the benchmarks, 32 inputs, 64
 * hidden units, 16 steps: 24 832 entries; every 47th checked, 529 copies,
 * more than one turn of NET_BATCH_MAX_WORK, src/fx/network.c). */
START_TEST(netbatch_large_lstm_within_ulps)
{
    gc_case *c = tu_load_case(tu_path("benchmarks/lstm_net_32_64_16.yaml"));
    const gc_model_type *m = c->model;
    const gc_problem *p = c->prob;
    size_t np = p->layout.params.n, n = 0;
    ck_assert_uint_ge(np, 1024);
    size_t *k = malloc(np * sizeof *k);
    double *x = malloc(np * sizeof *x), *L = malloc(np * sizeof *L);
    double *th = malloc(np * sizeof *th);
    ck_assert(k && x && L && th);
    for (size_t e = 0; e < np; e += 47, n++) {
        k[n] = e;
        x[n] = c->theta[e] * (1 + 2.385e-3) + (n % 2 ? 1e-3 : -1e-3);
    }
    double *work = malloc((m->batch_work(p, n) + 1) * sizeof *work);
    ck_assert_ptr_nonnull(work);
    ck_assert_int_eq(m->forward_batch(p, c->theta, k, x, n, L, work), GC_OK);
    memcpy(th, c->theta, np * sizeof *th);
    for (size_t i = 0; i < n; i++) {
        th[k[i]] = x[i];
        double want = gc_net_forward_interpreted(p, th, NULL, NULL);
        th[k[i]] = c->theta[k[i]];
        ck_assert_msg(fabs(L[i] - want) <= 64 * 2.22e-16 * fabs(want),
                      "copy %zu (entry %zu): batched %.17g, interpreted "
                      "%.17g", i, k[i], L[i], want);
    }
    free(k); free(x); free(L); free(th); free(work);
    gc_case_free(c);
}
END_TEST

/* softmax and cross-entropy over a linear layer with a bias */
static const char softmax_net[] =
    "name: softmax_ce\n"
    "network:\n"
    "  dims: {n: 4, K: 3}\n"
    "  params: {W: [K, n], b: [K]}\n"
    "  inputs: {x: [n], y: [K]}\n"
    "  forward: |\n"
    "    s = W @ x + b\n"
    "    p = softmax(s)\n"
    "    L = -sum(k, 1, K, y[k] log(p[k]))\n"
    "inputs: {x: [0.5, -1.2, 2.385, 0.3], y: [0, 1, 0]}\n"
    "random: {seed: 7, dist: normal, scale: 0.8}\n"
    "derivations:\n"
    "  mine:\n"
    "    formulas: |\n"
    "      dL/db = p - y\n";

/* value-dependent guards: the branch of if and max follow theta, and a
 * copy far from theta takes the other branch */
static const char guard_net[] =
    "name: guards\n"
    "network:\n"
    "  dims: {n: 3}\n"
    "  params: {W: [n, n], v: [n]}\n"
    "  inputs: {x: [n]}\n"
    "  forward: |\n"
    "    s = W @ x\n"
    "    a = if(s[1] > 0, tanh(s), -s)\n"
    "    m = max(dot(v, a), 0.5 * sum(a))\n"
    "    L = m^2 + relu(v[2] - 0.1)\n"
    "params: {W: [[0.4, -0.3, 0.2], [0.1, 0.5, -0.7], [0.6, 0.2, 0.3]],\n"
    "         v: [0.9, -0.4, 0.25]}\n"
    "inputs: {x: [1.1, -0.6, 0.35]}\n"
    "derivations:\n"
    "  mine:\n"
    "    formulas: |\n"
    "      dL/dv = 0 v\n";

/* every builtin added for networks (mean, var, logsumexp, log_softmax,
 * softmax of a matrix, softplus, gelu, floor, ceil, cosh, sinh, sech,
 * elu, silu, leaky_relu, clip, max and min of 3 arguments, && and ||, A^T, flatten, a vector added to a matrix's
 * rows, if with a vector
 * condition) on the tape: a layer normalisation, a log-softmax
 * cross-entropy, an attention-like row softmax and a Huber loss, whose
 * entries switch branch in the far copies */
static const char builtins_net[] =
    "name: builtins\n"
    "network:\n"
    "  dims: {n: 4, K: 3}\n"
    "  params: {W: [K, n], b: [K], V: [n, n], g: [n]}\n"
    "  inputs: {x: [n], y: [K]}\n"
    "  forward: |\n"
    "    s = W @ x + b\n"
    "    u = V @ x\n"
    "    h = softplus(u) + gelu(u)\n"
    "    m = g * (h - mean(h)) / sqrt(var(h) + 1e-5)\n"
    "    A = softmax(outer(s, s))\n"
    "    lp = log_softmax(s)\n"
    "    B = log_softmax(outer(s, u))\n"
    "    L = logsumexp(s) - dot(y, lp) + 0.1 sum(flatten(A) * flatten(eye(K)))\n"
    "        + dot(m, x) + mean(B)\n"
    "        + sum(if(abs(s) <= 1, 0.5 s^2, abs(s) - 0.5))\n"
    "        + 0.01 (sum(floor(3 s)) + sum(ceil(5 u)))\n"
    "        + sum(cosh(0.3 s)) - sum(sinh(0.2 u) * sech(s[2]))\n"
    "        + 0.1 sum(tanh(outer(s, u) + u - g))\n"
    "        + sum(elu(s)) + sum(elu(u, 0.3) + silu(u)) + sum(leaky_relu(s))\n"
    "        + sum(clip(u, -0.5, 0.5))\n"
    "        + sum(max(s, -s, 0.5 s)) - min(u[1], u[2], g[3])\n"
    "        + sum(k, 1, 5, if(k - 1 < 1 || k - 1 > K, 0, s[k - 1]))\n"
    "        + sum((s > 0) && (s < 1) || (u[1] > 0.5))\n"
    "        + 0.1 sum(W^T @ s)\n"
    "inputs: {x: [0.5, -1.2, 2.385, 0.3], y: [0, 1, 0]}\n"
    "random: {seed: 7, dist: normal, scale: 0.8}\n"
    "derivations:\n"
    "  mine:\n"
    "    formulas: |\n"
    "      dL/db = softmax(s) - y\n";

START_TEST(netbatch_network_builtins_equal_forward)
{
    gc_case *c = tu_load_case(tu_tmpfile(builtins_net));
    check_batch(c, 0);
    gc_case_free(c);
}
END_TEST

/* forward_batch_dir (screening) through the tape: copies moved along
 * directions over every parameter block, the whole vector and single
 * entries, each loss against forward() and the interpreter on theta moved
 * as the engine's loss_along writes it (theta_j + t v_j), to the bit. */
static void check_dir(const gc_case *c)
{
    const gc_model_type *m = c->model;
    const gc_problem *p = c->prob;
    ck_assert_ptr_nonnull(m->forward_batch_dir);
    const gc_blocks *B = &p->layout.params;
    size_t np = B->n, n = 3 * (B->n_blocks + 2);
    size_t *a = malloc(n * sizeof *a), *len = malloc(n * sizeof *len);
    double *t = malloc(n * sizeof *t), *L = malloc(n * sizeof *L);
    const double **v = malloc(n * sizeof *v);
    double *dirs = malloc(np * sizeof *dirs), *th = malloc(np * sizeof *th);
    double *work = malloc((m->batch_work(p, n) + 1) * sizeof *work);
    double *fw = calloc(p->layout.work + 1, sizeof *fw);
    ck_assert(a && len && t && L && v && dirs && th && work && fw);
    for (size_t j = 0; j < np; j++)      /* a fixed, irregular direction */
        dirs[j] = sin(2.385 * (double)j + 0.7) * (j % 3 ? 1.0 : -0.5);
    size_t i = 0;
    for (int r = 0; r < 3; r++) {
        static const double ts[3] = {2.385e-3, -0.0625, 0.4};
        for (size_t b = 0; b < B->n_blocks; b++, i++) {      /* each block */
            a[i] = B->block[b].offset;
            len[i] = B->block[b].size;
        }
        a[i] = 0; len[i++] = np;                        /* everything */
        a[i] = (np * (size_t)(r + 1)) / 4; len[i++] = 1;  /* one entry */
        for (size_t q = i - B->n_blocks - 2; q < i; q++) {
            v[q] = dirs + a[q];
            t[q] = ts[r] * (1 + 0.1 * (double)q);
        }
    }
    ck_assert_uint_eq(i, n);
    ck_assert_int_eq(m->forward_batch_dir(p, c->theta, a, len, v, t, n, L,
                                          work), GC_OK);
    for (size_t q = 0; q < n; q++) {
        memcpy(th, c->theta, np * sizeof *th);
        for (size_t j = 0; j < len[q]; j++)
            th[a[q] + j] = c->theta[a[q] + j] + t[q] * v[q][j];
        double want = gc_net_forward_interpreted(p, th, NULL, NULL);
        double got = m->forward(p, th, NULL, NULL, fw);
        ck_assert_msg((L[q] == want && got == want) ||
                      (isnan(want) && isnan(L[q]) && isnan(got)),
                      "%s direction %zu (entries %zu..+%zu, t %g): batched "
                      "%.17g, forward %.17g, interpreted %.17g", m->name, q,
                      a[q], len[q], t[q], L[q], got, want);
    }
    free(a); free(len); free(t); free(L); free(v); free(dirs); free(th);
    free(work); free(fw);
}

START_TEST(netbatch_directions_equal_forward)
{
    static const char *const twins[] = {
        "tanh_net_004_q1_net", "rnn_bptt_000_p5_net", "lstm_001_6_4_net",
        "gru_bptt_001_6_5_net", "cnn1d_000_p3_net",
        "conv_backprop_001_5_6_net", NULL};
    for (int i = 0; twins[i]; i++) {
        gc_case *c = tu_load_case(case_path(twins[i]));
        check_dir(c);
        gc_case_free(c);
    }
    gc_case *c = tu_load_case(tu_tmpfile(guard_net));    /* guards: redo copies */
    check_dir(c);
    gc_case_free(c);
    c = tu_load_case(tu_path("benchmarks/lstm_net_32_64_16.yaml"));  /* 24 832 */
    check_dir(c);
    gc_case_free(c);
}
END_TEST

START_TEST(netbatch_softmax_and_guards_equal_forward)
{
    gc_case *c = tu_load_case(tu_tmpfile(softmax_net));
    check_batch(c, 0);
    gc_case_free(c);
    c = tu_load_case(tu_tmpfile(guard_net));
    check_batch(c, 0);
    gc_case_free(c);
}
END_TEST

/* an index that depends on the parameters cannot be replayed: no batched
 * pass, every loss an interpreted pass */
START_TEST(netbatch_value_index_keeps_the_interpreter)
{
    static const char text[] =
        "name: indexed\n"
        "network:\n"
        "  dims: {n: 2}\n"
        "  params: {w: [n]}\n"
        "  inputs: {x: [n]}\n"
        "  forward: |\n"
        "    k = if(w[1] > 0, 1, 2)\n"
        "    L = w[1] * w[2] + x[k + 0 w[2]]\n"
        "params: {w: [0.5, 2.385]}\n"
        "inputs: {x: [1, 2]}\n"
        "derivations:\n"
        "  mine:\n"
        "    formulas: |\n"
        "      dL/dw[1] = w[2]\n";
    gc_case *c = tu_load_case(tu_tmpfile(text));
    ck_assert_ptr_null(c->model->forward_batch);
    gc_case_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("netbatch");
    TCase *t = tcase_create("core");
    tcase_add_test(t, netbatch_twins_equal_forward);
    tcase_add_test(t, netbatch_one_copy_calls_in_any_order);
    tcase_add_test(t, netbatch_directions_equal_forward);
    tcase_add_test(t, netbatch_softmax_and_guards_equal_forward);
    tcase_add_test(t, netbatch_network_builtins_equal_forward);
    tcase_add_test(t, netbatch_large_lstm_within_ulps);
    tcase_add_test(t, netbatch_value_index_keeps_the_interpreter);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run(suite()); }
