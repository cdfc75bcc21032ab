#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/sweep_check.sh - cardsim sweep and the walkthrough of
# docs/field-failures.md.
# Usage: sweep_check.sh CARDSIM SOURCE_ROOT TEST
#   purse        the purse DEBIT sweep: every cut recovers (old or new
#                balance, PIN counter kept)
#   claim4-part  the claim-4 update's first 60 operations, 3 cuts each
#   nfc-part, ble-part  three windows of the NFC and BLE updates' sweeps
#   walkthrough  docs/field-failures.md's commands give what it says: the
#                strict recovery fails at the cuts it names, --cut
#                reproduces one with se0-cut.flash, the inspector calls
#                the image resumable, the trace shows the torn program
#   bad          bad arguments exit 2
set -u
cardsim=$(realpath "$1")
root=$2
test=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sweep_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $test: $*" >&2; exit 1; }
cd "$root" || exit 1

case $test in
purse)
    "$cardsim" sweep scenarios/sweep_purse_debit.json -j 2 >"$tmp/out" ||
        { cat "$tmp/out"; fail "sweep failed"; }
    grep -q "^sweep of SE0: 8 flash operations, 32 cuts (4 per operation): 32 passed, 0 failed;" \
        "$tmp/out" || { cat "$tmp/out"; fail "totals"; }
    ;;
claim4-part)
    # the first 60 operations of the v1 load (its erases and the first
    # pages' programs), 3 points each: every cut recovers
    "$cardsim" sweep scenarios/claim4_contact_update.json -j 2 \
        --ops 0-59 >"$tmp/out" || { cat "$tmp/out"; fail "sweep failed"; }
    grep -q "^sweep of SE0: 60 flash operations, 180 cuts (3 per operation): 180 passed, 0 failed;" \
        "$tmp/out" || { cat "$tmp/out"; fail "totals"; }
    ;;
nfc-part|ble-part)
    # the NFC and BLE updates: the first operations (session, first pages),
    # some in the middle, and the last (up to the identifier at COMMIT)
    f=scenarios/sweep_${test%-part}_update.json
    for w in 0-30 1300-1310 2600-2700; do
        "$cardsim" sweep $f -j 2 --ops $w >"$tmp/out" ||
            { cat "$tmp/out"; fail "sweep $w failed"; }
        grep -q "^sweep of SE1: [0-9]* flash operations, [0-9]* cuts (2 per operation): \([0-9]*\) passed, 0 failed;" \
            "$tmp/out" || { cat "$tmp/out"; fail "totals $w"; }
    done
    ;;
walkthrough)
    ex=docs/examples/field_failure_strict.json
    "$cardsim" sweep $ex --ops 1196-1197 --points 3 >"$tmp/sweep"
    [ $? -eq 1 ] || fail "the strict sweep should fail"
    grep -q "^sweep of SE0: 2 flash operations, 6 cuts (3 per operation): 0 passed, 6 failed" \
        "$tmp/sweep" || { cat "$tmp/sweep"; fail "totals"; }
    grep -qF "op 1197 at 1/3: recovery step 1 contact.power_on: historical bytes 43534C445201, expected 4353434F5301" \
        "$tmp/sweep" || fail "failure line"
    grep -qF "  reproduce: cardsim sweep $ex --cut 1197:1/3 --out out/cut-1197-1" \
        "$tmp/sweep" || fail "reproduce line"
    "$cardsim" sweep $ex --cut 1196:1/3 --out "$tmp/cut" >"$tmp/run"
    [ $? -eq 1 ] || fail "the reproduction should fail"
    grep -q "failed  recovery step 1 contact.power_on \"COS v1 expected at once\" at 0.434640052083..0.466198171796 s" \
        "$tmp/run" || { cat "$tmp/run"; fail "reproduced failure"; }
    "$cardsim" flash inspect "$tmp/cut/se0-cut.flash" >"$tmp/inspect" ||
        fail "inspect"
    grep -qF "progress log (page 3): 4 of 10 pages complete, 0 torn words => resumable: BEGIN with the same header continues" \
        "$tmp/inspect" || { cat "$tmp/inspect"; fail "inspector verdict"; }
    grep -qF "0.429590052083 se0.flash FLASH program addr=0x10005204 len=4 torn=1 data=10400040 | reset at 33.3 % of the program" \
        "$tmp/cut/events.log" || fail "torn program in the trace"
    ;;
bad)
    "$cardsim" sweep scenarios/claim2_boot_check.json 2>"$tmp/err"
    [ $? -eq 2 ] || fail "a scenario without sweep"
    grep -q 'no "sweep" object' "$tmp/err" || fail "message"
    "$cardsim" sweep scenarios/claim4_contact_update.json --cut 3:3/3 2>/dev/null
    [ $? -eq 2 ] || fail "--cut K = N"
    "$cardsim" sweep scenarios/claim4_contact_update.json --ops 5-2 2>/dev/null
    [ $? -eq 2 ] || fail "--ops backwards"
    ;;
*)
    fail "unknown test"
    ;;
esac
echo "ok: $test"
