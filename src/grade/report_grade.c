/* report_grade.c: the gradebook of a grading run (docs/grading.md): a table and the instructor's summary on the terminal, a CSV
 * file, and one Gradescope results.json per submission.  Files are written
 * atomically (a temporary file in the same folder, then rename), so an
 * interrupted run never leaves a half-written gradebook. */
#include "gradcheck/case.h"
#include "gradcheck/grade.h"
#include "gradcheck/layout.h"
#include "gradcheck/status.h"
#include "atomic.h"
#include "grade/submission.h"

#include <stdio.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ text */

static int most_common_wrong(const gc_grade_report *r, size_t k, char *buf,
                             size_t n, size_t *right)
{
    /* distinct wrong verdicts (with detail) and their counts */
    char names[64][48];
    size_t counts[64] = {0}, nn = 0;
    *right = 0;
    for (size_t s = 0; s < r->n_subs; s++) {
        const gc_grade_item *it = &r->subs[s].items[k];
        if (it->verdict == GC_GRADE_AGREE) { (*right)++; continue; }
        char v[48];
        gc_grade_item_verdict(it, v, sizeof v);
        size_t i = 0;
        while (i < nn && strcmp(names[i], v)) i++;
        if (i == nn && nn < 64) snprintf(names[nn++], sizeof names[0], "%s", v);
        if (i < nn) counts[i]++;
    }
    size_t best = 0;
    for (size_t i = 1; i < nn; i++)
        if (counts[i] > counts[best]) best = i;
    if (nn == 0) snprintf(buf, n, "-");
    else snprintf(buf, n, "%s (%zu)", names[best], counts[best]);
    return (int)nn;
}

/* A verdict cell, padded to w, coloured when asked. */
static void verdict_cell(FILE *f, const gc_grade_item *it, int w, int color)
{
    char v[64];
    gc_grade_item_verdict(it, v, sizeof v);
    const char *on = it->verdict == GC_GRADE_AGREE ? "\033[32m"
                   : it->verdict == GC_GRADE_DISAGREE ? "\033[1;31m"
                   : it->verdict == GC_GRADE_MISSING ? "\033[2m"
                   : "\033[33m";
    if (color) fputs(on, f);
    fprintf(f, "%-*s", w, v);
    if (color) fputs("\033[0m", f);
}

/* Characters (not bytes) of a UTF-8 string: the width of an id. */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s padded (or cut, at a character) to w characters. */
static void padded(FILE *f, const char *s, size_t w)
{
    size_t n = 0;
    const char *p = s;
    while (*p && n < w) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80) p++;
        n++;
    }
    fwrite(s, 1, (size_t)(p - s), f);
    for (; n < w; n++) fputc(' ', f);
}

