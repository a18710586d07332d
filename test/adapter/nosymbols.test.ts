/**
 * A guest without symbols: a raw image (objcopy -O binary) recorded and replayed with no ELF for gdb. What is
 * left works by instruction: disassembly, instruction breakpoints and stepping, registers, memory; what needs
 * symbols says so.
 */
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ARCHES, cleanup, elfBytes, endSession, failure, GUEST_SOURCE, guestElf, objdump, pc, record, replay, runTo, scopeVariables,
  symbolAddress, tempDir, TOOL_PREFIX, topFrame,
} from './support';

for (const arch of ARCHES) {
  describe(`no symbols on ${arch}`, () => {
    const elf = guestElf(arch); // the tests' reference (nm, objdump); the session never sees it
    let recording: string;
    let work: string;
    let dc: DebugClient;
    let entry: DebugProtocol.StoppedEvent;

    before(async () => {
      work = tempDir('qr-raw-');
      const raw = path.join(work, 'prog.bin');
      execFileSync(`${TOOL_PREFIX[arch]}objcopy`, ['-O', 'binary', elf, raw]);
      // The ELF only tells the recorder the architecture; it is gone before the replay.
      const elfCopy = path.join(work, 'prog.elf');
      copyFileSync(elf, elfCopy);
      recording = await record(arch, { kernel: raw, program: elfCopy });
      rmSync(elfCopy);
      ({ dc, entry } = await replay(recording));
    });
    after(async () => {
      await endSession(dc, recording);
      cleanup(recording);
      rmSync(work, { recursive: true, force: true });
    });

    test('the replay of the raw image stops at entry; frames show <no source> at their address; no sources are loaded', async () => {
      assert.equal(entry.body.reason, 'entry');
      const frame = await topFrame(dc);
      assert.match(frame.name, /<no source>$/);
      assert.equal(frame.source, undefined);
      assert.match(frame.instructionPointerReference ?? '', /^0x[0-9a-f]+$/);
      const sources = await dc.send('loadedSources', {}) as DebugProtocol.LoadedSourcesResponse;
      assert.deepEqual(sources.body.sources, []);
      assert.equal(readFileSync(path.join(recording, 'serial.txt'), 'utf8').split('\n')[0], 'qemu-replay sample guest', 'the raw image ran');
    });

    test('what needs symbols says so: line and function breakpoints, expressions', async () => {
      const lines = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: 10 }] });
      assert.equal(lines.body.breakpoints[0].verified, false);
      assert.match(lines.body.breakpoints[0].message ?? '', /No code at .*no source file by that name|No symbol table is loaded/);
      const fns = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
      assert.equal(fns.body.breakpoints[0].verified, false);
      assert.match(fns.body.breakpoints[0].message ?? '', /No function mix|No symbol table is loaded/);
      assert.match(await failure(dc.evaluateRequest({ expression: 'checksum', context: 'watch', frameId: (await topFrame(dc)).id })), /Cannot evaluate "checksum": No symbol table is loaded/);
    });

    test('an instruction breakpoint at mix (address from nm) stops there; registers hold its arguments; scopes without symbols are empty', async () => {
      const mix = symbolAddress(arch, elf, 'mix');
      const set = await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${mix.toString(16)}` }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await runTo(dc, dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, 'instruction breakpoint');
      assert.equal(BigInt(await pc(dc)), mix);
      const regs = await scopeVariables(dc, 'Registers');
      assert.equal(BigInt(regs.get(arch === 'aarch64' ? 'x0' : 'a0')!.value) & 0xffffffffn, 0x1234n, 'mix(0x1234, fib(0))');
      assert.equal(BigInt(regs.get('pc')!.value.split(' ')[0]), mix);
      assert.deepEqual([...(await scopeVariables(dc, 'Locals')).keys()], []);
      assert.deepEqual([...(await scopeVariables(dc, 'Globals')).keys()], []);
      assert.equal(BigInt((await dc.evaluateRequest({ expression: '$pc', context: 'watch', frameId: (await topFrame(dc)).id })).body.result.split(' ')[0]), mix);
    });

    test('disassembly without symbols matches objdump; stepi and nexti land where the instructions say', async () => {
      const here = BigInt(await pc(dc));
      const got = (await dc.disassembleRequest({ memoryReference: `0x${here.toString(16)}`, instructionCount: 8 })).body!.instructions;
      const want = objdump(arch, elf, here, 48).slice(0, 8);
      got.forEach((insn, i) => {
        assert.equal(BigInt(insn.address), want[i].address);
        assert.equal(insn.instructionBytes?.replace(/\s/g, ''), want[i].bytes, `bytes at ${insn.address}`);
        assert.equal(insn.location, undefined, 'no source');
      });
      await runTo(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(BigInt(await pc(dc)), want[1].address);
      await runTo(dc, dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(BigInt(await pc(dc)), want[2].address);
    });

    test('a function breakpoint on *ADDRESS works without symbols (fib, next round)', async () => {
      const fib = symbolAddress(arch, elf, 'fib');
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: `*0x${fib.toString(16)}` }] });
      assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const stop = await runTo(dc, dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, 'function breakpoint');
      assert.equal(BigInt(await pc(dc)), fib);
      assert.equal(BigInt((await scopeVariables(dc, 'Registers')).get(arch === 'aarch64' ? 'x0' : 'a0')!.value), 1n, 'fib(1) in round 1');
    });

    test('memory reads return the image\'s data (banner)', async () => {
      const banner = symbolAddress(arch, elf, 'banner');
      const mem = await dc.send('readMemory', { memoryReference: `0x${banner.toString(16)}`, count: 24 });
      assert.deepEqual(Buffer.from(mem.body!.data, 'base64'), elfBytes(arch, elf, banner, 24));
      assert.equal(Buffer.from(mem.body!.data, 'base64').toString('latin1'), 'qemu-replay sample guest');
    });
  });
}
