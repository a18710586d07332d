/**
 * Bad input to forward debugging, each answered with a clear message while the session keeps working: lines
 * without code, functions that do not exist, addresses with no memory, nonsense expressions, conditions and hit
 * counts, unmapped memory, and watchpoints on things that cannot be watched.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ARCHES, failure, GUEST_SOURCE, guestElf, ReplayDebugClient, replayFixture, scopeVariables, symbolAddress, tagLine,
  topFrame,
} from './support';

async function clearAll(dc: ReplayDebugClient): Promise<void> {
  await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  await dc.send('setInstructionBreakpoints', { breakpoints: [] });
  await dc.send('setDataBreakpoints', { breakpoints: [] });
  await dc.seek({ to: 'start' });
}

for (const arch of ARCHES) {
  describe(`bad input on ${arch}`, () => {
    const elf = guestElf(arch);
    const session = replayFixture(arch);

    test('source breakpoints on lines without code, past the end, with nonsense conditions or hit counts are unverified with a reason; the good one is hit', async () => {
      const { dc } = session;
      await clearAll(dc);
      const between = tagLine('fib-return') + 2; // the blank line between fib() and mix()
      const good = tagLine('mix-xor');
      const r = await dc.setBreakpointsRequest({
        source: { path: GUEST_SOURCE },
        breakpoints: [{ line: 1 }, { line: between }, { line: 9999 }, { line: good, condition: 'acc ==' }, { line: good, hitCondition: 'often' }, { line: good }],
      });
      const [comment, blank, past, badCondition, badHits, ok] = r.body.breakpoints;
      assert.equal(comment.verified, false);
      assert.match(comment.message ?? '', /No code at line 1\b.*inside a function/);
      assert.equal(blank.verified, false);
      assert.match(blank.message ?? '', new RegExp(`No code at line ${between}\\b.*in mix\\(\\)`));
      assert.equal(past.verified, false);
      assert.match(past.message ?? '', /No code at line 9999: prog\.c has no code there/);
      assert.equal(badCondition.verified, false);
      assert.match(badCondition.message ?? '', /syntax error/i);
      assert.equal(badHits.verified, false);
      assert.match(badHits.message ?? '', /Hit count "often" is not understood/);
      assert.equal(ok.verified, true);
      assert.equal(ok.line, good);
      const stop = await dc.continueToStop();
      assert.deepEqual(stop.hitBreakpointIds, [ok.id]);
      assert.equal((await topFrame(dc)).line, good);
    });

    test('a line breakpoint moved within its function comes back with the real line, and stops there', async () => {
      const { dc } = session;
      await clearAll(dc);
      const loopEnd = tagLine('fib-return') - 1; // the `}` closing fib's loop has no code of its own
      const r = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: loopEnd }] });
      assert.equal(r.body.breakpoints[0].verified, true);
      assert.equal(r.body.breakpoints[0].line, tagLine('fib-return'));
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'breakpoint');
      assert.equal((await topFrame(dc)).line, tagLine('fib-return'));
    });

    test('function breakpoints on functions that do not exist, instruction breakpoints on addresses with no memory or that are not addresses', async () => {
      const { dc } = session;
      await clearAll(dc);
      const fns = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'no_such_function' }, { name: '*0x4000000000' }, { name: 'fib' }] });
      assert.equal(fns.body.breakpoints[0].verified, false);
      assert.match(fns.body.breakpoints[0].message ?? '', /No function no_such_function in the program's symbols/);
      assert.equal(fns.body.breakpoints[1].verified, false);
      assert.match(fns.body.breakpoints[1].message ?? '', /no memory at that address/);
      assert.equal(fns.body.breakpoints[2].verified, true);
      const insns = await dc.send('setInstructionBreakpoints', {
        breakpoints: [{ instructionReference: '0x4000000000' }, { instructionReference: 'main' }, { instructionReference: `0x${symbolAddress(arch, elf, 'mix').toString(16)}` }],
      }) as DebugProtocol.SetInstructionBreakpointsResponse;
      const [unmapped, notAddress, good] = insns.body.breakpoints;
      assert.equal(unmapped.verified, false);
      assert.match(unmapped.message ?? '', /Cannot place a breakpoint at 0x4000000000: there is no memory/);
      assert.equal(notAddress.verified, false);
      assert.match(notAddress.message ?? '', /"main" is not an address/);
      assert.equal(good.verified, true);
      // The good ones still work: fib first, then mix.
      assert.equal((await dc.continueToStop()).reason, 'function breakpoint');
      assert.equal((await topFrame(dc)).name, 'fib');
      assert.equal((await dc.continueToStop()).reason, 'instruction breakpoint');
      assert.equal((await topFrame(dc)).name, 'mix');
    });

    test('watchpoints on registers and on nonsense are refused with a reason', async () => {
      const { dc } = session;
      await clearAll(dc);
      const reg = await dc.send('dataBreakpointInfo', { name: '$sp' });
      assert.equal(reg.body.dataId, null);
      assert.match(reg.body.description, /register and cannot be watched/);
      const set = await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: 'no_such_variable', accessType: 'write' }, { dataId: 'counter', accessType: 'write' }] });
      assert.equal(set.body.breakpoints[0].verified, false);
      assert.match(set.body.breakpoints[0].message ?? '', /No symbol "no_such_variable" in current context/);
      assert.equal(set.body.breakpoints[1].verified, true);
      assert.equal((await dc.continueToStop()).reason, 'data breakpoint');
      assert.equal((await topFrame(dc)).name, 'work');
    });

    test('data breakpoints honour conditions and hit counts; a nonsense condition or hit count is refused', async () => {
      const { dc } = session;
      await clearAll(dc);
      const set = await dc.send('setDataBreakpoints', {
        breakpoints: [
          { dataId: 'counter', accessType: 'write', hitCondition: '4' },
          { dataId: 'checksum', accessType: 'write', condition: 'checksum ==' },
          { dataId: 'checksum', accessType: 'write', hitCondition: 'sometimes' },
        ],
      });
      assert.equal(set.body.breakpoints[0].verified, true);
      assert.equal(set.body.breakpoints[1].verified, false);
      assert.match(set.body.breakpoints[1].message ?? '', /syntax error/i);
      assert.equal(set.body.breakpoints[2].verified, false);
      assert.match(set.body.breakpoints[2].message ?? '', /Hit count "sometimes" is not understood/);
      assert.equal((await dc.continueToStop()).reason, 'data breakpoint');
      assert.equal((await dc.evaluateRequest({ expression: 'counter', context: 'watch', frameId: (await topFrame(dc)).id })).body.result, '4', 'the 4th write');
      await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: 'counter', accessType: 'write', condition: 'counter == 6' }] });
      assert.equal((await dc.continueToStop()).reason, 'data breakpoint');
      assert.equal((await dc.evaluateRequest({ expression: 'counter', context: 'watch', frameId: (await topFrame(dc)).id })).body.result, '6', 'when the condition holds');
    });

    test('nonsense expressions: evaluate says what gdb found wrong; the next evaluation works', async () => {
      const { dc } = session;
      const frameId = (await topFrame(dc)).id;
      assert.match(await failure(dc.evaluateRequest({ expression: 'nonsense +* 3', context: 'watch', frameId })), /Cannot evaluate "nonsense \+\* 3": No symbol "nonsense" in current context/);
      assert.match(await failure(dc.evaluateRequest({ expression: 'checksum +', context: 'hover', frameId })), /Cannot evaluate "checksum \+": A syntax error in expression/);
      assert.match(await failure(dc.evaluateRequest({ expression: 'squares[', context: 'repl', frameId })), /Cannot evaluate "squares\["/);
      assert.match(await failure(dc.evaluateRequest({ expression: '*(int *)0x4000000000', context: 'watch', frameId })), /Cannot evaluate .*Cannot access memory at address 0x4000000000/);
      assert.equal((await dc.evaluateRequest({ expression: 'squares[9]', context: 'watch', frameId })).body.result, '81');
    });

    test('readMemory of unmapped memory reports unreadable bytes; non-addresses are refused; disassembly there is marked invalid', async () => {
      const { dc } = session;
      const r = await dc.send('readMemory', { memoryReference: '0x4000000000', count: 32 });
      assert.equal(r.body?.unreadableBytes, 32);
      assert.equal(r.body?.data ?? '', '');
      assert.match(await failure(dc.send('readMemory', { memoryReference: 'banner', count: 4 })), /"banner" is not a memory address/);
      const d = await dc.disassembleRequest({ memoryReference: '0x4000000000', instructionCount: 4 });
      assert.equal(d.body?.instructions.length, 4);
      assert.ok(d.body?.instructions.every((i) => i.presentationHint === 'invalid'));
      // The session goes on: variables still read.
      assert.match((await scopeVariables(dc, 'Globals')).get('checksum')?.value ?? '', /^\d+$/);
    });
  });
}
