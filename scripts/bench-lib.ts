/**
 * What the benchmarks share (scripts/bench.ts: the sample guest, scripts/bench-kernel.ts: a Linux kernel): the
 * adapter as a DAP client, timing a request to its stop, statistics, the table and the results file, and the
 * baseline's copy of a recording.
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();
export const median = (xs: number[]) => quantile(xs, 0.5);

/** The q-quantile (nearest rank): p95 of 5 samples is the largest. */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

export function log(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

/** Milliseconds as a table shows them: "93 ms", "2.52 s". */
export function fmt(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** Bytes a file really takes on disk: its allocated blocks (not the apparent size; qcow2 punches holes). */
export function allocatedBytes(file: string): number {
  return statSync(file).blocks * 512;
}

/** The adapter (dist/adapter.js) as a DAP client; `env`: variables added to its environment. */
export async function client(env?: Record<string, string>): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, path.join(root, 'dist/adapter.js'), 'qemu-replay', env ? { env: { ...process.env, ...env } } : undefined);
  dc.defaultTimeout = 600_000;
  await dc.start();
  return dc;
}

/** Sends a request that runs the guest and resolves when it stopped: the latency a user sees. */
export async function timed(dc: DebugClient, request: () => Promise<unknown>): Promise<number> {
  const stopped = dc.waitForEvent('stopped', 600_000);
  const t = now();
  await request();
  await stopped;
  return now() - t;
}

export async function icount(dc: DebugClient): Promise<number> {
  return ((await dc.customRequest('replayInfo')).body as { icount: number }).icount;
}

/**
 * A copy of the recording with only its initial snapshot (`dir` + `suffix`): what QEMU + gdb give a user, the
 * baseline's recording. The caller removes it.
 */
export function baselineCopy(dir: string, suffix = '-baseline'): string {
  const copy = `${dir}${suffix}`;
  cpSync(dir, copy, { recursive: true });
  const img = path.join(copy, 'snapshots.qcow2');
  const names = execFileSync('qemu-img', ['snapshot', '-l', '-U', img], { encoding: 'utf8' }).split('\n').slice(2)
    .map((l) => l.trim().split(/\s+/)[1]).filter((n) => n && n !== 'init');
  for (const n of names) execFileSync('qemu-img', ['snapshot', '-d', n, img]);
  return copy;
}

/** Prints a Markdown table, columns padded. */
export function printTable(head: string[], lines: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => `| ${head.map((_, i) => (cells[i] ?? '').padEnd(widths[i])).join(' | ')} |`;
  console.log(row(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

/** Writes bench-results/<name>-<time>.json and prints its path. */
export function writeResults(name: string, data: Record<string, unknown>): void {
  mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  const date = new Date();
  const out = path.join(root, 'bench-results', `${name}-${date.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ date: date.toISOString(), ...data }, null, 2));
  console.log(`results: ${path.relative(root, out)}`);
}
