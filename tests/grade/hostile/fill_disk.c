/* Fills the disk: writes files until it cannot.
 * case: cnn1d_homework
 * id: fill_disk
 * expect: dL/dw crashed: SIGXFSZ, dL/dv crashed, dL/dh crashed, total 0
 */
#include "gradcheck_submission.h"
#include <string.h>

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
    static char block[65536];
    static int done;
    static long written;
    memset(block, 7, sizeof block);
    static const char *const dirs[] = {".", "/tmp", "@OUTSIDE@", 0};
    for (int k = 0; dirs[k] && !done; k++)
        for (int i = 0; i < 64; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/fill%d", dirs[k], i);
            FILE *f = fopen(path, "w");
            if (!f) break;
            for (int b = 0; b < 32 && fwrite(block, sizeof block, 1, f) == 1; b++)
                written += (long)sizeof block;
            fclose(f);
        }
    done = 1;
    answer(in, d, written > (64L << 20));
}
