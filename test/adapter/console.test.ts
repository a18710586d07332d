/**
 * The Debug Console and the guest's serial output: plain expressions, `-exec` gdb commands, `qmp` and `hmp`
 * monitor commands (answers, and QEMU's or the adapter's refusals), completions; serial output in record and
 * replay, each line once, marked with the icount at which the guest printed it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { writesToGuest } from '../../adapter/dap/inspect';
import {
  ARCHES, cleanup, collectOutput, failure, GUEST_SOURCE, guestElf, guestModel, icount, launchSession, ReplayDebugClient, replayFixture,
  startClient, tagLine, tempDir, topFrame,
} from './support';

async function repl(dc: ReplayDebugClient, expression: string): Promise<string> {
  const frame = await topFrame(dc);
  return (await dc.evaluateRequest({ expression, context: 'repl', frameId: frame.id })).body.result;
}

const serialLines = (output: string[]) => output.join('').split('\n').filter((l) => l.startsWith('[icount '));

for (const arch of ARCHES) {
  describe(`Debug Console and serial output on ${arch}`, () => {
    const elf = guestElf(arch);
    let recordOutput: string[];
    let recordConsole: Record<string, string>;
    let output: string[];
    let atRound11: { icount: number; lines: string[] } | undefined;

    const session = replayFixture(arch, { launch: { program: elf }, started: (dc) => { output = collectOutput(dc); }, record: async () => {
      // Record with a stop at entry, to use the console while recording, then let it run to the end.
      const recording = path.join(tempDir(), 'rec');
      const rec = await startClient();
      recordOutput = collectOutput(rec);
      try {
        const terminated = rec.expectEvent('terminated', { timeout: 60_000 });
        await rec.stopAfter(() => launchSession(rec, { mode: 'record', program: elf, recording, stopOnEntry: true }));
        recordConsole = { replay: await repl(rec, 'qmp query-replay') };
        recordConsole.stepBack = await failure(rec.stepBackRequest({ threadId: 1 }));
        // Forward debugging while recording: a conditional breakpoint and a value there.
        await rec.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('counter-increment'), condition: 'round == 3' }] });
        recordConsole.hit = (await rec.continueToStop()).reason;
        recordConsole.checksum = await repl(rec, 'checksum');
        await rec.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
        await rec.continueRequest({ threadId: 1 });
        await terminated;
      } finally {
        await rec.stop();
      }
      return recording;
    } });
    after(() => cleanup(session.recording));

    test('while recording: qmp query-replay says record, step back is refused, breakpoints work, the serial output appears once', () => {
      assert.match(recordConsole.replay, /"mode": "record"/);
      assert.equal(recordConsole.hit, 'breakpoint');
      assert.equal(recordConsole.checksum, String(guestModel(4).checksum));
      assert.match(recordConsole.stepBack, /needs a replay session: the guest is being recorded/);
      const text = recordOutput.join('');
      assert.equal(text.split('qemu-replay sample guest\n').length - 1, 1, text);
      assert.equal(text.split('done\n').length - 1, 1);
    });

    test('qmp answers readably: query-replay (mode, icount where the replay is), JSON form, arguments', async () => {
      const { dc, recording } = session;
      const answer = await repl(dc, 'qmp query-replay');
      const parsed = JSON.parse(answer) as { mode: string; icount: number; filename: string };
      assert.equal(parsed.mode, 'play');
      assert.equal(parsed.icount, await icount(dc));
      assert.equal(parsed.filename, path.join(recording, 'replay.bin'));
      assert.match(answer, /\n {2}"mode": "play"/, 'pretty-printed');
      assert.match(await repl(dc, 'qmp {"execute": "query-status"}'), /"running": false/);
      assert.match(await repl(dc, 'qmp human-monitor-command {"command-line": "info version"}'), /7\.2/);
    });

    test('hmp and -exec: monitor text and gdb output, with values the guest computed', async () => {
      const { dc } = session;
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('counter-increment'), condition: 'round == 11' }] });
      await dc.continueToStop();
      atRound11 = { icount: await icount(dc), lines: serialLines(output) }; // for the serial output test
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
      assert.match(await repl(dc, 'hmp info snapshots'), /\binit\b/);
      const pc = BigInt((await topFrame(dc)).instructionPointerReference!);
      assert.match(await repl(dc, 'hmp info registers'), new RegExp(`(PC=|pc\\s+)0*${pc.toString(16)}\\b`, 'i'));
      assert.match(await repl(dc, '-exec print checksum'), new RegExp(`^\\$\\d+ = ${guestModel(12).checksum}$`));
      assert.match(await repl(dc, '-exec info line fib'), /Line \d+ of "prog\.c" starts at address 0x[0-9a-f]+ <fib>/);
      assert.equal(await repl(dc, 'squares[11] - counter'), String(121 - 11), 'plain expressions go to gdb');
    });

    test('what QEMU or gdb rejects, and what would move the guest behind the debugger, is answered with a clear message; the console goes on', async () => {
      const { dc } = session;
      assert.match(await failure(repl(dc, 'qmp no-such-command')), /QEMU rejected no-such-command: The command no-such-command has not been found \(CommandNotFound\)/);
      assert.match(await failure(repl(dc, 'qmp replay-break {"icount": "soon"}')), /moves or stops the guest/);
      assert.match(await failure(repl(dc, 'qmp query-replay {broken')), /Usage: qmp <command> \[JSON arguments\]/);
      assert.match(await failure(repl(dc, 'qmp blockdev-del {"node-name": "nope"}')), /QEMU rejected blockdev-del: .*nope/);
      assert.match(await failure(repl(dc, 'qmp human-monitor-command {"command-line": "loadvm init"}')), /"loadvm" moves or stops the guest/);
      assert.match(await failure(repl(dc, 'hmp info nosuch')), /QEMU's monitor rejected "info nosuch": unknown command/);
      assert.match(await failure(repl(dc, 'hmp stop')), /"stop" moves or stops the guest/);
      assert.match(await failure(repl(dc, 'hmp')), /Usage: hmp <monitor command>/);
      assert.match(await failure(repl(dc, '-exec frobnicate')), /gdb: Undefined command: "frobnicate"/);
      assert.match(await failure(repl(dc, '-exec')), /Usage: -exec <gdb command>/);
      assert.match(await failure(repl(dc, '-exec continue')), /"-exec continue" would run or move the guest/);
      assert.match(await failure(repl(dc, '-exec reverse-stepi')), /"-exec reverse-stepi" would run or move the guest/);
      // The replay is read-only through gdb too: assignments, writes and calls of guest code are refused.
      assert.match(await failure(repl(dc, '-exec set var counter = 99')), /"-exec set var counter = 99" writes to the guest: the session is read-only/);
      assert.match(await failure(repl(dc, 'counter = 99')), /assigns to the guest's memory or registers, and this session is read-only/);
      assert.match(await failure(repl(dc, '$pc = 0')), /assigns to the guest's memory or registers/);
      assert.match(await failure(repl(dc, 'counter++')), /assigns/);
      assert.match(await failure(repl(dc, '-exec print fib(3)')), /calls fib\(\) in the guest/);
      assert.equal(await repl(dc, 'counter == 11 && sizeof(origin) == 8'), '1', 'comparisons and sizeof are fine');
      assert.equal(await repl(dc, 'counter'), '11', 'still working');
    });

    test('completions: QMP command names after qmp, symbols for expressions, gdb commands after -exec', async () => {
      const { dc } = session;
      const qmp = await dc.completionsRequest({ text: 'qmp query-rep', column: 14 });
      assert.deepEqual(qmp.body.targets.map((t) => t.label), ['query-replay']);
      assert.equal(qmp.body.targets[0].start, 4);
      const sym = await dc.completionsRequest({ text: 'squa', column: 5 });
      assert.deepEqual(sym.body.targets.map((t) => t.label), ['squares']);
      const cmd = await dc.completionsRequest({ text: '-exec info regi', column: 16 });
      assert.ok(cmd.body.targets.some((t) => t.label === 'registers'), JSON.stringify(cmd.body.targets));
    });

    test('replayed serial output: each line once, as the replay reaches it, marked with its icount; none again after going back', async () => {
      const { dc, recording } = session;
      const serial = readFileSync(path.join(recording, 'serial.txt'), 'utf8').split('\n').filter(Boolean);
      // The first stop of this session was in round 11: what the guest had printed by then, and nothing later.
      assert.ok(atRound11, 'the hmp/-exec test stopped in round 11 first');
      const early = atRound11.lines;
      assert.deepEqual(early.map((l) => l.replace(/^\[icount \d+\] /, '')), serial.slice(0, 3), 'banner, round 0, round 8');
      for (const l of early) assert.ok(Number(/^\[icount (\d+)\]/.exec(l)![1]) < atRound11.icount, `${l} printed before icount ${atRound11.icount}`);
      assert.ok(early[2].endsWith(` round 00000008 checksum ${guestModel(9).checksum.toString(16).padStart(8, '0')}`), early[2]);

      await dc.continueToStop(); // to the end of the recording
      const all = serialLines(output);
      assert.deepEqual(all.map((l) => l.replace(/^\[icount \d+\] /, '')), serial, 'the record-time output, each line once');
      const icounts = all.map((l) => Number(/^\[icount (\d+)\]/.exec(l)![1]));
      assert.deepEqual([...icounts].sort((a, b) => a - b), icounts, 'in icount order');

      // Back to the start and through again: QEMU re-executes the writes, the console shows nothing twice.
      await dc.seek({ icount: 0 });
      await dc.continueToStop();
      assert.equal(serialLines(output).length, serial.length, 'no duplicates');
    });
  });
}

describe('what counts as writing to the guest (read-only sessions)', () => {
  test('assignments, increments, set var and calls do; comparisons, casts, sizeof, $functions and quoted text do not', () => {
    for (const w of ['x = 1', 'x=1', 'a[2] += 3', 'x++', '--x', 'p->y <<= 1', 'set var x = 2', 'call f()', 'print fib(3)', 'fib (*p)', 'squares[fib(2)]', '$pc = 0']) {
      assert.ok(writesToGuest(w), `${w} writes`);
    }
    for (const r of ['x == 1', 'x != 1', 'x <= 1 && y >= 2', '(int)x', '*(int (*)[200])squares', '(void (*)(int))0x40080000', 'sizeof(origin)',
      '$_strlen(banner)', 'banner == "a = b(c)"', "c == '='", '-x', 'x - -1', 'info line fib', 'x/4i $pc']) {
      assert.equal(writesToGuest(r), undefined, `${r} only reads`);
    }
  });
});
