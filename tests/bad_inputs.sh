#!/usr/bin/env bash
# bad_inputs.sh GRADCHECK SOURCE_ROOT: every hostile input in tests/bad/
# must give exit 2 and exactly the message in its .expect file (@FILE@
# stands for the path), within a memory limit, and write no output file.
# Also a case file over the size limit, generated here.  TAP out.
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Memory bound: 256 MiB of address space.  AddressSanitizer reserves
# terabytes of shadow address space, so the sanitized build runs unbounded.
limit_kb=262144
if ldd "$gc" 2>/dev/null | grep -q libasan; then limit_kb=unlimited; fi
n=0

check() {   # check FILE EXPECTED_MESSAGE
    local file=$1 want=$2
    n=$((n + 1))
    ( ulimit -v "$limit_kb"; exec "$gc" run "$file" -o "$tmp/out.json" ) \
        >/dev/null 2>"$tmp/err"
    local st=$?
    local got
    got=$(cat "$tmp/err")
    if [ "$st" -eq 2 ] && [ "$got" = "$want" ] && [ ! -e "$tmp/out.json" ]; then
        echo "ok $n - $(basename "$file"): exit 2, $want"
    else
        echo "not ok $n - $(basename "$file")"
        echo "# exit $st (wanted 2)"
        echo "# got:    $got"
        echo "# wanted: $want"
    fi
}

for f in "$root"/tests/bad/*.yaml; do
    want=$(sed "s|@FILE@|$f|" "${f%.yaml}.expect")
    check "$f" "$want"
done

# a case file just over the 4 MiB limit: refused before it is parsed
big="$tmp/huge.yaml"
{ printf 'name: huge\n# '; head -c 4194304 /dev/zero | tr '\0' 'x'; printf '\n'; } > "$big"
check "$big" "gradcheck: $big: larger than the case file limit of 4194304 bytes"

echo "1..$n"
