# tap.sh: helpers for the shell tests, sourced after setting gc (the
# program), root (the source tree) and tmp (a scratch folder).
#   ok DESCRIPTION COMMAND...   one TAP test point: passes when COMMAND does
#   status EXPECTED COMMAND...  COMMAND's exit status is EXPECTED; its stdout
#                               goes to $tmp/out, its stderr to $tmp/err
#   done_testing                prints the plan line
n=0
failed=0

ok() {
    local desc=$1
    shift
    n=$((n + 1))
    if "$@" >"$tmp/log" 2>&1; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        sed 's/^/# /' "$tmp/log" | head -30
        failed=$((failed + 1))
    fi
}

status() {
    local want=$1
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" -eq "$want" ] || {
        echo "exit $got, wanted $want"
        cat "$tmp/out" "$tmp/err"
        return 1
    }
}

done_testing() {
    echo "1..$n"
}