int gc_grade_report_text(FILE *f, const gc_grade_report *r, int flags)
{
    const gc_case *c = r->c;
    int verbose = flags & GC_GRADE_VERBOSE, color = flags & GC_GRADE_COLOR;
    fprintf(f, "%s: %zu submission%s graded at %zu point%s (the case's own "
            "and %zu random, seed %ld) in %.2f s\n", c->name, r->n_subs,
            r->n_subs == 1 ? "" : "s", r->n_points,
            r->n_points == 1 ? "" : "s", r->n_points - 1, r->seed,
            r->seconds);
    /* the table: one row per submission */
    size_t idw = 2;
    for (size_t s = 0; s < r->n_subs; s++) {
        size_t l = width(r->subs[s].sub->id);
        if (l > idw) idw = l;
    }
    if (idw > 40) idw = 40;
    size_t *w = calloc(r->n_keys ? r->n_keys : 1, sizeof *w);
    if (!w) return GC_ENOMEM;
    for (size_t k = 0; k < r->n_keys; k++) {
        w[k] = strlen(r->keys[k].key);
        for (size_t s = 0; s < r->n_subs; s++) {
            char v[64];
            gc_grade_item_verdict(&r->subs[s].items[k], v, sizeof v);
            if (strlen(v) > w[k]) w[k] = strlen(v);
        }
    }
    fprintf(f, "\n  %-*s  %9s", (int)idw, "id", "score");
    for (size_t k = 0; k < r->n_keys; k++)
        fprintf(f, "  %-*s", (int)w[k], r->keys[k].key);
    fprintf(f, "\n");
    for (size_t s = 0; s < r->n_subs; s++) {
        const gc_grade_result *res = &r->subs[s];
        char sc[32];
        snprintf(sc, sizeof sc, "%g/%g", res->score, res->max_score);
        fputs("  ", f);
        padded(f, res->sub->id, idw);
        fprintf(f, "  %9s", sc);
        for (size_t k = 0; k < r->n_keys; k++) {
            fputs("  ", f);
            verdict_cell(f, &res->items[k], (int)w[k], color);
        }
        for (size_t k = r->n_keys; k < res->n_items; k++) {
            char v[64];
            gc_grade_item_verdict(&res->items[k], v, sizeof v);
            fprintf(f, "  (%s %s, not asked)", res->items[k].target.key, v);
        }
        fprintf(f, "\n");
    }
    free(w);
    /* details: expectations not met always; messages with verbose */
    int head = 0;
    for (size_t s = 0; s < r->n_subs; s++) {
        const gc_grade_result *res = &r->subs[s];
        int any = res->unmet > 0 || (verbose && res->notes);
        for (size_t k = 0; k < res->n_items && verbose && !any; k++)
            any = res->items[k].message != NULL;
        if (!any) continue;
        if (!head++) fprintf(f, "\n");
        fprintf(f, "%s (%s): %g/%g\n", res->sub->id, res->sub->path,
                res->score, res->max_score);
        for (size_t k = 0; verbose && k < res->n_items; k++) {
            const gc_grade_item *it = &res->items[k];
            char v[64];
            gc_grade_item_verdict(it, v, sizeof v);
            fprintf(f, "  %s  %s  %g/%g: %s\n", it->target.key, v, it->score,
                    it->max_score, it->message ? it->message : "");
        }
        if (verbose && res->notes) {
            for (const char *p = res->notes; *p;) {
                const char *e = strchr(p, '\n');
                int len = e ? (int)(e - p) : (int)strlen(p);
                fprintf(f, "  | %.*s\n", len, p);
                p += len + (e ? 1 : 0);
            }
        }
        for (const char *p = res->unmet ? res->unmet_text : ""; *p;) {
            const char *e = strchr(p, '\n');
            int len = e ? (int)(e - p) : (int)strlen(p);
            fprintf(f, "  EXPECTATION NOT MET: %.*s\n", len, p);
            p += len + (e ? 1 : 0);
        }
    }
    /* the instructor's summary */
    fprintf(f, "\nper answer (%zu submission%s):\n", r->n_subs,
            r->n_subs == 1 ? "" : "s");
    size_t kw = 6;
    for (size_t k = 0; k < r->n_keys; k++)
        if (strlen(r->keys[k].key) > kw) kw = strlen(r->keys[k].key);
    fprintf(f, "  %-*s  %6s  %9s  %s\n", (int)kw, "answer", "points", "right",
            "most common wrong verdict");
    for (size_t k = 0; k < r->n_keys; k++) {
        char mc[80], rt[32];
        size_t right;
        most_common_wrong(r, k, mc, sizeof mc, &right);
        snprintf(rt, sizeof rt, "%zu/%zu", right, r->n_subs);
        fprintf(f, "  %-*s  %6g  %9s  %s\n", (int)kw, r->keys[k].key,
                r->points[k], rt, mc);
    }
    double total = 0;
    for (size_t s = 0; s < r->n_subs; s++) total += r->subs[s].score;
    fprintf(f, "  mean score %.3g of %g", r->n_subs ? total / (double)r->n_subs
                                                    : 0.0, r->max_score);
    if (r->unmet)
        fprintf(f, "; %zu expectation%s not met", r->unmet,
                r->unmet == 1 ? "" : "s");
    fprintf(f, "\n");
    /* wrong answers that several students share, or with a hint */
    int head2 = 0;
    const gc_grade_summary *sm = &r->summary;
    for (size_t k = 0; k < sm->n_answers; k++) {
        const gc_grade_answer_summary *a = &sm->answers[k];
        for (size_t gi = 0; gi < a->n_groups; gi++) {
            const gc_grade_group *gp = &a->groups[gi];
            if (gp->n < 2 && gp->hint == GC_HINT_NONE) continue;
            if (gp->verdict == GC_GRADE_MISSING) continue;
            if (!head2++)
                fprintf(f, "\nwrong answers shared by several students, "
                        "and wrong answers with a pattern:\n");
            fprintf(f, "  %-*s  %zu student%s: %s (", (int)kw,
                    r->keys[a->key].key, gp->n, gp->n == 1 ? "" : "s",
                    gp->label);
            for (size_t i = 0; i < gp->n && i < 8; i++)
                fprintf(f, "%s%s", i ? ", " : "", r->subs[gp->subs[i]].sub->id);
            if (gp->n > 8) fprintf(f, ", and %zu more", gp->n - 8);
            fprintf(f, ")\n");
        }
    }
    return ferror(f) ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ names */

static void block_line(FILE *f, const char *family, const gc_block *b)
{
    static const char idx[] = "ijk";
    char head[64];
    size_t l = (size_t)snprintf(head, sizeof head, "%s", b->name);
    for (int a = 0; a < b->rank && l < sizeof head; a++)
        l += (size_t)snprintf(head + l, sizeof head - l, "[%c]",
                              b->timed && a == 0 ? 't' : idx[a]);
    fprintf(f, "  %-12s %-14s", family, head);
    if (b->rank == 0) fprintf(f, "scalar");
    for (int a = 0; a < b->rank; a++)
        fprintf(f, "%s%c = %d..%ld", a ? ", " : "",
                b->timed && a == 0 ? 't' : idx[a], b->base[a],
                b->base[a] + (long)b->shape[a] - 1);
    if (b->timed) fprintf(f, "  (t: time step)");
    fprintf(f, "\n");
}

int gc_grade_names(FILE *f, const gc_case *c)
{
    const gc_layout *L = &c->prob->layout;
    const gc_grading *g = c->grading;
    fprintf(f, "%s (model %s, %s, %s): the names a formula can use\n\n",
            c->name, c->model->name, c->seed, c->problem);
    const gc_blocks *fam[3] = {&L->params, &L->inputs, &L->quantities};
    static const char *const noun[3] = {"parameter", "input", "quantity"};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < fam[k]->n_blocks; i++)
            block_line(f, i ? "" : noun[k], &fam[k]->block[i]);
    for (int i = 0; c->model->dims[i].name; i++)
        fprintf(f, "  %-12s %-14s= %ld  (%s)\n", i ? "" : "dimension",
                c->model->dims[i].name, c->prob->dims[i],
                c->model->dims[i].meaning);
    fprintf(f, "  %-12s ", "the loss");
    if (g && g->n_loss)
        for (size_t i = 0; i < g->n_loss; i++)
            fprintf(f, "%s%s", i ? ", " : "", g->loss[i]);
    else
        fprintf(f, "L, E, e, C, J, loss, l (a submission's loss: line "
                "adds one)");
    fprintf(f, "\n\nanswers: ");
    if (g && g->n_formulas) {
        fprintf(f, "the case's grading: section asks for\n");
        for (size_t i = 0; i < g->n_formulas; i++)
            fprintf(f, "  %-24s %g point%s\n", g->formulas[i].key,
                    g->formulas[i].points,
                    g->formulas[i].points == 1 ? "" : "s");
    } else {
        fprintf(f, "d%s/d(parameter or quantity), d(quantity)/d(parameter or "
                "quantity), each 1 point\n(the case has no grading: "
                "section)\n", g && g->n_loss ? g->loss[0] : "L");
    }
    if (g && g->points >= 0)
        fprintf(f, "graded at the case's own point and %ld random ones\n",
                g->points);
    return ferror(f) ? GC_EIO : GC_OK;
}

