/* submission.h: internal to libgradcheck (not installed).  Reading
 * submission files and collecting them from folders (submission.c). */
#ifndef GRADCHECK_SUBMISSION_H
#define GRADCHECK_SUBMISSION_H

#include "gradcheck/grade.h"

/* Read a submission; fails only for lack of memory (a file that cannot be
 * read is returned with bad set).  Caller frees with gc_submission_free. */
int gc_submission_load(const char *path, gc_submission **out);
void gc_submission_free(gc_submission *s);
/* The submission files named by args (files as given; folders: their
 * *.txt and *.c files, sorted).  Caller frees each path and the array. */
int gc_submission_collect(char *const *args, size_t n, char ***paths,
                          size_t *n_paths, gc_error *err);

#endif /* GRADCHECK_SUBMISSION_H */
