#!/usr/bin/env bash
# `npm run demo`: installs what it needs, builds, records the sample aarch64 guest and replays it.
#   npm run demo            a scripted tour through the debug adapter, printed step by step
#   npm run demo -- --ui    a real VS Code (code-server) on 127.0.0.1 with the extension and the sample workspace
set -euo pipefail
cd "$(dirname "$0")/.."
ui=0
for a in "$@"; do [[ "$a" == "--ui" ]] && ui=1; done
if ((ui)); then bash scripts/setup.sh --ui; else bash scripts/setup.sh; fi
node scripts/build.mjs
make -s -C test/guests
if ((ui)); then
  exec node scripts/demo-ui.mjs "$@"
fi
exec node --import tsx scripts/demo-tour.ts