/* ------------------------------------------------------------ files */


/* A CSV field, quoted when it needs to be (RFC 4180), as valid UTF-8. */
static void csv(FILE *f, const char *raw, int last)
{
    char *clean = gc_utf8_clean(raw, 0);
    const char *s = clean ? clean : "";
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
    free(clean);
}

/* Text a student chose (the id): a leading = + - @ would make a
 * spreadsheet read the cell as a formula, so it gets a ' in front. */
static void text_cell_last(FILE *f, const char *s, int last)
{
    char *q = malloc(strlen(s) + 2);
    if (!q) { csv(f, s, last); return; }
    q[0] = '\'';
    strcpy(q + 1, s);
    csv(f, q, last);
    free(q);
}

static void text_cell(FILE *f, const char *s)
{
    if (*s == '=' || *s == '+' || *s == '-' || *s == '@') {
        char *q = malloc(strlen(s) + 2);
        if (q) {
            q[0] = '\'';
            strcpy(q + 1, s);
            csv(f, q, 0);
            free(q);
            return;
        }
    }
    csv(f, s, 0);
}

static int write_csv(FILE *f, const void *ctx)
{
    const gc_grade_report *r = ctx;
    char buf[200];
    csv(f, "id", 0);
    csv(f, "file", 0);
    for (size_t k = 0; k < r->n_keys; k++) {
        snprintf(buf, sizeof buf, "%s verdict", r->keys[k].key);
        csv(f, buf, 0);
        snprintf(buf, sizeof buf, "%s score (of %g)", r->keys[k].key,
                 r->points[k]);
        csv(f, buf, 0);
    }
    csv(f, "total", 0);
    csv(f, "max", r->n_keys == 0);
    for (size_t k = 0; k < r->n_keys; k++) {
        snprintf(buf, sizeof buf, "%s message", r->keys[k].key);
        csv(f, buf, k + 1 == r->n_keys);
    }
    for (size_t s = 0; s < r->n_subs; s++) {
        const gc_grade_result *res = &r->subs[s];
        text_cell(f, res->sub->id);
        text_cell(f, res->sub->path);
        for (size_t k = 0; k < r->n_keys; k++) {
            gc_grade_item_verdict(&res->items[k], buf, sizeof buf);
            csv(f, buf, 0);
            snprintf(buf, sizeof buf, "%g", res->items[k].score);
            csv(f, buf, 0);
        }
        snprintf(buf, sizeof buf, "%g", res->score);
        csv(f, buf, 0);
        snprintf(buf, sizeof buf, "%g", res->max_score);
        csv(f, buf, r->n_keys == 0);
        for (size_t k = 0; k < r->n_keys; k++) {
            const char *m = res->items[k].message;
            if (m && (*m == '=' || *m == '+' || *m == '-' || *m == '@'))
                text_cell_last(f, m, k + 1 == r->n_keys);
            else
                csv(f, m ? m : "", k + 1 == r->n_keys);
        }
    }
    return ferror(f) ? GC_EIO : GC_OK;
}

