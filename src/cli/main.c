/* main.c: the gradcheck command line.  Parses arguments, calls the library,
 * and maps results to exit codes: 0 every verdict as its case expects,
 * 1 some verdict is not, 2 usage or input error. */
#define _GNU_SOURCE
#include "gradcheck/case.h"
#include "gradcheck/catalogue.h"
#include "gradcheck/golden.h"
#include "gradcheck/grade.h"
#include "gradcheck/model.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/screen.h"
#include "gradcheck/status.h"
#include "progress.h"

#include <stdio.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { EXIT_MET = 0, EXIT_UNMET = 1, EXIT_TROUBLE = 2 };

static const char usage_text[] =
"usage: gradcheck [--help] [--version] COMMAND [OPTIONS]\n"
"\n"
"Check hand-derived gradients against GSL's numerical derivatives.\n"
"\n"
"commands:\n"
"  list                      the models, their derivations, and the cases\n"
"  new FILE.yaml             write a template case: a network of your own and a\n"
"                            derivation to finish (docs/case-files.md); it runs\n"
"                            as written: gradcheck run FILE.yaml\n"
"  run [CASE|FILE ...]       run cases (default: every case in the case folder)\n"
"  golden check [CASE ...]   compare every reported value with golden/CASE.golden\n"
"  golden update [CASE ...]  rewrite golden files that differ (refused when CI is set)\n"
"  grade CASE SUBMISSION ... grade students' formula (.txt) or C (.c) submissions,\n"
"                            files or folders (docs/grading.md)\n"
"\n"
"run options:\n"
"  -f, --format text|json|html  report format (default text); html: one\n"
"                            self-contained page with pictures (use -o)\n"
"  -o, --output FILE         write the report to FILE (atomically) instead of stdout\n"
"  -v, --verbose             details of every derivation (default: one line per\n"
"                            derivation, details of what is not as expected);\n"
"                            -vv also every entry at every point and quantity\n"
"  -q, --quiet               the summary line only\n"
"      --points N            extra random points per case (default: the case's)\n"
"      --seed S              seed of the random points (default: the case's)\n"
"      --rtol X, --atol X    verdict tolerances (default: the case's, else 1e-7, 1e-10)\n"
"      --k X                 multiple of the numeric error bar allowed (default 2)\n"
"      --bar-rtol X          widest error bar, relative, that still decides (default 1e-4)\n"
"      --no-quantities       skip intermediate quantities (no localisation)\n"
"  -j, --jobs N              threads checking entries (default 0: every core;\n"
"                            the results do not depend on it)\n"
"      --mode full|directional  every entry one by one (default), or screen\n"
"                            each block along random directions and bisect\n"
"                            the ones that disagree down to named entries\n"
"      --cases DIR           case folder (default $GRADCHECK_CASES, else the built-in)\n"
"      --color WHEN          auto|always|never (auto: only on a terminal, never if NO_COLOR is set)\n"
"\n"
"golden options:\n"
"      --golden DIR          golden folder (default $GRADCHECK_GOLDEN, else the built-in)\n"
"      --golden-rtol X, --golden-atol X   number tolerance (default 1e-10, 1e-12;\n"
"                            a case may set golden: {rtol, atol})\n"
"  -f, --format text|tap     summary table, or TAP with a YAML block per failure\n"
"      --junit FILE          also write JUnit XML (one testsuite per case)\n"
"      --html FILE           also write an HTML page of what changed\n"
"      --received-dir DIR    write CASE.golden.received there (default: beside\n"
"                            the golden file)\n"
"      --cases DIR           case folder\n"
"      --color WHEN          as for run\n"
"\n"
"grade options:\n"
"      --gradebook FILE      write the gradebook CSV (one row per submission)\n"
"      --html FILE           write an HTML page: the class per answer, each student\n"
"      --results-dir DIR     write DIR/<id>/results.json (Gradescope) per submission\n"
"  -v, --verbose             every answer's message, and lines not graded\n"
"      --points N, --seed S  random points (default: the case's grading: points,\n"
"                            else its points, at least 3; its seed)\n"
"      --cpu-limit S, --memory-limit MB, --timeout S\n"
"                            limits of a C submission (default 5, 256, 10)\n"
"      --cc CC               C compiler (default $GRADCHECK_CC, else cc)\n"
"      --trust-submissions   run C submissions with the limits only, not\n"
"                            isolated (they see this user's files and network)\n"
"      --c-header [CASE]     print gradcheck_submission.h (the C submission API),\n"
"                            for every model, or for CASE's model at its shape\n"
"      --names               print the names a formula can use on CASE, and exit\n"
"      --student ID          everything named is one student's work, with this id\n"
"                            (\"\": its id: line, else the file or folder name)\n"
"      --results-json FILE   with --student: write its results.json (Gradescope) to FILE\n"
"      --visibility V        results.json visibility: visible (default),\n"
"                            after_published, after_due_date or hidden\n"
"      --hide-values         messages never show the right values\n"
"      --partial-credit      a wrong answer earns the share of its entries right\n"
"      --cases DIR           case folder\n"
"      --color WHEN          as for run\n"
"list options: --cases DIR, --color WHEN\n"
"\n"
"A CASE is a name from 'gradcheck list' or a path to a .yaml case file.\n"
"Verdicts: agree, disagree, kink, nonfinite, inconclusive (docs/verdicts.md).\n"
"exit status: 0 as expected (run: every verdict as its case expects; golden\n"
"check: nothing moved beyond tolerance; grade: graded, every expect: line met),\n"
"1 not, 2 usage or input error (a student's mistake is a verdict, never 2).\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "gradcheck: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'gradcheck --help'.\n");
    return EXIT_TROUBLE;
}

