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

# the gradebook read as a spreadsheet would: Python's csv module
csvcol() {   # csvcol FILE: "id total" per row
    python3 -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))
i = rows[0].index('total')
for r in rows[1:]: print(r[0], r[i])" "$1"
}
ok "the gradebook has a header with each answer's points and messages, one row per submission" \
    python3 -c "
import csv, sys
rows = list(csv.reader(open('$tmp/book.csv', encoding='utf-8', newline='')))
want = ['id', 'file', 'dL/dw verdict', 'dL/dw score (of 2)', 'dL/dv verdict',
        'dL/dv score (of 3)', 'dL/dh verdict', 'dL/dh score (of 1)', 'total',
        'max', 'dL/dw message', 'dL/dv message', 'dL/dh message']
sys.exit(not (rows[0] == want and len(rows) == 21 and all(len(r) == 13 for r in rows)))"
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
    bash -c "$(declare -f csvcol); diff <(csvcol '$tmp/book.csv') <(echo '$expected')"
ok "a crash, an endless loop, a huge allocation and a compile error are verdicts" \
    bash -c "grep -q '^mallory,.*crashed: SIGSEGV' '$tmp/book.csv' && grep -q '^nina,.*,timeout,' '$tmp/book.csv' && grep -q '^oscar,.*,out of memory,' '$tmp/book.csv' && grep -q '^peggy,.*,compile error,' '$tmp/book.csv'"
ok "one results.json per submission" \
    bash -c "[ \$(ls '$tmp/results'/*/results.json | wc -l) -eq 20 ]"
