/* fuzz_golden.c: fuzz target for the golden file reader and comparison. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f) return 0;
    gc_golden g;
    gc_error err;
    int st = gc_golden_read_stream(f, "fuzz.golden", &g, &err);
    fclose(f);
    if (st) return 0;
    gc_golden_diff d;
    if (gc_golden_compare(&g, &g, &gc_golden_tol_default, &d) == GC_OK) {
        if (!gc_golden_diff_ok(&d)) abort();   /* a file equals itself */
        gc_golden_diff_clear(&d);
    }
    FILE *o = fopen("/dev/null", "w");
    if (o) { gc_golden_write(o, &g, "fuzz"); fclose(o); }
    gc_golden_clear(&g);
    return 0;
}