static void print_error(const gc_error *e)
{
    fprintf(stderr, "gradcheck: %s", e->file);
    if (e->line > 0) fprintf(stderr, ":%ld", e->line);
    if (e->column > 0) fprintf(stderr, ":%ld", e->column);
    fprintf(stderr, ": %s\n", e->msg);
}

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0) {
        fprintf(stderr, "gradcheck: %s: expected a number >= 0, found "
                "\"%s\"\nTry 'gradcheck --help'.\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_long(const char *opt, const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > max) {
        fprintf(stderr, "gradcheck: %s: expected a whole number from 0 to "
                "%ld, found \"%s\"\nTry 'gradcheck --help'.\n", opt, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* --color WHEN: auto (a terminal, and NO_COLOR unset or empty), always,
 * never. */
static int check_color(const char *when)
{
    if (strcmp(when, "auto") && strcmp(when, "always") &&
        strcmp(when, "never")) {
        usage_error("--color: expected auto, always or never, found \"%s\"",
                    when);
        return -1;
    }
    return 0;
}

static int use_color(const char *when, int fd)
{
    const char *nc = getenv("NO_COLOR");
    return strcmp(when, "always") == 0 ||
           (strcmp(when, "auto") == 0 && !(nc && *nc) && isatty(fd));
}

/* Edit distance (Levenshtein) of a and b; names longer than 200 are
 * never close. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 200 || lb > 200) return (size_t)-1;
    size_t row[201];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* "no such case", with the catalogue's closest names: those the argument
 * begins (cnn1d: cnn1d_000_p3), else those within an edit distance of a
 * third of its length (at least 2), nearest first, at most five. */
static void no_such_case(const char *arg, const char *dir)
{
    fprintf(stderr, "gradcheck: %s: no such case file, and no case of that "
            "name in %s (see 'gradcheck list')", arg, dir);
    char **names = NULL;
    size_t n = 0, shown = 0, la = strlen(arg);
    if (!strchr(arg, '/') && gc_catalogue_list(dir, &names, &n) == GC_OK) {
        size_t limit = la / 3 > 2 ? la / 3 : 2;
        for (int pass = 0; pass < 2 && !shown; pass++)
            for (size_t d = 0; d <= (pass ? limit : 0) && shown < 5; d++)
                for (size_t i = 0; i < n && shown < 5; i++) {
                    int hit = pass ? edit_distance(arg, names[i]) == d
                                   : la >= 3 &&
                                     strncmp(names[i], arg, la) == 0;
                    if (hit)
                        fprintf(stderr, "%s%s", shown++ ? ", " : "; did you "
                                "mean ", names[i]);
                }
        if (shown) fprintf(stderr, "?");
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
    }
    fprintf(stderr, "\n");
}

/* Columns of the terminal on fd, or 0 when fd is not a terminal (a pipe or
 * a file is never wrapped). */
static int terminal_width(int fd)
{
    if (!isatty(fd)) return 0;
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long n = c ? strtol(c, NULL, 10) : 0;
    return n >= 40 && n <= 1000 ? (int)n : 80;
}

/* gradcheck list, into out. */
static int list_to(FILE *out, const char *dir, int color)
{
    fprintf(out, "models and derivations:\n");
    for (size_t i = 0; gc_models[i]; i++) {
        const gc_model_type *m = gc_models[i];
        fprintf(out, "  %-24s %s\n  %-24s source: %s\n", m->name, m->title, "",
               m->source);
        for (size_t d = 0; m->derivations[d]; d++)
            fprintf(out, "  %-24s   %-10s %s\n", "", m->derivations[d]->name,
                   m->derivations[d]->summary);
    }
    char **names;
    size_t n;
    if (gc_catalogue_list(dir, &names, &n)) {
        fprintf(stderr, "gradcheck: %s: cannot read the case folder\n", dir);
        return EXIT_TROUBLE;
    }
    fprintf(out, "\ncases in %s:\n", dir);
    int st = EXIT_MET;
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        gc_case *c = NULL;
        gc_error err;
        if (gc_catalogue_resolve(dir, names[i], &path) == GC_OK &&
            gc_case_load(path, &c, &err) == GC_OK) {
            fprintf(out, "  %-32s %s, %s (%s)\n", names[i], c->seed, c->problem,
                   c->model->name);
        } else {
            fprintf(out, "  %-32s %s(cannot be read: see gradcheck run %s)%s\n",
                   names[i], color ? "\033[1;31m" : "", names[i],
                   color ? "\033[0m" : "");
            st = EXIT_TROUBLE;
        }
        gc_case_free(c);
        free(path);
        free(names[i]);
    }
    free(names);
    return st;
}

/* The list wrapped to 100 columns, or a narrower terminal's width. */
static int cmd_list(const char *dir, int color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return EXIT_TROUBLE;
    int st = list_to(m, dir, color);
    fclose(m);
    int w = terminal_width(STDOUT_FILENO);
    gc_write_wrapped(stdout, buf, w > 0 && w < 100 ? (size_t)w : 100);
    free(buf);
    return st;
}

static void free_cases(gc_case **cases, size_t n)
{
    for (size_t i = 0; cases && i < n; i++) gc_case_free(cases[i]);
    free(cases);
}

/* The cases named on the command line, or every case in dir; all loaded
 * before anything runs, so a malformed one stops everything (exit 2). */
static int load_cases(const char *dir, int argc, char **argv,
                      gc_case ***out, size_t *n_out)
{
    char **names = NULL;
    size_t n = 0;
    *out = NULL;
    *n_out = 0;
    if (argc <= 0) {
        if (gc_catalogue_list(dir, &names, &n)) {
            fprintf(stderr, "gradcheck: %s: cannot read the case folder\n",
                    dir);
            return -1;
        }
        if (n == 0) {
            fprintf(stderr, "gradcheck: %s: no case files (*.yaml)\n", dir);
            free(names);
            return -1;
        }
    }
    gc_case **cases = calloc(argc > 0 ? (size_t)argc : n, sizeof *cases);
    size_t count = argc > 0 ? (size_t)argc : n;
    int bad = !cases;
    if (!cases) fprintf(stderr, "gradcheck: out of memory\n");
    for (size_t i = 0; i < count && !bad; i++) {
        const char *arg = argc > 0 ? argv[i] : names[i];
        char *path = NULL;
        gc_error err;
        if (gc_catalogue_resolve(dir, arg, &path)) {
            no_such_case(arg, dir);
            bad = 1;
        } else if (gc_case_load(path, &cases[i], &err)) {
            print_error(&err);
            bad = 1;
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (bad) {
        free_cases(cases, count);
        return -1;
    }
    *out = cases;
    *n_out = count;
    return 0;
}

static int cmd_golden(int argc, char **argv)
{
    enum { O_GOLDEN = 256, O_CASES, O_RTOL, O_ATOL, O_JUNIT, O_HTML,
           O_COLOR, O_RECEIVED };
    static const struct option opts[] = {
        {"golden", required_argument, 0, O_GOLDEN},
        {"cases", required_argument, 0, O_CASES},
        {"golden-rtol", required_argument, 0, O_RTOL},
        {"golden-atol", required_argument, 0, O_ATOL},
        {"format", required_argument, 0, 'f'},
        {"junit", required_argument, 0, O_JUNIT},
        {"html", required_argument, 0, O_HTML},
        {"color", required_argument, 0, O_COLOR},
        {"received-dir", required_argument, 0, O_RECEIVED},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}
    };
    if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "update"))) {
        if (argc >= 2 && !strcmp(argv[1], "--help")) {
            fputs(usage_text, stdout);
            return EXIT_MET;
        }
        return usage_error("golden: expected check or update%s", "");
    }
    int update = !strcmp(argv[1], "update");
    const char *dir = gc_cases_dir(), *gdir = gc_golden_dir(), *junit = NULL,
               *html = NULL, *color = "auto", *received = NULL;
    int tap = 0, have_tol = 0, c;
    gc_golden_tol tol = gc_golden_tol_default;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case O_GOLDEN: gdir = optarg; break;
        case O_CASES: dir = optarg; break;
        case O_RTOL:
            if (parse_double("--golden-rtol", optarg, &tol.rtol)) return EXIT_TROUBLE;
            have_tol = 1;
            break;
        case O_ATOL:
            if (parse_double("--golden-atol", optarg, &tol.atol)) return EXIT_TROUBLE;
            have_tol = 1;
            break;
        case 'f':
            if (!strcmp(optarg, "tap")) tap = 1;
            else if (strcmp(optarg, "text"))
                return usage_error("--format: expected text or tap, found "
                                   "\"%s\"", optarg);
            break;
        case O_JUNIT: junit = optarg; break;
        case O_HTML: html = optarg; break;
        case O_RECEIVED: received = optarg; break;
        case O_COLOR:
            if (check_color(optarg)) return EXIT_TROUBLE;
            color = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return EXIT_MET;
        default:
            return usage_error("golden: unknown or incomplete option \"%s\"",
                               argv[optind]);
        }
    }
    if (update) {
        const char *ci = getenv("CI");
        if (ci && *ci) {
            fprintf(stderr, "gradcheck: golden update refuses to run when CI "
                    "is set: golden files change only on purpose, by a "
                    "person who reviews the change\n");
            return EXIT_TROUBLE;
        }
    }
    gc_case **cases = NULL;
    size_t n = 0;
    if (load_cases(dir, argc - 1 - optind, argv + 1 + optind, &cases, &n))
        return EXIT_TROUBLE;
    gc_golden_check **checks = calloc(n, sizeof *checks);
    int ret = checks ? EXIT_MET : EXIT_TROUBLE, malformed = 0;
    gc_progress bar;
    gc_progress_start(&bar, "checked", "cases", n);
    for (size_t i = 0; i < n && ret != EXIT_TROUBLE; i++) {
        gc_error err;
        gc_progress_step(&bar, i);
        if (gc_golden_check_run(cases[i], gdir, have_tol ? &tol : NULL,
                                &checks[i], &err)) {
            print_error(&err);
            ret = EXIT_TROUBLE;
            break;
        }
        gc_golden_check *g = checks[i];
        if (update) {
            int written = 0;
            gc_golden_remove_received(g);
            if (gc_golden_update(g, &written)) {
                fprintf(stderr, "gradcheck: %s: cannot write the golden "
                        "file\n", g->path);
                ret = EXIT_TROUBLE;
                break;
            }
            if (!written) printf("%s: unchanged\n", g->path);
            else if (g->read_status) printf("%s: written (%zu rows; it was "
                                            "%s)\n", g->path, g->got.n,
                                            g->missing ? "missing" : "unreadable");
            else {
                gc_golden_diff d;
                gc_golden_tol zero = {0, 0};
                gc_golden_compare(&g->golden, &g->got, &zero, &d);
                printf("%s: updated, %zu row%s changed:\n", g->path,
                       d.n_rows, d.n_rows == 1 ? "" : "s");
                gc_golden_report_changes(stdout, &d);
                gc_golden_diff_clear(&d);
            }
            continue;
        }
        if (g->read_status && !g->missing) {
            /* Bad input (exit 2), reported in every format below too: a
             * failing TAP point, a JUnit <error>. */
            print_error(&g->read_err);
            malformed = 1;
            if (ret == EXIT_MET) ret = EXIT_UNMET;
        }
        if (gc_golden_check_ok(g)) {
            gc_golden_remove_received(g);
        } else {
            ret = EXIT_UNMET;
            if (gc_golden_write_received_in(g, received))
                fprintf(stderr, "gradcheck: %s%s.received: cannot write\n",
                        received ? received : g->path,
                        received ? "/CASE.golden" : "");
        }
    }
    gc_progress_end(&bar);
    if (ret != EXIT_TROUBLE && !update) {
        if (tap) gc_golden_report_tap(stdout, checks, n);
        else {
            gc_report_options ro = {.color = use_color(color, STDOUT_FILENO)};
            gc_golden_report_text(stdout, checks, n, &ro);
        }
        if (junit && gc_golden_report_junit(junit, checks, n)) {
            fprintf(stderr, "gradcheck: %s: cannot write the JUnit file\n",
                    junit);
            ret = EXIT_TROUBLE;
        }
        if (html && gc_golden_report_html_file(html, checks, n)) {
            fprintf(stderr, "gradcheck: %s: cannot write the HTML page\n",
                    html);
            ret = EXIT_TROUBLE;
        }
        /* The same exit status in every format: 1 when anything failed,
         * 2 when a golden file was malformed (README "Golden files"). */
        if (malformed && ret != EXIT_TROUBLE) ret = EXIT_TROUBLE;
    }
    for (size_t i = 0; checks && i < n; i++) gc_golden_check_free(checks[i]);
    free(checks);
    free_cases(cases, n);
    return ret;
}

