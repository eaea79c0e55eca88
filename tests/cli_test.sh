#!/usr/bin/env bash
# cli_test.sh GRADCHECK SOURCE_ROOT: the real program on real inputs, TAP out.
# Exit codes (0 met, 1 unmet, 2 trouble), messages naming file:line, no
# partial output files, no colour when piped.
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

ok "--help answers and exits 0" \
    bash -c "'$gc' --help | grep -q 'run \\[CASE|FILE'"
ok "--version" bash -c "'$gc' --version | grep -q '^gradcheck [0-9]'"
ok "no arguments is a usage error (exit 2)" status 2 "$gc"
ok "unknown command exits 2" status 2 "$gc" frobnicate
ok "unknown option exits 2 and points at --help" \
    bash -c "'$gc' run --frob 2>&1 >/dev/null | grep -q \"Try 'gradcheck --help'\"; [ \${PIPESTATUS[0]} -eq 2 ]"
ok "bad --points value exits 2" status 2 "$gc" run --points many
ok "list shows the four models before the cases" \
    bash -c "'$gc' list | sed '/^cases in/q' | grep -c -E '^  (tanh_net_004_q1|sigmoid_chain_000_p2|rnn_bptt_000_p5|lstm_001_6_4) ' | grep -qx 4"

ok "every case meets its expectations (exit 0)" status 0 "$gc" run
ok "the catalogue fits a screen: one line per case as expected, under 60 lines" \
    bash -c "'$gc' run > '$tmp/cat'; [ \$(wc -l < '$tmp/cat') -lt 60 ] && grep -q '^lstm_001_6_4  *2 derivations as expected: 1 agree, 1 disagree\$' '$tmp/cat'"
ok "no colour codes when piped" bash -c "! grep -q \$'\\033' '$tmp/out'"
ok "the text report names the first wrong step of the LSTM seed" \
    bash -c "'$gc' run -v lstm_001_6_4 | grep -q 'first wrong, walking back from the loss: dL/d.*(time step t = 3)'"
ok "by default one line per derivation, with where it first goes wrong" \
    bash -c "'$gc' run lstm_001_6_4 > '$tmp/lstm'; [ \$(wc -l < '$tmp/lstm') -eq 5 ] && grep -q '^lstm_001_6_4  *seed  *disagree  *yes .*first wrong dL/dh\\[3\\]\\[3\\] at t = 3' '$tmp/lstm'"
ok "-q prints the summary line only" \
    bash -c "'$gc' run -q lstm_001_6_4 | grep -qx '1 case, 2 derivations (1 agree, 1 disagree), 0 claims: every verdict as expected'"

ok "JSON report to a file" status 0 "$gc" run --format json -o "$tmp/r.json"
# -o onto something that is not a regular file writes into it: renaming the
# temporary file over it would replace it (as root, -o /dev/null turned the
# machine's /dev/null into a plain file).  A FIFO stands for the device.
mkfifo "$tmp/fifo"
ok "-o onto a FIFO writes through it and leaves it a FIFO" bash -c "
    timeout 20 cat '$tmp/fifo' > '$tmp/fromfifo' & reader=\$!
    timeout 20 '$gc' run -q tanh_net_004_q1 -o '$tmp/fifo'; st=\$?
    wait \$reader
    [ \$st -eq 0 ] && [ -p '$tmp/fifo' ] && grep -q '^1 case, ' '$tmp/fromfifo'"
ok "-o onto a folder is an error (exit 2), the folder untouched" \
    bash -c "mkdir '$tmp/adir'; '$gc' run -q tanh_net_004_q1 -o '$tmp/adir' 2>/dev/null; [ \$? -eq 2 ] && [ -d '$tmp/adir' ]"
# Every key of the run report and of the screening report is documented
# (docs/reports.md, docs/screening.md); objects keyed by data (block names,
# dimensions, verdicts) are not walked.
json_keys_documented() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
doc = open(sys.argv[2]).read()
doc = doc[doc.index('\n## JSON report'):]          # its JSON section only
doc = doc[:doc.find('\n## ', 5)] if '\n## ' in doc[5:] else doc
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            if k not in ('shape', 'params', 'inputs', 'counts'):
                walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
walk(json.load(open(sys.argv[1])))
missing = sorted(k for k in keys if not re.search(r'(?<![\w])' + re.escape(k) + r'(?![\w])', doc))
print('undocumented:', ' '.join(missing) if missing else 'none', f'({len(keys)} keys)')
sys.exit(1 if missing else 0)
PY
}
ok "every key of the JSON report is in docs/reports.md" \
    json_keys_documented "$tmp/r.json" "$root/docs/reports.md"
ok "the JSON report says what it is: report run, schema 1" \
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['report'] == 'run' and d['schema'] == 1))" "$tmp/r.json"
ok "the screening report is a document of its own (report screen, schema 1)" \
    bash -c "'$gc' run --mode directional --format json -o '$tmp/s.json' lstm_001_6_4 rnn_bptt_000_p5 gru_bptt_001_6_5 && python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['report'] == 'screen' and d['schema'] == 1))\" '$tmp/s.json'"
