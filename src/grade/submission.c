/* submission.c: reading submission files (docs/grading.md).
 *
 * A submission is one file: formulas (any name but *.c; .txt by
 * convention) or C (*.c).  Its header lines name what it answers and who
 * wrote it; in a formula file they are lines of their own, in a C file
 * they may sit in comments:
 *
 *   case: cnn1d_000_p3          the case it answers (checked if given)
 *   id: alice                   the gradebook id (default: the file name
 *                               without extension)
 *   loss: y                     one more name for the loss in dL/dv
 *   expect: dL/dv agree, dL/dw disagree, total 1
 *                               verdicts the grader must give (test suites)
 *
 * A folder on the command line stands for the submission files in it
 * (*.txt, *.c; sorted by name; not recursive).  This file never fails a
 * batch over one bad file: a submission that cannot be read is kept with
 * its error, and grade.c grades all its answers `invalid`.
 */
#include "gradcheck/grade.h"
#include "gradcheck/status.h"
#include "fx/fx.h"
#include "grade/submission.h"

#include <stdio.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const header_keys[] = {"case", "id", "student", "loss",
                                          "expect", NULL};

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    /* a C comment's end on the same line */
    if (n >= 2 && s[n - 2] == '*' && s[n - 1] == '/') {
        n -= 2;
        while (n && isspace((unsigned char)s[n - 1])) n--;
    }
    char *r = malloc(n + 1);
    if (r) { memcpy(r, s, n); r[n] = 0; }
    return r;
}

static void sub_error(gc_submission *s, long line, const char *fmt,
                      const char *arg)
{
    if (s->bad) return;
    s->bad = 1;
    snprintf(s->error.file, sizeof s->error.file, "%s", s->path);
    s->error.line = line;
    s->error.column = 0;
    snprintf(s->error.msg, sizeof s->error.msg, fmt, arg);
}

/* "dL/dv agree, dL/dw crashed: SIGSEGV, total 2" */
static int parse_expect(gc_submission *s, const char *v, long line)
{
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *item = trimmed(p, n);
        if (!item) return GC_ENOMEM;
        char *sp = item;
        while (*sp && !isspace((unsigned char)*sp)) sp++;
        if (*item) {
            if (!*sp) {
                sub_error(s, line, "expect: \"%s\": expected a key and a "
                          "verdict, e.g. dL/dv agree", item);
                free(item);
                return GC_OK;
            }
            gc_grade_expect *x = realloc(s->expect,
                                         (s->n_expect + 1) * sizeof *x);
            if (!x) { free(item); return GC_ENOMEM; }
            s->expect = x;
            x += s->n_expect++;
            x->key = trimmed(item, (size_t)(sp - item));
            x->verdict = trimmed(sp, strlen(sp));
            x->line = line;
            if (!x->key || !x->verdict) { free(item); return GC_ENOMEM; }
        }
        free(item);
        p += n;
        if (*p == ',') p++;
    }
    return GC_OK;
}

/* Header lines: "key: value"; in a C file also after "//", "/" "*" or "*". */
static int read_headers(gc_submission *s)
{
    char *t = s->text;
    long line = 1;
    int is_c = s->kind == GC_SUB_C;
    for (char *l = t; l < t + s->len; line++) {
        char *eol = memchr(l, '\n', (size_t)(t + s->len - l));
        if (!eol) eol = t + s->len;
        char *p = l;
        while (p < eol && (*p == ' ' || *p == '\t')) p++;
        if (is_c) {
            if (p + 1 < eol && p[0] == '/' && (p[1] == '/' || p[1] == '*'))
                p += 2;
            else if (p < eol && *p == '*') p++;
            while (p < eol && (*p == ' ' || *p == '\t')) p++;
        }
        char *k = p;
        while (p < eol && (isalnum((unsigned char)*p) || *p == '_')) p++;
        if (p > k && p < eol && *p == ':' && !(p + 1 < eol && p[1] == ':')) {
            size_t kl = (size_t)(p - k);
            int which = -1;
            for (int i = 0; header_keys[i]; i++)
                if (strlen(header_keys[i]) == kl &&
                    strncmp(header_keys[i], k, kl) == 0)
                    which = i;
            if (which < 0 && !is_c) {
                char key[40];
                snprintf(key, sizeof key, "%.*s", (int)(kl < 32 ? kl : 32), k);
                sub_error(s, line, "unknown header \"%s:\" (expected case:, "
                          "id:, loss:, expect:)", key);
            }
            if (which >= 0) {
                char *v = trimmed(p + 1, (size_t)(eol - p - 1));
                if (!v) return GC_ENOMEM;
                int st = GC_OK;
                switch (which) {
                case 0: free(s->case_name); s->case_name = v; v = NULL; break;
                case 1: case 2: free(s->id); s->id = v; v = NULL; break;
                case 3: free(s->loss); s->loss = v; v = NULL; break;
                case 4: st = parse_expect(s, v, line); break;
                }
                free(v);
                if (st) return st;
                /* formula files: the header is no formula */
                if (!is_c)
                    for (char *c = l; c < eol; c++) *c = ' ';
            }
        }
        l = eol + 1;
    }
    return GC_OK;
}

