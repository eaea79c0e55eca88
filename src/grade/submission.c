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
#define _XOPEN_SOURCE 700   /* realpath */
#include "gradcheck/grade.h"
#include "gradcheck/status.h"
#include "fx/fx.h"
#include "grade/submission.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const header_keys[] = {"case", "id", "student", "loss",
                                          "expect", NULL};

/* A name's extension, whatever its case (ANSWERS.TXT from Windows). */
static int has_ext(const char *s, const char *ext)
{
    size_t a = strlen(s), b = strlen(ext);
    return a >= b && strcasecmp(s + a - b, ext) == 0;
}

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
                case 1: case 2:
                    free(s->id);
                    s->id = v;
                    v = NULL;
                    s->id_given = 1;
                    break;
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
    s->kind = has_ext(path, ".c") ? GC_SUB_C : GC_SUB_FORMULAS;
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
        /* the byte-order mark Windows editors put first is no character
         * of the submission; old Mac line ends are line ends */
        gc_fx_text_normalize(s->text, &s->len);
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
        s->id_given = 0;
    }
    if (!s->id) s->id = stem(path);
    /* the id travels to every output: valid UTF-8 there (an id: line in
     * Latin-1 would make the CSV undecodable) */
    char *clean = s->id ? gc_utf8_clean(s->id, 200) : NULL;
    free(s->id);
    s->id = clean;
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

/* ------------------------------------------------------------ folders */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_gradable(const char *name)
{
    return has_ext(name, ".txt") || has_ext(name, ".c");
}

/* Files that travel with submissions but are nobody's answers: a README,
 * notes, LMS and Gradescope metadata, gradebooks. */
static int is_paperwork(const char *name)
{
    static const char *const ext[] = {".md", ".yml", ".yaml", ".json",
                                      ".csv", ".log", ".html", NULL};
    if (strncmp(name, "README", 6) == 0 || strncmp(name, "readme", 6) == 0 ||
        strncmp(name, "LICENSE", 7) == 0)
        return 1;
    for (int i = 0; ext[i]; i++)
        if (has_ext(name, ext[i])) return 1;
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t l = strlen(dir) + strlen(name) + 2;
    char *p = malloc(l);
    if (p) snprintf(p, l, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", name);
    return p;
}

static int push(char ***v, size_t *n, char *s)    /* takes s */
{
    if (!s) return GC_ENOMEM;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) { free(s); return GC_ENOMEM; }
    *v = nv;
    nv[(*n)++] = s;
    return GC_OK;
}

static int skip(gc_submission_set *set, char *path, const char *why)
{
    if (!path) return GC_ENOMEM;
    gc_skipped_file *k = realloc(set->skipped,
                                 (set->n_skipped + 1) * sizeof *k);
    if (!k) { free(path); return GC_ENOMEM; }
    set->skipped = k;
    k[set->n_skipped].path = path;
    if (!(k[set->n_skipped].why = strdup(why))) { free(path); return GC_ENOMEM; }
    set->n_skipped++;
    return GC_OK;
}

/* The sorted names in dir, hidden ones left out. */
static int list_dir(const char *dir, char ***names, size_t *n, gc_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err->file, sizeof err->file, "%s", dir);
        snprintf(err->msg, sizeof err->msg, "cannot read the folder: %s",
                 strerror(errno));
        return GC_EIO;
    }
    int st = GC_OK;
    struct dirent *de;
    while (!st && (de = readdir(d)))
        if (de->d_name[0] != '.' && strcmp(de->d_name, "__MACOSX") != 0)
            st = push(names, n, strdup(de->d_name));
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, by_name);
    return st;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* 1 if path is a symbolic link whose target lies outside the folder root
 * (a realpath): a submission folder is graded from what is in it, never
 * from /etc/passwd or another course's files that a link points to.  A
 * dangling link is left to the caller (0). */
static int leaves(const char *root, const char *path)
{
    struct stat sb;
    if (!root || lstat(path, &sb) != 0 || !S_ISLNK(sb.st_mode)) return 0;
    char *real = realpath(path, NULL);
    if (!real) return 0;
    size_t n = strlen(root);
    int inside = strncmp(real, root, n) == 0 &&
                 (real[n] == '/' || real[n] == 0 || (n == 1 && root[0] == '/'));
    free(real);
    return !inside;
}

#define LEAVES_WHY "a symbolic link to a file outside the submissions " \
                   "folder: not read"

/* Every file under dir (depth-first, sorted, at most GC_SUB_MAX_DEPTH
 * folders deep): gradable ones into st->files, the others into other[]. */
