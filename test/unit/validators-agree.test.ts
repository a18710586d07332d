/**
 * The extension (src/validate.ts, before a session starts) and the adapter (launcher.ts checkLaunchArguments, for
 * any DAP client) check launch arguments with one function, common/validateConfig.ts (issue #17); the extension adds
 * the file system. They must accept and refuse the same configurations. Paths exist here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLaunchArguments } from '../../adapter/engine/launcher';
import { validateConfiguration, type PathKind } from '../../src/validate';

const kinds: Record<string, PathKind> = { '/ws': 'directory', '/ws/prog.elf': 'file', '/ws/Image': 'file', '/ws/rec': 'directory',
  '/usr/bin/qemu-system-aarch64': 'file' };
const ctx = { baseDir: '/ws', probe: { kind: (p: string) => kinds[p] } };
const base = { type: 'qemu-replay', request: 'launch', name: 'x', mode: 'replay', program: '/ws/prog.elf', recording: '/ws/rec' };

const adapterAccepts = (c: Record<string, unknown>): boolean => {
  try {
    checkLaunchArguments(c);
    return true;
  } catch {
    return false;
  }
};
const extensionAccepts = (c: Record<string, unknown>): boolean => validateConfiguration(c, ctx).length === 0;

const cases: Array<[string, Record<string, unknown>]> = [
  ['a replay', base],
  ['a record', { ...base, mode: 'record', recording: '/ws/new' }],
  ['no mode', { ...base, mode: undefined }],
  ['mode "play"', { ...base, mode: 'play' }],
  ['kernel ""', { ...base, kernel: '' }],
  ['qemuPath ""', { ...base, qemuPath: '' }],
  ['cpu ""', { ...base, cpu: '' }],
  ['snapshotBudgetMB 1.5', { ...base, snapshotBudgetMB: 1.5 }],
  ['snapshotBudgetMB 300', { ...base, snapshotBudgetMB: 300 }],
  ['snapshotBudgetMB -1', { ...base, snapshotBudgetMB: -1 }],
  ['snapshotInterval 0', { ...base, snapshotInterval: 0 }],
  ['snapshotInterval 2.5', { ...base, snapshotInterval: 2.5 }],
  ['stopOnEntry "yes"', { ...base, stopOnEntry: 'yes' }],
  ['icountShift 11', { ...base, icountShift: 11 }],
  ['icountShift "auto"', { ...base, icountShift: 'auto' }],
  ['recordLimit seconds 2.5', { ...base, recordLimit: { seconds: 2.5 } }],
  ['recordLimit instructions 1.5', { ...base, recordLimit: { instructions: 1.5 } }],
  ['recordLimit both', { ...base, recordLimit: { seconds: 1, instructions: 5 } }],
  ['qemuArgs not strings', { ...base, qemuArgs: ['-d', 5] }],
  ['env not strings', { ...base, env: { A: 1 } }],
  ['sourceMap to ""', { ...base, sourceMap: { '/b': '' } }],
  ['sourceMap from ""', { ...base, sourceMap: { '': '/ws' } }],
  ['sourceMap', { ...base, sourceMap: { '/b': '/ws' } }],
  ['machine ""', { ...base, machine: '' }],
  ['gdbPath ""', { ...base, gdbPath: '' }],
  ['env with an empty value', { ...base, env: { A: '' } }],
  ['architecture "sparc"', { ...base, architecture: 'sparc' }],
  ['architecture "riscv64"', { ...base, architecture: 'riscv64' }],
  ['record without program or kernel', { ...base, mode: 'record', recording: '/ws/new', program: undefined }],
  ['record with kernel only', { ...base, mode: 'record', recording: '/ws/new', program: undefined, kernel: '/ws/Image' }],
];

for (const [what, config] of cases) {
  void test(`both validators agree: ${what}`, () => {
    const c = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    assert.equal(adapterAccepts(c), extensionAccepts(c),
      `adapter ${adapterAccepts(c) ? 'accepts' : 'refuses'}, extension ${extensionAccepts(c) ? 'accepts' : 'refuses'} ${JSON.stringify(c)}: ${JSON.stringify(validateConfiguration(c, ctx))}`);
  });
}
