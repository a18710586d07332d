/**
 * The whole recording at a glance (issue #16), on real QEMU and gdb: hit history, retroactive logpoints, the last
 * and next write of a variable, two moments compared, the guest's output with icounts. Every answer is checked
 * against a forward-replay oracle: the stops of plain forward continues from the start of the recording.
 */
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { describe, test } from 'node:test';
import type { HistoryHit, HitHistoryMethod } from '../../common/protocol';
import {
  GUEST_SOURCE, guestModel, icount, ReplayDebugClient, replayFixture, tagLine, topFrame,
} from './support';

interface OracleStop { icount: number; line: number; pc: string; values: string[] }

/** The stops of forward continues from `from` to the end of the recording, with `evaluate` read at each. */
async function forwardStops(dc: ReplayDebugClient, evaluate: string[] = [], from = 0): Promise<OracleStop[]> {
  await dc.seek({ icount: from });
  const out: OracleStop[] = [];
  for (;;) {
    const s = await dc.continueToStop();
    if (!/breakpoint/.test(s.reason)) break;
    const f = await topFrame(dc);
    const values: string[] = [];
    for (const e of evaluate) {
      // Not every stop has every name in scope (another breakpoint's function): '' there.
      values.push(await dc.evaluateRequest({ expression: e, frameId: f.id, context: 'watch' }).then((r) => r.body.result, () => ''));
    }
    out.push({ icount: await icount(dc), line: f.line, pc: f.instructionPointerReference!, values });
  }
  return out;
}

async function setLine(dc: ReplayDebugClient, bps: DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
  return (await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: bps })).body.breakpoints;
}

/** Collects the `hitHistory` events of one breakpoint until its `done`. */
function collectHits(dc: ReplayDebugClient, breakpointId: number): { hits: HistoryHit[]; batches: number; done: Promise<void> } {
  const c = { hits: [] as HistoryHit[], batches: 0, done: undefined as unknown as Promise<void> };
  c.done = new Promise<void>((resolve) => {
    const on = (e: DebugProtocol.Event) => {
      const body = e.body as { breakpointId: number; hits: HistoryHit[]; done?: boolean };
      if (body.breakpointId !== breakpointId) return;
      if (body.hits.length) c.batches++;
      c.hits.push(...body.hits);
      if (body.done) { dc.off('hitHistory', on); resolve(); }
    };
    dc.on('hitHistory', on);
  });
  return c;
}

/**
 * The passes that stop gdb at each hit: with the plugin, found in the background and visited with QEMU's replay
 * breakpoint (`plugin+gdb`: a condition, here always true, is evaluated there); without it, gdb breakpoints (`gdb`).
 * (A background pass alone is cancelled in the kernel test: this recording is over before a cancel could arrive.)
 */