/* --mode directional: screen every case's derivations (screen.c);
 * ov holds --rtol, --atol, --k, --bar-rtol (negative: the case's). */
static int run_directional(gc_case **cases, size_t n, gc_run_options *ro,
                           const double ov[4], const char *out,
                           gc_format fmt, const gc_report_options *rep)
{
    gc_screen_report **r = calloc(n ? n : 1, sizeof *r);
    int ret = EXIT_TROUBLE;
    gc_error err;
    if (!r) {
        fprintf(stderr, "gradcheck: out of memory\n");
        return EXIT_TROUBLE;
    }
    for (size_t i = 0; i < n; i++) {
        gc_screen_options d = gc_screen_options_default();
        d.seed = ro->seed >= 0 ? (unsigned long)ro->seed : cases[i]->seed_rng;
        ro->have_tol = ov[0] >= 0 || ov[1] >= 0 || ov[2] >= 0 || ov[3] >= 0;
        ro->tol = cases[i]->tol;
        if (ov[0] >= 0) ro->tol.rtol = ov[0];
        if (ov[1] >= 0) ro->tol.atol = ov[1];
        if (ov[2] >= 0) ro->tol.k = ov[2];
        if (ov[3] >= 0) ro->tol.bar_rtol = ov[3];
        if (gc_screen_run_case(cases[i], ro, &d, &r[i], &err)) {
            print_error(&err);
            goto done;
        }
    }
    if (gc_screen_report_write(out, fmt, r, n, rep)) {
        fprintf(stderr, "gradcheck: %s: cannot write the report: %s\n",
                strcmp(out, "-") ? out : "standard output", strerror(errno));
        goto done;
    }
    ret = EXIT_MET;
    for (size_t i = 0; i < n; i++)
        if (r[i]->unmet) ret = EXIT_UNMET;
done:
    for (size_t i = 0; i < n; i++) gc_screen_report_free(r[i]);
    free(r);
    return ret;
}

