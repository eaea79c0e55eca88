/* gradcheck/catalogue.h: the case folder: listing cases and resolving a
 * command-line case argument to a file. */
#ifndef GRADCHECK_CATALOGUE_H
#define GRADCHECK_CATALOGUE_H

#include <stddef.h>
#include "gradcheck/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The case folder: GRADCHECK_CASES if set; else, for a program run from
 * the build tree, the source tree's cases/; else the installed
 * <datadir>/gradcheck/cases.  The string is the library's. */
GC_EXPORT const char *gc_cases_dir(void);
/* The golden folder, chosen the same way (GRADCHECK_GOLDEN, golden/). */
GC_EXPORT const char *gc_golden_dir(void);
/* Names (file names without .yaml) of the cases in dir, sorted.  Caller
 * frees each name and the array. */
GC_EXPORT int gc_catalogue_list(const char *dir, char ***names, size_t *n);
/* A command-line case argument to a file path: an existing file as given,
 * else dir/ARG.yaml.  Caller frees *path.  GC_ENOTFOUND if neither exists. */
GC_EXPORT int gc_catalogue_resolve(const char *dir, const char *arg, char **path);

#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_CATALOGUE_H */
