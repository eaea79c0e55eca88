/* case.c: reading a YAML case file (docs/case-files.md) into a gc_case.
 *
 * libyaml parses the file into a node graph; this file only checks that
 * graph against the case schema and the model's layout.  Every rejection
 * names the file, the line and column of the offending node, and what was
 * expected there.  Unknown keys and keys given twice are errors: a typo in a
 * case must not silently produce a plausible report.
 */
#define _XOPEN_SOURCE 700   /* realpath */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/status.h"
#include "gradcheck/target.h"
#include "gradcheck/verdict.h"

#include <stdio.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fx/fx.h"
#include "fx/network.h"
#include "nomem.h"

typedef struct {
    yaml_document_t doc;
    gc_error *err;
    gc_case *c;
    const unsigned char *buf;    /* the file, for positions in block scalars */
    size_t len;
    yaml_node_t *net_inputs;     /* network.inputs, where inputs are declared */
    yaml_node_t *net_params;     /* network.params */
} reader;

static int fail_at(reader *r, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
    va_end(ap);
    r->err->line = n ? (long)n->start_mark.line + 1 : 0;
    r->err->column = n ? (long)n->start_mark.column + 1 : 0;
    return GC_EINVAL;
}

static yaml_node_t *node(reader *r, int id)
{
    return yaml_document_get_node(&r->doc, id);
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                       : NULL;
}

static int want_scalar(reader *r, const yaml_node_t *n, const char *what,
                       const char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(r, n, "%s: expected a scalar, found %s", what,
                       kind_name(n));
    *out = scalar(n);
    return GC_OK;
}

static int want_string(reader *r, const yaml_node_t *n, const char *what,
                       char **out)
{
    const char *s = NULL;
    int st = want_scalar(r, n, what, &s);
    if (st) return st;
    if (n->data.scalar.length != strlen(s))
        return fail_at(r, n, "%s: expected text without NUL bytes", what);
    free(*out);
    *out = strdup(s);
    return *out ? GC_OK : GC_ENOMEM;
}

/* A finite number written as a plain YAML scalar. */
static int want_number(reader *r, const yaml_node_t *n, const char *what,
                       double *out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(r, n, "%s: expected a number, found %s", what,
                       kind_name(n));
    const char *s = scalar(n);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return fail_at(r, n, "%s: expected a number, found the quoted "
                       "string \"%.40s\"", what, s);
    /* YAML's own spellings of the non-finite values */
    static const char *const nonfinite[] = {".nan", ".NaN", ".NAN", ".inf",
        ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF",
        NULL};
    for (int i = 0; nonfinite[i]; i++)
        if (strcmp(s, nonfinite[i]) == 0)
            return fail_at(r, n, "%s: expected a finite number, found \"%s\"",
                           what, s);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != 0)
        return fail_at(r, n, "%s: expected a number, found \"%.40s\"", what,
                       s);
    if (!isfinite(v) || errno == ERANGE)
        return fail_at(r, n, "%s: expected a finite number, found \"%.40s\"",
                       what, s);
    *out = v;
    return GC_OK;
}

static int want_integer(reader *r, const yaml_node_t *n, const char *what,
                        long lo, long hi, long *out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(r, n, "%s: expected a whole number, found %s", what,
                       kind_name(n));
    const char *s = scalar(n);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != 0 || errno)
        return fail_at(r, n, "%s: expected a whole number, found \"%.40s\"",
                       what, s);
    if (v < lo || v > hi)
        return fail_at(r, n, "%s: expected a whole number from %ld to %ld, "
                       "found %ld", what, lo, hi, v);
    *out = v;
    return GC_OK;
}

/* Iterate a mapping, rejecting keys that are not scalars or appear twice. */
typedef int (*pair_fn)(reader *r, const char *key, yaml_node_t *k,
                       yaml_node_t *v, void *ctx);

static int each_pair(reader *r, yaml_node_t *map, const char *what,
                     pair_fn fn, void *ctx)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail_at(r, map, "%s: expected a mapping (key: value lines), "
                       "found %s", what, kind_name(map));
    yaml_node_pair_t *p0 = map->data.mapping.pairs.start;
    yaml_node_pair_t *top = map->data.mapping.pairs.top;
    if (top - p0 > GC_CASE_MAX_KEYS)
        return fail_at(r, map, "%s: more than the limit of %d keys in one "
                       "mapping", what, GC_CASE_MAX_KEYS);
    for (yaml_node_pair_t *p = p0; p < top; p++) {
        yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return fail_at(r, k ? k : map, "%s: expected a name as key",
                           what);
        for (yaml_node_pair_t *q = p0; q < p; q++) {
            yaml_node_t *k2 = node(r, q->key);
            if (k2 && k2->type == YAML_SCALAR_NODE &&
                strcmp(scalar(k2), scalar(k)) == 0)
                return fail_at(r, k, "%s: \"%s\" is given twice (first at "
                               "line %ld)", what, scalar(k),
                               (long)k2->start_mark.line + 1);
        }
        int st = fn(r, scalar(k), k, v, ctx);
        if (st) return st;
    }
    return GC_OK;
}

/* Read a nested list matching block b into dst (row-major). */
static int read_array(reader *r, yaml_node_t *n, const gc_block *b,
                      int axis, double *dst, size_t *pos, const char *what)
{
    if (axis == b->rank)
        return want_number(r, n, what, &dst[(*pos)++]);
    if (n->type != YAML_SEQUENCE_NODE) {
        if (axis == 0 && b->rank == 1)
            return fail_at(r, n, "%s: expected a list of %zu numbers, found "
                           "%s", what, b->shape[0], kind_name(n));
        return fail_at(r, n, "%s: expected a list of %zu %s, found %s", what,
                       b->shape[axis],
                       axis + 1 == b->rank ? "numbers" : "lists",
                       kind_name(n));
    }
    size_t len = (size_t)(n->data.sequence.items.top -
                          n->data.sequence.items.start);
    if (len != b->shape[axis]) {
        const char *unit = axis + 1 == b->rank ? "numbers"
                         : axis == 0 ? "rows" : "lists";
        char shape[96] = "";
        for (int i = 0; i < b->rank; i++) {
            size_t l = strlen(shape);
            snprintf(shape + l, sizeof shape - l, "%s%zu", i ? " x " : "",
                     b->shape[i]);
        }
        return fail_at(r, n, "%s: expected %zu %s (shape %s), found %zu",
                       what, b->shape[axis], unit, shape, len);
    }
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *it = node(r, n->data.sequence.items.start[i]);
        int st = read_array(r, it, b, axis + 1, dst, pos, what);
        if (st) return st;
    }
    return GC_OK;
}

static int read_block(reader *r, yaml_node_t *n, const gc_block *b,
                      double *dst, const char *family)
{
    char what[96];
    snprintf(what, sizeof what, "%s %s", family, b->name);
    size_t pos = 0;
    if (b->rank == 2 && n->type == YAML_SEQUENCE_NODE) {
        /* Say "(shape R x C)" in the message for the common matrix case. */
        size_t len = (size_t)(n->data.sequence.items.top -
                              n->data.sequence.items.start);
        if (len != b->shape[0])
            return fail_at(r, n, "%s: expected %zu rows (shape %zu x %zu), "
                           "found %zu", what, b->shape[0], b->shape[0],
                           b->shape[1], len);
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *row = node(r, n->data.sequence.items.start[i]);
            char w2[128];
            snprintf(w2, sizeof w2, "%s, row %zu", what, i + b->base[0]);
            if (row->type != YAML_SEQUENCE_NODE)
                return fail_at(r, row, "%s: expected a list of %zu numbers, "
                               "found %s", w2, b->shape[1], kind_name(row));
            size_t cols = (size_t)(row->data.sequence.items.top -
                                   row->data.sequence.items.start);
            if (cols != b->shape[1])
                return fail_at(r, row, "%s: expected %zu numbers (shape %zu "
                               "x %zu), found %zu", w2, b->shape[1],
                               b->shape[0], b->shape[1], cols);
            for (size_t j = 0; j < cols; j++) {
                int st = want_number(r, node(r, row->data.sequence.items.start[j]),
                                     w2, &dst[b->offset + pos++]);
                if (st) return st;
            }
        }
        return GC_OK;
    }
    return read_array(r, n, b, 0, dst + b->offset, &pos, what);
}

/* Comma-separated list of a family's block names, for messages. */
static void list_blocks(const gc_blocks *b, char *buf, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < b->n_blocks; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? ", " : "", b->block[i].name);
    }
}

/* ------------------------------------------------------------ sections */

static int on_source(reader *r, const char *key, yaml_node_t *k,
                     yaml_node_t *v, void *ctx)
{
    (void)ctx;
    if (strcmp(key, "seed") == 0) return want_string(r, v, "source.seed", &r->c->seed);
    if (strcmp(key, "problem") == 0)
        return want_string(r, v, "source.problem", &r->c->problem);
    return fail_at(r, k, "source: unknown key \"%s\" (expected seed, problem)",
                   key);
}