/* The run's progress line: one step per derivation checked at a point. */
typedef struct {
    gc_progress bar;
    size_t done;
} run_progress;

static void run_step(void *ctx)
{
    run_progress *rp = ctx;
    gc_progress_step(&rp->bar, ++rp->done);
}

static int cmd_run(int argc, char **argv)
{
    enum { O_POINTS = 256, O_SEED, O_RTOL, O_ATOL, O_K, O_BAR, O_NOQ,
           O_CASES, O_COLOR };
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"verbose", no_argument, 0, 'v'},
        {"quiet", no_argument, 0, 'q'},
        {"points", required_argument, 0, O_POINTS},
        {"seed", required_argument, 0, O_SEED},
        {"rtol", required_argument, 0, O_RTOL},
        {"atol", required_argument, 0, O_ATOL},
        {"k", required_argument, 0, O_K},
        {"bar-rtol", required_argument, 0, O_BAR},
        {"no-quantities", no_argument, 0, O_NOQ},
        {"cases", required_argument, 0, O_CASES},
        {"color", required_argument, 0, O_COLOR},
        {"jobs", required_argument, 0, 'j'},
        {"mode", required_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}
    };
    gc_run_options ro = gc_run_options_default();
    gc_report_options rep = {.verbose = 0};
    gc_format fmt = GC_FORMAT_TEXT;
    const char *out = "-", *dir = gc_cases_dir(), *color = "auto";
    double rtol = -1, atol = -1, k = -1, bar = -1;
    int directional = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:vqhj:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0) fmt = GC_FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0) fmt = GC_FORMAT_JSON;
            else if (strcmp(optarg, "html") == 0) fmt = GC_FORMAT_HTML;
            else return usage_error("--format: expected text, json or html, "
                                    "found \"%s\"", optarg);
            break;
        case 'o': out = optarg; break;
        case 'v': rep.verbose++; break;
        case 'q': rep.quiet = 1; break;
        case O_POINTS:
            if (parse_long("--points", optarg, GC_CASE_MAX_POINTS, &ro.points))
                return EXIT_TROUBLE;
            break;
        case O_SEED:
            if (parse_long("--seed", optarg, 2147483647L, &ro.seed))
                return EXIT_TROUBLE;
            break;
        case O_RTOL: if (parse_double("--rtol", optarg, &rtol)) return EXIT_TROUBLE; break;
        case O_ATOL: if (parse_double("--atol", optarg, &atol)) return EXIT_TROUBLE; break;
        case O_K: if (parse_double("--k", optarg, &k)) return EXIT_TROUBLE; break;
        case O_BAR: if (parse_double("--bar-rtol", optarg, &bar)) return EXIT_TROUBLE; break;
        case O_NOQ: ro.quantities = 0; break;
        case 'M':
            if (strcmp(optarg, "full") && strcmp(optarg, "directional"))
                return usage_error("--mode: expected full or directional, "
                                   "found \"%s\"", optarg);
            directional = strcmp(optarg, "directional") == 0;
            break;
        case 'j': {
            long j;
            if (parse_long("--jobs", optarg, 1024, &j)) return EXIT_TROUBLE;
            ro.threads = (int)j;
            break;
        }
        case O_CASES: dir = optarg; break;
        case O_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") &&
                strcmp(optarg, "never"))
                return usage_error("--color: expected auto, always or never, "
                                   "found \"%s\"", optarg);
            color = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return EXIT_MET;
        default:
            return usage_error("run: unknown or incomplete option \"%s\"",
                               argv[optind - 1]);
        }
    }
    const char *nc = getenv("NO_COLOR");
    rep.color = strcmp(color, "always") == 0 ||
                (strcmp(color, "auto") == 0 && !(nc && *nc) &&
                 strcmp(out, "-") == 0 && isatty(STDOUT_FILENO));
    if (fmt != GC_FORMAT_TEXT) rep.color = 0;
    if (directional && fmt == GC_FORMAT_HTML)
        return usage_error("--format html: the HTML report is of a full run; "
                           "--mode directional writes text or json%s", "");
    if (fmt == GC_FORMAT_TEXT && strcmp(out, "-") == 0)
        rep.width = terminal_width(STDOUT_FILENO);

    size_t n = 0;
    int ret = EXIT_TROUBLE;
    gc_case **cases = NULL;
    gc_case_report **reports = NULL;
    gc_error err;
    if (load_cases(dir, argc - optind, argv + optind, &cases, &n)) goto done;
    if (directional) {
        const double ov[4] = {rtol, atol, k, bar};
        ret = run_directional(cases, n, &ro, ov, out, fmt, &rep);
        goto done;
    }
    reports = calloc(n, sizeof *reports);
    if (!reports) goto nomem;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += cases[i]->n_derivs *
                 (size_t)(1 + (ro.points >= 0 ? ro.points : cases[i]->points));
    run_progress rp = {.done = 0};
    gc_progress_start(&rp.bar, "checked", "derivation-points", total);
    ro.progress = run_step;
    ro.progress_ctx = &rp;
    for (size_t i = 0; i < n; i++) {
        ro.have_tol = rtol >= 0 || atol >= 0 || k >= 0 || bar >= 0;
        ro.tol = cases[i]->tol;
        if (rtol >= 0) ro.tol.rtol = rtol;
        if (atol >= 0) ro.tol.atol = atol;
        if (k >= 0) ro.tol.k = k;
        if (bar >= 0) ro.tol.bar_rtol = bar;
        if (gc_run_case(cases[i], &ro, &reports[i], &err)) {
            print_error(&err);
            goto done;
        }
    }
    gc_progress_end(&rp.bar);
    if (gc_report_write(out, fmt, reports, n, &rep)) {
        fprintf(stderr, "gradcheck: %s: cannot write the report: %s\n",
                strcmp(out, "-") ? out : "standard output", strerror(errno));
        goto done;
    }
    ret = EXIT_MET;
    for (size_t i = 0; i < n; i++)
        if (reports[i]->unmet) ret = EXIT_UNMET;
    goto done;
