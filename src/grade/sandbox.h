/* sandbox.h: internal to libgradcheck (not installed).  Running a program
 * in a child process with resource limits (sandbox.c). */
#ifndef GRADCHECK_SANDBOX_H
#define GRADCHECK_SANDBOX_H

#include "gradcheck/grade.h"

typedef struct {
    int exited, status;      /* exited normally, with this status */
    int signal;              /* the signal that ended it, or 0 */
    int timed_out;           /* killed at the wall-clock limit */
    int cpu_exceeded;        /* ended by the CPU-time limit */
    unsigned char *result;   /* what it wrote to fd 3 (owned) */
    size_t result_len;
    int result_truncated;
    char *log;               /* its stdout and stderr, NUL-terminated or NULL */
    size_t log_len;
    int log_truncated;
    double wall, cpu;        /* seconds */
} gc_sandbox_result;

/* Run argv (envp NULL: this environment and a PATH search; else argv[0]
 * is a path) in dir with the limits; want_result gives the child a result
 * pipe as fd 3.  Returns GC_EIO only when the child could not be started;
 * what the child did is in *out (free with gc_sandbox_result_clear). */
int gc_sandbox_run(char *const argv[], char *const envp[], const char *dir,
                   const gc_sandbox_limits *lim, int want_result,
                   gc_sandbox_result *out);
void gc_sandbox_result_clear(gc_sandbox_result *r);
/* "SIGSEGV" for SIGSEGV, ... */
const char *gc_signal_name(int sig);

#endif /* GRADCHECK_SANDBOX_H */
