#!/usr/bin/env bash
# sandbox_test.sh GRADCHECK SOURCE_ROOT: the sandbox from the command line
# (docs/grading.md, "The sandbox"), TAP out.  Where isolation cannot be set
# up -- here user namespaces forbidden (user.max_user_namespaces = 0)
# inside a user namespace of the test's own, as a container or a locked
# down kernel would -- C submissions are graded `not run`, the cause and
# the way out said once on stderr, formula submissions graded as usual;
# --trust-submissions runs them anyway with a warning.
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

hw=$root/tests/grade/cnn1d_homework.yaml
mkdir -p "$tmp/subs"
# a right C answer and a right formula answer, their expect: lines dropped
# (a `not run` verdict is not the one they state), ids from the file names
grep -Ev 'expect:|id:' "$root/tests/grade/hostile/right.c" > "$tmp/subs/right_c.c"
grep -Ev 'expect:|id:' "$root/tests/grade/homework/s01_alice.txt" > "$tmp/subs/alice.txt"

# no_userns CMD...: CMD where creating a user namespace fails
no_userns() {
    unshare --user --map-root-user sh -c \
        'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh "$@"
}
if ! no_userns true 2>/dev/null; then
    n=$((n + 1))
    echo "ok $n # SKIP this machine gives the test no user namespace of its own to forbid them in"
    done_testing
    exit 0
fi

ok "without user namespaces the batch still grades, exit 0" \
    status 0 no_userns "$gc" grade "$hw" "$tmp/subs" --gradebook "$tmp/book.csv"
ok "the C submission is 'not run', the formula one graded" \
    bash -c "grep -Eq '^  right_c +0/6 +not run +not run +not run' '$tmp/out' && grep -Eq '^  alice +6/6 +agree' '$tmp/out'"
ok "the gradebook says 'not run'" \
    grep -q '^right_c,.*,not run,0,not run,0,not run,0,0,6' "$tmp/book.csv"
ok "stderr says it once, with the cause and the way out" \
    bash -c "[ \$(wc -l < '$tmp/err') -eq 1 ] && grep -q '^gradcheck: 1 C submission not run: cannot be isolated on this machine (creating user, PID, mount and network namespaces: .*user.max_user_namespaces = 0).*--trust-submissions' '$tmp/err'"
ok "--trust-submissions runs it there, with a warning" \
    status 0 no_userns "$gc" grade "$hw" "$tmp/subs/right_c.c" --trust-submissions
ok "... graded agree" grep -Eq '^  right_c +6/6 +agree' "$tmp/out"
ok "... the warning says what trusting means" \
    grep -q '^gradcheck: warning: --trust-submissions: C submissions run with resource limits only, not isolated' "$tmp/err"
ok "isolated where it can be: no warning, no message, agree" \
    bash -c "'$gc' grade '$hw' '$tmp/subs/right_c.c' > '$tmp/o2' 2> '$tmp/e2' && [ ! -s '$tmp/e2' ] && grep -Eq '^  right_c +6/6 +agree' '$tmp/o2'"
ok "--help names --trust-submissions" \
    bash -c "'$gc' --help | grep -q -- '--trust-submissions'"

done_testing
[ "$failed" -eq 0 ]
