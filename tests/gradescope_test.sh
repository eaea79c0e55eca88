#!/usr/bin/env bash
# gradescope_test.sh SOURCE_ROOT: the Gradescope template end to end, TAP
# out.  From a fresh clone of the repository: make-autograder builds the
# zip for tests/grade/cnn1d_homework.yaml (visibility after_published,
# values hidden, partial credit); the zip is unpacked into a temporary
# folder standing in for /autograder (GRADCHECK_AUTOGRADER_ROOT); setup.sh
# builds gradcheck there; run_autograder grades three uploads as Gradescope
# would hand them over (with submission_metadata.json, without, and an
# upload with nothing gradable) and each results.json passes the
# field-by-field check of Gradescope's documented format
# (tests/gradescope_check.py) with the scores the mathematics gives.
set -u
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
check=$root/tests/gradescope_check.py

ok "a fresh clone of the repository" \
    git clone -q "$root" "$tmp/clone"
ok "make-autograder refuses a case without a grading: section" \
    status 2 "$tmp/clone/scripts/gradescope/make-autograder" tanh_net_004_q1 -o "$tmp/no.zip"
ok "make-autograder builds the zip" \
    status 0 "$tmp/clone/scripts/gradescope/make-autograder" \
    "$tmp/clone/tests/grade/cnn1d_homework.yaml" --visibility after_published \
    --hide-values --partial-credit -o "$tmp/autograder.zip"
ag=$tmp/autograder
mkdir -p "$ag/source" "$ag/submission"
unpack() {   # as Gradescope's unzip does: files at the root, modes kept
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert "setup.sh" in names and "run_autograder" in names, names[:5]
for i in z.infolist():
    p = z.extract(i, sys.argv[2])
    mode = i.external_attr >> 16
    if mode and not i.is_dir():
        os.chmod(p, mode & 0o7777)
PY
}
ok "setup.sh and run_autograder sit at the root of the zip, executable" \
    bash -c "python3 -c \"
import zipfile, sys
z = zipfile.ZipFile('$tmp/autograder.zip')
m = {i.filename: i.external_attr >> 16 for i in z.infolist()}
sys.exit(not (m['setup.sh'] & 0o111 and m['run_autograder'] & 0o111 and 'case.yaml' in m and 'autograder.conf' in m))\""
unpack "$tmp/autograder.zip" "$ag/source"
t0=$(date +%s)
ok "setup.sh installs what is missing and builds gradcheck" \
    env GRADCHECK_AUTOGRADER_ROOT="$ag" "$ag/source/setup.sh"
echo "# setup.sh took $(( $(date +%s) - t0 )) s"

run() {   # run NAME: run_autograder on what is in $ag/submission
    rm -rf "$ag/results"
    GRADCHECK_AUTOGRADER_ROOT="$ag" "$ag/source/run_autograder" > "$tmp/$1.stdout" 2>&1
}
score() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['score'])" "$1"; }

# 1. ken, with Gradescope's metadata: dL/dw right (2), dL/dh right (1),
# dL/dv right in entries 1 and 2 of 3 (3 x 2/3 = 2): 5 with partial credit
cp "$root/tests/grade/homework/s11_ken.txt" "$ag/submission/answers.txt"
echo "scratch" > "$ag/submission/notes.md"
cat > "$ag/submission_metadata.json" <<'JSON'
{"id": 123456, "created_at": "2026-11-30T14:22:32.365935-07:00",
 "assignment": {"due_date": "2026-12-07T23:00:00.000000-07:00",
   "group_size": null, "group_submission": false, "id": 25828,
   "course_id": 1234, "late_due_date": null,
   "release_date": "2026-11-30T00:00:00.000000-07:00",
   "title": "Homework 3", "total_points": "6.0"},
 "submission_method": "upload",
 "users": [{"email": "ken@example.edu", "id": 1234, "name": "Ken Student"}],
 "previous_submissions": []}
JSON
ok "run_autograder exits 0 and writes results.json" \
    bash -c "$(declare -f run); ag='$ag' tmp='$tmp'; run ken && [ -s '$ag/results/results.json' ]"
cp "$ag/results/results.json" "$tmp/ken.json"
ok "ken's results.json passes the field-by-field check" python3 "$check" "$tmp/ken.json"
ok "partial credit: 2 + 3 x 2/3 + 1 = 5" \
    bash -c "[ \"\$(python3 -c \"import json; print(json.load(open('$tmp/ken.json'))['score'])\")\" = 5.0 ]"
ok "visibility after_published on the result and on every test" \
    python3 -c "
import json, sys
d = json.load(open('$tmp/ken.json'))
sys.exit(not (d['visibility'] == 'after_published' and all(t['visibility'] == 'after_published' for t in d['tests'])))"
ok "the right value of dL/dv[3] (0.0720786) is not revealed, ken's own 0.412793 is" \
    bash -c "! grep -q '0.0720786' '$tmp/ken.json' && grep -q '0.412793' '$tmp/ken.json'"
ok "the id comes from submission_metadata.json" \
    grep -q 'ken@example.edu' "$tmp/ken.stdout"

# 2. alice, no metadata: full marks
rm -f "$ag/submission"/* "$ag/submission_metadata.json"
cp "$root/tests/grade/homework/s01_alice.txt" "$ag/submission/"
ok "alice without metadata: 6 of 6" \
    bash -c "$(declare -f run); ag='$ag' tmp='$tmp'; run alice && python3 '$check' '$ag/results/results.json' && [ \"\$(python3 -c \"import json; print(json.load(open('$ag/results/results.json'))['score'])\")\" = 6.0 ]"

# 3. an upload with nothing gradcheck can grade
rm -f "$ag/submission"/*
echo 'print(1)' > "$ag/submission/answers.py"
ok "an upload with only a .py file: 0, and the student is told why" \
    bash -c "$(declare -f run); ag='$ag' tmp='$tmp'; run py && python3 '$check' '$ag/results/results.json' && grep -q 'it holds answers.py' '$ag/results/results.json'"

# 4. the grader's own trouble: still a results.json, saying so
mv "$ag/source/case.yaml" "$ag/source/case.yaml.away"
ok "a broken autograder still writes a results.json that says so" \
    bash -c "$(declare -f run); ag='$ag' tmp='$tmp'; run broken && python3 '$check' -s '$ag/results/results.json' && grep -q \"autograder's trouble\" '$ag/results/results.json'"
mv "$ag/source/case.yaml.away" "$ag/source/case.yaml"

done_testing
[ "$failed" -eq 0 ]