ok "every key of the screening report is in docs/screening.md" \
    json_keys_documented "$tmp/s.json" "$root/docs/screening.md"
ok "--mode directional --format html is a usage error, and writes nothing" \
    bash -c "'$gc' run --mode directional --format html -o '$tmp/s.html' lstm_001_6_4 2>/dev/null; [ \$? -eq 2 ] && [ ! -e '$tmp/s.html' ]"
ok "the JSON report names every case" \
    bash -c "for c in tanh_net_004_q1 sigmoid_chain_000_p2_explode rnn_bptt_000_p5 lstm_001_6_4; do grep -q \"\\\"name\\\": \\\"\$c\\\"\" '$tmp/r.json' || exit 1; done"

# A malformed case: exit 2, file:line:column and what was expected, and no
# report file written.
cat > "$tmp/bad.yaml" <<'EOF'
name: bad
source: {seed: s.txt, problem: P1}
model: tanh_net_004_q1
params:
  W1: [[0.1, 0.2]]
  W2: [[0.2], [1], [-3]]
  W3: [[1], [2]]
inputs: {x: [2], y: [1]}
derivations: {seed: agree}
EOF
ok "a malformed case exits 2" status 2 "$gc" run "$tmp/bad.yaml" -o "$tmp/never.json"
ok "the message names file, line, column and what was expected" \
    grep -q "^gradcheck: $tmp/bad.yaml:5:7: params W1: expected 2 rows (shape 2 x 2), found 1" "$tmp/err"
ok "nothing is written when a case is malformed" test ! -e "$tmp/never.json"
ok "a malformed case among good ones stops the run" \
    status 2 "$gc" run tanh_net_004_q1 "$tmp/bad.yaml"
ok "unknown case name exits 2" status 2 "$gc" run no_such_case

# An expectation that does not hold: exit 1.
sed 's/seed: disagree/seed: agree/' "$root/cases/rnn_bptt_000_p5.yaml" > "$tmp/flip.yaml"
ok "an unmet expectation exits 1" status 1 "$gc" run "$tmp/flip.yaml"
ok "and the report marks it" grep -q "UNEXPECTED" "$tmp/out"

# Golden files: check against a copy, a missing one fails, update refuses
# under CI and otherwise restores.
mkdir -p "$tmp/golden"
ok "golden check fails when the golden file is missing (exit 1)" \
    status 1 "$gc" golden check --golden "$tmp/golden" tanh_net_004_q1
ok "and says how to create it on purpose" grep -q "no golden file" "$tmp/out"
ok "golden update refuses when CI is set (exit 2)" \
    env CI=true bash -c "'$gc' golden update --golden '$tmp/golden' tanh_net_004_q1 2>&1 | grep -q 'refuses to run when CI is set'; [ \${PIPESTATUS[0]} -eq 2 ]"
ok "and writes nothing" test ! -e "$tmp/golden/tanh_net_004_q1.golden"
ok "golden update creates it" env -u CI "$gc" golden update --golden "$tmp/golden" tanh_net_004_q1
ok "then golden check passes" status 0 "$gc" golden check --golden "$tmp/golden" tanh_net_004_q1
sed -i '0,/^entry\tseed\t0\tW1\[1\]\[2\]\t/s/^\(entry\tseed\t0\tW1\[1\]\[2\]\t\)1\./\12./' "$tmp/golden/tanh_net_004_q1.golden"
ok "an edited number fails the check (exit 1)" \
    status 1 "$gc" golden check --golden "$tmp/golden" tanh_net_004_q1
ok "with a table naming the entry" grep -q "seed @0 W1\[1\]\[2\] *analytic" "$tmp/out"
ok "and the received rows beside it" test -s "$tmp/golden/tanh_net_004_q1.golden.received"
ok "TAP mode carries the failure in the stream and exits 1 like the text" \
    bash -c "'$gc' golden check --format tap --golden '$tmp/golden' tanh_net_004_q1 > '$tmp/tap'; [ \$? -eq 1 ] && grep -q '^not ok .*derivation seed' '$tmp/tap' && grep -q '^  ---' '$tmp/tap'"
ok "JUnit XML names the failing testcase" \
    bash -c "'$gc' golden check --golden '$tmp/golden' --junit '$tmp/j.xml' tanh_net_004_q1 >/dev/null; grep -q '<testsuite name=\"tanh_net_004_q1\"' '$tmp/j.xml' && grep -q '<failure' '$tmp/j.xml'"
ok "golden update restores it" env -u CI "$gc" golden update --golden "$tmp/golden" tanh_net_004_q1
ok "and the check passes again, with the received file gone" \
    bash -c "'$gc' golden check --golden '$tmp/golden' tanh_net_004_q1 >/dev/null && test ! -e '$tmp/golden/tanh_net_004_q1.golden.received'"

