#!/usr/bin/env node
// Runs the extension's test suite (test/vscode/suite) inside a real VS Code: code-server (VS Code server + web
// workbench, Node extension host) driven headless by Debian's Chromium through playwright-core. The suite is loaded
// with the smoke-test driver payload (extensionDevelopmentPath = this repo, extensionTestsPath = the built suite).
//
//   node test/vscode/run.mjs [--grep REGEX] [--timeout SECONDS] [--no-build] [--keep]
//
// Tests ask for screenshots by logging `@@screenshot NAME` (saved as test-results/screenshots/NAME.png) and report
// their counts with `@@result N passed, N failed`. Closes with `vscode: N passed, N failed` alone on a line.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import { buildAll, makeWorkspace, root } from './workspace.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const grep = option('grep', process.env.QEMU_REPLAY_TEST_GREP ?? '');
const timeoutMs = Number(option('timeout', '240')) * 1000;
const keep = args.includes('--keep');
const t0 = Date.now();
const log = (...a) => console.log(`[vscode ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const shotsDir = path.join(root, 'test-results', 'screenshots');

let passed = 0;
let failed = 0;
let reported = false;
const cleanups = [];

function finish(exitCode) {
  for (const c of cleanups.splice(0).reverse()) {
    try { c(); } catch { /* best effort */ }
  }
  if (!reported) failed = Math.max(failed, 1);
  console.log(`vscode: ${passed} passed, ${failed} failed`);
  process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => { log(`got ${signal}`); finish(1); });

function run(cmd, argv, what, env = process.env) {
  const r = spawnSync(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${r.stdout ?? ''}`);
  return r.stdout;
}

