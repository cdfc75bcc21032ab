#!/bin/bash
# tests/view/snapshots.sh - the viewer's snapshots of scenarios/demo.json
# hold what they should: cardsim renders them at chosen simulated times
# (no display), view_check finds the wires, badges and mode on them.
# usage: snapshots.sh CARDSIM VIEW_CHECK SOURCE_ROOT
#
# Times, from the demo's events.log: at 0.03 s the MCU has found every
# SE's loader (ATRs at 0.022 s) and no wire is busy; at 0.474 s the contact
# update is mid-block (contact characters less than 1.3 ms apart from
# 0.450 s to 0.498 s), mode contact; at 2.0124 s the NFC update of SE1 is
# mid-block on the MCU's line to SE1 (characters less than 0.2 ms apart
# from 2.0100 s to 2.0149 s), mode nfc, SE0 runs COS v1.
set -u
cardsim=$1 check=$2 root=$3
wrap=${CARDSIM_WRAPPER:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$wrap "$cardsim" run "$root/scenarios/demo.json" --out "$tmp/o" --quiet \
    --view-snapshot "30ms:$tmp/loader.png" \
    --view-snapshot "0.474s:$tmp/contact.png" \
    --view-snapshot "2012.4ms:$tmp/nfc.png" || { echo "FAIL: run: $?"; exit 1; }
for f in loader contact nfc; do
    [ -s "$tmp/$f.png" ] || { echo "FAIL: no $f.png"; exit 1; }
done
"$check" 1280 800 "$tmp/loader.png" "$tmp/contact.png" "$tmp/nfc.png"
