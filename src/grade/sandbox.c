/* sandbox.c: running a program (the C compiler, a student's submission) so
 * that whatever it does becomes a result to report, never trouble for the
 * grader or a way into the machine (docs/grading.md, "The sandbox").
 *
 * Isolated (GC_SANDBOX_COMPILE, GC_SANDBOX_RUN), the grader clones a child
 * into new user, PID, mount, network, IPC, UTS and cgroup namespaces:
 *
 *   grader --clone(CLONE_NEW*)--> init, PID 1 of the new namespaces
 *       waits until the grader has mapped its user (one uid: the grader's
 *       own, or nobody when the grader is root), becomes that user, builds
 *       a private root on a tmpfs -- /usr, /bin, /lib*, /etc/alternatives,
 *       /etc/ld.so.* bound read-only, /dev/null, a small /tmp, the scratch
 *       folder at /box (writable for the compiler, read-only for the run),
 *       nothing else of the machine -- and pivot_root()s into it;
 *     --fork--> the program, PID 2: limits, descriptors, no_new_privs, for
 *       the run the system-call filter, then execve.
 *   init reaps until the program ends, reports its wait status on a
 *   status pipe and exits; the kernel then kills whatever else is left in
 *   the PID namespace, so nothing a submission starts (setsid, double
 *   fork) outlives it.  On the wall-clock limit the grader kills init, with
 *   the same effect.  The grader is outside the PID namespace: no signal of
 *   the program's can name it.
 *
 * A program is not PID 1 itself because PID 1 of a namespace ignores the
 * signals it has no handler for (abort()'s SIGABRT, RLIMIT_CPU's SIGXCPU,
 * RLIMIT_FSIZE's SIGXFSZ): the verdicts would change.
 *
 * The filter (libseccomp, built in the grader, loaded by PID 2 right
 * before its execve) allows what a numeric program needs -- memory, its
 * own descriptors, files it may see, time, signals to itself -- and kills
 * the program (SIGSYS) on anything else: sockets, fork and threads,
 * ptrace, mount, signals to others, and any execve but its own start,
 * which is recognised by the address of its path: a page the program
 * cannot know after its exec.
 *
 * Resource limits as before: RLIMIT_CPU (soft: SIGXCPU, hard one second
 * later: SIGKILL), RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_CORE = 0, optionally
 * RLIMIT_NPROC = 0; isolated, also RLIMIT_NOFILE (64 for the run, 1024 for
 * the compiler); standard input /dev/null, standard output and error a log
 * pipe (the first log_bytes kept), the result pipe as fd 3, every other
 * descriptor closed.
 *
 * GC_SANDBOX_TRUSTED is the same without namespaces and filter: a child
 * in its own process group, killed as a group (--trust-submissions).
 *
 * Between clone/fork and exec the children make async-signal-safe calls
 * only (the grader may have threads).
 */
#define _GNU_SOURCE
#include "gradcheck/grade.h"
#include "gradcheck/status.h"
#include "grade/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define INSIDE_ID 1000        /* the program's uid and gid inside */
#define ROOT_MAPS_TO 65534    /* a root grader's box runs as nobody */
#define PROGRAM_PID 2         /* the first child of init */

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

/* ------------------------------------------------------------ status pipe */

/* What the children tell the grader: a setup step that failed (with
 * errno), or the program's wait status. */
enum step {
    STEP_CLONE = 0, STEP_MAP, STEP_GIVE, STEP_USER, STEP_SCRATCH, STEP_PRIVATE,
    STEP_ROOTFS, STEP_BIND, STEP_READONLY, STEP_DEV, STEP_TMP, STEP_PIVOT,
    STEP_HOSTNAME, STEP_FORK, STEP_FDS, STEP_CHDIR, STEP_NNP, STEP_FILTER,
    STEP_EXEC, STEP_N
};