static int on_shape(reader *r, const char *key, yaml_node_t *k,
                    yaml_node_t *v, void *ctx)
{
    long *dims = ctx;
    const gc_model_type *m = r->c->model;
    int i = gc_dim_index(m, key);
    if (i < 0) {
        char names[256] = "";
        for (int j = 0; m->dims[j].name; j++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", j ? ", " : "",
                     m->dims[j].name);
        }
        return fail_at(r, k, "shape: model %s has no dimension \"%s\" "
                       "(expected %s)", m->name, key,
                       names[0] ? names : "no shape at all");
    }
    char what[64];
    snprintf(what, sizeof what, "shape.%s", key);
    return want_integer(r, v, what, m->dims[i].min, m->dims[i].max, &dims[i]);
}

typedef struct {
    const gc_blocks *fam;
    double *dst;
    unsigned char *given;
    const char *family;
} block_ctx;

static const char *net_name(const char *key, char *buf, size_t len);

static int on_block(reader *r, const char *key, yaml_node_t *k,
                    yaml_node_t *v, void *ctx)
{
    block_ctx *b = ctx;
    char asc[GC_NAME_MAX];
    if (r->c->net) key = net_name(key, asc, sizeof asc);
    const gc_block *blk = gc_blocks_find(b->fam, key);
    if (!blk) {
        char names[512];
        list_blocks(b->fam, names, sizeof names);
        return fail_at(r, k, "%s: model %s has no %s \"%s\" (expected %s)",
                       b->family, r->c->model->name,
                       strcmp(b->family, "params") ? "input" : "parameter",
                       key, names[0] ? names : "none");
    }
    b->given[blk - b->fam->block] = 1;
    return read_block(r, v, blk, b->dst, b->family);
}

static int on_random(reader *r, const char *key, yaml_node_t *k,
                     yaml_node_t *v, void *ctx)
{
    (void)ctx;
    gc_case *c = r->c;
    if (strcmp(key, "seed") == 0) {
        long s;
        int st = want_integer(r, v, "random.seed", 0, 2147483647L, &s);
        c->seed_rng = (unsigned long)s;
        return st;
    }
    if (strcmp(key, "scale") == 0) {
        int st = want_number(r, v, "random.scale", &c->scale);
        if (!st && !(c->scale > 0))
            return fail_at(r, v, "random.scale: expected a positive number");
        return st;
    }
    if (strcmp(key, "dist") == 0) {
        const char *s = NULL;
        int st = want_scalar(r, v, "random.dist", &s);
        if (st) return st;
        if (strcmp(s, "normal") == 0) c->dist = GC_DIST_NORMAL;
        else if (strcmp(s, "uniform") == 0) c->dist = GC_DIST_UNIFORM;
        else return fail_at(r, v, "random.dist: expected normal or uniform, "
                            "found \"%.40s\"", s);
        return GC_OK;
    }
    return fail_at(r, k, "random: unknown key \"%s\" (expected seed, dist, "
                   "scale)", key);
}

/* A section of named numbers (tolerance:, step:, golden:): each key one of
 * `names`, its value stored through the matching `dst`, and a number >= 0
 * (or, with unit set, strictly between 0 and 1). */
typedef struct {
    const char *section;
    const char *const *names;   /* NULL-terminated */
    double *const *dst;         /* one per name */
    int unit;
} number_section;

static int on_number(reader *r, const char *key, yaml_node_t *k,
                     yaml_node_t *v, void *ctx)
{
    const number_section *ns = ctx;
    double *dst = NULL;
    char expected[128] = "";
    for (size_t i = 0; ns->names[i]; i++) {
        if (strcmp(key, ns->names[i]) == 0) dst = ns->dst[i];
        size_t l = strlen(expected);
        snprintf(expected + l, sizeof expected - l, "%s%s", i ? ", " : "",
                 ns->names[i]);
    }
    if (!dst)
        return fail_at(r, k, "%s: unknown key \"%s\" (expected %s)",
                       ns->section, key, expected);
    char what[64];
    snprintf(what, sizeof what, "%s.%s", ns->section, key);
    int st = want_number(r, v, what, dst);
    if (!st && ns->unit && !(*dst > 0 && *dst < 1))
        return fail_at(r, v, "%s: expected a number between 0 and 1", what);
    if (!st && !ns->unit && *dst < 0)
        return fail_at(r, v, "%s: expected a number >= 0", what);
    return st;
}

static int verdict_of(reader *r, yaml_node_t *v, const char *what,
                      gc_verdict *out)
{
    const char *s = NULL;
    int st = want_scalar(r, v, what, &s);
    if (st) return st;
    int x = gc_verdict_parse(s);
    if (x < 0)
        return fail_at(r, v, "%s: expected a verdict (agree, disagree, kink, "
                       "nonfinite, inconclusive), found \"%.40s\"", what, s);
    *out = (gc_verdict)x;
    return GC_OK;
}

static int on_derivation(reader *r, const char *key, yaml_node_t *k,
                         yaml_node_t *v, void *ctx)
{
    (void)ctx;
    gc_case *c = r->c;
    const gc_derivation_type *d = gc_derivation_find(c->model, key);
    if (!d) {
        char names[256] = "";
        for (size_t j = 0; c->model->derivations[j]; j++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", j ? ", " : "",
                     c->model->derivations[j]->name);
        }
        return fail_at(r, k, "derivations: model %s has no derivation \"%s\" "
                       "(expected %s)", c->model->name, key, names);
    }
    gc_case_derivation *cd = &c->derivs[c->n_derivs++];
    cd->type = d;
    cd->line = (long)k->start_mark.line + 1;
    char what[64];
    snprintf(what, sizeof what, "derivations.%s", key);
    if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0 &&
        v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        cd->no_expect = 1;      /* "seed:" alone: no expectation */
        cd->expect = GC_AGREE;
        return GC_OK;
    }
    return verdict_of(r, v, what, &cd->expect);
}

/* Text that reports print (a title, a summary): no control characters
 * but line breaks and tabs, so that no escape sequence reaches a terminal
 * with the report. */
static int printable(reader *r, const yaml_node_t *n, const char *what,
                     const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
            return fail_at(r, n, "%s: expected text without control "
                           "characters, found byte 0x%02X", what, *p);
    return GC_OK;
}

/* ------------------------------------------------------------ networks */

/* Where the text of scalar n starts, for gc_net_pos: a block scalar (| or
 * >) starts on the line after its indicator, at the indentation of its
 * content (that of its first non-blank line less the spaces the text keeps
 * there: "|2" keeps those beyond two); a plain or quoted one where it
 * stands.  Only a literal block (|) keeps each line of the text on its own
 * line of the file: a folded (>), plain or quoted text of more than one
 * line joins or escapes them, and a position in it would name the wrong
 * place, so such a text is refused (what names it in the message). */
/* The characters of a quoted one-line scalar at their file columns: an
 * escape (\t, \x41, \u03b1, \U0001D6FC; '' in single quotes) is one
 * character of the text and several of the file, so a message's column
 * in the text is mapped through pos->cols (malloc'd, the caller frees;
 * left NULL when the text has no escape). */
static int quoted_cols(reader *r, const yaml_node_t *n, gc_net_pos *pos)
{
    int dq = n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    size_t a = n->start_mark.index + 1, b = n->end_mark.index;
    if (b > r->len) b = r->len;
    int esc = 0;
    for (size_t i = a; i < b; i++)
        esc |= dq ? r->buf[i] == '\\' : (r->buf[i] == '\'' && i + 1 < b &&
                                          r->buf[i + 1] == '\'');
    if (!esc) return GC_OK;
    const unsigned char *v = n->data.scalar.value;
    size_t vlen = n->data.scalar.length;
    long *cols = malloc((vlen + 1) * sizeof *cols);
    if (!cols) return GC_ENOMEM;
    size_t nc = 0, i = a, k = 0;
    long col = pos->column;
    while (k < vlen && i < b) {
        cols[nc++] = col;
        size_t raw = 1;                    /* characters of the file */
        if (dq && r->buf[i] == '\\' && i + 1 < b)
            raw = r->buf[i + 1] == 'x' ? 4 : r->buf[i + 1] == 'u' ? 6
                  : r->buf[i + 1] == 'U' ? 10 : 2;
        else if (!dq && r->buf[i] == '\'' && i + 1 < b &&
                 r->buf[i + 1] == '\'')
            raw = 2;
        for (size_t c = 0; c < raw && i < b; c++) {   /* by characters */
            i++;
            while (i < b && ((unsigned char)r->buf[i] & 0xC0) == 0x80) i++;
        }
        col += (long)raw;
        k++;                                /* one character of the text */
        while (k < vlen && (v[k] & 0xC0) == 0x80) k++;
    }
    cols[nc++] = col;                       /* one past the end */
    pos->cols = cols;
    pos->n_cols = nc;
    return GC_OK;
}