nomem:
    fprintf(stderr, "gradcheck: out of memory\n");
done:
    for (size_t i = 0; i < n && reports; i++) gc_case_report_free(reports[i]);
    free(reports);
    free_cases(cases, n);
    return ret;
}

static void grade_progress(void *ctx, size_t i, size_t n, const char *path)
{
    gc_progress *p = ctx;
    (void)path;
    if (i == 0) gc_progress_start(p, "graded", "submissions", n);
    gc_progress_step(p, i);
}

/* gradcheck grade CASE SUBMISSION...: the library grades, this maps the
 * options and the outcome (0 graded, every expect: line met; 1 some not
 * met; 2 trouble). */
/* C submissions refused for want of isolation: the cause and the way out,
 * once (each such submission's message says it too). */
static void print_not_run(const gc_grade_report *r)
{
    size_t n = 0;
    const char *msg = NULL;
    for (size_t i = 0; i < r->n_subs; i++)
        for (size_t k = 0; k < r->subs[i].n_items; k++)
            if (r->subs[i].items[k].verdict == GC_GRADE_NOT_RUN) {
                if (!msg) msg = r->subs[i].items[k].message;
                n++;
                break;
            }
    if (n)
        fprintf(stderr, "gradcheck: %zu C submission%s %s\n", n,
                n == 1 ? "" : "s", msg ? msg : "not run");
}

