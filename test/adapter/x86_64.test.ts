/**
 * The x86_64 sample guest (test/guests/start-x86_64.S: PVH boot, long mode, COM1) recorded and replayed through the
 * adapter: the same program as on aarch64 prints the same lines; stop on entry passes the firmware and stops in
 * `_start`; breakpoints, steps and every reverse operation land where forward runs say they must.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, beforeEach, describe, test } from 'node:test';
import {
  collectOutput, GUEST_SOURCE, guestElf, guestModel, icount, launchSession, pc, QEMU_UNDER_TEST, recording, ReplayDebugClient,
  replayFixture, scopeVariables, startClient, tagLine, topFrame,
} from './support';

const arch = 'x86_64';

async function stepi(dc: ReplayDebugClient): Promise<void> {
  await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
}
async function stepBackI(dc: ReplayDebugClient): Promise<void> {
  await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
}
async function repl(dc: ReplayDebugClient, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, context: 'repl' })).body.result;
}
const hex = (n: number) => n.toString(16).padStart(8, '0');
const serialOf = (dir: string) => readFileSync(path.join(dir, 'serial.txt'), 'utf8');

/** Where a stop is: icount, function and line. */
async function where(dc: ReplayDebugClient): Promise<{ icount: number; func: string; line: number }> {
  const f = await topFrame(dc);
  return { icount: await icount(dc), func: f.name, line: f.line };
}

/** The icounts of the first `n` stops at a tagged line, by forward runs from the start (the oracle). */
async function forwardHits(dc: ReplayDebugClient, tag: string, n: number): Promise<number[]> {
  await dc.seek({ icount: 0 });
  await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine(tag) }] });
  const hits: number[] = [];
  for (let i = 0; i < n; i++) {
    await dc.continueToStop();
    hits.push(await icount(dc));
  }
  return hits;
}

/** No breakpoints of any kind: each test starts clean even when the one before failed half-way. */
async function clearBreakpoints(dc: ReplayDebugClient): Promise<void> {
  await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  await dc.setDataBreakpointsRequest({ breakpoints: [] });
}