static int walk(gc_submission_set *set, const char *root, const char *dir,
                int depth, gc_student_files *sf, char ***other,
                size_t *n_other, gc_error *err)
{
    char **names;
    size_t n;
    int st = list_dir(dir, &names, &n, err);
    for (size_t i = 0; i < n && !st; i++) {
        char *p = join(dir, names[i]);
        struct stat sb;
        if (!p) { st = GC_ENOMEM; break; }
        if (leaves(root, p)) {
            sf->n_outside++;
            st = skip(set, p, LEAVES_WHY);
            continue;
        }
        if (stat(p, &sb) != 0) { free(p); continue; }   /* a dangling link */
        if (S_ISDIR(sb.st_mode)) {
            if (depth < GC_SUB_MAX_DEPTH)
                st = walk(set, root, p, depth + 1, sf, other, n_other, err);
            else
                st = push(other, n_other, strdup(p));
            free(p);
        } else if (S_ISREG(sb.st_mode) && is_gradable(names[i])) {
            if (sf->n_files >= GC_SUB_MAX_FILES) { free(p); st = GC_ELIMIT; }
            else st = push(&sf->files, &sf->n_files, p);
        } else {
            st = push(other, n_other, p);
        }
    }
    free_names(names, n);
    return st;
}

static int add_student(gc_submission_set *set, char *path, int folder,
                       gc_student_files **out)
{
    if (!path) return GC_ENOMEM;
    if (set->n_students >= GC_SUB_MAX_FILES) { free(path); return GC_ELIMIT; }
    gc_student_files *s = realloc(set->students,
                                  (set->n_students + 1) * sizeof *s);
    if (!s) { free(path); return GC_ENOMEM; }
    set->students = s;
    *out = &s[set->n_students++];
    memset(*out, 0, sizeof **out);
    (*out)->path = path;
    (*out)->folder = folder;
    return GC_OK;
}

/* "a.py, notes.md" (the names under base), at most a few. */
static char *name_list(char *const *paths, size_t n, const char *base)
{
    char buf[400];
    size_t l = 0, bl = strlen(base);
    buf[0] = 0;
    for (size_t i = 0; i < n && l < 300; i++) {
        const char *p = paths[i];
        if (strncmp(p, base, bl) == 0) p += bl;
        while (*p == '/') p++;
        l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s", i ? ", " : "", p);
    }
    if (l >= 300 && l < sizeof buf)
        snprintf(buf + l, sizeof buf - l, ", ...");
    return strdup(buf);
}

/* A folder of one student: its gradable files, and what else it holds. */
static int student_folder(gc_submission_set *set, gc_student_files *sf,
                          const char *root, const char *dir, gc_error *err)
{
    char **other = NULL;
    size_t n_other = 0;
    char *own = root ? NULL : realpath(dir, NULL);
    int st = walk(set, root ? root : own, dir, 1, sf, &other, &n_other, err);
    free(own);
    if (!st && sf->n_files == 0 && sf->n_outside) {
        char buf[600];
        snprintf(buf, sizeof buf, "no submission file in %s: it holds "
                 "only symbolic links to files outside the submissions "
                 "folder (%zu), not read", dir, sf->n_outside);
        free(sf->problem);
        sf->empty = 0;
        if (!(sf->problem = strdup(buf))) st = GC_ENOMEM;
    } else if (!st && sf->n_files == 0) {
        char *l = n_other ? name_list(other, n_other, dir) : NULL;
        char buf[600];
        snprintf(buf, sizeof buf, "no submission file in %s (formulas go "
                 "in a .txt file, C in a .c file): %s%s", dir,
                 l ? "it holds " : "it is empty", l ? l : "");
        free(l);
        free(sf->problem);
        sf->empty = n_other == 0;
        if (!(sf->problem = strdup(buf))) st = GC_ENOMEM;
    }
    for (size_t i = 0; i < n_other && !st && sf->n_files; i++) {
        char why[400];
        snprintf(why, sizeof why, "not a submission file (formulas go in a "
                 ".txt file, C in a .c file); %s is graded from its other "
                 "file%s", dir, sf->n_files == 1 ? "" : "s");
        st = skip(set, other[i], why);
        other[i] = NULL;
    }
    free_names(other, n_other);
    return st;
}

