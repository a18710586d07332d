/**
 * `npm run bench` (also `npm run bench -- --history-only`): the whole-recording passes of issue #16 against a plain
 * replay of the same range, measured in the same run on the same recording of the quiet endless sample guest.
 *
 *   node --import tsx scripts/bench-history.ts [--smoke]
 *   BENCH_HISTORY_INSTRUCTIONS (default 1.05e9, smoke 3e7), BENCH_REPS (default 3, smoke 1), BENCH_THINK_MS (600)
 *
 * - hit history of a breakpoint hit ~1,000 times over a 1e9 recording (main-print of a guest printing every 4096
 *   rounds), and of main-print in the usual bench guest (a hit every ~1.4e5 instructions) over 1e8 instructions and
 *   over the whole recording: from the request to its answer. Baselines, on a copy with only the initial snapshot:
 *   plain QEMU replaying the same range without breakpoints (QMP seeks), and plain gdb continuing from hit to hit;
 * - a logpoint with ~10,000 earlier hits (main-print, set at the end of the recording): the time to its 100th
 *   `[icount N]` line, and to the last;
 * - "last write" of a variable written once near the start (squares[63], by fill_squares), from positions 5e6-1e7
 *   instructions later, and of one written every round (checksum), from anywhere: from the request to its answer.
 * Prints one table and writes bench-results/bench-history-<time>.json.
 */
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HistoryHit, LastWriteResult } from '../common/protocol';
import { PlainReplay } from '../test/support/plainReplay';
import { baselineCopy, client, fmt, log, median, now, printTable, quantile, root, sleep, writeResults } from './bench-lib';

const smoke = process.argv.includes('--smoke');
const INSTRUCTIONS = Number(process.env.BENCH_HISTORY_INSTRUCTIONS ?? (smoke ? 3e7 : 1.05e9));
const REPS = Number(process.env.BENCH_REPS ?? (smoke ? 1 : 3));
const THINK = Number(process.env.BENCH_THINK_MS ?? 600);
const program = path.join(root, 'test/guests/build/bench/aarch64/prog.elf');
/** The same guest printing every 4096 rounds: main-print is hit ~1,000 times in 1e9 instructions. */
const sparseProgram = path.join(root, 'test/guests/build/bench-sparse/aarch64/prog.elf');
const source = path.join(root, 'test/guests/prog.c');
const tagLine = (tag: string) => readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`TAG: ${tag}`)) + 1;

interface Row { op: string; ours?: number[]; base?: number[]; gdb?: number[]; target?: string; note?: string }
const rows: Row[] = [];
/** The ~1,000-hit case: main-print (a hit every ~1e5 instructions) over 1e8 instructions from a tenth of the way in. */
const rangeOf = (end: number) => ({ from: Math.floor(end / 10), to: Math.floor(end / 10) + Math.min(1e8, Math.floor(end / 2)) });
let rangeHits = 0;

async function recordLong(dir: string, elf = program): Promise<void> {
  const dc = await client();
  const done = dc.waitForEvent('terminated', 900_000);
  const init = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launch({ mode: 'record', program: elf, recording: dir, stopOnEntry: false, recordLimit: { instructions: INSTRUCTIONS } });
  await init;
  await dc.configurationDoneRequest();
  await done;
  await dc.stop();
}

async function session(dir: string, elf = program): Promise<DebugClient> {
  const dc = await client();
  dc.defaultTimeout = 900_000;
  const stopped = dc.waitForEvent('stopped', 60_000);
  const init = dc.waitForEvent('initialized');
  await dc.initializeRequest();
  await dc.launch({ mode: 'replay', recording: dir, program: elf });
  await init;
  await dc.configurationDoneRequest();
  await stopped;
  return dc;
}

async function seek(dc: DebugClient, icount: number): Promise<void> {
  const stopped = dc.waitForEvent('stopped');
  await dc.customRequest('seek', { icount });
  await stopped;
}

async function hitHistory(dc: DebugClient, range: { from?: number; to?: number } = {}): Promise<{ ms: number; hits: number; firstMs: number }> {
  const set = await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: tagLine('main-print') }] });
  const id = set.body.breakpoints[0].id!;
  let firstMs = NaN;
  const t = now();
  const onEvent = () => { if (Number.isNaN(firstMs)) firstMs = now() - t; };
  dc.on('hitHistory', onEvent);
  const r = await dc.customRequest('hitHistory', { breakpointId: id, ...range });
  const ms = now() - t;
  dc.off('hitHistory', onEvent);
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
  const body = r.body as { hits: HistoryHit[]; complete: boolean };
  if (!body.complete) throw new Error('the hit history did not complete');
  return { ms, hits: body.hits.length, firstMs };
}

