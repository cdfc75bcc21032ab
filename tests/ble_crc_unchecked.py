#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/ble_crc_unchecked.py - copies a ble.pcap (LINKTYPE 256) with the
# pseudo-header's "CRC checked" and "CRC valid" flags cleared, so that
# tshark computes each packet's CRC-24 itself instead of trusting the
# simulator's claim (tshark 4.0 does so for advertising-channel packets;
# data-channel ones it leaves "unchecked, not all data available").
# Usage: ble_crc_unchecked.py IN OUT
import struct
import sys

data = bytearray(open(sys.argv[1], 'rb').read())
magic = struct.unpack_from('<I', data, 0)[0]
if magic not in (0xA1B2C3D4, 0xA1B23C4D):
    sys.exit('%s: not a little-endian pcap file' % sys.argv[1])
if struct.unpack_from('<I', data, 20)[0] != 256:
    sys.exit('%s: not LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR' % sys.argv[1])
off = 24
while off + 16 <= len(data):
    incl = struct.unpack_from('<I', data, off + 8)[0]
    off += 16
    flags = struct.unpack_from('<H', data, off + 8)[0] & ~0x0C00
    struct.pack_into('<H', data, off + 8, flags)
    off += incl
open(sys.argv[2], 'wb').write(data)
