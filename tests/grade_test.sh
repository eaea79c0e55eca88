#!/usr/bin/env bash
# grade_test.sh GRADCHECK SOURCE_ROOT: `gradcheck grade` on real
# submissions, TAP out.  The seeds' own answers (cases/submissions/) get
# the verdicts their expect: lines state; the twenty submissions of
# tests/grade/homework/ (right, wrong, broken, crashing, looping,
# allocating) grade in one command into a CSV and results.json files with
# the scores the math gives; exit codes and files as documented.
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# --- the seeds' own answers, each folder against its case
for d in "$root"/cases/submissions/*/; do
    c=$(basename "$d")
    ok "seed answers for $c get the verdicts they should" \
        status 0 "$gc" grade --cpu-limit 2 --timeout 10 "$c" "$d"
done

# --- twenty submissions in one command
t0=$(date +%s.%N)
ok "twenty submissions, broken ones among them, grade in one command" \
    status 0 "$gc" grade "$root/tests/grade/cnn1d_homework.yaml" \
    "$root/tests/grade/homework" --cpu-limit 1 --timeout 5 \
    --gradebook "$tmp/book.csv" --results-dir "$tmp/results"
t1=$(date +%s.%N)
cp "$tmp/out" "$tmp/summary"
echo "# graded 20 submissions (5 of them C, one looping for its 1 s CPU limit) in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s"

ok "the gradebook has a header and one row per submission" \
    bash -c "[ \$(wc -l < '$tmp/book.csv') -eq 21 ] && head -1 '$tmp/book.csv' | grep -q '^id,file,dL/dw verdict,dL/dw score,dL/dv verdict,dL/dv score,dL/dh verdict,dL/dh score,total,max'"
expected="alice 6
bob 6
carol 3
dave 0
erin 3
frank 4
grace 4
heidi 5
ivan 5
judy 4
ken 3
leo 6
mallory 0
nina 0
oscar 0
peggy 0
quinn 0
rupert 3
sybil 0
trent 6"
ok "every total in the gradebook is the one the math gives" \
    bash -c "diff <(tr -d '\r' < '$tmp/book.csv' | awk -F, 'NR > 1 {print \$1, \$(NF-1)}') <(echo '$expected')"
ok "a crash, an endless loop, a huge allocation and a compile error are verdicts" \
    bash -c "grep -q '^mallory,.*crashed: SIGSEGV' '$tmp/book.csv' && grep -q '^nina,.*,timeout,' '$tmp/book.csv' && grep -q '^oscar,.*,out of memory,' '$tmp/book.csv' && grep -q '^peggy,.*,compile error,' '$tmp/book.csv'"
ok "one results.json per submission" \
    bash -c "[ \$(ls '$tmp/results'/*/results.json | wc -l) -eq 20 ]"
ok "each results.json scores what the gradebook does, with Gradescope's fields" \
    bash -c "tr -d '\r' < '$tmp/book.csv' | awk -F, 'NR > 1 {print \$1, \$(NF-1)}' | while read id total; do
        f='$tmp/results/'\$id/results.json
        s=\$(sed -n 's/^  \"score\": \\(.*\\),\$/\\1/p' \"\$f\")
        awk -v a=\"\$s\" -v b=\"\$total\" 'BEGIN {exit !(a == b)}' || { echo \"\$id: \$s vs \$total\"; exit 1; }
        for k in '\"tests\"' '\"name\"' '\"max_score\"' '\"output\"' '\"visibility\"'; do
            grep -q \"\$k\" \"\$f\" || { echo \"\$id: no \$k\"; exit 1; }
        done
    done"
ok "the student sees where a formula breaks (line and column)" \
    grep -q 'line 8, column 74: expected' "$tmp/results/erin/results.json"
ok "the instructor summary counts the right answers per formula" \
    bash -c "grep -Eq '^  dL/dw +2 +10/20 ' '$tmp/summary' && grep -Eq '^  dL/dv +3 +9/20 +disagree \(3\)' '$tmp/summary' && grep -q 'mean score 2.9 of 6' '$tmp/summary'"
ok "no temporary files are left beside the gradebook" \
    bash -c "! ls -A '$tmp' '$tmp/results'/* | grep -q '[.]tmp'"

# --- exit codes and trouble
printf 'expect: dL/dx disagree\ndL/dx[i] = sigmoid(beta x[i]) + beta x[i] dsigmoid(beta x[i])\n' > "$tmp/wrong_expect.txt"
ok "exit 1 when a verdict is not the one an expect: line states" \
    status 1 "$gc" grade swish_001_4_4 "$tmp/wrong_expect.txt"
ok "the unmet expectation is named" \
    grep -q 'EXPECTATION NOT MET: line 1: expected dL/dx disagree, graded agree' "$tmp/out"
ok "exit 2 for an unknown case" status 2 "$gc" grade nosuchcase "$tmp/wrong_expect.txt"
ok "exit 2 without submissions" status 2 "$gc" grade swish_001_4_4
ok "exit 2 for a missing submission" status 2 "$gc" grade swish_001_4_4 "$tmp/nothing.txt"
mkdir -p "$tmp/empty"
ok "exit 2 for a folder without submissions" status 2 "$gc" grade swish_001_4_4 "$tmp/empty"
ok "exit 2 when the gradebook cannot be written, and no file" \
    bash -c "'$gc' grade swish_001_4_4 '$root/cases/submissions/swish_001_4_4' --gradebook '$tmp/no/such/dir/b.csv' >/dev/null 2>&1; [ \$? -eq 2 ] && [ ! -e '$tmp/no' ]"
ok "a C compiler that cannot be run is the grader's trouble (exit 2), not a verdict" \
    status 2 "$gc" grade --cc no-such-compiler "$root/tests/grade/cnn1d_homework.yaml" \
    "$root/tests/grade/homework/s12_leo.c"
ok "bad limits are usage errors" status 2 "$gc" grade --cpu-limit lots swish_001_4_4 "$tmp/wrong_expect.txt"
ok "--help lists grade" bash -c "'$gc' --help | grep -q 'grade CASE SUBMISSION'"
ok "--c-header CASE follows the case's shape (backprop_003_3 with L = 4 has w4)" \
    bash -c "'$gc' grade --c-header backprop_003_3 | grep -q 'gcs_const w4;'"
printf '#include "gradcheck_submission.h"\nvoid backprop_003_3_gradient(const backprop_003_3_in *in, backprop_003_3_grad *d) { (void)in; (void)d; }\n' > "$tmp/bp.c"
cp "$root/include/gradcheck_submission.h" "$tmp/"     # a stale copy beside it
ok "a C submission compiles against its case's shape, whatever copy of the header sits beside it" \
    bash -c "'$gc' grade backprop_003_3 '$tmp/bp.c' | grep -Eq '^  bp +0/8 +disagree'"
"$gc" grade --c-header > "$tmp/gradcheck_submission.h"
ok "the generated C header compiles on its own with -Wall -Werror" \
    cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c "$tmp/gradcheck_submission.h"

done_testing
[ "$failed" -eq 0 ]