function passTests(session: ReturnType<typeof replayFixture>, method: HitHistoryMethod): void {
  test(`hit history (${method}): cancelled by its request id, it answers complete: false and the position stays`, async () => {
    const { dc } = session;
    const [bp] = await setLine(dc, [{ line: tagLine('fib-loop'), condition: 'n < 100' }]);
    try {
      await dc.seek({ icount: 1000 });
      const first = dc.expectEvent('hitHistory', { filter: (b) => b.breakpointId === bp.id && b.hits.length > 0 });
      // The request's seq: the client numbers its requests 1, 2, 3, … (ProtocolClient.sequence is the next one).
      const requestId = (dc as unknown as { sequence: number }).sequence;
      const pending = dc.response('hitHistory', { breakpointId: bp.id });
      await first;
      await dc.response('cancel', { requestId });
      const r = await pending;
      assert.equal(r.success, true);
      const body = r.body as { hits: HistoryHit[]; complete: boolean; method: HitHistoryMethod };
      assert.equal(body.complete, false);
      assert.equal(body.method, method);
      assert.ok(body.hits.length >= 1 && body.hits.length < 396, `${body.hits.length} hits before the cancel`);
      assert.equal(await icount(dc), 1000);
    } finally {
      await setLine(dc, []);
    }
  });

  test(`a hit pass (${method}) gives way to the user: a request sent meanwhile is answered before the pass ends, at the position, and no hit is lost`, async () => {
    const { dc } = session;
    const [bp] = await setLine(dc, [{ line: tagLine('fib-loop'), condition: 'n < 100' }]);
    try {
      await dc.seek({ icount: 2000 });
      const top = await topFrame(dc);
      const whole = await dc.custom('hitHistory', { breakpointId: bp.id! });
      assert.ok(whole.hits.length > 300);
      assert.equal(whole.method, method);
      const batch = () => dc.expectEvent('hitHistory', { filter: (b) => b.breakpointId === bp.id && b.hits.length > 0 });
      let next = batch();
      let historyDone = false;
      const pending = dc.custom('hitHistory', { breakpointId: bp.id! }).then((r) => { historyDone = true; return r; });
      await next;
      // Asked while the pass runs: answered from the user's position, while the pass is still going.
      const during = await dc.stackTraceRequest({ threadId: 1 });
      const evaluated = await dc.evaluateRequest({ expression: 'counter', frameId: top.id, context: 'hover' });
      assert.equal(historyDone, false, 'the requests did not wait for the whole pass');
      assert.equal(during.body.stackFrames[0].instructionPointerReference, top.instructionPointerReference);
      assert.equal(during.body.stackFrames[0].line, top.line);
      assert.ok(evaluated.body.result !== '');
      // More interruptions, each after the pass has gone on again and found more: wherever they land (between hits,
      // during a run, right after a hit), no hit is lost or counted twice.
      for (let k = 0; k < 4 && !historyDone; k++) {
        next = batch();
        await Promise.race([next, pending]);
        if (!historyDone) assert.equal((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line, top.line);
      }
      const r = await pending;
      assert.equal(r.complete, true);
      assert.deepEqual(r.hits, whole.hits, 'the same hits as a pass nobody interrupted');
      assert.equal(await icount(dc), 2000);
    } finally {
      await setLine(dc, []);
    }
  });
}

describe('the whole recording at a glance (aarch64)', () => {
  const session = replayFixture('aarch64');

  test('hit history of a source breakpoint: exactly the stops of forward continues, streamed, and the position stays', async () => {
    const { dc } = session;
    const line = tagLine('mix-xor');
    const [bp] = await setLine(dc, [{ line }]);
    try {
      const oracle = await forwardStops(dc);
      assert.equal(oracle.length, 40, 'mix() runs once per round');
      await dc.seek({ icount: oracle[10].icount + 7 });
      const before = { icount: await icount(dc), pc: (await topFrame(dc)).instructionPointerReference };
      const streamed = collectHits(dc, bp.id!);
      const r = await dc.custom('hitHistory', { breakpointId: bp.id! });
      await streamed.done;
      assert.equal(r.complete, true);
      assert.equal(r.method, 'plugin', 'a plain breakpoint: counted by the background replay, no gdb stop');
      assert.deepEqual(r.hits.map((h) => h.icount), oracle.map((o) => o.icount));
      assert.deepEqual(r.hits.map((h) => h.pc), oracle.map((o) => o.pc));
      assert.ok(r.hits.every((h) => h.line === line && h.function === 'mix' && h.source?.name === 'prog.c'));
      assert.deepEqual(streamed.hits, r.hits, 'the events carry the same hits, in order');
      assert.ok(streamed.batches >= 1);
      assert.deepEqual({ icount: await icount(dc), pc: (await topFrame(dc)).instructionPointerReference }, before);
      assert.equal((await dc.info()).icount, before.icount);

      // A range: [from, to) of the same hits.
      const from = oracle[5].icount;
      const to = oracle[20].icount;
      const ranged = await dc.custom('hitHistory', { breakpointId: bp.id!, from, to });
      assert.deepEqual(ranged.hits.map((h) => h.icount), oracle.slice(5, 20).map((o) => o.icount));
      assert.equal(ranged.method, 'plugin');
      assert.equal(await icount(dc), before.icount);
    } finally {
      await setLine(dc, []);
    }
  });

  test('hit history honours a condition and a hit count, and other breakpoints do not stop it', async () => {
    const { dc } = session;
    const [bp] = await setLine(dc, [{ line: tagLine('work-fib'), condition: 'round % 3 == 0', hitCondition: '2' }, { line: tagLine('main-print') }]);
    try {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fill_squares' }] });
      const all = await forwardStops(dc, ['round']);
      const oracle = all.filter((s) => s.line === tagLine('work-fib'));
      // Rounds 0, 3, 6, ... 39 pass the condition; the hit count drops the first.
      assert.deepEqual(oracle.map((s) => Number(s.values[0])), Array.from({ length: 13 }, (_, k) => 3 * (k + 1)));
      const r = await dc.custom('hitHistory', { breakpointId: bp.id! });
      assert.deepEqual(r.hits.map((h) => h.icount), oracle.map((o) => o.icount));
      assert.equal(r.method, 'plugin+gdb', 'found by the background replay; the condition evaluated by gdb at each');
      // The other breakpoints are in place afterwards. (gdb's ignore count of the hit-count breakpoint was used up by
      // the first forward run, as it is by any run in the session: only the other two are compared.)
      const others = (stops: OracleStop[]) => stops.filter((s) => s.line !== tagLine('work-fib')).map((s) => s.icount);
      const again = await forwardStops(dc);
      assert.deepEqual(others(again), others(all));
      assert.equal(others(all).length, 6, 'fill_squares once, main-print five times');
    } finally {
      await setLine(dc, []);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    }
  });

  test('hit history of a function breakpoint and of a data breakpoint', async () => {
    const { dc } = session;
    const fn = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fib' }] })).body.breakpoints[0];
    const fnOracle = await forwardStops(dc);
    const fnHits = await dc.custom('hitHistory', { breakpointId: fn.id! });
    assert.equal(fnOracle.length, 40);
    assert.deepEqual(fnHits.hits.map((h) => h.icount), fnOracle.map((o) => o.icount));
    assert.equal(fnHits.method, 'plugin');
    // A hit count alone needs no gdb either: the first four hits are left out, as a forward run does.
    const counted = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fib', hitCondition: '5' }] })).body.breakpoints[0];
    const countedHits = await dc.custom('hitHistory', { breakpointId: counted.id! });
    assert.equal(countedHits.method, 'plugin');
    assert.deepEqual(countedHits.hits.map((h) => h.icount), fnOracle.slice(4).map((o) => o.icount));
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });

    const frame = await topFrame(dc);
    const info = await dc.dataBreakpointInfoRequest({ name: 'counter', frameId: frame.id });
    const data = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] })).body.breakpoints[0];
    try {
      const oracle = await forwardStops(dc, ['counter']);
      assert.deepEqual(oracle.map((o) => Number(o.values[0])), Array.from({ length: 40 }, (_, k) => k + 1));
      const r = await dc.custom('hitHistory', { breakpointId: data.id! });
      assert.deepEqual(r.hits.map((h) => h.icount), oracle.map((o) => o.icount));
      assert.equal(r.method, 'gdb', 'a data breakpoint is gdb\'s watchpoint');
    } finally {
      await dc.setDataBreakpointsRequest({ breakpoints: [] });
    }
  });

  passTests(session, 'plugin+gdb');

  test('a logpoint set in a replay prints every earlier hit, stamped and in order, then the later ones as the replay runs', async () => {
    const { dc } = session;
    const line = tagLine('mix-xor');
    await setLine(dc, [{ line }]);
    const oracle = await forwardStops(dc, ['acc', 'value']);
    await setLine(dc, []);
    // Stop at the 15th hit's place, then turn the line into a logpoint.
    await dc.seek({ icount: oracle[14].icount });
    const lines: DebugProtocol.OutputEvent['body'][] = [];
    const onOutput = (e: DebugProtocol.Event) => {
      const body = e.body as DebugProtocol.OutputEvent['body'];
      if (body.output.startsWith('[icount ') || body.output.startsWith('acc=')) lines.push(body);
    };
    dc.on('output', onOutput);
    try {
      const done = dc.expectEvent('hitHistory', { filter: (b) => b.done === true });
      const [lp] = await setLine(dc, [{ line, logMessage: 'acc={acc} value={value}' }]);
      await done;
      const earlier = lines.splice(0);
      assert.equal(earlier.length, 15, 'hits 1-15 (the one at the position included)');
      earlier.forEach((o, k) => {
        assert.equal(o.output, `[icount ${oracle[k].icount}] acc=${oracle[k].values[0]} value=${oracle[k].values[1]}\n`);
        assert.equal(o.category, 'console');
        assert.equal(o.line, line);
        assert.equal(o.source?.name, 'prog.c');
      });
      assert.equal(await icount(dc), oracle[14].icount, 'the position stays');
      // Forward from here, the logpoint logs as it always did, from the 16th hit on, and the run ends at the end.
      const end = await dc.continueToStop();
      assert.match(end.text ?? '', /End of the recording/);
      assert.deepEqual(lines.map((o) => o.output), oracle.slice(15).map((o) => `acc=${o.values[0]} value=${o.values[1]}\n`));
      // Its hit history carries the messages too.
      const r = await dc.custom('hitHistory', { breakpointId: lp.id! });
      assert.deepEqual(r.hits.map((h) => h.message), oracle.map((o) => `acc=${o.values[0]} value=${o.values[1]}`));
    } finally {
      dc.off('output', onOutput);
      await setLine(dc, []);
    }
  });

  test('lastWrite: back to the instruction after each earlier write of a global, and forward to the next; the writing line', async () => {
    const { dc } = session;
    const frame = await topFrame(dc);
    const info = await dc.dataBreakpointInfoRequest({ name: 'checksum', frameId: frame.id });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const writes = await forwardStops(dc, ['checksum']);
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    const model = guestModel(40);
    assert.equal(writes.length, 40);
    assert.equal(Number(writes[39].values[0]), model.checksum);

    // From between the 20th and 21st writes: back to the 20th, then the 19th; forward to the 20th, then the 21st.
    await dc.seek({ icount: writes[20].icount - 3 });
    const stopped = dc.expectEvent('stopped');
    const back = await dc.custom('lastWrite', { expression: 'checksum', direction: 'backward' });
    const stop = await stopped;
    assert.equal(stop.reason, 'data breakpoint');
    assert.equal(back.found, true);
    assert.equal(back.icount, writes[19].icount);
    assert.equal(await icount(dc), writes[19].icount);
    assert.equal(back.line, tagLine('checksum-write'));
    assert.equal(back.function, 'work');
    assert.equal(Number(back.newValue), Number(writes[19].values[0]));
    assert.equal(Number(back.oldValue), Number(writes[18].values[0]));
    const back2 = await dc.custom('lastWrite', { expression: 'checksum', direction: 'backward' });
    assert.equal(back2.icount, writes[18].icount);
    const fwd = await dc.custom('lastWrite', { expression: 'checksum', direction: 'forward' });
    assert.equal(fwd.icount, writes[19].icount);
    const fwd2 = await dc.custom('lastWrite', { expression: 'checksum', direction: 'forward' });
    assert.equal(fwd2.icount, writes[20].icount);
    assert.equal(await icount(dc), writes[20].icount);
  });

  test('lastWrite of a local and of a field, in the frame asked for', async () => {
    const { dc } = session;
    // In fib(), at its return: `a` was last written by the loop's `a = b`.
    await setLine(dc, [{ line: tagLine('fib-return') }]);
    try {
      await dc.seek({ icount: 0 });
      for (let k = 0; k < 7; k++) await dc.continueToStop(); // the 7th return: round 6, fib(6)
      const here = await icount(dc);
      const r = await dc.custom('lastWrite', { expression: 'a', direction: 'backward' });
      assert.equal(r.found, true);
      assert.equal(r.line, tagLine('fib-loop') + 1, 'a = b');
      assert.ok(r.icount! < here);
      assert.equal(r.newValue, '8', 'fib(6) = 8');
      await dc.seek({ icount: here });
      // origin.y from the caller's frame (main) works too.
      const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      const main = frames.find((f) => f.name === 'main')!;
      const y = await dc.custom('lastWrite', { expression: 'origin.y', frameId: main.id, direction: 'backward' });
      assert.equal(y.found, true);
      assert.equal(y.function, 'work');
      assert.equal(Number(y.newValue), 4 - 6, 'six rounds done before round 6 decremented it');
    } finally {
      await setLine(dc, []);
    }
  });

  test('lastWrite of a register: back to where it last changed and forward to its next change, as instruction steps see it', async () => {
    const { dc } = session;
    await setLine(dc, [{ line: tagLine('mix-return') }]);
    try {
      await dc.seek({ icount: 0 });
      for (let k = 0; k < 5; k++) await dc.continueToStop();
    } finally {
      await setLine(dc, []);
    }
    const here = await icount(dc);
    const x = async () => (await dc.evaluateRequest({ expression: '$x1', context: 'watch' })).body.result;
    // The oracle: one instruction back at a time until x1 differs from its value here.
    const now = await x();
    let s = here;
    for (;;) {
      await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      if ((await x()) !== now) break;
      s--;
    }
    const before = await x();
    await dc.seek({ icount: here });
    const stopped = dc.expectEvent('stopped');
    const back = await dc.custom('lastWrite', { expression: '$x1', direction: 'backward' });
    assert.equal((await stopped).reason, 'data breakpoint');
    assert.equal(back.found, true, back.message);
    assert.equal(back.icount, s);
    assert.equal(await icount(dc), s);
    assert.equal(BigInt(back.newValue!), BigInt(now));
    assert.equal(BigInt(back.oldValue!), BigInt(before));
    // Forward from one before the change: the change itself.
    await dc.seek({ icount: s - 1 });
    const fwd = await dc.custom('lastWrite', { expression: '$x1', direction: 'forward' });
    assert.equal(fwd.icount, s);
    // An outer frame's register is refused.
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    if (frames.length > 1) {
      const outer = await dc.refusal('lastWrite', { expression: '$x1', frameId: frames[1].id, direction: 'backward' });
      assert.match(outer.message ?? '', /of an outer frame is saved on the stack/);
    }
  });

  test('lastWrite: none in the recording says so and leaves the position; registers and bad input are refused clearly', async () => {
    const { dc } = session;
    await dc.seek({ icount: 5000 });
    const none = await dc.custom('lastWrite', { expression: 'banner[0]', direction: 'backward' });
    assert.equal(none.found, false);
    assert.match(none.message!, /No write to banner\[0\] before icount 5000/);
    assert.equal(await icount(dc), 5000);
    const reg = await dc.refusal('lastWrite', { expression: '$x0 + 4', direction: 'backward' });
    assert.match(reg.message ?? '', /\$x0 \+ 4 is not memory: a register is named alone/);
    const unknown = await dc.refusal('lastWrite', { expression: '$foo', direction: 'backward' });
    assert.match(unknown.message ?? '', /\$foo is not one of the CPU's registers \(x0, x1, /);
    const notMem = await dc.refusal('lastWrite', { expression: '1 + 2', direction: 'backward' });
    assert.match(notMem.message ?? '', /1 \+ 2 has no memory to watch/);
    const dir = await dc.refusal('lastWrite', { expression: 'checksum', direction: 'sideways' });
    assert.match(dir.message ?? '', /"direction" must be "backward"/);
    assert.equal(await icount(dc), 5000);
  });

  test('compare: registers, locals and memory at two moments, what differs, and the position stays', async () => {
    const { dc } = session;
    await setLine(dc, [{ line: tagLine('checksum-write') }]);
    const at = await forwardStops(dc, ['round', 'f', 'checksum', '&checksum']);
    await setLine(dc, []);
    const [a, b] = [at[3], at[4]];
    await dc.seek({ icount: 777 });
    const address = /0x[0-9a-f]+/.exec(a.values[3])![0];
    // The frame asked for is that of work() at both moments: the Call Stack at a's stop.
    await dc.seek({ icount: a.icount });
    const frameId = (await topFrame(dc)).id;
    await dc.seek({ icount: 777 });
    const r = await dc.custom('compare', { a: a.icount, b: b.icount, frameId, memory: { address, length: 8 } });
    assert.equal(await icount(dc), 777);
    assert.equal(r.a.icount, a.icount);
    assert.equal(r.b.function, 'work');
    assert.equal(r.a.line, tagLine('checksum-write'));
    const round = r.locals.find((l) => l.name === 'round')!;
    assert.deepEqual([Number(round.a), Number(round.b), round.changed], [3, 4, true]);
    const f = r.locals.find((l) => l.name === 'f')!;
    assert.deepEqual([f.a, f.b], [a.values[1], b.values[1]]);
    const pcRow = r.registers.find((x) => x.name === 'pc')!;
    assert.equal(pcRow.changed, false, 'the same line in the next round: the same pc');
    const sp = r.registers.find((x) => x.name === 'sp')!;
    assert.equal(sp.changed, false);
    // checksum's four bytes (little-endian) at each moment, and the changed offsets among them.
    const le = (v: number) => [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0'));
    assert.deepEqual(r.memory!.a.slice(0, 4), le(Number(a.values[2])));
    assert.deepEqual(r.memory!.b.slice(0, 4), le(Number(b.values[2])));
    assert.deepEqual(r.memory!.changed, [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => r.memory!.a[i] !== r.memory!.b[i]));
    assert.ok(r.memory!.changed.length > 0);
    // Different functions at the frame's level: no locals, and why.
    const other = await dc.custom('compare', { a: 0, b: a.icount, frameId });
    assert.equal(other.locals.length, 0);
    assert.match(other.localsNote!, /their locals are not compared/);
    const bad = await dc.refusal('compare', { a: 0, b: 10, memory: { address: '0x40000000', length: 0 } });
    assert.match(bad.message ?? '', /"memory.length" must be a whole number of bytes/);
  });

  test('guestOutput: every line the guest wrote, with the icount of its first byte, in order', async () => {
    const { dc, end } = session;
    const { lines } = await dc.custom('guestOutput');
    assert.equal(lines[0].text, 'qemu-replay sample guest');
    assert.equal(lines[lines.length - 1].text, 'done');
    assert.equal(lines.filter((l) => l.text.startsWith('round ')).length, 5);
    const model = guestModel(1);
    assert.equal(lines[1].text, `round 00000000 checksum ${model.checksum.toString(16).padStart(8, '0')}`);
    for (let k = 1; k < lines.length; k++) assert.ok(lines[k].icount > lines[k - 1].icount);
    assert.ok(lines.every((l) => l.icount > 0 && l.icount <= end), JSON.stringify({ end, lines }));
    // Each line's icount is its first byte's: between the uart_putc() call that writes that byte and the next call
    // (the hit history of uart_putc, one call per byte of the output, is the oracle).
    const bp = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'uart_putc' }] })).body.breakpoints[0];
    try {
      const calls = (await dc.custom('hitHistory', { breakpointId: bp.id! })).hits.map((h) => h.icount);
      assert.equal(calls.length, lines.reduce((n, l) => n + l.text.length + 1, 0), 'one call per byte, newlines included');
      let byte = 0;
      for (const l of lines) {
        assert.ok(calls[byte] < l.icount && (byte + 1 >= calls.length || l.icount < calls[byte + 1]), `${l.text}: ${l.icount} within [${calls[byte]}, ${calls[byte + 1]})`);
        byte += l.text.length + 1;
      }
    } finally {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    }
  });
});