static int text_pos(reader *r, const yaml_node_t *n, const char *what,
                    gc_net_pos *pos)
{
    pos->cols = NULL;
    pos->n_cols = 0;
    pos->line = (long)n->start_mark.line + 1;
    pos->column = (long)n->start_mark.column + 1;
    yaml_scalar_style_t style = n->data.scalar.style;
    if (style != YAML_LITERAL_SCALAR_STYLE &&
        style != YAML_FOLDED_SCALAR_STYLE) {
        if (n->end_mark.line != n->start_mark.line ||
            memchr(n->data.scalar.value, '\n', n->data.scalar.length))
            goto several;
        if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
            style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
            pos->column++;
            return quoted_cols(r, n, pos);
        }
        return GC_OK;
    }
    /* lines end in \n, \r\n or a lone \r, as YAML has it */
#define EOL(k) (r->buf[k] == '\n' || r->buf[k] == '\r')
#define NEXT_LINE(k) ((k) + (r->buf[k] == '\r' && (k) + 1 < r->len && \
                             r->buf[(k) + 1] == '\n' ? 2 : 1))
    size_t i = n->start_mark.index;
    while (i < r->len && !EOL(i)) i++;             /* the indicator line */
    pos->line++;
    size_t ind = 0, lines = 0;
    for (size_t j = i < r->len ? NEXT_LINE(i) : i;
         j < r->len && j < n->end_mark.index;) {
        size_t k = j;              /* the content's non-blank lines */
        while (k < r->len && r->buf[k] == ' ') k++;
        if (k < r->len && !EOL(k) && lines++ == 0)
            ind = k - j;
        while (k < r->len && !EOL(k)) k++;
        if (k >= r->len) break;
        j = NEXT_LINE(k);
    }
#undef EOL
#undef NEXT_LINE
    /* the spaces the text keeps before its first non-blank line's text */
    const unsigned char *v = n->data.scalar.value;
    size_t kept = 0, at = 0;
    while (at < n->data.scalar.length && (v[at] == '\n' || v[at] == ' ')) {
        kept = v[at] == '\n' ? 0 : kept + 1;
        at++;
    }
    pos->column = (long)(ind > kept ? ind - kept : 0) + 1;
    if (style == YAML_FOLDED_SCALAR_STYLE && lines > 1) goto several;
    return GC_OK;
several:
    return fail_at(r, n, "%s: expected the lines as a literal block (%s: | "
                   "then one statement per line, indented): a folded (>), "
                   "plain or quoted text of several lines joins them", what,
                   strrchr(what, '.') ? strrchr(what, '.') + 1 : what);
}

typedef struct {
    yaml_node_t *dims, *params, *inputs, *forward;
} network_ctx;

static int on_network(reader *r, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *ctx)
{
    network_ctx *n = ctx;
    if (strcmp(key, "dims") == 0) n->dims = v;
    else if (strcmp(key, "params") == 0) n->params = v;
    else if (strcmp(key, "inputs") == 0) n->inputs = v;
    else if (strcmp(key, "forward") == 0) n->forward = v;
    else return fail_at(r, k, "network: unknown key \"%s\" (expected dims, "
                        "params, inputs, forward)", key);
    return GC_OK;
}

static int is_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* A name of a case file's network (a dim, a block) as formulas read it:
 * Greek letters become their names (η is eta), as in the formula
 * language; key itself when it is no such name. */
static const char *net_name(const char *key, char *buf, size_t len)
{
    if (is_name(key) || !gc_fx_ascii_text(key, buf, len) || !is_name(buf))
        return key;
    return buf;
}

static int on_net_dim(reader *r, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *ctx)
{
    (void)ctx;
    char asc[GC_NAME_MAX];
    key = net_name(key, asc, sizeof asc);
    if (!is_name(key) || strlen(key) >= GC_NAME_MAX)
        return fail_at(r, k, "network.dims: expected a name (letters, "
                       "digits, _), found \"%.40s\"", key);
    if (strcmp(key, "pi") == 0)
        return fail_at(r, k, "network.dims: \"pi\" is the number pi in "
                       "formulas: choose another name");
    char what[96];
    snprintf(what, sizeof what, "network.dims.%s", key);
    long val;
    int st = want_integer(r, v, what, 1, 1000000L, &val);
    if (st) return st;
    st = gc_net_add_dim(r->c->net, key, val);
    if (st == GC_ELIMIT)
        return fail_at(r, k, "network.dims: more than %d dims", GC_MAX_DIMS);
    return st;
}

static int on_net_block(reader *r, const char *key, yaml_node_t *k,
                        yaml_node_t *v, void *ctx)
{
    int input = *(int *)ctx;
    const char *fam = input ? "network.inputs" : "network.params";
    gc_net *net = r->c->net;
    char asc[GC_NAME_MAX];
    key = net_name(key, asc, sizeof asc);
    if (!is_name(key) || strlen(key) >= GC_NAME_MAX)
        return fail_at(r, k, "%s: expected a name (letters, digits, _; at "
                       "most %d characters), found \"%.40s\"", fam,
                       GC_NAME_MAX - 1, key);
    if (strcmp(key, "pi") == 0)
        return fail_at(r, k, "%s: \"pi\" is the number pi in formulas: "
                       "choose another name", fam);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail_at(r, v, "%s.%s: expected a shape, a list of axes such "
                       "as [n1, n0], [0..d0, d1] or [] for a number, found %s",
                       fam, key, kind_name(v));
    size_t rank = (size_t)(v->data.sequence.items.top -
                           v->data.sequence.items.start);
    if (rank > GC_MAX_RANK)
        return fail_at(r, v, "%s.%s: %zu axes, at most %d", fam, key, rank,
                       GC_MAX_RANK);
    long first[GC_MAX_RANK], size[GC_MAX_RANK];
    for (size_t i = 0; i < rank; i++) {
        yaml_node_t *ax = node(r, v->data.sequence.items.start[i]);
        const char *t = NULL;
        char what[96], msg[200];
        snprintf(what, sizeof what, "%s.%s", fam, key);
        int st = want_scalar(r, ax, what, &t);
        if (st) return st;
        char tasc[256];                  /* [η, n]: Greek dims' names */
        if (gc_fx_ascii_text(t, tasc, sizeof tasc)) t = tasc;
        if (gc_net_axis(net, t, &first[i], &size[i], msg, sizeof msg))
            return fail_at(r, ax, "%s: axis %zu: %s (an axis is SIZE, indices "
                           "1..SIZE, or FIRST..LAST)", what, i + 1, msg);
    }
    for (int i = 0; net && gc_net_model(net)->dims[i].name; i++)
        if (strcmp(gc_net_model(net)->dims[i].name, key) == 0)
            return fail_at(r, k, "%s: \"%s\" is already a dimension", fam,
                           key);
    int st = gc_net_add_block(net, input, key, (int)rank, first, size);
    if (st == GC_EINVAL)
        return fail_at(r, k, "%s: \"%s\" is already a parameter or input",
                       fam, key);
    if (st == GC_ELIMIT) {
        size_t so_far;                          /* the family's entries */
        size_t n_blocks = gc_net_n_blocks(net, input, &so_far);
        double entries = (double)so_far, mine = 1;
        for (size_t i = 0; i < rank; i++) mine *= (double)size[i];
        if (n_blocks >= GC_MAX_BLOCKS)
            return fail_at(r, k, "%s: more than %d blocks (the limit "
                           "GC_MAX_BLOCKS)", fam, GC_MAX_BLOCKS);
        if (so_far == 0)
            return fail_at(r, k, "%s.%s: %.0f entries, more than %zu (the "
                           "limit GC_MAX_ENTRIES)", fam, key, mine,
                           (size_t)GC_MAX_ENTRIES);
        return fail_at(r, k, "%s.%s: %.0f entries, %.0f with the blocks "
                       "above: more than %zu (the limit GC_MAX_ENTRIES)", fam,
                       key, mine, entries + mine, (size_t)GC_MAX_ENTRIES);
    }
    return st;
}

