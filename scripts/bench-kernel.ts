/**
 * The kernel part of `npm run bench` (issue #12 item 7): a Linux kernel through qemu-replay against plain QEMU +
 * gdb with only the recording's initial snapshot, in the same run on the same recording, compared with the
 * issue's targets. The kernel is Debian's arm64 cloud kernel that scripts/kernel.sh fetches (the Image QEMU boots,
 * its 272 MB vmlinux with DWARF for gdb), booted with 128 MB of RAM and no root disk: it boots, runs its crypto
 * self-tests and waits for root.
 *
 *   node --import tsx scripts/bench-kernel.ts [--smoke]
 *   BENCH_KERNEL_SECONDS (default 6: seconds recorded), BENCH_REPS (default 5, smoke 1), BENCH_THINK_MS (default 600),
 *   BENCH_KERNEL_FUNCTION (default el1_interrupt: the function breakpoint the reverse operations start from)
 *
 * Measured:
 * - launch to the first stop (stop on entry: icount 0), with a function breakpoint in the configuration, and to its
 *   symbols loaded (that breakpoint verified), first with an empty cache (gdb's index cache and the file
 *   hashes: QEMU_REPLAY_CACHE set to a fresh folder for the adapter) and again with the same cache;
 * - at each depth, the reverse operations from a hit of a function breakpoint where the timer interrupt enters C
 *   code (hit every 2.5e5-4e6 instructions all through the boot, one breakpoint location). Each repetition seeks to its
 *   own place (spread over the depth's stretch of the recording), continues to a hit and to the next one, then
 *   sends the reverse operation: cold right after that stop, warm after BENCH_THINK_MS of idle time;
 * - the physical floor at each depth: loading one of this guest's snapshots (plain QEMU, a seek to its icount from
 *   2e6 later) and plain QEMU's replay speed there;
 * - the snapshot image's disk use (allocated blocks) after recording and after the replays, against the budget.
 *
 * Prints one table and writes bench-results/bench-kernel-<time>.json.
 */
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_BUDGET_PER_GIGA_INSTRUCTIONS, SnapshotPolicy } from '../adapter/engine/snapshots';
import { PlainReplay } from '../test/support/plainReplay';
import { allocatedBytes, baselineCopy, client, fmt, icount, log, median, now, printTable, quantile, root, sleep, timed, writeResults } from './bench-lib';

const smoke = process.argv.includes('--smoke');
const REPS = Number(process.env.BENCH_REPS ?? (smoke ? 1 : 5));
/** The baseline's repetitions: its step back by line takes ~0.5-1 min in a kernel (one replay from the start per instruction). */
const BASE_REPS = Math.min(REPS, 2);
const THINK = Number(process.env.BENCH_THINK_MS ?? 600);
const SECONDS = Number(process.env.BENCH_KERNEL_SECONDS ?? 6);
/** The smoke run records only the busy boot up to just past the first timer interrupts (~8.8e7). */
const LIMIT = smoke ? { instructions: 1.3e8 } : { seconds: SECONDS };
const DEPTHS = smoke ? [1e8] : [1e8, 3e8, 6e8];
const BOOT_ARGS = ['-append', 'console=ttyAMA0 nokaslr root=/dev/vda rootwait'];
/**
 * Where the timer interrupt enters C code: hit wherever the kernel runs with interrupts on (from ~8.8e7), 2.5e5
 * instructions apart in the busy boot and 4e6 in the crypto self-tests. A C function called from C (from
 * el1h_64_irq_handler), so stepping back by line leads to a C line (from el1h_64_irq_handler's first line it leads
 * into the assembly entry code, 32 instructions on one line). The boot's other hot functions are not hit all through
 * it: __schedule not between 3.4e8 and 7.4e8 (the crypto self-tests), the mpi_* functions only there.
 */
const HOT = process.env.BENCH_KERNEL_FUNCTION ?? 'el1_interrupt';
const MiB = 2 ** 20;

/** Issue #12's targets (p95, ms). */
const TARGETS = {
  launchFirst: 3000,
  launchSecond: 2000,
  ops: {
    'step back (instruction)': { cold: 600, warm: 250 },
    'step back (line)': { cold: 1000, warm: 400 },
    'reverse step out': { cold: 1000, warm: 400 },
    'reverse continue (previous hit)': { cold: 1500, warm: 600 },
    'reverse continue (previous hit), breakpoints set again': { cold: 1500, warm: 600 },
  },
  diskPerGiga: DEFAULT_BUDGET_PER_GIGA_INSTRUCTIONS,
} as const;
type OpName = keyof typeof TARGETS.ops;
type Mode = 'cold' | 'warm';

