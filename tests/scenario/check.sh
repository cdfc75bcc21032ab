#!/bin/bash
# tests/scenario/check.sh - scenario tests: run the real binary on real
# scenario files and check exit codes, messages and outputs exactly.
# usage: check.sh CARDSIM SOURCE_ROOT TEST
set -u
cardsim=$1 root=$2 test=$3
# CARDSIM_WRAPPER (e.g. valgrind) runs in front of every cardsim call
wrap=${CARDSIM_WRAPPER:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# run SCENARIO OUT: runs quietly, sets $rc, keeps stdout/stderr in $tmp
run() {
    $wrap "$cardsim" run "$1" --out "$2" --quiet >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
}
expect_rc() { [ "$rc" -eq "$1" ] || { cat "$tmp/stderr"; fail "exit $rc, expected $1"; }; }
expect_err() { grep -qF -- "$1" "$tmp/stderr" || { cat "$tmp/stderr"; fail "stderr lacks: $1"; }; }

case $test in
pingpong)
    run "$root/scenarios/platform_pingpong.json" "$tmp/o"
    expect_rc 0
    for f in events.log apdu.pcap summary.json; do
        [ -s "$tmp/o/$f" ] || fail "missing output $f"
    done
    grep -q '"result":	"pass"' "$tmp/o/summary.json" || fail "summary not pass"
    # 103 round trips with card at exactly 3.0615 us, 20 with far
    n=$(grep -c ' host LOG info: rtt=3.0615 us seq=' "$tmp/o/events.log")
    [ "$n" -eq 103 ] || fail "host-card rtt lines: $n, expected 103"
    n=$(grep -c ' host LOG info: rtt=' "$tmp/o/events.log")
    [ "$n" -eq 123 ] || fail "rtt lines: $n, expected 123"
    # the first request leaves at 1 ns, its answer is back at 3.0625 us
    grep -q '^0\.000000001000 host APDU HOST>CARD cmd 00 B0 00 00 04$' \
        "$tmp/o/events.log" || fail "first request not at 1 ns"
    grep -q '^0\.000003062500 host APDU HOST>CARD rsp 00 00 00 00 90 00$' \
        "$tmp/o/events.log" || fail "first response not at 3 us"
    ;;
determinism)
    run "$root/scenarios/platform_pingpong.json" "$tmp/a"; expect_rc 0
    run "$root/scenarios/platform_pingpong.json" "$tmp/b"; expect_rc 0
    cmp "$tmp/a/events.log" "$tmp/b/events.log" || fail "events.log differs"
    cmp "$tmp/a/apdu.pcap" "$tmp/b/apdu.pcap" || fail "apdu.pcap differs"
    ;;
determinism-card)
    # the whole card: CPU-level SEs, flash, reader; two runs, same bytes
    run "$root/scenarios/claim4_contact_update.json" "$tmp/a"; expect_rc 0
    run "$root/scenarios/claim4_contact_update.json" "$tmp/b"; expect_rc 0
    cmp "$tmp/a/events.log" "$tmp/b/events.log" || fail "events.log differs"
    cmp "$tmp/a/apdu.pcap" "$tmp/b/apdu.pcap" || fail "apdu.pcap differs"
    # and the contactless side: MCU, NFC front end, phone, three SEs
    run "$root/scenarios/claim1_nfc_update.json" "$tmp/c"; expect_rc 0
    run "$root/scenarios/claim1_nfc_update.json" "$tmp/d"; expect_rc 0
    for f in events.log apdu.pcap nfc.pcap se0.flash se1.flash se2.flash; do
        cmp "$tmp/c/$f" "$tmp/d/$f" || fail "claim1: $f differs"
    done
    ;;
bench-scenarios)
    # the benchmarks' scenarios must pass (a bench of a failing run is void)
    for b in contact_update nfc_update ble_update; do
        run "$root/bench/$b.json" "$tmp/$b"; expect_rc 0
    done
    ;;
