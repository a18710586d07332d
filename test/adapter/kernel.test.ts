/**
 * A real Linux kernel: Debian's arm64 cloud kernel (the Image QEMU boots, its vmlinux with DWARF), fetched by
 * scripts/kernel.sh into the tool cache. Two short recordings of the boot:
 *
 * - with symbols ("program" = vmlinux, "kernel" = Image): a function breakpoint on a hot kernel function, set while
 *   the replay stands at its start (MMU off, the function's virtual address not mapped yet); the oracle is the
 *   stops of plain forward continues, and every reverse operation is checked against it: reverse continue, step
 *   back by instruction, step back by line, reverse step out, a data breakpoint on jiffies; call stacks, arguments
 *   and locals;
 * - without symbols (the Image alone, no "program"): by instruction, forwards and backwards, against the Image
 *   file and the instructions themselves; vmlinux serves only as the test's reference (nm), never the session's.
 *
 * Each recording stops after 2e8 or 5e7 instructions (~2 s and ~1 s of recording here) and is deleted afterwards.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, endSession, icount, record, replay, ReplayDebugClient, scopeVariables, startClient, StoppedBody, tempDir, topFrame } from './support';
import type { HistoryHit } from '../../common/protocol';
import { readBuildId } from '../../adapter/elf';

const BOOT_ARGS = ['-append', 'console=ttyAMA0 nokaslr root=/dev/vda rootwait'];
/** A function the boot calls many times from its first kernel threads on (notrace: one breakpoint location). */
const HOT = '__schedule';
/** How many forward hits make the oracle. */
const HITS = 6;

interface Kernel { image: string; vmlinux: string }

