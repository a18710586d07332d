/**
 * Forward debugging of a replay on real QEMU and gdb, for every supported guest: source, function, instruction
 * and data breakpoints (conditions, hit counts, logpoints), stepping by line and by instruction, and inspection
 * (stack, scopes, variables, registers, evaluate, disassembly, memory), checked against values the guest derives
 * and against objdump/nm of the same ELF.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ARCHES, children, collectOutput, elfBytes, failure, GUEST_SOURCE, guestElf, guestModel, objdump, pc,
  ReplayDebugClient, replayFixture, scopeVariables, symbolAddress, tagLine, topFrame,
} from './support';

/** Back to the start with no breakpoints, so each test stands alone. */
async function reset(dc: ReplayDebugClient): Promise<void> {
  await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  await dc.send('setInstructionBreakpoints', { breakpoints: [] });
  await dc.send('setDataBreakpoints', { breakpoints: [] });
  await dc.seek({ to: 'start' });
}

async function evaluate(dc: ReplayDebugClient, expression: string, context = 'watch'): Promise<DebugProtocol.EvaluateResponse['body']> {
  const frame = await topFrame(dc);
  return (await dc.evaluateRequest({ expression, context, frameId: frame.id })).body;
}

for (const arch of ARCHES) {
  describe(`forward debugging on ${arch}`, () => {
    const elf = guestElf(arch);
    const session = replayFixture(arch);

    test('a conditional source breakpoint stops in the right round; locals, arguments, globals and a struct hold what the guest computed', async () => {
      const { dc } = session;
      await reset(dc);
      const line = tagLine('counter-increment');
      const set = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line, condition: 'round == 9' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      assert.equal(set.body.breakpoints[0].line, line);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'breakpoint');
      assert.deepEqual(stop.hitBreakpointIds, [set.body.breakpoints[0].id]);
      const frame = await topFrame(dc);
      assert.equal(frame.name, 'work');
      assert.equal(frame.line, line);
      assert.equal(frame.source?.path, GUEST_SOURCE);

      const model = guestModel(10); // rounds 0..9 done their mix; counter not yet incremented for round 9
      assert.equal((await scopeVariables(dc, 'Arguments')).get('round')?.value, '9');
      assert.equal((await scopeVariables(dc, 'Locals')).get('f')?.value, '34'); // fib(9)
      const globals = await scopeVariables(dc, 'Globals');
      assert.equal(globals.get('checksum')?.value, String(model.checksum));
      assert.equal(globals.get('counter')?.value, '9');
      const origin = await children(dc, globals.get('origin')!);
      assert.equal(origin.get('x')?.value, String(model.originX));
      assert.equal(origin.get('y')?.value, String(model.originY));
      assert.ok(globals.get('squares')!.variablesReference > 0, 'an array expands');
    });

    test('a hit count stops at the N-th hit (the 5th pass through the fib loop is fib(3) with i == 1)', async () => {
      const { dc } = session;
      await reset(dc);
      const set = await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('fib-loop'), hitCondition: '5' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      await dc.continueToStop();
      assert.equal((await scopeVariables(dc, 'Arguments')).get('n')?.value, '3');
      assert.equal((await scopeVariables(dc, 'Locals')).get('i')?.value, '1');
    });

    test('a logpoint prints its message with the values of each hit and does not stop', async () => {
      const { dc } = session;
      await reset(dc);
      const output = collectOutput(dc);
      await dc.setBreakpointsRequest({
        source: { path: GUEST_SOURCE },
        breakpoints: [{ line: tagLine('mix-xor'), logMessage: 'mix acc={acc} value={value}' }, { line: tagLine('counter-increment'), condition: 'round == 2' }],
      });
      const stop = await dc.continueToStop();
      assert.equal((await topFrame(dc)).line, tagLine('counter-increment'), `stopped at the breakpoint, not the logpoint (${stop.reason})`);
      const logged = output.join('').split('\n').filter((l) => l.startsWith('mix acc='));
      const expected = [0, 1, 2].map((r) => `mix acc=${guestModel(r).checksum} value=${[0, 1, 1][r]}`);
      assert.deepEqual(logged, expected);
    });

    test('function breakpoints stop with their reason; step out returns to the caller; squares[] is filled', async () => {
      const { dc } = session;
      await reset(dc);
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fill_squares' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'function breakpoint');
      assert.deepEqual(stop.hitBreakpointIds, [set.body.breakpoints[0].id]);
      assert.equal((await topFrame(dc)).name, 'fill_squares');
      assert.equal((await scopeVariables(dc, 'Arguments')).get('n')?.value, '64');

      const out = await dc.stopAfter(() => dc.stepOutRequest({ threadId: 1 }));
      assert.equal(out.reason, 'step');
      const frame = await topFrame(dc);
      assert.equal(frame.name, 'main');
      // fill_squares(64) is the last instruction of its line: the return address starts the next line (the loop).
      assert.equal(frame.line, tagLine('main-fill') + 1);
      assert.equal((await evaluate(dc, 'squares[7]', 'hover')).result, '49');
      // Paging: a slice of the array through its variablesReference.
      const squares = (await scopeVariables(dc, 'Globals')).get('squares')!;
      const page = await children(dc, squares, 40, 3);
      assert.deepEqual([...page.entries()].map(([k, v]) => `${k}=${v.value}`), ['[40]=1600', '[41]=1681', '[42]=1764']);
      // A large array (squares seen as 200 ints) announces its size so VS Code pages it, and pages by index.
      const big = await evaluate(dc, '*(int (*)[200])squares');
      assert.equal(big.indexedVariables, 200);
      const bigPage = await dc.variablesRequest({ variablesReference: big.variablesReference, filter: 'indexed', start: 60, count: 4 });
      assert.deepEqual(bigPage.body.variables.map((v) => `${v.name}=${v.value}`), ['[60]=3600', '[61]=3721', '[62]=3844', '[63]=3969']);
      // Children carry an expression for Add to Watch that gdb evaluates to the same value.
      const name41 = page.get('[41]')!.evaluateName!;
      assert.match(name41, /squares\)?\[41\]$/);
      assert.equal((await evaluate(dc, name41)).result, '1681');
    });

    test('a pointer argument shows its string, expands to what it points at, and opens memory where it points', async () => {
      const { dc } = session;
      await reset(dc);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'uart_puts' }] });
      await dc.continueToStop(); // uart_puts(banner)
      const s = (await scopeVariables(dc, 'Arguments')).get('s')!;
      assert.match(s.value, /^0x[0-9a-f]+ <banner> "qemu-replay sample guest"$/);
      assert.equal(BigInt(s.memoryReference!), symbolAddress(arch, elf, 'banner'));
      const pointee = await children(dc, s);
      assert.equal(pointee.get('*s')?.value, "113 'q'");
    });

    test('next, step in and step out by line land where gdb says; the stack shows the callers', async () => {
      const { dc } = session;
      await reset(dc);
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('work-fib') }] });
      await dc.continueToStop();
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
      const next = await dc.stopAfter(() => dc.nextRequest({ threadId: 1 }));
      assert.equal(next.reason, 'step');
      assert.equal((await topFrame(dc)).line, tagLine('checksum-write'));
      await dc.stopAfter(() => dc.stepInRequest({ threadId: 1 }));
      const inMix = await dc.stackTraceRequest({ threadId: 1 });
      assert.deepEqual(inMix.body.stackFrames.map((f) => f.name), ['mix', 'work', 'main']); // gdb stops at main
      assert.equal(inMix.body.stackFrames[0].line, tagLine('mix-xor'));
      for (const f of inMix.body.stackFrames) assert.match(f.instructionPointerReference ?? '', /^0x[0-9a-f]+$/);
      await dc.stopAfter(() => dc.stepOutRequest({ threadId: 1 }));
      const back = await topFrame(dc);
      assert.equal(back.name, 'work');
      assert.equal(back.line, tagLine('checksum-write'));
    });

    test('instruction stepping: stepi goes to the next instruction, nexti steps over a call', async () => {
      const { dc } = session;
      await reset(dc);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'work' }] });
      await dc.continueToStop();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      const here = await pc(dc);
      const listing = (await dc.disassembleRequest({ memoryReference: here, instructionCount: 16 })).body!.instructions;
      assert.equal(BigInt(listing[0].address), BigInt(here));
      const si = await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(si.reason, 'step');
      assert.equal(BigInt(await pc(dc)), BigInt(listing[1].address), 'stepi lands on the next instruction');
      const callIndex = listing.findIndex((i) => /^(bl|jal|call)\b/.test(i.instruction));
      assert.ok(callIndex > 1, listing.map((i) => i.instruction).join('; '));
      for (let i = 0; i < callIndex && BigInt(await pc(dc)) !== BigInt(listing[callIndex].address); i++) {
        await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      }
      assert.equal(BigInt(await pc(dc)), BigInt(listing[callIndex].address), 'at the call');
      await dc.stopAfter(() => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(BigInt(await pc(dc)), BigInt(listing[callIndex + 1].address), 'nexti returns after the call');
      assert.equal((await topFrame(dc)).name, 'work');
    });

    test('an instruction breakpoint at an address from the symbol table stops there, with registers holding the arguments', async () => {
      const { dc } = session;
      await reset(dc);
      const mix = symbolAddress(arch, elf, 'mix');
      const set = await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${mix.toString(16)}` }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'instruction breakpoint');
      assert.deepEqual(stop.hitBreakpointIds, [set.body.breakpoints[0].id]);
      assert.equal(BigInt(await pc(dc)), mix);
      // First call: mix(0x1234, fib(0)) — the arguments are in the first two argument registers.
      const regs = await scopeVariables(dc, 'Registers');
      const [a0, a1] = arch === 'aarch64' ? ['x0', 'x1'] : ['a0', 'a1'];
      assert.equal(BigInt(regs.get(a0)!.value) & 0xffffffffn, 0x1234n);
      assert.equal(BigInt(regs.get(a1)!.value) & 0xffffffffn, 0n);
      assert.match(regs.get('pc')!.value, new RegExp(`^0x0*${mix.toString(16)} <mix>$`));
      assert.match(regs.get('sp')!.value, /^0x[0-9a-f]+$/);
      if (arch === 'aarch64') assert.match(regs.get('cpsr')!.value, /^0x[0-9a-f]+ \[[NZCV-]+ EL1\]$/);
      else assert.equal(regs.get('priv')?.value, '0x3 [M mode]', 'bare metal with -bios none runs in M mode');
      // The second hit: mix(checksum after round 0, fib(1)).
      await dc.continueToStop();
      assert.equal(BigInt((await scopeVariables(dc, 'Registers')).get(a0)!.value) & 0xffffffffn, BigInt(guestModel(1).checksum));
    });

    test('data breakpoints: a write watchpoint on a variable and a read watchpoint on a raw address fire at the access', async () => {
      const { dc } = session;
      await reset(dc);
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('counter-increment'), condition: 'round == 3' }] });
      await dc.continueToStop();
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
      const info = await dc.send('dataBreakpointInfo', { name: 'checksum' });
      assert.equal(info.body.dataId, 'checksum');
      assert.ok(info.body.accessTypes?.includes('write'));
      const set = await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'data breakpoint', JSON.stringify(stop));
      assert.deepEqual(stop.hitBreakpointIds, [set.body.breakpoints[0].id]);
      assert.equal((await evaluate(dc, 'checksum')).result, String(guestModel(5).checksum), 'stopped right after round 4 wrote it');
      assert.equal((await topFrame(dc)).name, 'work');

      const counter = symbolAddress(arch, elf, 'counter');
      const raw = `*(unsigned int *)0x${counter.toString(16)}`;
      const rawInfo = await dc.send('dataBreakpointInfo', { name: raw });
      const setRaw = await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: rawInfo.body.dataId, accessType: 'read' }] }) as DebugProtocol.SetDataBreakpointsResponse;
      assert.equal(setRaw.body.breakpoints[0].verified, true, setRaw.body.breakpoints[0].message);
      const read = await dc.continueToStop();
      assert.equal(read.reason, 'data breakpoint');
      assert.equal((await topFrame(dc)).line, tagLine('counter-increment'), 'the read of counter++');
      assert.equal((await evaluate(dc, 'counter')).result, '4');

      // From the Variables view: origin.y inside the origin struct, read or written (origin.y -= 1 in round 5).
      const origin = (await scopeVariables(dc, 'Globals')).get('origin')!;
      await children(dc, origin);
      const childInfo = await dc.send('dataBreakpointInfo', { name: 'y', variablesReference: origin.variablesReference });
      assert.match(childInfo.body.dataId ?? '', /origin\)?\.y$/);
      const setChild = await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: childInfo.body.dataId, accessType: 'readWrite' }] }) as DebugProtocol.SetDataBreakpointsResponse;
      assert.equal(setChild.body.breakpoints[0].verified, true, setChild.body.breakpoints[0].message);
      const access = await dc.continueToStop();
      assert.equal(access.reason, 'data breakpoint');
      assert.deepEqual(access.hitBreakpointIds, [setChild.body.breakpoints[0].id]);
      assert.equal((await topFrame(dc)).line, tagLine('counter-increment') - 1, 'at origin.y -= 1');
      assert.equal((await evaluate(dc, 'round')).result, '5');
    });

    test('disassembly matches objdump of the ELF at the same address, with source locations interleaved', async () => {
      const { dc } = session;
      const fib = symbolAddress(arch, elf, 'fib');
      const got = (await dc.disassembleRequest({ memoryReference: `0x${fib.toString(16)}`, instructionCount: 12 })).body!.instructions;
      const want = objdump(arch, elf, fib, 64).slice(0, 12);
      assert.equal(got.length, 12);
      got.forEach((insn, i) => {
        assert.equal(BigInt(insn.address), want[i].address, `address ${i}`);
        assert.equal(insn.instructionBytes?.replace(/\s/g, ''), want[i].bytes, `bytes at ${insn.address}`);
        const mnemonic = insn.instruction.split(/\s/)[0];
        assert.ok(mnemonic === want[i].mnemonic || sameRiscvAlias(mnemonic, want[i].mnemonic), `${insn.address}: gdb ${insn.instruction}, objdump ${want[i].mnemonic}`);
      });
      assert.equal(got[0].symbol, 'fib+0');
      assert.equal(got[0].location?.path, GUEST_SOURCE);
      assert.ok(got.some((i) => i.line === tagLine('fib-entry')), 'source lines attached');
      // Instructions before the address (negative offset) line up too.
      // Instructions before the address (negative offset) are the end of the function before, as objdump decodes it
      // from that function's start (riscv64 mixes 2- and 4-byte instructions: the decoding must not drift).
      const before = (await dc.disassembleRequest({ memoryReference: `0x${fib.toString(16)}`, instructionOffset: -5, instructionCount: 7 })).body!.instructions;
      const puthex = symbolAddress(arch, elf, 'uart_puthex');
      const tail = objdump(arch, elf, puthex, Number(fib - puthex)).slice(-5);
      assert.deepEqual(before.slice(0, 5).map((i) => BigInt(i.address)), tail.map((t) => t.address));
      assert.equal(BigInt(before[5].address), fib);
      assert.equal(before[0].location?.path, GUEST_SOURCE, 'the first instruction carries its source');
      // Scrolling on: the instructions after a window continue it exactly.
      const next = (await dc.disassembleRequest({ memoryReference: `0x${fib.toString(16)}`, instructionOffset: 12, instructionCount: 3 })).body!.instructions;
      assert.deepEqual(next.map((i) => BigInt(i.address)), objdump(arch, elf, fib, 96).slice(12, 15).map((t) => t.address));
    });

    test('readMemory returns the ELF\'s data (banner); evaluate gives a memoryReference that reads the same bytes', async () => {
      const { dc } = session;
      const banner = symbolAddress(arch, elf, 'banner');
      const mem = await dc.send('readMemory', { memoryReference: `0x${banner.toString(16)}`, count: 25 });
      assert.equal(mem.body?.unreadableBytes ?? 0, 0);
      const data = Buffer.from(mem.body!.data, 'base64');
      assert.deepEqual(data, elfBytes(arch, elf, banner, 25));
      assert.equal(data.toString('latin1'), 'qemu-replay sample guest\0');
      const ev = await evaluate(dc, 'banner', 'hover');
      assert.equal(BigInt(ev.memoryReference!), banner);
      const viaRef = await dc.send('readMemory', { memoryReference: ev.memoryReference, offset: 5, count: 6 });
      assert.equal(Buffer.from(viaRef.body!.data, 'base64').toString('latin1'), 'replay');
    });

    test('threads, loaded sources and repl expressions', async () => {
      const { dc } = session;
      const threads = await dc.threadsRequest();
      assert.deepEqual(threads.body.threads.map((t) => t.id), [1]);
      assert.match(threads.body.threads[0].name, /CPU #0/);
      const sources = await dc.send('loadedSources', {}) as DebugProtocol.LoadedSourcesResponse;
      const names = sources.body.sources.map((s) => s.name).sort();
      assert.deepEqual(names, ['prog.c', `start-${arch}.S`]);
      // Still where the data breakpoint test stopped: at origin.y -= 1 in round 5, after its mix and origin.x.
      assert.equal((await evaluate(dc, 'origin.x * 100 + squares[3]', 'repl')).result, String(guestModel(6).originX * 100 + 9));
      assert.equal((await evaluate(dc, 'checksum', 'repl')).result, String(guestModel(6).checksum));
    });

    test('a replay is read-only: setVariable, setExpression and writeMemory are refused with the reason', async () => {
      const { dc } = session;
      const before = (await evaluate(dc, 'checksum')).result;
      const globals = await dc.scopesRequest({ frameId: (await topFrame(dc)).id });
      const ref = globals.body.scopes.find((s) => s.name === 'Globals')!.variablesReference;
      assert.match(await failure(dc.setVariableRequest({ variablesReference: ref, name: 'checksum', value: '1' })), /read-only/);
      assert.match(await failure(dc.send('setExpression', { expression: 'checksum', value: '1' })), /read-only/);
      assert.match(await failure(dc.send('writeMemory', { memoryReference: '0x40080000', data: 'AAAA' })), /read-only/);
      const frameId = (await topFrame(dc)).id;
      assert.match(await failure(dc.evaluateRequest({ expression: 'checksum = 1', context: 'watch', frameId })), /assigns to the guest's memory/);
      assert.match(await failure(dc.evaluateRequest({ expression: 'mix(checksum, 1)', context: 'hover', frameId })), /calls mix\(\) in the guest/);
      assert.equal((await evaluate(dc, 'checksum')).result, before, 'unchanged');
    });
  });
}

/** riscv objdump (binutils 2.40) and gdb 13 may print different aliases of one encoding. */
function sameRiscvAlias(a: string, b: string): boolean {
  const canon = (m: string) => m.replace(/^c\./, '').replace(/^addi$/, 'add').replace(/^addiw$/, 'addw').replace(/^jal$/, 'j');
  return canon(a) === canon(b);
}
