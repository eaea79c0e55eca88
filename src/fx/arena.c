/* arena.c: value arenas: memory in chunks, released to a mark, so that a
 * sum of many terms needs memory for one term and the accumulator. */
#include "fx/fx_impl.h"

#include <stdlib.h>

struct chunk {
    chunk *prev;
    size_t cap, used;
};

#define CHUNK_HDR ((sizeof(chunk) + 15) & ~(size_t)15)
#define CHUNK_MIN ((size_t)64 << 10)

void *fx_arena_alloc(arena *a, size_t n)
{
    if (n > GC_FX_MAX_MEMORY) { a->over = 1; return NULL; }
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (!a->top || a->top->cap - a->top->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (a->total + cap > GC_FX_MAX_MEMORY) { a->over = 1; return NULL; }
        chunk *c = malloc(CHUNK_HDR + cap);
        if (!c) { a->over = 0; return NULL; }
        c->prev = a->top;
        c->cap = cap;
        c->used = 0;
        a->top = c;
        a->total += cap;
    }
    void *p = (unsigned char *)a->top + CHUNK_HDR + a->top->used;
    a->top->used += n;
    return p;
}

arena_mark fx_arena_save(const arena *a)
{
    arena_mark m = {a->top, a->top ? a->top->used : 0};
    return m;
}

void fx_arena_restore(arena *a, arena_mark m)
{
    while (a->top && a->top != m.top) {
        chunk *c = a->top;
        a->top = c->prev;
        a->total -= c->cap;
        free(c);
    }
    if (a->top) a->top->used = m.used;
}

void fx_arena_clear(arena *a)
{
    arena_mark zero = {NULL, 0};
    fx_arena_restore(a, zero);
}

void fx_arena_reset(arena *a)
{
    chunk *bottom = a->top;
    while (bottom && bottom->prev) bottom = bottom->prev;
    arena_mark m = {bottom, 0};
    fx_arena_restore(a, m);
}
