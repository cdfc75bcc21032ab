#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/gdb_check.sh - cardsim run --gdb with gdb-multiarch (docs/gdb.md).
# Usage: gdb_check.sh CARDSIM SOURCE_ROOT SE_ROM_ELF TEST
#   session  the claim-4 update under GDB: break at the ROM's COMMIT
#            (loader_commit), check r0 (&rom_loader), rom_loader.state (2,
#            LOADED) and the simulated time against the plain run's
#            events.log (pinned), one stepi (one instruction, its cycles),
#            a watchpoint on rom_loader.state, continue to the end: exit 0,
#            events.log, apdu.pcap and se0.flash byte-identical to a plain
#            run's
#   protocol the packets GDB does not send here (tests/gdb_protocol.py):
#            Ctrl-C, vCont;s, qXfer, E01 reads, monitor, D; the run then
#            ends as a plain run does, outputs byte-identical
#   kill     GDB's kill: exit 3, the outputs written, the summary says so
#   bad      bad --gdb arguments and a port in use: exit 2 naming the
#            argument, nothing written
# Every cardsim and gdb call has a timeout: a hang fails instead of
# blocking. Exits 77 (skipped) without gdb-multiarch.
set -u
cardsim=$(realpath "$1")
root=$2
rom=$(realpath "$3")
test=$4
wrap=${CARDSIM_WRAPPER:-}
scn=scenarios/claim4_contact_update.json
command -v gdb-multiarch >/dev/null || { echo "no gdb-multiarch"; exit 77; }
cd "$root" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gdb_check.XXXXXX") || exit 1
bg=
# (no function in the trap and no exit after it on success: bash leaks
# there, which the valgrind setup would count)
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $test: $*" >&2; exit 1; }

# start_gdb_run OUT [FLAGS...]: cardsim run in the background with --gdb
# se0:0; sets $bg and $port (from its "gdb: se0 waiting on" line)
start_gdb_run() {
    local out=$1
    shift
    timeout 300 $wrap "$cardsim" run $scn --out "$out" --quiet --gdb se0:0 \
        "$@" 2>"$tmp/run.err" &
    bg=$!
    port=
    for _ in $(seq 1200); do
        port=$(sed -n 's/^gdb: se0 waiting on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
            "$tmp/run.err")
        [ -n "$port" ] && return 0
        kill -0 "$bg" 2>/dev/null || break
        sleep 0.1
    done
    cat "$tmp/run.err" >&2
    fail "no 'gdb: se0 waiting on 127.0.0.1:PORT' line"
}

# wait_run: cardsim's exit code in $rc
wait_run() {
    wait "$bg"
    rc=$?
    bg=
}

# gdb_batch ARGS...: gdb-multiarch on the ROM, attached to $port
gdb_batch() {
    timeout 300 gdb-multiarch -batch -nx "$rom" \
        -ex "set remotetimeout 60" -ex "target remote 127.0.0.1:$port" \
        "$@" >"$tmp/gdb.out" 2>&1
}

expect_gdb() {
    grep -qF -- "$1" "$tmp/gdb.out" || { cat "$tmp/gdb.out"; fail "gdb output lacks: $1"; }
}

# brun ARGS...: a run that must refuse its arguments: exit 2, nothing
# written
brun() {
    timeout 120 $wrap "$cardsim" run $scn --out "$tmp/o" --quiet "$@" \
        >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ "$rc" -eq 2 ] || { cat "$tmp/stderr"; fail "$*: exit $rc, expected 2"; }
    [ ! -e "$tmp/o" ] || fail "$*: output directory created on bad input"
}

expect_err() {
    grep -qF -- "$1" "$tmp/stderr" || { cat "$tmp/stderr"; fail "stderr lacks: $1"; }
}

