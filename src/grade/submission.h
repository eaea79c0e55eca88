/* submission.h: internal to libgradcheck (not installed).  Reading
 * submission files and collecting them from folders (submission.c). */
#ifndef GRADCHECK_SUBMISSION_H
#define GRADCHECK_SUBMISSION_H

#include "gradcheck/grade.h"

/* Read a submission; fails only for lack of memory (a file that cannot be
 * read is returned with bad set).  Caller frees with gc_submission_free. */
int gc_submission_load(const char *path, gc_submission **out);
void gc_submission_free(gc_submission *s);
/* One student's files, as gc_submission_collect finds them. */
typedef struct {
    char *path;              /* the file, or the student's folder */
    int folder;              /* a folder of its own (one per student) */
    char **files;            /* the files to grade (*.txt, *.c), sorted */
    size_t n_files;
    char *problem;           /* why nothing can be graded (a .py file, a
                                folder without a .txt or .c file), else
                                NULL: every answer gets it */
    int empty;               /* problem: the folder is empty (missing,
                                rather than invalid) */
    size_t n_outside;        /* symbolic links in the folder leading out
                                of the submissions folder (not read) */
} gc_student_files;

/* A file that is nobody's submission, and why it was not graded. */
typedef struct {
    char *path, *why;
} gc_skipped_file;

typedef struct {
    gc_student_files *students;
    size_t n_students;
    gc_skipped_file *skipped;
    size_t n_skipped;
} gc_submission_set;

#define GC_SUB_MAX_DEPTH 8            /* folders inside a student's folder */

/* The students named by args (docs/grading.md):
 *   a file           one student (*.c: C, anything else: formulas);
 *   a folder         a class: each *.txt or *.c file in it is one student,
 *                    each folder in it one student (all the *.txt and *.c
 *                    files under it, graded together); README*, *.md,
 *                    *.yml, *.yaml, *.json, *.csv, *.log, *.html files are
 *                    skipped (out->skipped, with why); any other file is a
 *                    student whose work cannot be graded (a .py: its
 *                    problem says so); hidden files and __MACOSX are
 *                    ignored.
 * With one_student, everything named is one student's.  GC_ENOTFOUND with
 * err naming the path when it does not exist or a class folder has no
 * student in it.  Caller clears *out with gc_submission_set_clear. */
int gc_submission_collect(char *const *args, size_t n, int one_student,
                          gc_submission_set *out, gc_error *err);
void gc_submission_set_clear(gc_submission_set *s);

/* s as valid UTF-8 in a fresh string: each byte that is not part of a
 * well-formed character (RFC 3629), and each control character but
 * newline and tab, becomes U+FFFD; longer than max bytes (0: no limit), it
 * is cut at a character boundary and ends in " (truncated)" within max.
 * NULL only for lack of memory. */
char *gc_utf8_clean(const char *s, size_t max);

#endif /* GRADCHECK_SUBMISSION_H */
