/**
 * Symbols that load after the first stop (adapter/dap/lateSymbols.ts): which requests wait for them, the breakpoints
 * of the configuration answered at once and set afterwards under the ids first answered, and the stack shown meanwhile.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DeferredBreakpoints, LateSymbols } from '../../adapter/dap/lateSymbols';

/** A LateSymbols whose loading ends when `finish` is called; `after` records what it was given. */
function loading(): { late: LateSymbols; finish: () => void; fail: (err: Error) => void; seen: Promise<{ deferred: DeferredBreakpoints[]; top: string | undefined }> } {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const loaded = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
  let seen!: (v: { deferred: DeferredBreakpoints[]; top: string | undefined }) => void;
  const seenP = new Promise<{ deferred: DeferredBreakpoints[]; top: string | undefined }>((r) => { seen = r; });
  const late = new LateSymbols('/k/vmlinux', () => loaded, (deferred, top) => { seen({ deferred, top }); return Promise.resolve(); });
  return { late, finish, fail, seen: seenP };
}

const bp = (id: number): DebugProtocol.Breakpoint => ({ id, verified: false });

void test('while the symbols load: requests that need them wait; the stopped machine\'s views, the end and the configuration\'s breakpoints do not', async () => {
  const { late, finish } = loading();
  assert.equal(late.pending, true);
  assert.equal(late.deferring, true);
  for (const command of ['evaluate', 'continue', 'stepBack', 'seek', 'hitHistory', 'lastWrite', 'dataBreakpointInfo', 'loadedSources', 'completions']) {
    assert.equal(late.gate(command, true), late.done, command);
  }
  for (const command of ['threads', 'stackTrace', 'scopes', 'variables', 'disassemble', 'readMemory', 'configurationDone', 'disconnect', 'terminate', 'replayInfo']) {
    assert.equal(late.gate(command, false), undefined, command);
  }
  // The configuration's breakpoints are answered at once (deferred); after configurationDone they wait.
  assert.equal(late.gate('setBreakpoints', false), undefined);
  assert.equal(late.gate('setFunctionBreakpoints', false), undefined);
  assert.equal(late.gate('setBreakpoints', true), late.done);
  finish();
  await late.done;
  assert.equal(late.pending, false);
  assert.equal(late.gate('evaluate', true), undefined);
  assert.equal(late.gate('setBreakpoints', true), undefined);
  assert.match(late.waitingMessage, /^Loading the symbols of \/k\/vmlinux: gdb indexes them on the first launch/);
});

void test('deferred breakpoints: answered with their placeholders, the latest request of each set is set once the symbols are loaded', async () => {
  const { late, finish, seen } = loading();
  const calls: string[] = [];
  const set = (name: string, ids: number[]) => () => { calls.push(name); return Promise.resolve(ids.map((id) => ({ id, verified: true }))); };
  assert.deepEqual(late.defer('source:/a.c', [bp(1), bp(2)], set('a.c first', [10, 11])), [bp(1), bp(2)]);
  late.defer('function', [bp(3)], set('functions', [12]));
  late.defer('source:/a.c', [bp(4)], set('a.c again', [13])); // replaces the first request for a.c
  finish();
  const { deferred } = await seen;
  assert.deepEqual(deferred.map((d) => d.placeholders.map((p) => p.id)), [[4], [3]]);
  for (const d of deferred) await d.set();
  assert.deepEqual(calls, ['a.c again', 'functions']);
  await late.done;
});

void test('while the deferred breakpoints are set, nothing more is deferred, and requests still wait', async () => {
  let release!: () => void;
  const setting = new Promise<void>((r) => { release = r; });
  let inAfter!: () => void;
  const reached = new Promise<void>((r) => { inAfter = r; });
  const late = new LateSymbols('/k/vmlinux', () => Promise.resolve(), async () => { inAfter(); await setting; });
  await reached;
  assert.equal(late.deferring, false);
  assert.equal(late.pending, true);
  assert.equal(late.gate('evaluate', true), late.done);
  release();
  await late.done;
  assert.equal(late.pending, false);
});

void test('the stack shown while the symbols load is passed on (to be shown again if they change it); none shown: undefined', async () => {
  const shown = loading();
  shown.late.stackShown('??');
  shown.finish();
  assert.equal((await shown.seen).top, '??');
  const none = loading();
  none.finish();
  assert.equal((await none.seen).top, undefined);
});

void test('symbols that fail to load still end the wait (done resolves: requests and runs wait for it); the deferred breakpoints are set all the same', async () => {
  const { late, fail, seen } = loading();
  late.defer('function', [bp(1)], () => Promise.resolve([bp(1)]));
  fail(new Error('gdb exited'));
  assert.equal((await seen).deferred.length, 1);
  await late.done;
  assert.equal(late.pending, false);
  // A failure while setting them ends the wait too.
  const failing = new LateSymbols('/k/vmlinux', () => Promise.resolve(), () => Promise.reject(new Error('session ended')));
  await failing.done;
  assert.equal(failing.pending, false);
});
