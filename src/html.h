/* html.h: shared parts of the HTML pages (not installed).  html.c holds
 * the page frame; report_html.c the run page, report_golden.c the golden
 * check page, report_grade.c the grade page. */
#ifndef GC_HTML_H
#define GC_HTML_H

#include <stdio.h>

/* The page up to <body> (charset, a Content-Security-Policy that forbids
 * fetching anything, the shared style sheet) and from the filter script to
 * </html>.  An element <div id="filter"> receives the script's checkbox,
 * which hides elements of class "met". */
void gc_html_begin(FILE *f, const char *title);
void gc_html_end(FILE *f);
/* Text or attribute value, escaped (&, <, >, ", '). */
void gc_html_esc(FILE *f, const char *s);
/* A name a person wrote, in its clean form (names.c), escaped. */
void gc_html_name(FILE *f, const char *raw);
/* Prose a person wrote (a title, an assumption, a message): the same
 * escapes as names, never cut. */
void gc_html_text(FILE *f, const char *raw);
/* prefix and raw as an id: letters, digits, '-', '_' kept, others _XX. */
void gc_html_id(FILE *f, const char *prefix, const char *raw);

#endif
