#!/usr/bin/env node
// `npm run demo -- --ui` (scripts/demo.sh calls this after the build): a real VS Code (code-server: VS Code server +
// web workbench) on 127.0.0.1 with the packaged extension (.vsix) installed and a sample workspace open, in which the
// sample aarch64 guest has already been recorded, so "Replay sample guest" works at once.
//
//   node scripts/demo-ui.mjs            serve until Ctrl-C / SIGTERM (port: $PORT or a free one)
//   node scripts/demo-ui.mjs --check    instead of serving: open it in Chromium, start "Replay sample guest", wait for
//                                       the stop at entry, save a screenshot to .demo/demo-ui.png; exit 0 or 1
//
// Everything it writes is under .demo/ (git-ignored): the .vsix, code-server's user data and extensions, the workspace.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const demo = path.join(root, '.demo');
const state = path.join(demo, 'code-server');   // code-server's user data, extensions, XDG folders, log
const workspace = path.join(demo, 'workspace');
const vsix = path.join(demo, 'qemu-replay.vsix');
const screenshot = path.join(demo, 'demo-ui.png');
const guestDir = path.join(root, 'test/guests');
const guestElf = path.join(guestDir, 'build/aarch64/prog.elf');
const check = process.argv.includes('--check');
const require = createRequire(import.meta.url);

const t0 = Date.now();
const log = (...a) => console.log(`[demo-ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cleanups = [];
let exiting = false;
function exit(code) {
  if (exiting) return;
  exiting = true;
  for (const c of cleanups.splice(0).reverse()) {
    try { c(); } catch { /* best effort */ }
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => { log(`${signal}: stopping code-server`); exit(check ? 1 : 0); });
}

function run(cmd, argv, what, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal})${r.stdout ? `:\n${r.stdout}` : ''}`);
  return r.stdout ?? '';
}

