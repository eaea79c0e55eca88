#!/usr/bin/env bash
# html_test.sh GRADCHECK SOURCE_ROOT: every HTML page gradcheck writes,
# opened in headless Chromium (Debian's chromium, a test dependency that
# scripts/setup installs): the screenshot is not blank, the expected
# elements are in the DOM, and the console shows nothing (the page logs
# nothing itself, and its Content-Security-Policy turns any attempt to
# fetch something into a console message).  TAP out; skips with the reason
# when Chromium is missing or cannot start.
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "1..0 # SKIP chromium is not installed (Debian package chromium; ./scripts/setup installs it as root)"
    exit 0
fi
# render PAGE NAME: the DOM after scripts ran, a 1024x768 screenshot and
# Chromium's log (console messages are the lines with CONSOLE).
render() {
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu \
        --no-first-run --user-data-dir="$tmp/profile" \
        --enable-logging=stderr --v=0 --window-size=1024,768 \
        --screenshot="$tmp/$2.png" --dump-dom "file://$1" \
        > "$tmp/$2.dom" 2> "$tmp/$2.log"
}
printf '<!DOCTYPE html><title>probe</title><p>probe' > "$tmp/probe.html"
if ! render "$tmp/probe.html" probe || [ ! -s "$tmp/probe.png" ]; then
    echo "1..0 # SKIP chromium cannot run here: $(grep -v -e dbus -e '^\s*$' "$tmp/probe.log" | tail -1)"
    exit 0
fi
# not_blank NAME: more than a few colours, and something besides the
# background.
not_blank() {
    python3 "$here/png_colours.py" "$tmp/$1.png" | {
        read -r colours share
        echo "colours $colours, not background $share"
        [ "$colours" -ge 8 ] && python3 -c "import sys; sys.exit(0 if $share > 0.01 else 1)"
    }
}
no_console() { ! grep -F 'CONSOLE' "$tmp/$1.log"; }
not() { ! "$@"; }
# has NAME ERE...: every pattern is in the DOM
has() {
    local name=$1
    shift
    for p in "$@"; do grep -q -E -- "$p" "$tmp/$name.dom" || { echo "not in the DOM: $p"; return 1; }; done
}

# The run page: a recurrent case whose seed goes wrong at t = 2, the LSTM,
# and a case with claims.
"$gc" run --format html -o "$tmp/run.html" rnn_bptt_000_p5 lstm_001_6_4 tanh_net_004_q1 >/dev/null
ok "gradcheck run --format html writes the page" test -s "$tmp/run.html"
ok "the run page renders in Chromium" render "$tmp/run.html" run
ok "its screenshot is not blank" not_blank run
ok "the console shows nothing" no_console run
ok "the DOM has the summary, heatmaps, localisation and step plots" has run \
    'id="summary"' 'class="heatmap"' 'class="localisation"' 'class="step"' \
    'class="claims"' 'id="d-rnn_bptt_000_p5-seed"'
ok "the first wrong cell of the RNN seed is named" has run \
    'first wrong quantity is <strong class="first-wrong">dL/dh\[2\]\[3\]</strong> \(time step t = 2\)'
ok "the filter script ran (its checkbox is in the DOM)" has run 'id="only-unmet"'
ok "nothing is fetched: the page forbids it" has run "default-src 'none'"
# The golden check page: a golden file with one value moved.
mkdir -p "$tmp/golden"
env -u CI "$gc" golden update --golden "$tmp/golden" tanh_net_004_q1 >/dev/null
sed -i '0,/^entry\tseed\t0\tW1\[1\]\[2\]\t/s/^\(entry\tseed\t0\tW1\[1\]\[2\]\t\)[-0-9.e]*/\10.5/' \
    "$tmp/golden/tanh_net_004_q1.golden"
"$gc" golden check --golden "$tmp/golden" --html "$tmp/golden.html" tanh_net_004_q1 swish_001_4_4 >/dev/null
ok "golden check --html writes the page" test -s "$tmp/golden.html"
ok "the golden page renders, not blank, nothing on the console" \
    bash -c "$(declare -f render not_blank no_console); browser='$browser' tmp='$tmp' here='$here'; render '$tmp/golden.html' golden && not_blank golden && no_console golden"
ok "it shows the moved value, golden and new side by side, and the missing file" has golden \
    'id="summary"' '<th colspan="7" class="testname">derivation seed</th>' \
    '<td class="golden">0.5</td><td class="new">' 'missing golden file' 'id="only-unmet"'

# The grade page: eleven formula submissions of a homework (no compiler).
"$gc" grade "$root/tests/grade/cnn1d_homework.yaml" \
    "$root"/tests/grade/homework/s0*.txt "$root"/tests/grade/homework/s1[01]*.txt \
    --html "$tmp/grade.html" >/dev/null
ok "grade --html writes the page" test -s "$tmp/grade.html"
ok "the grade page renders, not blank, nothing on the console" \
    bash -c "$(declare -f render not_blank no_console); browser='$browser' tmp='$tmp' here='$here'; render '$tmp/grade.html' grade && not_blank grade && no_console grade"
ok "it has a bar per answer, the grouped wrong answers and each student's row" has grade \
    'id="answers"' '<svg[^>]*class="bar"' '<li class="group">' 'id="students"' \
    '<tr class="student[^"]*" id="s-dave-3">' 'dL/dv\[3\] = 0\.4128'

# The checks can fail: a blank page is blank, and a page that logs an
# error or fetches something shows it on the console.
printf '<!DOCTYPE html><title>blank</title>' > "$tmp/blank.html"
sed 's|</body>|<img src="https://example.invalid/x.png"><script>console.error("planted")</script></body>|' \
    "$tmp/run.html" > "$tmp/planted.html"
ok "the checks can fail: a blank page is found blank" \
    bash -c "$(declare -f render not_blank); browser='$browser' tmp='$tmp' here='$here'; render '$tmp/blank.html' blank && python3 '$here/png_colours.py' '$tmp/blank.png' && ! not_blank blank"
ok "the checks can fail: a planted error and fetch reach the console" \
    bash -c "$(declare -f render); browser='$browser' tmp='$tmp'; render '$tmp/planted.html' planted; grep -q 'CONSOLE.*planted' '$tmp/planted.log' && grep -q 'CONSOLE.*violates the following Content Security Policy' '$tmp/planted.log'"
done_testing