/**
 * Each reverse operation through the adapter and as gdb's own command (the baseline). `before`: sent after the two
 * continues and before the think time. A reverse continue right after continues goes back by what they showed
 * (adapter/engine/forwardHits.ts: a seek); with the breakpoint set again (a new gdb breakpoint) it searches as QEMU
 * does, the case of a user who changed breakpoints since.
 */
const OPS: Array<{ op: OpName; ours: (dc: DebugClient) => Promise<unknown>; gdb: string; before?: (dc: DebugClient) => Promise<unknown> }> = [
  { op: 'step back (instruction)', ours: (dc) => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }), gdb: '-exec-step-instruction --reverse' },
  { op: 'step back (line)', ours: (dc) => dc.stepBackRequest({ threadId: 1 }), gdb: '-exec-next --reverse' },
  { op: 'reverse step out', ours: (dc) => dc.customRequest('reverseStepOut', { threadId: 1 }), gdb: '-exec-finish --reverse' },
  { op: 'reverse continue (previous hit)', ours: (dc) => dc.reverseContinueRequest({ threadId: 1 }), gdb: '-exec-continue --reverse' },
  {
    op: 'reverse continue (previous hit), breakpoints set again', ours: (dc) => dc.reverseContinueRequest({ threadId: 1 }), gdb: '-exec-continue --reverse',
    before: (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] }),
  },
];
const isReverseContinue = (op: OpName): boolean => op.startsWith('reverse continue');

type Row = {
  op: string; depth?: number; ours?: number[]; base?: number[]; target?: number; met?: boolean; note?: string;
  /** Per repetition: how far before where the operation landed the nearest earlier snapshot was when it was sent. */
  behind?: number[];
};
const rows: Row[] = [];
const problems: string[] = [];
/** Per depth: the places each repetition starts from (cold), shared with the baseline. */
const places = new Map<number, number[]>();
/** Per depth: where its stretch of the recording ends. */
const stretches = new Map<number, number>();
/** Per depth: snapshot load (ms, median) and plain QEMU's replay speed (instructions/s). */
const floors = new Map<number, { loadMs?: number; speed?: number }>();
type Snapshot = { name: string; icount: number; vmStateSize: number; kind: string };
/** The snapshots the replays left. */
const finalSnapshots: Snapshot[] = [];

interface Kernel { image: string; vmlinux: string; abi: string }

/** The cached kernel (scripts/kernel.sh fetches it on first use: ~280 MB). */
function fetchKernel(): Kernel {
  const out = execFileSync('bash', [path.join(root, 'scripts/kernel.sh')], { encoding: 'utf8', timeout: 15 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  if (!vars.KERNEL_IMAGE || !vars.KERNEL_VMLINUX) throw new Error(`scripts/kernel.sh printed no kernel paths:\n${out}`);
  return { image: vars.KERNEL_IMAGE, vmlinux: vars.KERNEL_VMLINUX, abi: vars.KERNEL_ABI };
}

function problem(text: string): void {
  problems.push(text);
  log(`PROBLEM: ${text}`);
}

async function record(kernel: Kernel, dir: string, cache: string): Promise<number> {
  const dc = await client({ QEMU_REPLAY_CACHE: cache });
  const t = now();
  const done = dc.waitForEvent('terminated', 900_000);
  const init = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launch({ mode: 'record', program: kernel.vmlinux, kernel: kernel.image, recording: dir, stopOnEntry: false, qemuArgs: BOOT_ARGS, recordLimit: LIMIT });
  await init;
  await dc.configurationDoneRequest();
  await done;
  await dc.stop();
  return now() - t;
}

/**
 * A replay session stopped on entry; `launchMs`: from the initialize request to the stop. With `configBreakpoint`, a
 * function breakpoint on HOT in the configuration, as VS Code sends the Breakpoints view's; `symbolsMs`: from the
 * initialize request to the answer or breakpoint event that verified it (a first launch loads the symbols after
 * the first stop: adapter/dap/lateSymbols.ts).
 */
async function replaySession(kernel: Kernel, dir: string, cache: string, configBreakpoint = false): Promise<{ dc: DebugClient; launchMs: number; symbolsMs?: number; at: number }> {
  const dc = await client({ QEMU_REPLAY_CACHE: cache });
  const t = now();
  const stopped = dc.waitForEvent('stopped', 120_000);
  const init = dc.waitForEvent('initialized');
  let symbols: Promise<number> | undefined;
  await dc.initializeRequest();
  await dc.launch({ mode: 'replay', recording: dir, program: kernel.vmlinux });
  await init;
  if (configBreakpoint) {
    const verified = new Promise<number>((resolve) => dc.on('breakpoint', (e: DebugProtocol.BreakpointEvent) => { if (e.body.breakpoint.verified) resolve(now() - t); }));
    const answer = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] })).body.breakpoints[0];
    symbols = answer.verified ? Promise.resolve(now() - t) : verified;
  }
  await dc.configurationDoneRequest();
  await stopped;
  const launchMs = now() - t;
  const symbolsMs = symbols ? await symbols : undefined;
  if (configBreakpoint) await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  return { dc, launchMs, symbolsMs, at: await icount(dc) };
}

