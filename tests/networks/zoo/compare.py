#!/usr/bin/env python3
# compare.py GRADCHECK SOURCE_ROOT: the zoo of case-defined networks
# (tests/networks/zoo/*.yaml, networks written the way a student or TA
# would, none of them in the catalogue) against PyTorch autograd.  TAP.
#
# For each network of torch_reference.json (written by torch_reference.py
# beside it) this runs `gradcheck run --format json` on the case and checks:
#   * every derivation's verdict is as the case expects (right ones agree at
#     every point, wrong ones disagree) and each wrong one names the first
#     wrong quantity (and time step or channel) the mathematics says: the
#     table FIRST_WRONG below, one line of reasoning each;
#   * the case's first point is the one torch used (params, bit for bit);
#   * the loss: |gradcheck - torch| <= 1e-12 |torch|.  Both are float64
#     evaluations of the same function in different orders of operations
#     (torch's layer_norm, huber_loss, conv2d and BCE are its own kernels),
#     a few hundred operations of O(1) terms: 1e-12 is a thousand times
#     the round-off seen (report below) and far below any mistake;
#   * the numeric gradient of every parameter entry (GSL's central
#     difference): |numeric - torch| <= 1e-7 max(|numeric|, |torch|) + 1e-10,
#     the tolerance tests/test_reference.c holds the catalogue to;
#   * the `right` derivation's analytic gradient (the formulas in the case):
#     |analytic - torch| <= 1e-10 max(|analytic|, |torch|) + 1e-13: exact
#     formulas in float64 on both sides, differences are summation order;
#   * the Hessian blocks of logreg_hessian and mlp_hessian against torch's,
#     with the same bound.
# The largest differences are printed as TAP comments.
import json
import math
import os
import subprocess
import sys

gc, root = sys.argv[1], sys.argv[2]
here = os.path.join(root, "tests", "networks", "zoo")
with open(os.path.join(here, "torch_reference.json")) as f:
    ref = json.load(f)["networks"]

