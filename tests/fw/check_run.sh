#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fw/check_run.sh - runs one firmware test program under a simulator
# command and compares with tests/fw/expected/: stdout byte for byte
# (<name>.txt), the exit status (<name>.exit), and each line of
# <name>.stderr, if present, must occur somewhere in stderr.
#
# Usage: check_run.sh [--ignore-stderr] NAME EXPECTED_DIR COMMAND [ARG...]
# e.g.   check_run.sh fault_udf tests/fw/expected build/cardsim cpu-run \
#            build/firmware/fault_udf.elf
set -u

ignore_stderr=0
if [ "${1:-}" = "--ignore-stderr" ]; then
    ignore_stderr=1
    shift
fi
if [ $# -lt 3 ]; then
    echo "usage: $0 [--ignore-stderr] NAME EXPECTED_DIR COMMAND [ARG...]" >&2
    exit 2
fi
name=$1
dir=$2
shift 2

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
code=$?

fail=0
if ! cmp -s "$dir/$name.txt" "$tmp/out"; then
    echo "$name: stdout differs from $dir/$name.txt:"
    diff -u "$dir/$name.txt" "$tmp/out"
    fail=1
fi
want=$(cat "$dir/$name.exit")
if [ "$code" != "$want" ]; then
    echo "$name: exit status $code, expected $want"
    fail=1
fi
if [ "$ignore_stderr" = 0 ] && [ -f "$dir/$name.stderr" ]; then
    while IFS= read -r line; do
        if ! grep -qF -- "$line" "$tmp/err"; then
            echo "$name: stderr lacks \"$line\""
            fail=1
        fi
    done <"$dir/$name.stderr"
fi
if [ "$fail" != 0 ]; then
    echo "--- stderr of: $*"
    cat "$tmp/err"
    exit 1
fi
echo "$name: ok"
