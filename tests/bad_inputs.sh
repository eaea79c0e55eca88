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

# A network derivation's file: that is a FIFO (open would wait for a writer
# forever), a directory, or nothing: refused at once, naming the file.
mkfifo "$tmp/fifo.txt"
mkdir "$tmp/folder.txt"
for what in fifo.txt folder.txt '""'; do
    case $what in
        fifo.txt) msg="file: $tmp/fifo.txt is not a regular file, expected a formula file (text)" ;;
        folder.txt) msg="file: $tmp/folder.txt is a directory, expected a formula file (text)" ;;
        *) msg="file: expected the name of a formula file (relative to the case file), found nothing" ;;
    esac
    cat > "$tmp/net_file.yaml" <<EOF
name: net_file
network:
  params: {b: [2]}
  forward: |
    L = dot(b, b)
random: {seed: 1}
derivations:
  mine: {file: $what}
EOF
    check "$tmp/net_file.yaml" "gradcheck: $tmp/net_file.yaml:8:16: $msg"
done

# A derivation's formula file saved by a Windows editor (byte-order mark)
# with old Mac line ends (lone CR): the mark is no character and CR ends a
# line, so the unknown name q is at line 2, column 13 of the file.
printf '\xef\xbb\xbfg = b\rdL/db = g + q\r' > "$tmp/mac.txt"
cat > "$tmp/net_file.yaml" <<EOF
name: net_file
network:
  params: {b: [2]}
  forward: |
    L = dot(b, b)
random: {seed: 1}
derivations:
  mine: {file: mac.txt}
EOF
check "$tmp/net_file.yaml" "gradcheck: $tmp/mac.txt:2:13: unknown name \"q\" (model net_file names: b)"

# A forward: block of 315 014 bytes (5000 comment lines): refused where it
# starts, with the submission limit it shares (it said "the submission has
# N bytes", with no place).
{
    printf 'name: big_forward\nnetwork:\n  params: {b: [2]}\n  forward: |\n'
    for i in $(seq 5000); do printf '    # %s\n' cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc; done
    printf '    L = dot(b, b)\nrandom: {seed: 1}\nderivations:\n  mine: {formulas: "dL/db = 2 b"}\n'
} > "$tmp/big_forward.yaml"
check "$tmp/big_forward.yaml" "gradcheck: $tmp/big_forward.yaml:4:12: network.forward: 315014 bytes of text, more than 262144 (GC_SUB_MAX_BYTES)"

# Hostile formula submissions: a submission never breaks the batch (issue 5),
# so each is graded `invalid` with the limit named, the grade exits 0, and
# the good submission beside them still gets its points, within the same
# memory limit.
python3 - "$tmp" <<'PY' 2>/dev/null || { head -c 10485760 /dev/zero | tr '\0' 'h' | sed 's/^/dL\/dw = /' > "$tmp/ten_mb.txt"; }
import sys
d = sys.argv[1]
open(d + "/ten_mb.txt", "w").write("dL/dw = " + "+".join(["h[1]"] * 2100000) + "\n")
open(d + "/deep.txt", "w").write("dL/dw = " + "(" * 100000 + "1" + ")" * 100000 + "\n")
PY
[ -f "$tmp/deep.txt" ] || { printf 'dL/dw = ' > "$tmp/deep.txt"; head -c 100000 /dev/zero | tr '\0' '(' >> "$tmp/deep.txt"; printf '1' >> "$tmp/deep.txt"; head -c 100000 /dev/zero | tr '\0' ')' >> "$tmp/deep.txt"; echo >> "$tmp/deep.txt"; }
printf 'dL/dw = 2 * (z - y) * z * (1 - z) * h\n' > "$tmp/good.txt"
n=$((n + 1))
( ulimit -v "$limit_kb"; exec "$gc" grade --cases "$root/cases" cnn1d_000_p3 \
    "$tmp/ten_mb.txt" "$tmp/deep.txt" "$tmp/good.txt" -v ) > "$tmp/grade.out" 2>&1
st=$?
if [ "$st" -eq 0 ] && grep -q "ten_mb .*invalid" "$tmp/grade.out" &&
   grep -q "larger than .*GC_SUB_MAX_BYTES" "$tmp/grade.out" &&
   grep -q "deep .*invalid" "$tmp/grade.out" &&
   grep -q "GC_FX_MAX_STATEMENT\|GC_FX_MAX_DEPTH" "$tmp/grade.out" &&
   grep -q "good .*agree" "$tmp/grade.out"; then
    echo "ok $n - a 10 MB formula and 100000 nested parentheses are graded invalid with the limit named; the batch finishes"
else
    echo "not ok $n - hostile submissions (exit $st)"
    sed 's/^/# /' "$tmp/grade.out" | head -20
fi

# A network whose values pass the address-space limit beside OpenBLAS's
# buffers: the "out of memory" names what was being read, its size, the
# limit and the fix (it said "out of memory" alone).  W is 2040 x 2040:
# 4161600 + 2040 entries, 8 bytes each = 31.8 MiB per copy.
n=$((n + 1))
if [ "$limit_kb" = unlimited ]; then
    echo "ok $n # SKIP no address-space limit under the sanitizers"
else
    printf '%s\n' 'name: big' 'network:' '  dims: {n: 2040}' \
        '  params: {W: [n, n], x: [n]}' '  forward: |' '    s = W @ x' \
        '    L = 0.5 dot(s, s)' \
        'random: {seed: 1, dist: normal, scale: 0.1}' 'points: 0' \
        'derivations:' '  mine:' '    formulas: |' '      dL/ds[1] = s[1]' \
        > "$tmp/big.yaml"
    ( ulimit -v "$limit_kb"; exec env -u OPENBLAS_NUM_THREADS "$gc" run \
        "$tmp/big.yaml" -o "$tmp/out.json" ) >/dev/null 2>"$tmp/err"
    st=$?
    if [ "$st" -eq 2 ] && [ ! -e "$tmp/out.json" ] &&
       grep -q "out of memory .* the case: its values take 31.8 MiB (4163640 parameter" "$tmp/err" &&
       grep -q "the address-space limit (ulimit -v) is 256 MiB, of which the libraries take some 90 MiB and OpenBLAS 128 MiB for each thread" "$tmp/err" &&
       grep -q "OPENBLAS_NUM_THREADS=1 in the environment starts none): raise the limit" "$tmp/err"; then
        echo "ok $n - out of memory names the values' size, the limit and the fix"
    else
        echo "not ok $n - out of memory message (exit $st)"
        sed 's/^/# /' "$tmp/err"
    fi
fi

echo "1..$n"
