/* lstm_scalar_003_2.c: the scalar LSTM unit of seed 003_cced1246537421bc.txt,
 * "2 LSTM" (2.1 LSTM states, 2.2 LSTM states 2).
 *
 * Notation of the homework (x_t, c_t, h_t scalars, t = 0..T-1):
 *   f_t = sigmoid(W^{f,h} h_{t-1} + W^{f,x} x_t + b_f)
 *   i_t = sigmoid(W^{i,h} h_{t-1} + W^{i,x} x_t + b_i)
 *   o_t = sigmoid(W^{o,h} h_{t-1} + W^{o,x} x_t + b_o)
 *   c_t = f_t c_{t-1} + i_t tanh(W^{c,h} h_{t-1} + W^{c,x} x_t + b_c)
 *   h_t = o_t tanh(c_t),        h_{-1} = c_{-1} = 0
 * with W^{f,h} = 0, W^{f,x} = 0, b_f = -100, W^{c,h} = -100, W^{i,h} = 0,
 * W^{i,x} = 100, b_i = 100, W^{c,x} = 50, W^{o,h} = 0, W^{o,x} = 100,
 * b_o = 0, b_c = 0.  Parameter blocks are scalars named W_fh for W^{f,h},
 * and so on; time is numbered from 0 as the homework does (x_0 first).
 *
 * The homework asks for h_t rounded to the nearest integer ("if h_t = +-0.5,
 * round it to 0"), lets sigmoid(x) ~ 1, tanh(x) ~ 1 for x >= 1 and
 * sigmoid(x) ~ 0, tanh(x) ~ -1 for x <= -1, and answers with code that
 *  - uses the piecewise-linear sigmoid(x) = 1 (x >= 1), 0 (x <= -1),
 *    0.5 x + 0.5 otherwise, and tanh(x) = 1, -1, x likewise clipped, and
 *  - rounds h_t at every step and feeds the ROUNDED h_t back as h_{t-1} of
 *    the next step (`ht_1.append(round(h(ot, ct_1[j+1])))`).
 * These readings are dims of the model: `act` (0: exact sigmoid and tanh,
 * 1: the code's piecewise-linear ones) and `round_h` (0: h_t fed back as
 * computed, 1: round(h_t) fed back).  The rounding is to the nearest
 * integer with ties to even, which is both Python's round() and the
 * homework's "+-0.5 -> 0" for |h| <= 1 (the only ties there are +-0.5).
 * The quantity h_t is always the unrounded o_t tanh(c_t).
 *
 * The homework derives no gradient (there is no `seed`).  For the check we
 * take L = 1/2 sum_t (h_t - y_t)^2 with targets y_t (an input; the cases
 * use the stated rounded sequence).
 *
 * `corrected`: back-propagation through time,
 *   dh_t  = (h_t - y_t) + [round_h ? 0 : sum_* W^{*,h} dz_{*,t+1}]
 *   dc_t  = dh_t o_t tanh'(c_t) + dc_{t+1} f_{t+1}
 *   dz_o  = dh_t tanh(c_t) sigmoid'(z_o),  dz_f = dc_t c_{t-1} sigmoid'(z_f)
 *   dz_i  = dc_t tanh(z_c) sigmoid'(z_i),  dz_c = dc_t i_t tanh'(z_c)
 *   dL/dW^{*,h} = sum_t dz_* h~_{t-1} (h~ the value fed back),
 *   dL/dW^{*,x} = sum_t dz_* x_t,  dL/db_* = sum_t dz_*.
 * The piecewise-linear derivatives are 0.5 and 1 inside (-1, 1) and 0
 * outside (0 at +-1, where the check reports kinks).
 *
 * `seed_6_4`: the LSTM back-propagation of seed 001 (Problem 6.4, model
 * lstm_001_6_4) transcribed to this unit, to test the rule that a
 * derivation agreeing only at the given point is reported as such: its
 *   delta_{t-1} = sum_* delta_{*,t} W^{*,x}   (the INPUT weights, where
 *                                              W^{*,h} belongs)
 * and no error carried along the cell state (dc_t/dc_{t-1} = f_t unused):
 *   dh_t = (h_t - y_t) + sum_* W^{*,x} dz_{*,t+1},  dc_t = dh_t o_t tanh'(c_t)
 * with the gate errors and parameter sums as above.  (Seed 001 puts its loss
 * on h_T only; here the per-step term h_t - y_t is added to delta_t, which is
 * what its recursion becomes for a summed loss.  Its factors f(1-f),
 * 1 - tanh^2 are written with the activation's own derivative so that the
 * transcription is also defined for act = 1; it knows nothing of rounding,
 * so it ignores round_h.)  At the homework's saturated point its delta_t is
 * already wrong (dL/dh_4 of 2.1 gets W^{o,x} = 100 times dz_o at t = 5,
 * where W^{o,h} = 0 belongs), but every parameter gradient it feeds is
 * multiplied by a saturated derivative (~1e-44, or 0 for the piecewise-linear
 * gates), so its parameter gradients agree there and only there: the report
 * says "agrees at the given point only" and localises the wrong dL/dh_t.
 * (The exception is 2.2 read piecewise-linear without rounding, where
 * z_c = 0 at t = 3 is inside the linear part and it disagrees at once.)
 *
 * At 2.2 read as the code (act = 1, round_h = 1), h_2 = 0.5 sits exactly on
 * round()'s jump, so the loss is discontinuous in W^{o,h} and b_o at the
 * given point: both one-sided derivatives equal the analytic +-0.25, the
 * central difference straddles the jump, and those entries come out
 * inconclusive (see the case file).
 *
 * Quantities (each T entries, time-major): z_f, z_i, z_o, z_c
 * (pre-activations), c, h.
 */
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "nn.h"

