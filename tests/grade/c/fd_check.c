/* A right answer that first checks its sandbox: standard input empty
 * (/dev/null), nothing open beyond fds 0-3 (3 is the result pipe), and a
 * file it creates cannot grow beyond the file-size limit.  Any breach
 * aborts, which the grader reports as crashed: SIGABRT.
 * case: cnn1d_homework
 */
#include "gradcheck_submission.h"
#include <fcntl.h>
#include <unistd.h>

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    char c;
    if (read(0, &c, 1) != 0) {
        fprintf(stderr, "standard input is not empty\n");
        abort();
    }
    for (int fd = 4; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1) {
            fprintf(stderr, "inherited file descriptor %d\n", fd);
            abort();
        }
    double z = GCS0(in->z), y = GCS0(in->y);
    double ds = 2 * (z - y) * z * (1 - z);
    for (long k = 1; k <= 4; k++) {
        double hk = GCS1(in->h, k), wk = GCS1(in->w, k);
        GCS1(d->w, k) = ds * hk;
        for (long i = 1; i <= 3; i++)
            GCS1(d->v, i) += ds * wk * hk * (1 - hk) * GCS1(in->x, i + k - 1);
    }
}
