/* test_golden.c: golden files: writing and reading back, comparing with
 * tolerances, missing and malformed files, and updates that cannot leave a
 * truncated file behind. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gradcheck.h"
#include "testutil.h"

/* Golden rows of the tanh_net_004_q1 case, run with one extra point. */
static gc_case *C;
static gc_case_report *R;
static gc_golden G;

static void setup(void)
{
    gc_error err;
    ck_assert_int_eq(gc_case_load(tu_path("cases/tanh_net_004_q1.yaml"), &C,
                                  &err), GC_OK);
    gc_run_options o = gc_run_options_default();
    o.points = 1;
    ck_assert_int_eq(gc_run_case(C, &o, &R, &err), GC_OK);
    ck_assert_int_eq(gc_golden_from_report(R, &G), GC_OK);
}

static void teardown(void)
{
    gc_golden_clear(&G);
    gc_case_report_free(R);
    gc_case_free(C);
}

/* A deep copy of G to alter. */
static void copy(gc_golden *dst)
{
    char path[] = "/tmp/gradcheck-golden-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ck_assert_int_eq(gc_golden_write_file(path, &G, "t"), GC_OK);
    gc_error err;
    ck_assert_int_eq(gc_golden_read(path, dst, &err), GC_OK);
    unlink(path);
}

/* Index of the first entry row. */
static size_t first_entry(const gc_golden *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].kind == GC_GOLDEN_ENTRY) return i;
    ck_abort_msg("no entry rows");
    return 0;
}

START_TEST(golden_round_trip_is_exact)
{
    gc_golden back;
    copy(&back);
    ck_assert_uint_eq(back.n, G.n);
    for (size_t i = 0; i < G.n; i++) {
        const gc_golden_row *a = &G.rows[i], *b = &back.rows[i];
        ck_assert_int_eq(a->kind, b->kind);
        ck_assert_str_eq(a->name, b->name);
        ck_assert_int_eq(a->verdict, b->verdict);
        /* %.17g: every double comes back to the bit */
        ck_assert(memcmp(&a->numeric, &b->numeric, sizeof(double)) == 0 ||
                  (isnan(a->numeric) && isnan(b->numeric)));
    }
    gc_golden_diff d;
    ck_assert_int_eq(gc_golden_compare(&G, &back, &gc_golden_tol_default, &d),
                     GC_OK);
    ck_assert_uint_eq(d.unchanged, G.n);
    ck_assert(gc_golden_diff_ok(&d));
    gc_golden_diff_clear(&d);
    gc_golden_clear(&back);
}
END_TEST

START_TEST(golden_one_ulp_caught_only_at_zero_tolerance)
{
    gc_golden got;
    copy(&got);
    size_t i = first_entry(&got);
    got.rows[i].numeric = nextafter(got.rows[i].numeric, INFINITY);
    gc_golden_diff d;
    gc_golden_tol zero = {0, 0};
    gc_golden_compare(&G, &got, &zero, &d);
    ck_assert_uint_eq(d.beyond, 1);
    ck_assert_uint_eq(d.n_rows, 1);
    ck_assert_str_eq(d.rows[0].column, "numeric");
    ck_assert_str_eq(d.rows[0].golden->name, G.rows[i].name);
    ck_assert(!gc_golden_diff_ok(&d));
    gc_golden_diff_clear(&d);
    /* with the default tolerance, one ulp is "changed within tolerance" */
    gc_golden_compare(&G, &got, &gc_golden_tol_default, &d);
    ck_assert_uint_eq(d.beyond, 0);
    ck_assert_uint_eq(d.within, 1);
    ck_assert(gc_golden_diff_ok(&d));
    gc_golden_diff_clear(&d);
    gc_golden_clear(&got);
}
END_TEST

START_TEST(golden_relative_change_1e9_caught_by_default)
{
    /* The defaults (rtol 1e-10) see a change of 1e-9 relative in any value
     * larger than atol/rtol... here W1[0][1]'s analytic -0.4408. */
    gc_golden got;
    copy(&got);
    size_t i = first_entry(&got);
    got.rows[i].analytic *= 1 + 1e-9;
    gc_golden_diff d;
    gc_golden_compare(&G, &got, &gc_golden_tol_default, &d);
    ck_assert_uint_eq(d.beyond, 1);
    ck_assert_double_eq_tol(d.rows[0].rel_diff, 1e-9, 1e-12);
    gc_golden_diff_clear(&d);
    gc_golden_clear(&got);
}
END_TEST

