/* hostile_test.c: the hostile C submissions of tests/grade/hostile/ graded
 * in one batch beside a right answer, and everything they try contained
 * (docs/grading.md, "The sandbox").  TAP on standard output.
 *
 *   hostile_test                as the user running the tests (root in CI)
 *   hostile_test --as-nobody    the same, dropped to uid/gid 65534 first
 *                               when root (an ordinary user already is one)
 *
 * The corpus reaches for what a grader has around it; each file names its
 * targets with placeholders filled in here: @SECRET@ a file of the
 * grader's holding a random secret, @OUTSIDE@ a folder anyone may write
 * to, @SUBS@ the folder of submissions, @GRADEBOOK@ the gradebook about
 * to be written, @PORT@ a listener on 127.0.0.1.  Each computes the right
 * gradient only when its attack worked, so that `agree` means an escape.
 * One more, linked_secret.c, is a symbolic link to the secret, as a
 * student's zip could hold: the grader, which reads the submission outside
 * the sandbox, must not follow it.
 *
 * Checked after the batch: it finished; the right answer agrees; every
 * hostile one gets its expect: verdict, none agree; no file outside the
 * scratch folders (the outside folder empty, the submissions and the
 * secret as they were, the gradebook ours); the temporary folder empty;
 * the secret in no output (text report, CSV, results.json, messages); no
 * connection at the listener; no process of the batch left (the test is
 * a child subreaper: whatever escaped its sandbox would be its child).
 * Controls show that the checks can fail: run without isolation, the
 * secret-reading submission does print the secret, and a setsid'd
 * grandchild does outlive its process group.
 *
 * If the kernel refuses user namespaces to this user, the test is skipped
 * (TAP "1..0 # SKIP" with the reason); any other failure to isolate fails
 * it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gradcheck.h"
#include "grade/csub.h"
#include "grade/sandbox.h"

static int n_tests, n_failed;

static void ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++n_tests);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond) n_failed++;
    fflush(stdout);
}

static void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static _Noreturn void bail(const char *what)
{
    printf("Bail out! %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ------------------------------------------------------------ files */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (size_t k; b && (k = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (cap - n - 1 == 0) {
            char *c = realloc(b, cap *= 2);
            if (!c) free(b);
            b = c;
        }
    }
    fclose(f);
    if (b) b[n] = 0;
    if (len) *len = n;
    return b;
}

static void spit(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) bail(path);
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) bail(path);
    fchmod(fd, mode);
    close(fd);
}

/* text with every placeholder replaced */
typedef struct { const char *from, *to; } subst;

static char *substitute(const char *text, const subst *s, size_t ns)
{
    size_t cap = strlen(text) * 4 + 4096, n = 0;
    char *out = malloc(cap);
    if (!out) bail("malloc");
    for (const char *p = text; *p;) {
        size_t i = 0;
        for (; i < ns; i++)
            if (strncmp(p, s[i].from, strlen(s[i].from)) == 0) break;
        const char *add = i < ns ? s[i].to : p;
        size_t k = i < ns ? strlen(s[i].to) : 1;
        if (n + k + 1 > cap) {
            out = realloc(out, cap = 2 * (n + k + 1));
            if (!out) bail("realloc");
        }
        memcpy(out + n, add, k);
        n += k;
        p += i < ns ? strlen(s[i].from) : 1;
    }
    out[n] = 0;
    return out;
}

/* Every file under dir (recursively), "path\n" each, sorted by readdir. */
static void list_tree(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s\n", p);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) list_tree(p, out, cap);
    }
    closedir(d);
}

static int contains_file(const char *path, const char *needle)
{
    char *t = slurp(path, NULL);
    int found = t && strstr(t, needle);
    free(t);
    return found;
}

/* Whether any regular file under dir holds needle. */
static int tree_contains(const char *dir, const char *needle)
{
    char *files = calloc(1, 1 << 16);
    if (!files) bail("calloc");
    list_tree(dir, files, 1 << 16);
    int found = 0;
    for (char *p = files, *nl; !found && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = 0;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
            found = contains_file(p, needle);
    }
    free(files);
    return found;
}

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
}

