/* 000 Problem 5 (BPTT) as the homework writes it, as a C submission.
 * case: rnn_bptt_000_p5
 * id: seed_bptt_c
 * expect: dE/dV agree, dE/dU disagree, dE/dW disagree, dE/dz agree, dE/ds disagree
 *
 *   (5.5)  dE_t/dz_t = o^_t - o_t
 *   (5.7)  dE/dV = sum_t (o^_t - o_t) h_t^T
 *   (5.16) delta_t^(t) = (V^T (o^_t - o_t)) (.) (1 - h_t (.) h_t)
 *          delta_k^(t) = (U^T delta_{k+1}^(t)) (.) (1 - h_k (.) h_k)
 *   (5.19) dE/dW = sum_t sum_k delta_k^(t) h_{k-1}^T
 *   (5.21) dE/dU = sum_t sum_k delta_k^(t) x_k^T
 * U^T in the recursion is the homework's (its (5.11) says W^T).  Needs
 * n_in = m, as the homework's product does.
 */
#include "gradcheck_submission.h"

void rnn_bptt_000_p5_gradient(const rnn_bptt_000_p5_in *in,
                              rnn_bptt_000_p5_grad *d)
{
    long m = in->m, K = in->K, T = in->T, n = in->n_in;
    double e[64], dh[64], dl[64];           /* K, m <= 64 in our cases */
    for (long t = 0; t < T; t++) {
        /* o^_t = softmax(z_t) */
        double mx = GCS2(in->z, t, 1), s = 0;
        for (long i = 1; i <= K; i++) if (GCS2(in->z, t, i) > mx) mx = GCS2(in->z, t, i);
        for (long i = 1; i <= K; i++) s += exp(GCS2(in->z, t, i) - mx);
        for (long i = 1; i <= K; i++) {
            e[i] = exp(GCS2(in->z, t, i) - mx) / s - GCS2(in->o, t, i);
            GCS2(d->z, t, i) = e[i];
            for (long j = 1; j <= m; j++) GCS2(d->V, i, j) += e[i] * GCS2(in->h, t, j);
        }
        for (long j = 1; j <= m; j++) {
            dh[j] = 0;
            for (long i = 1; i <= K; i++) dh[j] += GCS2(in->V, i, j) * e[i];
        }
        for (long k = t; k >= 0; k--) {
            for (long i = 1; i <= m; i++) {
                double h = GCS2(in->h, k, i);
                dl[i] = dh[i] * (1 - h * h);
                if (isnan(GCS2(d->s, k, i))) GCS2(d->s, k, i) = 0;
                GCS2(d->s, k, i) += dl[i];
            }
            for (long i = 1; i <= m; i++) {
                for (long j = 1; j <= m && k > 0; j++)
                    GCS2(d->W, i, j) += dl[i] * GCS2(in->h, k - 1, j);
                for (long j = 1; j <= n; j++)
                    GCS2(d->U, i, j) += dl[i] * GCS2(in->x, k, j);
            }
            /* (5.16) as written: U^T delta */
            for (long j = 1; j <= n; j++) {
                dh[j] = 0;
                for (long i = 1; i <= m; i++) dh[j] += GCS2(in->U, i, j) * dl[i];
            }
        }
    }
}
