/* fuzz_formula.c: fuzz target for the formula language: the input is
 * compiled as a formula submission (definitions and answers) against the
 * BPTT RNN of 000 Problem 5 at its default dimensions, every answer is
 * evaluated at a fixed point, and the input is also evaluated as one
 * expression. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "fx/fx.h"

static gc_problem *P;
static double *theta, *q;

static void setup(void)
{
    gc_init();
    if (gc_problem_alloc(gc_model_find("rnn_bptt_000_p5"), NULL, &P)) abort();
    const gc_layout *L = &P->layout;
    theta = malloc(L->params.n * sizeof *theta);
    q = malloc(L->quantities.n * sizeof *q);
    double *work = malloc(L->work * sizeof *work);
    for (size_t k = 0; k < L->params.n; k++) theta[k] = 0.37 - 0.11 * (double)(k % 7);
    for (size_t k = 0; k < L->inputs.n; k++) P->inputs[k] = (k % 3 == 0);
    P->model->forward(P, theta, NULL, q, work);
    free(work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!P) setup();
    if (size > GC_SUB_MAX_BYTES) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    gc_fx_program *prog = NULL;
    gc_error err;
    if (gc_fx_compile(P, "fuzz.txt", text, size, NULL, NULL, &prog, &err) ==
        GC_OK) {
        gc_fx_set_point(prog, theta, q);
        for (size_t i = 0; i < gc_fx_n_answers(prog); i++) {
            const gc_target *t = gc_fx_answer_target(prog, i);
            if (gc_fx_answer_error(prog, i) || t->n > 100000) continue;
            double *v = malloc((t->n ? t->n : 1) * sizeof *v);
            if (v) gc_fx_answer_eval(prog, i, v, &err);
            free(v);
        }
        gc_fx_program_free(prog);
    }
    if (strlen(text) == size && size <= GC_FX_MAX_STATEMENT) {
        gc_fx_value out;
        if (gc_fx_eval(P, theta, q, text, &out, &err) == GC_OK)
            gc_fx_value_clear(&out);
    }
    free(text);
    return 0;
}
