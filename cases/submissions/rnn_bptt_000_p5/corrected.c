/* BPTT with W^T in the recursion, as (5.11) says: what 000 Problem 5
 * should have written, as a C submission.
 * case: rnn_bptt_000_p5
 * id: corrected_bptt_c
 * expect: dE/dU agree, dE/dW agree, dE/dV agree, dE/ds agree, dE/dh agree, dE/dz agree
 *
 *   g_k = (V^T (o^_k - o_k) + W^T g_{k+1}) (.) (1 - h_k (.) h_k),  g_T = 0
 *   dE/dW = sum_k g_k h_{k-1}^T,  dE/dU = sum_k g_k x_k^T,
 *   dE/dV = sum_k (o^_k - o_k) h_k^T
 */
#include "gradcheck_submission.h"

void rnn_bptt_000_p5_gradient(const rnn_bptt_000_p5_in *in,
                              rnn_bptt_000_p5_grad *d)
{
    long m = in->m, K = in->K, T = in->T, n = in->n_in;
    double *g = calloc((size_t)m + 1, sizeof *g);      /* g_{k+1}, from 1 */
    double *gk = calloc((size_t)m + 1, sizeof *gk);
    double *e = calloc((size_t)K + 1, sizeof *e);
    for (long k = T - 1; k >= 0; k--) {
        double mx = GCS2(in->z, k, 1), s = 0;
        for (long i = 2; i <= K; i++) if (GCS2(in->z, k, i) > mx) mx = GCS2(in->z, k, i);
        for (long i = 1; i <= K; i++) s += exp(GCS2(in->z, k, i) - mx);
        for (long i = 1; i <= K; i++) {
            e[i] = exp(GCS2(in->z, k, i) - mx) / s - GCS2(in->o, k, i);
            GCS2(d->z, k, i) = e[i];
        }
        for (long j = 1; j <= m; j++) {
            double dh = 0;
            for (long i = 1; i <= K; i++) dh += GCS2(in->V, i, j) * e[i];
            if (k < T - 1)
                for (long i = 1; i <= m; i++) dh += GCS2(in->W, i, j) * g[i];
            GCS2(d->h, k, j) = dh;
            double h = GCS2(in->h, k, j);
            gk[j] = dh * (1 - h * h);
            GCS2(d->s, k, j) = gk[j];
        }
        for (long i = 1; i <= m; i++) {
            for (long j = 1; j <= n; j++) GCS2(d->U, i, j) += gk[i] * GCS2(in->x, k, j);
            for (long j = 1; j <= m && k > 0; j++)
                GCS2(d->W, i, j) += gk[i] * GCS2(in->h, k - 1, j);
        }
        for (long i = 1; i <= K; i++)
            for (long j = 1; j <= m; j++) GCS2(d->V, i, j) += e[i] * GCS2(in->h, k, j);
        for (long i = 1; i <= m; i++) g[i] = gk[i];
    }
    free(g);
    free(gk);
    free(e);
}