static const char *const step_text[STEP_N] = {
    [STEP_CLONE] = "creating user, PID, mount and network namespaces",
    [STEP_MAP] = "mapping the user into its namespace",
    [STEP_GIVE] = "giving the scratch folder to the sandbox's user (nobody)",
    [STEP_USER] = "becoming the mapped user",
    [STEP_SCRATCH] = "opening the scratch folder",
    [STEP_PRIVATE] = "making the mounts private",
    [STEP_ROOTFS] = "mounting the private root (tmpfs)",
    [STEP_BIND] = "binding the system's folders",
    [STEP_READONLY] = "making the binds read-only",
    [STEP_DEV] = "binding /dev/null",
    [STEP_TMP] = "mounting /tmp",
    [STEP_PIVOT] = "pivot_root into the private root",
    [STEP_HOSTNAME] = "setting the host name",
    [STEP_FORK] = "forking the program",
    [STEP_FDS] = "setting up its descriptors",
    [STEP_CHDIR] = "entering the scratch folder",
    [STEP_NNP] = "setting no_new_privs",
    [STEP_FILTER] = "loading the system-call filter (seccomp)",
    [STEP_EXEC] = "starting the program",
};

typedef struct {
    char tag;                /* 'E' a step failed, 'S' the wait status */
    int step, err, status;
} message;

static void say(int fd, char tag, int step, int err, int status)
{
    message m;
    memset(&m, 0, sizeof m);
    m.tag = tag;
    m.step = step;
    m.err = err;
    m.status = status;
    ssize_t w = write(fd, &m, sizeof m);
    (void)w;
}

/* ------------------------------------------------------------ the filter */

typedef struct {
    struct sock_filter *code;
    unsigned short len;
    char *exec_at;           /* execve is allowed with this path pointer */
} filter;

static void filter_clear(filter *f)
{
    free(f->code);
    if (f->exec_at) munmap(f->exec_at, 4096);
    memset(f, 0, sizeof *f);
}

/* The calls a numeric program makes, allowed without condition. */
static const int allowed[] = {
    /* descriptors it has and files it can see (its folder, read-only) */
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close),
    SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(access),
    SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(readlink),
    SCMP_SYS(readlinkat), SCMP_SYS(getcwd), SCMP_SYS(getdents64),
    SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
    SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(ftruncate),
    SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    /* memory */
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(mprotect), SCMP_SYS(madvise),
    /* its own signal handling */
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
    /* who and where it is, time, randomness */
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrandom), SCMP_SYS(getrlimit), SCMP_SYS(getrusage),
    SCMP_SYS(times), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sysinfo), SCMP_SYS(getcpu),
    /* the C library's start and end */
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(set_tid_address), SCMP_SYS(arch_prctl), SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

/* Build the run's filter, and the page holding `path` that its execve
 * must name.  The page is the grader's, at a random address when the
 * hint is free: the child inherits it, the program after its exec cannot
 * know where it was (and one wrong guess ends it). */
static int filter_build(filter *f, const char *path)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(path) + 1;
    if (n > 4096) return GC_EINVAL;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint64_t)(now() * 1e9);
    void *hint = (void *)(uintptr_t)(((r % ((uint64_t)63 << 28)) +
                                      ((uint64_t)1 << 28)) << 12);
    void *page = mmap(hint, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return GC_ENOMEM;
    f->exec_at = page;
    memcpy(f->exec_at, path, n);

    /* NULL also when the kernel (or valgrind) lacks what it needs */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) return GC_EINVAL;
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                              SCMP_ACT_KILL_PROCESS);
    /* a call this architecture lacks is skipped: the filter can only be
     * stricter for it */
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && !rc; i++)
        (void)seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    /* its own limits, read (glibc's getrlimit is prlimit64(0, ...)) */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                              SCMP_A0(SCMP_CMP_EQ, 0));
    /* isatty() */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_EQ, TCGETS));
    /* signals to itself (abort(), raise()), never SIGSYS: a SIGSYS ending
     * always means a refused call */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2,
                              SCMP_A0(SCMP_CMP_EQ, PROGRAM_PID),
                              SCMP_A1(SCMP_CMP_NE, SIGSYS));
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
                              SCMP_A0(SCMP_CMP_EQ, PROGRAM_PID),
                              SCMP_A2(SCMP_CMP_NE, SIGSYS));
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tkill), 2,
                              SCMP_A0(SCMP_CMP_EQ, PROGRAM_PID),
                              SCMP_A1(SCMP_CMP_NE, SIGSYS));
    /* its own start, and no other exec */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 1,
                              SCMP_A0(SCMP_CMP_EQ,
                                      (scmp_datum_t)(uintptr_t)f->exec_at));
    /* libseccomp writes the BPF program to a descriptor */
    int p[2] = {-1, -1};
    if (!rc && pipe2(p, O_CLOEXEC) != 0) rc = -1;
    if (!rc) rc = seccomp_export_bpf(ctx, p[1]);
    seccomp_release(ctx);
    if (p[1] >= 0) close(p[1]);
    size_t cap = 8192, len = 0;
    unsigned char *buf = rc ? NULL : malloc(cap);
    for (ssize_t k; buf && (k = read(p[0], buf + len, cap - len)) > 0;) {
        len += (size_t)k;
        if (len == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    if (p[0] >= 0) close(p[0]);
    if (!buf || len == 0 || len % sizeof(struct sock_filter) ||
        len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(buf);
        return rc ? GC_EINVAL : GC_ENOMEM;
    }
    f->code = (struct sock_filter *)buf;
    f->len = (unsigned short)(len / sizeof(struct sock_filter));
    return GC_OK;
}

/* ------------------------------------------------------------ the root */

/* What the compiler and the program need, read-only.  Symlinks (merged
 * /usr) are made again as symlinks; a path this system lacks is skipped. */
static const char *const system_paths[] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
    "/etc/ld.so.conf.d", NULL
};