static char *stem(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    char *r = malloc(n + 1);
    if (r) { memcpy(r, b, n); r[n] = 0; }
    return r;
}

int gc_submission_load(const char *path, gc_submission **out)
{
    *out = NULL;
    gc_submission *s = calloc(1, sizeof *s);
    if (!s) return GC_ENOMEM;
    s->path = strdup(path);
    s->kind = ends_with(path, ".c") ? GC_SUB_C : GC_SUB_FORMULAS;
    if (!s->path) { free(s); return GC_ENOMEM; }
    struct stat sb;
    FILE *f = NULL;
    errno = 0;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        !(f = fopen(path, "rb"))) {
        sub_error(s, 0, "cannot read the submission: %s",
                  errno ? strerror(errno) : "not a regular file");
    } else {
        s->text = malloc(GC_SUB_MAX_BYTES + 2);
        if (!s->text) { fclose(f); gc_submission_free(s); return GC_ENOMEM; }
        s->len = fread(s->text, 1, GC_SUB_MAX_BYTES + 1, f);
        if (ferror(f)) sub_error(s, 0, "cannot read the submission: %s",
                                 "input/output error");
        else if (s->len > GC_SUB_MAX_BYTES) {
            char lim[32];
            snprintf(lim, sizeof lim, "%zu", (size_t)GC_SUB_MAX_BYTES);
            sub_error(s, 0, "the submission is larger than %s bytes "
                      "(GC_SUB_MAX_BYTES)", lim);
            s->len = 0;
        }
        s->text[s->len] = 0;
        fclose(f);
        if (!s->bad && memchr(s->text, 0, s->len))
            sub_error(s, 0, "the submission is not a text file (it holds "
                      "NUL bytes)%s", "");
        if (!s->bad && read_headers(s)) {
            gc_submission_free(s);
            return GC_ENOMEM;
        }
    }
    if (s->id && !*s->id) {           /* "id:" with nothing after it */
        free(s->id);
        s->id = NULL;
    }
    if (!s->id) s->id = stem(path);
    if (!s->id) { gc_submission_free(s); return GC_ENOMEM; }
    *out = s;
    return GC_OK;
}

void gc_submission_free(gc_submission *s)
{
    if (!s) return;
    free(s->path);
    free(s->id);
    free(s->case_name);
    free(s->loss);
    free(s->text);
    for (size_t i = 0; i < s->n_expect; i++) {
        free(s->expect[i].key);
        free(s->expect[i].verdict);
    }
    free(s->expect);
    free(s);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(char ***v, size_t *n, const char *s)
{
    if (*n >= GC_SUB_MAX_FILES) return GC_ELIMIT;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) return GC_ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s))) return GC_ENOMEM;
    (*n)++;
    return GC_OK;
}

int gc_submission_collect(char *const *args, size_t n, char ***paths,
                          size_t *n_paths, gc_error *err)
{
    *paths = NULL;
    *n_paths = 0;
    memset(err, 0, sizeof *err);
    int st = GC_OK;
    for (size_t i = 0; i < n && !st; i++) {
        struct stat sb;
        if (stat(args[i], &sb) != 0) {
            snprintf(err->file, sizeof err->file, "%s", args[i]);
            snprintf(err->msg, sizeof err->msg, "no such submission file or "
                     "folder");
            st = GC_ENOTFOUND;
            break;
        }
        if (!S_ISDIR(sb.st_mode)) {
            st = push(paths, n_paths, args[i]);
            continue;
        }
        DIR *d = opendir(args[i]);
        if (!d) {
            snprintf(err->file, sizeof err->file, "%s", args[i]);
            snprintf(err->msg, sizeof err->msg, "cannot read the folder: %s",
                     strerror(errno));
            st = GC_EIO;
            break;
        }
        size_t first = *n_paths;
        struct dirent *de;
        while (!st && (de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            if (!ends_with(de->d_name, ".txt") && !ends_with(de->d_name, ".c"))
                continue;
            size_t l = strlen(args[i]) + strlen(de->d_name) + 2;
            char *p = malloc(l);
            if (!p) { st = GC_ENOMEM; break; }
            snprintf(p, l, "%s%s%s", args[i],
                     ends_with(args[i], "/") ? "" : "/", de->d_name);
            struct stat fb;
            if (stat(p, &fb) == 0 && S_ISREG(fb.st_mode))
                st = push(paths, n_paths, p);
            free(p);
        }
        closedir(d);
        if (*n_paths > first)
            qsort(*paths + first, *n_paths - first, sizeof **paths, by_name);
    }
    if (st == GC_ELIMIT)
        snprintf(err->msg, sizeof err->msg, "more than %d submissions "
                 "(GC_SUB_MAX_FILES)", GC_SUB_MAX_FILES);
    if (st) {
        for (size_t i = 0; i < *n_paths; i++) free((*paths)[i]);
        free(*paths);
        *paths = NULL;
        *n_paths = 0;
        if (st == GC_ENOMEM) snprintf(err->msg, sizeof err->msg,
                                      "out of memory");
    }
    return st;
}