#include <math.h>

enum { D_T, D_ACT, D_ROUND };

static const gc_dim dims[] = {
    {"T", 6, 1, 1024, "time steps (length of the input sequence)"},
    {"act", 0, 0, 1, "0: exact sigmoid and tanh; 1: the homework code's "
                     "piecewise-linear ones"},
    {"round_h", 0, 0, 1, "1: feed round(h_t) back as h_{t-1} (the homework "
                         "code), 0: feed h_t"},
    {NULL, 0, 0, 0, NULL}
};

/* Parameter blocks, in layout order: gates f, i, o, c. */
enum { P_WFH, P_WFX, P_BF, P_WIH, P_WIX, P_BI, P_WOH, P_WOX, P_BO,
       P_WCH, P_WCX, P_BC };
enum { G_F, G_I, G_O, G_C };
enum { Q_ZF, Q_ZI, Q_ZO, Q_ZC, Q_C, Q_H };

static int layout(const long *d, gc_layout *L)
{
    int st = 0;
    size_t T = d[D_T];
    static const char *const pn[] = {"W_fh", "W_fx", "b_f", "W_ih", "W_ix",
                                     "b_i", "W_oh", "W_ox", "b_o", "W_ch",
                                     "W_cx", "b_c"};
    static const char *const qn[] = {"z_f", "z_i", "z_o", "z_c", "c", "h",
                                     NULL};
    for (size_t k = 0; k < 12; k++)
        st = st ? st : gc_blocks_add(&L->params, pn[k], 0, 1, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "x", 1, T, 1, 1, 0, 0, 0);
    st = st ? st : gc_blocks_add(&L->inputs, "y", 1, T, 1, 1, 0, 0, 0);
    for (size_t k = 0; k < 6; k++)
        st = st ? st : gc_blocks_add(&L->quantities, qn[k], 1, T, 1, 1,
                                     0, 0, 0);
    gc_blocks_timed(&L->quantities, qn);
    /* work: h, c, hin (value fed to step t) for T+1 steps; z_f, z_i, z_o,
     * z_c and f, i, o, g = tanh(z_c) for T steps */
    L->work = 3 * (T + 1) + 8 * T;
    return st;
}

typedef struct {
    double *h, *c, *hin, *z[4], *a[4];
} view_t;

