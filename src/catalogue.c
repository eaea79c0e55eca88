/* catalogue.c: the folder of case files, and case names on the command
 * line. */
#include "gradcheck/catalogue.h"
#include "gradcheck/status.h"

#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pthread.h>
#include <unistd.h>

/* Where the data is (src/meson.build sets these): a program run from the
 * build tree reads the source tree's cases/ and golden/, so that an edit
 * is seen without installing; an installed one reads <datadir>/gradcheck/,
 * where meson install put them. */
#ifndef GC_SOURCE_ROOT
#define GC_SOURCE_ROOT "."
#endif
#ifndef GC_BUILD_ROOT
#define GC_BUILD_ROOT ""
#endif
#ifndef GC_DATA_DIR
#define GC_DATA_DIR "/usr/local/share/gradcheck"
#endif

static pthread_once_t data_once = PTHREAD_ONCE_INIT;
static const char *data_root = GC_DATA_DIR;

/* Whether this process's executable lies inside the build tree. */
static void find_data_root(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    size_t b = strlen(GC_BUILD_ROOT);
    if (n > 0 && b > 0 && (size_t)n > b) {
        exe[n] = '\0';
        if (strncmp(exe, GC_BUILD_ROOT, b) == 0 && exe[b] == '/')
            data_root = GC_SOURCE_ROOT;
    }
}

/* The folder: $env if set and not empty, else root/sub (kept static). */
static const char *data_dir(const char *env, const char *sub,
                            char *buf, size_t n)
{
    const char *e = getenv(env);
    if (e && *e) return e;
    pthread_once(&data_once, find_data_root);
    snprintf(buf, n, "%s/%s", data_root, sub);
    return buf;
}

const char *gc_cases_dir(void)
{
    static char buf[4200];
    return data_dir("GRADCHECK_CASES", "cases", buf, sizeof buf);
}

const char *gc_golden_dir(void)
{
    static char buf[4200];
    return data_dir("GRADCHECK_GOLDEN", "golden", buf, sizeof buf);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gc_catalogue_list(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return GC_EIO;
    size_t cap = 0, len = 0;
    char **v = NULL;
    struct dirent *de;
    int st = GC_OK;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 5 || de->d_name[0] == '.' ||
            strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) { st = GC_ENOMEM; break; }
            v = nv;
        }
        v[len] = strndup(de->d_name, l - 5);
        if (!v[len]) { st = GC_ENOMEM; break; }
        len++;
    }
    closedir(d);
    if (st) {
        for (size_t i = 0; i < len; i++) free(v[i]);
        free(v);
        return st;
    }
    if (len) qsort(v, len, sizeof *v, by_name);
    *names = v;
    *n = len;
    return GC_OK;
}

int gc_catalogue_resolve(const char *dir, const char *arg, char **path)
{
    struct stat sb;
    *path = NULL;
    if (stat(arg, &sb) == 0) {
        *path = strdup(arg);
        return *path ? GC_OK : GC_ENOMEM;
    }
    if (strchr(arg, '/')) return GC_ENOTFOUND;
    size_t n = strlen(dir) + strlen(arg) + 8;
    char *p = malloc(n);
    if (!p) return GC_ENOMEM;
    snprintf(p, n, "%s/%s.yaml", dir, arg);
    if (stat(p, &sb) != 0) { free(p); return GC_ENOTFOUND; }
    *path = p;
    return GC_OK;
}
