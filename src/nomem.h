/* nomem.h: internal to libgradcheck (not installed).  An "out of memory"
 * that says what was being allocated, under which limit, and what to do. */
#ifndef GRADCHECK_NOMEM_H
#define GRADCHECK_NOMEM_H

#include <stddef.h>
#include "gradcheck/layout.h"

/* Into msg: "out of memory <doing>: <the layout's values in MiB and
 * entries>; <the address-space limit (ulimit -v) if one is set, and what
 * takes it>: <the fix>".  L may be NULL (not known yet); extra (may be
 * NULL) is appended to what was being allocated ("the report's 2000000
 * checks, 290 MiB"). */
void gc_nomem_explain(const gc_layout *L, const char *doing,
                      const char *extra, char *msg, size_t len);

#endif
