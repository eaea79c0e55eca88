/* does not compile: an undeclared variable
 * case: cnn1d_homework
 * id: peggy
 * expect: dL/dw compile error, dL/dv compile error, dL/dh compile error, total 0
 */
#include "gradcheck_submission.h"

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    (void)in;
    GCS1(d->w, 1) = undeclared_thing;
}
