#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/gdb_protocol.py - the GDB stub's packets as a client sends them,
# for what gdb-multiarch does not exercise: the interrupt byte, vCont;s,
# the target description, E01 reads, the monitor commands, D.
# Usage: gdb_protocol.py PORT COMMIT  (a `cardsim run ... --gdb se0:PORT`
# waiting at its start on the claim-4 update; COMMIT: the address of the
# ROM's loader_commit, hex, from its ELF). Exits 1 with a message on the
# first unexpected reply.
import socket
import struct
import sys


class Rsp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def byte(self):
        while not self.buf:
            d = self.s.recv(4096)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def frame(self, p):
        return b"$%s#%02x" % (p.encode(), sum(p.encode()) & 0xFF)

    def send(self, p, extra=b""):
        self.s.sendall(self.frame(p) + extra)
        if self.byte() != b"+":
            raise RuntimeError("no ack for " + p)

    def recv(self):
        while self.byte() != b"$":
            pass
        d = b""
        while (b := self.byte()) != b"#":
            d += b
        cs = self.byte() + self.byte()
        if int(cs, 16) != sum(d) & 0xFF:
            raise RuntimeError("bad checksum")
        self.s.sendall(b"+")
        return d.decode("latin-1")

    def cmd(self, p):
        self.send(p)
        return self.recv()

    def monitor(self, c):
        return bytes.fromhex(self.cmd("qRcmd," + c.encode().hex())).decode()


def expect(what, got, want):
    ok = want(got) if callable(want) else got == want
    if not ok:
        print("FAIL: %s: got %r" % (what, got))
        sys.exit(1)


r = Rsp(int(sys.argv[1]))
expect("qSupported", r.cmd("qSupported:swbreak+;hwbreak+"),
       lambda s: "qXfer:features:read+" in s and "PacketSize=4000" in s)
expect("?", r.cmd("?"), "T05thread:01;")
expect("qAttached", r.cmd("qAttached"), "1")
expect("qC", r.cmd("qC"), "QC01")
expect("qfThreadInfo", r.cmd("qfThreadInfo"), "m01")
expect("qsThreadInfo", r.cmd("qsThreadInfo"), "l")
expect("Hg", r.cmd("Hg0"), "OK")
expect("vCont?", r.cmd("vCont?"), "vCont;c;C;s;S")
xml = r.cmd("qXfer:features:read:target.xml:0,fff")
expect("target.xml", xml, lambda s: s.startswith("l<?xml") and
       "org.gnu.gdb.arm.m-profile" in s and "org.gnu.gdb.arm.m-system" in s
       and '"primask"' in s and s.endswith("</target>\n"))
expect("target.xml in parts", r.cmd("qXfer:features:read:target.xml:0,10"),
       'm<?xml version="1')
expect("time at the start", r.monitor("time"),
       "simulated time 0.000000000000 s\n")
expect("monitor help", r.monitor("help"), lambda s: "monitor cycles" in s)
expect("unknown monitor", r.monitor("frobnicate"),
       lambda s: s.startswith("unknown monitor command"))
expect("g", r.cmd("g"), lambda s: len(s) == 21 * 8)
expect("unknown packet", r.cmd("qTStatus"), "")

# continue with the interrupt right behind: the card stops at the end of
# its first round
r.send("vCont;c", b"\x03")
expect("Ctrl-C", r.recv(), "T02thread:01;")

# one step: one instruction of the SE's core (held until the reader
# powers the card, it then executes the first of its reset handler)
def insns():
    return int(r.monitor("cycles").split(" cycles, ")[1].split()[0])


before = insns()
r.send("vCont;s:1")
expect("step", r.recv(), "T05thread:01;")
expect("one instruction", insns(), before + 1)

# a breakpoint on loader_commit: COMMIT of the first update
commit = int(sys.argv[2], 16)
expect("Z0", r.cmd("Z0,%x,2" % commit), "OK")
r.send("c")
expect("breakpoint", r.recv(), "T05swbreak:;thread:01;")
expect("pc", r.cmd("pf"), struct.pack("<I", commit).hex())
expect("time at COMMIT", r.monitor("time"),
       "simulated time 0.818553812500 s\n")
expect("z0", r.cmd("z0,%x,2" % commit), "OK")
expect("z0 again", r.cmd("z0,%x,2" % commit), "OK")
expect("bad Z", r.cmd("Z0,zz,2"), "E01")
expect("read RAM", r.cmd("m2000036c,4"), lambda s: len(s) == 8)
expect("read a peripheral", r.cmd("m40002000,4"), "E01")
expect("read unmapped", r.cmd("mf0000000,4"), "E01")
expect("read past RAM's end", r.cmd("m20003ffe,4"), lambda s: len(s) == 4)
expect("no register 21", r.cmd("p15"), "E01")
expect("D", r.cmd("D"), "OK")
print("ok")
