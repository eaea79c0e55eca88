/* test_names.c: the clean form of names (names.c, docs/reports.md "Names
 * in reports"), display widths and wrapping.  Every expected string is
 * written out by hand from the rule. */
#include <stdlib.h>
#include <string.h>

#include "gradcheck/names.h"
#include "gradcheck/status.h"
#include "testutil.h"

static const char *clean(const char *raw)
{
    static char buf[GC_NAME_SHOWN_MAX + 1];
    return gc_name_clean(raw, buf, sizeof buf);
}

START_TEST(names_plain_are_unchanged)
{
    /* what every catalogue name looks like: kept byte for byte */
    ck_assert_str_eq(clean("delta^(3) = de/ds^(3) = -1.855"),
                     "delta^(3) = de/ds^(3) = -1.855");
    ck_assert_str_eq(clean("∂E/∂W_{1,2} # \"x\" <y> & 'z'"),
                     "∂E/∂W_{1,2} # \"x\" <y> & 'z'");
    ck_assert_str_eq(clean(""), "");
    ck_assert_str_eq(clean(NULL), "");
}
END_TEST

START_TEST(names_controls_are_escaped)
{
    ck_assert_str_eq(clean("a\tb\nc\rd"), "a\\tb\\nc\\rd");
    ck_assert_str_eq(clean("back\\slash"), "back\\\\slash");
    /* other C0 and DEL as \xHH, upper-case hex */
    ck_assert_str_eq(clean("\x01\x1b[31m\x7f"), "\\x01\\x1B[31m\\x7F");
    /* C1 (U+0085 is C2 85), line and paragraph separators, non-characters */
    ck_assert_str_eq(clean("a\xc2\x85" "b"), "a\\u0085b");
    ck_assert_str_eq(clean("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
    ck_assert_str_eq(clean("\xef\xbf\xbe\xef\xbf\xbf"), "\\uFFFE\\uFFFF");
}
END_TEST

START_TEST(names_invalid_utf8_is_escaped)
{
    /* a lone continuation byte, a truncated 3-byte character, an overlong
     * '/', a UTF-16 surrogate: each byte that starts no character */
    ck_assert_str_eq(clean("a\x80z"), "a\\x80z");
    ck_assert_str_eq(clean("\xe2\x88"), "\\xE2\\x88");
    ck_assert_str_eq(clean("\xc0\xaf"), "\\xC0\\xAF");
    ck_assert_str_eq(clean("\xed\xa0\x80"), "\\xED\\xA0\\x80");
    /* four-byte characters are kept */
    ck_assert_str_eq(clean("\xf0\x9f\x99\x82"), "\xf0\x9f\x99\x82");
}
END_TEST

START_TEST(names_different_names_stay_different)
{
    /* the escapes are reversible: a tab and the two characters \t differ */
    char a[GC_NAME_SHOWN_MAX + 1], b[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean("x\ty", a, sizeof a);
    gc_name_clean("x\\ty", b, sizeof b);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(names_long_are_cut_at_a_character_with_a_hash)
{
    /* 167 x U+2202 (3 bytes) + "a" = 502 bytes.  The cut keeps room for
     * "...~" + 8 hex digits in 240 bytes: 228 bytes, 76 characters.  FNV-1a
     * of the 502 bytes, computed independently (tests/formats_test.sh does
     * it in Python), differs between the two names. */
    char raw[600] = "", raw2[600];
    for (int i = 0; i < 167; i++) strcat(raw, "\xe2\x88\x82");
    strcpy(raw2, raw);
    strcat(raw, "a");
    strcat(raw2, "b");
    char a[GC_NAME_SHOWN_MAX + 1], b[GC_NAME_SHOWN_MAX + 1];
    gc_name_clean(raw, a, sizeof a);
    gc_name_clean(raw2, b, sizeof b);
    ck_assert_uint_eq(strlen(a), 228 + 12);
    ck_assert_int_eq(memcmp(a, raw, 228), 0);
    ck_assert_int_eq(memcmp(a + 228, "...~", 4), 0);
    ck_assert_uint_eq(strspn(a + 232, "0123456789abcdef"), 8);
    ck_assert_str_ne(a, b);
    /* never inside an escape either: 100 tabs are 200 bytes of \t, 130
     * tabs would be 260; the cut falls between two escapes */
    char tabs[131];
    memset(tabs, '\t', 130);
    tabs[130] = 0;
    gc_name_clean(tabs, a, sizeof a);
    ck_assert_uint_eq(strlen(a), 228 + 12);
    ck_assert_int_eq(strncmp(a + 226, "\\t...~", 6), 0);
    /* a small buffer: still a valid cut, never an overflow */
    char small[10];
    gc_name_clean("abcdefghijklmnop", small, sizeof small);
    ck_assert_str_eq(small, "abcdefghi");
}
END_TEST

START_TEST(names_text_keeps_newlines_and_length)
{
    char raw[1000];
    memset(raw, 'x', 999);
    raw[999] = 0;
    raw[10] = '\n';
    raw[20] = '\x01';
    char *t = gc_text_clean_dup(raw);
    ck_assert_uint_eq(strlen(t), 999 + 3);      /* \x01 is 4 bytes for 1 */
    ck_assert_int_eq(t[10], '\n');
    ck_assert_int_eq(strncmp(t + 20, "\\x01", 4), 0);
    free(t);
}
END_TEST

START_TEST(names_display_width)
{
    ck_assert_uint_eq(gc_display_width("W1[0][1]"), 8);
    ck_assert_uint_eq(gc_display_width("∂E/∂W"), 5);         /* 2 x 3 bytes */
    ck_assert_uint_eq(gc_display_width("e\xcc\x81"), 1);      /* combining */
    ck_assert_uint_eq(gc_display_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);  /* 漢字 */
    ck_assert_uint_eq(gc_display_width("\033[1;31mred\033[0m"), 3);
}
END_TEST

static char *wrap(const char *text, size_t width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(gc_write_wrapped(f, text, width), GC_OK);
    fclose(f);
    return buf;
}

START_TEST(names_wrapping)
{
    /* width 0 and short lines: unchanged */
    char *w = wrap("a b c\nd\n", 0);
    ck_assert_str_eq(w, "a b c\nd\n");
    free(w);
    /* broken at the last space that fits, continued under the second
     * column (after the first gap of two spaces: column 6) */
    w = wrap("case  one two three four\n", 14);
    ck_assert_str_eq(w, "case  one two\n      three\n      four\n");
    free(w);
    /* no space: cut at a character, never inside one (3-byte ∂); the
     * continuation indent is capped at half the width */
    w = wrap("∂∂∂∂∂∂\n", 4);
    ck_assert_str_eq(w, "∂∂∂∂\n  ∂∂\n");
    free(w);
}
END_TEST

static Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("clean");
    tcase_add_test(tc, names_plain_are_unchanged);
    tcase_add_test(tc, names_controls_are_escaped);
    tcase_add_test(tc, names_invalid_utf8_is_escaped);
    tcase_add_test(tc, names_different_names_stay_different);
    tcase_add_test(tc, names_long_are_cut_at_a_character_with_a_hash);
    tcase_add_test(tc, names_text_keeps_newlines_and_length);
    tcase_add_test(tc, names_display_width);
    tcase_add_test(tc, names_wrapping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(names_suite()); }
