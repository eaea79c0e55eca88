/* lex.c: the lexer: numbers, names (Greek letters and the partial sign
 * as names), operators as typed or as typeset in the seeds. */
#include "fx/fx_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Non-ASCII characters the language understands: operators as typeset in
 * the seeds, and Greek letters as their names. */
static const struct {
    unsigned cp;
    int kind;             /* T_OP (op) or T_NAME (name) */
    int op;
    const char *name;
} unicode[] = {
    {0x2212, T_OP, '-', NULL},          /* minus sign */
    {0x00B7, T_OP, '*', NULL},          /* middle dot */
    {0x22C5, T_OP, '*', NULL},          /* dot operator */
    {0x00D7, T_OP, '*', NULL},          /* times */
    {0x2299, T_OP, '*', NULL},          /* circled dot: Hadamard product */
    {0x2264, T_OP, OP_LE, NULL},
    {0x2265, T_OP, OP_GE, NULL},
    {0x2260, T_OP, OP_NE, NULL},
    {0x03C3, T_NAME, 0, "sigma"},       /* the sigmoid function */
    {0x2211, T_NAME, 0, "sum"},         /* n-ary summation */
    {0x03A3, T_NAME, 0, "sum"},         /* capital sigma */
    {0x220F, T_NAME, 0, "prod"},
    {0x03A0, T_NAME, 0, "prod"},
    {0x2202, T_NAME, 0, "d"},           /* partial: d, glued to the name */
    /* the other Greek letters, as their names (case files' dims and
     * blocks too: gc_fx_ascii_name); phi and Phi are the normal density
     * and distribution functions */
    {0x03B1, T_NAME, 0, "alpha"},
    {0x03B2, T_NAME, 0, "beta"},
    {0x03B3, T_NAME, 0, "gamma"},
    {0x03B4, T_NAME, 0, "delta"},
    {0x03B5, T_NAME, 0, "epsilon"},
    {0x03F5, T_NAME, 0, "epsilon"},     /* lunate epsilon */
    {0x03B6, T_NAME, 0, "zeta"},
    {0x03B7, T_NAME, 0, "eta"},
    {0x03B8, T_NAME, 0, "theta"},
    {0x03D1, T_NAME, 0, "theta"},       /* script theta */
    {0x03B9, T_NAME, 0, "iota"},
    {0x03BA, T_NAME, 0, "kappa"},
    {0x03BB, T_NAME, 0, "lambda"},
    {0x03BC, T_NAME, 0, "mu"},
    {0x03BD, T_NAME, 0, "nu"},
    {0x03BE, T_NAME, 0, "xi"},
    {0x03C0, T_NAME, 0, "pi"},
    {0x03C1, T_NAME, 0, "rho"},
    {0x03C4, T_NAME, 0, "tau"},
    {0x03C5, T_NAME, 0, "upsilon"},
    {0x03C6, T_NAME, 0, "phi"},
    {0x03D5, T_NAME, 0, "phi"},         /* phi symbol */
    {0x03C7, T_NAME, 0, "chi"},
    {0x03C8, T_NAME, 0, "psi"},
    {0x03C9, T_NAME, 0, "omega"},
    {0x0393, T_NAME, 0, "Gamma"},
    {0x0394, T_NAME, 0, "Delta"},
    {0x0398, T_NAME, 0, "Theta"},
    {0x039B, T_NAME, 0, "Lambda"},
    {0x039E, T_NAME, 0, "Xi"},
    {0x03A6, T_NAME, 0, "Phi"},
    {0x03A8, T_NAME, 0, "Psi"},
    {0x03A9, T_NAME, 0, "Omega"},
};

/* Decode one UTF-8 character at s; returns its length, 0 if malformed. */
static int utf8(const unsigned char *s, const unsigned char *end,
                unsigned *cp)
{
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || end - s < n) return 0;
    unsigned c = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

static void advance(lexer *L, size_t n)
{
    for (size_t i = 0; i < n && L->s < L->end; i++) {
        unsigned char ch = (unsigned char)*L->s++;
        if (ch == '\n') { L->line++; L->col = 1; }
        else if ((ch & 0xC0) != 0x80) L->col++;   /* count characters */
    }
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* A number: digits, a fraction, an exponent. */
static int lex_number(lexer *L)
{
    token *t = &L->t;
    const char *s = L->s;
    const char *p = s;
    int integer = 1;
    while (p < L->end && isdigit((unsigned char)*p)) p++;
    if (p < L->end && *p == '.') {
        integer = 0;
        p++;
        while (p < L->end && isdigit((unsigned char)*p)) p++;
    }
    /* an exponent only when digits follow: 2e is 2 times e */
    if (p < L->end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < L->end && (*q == '+' || *q == '-')) q++;
        if (q < L->end && isdigit((unsigned char)*q)) {
            integer = 0;
            while (q < L->end && isdigit((unsigned char)*q)) q++;
            p = q;
        }
    }
    char buf[64];
    size_t n = (size_t)(p - s);
    if (n >= sizeof buf)
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "a number of more than %zu characters",
                       sizeof buf - 1);
    memcpy(buf, s, n);
    buf[n] = 0;
    t->num = strtod(buf, NULL);
    if (!isfinite(t->num))
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "the number %s is too large", buf);
    t->k = T_NUM;
    t->integer = integer;
    advance(L, n);
    return GC_OK;
}

