/* errors.c: errors at a position in the formula, and values described in
 * words for them. */
#include "fx/fx_impl.h"

#include <stdarg.h>
#include <stdio.h>

int fx_fail(gc_error *err, long line, long col, int status,
            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->column = col;
    return status;
}

/* "a scalar", "a vector of 4 entries", "a 3 x 4 matrix", "a 2 x 3 x 3 array" */
const char *fx_describe(const val *v, char *buf, size_t n)
{
    if (v->rank == 0) snprintf(buf, n, "a scalar");
    else if (v->rank == 1) snprintf(buf, n, "a vector of %zu entr%s",
                                    v->shape[0], v->shape[0] == 1 ? "y" : "ies");
    else {
        size_t l = (size_t)snprintf(buf, n, "a ");
        for (int i = 0; i < v->rank && l < n; i++)
            l += (size_t)snprintf(buf + l, n - l, "%s%zu", i ? " x " : "",
                                  v->shape[i]);
        if (l < n) snprintf(buf + l, n - l, v->rank == 2 ? " matrix" : " array");
    }
    return buf;
}
