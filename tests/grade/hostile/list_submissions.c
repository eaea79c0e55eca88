/* Lists the folder of submissions, and its own parent folders, to
 * find other students'\'' work.
 * case: cnn1d_homework
 * id: list_submissions
 * expect: dL/dw disagree, dL/dv disagree, dL/dh missing, total 0
 */
#include "gradcheck_submission.h"
#include <dirent.h>
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

static int list(const char *dir)
{
    int others = 0;
    DIR *f = opendir(dir);
    if (!f) return 0;
    printf("%s:", dir);
    for (struct dirent *e; (e = readdir(f));) {
        printf(" %s", e->d_name);
        if (strcmp(e->d_name, "right.c") == 0) others = 1;
    }
    printf("\n");
    closedir(f);
    return others;
}

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    int seen = list("@SUBS@") | list(".") | list("..") | list("../..");
    answer(in, d, seen);
}
