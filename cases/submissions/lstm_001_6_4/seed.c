/* Seed 001, Problem 6.4: the LSTM's back-propagation as the homework writes
 * it, as a C submission (the reading of the garbled text is the model's,
 * src/models/lstm_001_6_4.c).  L = 1/2 ||h_T - y||^2, delta_T = h_T - y.
 *   delta_{o,t}  = delta_t (.) tanh(c_t) (.) o_t (.) (1 - o_t)
 *   delta_{f,t}  = delta_t (.) o_t (.) (1 - tanh^2 c_t) (.) c_{t-1} (.) f_t (.) (1 - f_t)
 *   delta_{i,t}  = delta_t (.) o_t (.) (1 - tanh^2 c_t) (.) c~_t (.) i_t (.) (1 - i_t)
 *   delta_{c~,t} = delta_t (.) o_t (.) (1 - tanh^2 c_t) (.) i_t (.) (1 - c~_t^2)
 *   delta_{t-1}^T = delta_{o,t}^T W_o + delta_{f,t}^T W_f + delta_{i,t}^T W_i + delta_{c~,t}^T W_c
 *   dL/dW_* = sum_t delta_{*,t} x_t^T, dL/dU_* = sum_t delta_{*,t} h_{t-1}^T, dL/db_* = sum_t delta_{*,t}
 * Its two slips, kept: the recursion goes through the input weights W_*
 * (it needs n_in = n), and no error flows along the cell state.  Right at
 * t = T only, so every block but those fed by t = T alone disagrees.
 * case: lstm_001_6_4
 * id: lstm_seed_c
 * expect: dL/dW_f disagree, dL/dU_f disagree, dL/db_f disagree, dL/dW_o disagree
 * expect: dL/dz_o disagree, dL/dh disagree, dL/dc disagree
 */
#include "gradcheck_submission.h"

static double sigma(double u) { return 1 / (1 + exp(-u)); }

void lstm_001_6_4_gradient(const lstm_001_6_4_in *in, lstm_001_6_4_grad *d)
{
    long n = in->n, T = in->T, nin = in->n_in;
    double *delta = calloc((size_t)n + 1, sizeof *delta);
    double *dz[4];                  /* o, f, i, c~ at this step, from 1 */
    for (int g = 0; g < 4; g++) dz[g] = calloc((size_t)n + 1, sizeof **dz);
    for (long k = 1; k <= n; k++)
        delta[k] = GCS2(in->h, T, k) - GCS1(in->y, k);
    for (long t = T; t >= 1; t--) {
        for (long k = 1; k <= n; k++) {
            double o = sigma(GCS2(in->z_o, t, k)), f = sigma(GCS2(in->z_f, t, k));
            double i = sigma(GCS2(in->z_i, t, k)), g = tanh(GCS2(in->z_c, t, k));
            double tc = tanh(GCS2(in->c, t, k));
            double cp = t > 1 ? GCS2(in->c, t - 1, k) : 0;
            double common = delta[k] * o * (1 - tc * tc);
            dz[0][k] = delta[k] * tc * o * (1 - o);
            dz[1][k] = common * cp * f * (1 - f);
            dz[2][k] = common * g * i * (1 - i);
            dz[3][k] = common * i * (1 - g * g);
            GCS2(d->z_o, t, k) = dz[0][k];
            GCS2(d->z_f, t, k) = dz[1][k];
            GCS2(d->z_i, t, k) = dz[2][k];
            GCS2(d->z_c, t, k) = dz[3][k];
            GCS2(d->h, t, k) = delta[k];
            GCS2(d->c, t, k) = common;
        }
        gcs_array dW[4] = {d->W_o, d->W_f, d->W_i, d->W_c};
        gcs_array dU[4] = {d->U_o, d->U_f, d->U_i, d->U_c};
        gcs_array db[4] = {d->b_o, d->b_f, d->b_i, d->b_c};
        for (int g = 0; g < 4; g++)
            for (long k = 1; k <= n; k++) {
                for (long j = 1; j <= nin; j++)
                    GCS2(dW[g], k, j) += dz[g][k] * GCS2(in->x, t, j);
                for (long j = 1; j <= n && t > 1; j++)
                    GCS2(dU[g], k, j) += dz[g][k] * GCS2(in->h, t - 1, j);
                GCS1(db[g], k) += dz[g][k];
            }
        /* delta_{t-1}^T = sum_* delta_{*,t}^T W_*, as written */
        gcs_const W[4] = {in->W_o, in->W_f, in->W_i, in->W_c};
        for (long j = 1; j <= nin; j++) {
            double s = 0;
            for (int g = 0; g < 4; g++)
                for (long k = 1; k <= n; k++) s += dz[g][k] * GCS2(W[g], k, j);
            delta[j] = s;
        }
    }
    for (int g = 0; g < 4; g++) free(dz[g]);
    free(delta);
}