# derivation -> the quantity block named first wrong (and its first index
# for an indexed one), from which statement of the derivation is wrong:
FIRST_WRONG = {
    # dL/dz1 uses 1 - a1 for tanh' = 1 - a1^2; dL/dz2, dL/da1 are right
    ("mlp_softmax_ce", "wrong"): ("z1", None),
    # only dL/dW1 is wrong: no quantity
    ("mlp_logsoftmax_l2", "decay_forgotten_in_W1"): (None, None),
    # dL/dz2 = -y lacks softmax(z2)
    ("mlp_logsoftmax_l2", "delta_only_wrong"): ("z2", None),
    # g1 uses z1 (1 - z1); z2, z3 deltas are right
    ("mlp3_sigmoid_bce", "sigma_prime_of_z"): ("z1", None),
    # dL/dr1 drops the identity; r2 and u2 are right, r1 follows u1
    ("residual_mlp", "skip_forgotten"): ("r1", None),
    # dL/dz ignores mu(z) and s(z); dL/dzh, dL/do are right
    ("layernorm", "stats_as_constants"): ("z", None),
    # dS uses the softmax Jacobian's diagonal; dA, dO are right
    ("attention", "softmax_as_sigmoid"): ("S", None),
    # dL/dr = r is unclipped
    ("huber_regression", "clip_forgotten"): ("r", None),
    # dL/du2 drops u phi(u); u1 comes before u2 in the pass
    ("softplus_gelu_mlp", "gelu_prime_Phi_only"): ("u2", None),
    # dh[T] = V^T e[T] is right; dh[T-1] lacks W^T g[T]
    ("elman_softmax_bptt", "no_recurrent_term"): ("h", 3),
    # r[4] feeds r[3]: dL/dr[4] lacks Wr^T gr[3]; f is right
    ("birnn", "reverse_direction_copied"): ("r", 4),
    # dL/dzf lacks -g at every step, T = 3 last; c, h at step 3 are right
    ("lstm_coupled", "coupling_forgotten"): ("zf", 3),
    # dL/de[t] lacks 1/T at every t, t = 4 last
    ("embedding_meanpool", "mean_as_sum"): ("e", 4),
    # only the Hessian is wrong
    ("logreg_hessian", "hessian_unweighted"): (None, None),
    # dL/da (through the pooling) is wrong in both channels, c = 2 last;
    # dL/dP is right
    ("conv2d_maxpool", "pooled_as_average"): ("a", 2),
    # dL/dZ2 lacks 1/N; Z1 comes before Z2
    ("batch_mlp", "mean_forgotten"): ("Z2", None),
    # dL/dh1[t] lacks U2^T g2[t] below the last step: t = 3 is the last
    # wrong one; h2 is right
    ("rnn2_stacked", "upward_path_dropped"): ("h1", 3),
    # only dL/dW (one of its two uses) is wrong: no quantity
    ("tied_autoencoder", "decoder_term_only"): (None, None),
    # dL/dZ ignores mu(Z) and v(Z); Zh, Yo are right; Z is not indexed, so
    # its last wrong entry Z[4][3] is named
    ("batchnorm", "batch_stats_as_constants"): ("Z", 4),
    # dh[T] is right; dh[2] lacks r[3] * Uh^T dhh[3]; z, r, hh at step 2
    # come before h
    ("gru_paper", "reset_path_dropped"): ("h", 2),
    # only dL/dK (the kernel flipped) is wrong: no quantity
    ("conv2d_channels", "kernel_flipped"): (None, None),
    # the second zoo.  Only dL/dw (stride 1, no padding) is wrong
    ("cnn1d_stride", "stride_forgotten"): (None, None),
    # only parameter gradients (sent back through the last step alone);
    # its one quantity answer, dL/dz, is right
    ("rnn_many_to_one", "last_step_only"): (None, None),
    # dL/dh[T] = V^T e[T] is right; dL/dh[T-1] adds W^T dL/dh[T] without
    # step T's tanh': t = 3 is the first wrong walking back
    ("rnn_seq_mse", "tanh_prime_skipped"): ("h", 3),
    # dL/dg lacks the carry's -x; dL/dy, dL/du are right, g comes first
    ("highway", "carry_forgotten"): ("g", None),
    # dL/dz[k] = dL/dh / K is wrong for every piece; k = 3 is the last
    ("maxout", "shared_among_pieces"): ("z", 3),
    # dL/ds1 lacks 1/(1 - q); dL/dh and dL/do are right
    ("dropout_mask", "scale_forgotten"): ("s1", None),
    # only dL/db (the quotient rule) is wrong; dL/df is right
    ("rational_regression", "quotient_rule_slip"): (None, None),
    # only dL/db (summed over the classes) is wrong; dL/dZ is right
    ("softmax_regression_batch", "bias_summed_wrong_axis"): (None, None),
    # dL/dD, dL/df, dL/dg are right; only the shared W, b miss a branch
    ("siamese_contrastive", "first_branch_only"): (None, None),
    # dL/ds1 (and the Jacobian da1/ds1) use 1 + 0.1 s1^2; dL/da1, dL/ds2
    # are right
    ("mlp_jacobian_claim", "power_rule_slip"): ("s1", None),
    # only dL/dx (W1 where W1^T belongs) is wrong: x is a parameter
    ("adversarial_input", "indices_swapped"): (None, None),
    # only the Hessian d2L/db1 db1 (Gauss-Newton) is wrong
    ("mlp_hessian", "gauss_newton"): (None, None),
    # delta1 reads W2's bias row as unit 1's: dL/ds1 wrong, dL/dx2 right
    ("bias_units", "bias_row_shifted"): ("s1", None),
}

# first indices other than 1 (the block's shape in the case says
# FIRST..LAST): (network, block) -> the first index of each axis
BASES = {("bias_units", "W1"): (0, 1), ("bias_units", "W2"): (0, 1),
         ("rational_regression", "a"): (0,)}

n = 0
failed = 0
worst = {"loss": 0.0, "numeric": 0.0, "analytic": 0.0, "hessian": 0.0}


def check(ok, what):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if ok else "not ", n, what))
    if not ok:
        failed += 1


def names(block, value, prefix=None, bases=(), axis=0):
    """Entry names (indices from 1, or from bases[axis]) and values of a
    nested list."""
    prefix = prefix or block
    if not isinstance(value, list):
        yield prefix, value
        return
    first = bases[axis] if axis < len(bases) else 1
    for i, v in enumerate(value, first):
        yield from names(block, v, "%s[%d]" % (prefix, i), bases, axis + 1)


