/* test_formula.c: the formula language of grading submissions: precedence,
 * indexing in the homework's bases, names, shapes, limits (deep nesting,
 * huge values and sums are rejected with the limit named, never a crash),
 * and whole submissions (definitions, per-entry and block answers,
 * Jacobians, one broken statement not spoiling the others).  Expected
 * values come from the case files' numbers and the formulas' math. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "fx/fx.h"
#include "testutil.h"

static gc_case *cnn;             /* cnn1d_000_p3: x = (1, -0.5, 0.3, 2, -1, 0.7) */
static double *cnn_q;            /* its quantities h (4), z at the given point */

static void setup(void)
{
    gc_error err;
    int st = gc_case_load(tu_path("cases/cnn1d_000_p3.yaml"), &cnn, &err);
    ck_assert_msg(st == GC_OK, "%s", err.msg);
    gc_engine *e = NULL;
    ck_assert_int_eq(gc_engine_alloc(cnn->prob, &e), GC_OK);
    cnn_q = calloc(cnn->prob->layout.quantities.n, sizeof *cnn_q);
    gc_engine_loss(e, cnn->theta, NULL, cnn_q);
    gc_engine_free(e);
}

static void teardown(void)
{
    gc_case_free(cnn);
    free(cnn_q);
}

/* The value of a scalar expression on the cnn1d case. */
static double value(const char *expr)
{
    gc_fx_value v;
    gc_error err;
    int st = gc_fx_eval(cnn->prob, cnn->theta, cnn_q, expr, &v, &err);
    ck_assert_msg(st == GC_OK, "%s: %ld:%ld: %s", expr, err.line, err.column,
                  err.msg);
    ck_assert_msg(v.rank == 0, "%s: rank %d", expr, v.rank);
    double x = v.v[0];
    gc_fx_value_clear(&v);
    return x;
}

/* An expression that must fail with status st at column col (0: any),
 * its message containing needle. */
static void fails(const char *expr, int st_want, long col, const char *needle)
{
    gc_fx_value v;
    gc_error err;
    int st = gc_fx_eval(cnn->prob, cnn->theta, cnn_q, expr, &v, &err);
    ck_assert_msg(st == st_want, "%.60s: status %d, wanted %d (%s)", expr, st,
                  st_want, err.msg);
    ck_assert_msg(strstr(err.msg, needle), "%.60s: message \"%s\" lacks "
                  "\"%s\"", expr, err.msg, needle);
    if (col) ck_assert_msg(err.column == col, "%.60s: column %ld, wanted %ld "
                           "(%s)", expr, err.column, col, err.msg);
}

static double sigma(double u) { return 1 / (1 + exp(-u)); }

START_TEST(fx_precedence_and_associativity)
{
    ck_assert_double_eq(value("1 + 2 * 3^2"), 19);
    ck_assert_double_eq(value("-2^2"), -4);            /* -(2^2) */
    ck_assert_double_eq(value("2^3^2"), 512);          /* 2^(3^2) */
    ck_assert_double_eq(value("2^-1"), 0.5);
    ck_assert_double_eq(value("8 / 4 / 2"), 1);        /* (8/4)/2 */
    ck_assert_double_eq(value("2 - 3 - 4"), -5);       /* (2-3)-4 */
    ck_assert_double_eq(value("(1 + 2) * 3"), 9);
    ck_assert_double_eq(value("2(3 + 4)"), 14);        /* juxtaposition */
    ck_assert_double_eq_tol(value("2.385e1 / 10"), 2.385, 1e-15);
    ck_assert_double_eq(value("1 + 2 < 4"), 1);        /* comparison last */
    ck_assert_double_eq(value("3 == 3 * 1"), 1);
    ck_assert_double_eq_tol(value("sigmoid(0)(1 - sigmoid(0))"), 0.25,
                            1e-15);
    ck_assert_double_eq_tol(value("σ(0) · 2 − 1"), 0.0, 1e-15);
    ck_assert_double_eq(value("if(2 > 1, 7, x[99])"), 7);  /* lazy */
}
END_TEST

START_TEST(fx_indexing_follows_the_blocks_bases)
{
    /* cnn1d numbers x from 1 */
    ck_assert_double_eq(value("x[1]"), 1.0);
    ck_assert_double_eq(value("x[4]"), 2.0);
    ck_assert_double_eq(value("x[2+2]"), 2.0);
    ck_assert_double_eq_tol(value("sum(i, 1, 6, x[i])"), 2.5, 1e-15);
    ck_assert_double_eq_tol(value("sum(x)"), 2.5, 1e-15);
    /* h_k = sigma(sum_j v_j x_{k+j-1}): h_2 = sigma(-0.3*... ) from v, x */
    double a2 = 0.5 * -0.5 + -0.3 * 0.3 + 0.8 * 2.0;
    ck_assert_double_eq_tol(value("h[2]"), sigma(a2), 1e-15);
    ck_assert_double_eq_tol(value("sigmoid(sum(j, 1, 3, v[j] x[2+j-1]))"),
                            sigma(a2), 1e-15);

    /* rnn_bptt_000_p5 numbers time from 0 and components from 1 */
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("cases/rnn_bptt_000_p5.yaml"), &c,
                                  &err), GC_OK);
    gc_fx_value v;
    ck_assert_int_eq(gc_fx_eval(c->prob, c->theta, NULL, "x[0][1]", &v, &err),
                     GC_OK);
    ck_assert_double_eq(v.v[0], 0.37);
    gc_fx_value_clear(&v);
    ck_assert_int_eq(gc_fx_eval(c->prob, c->theta, NULL, "o[1]", &v, &err),
                     GC_OK);                       /* row t = 1: (1, 0, 0) */
    ck_assert_int_eq(v.rank, 1);
    ck_assert_int_eq(v.base[0], 1);
    ck_assert_double_eq(v.v[0], 1.0);
    ck_assert_double_eq(v.v[1], 0.0);
    gc_fx_value_clear(&v);
    ck_assert_int_eq(gc_fx_eval(c->prob, c->theta, NULL, "x[4][1]", &v, &err),
                     GC_EINVAL);                   /* T = 4: t = 0..3 */
    ck_assert_ptr_nonnull(strstr(err.msg, "0..3"));
    ck_assert_double_eq(c->prob->dims[3], 4);
    ck_assert_int_eq(gc_fx_eval(c->prob, c->theta, NULL, "T - 1", &v, &err),
                     GC_OK);                       /* dims are constants */
    ck_assert_double_eq(v.v[0], 3);
    gc_fx_value_clear(&v);
    gc_case_free(c);
}
END_TEST

