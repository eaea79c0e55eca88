#!/usr/bin/env bash
# formats_test.sh GRADCHECK SOURCE_ROOT: hostile claim names (a tab, a
# newline followed by a TAP line, '#' before TODO, control characters, 502
# bytes of multi-byte characters; tests/hostile/hostile_names.yaml) give the
# same failures in every format of `golden check`: the text table, TAP that
# Perl's TAP::Parser and prove read with the right failures, JUnit XML that
# xmllint accepts, and the HTML page.  A malformed or missing golden file
# gives a failing TAP point and a JUnit <error>, never an empty stream or a
# missing file.  The expected names follow from the rule in docs/reports.md
# ("Names in reports"), written out here by hand; the hash of a long name
# is computed here independently (FNV-1a in Python).
set -u
gc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
case_file=$root/tests/hostile/hostile_names.yaml
have() { command -v "$1" >/dev/null 2>&1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

mkdir -p "$tmp/g"
ok "golden update writes the hostile case's golden file" \
    env -u CI "$gc" golden update --golden "$tmp/g" "$case_file"
# Every golden row is one line of 7 tab-separated fields: no name broke it.
ok "its rows have 7 fields each" \
    awk -F'\t' '!/^#/ && NF != 7 { bad = 1 } END { exit bad }' "$tmp/g/hostile_names.golden"
ok "and it checks clean against itself" status 0 "$gc" golden check --golden "$tmp/g" "$case_file"

# Move the computed value of the first five claims: five failures.
awk -F'\t' 'BEGIN { OFS = "\t" } /^claim/ { k++; if (k <= 5) $6 = "0.123" } { print }' \
    "$tmp/g/hostile_names.golden" > "$tmp/g/x" && mv "$tmp/g/x" "$tmp/g/hostile_names.golden"

# The clean forms (docs/reports.md): \ escapes for tab, newline and
# control characters; the long name cut at a character boundary to 228
# bytes (76 x U+2202) and ended with ...~ and the FNV-1a hash of the name.
long_hash=$(python3 -c 'import sys
h = 2166136261
for b in ("\u2202" * 167 + "a").encode(): h = ((h ^ b) * 16777619) % 2**32
print("%08x" % h)')
long=$(python3 -c 'print("\u2202" * 76, end="")')"...~$long_hash"
names=('tab\there' 'newline\nok 99 - injected' 'hash # TODO not a todo' \
       'control \x01\x1B[31m bell\x07 del\x7F' "$long")
printf '%s\n' "${names[@]}" > "$tmp/names"

ok "text: exit 1" status 1 "$gc" golden check --golden "$tmp/g" "$case_file"
cp "$tmp/out" "$tmp/text"
ok "text: the five claims, each named once in the table" \
    bash -c 'while IFS= read -r nm; do [ "$(grep -cF "claim \"$nm\"" "'"$tmp/text"'")" -eq 1 ] || { echo "not once: $nm"; exit 1; }; done < "'"$tmp/names"'"'
ok "text: 5 rows beyond tolerance" grep -q 'FAILED: 5 rows beyond tolerance' "$tmp/text"

ok "TAP and JUnit: exit 1, as the text" \
    status 1 "$gc" golden check --golden "$tmp/g" --format tap --junit "$tmp/j.xml" \
    --html "$tmp/g.html" "$case_file"
cp "$tmp/out" "$tmp/h.tap"
ok "TAP: one line per test point, 8 points" \
    bash -c "[ \$(grep -cE '^(not )?ok [0-9]+ - ' '$tmp/h.tap') -eq 8 ] && tail -1 '$tmp/h.tap' | grep -qx '1..8'"
# What TAP::Parser (Perl's, behind prove) reads: failing numbers, their
# descriptions unescaped of TAP's \# and \\, TODOs, parse errors, YAML.
tap_read() {
    perl -MTAP::Parser -e '
        local $/; my $t = <STDIN>;
        my $p = TAP::Parser->new({tap => $t});
        my ($yaml, $todo) = (0, 0);
        while (my $r = $p->next) {
            $yaml++ if $r->is_yaml && ref $r->data eq "HASH" && $r->data->{rows};
            next unless $r->is_test;
            $todo++ if $r->has_todo;
            next if $r->is_ok;
            (my $d = $r->description) =~ s/^- hostile_names: claim //;
            $d =~ s/\\([\\#])/$1/g;
            print "$d\n";
        }
        print "failed ", join(",", $p->failed), "; todo $todo; yaml $yaml; ",
              "parse errors ", scalar($p->parse_errors), "\n";' < "$tmp/h.tap"
}
if have perl && perl -MTAP::Parser -e 1 2>/dev/null; then
    ok "TAP::Parser: failures 2-6 with the five names, no TODO, a YAML block each, no parse error" \
        bash -c "$(declare -f tap_read); tmp='$tmp'; tap_read > '$tmp/parsed' && { cat '$tmp/names'; echo 'failed 2,3,4,5,6; todo 0; yaml 5; parse errors 0'; } | diff - '$tmp/parsed'"
    ok "prove reads the same: 5 of 8 failed, tests 2-6" \
        bash -c "prove -e cat '$tmp/h.tap' > '$tmp/prove' 2>&1; grep -q 'Failed 5/8 subtests' '$tmp/prove' && grep -qE 'Failed tests: +2-6' '$tmp/prove'"
else
    skip "TAP::Parser reads the failures" "perl's TAP::Parser is missing (Debian package perl)"
    skip "prove reads the failures" "prove is missing (Debian package perl)"
fi
# YAML 1.1 (PyYAML reads 1.1) takes every number in the blocks as a float.
if python3 -c 'import yaml' 2>/dev/null; then
    ok "YAML blocks: numbers are YAML 1.1 floats" python3 -c '
import re, sys, yaml
t = open(sys.argv[1]).read()
blocks = re.findall(r"\n  ---\n(.*?)\n  \.\.\.", t, re.S)
assert len(blocks) == 5, len(blocks)
for b in blocks:
    d = yaml.safe_load("\n".join(l[2:] for l in b.split("\n")))
    assert isinstance(d["rtol"], float) and isinstance(d["atol"], float), d
    for r in d["rows"]:
        for k in ("golden", "new", "abs_diff", "rel_diff", "tolerance"):
            assert isinstance(r[k], float), (k, r[k])
' "$tmp/h.tap"
else
    skip "YAML blocks: numbers are YAML 1.1 floats" "PyYAML is missing (Debian package python3-yaml)"
fi

if have xmllint; then
    ok "JUnit: xmllint accepts it" xmllint --noout "$tmp/j.xml"
    ok "JUnit: totals on <testsuites>: 8 tests, 5 failures, 0 errors, a time" \
        bash -c "[ \"\$(xmllint --xpath 'concat(/testsuites/@tests, \" \", /testsuites/@failures, \" \", /testsuites/@errors)' '$tmp/j.xml')\" = '8 5 0' ] && xmllint --xpath 'string(/testsuites/@time)' '$tmp/j.xml' | grep -qE '^[0-9]+\.[0-9]+$'"
    ok "JUnit: the failing testcases are the five claims" \
        bash -c "for i in 1 2 3 4 5; do xmllint --xpath \"string((//testcase[failure])[\$i]/@name)\" '$tmp/j.xml'; done | sed 's/^claim //' | diff '$tmp/names' -"
    ok "JUnit: every testcase has a time" \
        bash -c "[ \"\$(xmllint --xpath 'count(//testcase[not(@time)])' '$tmp/j.xml')\" = 0 ]"
    ok "JUnit: failure bodies name the golden and the new column" \
        bash -c "xmllint --xpath 'string((//failure)[1])' '$tmp/j.xml' | grep -qE '^name +column +golden +new '"
else
    for t in "xmllint accepts it" "totals" "failing testcases" "times" "failure bodies"; do
        skip "JUnit: $t" "xmllint is missing (Debian package libxml2-utils)"
    done
fi
ok "HTML: the page names the same five failing tests" \
    bash -c "grep -o '<th colspan=\"7\" class=\"testname\">[^<]*</th>' '$tmp/g.html' | sed 's/.*class=\"testname\">claim //; s/<\/th>\$//; s/&quot;/\"/g; s/&lt;/</g; s/&gt;/>/g; s/&#39;/'\"'\"'/g; s/&amp;/\\&/g' | diff '$tmp/names' -"

# A malformed golden file: exit 2, and still a failing TAP point with the
# reason and a JUnit <error>; a missing one: exit 1, the same.
mkdir -p "$tmp/bad"
printf 'claim\tonly three\tfields\n' > "$tmp/bad/tanh_net_004_q1.golden"
ok "malformed golden file: exit 2" \
    status 2 "$gc" golden check --golden "$tmp/bad" --format tap --junit "$tmp/bad.xml" tanh_net_004_q1 swish_001_4_4
ok "malformed golden file: the error names file and line" \
    grep -q "^gradcheck: $tmp/bad/tanh_net_004_q1.golden:1:1: expected 7 tab-separated fields" "$tmp/err"
ok "TAP: a failing point for each, with the reason in a YAML block" \
    bash -c "grep -qx 'not ok 1 - tanh_net_004_q1: golden file malformed' '$tmp/out' && grep -qx 'not ok 2 - swish_001_4_4: golden file missing' '$tmp/out' && grep -q '^  message: \"expected 7 tab-separated fields' '$tmp/out' && tail -1 '$tmp/out' | grep -qx '1..2'"
if have xmllint; then
    ok "JUnit: written, valid, an <error> testcase for each" \
        bash -c "xmllint --noout '$tmp/bad.xml' && [ \"\$(xmllint --xpath 'count(//testcase/error)' '$tmp/bad.xml')\" = 2 ] && [ \"\$(xmllint --xpath 'string(/testsuites/@errors)' '$tmp/bad.xml')\" = 2 ]"
else
    skip "JUnit: an <error> testcase for each" "xmllint is missing (Debian package libxml2-utils)"
fi
ok "missing golden file only: exit 1" \
    status 1 "$gc" golden check --golden "$tmp/bad" --format tap swish_001_4_4
done_testing
