#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/tshark_check.sh - decodes pcap files with tshark and fails if any
# packet is malformed or carries an error-level expert info.
#
# Usage: tshark_check.sh [--warn] FILE...
# --warn also fails on warning-level expert infos (e.g. a wrong CRC_A,
# which tshark 4.0 rates a warning; leave it off for runs that inject
# faults on purpose).
# Prints "FILE: N packets, no malformed packet, no expert error" per clean
# file. Exit 0: all clean; 1: a file is unreadable or has bad packets (their
# summary lines are printed); 2: usage; 77: tshark is not installed (the
# meson/automake "skipped" status).
set -u

if ! command -v tshark >/dev/null 2>&1; then
    echo "tshark_check: tshark not found on PATH: skipped"
    exit 77
fi

# Expert severities (PI_ERROR, PI_WARN), numeric so the filter does not
# depend on value-string matching.
LEVEL=8388608
WHAT="expert error"
if [ "${1:-}" = "--warn" ]; then
    LEVEL=6291456
    WHAT="expert error or warning"
    shift
fi
if [ $# -eq 0 ]; then
    echo "usage: $0 [--warn] FILE..." >&2
    exit 2
fi

errfile=$(mktemp "${TMPDIR:-/tmp}/tshark_check.XXXXXX") || exit 1
framesfile=$(mktemp "${TMPDIR:-/tmp}/tshark_check.XXXXXX") || exit 1
trap 'rm -f "$errfile" "$framesfile"' EXIT
trap 'exit 1' INT TERM

# tshark's stderr minus its warning about running as root.
show_errors() {
    grep -v '^Running as user' "$errfile" >&2
}

status=0
for f in "$@"; do
    if [ ! -r "$f" ]; then
        echo "$f: cannot read"
        status=1
        continue
    fi
    # a cut-short or unreadable file makes tshark exit non-zero
    if ! tshark -r "$f" -T fields -e frame.number >"$framesfile" \
            2>"$errfile"; then
        echo "$f: tshark cannot read it:"
        show_errors
        status=1
        continue
    fi
    count=$(wc -l <"$framesfile" | tr -d ' ')
    bad=$(tshark -r "$f" \
          -Y "_ws.malformed || _ws.expert.severity >= $LEVEL" 2>"$errfile")
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "$f: tshark failed (exit $rc):"
        show_errors
        status=1
    elif [ -n "$bad" ]; then
        echo "$f: packets malformed or with an $WHAT:"
        printf '%s\n' "$bad"
        status=1
    else
        echo "$f: $count packets, no malformed packet, no $WHAT"
    fi
done
exit $status
