/* test_grade.c: grading submissions.  The homework of
 * tests/grade/cnn1d_homework.yaml (dL/dw 2 points, dL/dv 3, dL/dh 1) and
 * its twenty submissions in tests/grade/homework/: right answers, subtly
 * wrong ones (one factor missing in one entry), one right only at the
 * case's own point, broken formulas, and C submissions that crash, loop
 * forever, allocate without bound or do not compile, all graded in one
 * batch with the scores the math gives.  Also: the sandbox (no inherited
 * descriptors), kinks not counted, the gradebook files, the case's
 * grading: section, and the installed C header being current. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gradcheck.h"
#include "fx/fx.h"
#include "testutil.h"

static gc_case *load(const char *rel)
{
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(tu_path(rel), &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld: %s", err.file, err.line, err.msg);
    return c;
}

static gc_grade_options quick(void)
{
    gc_grade_options o = gc_grade_options_default();
    o.run.cpu_seconds = 1;      /* the endless loop costs one second */
    o.run.wall_seconds = 5;
    return o;
}

static gc_grade_report *grade(gc_case *c, const char *path,
                              const gc_grade_options *o)
{
    char *args[1] = {(char *)path};
    gc_grade_report *r = NULL;
    gc_error err;
    int st = gc_grade(c, args, 1, o, &r, &err);
    ck_assert_msg(st == GC_OK, "%s: %s", err.file, err.msg);
    return r;
}

static const gc_grade_result *sub(const gc_grade_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_subs; i++)
        if (strcmp(r->subs[i].sub->id, id) == 0) return &r->subs[i];
    ck_abort_msg("no submission %s", id);
    return NULL;
}

