/* atomic.c: writing a file so that it is either the old file or the whole
 * new one, never a truncated mix: the contents go to a temporary file in
 * the same folder, which is flushed to disk (fsync) and renamed over the
 * target only if everything was written.  rename() within a folder is
 * atomic on POSIX file systems, so an interrupted run (killed, disk full)
 * leaves the old file whole.  A target that exists and is not a regular
 * file (/dev/null, /dev/stdout, a FIFO, a terminal) is written in place:
 * renaming over it would replace the device with a plain file (run as
 * root, `-o /dev/null` turned the machine's /dev/null into one). */
#include "gradcheck/status.h"
#include "atomic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes into a device or FIFO as it is: there is no old contents to keep. */
static int write_in_place(const char *path, gc_writer_fn fn, const void *ctx)
{
    FILE *f = fopen(path, "w");
    if (!f) return GC_EIO;
    int st = fn(f, ctx);
    if (fflush(f) != 0) st = st ? st : GC_EIO;
    if (fclose(f) != 0) st = st ? st : GC_EIO;
    return st;
}

int gc_write_atomic(const char *path, gc_writer_fn fn, const void *ctx)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) return GC_EIO;
        return write_in_place(path, fn, ctx);
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
    int st = fn(f, ctx);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) st = st ? st : GC_EIO;
    if (fclose(f) != 0) st = st ? st : GC_EIO;
    if (!st && rename(tmp, path) != 0) st = GC_EIO;
    if (st) unlink(tmp);
    free(tmp);
    return st;
}
