/**
 * `npm run bench`: time travel through qemu-replay against what a user has without it — plain gdb-multiarch on
 * QEMU with only the recording's initial snapshot — measured in the same run on the same recording.
 *
 *   node --import tsx scripts/bench.ts [--smoke]
 *   BENCH_INSTRUCTIONS (default 1.05e9), BENCH_REPS (default 5), BENCH_THINK_MS (default 600),
 *   BENCH_LIST_SNAPSHOTS (default 500, smoke 40: snapshots in the recording when snapshot listing is timed)
 *
 * Each operation is measured as a user does it: after a stop, a short "think time" passes before the next action
 * (BENCH_THINK_MS), which is when the adapter places a snapshot near the position. Prints one table and writes
 * bench-results/bench-<time>.json.
 */
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PlainReplay } from '../test/support/plainReplay';
import { baselineCopy, client, fmt, icount, log, median, now, printTable, quantile, root, sleep, timed, writeResults } from './bench-lib';

const smoke = process.argv.includes('--smoke');
const INSTRUCTIONS = Number(process.env.BENCH_INSTRUCTIONS ?? (smoke ? 3e7 : 1.05e9));
const REPS = Number(process.env.BENCH_REPS ?? (smoke ? 1 : 5));
const THINK = Number(process.env.BENCH_THINK_MS ?? (smoke ? 350 : 600));
const DEPTHS = [1e6, 1e7, 1e8, 1e9];
const BASELINE_MAX_DEPTH = 1e8; // beyond, each baseline reverse operation takes minutes
const LIST_SNAPSHOTS = Number(process.env.BENCH_LIST_SNAPSHOTS ?? (smoke ? 40 : 500));
const LIST_OP = `snapshot listing (${LIST_SNAPSHOTS} snapshots)`;
const program = path.join(root, 'test/guests/build/bench/aarch64/prog.elf');
const source = path.join(root, 'test/guests/prog.c');
const tagLine = (tag: string) => readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`TAG: ${tag}`)) + 1;

/** Where `ours` measured forward next at each depth: the baseline steps from the same icount. */
const nextFrom = new Map<number, number>();
type Row = { op: string; depth?: number; ours?: number[]; base?: number[]; note?: string };
const rows: Row[] = [];
/** Bytes a file takes on disk (its apparent size, as `du -b` reports it). */
function diskBytes(file: string): number {
  return Number(execFileSync('du', ['-b', file], { encoding: 'utf8' }).split('\t')[0]);
}

async function recordLong(dir: string): Promise<number> {
  const dc = await client();
  const t = now();
  const done = dc.waitForEvent('terminated', 900_000);
  const init = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launch({ mode: 'record', program, recording: dir, stopOnEntry: false, recordLimit: { instructions: INSTRUCTIONS } });
  await init;
  await dc.configurationDoneRequest();
  await done;
  await dc.stop();
  return now() - t;
}

async function replaySession(dir: string): Promise<{ dc: DebugClient; launchMs: number }> {
  const dc = await client();
  const t = now();
  const stopped = dc.waitForEvent('stopped', 60_000);
  const init = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launch({ mode: 'replay', recording: dir, program });
  await init;
  await dc.configurationDoneRequest();
  await stopped;
  return { dc, launchMs: now() - t };
}

