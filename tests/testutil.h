/* testutil.h: helpers shared by the Check tests. */
#ifndef GC_TESTUTIL_H
#define GC_TESTUTIL_H

#include <check.h>

#include "gradcheck.h"

/* $GRADCHECK_SOURCE_ROOT/rel, in a static buffer. */
const char *tu_path(const char *rel);
/* Write text to a fresh temporary file; returns its path (static buffer
 * per call slot 0..7). */
const char *tu_tmpfile(const char *text);
/* Load a case file; a load error fails the test with file:line:column. */
gc_case *tu_load_case(const char *path);
/* Run a case on `threads` threads (0: every core) with the default run
 * options; a run error fails the test. */
gc_case_report *tu_run_case(const gc_case *c, int threads);
/* Run one suite with TAP output; returns the process exit status. */
int tu_run(Suite *s);

#endif
