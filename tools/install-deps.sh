#!/bin/sh
# tools/install-deps.sh - installs the Debian 12 packages cardsim needs to
# build, test and run. Idempotent and quiet: when everything is there it
# prints nothing and runs no apt-get at all. Run as root (or with sudo).
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc libc6-dev
  libcjson-dev libpcap-dev check libelf-dev libmbedtls-dev
  libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev fonts-dejavu-core
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  libunicorn-dev libcapstone-dev
  tshark xvfb valgrind
  pcscd vsmartcard-vpcd opensc pcsc-tools python3-pyscard gdb-multiarch
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root (e.g. sudo $0)" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# tshark asks whether non-root users may capture: keep Debian's default (no)
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends $missing >/dev/null
