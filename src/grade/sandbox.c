/* sandbox.c: running a program (the C compiler, a student's submission) in
 * a child process with resource limits, so that whatever it does becomes a
 * result to report rather than trouble for the grader.
 *
 * The child, between fork and exec, does only async-signal-safe calls:
 *   - its own process group (setpgid), so a timeout kills it and anything
 *     it started with one kill(-pgid, SIGKILL);
 *   - standard input from /dev/null, standard output and error into a log
 *     pipe (the first log_bytes are kept), the result pipe as fd 3 when
 *     asked for, and every other descriptor closed (close_range): it
 *     inherits nothing of the grader's (gradebook, other submissions);
 *   - RLIMIT_CPU (soft: SIGXCPU, hard one second later: SIGKILL), RLIMIT_AS
 *     (allocation fails beyond it), RLIMIT_FSIZE (files it writes),
 *     RLIMIT_CORE = 0, and optionally RLIMIT_NPROC = 0 (no fork; not
 *     enforced for root).
 * The parent reads both pipes with poll() until the wall-clock deadline,
 * then kills the process group, and reaps the child with wait4 for its
 * exit status and CPU time.
 *
 * These are resource limits, not a security boundary: a submission runs
 * with the grader's user and can read what that user can read.  Grade
 * untrusted code as an unprivileged user or in a container (README,
 * "Sandbox limits").
 */
#define _GNU_SOURCE
#include "gradcheck/grade.h"
#include "gradcheck/status.h"
#include "grade/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *gc_signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGPIPE: return "SIGPIPE";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGALRM: return "SIGALRM";
    default: return "a signal";
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void set_limit(int res, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    setrlimit(res, &rl);
}

/* Between fork and exec: async-signal-safe calls only. */
static void child(char *const argv[], char *const envp[], const char *dir,
                  const gc_sandbox_limits *lim, int devnull, int logw,
                  int resw)
{
    setpgid(0, 0);
    if (dup2(devnull, 0) < 0 || dup2(logw, 1) < 0 || dup2(logw, 2) < 0)
        _exit(127);
    if (resw >= 0 && dup2(resw, 3) < 0) _exit(127);
    int keep = resw >= 0 ? 4 : 3;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)keep, ~0U, 0) != 0)
#endif
        for (int fd = keep; fd < 65536; fd++) close(fd);
    if (lim->cpu_seconds > 0) {
        rlim_t s = (rlim_t)lim->cpu_seconds;
        if ((double)s < lim->cpu_seconds) s++;
        set_limit(RLIMIT_CPU, s, s + 1);
    }
    if (lim->memory_bytes) set_limit(RLIMIT_AS, lim->memory_bytes,
                                     lim->memory_bytes);
    if (lim->file_bytes) set_limit(RLIMIT_FSIZE, lim->file_bytes,
                                   lim->file_bytes);
    set_limit(RLIMIT_CORE, 0, 0);
    if (lim->no_fork) set_limit(RLIMIT_NPROC, 0, 0);
    if (dir && chdir(dir) != 0) _exit(127);
    if (envp) execve(argv[0], argv, envp);
    else execvp(argv[0], argv);
    static const char msg[] = "gradcheck: cannot run the program\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

typedef struct {
    unsigned char *buf;
    size_t len, cap, limit;
    int truncated;
} sink;

/* Keep the first `limit` bytes; read and drop the rest so that the child
 * never blocks on a full pipe. */
static int drain(int fd, sink *s)
{
    unsigned char tmp[16384];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0) return 0;
    size_t take = (size_t)n;
    if (s->len + take > s->limit) {
        take = s->limit > s->len ? s->limit - s->len : 0;
        s->truncated = 1;
    }
    if (take) {
        if (s->len + take + 1 > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + take + 1) cap *= 2;
            unsigned char *b = realloc(s->buf, cap);
            if (!b) { s->truncated = 1; return 1; }
            s->buf = b;
            s->cap = cap;
        }
        memcpy(s->buf + s->len, tmp, take);
        s->len += take;
        s->buf[s->len] = 0;
    }
    return 1;
}