/* A class folder: one student per gradable file and per folder. */
static int class_folder(gc_submission_set *set, const char *dir,
                        gc_error *err)
{
    char **names;
    size_t n;
    int st = list_dir(dir, &names, &n, err);
    size_t first = set->n_students;
    char *root = st ? NULL : realpath(dir, NULL);
    for (size_t i = 0; i < n && !st; i++) {
        char *p = join(dir, names[i]);
        struct stat sb;
        gc_student_files *sf;
        if (!p) { st = GC_ENOMEM; break; }
        if (leaves(root, p)) {
            /* the student's only file: graded invalid, saying why */
            if (!(st = add_student(set, p, 0, &sf))) {
                char buf[600];
                snprintf(buf, sizeof buf, "%s is " LEAVES_WHY, sf->path);
                if (!(sf->problem = strdup(buf))) st = GC_ENOMEM;
            }
        } else if (stat(p, &sb) != 0) {
            st = skip(set, p, "cannot be read (a dangling link?)");
        } else if (S_ISDIR(sb.st_mode)) {
            if (!(st = add_student(set, p, 1, &sf)))
                st = student_folder(set, sf, root, sf->path, err);
        } else if (!S_ISREG(sb.st_mode)) {
            st = skip(set, p, "not a regular file");
        } else if (is_gradable(names[i])) {
            if (!(st = add_student(set, p, 0, &sf)))
                st = push(&sf->files, &sf->n_files, strdup(sf->path));
        } else if (is_paperwork(names[i])) {
            st = skip(set, p, "not a submission (README, notes and metadata "
                      "files are not graded; formulas go in .txt files, C "
                      "in .c files)");
        } else {
            if (!(st = add_student(set, p, 0, &sf))) {
                char buf[600];
                snprintf(buf, sizeof buf, "%s is not a file gradcheck can "
                         "grade: formulas go in a .txt file, C in a .c file",
                         sf->path);
                if (!(sf->problem = strdup(buf))) st = GC_ENOMEM;
            }
        }
    }
    free_names(names, n);
    free(root);
    if (!st && set->n_students == first) {
        snprintf(err->file, sizeof err->file, "%s", dir);
        snprintf(err->msg, sizeof err->msg, "no submissions in this folder: "
                 "no .txt or .c file, and no folder per student%s",
                 set->n_skipped ? " (the files skipped are named above)" : "");
        st = GC_ENOTFOUND;
    }
    return st;
}

int gc_submission_collect(char *const *args, size_t n, int one_student,
                          gc_submission_set *out, gc_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    int st = GC_OK;
    gc_student_files *one = NULL;
    for (size_t i = 0; i < n && !st; i++) {
        struct stat sb;
        if (stat(args[i], &sb) != 0) {
            snprintf(err->file, sizeof err->file, "%s", args[i]);
            snprintf(err->msg, sizeof err->msg, "no such submission file or "
                     "folder");
            st = GC_ENOTFOUND;
            break;
        }
        int dir = S_ISDIR(sb.st_mode);
        if (one_student) {
            if (!one && (st = add_student(out, strdup(args[i]), dir, &one)))
                break;
            if (dir) {
                st = student_folder(out, one, NULL, args[i], err);
            } else if (!(st = push(&one->files, &one->n_files,
                                   strdup(args[i])))) {
                free(one->problem);
                one->problem = NULL;
            }
            if (!st && one->n_files && one->problem) {
                free(one->problem);
                one->problem = NULL;
                one->empty = 0;
            }
        } else if (dir) {
            st = class_folder(out, args[i], err);
        } else {
            gc_student_files *sf;
            if (!(st = add_student(out, strdup(args[i]), 0, &sf)))
                st = push(&sf->files, &sf->n_files, strdup(args[i]));
        }
    }
    if (st == GC_ELIMIT) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "more than %d submissions "
                 "(GC_SUB_MAX_FILES)", GC_SUB_MAX_FILES);
    } else if (st == GC_ENOMEM) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    if (st) gc_submission_set_clear(out);
    return st;
}

void gc_submission_set_clear(gc_submission_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_students; i++) {
        free(s->students[i].path);
        free_names(s->students[i].files, s->students[i].n_files);
        free(s->students[i].problem);
    }
    free(s->students);
    for (size_t i = 0; i < s->n_skipped; i++) {
        free(s->skipped[i].path);
        free(s->skipped[i].why);
    }
    free(s->skipped);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ UTF-8 */

/* Length of the well-formed UTF-8 character at s (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 if there is none. */
static size_t utf8_char(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)))
        return 0;
    if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)))
        return 0;
    return n;
}

char *gc_utf8_clean(const char *s, size_t max)
{
    static const char repl[] = "\xEF\xBF\xBD", tail[] = " (truncated)";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t cap = 3 * strlen((const char *)p) + sizeof tail;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t l = 0, keep = 0;   /* keep: length before the last character
                                 that still leaves room for the tail */
    int cut = 0;
    while (*p) {
        size_t n = utf8_char(p);
        const char *c = (const char *)p;
        size_t cl = n;
        if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\n' && *p != '\t') ||
                                  *p == 0x7F))) {
            c = repl;
            cl = 3;
            n = n ? n : 1;
        }
        if (max && l + cl > max) { cut = 1; break; }
        memcpy(out + l, c, cl);
        l += cl;
        if (!max || l + sizeof tail - 1 <= max) keep = l;
        p += n;
    }
    if (cut) {
        l = keep;
        memcpy(out + l, tail, sizeof tail);
        l += sizeof tail - 1;
    }
    out[l] = 0;
    return out;
}