static int cmd_grade(int argc, char **argv)
{
    enum { O_GRADEBOOK = 256, O_RESULTS, O_POINTS, O_SEED, O_CPU, O_MEM,
           O_TIMEOUT, O_CC, O_CASES, O_HEADER, O_NAMES, O_STUDENT,
           O_RESULTS_JSON, O_VISIBILITY, O_HIDE, O_PARTIAL, O_COLOR, O_TRUST,
           O_GRADE_HTML };
    static const struct option opts[] = {
        {"gradebook", required_argument, 0, O_GRADEBOOK},
        {"html", required_argument, 0, O_GRADE_HTML},
        {"results-dir", required_argument, 0, O_RESULTS},
        {"verbose", no_argument, 0, 'v'},
        {"points", required_argument, 0, O_POINTS},
        {"seed", required_argument, 0, O_SEED},
        {"cpu-limit", required_argument, 0, O_CPU},
        {"memory-limit", required_argument, 0, O_MEM},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"cc", required_argument, 0, O_CC},
        {"cases", required_argument, 0, O_CASES},
        {"c-header", no_argument, 0, O_HEADER},
        {"names", no_argument, 0, O_NAMES},
        {"student", required_argument, 0, O_STUDENT},
        {"results-json", required_argument, 0, O_RESULTS_JSON},
        {"visibility", required_argument, 0, O_VISIBILITY},
        {"hide-values", no_argument, 0, O_HIDE},
        {"partial-credit", no_argument, 0, O_PARTIAL},
        {"color", required_argument, 0, O_COLOR},
        {"trust-submissions", no_argument, 0, O_TRUST},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}
    };
    gc_grade_options go = gc_grade_options_default();
    const char *gradebook = NULL, *results = NULL, *dir = gc_cases_dir();
    const char *results_json = NULL, *color = "auto", *html = NULL;
    int verbose = 0, header = 0, names = 0, c;
    long mem;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case O_GRADEBOOK: gradebook = optarg; break;
        case O_GRADE_HTML: html = optarg; break;
        case O_RESULTS: results = optarg; break;
        case 'v': verbose = 1; break;
        case O_POINTS:
            if (parse_long("--points", optarg, GC_CASE_MAX_POINTS, &go.points))
                return EXIT_TROUBLE;
            break;
        case O_SEED:
            if (parse_long("--seed", optarg, 2147483647L, &go.seed))
                return EXIT_TROUBLE;
            break;
        case O_CPU:
            if (parse_double("--cpu-limit", optarg, &go.run.cpu_seconds))
                return EXIT_TROUBLE;
            break;
        case O_TIMEOUT:
            if (parse_double("--timeout", optarg, &go.run.wall_seconds))
                return EXIT_TROUBLE;
            break;
        case O_MEM:
            if (parse_long("--memory-limit", optarg, 1L << 20, &mem))
                return EXIT_TROUBLE;
            go.run.memory_bytes = (size_t)mem << 20;
            break;
        case O_CC: go.cc = optarg; break;
        case O_CASES: dir = optarg; break;
        case O_HEADER: header = 1; break;
        case O_NAMES: names = 1; break;
        case O_STUDENT: go.one_student = 1; go.student_id = optarg; break;
        case O_RESULTS_JSON: results_json = optarg; break;
        case O_VISIBILITY:
            if (strcmp(optarg, "visible") && strcmp(optarg, "hidden") &&
                strcmp(optarg, "after_published") &&
                strcmp(optarg, "after_due_date"))
                return usage_error("--visibility: expected visible, "
                                   "after_published, after_due_date or "
                                   "hidden, found \"%s\"", optarg);
            go.visibility = optarg;
            break;
        case O_HIDE: go.hide_truth = 1; break;
        case O_PARTIAL: go.partial_credit = 1; break;
        case O_COLOR:
            if (check_color(optarg)) return EXIT_TROUBLE;
            color = optarg;
            break;
        case O_TRUST: go.trust_submissions = 1; break;
        case 'h': fputs(usage_text, stdout); return EXIT_MET;
        default:
            return usage_error("grade: unknown or incomplete option \"%s\"",
                               argv[optind - 1]);
        }
    }
    if (header && argc - optind == 0)
        return gc_csub_header(stdout, NULL) || fflush(stdout) ? EXIT_TROUBLE
                                                              : EXIT_MET;
    if (argc - optind < (names || header ? 1 : 2))
        return usage_error("grade: expected a case and at least one "
                           "submission file or folder%s", "");
    char *path = NULL;
    gc_case *cs = NULL;
    gc_grade_report *r = NULL;
    gc_error err;
    int ret = EXIT_TROUBLE;
    if (results_json && !go.one_student)
        return usage_error("--results-json FILE writes one student's "
                           "results.json: give --student ID too (ID may be "
                           "\"\")%s", "");
    if (gc_catalogue_resolve(dir, argv[optind], &path)) {
        no_such_case(argv[optind], dir);
        return EXIT_TROUBLE;
    }
    if (gc_case_load(path, &cs, &err)) {
        print_error(&err);
        goto done;
    }
    if (names || header) {
        ret = (names ? gc_grade_names(stdout, cs)
                     : gc_csub_header(stdout, cs->prob)) || fflush(stdout)
              ? EXIT_TROUBLE : EXIT_MET;
        goto done;
    }
    if (go.trust_submissions)
        fprintf(stderr, "gradcheck: warning: --trust-submissions: C "
                "submissions run with resource limits only, not isolated: "
                "as this user, they can read and write its files, use the "
                "network and signal its processes\n");
    gc_progress bar = {.shown = 0};
    go.progress = grade_progress;
    go.progress_ctx = &bar;
    int st = gc_grade(cs, argv + optind + 1, (size_t)(argc - optind - 1), &go,
                      &r, &err);
    gc_progress_end(&bar);
    if (st) {
        print_error(&err);
        goto done;
    }
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(stderr, "gradcheck: warning: %s\n", r->warnings[i]);
    print_not_run(r);
    if (gc_grade_report_text(stdout, r, (verbose ? GC_GRADE_VERBOSE : 0) |
                             (use_color(color, STDOUT_FILENO)
                              ? GC_GRADE_COLOR : 0)) ||
        fflush(stdout)) {
        fprintf(stderr, "gradcheck: cannot write to standard output\n");
        goto done;
    }
    if (gradebook && gc_grade_write_csv(gradebook, r)) {
        fprintf(stderr, "gradcheck: %s: cannot write the gradebook: %s\n",
                gradebook, strerror(errno));
        goto done;
    }
    if (html && gc_grade_write_html(html, r)) {
        fprintf(stderr, "gradcheck: %s: cannot write the HTML page: %s\n",
                html, strerror(errno));
        goto done;
    }
    if (results && gc_grade_write_results(results, r, &err)) {
        print_error(&err);
        goto done;
    }
    if (results_json && gc_grade_write_result(results_json, r, 0, &err)) {
        print_error(&err);
        goto done;
    }
    ret = r->unmet ? EXIT_UNMET : EXIT_MET;