flash-files)
    # a run's saved flash as the next run's start: {"file": ...} in the
    # scenario, and the --flash override of the command line
    run "$root/scenarios/claim4_contact_update.json" "$tmp/c4"; expect_rc 0
    cat >"$tmp/from_file.json" <<EOF2
{ "format": "cardsim-scenario/1", "name": "from_file",
  "card": { "ses": [ { "flash": { "file": "c4/se0.flash" } } ] },
  "timeline": [ { "action": "contact.power_on",
                  "expect_historical": "4353434F5302" } ] }
EOF2
    run "$tmp/from_file.json" "$tmp/f1"; expect_rc 0
    cat >"$tmp/empty.json" <<EOF2
{ "format": "cardsim-scenario/1", "name": "empty",
  "card": { "ses": [ {} ] },
  "timeline": [ { "action": "contact.power_on",
                  "expect_historical": "4353434F5302" } ] }
EOF2
    run "$tmp/empty.json" "$tmp/f2"; expect_rc 1
    $wrap "$cardsim" run "$tmp/empty.json" --out "$tmp/f3" --quiet \
        --flash "SE0=$tmp/c4/se0.flash" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?; expect_rc 0
    $wrap "$cardsim" run "$tmp/empty.json" --out "$tmp/f4" --quiet \
        --flash "SE3=$tmp/c4/se0.flash" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?; expect_rc 2
    expect_err "--flash SE3: the card has 1 SEs"
    [ ! -e "$tmp/f4" ] || fail "--flash refused but outputs written"
    ;;
apdu-hops)
    # claim 1 over NFC: apdu.pcap holds both hops of every forwarded APDU,
    # told apart by the exported PDU's protocol column string
    command -v tshark >/dev/null 2>&1 || { echo "tshark not found: skipped"; exit 77; }
    run "$root/scenarios/claim1_nfc_update.json" "$tmp/o"; expect_rc 0
    tshark -r "$tmp/o/apdu.pcap" -T fields -e exported_pdu.col_proto_str \
        2>/dev/null | sort | uniq -c | awk '{print $2 "=" $1}' >"$tmp/hops"
    # 95 APDUs from the phone (cmd + rsp); 86 forwarded to SE1 plus its
    # two ATRs (power-up, reset); the other SEs' ATRs
    for want in "NFC>MCU=190" "MCU>SE1=174" "MCU>SE0=1" "MCU>SE2=1"; do
        grep -qx "$want" "$tmp/hops" || { cat "$tmp/hops"; fail "expected $want"; }
    done
    ;;
flash-inspect)
    # the end state of claim 3, read back from the saved flash image
    run "$root/scenarios/claim3_enter_cos.json" "$tmp/o"; expect_rc 0
    $wrap "$cardsim" flash inspect "$tmp/o/se0.flash" >"$tmp/inspect" ||
        fail "flash inspect failed"
    grep -qE "COS version 1, image 0x10004000, [0-9]+ bytes, SHA-256 matches" \
        "$tmp/inspect" || fail "identifier not reported"
    grep -qF "PIN 2 of 3 tries left; purse balance 750, 2 transactions; file written" \
        "$tmp/inspect" || { cat "$tmp/inspect"; fail "COS data not reported"; }
    "$cardsim" flash inspect "$root/README.md" >/dev/null 2>&1; rc=$?
    expect_rc 2
    ;;
seed)
    "$cardsim" run "$root/scenarios/platform_pingpong.json" --out "$tmp/s" \
        --seed 77 --quiet || fail "run with --seed failed"
    grep -q '"seed":	77,' "$tmp/s/summary.json" || fail "seed not recorded"
    ;;
tshark)
    run "$root/scenarios/platform_pingpong.json" "$tmp/o"; expect_rc 0
    bash "$root/tests/tshark_check.sh" "$tmp/o/apdu.pcap"
    ;;
