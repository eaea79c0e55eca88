/* atomic.h: internal to libgradcheck (not installed).  Writing a file whole
 * or not at all (atomic.c), for every report, golden file and gradebook. */
#ifndef GRADCHECK_ATOMIC_H
#define GRADCHECK_ATOMIC_H

#include <stdio.h>

/* Write a file atomically (atomic.c): fn writes the contents to a
 * temporary file beside path, which replaces path only if fn returned 0
 * and everything reached the disk.  Returns fn's status or GC_EIO. */
typedef int (*gc_writer_fn)(FILE *f, const void *ctx);
int gc_write_atomic(const char *path, gc_writer_fn fn, const void *ctx);

#endif /* GRADCHECK_ATOMIC_H */
