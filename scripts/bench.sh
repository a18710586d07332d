#!/usr/bin/env bash
# `npm run bench`: time-travel benchmarks against plain QEMU + gdb (same run, same recording) on the sample guest
# and on a Linux kernel, then the QAPI language server's.
#   npm run bench -- --smoke         a tiny run of each that only checks the harness works
#   npm run bench -- --kernel-only   only the kernel part (scripts/bench-kernel.ts)
#   npm run bench -- --no-kernel     all but the kernel part
#   npm run bench -- --history-only  only the whole-recording passes (scripts/bench-history.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=1 others=1 history=1
for arg in "$@"; do
  case $arg in
    --kernel-only) others=0 history=0 ;;
    --no-kernel) kernel=0 ;;
    --history-only) others=0 kernel=0 ;;
  esac
done
bash scripts/setup.sh
node scripts/build.mjs
if [[ $others == 1 ]]; then
  make -s -C test/guests
  node --import tsx scripts/bench.ts "$@"
fi
if [[ $history == 1 ]]; then
  make -s -C test/guests
  node --import tsx scripts/bench-history.ts "$@"
fi
if [[ $kernel == 1 ]]; then node --import tsx scripts/bench-kernel.ts "$@"; fi
if [[ $others == 1 && -f scripts/bench-qapi.ts ]]; then node --import tsx scripts/bench-qapi.ts "$@"; fi