# gradcheck new: a template of a network of one's own that runs as written,
# from any folder, needing nothing of the source tree (GRADCHECK_CASES
# points at an empty folder).
mkdir -p "$tmp/fresh" "$tmp/empty"
gc_abs=$(cd "$(dirname "$gc")" && pwd)/$(basename "$gc")
ok "new writes a template case" status 0 "$gc" new "$tmp/fresh/my_net.yaml"
ok "new never overwrites a file (exit 2)" status 2 "$gc" new "$tmp/fresh/my_net.yaml"
ok "the template runs as written and its derivation agrees (exit 0)" \
    bash -c "cd '$tmp/fresh' && GRADCHECK_CASES='$tmp/empty' '$gc_abs' run my_net.yaml > '$tmp/out' && grep -qE '^my_net +mine +agree +yes \\(none set\\)' '$tmp/out' \\
    && '$gc_abs' run -v --cases '$tmp/empty' my_net.yaml | grep -q 'derivation mine       agree (no expectation)'"
# finished with a mistake (the hidden layer's delta without the ReLU's
# derivative): no expectation, so exit 1, and the report names s1
sed -e 's/^      # g1 = \.\.\./      g1 = transpose(W2) @ g2/' \
    -e 's/^      # dL\/ds1 = g1/      dL\/ds1 = g1/' \
    -e 's/^      # dL\/dW1 = \.\.\./      dL\/dW1 = outer(g1, x)/' \
    "$tmp/fresh/my_net.yaml" > "$tmp/fresh/wrong.yaml"
ok "the template finished wrongly disagrees (exit 1)" \
    status 1 "$gc" run "$tmp/fresh/wrong.yaml"
ok "and names the first wrong quantity" \
    grep -q "first wrong, walking back from the loss: dL/ds1" "$tmp/out"

# networks written in case files through the other paths of the program
ok "a network case screened (--mode directional) meets its expectations" \
    status 0 "$gc" run --mode directional "$root/tests/networks/rnn_tanh.yaml"
sed '/^title:/d' "$root/tests/networks/zoo/conv2d_channels.yaml" > "$tmp/notitle.yaml"
ok "a network without a title (and a 4-axis weight) is screened, no '(null)', no dangling ':'" \
    bash -c "'$gc' run --mode directional '$tmp/notitle.yaml' > '$tmp/out' && head -1 '$tmp/out' | grep -qx 'conv2d_channels'"
ok "screening a derivation whose mistake is in its Hessian is no unmet expectation" \
    bash -c "'$gc' run --mode directional '$root/tests/networks/linear_hessian.yaml' > '$tmp/out' && grep -q 'identity   agree (expected disagree)  (its Jacobians and Hessian blocks are not screened: use --mode full)' '$tmp/out'"
ok "the screening report counts in the singular: '1 part screened'" \
    bash -c "'$gc' run --mode directional '$root/tests/networks/linear_hessian.yaml' | grep -q 'point 0 (given): agree, 1 part screened, 0 entries named, 18 forward passes, '"
ok "a network case's JSON report has its Hessian entries" \
    bash -c "'$gc' run --format json '$root/tests/networks/linear_hessian.yaml' | grep -q '\"hessians\"'"
ok "-v shows a Hessian block's worst entry only; -vv every entry at every point (3 x 36 x 3)" \
    bash -c "'$gc' run -v '$root/tests/networks/linear_hessian.yaml' > '$tmp/out' && grep -q '^    d2/dWdW ' '$tmp/out' && ! grep -q 'd2/dW\\[1\\]\\[1\\] dW' '$tmp/out' && '$gc' run -vv '$root/tests/networks/linear_hessian.yaml' | grep -c '^      d2/dW\\[.*@[0-2] ' | grep -qx 324"
ok "a network case on 3 threads meets its expectations" \
    status 0 "$gc" run -j 3 "$root/tests/networks/lstm_small.yaml"

ok "cases/meson.build lists every case file" bash -c "
    for f in '$root'/cases/*.yaml; do
        b=\$(basename \"\$f\" .yaml)
        grep -q \"'\$b'\" '$root/cases/meson.build' || { echo \"not listed: \$b\"; exit 1; }
    done"

# Installed data (docs/layout.md): a program outside the build tree reads
# <datadir>/gradcheck/, not the source tree; GRADCHECK_CASES overrides.
cp "$gc" "$tmp/gradcheck-installed"
libdir=$(dirname "$gc")
ok "a program outside the build tree looks for the installed cases" \
    bash -c "LD_LIBRARY_PATH='$libdir' '$tmp/gradcheck-installed' run tanh_net_004_q1 2>&1 | grep -q 'share/gradcheck/cases'"
ok "GRADCHECK_CASES overrides it" \
    bash -c "GRADCHECK_CASES='$root/cases' GRADCHECK_GOLDEN='$root/golden' LD_LIBRARY_PATH='$libdir' '$tmp/gradcheck-installed' golden check tanh_net_004_q1 >/dev/null"

done_testing
exit 0
