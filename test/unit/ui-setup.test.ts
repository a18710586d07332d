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
    'qemu-img': version('qemu-img version 7.2.22'),
    'gdb-multiarch': gdbOk,
  });
  const report = await checkSetup(run);
  assert.equal(report.ok, true);
  assert.equal(report.fix, undefined);
  assert.deepEqual(report.results.map((r) => r.ok), [true, true, true, true, true]);
  assert.equal(report.results[2].detail, 'qemu-img version 7.2.22');
  assert.deepEqual(run.calls[0], ['qemu-system-aarch64', '--version']);
  assert.match(formatSetupReport(report), /Everything qemu-replay needs is installed/);
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
  assert.equal(report.results.length, 4, 'no reverse check without gdb');
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
  assert.match(report.results[4].detail, /cannot debug aarch64 and riscv64 guests/);
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