def close(a, b, rel, ab):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + ab


def reldiff(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


for net in sorted(ref):
    r = ref[net]
    path = os.path.join(here, net + ".yaml")
    run = subprocess.run([gc, "run", "--format", "json", path],
                         capture_output=True, text=True)
    check(run.returncode == 0, "%s: every verdict as expected (exit %d%s)"
          % (net, run.returncode, (": " + run.stderr.strip()[:200])
             if run.returncode else ""))
    if run.returncode not in (0, 1):
        continue
    case = json.loads(run.stdout)["cases"][0]
    check(case["params"] == r["params"], "%s: the first point is torch's"
          % net)
    check(close(case["loss"], r["loss"], 1e-12, 0),
          "%s: loss %.17g, torch %.17g" % (net, case["loss"], r["loss"]))
    worst["loss"] = max(worst["loss"], reldiff(case["loss"], r["loss"]))
    derivs = {d["name"]: d for d in case["derivations"]}
    right = derivs["right"]
    check(right["verdict"] == "agree", "%s: right agrees (%s)"
          % (net, right["verdict"]))
    at0 = {e["name"]: e for e in right["entries"] if e["point"] == 0}
    bad_num, bad_an, count = [], [], 0
    for block, g in r["gradient"].items():
        for name, want in names(block, g,
                                bases=BASES.get((net, block), ())):
            count += 1
            e = at0.get(name)
            if e is None:
                bad_an.append(name + " missing")
                continue
            if not close(e["numeric"], want, 1e-7, 1e-10):
                bad_num.append("%s %.17g torch %.17g" % (name, e["numeric"],
                                                         want))
            if not close(e["analytic"], want, 1e-10, 1e-13):
                bad_an.append("%s %.17g torch %.17g" % (name, e["analytic"],
                                                        want))
            if abs(want) > 1e-8:
                worst["numeric"] = max(worst["numeric"],
                                       reldiff(e["numeric"], want))
                worst["analytic"] = max(worst["analytic"],
                                        reldiff(e["analytic"], want))
    check(not bad_num, "%s: numeric gradient of %d entries within 1e-7 of "
          "torch%s" % (net, count, "; " + "; ".join(bad_num[:3])
                       if bad_num else ""))
    check(not bad_an, "%s: the right derivation's gradient within 1e-10 "
          "of torch%s" % (net, "; " + "; ".join(bad_an[:3])
                          if bad_an else ""))
    for h in r.get("hessians", []):
        blk = [b for b in right["hessians"]
               if b["of"] == h["of"] and b["wrt"] == h["wrt"]]
        ents = {e["name"]: e for e in blk[0]["entries"]
                if e["point"] == 0} if blk else {}
        bad = []
        ofn = [nm for nm, _ in names(h["of"], r["gradient"][h["of"]])]
        wrn = [nm for nm, _ in names(h["wrt"], r["gradient"][h["wrt"]])]
        for i, row in enumerate(h["value"]):
            for j, want in enumerate(row):
                nm = "d2L/d%s d%s" % (ofn[i], wrn[j])
                e = ents.get(nm)
                if e is None or not close(e["analytic"], want, 1e-10, 1e-13):
                    bad.append(nm)
                elif abs(want) > 1e-8:
                    worst["hessian"] = max(worst["hessian"],
                                           reldiff(e["analytic"], want))
        check(blk and not bad, "%s: Hessian d2L/d%s d%s within 1e-10 of "
              "torch %s" % (net, h["of"], h["wrt"], bad[:3]))
    for (cn, dn), (blockname, index) in FIRST_WRONG.items():
        if cn != net:
            continue
        d = derivs[dn]
        check(d["verdict"] == "disagree", "%s/%s: disagree (%s)"
              % (net, dn, d["verdict"]))
        loc = [l for l in d.get("localisation", []) if l["point"] == 0]
        fw = loc[0].get("first_wrong") if loc else None
        if blockname is None:
            check(fw is None, "%s/%s: no wrong quantity (found %s)"
                  % (net, dn, fw))
            continue
        want = blockname + ("[%d]" % index if index is not None else "")
        ok = fw is not None and (fw == want or fw.startswith(want + "["))
        check(ok, "%s/%s: first wrong %s (found %s)" % (net, dn, want, fw))

# Every zoo network through the other paths of the program: screened
# (--mode directional) and on two threads, every expectation met.
for net in sorted(ref):
    path = os.path.join(here, net + ".yaml")
    for extra in (["--mode", "directional"], ["-j", "2"]):
        rc = subprocess.run([gc, "run"] + extra + [path],
                            capture_output=True, text=True).returncode
        check(rc == 0, "%s: run %s meets its expectations (exit %d)"
              % (net, " ".join(extra), rc))

# The one-line report names the step with the definition's own index: a
# channel c of a convolution's maps a[c], a time step t of h[t].
for net, want in (("conv2d_maxpool", "first wrong dL/da[2][4][4] at c = 2"),
                  ("elman_softmax_bptt", "first wrong dL/dh[3][3] at t = 3")):
    out = subprocess.run([gc, "run", os.path.join(here, net + ".yaml")],
                         capture_output=True, text=True).stdout
    check(want in out, "%s: the report says '%s'" % (net, want))

# Grading against a zoo network: formula and C submissions (right and
# wrong) of the layer normalisation's gradient.  ben and dan treat the
# statistics as constants (or forget the variance's share): dL/dW is
# wrong, dL/dg and dL/db are right.  A C submission is "not run" on a
# machine without the sandbox's namespaces (docs/grading.md): skipped.
import csv
import tempfile
with tempfile.TemporaryDirectory() as tmp:
    book = os.path.join(tmp, "grades.csv")
    g = subprocess.run([gc, "grade", os.path.join(here, "layernorm.yaml"),
                        os.path.join(here, "submissions"), "--gradebook",
                        book], capture_output=True, text=True)
    check(g.returncode == 0, "grade layernorm submissions: exit %d %s"
          % (g.returncode, g.stderr.strip()[:200]))
    rows = {}
    if os.path.exists(book):
        with open(book) as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
    want = {"ana": ("agree", 4), "ben": ("disagree", 2),
            "cleo": ("agree", 4), "dan": ("disagree", 2)}
    for sid, (w_verdict, w_total) in sorted(want.items()):
        r = rows.get(sid)
        if r and r["dL/dW verdict"] == "not run" and sid in ("cleo", "dan"):
            n += 1
            print("ok %d - # SKIP %s: C submissions cannot run here" % (n, sid))
            continue
        got = (r["dL/dW verdict"], r["dL/dg verdict"], r["dL/db verdict"],
               r["total"]) if r else None
        check(got == (w_verdict, "agree", "agree", str(w_total)),
              "grade %s: dL/dW %s, total %d (found %s)"
              % (sid, w_verdict, w_total, got))

# A network with a 4-axis block (conv2d_channels' K): its formula
# submission is graded as usual; a C submission is invalid, with the reason
# (C submissions' arrays have at most 3 axes).
with tempfile.TemporaryDirectory() as tmp:
    book = os.path.join(tmp, "grades.csv")
    g = subprocess.run([gc, "grade", os.path.join(here, "conv2d_channels.yaml"),
                        os.path.join(here, "submissions_conv"), "--gradebook",
                        book], capture_output=True, text=True)
    rows = {}
    if os.path.exists(book):
        with open(book) as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
    eve, finn = rows.get("eve"), rows.get("finn")
    check(g.returncode == 0 and eve and eve["total"] == "3",
          "grade conv2d_channels: a formula submission scores 3/3 (%s)"
          % (eve and eve["total"]))
    check(finn and finn["dL/dK verdict"] == "invalid" and
          "has 4 axes" in finn["dL/dK message"],
          "grade conv2d_channels: a C submission is invalid, saying why (%s)"
          % (finn and finn["dL/dK message"]))

# Formula submissions of the stacked RNN's BPTT written with base cases on
# their own lines (g2[T] = ... above g2[t] = ..., dL/dh2[T] beside
# dL/dh2[t], in both orders): gus is right, hal drops the path up into the
# second layer, so dL/dW1 is wrong and dL/dW2, dL/dh2 right.
with tempfile.TemporaryDirectory() as tmp:
    book = os.path.join(tmp, "grades.csv")
    g = subprocess.run([gc, "grade", os.path.join(here, "rnn2_stacked.yaml"),
                        os.path.join(here, "submissions_rnn"), "--gradebook",
                        book], capture_output=True, text=True)
    rows = {}
    if os.path.exists(book):
        with open(book) as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
    for sid, want in (("gus", ("agree", "agree", "agree", "5")),
                      ("hal", ("disagree", "agree", "agree", "3"))):
        r = rows.get(sid)
        got = (r["dL/dW1 verdict"], r["dL/dW2 verdict"], r["dL/dh2 verdict"],
               r["total"]) if r else None
        check(got == want, "grade rnn2_stacked %s: %s (found %s)"
              % (sid, want, got))

# A recurrent network with steps numbered from 0 and a grading: section,
# graded from formula and C submissions (the C header generated from the
# network's layout): ann writes the BPTT as two definitions using each
# other (d[t] from g[t+1], defined below it, and g[t] from d[t]), right;
# bob starts the sums over time at 1, losing step 0's share of dL/dU and
# dL/db (dL/dW's sum starts at 1 anyway: h[-1] does not exist); cat is
# right in C; dev pairs g_t with h_t in dL/dW.  Scores out of 7
# (dL/dU 2, dL/dW 2, dL/db 1, dL/dV 1, dL/dc 1).
with tempfile.TemporaryDirectory() as tmp:
    book = os.path.join(tmp, "grades.csv")
    g = subprocess.run([gc, "grade", os.path.join(here, "rnn_many_to_one.yaml"),
                        os.path.join(here, "submissions_m2o"), "--gradebook",
                        book], capture_output=True, text=True)
    check(g.returncode == 0, "grade rnn_many_to_one: exit %d %s"
          % (g.returncode, g.stderr.strip()[:200]))
    rows = {}
    if os.path.exists(book):
        with open(book) as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
    for sid, want in (("ann", ("agree", "agree", "agree", "7")),
                      ("bob", ("disagree", "agree", "disagree", "4")),
                      ("cat", ("agree", "agree", "agree", "7")),
                      ("dev", ("agree", "disagree", "agree", "5"))):
        r = rows.get(sid)
        if r and r["dL/dU verdict"] == "not run" and sid in ("cat", "dev"):
            n += 1
            print("ok %d - # SKIP %s: C submissions cannot run here" % (n, sid))
            continue
        got = (r["dL/dU verdict"], r["dL/dW verdict"], r["dL/db verdict"],
               r["total"]) if r else None
        check(got == want, "grade rnn_many_to_one %s: %s (found %s)"
              % (sid, want, got))

# Formula submissions of the RNN with a loss at every step, whose forward
# pass starts with h[0] = zeros(n) on a line of its own: una's dL/dh[t] =
# V^T @ e[t] + W^T @ g[t+1] answers the steps 1..T (e[0] does not exist;
# it was 'invalid: index 0 is out of range'), right, 3/3; vic sends the
# later step's dL/dh back without its tanh', wrong in both, 0/3.
with tempfile.TemporaryDirectory() as tmp:
    book = os.path.join(tmp, "grades.csv")
    g = subprocess.run([gc, "grade", os.path.join(here, "rnn_seq_mse.yaml"),
                        os.path.join(here, "submissions_seq"), "--gradebook",
                        book], capture_output=True, text=True)
    rows = {}
    if os.path.exists(book):
        with open(book) as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
    for sid, want in (("una", ("agree", "agree", "3")),
                      ("vic", ("disagree", "disagree", "0"))):
        r = rows.get(sid)
        got = (r["dL/dh verdict"], r["dL/dW verdict"], r["total"]) if r \
            else None
        check(g.returncode == 0 and got == want,
              "grade rnn_seq_mse %s: %s (found %s)" % (sid, want, got))

print("# largest relative differences from torch (entries above 1e-8): "
      "loss %.1e, numeric %.1e, analytic %.1e, Hessian %.1e"
      % (worst["loss"], worst["numeric"], worst["analytic"],
         worst["hessian"]))
print("1..%d" % n)
sys.exit(1 if failed else 0)