/* Where the new root is assembled: a tmpfs mounted over this folder of
 * the (private copy of the) grader's tree. */
#define NEWROOT "/tmp"

static void join(char *out, size_t n, const char *a, const char *b)
{
    size_t i = 0;
    for (; *a && i + 1 < n; a++) out[i++] = *a;
    for (; *b && i + 1 < n; b++) out[i++] = *b;
    out[i] = 0;
}

static void decimal(char *out, unsigned long v)
{
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 23);
    while (n) *out++ = t[--n];
    *out = 0;
}

/* Read-only (and nosuid, nodev), submounts included.  mount_setattr needs
 * Linux 5.12; before it, the top mount is remounted read-only. */
static int read_only(const char *path, int recursive)
{
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (syscall(SYS_mount_setattr, AT_FDCWD, path,
                recursive ? AT_RECURSIVE : 0, &a, sizeof a) == 0)
        return 0;
    if (errno != ENOSYS) return -1;
    return mount("none", path, "none", MS_BIND | MS_REMOUNT | MS_RDONLY |
                 MS_NOSUID | MS_NODEV, NULL);
}

/* mkdir -p of the parents of a path under NEWROOT */
static void make_parents(const char *path)
{
    char b[512];
    size_t n = strlen(path);
    if (n >= sizeof b) return;
    memcpy(b, path, n + 1);
    for (size_t i = sizeof NEWROOT; i < n; i++)
        if (b[i] == '/') {
            b[i] = 0;
            mkdir(b, 0755);
            b[i] = '/';
        }
}

static int bind_system(const char *host, int *step)
{
    char dst[512];
    join(dst, sizeof dst, NEWROOT, host);
    struct stat st;
    if (lstat(host, &st) != 0) return 0;
    *step = STEP_BIND;
    make_parents(dst);
    if (S_ISLNK(st.st_mode)) {
        char t[512];
        ssize_t n = readlink(host, t, sizeof t - 1);
        if (n < 0) return 0;
        t[n] = 0;
        return symlink(t, dst);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, 0755) != 0) return -1;
    } else {
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
    }
    if (mount(host, dst, "none", MS_BIND | MS_REC, NULL) != 0) return -1;
    *step = STEP_READONLY;
    return read_only(dst, 1);
}

/* In init, as the mapped user (with every capability in the new user
 * namespace).  Returns 0, or -1 with *step and errno saying what failed. */
