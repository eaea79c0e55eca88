/* gradcheck.h: libgradcheck, finite-difference checks of hand-derived
 * gradients.
 *
 * gradcheck compares hand-derived ("analytic") gradients of a scalar loss
 * against GSL's numerical derivatives, entry by entry, and gives each entry
 * a verdict (agree, disagree, kink, nonfinite, inconclusive) with the
 * numeric error bar.  This umbrella header includes every module's header;
 * a program may include only the ones it uses.
 *
 * Usage: load a case, run it, write a report, free.
 *
 *     gc_init();                                   // GSL errors as statuses
 *     gc_case *c = NULL;
 *     gc_case_report *r = NULL;
 *     gc_error err;
 *     gc_run_options opt = gc_run_options_default();
 *     gc_report_options ro = {0};
 *     if (gc_case_load("cases/tanh_net_004_q1.yaml", &c, &err) == GC_OK &&
 *         gc_run_case(c, &opt, &r, &err) == GC_OK)
 *         gc_report_write("-", GC_FORMAT_TEXT, &r, 1, &ro);
 *     else
 *         fprintf(stderr, "%s:%ld: %s\n", err.file, err.line, err.msg);
 *     gc_case_report_free(r);
 *     gc_case_free(c);
 *
 * The modules, from the core up (each depends only on those before it):
 *   gradcheck/status.h     status codes, input errors, gc_init
 *   gradcheck/layout.h     named blocks in a flat vector, entry names
 *   gradcheck/model.h      models as registered type objects; problems
 *   gradcheck/verdict.h    the verdict rule and its tolerances
 *   gradcheck/engine.h     numeric derivatives with GSL, per thread
 *   gradcheck/exec.h       many entries on many threads, batched
 *   gradcheck/case.h       case files
 *   gradcheck/catalogue.h  the case folder
 *   gradcheck/target.h     answer keys such as dL/dW1
 *   gradcheck/run.h        running a case
 *   gradcheck/report.h     text and JSON reports
 *   gradcheck/screen.h     directional screening
 *   gradcheck/golden.h     golden files and their comparison
 *   gradcheck/grade.h      grading submissions into a gradebook
 *   gradcheck/names.h      names as every report shows them; text layout
 *   gradcheck/stepstudy.h  the error of a numeric derivative against h
 *
 * Conventions (from GSL and libgit2): functions return a gc_status, 0 on
 * success, and write results through pointer arguments that come last.
 * _alloc/_load/_run return objects the caller frees with the matching
 * _free, which accepts NULL; _clear frees the members of a struct the
 * caller owns.
 */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include "gradcheck/export.h"
#include "gradcheck/status.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/verdict.h"
#include "gradcheck/engine.h"
#include "gradcheck/exec.h"
#include "gradcheck/case.h"
#include "gradcheck/catalogue.h"
#include "gradcheck/target.h"
#include "gradcheck/run.h"
#include "gradcheck/report.h"
#include "gradcheck/screen.h"
#include "gradcheck/golden.h"
#include "gradcheck/grade.h"
#include "gradcheck/names.h"
#include "gradcheck/stepstudy.h"

#endif /* GRADCHECK_H */
