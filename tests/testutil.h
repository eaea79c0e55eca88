/* testutil.h: helpers shared by the Check tests. */
#ifndef GC_TESTUTIL_H
#define GC_TESTUTIL_H

#include <check.h>

/* $GRADCHECK_SOURCE_ROOT/rel, in a static buffer. */
const char *tu_path(const char *rel);
/* Write text to a fresh temporary file; returns its path (static buffer
 * per call slot 0..7). */
const char *tu_tmpfile(const char *text);
/* Run one suite with TAP output; returns the process exit status. */
int tu_run(Suite *s);

#endif