describe('the whole recording at a glance without the plugin (aarch64): gdb stops at each hit', () => {
  // An empty QEMU_REPLAY_PLUGIN_DIR in the adapter's environment: the way to turn the plugin off.
  const session = replayFixture('aarch64', { adapterEnv: { ...process.env, QEMU_REPLAY_PLUGIN_DIR: '' } });
  passTests(session, 'gdb');

  test('without the plugin, a plain breakpoint\'s hits are gdb\'s, the same as the background replay finds', async () => {
    const { dc } = session;
    const [bp] = await setLine(dc, [{ line: tagLine('mix-xor') }]);
    try {
      const oracle = await forwardStops(dc);
      const r = await dc.custom('hitHistory', { breakpointId: bp.id! });
      assert.equal(r.method, 'gdb');
      assert.deepEqual(r.hits.map((h) => h.icount), oracle.map((o) => o.icount));
    } finally {
      await setLine(dc, []);
    }
  });
});

// The passes use forward runs and seeks only, so they work where gdb's reverse packets do not (x86_64).
for (const arch of ['riscv64', 'x86_64'] as const) {
  describe(`the whole recording at a glance (${arch})`, () => {
    const session = replayFixture(arch);

    test('hit history and the last write of a global match forward continues; compare reads both moments', async () => {
      const { dc } = session;
      const [bp] = await setLine(dc, [{ line: tagLine('checksum-write') }]);
      const oracle = await forwardStops(dc, ['checksum']);
      assert.equal(oracle.length, 40);
      await dc.seek({ icount: oracle[20].icount + 5 });
      const r = await dc.custom('hitHistory', { breakpointId: bp.id! });
      assert.deepEqual(r.hits.map((h) => h.icount), oracle.map((o) => o.icount));
      assert.deepEqual(r.hits.map((h) => h.pc), oracle.map((o) => o.pc));
      assert.equal(r.method, 'plugin');
      await setLine(dc, []);
      // The stop at the checksum-write line is before mix() runs: the 20th write lands after it, before the 21st stop.
      const back = await dc.custom('lastWrite', { expression: 'checksum', direction: 'backward' });
      assert.equal(back.found, true);
      assert.ok(back.icount! > oracle[19].icount && back.icount! < oracle[20].icount, `${back.icount} in (${oracle[19].icount}, ${oracle[20].icount})`);
      assert.equal(Number(back.newValue), Number(oracle[20].values[0]));
      assert.equal(back.line, tagLine('checksum-write'));
      const c = await dc.custom('compare', { a: oracle[1].icount, b: oracle[2].icount });
      assert.equal(await icount(dc), back.icount);
      assert.ok(c.registers.length > 8 && c.registers.some((x) => x.changed));
      assert.equal(c.a.line, tagLine('checksum-write'));
    });
  });
}
