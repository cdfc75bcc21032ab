#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/test_cos_sign.sh SIGNER - the COS image signer (tools/cos_sign.c) on
# a tiny COS ELF assembled here: header fields byte by byte, the code layout
# (segments at their load addresses, 0xFF gaps, .bss skipped), the signature
# (cross-checked with openssl when present), determinism, every --corrupt
# variant refused by --verify, ELFs outside the image area refused (exit 2,
# naming the segment), and the committed test keys regenerated identically.
# Exit 77 (skip) without arm-none-eabi-gcc.
set -eu

SIGNER=${1:?usage: test_cos_sign.sh SIGNER}
case $SIGNER in /*) ;; *) SIGNER=$PWD/$SIGNER ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEYS=$ROOT/tools/keys
PRIV=$KEYS/test-issuer-private.pem
PUB=$KEYS/test-issuer-public.pem
RUN=${CARDSIM_WRAPPER:-}

command -v arm-none-eabi-gcc >/dev/null || {
    echo "SKIP: arm-none-eabi-gcc not found"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/cos_sign.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# hex of LEN bytes at OFFSET of FILE, no spaces
hexat() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

# runs the signer; sets rc, output in out.txt/err.txt
signer() {
    set +e
    $RUN "$SIGNER" "$@" >out.txt 2>err.txt
    rc=$?
    set -e
}

# ---- a tiny COS: vectors + code, a detached 4-byte table at +0x100, .data
# (6 bytes, stored at +0x200, run in RAM), .bss in RAM -------------------
cat >cos.S <<'EOF'
    .syntax unified
    .thumb
    .section .vectors, "a"
    .word 0x20004000
    .word reset + 1
    .text
    .thumb_func
reset:
    ldr r0, =counter
    ldr r1, [r0]
    adds r1, r1, #1
    str r1, [r0]
    b reset
    .section .tail, "a"
    .word 0xA5A5A5A5
    .data
    .ascii "DATA12"
    .bss
counter:
    .space 4
EOF
cat >cos.ld <<'EOF'
MEMORY {
    IMG (rx)  : ORIGIN = 0x10004000, LENGTH = 240K
    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 16K
}
PHDRS { text PT_LOAD; tail PT_LOAD; data PT_LOAD; bss PT_LOAD; }
SECTIONS {
    .text : { KEEP(*(.vectors)) *(.text*) } > IMG :text
    .tail 0x10004100 : { KEEP(*(.tail)) } > IMG :tail
    .data : AT(0x10004200) { *(.data*) } > RAM :data
    .bss (NOLOAD) : { *(.bss*) } > RAM :bss
}
EOF
link() { # SCRIPT OUT: assemble and link cos.S
    arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -T "$1" -o "$2" \
        cos.S 2>ld.txt || { cat ld.txt; echo "FAIL: cannot link $2"; exit 1; }
}
link cos.ld cos.elf
arm-none-eabi-objcopy -O binary -j .text cos.elf text.bin

# ---- sign and verify ----------------------------------------------------
signer --key "$PRIV" --version 0x01020304 --out img.bin cos.elf
[ $rc -eq 0 ] && pass "signed" || fail "signing: exit $rc: $(cat err.txt)"
signer --verify --pub "$PUB" img.bin
[ $rc -eq 0 ] && grep -q "img.bin: valid" out.txt && pass "verifies" ||
    fail "--verify: exit $rc: $(cat out.txt err.txt)"

# ---- header, byte by byte ---------------------------------------------
size=$(wc -c <img.bin)
[ "$size" -eq $((128 + 0x208)) ] && pass "size 128 + 0x208" ||
    fail "image size $size, expected $((128 + 0x208))"
check_hex() { # what offset len expected
    got=$(hexat img.bin "$2" "$3")
    [ "$got" = "$4" ] && pass "$1" || fail "$1: got $got, expected $4"
}
check_hex "magic CSIM" 0 4 4353494d
check_hex "format 1" 4 4 01000000
check_hex "version 0x01020304" 8 4 04030201
check_hex "load address 0x10004000" 12 4 00400010
check_hex "code length 0x208" 16 4 08020000
check_hex "reserved zero" 20 12 000000000000000000000000
tail -c +129 img.bin >code.bin
check_hex "code SHA-256" 32 32 "$(sha256sum code.bin | cut -c1-64)"

# ---- the code: segments at their load addresses, 0xFF gaps and padding --
tlen=$(wc -c <text.bin)
[ "$(head -c "$tlen" code.bin | od -An -v -tx1)" = "$(od -An -v -tx1 text.bin)" ] &&
    pass ".text at +0" || fail ".text bytes differ"
gap=$(od -An -v -tx1 -j "$tlen" -N $((0x100 - tlen)) code.bin | tr -d ' \n' |
      tr -d f)
[ -z "$gap" ] && pass "gap after .text is 0xFF" || fail "gap is not 0xFF"
[ "$(hexat code.bin 256 8)" = "a5a5a5a5ffffffff" ] &&
    pass ".tail at +0x100, then 0xFF" || fail ".tail: $(hexat code.bin 256 8)"
[ "$(hexat code.bin 512 8)" = "444154413132ffff" ] &&
    pass ".data at +0x200 (its LMA), padded to a word with 0xFF" ||
    fail ".data: $(hexat code.bin 512 8)"

# ---- the signature, independently (openssl, if installed) -------------
if command -v openssl >/dev/null && command -v xxd >/dev/null; then
    der_int() { # hex of a big-endian unsigned integer -> DER INTEGER
        h=$1
        while [ ${#h} -gt 2 ] && [ "$(echo "$h" | cut -c1-2)" = 00 ]; do
            h=$(echo "$h" | cut -c3-)
        done
        [ "$(printf '%d' "0x$(echo "$h" | cut -c1-2)")" -ge 128 ] && h=00$h
        printf '02%02x%s' $((${#h} / 2)) "$h"
    }
    body=$(der_int "$(hexat img.bin 64 32)")$(der_int "$(hexat img.bin 96 32)")
    printf '30%02x%s' $((${#body} / 2)) "$body" | xxd -r -p >sig.der
    head -c 64 img.bin >signed.bin
    openssl dgst -sha256 -verify "$PUB" -signature sig.der signed.bin \
        >/dev/null 2>&1 && pass "openssl verifies the signature" ||
        fail "openssl does not verify the signature"
    openssl ec -in "$PRIV" -pubout 2>/dev/null | cmp -s - "$PUB" &&
        pass "public PEM is the private key's" ||
        fail "public PEM does not match the private key"
else
    echo "note: openssl/xxd not found, signature cross-check skipped"
fi

# ---- determinism --------------------------------------------------------
signer --key "$PRIV" --version 0x01020304 --out img2.bin cos.elf
cmp -s img.bin img2.bin && pass "two signings are identical" ||
    fail "two signings differ"
signer --key "$PRIV" --version 2 --out img3.bin cos.elf
check_hex3=$(hexat img3.bin 8 4)
[ "$check_hex3" = 02000000 ] && ! cmp -s img.bin img3.bin &&
    pass "--version 2 changes the header" || fail "--version 2: $check_hex3"

# ---- deliberately broken images -----------------------------------------
for c in signature hash magic code; do
    signer --key "$PRIV" --version 1 --corrupt $c --out bad-$c.bin cos.elf
    [ $rc -eq 0 ] || fail "--corrupt $c: signing exit $rc"
    signer --verify --pub "$PUB" bad-$c.bin
    [ $rc -eq 1 ] && grep -q "INVALID" out.txt &&
        pass "--corrupt $c fails --verify (exit 1)" ||
        fail "--corrupt $c: --verify exit $rc"
    # exactly the intended check fails
    case $c in
        signature) want="sig s" ;;
        hash|code) want="code hash" ;;
        magic) want="magic" ;;
    esac
    bad=$(grep BAD out.txt | sed 's/^ *//' | cut -c1-9 | tr '\n' ,)
    [ "$bad" = "$(printf '%-9s' "$want" | cut -c1-9)," ] &&
        pass "--corrupt $c breaks only '$want'" ||
        fail "--corrupt $c: failing checks '$bad'"