static const gc_grade_item *item(const gc_grade_result *s, const char *key)
{
    for (size_t i = 0; i < s->n_items; i++)
        if (strcmp(s->items[i].target.key, key) == 0) return &s->items[i];
    ck_abort_msg("%s has no answer %s", s->sub->id, key);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

START_TEST(grade_twenty_submissions_in_one_batch)
{
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    double t0 = now();
    gc_grade_report *r = grade(c, tu_path("tests/grade/homework"), &o);
    double t = now() - t0;
    ck_assert_int_eq(r->n_subs, 20);
    ck_assert_int_eq(r->n_points, 5);          /* grading: points: 4 */
    ck_assert_int_eq(r->n_keys, 3);
    ck_assert_str_eq(r->keys[0].key, "dL/dw");
    ck_assert_str_eq(r->keys[1].key, "dL/dv");
    ck_assert_str_eq(r->keys[2].key, "dL/dh");
    ck_assert_double_eq(r->max_score, 6);
    /* every file's own expect: lines (verdicts and totals) hold */
    for (size_t i = 0; i < r->n_subs; i++)
        ck_assert_msg(r->subs[i].unmet == 0, "%s: %s", r->subs[i].sub->id,
                      r->subs[i].unmet_text);

    /* right: full points */
    ck_assert_double_eq(sub(r, "alice")->score, 6);
    ck_assert_double_eq(sub(r, "leo")->score, 6);      /* in C */
    /* one factor missing in one entry: dL/dv[3] wrong at every point,
     * dL/dv[1] and [2] right */
    const gc_grade_item *it = item(sub(r, "ken"), "dL/dv");
    ck_assert_int_eq(it->verdict, GC_GRADE_DISAGREE);
    ck_assert_int_eq(it->counts[GC_DISAGREE], r->n_points);
    ck_assert_int_eq(it->checks, 3 * r->n_points);
    ck_assert_ptr_nonnull(strstr(it->message, "dL/dv[3]"));
    ck_assert_double_eq(sub(r, "ken")->score, 3);
    /* right at the case's own point only (the factor 2 v_1 = 1 there) */
    it = item(sub(r, "judy"), "dL/dw");
    ck_assert_int_eq(it->verdict, GC_GRADE_DISAGREE);
    ck_assert_int_ge(it->bad_point, 1);
    ck_assert_ptr_nonnull(strstr(it->message, "only coincides there"));
    /* broken formulas: invalid with the position */
    it = item(sub(r, "erin"), "dL/dv");
    ck_assert_int_eq(it->verdict, GC_GRADE_INVALID);
    ck_assert_ptr_nonnull(strstr(it->message, "line 8, column"));
    it = item(sub(r, "frank"), "dL/dw");
    ck_assert_ptr_nonnull(strstr(it->message, "unknown function \"sigmaprime\""));
    it = item(sub(r, "grace"), "dL/dw");
    ck_assert_ptr_nonnull(strstr(it->message, "gives a scalar where dL/dw "
                                 "needs a vector of 4 entries"));
    it = item(sub(r, "heidi"), "dL/dh");
    ck_assert_ptr_nonnull(strstr(it->message, "evaluates to NaN"));
    it = item(sub(r, "rupert"), "dL/dv");
    ck_assert_ptr_nonnull(strstr(it->message, "GC_FX_MAX_DEPTH"));
    ck_assert_int_eq(item(sub(r, "ivan"), "dL/dh")->verdict,
                     GC_GRADE_MISSING);
    /* C submissions that misbehave: each its verdict, the batch goes on */
    it = item(sub(r, "mallory"), "dL/dv");
    ck_assert_int_eq(it->verdict, GC_GRADE_CRASHED);
    ck_assert_str_eq(it->detail, "SIGSEGV");
    ck_assert_int_eq(item(sub(r, "nina"), "dL/dw")->verdict,
                     GC_GRADE_TIMEOUT);
    ck_assert_int_eq(item(sub(r, "oscar"), "dL/dw")->verdict, GC_GRADE_OOM);
    it = item(sub(r, "peggy"), "dL/dh");
    ck_assert_int_eq(it->verdict, GC_GRADE_COMPILE);
    ck_assert_ptr_nonnull(strstr(it->message, "undeclared_thing"));
    /* an answer not asked for is graded but not scored */
    it = item(sub(r, "trent"), "dz/dw");
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_int_eq(it->graded, 0);
    ck_assert_double_eq(sub(r, "trent")->score, 6);
    /* scores add up: 6+6+3+0+3+4+4+5+5+4+3+6+0+0+0+0+0+3+0+6 */
    double total = 0;
    for (size_t i = 0; i < r->n_subs; i++) total += r->subs[i].score;
    ck_assert_double_eq(total, 58);
    /* 5 compilations and one 1-second timeout */
    ck_assert_msg(t < 30, "grading took %.1f s", t);
    gc_grade_report_free(r);
    gc_case_free(c);
}
END_TEST

/* A folder of its own holding copies of the given files. */
static char *folder_with(const char *const *rel, size_t n)
{
    char *dir = strdup("/tmp/gradcheck-grade-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < n; i++) {
        FILE *in = fopen(tu_path(rel[i]), "rb");
        ck_assert_ptr_nonnull(in);
        const char *base = strrchr(rel[i], '/') + 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, base);
        FILE *out = fopen(path, "wb");
        ck_assert_ptr_nonnull(out);
        char buf[8192];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, k, out);
        fclose(in);
        fclose(out);
    }
    return dir;
}

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(grade_c_sandbox_inherits_nothing)
{
    /* descriptors the grader holds open (no close-on-exec) must not reach
     * the submission */
    int extra[5];
    for (int i = 0; i < 5; i++) extra[i] = open("/dev/null", O_RDONLY);
    static const char *const files[] = {"tests/grade/c/fd_check.c",
                                        "tests/grade/c/out_of_range.c",
                                        "tests/grade/c/prints.c"};
    char *dir = folder_with(files, 3);
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, dir, &o);
    const gc_grade_item *it = item(sub(r, "fd_check"), "dL/dw");
    ck_assert_msg(it->verdict == GC_GRADE_AGREE, "%s", it->message);
    /* an index out of range stops with the array's name and range */
    it = item(sub(r, "out_of_range"), "dL/dv");
    ck_assert_int_eq(it->verdict, GC_GRADE_CRASHED);
    ck_assert_str_eq(it->detail, "SIGABRT");
    ck_assert_ptr_nonnull(strstr(it->message, "x: index 7 out of range 1..6"));
    /* output is kept as a note; dL/dh left NaN is simply not given */
    const gc_grade_result *p = sub(r, "prints");
    ck_assert_double_eq(p->score, 5);
    ck_assert_int_eq(item(p, "dL/dh")->verdict, GC_GRADE_MISSING);
    ck_assert_ptr_nonnull(p->notes);
    ck_assert_ptr_nonnull(strstr(p->notes, "dL/ds = "));
    gc_grade_report_free(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
    for (int i = 0; i < 5; i++) close(extra[i]);
}
END_TEST

