/* allocates without bound
 * case: cnn1d_homework
 * id: oscar
 * expect: dL/dw out of memory, dL/dv out of memory, dL/dh out of memory, total 0
 */
#include "gradcheck_submission.h"
#include <string.h>

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    (void)in;
    for (;;) {
        double *p = malloc((size_t)1 << 22);
        memset(p, 0, (size_t)1 << 22);
        GCS1(d->w, 1) += p[7];
    }
}
