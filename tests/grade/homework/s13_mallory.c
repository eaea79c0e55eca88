/* crashes: writes through a null pointer
 * case: cnn1d_homework
 * id: mallory
 * expect: dL/dw crashed: SIGSEGV, dL/dv crashed, dL/dh crashed, total 0
 */
#include "gradcheck_submission.h"

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    volatile double *p = NULL;
    (void)in;
    (void)d;
    *p = 1;
}
