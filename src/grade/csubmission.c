/* csubmission.c: C submissions (docs/grading.md#c-submissions).
 *
 * For derivations that are recurrences (BPTT deltas, LSTM gates) a student
 * writes one C function per model, declared in gradcheck_submission.h:
 *
 *   void rnn_bptt_000_p5_gradient(const rnn_bptt_000_p5_in *in,
 *                                 rnn_bptt_000_p5_grad *d);
 *
 * `in` holds the case's shape, every parameter, input and forward quantity
 * at one point; the function fills d with dL/d(every parameter block) and,
 * optionally, dL/d(quantity blocks).  Entries are addressed in homework
 * indices with GCS1(a, i), GCS2(a, i, j), ... (bounds-checked: a wrong
 * index aborts with a message naming it).
 *
 * The header is generated from the models' layouts (gc_csub_header), so
 * it cannot drift from them; include/gradcheck_submission.h is that text,
 * checked by the unit tests.  Grading a C file:
 *   1. a temporary folder (0700) gets a scratch folder, box/, holding a
 *      copy of the submission (submission.c), the header, a driver
 *      (main(): read the points from input.bin, call the function at
 *      each, write the results to fd 3), and input.bin: nothing else of
 *      the machine's is visible to the compiler or the program;
 *   2. cc compiles the submission with the driver (GC_CSUB_CFLAGS), in
 *      the sandbox (sandbox.c: isolated, box/ seen as /box) with the
 *      compile limits; allocation functions are wrapped (-Wl,--wrap) so
 *      that a failed allocation reports "out of memory" instead of a crash
 *      further on;
 *   3. the program runs in the sandbox, box/ read-only, under the
 *      system-call filter, with the run limits; its fd-3 stream is
 *      "GCSR" n | n x ("GCSP" values) | "GCSE", or "GCSOOM".
 * Where isolation cannot be set up, nothing is compiled or run: the
 * verdict is GC_GRADE_NOT_RUN with the cause and the way out (fail
 * closed); o->trusted (--trust-submissions) runs with the limits only.
 */
#define _GNU_SOURCE
#include "gradcheck/grade.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "grade/csub.h"
#include "grade/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ names */

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "in", "d", NULL
};

/* The member name of a block or dim: its own name, unless that is a C
 * keyword or already taken in the struct ("in" and "d" are the function's
 * parameters, kept free to avoid confusion). */
static void member(const char *name, const char *prefix, char used[][40],
                   int *n_used, char *out)
{
    int clash = 0;
    for (int i = 0; c_keywords[i]; i++)
        if (strcmp(c_keywords[i], name) == 0) clash = 1;
    for (int i = 0; i < *n_used; i++)
        if (strcmp(used[i], name) == 0) clash = 1;
    if (clash) snprintf(out, 40, "%s%s", prefix, name);
    else snprintf(out, 40, "%s", name);
    if (*n_used < 3 * GC_MAX_BLOCKS + GC_MAX_DIMS)
        snprintf(used[(*n_used)++], 40, "%s", out);
}

typedef struct {
    char dim[GC_MAX_DIMS][40];
    char in[3][GC_MAX_BLOCKS][40];   /* params, inputs, quantities */
    char out[2][GC_MAX_BLOCKS][40];  /* params, quantities */
} member_names;

static void names_of(const gc_model_type *m, const gc_layout *L,
                     member_names *mn)
{
    char used[3 * GC_MAX_BLOCKS + GC_MAX_DIMS][40];
    int n = 0;
    for (int i = 0; m->dims[i].name && i < GC_MAX_DIMS; i++)
        member(m->dims[i].name, "dim_", used, &n, mn->dim[i]);
    const gc_blocks *f[3] = {&L->params, &L->inputs, &L->quantities};
    static const char *const pre[3] = {"param_", "input_", "quantity_"};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < f[k]->n_blocks; i++)
            member(f[k]->block[i].name, pre[k], used, &n, mn->in[k][i]);
    n = 0;
    for (int k = 0; k < 2; k++) {
        const gc_blocks *b = k ? &L->quantities : &L->params;
        for (size_t i = 0; i < b->n_blocks; i++)
            member(b->block[i].name, k ? "quantity_" : "param_", used, &n,
                   mn->out[k][i]);
    }
}

/* "matrix W1[i][j], i from 0, j from 1" */
static void block_text(const gc_block *b, char *buf, size_t n)
{
    static const char *const idx = "ijk";
    static const char *const kind[4] = {"scalar", "vector", "matrix",
                                        "3-axis array"};
    size_t l = (size_t)snprintf(buf, n, "%s %s", kind[b->rank], b->name);
    for (int a = 0; a < b->rank && l < n; a++)
        l += (size_t)snprintf(buf + l, n - l, "[%c]", idx[a]);
    for (int a = 0; a < b->rank && l < n; a++)
        l += (size_t)snprintf(buf + l, n - l, "%s %c from %d",
                              a ? "," : ",", idx[a], b->base[a]);
    if (b->timed && l < n) snprintf(buf + l, n - l, " (i: time step)");
}