/** Returns the snapshot image's disk size after the time-travel operations, before the listing snapshots. */
async function ours(dir: string, end: number): Promise<number> {
  // launch to stopped-at-entry
  const launches: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const { dc, launchMs } = await replaySession(dir);
    launches.push(launchMs);
    await dc.terminateRequest();
    await dc.stop();
  }
  rows.push({ op: 'launch to stopped at entry', ours: launches });

  const { dc } = await replaySession(dir);
  const seekTo = async (n: number) => { await timed(dc, () => dc.customRequest('seek', { icount: n })); await sleep(THINK); };
  for (const depth of DEPTHS.filter((d) => d < end - 2e6)) {
    log(`ours at depth ${depth.toExponential()}`);
    const push = (op: string, xs: number[]) => rows.push({ op, depth, ours: xs });
    await seekTo(depth);
    const si: number[] = [];
    for (let i = 0; i < REPS; i++) { si.push(await timed(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }))); await sleep(THINK); }
    push('step back (instruction)', si);
    const sl: number[] = [];
    for (let i = 0; i < REPS; i++) { sl.push(await timed(dc, () => dc.stepBackRequest({ threadId: 1 }))); await sleep(THINK); }
    push('step back (line)', sl);
    // reverse step out: from inside fib
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
    await timed(dc, () => dc.continueRequest({ threadId: 1 }));
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const inside = await icount(dc);
    await sleep(THINK);
    const so: number[] = [];
    for (let i = 0; i < REPS; i++) {
      so.push(await timed(dc, () => dc.customRequest('reverseStepOut', { threadId: 1 })));
      await seekTo(inside);
    }
    push('reverse step out', so);
    // reverse continue to a breakpoint hit about once per 1e5 instructions (the bench guest prints that often)
    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: tagLine('main-print') }] });
    const rc: number[] = [];
    const gaps: number[] = [];
    for (let i = 0; i < REPS; i++) {
      await timed(dc, () => dc.continueRequest({ threadId: 1 }));
      const from = await icount(dc);
      await sleep(THINK);
      rc.push(await timed(dc, () => dc.reverseContinueRequest({ threadId: 1 })));
      gaps.push(from - (await icount(dc)));
      await seekTo(from);
    }
    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
    rows.push({ op: 'reverse continue (previous hit)', depth, ours: rc, note: `hits ${Math.round(median(gaps)).toLocaleString('en-US')} instructions apart` });
    // forward next: the baseline steps the same lines from the same icount (a line's cost depends on what it calls)
    nextFrom.set(depth, await icount(dc));
    const nx: number[] = [];
    for (let i = 0; i < REPS * 2; i++) { nx.push(await timed(dc, () => dc.nextRequest({ threadId: 1 }))); await sleep(50); }
    push('forward next', nx);
    // icount breakpoint run: 1e6 ahead
    const ib: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const here = await icount(dc);
      await dc.customRequest('setIcountBreakpoints', { icounts: [here + 1_000_000] });
      ib.push(await timed(dc, () => dc.continueRequest({ threadId: 1 })));
      await sleep(THINK);
    }
    await dc.customRequest('setIcountBreakpoints', { icounts: [] });
    push('icount breakpoint run (1e6 ahead)', ib);
  }
  // random seeks anywhere, both ways
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const seeks: number[] = [];
  for (let i = 0; i < REPS * 4; i++) {
    seeks.push(await timed(dc, () => dc.customRequest('seek', { icount: Math.floor(random() * end) })));
    await sleep(THINK);
  }
  rows.push({ op: 'seek to a random icount', ours: seeks, note: `anywhere in ${end.toExponential(2)}` });
  const snaps = ((await dc.customRequest('listSnapshots')).body as { snapshots: Array<{ kind: string; vmStateSize: number }> }).snapshots;
  rows.push({ op: 'snapshots after the run', note: `${snaps.length} (${snaps.filter((s) => s.kind === 'automatic').length} automatic), vm state ${(snaps.reduce((n, s) => n + s.vmStateSize, 0) / 2 ** 20).toFixed(1)} MiB` });
  // The disk figure is the time travel's: measured before the listing snapshots below are added.
  const diskAfter = diskBytes(path.join(dir, 'snapshots.qcow2'));
  // snapshot listing: user snapshots spread over the recording (each a short forward replay from the last one)
  // until it holds LIST_SNAPSHOTS in all
  const count = async () => ((await dc.customRequest('listSnapshots')).body as { snapshots: unknown[] }).snapshots.length;
  const t0 = now();
  let made = 0;
  for (let have = await count(); have < LIST_SNAPSHOTS; have = await count()) {
    const missing = LIST_SNAPSHOTS - have;
    log(`saving ${missing} snapshots for the listing (${have} already)`);
    const step = Math.floor(end / missing);
    for (let i = 0; i < missing; i++) {
      await timed(dc, () => dc.customRequest('seek', { icount: Math.floor((i + 0.5) * step) }));
      await dc.customRequest('saveSnapshot', { name: `list-${++made}` });
      if (made % 50 === 0) log(`${made} saved in ${((now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  log(`${made} listing snapshots saved in ${((now() - t0) / 1000).toFixed(1)} s`);
  const lists: number[] = [];
  for (let i = 0; i < REPS * 4; i++) {
    const t = now();
    const r = await dc.customRequest('listSnapshots');
    lists.push(now() - t);
    const n = (r.body as { snapshots: unknown[] }).snapshots.length;
    if (n < LIST_SNAPSHOTS) throw new Error(`listSnapshots returned ${n} snapshots, expected at least ${LIST_SNAPSHOTS}`);
  }
  rows.push({ op: LIST_OP, ours: lists, note: 'ours answers from its list, re-read after each save/delete; baseline: HMP info snapshots' });
  await dc.terminateRequest();
  await dc.stop();
  return diskAfter;
}

/** What a user without us has to list snapshots: HMP `info snapshots` on plain QEMU replaying the same image. */
async function baselineListing(dir: string): Promise<void> {
  const copy = `${dir}-list`;
  cpSync(dir, copy, { recursive: true });
  const p = await PlainReplay.start(copy, program);
  try {
    log('baseline snapshot listing');
    const lists: number[] = [];
    for (let i = 0; i < REPS * 4; i++) {
      const t = now();
      const out = await p.qemu.qmp.call('human-monitor-command', { 'command-line': 'info snapshots' });
      lists.push(now() - t);
      const n = out.split('\n').filter((l) => /^\s*(--|\d+)\s+\S+\s+\S/.test(l)).length;
      if (n < LIST_SNAPSHOTS) throw new Error(`info snapshots listed ${n} snapshots, expected at least ${LIST_SNAPSHOTS}:\n${out.slice(0, 2000)}`);
    }
    rows.find((r) => r.op === LIST_OP)!.base = lists;
  } finally {
    await p.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

async function baseline(dir: string, end: number): Promise<void> {
  // Only the initial snapshot: what QEMU + gdb give a user.
  const copy = baselineCopy(dir);
  const p = await PlainReplay.start(copy, program);
  const qmpSeek = (n: number) => p.seek(n);
  const time = async (f: () => Promise<unknown>) => { const t = now(); await f(); return now() - t; };
  // replay speed: from the initial snapshot forward
  const far = Math.min(1e8, end - 1e6);
  const speedMs = await time(() => qmpSeek(far));
  rows.push({ op: 'replay speed (plain QEMU)', note: `${((far / speedMs) * 1000 / 1e6).toFixed(1)} M instructions/s` });
  for (const depth of DEPTHS.filter((d) => d < end - 2e6)) {
    if (depth > BASELINE_MAX_DEPTH) {
      for (const op of ['step back (instruction)', 'step back (line)', 'reverse step out', 'reverse continue (previous hit)']) {
        rows.find((r) => r.op === op && r.depth === depth)!.note = 'baseline not run: minutes per operation at this depth';
      }
      continue;
    }
    log(`baseline at depth ${depth.toExponential()}`);
    const reps = depth >= 1e8 ? Math.min(REPS, 2) : REPS;
    const add = (op: string, xs: number[]) => { const r = rows.find((x) => x.op === op && x.depth === depth); if (r) r.base = xs; };
    await qmpSeek(depth);
    const si: number[] = [];
    for (let i = 0; i < reps; i++) si.push(await time(() => p.exec('-exec-step-instruction --reverse')));
    add('step back (instruction)', si);
    const sl: number[] = [];
    for (let i = 0; i < reps; i++) sl.push(await time(() => p.exec('-exec-next --reverse')));
    add('step back (line)', sl);
    const b = await p.gdb.command('-break-insert mix');
    await p.qemu.qmp.call('replay-break', { icount: end });
    await p.exec('-exec-continue');
    await p.gdb.command(`-break-delete ${(b.bkpt as { number: string }).number}`);
    const inside = await p.icount();
    const so: number[] = [];
    for (let i = 0; i < reps; i++) { so.push(await time(() => p.exec('-exec-finish --reverse'))); await qmpSeek(inside); }
    add('reverse step out', so);
    const bp = await p.gdb.command(`-break-insert ${source}:${tagLine('main-print')}`);
    const rc: number[] = [];
    for (let i = 0; i < reps; i++) {
      await p.exec('-exec-continue');
      const from = await p.icount();
      rc.push(await time(() => p.exec('-exec-continue --reverse')));
      await qmpSeek(from);
    }
    await p.gdb.command(`-break-delete ${(bp.bkpt as { number: string }).number}`);
    add('reverse continue (previous hit)', rc);
    const at = nextFrom.get(depth);
    if (at !== undefined) await qmpSeek(at);
    const nx: number[] = [];
    for (let i = 0; i < REPS * 2; i++) nx.push(await time(() => p.exec('-exec-next')));
    add('forward next', nx);
  }
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const seeks: number[] = [];
  for (let i = 0; i < Math.min(REPS, 3); i++) seeks.push(await time(() => qmpSeek(Math.floor(random() * Math.min(end, 2e8)))));
  rows.find((r) => r.op === 'seek to a random icount')!.base = seeks;
  await p.stop();
  rmSync(copy, { recursive: true, force: true });
}

function print(extra: Record<string, string>): void {
  const head = ['operation', 'depth', 'ours median', 'ours p95', 'baseline median', 'baseline p95', 'ratio (p95)', 'note'];
  printTable(head, rows.map((r) => [
    r.op, r.depth ? r.depth.toExponential(0) : '', fmt(r.ours && median(r.ours)), fmt(r.ours && quantile(r.ours, 0.95)),
    fmt(r.base && median(r.base)), fmt(r.base && quantile(r.base, 0.95)),
    r.ours && r.base ? `${(quantile(r.base, 0.95) / quantile(r.ours, 0.95)).toFixed(1)}× faster` : '', r.note ?? '',
  ]));
  for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${v}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'qr-bench-'));
  const dir = path.join(work, 'recording');
  try {
    log(`recording ${INSTRUCTIONS.toExponential(2)} instructions of the endless sample guest`);
    const recordMs = await recordLong(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')) as { endIcount: number };
    const end = manifest.endIcount;
    const recordDisk = statSync(path.join(dir, 'snapshots.qcow2')).size;
    const diskAfter = await ours(dir, end);
    // before baseline(), which works on a copy without the snapshots
    await baselineListing(dir);
    await baseline(dir, end);
    const extra = {
      recording: `${end.toExponential(3)} instructions in ${(recordMs / 1000).toFixed(1)} s (record speed ${(end / recordMs / 1000).toFixed(1)} M instructions/s)`,
      'snapshot disk': `${(recordDisk / 2 ** 20).toFixed(1)} MiB after recording, ${(diskAfter / 2 ** 20).toFixed(1)} MiB after the session = ${((diskAfter / 2 ** 20) / (end / 1e9)).toFixed(1)} MiB per 1e9 instructions`,
      repetitions: `${REPS} (baseline at 1e8: ${Math.min(REPS, 2)}), think time ${THINK} ms`,
    };
    print(extra);
    writeResults('bench', { smoke, instructions: end, reps: REPS, think: THINK, rows, extra });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