describe('x86_64 guest: record, replay and time travel', () => {
  const session = replayFixture(arch);
  let dc: ReplayDebugClient;
  before(() => { dc = session.dc; });
  beforeEach(async () => { if (dc) await clearBreakpoints(dc); });

  test('the recording printed what the aarch64 guest prints: the same lines and checksums', async () => {
    const expected = ['qemu-replay sample guest'];
    for (let round = 0; round < 40; round += 8) expected.push(`round ${hex(round)} checksum ${hex(guestModel(round + 1).checksum)}`);
    expected.push('done');
    const x86 = serialOf(session.recording);
    assert.equal(x86, `${expected.join('\n')}\n`);
    assert.equal(x86, serialOf(await recording('aarch64')), "byte for byte the aarch64 guest's output");
  });

  test('stop on entry passes the firmware and stops in _start; gdb debugs it as i386:x86-64', async () => {
    const { entry } = session;
    assert.equal(entry.reason, 'entry');
    await dc.seek({ icount: 0 });
    const top = await topFrame(dc);
    assert.notEqual(top.name, '_start', 'the CPU starts in the firmware');
    await session.restart();
    dc = session.dc;
    assert.equal((await topFrame(dc)).name, '_start');
    assert.ok(await icount(dc) > 0, 'firmware ran first');
    assert.match(await repl(dc, '-exec show architecture'), /i386:x86-64/);
  });

  test('a function breakpoint stops at each call with the arguments the model says; locals of prog.c are shown', async () => {
    await dc.seek({ icount: 0 });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
    for (let round = 0; round < 3; round++) {
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'function breakpoint');
      assert.equal((await topFrame(dc)).name, 'mix');
      const args = await scopeVariables(dc, 'Arguments');
      assert.equal(args.get('acc')?.value, String(guestModel(round).checksum), `acc in round ${round}`);
    }
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });

  test('a line breakpoint: continue stops there in each round; the globals follow the model', async () => {
    const hits = await forwardHits(dc, 'counter-increment', 3);
    assert.ok(hits[0] < hits[1] && hits[1] < hits[2]);
    assert.deepEqual(await where(dc), { icount: hits[2], func: 'work', line: tagLine('counter-increment') });
    const globals = await scopeVariables(dc, 'Globals');
    assert.equal(globals.get('counter')?.value, '2', 'counter before its third increment');
    assert.equal(globals.get('checksum')?.value, String(guestModel(3).checksum));
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
  });

  test('step back by instruction: ten steps forward, ten back, the same pcs at the same icounts', async () => {
    await forwardHits(dc, 'checksum-write', 2);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    const start = await icount(dc);
    const pcs: string[] = [];
    for (let i = 0; i < 10; i++) {
      pcs.push(await pc(dc));
      await stepi(dc);
      assert.equal(await icount(dc), start + i + 1);
    }
    for (let i = 9; i >= 0; i--) {
      await stepBackI(dc);
      assert.equal(await icount(dc), start + i, 'one instruction back');
      assert.equal(await pc(dc), pcs[i]);
    }
  });

  test('step back by line lands on the previous line; reverse step into enters the call; reverse step out returns to the caller', async () => {
    const [, second] = await forwardHits(dc, 'counter-increment', 2);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    // Forward oracle: the lines work() runs from its checksum write to the increment.
    const [write] = (await forwardHits(dc, 'checksum-write', 2)).slice(1);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    const lines: Array<{ icount: number; line: number }> = [];
    while ((await icount(dc)) < second) {
      lines.push({ icount: await icount(dc), line: (await topFrame(dc)).line });
      await dc.stopAfter(() => dc.nextRequest({ threadId: 1 }));
    }
    assert.equal(await icount(dc), second, 'next over the lines reaches the increment');
    assert.equal(lines[0].icount, write);
    // Back, line by line, over the same lines.
    for (let i = lines.length - 1; i >= 0; i--) {
      await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 }));
      assert.deepEqual({ icount: await icount(dc), line: (await topFrame(dc)).line }, lines[i], `step back to line ${lines[i].line}`);
    }
    // At the checksum write (mix is called on it): reverse step into goes back into fib, called on the line before.
    await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 }));
    assert.equal((await topFrame(dc)).line, tagLine('work-fib'));
    await dc.seek({ icount: write });
    await dc.stopAfter(() => dc.custom('reverseStepIn', { threadId: 1 }));
    assert.equal((await topFrame(dc)).name, 'fib', 'inside the function called on the previous line');
    const inFib = await icount(dc);
    await dc.stopAfter(() => dc.custom('reverseStepOut', { threadId: 1 }));
    const out = await where(dc);
    assert.equal(out.func, 'work', 'back in the caller');
    assert.equal(out.line, tagLine('work-fib'), 'at the call');
    assert.ok(out.icount < inFib);
  });

  // gdb's reverse operations hang x86_64 replays at random on 7.2 and 10.0 (docs/qemu-versions.md, x86_64): the
  // adapter finds the previous hit by seeks and forward runs, on both versions.
  test('reverse continue stops at the previous breakpoint hit, found by forward runs; twice in a row', async () => {
    const hits = await forwardHits(dc, 'mix-xor', 5);
    await clearBreakpoints(dc);
    await dc.seek({ icount: hits[4] + 100 });
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('mix-xor') }] });
    const back = await dc.reverseContinueToStop();
    assert.equal(back.reason, 'breakpoint');
    assert.equal(await icount(dc), hits[4]);
    await dc.reverseContinueToStop();
    assert.equal(await icount(dc), hits[3], 'from a breakpoint stop, the hit before');
    assert.equal((await scopeVariables(dc, 'Arguments')).get('acc')?.value, String(guestModel(3).checksum));
  });

  test('reverse continue to a data breakpoint finds the last write of checksum (where a forward run stops after it)', async () => {
    await dc.seek({ icount: 0 });
    const info = await dc.dataBreakpointInfoRequest({ name: 'checksum' });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const writes: number[] = [];
    for (let i = 0; i < 4; i++) {
      assert.equal((await dc.continueToStop()).reason, 'data breakpoint');
      writes.push(await icount(dc));
    }
    await dc.seek({ icount: writes[3] + 50 });
    const back = await dc.reverseContinueToStop();
    assert.equal(back.reason, 'data breakpoint');
    assert.equal(await icount(dc), writes[3], `the last write (writes at ${writes.join(', ')})`);
    assert.equal((await scopeVariables(dc, 'Globals')).get('checksum')?.value, String(guestModel(4).checksum));
  });

  test('reverse continue with no breakpoint (a seek, no gdb reverse-continue) goes back to the start of the recording', async () => {
    await dc.seek({ icount: Math.floor(session.end / 2) });
    const stop = await dc.reverseContinueToStop();
    assert.equal(await icount(dc), 0);
    assert.match(stop.text ?? '', /start of the recording/);
  });

  test('a snapshot saved in the replay is listed at its icount, a seek to it gives the same state, and reverse steps go on from it', async () => {
    const [at] = (await forwardHits(dc, 'fib-return', 3)).slice(-1);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    const state = async () => ({ where: await where(dc), vars: [...(await scopeVariables(dc, 'Locals'))].map(([k, v]) => `${k}=${v.value}`) });
    const expected = await state();
    const saved = await dc.custom('saveSnapshot', { name: 'x86-fib' });
    assert.equal(saved.snapshot.icount, at);
    assert.ok((await dc.custom('listSnapshots')).snapshots.some((x) => x.name === 'x86-fib' && x.icount === at));
    await dc.seek({ icount: session.end - 10 });
    await dc.seek({ snapshot: 'x86-fib' });
    assert.deepEqual(await state(), expected, 'the snapshot holds the state of the forward run');
    // On microvm a replay from a snapshot taken during the replay works (on pc it hangs QEMU: docs/qemu-versions.md).
    await dc.seek({ icount: at + 3 });
    await stepBackI(dc);
    assert.equal(await icount(dc), at + 2);
    await dc.custom('deleteSnapshot', { name: 'x86-fib' });
  });

  test('seeks both ways reach the same state as a forward run', async () => {
    const [at] = (await forwardHits(dc, 'fib-return', 7)).slice(-1);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    const expected = { where: await where(dc), vars: [...(await scopeVariables(dc, 'Locals'))].map(([k, v]) => `${k}=${v.value}`) };
    const state = async () => ({ where: await where(dc), vars: [...(await scopeVariables(dc, 'Locals'))].map(([k, v]) => `${k}=${v.value}`) });
    await dc.seek({ icount: session.end - 10 });
    await dc.seek({ icount: at });
    assert.deepEqual(await state(), expected, 'seek backwards');
    await dc.seek({ icount: Math.floor(at / 2) });
    await dc.seek({ icount: at });
    assert.deepEqual(await state(), expected, 'seek forwards');
  });

  test('a continue runs to the end of the recording, and steps back from there', async () => {
    await dc.seek({ icount: 0 });
    const stop = await dc.continueToStop();
    assert.match(stop.text ?? '', /End of the recording/);
    const end = await icount(dc);
    assert.equal(end, session.end);
    await stepBackI(dc);
    assert.equal(await icount(dc), end - 1);
  });
});

describe('x86_64 guest: what the launch says', () => {
  test('the replay says, once, that reverse operations run by seeks and forward replays on this QEMU', async () => {
    const rec = await recording(arch);
    const dc = await startClient();
    const output = collectOutput(dc);
    try {
      await dc.stopAfter(() => launchSession(dc, { mode: 'replay', recording: rec, program: guestElf(arch) }));
      const warnings = output.join('').split('\n').filter((l) => l.startsWith('Warning:'));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], new RegExp(`^Warning: QEMU ${QEMU_UNDER_TEST.replace('.', '\\.')}\\.\\d+ hangs at random in gdb's reverse operations on x86_64 guests`));
      assert.match(warnings[0], /steps back, reverse-continues and reverse-steps with seeks and forward replays instead/);
    } finally {
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
    }
  });
});