static int read_network(reader *r, yaml_node_t *n, yaml_node_t **forward)
{
    gc_case *c = r->c;
    network_ctx nc = {0};
    int st = each_pair(r, n, "network", on_network, &nc);
    if (st) return st;
    if (!nc.params)
        return fail_at(r, n, "network: expected a \"params:\" key (the "
                       "parameter blocks and their shapes)");
    if (!nc.forward)
        return fail_at(r, n, "network: expected a \"forward:\" key (the "
                       "forward pass, the last definition the loss)");
    if (nc.forward->type != YAML_SCALAR_NODE)
        return fail_at(r, nc.forward, "network.forward: expected the "
                       "definitions as text (forward: |, then one per line), "
                       "found %s", kind_name(nc.forward));
    if ((st = gc_net_alloc(c->name, c->title, c->path, &c->net))) return st;
    if (!c->seed) {          /* no source: the case file is the source */
        const char *slash = strrchr(c->path, '/');
        if (!(c->seed = strdup(slash ? slash + 1 : c->path)) ||
            !(c->problem = strdup("its network: section")))
            return GC_ENOMEM;
    }
    c->model = gc_net_model(c->net);
    if (nc.dims && (st = each_pair(r, nc.dims, "network.dims", on_net_dim,
                                   NULL)))
        return st;
    int input = 0;
    if ((st = each_pair(r, nc.params, "network.params", on_net_block,
                        &input)))
        return st;
    if (nc.params->data.mapping.pairs.top ==
        nc.params->data.mapping.pairs.start)
        return fail_at(r, nc.params, "network.params: expected at least one "
                       "parameter block");
    input = 1;
    r->net_inputs = nc.inputs;
    r->net_params = nc.params;
    if (nc.inputs && (st = each_pair(r, nc.inputs, "network.inputs",
                                     on_net_block, &input)))
        return st;
    *forward = nc.forward;
    return gc_net_problem(c->net, &c->prob);
}

/* Read a derivation's file: relative to the case file's folder. */
static int read_text_file(reader *r, yaml_node_t *at, const char *name,
                          char **path, char **text, size_t *len)
{
    const char *slash = strrchr(r->c->path, '/');
    size_t dl = name[0] == '/' || !slash ? 0 : (size_t)(slash - r->c->path) + 1;
    *path = malloc(dl + strlen(name) + 1);
    if (!*path) return GC_ENOMEM;
    memcpy(*path, r->c->path, dl);
    strcpy(*path + dl, name);
    if (!name[0])
        return fail_at(r, at, "file: expected the name of a formula file "
                       "(relative to the case file), found nothing");
    /* the case file's folder or below: a case that names /etc/passwd or
     * ../../secret.txt (or a link to them) does not get it read */
    size_t cdl = slash ? (size_t)(slash - r->c->path) : 0;  /* its folder */
    char *dir = strndup(r->c->path, cdl);
    char *rdir = dir ? realpath(slash ? (cdl ? dir : "/") : ".", NULL) : NULL;
    char *real = realpath(*path, NULL);
    free(dir);
    if (!rdir && errno == ENOMEM) { free(real); return GC_ENOMEM; }
    size_t rl = rdir ? strlen(rdir) : 0;
    int outside = real && rdir && strcmp(rdir, "/") != 0 &&
                  strcmp(real, rdir) != 0 &&      /* the folder: below */
                  !(strncmp(real, rdir, rl) == 0 && real[rl] == '/');
    free(rdir);
    free(real);
    if (outside)
        return fail_at(r, at, "file: %s is outside the case file's folder: "
                       "expected a formula file in that folder or below it, "
                       "named relative to the case file", *path);
    /* O_NONBLOCK: a FIFO or a device would wait forever at open; only a
     * regular file is read */
    int fd = open(*path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fail_at(r, at, "file: cannot read %s: %s", *path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int dir = S_ISDIR(sb.st_mode);
        close(fd);
        return fail_at(r, at, "file: %s is %s, expected a formula file (text)",
                       *path, dir ? "a directory" : "not a regular file");
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) { close(fd); return GC_ENOMEM; }
    *text = malloc(GC_SUB_MAX_BYTES + 1);
    if (!*text) { fclose(f); return GC_ENOMEM; }
    *len = fread(*text, 1, GC_SUB_MAX_BYTES + 1, f);
    int bad = ferror(f), why = errno;
    fclose(f);
    if (bad) return fail_at(r, at, "file: cannot read %s: %s", *path,
                            strerror(why));
    if (*len > GC_SUB_MAX_BYTES)
        return fail_at(r, at, "file: %s is larger than %zu bytes "
                       "(GC_SUB_MAX_BYTES)", *path, (size_t)GC_SUB_MAX_BYTES);
    (*text)[*len] = 0;
    gc_fx_text_normalize(*text, len);
    return GC_OK;
}

typedef struct {
    yaml_node_t *expect, *summary, *formulas, *file;
} nderiv_ctx;

static int on_nderiv_key(reader *r, const char *key, yaml_node_t *k,
                         yaml_node_t *v, void *ctx)
{
    nderiv_ctx *d = ctx;
    if (strcmp(key, "expect") == 0) d->expect = v;
    else if (strcmp(key, "summary") == 0) d->summary = v;
    else if (strcmp(key, "formulas") == 0) d->formulas = v;
    else if (strcmp(key, "file") == 0) d->file = v;
    else return fail_at(r, k, "derivation: unknown key \"%s\" (expected "
                        "formulas, file, expect, summary)", key);
    return GC_OK;
}

static int on_net_derivation(reader *r, const char *key, yaml_node_t *k,
                             yaml_node_t *v, void *ctx)
{
    (void)ctx;
    gc_case *c = r->c;
    char what[96];
    snprintf(what, sizeof what, "derivations.%s", key);
    /* the name goes into every report, golden row and gradebook */
    int ctl = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        ctl |= *p < 0x20 || *p == 0x7F;
    if (!key[0] || ctl || strlen(key) > 64)
        return fail_at(r, k, "derivations: expected a name for the derivation "
                       "(1 to 64 characters, no tabs or line breaks), found "
                       "\"%.40s\"", key);
    if (v->type != YAML_MAPPING_NODE)
        return fail_at(r, v, "%s: expected a mapping with formulas: (the "
                       "derivation, one statement per line) or file:, and "
                       "optionally expect:, found %s", what, kind_name(v));
    nderiv_ctx d = {0};
    int st = each_pair(r, v, what, on_nderiv_key, &d);
    if (st) return st;
    if (!d.formulas == !d.file)
        return fail_at(r, v, "%s: expected one of formulas: or file:", what);
    gc_case_derivation *cd = &c->derivs[c->n_derivs];
    cd->line = (long)k->start_mark.line + 1;
    cd->no_expect = !d.expect;
    cd->expect = GC_AGREE;
    if (d.expect && (st = verdict_of(r, d.expect, what, &cd->expect)))
        return st;
    char *summary = NULL, *path = NULL, *text = NULL;
    size_t len = 0;
    gc_net_pos pos = {1, 1, NULL, 0};
    const char *file = c->path;
    if (d.summary && (st = want_string(r, d.summary, "summary", &summary)))
        goto done;
    char sw[128];
    snprintf(sw, sizeof sw, "%s.summary", what);
    if (summary && (st = printable(r, d.summary, sw, summary))) goto done;
    if (d.formulas) {
        const char *t = NULL;
        if ((st = want_scalar(r, d.formulas, "formulas", &t))) goto done;
        char fw[128];
        snprintf(fw, sizeof fw, "%s.formulas", what);
        if ((st = text_pos(r, d.formulas, fw, &pos))) goto done;
        len = d.formulas->data.scalar.length;
        if (len > GC_SUB_MAX_BYTES) {
            st = fail_at(r, d.formulas, "%s: %zu bytes of text, more than %zu "
                         "(GC_SUB_MAX_BYTES)", fw, len,
                         (size_t)GC_SUB_MAX_BYTES);
            goto done;
        }
        if (!(text = malloc(len + 1))) { st = GC_ENOMEM; goto done; }
        memcpy(text, t, len + 1);
    } else {
        const char *name = NULL;
        if ((st = want_scalar(r, d.file, "file", &name)) ||
            (st = read_text_file(r, d.file, name, &path, &text, &len)))
            goto done;
        file = path;
    }
    if (!summary) {
        char buf[600];
        if (path) snprintf(buf, sizeof buf, "formulas in %s", path);
        else snprintf(buf, sizeof buf, "formulas in the case file, line %ld",
                      pos.line);
        if (!(summary = strdup(buf))) { st = GC_ENOMEM; goto done; }
    }
    gc_error e2;
    st = gc_net_add_derivation(c->net, c->prob, c->theta, key, summary, file,
                               text, len, &pos, &cd->type, &e2);
    free((void *)pos.cols);               /* the network keeps a copy */
    pos.cols = NULL;
    if (st && st != GC_ENOMEM) *r->err = e2;
    if (!st) c->n_derivs++;
done:
    free((void *)pos.cols);
    free(summary);
    free(path);
    free(text);
    return st;
}


/* Half a unit in the last digit written: "-1.855" -> 5e-4, "187500" -> 0.5,
 * "2.5e-4" -> 5e-6. */
static double digits_tolerance(const char *s)
{
    const char *e = strpbrk(s, "eE");
    const char *dot = strchr(s, '.');
    long decimals = 0;
    if (dot && (!e || dot < e)) {
        const char *end = e ? e : s + strlen(s);
        decimals = (long)(end - dot - 1);
    }
    long ex = e ? strtol(e + 1, NULL, 10) : 0;
    return 0.5 * pow(10.0, (double)(ex - decimals));
}

typedef struct {
    gc_claim *cl;
    int have_of, have_stated, have_expect, have_name;
} claim_ctx;

static int on_claim_key(reader *r, const char *key, yaml_node_t *k,
                        yaml_node_t *v, void *ctx)
{
    claim_ctx *cc = ctx;
    gc_claim *cl = cc->cl;
    const gc_layout *L = &r->c->prob->layout;
    if (strcmp(key, "name") == 0) {
        cc->have_name = 1;
        return want_string(r, v, "claim name", &cl->name);
    }
    if (strcmp(key, "expect") == 0) {
        cc->have_expect = 1;
        return verdict_of(r, v, "claim expect", &cl->expect);
    }
    if (strcmp(key, "tol") == 0) {
        cl->tol_given = 1;
        int st = want_number(r, v, "claim tol", &cl->tol);
        if (!st && cl->tol < 0)
            return fail_at(r, v, "claim tol: expected a number >= 0");
        return st;
    }
    if (strcmp(key, "stated") == 0) {
        cc->have_stated = 1;
        int st = want_number(r, v, "claim stated", &cl->stated);
        if (!st && !cl->tol_given) cl->tol = digits_tolerance(scalar(v));
        return st;
    }
    if (strcmp(key, "of") == 0) {
        cc->have_of = 1;
        int st = want_string(r, v, "claim of", &cl->of);
        if (st) return st;
        const char *s = cl->of;
        int whole = 0;
        if (strcmp(s, "loss") == 0) {
            cl->kind = GC_CLAIM_LOSS;
            return GC_OK;
        }
        if (strcmp(s, "n_params") == 0) {
            cl->kind = GC_CLAIM_COUNT;
            return GC_OK;
        }
        const char *what = "a quantity entry such as x1[2]";
        const gc_blocks *fams[2] = {&L->quantities, NULL};
        gc_claim_kind kinds[2] = {GC_CLAIM_VALUE, GC_CLAIM_VALUE};
        if (strncmp(s, "d/d", 3) == 0) {
            s += 3;
            fams[0] = &L->params;
            fams[1] = &L->quantities;
            kinds[0] = GC_CLAIM_DPARAM;
            kinds[1] = GC_CLAIM_DQUANTITY;
            what = "a parameter or quantity entry after d/d";
        }
        for (int f = 0; f < 2 && fams[f]; f++) {
            st = gc_entry_parse(fams[f], s, &cl->index, &whole);
            if (st == GC_ENOTFOUND) continue;
            /* the block named before '[' (cl->index is not set when the
             * indices are wrong) */
            char bn[GC_NAME_MAX];
            size_t bl = strcspn(s, "[ ");
            snprintf(bn, sizeof bn, "%.*s", (int)(bl < sizeof bn ? bl
                                                  : sizeof bn - 1), s);
            const gc_block *b = st ? gc_blocks_find(fams[f], bn)
                                   : gc_blocks_of(fams[f], cl->index);
            if (st || (whole && b->rank > 0)) {
                char range[160] = "";
                for (int a = 0; b && a < b->rank; a++) {
                    size_t l = strlen(range);
                    snprintf(range + l, sizeof range - l, "%s[%d..%ld]",
                             a ? "" : " within ", b->base[a],
                             (long)b->base[a] + (long)b->shape[a] - 1);
                }
                return fail_at(r, v, "claim of: \"%.60s\": expected one "
                               "entry of %s: %d ind%s%s",
                               cl->of, b ? b->name : s, b ? b->rank : 0,
                               b && b->rank == 1 ? "ex" : "ices", range);
            }
            cl->kind = kinds[f];
            return GC_OK;
        }
        char pn[512], qn[512];
        list_blocks(&L->params, pn, sizeof pn);
        list_blocks(&L->quantities, qn, sizeof qn);
        return fail_at(r, v, "claim of: \"%.60s\": expected loss, n_params, %s "
                       "(parameters: %s; quantities: %s)", cl->of, what, pn,
                       qn[0] ? qn : "none");
    }
    return fail_at(r, k, "claim: unknown key \"%s\" (expected name, of, "
                   "stated, tol, expect)", key);
}

static int read_claims(reader *r, yaml_node_t *n)
{
    gc_case *c = r->c;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(r, n, "claims: expected a list, found %s",
                       kind_name(n));
    size_t len = (size_t)(n->data.sequence.items.top -
                          n->data.sequence.items.start);
    c->claims = calloc(len ? len : 1, sizeof *c->claims);
    if (!c->claims) return GC_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *it = node(r, n->data.sequence.items.start[i]);
        gc_claim *cl = &c->claims[c->n_claims++];
        cl->line = (long)it->start_mark.line + 1;
        claim_ctx cc = {.cl = cl};
        int st = each_pair(r, it, "claim", on_claim_key, &cc);
        if (st) return st;
        const char *missing = !cc.have_name ? "name" : !cc.have_of ? "of"
                            : !cc.have_stated ? "stated"
                            : !cc.have_expect ? "expect" : NULL;
        if (missing)
            return fail_at(r, it, "claim: expected a \"%s\" key", missing);
    }
    return GC_OK;
}

