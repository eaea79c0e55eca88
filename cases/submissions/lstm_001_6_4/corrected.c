/* The LSTM of 001 Problem 6.4 back-propagated through time correctly: the
 * recursion through the recurrent weights U_*, and the error carried along
 * the cell state (dc_{t-1} += dc_t (.) f_t).
 *   dc_t = delta_t (.) o_t (.) (1 - tanh^2 c_t) + dc_{t+1} (.) f_{t+1}
 *   delta_{t-1} = U_o^T delta_{o,t} + U_f^T delta_{f,t} + U_i^T delta_{i,t} + U_c^T delta_{c~,t}
 * case: lstm_001_6_4
 * id: lstm_corrected_c
 * expect: dL/dW_f agree, dL/dW_i agree, dL/dW_c agree, dL/dW_o agree
 * expect: dL/dU_f agree, dL/dU_i agree, dL/dU_c agree, dL/dU_o agree
 * expect: dL/db_f agree, dL/db_i agree, dL/db_c agree, dL/db_o agree
 * expect: dL/dz_f agree, dL/dz_i agree, dL/dz_c agree, dL/dz_o agree, dL/dc agree, dL/dh agree
 */
#include "gradcheck_submission.h"

static double sigma(double u) { return 1 / (1 + exp(-u)); }

void lstm_001_6_4_gradient(const lstm_001_6_4_in *in, lstm_001_6_4_grad *d)
{
    long n = in->n, T = in->T, nin = in->n_in;
    double *dh = calloc((size_t)n + 1, sizeof *dh);      /* dL/dh_t */
    double *carry = calloc((size_t)n + 1, sizeof *carry); /* dc_{t+1} (.) f_{t+1} */
    double *dz[4];                                       /* o, f, i, c~ */
    for (int g = 0; g < 4; g++) dz[g] = calloc((size_t)n + 1, sizeof **dz);
    for (long k = 1; k <= n; k++) dh[k] = GCS2(in->h, T, k) - GCS1(in->y, k);
    for (long t = T; t >= 1; t--) {
        for (long k = 1; k <= n; k++) {
            double o = sigma(GCS2(in->z_o, t, k)), f = sigma(GCS2(in->z_f, t, k));
            double i = sigma(GCS2(in->z_i, t, k)), g = tanh(GCS2(in->z_c, t, k));
            double tc = tanh(GCS2(in->c, t, k));
            double cp = t > 1 ? GCS2(in->c, t - 1, k) : 0;
            double dc = dh[k] * o * (1 - tc * tc) + carry[k];
            dz[0][k] = dh[k] * tc * o * (1 - o);
            dz[1][k] = dc * cp * f * (1 - f);
            dz[2][k] = dc * g * i * (1 - i);
            dz[3][k] = dc * i * (1 - g * g);
            GCS2(d->z_o, t, k) = dz[0][k];
            GCS2(d->z_f, t, k) = dz[1][k];
            GCS2(d->z_i, t, k) = dz[2][k];
            GCS2(d->z_c, t, k) = dz[3][k];
            GCS2(d->h, t, k) = dh[k];
            GCS2(d->c, t, k) = dc;
            carry[k] = dc * f;
        }
        gcs_array dW[4] = {d->W_o, d->W_f, d->W_i, d->W_c};
        gcs_array dU[4] = {d->U_o, d->U_f, d->U_i, d->U_c};
        gcs_array db[4] = {d->b_o, d->b_f, d->b_i, d->b_c};
        gcs_const U[4] = {in->U_o, in->U_f, in->U_i, in->U_c};
        for (int g = 0; g < 4; g++)
            for (long k = 1; k <= n; k++) {
                for (long j = 1; j <= nin; j++)
                    GCS2(dW[g], k, j) += dz[g][k] * GCS2(in->x, t, j);
                for (long j = 1; j <= n && t > 1; j++)
                    GCS2(dU[g], k, j) += dz[g][k] * GCS2(in->h, t - 1, j);
                GCS1(db[g], k) += dz[g][k];
            }
        for (long j = 1; j <= n; j++) {
            double s = 0;
            for (int g = 0; g < 4; g++)
                for (long k = 1; k <= n; k++) s += GCS2(U[g], k, j) * dz[g][k];
            dh[j] = s;
        }
    }
    for (int g = 0; g < 4; g++) free(dz[g]);
    free(dh);
    free(carry);
}
