/* sandbox.h: internal to libgradcheck (not installed).  Running a program
 * -- the C compiler, a student's submission -- isolated from the machine,
 * with resource limits (sandbox.c, docs/grading.md "The sandbox"). */
#ifndef GRADCHECK_SANDBOX_H
#define GRADCHECK_SANDBOX_H

#include "gradcheck/grade.h"

typedef enum {
    /* resource limits only: a child process in its own process group, as
     * the grader's user, seeing what it sees (--trust-submissions) */
    GC_SANDBOX_TRUSTED = 0,
    /* new user, PID, mount, network, IPC, UTS and cgroup namespaces, a
     * private read-only root with the system's compiler and libraries,
     * dir at GC_SANDBOX_BOX, writable: the compiler */
    GC_SANDBOX_COMPILE,
    /* the same with dir read-only, and a system-call filter (seccomp)
     * that ends the program with SIGSYS on anything but computing: the
     * submission */
    GC_SANDBOX_RUN
} gc_sandbox_mode;

/* Where an isolated program sees dir. */
#define GC_SANDBOX_BOX "/box"

typedef struct {
    int exited, status;      /* exited normally, with this status */
    int signal;              /* the signal that ended it, or 0 */
    int timed_out;           /* killed at the wall-clock limit */
    int cpu_exceeded;        /* ended by the CPU-time limit */
    int refused;             /* GC_SANDBOX_RUN: ended by the filter, for a
                                system call it refuses (signal SIGSYS) */
    char unavailable[320];   /* isolation could not be set up here and
                                nothing ran: the step and its cause; ""
                                when it ran */
    unsigned char *result;   /* what it wrote to fd 3 (owned) */
    size_t result_len;
    int result_truncated;
    char *log;               /* its stdout and stderr, NUL-terminated or NULL */
    size_t log_len;
    int log_truncated;
    double wall, cpu;        /* seconds */
} gc_sandbox_result;

/* Run argv in dir with the limits; want_result gives the program a result
 * pipe as fd 3.  Trusted, envp NULL means this environment and a PATH
 * search; isolated, envp is the whole environment (never the grader's),
 * argv[0] is searched in its PATH for GC_SANDBOX_COMPILE and is a path
 * inside the sandbox for GC_SANDBOX_RUN, and paths name dir as
 * GC_SANDBOX_BOX.  Returns GC_EIO (or GC_ENOMEM) only when the grader
 * itself is in trouble (no pipe, no fork); otherwise GC_OK, with what the
 * program did in *out, or out->unavailable saying why it could not be
 * isolated (free with gc_sandbox_result_clear). */
int gc_sandbox_run(char *const argv[], char *const envp[], const char *dir,
                   const gc_sandbox_limits *lim, gc_sandbox_mode mode,
                   int want_result, gc_sandbox_result *out);
void gc_sandbox_result_clear(gc_sandbox_result *r);
/* "SIGSEGV" for SIGSEGV, ... */
const char *gc_signal_name(int sig);

#endif /* GRADCHECK_SANDBOX_H */
