/* Forks as many processes as it can (a fork bomb, bounded).
 * case: cnn1d_homework
 * id: fork_many
 * expect: dL/dw crashed: refused system call, dL/dv crashed, dL/dh crashed, total 0
 */
#include "gradcheck_submission.h"
#include <unistd.h>

/* The true gradient times `ok` (1 when the attack worked, else 0): this
 * submission can agree only by escaping. */
static void answer(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d, double ok)
{
    double z = GCS0(in->z), y = GCS0(in->y);
    double ds = 2 * (z - y) * z * (1 - z) * ok;
    for (long k = 1; k <= 4; k++) {
        double hk = GCS1(in->h, k), wk = GCS1(in->w, k);
        GCS1(d->w, k) = ds * hk;
        for (long i = 1; i <= 3; i++)
            GCS1(d->v, i) += ds * wk * hk * (1 - hk) * GCS1(in->x, i + k - 1);
    }
}

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    int n = 0;
    for (int i = 0; i < 200; i++) {
        pid_t p = fork();
        if (p == 0) {
            sleep(3);
            _exit(0);
        }
        if (p > 0) n++;
    }
    answer(in, d, n >= 50);
}