async function launches(kernel: Kernel, dir: string, work: string): Promise<string> {
  const first: number[] = [];
  const second: number[] = [];
  const firstSymbols: number[] = [];
  const secondSymbols: number[] = [];
  let cache = '';
  for (let i = 0; i < REPS; i++) {
    cache = mkdtempSync(path.join(work, 'cache-'));
    for (const [into, symbolsInto] of [[first, firstSymbols], [second, secondSymbols]]) {
      const { dc, launchMs, symbolsMs, at } = await replaySession(kernel, dir, cache, true);
      into.push(launchMs);
      if (symbolsMs !== undefined) symbolsInto.push(symbolsMs);
      if (at !== 0) problem(`the replay stopped on entry at icount ${at}, not 0`);
      await dc.terminateRequest();
      await dc.stop();
    }
  }
  log(`launch: first ${first.map((x) => fmt(x)).join(', ')}; second ${second.map((x) => fmt(x)).join(', ')}`);
  log(`symbols loaded (the configuration's breakpoint verified): first ${firstSymbols.map((x) => fmt(x)).join(', ')}; second ${secondSymbols.map((x) => fmt(x)).join(', ')}`);
  rows.push({ op: 'launch to first stop (empty gdb index cache)', ours: first, target: TARGETS.launchFirst });
  rows.push({ op: 'launch to first stop (second launch, same vmlinux)', ours: second, target: TARGETS.launchSecond });
  // No target: the first stop does not wait for them (a first launch), but breakpoints and source-level requests do.
  rows.push({ op: 'launch to symbols loaded (empty gdb index cache)', ours: firstSymbols, note: 'the configuration\'s function breakpoint verified' });
  rows.push({ op: 'launch to symbols loaded (second launch, same vmlinux)', ours: secondSymbols, note: 'the configuration\'s function breakpoint verified' });
  return cache;
}

/** From `place`: continue to a hit (A), continue to the next (B); the icounts of both. */
async function twoHits(dc: DebugClient, place: number): Promise<{ a: number; b: number }> {
  await timed(dc, () => dc.customRequest('seek', { icount: place }));
  const hit = async () => {
    const stopped = dc.waitForEvent('stopped', 600_000);
    await dc.continueRequest({ threadId: 1 });
    const ev = (await stopped) as { body: { reason: string; description?: string } };
    if (ev.body.reason !== 'function breakpoint') throw new Error(`a continue from ${place} stopped for "${ev.body.reason}" (${ev.body.description}), not at ${HOT}`);
    return icount(dc);
  };
  const a = await hit();
  return { a, b: await hit() };
}

/** Where a reverse operation from B landed, checked against what it must be. */
function check(op: OpName, who: string, hits: { a: number; b: number }, at: number): void {
  const where = `${who}: ${op} from the hit at ${hits.b}`;
  if (op === 'step back (instruction)' && at !== hits.b - 1) problem(`${where} landed at ${at}, not ${hits.b - 1}`);
  if (isReverseContinue(op) && at !== hits.a) problem(`${where} landed at ${at}, not at the previous hit ${hits.a}`);
  if (at >= hits.b) problem(`${where} landed at ${at}, not before it`);
}