done:
    gc_grade_report_free(r);
    gc_case_free(cs);
    free(path);
    return ret;
}

/* gradcheck new FILE: the template, never over an existing file. */
static int cmd_new(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_MET;
    }
    /* --color is accepted as by every command; new prints nothing to
     * colour */
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *when = strcmp(argv[i], "--color") == 0 && i + 1 < argc
                         ? argv[++i]
                         : strncmp(argv[i], "--color=", 8) == 0 ? argv[i] + 8
                         : NULL;
        if (when) {
            if (check_color(when)) return EXIT_TROUBLE;
        } else if (path || argv[i][0] == '-') {
            path = NULL;
            break;
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("new: expected one file name (new FILE.yaml)%s",
                           "");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[128];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) *dot = 0;
    FILE *f = fopen(path, "wx");     /* x: fails if it exists */
    if (!f) {
        fprintf(stderr, "gradcheck: %s: %s\n", path, errno == EEXIST
                ? "already exists: gradcheck new never overwrites a file"
                : strerror(errno));
        return EXIT_TROUBLE;
    }
    int st = gc_case_write_template(f, name);
    if (fclose(f) != 0) st = GC_EIO;
    if (st) {
        fprintf(stderr, "gradcheck: %s: cannot write: %s\n", path,
                strerror(errno));
        remove(path);
        return EXIT_TROUBLE;
    }
    printf("wrote %s: a network and a derivation to finish; run it with\n"
           "  gradcheck run %s\n", path, path);
    return EXIT_MET;
}