START_TEST(fx_index_errors_name_the_range_and_column)
{
    fails("x[7]", GC_EINVAL, 3, "index 7 is out of range: x has entries 1..6");
    fails("1 + x[0]", GC_EINVAL, 7, "1..6");
    fails("x[1.5]", GC_EINVAL, 3, "whole number");
    fails("x[1][1]", GC_EINVAL, 0, "x has 1 index, found 2");
    fails("x[w]", GC_EINVAL, 3, "one whole number, found a vector of 4");
    fails("z[1]", GC_EINVAL, 0, "z has 0 indices");
}
END_TEST

START_TEST(fx_unknown_names_are_named_with_position)
{
    fails("2 * foo", GC_EINVAL, 5, "unknown name \"foo\"");
    fails("2 * foo", GC_EINVAL, 5, "v, w, x, y, h, z");   /* the model's */
    fails("sigm(1)", GC_EINVAL, 1, "unknown function \"sigm\"");
    fails("x(1)", GC_EINVAL, 1, "\"x\" is not a function");
    fails("sigmoid + 1", GC_EINVAL, 1, "sigmoid is a function");
    fails("sum(x, 1, 3, 1)", GC_EINVAL, 5, "already the input x");
    fails("1 +", GC_EINVAL, 4, "expected a number, a name or '('");
    fails("(1 + 2", GC_EINVAL, 7, "expected ')'");
    fails("2 $ 3", GC_EINVAL, 3, "unexpected character '$'");
    fails("1 2", GC_EINVAL, 3, "expected an operator");
}
END_TEST

/* kron as numpy.kron, entries by hand: with A m x n and B p x q, entry
 * ((i-1) p + k, (j-1) q + l) is A[i][j] B[k][l]; w[2] v[3] = -0.6 * 0.8. */
START_TEST(fx_kron_is_the_kronecker_product)
{
    /* eye(2) (x) outer(w, v): 8 x 6; i = j = 2, k = 2, l = 3 -> (6, 6) */
    ck_assert_double_eq(value("kron(eye(2), outer(w, v))[6][6]"), -0.6 * 0.8);
    ck_assert_double_eq(value("kron(eye(2), outer(w, v))[6][3]"), 0);
    ck_assert_double_eq_tol(value("sum(kron(eye(2), outer(w, v)))"),
                            2 * value("sum(outer(w, v))"), 1e-15);
    /* outer(w, v) (x) eye(2): i = 2, j = 3, k = l = 1 -> (3, 5); l = 2: 0 */
    ck_assert_double_eq(value("kron(outer(w, v), eye(2))[3][5]"), -0.6 * 0.8);
    ck_assert_double_eq(value("kron(outer(w, v), eye(2))[3][6]"), 0);
    /* two vectors: a vector, entry (i-1) q + k = 6 for i = 2, k = 3 */
    ck_assert_double_eq(value("kron(w, v)[6]"), -0.6 * 0.8);
    /* a vector beside a matrix is one row: v (x) eye(2) is 2 x 6 */
    ck_assert_double_eq(value("kron(v, eye(2))[2][6]"), value("v[3]"));
    ck_assert_double_eq(value("kron(2, v)[3]"), 2 * value("v[3]"));
    fails("kron(outer(outer(w, v), v), w)", GC_EINVAL, 1,
          "kron takes numbers, vectors and matrices");
}
END_TEST

START_TEST(fx_shapes_and_tensor_operations)
{
    fails("ones(3) + x", GC_EINVAL, 9, "cannot add a vector of 3 entries and "
          "a vector of 6 entries");
    fails("w @ x", GC_EINVAL, 3, "cannot multiply a vector of 4 entries by a "
          "vector of 6 entries");
    fails("softmax(2.385)", GC_EINVAL, 1, "softmax takes a vector");
    ck_assert_double_eq_tol(value("w @ h"), value("sum(k, 1, 4, w[k] h[k])"),
                            1e-15);
    ck_assert_double_eq_tol(value("dot(w, h)"), value("matmul(w, h)"), 1e-15);
    ck_assert_double_eq(value("outer(w, v)[2][3]"), -0.6 * 0.8);
    ck_assert_double_eq(value("transpose(outer(w, v))[3][2]"), -0.6 * 0.8);
    ck_assert_double_eq_tol(value("(outer(w, v) @ v)[1]"),
                            0.4 * (0.25 + 0.09 + 0.64), 1e-15);
}
END_TEST

/* The reductions and functions networks use (mean, var, logsumexp,
 * log_softmax, softmax of a matrix by rows, softplus, gelu, flatten), each
 * against its formula with w = (0.4, -0.6, 0.9, 0.2), v = (0.5, -0.3, 0.8). */
