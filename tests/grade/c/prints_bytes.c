/* crashes after printing what a terminal in Latin-1 would: an odd prefix,
 * 3000 e-acute in UTF-8 (6000 bytes: the sandbox keeps the first 4096,
 * cutting a character in two), then a Latin-1 byte.  Its output is every
 * answer's message; in results.json it must stay valid UTF-8 and be cut
 * at a character boundary with "(truncated)".
 * case: cnn1d_homework
 */
#include "gradcheck_submission.h"

#include <stdlib.h>

void cnn1d_000_p3_gradient(const cnn1d_000_p3_in *in, cnn1d_000_p3_grad *d)
{
    (void)in;
    (void)d;
    fputs("x", stdout);
    for (int i = 0; i < 3000; i++) fputs("\xc3\xa9", stdout);
    fputs("caf\xe9\n", stdout);
    fflush(stdout);
    abort();
}
