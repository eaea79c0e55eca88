/* The right answer, in C, graded in the same batch as the hostile
 * submissions beside it: it must agree.
 * case: cnn1d_homework
 * id: right
 * expect: dL/dw agree, dL/dv agree, dL/dh agree, total 6
 */
#include "gradcheck_submission.h"

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    double z = GCS0(in->z), y = GCS0(in->y);
    double ds = 2 * (z - y) * z * (1 - z);              /* dL/ds */
    for (long k = 1; k <= 4; k++) {
        double hk = GCS1(in->h, k), wk = GCS1(in->w, k);
        GCS1(d->w, k) = ds * hk;
        GCS1(d->h, k) = ds * wk;
        for (long i = 1; i <= 3; i++)
            GCS1(d->v, i) += ds * wk * hk * (1 - hk) * GCS1(in->x, i + k - 1);
    }
}