START_TEST(fx_network_builtins_follow_their_formulas)
{
    double lse = log(exp(0.4) + exp(-0.6) + exp(0.9) + exp(0.2));
    ck_assert_double_eq_tol(value("mean(w)"), 0.9 / 4, 1e-15);
    /* deviations from 0.225: 0.175, -0.825, 0.675, -0.025; their squares
     * 0.030625 + 0.680625 + 0.455625 + 0.000625 = 1.1675, over n = 4 */
    ck_assert_double_eq_tol(value("var(w)"), 1.1675 / 4, 1e-15);
    ck_assert_double_eq_tol(value("mean(outer(w, v))"), 0.225 * 1.0 / 3,
                            1e-15);
    ck_assert_double_eq_tol(value("logsumexp(w)"), lse, 1e-15);
    /* shifted by 1000: e^1000 overflows, the max taken out does not */
    ck_assert_double_eq_tol(value("logsumexp(1000 + w) - 1000"), lse, 1e-12);
    ck_assert_double_eq_tol(value("log_softmax(w)[3]"), 0.9 - lse, 1e-15);
    ck_assert_double_eq_tol(value("logsoftmax(w - 800)[2]"), -0.6 - lse,
                            1e-12);
    /* a matrix: softmax and log_softmax of each row */
    ck_assert_double_eq_tol(value("softmax(outer(v, w))[2][3]"),
                            exp(-0.3 * 0.9) / (exp(-0.3 * 0.4) +
                            exp(0.3 * 0.6) + exp(-0.3 * 0.9) +
                            exp(-0.3 * 0.2)), 1e-15);
    ck_assert_double_eq_tol(value("sum(softmax(outer(v, w)))"), 3, 1e-14);
    ck_assert_double_eq_tol(value("log_softmax(outer(ones(2), w))[2][1]"),
                            0.4 - lse, 1e-15);
    ck_assert_double_eq_tol(value("softplus(0)"), log(2), 1e-15);
    ck_assert_double_eq(value("softplus(800)"), 800);    /* log(1 + e^800) */
    ck_assert_double_eq_tol(value("softplus(-40)"), exp(-40), 1e-15 * exp(-40));
    ck_assert_double_eq_tol(value("softplus(2.385)"), log(1 + exp(2.385)),
                            1e-15);
    /* gelu(u) = u Phi(u); Phi(1) = 0.8413447460685429 */
    ck_assert_double_eq_tol(value("gelu(1)"), 0.8413447460685429, 1e-15);
    ck_assert_double_eq_tol(value("gelu(-2.385)"),
                            -2.385 * 0.5 * erfc(2.385 / sqrt(2)), 1e-15);
    /* row-major: entry 5 of the 4 x 3 outer product is row 2, column 2 */
    ck_assert_double_eq_tol(value("flatten(outer(w, v))[5]"), -0.6 * -0.3,
                            1e-15);
    ck_assert_double_eq(value("sum(vec(eye(3)))"), 3);
    /* the pooling window of entry u = 1..4 with stride 2: 1, 1, 2, 2 */
    ck_assert_double_eq(value("sum(k, 1, 4, 10^k ceil(k / 2))"),
                        10 + 100 + 2000 + 20000);
    ck_assert_double_eq(value("floor(-2.385) + floor(7 / 2) + ceil(-0.5)"),
                        -3 + 3 + 0);
    ck_assert_double_eq(value("x[floor(7 / 2)]"), 0.3);
    /* if with a vector condition: entry by entry; x = (1, -0.5, 0.3, 2,
     * -1, 0.7), so the clip to [-0.6, 0.6] keeps 3 entries */
    ck_assert_double_eq_tol(value("sum(if(abs(x) <= 0.6, x, 0.6 sign(x)))"),
                            0.6 - 0.5 + 0.3 + 0.6 - 0.6 + 0.6, 1e-15);
    /* log of the negative entries is NaN, in entries not chosen */
    ck_assert_double_eq_tol(value("sum(if(x > 0, log(x), 0))"),
                            log(1) + log(0.3) + log(2) + log(0.7), 1e-15);
    fails("if(x > 0, w, 1)", GC_EINVAL, 11, "each branch of if must be one "
          "number or of its shape");
    /* sum(v, axis) as NumPy writes it: refused, with the forms sum takes
     * (sum(2 x, 1) was taken as sum(2 x), the 1 ignored) */
    fails("sum(2 x, 1)", GC_EINVAL, 1, "sum takes sum(v) (every entry) or "
          "sum(i, first, last, term); over one axis");
    fails("prod(x, 1, 2) + 1", GC_EINVAL, 6, "prod takes prod(v), every "
          "entry, or prod(i, first, last, term)");
    fails("sum(w, 2)", GC_EINVAL, 5, "already the parameter w: choose "
          "another letter (sum takes sum(v), every entry");
    /* a vector as long as a matrix's rows is added to (subtracted from)
     * each row, X @ W + b; outer(w, v) is 4 x 3, sum(v) = 1, sum(w) = 0.9:
     * sum(outer(w, v) + v) = 0.9 * 1 + 4 * 1 */
    ck_assert_double_eq_tol(value("sum(outer(w, v) + v)"), 0.9 + 4, 1e-14);
    ck_assert_double_eq_tol(value("(v - outer(w, v))[2][3]"),
                            0.8 - (-0.6 * 0.8), 1e-15);
    fails("outer(w, v) + w", GC_EINVAL, 13, "a vector as long as a matrix's "
          "rows is added to each row");
    fails("outer(w, v) * v", GC_EINVAL, 13, "only + and - apply a vector "
          "to each row: A @ diag(v) multiplies A's columns by v");
    /* elu (alpha 1 unless given), silu = swish, leaky_relu with PyTorch's
     * slope 0.01, clip = min(max(x, lo), hi) */
    ck_assert_double_eq_tol(value("elu(-1)"), expm1(-1), 1e-16);
    ck_assert_double_eq(value("elu(2.385, 0.5)"), 2.385);
    ck_assert_double_eq_tol(value("ELU(-2, 0.5)"), 0.5 * expm1(-2), 1e-16);
    ck_assert_double_eq(value("silu(1.5) - swish(1.5)"), 0);
    ck_assert_double_eq_tol(value("silu(1.5)"), 1.5 * sigma(1.5), 1e-15);
    ck_assert_double_eq_tol(value("leaky_relu(-2)"), -0.02, 1e-17);
    ck_assert_double_eq_tol(value("lrelu(-2, 0.1)"), -0.2, 1e-16);
    ck_assert_double_eq_tol(value("sum(clip(x, -0.6, 0.6))"),
                            0.6 - 0.5 + 0.3 + 0.6 - 0.6 + 0.6, 1e-15);
    /* && and || (1 or 0; && tighter, as in C); x = (1, -0.5, 0.3, 2, -1,
     * 0.7): entries in (0, 1) are 0.3 and 0.7 */
    ck_assert_double_eq(value("(x[1] > 0) && (x[2] > 0)"), 0);
    ck_assert_double_eq(value("x[1] > 0 || x[2] > 0"), 1);
    ck_assert_double_eq(value("1 || 0 && 0"), 1);
    ck_assert_double_eq(value("sum(x > 0 && x < 1)"), 2);
    /* a zero-padded window: entries 0 and 7 of x are the padding */
    ck_assert_double_eq_tol(value("sum(k, 0, 7, if(k < 1 || k > 6, 0, "
                                  "x[k]))"), 1 - 0.5 + 0.3 + 2 - 1 + 0.7,
                            1e-15);
    fails("x[1] | 1", GC_EINVAL, 6, "write && for and, || for or");
    /* the notations of notes that the language writes otherwise: an
     * indicator 1{c} and C's c ? a : b */
    fails("x * 1{x > 0}", GC_EINVAL, 6, "an indicator 1{c} is the "
          "comparison itself, 1 or 0: (s > 0), or step(s)");
    fails("x[1] > 0 ? 1 : 2", GC_EINVAL, 10, "a choice c ? a : b is "
          "if(c, a, b)");
    /* PyTorch's keyword arguments */
    fails("softmax(x, dim=0)", GC_EINVAL, 12, "softmax(..., dim=...): a "
          "function takes no keyword arguments");
    /* max and min of three or more arguments, entry by entry (a maxout
     * unit's max_k z_k): x = (1, -0.5, 0.3, 2, -1, 0.7),
     * w = (0.4, -0.6, 0.9, 0.2) */
    ck_assert_double_eq(value("max(2.385, -1, 3.5)"), 3.5);
    ck_assert_double_eq(value("min(2.385, -1, 3.5, 0.25, -7)"), -7);
    ck_assert_double_eq(value("max(x[1], x[2], x[3], x[4], x[5])"), 2);
    ck_assert_double_eq(value("max(w, -w, 0.5 w)[1]"), 0.4);
    ck_assert_double_eq(value("min(w, -w, 0.5 w)[2]"), -0.6);
    ck_assert_double_eq_tol(value("sum(max(w, 0.2, -w))"), 0.4 + 0.6 + 0.9 + 0.2,
                            1e-15);
    fails("max(w, x, w)", GC_EINVAL, 1, "cannot take min/max of a vector "
          "of 6 entries and a vector of 4 entries");
    fails("mean(zeros(0))", GC_EINVAL, 1, "mean of no entries");
    fails("logsumexp(zeros(0))", GC_EINVAL, 1, "logsumexp of no entries");
    fails("log_softmax(3)", GC_EINVAL, 1, "log_softmax takes a vector");
}
END_TEST

