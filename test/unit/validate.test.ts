import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkValue, formatProblems, validateConfiguration, type PathKind } from '../../src/validate';
import { launchAttributes } from '../../common/configSchema';

/** A fake file system: absolute path → kind. */
const probe = (entries: Record<string, PathKind>) => ({ kind: (p: string) => entries[p] });
const ws = '/ws';
const files = probe({ '/ws': 'directory', '/ws/build': 'directory', '/ws/build/prog.elf': 'file',
  '/ws/.recordings/run1': 'directory', '/ws/notes.txt': 'file', '/usr/bin/qemu-system-aarch64': 'file' });
const ctx = { baseDir: ws, probe: files };
const record = { type: 'qemu-replay', request: 'launch', name: 'Rec', mode: 'record', program: '/ws/build/prog.elf',
  recording: '/ws/.recordings/new' };
const replay = { ...record, name: 'Rep', mode: 'replay', recording: '/ws/.recordings/run1' };

const problems = (config: Record<string, unknown>) => validateConfiguration(config, ctx);
const messages = (config: Record<string, unknown>) => problems(config).map((p) => p.message).join('\n');

void test('valid record and replay configurations pass', () => {
  assert.deepEqual(problems(record), []);
  assert.deepEqual(problems(replay), []);
  assert.deepEqual(problems({ ...replay, program: 'build/prog.elf', recording: '.recordings/run1' }), []);
  assert.deepEqual(problems({ ...record, recordLimit: { instructions: 1000 }, qemuArgs: ['-d', 'in_asm'],
    env: { A: 'b' }, icountShift: 0, kernel: '', qemuPath: '/usr/bin/qemu-system-aarch64', gdbPath: 'gdb' }), []);
  assert.deepEqual(problems({ ...record, recordLimit: { seconds: 2.5 } }), []);
});

void test('a missing or wrong mode says which values exist', () => {
  const { mode: _mode, ...noMode } = record;
  assert.match(messages(noMode), /"mode" is missing: add "mode": "record" .* or "mode": "replay"/);
  assert.match(messages({ ...record, mode: 'play' }), /"mode" is "play": it must be "record" .* or "replay"/);
  assert.equal(problems({ ...record, mode: 'play' })[0].attribute, 'mode');
});

void test('a missing or absent program says how to fix it', () => {
  const { program: _p, ...noProgram } = record;
  assert.match(messages(noProgram), /"program" is missing: set it to the guest ELF/);
  assert.match(messages({ ...record, program: '' }), /"program" is missing/);
  assert.match(messages({ ...record, program: '/ws/build/other.elf' }),
    /"program" is "\/ws\/build\/other.elf", which does not exist: build the guest first/);
  assert.match(messages({ ...record, program: '/ws/build' }), /is a folder, not a file/);
  // a kernel alone is enough
  assert.deepEqual(problems({ ...noProgram, kernel: 'build/prog.elf' }), []);
});

void test('recording: required; must exist to replay; must not be a file', () => {
  const { recording: _r, ...noRecording } = replay;
  assert.match(messages(noRecording), /"recording" is missing: set it to the folder that holds the recording/);
  assert.match(messages({ ...replay, recording: '/ws/.recordings/none' }),
    /which does not exist: record the guest first with a "mode": "record" configuration/);
  assert.match(messages({ ...record, recording: '/ws/notes.txt' }), /which is a file: it must be a folder/);
});

void test('wrong types name the attribute and the expected type', () => {
  assert.match(messages({ ...record, stopOnEntry: 'yes' }), /"stopOnEntry" is "yes": it must be a boolean/);
  assert.match(messages({ ...record, icountShift: 2.5 }), /"icountShift" is 2.5: it must be a whole number/);
  assert.match(messages({ ...record, icountShift: 11 }), /"icountShift" is 11: it must be at most 10/);
  assert.equal(messages({ ...record, icountShift: 'auto' }), '');
  assert.match(messages({ ...record, icountShift: 'fast' }), /"icountShift" is "fast": it must be "auto" or a whole number\./);
  assert.match(messages({ ...record, qemuArgs: '-d in_asm' }), /"qemuArgs" is "-d in_asm": it must be an array of strings/);
  assert.match(messages({ ...record, qemuArgs: ['-d', 3] }), /"qemuArgs\[1\]" is 3/);
  assert.match(messages({ ...record, env: { A: 1 } }), /"env.A" is 1: it must be a string/);
  assert.match(messages({ ...record, recordLimit: 1000 }),
    /"recordLimit" is 1000: it must be one of \{"instructions":100000000\} or \{"seconds":10\}/);
  assert.match(messages({ ...record, recordLimit: { instructions: 1, seconds: 1 } }), /"recordLimit" .* must be one of/);
  assert.match(messages({ ...record, recordLimit: { instructions: 0 } }), /must be one of/);
  assert.match(messages({ ...record, program: 42 }), /"program" is 42: it must be a string/);
});

void test('binaries given by path must exist, names are looked up on PATH later', () => {
  assert.match(messages({ ...record, gdbPath: '/opt/gdb/bin/gdb' }), /"gdbPath" is "\/opt\/gdb\/bin\/gdb", which does not exist/);
  assert.deepEqual(problems({ ...record, gdbPath: 'gdb-multiarch' }), []);
});

void test('relative paths resolve against cwd, and cwd must be a folder', () => {
  assert.deepEqual(problems({ ...record, cwd: '/ws/build', program: 'prog.elf' }), []);
  assert.match(messages({ ...record, cwd: '/nowhere' }), /"cwd" is "\/nowhere", which is not a folder/);
});

void test('attach checks types and the gdb server address; request must be launch or attach', () => {
  assert.deepEqual(validateConfiguration({ request: 'attach', gdbServer: 'localhost:1234', qmp: '/tmp/q.sock' }, ctx), []);
  assert.match(validateConfiguration({ request: 'attach', gdbServer: '1234' }, ctx)[0].message,
    /"gdbServer" is "1234": it must have the form host:port/);
  assert.match(validateConfiguration({ request: 'run' }, ctx)[0].message, /"request" is "run": it must be "launch"/);
});

void test('formatProblems names the configuration', () => {
  assert.equal(formatProblems('Rec', [{ message: 'a.' }, { message: 'b.' }]), 'QEMU Replay cannot start "Rec": a. b.');
  assert.match(formatProblems(undefined, [{ message: 'a.' }]), /cannot start this configuration: a\./);
});

void test('checkValue accepts every schema default', () => {
  for (const [key, schema] of Object.entries(launchAttributes)) {
    if (key === 'mode') continue;
    assert.equal(checkValue(key, schema.default, schema), undefined, key);
  }
});

void test('a kernel without symbols: replay needs no program; "architecture" is one of the known names', () => {
  const { program: _p, ...noProgram } = replay;
  assert.deepEqual(problems(noProgram), [], 'the recording has its kernel');
  const { program: _q, ...recordNoProgram } = record;
  assert.deepEqual(problems({ ...recordNoProgram, kernel: 'build/prog.elf', architecture: 'aarch64' }), []);
  assert.match(messages(recordNoProgram), /"program" is missing: .* or set "kernel" to the image QEMU boots \(with "architecture" when it is a raw binary/);
  assert.match(messages({ ...record, architecture: 'arm64' }),
    /"architecture" is "arm64": it must be "aarch64" or "arm" or "riscv64" or "riscv32" or "x86_64"\./);
  assert.equal(problems({ ...record, architecture: 'arm64' })[0].attribute, 'architecture');
});
