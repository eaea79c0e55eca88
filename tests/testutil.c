/* testutil.c: helpers shared by the Check tests. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradcheck.h"

const char *tu_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("GRADCHECK_SOURCE_ROOT");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

/* The folder the test files live in, made once (before Check forks its
 * test processes, by tu_run) and removed with everything in it when the
 * suite has run, so that no test leaves files in /tmp. */
static char tmp_dir[64];

static const char *test_dir(void)
{
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/gradcheck-test-XXXXXX");
        if (!mkdtemp(tmp_dir)) tmp_dir[0] = '\0';
    }
    return tmp_dir[0] ? tmp_dir : "/tmp";
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void remove_test_dir(void)
{
    if (tmp_dir[0]) nftw(tmp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_tmpfile(const char *text)
{
    static char bufs[8][96];
    static int slot;
    char *p = bufs[slot++ % 8];
    snprintf(p, 96, "%s/fileXXXXXX", test_dir());
    int fd = mkstemp(p);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) { close(fd); return NULL; }
    close(fd);
    return p;
}

int tu_run(Suite *s)
{
    gc_init();
    test_dir();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_test_dir();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

gc_case *tu_load_case(const char *path)
{
    gc_case *c = NULL;
    gc_error err;
    int st = gc_case_load(path, &c, &err);
    ck_assert_msg(st == GC_OK, "%s:%ld:%ld: %s", err.file, err.line,
                  err.column, err.msg);
    return c;
}

gc_case_report *tu_run_case(const gc_case *c, int threads)
{
    gc_run_options o = gc_run_options_default();
    o.threads = threads;
    gc_case_report *r = NULL;
    gc_error err;
    int st = gc_run_case(c, &o, &r, &err);
    ck_assert_msg(st == GC_OK, "%s", err.msg);
    return r;
}
