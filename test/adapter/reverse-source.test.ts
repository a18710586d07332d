/**
 * Source-level time travel against plain gdb: the adapter's reverse step over / into / out land on the lines, at
 * the icounts, that gdb's own reverse-next / reverse-step / reverse-finish reach from the same position; reverse
 * continue to a watchpoint finds the last write.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { PlainReplay } from '../support/plainReplay';
import { GUEST_SOURCE, guestElf, icount, ReplayDebugClient, replayFixture, tagLine, topFrame } from './support';

const arch = 'aarch64';

describe('source-level reverse steps agree with gdb', () => {
  let plain: PlainReplay;
  // Stopped before the session ends: its QEMU's command line names the copy, whose path starts with the recording's.
  after(async () => { await plain?.stop(); });
  const session = replayFixture(arch);
  let dc: ReplayDebugClient;
  before(async () => {
    dc = session.dc;
    // A copy: two QEMUs cannot share one snapshot image (QEMU locks it).
    cpSync(session.recording, `${session.recording}-plain`, { recursive: true });
    plain = await PlainReplay.start(`${session.recording}-plain`, guestElf(arch));
  });

  /** Both at the n-th hit of a tagged line. */
  async function bothAt(tag: string, hits: number): Promise<number> {
    await dc.seek({ icount: 0 });
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine(tag) }] });
    for (let i = 0; i < hits; i++) await dc.continueToStop();
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    const at = await icount(dc);
    await plain.seek(0); // returns once QEMU stands at icount 0, gdb's caches dropped
    const bp = await plain.gdb.command(`-break-insert ${GUEST_SOURCE}:${tagLine(tag)}`);
    for (let i = 0; i < hits; i++) await plain.exec('-exec-continue');
    await plain.gdb.command(`-break-delete ${(bp.bkpt as { number: string }).number}`);
    assert.equal(await plain.icount(), at, 'both at the same hit');
    return at;
  }

  async function compare(dapRequest: () => Promise<unknown>, gdbCommand: string): Promise<void> {
    await dc.stopAfter(() => dapRequest());
    const ours = { icount: await icount(dc), line: (await topFrame(dc)).line, func: (await topFrame(dc)).name };
    await plain.exec(gdbCommand);
    const theirs = await plain.where();
    assert.deepEqual(ours, { icount: theirs.icount, line: theirs.line, func: theirs.func });
  }

  test('reverse step over (Step Back) = reverse-next, twice', async () => {
    await bothAt('counter-increment', 3);
    await compare(() => dc.stepBackRequest({ threadId: 1 }), '-exec-next --reverse');
    await compare(() => dc.stepBackRequest({ threadId: 1 }), '-exec-next --reverse');
  });

  test('reverse step over from positions all over the recording = reverse-next, then to the line start', async () => {
    // Ours is computed from a short forward replay (adapter/engine/reverseNext.ts), gdb's from reverse single
    // steps: from mid-line positions (right after a seek) and from line starts (after a step), the same place.
    // Both sides then move to the start of the line when gdb stopped inside one (gdb does that with several
    // line-table rows for a line; see ReverseOperations.toLineStart in adapter/engine/reverse.ts).
    const { end } = session;
    const plainToLineStart = async (): Promise<void> => {
      for (let i = 0; i < 32; i++) {
        const w = await plain.where();
        const m = /starts at address (0x[0-9a-f]+)/.exec(await plain.gdb.console(`info line *${w.pc}`));
        if (!m || BigInt(m[1]) === BigInt(w.pc) || w.icount === 0) return;
        await plain.exec('-exec-step-instruction --reverse');
        if ((await plain.where()).line !== w.line) return;
      }
    };
    let compared = 0;
    for (let k = 1; k <= 12; k++) {
      const at = Math.floor((end * k) / 13);
      for (const afterStep of [false, true]) {
        await dc.seek({ icount: at });
        if (afterStep) await dc.stopAfter(() => dc.nextRequest({ threadId: 1 }));
        const from = await icount(dc);
        if ((await topFrame(dc)).line === 0) continue; // no line information here (startup code)
        await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 }));
        const ours = { icount: await icount(dc), line: (await topFrame(dc)).line, func: (await topFrame(dc)).name };
        await plain.seek(from);
        await plain.exec('-exec-next --reverse');
        await plainToLineStart();
        const theirs = await plain.where();
        assert.deepEqual(ours, { icount: theirs.icount, line: theirs.line, func: theirs.func }, `from icount ${from}${afterStep ? ' (after a step)' : ''}`);
        compared++;
      }
    }
    assert.ok(compared >= 20, `compared ${compared} positions`);
  });

  test('reverse step into = reverse-step (enters the call on the previous line)', async () => {
    await bothAt('checksum-write', 5);
    await compare(() => dc.custom('reverseStepIn', { threadId: 1 }), '-exec-step --reverse');
    assert.equal((await topFrame(dc)).name, 'fib', 'back inside the function called on the previous line');
  });

  test('reverse step out = reverse-finish (back to the call site)', async () => {
    await bothAt('mix-return', 4);
    await compare(() => dc.custom('reverseStepOut', { threadId: 1 }), '-exec-finish --reverse');
    assert.equal((await topFrame(dc)).name, 'work');
  });

  test('conditions hold where a forward continue stops: a zero char does not, one gdb cannot evaluate does; reverse continue from one instruction after a hit agrees', async () => {
    const line = tagLine('counter-increment');
    const set = async (condition?: string) => {
      const r = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line, condition }] });
      assert.equal(r.body.breakpoints[0].verified, true, r.body.breakpoints[0].message);
    };
    // Where the third hit is, and one instruction after it (the reverse continue checks that instruction itself).
    await dc.seek({ icount: 0 });
    await set();
    for (let i = 0; i < 3; i++) await dc.continueToStop();
    const hit = await icount(dc);
    await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    const after = await icount(dc);
    assert.equal(after, hit + 1);

    // A char that is zero ("0 '\\000'" in gdb's words): gdb never stops, forward to the end of the recording...
    const zeroChar = '(char)(round - round)';
    await set(zeroChar);
    await dc.seek({ icount: 0 });
    const forward = await dc.continueToStop();
    assert.match(forward.description ?? '', /^End of the recording/, 'a forward continue does not stop at the breakpoint');
    // ...and a reverse continue from just after a hit does not stop there either: back to the start.
    await dc.seek({ icount: after });
    const back = await dc.reverseContinueToStop();
    assert.equal(await icount(dc), 0, back.description);

    // A condition gdb cannot evaluate (no memory there): gdb stops at the first hit, and so does reverse continue.
    const unreadable = '*(volatile int *) 0xfffffffffff0 == 1';
    await set(unreadable);
    await dc.seek({ icount: 0 });
    const first = await dc.continueToStop();
    assert.equal(first.reason, 'breakpoint', first.description);
    assert.equal((await topFrame(dc)).line, line);
    await dc.seek({ icount: after });
    const again = await dc.reverseContinueToStop();
    assert.equal(again.reason, 'breakpoint', again.description);
    assert.equal(await icount(dc), hit);
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
  });

  test('reverse continue to a data breakpoint finds the last write of the variable', async () => {
    // Oracle: forward, the icount of every write to checksum (the watchpoint fires after the writing instruction).
    await dc.seek({ icount: 0 });
    const info = await dc.dataBreakpointInfoRequest({ name: 'checksum' });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const writes: Array<{ icount: number; value: string }> = [];
    for (let i = 0; i < 6; i++) {
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'data breakpoint');
      writes.push({ icount: await icount(dc), value: (await dc.evaluateRequest({ expression: 'checksum', context: 'watch' })).body.result });
    }
    // Go further on, then back: reverse continue stops at the last write, with the value it wrote.
    await dc.seek({ icount: writes[5].icount + 50 });
    const back = await dc.reverseContinueToStop();
    assert.equal(back.reason, 'data breakpoint');
    const at = await icount(dc);
    assert.ok(at <= writes[5].icount && at > writes[4].icount, `stopped at the last write (${at}, writes at ${writes.map((w) => w.icount).join(', ')})`);
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
  });
});