START_TEST(grade_kinks_do_not_count_against_the_answer)
{
    /* max pooling at a tie: the one-hot gradient agrees everywhere but at
     * the tie, where the loss has no derivative */
    gc_case *c = load("cases/maxpool_001_5_5_tie.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, tu_path("cases/submissions/"
                                          "maxpool_001_5_5_tie"), &o);
    const gc_grade_item *it = &r->subs[0].items[0];
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_int_gt(it->counts[GC_KINK], 0);
    ck_assert_ptr_nonnull(strstr(it->message, "at a kink"));
    ck_assert_double_eq(r->subs[0].score, 1);
    gc_grade_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(grade_the_seeds_answers)
{
    /* every folder of cases/submissions graded against its case: the
     * verdicts written in each file's expect: lines */
    static const char *const cases[] = {
        "cnn1d_000_p3", "swish_001_4_4", "shared_chain_004_q2_e",
        "relu3_reg_002_1_1_1", "tanh_sig_bce_002_1_1_2b", "jac_comp_002_1_2e",
        "tanh_net_004_q1", "sigmoid_chain_000_p2_explode", NULL};
    for (int i = 0; cases[i]; i++) {
        char cp[256], sp[256];
        snprintf(cp, sizeof cp, "cases/%s.yaml", cases[i]);
        snprintf(sp, sizeof sp, "cases/submissions/%s", cases[i]);
        gc_case *c = load(cp);
        gc_grade_options o = quick();
        gc_grade_report *r = grade(c, tu_path(sp), &o);
        for (size_t s = 0; s < r->n_subs; s++)
            ck_assert_msg(r->subs[s].unmet == 0, "%s/%s: %s", cases[i],
                          r->subs[s].sub->id, r->subs[s].unmet_text);
        gc_grade_report_free(r);
        gc_case_free(c);
    }
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *b = calloc(1 << 20, 1);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

START_TEST(grade_gradebook_csv_and_results_json)
{
    static const char *const files[] = {
        "tests/grade/homework/s01_alice.txt", "tests/grade/homework/s03_carol.txt",
        "tests/grade/homework/s09_ivan.txt", "tests/grade/homework/s20_trent.txt"};
    char *dir = folder_with(files, 4);
    char csv[4200], res[4200], path[4300];
    /* an id a spreadsheet would take for a formula */
    snprintf(path, sizeof path, "%s/evil.txt", dir);
    FILE *ef = fopen(path, "w");
    fputs("id: =1+1\ndL/dw = h\n", ef);
    fclose(ef);
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, dir, &o);
    snprintf(csv, sizeof csv, "%s/book.csv", dir);
    snprintf(res, sizeof res, "%s/results", dir);
    ck_assert_int_eq(gc_grade_write_csv(csv, r), GC_OK);
    gc_error err;
    ck_assert_int_eq(gc_grade_write_results(res, r, &err), GC_OK);
    char *t = slurp(csv);
    /* each answer's points in the header, its message after total, max */
    ck_assert_ptr_nonnull(strstr(t, "id,file,dL/dw verdict,dL/dw score (of 2),"
                                 "dL/dv verdict,dL/dv score (of 3),dL/dh "
                                 "verdict,dL/dh score (of 1),total,max,dL/dw "
                                 "message,dL/dv message,dL/dh message\r\n"));
    ck_assert_ptr_nonnull(strstr(t, "\r\ncarol,"));
    ck_assert_ptr_nonnull(strstr(t, ",agree,2,disagree,0,agree,1,3,6,right: "));
    ck_assert_ptr_nonnull(strstr(t, ",agree,2,agree,3,missing,0,5,6,right: "));
    ck_assert_ptr_nonnull(strstr(t, ",no answer for dL/dh\r\n"));
    ck_assert_ptr_nonnull(strstr(t, "\r\n'=1+1,"));   /* not a formula */
    free(t);
    /* one results.json per submission, Gradescope's fields */
    snprintf(path, sizeof path, "%s/ivan/results.json", res);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    ck_assert_double_eq(json_real_value(json_object_get(j, "score")), 5);
    json_t *tests = json_object_get(j, "tests");
    ck_assert_int_eq(json_array_size(tests), 3);
    json_t *t2 = json_array_get(tests, 2);
    ck_assert_str_eq(json_string_value(json_object_get(t2, "name")), "dL/dh");
    ck_assert_double_eq(json_real_value(json_object_get(t2, "max_score")), 1);
    ck_assert_double_eq(json_real_value(json_object_get(t2, "score")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t2, "visibility")),
                     "visible");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(t2,
                                 "output")), "no answer for dL/dh"));
    json_decref(j);
    snprintf(path, sizeof path, "%s/trent/results.json", res);
    j = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(j);
    tests = json_object_get(j, "tests");        /* dz/dw, not asked: 0 of 0 */
    ck_assert_int_eq(json_array_size(tests), 4);
    ck_assert_double_eq(json_real_value(json_object_get(
        json_array_get(tests, 3), "max_score")), 0);
    json_decref(j);
    /* no temporary files left behind */
    snprintf(path, sizeof path, "ls -A '%s' '%s/alice' | grep -c '[.]tmp'",
             dir, res);
    FILE *p = popen(path, "r");
    int n = -1;
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    ck_assert_int_eq(n, 0);
    /* a gradebook that cannot be written is an error, not a partial file */
    ck_assert_int_ne(gc_grade_write_csv("/nonexistent/dir/book.csv", r), GC_OK);
    gc_grade_report_free(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(grade_submission_files_that_cannot_be_read)
{
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    char *dir = folder_with(NULL, 0);
    char path[4200];
    /* NUL bytes, an unknown header, an expectation the grading misses */
    snprintf(path, sizeof path, "%s/binary.txt", dir);
    FILE *f = fopen(path, "wb");
    fwrite("dL/dw = 1\0\0\xff", 1, 12, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/header.txt", dir);
    f = fopen(path, "w");
    fputs("student_name: x\ndL/dw = h\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/wrong_expect.txt", dir);
    f = fopen(path, "w");
    fputs("expect: dL/dw disagree\ns = sum(w * h)\n"
          "dL/dw = 2(z - y) dsigmoid(s) h\n", f);
    fclose(f);
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, dir, &o);
    ck_assert_int_eq(r->n_subs, 3);
    const gc_grade_item *it = item(sub(r, "binary"), "dL/dw");
    ck_assert_int_eq(it->verdict, GC_GRADE_INVALID);
    ck_assert_ptr_nonnull(strstr(it->message, "NUL bytes"));
    it = item(sub(r, "header"), "dL/dw");
    ck_assert_ptr_nonnull(strstr(it->message, "unknown header "
                                 "\"student_name:\""));
    ck_assert_int_eq(item(sub(r, "wrong_expect"), "dL/dw")->verdict,
                     GC_GRADE_AGREE);
    ck_assert_int_eq(r->unmet, 1);
    ck_assert_ptr_nonnull(strstr(sub(r, "wrong_expect")->unmet_text,
                                 "expected dL/dw disagree, graded agree"));
    gc_grade_report_free(r);
    /* nothing to grade is the caller's trouble */
    char *args[1] = {path};
    snprintf(path, sizeof path, "%s/nonexistent.txt", dir);
    gc_error err;
    ck_assert_int_eq(gc_grade(c, args, 1, &o, &r, &err), GC_ENOTFOUND);
    ck_assert_ptr_null(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(grade_case_grading_section_is_checked)
{
    static const char head[] =
        "name: t\nsource: {seed: s.txt, problem: P3}\nmodel: cnn1d_000_p3\n"
        "params: {v: [0.5, -0.3, 0.8], w: [0.4, -0.6, 0.9, 0.2]}\n"
        "inputs: {x: [1, -0.5, 0.3, 2, -1, 0.7], y: 1}\n"
        "derivations: {corrected: agree}\n";           /* 6 lines */
    static const struct { const char *tail; long line; const char *msg; }
    bad[] = {
        {"grading: {pts: 3}\n", 7, "grading: unknown key \"pts\""},
        {"grading:\n  formulas: {dL/dq: 1}\n", 8, "q is not a parameter or "
         "quantity"},
        {"grading:\n  formulas: {dL/dx: 1}\n", 8, "x is an input"},
        {"grading:\n  formulas: {dfoo/dw: 1}\n", 8, "foo is neither the "
         "loss"},
        {"grading:\n  formulas: {dL/dw: -1}\n", 8, "points >= 0"},
        {"grading:\n  formulas:\n    dL/dw[9]: 1\n", 9, "index 9 is out of "
         "range"},
        {"grading:\n  loss: [E]\n  formulas: {dL/dw: 1}\n", 9, "L is "
         "neither"},
        {"grading: {points: many}\n", 7, "grading.points"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", head, bad[i].tail);
        gc_case *c = NULL;
        gc_error err;
        ck_assert_int_ne(gc_case_load(tu_tmpfile(text), &c, &err), GC_OK);
        ck_assert_msg(err.line == bad[i].line && strstr(err.msg, bad[i].msg),
                      "case %zu: line %ld: %s", i, err.line, err.msg);
    }
    char text[1024];
    snprintf(text, sizeof text, "%sgrading:\n  loss: [E, e]\n  points: 2\n"
             "  formulas:\n    de/dw: 2\n    dE/dz: 0.5\n    dh[2]/dv: 1\n", head);
    gc_case *c = NULL;
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_tmpfile(text), &c, &err), GC_OK);
    ck_assert_ptr_nonnull(c->grading);
    ck_assert_int_eq(c->grading->points, 2);
    ck_assert_int_eq(c->grading->n_formulas, 3);
    ck_assert_str_eq(c->grading->formulas[0].key, "dE/dw");  /* canonical */
    ck_assert_str_eq(c->grading->formulas[1].key, "dE/dz");
    ck_assert_str_eq(c->grading->formulas[2].key, "dh[2]/dv");
    ck_assert_double_eq(c->grading->formulas[1].points, 0.5);
    gc_case_free(c);
}
END_TEST

/* The model sections of include/gradcheck_submission.h are the ones the
 * grader generates: the installed header cannot drift from the layouts.
 * A model missing from the file (added since) is not an error here. */
START_TEST(grade_c_header_is_current)
{
    char *file = slurp(tu_path("include/gradcheck_submission.h"));
    char *gen = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&gen, &len);
    ck_assert_int_eq(gc_csub_header(f, NULL), GC_OK);
    fclose(f);
    static const char mark[] = "\n/* ---- model ";
    /* the common part, up to the first model */
    char *fm = strstr(file, mark), *gm = strstr(gen, mark);
    ck_assert(fm && gm);
    ck_assert_msg(fm - file == gm - gen && !memcmp(file, gen, (size_t)(fm - file)),
                  "the preamble of include/gradcheck_submission.h is stale: "
                  "regenerate it with gradcheck grade --c-header");
    size_t checked = 0;
    for (char *s = fm; s; ) {
        char *next = strstr(s + 1, mark);
        char *end = next ? next : strstr(s, "\n#endif");
        ck_assert_ptr_nonnull(end);
        char name[64];
        ck_assert_int_eq(sscanf(s + strlen(mark), "%63[^:]", name), 1);
        char key[96];
        snprintf(key, sizeof key, "%s%s:", mark, name);
        char *g = strstr(gen, key);
        ck_assert_msg(g != NULL, "the header has a model %s the registry "
                      "does not", name);
        char *gend = strstr(g + 1, mark);
        if (!gend) gend = strstr(g, "\n#endif");
        ck_assert_msg(end - s == gend - g && !memcmp(s, g, (size_t)(end - s)),
                      "the section of model %s in include/gradcheck_"
                      "submission.h is stale: regenerate it with gradcheck "
                      "grade --c-header", name);
        checked++;
        s = next;
    }
    ck_assert_int_ge(checked, 16);
    free(gen);
    free(file);
}
END_TEST

/* ------------------------------------------------------------ issue 13 */

/* The tanh homework (tests/grade/tanh_homework.yaml) and its fourteen
 * submissions (tests/grade/tanh/): every file's expect: lines hold. */
static gc_grade_report *tanh_class(void)
{
    static gc_case *c;
    if (!c) c = load("tests/grade/tanh_homework.yaml");
    gc_grade_options o = quick();
    return grade(c, tu_path("tests/grade/tanh"), &o);
}

START_TEST(grade_tanh_homework_expectations)
{
    gc_grade_report *r = tanh_class();
    ck_assert_int_eq(r->n_subs, 14);
    ck_assert_int_eq(r->n_keys, 6);
    ck_assert_double_eq(r->max_score, 8);
    for (size_t i = 0; i < r->n_subs; i++)
        ck_assert_msg(r->subs[i].unmet == 0, "%s: %s", r->subs[i].sub->id,
                      r->subs[i].unmet_text);
    gc_grade_report_free(r);
}
END_TEST

START_TEST(grade_definitions_hide_dimensions_and_say_so)
{
    gc_grade_report *r = tanh_class();
    /* d3, d2, d1 are the layer sizes of the model and dana's deltas: hers
     * from their lines on, right, and the message says which names are
     * hers */
    const gc_grade_item *it = item(sub(r, "dana"), "de/dW1");
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_ptr_nonnull(strstr(it->message, "d1 is your definition on "
                                 "line 10, not the model's dimension d1 = 2"));
    ck_assert_double_eq(sub(r, "dana")->score, 8);
    /* unindexed scalars: before, d3 meant the layer size 1 there */
    it = item(sub(r, "dmitri"), "de/dW3");
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_ptr_nonnull(strstr(it->message, "d3 is your definition"));
    /* the forward pass restated with the model's own names */
    it = item(sub(r, "xena"), "de/dW2");
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_ptr_nonnull(strstr(it->message, "x1 is your definition on "
                                 "line 7, not the model's quantity x1"));
    /* a function's name cannot be redefined: the answer says why */
    it = item(sub(r, "finn"), "de/dW3");
    ck_assert_int_eq(it->verdict, GC_GRADE_INVALID);
    ck_assert_ptr_nonnull(strstr(it->message, "uses dtanh, whose definition "
                                 "on line 7 cannot be read (dtanh is already "
                                 "a function"));
    /* an answer with no shadowing name has no note */
    ck_assert_ptr_null(strstr(item(sub(r, "rowan"), "de/dW2")->message,
                              "your definition"));
    gc_grade_report_free(r);
}
END_TEST

START_TEST(grade_rows_and_entries_merge_into_the_block)
{
    gc_grade_report *r = tanh_class();
    const gc_grade_item *it = item(sub(r, "rowan"), "de/dW2");
    ck_assert_int_eq(it->verdict, GC_GRADE_AGREE);
    ck_assert_int_eq(it->entries, 3);
    ck_assert_int_eq(it->checks, 3 * r->n_points);
    ck_assert_ptr_nonnull(strstr(it->message, "given part by part: "
                                 "de/dW2[0] on line 11"));
    ck_assert_int_eq(item(sub(r, "rowan"), "de/dW1")->verdict,
                     GC_GRADE_AGREE);     /* four entries */
    /* two rows of three: incomplete, the missing entry named */
    it = item(sub(r, "paula"), "de/dW2");
    ck_assert_int_eq(it->verdict, GC_GRADE_INCOMPLETE);
    ck_assert_int_eq(it->entries_right, 2);
    ck_assert_ptr_nonnull(strstr(it->message, "de/dW2[2][1] not given"));
    ck_assert_double_eq(it->score, 0);
    /* one wrong entry of two: wrong, and the other named as not given */
    it = item(sub(r, "paula"), "de/dW3");
    ck_assert_int_eq(it->verdict, GC_GRADE_DISAGREE);
    ck_assert_ptr_nonnull(strstr(it->message, "Not given: de/dW3[1][1]"));
    gc_grade_report_free(r);
}
END_TEST

START_TEST(grade_hints_when_the_pattern_holds_everywhere)
{
    gc_grade_report *r = tanh_class();
    /* 2 (y - x3) for 2 (x3 - y): -1 x at every check, in every answer */
    static const char *const keys[] = {"de/dW1", "de/dW2", "de/dW3",
                                       "de/ds1", "de/ds2", "de/ds3"};
    for (int k = 0; k < 6; k++) {
        const gc_grade_item *it = item(sub(r, "sam"), keys[k]);
        ck_assert_int_eq(it->hint, GC_HINT_SIGN);
        ck_assert_ptr_nonnull(strstr(it->message, "exactly -1 times the "
                                     "right value: a sign error?"));
    }
    /* (x3 - y) for 2 (x3 - y): 1/2; 4 (x3 - y): 2; 6 (x3 - y): 3;
     * 3 (...) for 2 (...): 3/2 */
    ck_assert_int_eq(item(sub(r, "hal"), "de/dW1")->hint, GC_HINT_HALF);
    ck_assert_ptr_nonnull(strstr(item(sub(r, "hal"), "de/dW1")->message,
                                 "exactly half the right value"));
    ck_assert_int_eq(item(sub(r, "dora"), "de/dW2")->hint, GC_HINT_DOUBLE);
    const gc_grade_item *it = item(sub(r, "fay"), "de/dW3");
    ck_assert_int_eq(it->hint, GC_HINT_FACTOR);
    ck_assert_double_eq_tol(it->hint_factor, 3, 1e-6);
    ck_assert_ptr_nonnull(strstr(it->message, "exactly 3 times"));
    ck_assert_double_eq_tol(item(sub(r, "paula"), "de/dW3")->hint_factor,
                            1.5, 1e-6);
    /* W1 (2 x 2) with i and j swapped */
    it = item(sub(r, "tess"), "de/dW1");
    ck_assert_int_eq(it->hint, GC_HINT_TRANSPOSE);
    ck_assert_ptr_nonnull(strstr(it->message, "transpose of the right "
                                 "matrix"));
    /* a ratio 1 / (1 - x2^2) changing from point to point: no hint, but
     * the first wrong delta walking back from the loss is named */
    it = item(sub(r, "quinn"), "de/dW1");
    ck_assert_int_eq(it->verdict, GC_GRADE_DISAGREE);
    ck_assert_int_eq(it->hint, GC_HINT_NONE);
    ck_assert_ptr_nonnull(strstr(it->message, "the first wrong "
                                 "de/d(quantity) of this submission is "
                                 "de/ds2[1]"));
    ck_assert_ptr_nonnull(strstr(item(sub(r, "quinn"), "de/ds2")->message,
                                 "de/ds2[1] is the first wrong"));
    /* right answers never carry a hint */
    ck_assert_int_eq(item(sub(r, "quinn"), "de/ds3")->hint, GC_HINT_NONE);
    gc_grade_report_free(r);
    /* right at the case's own point only (judy, tests/grade/homework) */
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    static const char *const files[] = {"tests/grade/homework/s10_judy.txt"};
    char *dir = folder_with(files, 1);
    gc_grade_options o = quick();
    r = grade(c, dir, &o);
    ck_assert_int_eq(item(sub(r, "judy"), "dL/dw")->hint, GC_HINT_OWN_POINT);
    gc_grade_report_free(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(grade_class_summary_groups_identical_wrong_values)
{
    gc_grade_report *r = tanh_class();
    const gc_grade_summary *sm = &r->summary;
    ck_assert_int_eq(sm->n_answers, 6);
    ck_assert_int_eq(sm->union_keys, 0);
    /* de/dW3 (key 2): sam, hugo and ivy wrote the same sign error three
     * ways; the largest group comes first */
    const gc_grade_answer_summary *a = &sm->answers[2];
    ck_assert_str_eq(r->keys[a->key].key, "de/dW3");
    const gc_grade_group *gp = &a->groups[0];
    ck_assert_int_eq(gp->verdict, GC_GRADE_DISAGREE);
    ck_assert_int_eq(gp->n, 3);
    ck_assert_int_eq(gp->hint, GC_HINT_SIGN);
    ck_assert_str_eq(r->subs[gp->subs[0]].sub->id, "sam");
    ck_assert_str_eq(r->subs[gp->subs[1]].sub->id, "hugo");
    ck_assert_str_eq(r->subs[gp->subs[2]].sub->id, "ivy");
    ck_assert_ptr_nonnull(strstr(gp->label, "exactly -1 x the right value"));
    /* the groups account for every student not right */
    size_t n = 0;
    for (size_t g = 0; g < a->n_groups; g++) n += a->groups[g].n;
    ck_assert_int_eq(n + a->right, r->n_subs);
    ck_assert_int_eq(a->right, a->counts[GC_GRADE_AGREE]);
    /* right: dana, dmitri, rowan, quinn */
    ck_assert_int_eq(a->right, 4);
    /* the text report shows the shared group */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(gc_grade_report_text(f, r, 0), GC_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "de/dW3  3 students: exactly -1 x the "
                                 "right value (a sign error?) (sam, hugo, "
                                 "ivy)"));
    ck_assert_ptr_null(strstr(text, "\033["));     /* no colour asked */
    free(text);
    f = open_memstream(&text, &len);
    ck_assert_int_eq(gc_grade_report_text(f, r, GC_GRADE_COLOR), GC_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "\033[32magree"));
    free(text);
    gc_grade_report_free(r);
}
END_TEST

static int valid_utf8(const unsigned char *s, size_t n)
{
    /* RFC 3629, written out again here rather than calling the library */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2
                 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 && c <= 0xF4
                 ? 4 : 0;
        if (!k || i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return 0;
        i += k;
    }
    return 1;
}

START_TEST(grade_every_file_is_accounted_for)
{
    /* tests/grade/class: a folder per student (alice/, bob/ empty, dave/
     * with Python only), files per student (carol twice with one id,
     * renee's id in Latin-1, frank.py), a README and notes */
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, tu_path("tests/grade/class"), &o);
    /* alice bob carol carol dave frank renee, and hw (its id: line names
     * it, not its folder submission_48213) */
    ck_assert_int_eq(r->n_subs, 8);
    ck_assert_double_eq(sub(r, "hw")->score, 1);
    for (size_t i = 0; i < r->n_subs; i++)
        ck_assert_msg(r->subs[i].unmet == 0, "%s: %s", r->subs[i].sub->id,
                      r->subs[i].unmet_text);
    ck_assert_double_eq(sub(r, "alice")->score, 6);
    const gc_grade_item *it = item(sub(r, "bob"), "dL/dw");
    ck_assert_int_eq(it->verdict, GC_GRADE_MISSING);
    ck_assert_ptr_nonnull(strstr(it->message, "it is empty"));
    it = item(sub(r, "dave"), "dL/dv");
    ck_assert_int_eq(it->verdict, GC_GRADE_INVALID);
    ck_assert_ptr_nonnull(strstr(it->message, "it holds grad.py"));
    it = item(sub(r, "frank"), "dL/dh");
    ck_assert_int_eq(it->verdict, GC_GRADE_INVALID);
    ck_assert_ptr_nonnull(strstr(it->message, "frank.py is not a file "
                                 "gradcheck can grade"));
    /* the Latin-1 byte became U+FFFD */
    ck_assert_double_eq(sub(r, "ren\xEF\xBF\xBD" "e")->score, 2);
    /* every skipped file named, the doubled id warned */
    const char *want[] = {"README.md: skipped", "alice/notes.md: skipped",
                          "class/notes.md: skipped",
                          "id carol is given by 2 submissions"};
    for (int w = 0; w < 4; w++) {
        size_t i = 0;
        while (i < r->n_warnings && !strstr(r->warnings[i], want[w])) i++;
        ck_assert_msg(i < r->n_warnings, "no warning \"%s\"", want[w]);
    }
    ck_assert_int_eq(r->n_warnings, 4);
    /* the gradebook is valid UTF-8, with messages and each answer's
     * points */
    char *dir = folder_with(NULL, 0), csv[4200];
    snprintf(csv, sizeof csv, "%s/book.csv", dir);
    ck_assert_int_eq(gc_grade_write_csv(csv, r), GC_OK);
    char *t = slurp(csv);
    ck_assert(valid_utf8((const unsigned char *)t, strlen(t)));
    ck_assert_ptr_nonnull(strstr(t, "dL/dw score (of 2),"));
    ck_assert_ptr_nonnull(strstr(t, ",dL/dh message\r\n"));
    ck_assert_ptr_nonnull(strstr(t, "\r\nren\xEF\xBF\xBD" "e,"));
    free(t);
    gc_grade_report_free(r);
    /* a folder with nobody in it names itself */
    gc_error err;
    char *args[1] = {dir};
    remove(csv);
    ck_assert_int_eq(gc_grade(c, args, 1, &o, &r, &err), GC_ENOTFOUND);
    ck_assert_str_eq(err.file, dir);
    ck_assert_ptr_nonnull(strstr(err.msg, "no submissions in this folder"));
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(grade_no_grading_section_is_warned)
{
    gc_case *c = load("cases/tanh_net_004_q1.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, tu_path("cases/submissions/tanh_net_004_q1"),
                               &o);
    ck_assert_int_eq(r->summary.union_keys, 1);
    ck_assert_int_eq(r->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(r->warnings[0], "no grading: section"));
    ck_assert_ptr_nonnull(strstr(r->warnings[0], "union"));
    gc_grade_report_free(r);
    gc_case_free(c);
}
END_TEST

START_TEST(grade_results_json_stays_valid_utf8)
{
    /* a program printing 3000 e-acute and a Latin-1 byte, then crashing:
     * its (cut) output is every answer's message */
    static const char *const files[] = {"tests/grade/c/prints_bytes.c",
                                        "tests/grade/c/latin1_message.c"};
    char *dir = folder_with(files, 2);
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    gc_grade_report *r = grade(c, dir, &o);
    char res[4200], path[4300];
    snprintf(res, sizeof res, "%s/results", dir);
    gc_error err;
    ck_assert_int_eq(gc_grade_write_results(res, r, &err), GC_OK);
    snprintf(path, sizeof path, "%s/prints_bytes/results.json", res);
    char *t = slurp(path);
    ck_assert(valid_utf8((const unsigned char *)t, strlen(t)));
    free(t);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    json_t *t0 = json_array_get(json_object_get(j, "tests"), 0);
    const char *out = json_string_value(json_object_get(t0, "output"));
    ck_assert_ptr_nonnull(out);          /* it used to vanish */
    size_t n = strlen(out);
    ck_assert_uint_le(n, GC_RESULTS_MAX_OUTPUT);
    ck_assert_str_eq(out + n - strlen(" (truncated)"), " (truncated)");
    ck_assert_str_eq(json_string_value(json_object_get(j, "output_format")),
                     "text");
    json_decref(j);
    snprintf(path, sizeof path, "%s/latin1_message/results.json", res);
    j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j,
                          "output")), "caf\xEF\xBF\xBD: dL/ds = "));
    json_decref(j);
    gc_grade_report_free(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(grade_options_for_gradescope)
{
    /* ken (tests/grade/homework/s11_ken.txt): dL/dv[3] wrong, dL/dv[1]
     * and [2] right at every point */
    gc_case *c = load("tests/grade/cnn1d_homework.yaml");
    gc_grade_options o = quick();
    o.one_student = 1;
    o.student_id = "ken@example.edu";
    o.partial_credit = 1;
    o.hide_truth = 1;
    o.visibility = "after_published";
    gc_grade_report *r = grade(c, tu_path("tests/grade/homework/s11_ken.txt"),
                               &o);
    ck_assert_int_eq(r->n_subs, 1);
    ck_assert_str_eq(r->subs[0].sub->id, "ken@example.edu");
    const gc_grade_item *it = item(&r->subs[0], "dL/dv");
    /* 3 points x 2 of 3 entries */
    ck_assert_int_eq(it->entries_right, 2);
    ck_assert_double_eq_tol(it->score, 2, 1e-12);
    ck_assert_double_eq_tol(r->subs[0].score, 2 + 2 + 1, 1e-12);
    /* the right value (0.0720786 at the case's own point) is not shown */
    ck_assert_ptr_null(strstr(it->message, "0.0720786"));
    ck_assert_ptr_null(strstr(it->message, "numerically"));
    ck_assert_ptr_nonnull(strstr(it->message, "0.412793"));
    char *dir = folder_with(NULL, 0), path[4200];
    snprintf(path, sizeof path, "%s/results.json", dir);
    gc_error err;
    ck_assert_int_eq(gc_grade_write_result(path, r, 0, &err), GC_OK);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "visibility")),
                     "after_published");
    json_t *t1 = json_array_get(json_object_get(j, "tests"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(t1, "visibility")),
                     "after_published");
    ck_assert_double_eq_tol(json_number_value(json_object_get(t1, "score")),
                            2, 1e-12);
    json_decref(j);
    gc_grade_report_free(r);
    gc_case_free(c);
    remove_tree(dir);
    free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("grade");
    TCase *tc = tcase_create("grade");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grade_twenty_submissions_in_one_batch);
    tcase_add_test(tc, grade_c_sandbox_inherits_nothing);
    tcase_add_test(tc, grade_kinks_do_not_count_against_the_answer);
    tcase_add_test(tc, grade_the_seeds_answers);
    tcase_add_test(tc, grade_gradebook_csv_and_results_json);
    tcase_add_test(tc, grade_submission_files_that_cannot_be_read);
    tcase_add_test(tc, grade_case_grading_section_is_checked);
    tcase_add_test(tc, grade_c_header_is_current);
    tcase_add_test(tc, grade_tanh_homework_expectations);
    tcase_add_test(tc, grade_definitions_hide_dimensions_and_say_so);
    tcase_add_test(tc, grade_rows_and_entries_merge_into_the_block);
    tcase_add_test(tc, grade_hints_when_the_pattern_holds_everywhere);
    tcase_add_test(tc, grade_class_summary_groups_identical_wrong_values);
    tcase_add_test(tc, grade_every_file_is_accounted_for);
    tcase_add_test(tc, grade_no_grading_section_is_warned);
    tcase_add_test(tc, grade_results_json_stays_valid_utf8);
    tcase_add_test(tc, grade_options_for_gradescope);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
