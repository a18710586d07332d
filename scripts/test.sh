#!/usr/bin/env bash
# `npm test`: everything CI checks, from a fresh Debian machine. Installs what it needs, builds, type-checks, lints,
# then runs the unit tests, the adapter tests against real QEMU + gdb, and the tests inside a real VS Code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --ui
node scripts/build.mjs
make -s -C test/guests
npx tsc --noEmit -p .
npx eslint .
node scripts/run-tests.mjs "$@"
