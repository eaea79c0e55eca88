/* Writes files outside its folder from the gradient function: in a
 * folder of the grader'\''s, beside the other submissions, and up from its
 * working folder.
 * case: cnn1d_homework
 * id: write_outside
 * expect: dL/dw disagree, dL/dv disagree, dL/dh missing, total 0
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

static int put(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs("written by a submission\n", f);
    return fclose(f) == 0;
}

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    int ok = put("@OUTSIDE@/from_gradient.txt");
    ok |= put("@SUBS@/zz_planted.c");
    ok |= put("../../../../../..@OUTSIDE@/from_gradient_up.txt");
    answer(in, d, ok);
}