/** The cached kernel's paths (fetched on first use: ~25 s, then ~1 s). */
function fetchKernel(): Kernel {
  const out = execFileSync('bash', ['scripts/kernel.sh'], { cwd: `${__dirname}/../..`, encoding: 'utf8', timeout: 15 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.ok(vars.KERNEL_IMAGE && vars.KERNEL_VMLINUX, `scripts/kernel.sh printed the paths: ${out}`);
  return { image: vars.KERNEL_IMAGE, vmlinux: vars.KERNEL_VMLINUX };
}

/** A symbol's address in vmlinux (nm). */
function kernelSymbol(vmlinux: string, name: string): bigint {
  const out = execFileSync('aarch64-linux-gnu-nm', [vmlinux], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = out.split('\n').find((l) => l.endsWith(` ${name}`));
  assert.ok(line, `vmlinux has a symbol ${name}`);
  return BigInt(`0x${line.split(' ')[0]}`);
}

function fileBytes(file: string, offset: number, count: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(count);
    readSync(fd, buf, 0, count, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** What a recording takes on disk (allocated blocks: the snapshot image is sparse), in MB. */
function diskMB(dir: string): number {
  return Math.round(Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split(/\s/)[0]) / 1024);
}

/** Where the replay stands: icount (replayInfo), pc and the call stack's function names. */
interface Place { icount: number; pc: bigint; frames: DebugProtocol.StackFrame[] }

async function place(dc: ReplayDebugClient): Promise<Place> {
  const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  return { icount: await icount(dc), pc: BigInt(frames[0].instructionPointerReference!), frames };
}

/** The icount a stopped event reports (description and text), which must agree with replayInfo's. */
function stoppedIcount(stop: StoppedBody): number {
  const m = /icount ([\d,]+)/.exec(stop.description ?? '');
  assert.ok(m, `the stopped event says its icount: ${stop.description}`);
  const n = Number(m[1].replace(/,/g, ''));
  assert.match(String(stop.text), new RegExp(`icount ${m[1]}\\b`));
  return n;
}

const timed = async <T>(what: string, times: Record<string, number[]>, op: () => Promise<T>): Promise<T> => {
  const t = Date.now();
  const r = await op();
  (times[what] ??= []).push(Date.now() - t);
  return r;
};

let kernel: Kernel;
const seconds: Record<string, number> = {};

before(() => {
  kernel = fetchKernel();
});

describe('a Linux kernel with symbols (Image + vmlinux)', () => {
  let recording: string;
  const cache = tempDir('qr-kernel-cache-'); // an empty adapter cache: gdb indexes vmlinux and keeps the index there
  let dc: ReplayDebugClient;
  let entry: StoppedBody;
  let launchMs: number;
  /** The breakpoint set in the launch's configuration (on HOT): its answer, and the breakpoint event that set it. */
  let configBreakpoint: DebugProtocol.Breakpoint | undefined;
  let configSet: Promise<DebugProtocol.Breakpoint>;
  let bpAddress: bigint;
  const hits: Place[] = [];
  const times: Record<string, number[]> = {};
  /** Where forward continues with a data breakpoint on jiffies stopped (the jiffies test). */
  const jiffiesWrites: Array<{ icount: number; pc: bigint; value: bigint }> = [];

  before(async () => {
    let t = Date.now();
    recording = await record('aarch64', { program: kernel.vmlinux, kernel: kernel.image, qemuArgs: BOOT_ARGS, recordLimit: { instructions: 2e8 } });
    seconds.recordWithSymbols = (Date.now() - t) / 1000;
    t = Date.now();
    // A first launch (gdb has not indexed vmlinux yet), with a function breakpoint in its configuration.
    dc = await startClient();
    dc.defaultTimeout = 60_000;
    const configured = dc.expectEvent('breakpoint', { filter: (e) => e.breakpoint.id === configBreakpoint?.id });
    try {
      entry = await dc.stopAfter(async () => {
        const initialized = dc.expectEvent('initialized');
        await dc.initializeRequest();
        await dc.launch({ mode: 'replay', recording, program: kernel.vmlinux, env: { QEMU_REPLAY_CACHE: cache } });
        await initialized;
        configBreakpoint = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] })).body.breakpoints[0];
        await dc.configurationDoneRequest();
      });
    } catch (err) {
      await dc.stop(); // a failed launch must not leave the adapter running
      throw err;
    }
    launchMs = Date.now() - t;
    configSet = configured.then((e) => e.breakpoint);
    configSet.catch(() => undefined); // awaited by its test; no unhandled rejection if an earlier one fails
  });
  after(async () => {
    if (dc) await endSession(dc, recording);
    const mb = recording ? diskMB(recording) : 0;
    if (recording) cleanup(recording);
    rmSync(cache, { recursive: true, force: true });
    console.log(`kernel with symbols: record ${seconds.recordWithSymbols} s (${mb} MB on disk), launch to first stop ${launchMs} ms, ` +
      Object.entries(times).map(([k, v]) => `${k} ${v.join('/')} ms`).join(', '));
  });

  test('the recording has the kernel\'s architecture, its program and a boot that reached the record limit', async () => {
    const manifest = JSON.parse(readFileSync(`${recording}/recording.json`, 'utf8')) as { architecture: string; program?: { path: string; buildId?: string }; endIcount: number };
    assert.equal(manifest.architecture, 'aarch64');
    assert.equal(manifest.program?.path, kernel.vmlinux);
    // A replay compares it instead of hashing the 272 MB vmlinux again.
    assert.equal(manifest.program?.buildId, await readBuildId(kernel.vmlinux));
    assert.match(manifest.program?.buildId ?? '', /^[0-9a-f]{40}$/);
    assert.ok(manifest.endIcount >= 2e8, `recorded ${manifest.endIcount} instructions`);
    assert.match(readFileSync(`${recording}/serial.txt`, 'utf8'), /Booting Linux on physical CPU/);
  });

  test('the replay stops at the start of the recording (icount 0, or the entry), at once, not at the end', async () => {
    assert.equal(entry.reason, 'entry');
    const at = await place(dc);
    assert.equal(stoppedIcount(entry), at.icount);
    // vmlinux's entry is a virtual address the CPU never runs at with the MMU off: the stop is at the start.
    assert.equal(at.icount, 0, `stopped at icount ${at.icount}, pc 0x${at.pc.toString(16)}`);
    assert.equal(at.pc, 0x40000000n, 'QEMU\'s boot stub at the start of RAM');
  });

  test('the first launch does not wait for gdb to index vmlinux: the configuration\'s breakpoint is answered unverified, set once the symbols are loaded (same id), and hit', async () => {
    assert.equal(configBreakpoint?.verified, false, 'answered before the symbols were loaded');
    assert.match(configBreakpoint.message ?? '', /^Loading the symbols of .*vmlinux: gdb indexes them on the first launch/);
    const set = await configSet;
    assert.equal(set.verified, true, set.message);
    assert.equal(BigInt(set.instructionReference!), kernelSymbol(kernel.vmlinux, HOT));
    assert.match(set.source?.path ?? '', /kernel\/sched\/core\.c$/);
    const stop = await dc.continueToStop();
    assert.equal(stop.reason, 'function breakpoint', stop.description);
    assert.deepEqual(stop.hitBreakpointIds, [configBreakpoint.id]);
    const at = await place(dc);
    assert.equal(at.pc, BigInt(set.instructionReference!));
    assert.equal(at.frames[0].name, HOT);
    assert.match(at.frames[0].source?.path ?? '', /core\.c$/);
    // Back to the start for the oracle below.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    assert.equal(stoppedIcount(await dc.seek({ icount: 0 })), 0);
  });

  test(`a function breakpoint on ${HOT}, set at the start (MMU off), is verified and hits; the forward oracle: the first ${HITS} hits`, async () => {
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] });
    const bp = set.body.breakpoints[0];
    assert.equal(bp.verified, true, bp.message);
    bpAddress = BigInt(bp.instructionReference!);
    assert.equal(bpAddress, kernelSymbol(kernel.vmlinux, HOT));
    assert.match(bp.source?.path ?? '', /kernel\/sched\/core\.c$/);
    for (let i = 0; i < HITS; i++) {
      const stop = await timed('continue', times, () => dc.continueToStop());
      assert.equal(stop.reason, 'function breakpoint', stop.description);
      const at = await place(dc);
      assert.equal(stoppedIcount(stop), at.icount);
      assert.equal(at.pc, bpAddress);
      assert.equal(at.frames[0].name, HOT);
      if (hits.length) assert.ok(at.icount > hits[hits.length - 1].icount, 'later each time');
      hits.push(at);
    }
  });

  test('gdb keeps vmlinux\'s symbol index in the adapter\'s cache (the next launch loads it instead of indexing again)', async () => {
    const dir = path.join(cache, 'gdb-index');
    const deadline = Date.now() + 60_000; // gdb writes the index in the background once it has read the DWARF
    let files: string[] = [];
    while (!(files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.gdb-index')) : []).length) {
      assert.ok(Date.now() < deadline, `no .gdb-index file in ${dir} within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(files.length, 1, files.join(', '));
    assert.ok(statSync(path.join(dir, files[0])).size > 1e6, 'an index of the 272 MB vmlinux');
  });

  test('call stacks have kernel function names with sources; arguments and locals are readable', async () => {
    const at = hits[hits.length - 1];
    for (const f of at.frames.slice(0, 3)) {
      assert.match(f.name, /^[A-Za-z_]\w*$/, `a function name: ${f.name}`);
      assert.ok(f.source?.path, `${f.name} has a source`);
      assert.ok(f.line > 0);
    }
    assert.match(at.frames[0].source!.path!, /kernel\/sched\/core\.c$/);
    // Every hit is called from a scheduling function: schedule(), or preemption.
    for (const h of hits) assert.match(h.frames[1].name, /schedule|preempt/, `caller of ${HOT}: ${h.frames[1].name}`);
    const args = await scopeVariables(dc, 'Arguments');
    assert.ok(args.has('sched_mode'), `arguments: ${[...args.keys()].join(', ')}`);
    assert.match(args.get('sched_mode')!.value, /^\d+$/);
    const locals = await scopeVariables(dc, 'Locals');
    assert.ok(locals.size > 0, 'locals');
    assert.ok(locals.has('prev') && locals.has('rq'), `locals: ${[...locals.keys()].join(', ')}`);
  });

  test('reverse continue from each hit lands on the previous one: same icount, same pc', async () => {
    for (let k = HITS - 1; k >= 1; k--) {
      const stop = await timed('reverseContinue', times, () => dc.reverseContinueToStop());
      assert.equal(stop.reason, 'function breakpoint', stop.description);
      const at = await place(dc);
      assert.equal(stoppedIcount(stop), at.icount);
      assert.equal(at.icount, hits[k - 1].icount, `from hit ${k + 1} back to hit ${k}`);
      assert.equal(at.pc, hits[k - 1].pc);
      assert.deepEqual(at.frames.map((f) => f.name), hits[k - 1].frames.map((f) => f.name), 'the same call stack');
    }
    // And forward again from the first hit: the second, exactly.
    await dc.continueToStop();
    assert.equal(await icount(dc), hits[1].icount);
  });

  test('step back by instruction from a hit: the call one instruction earlier; stepi comes back to the hit', async () => {
    const hit = hits[1];
    await timed('stepBack instruction', times, () => dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' })));
    const back = await place(dc);
    assert.equal(back.icount, hit.icount - 1);
    // The caller's bl: 4 bytes before the return address the forward call stack showed for frame 1.
    assert.equal(back.pc, BigInt(hit.frames[1].instructionPointerReference!) - 4n);
    assert.equal(back.frames[0].name, hit.frames[1].name);
    const insn = (await dc.disassembleRequest({ memoryReference: `0x${back.pc.toString(16)}`, instructionCount: 1 })).body!.instructions[0];
    assert.match(insn.instruction, /^bl\s/);
    assert.equal(BigInt(/0x[0-9a-f]+/.exec(insn.instruction)![0]), bpAddress, `bl ${HOT}: ${insn.instruction}`);
    await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    const again = await place(dc);
    assert.equal(again.icount, hit.icount);
    assert.equal(again.pc, hit.pc);
  });

  test('step back by line lands where Step Over stopped before; reverse step out lands on the call in the caller', async () => {
    const hit = hits[1];
    // Oracle: from the hit, two forward Step Overs inside the function.
    const overs: Place[] = [];
    for (let i = 0; i < 2; i++) {
      await dc.stopAfter(() => dc.nextRequest({ threadId: 1 }));
      overs.push(await place(dc));
    }
    assert.ok(overs.every((o) => o.frames[0].name === HOT), `still in ${HOT}: ${overs.map((o) => o.frames[0].name).join(', ')}`);
    assert.ok(overs[0].icount > hit.icount && overs[1].icount > overs[0].icount);
    assert.notEqual(overs[1].frames[0].line, overs[0].frames[0].line, 'two different lines');
    const stop = await timed('stepBack line', times, () => dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 })));
    const back = await place(dc);
    assert.equal(stoppedIcount(stop), back.icount);
    assert.equal(back.icount, overs[0].icount, 'where the first Step Over stopped');
    assert.equal(back.pc, overs[0].pc);
    assert.equal(back.frames[0].line, overs[0].frames[0].line);
    assert.ok(back.icount < overs[1].icount);
    // Reverse step out, as gdb's reverse-finish: the function breakpoint at the entry is on the way back and stops
    // it there, as a breakpoint on the way stops a Step Out; from the entry it goes on to the call in the caller,
    // the instruction before the function's first.
    const onTheWay = await timed('reverseStepOut', times, () => dc.stopAfter(() => dc.custom('reverseStepOut', { threadId: 1 })));
    assert.equal(onTheWay.reason, 'function breakpoint', onTheWay.description);
    assert.equal(stoppedIcount(onTheWay), hit.icount);
    assert.equal((await place(dc)).pc, hit.pc);
    await timed('reverseStepOut', times, () => dc.stopAfter(() => dc.custom('reverseStepOut', { threadId: 1 })));
    const out = await place(dc);
    assert.equal(out.frames[0].name, hit.frames[1].name, 'in the caller of the forward call stack');
    assert.ok(out.icount < hit.icount, `before the function was entered (${out.icount} < ${hit.icount})`);
    assert.equal(out.icount, hit.icount - 1, 'at the call');
    assert.equal(out.pc, BigInt(hit.frames[1].instructionPointerReference!) - 4n);
    assert.equal(out.frames.length, hit.frames.length - 1, 'one frame less than inside the function');
    // With no breakpoint on the way, from the second Step Over's line straight to the call.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.seek({ icount: overs[1].icount });
    assert.equal((await place(dc)).pc, overs[1].pc);
    await timed('reverseStepOut', times, () => dc.stopAfter(() => dc.custom('reverseStepOut', { threadId: 1 })));
    const direct = await place(dc);
    assert.equal(direct.icount, out.icount);
    assert.equal(direct.pc, out.pc);
    assert.equal(direct.frames[0].name, hit.frames[1].name);
  });

  test('a data breakpoint on jiffies: forward continues stop after each tick\'s write; reverse continue returns exactly to the previous one', async () => {
    const info = await dc.dataBreakpointInfoRequest({ name: 'jiffies' });
    assert.ok(info.body.dataId, info.body.description);
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const value = async () => BigInt((await dc.evaluateRequest({ expression: 'jiffies', context: 'watch' })).body.result);
    const writes = jiffiesWrites;
    for (let i = 0; i < 3; i++) {
      const stop = await timed('continue to a write', times, () => dc.continueToStop());
      assert.equal(stop.reason, 'data breakpoint', stop.description);
      const at = await place(dc);
      assert.equal(stoppedIcount(stop), at.icount);
      writes.push({ icount: at.icount, pc: at.pc, value: await value() });
    }
    // Each stop follows a write that changed it: ticks (one each while the boot is busy; more after an idle period).
    assert.ok(writes[1].value > writes[0].value && writes[2].value > writes[1].value, `jiffies grows: ${writes.map((w) => w.value).join(', ')}`);
    const stop = await timed('reverseContinue to a write', times, () => dc.reverseContinueToStop());
    assert.equal(stop.reason, 'data breakpoint', stop.description);
    // Exactly where the forward continue stopped after that write: same icount, same pc, the value it wrote.
    const at = await place(dc);
    assert.equal(at.icount, writes[1].icount, `at the previous write (${at.icount}; writes at ${writes.map((w) => w.icount).join(', ')})`);
    assert.equal(at.pc, writes[1].pc);
    assert.equal(await value(), writes[1].value);
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
  });

  test('lastWrite of jiffies, forward and backward, lands where the data breakpoint\'s forward continues stopped', async () => {
    const writes = jiffiesWrites;
    assert.equal(writes.length, 3, 'the jiffies test ran');
    assert.equal((await place(dc)).icount, writes[1].icount);
    const next = await timed('lastWrite forward', times, () => dc.custom('lastWrite', { expression: 'jiffies', direction: 'forward' }));
    assert.equal(next.found, true, next.message);
    assert.equal(next.icount, writes[2].icount);
    assert.equal(BigInt(next.newValue!), writes[2].value);
    assert.equal((await place(dc)).pc, writes[2].pc);
    const back = await timed('lastWrite backward', times, () => dc.custom('lastWrite', { expression: 'jiffies', direction: 'backward' }));
    assert.equal(back.icount, writes[1].icount);
    const back2 = await timed('lastWrite backward', times, () => dc.custom('lastWrite', { expression: 'jiffies', direction: 'backward' }));
    assert.equal(back2.icount, writes[0].icount);
    assert.equal(BigInt(back2.newValue!), writes[0].value);
    assert.ok(back2.function, 'the writing function is named');
  });

  test(`hit history of ${HOT} over a range: exactly the forward oracle's hits, and the position stays`, async () => {
    const bp = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] })).body.breakpoints[0];
    try {
      const before = await place(dc);
      const r = await timed('hitHistory', times, () => dc.custom('hitHistory', { breakpointId: bp.id!, from: hits[0].icount, to: hits[HITS - 1].icount + 1 }));
      assert.equal(r.complete, true);
      assert.equal(r.method, 'plugin', 'counted by a background replay, not by a gdb stop per hit');
      assert.deepEqual(r.hits.map((h) => h.icount), hits.map((h) => h.icount));
      assert.ok(r.hits.every((h) => BigInt(h.pc) === bpAddress && h.function === HOT && /core\.c$/.test(h.source?.path ?? '')));
      assert.deepEqual(await place(dc), before);
    } finally {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    }
  });

  test(`hit history of ${HOT} over the whole recording (the background replay): starts with the oracle's hits; a cancel ends it early with a prefix`, async () => {
    const bp = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] })).body.breakpoints[0];
    try {
      const before = await place(dc);
      const whole = await timed('hitHistory whole', times, () => dc.custom('hitHistory', { breakpointId: bp.id! }));
      assert.equal(whole.complete, true);
      assert.equal(whole.method, 'plugin');
      assert.ok(whole.hits.length > HITS, `${whole.hits.length} hits`);
      assert.deepEqual(whole.hits.slice(0, HITS).map((h) => h.icount), hits.map((h) => h.icount));
      // Cancelled once the first hits have come (the pass replays the whole boot: seconds): what it found is exact.
      const first = dc.expectEvent('hitHistory', { filter: (b) => b.breakpointId === bp.id && b.hits.length > 0 });
      const requestId = (dc as unknown as { sequence: number }).sequence;
      const pending = dc.response('hitHistory', { breakpointId: bp.id! });
      await first;
      await dc.response('cancel', { requestId });
      const r = await pending;
      const body = r.body as { hits: HistoryHit[]; complete: boolean };
      assert.equal(body.complete, false);
      assert.ok(body.hits.length >= 1 && body.hits.length < whole.hits.length, `${body.hits.length} of ${whole.hits.length}`);
      assert.deepEqual(body.hits, whole.hits.slice(0, body.hits.length));
      assert.deepEqual(await place(dc), before);
    } finally {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    }
  });

  test('a function breakpoint on a traced function (_printk, with ftrace\'s patchable entry) stops once per call, at its first line', async () => {
    // The ELF symbol is at the two NOPs ftrace patches, DWARF's function after them: gdb finds two locations.
    await dc.seek({ to: 'start' });
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '_printk' }] });
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const stops: Place[] = [];
    for (let i = 0; i < 4; i++) {
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'function breakpoint', stop.description);
      stops.push(await place(dc));
    }
    const where = stops.map((p) => `icount ${p.icount} pc 0x${p.pc.toString(16)} from ${p.frames[1]?.name}`).join('; ');
    assert.equal(new Set(stops.map((p) => p.pc)).size, 1, `one address: ${where}`);
    // A call of _printk runs thousands of instructions (vprintk_emit, the console): two stops of one call are not.
    stops.slice(1).forEach((p, i) => assert.ok(p.icount - stops[i].icount > 100, `one stop per call: ${where}`));
    assert.match(stops[0].frames[0].source?.path ?? '', /kernel\/printk\/printk\.c$/);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });
});