ok "each results.json scores what the gradebook does" \
    bash -c "$(declare -f csvcol); csvcol '$tmp/book.csv' | while read id total; do
        s=\$(python3 -c \"import json, sys; print(json.load(open(sys.argv[1]))['score'])\" '$tmp/results/'\$id/results.json)
        awk -v a=\"\$s\" -v b=\"\$total\" 'BEGIN {exit !(a == b)}' || { echo \"\$id: \$s vs \$total\"; exit 1; }
    done"
ok "every results.json passes the field-by-field check of Gradescope's format" \
    python3 "$root/tests/gradescope_check.py" "$tmp"/results/*/results.json
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
ok "exit 2 for a folder without submissions, the folder named" \
    bash -c "$(declare -f status); tmp='$tmp'; status 2 '$gc' grade swish_001_4_4 '$tmp/empty' && grep -q '^gradcheck: $tmp/empty: no submissions in this folder' '$tmp/err'"
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

# --- every student accounted for (tests/grade/class: folders per student,
# a README, notes, a .py, an id used twice, an id in Latin-1)
ok "a class folder grades one row per student" \
    status 0 "$gc" grade "$root/tests/grade/cnn1d_homework.yaml" "$root/tests/grade/class" \
    --gradebook "$tmp/class.csv"
ok "each file not graded is named on stderr with why" \
    bash -c "grep -q 'class/README.md: skipped: not a submission' '$tmp/err' && grep -q 'class/notes.md: skipped' '$tmp/err' && grep -q 'class/alice/notes.md: skipped' '$tmp/err'"
ok "an id given twice is warned about, and both rows kept" \
    bash -c "grep -q 'warning: id carol is given by 2 submissions' '$tmp/err' && [ \$(grep -c '^  carol ' '$tmp/out') -eq 2 ]"
ok "the gradebook is valid UTF-8 with the Latin-1 id repaired" \
    python3 -c "
import csv
rows = list(csv.reader(open('$tmp/class.csv', encoding='utf-8', errors='strict', newline='')))
ids = sorted(r[0] for r in rows[1:])
assert ids == ['alice', 'bob', 'carol', 'carol', 'dave', 'frank', 'hw', 'ren\ufffde'], ids"
ok "without a grading: section, a warning that the maxima are the union of the answers" \
    bash -c "$(declare -f status); tmp='$tmp'; status 0 '$gc' grade tanh_net_004_q1 '$root/cases/submissions/tanh_net_004_q1' && grep -q 'no grading: section.*union' '$tmp/err'"

ok "a file saved on Windows (byte-order mark, CRLF, ANSWERS.TXT) is graded like any other" \
    bash -c "$(declare -f status); tmp='$tmp'; status 0 '$gc' grade -v '$root/tests/grade/cnn1d_homework.yaml' '$root/tests/grade/windows' && grep -Eq '^  wanda +6/6' '$tmp/out' && ! grep -q 'not graded' '$tmp/out'"

# a 3 x 4 matrix where the 4 x 3 dL/dW1 is due: invalid, and says why
printf 'dL/dW1 = ones(3, 4)\n' > "$tmp/transposed.txt"
ok "a matrix of the transposed shape is named so" \
    bash -c "'$gc' grade -v relu3_reg_002_1_1_1 '$tmp/transposed.txt' 2>/dev/null | grep -q 'gives a 3 x 4 matrix where dL/dW1 needs a 4 x 3 matrix: the transpose.s shape (rows and columns swapped?)'"

# --- one student, as Gradescope runs it, and the format check itself
ok "--student and --results-json write one results.json that passes the check" \
    bash -c "'$gc' grade --student 'ken@example.edu' --results-json '$tmp/one.json' --visibility hidden --hide-values --partial-credit '$root/tests/grade/cnn1d_homework.yaml' '$root/tests/grade/homework/s11_ken.txt' >/dev/null; [ \$? -le 1 ] && python3 '$root/tests/gradescope_check.py' '$tmp/one.json' && grep -q '\"visibility\": \"hidden\"' '$tmp/one.json' && ! grep -q 0.0720786 '$tmp/one.json'"
ok "--results-json without --student is a usage error" \
    status 2 "$gc" grade --results-json "$tmp/x.json" swish_001_4_4 "$tmp/wrong_expect.txt"
ok "a bad --visibility is a usage error" \
    status 2 "$gc" grade --visibility public swish_001_4_4 "$tmp/wrong_expect.txt"
# each bad file breaks one documented rule; the checker must refuse it
bad_json() { printf '%s' "$2" > "$tmp/bad_$1.json"; ! python3 "$root/tests/gradescope_check.py" "$tmp/bad_$1.json" >/dev/null; }
ok "the format check refuses an undocumented key" bad_json key '{"score": 1, "grade": 1, "tests": []}'
ok "the format check refuses a visibility Gradescope does not have" bad_json vis '{"score": 0, "visibility": "public", "tests": []}'
ok "the format check refuses a test status other than passed or failed" bad_json status '{"score": 0, "tests": [{"name": "a", "score": 0, "max_score": 1, "status": "ok", "output": ""}]}'
ok "the format check refuses a number given as a number where a string is due" bad_json number '{"score": 0, "tests": [{"name": "a", "number": 1, "score": 0, "max_score": 1, "status": "failed", "output": ""}]}'
ok "the format check refuses invalid UTF-8" bad_json utf8 $'{"score": 0, "output": "caf\xe9", "tests": []}'
ok "the format check refuses a score that is not the tests' sum" bad_json sum '{"score": 2, "tests": [{"name": "a", "score": 1, "max_score": 1, "status": "passed", "output": ""}]}'
ok "the format check refuses a leaderboard order other than asc or desc" bad_json board '{"score": 0, "tests": [], "leaderboard": [{"name": "t", "value": 1, "order": "up"}]}'

# --- --color on every command; "did you mean" for an unknown case
ok "grade --color always colours the verdicts" \
    bash -c "'$gc' grade --color always swish_001_4_4 '$root/cases/submissions/swish_001_4_4' | grep -q \$'\\033\\[32magree'"
ok "grade --color never does not" \
    bash -c "! '$gc' grade --color never swish_001_4_4 '$root/cases/submissions/swish_001_4_4' | grep -q \$'\\033'"
ok "golden check --color always colours ok" \
    bash -c "'$gc' golden check --color always swish_001_4_4 | grep -q \$'\\033\\[32mok'"
ok "list, run and new accept --color" \
    bash -c "'$gc' list --color never >/dev/null && '$gc' run --color never swish_001_4_4 >/dev/null && '$gc' new --color never '$tmp/colored.yaml' >/dev/null && [ -s '$tmp/colored.yaml' ]"
ok "a bad --color is a usage error on every command" \
    bash -c "for c in 'list' 'run swish_001_4_4' 'golden check swish_001_4_4' 'grade swish_001_4_4 $tmp/wrong_expect.txt' 'new $tmp/never.yaml'; do '$gc' \$c --color sometimes >/dev/null 2>&1; [ \$? -eq 2 ] || { echo \"\$c\"; exit 1; }; done"
ok "an unknown case offers the closest names: run cnn1d" \
    bash -c "$(declare -f status); tmp='$tmp'; status 2 '$gc' run cnn1d && grep -q 'did you mean cnn1d_000_p3, cnn1d_000_p3_net?' '$tmp/err'"
ok "a misspelt case offers the closest name: grade tanh_net_004_q2" \
    bash -c "$(declare -f status); tmp='$tmp'; status 2 '$gc' grade tanh_net_004_q2 '$tmp/wrong_expect.txt' && grep -q 'did you mean tanh_net_004_q1, tanh_net_004_q1_net?' '$tmp/err'"

# --- symbolic links in a submissions folder that lead out of it: never
# read (nothing of the target reaches any output), each a verdict
mkdir -p "$tmp/links/class/bob" "$tmp/links/class/carol" "$tmp/links/private"
printf 'dL/dW2 = TOPSECRET_KEY\n' > "$tmp/links/private/key.txt"
printf 'g2 = s2 - y\ndL/dW2 = outer(g2, a1)\ndL/db2 = g2\n' > "$tmp/links/class/alice.txt"
cp "$tmp/links/class/alice.txt" "$tmp/links/class/carol/answer.txt"
ln -s "$tmp/links/private/key.txt" "$tmp/links/class/eve.txt"
ln -s ../../private/key.txt "$tmp/links/class/bob/answer.txt"
ln -s ../../private "$tmp/links/class/carol/more"
ln -s alice.txt "$tmp/links/class/dave.txt"           # inside: graded
ok "links leading out of the submissions folder are not read; each is a verdict" \
    bash -c "$(declare -f status); tmp='$tmp'; status 0 '$gc' grade '$root/tests/networks/mlp2_relu.yaml' '$tmp/links/class' -v --gradebook '$tmp/links/book.csv' &&
    ! grep -rq TOPSECRET '$tmp/out' '$tmp/err' '$tmp/links/book.csv' &&
    grep -q 'eve.txt is a symbolic link to a file outside the submissions folder: not read' '$tmp/out' &&
    grep -q 'no submission file in .*/bob: it holds only symbolic links to files outside the submissions folder (1), not read' '$tmp/out' &&
    grep -q 'warning: .*carol/more: skipped: a symbolic link to a file outside' '$tmp/err' &&
    grep -q '^  carol .*3/6' '$tmp/out' && grep -q '^  dave .*3/6' '$tmp/out' &&
    grep -q '^  eve .*0/6 .*invalid' '$tmp/out' && grep -q '^  bob .*0/6 .*invalid' '$tmp/out'"

done_testing
[ "$failed" -eq 0 ]
