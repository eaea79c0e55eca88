/* gradcheck/case.h: case files: one homework problem as YAML (model,
 * dimensions, the point, random points, tolerances, derivations with their
 * expected verdicts, claims, the grading: section), read and validated. */
#ifndef GRADCHECK_CASE_H
#define GRADCHECK_CASE_H

#include <stddef.h>
#include <stdio.h>
#include "gradcheck/model.h"
#include "gradcheck/verdict.h"
#include "gradcheck/engine.h"
#include "gradcheck/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GC_DIST_NORMAL, GC_DIST_UNIFORM } gc_dist;

/* Tolerance for golden comparisons: |got - golden| <= atol + rtol |golden|
 * (gradcheck/golden.h). */
typedef struct {
    double rtol, atol;
} gc_golden_tol;

/* The defaults (rtol 1e-10, atol 1e-12; docs/golden.md): what a case's
 * golden: section starts from and what a case without one uses. */
GC_EXPORT extern const gc_golden_tol gc_golden_tol_default;

typedef enum {
    GC_CLAIM_LOSS,       /* of: loss */
    GC_CLAIM_VALUE,      /* of: x1[2]      value of a quantity */
    GC_CLAIM_DPARAM,     /* of: d/dW1[0][1] numeric dL/d(parameter entry) */
    GC_CLAIM_DQUANTITY,  /* of: d/ds2[1]    numeric dL/d(quantity entry) */
    GC_CLAIM_COUNT       /* of: n_params    number of parameter entries */
} gc_claim_kind;

/* A number the homework states, to compare with the computed value. */
typedef struct {
    char *name;
    char *of;            /* as written in the case */
    gc_claim_kind kind;
    size_t index;        /* flat entry in params or quantities */
    double stated;
    double tol;          /* absolute; from the digits written unless given */
    int tol_given;
    gc_verdict expect;
    long line;
} gc_claim;

typedef struct {
    const gc_derivation_type *type;
    gc_verdict expect;       /* agree when no_expect */
    int no_expect;           /* the case says nothing: the derivation's own
                                verdict decides (exit 0 when it agrees) */
    long line;
} gc_case_derivation;

/* A network written in the case file (network: section; the formula
 * language's network.c builds it; opaque here). */
typedef struct gc_net gc_net;

/* A case: one homework problem as a YAML file (docs/case-files.md). */
typedef struct {
    char *path;
    char *name, *title, *seed, *problem;
    const gc_model_type *model;
    gc_problem *prob;
    double *theta;           /* the given point (missing blocks drawn) */
    unsigned char *given;    /* per param block: 1 if the case gave it */
    long points;             /* extra random points */
    unsigned long seed_rng;
    gc_dist dist;
    double scale;
    gc_tol tol;
    gc_step step;
    gc_case_derivation *derivs;
    size_t n_derivs;
    gc_claim *claims;
    size_t n_claims;
    char **assumptions;
    size_t n_assumptions;
    gc_golden_tol golden_tol;     /* the case's golden: section */
    int have_golden_tol;
    struct gc_grading *grading;  /* the case's grading: section, or NULL */
    gc_net *net;             /* model is a network: section's, or NULL */
} gc_case;

/* Limits on what a case may ask for (docs/case-files.md#limits). */
#define GC_CASE_MAX_BYTES ((size_t)4 << 20)
#define GC_CASE_MAX_POINTS 10000L
#define GC_CASE_MAX_DEPTH 32             /* nesting of YAML collections */
#define GC_CASE_MAX_NODES 200000L        /* YAML values in one file */
#define GC_CASE_MAX_KEYS 256             /* keys in one YAML mapping */
/* Entry checks one run keeps (points x derivations x entries): about
 * 100 bytes each, so 2^23 is under 1 GiB of report. */
#define GC_RUN_MAX_CHECKS ((size_t)1 << 23)

/* Read and validate a case file.  On failure returns non-zero and fills err
 * (file, line, what was expected); *out is NULL.  Caller frees *out. */
GC_EXPORT int gc_case_load(const char *path, gc_case **out, gc_error *err);
/* The same from memory; `name` stands for the file in messages. */
GC_EXPORT int gc_case_load_buffer(const char *name, const unsigned char *buf,
                        size_t len, gc_case **out, gc_error *err);
GC_EXPORT void gc_case_free(gc_case *c);
/* Write a commented template case to f: a small network written in the
 * case file (network: section) and a derivation to finish, which runs as
 * it is (docs/case-files.md "Networks written in the case file").  name
 * is the case's name: letters, digits and '_' (others become '_').
 * Returns GC_EIO on a write error. */
GC_EXPORT int gc_case_write_template(FILE *f, const char *name);
/* Draw the parameters of extra point i (1-based) into theta: point i of the
 * case's seeded stream, independent of how many points are run. */
GC_EXPORT void gc_case_point(const gc_case *c, unsigned long seed, long i,
                   double *theta);

/* The case's grading: section (case.c). */
typedef struct {
    char *key;               /* "dL/dv": the answer, as gc_target keys it */
    double points;
    long line;
} gc_grading_formula;

typedef struct gc_grading {
    char **loss;             /* names of the loss, NULL-terminated; the
                                first is used in keys */
    size_t n_loss;
    long points;             /* random points to grade at; -1: not given */
    gc_grading_formula *formulas;   /* what a submission answers */
    size_t n_formulas;
} gc_grading;


#ifdef __cplusplus
}
#endif
#endif /* GRADCHECK_CASE_H */