/* ------------------------------------------------------------ header */

static const char header_top[] =
"/* gradcheck_submission.h: the functions a C submission implements, one per\n"
" * model (docs/grading.md).  Generated by `gradcheck grade\n"
" * --c-header` from the models' layouts; do not edit.\n"
" *\n"
" * A submission is one C file that includes this header and defines the\n"
" * function of the case's model, e.g.\n"
" *\n"
" *   #include \"gradcheck_submission.h\"\n"
" *   // case: rnn_bptt_000_p5\n"
" *   void rnn_bptt_000_p5_gradient(const rnn_bptt_000_p5_in *in,\n"
" *                                 rnn_bptt_000_p5_grad *d)\n"
" *   {\n"
" *       for (long t = 0; t < in->T; t++) ...\n"
" *           GCS2(d->V, i, j) += ... GCS2(in->h, t, j) ...;\n"
" *   }\n"
" *\n"
" * It is called once per point.  `in` holds the case's shape (dimension\n"
" * names as in `gradcheck list`), the parameters at the point, the inputs,\n"
" * and the forward quantities at the point.  `d` holds one array per\n"
" * parameter block, to fill with dL/d(block), all of it (entries start as\n"
" * 0), and one per quantity block: optional dL/d(quantity), checked when\n"
" * any entry is set (they start as NaN, meaning not given).\n"
" *\n"
" * Arrays are row-major; GCS0..GCS3 address an entry in the homework's\n"
" * indices (W1[0][1] is GCS2(in->W1, 0, 1); the first index along each\n"
" * axis is .base[axis], the length .shape[axis]) and stop the program with a\n"
" * message naming the array when an index is out of range.  .v[k] is the\n"
" * plain flat entry k.  Use only the C standard library, to compute: the\n"
" * program runs in a sandbox with limited CPU time and memory, no files but\n"
" * its own, no network and no other process; anything else ends it\n"
" * (\"crashed: refused system call\").\n"
" */\n"
"#ifndef GRADCHECK_SUBMISSION_H\n"
"#define GRADCHECK_SUBMISSION_H\n"
"\n"
"#include <math.h>\n"
"#include <stdio.h>\n"
"#include <stdlib.h>\n"
"\n"
"typedef struct {\n"
"    const double *v;     /* entries, row-major */\n"
"    int rank;            /* 0 scalar, 1 vector, 2 matrix, 3 */\n"
"    long shape[3];       /* entries along each axis (1 when unused) */\n"
"    long base[3];        /* homework index of the first entry on each axis */\n"
"    const char *name;\n"
"} gcs_const;\n"
"\n"
"typedef struct {\n"
"    double *v;\n"
"    int rank;\n"
"    long shape[3];\n"
"    long base[3];\n"
"    const char *name;\n"
"} gcs_array;\n"
"\n"
"/* Flat offset of entry (i, j, k) in homework indices; aborts with a message\n"
" * when the number of indices or an index is wrong. */\n"
"static inline long gcs_offset(const char *name, int rank, const long *shape,\n"
"                              const long *base, int n, long i, long j, long k)\n"
"{\n"
"    long idx[3] = {i, j, k}, off = 0;\n"
"    if (n != rank) {\n"
"        fprintf(stderr, \"%s has %d ind%s, used with %d\\n\", name, rank,\n"
"                rank == 1 ? \"ex\" : \"ices\", n);\n"
"        abort();\n"
"    }\n"
"    for (int a = 0; a < n; a++) {\n"
"        if (idx[a] < base[a] || idx[a] >= base[a] + shape[a]) {\n"
"            fprintf(stderr, \"%s: index %ld out of range %ld..%ld (axis %d)\\n\",\n"
"                    name, idx[a], base[a], base[a] + shape[a] - 1, a + 1);\n"
"            abort();\n"
"        }\n"
"        off = off * shape[a] + (idx[a] - base[a]);\n"
"    }\n"
"    return off;\n"
"}\n"
"\n"
"#define GCS_AT_(a, n, i, j, k) \\\n"
"    ((a).v[gcs_offset((a).name, (a).rank, (a).shape, (a).base, n, i, j, k)])\n"
"#define GCS0(a)          GCS_AT_(a, 0, 0, 0, 0)\n"
"#define GCS1(a, i)       GCS_AT_(a, 1, (i), 0, 0)\n"
"#define GCS2(a, i, j)    GCS_AT_(a, 2, (i), (j), 0)\n"
"#define GCS3(a, i, j, k) GCS_AT_(a, 3, (i), (j), (k))\n";

static const char header_end[] = "\n#endif /* GRADCHECK_SUBMISSION_H */\n";

