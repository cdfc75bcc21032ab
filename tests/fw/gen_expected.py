#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/fw/gen_expected.py - writes tests/fw/expected/<program>.{txt,exit}:
# what each firmware test program must print and exit with, computed here
# from first principles (zlib, hashlib, plain integers), not by running the
# firmware. Run it after changing a program's output; review the diff.
import hashlib
import os
import sys
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected")
M32 = (1 << 32) - 1


def crc32():
    lines = []
    for label, data in [
        ('"123456789"', b"123456789"),
        ('"The quick brown fox jumps over the lazy dog"',
         b"The quick brown fox jumps over the lazy dog"),
        ("0..255", bytes(range(256))),
    ]:
        lines.append(f"crc32({label}) = {zlib.crc32(data):08x}")
    lines.append("crc32: ok")
    return lines, 0


def crc32_bench(n=100):
    buf = bytes((i * 131 + 7) & 0xFF for i in range(1024))
    return [f"crc32_bench: {n} x 1024 bytes, crc = {zlib.crc32(buf * n):08x}"], 0


def sha256():
    lines = []
    for label, msg in [
        ('""', b""),
        ('"abc"', b"abc"),
        ("448-bit", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        ("896-bit", b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                    b"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
    ]:
        lines.append(f"sha256({label}) = {hashlib.sha256(msg).hexdigest()}")
    lines.append("sha256: ok")
    return lines, 0


def sha256_bench(n=16):
    buf = bytes((i * 7 + 1) & 0xFF for i in range(1024))
    digest = hashlib.sha256(buf * n).hexdigest()
    return [f"sha256_bench: {n} x 1024 bytes, sha256 = {digest}"], 0


def sort():
    state, a = 0x12345678, []
    for i in range(1000):
        x = state
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        state = x
        a.append(x >> 28 if i % 4 == 0 else x)
    a.sort()
    h = 2166136261
    for v in a:
        h = ((h ^ v) * 16777619) & M32
    return [f"sort: n=1000 min={a[0]:08x} max={a[-1]:08x} "
            f"median={a[500]:08x} checksum={h:08x}", "sort: ok"], 0


def div():
    # Case counts of the tables in firmware/tests/div.c.
    q, r = divmod(10**18, 1000000007)
    return ["div: u32/u32 14 cases checked",
            "div: s32/s32 10 cases checked",
            "div: u64/u32 8 cases checked",
            "div: s64/s64 4 cases checked",
            f"div: 1000000000000000000 / 1000000007 = {q} r {r}",
            "div: ok"], 0


def irq_nested():
    # Derived by hand from the priorities in firmware/tests/irq_nested.c.
    return ["order: m +2 -2 m +0 +1 +4 -4 -1 -0 +3 -3 +5 -5 +P -P +2 -2 m",
            "irq_nested: ok"], 0


def systick():
    return ["systick: reload=999 ticks=10 wakeups=10", "systick: ok"], 0


def fault_udf():
    return ["fault_udf: calling do_bad_thing", "HardFault"], 3


def exit_code():
    return ["exit_code: returning 42"], 42


def semihost_io():
    return ["SYS_WRITEC", "SYS_WRITE0", "semihost_puts",
            "SYS_WRITE to stdout", "semihost_io: ok"], 0


# Lines that must appear in the simulator's stderr (checked with grep -F).
STDERR = {
    "fault_udf": ["do_bad_thing"],
    "semihost_io": ["SYS_WRITE to stderr"],
}

PROGRAMS = [crc32, crc32_bench, sha256, sha256_bench, sort, div, irq_nested,
            systick, fault_udf, exit_code, semihost_io]


def main():
    os.makedirs(OUT, exist_ok=True)
    for fn in PROGRAMS:
        lines, code = fn()
        name = fn.__name__
        with open(os.path.join(OUT, name + ".txt"), "w") as f:
            f.write("".join(line + "\n" for line in lines))
        with open(os.path.join(OUT, name + ".exit"), "w") as f:
            f.write(f"{code}\n")
        if name in STDERR:
            with open(os.path.join(OUT, name + ".stderr"), "w") as f:
                f.write("".join(line + "\n" for line in STDERR[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
