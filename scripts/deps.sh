#!/usr/bin/env bash
# Installs the Debian 12 packages CaseLedger builds and tests with, if any is missing.
# Safe to run any number of times; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev rocksdb-tools
  capnproto libcapnp-dev
  libboost-dev libboost-filesystem-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libsodium-dev libxxhash-dev libssl-dev openssl
  libgtest-dev libgmock-dev
  clang-format
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "scripts/deps.sh: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