/** Cold and warm reverse operations at each depth. */
async function ours(kernel: Kernel, dir: string, cache: string, end: number): Promise<void> {
  const { dc } = await replaySession(kernel, dir, cache);
  // The snapshot list as the adapter reports it, and when it changed (a save or a delete).
  let list = ((await dc.customRequest('listSnapshots')).body as { snapshots: Snapshot[] }).snapshots;
  const changes: number[] = [];
  dc.on('snapshotsChanged', (e: { body: { snapshots: Snapshot[] } }) => { changes.push(now()); list = e.body.snapshots; });
  const depths = DEPTHS.filter((d) => d < end - 3e7);
  for (const [j, depth] of depths.entries()) {
    // The repetitions start from places spread over [depth, next depth): each cold one far from the others.
    const stretchEnd = Math.min(depths[j + 1] ?? Infinity, end - 1.5e7);
    stretches.set(depth, stretchEnd);
    const n = OPS.length * REPS;
    const spacing = (stretchEnd - depth) / n;
    places.set(depth, Array.from({ length: n }, (_, k) => Math.round(depth + k * spacing)));
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: HOT }] });
    if (!set.body.breakpoints[0]?.verified) throw new Error(`the function breakpoint on ${HOT} is not verified: ${set.body.breakpoints[0]?.message}`);
    const times = new Map<string, number[]>();
    const busy = new Map<string, number>();
    const behind = new Map<string, number[]>();
    const gaps: number[] = [];
    for (const mode of ['cold', 'warm'] as Mode[]) {
      log(`ours at depth ${depth.toExponential()}, ${mode}: ${n} places ${(spacing / 1e6).toFixed(1)}e6 apart`);
      for (let k = 0; k < n; k++) {
        const { op, ours: run, before } = OPS[k % OPS.length];
        const hits = await twoHits(dc, Math.round(depth + (k + (mode === 'warm' ? 0.5 : 0)) * spacing));
        await before?.(dc);
        if (mode === 'warm') await sleep(THINK);
        const sent = now();
        const snapshots = list;
        const ms = await timed(dc, () => run(dc));
        const during = changes.filter((t) => t > sent && t <= sent + ms).length;
        const at = await icount(dc);
        check(op, 'ours', hits, at);
        if (isReverseContinue(op)) gaps.push(hits.b - at);
        const key = `${op}|${mode}`;
        times.set(key, [...(times.get(key) ?? []), ms]);
        if (during) busy.set(key, (busy.get(key) ?? 0) + 1);
        const nearest = snapshots.filter((x) => x.icount <= at).reduce((m, x) => Math.max(m, x.icount), 0);
        behind.set(key, [...(behind.get(key) ?? []), at - nearest]);
        log(`  ${op}, ${mode}, from ${hits.b}: ${fmt(ms)} (landed at ${at}${during ? `; ${during} snapshot list changes meanwhile` : ''})`);
      }
    }
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    for (const { op } of OPS) {
      for (const mode of ['cold', 'warm'] as Mode[]) {
        const key = `${op}|${mode}`;
        const notes = [
          isReverseContinue(op) ? `previous hit ${(median(gaps) / 1e6).toFixed(2)}e6 back (median)` : '',
          busy.get(key) ? `snapshots saved or deleted during ${busy.get(key)} of ${REPS}` : '',
        ].filter(Boolean);
        rows.push({ op: `${op}, ${mode}`, depth, ours: times.get(key), target: TARGETS.ops[op][mode], note: notes.join('; ') || undefined, behind: behind.get(key) });
      }
    }
  }
  const snaps = ((await dc.customRequest('listSnapshots')).body as { snapshots: Snapshot[] }).snapshots;
  finalSnapshots.push(...snaps);
  rows.push({ op: 'snapshots after the replays', note: `${snaps.length} (${snaps.filter((s) => s.kind === 'automatic').length} automatic), vm state ${(snaps.reduce((x, s) => x + s.vmStateSize, 0) / MiB).toFixed(0)} MiB` });
  await dc.terminateRequest();
  await dc.stop();
}

/**
 * The floor of any reverse operation: loading one of this guest's snapshots. Plain QEMU on a copy of the recording
 * with the snapshots the replays left, at each depth one of them: a QMP seek to its icount from 2e6 later (nothing
 * replayed, no adapter and no idle work of its own).
 */