static int lex_unicode(lexer *L, unsigned char c);

/* A name of letters, digits and '_'. */
static int lex_name(lexer *L)
{
    token *t = &L->t;
    const char *s = L->s;
    const char *p = s;
    while (p < L->end && is_name_char((unsigned char)*p)) p++;
    size_t n = (size_t)(p - s);
    if (n >= GC_NAME_MAX)
        return fx_fail(L->err, t->line, t->col, GC_EINVAL, "a name of "
                       "more than %d characters", GC_NAME_MAX - 1);
    memcpy(t->name, s, n);
    t->k = T_NAME;
    advance(L, n);
    /* d glued to a Greek letter: dL/dβ is dL/dbeta, as dL/∂β */
    if (n == 1 && *s == 'd' && L->s < L->end &&
        (unsigned char)*L->s >= 0x80) {
        unsigned cp = 0;
        int u = utf8((const unsigned char *)L->s,
                     (const unsigned char *)L->end, &cp);
        for (size_t i = 0; u && i < sizeof unicode / sizeof *unicode; i++)
            if (unicode[i].cp == cp && unicode[i].kind == T_NAME &&
                cp != 0x2202 && cp != 0x2211 && cp != 0x03A3 &&
                cp != 0x220F && cp != 0x03A0) {
                lexer after = *L;
                token dt = *t;
                if (lex_unicode(&after, (unsigned char)*L->s) ||
                    strlen(after.t.name) + 1 >= GC_NAME_MAX)
                    break;
                snprintf(dt.name, sizeof dt.name, "d%s", after.t.name);
                snprintf(dt.spelled, sizeof dt.spelled, "d%.30s",
                         after.t.spelled);
                after.t = dt;
                *L = after;
                break;
            }
    }
    return GC_OK;
}

/* A non-ASCII character: one of the table `unicode` (c its first byte). */
static int lex_unicode(lexer *L, unsigned char c)
{
    token *t = &L->t;
    const char *s = L->s;
    unsigned cp = 0;
    int n = utf8((const unsigned char *)s, (const unsigned char *)L->end,
                 &cp);
    if (!n)
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "a byte 0x%02X that is not UTF-8 text", c);
    for (size_t i = 0; i < sizeof unicode / sizeof *unicode; i++) {
        if (unicode[i].cp != cp) continue;
        advance(L, (size_t)n);
        t->k = unicode[i].kind;
        t->op = unicode[i].op;
        if (t->k == T_NAME) {
            snprintf(t->name, sizeof t->name, "%s", unicode[i].name);
            if (cp != 0x2202)               /* as written, for messages */
                memcpy(t->spelled, s, (size_t)n);
            /* the partial sign and Greek letters glue to a following
             * name: "∂L" is dL, "δ3" is delta3 */
            const char *p = L->s;
            while (p < L->end && is_name_char((unsigned char)*p)) p++;
            size_t have = strlen(t->name), more = (size_t)(p - L->s);
            if (have + more >= GC_NAME_MAX)
                return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                               "a name of more than %d characters",
                               GC_NAME_MAX - 1);
            memcpy(t->name + have, L->s, more);
            t->name[have + more] = 0;
            if (t->spelled[0] && (size_t)n + more < sizeof t->spelled)
                memcpy(t->spelled + n, L->s, more);
            advance(L, more);
        }
        return GC_OK;
    }
    return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                   "unexpected character U+%04X", cp);
}

int gc_fx_ascii_text(const char *in, char *out, size_t len)
{
    size_t l = 0;
    const unsigned char *p = (const unsigned char *)in;
    const unsigned char *end = p + strlen(in);
    while (p < end) {
        const char *add = NULL;
        char one[2] = {0, 0};
        unsigned cp = 0;
        int n = 1;
        if (*p < 0x80) {
            one[0] = (char)*p;
            add = one;
        } else if ((n = utf8(p, end, &cp)) > 0) {
            for (size_t i = 0; i < sizeof unicode / sizeof *unicode; i++)
                if (unicode[i].cp == cp && unicode[i].kind == T_NAME &&
                    cp != 0x2202 && cp != 0x2211 && cp != 0x03A3 &&
                    cp != 0x220F && cp != 0x03A0)
                    add = unicode[i].name;
        }
        if (!add || l + strlen(add) >= len) return 0;
        memcpy(out + l, add, strlen(add));
        l += strlen(add);
        p += n;
    }
    out[l] = 0;
    return 1;
}