int gc_sandbox_run(char *const argv[], char *const envp[], const char *dir,
                   const gc_sandbox_limits *lim, int want_result,
                   gc_sandbox_result *out)
{
    memset(out, 0, sizeof *out);
    int logp[2] = {-1, -1}, resp[2] = {-1, -1};
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) return GC_EIO;
    if (pipe2(logp, O_CLOEXEC) != 0 ||
        (want_result && pipe2(resp, O_CLOEXEC) != 0)) {
        close(devnull);
        if (logp[0] >= 0) { close(logp[0]); close(logp[1]); }
        return GC_EIO;
    }
    struct rusage before;
    getrusage(RUSAGE_CHILDREN, &before);
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        close(devnull);
        close(logp[0]);
        close(logp[1]);
        if (want_result) { close(resp[0]); close(resp[1]); }
        return GC_EIO;
    }
    if (pid == 0)
        child(argv, envp, dir, lim, devnull, logp[1],
              want_result ? resp[1] : -1);
    setpgid(pid, pid);       /* also in the parent: no race with kill */
    close(devnull);
    close(logp[1]);
    if (want_result) close(resp[1]);

    sink log = {.limit = lim->log_bytes ? lim->log_bytes : 4096};
    sink res = {.limit = lim->result_bytes ? lim->result_bytes
                                           : ((size_t)64 << 20)};
    int fds[2] = {logp[0], want_result ? resp[0] : -1};
    double deadline = t0 + (lim->wall_seconds > 0 ? lim->wall_seconds : 1e9);
    int exited = 0;
    for (;;) {
        struct pollfd pf[2];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                pf[np].fd = fds[i];
                pf[np].events = POLLIN;
                pf[np].revents = 0;
                np++;
            }
        double left = deadline - now();
        if (left <= 0) {
            out->timed_out = 1;
            break;
        }
        int ms = left > 0.05 ? 50 : (int)(left * 1000) + 1;
        if (np) {
            int r = poll(pf, (nfds_t)np, ms);
            if (r < 0 && errno != EINTR) break;
            for (int i = 0; i < np && r > 0; i++) {
                if (!pf[i].revents) continue;
                int which = pf[i].fd == fds[0] ? 0 : 1;
                if (!drain(pf[i].fd, which ? &res : &log)) {
                    close(fds[which]);
                    fds[which] = -1;
                }
            }
        } else {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        /* exited (not yet reaped, so its process group id stays its own) */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == pid) {
            exited = 1;
            break;
        }
    }
    /* whatever is left of the group (the child on timeout, or anything it
     * started) goes, then the pipes give what was written */
    kill(-pid, SIGKILL);
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0) continue;
        int fl = fcntl(fds[i], F_GETFL);
        fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
        double stop = now() + 1.0;
        for (;;) {
            struct pollfd pf = {fds[i], POLLIN, 0};
            if (poll(&pf, 1, 100) <= 0 || !drain(fds[i], i ? &res : &log))
                break;
            if (now() > stop) break;
        }
        close(fds[i]);
    }
    (void)exited;
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    struct rusage after;
    getrusage(RUSAGE_CHILDREN, &after);
    out->wall = now() - t0;
    out->cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
               1e-6 * (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
               (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
               1e-6 * (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec);
    if (WIFEXITED(status)) {
        out->exited = 1;
        out->status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out->signal = WTERMSIG(status);
    }
    if (out->signal == SIGXCPU ||
        (out->signal == SIGKILL && !out->timed_out && lim->cpu_seconds > 0 &&
         out->cpu >= lim->cpu_seconds))
        out->cpu_exceeded = 1;
    out->result = res.buf;
    out->result_len = res.len;
    out->result_truncated = res.truncated;
    out->log = (char *)log.buf;
    out->log_len = log.len;
    out->log_truncated = log.truncated;
    return GC_OK;
}

void gc_sandbox_result_clear(gc_sandbox_result *r)
{
    if (!r) return;
    free(r->result);
    free(r->log);
    r->result = NULL;
    r->log = NULL;
}
