/* report.c: writing a report to a file atomically, in the chosen format. */
#include "gradcheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_fmt(FILE *f, gc_format fmt, gc_case_report *const *r,
                     size_t n, const gc_report_options *o)
{
    return fmt == GC_FORMAT_JSON ? gc_report_json(f, r, n, o)
                                 : gc_report_text(f, r, n, o);
}

int gc_report_write(const char *path, gc_format fmt,
                    gc_case_report *const *r, size_t n,
                    const gc_report_options *o)
{
    if (strcmp(path, "-") == 0) {
        int st = write_fmt(stdout, fmt, r, n, o);
        return fflush(stdout) == 0 ? st : GC_EIO;
    }
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp) return GC_ENOMEM;
    snprintf(tmp, len, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) { free(tmp); return GC_EIO; }
    mode_t um = umask(0);   /* mkstemp makes 0600; give the usual mode */
    umask(um);
    fchmod(fd, 0666 & ~um);
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(tmp); free(tmp); return GC_EIO; }
    int st = write_fmt(f, fmt, r, n, o);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) st = GC_EIO;
    if (fclose(f) != 0) st = GC_EIO;
    if (!st && rename(tmp, path) != 0) st = GC_EIO;
    if (st) unlink(tmp);
    free(tmp);
    return st;
}