START_TEST(golden_changed_verdict)
{
    gc_golden got;
    copy(&got);
    size_t i = first_entry(&got);
    got.rows[i].verdict = GC_DISAGREE;
    gc_golden_diff d;
    gc_golden_tol loose = {1, 1};
    gc_golden_compare(&G, &got, &loose, &d);
    ck_assert_uint_eq(d.verdicts_changed, 1);
    ck_assert_uint_eq(d.beyond, 1);
    ck_assert_str_eq(d.rows[0].column, "verdict");
    gc_golden_diff_clear(&d);
    gc_golden_clear(&got);
}
END_TEST

START_TEST(golden_added_and_removed_rows)
{
    gc_golden got;
    copy(&got);
    free(got.rows[0].name);
    got.rows[0].name = strdup("W9[9][9]");  /* renamed: one removed, one added */
    gc_golden_diff d;
    gc_golden_compare(&G, &got, &gc_golden_tol_default, &d);
    ck_assert_uint_eq(d.removed, 1);
    ck_assert_uint_eq(d.added, 1);
    ck_assert(!gc_golden_diff_ok(&d));
    gc_golden_diff_clear(&d);
    gc_golden_clear(&got);
}
END_TEST

START_TEST(golden_missing_file_fails)
{
    gc_golden_check *g = NULL;
    gc_error err;
    ck_assert_int_eq(gc_golden_check_run(C, "/nonexistent-golden-dir", NULL,
                                         &g, &err), GC_OK);
    ck_assert(g->missing);
    ck_assert(!gc_golden_check_ok(g));
    ck_assert(strstr(g->read_err.msg, "no golden file"));
    gc_golden_check_free(g);
}
END_TEST

START_TEST(golden_malformed_file_names_line)
{
    const char *p = tu_tmpfile("# comment\nentry\tseed\t0\tW1[0][1]\t1.5\t"
                               "1.5\tagree\nentry\tseed\tx\tW1[0][2]\t1\t1\t"
                               "agree\n");
    gc_golden g;
    gc_error err;
    ck_assert_int_eq(gc_golden_read(p, &g, &err), GC_EINVAL);
    ck_assert_int_eq(err.line, 3);
    ck_assert(strstr(err.msg, "expected a point number"));
    p = tu_tmpfile("entry\tseed\t0\tW1[0][1]\t1.5\t1.5\n");
    ck_assert_int_eq(gc_golden_read(p, &g, &err), GC_EINVAL);
    ck_assert_int_eq(err.line, 1);
    ck_assert(strstr(err.msg, "expected 7 tab-separated fields"));
    p = tu_tmpfile("entry\tseed\t0\tW1[0][1]\t1.5\t1.5\tfine\n");
    ck_assert_int_eq(gc_golden_read(p, &g, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "expected a verdict"));
}
END_TEST

/* An update interrupted half-way (here: the file size limit makes the
 * write fail after the first 4 KiB, as a full disk or a kill would) leaves
 * the old golden file whole and no temporary file behind. */
START_TEST(golden_interrupted_update_keeps_old_file)
{
    char dir[] = "/tmp/gradcheck-upd-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/t.golden", dir);
    FILE *f = fopen(path, "w");
    fputs("old contents\n", f);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(gc_golden_write_file(path, &G, "t") == GC_OK ? 0 : 3);
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 3);   /* the write did fail */
    char buf[64] = {0};
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    ck_assert_str_eq(buf, "old contents\n");
    /* and the same write without the limit replaces it */
    ck_assert_int_eq(gc_golden_write_file(path, &G, "t"), GC_OK);
    gc_golden back;
    gc_error err;
    ck_assert_int_eq(gc_golden_read(path, &back, &err), GC_OK);
    ck_assert_uint_eq(back.n, G.n);
    gc_golden_clear(&back);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1 && rm -r %s",
             dir, dir);
    ck_assert_msg(system(cmd) == 0, "temporary files left in %s", dir);
}
END_TEST

static Suite *golden_suite(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, golden_round_trip_is_exact);
    tcase_add_test(tc, golden_one_ulp_caught_only_at_zero_tolerance);
    tcase_add_test(tc, golden_relative_change_1e9_caught_by_default);
    tcase_add_test(tc, golden_changed_verdict);
    tcase_add_test(tc, golden_added_and_removed_rows);
    tcase_add_test(tc, golden_missing_file_fails);
    tcase_add_test(tc, golden_malformed_file_names_line);
    tcase_add_test(tc, golden_interrupted_update_keeps_old_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(golden_suite()); }
