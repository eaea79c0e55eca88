/* fuzz_submission.c: fuzz target for the submission reader (headers, id,
 * case, loss and expect: lines), then the formula compiler on what it
 * read, against the 1-D CNN of 000 Problem 3.  C submissions are read but
 * never compiled here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gradcheck.h"
#include "fx/fx.h"
#include "grade/submission.h"

static gc_problem *P;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!P) {
        gc_init();
        if (gc_problem_alloc(gc_model_find("cnn1d_000_p3"), NULL, &P)) abort();
        snprintf(path, sizeof path, "/tmp/gradcheck-fuzz-sub-%ld.txt",
                 (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    gc_submission *s = NULL;
    if (gc_submission_load(path, &s) == GC_OK && s && !s->bad &&
        s->kind == GC_SUB_FORMULAS) {
        gc_fx_program *prog = NULL;
        gc_error err;
        if (gc_fx_compile(P, s->path, s->text, s->len, s->loss, NULL, &prog,
                          &err) == GC_OK)
            gc_fx_program_free(prog);
    }
    gc_submission_free(s);
    unlink(path);
    return 0;
}