static int read_assumptions(reader *r, yaml_node_t *n)
{
    gc_case *c = r->c;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(r, n, "assumptions: expected a list of sentences, "
                       "found %s", kind_name(n));
    size_t len = (size_t)(n->data.sequence.items.top -
                          n->data.sequence.items.start);
    c->assumptions = calloc(len ? len : 1, sizeof *c->assumptions);
    if (!c->assumptions) return GC_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *it = node(r, n->data.sequence.items.start[i]);
        int st = want_string(r, it, "assumptions", &c->assumptions[i]);
        if (st) return st;
        c->n_assumptions++;
    }
    return GC_OK;
}

/* ------------------------------------------------------------ grading */

/* grading: {loss: NAME or [NAMES], points: N, formulas: {KEY: POINTS}}
 * (docs/grading.md): what `gradcheck grade` asks of a
 * submission.  Keys are checked against the model's blocks. */
typedef struct {
    yaml_node_t *loss, *points, *formulas;
} grading_ctx;

static int on_grading(reader *r, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *ctx)
{
    grading_ctx *g = ctx;
    if (strcmp(key, "loss") == 0) g->loss = v;
    else if (strcmp(key, "points") == 0) g->points = v;
    else if (strcmp(key, "formulas") == 0) g->formulas = v;
    else return fail_at(r, k, "grading: unknown key \"%s\" (expected loss, "
                        "points, formulas)", key);
    return GC_OK;
}

static int on_grading_formula(reader *r, const char *key, yaml_node_t *k,
                              yaml_node_t *v, void *ctx)
{
    (void)ctx;
    gc_grading *g = r->c->grading;
    gc_target t;
    char msg[300];
    if (gc_target_parse(r->c->prob, key, g->n_loss ? g->loss[0] : "L",
                        g->n_loss ? (const char *const *)g->loss : NULL, &t,
                        msg, sizeof msg))
        return fail_at(r, k, "grading.formulas: %s", msg);
    for (size_t i = 0; i < g->n_formulas; i++)
        if (strcmp(g->formulas[i].key, t.key) == 0)
            return fail_at(r, k, "grading.formulas: \"%s\" is %s given twice "
                           "(line %ld)", key, strcmp(key, t.key) ? "in effect"
                           : "", g->formulas[i].line);
    gc_grading_formula *f = &g->formulas[g->n_formulas];
    f->line = (long)k->start_mark.line + 1;
    if (!(f->key = strdup(t.key))) return GC_ENOMEM;
    g->n_formulas++;
    char what[96];
    snprintf(what, sizeof what, "grading.formulas.%s", key);
    int st = want_number(r, v, what, &f->points);
    if (!st && f->points < 0)
        return fail_at(r, v, "%s: expected a number of points >= 0", what);
    return st;
}