/** scripts/vscode-env.sh installs what is missing (once, into a cache) and prints NAME=VALUE lines. */
function tools() {
  const out = run('bash', ['scripts/vscode-env.sh'], 'scripts/vscode-env.sh');
  const env = Object.fromEntries(out.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  for (const k of ['NODE24_BIN', 'CODE_SERVER', 'PLAYWRIGHT_CORE', 'CHROMIUM']) {
    if (!env[k]) throw new Error(`scripts/vscode-env.sh printed no ${k}`);
  }
  return env;
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function writeUserSettings(dir) {
  fs.mkdirSync(path.join(dir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off',
    'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true, 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden', 'git.enabled': false,
    // The sample's sources open from the repo (the guest's debug info names them there): no key a test sends to an
    // editor may change them. The web workbench saves after a delay by default.
    'files.autoSave': 'off', 'files.readonlyInclude': { [`${root}/test/guests/**`]: true },
  }, null, 2));
}

/** Extension-host console lines that only say this machine is offline. */
const NOISE = /ERR_NAME_NOT_RESOLVED|ENOTFOUND|EAI_AGAIN|github' to register|AccountPolicyGate|Ignoring fetching|marketplace/;

async function main() {
  const env = tools();
  const suite = args.includes('--no-build') ? path.join(root, 'dist/test/vscode/suite/index.js') : await buildAll();
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run node test/vscode/build.mjs`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-replay-vscode-'));
  if (!keep) cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const workspace = path.join(tmp, 'workspace');
  makeWorkspace(workspace);
  writeUserSettings(path.join(tmp, 'ud'));
  for (const d of ['tmp', 'ext', 'xdg-data', 'xdg-config', 'xdg-cache']) fs.mkdirSync(path.join(tmp, d), { recursive: true });
  // code-server (and so the extension host and the debug adapter) gets a long TMPDIR with spaces and non-ASCII, as it
  // does in a clone deep in the tree (`npm run demo -- --ui` puts it under .demo/): QEMU's socket must not go there
  // (issue #19). Chromium keeps a short one (it aborts when its own singleton socket's path is too long).
  const csTmp = path.join(tmp, 'tmp', 'a deep folder — ünïcödé and spaces, as code-server gets TMPDIR in a clone deep in the tree');
  fs.mkdirSync(csTmp, { recursive: true });
  log(`code-server's TMPDIR has ${Buffer.byteLength(csTmp)} bytes`);
  fs.mkdirSync(shotsDir, { recursive: true });
  driverDir = path.join(tmp, 'driver');
  fs.mkdirSync(driverDir);

  // code-server: its own process group (it keeps extension hosts alive after the browser leaves), killed at the end.
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(path.join(tmp, 'config.yaml'), `bind-addr: ${host}\nauth: none\ncert: false\n`);
  const csLogFile = path.join(tmp, 'code-server.log');
  const csLog = fs.openSync(csLogFile, 'w');
  const csEnv = {
    ...process.env, PATH: `${env.NODE24_BIN}:${process.env.PATH}`, TMPDIR: csTmp,
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'), XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    // read by the suite inside the extension host
    QEMU_REPLAY_SCREENSHOTS: shotsDir, QEMU_REPLAY_TEST_GREP: grep, QEMU_REPLAY_DRIVER: driverDir,
  };
  const cs = spawn(env.CODE_SERVER, ['--config', path.join(tmp, 'config.yaml'), '--auth', 'none', '--bind-addr', host,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', path.join(tmp, 'ud'), '--extensions-dir', path.join(tmp, 'ext'),
    '--vscode-option', 'enable-smoke-test-driver'],   // without it the workbench ignores the test payload
  { env: csEnv, detached: true, stdio: ['ignore', csLog, csLog] });
  cleanups.push(() => { try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* gone */ } });
  cleanups.push(() => { if (failed || !reported) printTail(csLogFile, 'code-server log'); });
  let up = false;
  for (let i = 0; i < 120 && !up && cs.exitCode === null; i++) {
    up = await fetch(`http://${host}/healthz`).then((r) => r.ok, () => false);
    if (!up) await sleep(250);
  }
  if (!up) throw new Error(`code-server did not answer on ${host} (see its log below)`);
  log(`code-server (pid ${cs.pid}) on ${host}; state in ${tmp}`);

  const { chromium } = createRequire(import.meta.url)(env.PLAYWRIGHT_CORE);
  const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true,
    env: { ...process.env, TMPDIR: path.join(tmp, 'tmp'), XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  const browserPid = browser.process?.()?.pid;
  // Chromium runs in its own process group (playwright starts it detached): end the whole group.
  cleanups.push(() => { if (browserPid) try { process.kill(-browserPid, 'SIGKILL'); } catch { /* gone */ } });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  let resolveExit;
  const exited = new Promise((r) => { resolveExit = r; });
  let shots = Promise.resolve();
  const takeShot = (name) => {
    const file = path.join(shotsDir, `${name.replace(/[^\w.-]/g, '_')}.png`);
    shots = shots.then(() => page.screenshot({ path: file })).then(() => log(`screenshot ${path.relative(root, file)}`),
      (e) => log(`screenshot ${name} failed: ${e.message}`));
    return shots;
  };
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    const msg = format(...(logArgs ?? []));
    const shot = /^@@screenshot (\S+)/.exec(msg);
    if (shot) return void takeShot(shot[1]);
    const drive = /^@@drive (.*)$/s.exec(msg);
    if (drive) return void driveOnce(page, drive[1]);
    const result = /^@@result (\d+) passed, (\d+) failed$/m.exec(msg);
    if (result) { passed = Number(result[1]); failed = Number(result[2]); reported = true; }
    if (NOISE.test(msg)) return;
    console.log(type === 'error' ? `[exthost:error] ${msg}` : msg);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('crash', () => resolveExit('the workbench page crashed'));
  cs.on('exit', (c, signal) => resolveExit(`code-server exited (${c ?? signal})`));

  const payload = [['extensionDevelopmentPath', `vscode-remote://${host}${root}`],
    ['extensionTestsPath', `vscode-remote://${host}${suite}`], ['skipWelcome', 'true'], ['skipReleaseNotes', 'true']];
  await page.goto(`http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  log(`workbench opened on ${workspace}${grep ? `, tests matching /${grep}/` : ''}`);

  const timer = setTimeout(() => resolveExit('timeout'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  if (code === 'timeout') log(`the suite did not finish within ${timeoutMs / 1000} s`);
  else if (typeof code === 'string') log(code);
  await shots;
  if (code !== 0) await takeShot('final');
  await browser.close().catch(() => undefined);
  log(`extension tests finished: exit code ${code}`);
  return code === 0 ? 0 : 1;
}

let driverDir = '';

/**
 * One `@@drive` call of test/vscode/suite/driver.ts: real mouse and keyboard input on the workbench page, or what it
 * shows. The answer goes to DRIVER/ID.json ({value} or {error}), written whole (rename) so the suite never reads half.
 */
async function driveOnce(page, json) {
  let req;
  let answer;
  try {
    req = JSON.parse(json);
    answer = { value: (await drive(page, req)) ?? null };
  } catch (e) {
    answer = { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
  if (!req?.id) return log(`bad @@drive line: ${json.slice(0, 200)}`);
  const file = path.join(driverDir, `${req.id}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(answer));
  fs.renameSync(`${file}.tmp`, file);
}

async function drive(page, r) {
  const timeout = r.timeoutMs ?? 20_000;
  let scope = page;
  for (const f of r.frames ?? []) scope = scope.frameLocator(f);
  const all = () => scope.locator(r.selector);
  const first = () => scope.locator(r.selector).locator('visible=true').first();
  switch (r.op) {
    case 'click':
      return void await first().click({ button: r.button, clickCount: r.clickCount, modifiers: r.modifiers,
        position: r.position, timeout });
    case 'hover': return void await first().hover({ timeout });
    case 'press': return void await page.keyboard.press(r.key);
    case 'type': return void await page.keyboard.type(r.text, { delay: 15 });
    case 'mouse':
      if (r.action === 'move') return void await page.mouse.move(r.x, r.y);
      if (r.action === 'down') return void await page.mouse.down();
      if (r.action === 'up') return void await page.mouse.up();
      if (r.action === 'wheel') { await page.mouse.move(r.x, r.y); return void await page.mouse.wheel(0, r.deltaY); }
      throw new Error(`unknown mouse action ${r.action}`);
    case 'texts':
      // One snapshot of the page, in the page: element by element, a match that went away between the count and its
      // read (the status bar re-renders its items) made playwright wait for it until the call timed out.
      return await all().evaluateAll((els) => els
        .filter((e) => getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length > 0)
        .map((e) => e.innerText));
    case 'count': return await all().count();
    case 'activeElement':
      return await page.evaluate(() => {
        const e = document.activeElement;
        return `${document.hasFocus() ? 'page focused' : 'page NOT focused'}: <${e?.tagName.toLowerCase()} class="${e?.className}" aria-label="${e?.getAttribute('aria-label') ?? ''}">`;
      });
    case 'checked': return await all().first().isChecked({ timeout });
    case 'value': return (await first().count()) ? await first().inputValue({ timeout }) : null;
    case 'html': return await all().evaluateAll((els) => (els.length ? els[0].outerHTML.slice(0, 20_000) : null));
    case 'box': return (await all().locator('visible=true').count()) ? await first().boundingBox() : null;
    case 'attribute': return await all().evaluateAll((els, name) => (els.length ? els[0].getAttribute(name) : null), r.name);
    case 'focused':
      // The element has the document's focus and the document (a webview's frame too) has the page's.
      return await all().evaluateAll((els) => els.length > 0 && document.hasFocus()
        && (els[0] === document.activeElement || els[0].contains(document.activeElement)));
    case 'waitFor': return void await all().first().waitFor({ state: r.state ?? 'visible', timeout });
    default: throw new Error(`unknown op ${r.op}`);
  }
}

function printTail(file, what) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30);
    console.log(`--- ${what} (last lines of ${file}) ---\n${lines.join('\n')}\n---`);
  } catch { /* none */ }
}

main().then(finish, (e) => {
  console.error(`vscode: ${e instanceof Error ? e.message : String(e)}`);
  finish(1);
});
