/* report_json.c: the JSON report (docs/reports.md#json-report-schema-format-json-schema-1), built with
 * jansson.  Non-finite numbers, which JSON cannot carry, are written as the
 * strings "NaN", "Infinity" and "-Infinity"; their entries' verdict is
 * always "nonfinite". */
#include "gradcheck/case.h"
#include "gradcheck/engine.h"
#include "gradcheck/layout.h"
#include "gradcheck/model.h"
#include "gradcheck/names.h"
#include "gradcheck/report.h"
#include "gradcheck/run.h"
#include "gradcheck/status.h"
#include "gradcheck/verdict.h"

#include <stdio.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *jnum(double x)
{
    if (isnan(x)) return json_string("NaN");
    if (isinf(x)) return json_string(x > 0 ? "Infinity" : "-Infinity");
    return json_real(x);
}

/* A message as a JSON string: a message cut to its buffer may end inside
 * a UTF-8 character (a Greek name), which jansson refuses; those bytes,
 * and any other that is not UTF-8, become '?'. */
static json_t *jtext(const char *s)
{
    json_t *j = json_string(s);
    size_t n = strlen(s);
    for (size_t cut = 1; !j && cut <= 3 && cut <= n; cut++)
        j = json_stringn(s, n - cut);        /* a character cut short */
    if (j) return j;
    char *c = strdup(s);
    if (!c) return json_null();
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    j = json_string(c);
    free(c);
    return j ? j : json_null();
}

/* A block's entries as nested arrays in the homework's shape. */
static json_t *jblock(const gc_block *b, const double *v)
{
    if (b->rank == 0) return jnum(v[b->offset]);
    json_t *a = json_array();
    size_t inner = b->size / b->shape[0];
    for (size_t i = 0; i < b->shape[0]; i++) {
        if (b->rank == 1) {
            json_array_append_new(a, jnum(v[b->offset + i]));
            continue;
        }
        gc_block sub = *b;
        sub.rank = b->rank - 1;
        memmove(sub.shape, b->shape + 1, (GC_MAX_RANK - 1) * sizeof *sub.shape);
        sub.shape[GC_MAX_RANK - 1] = 1;
        sub.size = inner;
        sub.offset = b->offset + i * inner;
        json_array_append_new(a, jblock(&sub, v));
    }
    return a;
}

static json_t *jblocks(const gc_blocks *bs, const double *v)
{
    json_t *o = json_object();
    for (size_t i = 0; i < bs->n_blocks; i++)
        json_object_set_new(o, bs->block[i].name, jblock(&bs->block[i], v));
    return o;
}

static json_t *jentry(const gc_blocks *fam, size_t k, size_t point,
                      const gc_entry_check *ch, const char *prefix)
{
    char name[64], full[80];
    gc_entry_name(fam, k, name, sizeof name);
    snprintf(full, sizeof full, "%s%s", prefix, name);
    json_t *e = json_pack("{s:s, s:I}", "name", full, "point", (json_int_t)point);
    json_object_set_new(e, "analytic", jnum(ch->analytic));
    json_object_set_new(e, "numeric", jnum(ch->numeric.value));
    json_object_set_new(e, "abserr", jnum(ch->numeric.abserr));
    json_object_set_new(e, "rel_error", jnum(ch->rel_error));
    json_object_set_new(e, "verdict", json_string(gc_verdict_name(ch->verdict)));
    if (ch->one_sided) {
        json_object_set_new(e, "forward", jnum(ch->fwd.value));
        json_object_set_new(e, "backward", jnum(ch->bwd.value));
    }
    return e;
}

static json_t *jcounts(const size_t *c)
{
    json_t *o = json_object();
    for (int v = 0; v < GC_N_VERDICTS; v++)
        json_object_set_new(o, gc_verdict_name((gc_verdict)v),
                            json_integer((json_int_t)c[v]));
    return o;
}