/* The section of one model, for the shape of problem `given` (NULL: the
 * model's default dimensions).  The blocks of some models depend on their
 * shape (the number of layers of backprop_003_3), so a case's own section
 * can differ from the default one. */
/* The first block of more than 3 axes (a case-defined network's [C_out,
 * C_in, k, k] convolution weight), or NULL: C submissions' arrays
 * (gcs_const, gcs_array, GCS0..GCS3) have at most 3. */
static const gc_block *beyond_c(const gc_layout *L)
{
    const gc_blocks *fam[3] = {&L->params, &L->inputs, &L->quantities};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < fam[k]->n_blocks; i++)
            if (fam[k]->block[i].rank > 3) return &fam[k]->block[i];
    return NULL;
}

static int model_section(FILE *f, const gc_model_type *m,
                         const gc_problem *given)
{
    const gc_block *wide = given ? beyond_c(&given->layout) : NULL;
    if (wide) {
        /* the header says why, and a compile stops on it */
        fprintf(f, "\n#error \"%s: %s has %d axes and a C submission's "
                "arrays at most 3: grade this network with formula "
                "submissions\"\n", m->name, wide->name, wide->rank);
        return GC_OK;
    }
    gc_problem *own = NULL;
    if (!given) {
        int st = gc_problem_alloc(m, NULL, &own);
        if (st) return st;
    }
    const gc_problem *p = given ? given : own;
    const gc_layout *L = &p->layout;
    member_names mn;
    names_of(m, L, &mn);
    char bt[160];
    fprintf(f, "\n/* ---- model %s: %s\n * (%s)\n * C submissions: "
            "void %s_gradient(const %s_in *in, %s_grad *d); */\n",
            m->name, m->title, m->source, m->name, m->name, m->name);
    fprintf(f, "typedef struct {\n");
    for (int i = 0; m->dims[i].name; i++)
        fprintf(f, "    long %s;%*s/* %s */\n", mn.dim[i],
                (int)(24 - strlen(mn.dim[i]) > 0 ? 24 - strlen(mn.dim[i]) : 1),
                "", m->dims[i].meaning);
    const gc_blocks *fam[3] = {&L->params, &L->inputs, &L->quantities};
    static const char *const noun[3] = {"parameter", "input", "quantity"};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < fam[k]->n_blocks; i++) {
            block_text(&fam[k]->block[i], bt, sizeof bt);
            fprintf(f, "    gcs_const %s;%*s/* %s %s */\n", mn.in[k][i],
                    (int)(strlen(mn.in[k][i]) < 19 ? 19 - strlen(mn.in[k][i])
                                                   : 1), "", noun[k], bt);
        }
    fprintf(f, "} %s_in;\n\ntypedef struct {\n", m->name);
    for (int k = 0; k < 2; k++) {
        const gc_blocks *b = k ? &L->quantities : &L->params;
        for (size_t i = 0; i < b->n_blocks; i++)
            fprintf(f, "    gcs_array %s;%*s/* %sdL/d%s */\n", mn.out[k][i],
                    (int)(strlen(mn.out[k][i]) < 19 ? 19 - strlen(mn.out[k][i])
                                                    : 1), "",
                    k ? "optional: " : "", b->block[i].name);
    }
    fprintf(f, "} %s_grad;\n\nvoid %s_gradient(const %s_in *in, %s_grad *d);"
            "\n", m->name, m->name, m->name, m->name);
    gc_problem_free(own);
    return ferror(f) ? GC_EIO : GC_OK;
}