async function snapshotLoads(kernel: Kernel, dir: string, end: number): Promise<void> {
  const copy = `${dir}-floor`;
  cpSync(dir, copy, { recursive: true });
  const p = await PlainReplay.start(copy, kernel.vmlinux);
  try {
    for (const [depth, stretchEnd] of stretches) {
      // One in the depth's stretch, else the nearest: a booted kernel's (the initial one holds less, ~25 MiB)
      const taken = finalSnapshots.filter((s) => s.icount > 0);
      const distance = (s: Snapshot) => (s.icount >= depth && s.icount < stretchEnd ? 0 : Math.min(Math.abs(s.icount - depth), Math.abs(s.icount - stretchEnd)));
      const snap = taken.sort((a, b) => distance(a) - distance(b) || a.icount - b.icount)[0] ?? finalSnapshots[0];
      const loads: number[] = [];
      for (let i = -1; i < REPS; i++) {
        await p.seek(Math.min(snap.icount + 2e6, end - 1));
        const t = now();
        await p.seek(snap.icount);
        if (i >= 0) loads.push(now() - t); // the first is a warm-up: QEMU's first load also maps the guest's RAM
      }
      const note = `${snap.name} at ${snap.icount.toExponential(2)}, ${(snap.vmStateSize / MiB).toFixed(0)} MiB of VM state`;
      floors.set(depth, { ...floors.get(depth), loadMs: median(loads) });
      rows.push({ op: 'floor: snapshot load (plain QEMU, seek to its icount)', depth, ours: loads, note });
      log(`snapshot load at ${depth.toExponential()}: ${loads.map((x) => fmt(x)).join(', ')} (${note})`);
    }
  } finally {
    await p.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Plain QEMU + gdb on a copy with only the initial snapshot: launch, replay speed, the same reverse operations. */
async function baseline(kernel: Kernel, dir: string, end: number): Promise<void> {
  const copy = baselineCopy(dir);
  const starts: number[] = [];
  let p: PlainReplay | undefined;
  try {
    for (let i = 0; i < BASE_REPS; i++) {
      await p?.stop();
      const t = now();
      p = await PlainReplay.start(copy, kernel.vmlinux);
      starts.push(now() - t);
    }
    for (const r of rows.filter((x) => x.op.startsWith('launch'))) r.base = starts;
    const plain = p!;
    const time = async (f: () => Promise<unknown>) => { const t = now(); await f(); return now() - t; };
    await plain.gdb.command(`-break-insert ${HOT}`);
    const hits = async (place: number) => {
      await plain.seek(place);
      await plain.qemu.qmp.call('replay-break', { icount: end });
      await plain.exec('-exec-continue');
      const a = await plain.icount();
      await plain.exec('-exec-continue');
      return { a, b: await plain.icount() };
    };
    for (const [depth, from] of places) {
      // replay speed here: plain QEMU runs forward from the depth (only the initial snapshot: nothing to load)
      const window = smoke ? 5e6 : 2e7;
      await plain.seek(depth);
      const speed = window / (await time(() => plain.seek(depth + window))) * 1000;
      floors.set(depth, { ...floors.get(depth), speed });
      rows.push({ op: 'floor: plain QEMU replay speed', depth, note: `${(speed / 1e6).toFixed(0)} M instructions/s over ${window.toExponential(0)} from the depth` });
      for (const [i, { op, gdb }] of OPS.entries()) {
        log(`baseline at depth ${depth.toExponential()}: ${op}`);
        const xs: number[] = [];
        for (let rep = 0; rep < BASE_REPS; rep++) {
          const h = await hits(from[rep * OPS.length + i]);
          xs.push(await time(() => plain.exec(gdb)));
          check(op, 'baseline', h, await plain.icount());
          log(`  ${fmt(xs[xs.length - 1])}`);
        }
        // No idle work without qemu-replay: cold and warm are the same for the baseline.
        for (const r of rows.filter((x) => x.depth === depth && (x.op === `${op}, cold` || x.op === `${op}, warm`))) r.base = xs;
      }
    }
  } finally {
    await p?.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

function print(extra: Record<string, string>): void {
  const head = ['operation', 'depth', 'ours median', 'ours p95', 'baseline median', 'baseline p95', 'target (p95)', 'met', 'note'];
  printTable(head, rows.map((r) => {
    const p95 = r.ours && quantile(r.ours, 0.95);
    if (r.target !== undefined && p95 !== undefined) r.met = p95 <= r.target;
    let note = r.note ?? '';
    if (r.met === false && r.depth !== undefined) {
      const f = floors.get(r.depth);
      const back = r.behind?.length ? median(r.behind) : undefined;
      const replay = back !== undefined && f?.speed ? ` + replay of the ${(back / 1e6).toFixed(2)}e6 from the nearest earlier snapshot (median) ${fmt(back / f.speed * 1000)}` : '';
      const floor = `floor here: snapshot load ${fmt(f?.loadMs)}${replay}; replay ${f?.speed ? (f.speed / 1e6).toFixed(0) : '?'} M/s`;
      note = note ? `${note}; ${floor}` : floor;
    }
    return [
      r.op, r.depth ? r.depth.toExponential(0) : '', fmt(r.ours && median(r.ours)), fmt(p95),
      fmt(r.base && median(r.base)), fmt(r.base && quantile(r.base, 0.95)),
      r.target !== undefined ? `≤ ${fmt(r.target)}` : '', r.met === undefined ? '' : r.met ? 'met' : 'NOT MET', note,
    ];
  }));
  for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${v}`);
  for (const p of problems) console.log(`problem: ${p}`);
}

async function main(): Promise<void> {
  const kernel = fetchKernel();
  const work = mkdtempSync(path.join(os.tmpdir(), 'qr-bench-kernel-'));
  const dir = path.join(work, 'recording');
  const image = path.join(dir, 'snapshots.qcow2');
  try {
    log(`recording the kernel ${kernel.abi} (${JSON.stringify(LIMIT)})`);
    const recordMs = await record(kernel, dir, path.join(work, 'cache-record'));
    const manifest = JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')) as { endIcount: number; qemu: { version: string } };
    const end = manifest.endIcount;
    const recorded = allocatedBytes(image);
    const seconds = smoke ? recordMs / 1000 : SECONDS;
    log(`recorded ${end.toExponential(3)} instructions in ${fmt(recordMs)}, snapshot image ${(recorded / MiB).toFixed(0)} MiB`);
    const cache = await launches(kernel, dir, work);
    await ours(kernel, dir, cache, end);
    const replayed = allocatedBytes(image);
    await snapshotLoads(kernel, dir, end);
    await baseline(kernel, dir, end);
    const budget = new SnapshotPolicy({ interval: 0 }).budget(end);
    const perGiga = (bytes: number) => bytes / (end / 1e9);
    for (const [op, bytes] of [['snapshot disk after recording', recorded], ['snapshot disk after the replays', replayed]] as const) {
      const inBudget = bytes <= budget;
      const perGigaMet = perGiga(bytes) <= TARGETS.diskPerGiga;
      rows.push({
        op, met: inBudget && perGigaMet,
        note: `${(bytes / MiB).toFixed(0)} MiB = ${(bytes / MiB / seconds).toFixed(1)} MiB per second of recording, ` +
          `${(perGiga(bytes) / MiB).toFixed(0)} MiB per 1e9 instructions; ≤ the default budget (${(budget / MiB).toFixed(0)} MiB here): ` +
          `${inBudget ? 'met' : 'NOT MET'}; ≤ ${TARGETS.diskPerGiga / MiB} MiB per 1e9: ${perGigaMet ? 'met' : 'NOT MET'}`,
      });
    }
    const extra = {
      kernel: `Debian ${kernel.abi}-cloud-arm64 (Image + vmlinux with DWARF), 128 MB, ${BOOT_ARGS[1]}`,
      qemu: manifest.qemu.version,
      recording: `${end.toExponential(3)} instructions, ${smoke ? 'instruction limit' : `${SECONDS} s limit`}, the record session took ${(recordMs / 1000).toFixed(1)} s`,
      breakpoint: `${HOT} (function breakpoint); each repetition from its own place, continue to a hit and to the next, then the reverse operation: cold at once, warm after ${THINK} ms`,
      repetitions: `${REPS} (baseline ${BASE_REPS}; cold and warm are the same for it: no idle work)`,
    };
    print(extra);
    writeResults('bench-kernel', { smoke, kernel: kernel.abi, qemu: manifest.qemu.version, instructions: end, reps: REPS, think: THINK, rows, extra, problems });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