/** scripts/vscode-env.sh installs Node 24, code-server and playwright-core once (into a cache) and prints NAME=VALUE. */
function tools() {
  const out = run('bash', ['scripts/vscode-env.sh'], 'scripts/vscode-env.sh');
  const env = Object.fromEntries(out.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  for (const k of ['NODE24_BIN', 'CODE_SERVER', 'PLAYWRIGHT_CORE', 'CHROMIUM']) {
    if (!env[k]) throw new Error(`scripts/vscode-env.sh printed no ${k}`);
  }
  return env;
}

/** code-server's environment: Node 24 first on PATH, and its files under .demo/ rather than the home folder. */
function codeServerEnv(env) {
  return { ...process.env, PATH: `${env.NODE24_BIN}:${process.env.PATH}`, TMPDIR: path.join(state, 'tmp'),
    XDG_DATA_HOME: path.join(state, 'xdg-data'), XDG_CONFIG_HOME: path.join(state, 'xdg-config') };
}

/** npm run package (production build + vsce), then the .vsix into a fresh extensions folder. */
function installExtension(env) {
  run('npm', ['run', '--silent', 'package'], 'npm run package', { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.copyFileSync(path.join(root, 'dist/qemu-replay.vsix'), vsix);
  fs.rmSync(state, { recursive: true, force: true });
  for (const d of ['tmp', 'ext', 'xdg-data', 'xdg-config', 'xdg-cache', 'ud/User']) fs.mkdirSync(path.join(state, d), { recursive: true });
  fs.writeFileSync(path.join(state, 'ud/User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off',
    'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true, 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden', 'git.enabled': false,
  }, null, 2));
  const out = run(env.CODE_SERVER, ['--install-extension', vsix, '--extensions-dir', path.join(state, 'ext'),
    '--user-data-dir', path.join(state, 'ud'), '--config', path.join(state, 'config.yaml')],
  'code-server --install-extension', { env: codeServerEnv(env) });
  if (!/successfully installed/.test(out)) throw new Error(`code-server did not install ${vsix}:\n${out}`);
}

/** The sample workspace: the guest's source, its ELF and a launch.json with a record and a replay configuration. */
function makeWorkspace() {
  if (!fs.existsSync(guestElf)) run('make', ['-s', '-C', 'test/guests'], 'make -C test/guests (the sample guests)');
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.mkdirSync(path.join(workspace, 'build/aarch64'), { recursive: true });
  fs.mkdirSync(path.join(workspace, '.vscode'));
  for (const f of fs.readdirSync(guestDir).filter((n) => /\.(c|S|h)$/.test(n))) {
    fs.copyFileSync(path.join(guestDir, f), path.join(workspace, f));
  }
  fs.copyFileSync(guestElf, path.join(workspace, 'build/aarch64/prog.elf'));
  // The ELF names its sources by the folder it was compiled in: show the workspace's copies instead.
  const common = {
    type: 'qemu-replay', request: 'launch', program: '${workspaceFolder}/build/aarch64/prog.elf',
    recording: '${workspaceFolder}/.recordings/run1', sourceMap: { [guestDir]: '${workspaceFolder}' },
  };
  const launch = {
    version: '0.2.0',
    configurations: [
      { ...common, name: 'Replay sample guest', mode: 'replay', stopOnEntry: true },   // first: what F5 starts
      { ...common, name: 'Record sample guest', mode: 'record', overwrite: true, stopOnEntry: false },
    ],
  };
  fs.writeFileSync(path.join(workspace, '.vscode/launch.json'),
    `// The sample guest (npm run demo -- --ui). "Record sample guest" records it again into .recordings/run1;\n`
    + `// "Replay sample guest" debugs that recording forwards and backwards.\n${JSON.stringify(launch, null, 2)}\n`);
}

/** Records the guest once through the debug adapter (as "Record sample guest" would), so the replay works at once. */
async function record() {
  const { DebugClient } = require('@vscode/debugadapter-testsupport');
  const dc = new DebugClient(process.execPath, path.join(root, 'dist/adapter.js'), 'qemu-replay');
  dc.defaultTimeout = 30_000;
  await dc.start();
  try {
    const terminated = dc.waitForEvent('terminated', 120_000);
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized');
    await dc.launch({ mode: 'record', program: path.join(workspace, 'build/aarch64/prog.elf'),
      recording: path.join(workspace, '.recordings/run1'), overwrite: true, stopOnEntry: false, cwd: workspace });
    await initialized;
    await dc.configurationDoneRequest();
    await terminated;
  } finally {
    await dc.stop().catch(() => undefined);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(workspace, '.recordings/run1/recording.json'), 'utf8'));
  return manifest.endIcount;
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** Starts code-server in its own process group (it keeps extension hosts alive), killed when this script ends. */
async function startCodeServer(env) {
  const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT=${process.env.PORT} is not a port number`);
  const host = `127.0.0.1:${port}`;   // never 0.0.0.0: --auth none gives whoever connects a shell on this machine
  fs.writeFileSync(path.join(state, 'config.yaml'), `bind-addr: ${host}\nauth: none\ncert: false\n`);
  const logFile = path.join(state, 'code-server.log');
  const out = fs.openSync(logFile, 'w');
  const cs = spawn(env.CODE_SERVER, ['--config', path.join(state, 'config.yaml'), '--auth', 'none', '--bind-addr', host,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', path.join(state, 'ud'), '--extensions-dir', path.join(state, 'ext')],
  { env: codeServerEnv(env), detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  cleanups.push(() => {
    try { process.kill(-cs.pid, 'SIGTERM'); } catch { return; }
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      try { process.kill(-cs.pid, 0); } catch { return; }
      spawnSync('sleep', ['0.1']);
    }
    try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  let up = false;
  for (let i = 0; i < 120 && !up && cs.exitCode === null; i++) {
    up = await fetch(`http://${host}/healthz`).then((r) => r.ok, () => false);
    if (!up) await sleep(250);
  }
  if (!up) {
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    throw new Error(`code-server did not answer on ${host}${process.env.PORT ? ' (is PORT in use?)' : ''}; ${logFile}:\n${tail}`);
  }
  return { cs, port, url: `http://${host}/?folder=${encodeURIComponent(workspace).replaceAll('%2F', '/')}`, logFile };
}

/** Opens the workbench in Chromium, starts "Replay sample guest" and waits for the stop at entry; takes a screenshot. */
async function uiCheck(env, url) {
  const { chromium } = require(env.PLAYWRIGHT_CORE);
  // Chromium aborts when its singleton socket's path (under TMPDIR) is too long: from a clone in a deep folder,
  // .demo/ is. Its TMPDIR is a short folder of its own (code-server keeps .demo/'s, as users of code-server have).
  const browserTmp = fs.mkdtempSync('/tmp/qemu-replay-demo-chromium-');
  cleanups.push(() => fs.rmSync(browserTmp, { recursive: true, force: true }));
  const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true,
    env: { ...process.env, TMPDIR: browserTmp, XDG_CONFIG_HOME: path.join(state, 'xdg-config'),
      XDG_CACHE_HOME: path.join(state, 'xdg-cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  const browserPid = browser.process?.()?.pid;
  cleanups.push(() => { if (browserPid) try { process.kill(-browserPid, 'SIGKILL'); } catch { /* gone */ } });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  try {
    const palette = async (command) => {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill(`>${command}`);
      // the row whose label is exactly `command` (recently used commands are listed first: Enter may run another)
      const exact = new RegExp(`^${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      const row = page.locator('.quick-input-list .monaco-list-row')
        .filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
      await row.waitFor({ timeout: 15_000 });
      await row.click();
    };

    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'prog.c' }).first().waitFor({ timeout: 60_000 });
    log('workbench loaded with the sample workspace');

    // Run and Debug view: pick the configuration in its drop-down, then its Start button
    await palette('View: Show Run and Debug');
    const selected = page.locator('.start-debug-action-item-dropdown-label', { hasText: 'Replay sample guest' });
    for (let attempt = 1; !(await selected.isVisible()); attempt++) {
      // the drop-down is drawn again when the extension adds its dynamic configurations: try again then
      await page.locator('.start-debug-action-item-dropdown-label').click();
      await page.locator('.context-view .monaco-list-row[aria-label="Replay sample guest"]').click({ timeout: 5_000 })
        .catch((e) => { if (attempt >= 5) throw e; });
      await selected.waitFor({ timeout: 2_000 }).catch(() => page.keyboard.press('Escape'));
    }
    await page.locator('.start-debug-action-item .codicon-debug-start').click();
    log('started "Replay sample guest" from the Run and Debug view');
    await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 60_000 });
    // Stopped: the call stack shows the paused thread, and the extension's status bar item shows the position.
    // (the call stack shows "Paused on entry" in its header with one thread, on the thread's row with several)
    await page.locator('.pane-header', { hasText: 'Call Stack' }).filter({ hasText: /paused/i })
      .or(page.locator('.debug-call-stack .monaco-list-row', { hasText: /paused/i })).first().waitFor({ timeout: 60_000 });
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: '_start' }).first().waitFor({ timeout: 30_000 });
    const status = page.locator('.statusbar-item', { hasText: /icount\s+0\s*\/\s*[\d,]+/ }).first();
    await status.waitFor({ timeout: 30_000 });
    log(`session stopped at entry; status bar: "${(await status.innerText()).trim()}"`);
    const errors = await page.locator('.notifications-toasts .notification-list-item', { has: page.locator('.codicon-error') })
      .allInnerTexts();
    if (errors.length) throw new Error(`error notifications: ${errors.join(' | ')}`);
    await page.mouse.move(900, 750);   // no tooltip of the Start button in the picture
    await page.waitForTimeout(1500);   // let the editor reveal the stop line and the views settle
    await page.screenshot({ path: screenshot });
    log(`screenshot: ${screenshot}`);
    await palette('Debug: Stop');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
    log('debug session ended (Debug: Stop)');
  } catch (e) {
    await page.screenshot({ path: screenshot }).then(() => log(`screenshot of the failure: ${screenshot}`), () => undefined);
    throw e;
  } finally {
    await browser.close().catch(() => undefined);
  }
}

async function main() {
  fs.mkdirSync(demo, { recursive: true });
  const env = tools();
  log('packaging the extension (npm run package) and installing the .vsix into code-server');
  installExtension(env);
  log(`extension installed from ${path.relative(root, vsix)}`);
  makeWorkspace();
  log(`recording the sample guest into ${path.relative(root, workspace)}/.recordings/run1`);
  const end = await record();
  log(`recorded ${(end + 1).toLocaleString('en-US')} instructions`);
  const { cs, port, url, logFile } = await startCodeServer(env);
  log(`code-server (pid ${cs.pid}) is up; its log: ${path.relative(root, logFile)}`);

  if (check) {
    await uiCheck(env, url);
    return 0;
  }
  console.log(`
  ┌─ QEMU Replay in VS Code (code-server) ─────────────────────────────────────────
  │  Open:  ${url}
  │  Then Run and Debug → "Replay sample guest" (F5). Step back, reverse continue, the timeline, snapshots.
  │  From another machine: ssh -L ${port}:127.0.0.1:${port} <this host>, then open the same URL there.
  └─ Ctrl-C stops it.
`);
  const code = await new Promise((resolve) => cs.on('exit', (c, signal) => resolve(c ?? signal)));
  log(`code-server exited (${code}); see ${logFile}`);
  return 1;
}

main().then(exit, (e) => {
  console.error(`demo-ui: ${e instanceof Error ? e.message : String(e)}`);
  exit(1);
});
