/* fuzz_case.c: fuzz target for the case reader (and, for small cases, the
 * run and both report writers).  Built with libFuzzer by scripts/fuzz, and
 * with driver.c as a plain regression test that replays the corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) { gc_init(); init = 1; }
    gc_case *c = NULL;
    gc_error err;
    if (gc_case_load_buffer("fuzz.yaml", data, size, &c, &err) != GC_OK)
        return 0;
    /* Small cases only: the run's cost grows with the shape, and a fuzzer
     * that asks for a 4096-unit LSTM is exploring the reader, not us. */
    if (c->prob->layout.params.n <= 64 && c->prob->layout.quantities.n <= 256) {
        gc_run_options o = gc_run_options_default();
        o.points = 0;   /* the given point exercises every path; more
                           points only repeat them, at the fuzzer's cost */
        gc_case_report *r = NULL;
        if (gc_run_case(c, &o, &r, &err) == GC_OK) {
            FILE *f = fopen("/dev/null", "w");
            gc_report_options ro = {.verbose = 2};
            if (f) {
                gc_report_json(f, &r, 1, &ro);
                gc_report_text(f, &r, 1, &ro);
                gc_golden g;
                if (gc_golden_from_report(r, &g) == GC_OK) {
                    gc_golden_write(f, &g, c->name);
                    gc_golden_clear(&g);
                }
                fclose(f);
            }
            gc_case_report_free(r);
        }
    }
    gc_case_free(c);
    return 0;
}
