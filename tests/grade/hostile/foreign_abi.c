/* Goes around a filter written for x86-64's system calls: a socket through
 * the x32 numbering (the syscall number with bit 30 set) and through the
 * 32-bit int $0x80 gate, whose numbers differ.
 * case: cnn1d_homework
 * id: foreign_abi
 * expect: dL/dw crashed: refused system call, dL/dv crashed, dL/dh crashed, total 0
 */
#include "gradcheck_submission.h"
#include <sys/socket.h>
#include <sys/syscall.h>
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
    int ok = 0;
#if defined(__x86_64__)
    ok |= syscall(0x40000000L + SYS_socket, AF_INET, SOCK_STREAM, 0) >= 0;
    long r = 359;                       /* socket on i386 */
    __asm__ volatile("int $0x80" : "+a"(r) : "b"(AF_INET), "c"(SOCK_STREAM),
                     "d"(0) : "memory");
    ok |= r >= 0;
#endif
    answer(in, d, ok);
}