static int build_root(int scratch, gc_sandbox_mode mode, size_t tmp_bytes,
                      int *step)
{
    *step = STEP_PRIVATE;
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    *step = STEP_ROOTFS;
    if (mount("gradcheck", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
              "size=1m,nr_inodes=256,mode=0755") != 0)
        return -1;
    for (int i = 0; system_paths[i]; i++)
        if (bind_system(system_paths[i], step) != 0) return -1;
    /* /dev/null alone: no /dev/zero or /dev/urandom to #include forever */
    *step = STEP_DEV;
    if (mkdir(NEWROOT "/dev", 0755) != 0) return -1;
    int fd = open(NEWROOT "/dev/null", O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return -1;
    close(fd);
    if (mount("/dev/null", NEWROOT "/dev/null", "none", MS_BIND, NULL) != 0)
        return -1;
    /* the scratch folder through its descriptor (its path may be covered
     * by the new root now, or not reachable for this user) */
    *step = STEP_SCRATCH;
    if (mkdir(NEWROOT GC_SANDBOX_BOX, 0755) != 0 || fchdir(scratch) != 0 ||
        mount(".", NEWROOT GC_SANDBOX_BOX, "none", MS_BIND, NULL) != 0)
        return -1;
    close(scratch);
    *step = STEP_READONLY;
    if (mode == GC_SANDBOX_RUN && read_only(NEWROOT GC_SANDBOX_BOX, 0) != 0)
        return -1;
    *step = STEP_TMP;
    char opt[96] = "mode=1777,nr_inodes=1024,size=";
    decimal(opt + strlen(opt), (unsigned long)tmp_bytes);
    if (mkdir(NEWROOT "/tmp", 0755) != 0 ||
        mount("gradcheck-tmp", NEWROOT "/tmp", "tmpfs",
              MS_NOSUID | MS_NODEV | (mode == GC_SANDBOX_RUN ? MS_NOEXEC : 0),
              opt) != 0)
        return -1;
    /* into it, and the grader's tree detached */
    *step = STEP_PIVOT;
    if (chdir(NEWROOT) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
        umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        return -1;
    *step = STEP_READONLY;
    if (read_only("/", 0) != 0) return -1;
    *step = STEP_HOSTNAME;
    return sethostname("gradcheck", 9);
}

/* ------------------------------------------------------------ children */

typedef struct {
    char *const *argv;
    char *const *envp;
    const char *dir;
    const gc_sandbox_limits *lim;
    gc_sandbox_mode mode;
    int devnull, logw, resw, statw, syncr;
    const filter *filt;
    size_t tmp_bytes;        /* the size of /tmp inside */
    int drop_groups;         /* a root grader's supplementary groups */
} job;

static const char exec_failed[] = "gradcheck: cannot run the program\n";

static void set_limit(int res, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    setrlimit(res, &rl);
}

/* The program: PID 2 (isolated), or the forked child (trusted). */
static _Noreturn void program(const job *j)
{
    int statw = j->statw;
    if (j->mode == GC_SANDBOX_TRUSTED) setpgid(0, 0);
    /* every descriptor to hand moved above 10 first: a grader started
     * with its standard descriptors closed may hold them as 0 to 4 */
    int fd[4] = {j->devnull, j->logw, j->resw, j->statw};
    for (int i = 0; i < 4; i++)
        if (fd[i] >= 0 && (fd[i] = fcntl(fd[i], F_DUPFD_CLOEXEC, 10)) < 0) {
            say(statw, 'E', STEP_FDS, errno, 0);
            _exit(127);
        }
    statw = fd[3];
    if (dup2(fd[0], 0) < 0 || dup2(fd[1], 1) < 0 || dup2(fd[1], 2) < 0 ||
        (fd[2] >= 0 && dup2(fd[2], 3) < 0)) {
        say(statw, 'E', STEP_FDS, errno, 0);
        _exit(127);
    }
    /* the status pipe (close-on-exec) just above the program's own */
    int keep = fd[2] >= 0 ? 4 : 3;
    if (dup3(statw, keep, O_CLOEXEC) < 0) {
        say(statw, 'E', STEP_FDS, errno, 0);
        _exit(127);
    }
    statw = keep++;
    if (syscall(SYS_close_range, (unsigned)keep, ~0U, 0) != 0)
        for (int fd = keep; fd < 65536; fd++) close(fd);
    const gc_sandbox_limits *lim = j->lim;
    if (lim->cpu_seconds > 0) {
        rlim_t s = (rlim_t)lim->cpu_seconds;
        if ((double)s < lim->cpu_seconds) s++;
        set_limit(RLIMIT_CPU, s, s + 1);
    }
    if (lim->memory_bytes)
        set_limit(RLIMIT_AS, lim->memory_bytes, lim->memory_bytes);
    if (lim->file_bytes)
        set_limit(RLIMIT_FSIZE, lim->file_bytes, lim->file_bytes);
    set_limit(RLIMIT_CORE, 0, 0);
    /* open files cost the kernel memory no other limit counts */
    if (j->mode == GC_SANDBOX_RUN) set_limit(RLIMIT_NOFILE, 64, 64);
    else if (j->mode == GC_SANDBOX_COMPILE) set_limit(RLIMIT_NOFILE, 1024, 1024);
    if (lim->no_fork) set_limit(RLIMIT_NPROC, 0, 0);
    const char *wd = j->mode == GC_SANDBOX_TRUSTED ? j->dir : GC_SANDBOX_BOX;
    if (wd && chdir(wd) != 0) {
        say(statw, 'E', STEP_CHDIR, errno, 0);
        _exit(127);
    }
    if (j->mode == GC_SANDBOX_TRUSTED) {
        if (j->envp) execve(j->argv[0], j->argv, j->envp);
        else execvp(j->argv[0], j->argv);
    } else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        say(statw, 'E', STEP_NNP, errno, 0);
        _exit(127);
    } else if (j->mode == GC_SANDBOX_COMPILE) {
        execvpe(j->argv[0], j->argv, j->envp);
    } else {
        struct sock_fprog prog = {j->filt->len, j->filt->code};
        if (getpid() != PROGRAM_PID ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
            say(statw, 'E', STEP_FILTER, errno, 0);
            _exit(127);
        }
        execve(j->filt->exec_at, j->argv, j->envp);
    }
    ssize_t w = write(2, exec_failed, sizeof exec_failed - 1);
    (void)w;
    _exit(127);
}

/* PID 1 of the new namespaces. */
static _Noreturn void init(const job *j)
{
    /* dies with the grader's thread that cloned it (and so does the whole
     * namespace); a grader gone before this line never wrote the sync */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char go;
    if (read(j->syncr, &go, 1) != 1) _exit(1);     /* the grader gave up */
    close(j->syncr);
    /* the scratch folder by descriptor, in this mount namespace, while
     * still the grader's user: nobody may not reach a root grader's 0700
     * folder by its path */
    int scratch = open(j->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (scratch < 0) {
        say(j->statw, 'E', STEP_SCRATCH, errno, 0);
        _exit(1);
    }
    /* the mapped user: a root grader's uid 0 has no mapping here, and
     * what it mounted or made would belong to no one.  Raw system calls:
     * glibc's wrappers would wait for the grader's other threads, which
     * this copy does not have, to change their ids too */
    if ((j->drop_groups && syscall(SYS_setgroups, 0, NULL) != 0) ||
        syscall(SYS_setresgid, INSIDE_ID, INSIDE_ID, INSIDE_ID) != 0 ||
        syscall(SYS_setresuid, INSIDE_ID, INSIDE_ID, INSIDE_ID) != 0) {
        say(j->statw, 'E', STEP_USER, errno, 0);
        _exit(1);
    }
    int step = STEP_ROOTFS;
    if (build_root(scratch, j->mode, j->tmp_bytes, &step) != 0) {
        say(j->statw, 'E', step, errno, 0);
        _exit(1);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    pid_t pid = _Fork();
    if (pid < 0) {
        say(j->statw, 'E', STEP_FORK, errno, 0);
        _exit(1);
    }
    if (pid == 0) program(j);
    /* the program's pipes must reach end-of-file when it and its
     * descendants are gone: init keeps only the status pipe */
    close(j->devnull);
    close(j->logw);
    if (j->resw >= 0) close(j->resw);
    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w == pid) {
            say(j->statw, 'S', 0, 0, st);
            _exit(0);
        }
        if (w < 0 && errno != EINTR) _exit(1);
    }
}

/* ------------------------------------------------------------ the grader */

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = (ssize_t)strlen(text);
    int ok = write(fd, text, (size_t)n) == n;
    int e = errno;
    close(fd);
    errno = e;
    return ok ? 0 : -1;
}

