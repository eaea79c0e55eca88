/* golden_check.c: checking a case against its golden file, and updating
 * the golden file on purpose. */
#include "gradcheck/case.h"
#include "gradcheck/catalogue.h"
#include "gradcheck/golden.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

int gc_golden_check_run(const gc_case *c, const char *dir,
                        const gc_golden_tol *override, gc_golden_check **out,
                        gc_error *err)
{
    *out = NULL;
    gc_golden_check *g = calloc(1, sizeof *g);
    if (!g) return GC_ENOMEM;
    g->c = c;
    g->tol = override ? *override
           : c->have_golden_tol ? c->golden_tol : gc_golden_tol_default;
    g->path = join(dir, c->name, ".golden");
    if (!g->path) { free(g); return GC_ENOMEM; }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gc_run_options o = gc_run_options_default();
    int st = gc_run_case(c, &o, &g->report, err);
    if (!st) st = gc_golden_from_report(g->report, &g->got);
    if (st) {
        gc_golden_check_free(g);
        return st;
    }
    g->read_status = gc_golden_read(g->path, &g->golden, &g->read_err);
    g->missing = g->read_status == GC_ENOTFOUND;
    if (!g->read_status) {
        st = gc_golden_compare(&g->golden, &g->got, &g->tol, &g->diff);
        if (st) { gc_golden_check_free(g); return st; }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    g->seconds = (double)(t1.tv_sec - t0.tv_sec) +
                 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    *out = g;
    return GC_OK;
}

void gc_golden_check_free(gc_golden_check *g)
{
    if (!g) return;
    gc_case_report_free(g->report);
    gc_golden_clear(&g->got);
    gc_golden_clear(&g->golden);
    gc_golden_diff_clear(&g->diff);
    free(g->path);
    free(g->received);
    free(g);
}

int gc_golden_check_ok(const gc_golden_check *g)
{
    return !g->read_status && gc_golden_diff_ok(&g->diff);
}

void gc_golden_remove_received(const gc_golden_check *g)
{
    char *p = join("", g->path, ".received");
    if (p) unlink(p + 1);
    free(p);
}

int gc_golden_write_received_in(gc_golden_check *g, const char *dir)
{
    char *p = dir ? join(dir, g->c->name, ".golden.received")
                  : join("", g->path, ".received");
    if (!p) return GC_ENOMEM;
    const char *path = dir ? p : p + 1;
    int st = gc_golden_write_file(path, &g->got, g->c->name);
    free(g->received);
    g->received = st ? NULL : strdup(path);
    free(p);
    return st;
}

int gc_golden_write_received(const gc_golden_check *g)
{
    char *p = join("", g->path, ".received");
    if (!p) return GC_ENOMEM;
    int st = gc_golden_write_file(p + 1, &g->got, g->c->name);
    free(p);
    return st;
}

/* The golden file's text, as update would write it. */
static char *render(const gc_golden *x, const char *name, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return NULL;
    int st = gc_golden_write(f, x, name);
    if (fclose(f) != 0 || st) { free(buf); return NULL; }
    return buf;
}

int gc_golden_update(const gc_golden_check *g, int *written)
{
    *written = 0;
    size_t len = 0;
    char *want = render(&g->got, g->c->name, &len);
    if (!want) return GC_ENOMEM;
    int same = 0;
    FILE *f = fopen(g->path, "rb");
    if (f) {
        char *have = malloc(len + 1);
        if (have) {
            size_t n = fread(have, 1, len + 1, f);
            same = n == len && memcmp(have, want, len) == 0;
            free(have);
        }
        fclose(f);
    }
    free(want);
    if (same) return GC_OK;
    int st = gc_golden_write_file(g->path, &g->got, g->c->name);
    if (!st) *written = 1;
    return st;
}