describe('a Linux kernel without symbols (the Image alone)', () => {
  let recording: string;
  let dc: ReplayDebugClient;
  let entry: StoppedBody;
  const times: Record<string, number[]> = {};

  before(async () => {
    const t = Date.now();
    recording = await record('aarch64', { program: undefined, kernel: kernel.image, qemuArgs: BOOT_ARGS, recordLimit: { instructions: 5e7 } });
    seconds.recordWithoutSymbols = (Date.now() - t) / 1000;
    ({ dc, entry } = await replay(recording));
    dc.defaultTimeout = 60_000;
  });
  after(async () => {
    if (dc) await endSession(dc, recording);
    const mb = recording ? diskMB(recording) : 0;
    if (recording) cleanup(recording);
    console.log(`kernel without symbols: record ${seconds.recordWithoutSymbols} s (${mb} MB on disk), ` +
      Object.entries(times).map(([k, v]) => `${k} ${v.join('/')} ms`).join(', '));
  });

  test('the Image\'s header gave the architecture; the recording has no program', () => {
    const manifest = JSON.parse(readFileSync(`${recording}/recording.json`, 'utf8')) as { architecture: string; program?: unknown; cpu?: string };
    assert.equal(manifest.architecture, 'aarch64');
    assert.equal(manifest.program, undefined);
    assert.equal(manifest.cpu, 'cortex-a53');
  });

  test('the replay stops at icount 0 in QEMU\'s boot stub; memory holds the Image where QEMU loaded it', async () => {
    assert.equal(entry.reason, 'entry');
    assert.equal(stoppedIcount(entry), 0);
    const frame = await topFrame(dc);
    assert.equal(BigInt(frame.instructionPointerReference!), 0x40000000n);
    assert.equal(frame.source, undefined, 'no source without symbols');
    // The stub loads the kernel's address into x4 and branches there: QEMU put the Image at RAM + 2 MiB.
    const stub = (await dc.disassembleRequest({ memoryReference: '0x40000000', instructionCount: 6 })).body!.instructions;
    assert.deepEqual(stub.map((i) => i.instruction.split(/\s/)[0]), ['ldr', 'mov', 'mov', 'mov', 'ldr', 'br']);
    const mem = await dc.send('readMemory', { memoryReference: '0x40200000', count: 64 });
    assert.deepEqual(Buffer.from(mem.body!.data, 'base64'), fileBytes(kernel.image, 0, 64), 'the Image\'s first 64 bytes (arm64 header)');
  });

  test('stepping by instruction follows the boot stub into the kernel; registers say where it goes', async () => {
    for (let i = 1; i <= 5; i++) {
      await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(await icount(dc), i);
      assert.equal(BigInt((await topFrame(dc)).instructionPointerReference!), 0x40000000n + BigInt(4 * i));
    }
    const regs = await scopeVariables(dc, 'Registers');
    for (const r of ['x0', 'x1', 'x30', 'sp', 'pc', 'cpsr']) assert.ok(regs.has(r), `register ${r}`);
    const target = BigInt(regs.get('x4')!.value);
    assert.equal(target, 0x40200000n);
    assert.equal(BigInt(regs.get('x1')!.value), 0n);
    await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await icount(dc), 6);
    assert.equal(BigInt((await topFrame(dc)).instructionPointerReference!), target, 'br x4');
    // Back by one instruction: the branch again, with the same registers.
    await timed('stepBack instruction', times, () => dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' })));
    assert.equal(await icount(dc), 5);
    assert.equal(BigInt((await topFrame(dc)).instructionPointerReference!), 0x40000014n);
    assert.equal(BigInt((await scopeVariables(dc, 'Registers')).get('x4')!.value), target);
  });

  test('with the MMU on: an instruction breakpoint at a kernel function (address from nm); reverse continue and step back by instruction', async () => {
    const printk = kernelSymbol(kernel.vmlinux, '_printk');
    const ref = `0x${printk.toString(16)}`;
    // At the start the kernel's virtual addresses are not mapped, and without symbols nothing says they will be.
    const early = await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: ref }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.equal(early.body.breakpoints[0].verified, false);
    assert.match(early.body.breakpoints[0].message ?? '', /no memory at that address/);
    // Run until the kernel has turned its MMU on: an icount breakpoint well into start_kernel.
    await dc.custom('setIcountBreakpoints', { icounts: [2e6] });
    await dc.continueToStop();
    assert.equal(await icount(dc), 2e6);
    assert.ok(BigInt((await topFrame(dc)).instructionPointerReference!) >= 0xffff000000000000n, "the kernel runs at its virtual addresses");
    await dc.custom('setIcountBreakpoints', { icounts: [] });
    const set = await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: ref }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const hits: Array<{ icount: number; x0: bigint; lr: bigint }> = [];
    for (let i = 0; i < 3; i++) {
      const stop = await dc.continueToStop();
      assert.equal(stop.reason, 'instruction breakpoint', stop.description);
      const frame = await topFrame(dc);
      assert.equal(BigInt(frame.instructionPointerReference!), printk);
      assert.equal(frame.source, undefined);
      const regs = await scopeVariables(dc, 'Registers');
      hits.push({ icount: stoppedIcount(stop), x0: BigInt(regs.get('x0')!.value), lr: BigInt(regs.get('x30')!.value) });
      assert.equal(await icount(dc), hits[i].icount);
    }
    // _printk's first argument is the format: readable kernel memory, text up to its NUL.
    const fmt = await dc.send('readMemory', { memoryReference: `0x${hits[2].x0.toString(16)}`, count: 16 });
    assert.equal(Buffer.from(fmt.body!.data, 'base64').length, 16);
    // Step back one instruction from the third hit: the caller's bl _printk, just before the return address.
    await timed('stepBack instruction', times, () => dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' })));
    assert.equal(await icount(dc), hits[2].icount - 1);
    const call = BigInt((await topFrame(dc)).instructionPointerReference!);
    assert.equal(call, hits[2].lr - 4n);
    const insn = (await dc.disassembleRequest({ memoryReference: `0x${call.toString(16)}`, instructionCount: 1 })).body!.instructions[0];
    assert.match(insn.instruction, /^bl\s/);
    assert.equal(BigInt(/0x[0-9a-f]+/.exec(insn.instruction)![0]), printk, insn.instruction);
    await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await icount(dc), hits[2].icount);
    // Reverse continue twice: the second hit, then the first, exactly, with the registers they had.
    for (const k of [1, 0]) {
      const stop = await timed('reverseContinue', times, () => dc.reverseContinueToStop());
      assert.equal(stop.reason, 'instruction breakpoint', stop.description);
      assert.equal(stoppedIcount(stop), hits[k].icount);
      assert.equal(BigInt((await topFrame(dc)).instructionPointerReference!), printk);
      const regs = await scopeVariables(dc, 'Registers');
      assert.equal(BigInt(regs.get('x0')!.value), hits[k].x0);
      assert.equal(BigInt(regs.get('x30')!.value), hits[k].lr);
    }
    // Disassembly at the breakpoint: _printk's first instructions, as in the Image file (kernel text is mapped at
    // _text + its offset in the Image).
    const text = kernelSymbol(kernel.vmlinux, '_text');
    const got = (await dc.disassembleRequest({ memoryReference: ref, instructionCount: 4 })).body!.instructions;
    const want = fileBytes(kernel.image, Number(printk - text), 16);
    got.forEach((insn, i) => {
      assert.equal(BigInt(insn.address), printk + BigInt(4 * i));
      assert.equal(insn.instructionBytes?.replace(/\s/g, ''), want.subarray(4 * i, 4 * i + 4).toString('hex'), `bytes at ${insn.address}`);
    });
  });
});
