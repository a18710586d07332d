#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine, idempotently: Debian packages (QEMU 7.2, qemu-img,
# gdb-multiarch, cross compilers, Chromium for the UI tests), QEMU 10.0 beside 7.2 in the tool cache
# (scripts/qemu10.sh, from Debian 12 backports) and the npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(qemu-system-arm qemu-system-misc qemu-system-x86 qemu-utils gdb-multiarch gcc gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
  binutils-aarch64-linux-gnu binutils-riscv64-linux-gnu make)
if [[ "${1:-}" == "--ui" || "${QEMU_REPLAY_UI:-}" == 1 ]]; then
  packages+=(chromium libkrb5-dev g++ make python3)   # code-server's native modules build with these; Chromium drives it
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# QEMU 10.0 beside 7.2 (the tests run on both); needs the libraries the packages above pulled in.
bash scripts/qemu10.sh >/dev/null

# npm packages: reinstall only when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi
