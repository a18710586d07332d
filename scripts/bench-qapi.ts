// Benchmarks the QAPI language server on QEMU 7.2's schema (test/fixtures/qemu-7.2/qapi, ~23 000 lines in 38 files),
// then diagnostics latency as a client sees it: the bundled server in its own process over stdio, keystrokes typed
// into today's upstream block-core.json (test/qapi/bench/latency.ts). `npm run bench` runs it (scripts/bench.sh).
//   node --import tsx scripts/bench-qapi.ts [--runs N] [--smoke]
// Prints median and p95 per scenario. Budgets: full parse + check < 300 ms, re-check after an edit < 50 ms (median);
// keystroke → diagnostics over stdio ≤ 50 ms at p95 (issue #14).
// Timing is reported, never asserted in tests (machines differ; a loaded CI box would flake).

import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader, StreamMessageWriter, createConnection, createMessageConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import { parseSchema } from '../server/qapi/parser';
import { ParseCache, analyzeProgram, type FileSource } from '../server/qapi/program';
import { startQapiServer } from '../server/qapi/server';
import { measureLatency, stats as latencyStats } from '../test/qapi/bench/latency';

const qapiDir = path.resolve(__dirname, '..', 'test', 'fixtures', 'qemu-7.2', 'qapi');
const root = path.join(qapiDir, 'qapi-schema.json');
const runsArg = process.argv.indexOf('--runs');
const smoke = process.argv.includes('--smoke');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : smoke ? 3 : 30;

const files = new Map(readdirSync(qapiDir).filter((f) => f.endsWith('.json')).map((f) => [path.join(qapiDir, f), readFileSync(path.join(qapiDir, f), 'utf8')]));
const lineCount = [...files.values()].reduce((n, t) => n + t.split('\n').length, 0);
const memory = (overrides = new Map<string, string>()): FileSource => ({ read: (f) => overrides.get(f) ?? files.get(f) });

interface Row { scenario: string; median: number; p95: number; budget?: number; on?: 'median' | 'p95' }
const rows: Row[] = [];

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] };
}

async function measure(scenario: string, body: (i: number) => unknown, budget?: number): Promise<void> {
  for (let i = 0; i < 3; i++) await body(-1 - i);   // warm-up: JIT
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body(i);
    samples.push(performance.now() - t0);
  }
  rows.push({ scenario, ...stats(samples), budget });
}

/** An edit in the middle of replay.json: a changed doc line, so the file must be re-parsed. */
const replay = path.join(qapiDir, 'replay.json');
const edited = (i: number): Map<string, string> =>
  new Map([[replay, files.get(replay)!.replace('# Since: 5.2', `# Since: 5.2 (edit ${i})`)]]);

async function lspRoundTrip(): Promise<void> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  startQapiServer(server, { debounceMs: 0 });
  server.listen();
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  client.listen();
  const uri = pathToFileURL(replay).href;
  let waiting: (() => void) | undefined;
  client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => { if (p.uri === uri) waiting?.(); });
  const published = (): Promise<void> => new Promise((resolve) => { waiting = resolve; });
  await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
  let version = 1;
  let next = published();
  await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'qapi', version, text: files.get(replay) } });
  await next;
  await measure('LSP didChange → diagnostics (replay.json, whole schema)', async (i) => {
    next = published();
    await client.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: edited(i).get(replay) }] });
    await next;
  }, 50);
  const text = files.get(replay)!;
  const offset = text.indexOf("'ReplayInfo'", text.indexOf("'returns'"));
  const before = text.slice(0, offset).split('\n');
  const position = { line: before.length - 1, character: before[before.length - 1].length + 3 };
  await measure('LSP hover on a type reference', () => client.sendRequest('textDocument/hover', { textDocument: { uri }, position }));
  await measure('LSP completion of a type name', () => client.sendRequest('textDocument/completion', { textDocument: { uri }, position }));
  client.dispose();
  toServer.destroy();
  toClient.destroy();
}

async function main(): Promise<void> {
  await measure('parse only (all modules)', () => { for (const t of files.values()) parseSchema(t); });
  await measure('parse + check whole schema (cold cache)', () => analyzeProgram(root, memory()), 300);
  const cache = new ParseCache();
  analyzeProgram(root, memory(), cache);
  await measure('re-check after an edit (one module re-parsed)', (i) => analyzeProgram(root, memory(edited(i)), cache), 50);
  await lspRoundTrip();
  const latency = await measureLatency(runs);
  const paused = latencyStats(latency.paused);
  rows.push({ scenario: 'stdio keystroke → diagnostics (upstream block-core.json)', median: paused.median, p95: paused.p95, budget: 50, on: 'p95' });
  const burst = latencyStats(latency.burst);
  rows.push({ scenario: 'stdio last key of a 10-key burst → diagnostics', median: burst.median, p95: burst.p95, budget: 50, on: 'p95' });

  console.log(`stdio (bundled server in its own process, like a client): ${path.relative(path.resolve(__dirname, '..'), latency.file)}, `
    + `${latency.paused.length} keystrokes after a pause, ${latency.burst.length} bursts; open → first diagnostics `
    + `${latency.openMs.toFixed(0)} ms; checks per burst of 10 keystrokes: ${latency.checks.join(' ')}`);
  console.log(`QAPI schema: ${files.size} files, ${lineCount} lines; ${runs} runs per scenario (after 3 warm-up runs); `
    + `node ${process.version}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores\n`);
  const width = Math.max(...rows.map((r) => r.scenario.length));
  console.log(`${'scenario'.padEnd(width)}  ${'median ms'.padStart(9)}  ${'p95 ms'.padStart(8)}  budget`);
  for (const r of rows) {
    // The verdict is on the median for the in-process scenarios (p95 mostly measures the machine's other load); on
    // the p95 for the stdio keystroke latency, the figure issue #14 sets (≤ 50 ms).
    const value = r.on === 'p95' ? r.p95 : r.median;
    const verdict = r.budget === undefined ? '' : `${value <= r.budget ? 'ok' : 'OVER'} (${r.on ?? 'median'} ${r.on === 'p95' ? '≤' : '<'} ${r.budget} ms)`;
    console.log(`${r.scenario.padEnd(width)}  ${r.median.toFixed(1).padStart(9)}  ${r.p95.toFixed(1).padStart(8)}  ${verdict}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
