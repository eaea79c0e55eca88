/* names.c: the one rule that turns a name a person wrote (a case's or a
 * claim's name) into the text every writer shows: golden files, the text
 * report, TAP, JUnit XML, JSON and HTML (README "Names in reports").
 *
 * A name from a case file can hold anything YAML can: tabs, newlines,
 * control characters, '#', a backslash, hundreds of bytes of multi-byte
 * characters.  Each of those breaks some format (a tab splits a golden
 * row, a newline starts a new TAP line, a control character is not XML
 * 1.0, a name cut mid-character is not UTF-8).  So every writer and the
 * golden file use the same clean form, and a golden row is matched to its
 * test by the clean form:
 *
 *   - a backslash becomes \\ (so the escapes below stay unambiguous: two
 *     different names never give the same clean form, unless cut);
 *   - tab, newline and carriage return become \t, \n, \r; any other C0
 *     control character and DEL become \xHH;
 *   - C1 controls (U+0080..U+009F), the line and paragraph separators
 *     U+2028 and U+2029 and the non-characters U+FFFE, U+FFFF become
 *     \uHHHH;
 *   - a byte that does not start a well-formed UTF-8 character (overlong
 *     forms and surrogates included) becomes \xHH;
 *   - everything else (printable ASCII and well-formed UTF-8) is kept;
 *   - a clean form longer than GC_NAME_SHOWN_MAX bytes is cut at a
 *     character boundary (never inside a character or an escape) and ends
 *     in "...~" and 8 hex digits of the FNV-1a hash of the whole name, so
 *     two long names that share a beginning stay apart.
 *
 * The result is one line of printable, valid UTF-8 that is also valid
 * XML 1.0 character data; each format then applies only its own syntax
 * (TAP escapes '#' and '\', XML and HTML their entities, JSON its string
 * escapes).  Names without any of the above are unchanged, so existing
 * golden files read as before. */
#include "gradcheck/names.h"
#include "gradcheck/status.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 character at s (1..4), its code point in
 * *cp, or 0 if s does not start one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_char(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    int n;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

/* The clean form of one character at s into piece (at most 11 bytes);
 * returns the bytes of s consumed. */
static int clean_char(const unsigned char *s, char *piece, size_t *len)
{
    uint32_t cp;
    int n = utf8_char(s, &cp);
    if (n == 0) {
        *len = (size_t)snprintf(piece, 12, "\\x%02X", s[0]);
        return 1;
    }
    if (cp == '\\') { memcpy(piece, "\\\\", 2); *len = 2; }
    else if (cp == '\t') { memcpy(piece, "\\t", 2); *len = 2; }
    else if (cp == '\n') { memcpy(piece, "\\n", 2); *len = 2; }
    else if (cp == '\r') { memcpy(piece, "\\r", 2); *len = 2; }
    else if (cp < 0x20 || cp == 0x7F)
        *len = (size_t)snprintf(piece, 12, "\\x%02X", (unsigned)cp);
    else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
             cp == 0xFFFE || cp == 0xFFFF)
        *len = (size_t)snprintf(piece, 12, "\\u%04X", (unsigned)cp);
    else { memcpy(piece, s, (size_t)n); *len = (size_t)n; }
    return n;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

char *gc_name_clean(const char *raw, char *out, size_t n)
{
    /* The cut keeps room for "...~XXXXXXXX" (3 + 1 + 8 bytes). */
    enum { TAIL = 12 };
    if (n == 0) return out;
    if (!raw) raw = "";
    size_t max = n - 1 < GC_NAME_SHOWN_MAX ? n - 1 : GC_NAME_SHOWN_MAX;
    size_t len = 0, keep = 0;   /* keep: length at the last safe cut */
    const unsigned char *s = (const unsigned char *)raw;
    int cut = 0;
    while (*s) {
        char piece[12];
        size_t pl;
        int used = clean_char(s, piece, &pl);
        if (len + pl > max) { cut = 1; break; }
        /* the last place the cut may fall: leaving room for the hash
         * when the buffer has it, else at the end */
        if (len + pl <= (max > TAIL ? max - TAIL : max)) keep = len + pl;
        memcpy(out + len, piece, pl);
        len += pl;
        s += used;
    }
    if (cut && max > TAIL) {
        len = keep;
        len += (size_t)snprintf(out + len, n - len, "...~%08x",
                                (unsigned)fnv1a(raw));
    } else if (cut) {
        len = keep;
    }
    out[len] = 0;
    return out;
}

char *gc_name_clean_dup(const char *raw)
{
    char *buf = malloc(GC_NAME_SHOWN_MAX + 1);
    return buf ? gc_name_clean(raw, buf, GC_NAME_SHOWN_MAX + 1) : NULL;
}

char *gc_text_clean_dup(const char *raw)
{
    if (!raw) raw = "";
    size_t n = strlen(raw), len = 0;
    char *out = malloc(6 * n + 1);   /* an escape is at most 6 bytes a byte */
    if (!out) return NULL;
    const unsigned char *s = (const unsigned char *)raw;
    while (*s) {
        size_t pl;
        if (*s == '\n') { out[len++] = '\n'; s++; continue; }
        s += clean_char(s, out + len, &pl);
        len += pl;
    }
    out[len] = 0;
    return out;
}

/* Columns a terminal gives the UTF-8 character cp: 0 for combining marks
 * and zero-width characters, 2 for East Asian wide and fullwidth forms and
 * emoji, 1 otherwise.  A short table instead of wcwidth(3), which needs a
 * UTF-8 locale the user may not have set. */
static int cp_width(uint32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
        (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200B || cp == 0x200C ||
        cp == 0x200D || cp == 0xFE0F)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t gc_display_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        if (*p == 0x1B && p[1] == '[') {   /* an ANSI colour: no width */
            p += 2;
            while (*p && !(*p >= 0x40 && *p <= 0x7E)) p++;
            if (*p) p++;
            continue;
        }
        uint32_t cp;
        int n = utf8_char(p, &cp);
        if (n == 0) { w++; p++; continue; }
        w += (size_t)cp_width(cp);
        p += n;
    }
    return w;
}