/* h[s+1], c[s+1] are h_s, c_s (h[0] = h_{-1} = 0); hin[s] is the value fed
 * to step s as h_{s-1}; z[g][s], a[g][s] the gate pre-activations and
 * activations (a[G_C] = tanh(z_c)). */
static view_t view(const gc_problem *p, double *w)
{
    size_t T = p->dims[D_T];
    view_t v;
    v.h = w;   w += T + 1;
    v.c = w;   w += T + 1;
    v.hin = w; w += T + 1;
    for (int g = 0; g < 4; g++) { v.z[g] = w; w += T; }
    for (int g = 0; g < 4; g++) { v.a[g] = w; w += T; }
    return v;
}

/* The code's piecewise-linear activations and their derivatives (0 on the
 * flat parts and at the corners +-1). */
static double sig_pwl(double x) { return x >= 1 ? 1 : x <= -1 ? 0 : 0.5 * x + 0.5; }
static double tanh_pwl(double x) { return x >= 1 ? 1 : x <= -1 ? -1 : x; }

static double act_sig(int pwl, double x) { return pwl ? sig_pwl(x) : nn_sigmoid(x); }
static double act_tanh(int pwl, double x) { return pwl ? tanh_pwl(x) : tanh(x); }
static double dsig(int pwl, double x)
{
    if (pwl) return (x > -1 && x < 1) ? 0.5 : 0.0;
    double s = nn_sigmoid(x);
    return s * (1 - s);
}
static double dtanh(int pwl, double x)
{
    if (pwl) return (x > -1 && x < 1) ? 1.0 : 0.0;
    double t = tanh(x);
    return 1 - t * t;
}

/* Nearest integer, ties to even (Python's round; +-0.5 -> 0). */
static double round_even(double x)
{
    double r = floor(x + 0.5);
    if (r - x == 0.5 && fmod(r, 2.0) != 0) r -= 1;
    return r;
}

static double forward(const gc_problem *p, const double *th,
                      const gc_tap *tap, double *q, double *work)
{
    const gc_layout *L = &p->layout;
    size_t T = p->dims[D_T];
    int pwl = p->dims[D_ACT] != 0, rnd = p->dims[D_ROUND] != 0;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    view_t v = view(p, work);
#define PAR(k) th[P[k].offset]

    v.h[0] = 0;   /* h_{-1} */
    v.c[0] = 0;   /* c_{-1} */
    double loss = 0;
    for (size_t s = 0; s < T; s++) {
        double hp = rnd ? round_even(v.h[s]) : v.h[s];
        v.hin[s] = hp;
        for (int g = 0; g < 4; g++) {
            double z = PAR(P_WFH + 3 * g) * hp + PAR(P_WFX + 3 * g) * x[s]
                     + PAR(P_BF + 3 * g);
            size_t qi = Q[Q_ZF + g].offset + s;
            z = gc_tapped(tap, qi, z);
            if (q) q[qi] = z;
            v.z[g][s] = z;
            v.a[g][s] = g == G_C ? act_tanh(pwl, z) : act_sig(pwl, z);
        }
        double c = v.a[G_F][s] * v.c[s] + v.a[G_I][s] * v.a[G_C][s];
        c = gc_tapped(tap, Q[Q_C].offset + s, c);
        if (q) q[Q[Q_C].offset + s] = c;
        v.c[s + 1] = c;
        double h = v.a[G_O][s] * act_tanh(pwl, c);
        h = gc_tapped(tap, Q[Q_H].offset + s, h);
        if (q) q[Q[Q_H].offset + s] = h;
        v.h[s + 1] = h;
        loss += 0.5 * (h - y[s]) * (h - y[s]);
    }
#undef PAR
    return loss;
}