/* A^T, the homework's transpose: a matrix's transpose even where T is a
 * dimension (rnn_tanh: T = 4 steps, W 3 x 3); a number to the power T
 * there; a vector refused with the way to write g x^T and x^T y; ' and .T
 * say how a transpose is written. */
START_TEST(fx_caret_T_is_the_transpose)
{
    /* the cnn1d case has no name T: a matrix is transposed, a number left */
    ck_assert_double_eq(value("(outer(w, v)^T)[3][2]"), -0.6 * 0.8);
    ck_assert_double_eq(value("(outer(w, v)^T @ w)[2]"),
                        -0.3 * (0.16 + 0.36 + 0.81 + 0.04));
    ck_assert_double_eq(value("2.5^T"), 2.5);
    fails("w^T", GC_EINVAL, 2, "g x^T is outer(g, x), x^T y is dot(x, y)");
    fails("w'", GC_EINVAL, 2, "a transpose transpose(A) or A^T");
    fails("tanh'(w)", GC_EINVAL, 5, "a derivative is written dtanh(x)");
    /* MATLAB's .* ./ .^ and Python's ** are * / ^ */
    ck_assert_double_eq(value("sum(w.^2)"), value("sum(w^2)"));
    ck_assert_double_eq(value("sum(w .* w ./ 2)"), value("sum(w * w / 2)"));
    ck_assert_double_eq(value("2**3**2"), 512);
    ck_assert_double_eq_tol(value("sech(0.5)^2 + tanh(0.5)^2"), 1, 1e-15);
    ck_assert_double_eq_tol(value("cosh(2.385) - sinh(2.385)"),
                            exp(-2.385), 1e-14);
    fails("outer(w, v).T", GC_EINVAL, 12, "a transpose is transpose(A)");
    fails("x[2:4]", GC_EINVAL, 4, "array(i, 2, 4, x[i]) is entries 2..4");
    /* A^T (...) with a space is the transpose times (...), as on paper's
     * X^T (P - Y): juxtaposition, entry by entry, so a 3 x 4 transpose
     * times a 4 x 3 matrix is a shape error naming @ (it was 'unknown
     * name "T"'); with matching shapes it multiplies: outer(w, v)^T is
     * 3 x 4, entry [3][2] = v3 w2 = 0.8 * -0.6, times itself */
    ck_assert_double_eq_tol(value("(outer(w, v)^T (outer(w, v)^T))[3][2]"),
                            0.48 * 0.48, 1e-16);
    fails("outer(w, v)^T (outer(w, v))", GC_EINVAL, 15, "A @ B is the "
          "matrix product");
    fails("outer(w, v)^T(w)", GC_EINVAL, 13, "unknown function \"T\"");

    /* rnn_tanh: T = 4 is a dimension; W^T is still W's transpose, 2^T is
     * 2^4 */
    gc_case *rnn = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("tests/networks/rnn_tanh.yaml"),
                                  &rnn, &err), GC_OK);
    const gc_block *W = gc_blocks_find(&rnn->prob->layout.params, "W");
    ck_assert_ptr_nonnull(W);
    const char *exprs[3] = {"(W^T)[1][2]", "2^T", "T^T"};
    double want[3] = {rnn->theta[W->offset + 1 * 3 + 0], 16, 256};
    for (int i = 0; i < 3; i++) {
        gc_fx_value v;
        int st = gc_fx_eval(rnn->prob, rnn->theta, NULL, exprs[i], &v, &err);
        ck_assert_msg(st == GC_OK, "%s: %s", exprs[i], err.msg);
        ck_assert_double_eq(v.v[0], want[i]);
        gc_fx_value_clear(&v);
    }
    gc_case_free(rnn);
}
END_TEST

