/**
 * A guest without symbols: a raw image (objcopy -O binary) recorded with "architecture" and no "program", and
 * replayed with no ELF for gdb. What is left works by instruction, forwards and backwards: disassembly, instruction
 * breakpoints, stepping and stepping back, reverse continue, registers, memory; what needs symbols says so.
 * QEMU loads a raw image where the sample's ELF is linked: aarch64 virt at RAM + 0x80000 (= 0x40080000, after its
 * 6-instruction boot stub at 0x40000000, hw/arm/boot.c), riscv64 virt with -bios none at 0x80000000.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ARCHES, cleanup, elfBytes, failure, GUEST_SOURCE, guestElf, icount, objdump, pc, record, replayFixture, scopeVariables,
  startClient, symbolAddress, tempDir, TOOL_PREFIX, topFrame,
} from './support';

for (const arch of ARCHES) {
  describe(`no symbols on ${arch}`, () => {
    const elf = guestElf(arch); // the tests' reference (nm, objdump); the session never sees it
    let work: string;
    const session = replayFixture(arch, {
      launch: { program: undefined },
      record: async () => {
        work = tempDir('qr-raw-');
        const raw = path.join(work, 'prog.bin');
        execFileSync(`${TOOL_PREFIX[arch]}objcopy`, ['-O', 'binary', elf, raw]);
        return await record(arch, { kernel: raw, program: undefined, architecture: arch });
      },
    });
    after(() => {
      cleanup(session.recording);
      rmSync(work, { recursive: true, force: true });
    });

    test('the recording has the architecture it was told and no program', () => {
      const { recording } = session;
      const manifest = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(manifest.architecture, arch);
      assert.equal(manifest.program, undefined);
      assert.equal(manifest.machine, 'virt');
      assert.equal((manifest.qemu as { argv: string[] }).argv[0].endsWith(`qemu-system-${arch}`), true);
    });

    test('the replay of the raw image stops at entry (icount 0); frames show <no source> at their address; no sources are loaded', async () => {
      const { dc, entry, recording } = session;
      assert.equal(entry.reason, 'entry');
      assert.equal(await icount(dc), 0);
      const frame = await topFrame(dc);
      assert.match(frame.name, /<no source>$/);
      assert.equal(frame.source, undefined);
      assert.match(frame.instructionPointerReference ?? '', /^0x[0-9a-f]+$/);
      const sources = await dc.send('loadedSources', {}) as DebugProtocol.LoadedSourcesResponse;
      assert.deepEqual(sources.body.sources, []);
      assert.equal(readFileSync(path.join(recording, 'serial.txt'), 'utf8').split('\n')[0], 'qemu-replay sample guest', 'the raw image ran');
    });

    test('what needs symbols says so: line and function breakpoints, expressions', async () => {
      const { dc } = session;
      const lines = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: 10 }] });
      assert.equal(lines.body.breakpoints[0].verified, false);
      assert.match(lines.body.breakpoints[0].message ?? '', /No code at .*no source file by that name|No symbol table is loaded/);
      const fns = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
      assert.equal(fns.body.breakpoints[0].verified, false);
      assert.match(fns.body.breakpoints[0].message ?? '', /No function mix|No symbol table is loaded/);
      assert.match(await failure(dc.evaluateRequest({ expression: 'checksum', context: 'watch', frameId: (await topFrame(dc)).id })), /Cannot evaluate "checksum": No symbol table is loaded/);
    });

    test('an instruction breakpoint at mix (address from nm) stops there; registers hold its arguments; scopes without symbols are empty', async () => {
      const { dc } = session;
      const mix = symbolAddress(arch, elf, 'mix');
      const set = await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${mix.toString(16)}` }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'instruction breakpoint');
      assert.equal(BigInt(await pc(dc)), mix);
      const regs = await scopeVariables(dc, 'Registers');
      assert.equal(BigInt(regs.get(arch === 'aarch64' ? 'x0' : 'a0')!.value) & 0xffffffffn, 0x1234n, 'mix(0x1234, fib(0))');
      assert.equal(BigInt(regs.get('pc')!.value.split(' ')[0]), mix);
      assert.deepEqual([...(await scopeVariables(dc, 'Locals')).keys()], []);
      assert.deepEqual([...(await scopeVariables(dc, 'Globals')).keys()], []);
      assert.equal(BigInt((await dc.evaluateRequest({ expression: '$pc', context: 'watch', frameId: (await topFrame(dc)).id })).body.result.split(' ')[0]), mix);
    });

    test('disassembly without symbols matches objdump; stepi and nexti land where the instructions say', async () => {
      const { dc } = session;
      const here = BigInt(await pc(dc));
      const got = (await dc.disassembleRequest({ memoryReference: `0x${here.toString(16)}`, instructionCount: 8 })).body!.instructions;
      const want = objdump(arch, elf, here, 48).slice(0, 8);
      got.forEach((insn, i) => {
        assert.equal(BigInt(insn.address), want[i].address);
        assert.equal(insn.instructionBytes?.replace(/\s/g, ''), want[i].bytes, `bytes at ${insn.address}`);
        assert.equal(insn.location, undefined, 'no source');
      });
      await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(BigInt(await pc(dc)), want[1].address);
      await dc.stopAfter(() => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(BigInt(await pc(dc)), want[2].address);
    });

    test('a function breakpoint on *ADDRESS works without symbols (fib, next round)', async () => {
      const { dc } = session;
      const fib = symbolAddress(arch, elf, 'fib');
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: `*0x${fib.toString(16)}` }] });
      assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'function breakpoint');
      assert.equal(BigInt(await pc(dc)), fib);
      assert.equal(BigInt((await scopeVariables(dc, 'Registers')).get(arch === 'aarch64' ? 'x0' : 'a0')!.value), 1n, 'fib(1) in round 1');
    });

    test('memory reads return the image\'s data (banner)', async () => {
      const { dc } = session;
      const banner = symbolAddress(arch, elf, 'banner');
      const mem = await dc.send('readMemory', { memoryReference: `0x${banner.toString(16)}`, count: 24 });
      assert.deepEqual(Buffer.from(mem.body!.data, 'base64'), elfBytes(arch, elf, banner, 24));
      assert.equal(Buffer.from(mem.body!.data, 'base64').toString('latin1'), 'qemu-replay sample guest');
    });

    test('backwards by instruction: step back to the call, stepi forward again, reverse continue to the previous hit of an instruction breakpoint', async () => {
      const { dc } = session;
      const mix = symbolAddress(arch, elf, 'mix');
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${mix.toString(16)}` }] });
      // The oracle: two hits of the instruction breakpoint by plain forward continues.
      const hits: Array<{ icount: number; x0: bigint }> = [];
      for (let i = 0; i < 2; i++) {
        const stop = await dc.continueToStop();
        assert.equal(stop.reason, 'instruction breakpoint');
        assert.equal(BigInt(await pc(dc)), mix);
        hits.push({ icount: await icount(dc), x0: BigInt((await scopeVariables(dc, 'Registers')).get(arch === 'aarch64' ? 'x0' : 'a0')!.value) });
      }
      assert.ok(hits[1].icount > hits[0].icount);
      // Step back one instruction: the call (bl / jal) one icount earlier, whose target is mix.
      await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(await icount(dc), hits[1].icount - 1);
      const call = BigInt(await pc(dc));
      const insn = (await dc.disassembleRequest({ memoryReference: `0x${call.toString(16)}`, instructionCount: 1 })).body!.instructions[0];
      assert.equal(BigInt(insn.address), call);
      assert.match(insn.instruction, arch === 'aarch64' ? /^bl\s+0x0*[0-9a-f]+/ : /^(jal|jalr)\b/, `a call: ${insn.instruction}`);
      if (arch === 'aarch64') assert.equal(BigInt(/0x[0-9a-f]+/.exec(insn.instruction)![0]), mix, 'bl mix');
      await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(await icount(dc), hits[1].icount);
      assert.equal(BigInt(await pc(dc)), mix);
      // Reverse continue: the previous hit, exactly where the forward run stopped.
      const back = await dc.stopAfter(() => dc.send('reverseContinue', { threadId: 1 }));
      assert.equal(back.reason, 'instruction breakpoint');
      assert.equal(await icount(dc), hits[0].icount);
      assert.equal(BigInt(await pc(dc)), mix);
      assert.equal(BigInt((await scopeVariables(dc, 'Registers')).get(arch === 'aarch64' ? 'x0' : 'a0')!.value), hits[0].x0, 'the same machine state');
      await dc.send('setInstructionBreakpoints', { breakpoints: [] });
    });
  });
}

describe('the architecture of a raw image', () => {
  const elf = guestElf('aarch64');
  let work: string;
  let raw: string;
  before(() => {
    work = tempDir('qr-rawarch-');
    raw = path.join(work, 'prog.bin');
    execFileSync(`${TOOL_PREFIX.aarch64}objcopy`, ['-O', 'binary', elf, raw]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const launchError = async (args: Record<string, unknown>): Promise<string> => {
    const dc = await startClient();
    try {
      await dc.initializeRequest();
      return await failure(dc.launch({ mode: 'record', recording: path.join(work, 'rec'), ...args }));
    } finally {
      await dc.stop();
    }
  };

  test('a raw image without "architecture" is refused, saying to set it and listing the names', async () => {
    assert.match(await launchError({ kernel: raw }),
      /"kernel" .*prog\.bin has neither an ELF header nor a Linux boot image header, so its architecture is unknown\. Set "architecture" to one of: aarch64, arm, riscv64, riscv32, x86_64\./);
  });

  test('an "architecture" that contradicts the ELF is refused, naming both', async () => {
    assert.match(await launchError({ kernel: elf, architecture: 'riscv64' }),
      /"architecture" "riscv64" and "kernel" .*prog\.elf \(ELF for aarch64\) contradict each other/);
    assert.match(await launchError({ kernel: raw, program: elf, architecture: 'x86_64' }),
      /"architecture" "x86_64" and "program" .*prog\.elf \(ELF for aarch64\) contradict each other/);
    assert.match(await launchError({ kernel: raw, architecture: 'arm64' }), /"architecture" is "arm64": it must be "aarch64" or "arm" or "riscv64" or "riscv32" or "x86_64"\./);
  });
});
