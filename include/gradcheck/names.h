/* gradcheck/names.h: names in reports (names.c).  A name a person wrote (a
 * case's or a claim's) can hold tabs, newlines, control characters, '#',
 * backslashes and any amount of UTF-8; every writer and the golden file
 * show it in one clean form, so a failure is always attributed to its
 * test (docs/reports.md, "Names in reports"). */
#ifndef GRADCHECK_NAMES_H
#define GRADCHECK_NAMES_H

#include <stddef.h>
#include <stdio.h>
#include "gradcheck/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest clean form, in bytes. */
#define GC_NAME_SHOWN_MAX 240

/* The clean form of raw: one line of printable, valid UTF-8 -- backslash,
 * tab, newline and carriage return as \\ \t \n \r, other control
 * characters and invalid bytes as \xHH, C1 controls, U+2028, U+2029,
 * U+FFFE and U+FFFF as \uHHHH -- at most GC_NAME_SHOWN_MAX bytes, cut at a
 * character boundary and ended with "...~" and 8 hex digits of a hash of
 * the whole name when longer.  Names without any of these are unchanged.
 * Writes into out (n bytes; GC_NAME_SHOWN_MAX + 1 is always enough) and
 * returns out.  raw NULL is "". */
GC_EXPORT char *gc_name_clean(const char *raw, char *out, size_t n);
/* The same in a new string the caller frees; NULL when out of memory. */
GC_EXPORT char *gc_name_clean_dup(const char *raw);
/* The same escapes for prose of any length (a title, a path, a message):
 * newlines kept, never cut.  Caller frees; NULL when out of memory. */
GC_EXPORT char *gc_text_clean_dup(const char *raw);

/* Columns s takes on a terminal: UTF-8 decoded, combining marks 0, East
 * Asian wide characters 2, ANSI colour sequences 0. */
GC_EXPORT size_t gc_display_width(const char *s);
/* Write text with every line wider than width columns broken at spaces (at
 * a character boundary where it has none); continuation lines start under
 * the line's second column (after its first gap of two spaces), else 4
 * further in.  width 0 writes the text unchanged.  GC_EIO on a write
 * error. */
GC_EXPORT int gc_write_wrapped(FILE *f, const char *text, size_t width);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_NAMES_H */