START_TEST(fx_matrix_products_and_constructors)
{
    fails("x[1:3]", GC_EINVAL, 4, "unexpected character ':'");
    /* (I + 1 1^T) w: entry i is w_i + sum(w) */
    double sw = 0.4 - 0.6 + 0.9 + 0.2;
    ck_assert_double_eq_tol(value("((eye(4) + ones(4, 4)) @ w)[3]"), 0.9 + sw,
                            1e-15);
    ck_assert_double_eq_tol(value("sum(diag(w) @ ones(4))"), sw, 1e-15);
    ck_assert_double_eq_tol(value("sum(softmax(w))"), 1.0, 1e-15);
    ck_assert_double_eq_tol(value("softmax(w)[3] / softmax(w)[1]"),
                            exp(0.9 - 0.4), 1e-13);
    ck_assert_double_eq(value("max(x)"), 2.0);
    ck_assert_double_eq(value("min(x[1], x[2])"), -0.5);
    ck_assert_double_eq(value("sum(x >= 0)"), 4);
    ck_assert_double_eq(value("kdelta(2, 2) + kdelta(2, 3)"), 1);
    ck_assert_double_eq(value("hadamard(w, w)[2]"), 0.36);
    ck_assert_double_eq_tol(value("norm(v)"), sqrt(0.25 + 0.09 + 0.64),
                            1e-15);
    ck_assert_double_eq(value("relu(-2) + step(0) + step(3) + abs(-2)"), 3);
    ck_assert_double_eq_tol(value("dtanh(0.5) + tanh(0.5)^2"), 1, 1e-15);
    ck_assert_double_eq_tol(value("dsigmoid(2.385)"),
                            sigma(2.385) * (1 - sigma(2.385)), 1e-15);
    ck_assert_double_eq_tol(value("Phi(0) + phi(0)"),
                            0.5 + 1 / sqrt(2 * 3.141592653589793), 1e-15);
    ck_assert_double_eq(value("lrelu(-2, 0.1) + dlrelu(-2, 0.1)"), -0.1);
    ck_assert_double_eq(value("prod(k, 1, 4, k)"), 24);
    ck_assert_double_eq(value("sum(k, 3, 2, 1)"), 0);   /* empty */
}
END_TEST

START_TEST(fx_deep_nesting_is_rejected_with_the_limit)
{
    /* 100000 levels of parentheses: the depth limit, not a stack overflow
     * (the statement limit would reject it first, so the length is made
     * legal by testing the depth just above the limit too) */
    size_t n = 100000;
    char *s = malloc(2 * n + 2);
    memset(s, '(', n);
    s[n] = '1';
    memset(s + n + 1, ')', n);
    s[2 * n + 1] = 0;
    fails(s, GC_ELIMIT, 0, "GC_FX_MAX_STATEMENT");
    int d = GC_FX_MAX_DEPTH + 1;
    memset(s, '(', (size_t)d);
    s[d] = '1';
    memset(s + d + 1, ')', (size_t)d);
    s[2 * d + 1] = 0;
    fails(s, GC_ELIMIT, 0, "GC_FX_MAX_DEPTH");
    memset(s, '-', (size_t)d);
    s[d] = '1';
    s[d + 1] = 0;
    fails(s, GC_ELIMIT, 0, "GC_FX_MAX_DEPTH");
    /* just inside the limit it evaluates */
    d = GC_FX_MAX_DEPTH - 1;
    memset(s, '(', (size_t)d);
    s[d] = '1';
    memset(s + d + 1, ')', (size_t)d);
    s[2 * d + 1] = 0;
    ck_assert_double_eq(value(s), 1);
    /* a long chain of + is a loop, not a recursion: 1999 terms */
    s[0] = '1';
    for (int i = 1; i < 1999; i++) memcpy(s + 2 * i - 1, "+1", 2);
    s[2 * 1999 - 1] = 0;
    ck_assert_double_eq(value(s), 1999);
    free(s);
}
END_TEST

