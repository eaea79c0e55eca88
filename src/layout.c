/* layout.c: named blocks of entries in a flat vector, and entry names in the
 * homework's index notation (W1[0][1]). */
#include "gradcheck/layout.h"
#include "gradcheck/status.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int gc_blocks_add(gc_blocks *b, const char *name, int rank,
                  size_t d0, size_t d1, size_t d2,
                  int base0, int base1, int base2)
{
    if (rank > 3) return GC_EINVAL;     /* three sizes given */
    size_t d[3] = {d0, d1, d2};
    int base[3] = {base0, base1, base2};
    return gc_blocks_add_shape(b, name, rank, d, base);
}

int gc_blocks_add_shape(gc_blocks *b, const char *name, int rank,
                        const size_t *d, const int *base)
{
    if (b->n_blocks >= GC_MAX_BLOCKS) return GC_ELIMIT;
    if (rank < 0 || rank > GC_MAX_RANK || strlen(name) >= GC_NAME_MAX)
        return GC_EINVAL;
    gc_block *k = &b->block[b->n_blocks];
    memset(k, 0, sizeof *k);
    strcpy(k->name, name);
    k->rank = rank;
    size_t size = 1;
    for (int a = 0; a < GC_MAX_RANK; a++) {
        k->shape[a] = a < rank ? d[a] : 1;
        k->base[a] = a < rank ? base[a] : 0;
        if (k->shape[a] == 0) return GC_ESHAPE;
        if (size > GC_MAX_ENTRIES / k->shape[a]) return GC_ELIMIT;
        size *= k->shape[a];
    }
    if (b->n > GC_MAX_ENTRIES - size) return GC_ELIMIT;
    k->size = size;
    k->offset = b->n;
    b->n += size;
    b->n_blocks++;
    return GC_OK;
}

const gc_block *gc_blocks_find(const gc_blocks *b, const char *name)
{
    for (size_t i = 0; i < b->n_blocks; i++)
        if (strcmp(b->block[i].name, name) == 0) return &b->block[i];
    return NULL;
}

const gc_block *gc_blocks_of(const gc_blocks *b, size_t k)
{
    for (size_t i = 0; i < b->n_blocks; i++)
        if (k >= b->block[i].offset && k < b->block[i].offset + b->block[i].size)
            return &b->block[i];
    return NULL;
}

/* The forward-order key of quantity entry j: (time step or 0, block,
 * position within the step or the block). */
static void forward_key(const gc_blocks *q, size_t j, size_t key[3])
{
    const gc_block *b = gc_blocks_of(q, j);
    size_t r = j - b->offset;
    size_t inner = b->size / b->shape[0];
    key[0] = b->timed ? r / inner : 0;
    key[1] = (size_t)(b - q->block);
    key[2] = b->timed ? r % inner : r;
}

int gc_blocks_forward_before(const gc_blocks *q, size_t i, size_t j)
{
    size_t a[3], b[3];
    forward_key(q, i, a);
    forward_key(q, j, b);
    for (int k = 0; k < 3; k++)
        if (a[k] != b[k]) return a[k] < b[k];
    return 0;
}

void gc_entry_name(const gc_blocks *b, size_t k, char *buf, size_t n)
{
    const gc_block *blk = gc_blocks_of(b, k);
    if (!blk) { snprintf(buf, n, "#%zu", k); return; }
    size_t r = k - blk->offset;
    size_t idx[GC_MAX_RANK] = {0};
    for (int a = blk->rank - 1; a >= 0; a--) {
        idx[a] = r % blk->shape[a];
        r /= blk->shape[a];
    }
    int w = snprintf(buf, n, "%s", blk->name);
    for (int a = 0; a < blk->rank && w >= 0 && (size_t)w < n; a++)
        w += snprintf(buf + w, n - w, "[%ld]", (long)idx[a] + blk->base[a]);
}

int gc_entry_parse(const gc_blocks *b, const char *text, size_t *k, int *whole)
{
    const char *br = strchr(text, '[');
    size_t len = br ? (size_t)(br - text) : strlen(text);
    if (len == 0 || len >= GC_NAME_MAX) return GC_ENOTFOUND;
    char name[GC_NAME_MAX];
    memcpy(name, text, len);
    name[len] = 0;
    const gc_block *blk = gc_blocks_find(b, name);
    if (!blk) return GC_ENOTFOUND;
    if (!br) {
        *k = blk->offset;
        if (whole) *whole = 1;
        return GC_OK;
    }
    size_t flat = 0;
    const char *s = br;
    for (int a = 0; a < blk->rank; a++) {
        if (*s != '[') return GC_EINVAL;
        s++;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || *end != ']') return GC_EINVAL;
        long i = v - blk->base[a];
        if (i < 0 || (size_t)i >= blk->shape[a]) return GC_EINVAL;
        flat = flat * blk->shape[a] + (size_t)i;
        s = end + 1;
    }
    if (*s != 0) return GC_EINVAL;
    *k = blk->offset + flat;
    if (whole) *whole = 0;
    return GC_OK;
}

void gc_blocks_timed(gc_blocks *b, const char *const *names)
{
    for (size_t i = 0; names && names[i]; i++)
        for (size_t j = 0; j < b->n_blocks; j++)
            if (strcmp(b->block[j].name, names[i]) == 0) b->block[j].timed = 1;
}