/* Brackets, commas, operators; c is the character. */
static int lex_punct(lexer *L, unsigned char c)
{
    token *t = &L->t;
    advance(L, 1);
    switch (c) {
    case '(': t->k = T_LP; return GC_OK;
    case ')': t->k = T_RP; return GC_OK;
    case '[': t->k = T_LB; return GC_OK;
    case ']': t->k = T_RB; return GC_OK;
    case ',': t->k = T_COMMA; return GC_OK;
    case '+': case '-': case '*': case '/': case '^': case '@':
        t->k = T_OP;
        t->op = c;
        if (c == '*' && L->s < L->end && *L->s == '*') {
            advance(L, 1);        /* Python's power a ** b */
            t->op = '^';
        }
        return GC_OK;
    case '&': case '|':
        /* a && b, a || b: 1 or 0 (a padded convolution's bounds) */
        if (L->s < L->end && *L->s == (char)c) {
            advance(L, 1);
            t->k = T_OP;
            t->op = c == '&' ? OP_AND : OP_OR;
            return GC_OK;
        }
        return fx_fail(L->err, t->line, t->col, GC_EINVAL, "unexpected "
                       "'%c' (write && for and, || for or)", c);
    case '.':
        if (L->s < L->end && (*L->s == '*' || *L->s == '/' || *L->s == '^')) {
            /* MATLAB's entry-by-entry .* ./ .^: * / ^ already are */
            t->k = T_OP;
            t->op = (unsigned char)*L->s;
            advance(L, 1);
            return GC_OK;
        }
        if (L->s < L->end && *L->s == 'T')
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character '.' (a transpose is "
                           "transpose(A) or A^T)");
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "unexpected character '.'");
    case '<': case '>': case '=': case '!': {
        int eq = L->s < L->end && *L->s == '=';
        if (eq) advance(L, 1);
        t->k = T_OP;
        if (c == '<') t->op = eq ? OP_LE : '<';
        else if (c == '>') t->op = eq ? OP_GE : '>';
        else if (c == '=') { if (eq) t->op = OP_EQ; else t->k = T_ASSIGN; }
        else if (eq) t->op = OP_NE;
        else return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                            "unexpected '!' (write != for not equal)");
        return GC_OK;
    }
    case 0:
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "unexpected NUL byte");
    default:
        if (c == '\'')
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character ''' (a derivative is "
                           "written dtanh(x), dsigmoid(x), drelu(x) or as "
                           "its formula; a transpose transpose(A) or A^T)");
        if (c == ':')
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character ':' (there are no slices: "
                           "array(i, 2, 4, x[i]) is entries 2..4 of x)");
        if (c == '{' || c == '}')
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character '%c' (an indicator 1{c} is "
                           "the comparison itself, 1 or 0: (s > 0), or "
                           "step(s); brackets are ( ) and [ ])", c);
        if (c == '?')
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character '?' (a choice c ? a : b "
                           "is if(c, a, b))");
        if (isprint(c))
            return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                           "unexpected character '%c'", c);
        return fx_fail(L->err, t->line, t->col, GC_EINVAL,
                       "unexpected control character 0x%02X", c);
    }
}

/* Read the next token into L->t; returns non-zero with L->err set. */
int fx_lex(lexer *L)
{
    token *t = &L->t;
    L->prev = t->k;
    const char *start = L->s;
    for (;;) {
        while (L->s < L->end && (*L->s == ' ' || *L->s == '\t' ||
                                 *L->s == '\n' || *L->s == '\r'))
            advance(L, 1);
        if (L->s < L->end && *L->s == '#') {
            while (L->s < L->end && *L->s != '\n') advance(L, 1);
            continue;
        }
        break;
    }
    memset(t, 0, sizeof *t);
    t->line = L->line;
    t->col = L->col;
    t->spaced = L->s != start;
    if (L->s >= L->end) { t->k = T_END; return GC_OK; }
    unsigned char c = (unsigned char)*L->s;
    if (isdigit(c) || (c == '.' && L->end - L->s > 1 &&
                       isdigit((unsigned char)L->s[1])))
        return lex_number(L);
    if (isalpha(c) || c == '_') return lex_name(L);
    if (c >= 0x80) return lex_unicode(L, c);
    return lex_punct(L, c);
}

void gc_fx_text_normalize(char *text, size_t *len)
{
    if (*len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        memmove(text, text + 3, *len - 3 + 1);    /* with the final NUL */
        *len -= 3;
    }
    for (size_t i = 0; i < *len; i++)
        if (text[i] == '\r' && (i + 1 >= *len || text[i + 1] != '\n'))
            text[i] = '\n';
}
