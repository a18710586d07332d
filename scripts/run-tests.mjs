// Runs every test suite and closes with one `N passed, N failed` line (CI reads it).
//   node scripts/run-tests.mjs [unit|adapter|qapi|vscode ...]   (default: all)
// Node's test runner runs the TypeScript suites (through tsx); the VS Code suite runs inside a real VS Code
// (code-server + Chromium, see test/vscode/run.mjs) and reports its own counts.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const groups = [
  { name: 'unit', dir: 'test/unit' },
  { name: 'qapi', dir: 'test/qapi' },
  // Real QEMU + gdb, one file at a time (2 cores): on the system's QEMU 7.2 (QEMU 10.0 at hand for the tests of
  // replays across versions), then the record/replay/reverse core again on QEMU 10.0 (scripts/qemu10.sh).
  { name: 'adapter', dir: 'test/adapter', env: () => qemu10Env(false) },
  { name: 'adapter-qemu10', dir: 'test/adapter', only: QEMU10_CORE(), env: () => qemu10Env(true) },
];

/** The adapter test files that run on QEMU 10.0 too: record, replay, every reverse operation, snapshots, seeks; x86_64; Debian's arm64 kernel; the whole-recording passes. */
function QEMU10_CORE() {
  return ['foundation', 'timetravel', 'reverse-source', 'snapshots', 'forward', 'x86_64', 'kernel', 'history'].map((n) => `test/adapter/${n}.test.ts`);
}

/** The folder of the QEMU 10.0 that scripts/qemu10.sh installs (or finds) in the tool cache; `use`: tests run on it. */
async function qemu10Env(use) {
  const { code, out } = await run('bash', ['scripts/qemu10.sh'], { quiet: true });
  const dir = /^QEMU10_DIR=(.*)$/m.exec(out)?.[1];
  if (code !== 0 || !dir) throw new Error(`scripts/qemu10.sh failed (exit ${code}): QEMU 10.0 is not installed`);
  return { ...process.env, QR_QEMU10_DIR: dir, ...(use ? { QR_QEMU: '10.0' } : {}) };
}

function testFiles(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).sort()
    .map((f) => path.join(dir, f));
}

function run(cmd, args, { env = process.env, quiet = false } = {}) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => { if (!quiet) process.stdout.write(d); out += d.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });
}

let passed = 0, failed = 0, skipped = 0;
/** Each failed group's failures, printed again just before the closing line: a CI log's tail then says what failed and why. */
const recap = [];

/** node:test's spec reporter closes a run that had failures with a "✖ failing tests:" section: that section, bounded. */
function failingSection(name, out) {
  const at = out.lastIndexOf('✖ failing tests:');
  if (at < 0) return;
  const lines = out.slice(at).split('\n');
  recap.push(`--- ${name}\n${lines.slice(0, 80).join('\n')}${lines.length > 80 ? `\n… (${lines.length - 80} more lines: the end of the ${name} output above)` : ''}`);
}
const count = (out, word) =>
  [...out.matchAll(new RegExp(`^(?:ℹ|#) ${word} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);

for (const g of groups) {
  if (wanted.length && !wanted.includes(g.name)) continue;
  const files = testFiles(g.dir).filter((f) => !g.only || g.only.includes(f));
  if (!files.length) continue;
  let env = process.env;
  if (g.env) {
    try {
      env = await g.env();
    } catch (err) {
      console.log(`${g.name}: ${err.message}`);
      failed += 1;
      continue;
    }
  }
  console.log(`\n=== ${g.name} tests (${files.length} files)`);
  const { code, out } = await run(process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { env });
  const p = count(out, 'pass'), f = count(out, 'fail'), s = count(out, 'skipped') + count(out, 'todo');
  passed += p; failed += f; skipped += s;
  if (f) failingSection(g.name, out);
  if (code !== 0 && f === 0) { console.log(`${g.name}: test runner exited with ${code}`); failed += 1; }
  if (p + f === 0) { console.log(`${g.name}: no test ran`); failed += 1; }
}

if ((!wanted.length || wanted.includes('vscode')) && existsSync(path.join(root, 'test/vscode/run.mjs'))) {
  console.log('\n=== tests in a real VS Code (code-server)');
  const { code, out } = await run(process.execPath, ['test/vscode/run.mjs']);
  const m = /^vscode: (\d+) passed, (\d+) failed$/m.exec(out);
  if (m) { passed += Number(m[1]); failed += Number(m[2]); }
  // The VS Code runner prints each failure as "✖ label" followed by its error.
  const failures = out.split('\n').flatMap((line, i, all) => (line.startsWith('✖ ') ? [all.slice(i, i + 12).join('\n')] : []));
  if (failures.length) recap.push(`--- vscode\n${failures.join('\n')}`);
  if (!m || Number(m[1]) === 0) { console.log('vscode: the suite reported no passing test'); failed += 1; }
  else if (code !== 0 && Number(m[2]) === 0) { console.log(`vscode: runner exited with ${code}`); failed += 1; }
}

if (recap.length) console.log(`\n=== failures (repeated from above)\n${recap.join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