/* Whether `id` is a uid and a gid of this user namespace (a root grader in
 * a rootless container may have none but its own). */
static int mappable(unsigned long id)
{
    static const char *const files[2] = {"/proc/self/uid_map",
                                         "/proc/self/gid_map"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "re");
        if (!f) return 0;
        unsigned long in, out, n;
        int found = 0;
        while (fscanf(f, "%lu %lu %lu", &in, &out, &n) == 3)
            if (id >= in && id - in < n) found = 1;
        fclose(f);
        if (!found) return 0;
    }
    return 1;
}

/* The user the box runs as, seen from outside: nobody for a root grader,
 * else the grader's own user. */
static void box_user(uid_t *u, gid_t *g)
{
    *u = geteuid();
    *g = getegid();
    if (*u == 0 && mappable(ROOT_MAPS_TO)) *u = *g = ROOT_MAPS_TO;
}

static int map_user(pid_t pid, uid_t u, gid_t g)
{
    char path[64], line[64];
    /* an ordinary user must give up setgroups to map its group; root
     * keeps it, to drop its supplementary groups inside */
    if (u == geteuid()) {
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        if (write_file(path, "deny") != 0 && errno != ENOENT) return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(line, sizeof line, "%d %lu 1\n", INSIDE_ID, (unsigned long)g);
    if (write_file(path, line) != 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(line, sizeof line, "%d %lu 1\n", INSIDE_ID, (unsigned long)u);
    return write_file(path, line);
}

/* The scratch folder and its files to the box's user (a root grader's box
 * runs as nobody, who must read them and write the compiler's output). */
static int give(const char *dir, uid_t u, gid_t g)
{
    if (chown(dir, u, g) != 0) return -1;
    DIR *d = opendir(dir);
    if (!d) return -1;
    int bad = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            fchownat(dirfd(d), e->d_name, u, g, AT_SYMLINK_NOFOLLOW) != 0)
            bad = 1;
    int e = errno;
    closedir(d);
    errno = e;
    return bad ? -1 : 0;
}

static int sysctl_value(const char *path)
{
    FILE *f = fopen(path, "re");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

/* out->unavailable: the step, errno, and for a refused clone the kernel
 * setting that explains it. */
static void unavailable(gc_sandbox_result *out, int step, int err)
{
    const char *why = "";
    if (step == STEP_CLONE) {
        if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0)
            why = "; sysctl kernel.unprivileged_userns_clone = 0";
        else if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0)
            why = "; sysctl user.max_user_namespaces = 0";
        else if (sysctl_value("/proc/sys/kernel/"
                              "apparmor_restrict_unprivileged_userns") == 1)
            why = "; AppArmor: sysctl "
                  "kernel.apparmor_restrict_unprivileged_userns = 1";
        else if (err == EPERM)
            why = "; a container's seccomp profile may forbid it";
    }
    snprintf(out->unavailable, sizeof out->unavailable, "%s: %s%s",
             step_text[step < STEP_N ? step : STEP_CLONE], strerror(err), why);
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

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0) close(p[i]);
    p[0] = p[1] = -1;
}

