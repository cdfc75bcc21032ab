#!/bin/bash
# tests/pcsc_check.sh - cardsim serve behind pcscd: opensc-tool and a
# pyscard script reach the simulated card through vsmartcard's vpcd, over
# the contact reader (SE0, COS v1) and the contactless one (phone -> NFC
# -> MCU -> SE1, COS v2); the session's outputs are written when it ends.
# Usage: pcsc_check.sh CARDSIM SOURCE_ROOT [bad|gdb]
#   gdb: serve --gdb se0:0: gdb-multiarch stops SE0's boot ROM at
#   rom_boot_check while opensc-tool's power-on waits, reads the simulated
#   time, continues, and opensc-tool gets the ATR
#   bad: serve's bad input exits 2 and writes nothing; with nothing to
#   connect to it gives up after --wait with exit 3, writing nothing
# Uses the machine's pcscd if one runs (it must have vpcd's readers, as
# Debian's vsmartcard-vpcd configures them), else starts one for the test.
set -u
cardsim=$(realpath "$1")
root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcsc_check.XXXXXX") || exit 1
serve_pid=
pcscd_pid=
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
    [ -n "$pcscd_pid" ] && kill "$pcscd_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: pcsc: $*" >&2
    for f in serve.err opensc.out pcscd.log; do
        [ -f "$tmp/$f" ] && { echo "--- $f" >&2; tail -40 "$tmp/$f" >&2; }
    done
    exit 1
}
listening() { (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; }

if [ "${3:-}" = bad ]; then
    cd "$root" || exit 1
    "$cardsim" serve scenarios/serve_card.json --pcsc nohost --out "$tmp/o" 2>"$tmp/err"
    [ $? -eq 2 ] || fail "--pcsc without a port"
    grep -q "expected HOST:PORT" "$tmp/err" || fail "--pcsc message"
    "$cardsim" serve scenarios/platform_pingpong.json --out "$tmp/o" 2>"$tmp/err"
    [ $? -eq 2 ] || fail "a scenario without a card"
    grep -q 'has no "card" section' "$tmp/err" || fail "card message"
    [ ! -e "$tmp/o" ] || fail "output written on bad input"
    # a port nobody listens on (vpcd's readers are 35963/4)
    "$cardsim" serve scenarios/serve_card.json --pcsc 127.0.0.1:9 --wait 0.5 \
        --out "$tmp/o2" 2>"$tmp/err"
    [ $? -eq 3 ] || fail "nothing to connect to: exit 3 expected"
    grep -q "nothing listens on 127.0.0.1:9" "$tmp/err" || fail "connect message"
    [ ! -e "$tmp/o2" ] || fail "output written without vpcd"
    echo "ok: pcsc bad"
    exit 0
fi

for tool in pcscd opensc-tool; do
    command -v $tool >/dev/null || fail "$tool is not installed (tools/install-deps.sh)"
done
if ! pgrep -x pcscd >/dev/null; then
    pcscd -f >"$tmp/pcscd.log" 2>&1 &
    pcscd_pid=$!
fi
for _ in $(seq 100); do listening 35963 && break; sleep 0.1; done
listening 35963 || fail "vpcd does not listen on 35963 (is vsmartcard-vpcd installed?)"

cd "$root" || exit 1
if [ "${3:-}" = gdb ]; then
    command -v gdb-multiarch >/dev/null || fail "gdb-multiarch is not installed"
    elf=$(dirname "$cardsim")/firmware/se_rom.elf
    # the contact reader only: pcscd's order of polling two readers would
    # decide which activation boots SE0 first, and so the stop's time
    "$cardsim" serve scenarios/serve_card.json --out "$tmp/out" --no-nfc \
        --gdb se0:0 2>"$tmp/serve.err" &
    serve_pid=$!
    for _ in $(seq 100); do
        grep -q "waiting on 127.0.0.1:" "$tmp/serve.err" && break
        sleep 0.1
    done
    port=$(sed -n 's/^gdb: se0 waiting on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.err")
    [ -n "$port" ] || fail "no gdb port"
    timeout 120 gdb-multiarch -batch -nx "$elf" -ex "target remote :$port" \
        -ex "break rom_boot_check" -ex continue -ex "monitor time" \
        -ex "p/x \$pc" -ex delete -ex continue >"$tmp/gdb.out" 2>&1 &
    gdb_pid=$!
    for _ in $(seq 200); do
        grep -q "contact reader: connected" "$tmp/serve.err" && break
        sleep 0.1
    done
    ot() { timeout 60 opensc-tool "$@" >>"$tmp/opensc.out" 2>&1; }
    for _ in $(seq 50); do ot -r 0 -a && break; sleep 0.2; done
    grep -qx "3b:f6:96:00:00:81:31:fe:45:43:53:43:4f:53:01:25" "$tmp/opensc.out" ||
        fail "contact ATR with the debugger attached"
    kill -TERM "$serve_pid"; wait "$serve_pid"; rc=$?; serve_pid=
    wait "$gdb_pid"
    [ $rc -eq 0 ] || fail "serve exited $rc"
    grep -q "^Breakpoint 1, rom_boot_check" "$tmp/gdb.out" || { cat "$tmp/gdb.out"; fail "no stop"; }
    grep -qx "simulated time 0.000192687500 s" "$tmp/gdb.out" || { cat "$tmp/gdb.out"; fail "monitor time"; }
    pc=$(arm-none-eabi-nm "$elf" | awk '$3 == "rom_boot_check" { print $1 }' | sed 's/^0*//')
    grep -qx "\\\$1 = 0x$pc" "$tmp/gdb.out" || { cat "$tmp/gdb.out"; fail "pc (0x$pc)"; }
    echo "ok: pcsc gdb"
    exit 0
fi
"$cardsim" serve scenarios/serve_card.json --out "$tmp/out" 2>"$tmp/serve.err" &
serve_pid=$!
for _ in $(seq 100); do
    grep -q "contactless reader: connected" "$tmp/serve.err" && break
    sleep 0.1
done
grep -q "contactless reader: connected" "$tmp/serve.err" || fail "serve did not connect"
# pcscd sees the cards at its next presence poll (vpcd asks for the ATR)
for _ in $(seq 200); do
    grep -q "contact: power on" "$tmp/serve.err" &&
        grep -q "contactless: power on" "$tmp/serve.err" && break
    sleep 0.1
done

ot() { timeout 60 opensc-tool "$@" >>"$tmp/opensc.out" 2>&1; }
# contact: the ATR of SE0's COS v1, from the reader's activation of the pads
ot -r 0 -a || fail "opensc-tool -r 0 -a"
grep -qx "3b:f6:96:00:00:81:31:fe:45:43:53:43:4f:53:01:25" "$tmp/opensc.out" ||
    fail "contact ATR"
: >"$tmp/opensc.out"
ot -r 0 -s "00 A4 04 00 06 A0 00 00 09 99 01" -s "80 CA 00 01 00" ||
    fail "opensc-tool -r 0 -s"
grep -q "Received (SW1=0x90, SW2=0x00):" "$tmp/opensc.out" || fail "contact SW"
grep -q "^00 00 00 01 " "$tmp/opensc.out" || fail "contact: COS v1 expected"
# contactless: the ATR PC/SC part 3 makes from SE side's ATS (no
# historical bytes), then the APDUs through the MCU to SE1
: >"$tmp/opensc.out"
ot -r 1 -a || fail "opensc-tool -r 1 -a"
grep -qx "3b:80:80:01:01" "$tmp/opensc.out" || fail "contactless ATR"
: >"$tmp/opensc.out"
ot -r 1 -s "00 A4 04 00 06 A0 00 00 09 99 01" -s "80 CA 00 01 00" ||
    fail "opensc-tool -r 1 -s"
grep -q "^00 00 00 02 " "$tmp/opensc.out" || fail "contactless: COS v2 expected"
# pyscard (docs/real-tools.md), when installed
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3 # Debian's, with python3-pyscard
if $py -c "import smartcard" 2>/dev/null; then
    timeout 60 $py - >"$tmp/opensc.out" 2>&1 <<'PY' || fail "pyscard"
from smartcard.System import readers
r = readers()
assert len(r) >= 2, r
c = r[0].createConnection()
c.connect()
data, sw1, sw2 = c.transmit([0x00, 0xA4, 0x04, 0x00, 0x06,
                             0xA0, 0x00, 0x00, 0x09, 0x99, 0x01])
assert (sw1, sw2) == (0x90, 0x00), (sw1, sw2)
data, sw1, sw2 = c.transmit([0x80, 0xCA, 0x00, 0x01, 0x00])
assert (data, sw1, sw2) == ([0, 0, 0, 1], 0x90, 0x00), (data, sw1, sw2)
print("pyscard ok")
PY
    grep -q "pyscard ok" "$tmp/opensc.out" || fail "pyscard"
else
    echo "note: python3-pyscard not installed, its check skipped" >&2
fi

kill -TERM "$serve_pid"
wait "$serve_pid"
rc=$?
serve_pid=
[ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM"
for f in events.log apdu.pcap nfc.pcap se0.flash se1.flash summary.json; do
    [ -s "$tmp/out/$f" ] || fail "no $f"
done
grep -q '"result":	"pass"' "$tmp/out/summary.json" || fail "summary"
grep -q "CONTACT>SE0 cmd 80 CA 00 01 00" "$tmp/out/events.log" ||
    fail "contact APDU not in events.log"
grep -q "MCU>SE1 cmd 80 CA 00 01 00" "$tmp/out/events.log" ||
    fail "the NFC APDU did not reach SE1 through the MCU"
if command -v tshark >/dev/null; then
    tshark -r "$tmp/out/apdu.pcap" 2>/dev/null | grep -q "CONTACT>SE0" ||
        fail "apdu.pcap"
fi
echo "ok: pcsc"