static int read_grading(reader *r, yaml_node_t *n)
{
    grading_ctx g = {0};
    int st = each_pair(r, n, "grading", on_grading, &g);
    if (st) return st;
    gc_grading *gr = calloc(1, sizeof *gr);
    if (!gr) return GC_ENOMEM;
    r->c->grading = gr;
    gr->points = -1;
    if (g.loss) {
        size_t len = g.loss->type == YAML_SEQUENCE_NODE
            ? (size_t)(g.loss->data.sequence.items.top -
                       g.loss->data.sequence.items.start) : 1;
        if (len == 0)
            return fail_at(r, g.loss, "grading.loss: expected a name or a "
                           "list of names");
        gr->loss = calloc(len + 1, sizeof *gr->loss);
        if (!gr->loss) return GC_ENOMEM;
        for (size_t i = 0; i < len; i++) {
            yaml_node_t *it = g.loss->type == YAML_SEQUENCE_NODE
                ? node(r, g.loss->data.sequence.items.start[i]) : g.loss;
            if ((st = want_string(r, it, "grading.loss", &gr->loss[i])))
                return st;
            gr->n_loss++;
            for (const char *p = gr->loss[i]; *p; p++)
                if (!(isalnum((unsigned char)*p) || *p == '_'))
                    return fail_at(r, it, "grading.loss: expected a name "
                                   "(letters, digits, _), found \"%.40s\"",
                                   gr->loss[i]);
            if (!gr->loss[i][0] || strlen(gr->loss[i]) >= GC_NAME_MAX)
                return fail_at(r, it, "grading.loss: expected a name of 1 to "
                               "%d characters", GC_NAME_MAX - 1);
        }
    }
    if (r->c->net && !gr->n_loss) {
        /* a network's loss is the name its forward pass gives it */
        const char *ln = gc_net_loss_name(r->c->net);
        int usual = 0;
        for (size_t i = 0; gc_loss_names_default[i]; i++)
            usual |= strcmp(gc_loss_names_default[i], ln) == 0;
        if (!usual) {
            gr->loss = calloc(2, sizeof *gr->loss);
            if (!gr->loss || !(gr->loss[0] = strdup(ln))) return GC_ENOMEM;
            gr->n_loss = 1;
        }
    }
    if (g.points && (st = want_integer(r, g.points, "grading.points", 0,
                                       GC_CASE_MAX_POINTS, &gr->points)))
        return st;
    if (g.formulas) {
        if (g.formulas->type != YAML_MAPPING_NODE)
            return fail_at(r, g.formulas, "grading.formulas: expected a "
                           "mapping of answers to points (dL/dv: 2)");
        size_t len = (size_t)(g.formulas->data.mapping.pairs.top -
                              g.formulas->data.mapping.pairs.start);
        gr->formulas = calloc(len ? len : 1, sizeof *gr->formulas);
        if (!gr->formulas) return GC_ENOMEM;
        if ((st = each_pair(r, g.formulas, "grading.formulas",
                            on_grading_formula, NULL)))
            return st;
    }
    return GC_OK;
}

/* ------------------------------------------------------------ top level */

static const char *const top_keys[] = {
    "name", "title", "source", "model", "shape", "params", "inputs",
    "points", "random", "tolerance", "step", "derivations", "claims",
    "assumptions", "golden", "grading", "network", NULL
};
enum { K_NAME, K_TITLE, K_SOURCE, K_MODEL, K_SHAPE, K_PARAMS, K_INPUTS,
       K_POINTS, K_RANDOM, K_TOL, K_STEP, K_DERIVS, K_CLAIMS, K_ASSUME,
       K_GOLDEN, K_GRADING, K_NETWORK, K_COUNT };

static int on_top(reader *r, const char *key, yaml_node_t *k, yaml_node_t *v,
                  void *ctx)
{
    yaml_node_t **slots = ctx;
    for (int i = 0; top_keys[i]; i++)
        if (strcmp(key, top_keys[i]) == 0) {
            slots[i] = v;
            return GC_OK;
        }
    return fail_at(r, k, "unknown key \"%s\" (expected name, title, source, "
                   "model, shape, params, inputs, points, random, tolerance, "
                   "step, derivations, claims, assumptions, golden, "
                   "grading, network)", key);
}

/* The forward: pass of a network: compiled, run once at the case's point
 * (shapes, index ranges), its quantities added to the problem. */
static int read_forward(reader *r, yaml_node_t *forward)
{
    gc_case *c = r->c;
    gc_net_pos pos;
    gc_error e2;
    int st = text_pos(r, forward, "network.forward", &pos);
    if (st) return st;
    if (forward->data.scalar.length > GC_SUB_MAX_BYTES) {
        free((void *)pos.cols);
        return fail_at(r, forward, "network.forward: %zu bytes of text, more "
                       "than %zu (GC_SUB_MAX_BYTES)",
                       forward->data.scalar.length, (size_t)GC_SUB_MAX_BYTES);
    }
    st = gc_net_set_forward(c->net, c->prob, c->theta, scalar(forward),
                                forward->data.scalar.length, &pos, &e2);
    free((void *)pos.cols);               /* the network keeps a copy */
    if (st && st != GC_ENOMEM) *r->err = e2;
    if (st) return st;
    /* the case's own random points too (the first CHECKED_POINTS): a
     * shape or an index that holds at the case's point only is a mistake
     * of the network, said with its place, not a 'nonfinite' verdict at
     * those points without a reason */
    enum { CHECKED_POINTS = 32 };
    long n = c->points < CHECKED_POINTS ? c->points : CHECKED_POINTS;
    size_t np = c->prob->layout.params.n;
    double *th = n > 0 ? malloc((np ? np : 1) * sizeof *th) : NULL;
    if (n > 0 && !th) return GC_ENOMEM;
    for (long i = 1; i <= n && !st; i++) {
        gc_case_point(c, c->seed_rng, i, th);
        st = gc_net_check_point(c->prob, th, &e2);
        if (st == GC_EINVAL) {
            *r->err = e2;
            snprintf(r->err->msg, sizeof r->err->msg, "at random point %ld "
                     "(seed %lu): %.440s", i, c->seed_rng, e2.msg);
        }
    }
    free(th);
    return st;
}

/* name:, title: and source: */
static int read_header(reader *r, yaml_node_t *const *s)
{
    gc_case *c = r->c;
    int st;
    if ((st = want_string(r, s[K_NAME], "name", &c->name))) return st;
    for (const char *p = c->name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
              *p == '.'))
            return fail_at(r, s[K_NAME], "name: expected letters, digits, "
                           "'_', '-' or '.', found \"%.60s\"", c->name);
    if (s[K_TITLE] && ((st = want_string(r, s[K_TITLE], "title", &c->title))
                       || (st = printable(r, s[K_TITLE], "title", c->title))))
        return st;
    if (!s[K_SOURCE]) return GC_OK;     /* a network of one's own */
    if ((st = each_pair(r, s[K_SOURCE], "source", on_source, NULL))) return st;
    if (!c->seed || !c->problem)
        return fail_at(r, s[K_SOURCE], "source: expected both seed: (the seed "
                       "file name) and problem:");

    return GC_OK;
}

/* model: and shape: into the case's problem */
static int read_model(reader *r, yaml_node_t *root, yaml_node_t *const *s)
{
    gc_case *c = r->c;
    int st;
    const char *mname = NULL;
    if ((st = want_scalar(r, s[K_MODEL], "model", &mname))) return st;
    c->model = gc_model_find(mname);
    if (!c->model) {
        char names[1024] = "";
        for (size_t i = 0; gc_models[i]; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "",
                     gc_models[i]->name);
        }
        return fail_at(r, s[K_MODEL], "model: unknown model \"%.60s\" "
                       "(expected one of: %s)", mname, names);
    }

    long dims[GC_MAX_DIMS] = {0};
    for (int i = 0; c->model->dims[i].name; i++) dims[i] = c->model->dims[i].def;
    if (s[K_SHAPE] && (st = each_pair(r, s[K_SHAPE], "shape", on_shape, dims)))
        return st;
    st = gc_problem_alloc(c->model, dims, &c->prob);
    if (st == GC_ELIMIT)
        return fail_at(r, s[K_SHAPE], "shape: too large: more than %zu "
                       "entries in one family (the limit GC_MAX_ENTRIES)",
                       (size_t)GC_MAX_ENTRIES);
    if (st)
        return fail_at(r, s[K_SHAPE] ? s[K_SHAPE] : root,
                       "shape: the model %s cannot be built with these "
                       "dimensions (%s)", c->model->name, gc_strstatus(st));

    return GC_OK;
}

/* params:, inputs:, points: and random:; the blocks not given are drawn
 * from point 0 of the random stream */
