/**
 * A guest that runs while the user works: the endless sample guest, recorded up to an instruction limit. Pause,
 * breakpoints changed while it runs, and requests that need a stopped guest refused while it runs — after
 * which the session keeps working.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ARCHES, cleanup, collectOutput, endlessElf, failure, GUEST_SOURCE, launchSession, ReplayDebugClient, replayFixture, scopeVariables,
  startClient, tagLine, tempDir, topFrame,
} from './support';

// Record mode stops only at multiples of 2^24 (16.7M): the pause below lands at one of them, a few after the guest
// got under way on a loaded machine, and must land before the limit ends the recording (60M raced it in CI).
const LIMIT = 150_000_000;

/** Starts a continue from the start of the recording and returns once the guest runs. */
async function runFromStart(dc: ReplayDebugClient): Promise<void> {
  await dc.seek({ to: 'start' });
  await continueRunning(dc);
}

/** Continues and returns once the guest runs (the replayState event says so). */
async function continueRunning(dc: ReplayDebugClient): Promise<void> {
  // The replayState event says when the guest runs.
  await dc.eventAfter('replayState', () => dc.continueRequest({ threadId: 1 }), { filter: (state) => state.running });
  assert.equal((await dc.info()).running, true, 'the guest runs');
}

for (const arch of ARCHES) {
  describe(`a running guest on ${arch}`, () => {
    const elf = endlessElf(arch);
    let recordOutput: string[];
    let recordPause: { reason: string; counter: string } | undefined;
    const session = replayFixture(arch, { launch: { program: elf }, record: async () => {
      // Record the endless guest through the adapter with an instruction limit.
      const recording = path.join(tempDir(), 'rec');
      const rec = await startClient();
      recordOutput = collectOutput(rec);
      try {
        const terminated = rec.expectEvent('terminated', { timeout: 60_000 });
        await rec.stopAfter(() => launchSession(rec, { mode: 'record', program: elf, recording, stopOnEntry: true, recordLimit: { instructions: LIMIT } }));
        // Pause while recording, once it is under way (record mode's icount moves in steps of 2^24), then go on.
        await continueRunning(rec);
        let seen = 0;
        for (let i = 0; i < 4000 && seen === 0; i++) {
          seen = (JSON.parse((await rec.evaluateRequest({ expression: 'qmp query-replay', context: 'repl' })).body.result) as { icount: number }).icount;
        }
        const paused = await rec.stopAfter(() => rec.pauseRequest({ threadId: 1 }));
        const counter = (await rec.evaluateRequest({ expression: 'counter', context: 'watch', frameId: (await topFrame(rec)).id })).body.result;
        recordPause = { reason: paused.reason, counter };
        await rec.continueRequest({ threadId: 1 });
        await terminated;
      } finally {
        await rec.stop();
      }
      return recording;
    } });
    after(() => cleanup(session.recording));

    test('pause works while recording; the record limit ended the endless recording once it was reached, and said so once', () => {
      const { recording } = session;
      assert.equal(recordPause?.reason, 'pause');
      assert.ok(Number(recordPause.counter) > 1000, `counter ${recordPause.counter} after 2^24 instructions`);
      const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as { endIcount: number; shutdownCause?: string };
      // Record mode reports icount in steps of 2^24 instructions: the recording ends at or after the limit.
      assert.ok(m.endIcount >= LIMIT, `endIcount ${m.endIcount}`);
      assert.match(m.shutdownCause ?? '', /host-qmp-quit|host-signal/);
      assert.equal(recordOutput.filter((o) => o.startsWith('Record limit reached')).length, 1, recordOutput.join(''));
      assert.ok(recordOutput.some((o) => o.includes('Recording saved to')), 'saved');
    });

    test('pause stops the running guest with reason pause; the stack and registers are readable there', async () => {
      const { dc } = session;
      await runFromStart(dc);
      // QMP answers while the guest runs: wait until it is well under way (the console's qmp shows the live icount).
      let seen = 0;
      for (let i = 0; i < 2000 && seen < 100_000; i++) {
        seen = (JSON.parse((await dc.evaluateRequest({ expression: 'qmp query-replay', context: 'repl' })).body.result) as { icount: number }).icount;
      }
      assert.ok(seen >= 100_000, `running: icount ${seen}`);
      const stop = await dc.stopAfter(() => dc.pauseRequest({ threadId: 1 }));
      assert.equal(stop.reason, 'pause');
      const now = await dc.info();
      assert.equal(now.running, false);
      assert.ok(now.icount >= seen && now.icount < now.endIcount!, `icount ${now.icount}`);
      const frame = await topFrame(dc);
      assert.ok(['main', 'work', 'fib', 'mix', 'uart_putc', 'uart_puts', 'uart_puthex'].includes(frame.name), frame.name);
      const regs = await scopeVariables(dc, 'Registers');
      assert.equal(BigInt(regs.get('pc')!.value.split(' ')[0]), BigInt(frame.instructionPointerReference!));
    });

    test('requests that need a stopped guest are refused while it runs, with a clear message; then the session works on', async () => {
      const { dc } = session;
      await runFromStart(dc);
      const running = /while the guest is running\. Pause it first|need a stopped guest/;
      assert.match(await failure(dc.stackTraceRequest({ threadId: 1 })), running);
      assert.match(await failure(dc.variablesRequest({ variablesReference: 1 })), running);
      assert.match(await failure(dc.evaluateRequest({ expression: 'checksum', context: 'watch' })), running);
      assert.match(await failure(dc.disassembleRequest({ memoryReference: '0x0', instructionCount: 4 })), running);
      assert.match(await failure(dc.send('readMemory', { memoryReference: '0x0', count: 4 })), running);
      assert.match(await failure(dc.evaluateRequest({ expression: '-exec info registers', context: 'repl' })), running);
      assert.equal((await dc.threadsRequest()).body.threads.length, 1, 'threads answers while running');
      const stop = await dc.stopAfter(() => dc.pauseRequest({ threadId: 1 }));
      assert.equal(stop.reason, 'pause');
      assert.match((await dc.evaluateRequest({ expression: 'counter', context: 'watch', frameId: (await topFrame(dc)).id })).body.result, /^\d+$/);
    });

    test('a breakpoint set while the guest runs is hit (no stop for the change itself); the values there agree', async () => {
      const { dc } = session;
      await runFromStart(dc);
      const stops: DebugProtocol.StoppedEvent[] = [];
      dc.on('stopped', (e: DebugProtocol.StoppedEvent) => stops.push(e));
      const hit = dc.expectEvent('stopped');
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await hit;
      assert.equal(stop.reason, 'function breakpoint');
      assert.deepEqual(stop.hitBreakpointIds, [set.body.breakpoints[0].id]);
      assert.equal((await topFrame(dc)).name, 'mix');
      assert.equal(stops.length, 1, 'one stop only');
      // mix(checksum, f) is called from work(round): acc is the global checksum, and counter == round.
      const args = await scopeVariables(dc, 'Arguments');
      const globals = await scopeVariables(dc, 'Globals');
      assert.equal(args.get('acc')?.value, globals.get('checksum')?.value);
      assert.equal((await scopeVariables(dc, 'Arguments', 1)).get('round')?.value, globals.get('counter')?.value);

      // Adding and removing breakpoints while it runs: no stop, it runs on until paused.
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await continueRunning(dc);
      const never = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('main-print'), condition: 'round == 4000000000' }] });
      assert.equal(never.body.breakpoints[0].verified, true);
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
      const paused = await dc.stopAfter(() => dc.pauseRequest({ threadId: 1 }));
      assert.equal(paused.reason, 'pause');
      assert.equal(stops.length, 2, stops.map((s) => s.body.reason).join(', '));
    });
  });
}