# ps S.FFFFFFFFFFFF: picoseconds as an integer
ps() { local s=${1%.*} f=${1#*.}; echo $(( 10#$s * 1000000000000 + 10#$f )); }

case $test in
session)
    timeout 300 $wrap "$cardsim" run $scn --out "$tmp/plain" --quiet ||
        fail "the plain run failed"
    start_gdb_run "$tmp/dbg"
    gdb_batch -ex "break loader_commit" -ex "continue" \
        -ex "p/x \$r0" -ex "p/x (unsigned)&rom_loader" \
        -ex "p rom_loader.state" -ex "monitor time" \
        -ex "monitor cycles" -ex "stepi" -ex "monitor cycles" \
        -ex "delete" -ex "watch rom_loader.state" -ex "continue" \
        -ex "delete" -ex "continue"
    grc=$?
    wait_run
    [ "$grc" -eq 0 ] || { cat "$tmp/gdb.out"; fail "gdb exit $grc"; }
    [ "$rc" -eq 0 ] || { cat "$tmp/run.err"; fail "cardsim exit $rc"; }
    expect_gdb "Breakpoint 1, loader_commit ("
    # r0 is the loader's state (its first argument), &rom_loader
    r0=$(sed -n 's/^\$1 = \(0x[0-9a-f]*\)$/\1/p' "$tmp/gdb.out")
    addr=$(sed -n 's/^\$2 = \(0x[0-9a-f]*\)$/\1/p' "$tmp/gdb.out")
    [ -n "$r0" ] && [ "$r0" = "$addr" ] ||
        { cat "$tmp/gdb.out"; fail "r0 '$r0' is not &rom_loader '$addr'"; }
    expect_gdb "\$3 = 2 '\\002'" # ROM_LD_LOADED
    # the stop's time: after the COMMIT APDU reached the card, before the
    # card's first answer to it (its WTX request) -- and exactly this
    t=$(sed -n 's/^simulated time \([0-9.]*\) s$/\1/p' "$tmp/gdb.out")
    [ "$t" = "0.818553812500" ] ||
        { cat "$tmp/gdb.out"; fail "monitor time '$t', expected 0.818553812500"; }
    log=$tmp/plain/events.log
    n=$(grep -n -m1 ' reader APDU CONTACT>SE0 cmd 80 EC 00 00$' "$log" |
        cut -d: -f1)
    t_cmd=$(sed -n "${n}p" "$log" | cut -d' ' -f1)
    t_rsp=$(tail -n +"$n" "$log" | grep -m1 ' reader BYTE contact rsp ' |
        cut -d' ' -f1)
    [ "$t_cmd" = "0.818540266577" ] && [ "$t_rsp" = "0.818681775627" ] ||
        fail "plain run: COMMIT at '$t_cmd', answer at '$t_rsp'"
    [ "$(ps "$t")" -gt "$(ps "$t_cmd")" ] &&
        [ "$(ps "$t")" -lt "$(ps "$t_rsp")" ] ||
        fail "stop at $t is not between the COMMIT ($t_cmd) and its answer ($t_rsp)"
    # stepi: one instruction (PUSH {r4, r5, lr}: 4 cycles)
    expect_gdb "se0: 26193722 cycles, 1401734 instructions (core time 0.818553812500 s)"
    expect_gdb "se0: 26193726 cycles, 1401735 instructions (core time 0.818553937500 s)"
    expect_gdb "0x00000bea	195	"
    # the watchpoint: COMMIT ends the session
    expect_gdb "Hardware watchpoint 2: rom_loader.state"
    expect_gdb "Old value = 2 '\\002'"
    expect_gdb "New value = 0 '\\000'"
    expect_gdb "[Inferior 1 (Remote target) exited normally]"
    for f in events.log apdu.pcap se0.flash; do
        cmp "$tmp/plain/$f" "$tmp/dbg/$f" ||
            fail "$f differs from the plain run's"
    done
    ;;
protocol)
    timeout 300 $wrap "$cardsim" run $scn --out "$tmp/plain" --quiet ||
        fail "the plain run failed"
    start_gdb_run "$tmp/dbg"
    commit=$(arm-none-eabi-nm "$rom" | awk '$3 == "loader_commit" { print $1 }')
    [ -n "$commit" ] || fail "no loader_commit in $rom"
    timeout 300 python3 "$root/tests/gdb_protocol.py" "$port" "$commit" ||
        fail "gdb_protocol.py"
    wait_run
    [ "$rc" -eq 0 ] || { cat "$tmp/run.err"; fail "cardsim exit $rc"; }
    for f in events.log apdu.pcap se0.flash; do
        cmp "$tmp/plain/$f" "$tmp/dbg/$f" ||
            fail "$f differs from the plain run's"
    done
    ;;
kill)
    start_gdb_run "$tmp/dbg"
    gdb_batch -ex "break loader_commit" -ex "continue" -ex "kill"
    wait_run
    [ "$rc" -eq 3 ] || { cat "$tmp/gdb.out" "$tmp/run.err"; fail "exit $rc, expected 3"; }
    for f in events.log apdu.pcap se0.flash summary.json; do
        [ -s "$tmp/dbg/$f" ] || fail "missing output $f"
    done
    grep -q '"error":	"the debugger killed the run"' "$tmp/dbg/summary.json" ||
        fail "summary.json does not say the debugger killed the run"
    ;;
bad)
    brun --gdb nosuchcore:1234
    expect_err 'run: --gdb nosuchcore:1234: no core "nosuchcore" on this card (its cores: mcu, se0)'
    brun --gdb se0:notaport
    expect_err 'run: --gdb se0:notaport: PORT: expected a TCP port 0..65535'
    brun --gdb se0:65536
    expect_err 'run: --gdb se0:65536: PORT'
    brun --gdb se0
    expect_err 'run: --gdb se0: expected CORE:PORT'
    brun --gdb se1:0
    expect_err 'no core "se1"'
    brun --gdb-nowait
    expect_err 'run: --gdb-nowait: needs --gdb CORE:PORT'
    # a port in use: a run waiting for its debugger holds one
    start_gdb_run "$tmp/holder"
    brun --gdb se0:"$port"
    expect_err "run: --gdb se0:$port: cannot listen on 127.0.0.1:$port"
    kill "$bg"
    wait "$bg" 2>/dev/null
    bg=
    ;;
*)
    fail "unknown test"
    ;;
esac