static json_t *jderivation(const gc_case_report *r,
                           const gc_derivation_report *dr)
{
    const gc_layout *L = &r->c->prob->layout;
    int only_given = dr->points[0].verdict == GC_AGREE &&
                     dr->verdict == GC_DISAGREE;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I}",
                          "name", dr->type->name,
                          "summary", dr->type->summary,
                          "expected", dr->no_expect ? "none"
                                      : gc_verdict_name(dr->expect),
                          "verdict", gc_verdict_name(dr->verdict),
                          "met", dr->verdict == dr->expect,
                          "agrees_only_at_given_point", only_given,
                          "claimed_entries", (json_int_t)dr->n_claimed);
    json_object_set_new(d, "max_rel_error", jnum(dr->max_rel_error));
    json_object_set_new(d, "counts", jcounts(dr->counts));
    json_t *pts = json_array(), *ents = json_array(), *loc = json_array();
    const char *first_why = NULL;   /* the first point's reason */
    for (size_t p = 0; p < r->n_points; p++) {
        const gc_point_report *pr = &dr->points[p];
        char worst[64];
        gc_entry_name(&L->params, pr->worst, worst, sizeof worst);
        json_t *pj = json_pack("{s:I, s:b, s:s, s:s}", "index", (json_int_t)p,
                               "given", p == 0, "verdict",
                               gc_verdict_name(pr->verdict), "worst", worst);
        json_object_set_new(pj, "max_rel_error", jnum(pr->max_rel_error));
        json_object_set_new(pj, "reason", pr->why ? jtext(pr->why)
                                                  : json_null());
        if (pr->why && !first_why) first_why = pr->why;
        json_array_append_new(pts, pj);
        for (size_t k = 0; k < L->params.n; k++)
            if (dr->claimed[k])
                json_array_append_new(ents, jentry(&L->params, k, p,
                                                   &pr->entries[k], ""));
        if (!pr->qentries) continue;
        json_t *lj = json_pack("{s:I}", "point", (json_int_t)p);
        if (pr->first_wrong >= 0) {
            char name[64];
            gc_entry_name(&L->quantities, (size_t)pr->first_wrong, name,
                          sizeof name);
            json_object_set_new(lj, "first_wrong", json_string(name));
        } else {
            json_object_set_new(lj, "first_wrong", json_null());
        }
        json_t *qs = json_array();
        for (size_t j = 0; j < L->quantities.n; j++)
            if (dr->qclaimed[j])
                json_array_append_new(qs, jentry(&L->quantities, j, p,
                                                 &pr->qentries[j], "dL/d"));
        json_object_set_new(lj, "quantities", qs);
        json_array_append_new(loc, lj);
    }
    json_t *jacs = json_array();
    for (size_t j = 0; j < dr->n_jacobians; j++) {
        const gc_jacobian *J = &dr->type->jacobians[j];
        const gc_block *of = gc_blocks_find(&L->quantities, J->of);
        const gc_block *wp = gc_blocks_find(&L->params, J->wrt);
        const gc_blocks *wf = wp ? &L->params : &L->quantities;
        const gc_block *w = wp ? wp : gc_blocks_find(&L->quantities, J->wrt);
        json_t *jj = json_pack("{s:s, s:s}", "of", J->of, "wrt", J->wrt);
        json_t *je = json_array();
        size_t counts[GC_N_VERDICTS] = {0};
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t i = 0; i < of->size; i++)
                for (size_t k = 0; k < w->size; k++) {
                    const gc_entry_check *ch =
                        &dr->points[p].jentries[j][i * w->size + k];
                    counts[ch->verdict]++;
                    char a[64], b[64], nm[140];
                    gc_entry_name(&L->quantities, of->offset + i, a, sizeof a);
                    gc_entry_name(wf, w->offset + k, b, sizeof b);
                    snprintf(nm, sizeof nm, "d%s/d", a);
                    json_t *ej = jentry(wf, w->offset + k, p, ch, nm);
                    (void)b;
                    json_array_append_new(je, ej);
                }
        json_object_set_new(jj, "counts", jcounts(counts));
        json_object_set_new(jj, "entries", je);
        json_array_append_new(jacs, jj);
    }
    json_object_set_new(d, "jacobians", jacs);
    json_t *hess = json_array();
    for (size_t j = 0; j < dr->n_hessians; j++) {
        const gc_jacobian *J = &dr->type->hessians[j];
        const gc_block *A = gc_blocks_find(&L->params, J->of);
        const gc_block *B = gc_blocks_find(&L->params, J->wrt);
        json_t *hj = json_pack("{s:s, s:s}", "of", J->of, "wrt", J->wrt);
        json_t *he = json_array();
        for (size_t p = 0; p < r->n_points; p++)
            for (size_t i = 0; i < A->size * B->size; i++) {
                const gc_entry_check *ch = &dr->points[p].hentries[j][i];
                char a[64], b[64], nm[160];
                gc_entry_name(&L->params, A->offset + i / B->size, a, sizeof a);
                gc_entry_name(&L->params, B->offset + i % B->size, b, sizeof b);
                snprintf(nm, sizeof nm, "d2L/d%s d%s", a, b);
                json_t *ej = json_pack("{s:s, s:I, s:s}", "name", nm,
                                       "point", (json_int_t)p, "verdict",
                                       gc_verdict_name(ch->verdict));
                json_object_set_new(ej, "analytic", jnum(ch->analytic));
                json_object_set_new(ej, "numeric", jnum(ch->numeric.value));
                json_object_set_new(ej, "abserr", jnum(ch->numeric.abserr));
                json_object_set_new(ej, "rel_error", jnum(ch->rel_error));
                json_array_append_new(he, ej);
            }
        json_object_set_new(hj, "entries", he);
        json_array_append_new(hess, hj);
    }
    json_object_set_new(d, "hessians", hess);
    json_object_set_new(d, "reason", first_why ? jtext(first_why)
                                               : json_null());
    json_object_set_new(d, "points", pts);
    json_object_set_new(d, "entries", ents);
    json_object_set_new(d, "localisation", loc);
    return d;
}

