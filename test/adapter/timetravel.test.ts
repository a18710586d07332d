/**
 * Time travel on real QEMU and gdb: an adapter-level version of QEMU's own reverse-debugging test, reverse
 * continue against a forward-run oracle, and the determinism oracle (every way of reaching an icount gives the
 * same machine state).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Arch, GUEST_SOURCE, icount, pc, ReplayDebugClient, replayFixture, tagLine, topFrame } from './support';

async function stepi(dc: ReplayDebugClient): Promise<void> {
  await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
}
async function stepBackI(dc: ReplayDebugClient): Promise<void> {
  await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
}
async function registers(dc: ReplayDebugClient): Promise<string> {
  const frames = await dc.stackTraceRequest({ threadId: 1 });
  const scopes = await dc.scopesRequest({ frameId: frames.body.stackFrames[0].id });
  const regs = scopes.body.scopes.find((s) => s.name === 'Registers')!;
  const vars = await dc.variablesRequest({ variablesReference: regs.variablesReference });
  return vars.body.variables.map((v) => `${v.name}=${v.value}`).join(' ');
}
async function memory(dc: ReplayDebugClient, address: string, count: number): Promise<string> {
  const r = (await dc.send('readMemory', { memoryReference: address, count })) as { body?: { data?: string } };
  return r.body?.data ?? '';
}

for (const arch of ['aarch64', 'riscv64'] as Arch[]) {
  describe(`time travel on ${arch}`, () => {
    const session = replayFixture(arch);

    test('the replay advertises step back; replayInfo reports mode, position and end', async () => {
      const { dc, recording } = session;
      const info = await dc.info();
      assert.equal(info.mode, 'play');
      assert.equal(info.recording, recording);
      assert.ok(info.endIcount! > 10_000);
    });

    test('a snapshot saved in the replay: listed at its icount; a seek to it gives the registers the forward run had there', async () => {
      const { dc, end } = session;
      const at = Math.floor(end / 3);
      await dc.seek({ icount: at });
      const expected = { regs: await registers(dc), pc: await pc(dc) };
      const saved = await dc.custom('saveSnapshot', { name: `tt-${arch}` });
      assert.equal(saved.snapshot.icount, at);
      assert.ok((await dc.custom('listSnapshots')).snapshots.some((x) => x.name === `tt-${arch}` && x.icount === at));
      await dc.seek({ icount: end - 5 });
      await dc.seek({ snapshot: `tt-${arch}` });
      assert.equal(await icount(dc), at);
      assert.deepEqual({ regs: await registers(dc), pc: await pc(dc) }, expected);
      await dc.custom('deleteSnapshot', { name: `tt-${arch}` });
    });

    test("QEMU's reverse-debugging procedure: 10 steps forward, 10 back, forward again, reverse continue", async () => {
      const { dc, end } = session;
      // From the start: these instructions run once or a few times, so the forward-run oracle stays short.
      await dc.seek({ icount: 0 });
      const start = await icount(dc);
      const pcs: string[] = [];
      for (let i = 0; i < 10; i++) {
        pcs.push(await pc(dc));
        await stepi(dc);
        assert.equal(await icount(dc), start + i + 1, 'one instruction per step');
      }
      for (let i = 9; i >= 0; i--) {
        await stepBackI(dc);
        assert.equal(await icount(dc), start + i, 'icount drops by exactly one per step back');
        assert.equal(await pc(dc), pcs[i], `pc after stepping back to step ${i}`);
      }
      for (let i = 0; i < 10; i++) {
        assert.equal(await pc(dc), pcs[i], `pc in order again at step ${i}`);
        await stepi(dc);
      }
      // Instruction breakpoints on the ten pcs; the oracle: every hit of them from the start, by forward runs.
      const set = (await dc.send('setInstructionBreakpoints', { breakpoints: [...new Set(pcs)].map((p) => ({ instructionReference: p })) })) as { body: { breakpoints: Array<{ verified: boolean }> } };
      assert.ok(set.body.breakpoints.every((b) => b.verified));
      const target = end - 100;
      await dc.seek({ icount: 0 });
      let lastHit = -1;
      let lastPc = '';
      for (;;) {
        await dc.custom('setIcountBreakpoints', { icounts: [target] });
        const stop = await dc.continueToStop();
        const now = await icount(dc);
        if (now >= target) break;
        assert.equal(stop.reason, 'instruction breakpoint');
        lastHit = now;
        lastPc = await pc(dc);
      }
      assert.equal(await icount(dc), target, 'stopped at the icount breakpoint');
      assert.ok(lastHit >= start + 9, 'the oracle saw the ten');
      await dc.custom('setIcountBreakpoints', { icounts: [] });
      const back = await dc.reverseContinueToStop();
      assert.equal(back.reason, 'instruction breakpoint');
      assert.equal(await icount(dc), lastHit, 'reverse continue stops at the most recent hit');
      assert.equal(await pc(dc), lastPc);
      // And again from a breakpoint stop (QEMU 7.2 would skip a hit at icount-1 here).
      const prevHits: number[] = [];
      await dc.seek({ icount: 0 });
      for (;;) {
        await dc.custom('setIcountBreakpoints', { icounts: [lastHit] });
        await dc.continueToStop();
        const now = await icount(dc);
        if (now >= lastHit) break;
        prevHits.push(now);
      }
      await dc.custom('setIcountBreakpoints', { icounts: [] });
      await dc.reverseContinueToStop();
      assert.equal(await icount(dc), prevHits.at(-1), 'the hit before the last one');
      await dc.send('setInstructionBreakpoints', { breakpoints: [] });
    });

    test('reverse continue with nothing to find goes to the start of the recording, and stops there', async () => {
      const { dc } = session;
      await dc.seek({ icount: 500 });
      const stop = await dc.reverseContinueToStop();
      assert.equal(await icount(dc), 0);
      assert.match(stop.text ?? '', /start of the recording/);
      const again = await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(await icount(dc), 0, 'no step back before icount 0');
      assert.match(again.text ?? '', /start of the recording/);
    });

    test('reverse continue right after continues goes back to the previous hit, and follows the breakpoints changed since', async () => {
      const { dc } = session;
      const counterLine = tagLine('counter-increment');
      const checksumLine = tagLine('checksum-write');
      const set = (bps: Array<{ line: number; condition?: string }>) => dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: bps });
      const where = async () => ({ icount: await icount(dc), line: (await topFrame(dc)).line, pc: await pc(dc) });
      await dc.seek({ icount: 0 });
      await set([{ line: counterLine }]);
      // The oracle: forward hits of the counter line (one per round).
      const hits = [];
      for (let i = 0; i < 4; i++) {
        await dc.continueToStop();
        hits.push(await where());
      }
      const [, a, b, c] = hits;
      await dc.seek({ icount: b.icount });
      const counterAtB = (await dc.evaluateRequest({ expression: 'counter', context: 'watch', frameId: (await topFrame(dc)).id })).body.result;
      assert.match(counterAtB, /^\d+$/);
      // Continue from a hit, continue again: back to the hit before, exactly (what the continues showed).
      await dc.seek({ icount: a.icount });
      await dc.continueToStop();
      await dc.continueToStop();
      assert.deepEqual(await where(), c);
      const back = await dc.reverseContinueToStop();
      assert.equal(back.reason, 'breakpoint', back.description);
      assert.deepEqual(await where(), b);
      // A breakpoint added since on a line the guest runs between two hits: reverse continue stops there.
      await dc.continueToStop();
      assert.deepEqual(await where(), c);
      await set([{ line: counterLine }, { line: checksumLine }]);
      await dc.reverseContinueToStop();
      const between = await where();
      assert.equal(between.line, checksumLine);
      assert.ok(between.icount > b.icount && between.icount < c.icount, `${between.icount} between ${b.icount} and ${c.icount}`);
      // A condition that no longer holds at the hit before: reverse continue goes past it.
      await set([{ line: counterLine }]);
      await dc.seek({ icount: b.icount });
      await dc.continueToStop();
      assert.deepEqual(await where(), c);
      await set([{ line: counterLine, condition: `counter != ${counterAtB}` }]);
      await dc.reverseContinueToStop();
      assert.deepEqual(await where(), a, 'past b, where the condition does not hold');
      await set([]);
    });

    test('icount breakpoints: three hit in order, a seek back before the first, and they hit again', async () => {
      const { dc } = session;
      const points = [3000, 7000, 12000];
      const r = await dc.custom('setIcountBreakpoints', { icounts: [...points].reverse() });
      assert.deepEqual(r.breakpoints.map((b) => b.verified), [true, true, true]);
      await dc.seek({ icount: 100 });
      for (const p of points) {
        await dc.continueToStop();
        assert.equal(await icount(dc), p);
      }
      await dc.seek({ icount: 2000 });
      await dc.continueToStop();
      assert.equal(await icount(dc), 3000);
      // Reverse continue honours icount breakpoints behind the position.
      await dc.seek({ icount: 9000 });
      await dc.reverseContinueToStop();
      assert.equal(await icount(dc), 7000);
      await dc.custom('setIcountBreakpoints', { icounts: [] });
    });

    test('icount breakpoints from the Breakpoints view and from the custom request both stay: each sets only its own', async () => {
      const { dc } = session;
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'icount:4000' }] });
      await dc.custom('setIcountBreakpoints', { icounts: [8000] });
      assert.deepEqual((await dc.info()).icountBreakpoints, [4000, 8000], 'the request kept the view\'s');
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'icount:5000' }] });
      assert.deepEqual((await dc.info()).icountBreakpoints, [5000, 8000], 'the view replaced only its own');
      await dc.seek({ icount: 100 });
      await dc.continueToStop();
      assert.equal(await icount(dc), 5000);
      await dc.continueToStop();
      assert.equal(await icount(dc), 8000);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      assert.deepEqual((await dc.info()).icountBreakpoints, [8000]);
      await dc.custom('setIcountBreakpoints', { icounts: [] });
      assert.deepEqual((await dc.info()).icountBreakpoints, []);
    });

    test('a continue from a breakpoint reached by a seek (not by gdb) goes on to the next hit', async () => {
      const { dc } = session;
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
      await dc.seek({ icount: 0 });
      await dc.continueToStop();
      const first = await icount(dc);
      await dc.continueToStop();
      const second = await icount(dc);
      assert.ok(second > first);
      // gdb's last stop elsewhere (one instruction on), then a seek back onto the first hit's breakpoint address.
      await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      await dc.seek({ icount: first });
      const stop = await dc.continueToStop();
      assert.equal(await icount(dc), second, `continue from ${first} (on the breakpoint) stopped at ${await icount(dc)}`);
      assert.equal(stop.reason, 'function breakpoint');
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    });

    test('determinism: forward run, seek back, seek forward and one step back give identical state', async () => {
      const { dc, end } = session;
      const rounds = Number(process.env.QEMU_REPLAY_ORACLE_ROUNDS ?? 25);
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const dataAddr = async () => ((await dc.evaluateRequest({ expression: '&checksum', context: 'watch' })).body.memoryReference ?? '');
      for (let i = 0; i < rounds; i++) {
        const at = 1 + Math.floor(random() * (end - 2));
        // 1: forward run from the start to an icount breakpoint
        await dc.seek({ icount: 0 });
        await dc.custom('setIcountBreakpoints', { icounts: [at] });
        await dc.continueToStop();
        await dc.custom('setIcountBreakpoints', { icounts: [] });
        assert.equal(await icount(dc), at);
        const addr = await dataAddr();
        const expected = { regs: await registers(dc), mem: await memory(dc, addr, 64) };
        // 2: seek backwards from the end
        await dc.seek({ to: 'end' });
        await dc.seek({ icount: at });
        assert.deepEqual({ regs: await registers(dc), mem: await memory(dc, addr, 64) }, expected, `seek back to ${at}`);
        // 3: seek forwards from before
        await dc.seek({ icount: Math.floor(at / 2) });
        await dc.seek({ icount: at });
        assert.deepEqual({ regs: await registers(dc), mem: await memory(dc, addr, 64) }, expected, `seek forward to ${at}`);
        // 4: one instruction back from at+1
        await dc.seek({ icount: at + 1 });
        await stepBackI(dc);
        assert.equal(await icount(dc), at);
        assert.deepEqual({ regs: await registers(dc), mem: await memory(dc, addr, 64) }, expected, `step back to ${at}`);
      }
    });
  });
}
