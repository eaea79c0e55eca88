/* gradcheck/layout.h: named blocks of numbers (parameters, inputs,
 * intermediate quantities) laid out in one flat vector, and entry names in
 * the homework's notation (W1[0][1]). */
#ifndef GRADCHECK_LAYOUT_H
#define GRADCHECK_LAYOUT_H

#include <stddef.h>
#include "gradcheck/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_MAX_RANK 4
#define GC_MAX_BLOCKS 128
#define GC_NAME_MAX 32

/* One named array of numbers in the homework's notation: a parameter block
 * (W1, U, b_f), an input (x, y) or an intermediate quantity (s, h, z_f).
 * Entries are stored row-major at `offset` in a flat vector.  `base` is the
 * index the homework gives the first entry along each axis (Question 1 of
 * 004 numbers the rows of W(1) from 0, the bias row, and the columns from 1),
 * used only when naming entries. */
typedef struct {
    char name[GC_NAME_MAX];
    int rank;                    /* 0 scalar, 1 vector, 2 matrix, 3, 4 */
    size_t shape[GC_MAX_RANK];   /* unused axes are 1 */
    int base[GC_MAX_RANK];
    size_t offset;               /* first entry in the flat vector */
    size_t size;                 /* product of shape */
    int timed;                   /* quantities only: axis 0 is the time step,
                                    so forward order is time-major across
                                    timed blocks (set with gc_blocks_timed) */
    char step[GC_NAME_MAX];      /* timed: axis 0's index as a case-defined
                                    network names it (t, or o for a
                                    convolution's channels); "" means t */
} gc_block;

/* A family of blocks laid out in one flat vector. */
typedef struct {
    gc_block block[GC_MAX_BLOCKS];
    size_t n_blocks;
    size_t n;                    /* total entries */
} gc_blocks;

/* What a model needs for given dimensions: its parameters (theta), inputs
 * and targets, the intermediate quantities its forward pass exposes, and the
 * scratch space (in doubles) that forward() and the derivations use. */
typedef struct {
    gc_blocks params;
    gc_blocks inputs;
    gc_blocks quantities;
    size_t work;
} gc_layout;

/* Append a block to a family; rank 0..3, shape entries for unused axes are
 * ignored.  Returns GC_ELIMIT when the family is full or the size overflows
 * the entry limit GC_MAX_ENTRIES. */
#define GC_MAX_ENTRIES ((size_t)1 << 22)
GC_EXPORT int gc_blocks_add(gc_blocks *b, const char *name, int rank,
                  size_t d0, size_t d1, size_t d2,
                  int base0, int base1, int base2);
/* The same for any rank 0..GC_MAX_RANK (a convolution's weight [C_out,
 * C_in, k, k] has 4): shape[a] and base[a] for a < rank. */
GC_EXPORT int gc_blocks_add_shape(gc_blocks *b, const char *name, int rank,
                                  const size_t *shape, const int *base);
GC_EXPORT const gc_block *gc_blocks_find(const gc_blocks *b, const char *name);
/* Mark the named blocks (NULL-terminated list) as time-major. */
GC_EXPORT void gc_blocks_timed(gc_blocks *b, const char *const *names);
/* The block holding flat index k, or NULL. */
GC_EXPORT const gc_block *gc_blocks_of(const gc_blocks *b, size_t k);
/* Whether quantity entry i comes before entry j in forward order: time
 * step first for timed blocks (gc_blocks_timed), then block order, then
 * position in the block.  Localisation walks back from the loss in this
 * order: the first wrong quantity is the wrong entry latest in it. */
GC_EXPORT int gc_blocks_forward_before(const gc_blocks *q, size_t i,
                                       size_t j);
/* Name of flat entry k, e.g. "W1[0][1]" or "b1"; writes at most n bytes. */
GC_EXPORT void gc_entry_name(const gc_blocks *b, size_t k, char *buf, size_t n);
/* Parse "W1[0][1]" (homework indices) to a flat index; GC_ENOTFOUND if the
 * block is unknown, GC_EINVAL if indices are malformed or out of range.  A
 * bare block name selects its first entry and sets *whole to 1. */
GC_EXPORT int gc_entry_parse(const gc_blocks *b, const char *text, size_t *k, int *whole);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_LAYOUT_H */