static int read_point(reader *r, yaml_node_t *root, yaml_node_t *const *s)
{
    gc_case *c = r->c;
    const gc_layout *L = &c->prob->layout;
    int st;
    c->theta = calloc(L->params.n ? L->params.n : 1, sizeof *c->theta);
    c->given = calloc(GC_MAX_BLOCKS, 1);
    unsigned char igiven[GC_MAX_BLOCKS] = {0};
    if (!c->theta || !c->given) return GC_ENOMEM;
    if (s[K_PARAMS]) {
        block_ctx bc = {&L->params, c->theta, c->given, "params"};
        if ((st = each_pair(r, s[K_PARAMS], "params", on_block, &bc)))
            return st;
    }
    if (s[K_INPUTS]) {
        block_ctx bc = {&L->inputs, c->prob->inputs, igiven, "inputs"};
        if ((st = each_pair(r, s[K_INPUTS], "inputs", on_block, &bc)))
            return st;
    }
    for (size_t i = 0; i < L->inputs.n_blocks; i++)
        if (!igiven[i] && !s[K_INPUTS] && r->net_inputs)
            return fail_at(r, r->net_inputs, "inputs: expected an inputs: "
                           "section with a value for \"%s\" (declared here "
                           "in network.inputs)", L->inputs.block[i].name);
        else if (!igiven[i])
            return fail_at(r, s[K_INPUTS] ? s[K_INPUTS] : root,
                           "inputs: expected a value for \"%s\" (model %s "
                           "needs it)", L->inputs.block[i].name,
                           c->model->name);

    if (s[K_POINTS] &&
        (st = want_integer(r, s[K_POINTS], "points", 0, GC_CASE_MAX_POINTS,
                           &c->points)))
        return st;
    int have_random = s[K_RANDOM] != NULL;
    if (have_random &&
        (st = each_pair(r, s[K_RANDOM], "random", on_random, NULL)))
        return st;
    int missing = -1;
    for (size_t i = 0; i < L->params.n_blocks; i++)
        if (!c->given[i] && missing < 0) missing = (int)i;
    if (!have_random && missing >= 0)
        return fail_at(r, s[K_PARAMS] ? s[K_PARAMS] : r->net_params
                       ? r->net_params : root,
                       "params: expected a value for \"%s\", or a random: "
                       "section to draw it from", L->params.block[missing].name);
    if (!have_random && c->points > 0)
        return fail_at(r, s[K_POINTS], "points: extra points need a random: "
                       "section (seed, dist, scale) to draw them from");
    if (missing >= 0) {
        /* Draw the blocks the case does not give: point 0 of the stream. */
        double *tmp = malloc(L->params.n * sizeof *tmp);
        if (!tmp) return GC_ENOMEM;
        gc_case_point(c, c->seed_rng, 0, tmp);
        for (size_t i = 0; i < L->params.n_blocks; i++)
            if (!c->given[i]) {
                const gc_block *b = &L->params.block[i];
                memcpy(c->theta + b->offset, tmp + b->offset,
                       b->size * sizeof *tmp);
            }
        free(tmp);
    }

    return GC_OK;
}

/* tolerance: and step: */
static int read_numbers(reader *r, yaml_node_t *const *s)
{
    gc_case *c = r->c;
    int st;
    static const char *const tol_names[] = {"rtol", "atol", "k", "bar_rtol",
                                            NULL};
    number_section tol = {"tolerance", tol_names,
                          (double *const[]){&c->tol.rtol, &c->tol.atol,
                                            &c->tol.k, &c->tol.bar_rtol}, 0};
    if (s[K_TOL] && (st = each_pair(r, s[K_TOL], "tolerance", on_number,
                                    &tol)))
        return st;
    static const char *const step_names[] = {"h_rel", "h_floor", NULL};
    number_section step = {"step", step_names,
                           (double *const[]){&c->step.h_rel,
                                             &c->step.h_floor}, 1};
    if (s[K_STEP] && (st = each_pair(r, s[K_STEP], "step", on_number, &step)))
        return st;

    return GC_OK;
}

static int load(reader *r, const char *path)
{
    gc_case *c = r->c;
    yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    if (!root) {
        r->err->line = 1;
        snprintf(r->err->msg, sizeof r->err->msg, "empty file: expected a "
                 "case mapping (name:, source:, model:, ...)");
        return GC_EINVAL;
    }
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(r, root, "expected a case mapping (name:, model:, "
                       "...), found %s", kind_name(root));
    yaml_node_t *s[K_COUNT] = {0};
    int st = each_pair(r, root, "case", on_top, s);
    if (st) return st;

    /* a network case (network: instead of model:) needs no source: */
    static const int required[] = {K_NAME, K_SOURCE, K_MODEL, K_DERIVS};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!s[required[i]] &&
            !(s[K_NETWORK] && (required[i] == K_SOURCE ||
                               required[i] == K_MODEL)))
            return fail_at(r, root, required[i] == K_MODEL
                           ? "expected a \"%s:\" key (a model from gradcheck "
                             "list) or a network: section"
                           : "expected a \"%s:\" key",
                           top_keys[required[i]]);
    if (s[K_NETWORK] && s[K_MODEL])
        return fail_at(r, s[K_MODEL], "model: a case has a model: or a "
                       "network:, not both");
    if (s[K_NETWORK] && s[K_SHAPE])
        return fail_at(r, s[K_SHAPE], "shape: a network's dimensions are "
                       "given in network.dims");

    yaml_node_t *forward = NULL;
    if ((st = read_header(r, s)) ||
        (st = s[K_NETWORK] ? read_network(r, s[K_NETWORK], &forward)
                           : read_model(r, root, s)) ||
        (st = read_point(r, root, s)) ||
        (forward && (st = read_forward(r, forward))) ||
        (st = read_numbers(r, s)))
        return st;

    size_t nd = 0;
    for (; c->model->derivations[nd]; nd++) {}
    if (c->net && s[K_DERIVS]->type == YAML_MAPPING_NODE)
        nd = (size_t)(s[K_DERIVS]->data.mapping.pairs.top -
                      s[K_DERIVS]->data.mapping.pairs.start);
    c->derivs = calloc(nd ? nd : 1, sizeof *c->derivs);
    if (!c->derivs) return GC_ENOMEM;
    if ((st = each_pair(r, s[K_DERIVS], "derivations", c->net
                        ? on_net_derivation : on_derivation, NULL)))
        return st;
    if (c->n_derivs == 0)
        return fail_at(r, s[K_DERIVS], "derivations: expected at least one "
                       "derivation with its expected verdict");

    if (s[K_CLAIMS] && (st = read_claims(r, s[K_CLAIMS]))) return st;
    if (s[K_ASSUME] && (st = read_assumptions(r, s[K_ASSUME]))) return st;
    if (s[K_GOLDEN]) {
        c->golden_tol = gc_golden_tol_default;
        c->have_golden_tol = 1;
        static const char *const golden_names[] = {"rtol", "atol", NULL};
        number_section gs = {"golden", golden_names,
                             (double *const[]){&c->golden_tol.rtol,
                                               &c->golden_tol.atol}, 0};
        if ((st = each_pair(r, s[K_GOLDEN], "golden", on_number, &gs)))
            return st;
    }
    if (s[K_GRADING] && (st = read_grading(r, s[K_GRADING]))) return st;
    (void)path;
    return GC_OK;
}

void gc_case_point(const gc_case *c, unsigned long seed, long i,
                   double *theta)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        for (size_t k = 0; k < c->prob->layout.params.n; k++) theta[k] = NAN;
        return;
    }
    /* Point i's stream depends only on (seed, i). */
    gsl_rng_set(rng, seed * 1000003UL + (unsigned long)i * 7919UL + 1UL);
    for (size_t k = 0; k < c->prob->layout.params.n; k++)
        theta[k] = c->dist == GC_DIST_UNIFORM
                       ? gsl_ran_flat(rng, -c->scale, c->scale)
                       : gsl_ran_gaussian(rng, c->scale);
    gsl_rng_free(rng);
}

static int read_file(const char *path, unsigned char **buf, size_t *len,
                     gc_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err->msg, sizeof err->msg, "cannot read: %s",
                 strerror(errno));
        return GC_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(err->msg, sizeof err->msg, "is a directory, expected a case "
                 "file");
        return GC_EIO;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "cannot read: %s",
                 strerror(errno));
        return GC_EIO;
    }
    unsigned char *b = malloc(GC_CASE_MAX_BYTES + 1);
    if (!b) { fclose(f); return GC_ENOMEM; }
    size_t n = fread(b, 1, GC_CASE_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        snprintf(err->msg, sizeof err->msg, "cannot read: input/output error");
        return GC_EIO;
    }
    if (n > GC_CASE_MAX_BYTES) {
        free(b);
        snprintf(err->msg, sizeof err->msg, "larger than the case file limit "
                 "of %zu bytes", (size_t)GC_CASE_MAX_BYTES);
        return GC_ELIMIT;
    }
    *buf = b;
    *len = n;
    return GC_OK;
}

int gc_case_load(const char *path, gc_case **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", path);
    unsigned char *buf = NULL;
    size_t len = 0;
    int st = read_file(path, &buf, &len, err);
    if (st) return st;
    st = gc_case_load_buffer(path, buf, len, out, err);
    free(buf);
    return st;
}

/* Walk libyaml's event stream once before loading the document, stopping
 * at the first collection nested deeper than GC_CASE_MAX_DEPTH or past
 * GC_CASE_MAX_NODES nodes.  libyaml's scanner rechecks every open level at
 * every token, so a file of two million '[' would take hours to load; the
 * walk stops such a file after the limit's worth of levels. */
static int check_nesting(const unsigned char *buf, size_t len, gc_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return GC_ENOMEM;
    yaml_parser_set_input_string(&parser, buf, len);
    long depth = 0, nodes = 0;
    int st = GC_OK, done = 0;
    while (!done && !st) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) break;  /* load reports it */
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > GC_CASE_MAX_DEPTH) {
                err->line = (long)ev.start_mark.line + 1;
                err->column = (long)ev.start_mark.column + 1;
                snprintf(err->msg, sizeof err->msg, "nested deeper than the "
                         "limit of %d levels", GC_CASE_MAX_DEPTH);
                st = GC_ELIMIT;
            }
            /* fall through */
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (!st && ++nodes > GC_CASE_MAX_NODES) {
                err->line = (long)ev.start_mark.line + 1;
                err->column = (long)ev.start_mark.column + 1;
                snprintf(err->msg, sizeof err->msg, "more than the limit of "
                         "%ld values", (long)GC_CASE_MAX_NODES);
                st = GC_ELIMIT;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return st;
}

