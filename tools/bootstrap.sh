#!/bin/sh
# tools/bootstrap.sh - from a fresh clone to a built cardsim: installs the
# Debian packages (tools/install-deps.sh), configures build/ once, compiles.
# Safe to run again: it then only rebuilds what changed.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build --quiet