int gc_csub_header(FILE *f, const gc_problem *only)
{
    fputs(header_top, f);
    int st = GC_OK;
    if (only) st = model_section(f, only->model, only);
    for (size_t i = 0; gc_models[i] && !st && !only; i++)
        st = model_section(f, gc_models[i], NULL);
    fputs(header_end, f);
    return st ? st : ferror(f) ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ the driver */

static void block_table(FILE *f, const char *name, const gc_blocks *b)
{
    fprintf(f, "static const gcs_block_ %s[] = {\n", name);
    for (size_t i = 0; i < b->n_blocks; i++) {
        const gc_block *k = &b->block[i];
        fprintf(f, "    {%zu, %d, {%zu, %zu, %zu}, {%d, %d, %d}, \"%s\"},\n",
                k->offset, k->rank, k->shape[0], k->shape[1], k->shape[2],
                k->base[0], k->base[1], k->base[2], k->name);
    }
    fprintf(f, "    {0, 0, {1, 1, 1}, {0, 0, 0}, 0}\n};\n");
}

static const char driver_top[] =
"/* driver.c: generated by gradcheck grade; calls the submission at each\n"
" * point and writes the results to fd 3. */\n"
"#include \"gradcheck_submission.h\"\n"
"#include <stdint.h>\n"
"#include <string.h>\n"
"#include <unistd.h>\n"
"\n"
"void *__real_malloc(size_t);\n"
"void *__real_calloc(size_t, size_t);\n"
"void *__real_realloc(void *, size_t);\n"
"\n"
"/* a failed allocation is the verdict \"out of memory\" */\n"
"static void gcs_oom_(void)\n"
"{\n"
"    static const char m[8] = \"GCSOOM\\n\";\n"
"    ssize_t w = write(3, m, sizeof m);\n"
"    (void)w;\n"
"    _exit(86);\n"
"}\n"
"void *__wrap_malloc(size_t n)\n"
"{ void *p = __real_malloc(n); if (!p && n) gcs_oom_(); return p; }\n"
"void *__wrap_calloc(size_t a, size_t b)\n"
"{ void *p = __real_calloc(a, b); if (!p && a && b) gcs_oom_(); return p; }\n"
"void *__wrap_realloc(void *q, size_t n)\n"
"{ void *p = __real_realloc(q, n); if (!p && n) gcs_oom_(); return p; }\n"
"\n"
"typedef struct {\n"
"    size_t off;\n"
"    int rank;\n"
"    long shape[3], base[3];\n"
"    const char *name;\n"
"} gcs_block_;\n"
"\n"
"static void put_(const void *p, size_t n)\n"
"{\n"
"    const char *c = p;\n"
"    while (n) {\n"
"        ssize_t w = write(3, c, n);\n"
"        if (w <= 0) _exit(87);\n"
"        c += w;\n"
"        n -= (size_t)w;\n"
"    }\n"
"}\n"
"\n"
"static gcs_const in_(const gcs_block_ *b, const double *base)\n"
"{\n"
"    gcs_const a = {base + b->off, b->rank, {b->shape[0], b->shape[1],\n"
"                   b->shape[2]}, {b->base[0], b->base[1], b->base[2]},\n"
"                   b->name};\n"
"    return a;\n"
"}\n"
"\n"
"static gcs_array out_(const gcs_block_ *b, double *base)\n"
"{\n"
"    gcs_array a = {base + b->off, b->rank, {b->shape[0], b->shape[1],\n"
"                   b->shape[2]}, {b->base[0], b->base[1], b->base[2]},\n"
"                   b->name};\n"
"    return a;\n"
"}\n";

static int write_driver(const char *path, const gc_problem *p)
{
    FILE *f = fopen(path, "w");
    if (!f) return GC_EIO;
    const gc_model_type *m = p->model;
    const gc_layout *L = &p->layout;
    member_names mn;
    names_of(m, L, &mn);
    fputs(driver_top, f);
    block_table(f, "P_", &L->params);
    block_table(f, "I_", &L->inputs);
    block_table(f, "Q_", &L->quantities);
    size_t np = L->params.n, ni = L->inputs.n, nq = L->quantities.n;
    fprintf(f,
"\nint main(int argc, char **argv)\n"
"{\n"
"    enum { NP = %zu, NI = %zu, NQ = %zu };\n"
"    FILE *f = argc > 1 ? fopen(argv[1], \"rb\") : NULL;\n"
"    char magic[8];\n"
"    uint64_t hdr[4];\n"
"    if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, \"GCSIN001\", 8) ||\n"
"        fread(hdr, sizeof hdr, 1, f) != 1 || hdr[1] != NP || hdr[2] != NI ||\n"
"        hdr[3] != NQ)\n"
"        return 88;\n"
"    /* every point read and the file closed before the submission runs:\n"
"     * it finds nothing open but fds 0-3 */\n"
"    static double inputs[NI + 1], out[NP + NQ + 1];\n"
"    if (NI && fread(inputs, sizeof(double), NI, f) != NI) return 88;\n"
"    if (hdr[0] > 1000000) return 88;\n"
"    double *all = calloc((size_t)hdr[0] * (NP + NQ) + 1, sizeof(double));\n"
"    if (!all || fread(all, sizeof(double), (size_t)hdr[0] * (NP + NQ), f) !=\n"
"        (size_t)hdr[0] * (NP + NQ))\n"
"        return 88;\n"
"    fclose(f);\n"
"    put_(\"GCSR\", 4);\n"
"    put_(&hdr[0], sizeof hdr[0]);\n"
"    for (uint64_t pt = 0; pt < hdr[0]; pt++) {\n"
"        const double *theta = all + pt * (NP + NQ), *q = theta + NP;\n"
"        %s_in in;\n"
"        %s_grad d;\n"
"        memset(&in, 0, sizeof in);\n"
"        memset(&d, 0, sizeof d);\n",
            np, ni, nq, m->name, m->name);
    for (int i = 0; m->dims[i].name; i++)
        fprintf(f, "        in.%s = %ld;\n", mn.dim[i], p->dims[i]);
    const gc_blocks *fam[3] = {&L->params, &L->inputs, &L->quantities};
    static const char *const tab[3] = {"P_", "I_", "Q_"};
    static const char *const src[3] = {"theta", "inputs", "q"};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < fam[k]->n_blocks; i++)
            fprintf(f, "        in.%s = in_(&%s[%zu], %s);\n", mn.in[k][i],
                    tab[k], i, src[k]);
    fprintf(f, "        for (size_t k = 0; k < NP; k++) out[k] = 0;\n"
               "        for (size_t k = 0; k < NQ; k++) out[NP + k] = NAN;\n");
    for (size_t i = 0; i < L->params.n_blocks; i++)
        fprintf(f, "        d.%s = out_(&P_[%zu], out);\n", mn.out[0][i], i);
    for (size_t i = 0; i < L->quantities.n_blocks; i++)
        fprintf(f, "        d.%s = out_(&Q_[%zu], out + NP);\n", mn.out[1][i],
                i);
    fprintf(f,
"        %s_gradient(&in, &d);\n"
"        put_(\"GCSP\", 4);\n"
"        put_(out, (NP + NQ) * sizeof(double));\n"
"    }\n"
"    put_(\"GCSE\", 4);\n"
"    free(all);\n"
"    return 0;\n"
"}\n", m->name);
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    return bad ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ running */

const char *const gc_csub_cflags[] = {
    "-std=gnu11", "-O2", "-fno-common", "-fno-builtin-malloc",
    "-fno-builtin-calloc", "-fno-builtin-realloc", NULL
};
const char *const gc_csub_ldflags[] = {
    "-lm", "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc", NULL
};

const gc_sandbox_limits gc_csub_run_limits = {
    .cpu_seconds = 5, .wall_seconds = 10, .memory_bytes = (size_t)256 << 20,
    .file_bytes = (size_t)1 << 20, .result_bytes = (size_t)64 << 20,
    .log_bytes = 4096, .no_fork = 1,
};
const gc_sandbox_limits gc_csub_compile_limits = {
    .cpu_seconds = 60, .wall_seconds = 120, .memory_bytes = (size_t)2 << 30,
    .file_bytes = (size_t)256 << 20, .result_bytes = 0, .log_bytes = 8192,
    .no_fork = 0,
};

static int write_input(const char *path, const gc_problem *p,
                       double *const *theta, double *const *q, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return GC_EIO;
    uint64_t hdr[4] = {n, p->layout.params.n, p->layout.inputs.n,
                       p->layout.quantities.n};
    fwrite("GCSIN001", 1, 8, f);
    fwrite(hdr, sizeof hdr, 1, f);
    fwrite(p->inputs, sizeof(double), p->layout.inputs.n, f);
    for (size_t i = 0; i < n; i++) {
        fwrite(theta[i], sizeof(double), p->layout.params.n, f);
        fwrite(q[i], sizeof(double), p->layout.quantities.n, f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    return bad ? GC_EIO : GC_OK;
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", dir, name);
    return s;
}

/* Everything in the folder dfd (links removed, never followed), a few
 * levels deep: what the grader wrote, the compiler's output (a ccache
 * folder under HOME=/box), whatever a trusted program left. */
static void empty_dir(int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0 || depth >= 16) continue;
        int sub = openat(dirfd(d), e->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) continue;
        empty_dir(sub, depth + 1);
        unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

/* The scratch folder with everything in it, and its parent. */
static void remove_dirs(const char *top, const char *box)
{
    int fd = open(box, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) empty_dir(fd, 0);
    rmdir(box);
    rmdir(top);
}

/* The most bytes of a C submission copied (a source file is far smaller). */
#define SOURCE_MAX ((off_t)16 << 20)

/* The submission, copied into the scratch folder: the compiler sees it and
 * nothing beside it.  It is read here, outside the sandbox, so only as a
 * regular file, not through a symbolic link (a link in a student's zip
 * could name the answer key), and not beyond SOURCE_MAX.  GC_EINVAL with
 * *why for the student, GC_EIO for the grader's trouble. */
static int copy_file(const char *from, const char *to, const char **why)
{
    *why = "cannot read the submission";
    int fd = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    memset(&st, 0, sizeof st);
    if (fd < 0 && errno == ELOOP)
        *why = "cannot read the submission: it is a symbolic link (C "
               "submissions are read as regular files only)";
    if (fd < 0) return GC_EINVAL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SOURCE_MAX) {
        if (S_ISREG(st.st_mode))
            *why = "cannot read the submission: larger than 16 MiB";
        else
            *why = "cannot read the submission: not a regular file";
        close(fd);
        return GC_EINVAL;
    }
    FILE *in = fdopen(fd, "rb");
    if (!in) {
        close(fd);
        return GC_EIO;
    }
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return GC_EIO;
    }
    char buf[16384];
    size_t n;
    off_t total = 0;
    int bad = 0;
    while (!bad && total <= SOURCE_MAX &&
           (n = fread(buf, 1, sizeof buf, in)) > 0) {
        bad = fwrite(buf, 1, n, out) != n;
        total += (off_t)n;
    }
    bad |= ferror(in) || total > SOURCE_MAX;
    fclose(in);
    if (fclose(out) != 0) bad = 1;
    return bad ? GC_EIO : GC_OK;
}

/* The compiler's messages, shortened: the temporary folder is noise, and
 * the submission is named as the grader was given it. */
static void set_message(char **msg, const char *head, const char *log,
                        const char *tmpdir, const char *abs,
                        const char *given)
{
    size_t ga = abs ? strlen(abs) : 0, gg = given ? strlen(given) : 0;
    size_t cap = strlen(head) + (log ? strlen(log) : 0) + 4;
    if (log && gg > ga) cap += (gg - ga) * (strlen(log) / (ga ? ga : 1) + 1);
    char *m = malloc(cap);
    if (!m) return;
    snprintf(m, cap, "%s%s", head, log && *log ? "\n" : "");
    if (log) {
        size_t l = strlen(m), td = strlen(tmpdir);
        for (const char *s = log; *s && l + 1 < cap;) {
            /* the submission first: its copy is in the folder */
            if (ga && strncmp(s, abs, ga) == 0 && l + gg + 1 < cap) {
                memcpy(m + l, given, gg);
                l += gg;
                s += ga;
                continue;
            }
            if (td && strncmp(s, tmpdir, td) == 0 && s[td] == '/') {
                s += td + 1;
                continue;
            }
            m[l++] = *s++;
        }
        while (l && (m[l - 1] == '\n' || m[l - 1] == ' ')) l--;
        m[l] = 0;
    }
    free(*msg);
    *msg = m;
}

void gc_csub_result_clear(gc_csub_result *r)
{
    if (!r) return;
    if (r->values)
        for (size_t i = 0; i < r->n_points; i++) free(r->values[i]);
    free(r->values);
    free(r->message);
    memset(r, 0, sizeof *r);
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Parse the fd-3 stream; returns 0 when it is complete. */
static int parse_results(const gc_sandbox_result *sr, size_t n, size_t nv,
                         gc_csub_result *out)
{
    const unsigned char *b = sr->result;
    size_t len = sr->result_len, at = 0;
    if (len >= 6 && memcmp(b, "GCSOOM", 6) == 0) return -2;
    if (len < 12 || memcmp(b, "GCSR", 4) || get_u64(b + 4) != n) return -1;
    at = 12;
    for (size_t i = 0; i < n; i++) {
        if (len - at >= 6 && memcmp(b + at, "GCSOOM", 6) == 0) return -2;
        if (len - at < 4 + nv * sizeof(double) || memcmp(b + at, "GCSP", 4))
            return -1;
        memcpy(out->values[i], b + at + 4, nv * sizeof(double));
        at += 4 + nv * sizeof(double);
    }
    if (len - at >= 6 && memcmp(b + at, "GCSOOM", 6) == 0) return -2;
    if (len - at != 4 || memcmp(b + at, "GCSE", 4)) return -1;
    return 0;
}

/* The compiler's environment when isolated: never the grader's (which may
 * hold tokens, and points at folders the sandbox does not have). */
static char *const compile_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                    "LC_ALL=C", "TMPDIR=/tmp", "HOME=/box",
                                    NULL};

/* C submissions are refused, with the cause and the way out. */
static void not_run(gc_csub_result *out, const char *cause)
{
    char head[700];
    out->verdict = GC_GRADE_NOT_RUN;
    snprintf(head, sizeof head, "not run: cannot be isolated on this machine "
             "(%s). The sandbox needs user namespaces (as root, or allowed "
             "to this user) and seccomp filters (docs/grading.md, \"The "
             "sandbox\"); for submissions you trust, --trust-submissions "
             "runs them with resource limits only", cause);
    set_message(&out->message, head, NULL, "", NULL, NULL);
}

/* Compile the submission (where/submission.c, where being how the program
 * sees the scratch folder box) with the driver into where/submission, in
 * the sandbox with the compile limits.  GC_OK with out->verdict
 * GC_GRADE_COMPILE (and the compiler's message) when it does not compile,
 * GC_GRADE_NOT_RUN when it cannot be isolated, or GC_GRADE_AGREE when it
 * compiles; GC_ENOTFOUND when the compiler cannot be run (the grader's
 * trouble). */
static int compile_submission(const char *box, const char *where,
                              gc_sandbox_mode mode, const char *source,
                              const gc_csub_options *o, gc_csub_result *out)
{
    gc_sandbox_result sr;
    memset(&sr, 0, sizeof sr);
    int st = GC_ENOMEM;
    const char *cc = o && o->cc ? o->cc : getenv("GRADCHECK_CC");
    if (!cc || !*cc) cc = "cc";
    char *hpath = path_in(where, "gradcheck_submission.h");
    char *dpath = path_in(where, "driver.c");
    char *xpath = path_in(where, "submission");
    char *spath = path_in(where, "submission.c");
    if (!hpath || !dpath || !xpath || !spath) goto done;
    char ipath_flag[4300];
    snprintf(ipath_flag, sizeof ipath_flag, "-I%s", where);
    const char *argv[32];
    int a = 0;
    argv[a++] = cc;
    for (int i = 0; gc_csub_cflags[i]; i++) argv[a++] = gc_csub_cflags[i];
    argv[a++] = ipath_flag;
    /* the header for the case's shape comes first, so that a copy of the
     * installed one beside the submission (its include guard then already
     * defined) cannot disagree with the driver */
    argv[a++] = "-include";
    argv[a++] = hpath;
    argv[a++] = "-o";
    argv[a++] = xpath;
    argv[a++] = spath;
    argv[a++] = dpath;
    for (int i = 0; gc_csub_ldflags[i]; i++) argv[a++] = gc_csub_ldflags[i];
    argv[a] = NULL;
    const gc_sandbox_limits *cl = o && o->compile ? o->compile
                                                  : &gc_csub_compile_limits;
    if ((st = gc_sandbox_run((char *const *)argv,
                             mode == GC_SANDBOX_TRUSTED ? NULL : compile_env,
                             box, cl, mode, 0, &sr)))
        goto done;
    out->compile_seconds = sr.wall;
    if (sr.unavailable[0]) {
        not_run(out, sr.unavailable);
        goto done;
    }
    if (sr.exited && sr.status == 127 && sr.log &&
        strstr(sr.log, "gradcheck: cannot run the program")) {
        /* no compiler: the grader's trouble, not the student's */
        char head[400];
        snprintf(head, sizeof head, "the C compiler \"%s\" cannot be run "
                 "(choose one with --cc or GRADCHECK_CC%s)", cc,
                 mode == GC_SANDBOX_TRUSTED ? "" : "; the sandbox has the "
                 "system's /usr, /bin and /lib only");
        set_message(&out->message, head, NULL, where, NULL, NULL);
        st = GC_ENOTFOUND;
        goto done;
    }
    if (!sr.exited || sr.status != 0) {
        out->verdict = GC_GRADE_COMPILE;
        set_message(&out->message, sr.timed_out || sr.cpu_exceeded
                    ? "the compiler did not finish within its time limit"
                    : "does not compile:", sr.log, where, spath, source);
        goto done;
    }
    out->verdict = GC_GRADE_AGREE;
done:
    gc_sandbox_result_clear(&sr);
    free(hpath);
    free(dpath);
    free(xpath);
    free(spath);
    return st;
}

/* The verdict of a run from what the sandbox saw: out of memory (the
 * driver's marker), timeout, a signal, results missing, or ran (its values
 * are then checked by the grader). */
static void judge_run(const gc_sandbox_result *sr, size_t n_points,
                      size_t nv, const gc_sandbox_limits *rl, const char *dir,
                      const char *src_abs, const char *source,
                      gc_csub_result *out)
{
    int parsed = parse_results(sr, n_points, nv, out);
    char head[400];
    if (sr->unavailable[0]) {
        not_run(out, sr->unavailable);
    } else if (sr->refused) {
        out->verdict = GC_GRADE_CRASHED;
        snprintf(out->detail, sizeof out->detail, "refused system call");
        set_message(&out->message, "crashed: refused system call: the program "
                    "may compute, read its input and print; the sandbox ends "
                    "it for anything else (network, processes, signals to "
                    "others, running programs, ptrace, mount)", sr->log, dir,
                    src_abs, source);
    } else if (parsed == -2) {
        out->verdict = GC_GRADE_OOM;
        snprintf(head, sizeof head, "out of memory: an allocation failed "
                 "beyond the limit of %zu MiB", rl->memory_bytes >> 20);
        set_message(&out->message, head, NULL, dir, NULL, NULL);
    } else if (sr->timed_out || sr->cpu_exceeded) {
        out->verdict = GC_GRADE_TIMEOUT;
        snprintf(head, sizeof head, "timeout: did not finish within %g s of "
                 "CPU time (%g s wall clock); an endless loop?",
                 rl->cpu_seconds, rl->wall_seconds);
        set_message(&out->message, head, NULL, dir, NULL, NULL);
    } else if (sr->signal) {
        out->verdict = GC_GRADE_CRASHED;
        snprintf(out->detail, sizeof out->detail, "%s",
                 gc_signal_name(sr->signal));
        const char *why = sr->signal == 11 ? " (an array index out of range "
                                            "or a bad pointer)"
                        : sr->signal == 6 ? " (abort: see the message)"
                        : sr->signal == 8 ? " (arithmetic: integer division "
                                           "by zero?)" : "";
        snprintf(head, sizeof head, "crashed: %s%s",
                 gc_signal_name(sr->signal), why);
        set_message(&out->message, head, sr->log, dir, src_abs, source);
    } else if (parsed != 0) {
        out->verdict = GC_GRADE_CRASHED;
        if (sr->exited)
            snprintf(out->detail, sizeof out->detail, "exit %d", sr->status);
        snprintf(head, sizeof head, "crashed: the program %s before giving "
                 "every result", sr->exited ? "exited" : "stopped");
        set_message(&out->message, head, sr->log, dir, src_abs, source);
    } else {
        out->verdict = GC_GRADE_AGREE;     /* ran: the values are checked */
        if (sr->log && *sr->log)
            set_message(&out->message, "its output:", sr->log, dir, src_abs,
                        source);
    }
}

int gc_csub_run(const gc_problem *p, const char *source,
                double *const *theta, double *const *q, size_t n_points,
                const gc_csub_options *o, gc_csub_result *out)
{
    memset(out, 0, sizeof *out);
    out->n_points = n_points;
    size_t nv = p->layout.params.n + p->layout.quantities.n;
    out->values = calloc(n_points ? n_points : 1, sizeof *out->values);
    if (!out->values) return GC_ENOMEM;
    for (size_t i = 0; i < n_points; i++)
        if (!(out->values[i] = malloc((nv ? nv : 1) * sizeof(double))))
            return GC_ENOMEM;
    const gc_block *wide = beyond_c(&p->layout);
    if (wide) {
        char why[160];
        snprintf(why, sizeof why, "%s has %d axes and a C submission's "
                 "arrays at most 3: this network is graded from formula "
                 "submissions only", wide->name, wide->rank);
        out->verdict = GC_GRADE_INVALID;
        out->message = strdup(why);
        return out->message ? GC_OK : GC_ENOMEM;
    }

    gc_sandbox_mode mode = o && o->trusted ? GC_SANDBOX_TRUSTED
                                           : GC_SANDBOX_COMPILE;
    const char *tmp = getenv("TMPDIR");
    char top[4096], box[4200];
    snprintf(top, sizeof top, "%s/gradcheck-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(top)) return GC_EIO;
    snprintf(box, sizeof box, "%s/box", top);
    if (mkdir(box, 0700) != 0) {
        rmdir(top);
        return GC_EIO;
    }
    /* how the compiler and the program name the scratch folder */
    const char *where = mode == GC_SANDBOX_TRUSTED ? box : GC_SANDBOX_BOX;
    char *hpath = path_in(box, "gradcheck_submission.h");
    char *dpath = path_in(box, "driver.c");
    char *ipath = path_in(box, "input.bin");
    char *spath = path_in(box, "submission.c");
    char *xin = path_in(where, "submission");
    char *iin = path_in(where, "input.bin");
    char *sin = path_in(where, "submission.c");
    int st = GC_ENOMEM;
    gc_sandbox_result sr;
    memset(&sr, 0, sizeof sr);
    if (!hpath || !dpath || !ipath || !spath || !xin || !iin || !sin)
        goto done;
    const char *why = NULL;
    if ((st = copy_file(source, spath, &why)) == GC_EINVAL) {
        out->verdict = GC_GRADE_COMPILE;
        set_message(&out->message, why, NULL, where, NULL, NULL);
        st = GC_OK;
        goto done;
    }
    if (st) goto done;
    st = GC_EIO;
    FILE *h = fopen(hpath, "w");
    if (!h) goto done;
    int hs = gc_csub_header(h, p);
    if (fclose(h) != 0 || hs) goto done;
    if (write_driver(dpath, p)) goto done;
    if (write_input(ipath, p, theta, q, n_points)) goto done;

    int cs = compile_submission(box, where, mode, source, o, out);
    if (cs || out->verdict != GC_GRADE_AGREE) {
        st = cs;
        goto done;
    }

    /* run */
    char *rargv[] = {xin, iin, NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
    const gc_sandbox_limits *rl = o && o->run ? o->run : &gc_csub_run_limits;
    if ((st = gc_sandbox_run(rargv, envp, box, rl,
                             mode == GC_SANDBOX_TRUSTED ? GC_SANDBOX_TRUSTED
                                                        : GC_SANDBOX_RUN,
                             1, &sr)))
        goto done;
    out->run_seconds = sr.wall;
    judge_run(&sr, n_points, nv, rl, where, sin, source, out);
    st = GC_OK;
done:
    gc_sandbox_result_clear(&sr);
    if (!(o && o->keep_dir)) remove_dirs(top, box);
    free(hpath);
    free(dpath);
    free(ipath);
    free(spath);
    free(xin);
    free(iin);
    free(sin);
    return st;
}