START_TEST(fx_huge_values_and_sums_hit_named_limits)
{
    fails("ones(100000, 100000)", GC_ELIMIT, 1, "GC_FX_MAX_TENSOR");
    fails("outer(ones(2000), ones(2000))", GC_ELIMIT, 1, "a 2000 x 2000 matrix has more than");
    /* a whole number past an index's range is a size too large, and
     * says so, not "must be a whole number" */
    fails("ones(1e300)", GC_ELIMIT, 6, "a size must be from 0 to 1048576 "
          "(GC_FX_MAX_TENSOR), found 1.0000000000000001e+300");
    fails("ones(2.5)", GC_EINVAL, 6, "whole number");
    fails("zeros(3, 1e12)", GC_ELIMIT, 10, "GC_FX_MAX_TENSOR");
    fails("h[3000000000]", GC_EINVAL, 0, "a whole number from -1000000000 "
          "to 1000000000, found 3000000000");
    fails("sum(i, 1, 1e9, 1)", GC_ELIMIT, 1, "GC_FX_MAX_SUM");
    fails("sum(i, 1, 1000000, sum(j, 1, 1000, 1))", GC_ELIMIT, 0,
          "GC_FX_MAX_WORK");
    fails("1e999", GC_EINVAL, 1, "too large");
    /* a sum of a million terms is inside the limits */
    ck_assert_double_eq(value("sum(i, 1, 1000000, 1)"), 1e6);
}
END_TEST

/* ------------------------------------------------------------ programs */

static gc_fx_program *compile(const char *text)
{
    gc_fx_program *P = NULL;
    gc_error err;
    int st = gc_fx_compile(cnn->prob, "sub.txt", text, strlen(text), "L",
                           NULL, &P, &err);
    ck_assert_msg(st == GC_OK, "%ld: %s", err.line, err.msg);
    gc_fx_set_point(P, cnn->theta, cnn_q);
    return P;
}

static long answer(const gc_fx_program *P, const char *key)
{
    for (size_t i = 0; i < gc_fx_n_answers(P); i++)
        if (strcmp(gc_fx_answer_target(P, i)->key, key) == 0) return (long)i;
    ck_abort_msg("no answer %s", key);
    return -1;
}

START_TEST(fx_program_answers_definitions_and_jacobians)
{
    gc_fx_program *P = compile(
        "s = sum(i, 1, 4, w[i] h[i])\n"
        "a[k] = sum(j, 1, 3, v[j] x[k+j-1])\n"
        "dL/dw = 2(z - y) h dsigmoid(s)\n"
        "dL/dv[i] = 2(z - y) dsigmoid(s)\n"
        "    * sum(k, 1, 4, w[k] x[i+k-1] dsigmoid(a[k]))   # continued\n"
        "dz/dw[k] = dsigmoid(s) h[k]\n"
        "dL/dh[2] = 7\n");
    ck_assert_int_eq(gc_fx_n_answers(P), 4);
    ck_assert_int_eq(gc_fx_n_notes(P), 0);
    double vals[8], zz = cnn_q[4], y = 1;
    double s = 0, h[4];
    for (int k = 0; k < 4; k++) h[k] = cnn_q[k];
    const double w[4] = {0.4, -0.6, 0.9, 0.2};
    for (int k = 0; k < 4; k++) s += w[k] * h[k];
    gc_error err;
    long i = answer(P, "dL/dw");
    ck_assert_int_eq(gc_fx_answer_target(P, (size_t)i)->kind,
                     GC_TARGET_PARAM);
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_OK);
    for (int k = 0; k < 4; k++)
        ck_assert_double_eq_tol(vals[k], 2 * (zz - y) * h[k] * sigma(s) *
                                (1 - sigma(s)), 1e-14);
    i = answer(P, "dL/dv");
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_OK);
    ck_assert(isfinite(vals[0]) && isfinite(vals[2]));
    i = answer(P, "dz/dw");                  /* a Jacobian row: z is scalar */
    ck_assert_int_eq(gc_fx_answer_target(P, (size_t)i)->kind,
                     GC_TARGET_JACOBIAN);
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_OK);
    ck_assert_double_eq_tol(vals[3], sigma(s) * (1 - sigma(s)) * h[3], 1e-14);
    i = answer(P, "dL/dh[2]");               /* one entry: others NaN */
    ck_assert_int_eq(gc_fx_answer_target(P, (size_t)i)->kind,
                     GC_TARGET_QUANTITY);
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_OK);
    ck_assert(isnan(vals[0]) && vals[1] == 7 && isnan(vals[2]));
    gc_fx_program_free(P);
}
END_TEST