static const char *const claim_kinds[] = {"loss", "value", "d/dparam",
                                          "d/dquantity", "count"};

static json_t *jcase(const gc_case_report *r)
{
    const gc_case *c = r->c;
    const gc_layout *L = &c->prob->layout;
    char source[600];
    snprintf(source, sizeof source, "%s, %s", c->seed, c->problem);
    /* names in their clean form, as every writer shows them (names.c) */
    char cname[GC_NAME_SHOWN_MAX + 1], clname[GC_NAME_SHOWN_MAX + 1];
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name",
                          gc_name_clean(c->name, cname, sizeof cname),
                          "title", c->title ? c->title : "", "source", source,
                          "seed_file", c->seed, "problem", c->problem,
                          "model", c->model->name);
    json_t *shape = json_object();
    for (int i = 0; c->model->dims[i].name; i++)
        json_object_set_new(shape, c->model->dims[i].name,
                            json_integer(c->prob->dims[i]));
    json_object_set_new(j, "shape", shape);
    json_object_set_new(j, "params", jblocks(&L->params, c->theta));
    json_object_set_new(j, "inputs", jblocks(&L->inputs, c->prob->inputs));
    json_t *as = json_array();
    for (size_t i = 0; i < c->n_assumptions; i++)
        json_array_append_new(as, json_string(c->assumptions[i]));
    json_object_set_new(j, "assumptions", as);
    json_object_set_new(j, "loss", jnum(r->loss));
    json_object_set_new(j, "random", json_pack(
        "{s:I, s:s, s:f, s:I}", "seed", (json_int_t)r->seed, "dist",
        c->dist == GC_DIST_UNIFORM ? "uniform" : "normal", "scale", c->scale,
        "points", (json_int_t)(r->n_points - 1)));
    json_object_set_new(j, "tolerance", json_pack(
        "{s:f, s:f, s:f, s:f}", "rtol", r->tol.rtol, "atol", r->tol.atol,
        "k", r->tol.k, "bar_rtol", r->tol.bar_rtol));
    json_object_set_new(j, "step", json_pack("{s:f, s:f}", "h_rel",
                                             c->step.h_rel, "h_floor",
                                             c->step.h_floor));
    json_t *ds = json_array();
    for (size_t i = 0; i < r->n_derivs; i++)
        json_array_append_new(ds, jderivation(r, &r->derivs[i]));
    json_object_set_new(j, "derivations", ds);
    json_t *cs = json_array();
    size_t met_claims = 0, met_derivs = 0;
    for (size_t i = 0; i < r->n_claims; i++) {
        const gc_claim_report *cr = &r->claims[i];
        int met = cr->verdict == cr->claim->expect;
        met_claims += met;
        json_t *cj = json_pack("{s:s, s:s, s:s}", "name",
                               gc_name_clean(cr->claim->name, clname,
                                             sizeof clname),
                               "of", cr->claim->of, "kind",
                               claim_kinds[cr->claim->kind]);
        json_object_set_new(cj, "claimed", jnum(cr->claim->stated));
        json_object_set_new(cj, "actual", jnum(cr->actual));
        json_object_set_new(cj, "abserr", jnum(cr->abserr));
        json_object_set_new(cj, "tol", jnum(cr->tol));
        json_object_set_new(cj, "verdict", json_string(gc_verdict_name(cr->verdict)));
        json_object_set_new(cj, "expected",
                            json_string(gc_verdict_name(cr->claim->expect)));
        json_object_set_new(cj, "met", json_boolean(met));
        json_object_set_new(cj, "reason", cr->why ? jtext(cr->why)
                                                  : json_null());
        json_array_append_new(cs, cj);
    }
    for (size_t i = 0; i < r->n_derivs; i++)
        met_derivs += r->derivs[i].verdict == r->derivs[i].expect;
    json_object_set_new(j, "claims", cs);
    json_object_set_new(j, "summary", json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:b}",
        "derivations", (json_int_t)r->n_derivs,
        "derivations_met", (json_int_t)met_derivs,
        "claims", (json_int_t)r->n_claims,
        "claims_met", (json_int_t)met_claims,
        "unmet", (json_int_t)r->unmet, "ok", r->unmet == 0));
    return j;
}

int gc_report_json(FILE *f, gc_case_report *const *rs, size_t n,
                   const gc_report_options *o)
{
    (void)o;
    /* "report" names the document, "schema" its version: a screening
     * report (report_screen.c) is "screen" with a schema of its own */
    json_t *root = json_pack("{s:s, s:s, s:i}", "gradcheck",
                             GRADCHECK_VERSION, "report", "run", "schema", 1);
    json_t *cases = json_array();
    size_t unmet = 0, nd = 0, nc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *cj = jcase(rs[i]);
        if (!cj) { json_decref(cases); json_decref(root); return GC_ENOMEM; }
        json_array_append_new(cases, cj);
        unmet += rs[i]->unmet;
        nd += rs[i]->n_derivs;
        nc += rs[i]->n_claims;
    }
    json_object_set_new(root, "cases", cases);
    json_object_set_new(root, "summary", json_pack(
        "{s:I, s:I, s:I, s:I, s:b}", "cases", (json_int_t)n,
        "derivations", (json_int_t)nd, "claims", (json_int_t)nc,
        "unmet", (json_int_t)unmet, "ok", unmet == 0));
    int st = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (st != 0) return GC_EIO;
    fputc('\n', f);
    return ferror(f) ? GC_EIO : GC_OK;
}
