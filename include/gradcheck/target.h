/* gradcheck/target.h: what an answer or a derivation formula is the
 * derivative of, and with respect to what: keys such as "dL/dv",
 * "dL/dx2[2]" or "dy_tilde/ds2" parsed against a problem's blocks. */
#ifndef GRADCHECK_TARGET_H
#define GRADCHECK_TARGET_H

#include <stddef.h>
#include "gradcheck/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an answer is the derivative of, and with respect to what. */
typedef enum {
    GC_TARGET_PARAM,      /* dL/d(parameter block) */
    GC_TARGET_QUANTITY,   /* dL/d(quantity block): checked through a tap */
    GC_TARGET_JACOBIAN,   /* d(quantity block)/d(parameter or quantity) */
    GC_TARGET_HESSIAN     /* d2L/d(parameter block of) d(parameter block
                             wrt): second derivatives, in a case's own
                             derivations only (never graded) */
} gc_target_kind;

typedef struct {
    gc_target_kind kind;
    const gc_block *of;      /* JACOBIAN: the quantity differentiated;
                                HESSIAN: the first parameter block */
    const gc_block *wrt;     /* the block differentiated with respect to */
    int wrt_param;           /* wrt is a parameter block (else a quantity) */
    size_t n;                /* entries of the derivative: size(wrt),
                                times size(of) (an answer with fixed
                                indices gives some of them) */
    char key[160];           /* "dL/dv", "dL/dx2[2]", "dy_tilde/ds2": the
                                names and any fixed indices ([:] free) */
} gc_target;

/* The names a formula may give the loss unless told others: L, E, e, C,
 * J, loss, l (NULL-terminated). */
GC_EXPORT extern const char *const gc_loss_names_default[];

/* Parse a target key such as "dL/dv" or "dy_tilde/ds2" against the
 * problem's blocks; loss is the canonical loss name used in keys and
 * losses (NULL-terminated, may be NULL for the defaults L, E, e, C, J,
 * loss) the names accepted for it.  Returns GC_ENOTFOUND with a message in
 * msg when the key names no block. */
GC_EXPORT int gc_target_parse(const gc_problem *p, const char *key, const char *loss,
                    const char *const *losses, gc_target *out, char *msg,
                    size_t n);

/* Resolve "dX/dY", the names without indices, into a target: X is the
 * loss (x_is_loss; the key then says loss) or a quantity block, Y a
 * parameter or quantity block; out->key is "dX/dY".  The building block
 * of gc_target_parse, for parsers that read the indices themselves (the
 * formula language).  Returns GC_ENOTFOUND with a message in msg when Y
 * names no parameter or quantity. */
GC_EXPORT int gc_target_resolve(const gc_problem *p, const char *x,
                                const char *y, const char *loss,
                                int x_is_loss, gc_target *out, char *msg,
                                size_t n);

/* The index suffix of one side of a key, into buf (n bytes): "[2]" for a
 * fixed index (vals[a]), "[:]" for a free one (is_free[a]); free indices
 * after the last fixed one are left out, so dL/dv[i] is keyed dL/dv and
 * dL/dx2[2] dL/dx2[2]. */
GC_EXPORT void gc_target_key_suffix(char *buf, size_t n, int n_idx,
                                    const int *is_free, const long *vals);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_TARGET_H */