int main(int argc, char **argv)
{
    gc_init();
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_TROUBLE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_MET;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("gradcheck %s\n", GRADCHECK_VERSION);
        return EXIT_MET;
    }
    if (strcmp(cmd, "list") == 0) {
        const char *dir = gc_cases_dir(), *color = "auto";
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) dir = argv[++i];
            else if (strcmp(argv[i], "--color") == 0 && i + 1 < argc) {
                color = argv[++i];
                if (check_color(color)) return EXIT_TROUBLE;
            } else if (strncmp(argv[i], "--color=", 8) == 0) {
                color = argv[i] + 8;
                if (check_color(color)) return EXIT_TROUBLE;
            }
            else if (strcmp(argv[i], "--help") == 0) { fputs(usage_text, stdout); return EXIT_MET; }
            else return usage_error("list: unexpected argument \"%s\"", argv[i]);
        }
        return cmd_list(dir, use_color(color, STDOUT_FILENO));
    }
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "golden") == 0) return cmd_golden(argc - 1, argv + 1);
    if (strcmp(cmd, "grade") == 0) return cmd_grade(argc - 1, argv + 1);
    if (strcmp(cmd, "new") == 0) return cmd_new(argc - 1, argv + 1);
    return usage_error("unknown command \"%s\" (expected list, run, "
                       "golden, grade or new)", cmd);
}