/* BPTT; as_6_4 selects the seed-001 transcription.  grad, dq may be NULL. */
static int backprop(const gc_problem *p, const double *th, int as_6_4,
                    double *grad, double *dq, double *work)
{
    const gc_layout *L = &p->layout;
    size_t T = p->dims[D_T];
    int pwl = p->dims[D_ACT] != 0, rnd = p->dims[D_ROUND] != 0;
    const gc_block *P = L->params.block, *Q = L->quantities.block;
    const double *x = p->inputs + L->inputs.block[0].offset;
    const double *y = p->inputs + L->inputs.block[1].offset;
    view_t v = view(p, work);
    forward(p, th, NULL, NULL, work);

    double g[12] = {0};
    double dh_rec = 0, dc_carry = 0;
    for (size_t s = T; s-- > 0;) {
        double c = v.c[s + 1], cp = v.c[s], h = v.h[s + 1];
        double f = v.a[G_F][s], i = v.a[G_I][s], o = v.a[G_O][s];
        double gg = v.a[G_C][s];
        double dh = (h - y[s]) + dh_rec;
        double dc = dh * o * dtanh(pwl, c) + (as_6_4 ? 0.0 : dc_carry);
        double dz[4];
        dz[G_O] = dh * act_tanh(pwl, c) * dsig(pwl, v.z[G_O][s]);
        dz[G_F] = dc * cp * dsig(pwl, v.z[G_F][s]);
        dz[G_I] = dc * gg * dsig(pwl, v.z[G_I][s]);
        dz[G_C] = dc * i * dtanh(pwl, v.z[G_C][s]);
        if (dq) {
            dq[Q[Q_H].offset + s] = dh;
            dq[Q[Q_C].offset + s] = dc;
            for (int k = 0; k < 4; k++) dq[Q[Q_ZF + k].offset + s] = dz[k];
        }
        dh_rec = 0;
        for (int k = 0; k < 4; k++) {
            g[3 * k + 0] += dz[k] * v.hin[s];
            g[3 * k + 1] += dz[k] * x[s];
            g[3 * k + 2] += dz[k];
            if (as_6_4)                   /* through W^{*,x}, as in 001 */
                dh_rec += th[P[P_WFX + 3 * k].offset] * dz[k];
            else if (!rnd)                /* round() has derivative 0 */
                dh_rec += th[P[P_WFH + 3 * k].offset] * dz[k];
        }
        dc_carry = dc * f;
    }
    if (grad)
        for (int k = 0; k < 12; k++) grad[P[k].offset] = g[k];
    return GC_OK;
}

static int corrected_gradient(const gc_problem *p, const double *th,
                              double *grad, double *work)
{
    return backprop(p, th, 0, grad, NULL, work);
}

static int corrected_quantity_grads(const gc_problem *p, const double *th,
                                    double *dq, double *work)
{
    return backprop(p, th, 0, NULL, dq, work);
}

static int seed_6_4_gradient(const gc_problem *p, const double *th,
                             double *grad, double *work)
{
    return backprop(p, th, 1, grad, NULL, work);
}

static int seed_6_4_quantity_grads(const gc_problem *p, const double *th,
                                   double *dq, double *work)
{
    return backprop(p, th, 1, NULL, dq, work);
}

static const gc_derivation_type corrected = {
    .name = "corrected",
    .summary = "BPTT with dh_{t-1} += sum W^{*,h} dz_{*,t} (0 when round(h) "
               "is fed back) and the cell carry dc_{t-1} += dc_t f_t "
               "(the homework derives no gradient)",
    .gradient = corrected_gradient,
    .quantity_grads = corrected_quantity_grads,
};

static const gc_derivation_type seed_6_4 = {
    .name = "seed_6_4",
    .summary = "seed 001 Problem 6.4's recursion transcribed: "
               "delta_{t-1} through the input weights W^{*,x}, no cell-state "
               "carry",
    .gradient = seed_6_4_gradient,
    .quantity_grads = seed_6_4_quantity_grads,
};

static const gc_derivation_type *const derivations[] = {&corrected,
                                                        &seed_6_4, NULL};

const gc_model_type gc_model_lstm_scalar_003_2 = {
    .name = "lstm_scalar_003_2",
    .title = "scalar LSTM unit, loss 1/2 sum (h_t - y_t)^2; exact or "
             "piecewise-linear gates, optional rounding of h",
    .source = "003_cced1246537421bc.txt, 2 LSTM",
    .dims = dims,
    .layout = layout,
    .forward = forward,
    .derivations = derivations,
};
