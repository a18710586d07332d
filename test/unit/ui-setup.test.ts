import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSetup, formatSetupReport, type RunResult, type Runner } from '../../common/ui-setup';

const version = (line: string): RunResult => ({ code: 0, stdout: `${line}\nCopyright\n`, stderr: '' });
const missing: RunResult = { code: null, stdout: '', stderr: '', errorCode: 'ENOENT' };
const gdbHelp = 'reverse-continue, rc\nContinue program being debugged but run it in reverse.\n'
  + 'reverse-step, rs\nStep program backward\nThe target architecture is set to "aarch64".\n';

/** A fake PATH: program name → result; records what was run, to check no shell is involved. */
function fakeRunner(table: Record<string, RunResult | ((args: readonly string[]) => RunResult)>): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (file: string, args: readonly string[]): Promise<RunResult> => {
    calls.push([file, ...args]);
    const entry = table[file];
    return Promise.resolve(entry === undefined ? missing : typeof entry === 'function' ? entry(args) : entry);
  };
  return Object.assign(run, { calls });
}

const gdbOk = (args: readonly string[]): RunResult =>
  args[0] === '--version' ? version('GNU gdb (Debian 13.1-3) 13.1') : { code: 0, stdout: gdbHelp, stderr: '' };

void test('everything present', async () => {
  const run = fakeRunner({
    'qemu-system-aarch64': version('QEMU emulator version 7.2.22'),
    'qemu-system-riscv64': version('QEMU emulator version 7.2.22'),
    'qemu-system-x86_64': version('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'),
    'qemu-img': version('qemu-img version 7.2.22'),
    'gdb-multiarch': gdbOk,
  });
  const report = await checkSetup(run);
  assert.equal(report.ok, true);
  assert.equal(report.fix, undefined);
  assert.deepEqual(report.results.map((r) => r.ok), [true, true, true, true, true, true, true]);
  assert.equal(report.results[3].detail, 'qemu-img version 7.2.22');
  assert.deepEqual(run.calls[0], ['qemu-system-aarch64', '--version']);
  // Each QEMU: its version and what works with it on its guests; then where a QEMU that does more comes from.
  assert.equal(report.results[0].detail, 'QEMU emulator version 7.2.22 — aarch64 guests: all of record, replay, step back, reverse continue, snapshots');
  assert.equal(report.results[2].detail, 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3) — x86_64 guests: all of record, replay, step back, reverse continue, snapshots');
  assert.equal(report.results[6].name, 'QEMU 10.0');
  assert.match(report.results[6].detail, /^QEMU 10\.0 is tested too\. On Debian 12: bookworm-backports/);
  const text = formatSetupReport(report);
  assert.match(text, /Everything qemu-replay needs is installed/);
  assert.match(text, /✓ QEMU 10\.0: QEMU 10\.0 is tested too/);
});

void test('QEMU 10.0 found: no better one suggested; an untested older version is pointed at the tested one', async () => {
  const newest = await checkSetup(fakeRunner({
    'qemu-system-aarch64': version('QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)'),
    'qemu-img': version('qemu-img version 10.0.2'),
    'gdb-multiarch': gdbOk,
  }));
  assert.equal(newest.ok, true);
  assert.equal(newest.results.some((r) => r.name === 'QEMU 10.0'), false);

  const report = await checkSetup(fakeRunner({
    'qemu-system-aarch64': version('QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)'),
    'qemu-system-riscv64': version('QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)'),
    'qemu-img': version('qemu-img version 10.0.2'),
    'gdb-multiarch': gdbOk,
  }));
  assert.equal(report.ok, true);
  assert.match(report.results[0].detail, /10\.0\.2 .* — aarch64 guests: all of record, replay, step back, reverse continue, snapshots$/);
  assert.match(report.results[1].detail, /8\.2\.2 .* — not tested with qemu-replay \(tested: QEMU 7\.2, 10\.0\)$/);
  assert.match(report.results.find((r) => r.name === 'QEMU 10.0')?.detail ?? '', /^QEMU 10\.0 is tested too\. On Debian 12/);
});

void test('one QEMU target is enough', async () => {
  const report = await checkSetup(fakeRunner({
    'qemu-system-aarch64': version('QEMU emulator version 7.2.22'),
    'qemu-img': version('qemu-img version 7.2.22'),
    'gdb-multiarch': gdbOk,
  }));
  assert.equal(report.ok, true);
  assert.equal(report.results[1].ok, false);
  assert.match(report.results[1].detail, /qemu-system-riscv64 not found/);
});

void test('nothing installed: says what to install', async () => {
  const report = await checkSetup(fakeRunner({}));
  assert.equal(report.ok, false);
  assert.equal(report.fix, 'sudo apt-get install qemu-system-arm qemu-utils gdb-multiarch');
  assert.equal(report.results.length, 5, 'no reverse check without gdb');
  const text = formatSetupReport(report);
  assert.match(text, /✗ qemu-img: qemu-img not found on PATH/);
  assert.match(text, /To fix: sudo apt-get install qemu-system-arm qemu-utils gdb-multiarch/);
});

void test('a gdb without the guest architectures is not enough', async () => {
  const report = await checkSetup(fakeRunner({
    'qemu-system-aarch64': version('QEMU emulator version 7.2.22'),
    'qemu-img': version('qemu-img version 7.2.22'),
    'gdb-multiarch': (args) => args[0] === '--version' ? version('GNU gdb 13.1')
      : { code: 0, stdout: gdbHelp.replace(/The target.*\n/, ''), stderr: 'Undefined item: "aarch64".\n' },
  }));
  assert.equal(report.ok, false);
  assert.match(report.results[5].detail, /cannot debug aarch64 and riscv64 guests/);
  assert.equal(report.fix, 'sudo apt-get install gdb-multiarch');
});

void test('a program that fails to run is reported with its message', async () => {
  const report = await checkSetup(fakeRunner({
    'qemu-system-aarch64': { code: 127, stdout: '', stderr: 'error while loading shared libraries: libfoo.so\n' },
    'qemu-img': version('qemu-img version 7.2.22'),
    'gdb-multiarch': gdbOk,
  }));
  assert.equal(report.ok, false);
  assert.match(report.results[0].detail, /exited with 127: error while loading shared libraries/);
  assert.equal(report.fix, 'sudo apt-get install qemu-system-arm');
});