START_TEST(fx_recurrences_are_memoised_and_checked)
{
    /* f[t] = f[t-1] + f[t-2], f[1] = f[2] = 1: the Fibonacci numbers.
     * Without memoising, f[80] would take ~10^16 evaluations; with it, 80.
     * F(80) = 23416728348467685 (OEIS A000045), exact in a double?  No:
     * above 2^53, so compare with a relative tolerance; F(40) = 102334155
     * is exact. */
    gc_fx_program *P = compile(
        "f[t] = if(t <= 2, 1, f[t-1] + f[t-2])\n"
        "g[t] = if(t == 4, 1, 2 g[t+1])\n"           /* backwards: g[1] = 8 */
        "c[t] = c[t] + 1\n"                          /* a cycle */
        "d[t] = d[t-1]\n"                            /* no base case */
        "e = array(i, 0, 3, i^2)\n");
    ck_assert_int_eq(gc_fx_n_notes(P), 0);
    ck_assert_int_eq(gc_fx_n_defs(P), 5);
    gc_fx_value v;
    gc_error err;
    long idx[1] = {40};
    ck_assert_int_eq(gc_fx_def_eval(P, 0, idx, &v, &err), GC_OK);
    ck_assert_double_eq(v.v[0], 102334155.0);
    idx[0] = 80;
    ck_assert_int_eq(gc_fx_def_eval(P, 0, idx, &v, &err), GC_OK);
    ck_assert_double_eq_tol(v.v[0], 23416728348467685.0, 4.0);
    idx[0] = 1;
    ck_assert_int_eq(gc_fx_def_eval(P, 1, idx, &v, &err), GC_OK);
    ck_assert_double_eq(v.v[0], 8.0);
    ck_assert_int_eq(gc_fx_def_eval(P, 2, idx, &v, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "c[1] depends on itself"), "%s", err.msg);
    ck_assert_int_eq(err.line, 3);
    idx[0] = 5;
    ck_assert_int_eq(gc_fx_def_eval(P, 3, idx, &v, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "d: no base case"), "%s", err.msg);
    ck_assert_int_eq(err.line, 4);
    /* array: indices from 0, entries 0, 1, 4, 9 */
    ck_assert_int_eq(gc_fx_def_eval(P, 4, NULL, &v, &err), GC_OK);
    ck_assert_int_eq(v.rank, 1);
    ck_assert_int_eq(v.base[0], 0);
    ck_assert_int_eq(v.size, 4);
    ck_assert_double_eq(v.v[3], 9.0);
    gc_fx_program_free(P);

    /* a recurrence much deeper than the evaluator's depth limit:
     * s[t] = s[t-1] + 1, s[1] = 1, so s[20000] = 20000 */
    P = compile("s[t] = if(t == 1, 1, s[t-1] + 1)\n"
                "dL/dw[k] = s[20000]\n");
    idx[0] = 20000;
    ck_assert_int_eq(gc_fx_def_eval(P, 0, idx, &v, &err), GC_OK);
    ck_assert_double_eq(v.v[0], 20000.0);
    /* the same through an answer, at a fresh point */
    double vals[4];
    gc_fx_set_point(P, cnn->theta, cnn_q);
    ck_assert_int_eq(gc_fx_answer_eval(P, 0, vals, &err), GC_OK);
    ck_assert_double_eq(vals[2], 20000.0);
    /* two definitions that use each other, each on its own line as a
     * BPTT is written on paper (d[t] from g[t+1], g[t] from d[t]): the
     * first uses the second, defined below it.  a[4] = 1, b[4] = 2,
     * a[3] = 4, b[3] = 5, a[2] = 10, b[2] = 11, a[1] = 22; and p uses q,
     * defined below: 2 + 1 = 3 */
    P = (gc_fx_program_free(P),
         compile("a[t] = if(t == 4, 1, 2 b[t+1])\n"
                 "p = q + 1\n"
                 "b[t] = a[t] + 1\n"
                 "q = 2\n"
                 "dL/dw[k] = a[1] + k p\n"));
    ck_assert_int_eq(gc_fx_n_notes(P), 0);
    gc_fx_set_point(P, cnn->theta, cnn_q);
    ck_assert_int_eq(gc_fx_answer_eval(P, 0, vals, &err), GC_OK);
    ck_assert_double_eq(vals[0], 22.0 + 3);
    ck_assert_double_eq(vals[3], 22.0 + 4 * 3);
    /* a plain definition may not use itself */
    P = (gc_fx_program_free(P), compile("u = u + 1\n"));
    ck_assert_int_eq(gc_fx_n_notes(P), 1);
    ck_assert_msg(strstr(gc_fx_note(P, 0)->msg, "u uses itself"), "%s",
                  gc_fx_note(P, 0)->msg);
    gc_fx_program_free(P);
}
END_TEST

START_TEST(fx_program_errors_stay_with_their_statement)
{
    gc_fx_program *P = compile(
        "dL/dw = 2(z - y h\n"            /* 1: unbalanced */
        "dL/dv[i] = x[i+4]\n"            /* 2: out of range at i = 3 */
        "dL/dz = log(-1)\n"              /* 3: NaN */
        "dL/dh = ones(3)\n"              /* 4: wrong shape */
        "s = foo + 1\n"                  /* 5: a broken definition */
        "dz/dv = s\n"                    /* 6: uses it */
        "dL/dfoo = 1\n"                  /* 7: no such block */
        "dL/dx = 1\n"                    /* 8: an input */
        "dL/dv[i] = 1\n");               /* 9: dL/dv again */
    gc_error err;
    double vals[8];
    long i = answer(P, "dL/dw");
    const gc_error *e = gc_fx_answer_error(P, (size_t)i);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->line, 1);
    ck_assert_int_eq(e->column, 18);          /* the end of line 1 */
    ck_assert_ptr_nonnull(strstr(e->msg, "expected ')'"));
    i = answer(P, "dL/dv");
    e = gc_fx_answer_error(P, (size_t)i);      /* given twice: line 9 */
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->line, 9);
    ck_assert_ptr_nonnull(strstr(e->msg, "dL/dv[1] is already given on line 2"));
    i = answer(P, "dL/dz");
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "dL/dz evaluates to NaN"));
    ck_assert_int_eq(err.line, 3);
    i = answer(P, "dL/dh");
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "the formula gives a vector of 3 "
                                 "entries where dL/dh needs a vector of 4"));
    i = answer(P, "dz/dv");
    e = gc_fx_answer_error(P, (size_t)i);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e->msg, "uses s, whose definition on line 5 "
                                 "cannot be read"));
    /* lines 5, 7, 8 are notes: no answer to attach them to */
    ck_assert_int_eq(gc_fx_n_notes(P), 3);
    ck_assert_ptr_nonnull(strstr(gc_fx_note(P, 0)->msg, "unknown name \"foo\""));
    ck_assert_ptr_nonnull(strstr(gc_fx_note(P, 1)->msg, "foo is not a "
                                 "parameter or quantity"));
    ck_assert_ptr_nonnull(strstr(gc_fx_note(P, 2)->msg, "x is an input"));
    gc_fx_program_free(P);

    /* the index out of range shows at evaluation, with its position */
    P = compile("dL/dv[i] = x[i+4]\n");
    ck_assert_int_eq(gc_fx_answer_eval(P, 0, vals, &err), GC_EINVAL);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.column, 14);
    ck_assert_ptr_nonnull(strstr(err.msg, "index 7 is out of range"));
    gc_fx_program_free(P);
}
END_TEST

