/* catalogue.c: the folder of case files, and case names on the command
 * line. */
#include "gradcheck.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef GC_CASES_DIR
#define GC_CASES_DIR "cases"
#endif

const char *gc_cases_dir(void)
{
    const char *e = getenv("GRADCHECK_CASES");
    return (e && *e) ? e : GC_CASES_DIR;
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
