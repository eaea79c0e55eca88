/* indexes x one past its end: the header's bounds check stops it with a
 * message naming the array
 * case: cnn1d_homework
 */
#include "gradcheck_submission.h"

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    for (long i = 1; i <= 3; i++)
        GCS1(d->v, i) = GCS1(in->x, i + 4);
}