/* A definition may hide a block or a dimension of the model (a student's
 * deltas d1, d2, d3 where the layer sizes are d1, d2, d3): from its line
 * on the name is the student's and the answers using it say so; a
 * function's name cannot be redefined, and the answer using it says why. */
START_TEST(fx_definitions_hide_model_names_and_say_so)
{
    gc_fx_program *P = compile(
        "h[k] = 10 k\n"                  /* 1: hides the quantity h */
        "dL/dw[k] = h[k]\n"              /* 2: 10, 20, 30, 40 */
        "sigmoid = 3\n"                  /* 3: a function's name */
        "dL/dv[i] = sigmoid\n"           /* 4: uses it */
        "dz/dw = 2 ones(4)\n");          /* 5: nothing hidden */
    gc_error err;
    double vals[8];
    long i = answer(P, "dL/dw");
    ck_assert_int_eq(gc_fx_answer_eval(P, (size_t)i, vals, &err), GC_OK);
    for (int k = 0; k < 4; k++) ck_assert_double_eq(vals[k], 10 * (k + 1));
    ck_assert_str_eq(gc_fx_answer_note(P, (size_t)i), "h is your definition "
                     "on line 1, not the model's quantity h");
    i = answer(P, "dL/dv");
    const gc_error *e = gc_fx_answer_error(P, (size_t)i);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e->msg, "uses sigmoid, whose definition on "
                                 "line 3 cannot be read (sigmoid is already a "
                                 "function: choose another name)"));
    ck_assert_ptr_null(gc_fx_answer_note(P, (size_t)answer(P, "dz/dw")));
    ck_assert_int_eq(gc_fx_n_notes(P), 1);    /* line 3 */
    gc_fx_program_free(P);
    /* a model name read above the definition that hides it below: the
     * model's, and the note says so */
    P = compile("dL/dw = z h\n"
                "z = 3\n");
    ck_assert_str_eq(gc_fx_answer_note(P, 0), "z on line 1 is the model's "
                     "quantity z: your definition of z is below it, on line "
                     "2, and counts from there on");
    gc_fx_program_free(P);
}
END_TEST

START_TEST(fx_program_file_limits)
{
    /* more statements than GC_SUB_MAX_STATEMENTS: the file is refused */
    size_t n = (size_t)GC_SUB_MAX_STATEMENTS + 1;
    char *t = malloc(n * 8 + 1);
    for (size_t i = 0; i < n; i++) memcpy(t + 8 * i, "a1 = 1\n\n", 8);
    t[8 * n] = 0;
    gc_fx_program *P = NULL;
    gc_error err;
    ck_assert_int_eq(gc_fx_compile(cnn->prob, "s.txt", t, strlen(t), NULL,
                                   NULL, &P, &err), GC_ELIMIT);
    ck_assert_ptr_null(P);
    ck_assert_ptr_nonnull(strstr(err.msg, "GC_SUB_MAX_STATEMENTS"));
    free(t);
    /* a statement longer than GC_FX_MAX_STATEMENT: its answer is invalid */
    size_t len = GC_FX_MAX_STATEMENT + 100;
    t = malloc(len + 1);
    memcpy(t, "dL/dw = w", 9);
    for (size_t i = 9; i + 1 < len; i += 2) memcpy(t + i, "+w", 2);
    t[len - 1] = '\n';
    t[len] = 0;
    P = compile(t);
    ck_assert_ptr_nonnull(gc_fx_answer_error(P, 0));
    ck_assert_ptr_nonnull(strstr(gc_fx_answer_error(P, 0)->msg,
                                 "GC_FX_MAX_STATEMENT"));
    gc_fx_program_free(P);
    free(t);
    /* a diagonal Jacobian with one letter on both sides, dh[j]/dw[j]:
     * each side needs its own index, and the message says how to write
     * the diagonal (it said 'the index name "j" is already in use here') */
    P = compile("dh[j]/dw[j] = 1\n");
    const gc_error *je = gc_fx_answer_error(P, 0);
    ck_assert_ptr_nonnull(je);
    ck_assert_msg(strstr(je->msg, "the index j is already the first side's: "
                         "give each side its own (a diagonal Jacobian is "
                         "dr[i]/da[j] = kdelta(i, j)"), "%s", je->msg);
    ck_assert_int_eq(je->column, 10);
    gc_fx_program_free(P);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("formula");
    TCase *tc = tcase_create("formula");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fx_precedence_and_associativity);
    tcase_add_test(tc, fx_indexing_follows_the_blocks_bases);
    tcase_add_test(tc, fx_index_errors_name_the_range_and_column);
    tcase_add_test(tc, fx_unknown_names_are_named_with_position);
    tcase_add_test(tc, fx_shapes_and_tensor_operations);
    tcase_add_test(tc, fx_kron_is_the_kronecker_product);
    tcase_add_test(tc, fx_matrix_products_and_constructors);
    tcase_add_test(tc, fx_deep_nesting_is_rejected_with_the_limit);
    tcase_add_test(tc, fx_huge_values_and_sums_hit_named_limits);
    tcase_add_test(tc, fx_program_answers_definitions_and_jacobians);
    tcase_add_test(tc, fx_program_errors_stay_with_their_statement);
    tcase_add_test(tc, fx_program_file_limits);
    tcase_add_test(tc, fx_network_builtins_follow_their_formulas);
    tcase_add_test(tc, fx_caret_T_is_the_transpose);
    tcase_add_test(tc, fx_definitions_hide_model_names_and_say_so);
    tcase_add_test(tc, fx_recurrences_are_memoised_and_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