async function logpoint(dc: DebugClient, end: number): Promise<{ to100: number; toLast: number; lines: number }> {
  await seek(dc, end);
  let lines = 0;
  let to100 = NaN;
  let t = 0;
  const onOutput = (e: DebugProtocol.Event) => {
    if (!(e.body as { output: string }).output.startsWith('[icount ')) return;
    if (++lines === 100) to100 = now() - t;
  };
  dc.on('output', onOutput);
  const done = new Promise<void>((resolve) => {
    const on = (e: DebugProtocol.Event) => { if ((e.body as { done?: boolean }).done) { dc.off('hitHistory', on); resolve(); } };
    dc.on('hitHistory', on);
  });
  t = now();
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: tagLine('main-print'), logMessage: 'round {round} checksum {checksum}' }] });
  await done;
  const toLast = now() - t;
  dc.off('output', onOutput);
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
  return { to100, toLast, lines };
}

async function lastWrite(dc: DebugClient, expression: string, at: number): Promise<{ ms: number; result: LastWriteResult }> {
  await seek(dc, at);
  await sleep(THINK);
  const t = now();
  const r = await dc.customRequest('lastWrite', { expression, direction: 'backward' });
  return { ms: now() - t, result: r.body as LastWriteResult };
}

async function ours(dir: string, end: number): Promise<void> {
  const dc = await session(dir);
  try {
    log('hit history, ~1,000 hits');
    const h1: number[] = [];
    let n1 = 0;
    const { from, to } = rangeOf(end);
    for (let i = 0; i < REPS; i++) ({ ms: h1[i], hits: n1 } = await hitHistory(dc, { from, to }));
    rangeHits = n1;
    rows.push({ op: `hit history, ${n1.toLocaleString('en-US')} hits in [${from.toExponential(1)}, ${to.toExponential(1)})`, ours: h1, note: '10× denser than the target\'s case' });
    log('hit history, ~10,000 hits');
    const h2 = await hitHistory(dc);
    rows.push({ op: `hit history, ${h2.hits.toLocaleString('en-US')} hits over ${end.toExponential(2)}`, ours: [h2.ms], note: `first batch after ${fmt(h2.firstMs)}` });
    log('logpoint with earlier hits');
    const lp = await logpoint(dc, end);
    rows.push({ op: `logpoint: 100th of ${lp.lines.toLocaleString('en-US')} earlier hits shown`, ours: [lp.to100], target: '≤ 1 s' });
    rows.push({ op: `logpoint: all ${lp.lines.toLocaleString('en-US')} earlier hits shown`, ours: [lp.toLast], note: 'complete' });
    log('last write');
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const far: number[] = [];
    const dist: number[] = [];
    for (let i = 0; i < REPS * 3 && end > 1.1e7; i++) {
      const at = Math.floor(5e6 + random() * 5e6);
      const { ms, result } = await lastWrite(dc, 'squares[63]', at);
      if (!result.found) throw new Error(`no write of squares[63] before ${at}`);
      far.push(ms);
      dist.push(at - result.icount!);
    }
    if (far.length) rows.push({ op: 'last write, 5e6-1e7 instructions back (squares[63])', ours: far, target: '≤ 1 s', note: `median ${Math.round(median(dist)).toExponential(1)} back` });
    const near: number[] = [];
    for (let i = 0; i < REPS * 3; i++) {
      const { ms, result } = await lastWrite(dc, 'checksum', Math.floor(1e6 + random() * (end - 2e6)));
      if (!result.found) throw new Error('no write of checksum');
      near.push(ms);
    }
    rows.push({ op: 'last write, a variable written every round (checksum), anywhere', ours: near, target: '≤ 1 s' });
  } finally {
    await dc.terminateRequest().catch(() => undefined);
    await dc.stop();
  }
}

/**
 * The target's case: a breakpoint hit ~1,000 times over the whole recording (the sparse guest): hit history against
 * plain QEMU replaying the same recording without breakpoints, and against plain gdb continuing hit by hit.
 */
