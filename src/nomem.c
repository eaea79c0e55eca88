/* nomem.c: what an "out of memory" says.  Measured (strace -f -e
 * trace=mmap, docs/performance.md): before a case is read the program maps
 * some 90 MiB of libraries (OpenBLAS's 36 MiB, ICU's data 31 MiB through
 * libxml2), and OpenBLAS maps a 128 MiB buffer for each thread that
 * multiplies matrices: its worker thread, started when it loads (one per
 * core but one; OPENBLAS_NUM_THREADS=1 in the environment starts none),
 * and the first thread of gradcheck that calls it.  Under an
 * address-space limit (ulimit -v) of 256 MiB that leaves little for a
 * case's values, so the message names the limit and those shares. */
#include "nomem.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

void gc_nomem_explain(const gc_layout *L, const char *doing,
                      const char *extra, char *msg, size_t len)
{
    char what[256] = "";
    if (L) {
        size_t n = L->params.n + L->inputs.n + L->quantities.n;
        snprintf(what, sizeof what, ": its values take %.1f MiB (%zu "
                 "parameter, %zu input and %zu quantity entries, each "
                 "kept several times over)%s%s", (double)n * 8 / 1048576.0,
                 L->params.n, L->inputs.n, L->quantities.n,
                 extra ? ", " : "", extra ? extra : "");
    } else if (extra) {
        snprintf(what, sizeof what, ": %s", extra);
    }
    struct rlimit rl;
    const char *blas = getenv("OPENBLAS_NUM_THREADS");
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        snprintf(msg, len, "out of memory %s%s; the address-space limit "
                 "(ulimit -v) is %.0f MiB, of which the libraries take "
                 "some 90 MiB and OpenBLAS 128 MiB for each thread that "
                 "multiplies matrices%s: raise the limit, or make the "
                 "network smaller (dims) or run fewer --points", doing,
                 what, (double)rl.rlim_cur / 1048576.0,
                 blas ? "" : " (with its worker threads; "
                 "OPENBLAS_NUM_THREADS=1 in the environment starts none)");
    else
        snprintf(msg, len, "out of memory %s%s: the machine's memory ran "
                 "out; make the network smaller (dims) or run fewer "
                 "--points", doing, what);
}
