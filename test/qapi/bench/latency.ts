// Diagnostics latency as a client sees it: the bundled server (server/qapi/main.ts, as the extension ships it) in its
// own process over stdio, today's upstream block-core.json open (checked with the whole qapi-schema.json), and
// keystrokes sent as incremental didChange notifications. Measures the time from each keystroke to the
// publishDiagnostics that answers it. Not a test (timing depends on the machine): `npm run bench` runs it
// (scripts/bench-qapi.ts reports the p95 against the 50 ms target), or by hand:
//
//   node --import tsx test/qapi/bench/latency.ts [--runs N] [--file SCHEMA_MODULE]
//
// Scenarios: keystrokes 400 ms apart (a pause after each: every one is answered), and bursts of 10 keystrokes 40 ms
// apart (fast typing: only the answer to the last one matters; also counts how many checks the burst cost).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-languageserver/node';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** The file `npm run bench` measures: today's upstream block-core.json, the target (p95 ≤ 50 ms). */
export const DEFAULT_FILE = path.join(repoRoot, 'test', 'fixtures', 'qemu-master', 'qapi', 'block-core.json');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function stats(samples: number[]): { median: number; p95: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)], max: s[s.length - 1], n: s.length };
}

const show = (samples: number[]): string => {
  const { median, p95, max, n } = stats(samples);
  return `median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms (n=${n})`;
};

export interface Latency {
  readonly file: string;
  /** didOpen → first publishDiagnostics. */
  readonly openMs: number;
  /** Keystroke after a pause → its publishDiagnostics, one sample per keystroke. */
  readonly paused: number[];
  /** Last keystroke of a 10-key burst (40 ms apart) → the publishDiagnostics answering it. */
  readonly burst: number[];
  /** Checks published per burst. */
  readonly checks: number[];
}

/** Runs the bundled server over stdio and types into `file` like a client; `runs` keystrokes after a pause. */
export async function measureLatency(runs = 30, file = DEFAULT_FILE): Promise<Latency> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qapi-latency-'));
  const bundle = path.join(dir, 'qapiServer.js');
  await esbuild.build({ entryPoints: [path.join(repoRoot, 'server', 'qapi', 'main.ts')], bundle: true, platform: 'node',
    target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'warning' });
  const child = spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const uri = pathToFileURL(file).href;
  let published: ((t: number) => void) | undefined;
  let publishes = 0;
  client.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
    if (p.uri !== uri) return;
    publishes++;
    published?.(performance.now());
  });
  client.listen();
  await client.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await client.sendNotification('initialized', {});
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let version = 1;
  const next = new Promise<number>((r) => { published = r; });
  const t0 = performance.now();
  await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'qapi', version, text } });
  const openMs = (await next) - t0;
  // Type at the end of a plain comment appended below the last line: the text stays a valid schema.
  const line = lines.length;
  await client.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version },
    contentChanges: [{ range: { start: { line: line - 1, character: lines[line - 1].length }, end: { line: line - 1, character: lines[line - 1].length } }, text: '\n# typing ' }] });
  await sleep(500);
  let column = '# typing '.length;
  const key = (): Promise<number> => {
    const p = new Promise<number>((r) => { published = r; });
    void client.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version },
      contentChanges: [{ range: { start: { line, character: column }, end: { line, character: column } }, text: 'x' }] });
    column++;
    return p;
  };
  for (let i = 0; i < 5; i++) { await key(); await sleep(100); }   // warm-up (JIT)

  const paused: number[] = [];
  for (let i = 0; i < runs; i++) {
    const sent = performance.now();
    paused.push((await key()) - sent);
    await sleep(400);
  }
  const burst: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < Math.max(5, Math.round(runs / 3)); i++) {
    const before = publishes;
    let last = 0;
    let answer: Promise<number> = Promise.resolve(0);
    for (let k = 0; k < 10; k++) {
      last = performance.now();
      answer = key();
      if (k < 9) await sleep(40);
    }
    burst.push((await answer) - last);
    await sleep(600);
    checks.push(publishes - before);
  }
  client.dispose();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
  return { file, openMs, paused, burst, checks };
}

if (require.main === module) {
  const arg = (name: string, fallback: string): string => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  measureLatency(Number(arg('--runs', '30')), path.resolve(arg('--file', DEFAULT_FILE))).then((r) => {
    console.log(`${path.relative(repoRoot, r.file)}, node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    console.log(`open: first diagnostics after ${r.openMs.toFixed(0)} ms`);
    console.log(`keystroke after a pause -> diagnostics: ${show(r.paused)}`);
    console.log(`last keystroke of a 10-key burst (40 ms apart) -> diagnostics: ${show(r.burst)}`);
    console.log(`checks published per burst of 10 keystrokes: ${r.checks.join(' ')}`);
  }).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