bad-syntax)
    run "$root/tests/scenario/bad_syntax.json" "$tmp/o"
    expect_rc 2
    expect_err "bad_syntax.json:9:5:"
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ;;
bad-unitless)
    run "$root/tests/scenario/bad_unitless_time.json" "$tmp/o"
    expect_rc 2
    expect_err 'bad_unitless_time.json: $.timeline[0].for:'
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ;;
bad-missing)
    run "$tmp/no_such.json" "$tmp/o"
    expect_rc 2
    expect_err "no_such.json: cannot read"
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ;;
bad-symbol)
    # fault.at_symbol with a function the ROM lacks: exit 2 at load time,
    # the step's JSON path and the ELF named, nothing written
    run "$root/tests/scenario/bad_symbol.json" "$tmp/o"
    expect_rc 2
    expect_err 'bad_symbol.json: $.timeline[1]: expected a function of'
    expect_err '"no_such_function" is not one of its symbols'
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ;;
bad-args)
    "$cardsim" run >/dev/null 2>&1; rc=$?; expect_rc 2
    "$cardsim" run a.json --seed -1 >/dev/null 2>&1; rc=$?; expect_rc 2
    "$cardsim" frobnicate >/dev/null 2>&1; rc=$?; expect_rc 2
    "$cardsim" --version | grep -q '^cardsim [0-9]' || fail "--version"
    "$cardsim" --help | grep -q 'usage: cardsim' || fail "--help"
    ;;
existing-output-kept)
    # bad input must not touch an existing output directory
    mkdir -p "$tmp/o"; echo keep >"$tmp/o/events.log"
    run "$root/tests/scenario/bad_syntax.json" "$tmp/o"
    expect_rc 2
    [ "$(cat "$tmp/o/events.log")" = keep ] || fail "existing output touched"
    ;;
expectation-fails)
    run "$root/tests/scenario/fail_rtt.json" "$tmp/o"
    expect_rc 1
    grep -q '"result":	"fail"' "$tmp/o/summary.json" || fail "summary not fail"
    grep -q '2 of 2 round trips took other than 2 us (last: 3 us)' \
        "$tmp/o/summary.json" || fail "failure message"
    ;;
step-timeout)
    run "$root/tests/scenario/timeout.json" "$tmp/o"
    expect_rc 1
    grep -q 'timed out after 5 ms' "$tmp/o/summary.json" || fail "timeout message"
    grep -q '"result":	"not-run"' "$tmp/o/summary.json" || fail "later step ran"
    ;;
view-determinism)
    # the viewer only watches: the same bytes with snapshots as without
    run "$root/scenarios/demo.json" "$tmp/a"; expect_rc 0
    $wrap "$cardsim" run "$root/scenarios/demo.json" --out "$tmp/b" --quiet \
        --view-snapshot "30ms:$tmp/s1.png" --view-snapshot "0.474s:$tmp/s2.png" \
        --view-snapshot "2.0124s:$tmp/s3.png" --view-snapshot "4s:$tmp/s4.png" \
        --view-snapshot "1000s:$tmp/s5.png" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?; expect_rc 0
    for f in events.log apdu.pcap nfc.pcap ble.pcap; do
        cmp "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs with --view-snapshot"
    done
    for i in 1 2 3 4 5; do
        [ -s "$tmp/s$i.png" ] || fail "snapshot s$i.png not written"
    done
    # and taken at the same instants, the same pictures
    $wrap "$cardsim" run "$root/scenarios/demo.json" --out "$tmp/c" --quiet \
        --view-snapshot "2.0124s:$tmp/t3.png" >/dev/null 2>&1 || fail "run c"
    cmp "$tmp/s3.png" "$tmp/t3.png" || fail "snapshot not deterministic"
    ;;