int gc_grade_write_csv(const char *path, const gc_grade_report *r)
{
    return gc_write_atomic(path, write_csv, r);
}

static int write_json(FILE *f, const void *ctx)
{
    char *s = json_dumps((const json_t *)ctx, JSON_INDENT(2) |
                         JSON_PRESERVE_ORDER);
    if (!s) return GC_ENOMEM;
    int st = fputs(s, f) < 0 || fputc('\n', f) == EOF ? GC_EIO : GC_OK;
    free(s);
    return st;
}

/* A JSON string of valid UTF-8 (jansson refuses anything else, and the
 * key would silently vanish), at most max bytes, cut at a character. */
static json_t *jstr(const char *s, size_t max)
{
    char *c = gc_utf8_clean(s ? s : "", max);
    json_t *j = c ? json_string(c) : NULL;
    free(c);
    return j ? j : json_string("");
}

static const char *const hint_tag[GC_HINT_N] = {
    [GC_HINT_SIGN] = "hint: sign", [GC_HINT_HALF] = "hint: factor 1/2",
    [GC_HINT_DOUBLE] = "hint: factor 2", [GC_HINT_FACTOR] = "hint: factor",
    [GC_HINT_TRANSPOSE] = "hint: transpose",
    [GC_HINT_OWN_POINT] = "hint: own point only",
};

/* Gradescope's results.json (gradescope-autograders.readthedocs.io,
 * "Autograder Specifications"): only the documented keys.  Every text is
 * "text" format: a student's id or a program's output must not be read
 * as HTML (the top-level default, simple_format, would). */
