import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayConfigFor, type LaunchConfigLike } from '../../common/ui-launch';

const record: LaunchConfigLike = {
  type: 'qemu-replay', request: 'launch', name: 'Record', mode: 'record', program: 'prog.elf',
  recording: '${workspaceFolder}/.recordings/run1', overwrite: true, recordLimit: { seconds: 30 }, machine: 'virt',
};

void test('the replay configuration of launch.json on the same recording wins', () => {
  const mine = { type: 'qemu-replay', request: 'launch', name: 'Replay it', mode: 'replay', recording: record.recording, stopOnEntry: false };
  const other = { type: 'qemu-replay', request: 'launch', name: 'Replay other', mode: 'replay', recording: '/elsewhere' };
  assert.equal(replayConfigFor(record, [other, record, mine]), mine);
});

void test('no replay configuration: the record one turned into a replay, without record-only fields', () => {
  const replay = replayConfigFor(record, [record]);
  assert.deepEqual(replay, {
    type: 'qemu-replay', request: 'launch', name: 'Record (replay)', mode: 'replay', program: 'prog.elf',
    recording: '${workspaceFolder}/.recordings/run1', machine: 'virt',
  });
  assert.equal(record.overwrite, true, 'the record configuration is left as it was');
});

void test('a replay of another debugger type does not count', () => {
  const foreign = { type: 'other', request: 'launch', name: 'x', mode: 'replay', recording: record.recording };
  assert.equal(replayConfigFor(record, [foreign]).name, 'Record (replay)');
});
