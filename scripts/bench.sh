#!/usr/bin/env bash
# `npm run bench`: time-travel benchmarks against plain QEMU + gdb (same run, same recording), then the QAPI
# language server's. `npm run bench -- --smoke` is a tiny run that only checks the harness works.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
make -s -C test/guests
node --import tsx scripts/bench.ts "$@"
if [[ -f scripts/bench-qapi.ts ]]; then node --import tsx scripts/bench-qapi.ts "$@"; fi