static json_t *results_json(const gc_grade_report *r,
                            const gc_grade_result *res)
{
    json_t *o = json_object(), *tests = json_array();
    if (!o || !tests) { json_decref(o); json_decref(tests); return NULL; }
    char out[4096];
    int l = snprintf(out, sizeof out, "Graded by gradcheck against case %s "
                     "(%s, %s) at %zu points: the case's own and %zu random "
                     "ones.  Each answer earns its points when it agrees "
                     "with the numerical derivative in every entry at every "
                     "point.", r->c->name, r->c->seed, r->c->problem,
                     r->n_points, r->n_points - 1);
    if (res->notes && l > 0 && (size_t)l < sizeof out)
        snprintf(out + l, sizeof out - (size_t)l, "\n%s", res->notes);
    json_object_set_new(o, "score", json_real(res->score));
    json_object_set_new(o, "execution_time", json_real(res->seconds));
    json_object_set_new(o, "output", jstr(out, GC_RESULTS_MAX_OUTPUT));
    json_object_set_new(o, "output_format", json_string("text"));
    json_object_set_new(o, "test_output_format", json_string("text"));
    json_object_set_new(o, "test_name_format", json_string("text"));
    json_object_set_new(o, "visibility", json_string(r->visibility ?
                                                     r->visibility : "visible"));
    json_object_set_new(o, "stdout_visibility", json_string("hidden"));
    for (size_t k = 0; k < res->n_items; k++) {
        const gc_grade_item *it = &res->items[k];
        json_t *t = json_object();
        if (!t) { json_decref(o); json_decref(tests); return NULL; }
        char v[64], msg[GC_RESULTS_MAX_OUTPUT + 64], num[32];
        gc_grade_item_verdict(it, v, sizeof v);
        snprintf(msg, sizeof msg, "%s%s", it->message ? it->message : v,
                 it->graded ? "" : " (not asked for: no points)");
        snprintf(num, sizeof num, "%zu", k + 1);
        json_object_set_new(t, "name", jstr(it->target.key, 0));
        json_object_set_new(t, "number", json_string(num));
        json_object_set_new(t, "score", json_real(it->score));
        json_object_set_new(t, "max_score", json_real(it->max_score));
        json_object_set_new(t, "status", json_string(
            it->verdict == GC_GRADE_AGREE ? "passed" : "failed"));
        json_object_set_new(t, "output", jstr(msg, GC_RESULTS_MAX_OUTPUT));
        json_object_set_new(t, "visibility", json_string(r->visibility ?
                                                         r->visibility
                                                         : "visible"));
        json_t *tags = json_array();
        json_array_append_new(tags, jstr(v, 0));
        if (it->hint > GC_HINT_NONE && it->hint < GC_HINT_N)
            json_array_append_new(tags, json_string(hint_tag[it->hint]));
        json_object_set_new(t, "tags", tags);
        json_array_append_new(tests, t);
    }
    json_object_set_new(o, "tests", tests);
    return o;
}

int gc_grade_write_result(const char *path, const gc_grade_report *r,
                          size_t i, gc_error *err)
{
    memset(err, 0, sizeof *err);
    if (i >= r->n_subs) return GC_EINVAL;
    json_t *j = results_json(r, &r->subs[i]);
    if (!j) return GC_ENOMEM;
    int st = gc_write_atomic(path, write_json, j);
    json_decref(j);
    if (st) {
        snprintf(err->file, sizeof err->file, "%.500s", path);
        snprintf(err->msg, sizeof err->msg, "cannot write: %s",
                 strerror(errno));
    }
    return st;
}

static int isalnum_ascii(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* A folder name from an id: letters, digits, . _ - kept, the rest _. */
static void safe_name(const char *id, char *buf, size_t n)
{
    size_t l = 0;
    for (const char *p = id; *p && l + 1 < n; p++) {
        unsigned char ch = (unsigned char)*p;
        buf[l++] = (ch < 0x80 && (isalnum_ascii(ch) || ch == '.' ||
                                  ch == '_' || ch == '-')) ? (char)ch : '_';
    }
    buf[l] = 0;
    if (!l || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
        snprintf(buf, n, "_%s", l ? buf : "");
}

int gc_grade_write_results(const char *dir, const gc_grade_report *r,
                           gc_error *err)
{
    memset(err, 0, sizeof *err);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err->file, sizeof err->file, "%s", dir);
        snprintf(err->msg, sizeof err->msg, "cannot make the folder: %s",
                 strerror(errno));
        return GC_EIO;
    }
    char (*used)[128] = calloc(r->n_subs ? r->n_subs : 1, sizeof *used);
    if (!used) return GC_ENOMEM;
    int st = GC_OK;
    for (size_t s = 0; s < r->n_subs && !st; s++) {
        char name[128], path[4400];
        safe_name(r->subs[s].sub->id, name, 100);
        /* two submissions with one id: the second gets -2, ... */
        char base[100];
        snprintf(base, sizeof base, "%.99s", name);
        for (int k = 2;; k++) {
            size_t i = 0;
            while (i < s && strcmp(used[i], name)) i++;
            if (i == s) break;
            snprintf(name, sizeof name, "%s-%d", base, k);
        }
        snprintf(used[s], sizeof used[s], "%s", name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(err->file, sizeof err->file, "%.500s", path);
            snprintf(err->msg, sizeof err->msg, "cannot make the folder: %s",
                     strerror(errno));
            st = GC_EIO;
            break;
        }
        snprintf(path, sizeof path, "%s/%s/results.json", dir, name);
        st = gc_grade_write_result(path, r, s, err);
    }
    free(used);
    return st;
}