/* ------------------------------------------------------------ processes */

/* Children of this process (the subreaper): living ones are counted and
 * killed, dead ones reaped. */
static int children_left(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        char p[300], buf[512];
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = 0;
        char *rp = strrchr(buf, ')');
        int ppid = 0;
        char state;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 &&
            ppid == (int)getpid()) {
            n++;
            kill(atoi(e->d_name), SIGKILL);
        }
    }
    closedir(d);
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    return n;
}

/* Whether the kernel lets this user create a user namespace at all. */
static int userns_refused(char *why, size_t n)
{
    pid_t p = fork();
    if (p < 0) bail("fork");
    if (p == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
    int st;
    waitpid(p, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    snprintf(why, n, "the kernel refuses user namespaces to uid %d (%s)",
             (int)geteuid(), strerror(WIFEXITED(st) ? WEXITSTATUS(st) : 0));
    return 1;
}

/* ------------------------------------------------------------ the batch */

static gc_grade_report *grade(const gc_case *c, const char *dir, int trust,
                              gc_error *err, int *st)
{
    gc_grade_options o = gc_grade_options_default();
    o.run.cpu_seconds = 1;
    o.run.wall_seconds = 5;
    o.trust_submissions = trust;
    char *args[1] = {(char *)dir};
    gc_grade_report *r = NULL;
    *st = gc_grade(c, args, 1, &o, &r, err);
    return r;
}

static const gc_grade_result *find(const gc_grade_report *r, const char *id)
{
    for (size_t i = 0; r && i < r->n_subs; i++)
        if (strcmp(r->subs[i].sub->id, id) == 0) return &r->subs[i];
    return NULL;
}

static int report_mentions(const gc_grade_report *r, const char *needle)
{
    for (size_t i = 0; i < r->n_subs; i++) {
        const gc_grade_result *s = &r->subs[i];
        if (s->notes && strstr(s->notes, needle)) return 1;
        for (size_t k = 0; k < s->n_items; k++)
            if (s->items[k].message && strstr(s->items[k].message, needle))
                return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int as_nobody = argc > 1 && strcmp(argv[1], "--as-nobody") == 0;
    const char *root = getenv("GRADCHECK_SOURCE_ROOT");
    if (!root) root = ".";
    gc_init();
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* everything read from the source tree first: as nobody it may not be
     * readable */
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/grade/cnn1d_homework.yaml", root);
    gc_case *c = NULL;
    gc_error err;
    if (gc_case_load(path, &c, &err) != GC_OK) {
        printf("Bail out! %s:%ld: %s\n", err.file, err.line, err.msg);
        return 2;
    }
    snprintf(path, sizeof path, "%s/tests/grade/hostile", root);
    char *names[64], *texts[64];
    size_t n_files = 0;
    DIR *d = opendir(path);
    if (!d) bail(path);
    for (struct dirent *e; (e = readdir(d)) && n_files < 64;) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 2, ".c")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        names[n_files] = strdup(e->d_name);
        texts[n_files] = slurp(p, NULL);
        if (!names[n_files] || !texts[n_files]) bail(p);
        n_files++;
    }
    closedir(d);

    if (as_nobody && geteuid() == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0)
            bail("dropping to uid 65534");
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);   /* the sanitizers read /proc */
    }
    char why[256];
    if (userns_refused(why, sizeof why)) {
        printf("1..0 # SKIP %s\n", why);
        return 0;
    }
    diag("grading %zu files as uid %d", n_files, (int)geteuid());

    /* the grader's surroundings */
    char tmp[] = "/tmp/gradcheck-hostile-XXXXXX";
    if (!mkdtemp(tmp)) bail("mkdtemp");
    chmod(tmp, 0755);
    char subs[4200], secret_dir[4200], secret[4300], outside[4200],
        scratch[4200], out[4200], book[4300], results[4300], report[4300];
    snprintf(subs, sizeof subs, "%s/submissions", tmp);
    snprintf(secret_dir, sizeof secret_dir, "%s/private", tmp);
    snprintf(secret, sizeof secret, "%s/answer_key.txt", secret_dir);
    snprintf(outside, sizeof outside, "%s/outside", tmp);
    snprintf(scratch, sizeof scratch, "%s/tmpdir", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    snprintf(book, sizeof book, "%s/gradebook.csv", out);
    snprintf(results, sizeof results, "%s/results", out);
    snprintf(report, sizeof report, "%s/report.txt", out);
    const char *dirs[] = {subs, secret_dir, outside, scratch, out};
    for (int i = 0; i < 5; i++)
        if (mkdir(dirs[i], 0755) != 0) bail(dirs[i]);
    chmod(outside, 01777);          /* an escaped nobody could write here */
    unsigned char rnd[12];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) bail("getrandom");
    char token[64] = "gradcheck-secret-";
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(token + strlen(token), 3, "%02x", rnd[i]);
    char secret_text[128];
    snprintf(secret_text, sizeof secret_text, "%s\n", token);
    spit(secret, secret_text, 0644);

    /* a listener on 127.0.0.1 only; never waited on */
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(ls, 16) != 0 || getsockname(ls, (struct sockaddr *)&a, &al))
        bail("listener on 127.0.0.1");
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));

    subst s[] = {{"@SECRET@", secret}, {"@OUTSIDE@", outside},
                 {"@SUBS@", subs}, {"@GRADEBOOK@", book}, {"@PORT@", port}};
    char *written[64];
    for (size_t i = 0; i < n_files; i++) {
        written[i] = substitute(texts[i], s, sizeof s / sizeof s[0]);
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", subs, names[i]);
        spit(p, written[i], 0644);
    }
    char link[4400];
    snprintf(link, sizeof link, "%s/linked_secret.c", subs);
    if (symlink(secret, link) != 0) bail(link);
    size_t n_subs = n_files + 1;
    char before[1 << 14] = "";
    list_tree(tmp, before, sizeof before);

    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) bail("subreaper");
    setenv("TMPDIR", scratch, 1);

    /* ---- the batch */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st;
    gc_grade_report *r = grade(c, subs, 0, &err, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ok(st == GC_OK && r && r->n_subs == n_subs,
       "the batch of %zu finishes (%.1f s)", n_subs, secs);
    if (st != GC_OK || !r) {
        diag("%s: %s", err.file, err.msg);
        printf("1..%d\n", n_tests);
        return 1;
    }
    FILE *f = fopen(report, "w");
    int wst = f ? gc_grade_report_text(f, r, 1) : GC_EIO;
    if (f) fclose(f);
    wst |= gc_grade_write_csv(book, r);
    wst |= gc_grade_write_results(results, r, &err);
    ok(wst == GC_OK, "its gradebook, results.json files and report are written");

    const gc_grade_result *right = find(r, "right");
    ok(right && right->score == 6 && right->max_score == 6,
       "the right answer agrees (%g of 6)", right ? right->score : -1);
    for (size_t i = 0; i < r->n_subs; i++) {
        const gc_grade_result *x = &r->subs[i];
        if (x == right) continue;
        int agreed = 0;
        char v[96] = "no answer";
        for (size_t k = 0; k < x->n_items; k++) {
            if (x->items[k].verdict == GC_GRADE_AGREE) agreed = 1;
            if (k == 0) gc_grade_item_verdict(&x->items[k], v, sizeof v);
        }
        ok(!agreed && x->score == 0 && x->unmet == 0, "%s: %s%s%s", x->sub->id,
           v, x->unmet ? "; " : "", x->unmet ? x->unmet_text : "");
    }

    /* the compiler's messages name the file as the grader was given it */
    const gc_grade_result *inc = find(r, "include_secret");
    char named[4400];
    snprintf(named, sizeof named, "%s/include_secret.c:8:10: fatal error: ",
             subs);
    ok(inc && inc->n_items && inc->items[0].message &&
       strstr(inc->items[0].message, named),
       "the compiler's message names the submission as given, not its copy");

    /* ---- contained */
    char after[1 << 14] = "";
    list_tree(tmp, after, sizeof after);
    /* what the grader itself wrote: the gradebook, results, report */
    int only_ours = 1;
    for (char *p = after, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = 0;
        if (!strstr(before, p) && strncmp(p, out, strlen(out)) != 0) {
            diag("appeared: %s", p);
            only_ours = 0;
        }
        *nl = '\n';
    }
    ok(only_ours, "no file appears outside the scratch folders");
    int intact = contains_file(secret, token);
    for (size_t i = 0; i < n_files; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", subs, names[i]);
        char *t = slurp(p, NULL);
        if (!t || strcmp(t, written[i]) != 0) {
            diag("changed: %s", p);
            intact = 0;
        }
        free(t);
    }
    ok(intact, "the submissions and the grader's private file are unchanged");
    char *csv = slurp(book, NULL);
    size_t rows = 0;
    for (size_t i = 0; csv && i < r->n_subs; i++) {
        char row[4400];
        snprintf(row, sizeof row, "\n%s,%s/", r->subs[i].sub->id, subs);
        if (strstr(csv, row)) rows++;
    }
    ok(csv && strncmp(csv, "id,file,dL/dw verdict", 21) == 0 &&
       rows == n_subs && !strstr(csv, "forged"),
       "the gradebook is the grader's: its header and a row for each of "
       "the %zu (%zu found)", n_subs, rows);
    free(csv);
    DIR *sd = opendir(scratch);
    int left = 0;
    for (struct dirent *e; sd && (e = readdir(sd));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            diag("left in the temporary folder: %s", e->d_name);
            left = 1;
        }
    if (sd) closedir(sd);
    ok(!left, "the temporary folders are gone");
    ok(!report_mentions(r, token) && !tree_contains(out, token),
       "the secret reaches no output (messages, report, CSV, results.json)");
    int conn = accept(ls, NULL, NULL);
    ok(conn < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
       "no connection reached the listener on 127.0.0.1:%s", port);
    if (conn >= 0) close(conn);
    int alive = children_left();
    ok(alive == 0, "no process of the batch is left (%d found)", alive);

    /* ---- a process tree that leaves its group dies with the namespace */
    gc_sandbox_limits lim = gc_csub_compile_limits;
    char *sh[] = {"/bin/sh", "-c",
                  "(setsid sh -c 'sleep 30' >/dev/null 2>&1 &) ; "
                  "(sleep 30 >/dev/null 2>&1 &) ; exit 0", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    gc_sandbox_result sr;
    st = gc_sandbox_run(sh, envp, scratch, &lim, GC_SANDBOX_COMPILE, 0, &sr);
    alive = children_left();
    ok(st == GC_OK && !sr.unavailable[0] && sr.exited && sr.status == 0 &&
       alive == 0, "isolated, a setsid'd and a background grandchild die with "
       "the program (%d left)", alive);
    gc_sandbox_result_clear(&sr);

    /* ---- controls: the checks above can fail */
    st = gc_sandbox_run(sh, envp, scratch, &lim, GC_SANDBOX_TRUSTED, 0, &sr);
    alive = children_left();
    ok(st == GC_OK && alive >= 1, "control: trusted, the setsid'd grandchild "
       "outlives its process group (%d found, killed)", alive);
    gc_sandbox_result_clear(&sr);
    char one[4400];
    snprintf(one, sizeof one, "%s/read_secret.c", subs);
    gc_grade_report *t = grade(c, one, 1, &err, &st);
    ok(st == GC_OK && t && report_mentions(t, token),
       "control: with --trust-submissions the same read_secret.c prints the "
       "secret, so the check above can fail");
    gc_grade_report_free(t);
    children_left();

    gc_grade_report_free(r);
    gc_case_free(c);
    close(ls);
    remove_tree(tmp);
    for (size_t i = 0; i < n_files; i++) {
        free(names[i]);
        free(texts[i]);
        free(written[i]);
    }
    printf("1..%d\n", n_tests);
    return n_failed ? 1 : 0;
}