async function sparse(work: string): Promise<void> {
  const dir = path.join(work, 'sparse');
  log(`recording ${INSTRUCTIONS.toExponential(2)} instructions of the sparse guest`);
  await recordLong(dir, sparseProgram);
  const end = (JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')) as { endIcount: number }).endIcount;
  const dc = await session(dir, sparseProgram);
  const ours: number[] = [];
  let hits = 0;
  try {
    log('hit history, sparse guest');
    for (let i = 0; i < REPS; i++) ({ ms: ours[i], hits } = await hitHistory(dc));
  } finally {
    await dc.terminateRequest().catch(() => undefined);
    await dc.stop();
  }
  const copy = baselineCopy(dir, '-baseline');
  const p = await PlainReplay.start(copy, sparseProgram);
  const base: number[] = [];
  const gdbAlone: number[] = [];
  try {
    for (let i = 0; i < Math.min(REPS, 2); i++) {
      await p.seek(0);
      const t = now();
      await p.seek(end - 1);
      base.push(now() - t);
    }
    const bp = await p.gdb.command(`-break-insert ${source}:${tagLine('main-print')}`);
    await p.seek(0);
    await p.qemu.qmp.call('replay-break', { icount: end - 1 });
    const t = now();
    while ((await p.icount()) < end - 1) await p.exec('-exec-continue');
    gdbAlone.push(now() - t);
    await p.gdb.command(`-break-delete ${(bp.bkpt as { number: string }).number}`);
  } finally {
    await p.stop();
    rmSync(copy, { recursive: true, force: true });
  }
  rows.unshift({ op: `hit history, ${hits.toLocaleString('en-US')} hits over ${end.toExponential(2)} (sparse guest)`, ours, base, gdb: gdbAlone, target: '≤ 1.5× plain replay' });
}

/**
 * Plain QEMU replaying each range without breakpoints (from a seek to its start to a seek to its end: the replay of
 * the range alone), and plain gdb on QEMU continuing from hit to hit over the ~1,000-hit range (what a user without
 * qemu-replay does to see every hit).
 */
async function baseline(dir: string, end: number): Promise<void> {
  const copy = baselineCopy(dir, '-history-baseline');
  const p = await PlainReplay.start(copy, program);
  const replay = async (from: number, to: number) => {
    await p.seek(from);
    const t = now();
    await p.seek(to);
    return now() - t;
  };
  try {
    const { from, to } = rangeOf(end);
    const ranged: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < REPS; i++) ranged.push(await replay(from, to));
    for (let i = 0; i < Math.min(REPS, 2); i++) whole.push(await replay(0, end - 1));
    for (const r of rows.filter((x) => x.op.startsWith('hit history'))) r.base = r.op.includes(' in [') ? ranged : whole;
    // gdb alone, hit by hit over the same range.
    const gdbAlone: number[] = [];
    const bp = await p.gdb.command(`-break-insert ${source}:${tagLine('main-print')}`);
    for (let i = 0; i < Math.min(REPS, 2); i++) {
      await p.seek(from);
      await p.qemu.qmp.call('replay-break', { icount: to });
      const t = now();
      let hits = 0;
      while ((await p.icount()) < to) { await p.exec('-exec-continue'); hits++; }
      gdbAlone.push(now() - t);
      if (Math.abs(hits - 1 - rangeHits) > 1) log(`gdb alone: ${hits - 1} hits, the history found ${rangeHits}`);
    }
    await p.gdb.command(`-break-delete ${(bp.bkpt as { number: string }).number}`);
    const row = rows.find((x) => x.op.includes(' in ['));
    if (row) row.gdb = gdbAlone;
  } finally {
    await p.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'qr-bench-history-'));
  const dir = path.join(work, 'recording');
  try {
    log(`recording ${INSTRUCTIONS.toExponential(2)} instructions of the endless sample guest`);
    await recordLong(dir);
    const end = (JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')) as { endIcount: number }).endIcount;
    await ours(dir, end);
    await baseline(dir, end);
    rmSync(dir, { recursive: true, force: true });
    await sparse(work);
    printTable(['operation', 'ours median', 'ours p95', 'plain replay median', 'ratio (median)', 'gdb alone, hit by hit', 'target', 'note'], rows.map((r) => [
      r.op, fmt(r.ours && median(r.ours)), fmt(r.ours && quantile(r.ours, 0.95)), fmt(r.base && median(r.base)),
      r.ours && r.base ? `${(median(r.ours) / median(r.base)).toFixed(2)}×` : '', fmt(r.gdb && median(r.gdb)), r.target ?? '', r.note ?? '',
    ]));
    writeResults('bench-history', { smoke, instructions: end, reps: REPS, think: THINK, rows });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