view-xvfb)
    # a real window under Xvfb at maximum speed: exits 0, same outputs
    command -v xvfb-run >/dev/null 2>&1 || { echo "xvfb-run not found: skipped"; exit 77; }
    run "$root/scenarios/claim5_mode_detection.json" "$tmp/a"; expect_rc 0
    # no D-Bus: SDL's video init would connect (and leak, under valgrind)
    DBUS_SESSION_BUS_ADDRESS=disabled: \
    xvfb-run -a $wrap "$cardsim" run "$root/scenarios/claim5_mode_detection.json" \
        --out "$tmp/b" --quiet --view --view-speed max --view-close \
        --view-stats >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?; expect_rc 0
    expect_err "viewer: "
    for f in events.log apdu.pcap nfc.pcap ble.pcap; do
        cmp "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs with --view"
    done
    ;;
view-bad-args)
    # bad viewer flags: exit 2 naming the argument, nothing written
    demo="$root/scenarios/demo.json"
    vrun() {
        $wrap "$cardsim" run "$demo" --out "$tmp/o" --quiet "$@" \
            >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
    }
    vrun --view-snapshot "3.1:$tmp/x.png"; expect_rc 2
    expect_err 'run: --view-snapshot 3.1:'; expect_err 'TIME:'
    vrun --view-snapshot "3.1s:$tmp/x.jpg"; expect_rc 2
    expect_err 'FILE: expected a file name ending in .png'
    vrun --view-snapshot "3.1s"; expect_rc 2; expect_err 'expected TIME:FILE.png'
    vrun --view-snapshot "3.1s:$tmp/no/such/dir/x.png"; expect_rc 2
    expect_err 'cannot write into the directory'
    vrun --view-speed fast --view; expect_rc 2; expect_err 'run: --view-speed:'
    vrun --view-size 10x10 --view; expect_rc 2; expect_err 'run: --view-size:'
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ls "$tmp"/*.png >/dev/null 2>&1 && fail "a snapshot was written"
    $wrap "$cardsim" run "$root/scenarios/platform_pingpong.json" --out "$tmp/o" \
        --quiet --view-snapshot "1ms:$tmp/p.png" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?; expect_rc 2; expect_err 'the viewer draws the card'
    [ ! -e "$tmp/o" ] || fail "output directory created on bad input"
    ;;
scenario:*)
    # a scenario of scenarios/ must pass, and tshark must decode its APDUs
    name=${test#scenario:}
    run "$root/scenarios/$name.json" "$tmp/o"
    expect_rc 0
    bash "$root/tests/tshark_check.sh" "$tmp/o/apdu.pcap"
    rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "tshark_check: $rc"
    # NFC frames: a wrong CRC_A is a warning in tshark, so --warn
    if [ "$(stat -c %s "$tmp/o/nfc.pcap")" -gt 24 ]; then
        bash "$root/tests/tshark_check.sh" --warn "$tmp/o/nfc.pcap"
        rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "tshark_check nfc: $rc"
    fi
    # BLE packets: as written (the pseudo-header claims the CRC checked),
    # then with the claim cleared so tshark computes the CRCs it can
    if [ "$(stat -c %s "$tmp/o/ble.pcap")" -gt 24 ]; then
        bash "$root/tests/tshark_check.sh" --warn "$tmp/o/ble.pcap"
        rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "tshark_check ble: $rc"
        python3 "$root/tests/ble_crc_unchecked.py" "$tmp/o/ble.pcap" \
            "$tmp/ble-unchecked.pcap" || fail "ble_crc_unchecked"
        bash "$root/tests/tshark_check.sh" --warn "$tmp/ble-unchecked.pcap"
        rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "tshark_check ble CRC: $rc"
    fi
    # the cuts fault.at_symbol made, at the instants the cores got there
    if [ "$name" = fault_at_symbol ]; then
        for l in "0.817227656250 se0 LOG warning: fault: the core reached loader_commit (0x00000be8) at cycle 26151285" \
                 "0.977008000000 mcu LOG warning: fault: the core reached atr_parse (0x00003770) at cycle 15632128" \
                 "0.982008000000 mcu LOG info: reset released (power-on)"; do
            grep -qxF "$l" "$tmp/o/events.log" || fail "events.log lacks: $l"
        done
    fi
    ;;
*)
    fail "unknown test $test"
    ;;
esac
echo "ok: $test"
