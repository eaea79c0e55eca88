/* Reads the machine's files: accounts, password hashes, another
 * process's environment, home folders.
 * case: cnn1d_homework
 * id: read_system
 * expect: dL/dw disagree, dL/dv disagree, dL/dh missing, total 0
 */
#include "gradcheck_submission.h"
#include <dirent.h>

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
    static const char *const files[] = {"/etc/passwd", "/etc/shadow",
        "/proc/1/environ", "/proc/self/environ", "/root/.bash_history", 0};
    int ok = 0;
    for (int i = 0; files[i]; i++) {
        FILE *f = fopen(files[i], "r");
        if (f) {
            printf("opened %s\n", files[i]);
            ok = 1;
            fclose(f);
        }
    }
    DIR *h = opendir("/home");
    if (h) {
        ok = 1;
        closedir(h);
    }
    answer(in, d, ok);
}