/* Display width of the first n bytes of s. */
static size_t width_n(const char *s, size_t n)
{
    char buf[1024];
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return gc_display_width(buf);
}

int gc_write_wrapped(FILE *f, const char *text, size_t width)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        /* continuation lines start under the line's second column (the
         * text after its first gap of two spaces), else 4 further in */
        size_t indent = strspn(line, " "), cont = indent + 4;
        for (size_t i = indent; i + 2 < len && i < 200; i++)
            if (line[i] != ' ' && line[i + 1] == ' ' && line[i + 2] == ' ') {
                size_t j = i + 1;
                while (j < len && line[j] == ' ') j++;
                cont = width_n(line, j);
                break;
            }
        if (cont > width / 2) cont = indent + 4 < width / 2 ? indent + 4
                                                            : width / 2;
        const char *p = line;
        size_t plen = len, lead = 0;   /* lead: spaces before this piece */
        while (width > 0 && lead + width_n(p, plen) > width && plen > 0) {
            /* the last space at which the piece still fits */
            size_t cut = 0;
            for (size_t i = 1; i < plen && i < 1000; i++)
                if (p[i] == ' ' && lead + width_n(p, i) <= width) cut = i;
            if (cut == 0) {   /* no space: cut at a character boundary */
                size_t i = 0;
                while (i < plen && i < 1000) {
                    size_t c = 1;
                    while (i + c < plen && (p[i + c] & 0xC0) == 0x80) c++;
                    if (lead + width_n(p, i + c) > width) break;
                    i += c;
                }
                cut = i ? i : 1;
            }
            fprintf(f, "%*s%.*s\n", (int)lead, "", (int)cut, p);
            p += cut;
            plen -= cut;
            while (plen && *p == ' ') { p++; plen--; }
            lead = cont;
        }
        if (plen || p == line) fprintf(f, "%*s%.*s", (int)lead, "", (int)plen, p);
        if (!end) break;
        fputc('\n', f);
        line = end + 1;
    }
    return ferror(f) ? GC_EIO : GC_OK;
}
