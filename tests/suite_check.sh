#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/suite_check.sh - `cardsim suite`: shards and the JUnit report.
# Usage: suite_check.sh CARDSIM SOURCE_ROOT TEST
#   shards  the shards K/3 of scenarios/ are disjoint and their union is
#           the whole sorted list (--list), for N = 1, 2, 3 and 7
#   junit   a suite of passing and failing scenarios: exit 1, a JUnit
#           report that parses, with the counts, one testcase per
#           scenario, and a reproduce command in every failure; a suite of
#           passing ones: exit 0
set -u
cardsim=$1
root=$2
test=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/suite_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $test: $*" >&2; exit 1; }

case $test in
shards)
    "$cardsim" suite "$root/scenarios" --list >"$tmp/all" || fail "--list"
    [ "$(wc -l <"$tmp/all")" -ge 10 ] || fail "too few scenarios listed"
    sort -c "$tmp/all" || fail "the list is not sorted"
    for n in 1 2 3 7; do
        : >"$tmp/union"
        for k in $(seq 1 $n); do
            "$cardsim" suite "$root/scenarios" --list --shard "$k/$n" \
                >"$tmp/s$k" || fail "--shard $k/$n"
            cat "$tmp/s$k" >>"$tmp/union"
        done
        sort "$tmp/union" >"$tmp/union.sorted"
        cmp -s "$tmp/union.sorted" "$tmp/all" ||
            fail "the $n shards are not the whole list"
        [ -z "$(uniq -d "$tmp/union.sorted")" ] || fail "shards overlap"
    done
    # the same shard twice: the same files
    "$cardsim" suite "$root/scenarios" --list --shard 2/3 >"$tmp/again"
    "$cardsim" suite "$root/scenarios" --list --shard 2/3 >"$tmp/again2"
    cmp -s "$tmp/again" "$tmp/again2" || fail "shard 2/3 not stable"
    "$cardsim" suite "$root/scenarios" --shard 4/3 2>/dev/null
    [ $? -eq 2 ] || fail "--shard 4/3 not refused"
    ;;
junit)
    "$cardsim" suite "$root/tests/scenario" -j 2 --out "$tmp/out" \
        --junit "$tmp/report.xml" >"$tmp/stdout"
    rc=$?
    [ $rc -eq 1 ] || fail "exit $rc with failing scenarios, expected 1"
    python3 - "$tmp/report.xml" "$root/tests/scenario" <<'PY' || fail "report"
import glob, os, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find('testsuite')
cases = suite.findall('testcase')
files = sorted(glob.glob(os.path.join(sys.argv[2], '*.json')))
assert len(cases) == len(files), (len(cases), files)
assert [c.get('file') for c in cases] == files
fails = [c for c in cases if c.find('failure') is not None]
errors = [c for c in cases if c.find('error') is not None]
assert int(suite.get('tests')) == len(cases)
assert int(suite.get('failures')) == len(fails) == 2, suite.get('failures')
assert int(suite.get('errors')) == len(errors) == 3, suite.get('errors')
for c in fails + errors:
    el = c.find('failure') if c.find('failure') is not None else c.find('error')
    assert 'reproduce: cardsim run ' + c.get('file') in el.text, el.text
    assert el.get('message'), c.get('name')
rtt = [c for c in fails if c.get('name') == 'fail_rtt'][0]
assert 'round trips took other than 2 us' in rtt.find('failure').get('message')
syn = [c for c in errors if c.get('name') == 'bad_syntax'][0]
assert syn.find('error').get('type') == 'bad input'
assert 'bad_syntax.json:9:5' in syn.find('error').get('message')
sym = [c for c in errors if c.get('name') == 'bad_symbol'][0]
assert '"no_such_function" is not one of its symbols' in sym.find('error').get('message')
PY
    grep -q "^FAIL fail_rtt: step 0 ping" "$tmp/stdout" || fail "stdout"
    "$cardsim" suite "$root/scenarios/platform_pingpong.json" \
        --out "$tmp/ok" --junit "$tmp/ok.xml" >/dev/null
    [ $? -eq 0 ] || fail "a passing suite does not exit 0"
    grep -q 'tests="1" failures="0" errors="0"' "$tmp/ok.xml" ||
        fail "passing report"
    ;;
*)
    fail "unknown test"
    ;;
esac
echo "ok: $test"