int gc_sandbox_run(char *const argv[], char *const envp[], const char *dir,
                   const gc_sandbox_limits *lim, gc_sandbox_mode mode,
                   int want_result, gc_sandbox_result *out)
{
    memset(out, 0, sizeof *out);
    int isolated = mode != GC_SANDBOX_TRUSTED;
    int logp[2] = {-1, -1}, resp[2] = {-1, -1}, statp[2] = {-1, -1},
        syncp[2] = {-1, -1};
    filter filt;
    memset(&filt, 0, sizeof filt);
    sink log = {.limit = lim->log_bytes ? lim->log_bytes : 4096};
    sink res = {.limit = lim->result_bytes ? lim->result_bytes
                                           : ((size_t)64 << 20)};
    sink stat = {.limit = 64 * sizeof(message)};
    int st = GC_EIO;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) goto done;
    if (pipe2(logp, O_CLOEXEC) != 0 ||
        (want_result && pipe2(resp, O_CLOEXEC) != 0) ||
        pipe2(statp, O_CLOEXEC) != 0 ||
        (isolated && pipe2(syncp, O_CLOEXEC) != 0))
        goto done;
    int fst = mode == GC_SANDBOX_RUN ? filter_build(&filt, argv[0]) : GC_OK;
    if (fst == GC_ENOMEM) {
        st = GC_ENOMEM;
        goto done;
    }
    if (fst) {
        snprintf(out->unavailable, sizeof out->unavailable,
                 "building the system-call filter with libseccomp failed");
        st = GC_OK;
        goto done;
    }
    uid_t bu = 0;
    gid_t bg = 0;
    if (isolated) box_user(&bu, &bg);
    job j = {argv, envp, dir, lim, mode, devnull, logp[1],
             want_result ? resp[1] : -1, statp[1], syncp[0], &filt,
             /* the compiler's temporary files; a small /tmp for the run */
             mode == GC_SANDBOX_COMPILE ? (size_t)256 << 20
                 : lim->file_bytes ? lim->file_bytes : (size_t)1 << 20,
             bu != geteuid()};
    struct rusage before;
    getrusage(RUSAGE_CHILDREN, &before);
    double t0 = now();
    pid_t pid;
    if (isolated)   /* fork-like: no stack argument, returns twice */
        pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID |
                             CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
                             CLONE_NEWUTS | CLONE_NEWCGROUP | SIGCHLD,
                             NULL, NULL, NULL, NULL);
    else
        pid = fork();
    if (pid < 0) {
        if (!isolated) goto done;
        unavailable(out, STEP_CLONE, errno);
        st = GC_OK;
        goto done;
    }
    if (pid == 0) {
        if (isolated) init(&j);
        program(&j);
    }
    if (!isolated) setpgid(pid, pid);   /* also here: no race with kill */
    close(devnull);
    devnull = -1;
    close(logp[1]);
    close(resp[1]);
    close(statp[1]);
    logp[1] = resp[1] = statp[1] = -1;
    if (isolated) {
        close(syncp[0]);
        syncp[0] = -1;
        int step = STEP_MAP;
        if (map_user(pid, bu, bg) != 0 ||
            (bu != geteuid() && (step = STEP_GIVE, give(dir, bu, bg) != 0))) {
            unavailable(out, step, errno);
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
            st = GC_OK;
            goto done;
        }
        ssize_t w = write(syncp[1], "g", 1);
        (void)w;
        close_pair(syncp);
    }

    int fds[3] = {logp[0], resp[0], statp[0]};
    sink *sinks[3] = {&log, &res, &stat};
    double deadline = t0 + (lim->wall_seconds > 0 ? lim->wall_seconds : 1e9);
    for (;;) {
        struct pollfd pf[3];
        int np = 0, which[3];
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0) {
                pf[np].fd = fds[i];
                pf[np].events = POLLIN;
                pf[np].revents = 0;
                which[np++] = i;
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
            for (int i = 0; i < np && r > 0; i++)
                if (pf[i].revents && !drain(pf[i].fd, sinks[which[i]])) {
                    close(fds[which[i]]);
                    fds[which[i]] = -1;
                }
        } else {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        /* exited (not yet reaped, so that its pid stays its own) */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == pid)
            break;
    }
    /* trusted: the process group; isolated: init, and with it everything
     * in its PID namespace */
    kill(isolated ? pid : -pid, SIGKILL);
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0) continue;
        int fl = fcntl(fds[i], F_GETFL);
        fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
        double stop = now() + 1.0;
        for (;;) {
            struct pollfd pf = {fds[i], POLLIN, 0};
            if (poll(&pf, 1, 100) <= 0 || !drain(fds[i], sinks[i])) break;
            if (now() > stop) break;
        }
        close(fds[i]);
    }
    logp[0] = resp[0] = statp[0] = -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    struct rusage after;
    getrusage(RUSAGE_CHILDREN, &after);
    out->wall = now() - t0;
    out->cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
               1e-6 * (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
               (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
               1e-6 * (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec);
    /* isolated, the program's status comes from init; a failed step means
     * nothing of the program ran */
    int have = !isolated;
    for (size_t at = 0; at + sizeof(message) <= stat.len;
         at += sizeof(message)) {
        message m;
        memcpy(&m, stat.buf + at, sizeof m);
        if (m.tag == 'S') {
            status = m.status;
            have = 1;
        } else if (m.tag == 'E' && m.step != STEP_EXEC &&
                   m.step != STEP_CHDIR && !out->unavailable[0]) {
            unavailable(out, m.step, m.err);
        }
    }
    if (out->unavailable[0]) {
        out->timed_out = 0;
    } else if (have && WIFEXITED(status)) {
        out->exited = 1;
        out->status = WEXITSTATUS(status);
    } else if (have && WIFSIGNALED(status)) {
        out->signal = WTERMSIG(status);
    } else if (!out->timed_out) {
        out->signal = SIGKILL;       /* init itself killed: from outside */
    }
    out->refused = mode == GC_SANDBOX_RUN && out->signal == SIGSYS;
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
    res.buf = log.buf = NULL;
    st = GC_OK;
done:
    if (devnull >= 0) close(devnull);
    close_pair(logp);
    close_pair(resp);
    close_pair(statp);
    close_pair(syncp);
    filter_clear(&filt);
    free(res.buf);
    free(log.buf);
    free(stat.buf);
    return st;
}

void gc_sandbox_result_clear(gc_sandbox_result *r)
{
    if (!r) return;
    free(r->result);
    free(r->log);
    r->result = NULL;
    r->log = NULL;
}
