/* testutil.c: helpers shared by the Check tests. */
#include "testutil.h"

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

const char *tu_tmpfile(const char *text)
{
    static char bufs[8][64];
    static int slot;
    char *p = bufs[slot++ % 8];
    snprintf(p, 64, "/tmp/gradcheck-test-XXXXXX");
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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
