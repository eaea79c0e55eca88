/* Opens a TCP connection to a listener on 127.0.0.1 and sends data.
 * case: cnn1d_homework
 * id: network
 * expect: dL/dw crashed: refused system call, dL/dv crashed, dL/dh crashed, total 0
 */
#include "gradcheck_submission.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(@PORT@)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0)
        ok = write(s, "exfiltrated\n", 12) == 12;
    answer(in, d, ok);
}
