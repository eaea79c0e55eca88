/* case: rnn_many_to_one
 * BPTT in C: e = softmax(z) - y, g_t = (1 - h_t^2) * d_t,
 * d_{T-1} = V^T e, d_t = W^T g_{t+1}. */
#include "gradcheck_submission.h"

void rnn_many_to_one_gradient(const rnn_many_to_one_in *in,
                              rnn_many_to_one_grad *d)
{
    long n = in->n, k = in->k, m = in->m, T = in->T;
    double e[16], g[16], dh[16], mx = -1e300, s = 0;
    for (long i = 1; i <= k; i++)
        if (GCS1(in->z, i) > mx) mx = GCS1(in->z, i);
    for (long i = 1; i <= k; i++) s += exp(GCS1(in->z, i) - mx);
    for (long i = 1; i <= k; i++)
        e[i] = exp(GCS1(in->z, i) - mx) / s - GCS1(in->y, i);
    for (long i = 1; i <= k; i++) {
        GCS1(d->c, i) = e[i];
        for (long j = 1; j <= n; j++)
            GCS2(d->V, i, j) = e[i] * GCS2(in->h, T - 1, j);
    }
    for (long j = 1; j <= n; j++) {
        dh[j] = 0;
        for (long i = 1; i <= k; i++) dh[j] += GCS2(in->V, i, j) * e[i];
    }
    for (long t = T - 1; t >= 0; t--) {
        for (long j = 1; j <= n; j++) {
            double hj = GCS2(in->h, t, j);
            g[j] = (1 - hj * hj) * dh[j];
        }
        for (long j = 1; j <= n; j++) {
            GCS1(d->b, j) += g[j];
            for (long q = 1; q <= m; q++)
                GCS2(d->U, j, q) += g[j] * GCS2(in->x, t, q);
            if (t > 0)
                for (long q = 1; q <= n; q++)
                    GCS2(d->W, j, q) += g[j] * GCS2(in->h, t - 1, q);
        }
        for (long q = 1; q <= n; q++) {
            dh[q] = 0;
            for (long j = 1; j <= n; j++) dh[q] += GCS2(in->W, j, q) * g[j];
        }
    }
}
