/* gradcheck/status.h: status codes, input errors with their position, and
 * library start-up.  Every function of the library returns a gc_status (0
 * on success) and writes its results through pointer arguments that come
 * last, as GSL does. */
#ifndef GRADCHECK_STATUS_H
#define GRADCHECK_STATUS_H

#include "gradcheck/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GRADCHECK_VERSION "0.1.0"

/* Status codes; 0 is success.  gc_strstatus() gives a short description. */
typedef enum {
    GC_OK = 0,
    GC_EINVAL,   /* bad argument or bad input (case file, command line) */
    GC_ENOMEM,   /* allocation failed */
    GC_EIO,      /* file could not be read or written */
    GC_ESHAPE,   /* shapes do not fit the model */
    GC_ENOTFOUND,/* unknown model, derivation, case or entry name */
    GC_ELIMIT,   /* a documented resource limit was exceeded */
    GC_EDERIV    /* a derivation or model reported failure */
} gc_status;

GC_EXPORT const char *gc_strstatus(int status);

/* Where an input error was found: gradcheck: file:line:column: message. */
typedef struct {
    char file[512];
    long line, column;   /* 1-based; 0 when not known */
    char msg[512];
} gc_error;

/* Call once before using the library: switches GSL's abort-on-error handler
 * off (every GSL status is handled where it is returned). */
GC_EXPORT void gc_init(void);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_STATUS_H */
