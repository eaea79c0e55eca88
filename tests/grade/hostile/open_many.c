/* Opens /dev/null a hundred thousand times: each open file costs the
 * kernel memory that no memory limit counts.
 * case: cnn1d_homework
 * id: open_many
 * expect: dL/dw disagree, dL/dv disagree, dL/dh missing, total 0
 */
#include "gradcheck_submission.h"
#include <fcntl.h>

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
    static long opened;
    for (long i = 0; i < 100000 && opened < 100000; i++)
        if (open("/dev/null", O_RDONLY) >= 0) opened++;
        else break;
    answer(in, d, opened >= 10000);
}
