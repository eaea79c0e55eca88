/* html.c: what every HTML page of gradcheck shares (html.h): the page
 * frame with its style sheet, Content-Security-Policy and filter script,
 * and escaping. */
#include "gradcheck/names.h"
#include "gradcheck/status.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

/* HTML text or attribute value.  Names are clean already (names.c). */
void gc_html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A name a person wrote: cleaned (names.c), then escaped. */
void gc_html_name(FILE *f, const char *raw)
{
    char c[GC_NAME_SHOWN_MAX + 1];
    gc_html_esc(f, gc_name_clean(raw, c, sizeof c));
}

/* Prose a person wrote (a title, an assumption): the same escapes, never
 * cut. */
void gc_html_text(FILE *f, const char *raw)
{
    char *c = gc_text_clean_dup(raw);
    gc_html_esc(f, c ? c : "");
    free(c);
}

/* An id attribute from a name: letters, digits, '-' and '_' kept, anything
 * else as _XX. */
void gc_html_id(FILE *f, const char *prefix, const char *raw)
{
    fputs(prefix, f);
    for (const unsigned char *s = (const unsigned char *)raw; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
            (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')
            fputc(*s, f);
        else
            fprintf(f, "_%02X", *s);
    }
}

static const char css[] =
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
"margin:0 auto;max-width:1200px;padding:0 16px 40px;color:#1b1b1b;"
"background:#fff}"
"h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 4px;"
"border-top:2px solid #ddd;padding-top:12px}h3{font-size:15px;margin:16px 0 "
"4px}.sub{color:#555;margin:0 0 8px}"
"table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:"
"tabular-nums}th,td{padding:2px 8px;border-bottom:1px solid #e4e4e4;"
"text-align:right;white-space:nowrap}th:first-child,td:first-child{"
"text-align:left}td.name,th.testname{text-align:left;white-space:normal;overflow-wrap:anywhere}"
"thead th{background:#f3f3f3}"
".v{padding:0 6px;border-radius:3px;font-weight:600}"
".v-agree{color:#176b2c}.v-disagree{color:#6b2a1f;background:#f6e3df}"
".v-kink{color:#355}.v-inconclusive{color:#7a5a00}.v-nonfinite{color:#fff;"
"background:#333}.v.unexpected{color:#fff;background:#c0180c;outline:2px "
"solid #c0180c}"
".ok{color:#176b2c;font-weight:600}.bad{color:#c0180c;font-weight:600}"
".derivation{margin:10px 0 18px 12px}"
"figure{margin:6px 0 10px}figcaption{color:#555;font-size:12px;"
"max-width:760px}"
"svg text{font:11px system-ui,sans-serif;fill:#333}svg .blk{font-weight:"
"600}svg .sep{stroke:#999;stroke-width:0.5}svg .frame{fill:none;"
"stroke:#999}svg .grid{stroke:#e6e6e6}svg .err{fill:none;stroke:#c0180c;"
"stroke-width:2}svg .abserr{fill:none;stroke:#3a6fb0;stroke-width:1.5;"
"stroke-dasharray:4 3}svg .rule{stroke:#888;stroke-dasharray:2 3}"
"svg .engine{fill:#111}svg .in{fill:#7fb37f}svg .out{fill:#e34a33}"
"svg .edge{stroke:#111}.figs{display:flex;flex-wrap:wrap;gap:8px 28px;"
"align-items:flex-start}.figs figure{max-width:540px}"
"tr.first-wrong td{background:#fde2dc}strong.first-wrong{color:#c0180c}"
"details{margin:4px 0 10px}summary{cursor:pointer;color:#234}"
".chip{text-decoration:none;color:inherit;margin-right:10px}"
"#filter{margin:8px 0}body.only-unmet .met{display:none}"
"td.golden{background:#fbf3dc}td.new{background:#e3eefb}th.testname{"
"text-align:left;background:#fafafa;padding-top:8px}"
"svg.bar .segn{fill:#fff;font-weight:600}.sw{display:inline-block;"
"width:11px;height:11px;margin:0 4px 0 0;vertical-align:-1px;"
"border-radius:2px}.legend .key{margin-right:12px;white-space:nowrap}"
".gv{border-left:6px solid;padding:0 6px;white-space:nowrap}"
"tr.groups ul{margin:0 0 6px;padding-left:18px}tr.groups td{"
"border-bottom:none}"
"@media print{details{display:block}}";

/* Interaction only: a checkbox that hides what is as expected.  The page
 * says everything without it. */
static const char script[] =
"(function(){var b=document.getElementById('filter');if(!b)return;"
"var l=document.createElement('label');var c=document.createElement('input');"
"c.type='checkbox';c.id='only-unmet';l.appendChild(c);"
"l.appendChild(document.createTextNode(' show only what is not as expected'));"
"b.appendChild(l);c.addEventListener('change',function(){"
"document.body.classList.toggle('only-unmet',c.checked);});})();";

void gc_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'; img-src data:\"><meta name=\"generator"
          "\" content=\"gradcheck " GRADCHECK_VERSION "\"><title>", f);
    gc_html_esc(f, title);
    fprintf(f, "</title><style>%s</style></head><body>\n", css);
}

void gc_html_end(FILE *f)
{
    fprintf(f, "<script>%s</script></body></html>\n", script);
}