done

# ---- a different key does not verify ------------------------------------
if command -v openssl >/dev/null; then
    openssl ecparam -name prime256v1 -genkey -noout -out other.pem 2>/dev/null
    openssl ec -in other.pem -pubout -out other-pub.pem 2>/dev/null
    signer --verify --pub other-pub.pem img.bin
    [ $rc -eq 1 ] && pass "another key: exit 1" || fail "another key: exit $rc"
fi

# ---- refused inputs (exit 2, the segment named) -------------------------
sed -e 's/0x10004100/0x10040000/' -e 's/LENGTH = 240K/LENGTH = 512K/' \
    cos.ld >out1.ld                                  # .tail past the area
link out1.ld out1.elf
signer --key "$PRIV" --version 1 --out x.bin out1.elf
[ $rc -eq 2 ] && grep -q "segment 1 (.tail) .*load address 0x10040000.*outside" err.txt &&
    [ ! -e x.bin ] && pass "segment past the area refused: $(cat err.txt)" ||
    fail "segment past the area: exit $rc: $(cat err.txt)"
sed 's/AT(0x10004200) //' cos.ld >out2.ld            # .data loaded in RAM
link out2.ld out2.elf
signer --key "$PRIV" --version 1 --out x.bin out2.elf
[ $rc -eq 2 ] && grep -q "segment 2 (.data) .*load address 0x20000000.*outside" err.txt &&
    pass "segment in RAM refused: $(cat err.txt)" ||
    fail "segment in RAM: exit $rc: $(cat err.txt)"
sed 's/ORIGIN = 0x10004000/ORIGIN = 0x10004080/' cos.ld >out3.ld # no vectors
link out3.ld out3.elf
signer --key "$PRIV" --version 1 --out x.bin out3.elf
[ $rc -eq 2 ] && grep -q "must start at the load address" err.txt &&
    pass "image not at the load address refused" ||
    fail "image not at the load address: exit $rc: $(cat err.txt)"

printf 'short' >short.bin
signer --verify --pub "$PUB" short.bin
[ $rc -eq 2 ] && pass "short image: exit 2" || fail "short image: exit $rc"
signer --verify --pub "$PUB" missing.bin
[ $rc -eq 2 ] && pass "missing image: exit 2" || fail "missing image: exit $rc"
signer --key "$PUB" --version 1 --out x.bin cos.elf
[ $rc -eq 2 ] && pass "public key as signing key: exit 2" ||
    fail "public key as signing key: exit $rc"
signer --key "$PRIV" --version 1 --corrupt nonsense --out x.bin cos.elf
[ $rc -eq 2 ] && pass "unknown --corrupt: exit 2" ||
    fail "unknown --corrupt: exit $rc"
signer --key "$PRIV" --version -1 --out x.bin cos.elf
[ $rc -eq 2 ] && pass "negative version: exit 2" ||
    fail "negative version: exit $rc"

# ---- the committed test keys are what genkey makes -----------------------
mkdir keys
signer genkey keys
[ $rc -eq 0 ] || fail "genkey: exit $rc"
for f in test-issuer-private.pem test-issuer-public.pem test-issuer-public.h; do
    cmp -s "keys/$f" "$KEYS/$f" && pass "genkey reproduces $f" ||
        fail "genkey output differs from tools/keys/$f"
done

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all checks passed"
