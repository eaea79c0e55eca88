/* never finishes
 * case: cnn1d_homework
 * id: nina
 * expect: dL/dw timeout, dL/dv timeout, dL/dh timeout, total 0
 */
#include "gradcheck_submission.h"

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    volatile unsigned long n = 0;
    (void)in;
    for (;;) GCS1(d->w, 1) = (double)n++;
}