/* libyaml's reader (bytes that are not UTF-8, control characters) gives a
 * byte offset, not a mark: the line and column (in characters, as marks
 * count them) of that byte, and the byte itself in the message. */
static void reader_error_pos(const unsigned char *buf, size_t len,
                             const yaml_parser_t *parser, gc_error *err)
{
    size_t off = parser->problem_offset < len ? parser->problem_offset : len;
    size_t i = len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF
               ? 3 : 0;                               /* a byte-order mark */
    long line = 1, column = 1;
    for (; i < off; i++) {
        if (buf[i] == '\n' && i > 0 && buf[i - 1] == '\r') continue;
        if (buf[i] == '\n' || buf[i] == '\r') { line++; column = 1; }
        else if ((buf[i] & 0xC0) != 0x80) column++;  /* a character starts */
    }
    err->line = line;
    err->column = column;
    size_t l = strlen(err->msg);
    if (parser->problem_value < 0)
        snprintf(err->msg + l, sizeof err->msg - l, " (a case file is UTF-8 "
                 "text)");
    else if (parser->problem && strstr(parser->problem, "octet"))
        snprintf(err->msg + l, sizeof err->msg - l, " (byte 0x%02X; a case "
                 "file is UTF-8 text)", (unsigned)parser->problem_value & 0xFF);
    else
        snprintf(err->msg + l, sizeof err->msg - l, " (U+%04X)",
                 (unsigned)parser->problem_value);
}

int gc_case_load_buffer(const char *name, const unsigned char *buf,
                        size_t len, gc_case **out, gc_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    if (len > GC_CASE_MAX_BYTES) {
        snprintf(err->msg, sizeof err->msg, "larger than the case file limit "
                 "of %zu bytes", (size_t)GC_CASE_MAX_BYTES);
        return GC_ELIMIT;
    }
    int st = check_nesting(buf, len, err);
    if (st) return st;
    gc_case *c = calloc(1, sizeof *c);
    if (!c) return GC_ENOMEM;
    c->path = strdup(name);
    c->tol = gc_tol_default;
    c->step = gc_step_default;
    c->dist = GC_DIST_NORMAL;
    c->scale = 1.0;

    reader r = {.err = err, .c = c, .buf = buf, .len = len};
    yaml_parser_t parser;
    if (!c->path || !yaml_parser_initialize(&parser)) {
        gc_case_free(c);
        return GC_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &r.doc)) {
        err->line = (long)parser.problem_mark.line + 1;
        err->column = (long)parser.problem_mark.column + 1;
        snprintf(err->msg, sizeof err->msg, "not valid YAML: %s%s%s",
                 parser.problem ? parser.problem : "parse error",
                 parser.context ? " " : "",
                 parser.context ? parser.context : "");
        if (parser.error == YAML_READER_ERROR)
            reader_error_pos(buf, len, &parser, err);
        yaml_parser_delete(&parser);
        gc_case_free(c);
        return GC_EINVAL;
    }
    st = load(&r, name);
    if (!st) {
        /* A second document would be silently ignored: refuse it. */
        yaml_document_t next;
        if (yaml_parser_load(&parser, &next)) {
            yaml_node_t *root2 = yaml_document_get_root_node(&next);
            if (root2) {
                err->line = (long)root2->start_mark.line + 1;
                err->column = (long)root2->start_mark.column + 1;
                snprintf(err->msg, sizeof err->msg, "expected one case per "
                         "file, found a second YAML document");
                st = GC_EINVAL;
            }
            yaml_document_delete(&next);
        } else {
            err->line = (long)parser.problem_mark.line + 1;
            err->column = (long)parser.problem_mark.column + 1;
            snprintf(err->msg, sizeof err->msg, "not valid YAML: %s",
                     parser.problem ? parser.problem : "parse error");
            st = GC_EINVAL;
        }
    }
    yaml_document_delete(&r.doc);
    yaml_parser_delete(&parser);
    if (st) {
        if (st == GC_ENOMEM && !err->msg[0])
            gc_nomem_explain(c->prob ? &c->prob->layout : NULL,
                             "reading the case", NULL, err->msg,
                             sizeof err->msg);
        gc_case_free(c);
        return st;
    }
    *out = c;
    return GC_OK;
}

/* The grading: section is read here, so it is freed here. */
const gc_golden_tol gc_golden_tol_default = {.rtol = 1e-10, .atol = 1e-12};

static void gc_grading_free(gc_grading *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_loss; i++) free(g->loss[i]);
    free(g->loss);
    for (size_t i = 0; i < g->n_formulas; i++) free(g->formulas[i].key);
    free(g->formulas);
    free(g);
}

void gc_case_free(gc_case *c)
{
    if (!c) return;
    free(c->path);
    free(c->name);
    free(c->title);
    free(c->seed);
    free(c->problem);
    gc_problem_free(c->prob);
    gc_net_free(c->net);          /* after the problem, whose model it is */
    free(c->theta);
    free(c->given);
    free(c->derivs);
    for (size_t i = 0; i < c->n_claims; i++) {
        free(c->claims[i].name);
        free(c->claims[i].of);
    }
    free(c->claims);
    for (size_t i = 0; i < c->n_assumptions; i++) free(c->assumptions[i]);
    free(c->assumptions);
    gc_grading_free(c->grading);
    free(c);
}

/* The template of gradcheck new: the two-layer ReLU network of issue 11,
 * with the output layer's gradients given and the hidden layer's left to
 * fill in, so that it runs (and agrees) as written. */
static const char template_text[] =
"# A network of your own and your derivation of its gradient, checked by\n"
"# gradcheck against numerical derivatives:  gradcheck run %s.yaml\n"
"# Reference: docs/case-files.md (\"Networks written in the case file\") and\n"
"# docs/formula-language.md.\n"
"name: %s\n"
"title: two-layer ReLU network, squared loss (edit me)\n"
"\n"
"network:\n"
"  dims: {n0: 3, n1: 4, n2: 2}          # sizes, used in the shapes below\n"
"  # parameter and input blocks with their shapes: [rows, columns]; an axis\n"
"  # is SIZE (indices 1..SIZE) or FIRST..LAST, e.g. [0..n0, n1]\n"
"  params: {W1: [n1, n0], b1: [n1], W2: [n2, n1], b2: [n2]}\n"
"  inputs: {x: [n0], y: [n2]}\n"
"  # the forward pass, one definition per line; every definition is a\n"
"  # quantity you can give dL/d... for, the LAST one is the loss (a number).\n"
"  # Recurrences: h[t] = tanh(U @ x[t] + if(t == 1, zeros(n1), W @ h[t-1]))\n"
"  forward: |\n"
"    s1 = W1 @ x + b1\n"
"    a1 = relu(s1)\n"
"    s2 = W2 @ a1 + b2\n"
"    L = 0.5 dot(s2 - y, s2 - y)\n"
"\n"
"inputs: {x: [1.0, -0.5, 2.0], y: [0.3, -0.2]}\n"
"# parameter values: those not given here are drawn from random:\n"
"# params: {W1: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], ...]}\n"
"points: 4                              # random points besides the first\n"
"random: {seed: 1, dist: normal, scale: 0.8}\n"
"\n"
"derivations:\n"
"  mine:                                 # add expect: agree once you know\n"
"    formulas: |\n"
"      # your derivation: dL/d(parameter) for each block you derived,\n"
"      # dL/d(quantity) to find where a mistake enters (localisation).\n"
"      # Names: the blocks above, the quantities of the forward pass\n"
"      # (their values at the point), your own definitions (g2 below).\n"
"      g2 = s2 - y\n"
"      dL/ds2 = g2\n"
"      dL/dW2 = outer(g2, a1)\n"
"      dL/db2 = g2\n"
"      # TODO the hidden layer:\n"
"      # g1 = ...\n"
"      # dL/ds1 = g1\n"
"      # dL/dW1 = ...\n"
"      # dL/db1 = ...\n";

int gc_case_write_template(FILE *f, const char *name)
{
    char clean[128];
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < sizeof clean; p++)
        clean[n++] = isalnum((unsigned char)*p) || *p == '_' ? *p : '_';
    clean[n] = 0;
    if (!n || isdigit((unsigned char)clean[0])) {
        snprintf(clean, sizeof clean, "my_network");
    }
    if (fprintf(f, template_text, clean, clean) < 0 || fflush(f))
        return GC_EIO;
    return GC_OK;
}
