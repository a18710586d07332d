/**
 * Fuzzing the three parsers of foreign input (gdb/MI lines, the QMP stream, QEMU's replay log) with fast-check:
 * random input and truncations/mutations of valid input never raise anything but the parser's own typed error,
 * never hang, and the QMP stream parser's memory stays bounded. Valid input generated from a model parses back to
 * the model. CI-sized by default; set QEMU_REPLAY_FUZZ_RUNS (e.g. 100000) for a long run, and
 * QEMU_REPLAY_FUZZ_SEED to replay a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import fc from 'fast-check';
import { MiParseError, MiRecord, MiValue, parseMiLine } from '../../adapter/gdb/miParser';
import { MAX_QMP_LINE, QmpClient, QmpCommandError, QmpConnectionError, QmpMessage, QmpProtocolError, QmpStreamParser } from '../../adapter/qemu/qmp';
import { parseReplayLog, REPLAY_VERSION_7_2, ReplayLogError, ReplayLogSummary, SHUTDOWN_CAUSES } from '../../adapter/qemu/replayLog';

const LONG = !!process.env.QEMU_REPLAY_FUZZ_RUNS;
const RUNS = Number(process.env.QEMU_REPLAY_FUZZ_RUNS) || 500;
const SEED = process.env.QEMU_REPLAY_FUZZ_SEED ? Number(process.env.QEMU_REPLAY_FUZZ_SEED) : undefined;
// A long run also tries larger inputs (longer strings, deeper values, more events).
if (LONG) fc.configureGlobal({ baseSize: 'medium' });
/**
 * The hang guard: a whole property (all its runs, generation included) must finish within this. Generous: the
 * parsers take well under a millisecond per input; medium-sized JSON values take fast-check ~40 ms to generate.
 */
const PROPERTY_BOUND_MS = Math.max(20_000, RUNS * (LONG ? 150 : 40));

/** Runs a property with the run count and seed of this suite; fails if the whole property takes too long. */
function check<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void, runs = RUNS): void {
  const started = performance.now();
  fc.assert(fc.property(arb, predicate), { numRuns: runs, seed: SEED, endOnFailure: false });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < PROPERTY_BOUND_MS, `the property took ${Math.round(elapsed)} ms for ${runs} runs (bound ${PROPERTY_BOUND_MS} ms): a parser is too slow or hangs`);
}

const testOptions = { timeout: PROPERTY_BOUND_MS * 4 };

/** Well-formed text of any code points, weighted to ASCII (fc.string's 'binary' unit is slow to generate). */
const anyText = (maxLength: number) => fc.array(fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
  fc.integer({ min: 0x80, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0x10ffff }),
), { maxLength }).map((cps) => String.fromCodePoint(...cps));

/** Text from an alphabet of a format's own tokens, which reaches deeper into a parser than random text does. */
const tokenText = (tokens: string[], maxLength: number) =>
  fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...tokens) }, anyText(3)), { maxLength }).map((parts) => parts.join(''));

/** Edits that keep most of a valid input: cut, delete, insert, replace, duplicate, swap. */
const mutated = (valid: fc.Arbitrary<string>) => fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(5), anyText(4)), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) => {
    let s = text;
    for (const [a, b, op, insert] of edits) {
      const i = s.length ? a % s.length : 0;
      const j = Math.min(s.length, i + (b % 8));
      if (op === 0) s = s.slice(0, i);
      else if (op === 1) s = s.slice(0, i) + s.slice(j);
      else if (op === 2) s = s.slice(0, i) + insert + s.slice(i);
      else if (op === 3) s = s.slice(0, i) + insert + s.slice(j);
      else if (op === 4) s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
      else s = s.slice(j) + s.slice(0, j);
    }
    return s;
  });

/** A value is plain parsed data: strings, arrays and plain objects with own enumerable data properties only. */
function assertPlainData(v: unknown): void {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return;
  assert.equal(typeof v, 'object', `not data: ${typeof v}`);
  const proto: unknown = Object.getPrototypeOf(v);
  assert.ok(proto === Object.prototype || proto === Array.prototype, 'a parsed value has a foreign prototype');
  for (const key of Reflect.ownKeys(v)) {
    if (Array.isArray(v) && key === 'length') continue;
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    assert.ok('value' in d, `accessor property ${String(key)}`);
    if (d.enumerable) assertPlainData(d.value);
    else assert.equal(key, 'repeated', `hidden property ${String(key)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// gdb/MI

const MI_TOKENS = ['^', '*', '+', '=', '~', '@', '&', '(gdb)', 'done', 'running', 'error', 'stopped', ',', '=', '"', '\\',
  '\\"', '\\n', '\\303\\251', '\\0', '\\', '{', '}', '[', ']', 'frame', 'addr', '0x40000010', '__proto__', 'toString', '12',
  '\r', '\n', ' ', 'msg="x"', 'a=', '-', '_'];

/** Checks one line: a MiParseError pointing inside the line, or a record made of plain data. */
function parsesOrMiParseError(line: string): void {
  let record: MiRecord;
  try {
    record = parseMiLine(line);
  } catch (err) {
    assert.ok(err instanceof MiParseError, `parseMiLine threw ${String(err)} for ${JSON.stringify(line).slice(0, 300)}`);
    assert.equal(err.line, line.replace(/\r$/, ''), 'the error quotes the line (without the CR of a CRLF)');
    assert.ok(err.offset >= 0 && err.offset <= line.length, `offset ${err.offset} outside the line`);
    assert.match(err.message, /at column \d+ of gdb\/MI line/);
    return;
  }
  assert.ok(['result', 'exec', 'status', 'notify', 'console', 'target', 'log', 'prompt'].includes(record.kind));
  if ('results' in record) assertPlainData(record.results);
  if ('text' in record) assert.equal(typeof record.text, 'string');
  if ('token' in record && record.token !== undefined) assert.ok(Number.isInteger(record.token) || record.token === Infinity);
  JSON.stringify(record);
}

/** gdb's C-string escaping: text as UTF-8 bytes, non-ASCII either raw or as three-digit octal. */
function miString(text: string, rawUtf8: boolean): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else if (c < 0x80 || rawUtf8) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '\\' + b.toString(8).padStart(3, '0');
  }
  return out + '"';
}

type Gen = { text: string; value: MiValue };
const miName = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('frame', 'thread-id', '__proto__', 'constructor', 'toString', 'hasOwnProperty') },
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,6}$/),
);
const miStringGen: fc.Arbitrary<Gen> = fc.tuple(anyText(12), fc.boolean()).map(([s, raw]) => ({ text: miString(s, raw), value: s }));

/** The parser's model of results: names in first-seen order; a repeated name holds all its values in order. */
function tupleOf(entries: Array<[string, Gen]>): MiValue {
  const groups = new Map<string, MiValue[]>();
  for (const [n, g] of entries) groups.set(n, [...(groups.get(n) ?? []), g.value]);
  const out = {};
  for (const [n, values] of groups) {
    Object.defineProperty(out, n, { value: values.length === 1 ? values[0] : values, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const { miValue } = fc.letrec<{ miValue: Gen; tuple: Gen; list: Gen }>((tie) => ({
  miValue: fc.oneof({ depthSize: 'small' }, miStringGen, tie('tuple'), tie('list')),
  tuple: fc.array(fc.tuple(miName, tie('miValue')), { maxLength: 5 })
    .map((entries) => ({ text: `{${entries.map(([n, g]) => `${n}=${g.text}`).join(',')}}`, value: tupleOf(entries) })),
  // gdb's lists hold values (`["a","b"]`) or results (`[frame={…},frame={…}]`); the parser keeps the values
  list: fc.array(fc.oneof(tie('miValue'), fc.tuple(miName, tie('miValue')).map(([n, g]) => ({ text: `${n}=${g.text}`, value: g.value }))), { maxLength: 4 })
    .map((items) => ({ text: `[${items.map((g) => g.text).join(',')}]`, value: items.map((g) => g.value) })),
}));

const miRecord: fc.Arbitrary<{ line: string; record: MiRecord }> = fc.oneof(
  fc.tuple(fc.constantFrom('^', '*', '+', '='), fc.option(fc.nat(2 ** 31)), fc.stringMatching(/^[a-z][a-z-]{0,10}$/),
    fc.array(fc.tuple(miName, miValue), { maxLength: 6 }), fc.boolean())
    .map(([marker, token, cls, results, crlf]) => {
      const line = `${token ?? ''}${marker}${cls}${results.map(([n, g]) => `,${n}=${g.text}`).join('')}${crlf ? '\r' : ''}`;
      const kind = ({ '^': 'result', '*': 'exec', '+': 'status', '=': 'notify' } as const)[marker];
      const record = (kind === 'result'
        ? { kind, token: token ?? undefined, resultClass: cls, results: tupleOf(results) }
        : { kind, token: token ?? undefined, asyncClass: cls, results: tupleOf(results) }) as MiRecord;
      return { line, record };
    }),
  fc.tuple(fc.constantFrom('~', '@', '&'), anyText(40), fc.boolean()).map(([marker, text, raw]) => ({
    line: marker + miString(text, raw),
    record: { kind: ({ '~': 'console', '@': 'target', '&': 'log' } as const)[marker], text },
  })),
);

void test('fuzz MI: valid records generated from a model parse back to the model', testOptions, () => {
  check(miRecord, ({ line, record }) => {
    assert.deepEqual(parseMiLine(line), record);
  });
});

void test('fuzz MI: random text throws only MiParseError, and what parses is plain data', testOptions, () => {
  check(fc.oneof(anyText(120), tokenText(MI_TOKENS, 60)), parsesOrMiParseError);
});

void test('fuzz MI: truncated and mutated valid records throw only MiParseError', testOptions, () => {
  check(mutated(miRecord.map((r) => r.line)), parsesOrMiParseError);
  check(fc.tuple(miRecord, fc.nat()).map(([r, n]) => r.line.slice(0, n % (r.line.length + 1))), parsesOrMiParseError);
});

void test('fuzz MI: deep and unbalanced nesting throws only MiParseError', testOptions, () => {
  const nesting = fc.tuple(fc.array(fc.constantFrom('[', '{a=', 'b=[', '{c={', '"x",'), { maxLength: 40 }), fc.nat(20_000), fc.boolean())
    .map(([opens, repeat, close]) => {
      const open = opens.join('') || '[';
      const body = open.repeat(1 + Math.floor(repeat / open.length));
      return `^done,v=${body}${close ? ']}'.repeat(repeat) : ''}`;
    });
  check(nesting, parsesOrMiParseError, Math.min(RUNS, 300));
});

// ---------------------------------------------------------------------------------------------------------------
// QMP

const QMP_TOKENS = ['{', '}', '[', ']', '"', '\\', ':', ',', '\n', '\r\n', ' ', '1', '-1', '1e400', 'null', 'true', '"QMP"',
  '"return"', '"error"', '"event"', '"id"', '"desc"', '"class"', '"data"', '"timestamp"', '"__proto__"', '"\\u0000"', '"\\ud800"'];

/** Splits text at the given points (taken modulo its length). */
function chunks(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => (text.length ? c % text.length : 0)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of points) {
    out.push(text.slice(last, p));
    last = p;
  }
  out.push(text.slice(last));
  return out;
}

/** Feeds chunks; a QmpProtocolError is allowed (and parsing goes on with the next chunk), nothing else. */
function feedQmp(parts: string[]): QmpMessage[] {
  const parser = new QmpStreamParser();
  const messages: QmpMessage[] = [];
  for (const part of parts) {
    try {
      messages.push(...parser.push(part));
    } catch (err) {
      assert.ok(err instanceof QmpProtocolError, `QmpStreamParser threw ${String(err)}`);
    }
  }
  for (const m of messages) {
    assert.ok(['greeting', 'return', 'error', 'event'].includes(m.kind));
    if (m.kind === 'error') assert.ok(typeof m.desc === 'string' && typeof m.errorClass === 'string');
    if (m.kind === 'event') assert.equal(typeof m.event.event, 'string');
    JSON.stringify(m); // consumers (the trace) serialise messages: must not overflow the stack
  }
  return messages;
}

const qmpMessage = fc.oneof(
  fc.record({ QMP: fc.record({ version: fc.jsonValue({ maxDepth: 2 }), capabilities: fc.array(fc.string()) }) }),
  fc.record({ return: fc.jsonValue({ maxDepth: 3 }), id: fc.nat() }, { requiredKeys: ['return'] }),
  fc.record({ error: fc.record({ class: fc.string(), desc: fc.string() }, { requiredKeys: ['desc'] }), id: fc.nat() }, { requiredKeys: ['error'] }),
  fc.record({ event: fc.constantFrom('STOP', 'RESUME', 'SHUTDOWN'), data: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
    timestamp: fc.record({ seconds: fc.nat(), microseconds: fc.nat(999_999) }) }, { requiredKeys: ['event'] }),
);
const qmpStream = fc.array(fc.tuple(qmpMessage, fc.constantFrom('\n', '\r\n', ' \n', '\n\n')), { minLength: 1, maxLength: 6 })
  .map((ms) => ({ text: ms.map(([m, end]) => JSON.stringify(m) + end).join(''), count: ms.length }));

void test('fuzz QMP: a valid stream parses the same however it is chunked', testOptions, () => {
  check(fc.tuple(qmpStream, fc.array(fc.nat(), { maxLength: 12 })), ([{ text, count }, cuts]) => {
    const whole = new QmpStreamParser().push(text);
    assert.equal(whole.length, count);
    const parser = new QmpStreamParser();
    const pieces = chunks(text, cuts).flatMap((c) => parser.push(c));
    assert.deepEqual(pieces, whole);
  });
});

void test('fuzz QMP: random and mutated streams raise only QmpProtocolError', testOptions, () => {
  const cuts = fc.array(fc.nat(), { maxLength: 8 });
  check(fc.tuple(fc.oneof(anyText(200), tokenText(QMP_TOKENS, 80)), cuts), ([text, c]) => { feedQmp(chunks(text, c)); });
  check(fc.tuple(mutated(qmpStream.map((s) => s.text)), cuts), ([text, c]) => { feedQmp(chunks(text, c)); });
});

void test('fuzz QMP: deep nesting raises only QmpProtocolError', testOptions, () => {
  const deep = fc.tuple(fc.constantFrom('[', '{"a":', '[{"b":'), fc.nat(30_000), fc.boolean()).map(([open, n, closed]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
    return `{"return":${open.repeat(n)}1${closed ? close.repeat(n) : ''}}\n`;
  });
  check(deep, (line) => { feedQmp([line]); }, Math.min(RUNS, 200));
});

void test('fuzz QMP: a long stream without newlines keeps memory bounded and time linear', testOptions, () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const CHUNK = 64 * 1024;
  const total = 25 * MAX_QMP_LINE; // 400 MB of one line-less stream
  const parser = new QmpStreamParser();
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = 0;
  let errors = 0;
  const started = performance.now();
  for (let sent = 0, i = 0; sent < total; sent += CHUNK, i++) {
    // a fresh flat string per chunk: a parser that kept them all would hold every byte
    const chunk = Buffer.alloc(CHUNK, 97 + (i % 26)).toString('latin1');
    try {
      parser.push(chunk);
    } catch (err) {
      assert.ok(err instanceof QmpProtocolError);
      errors++;
    }
    if (i % 512 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }
  }
  const elapsed = performance.now() - started;
  assert.equal(errors, Math.floor(total / (MAX_QMP_LINE + CHUNK)) + (total % (MAX_QMP_LINE + CHUNK) > MAX_QMP_LINE ? 1 : 0),
    'one QmpProtocolError per MAX_QMP_LINE of line-less input');
  assert.ok(peak < 4 * MAX_QMP_LINE, `heap grew by ${Math.round(peak / 2 ** 20)} MB for a ${total / 2 ** 20} MB line-less stream`);
  assert.ok(elapsed < PROPERTY_BOUND_MS, `${Math.round(elapsed)} ms for ${total / 2 ** 20} MB`);
  // and it still parses a line afterwards
  assert.throws(() => parser.push('\n'), QmpProtocolError);
  assert.deepEqual(parser.push('{"return": {}, "id": 1}\n'), [{ kind: 'return', id: 1, value: {} }]);
});

void test('fuzz QMP client: whatever QEMU sends, commands settle with typed errors and the client never crashes', testOptions, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qmp-fuzz-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const server = net.createServer();
  server.listen(socketPath);
  await once(server, 'listening');
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const greeting = JSON.stringify({ QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: '' }, capabilities: ['oob'] } });
  const deep = fc.integer({ min: 500, max: 20_000 }).map((n) => `{"return": ${'['.repeat(n)}${']'.repeat(n)}, "id": 2}\n`);
  const garbage = fc.tuple(fc.oneof(mutated(qmpStream.map((st) => st.text)), tokenText(QMP_TOKENS, 80), anyText(100), deep), fc.array(fc.nat(), { maxLength: 6 }));
  const started = performance.now();
  await fc.assert(fc.asyncProperty(garbage, async ([text, cuts]) => {
    const client = new QmpClient(500);
    const connection = once(server, 'connection') as Promise<[net.Socket]>;
    const connecting = client.connect({ path: socketPath });
    const [socket] = await connection;
    socket.on('error', () => { /* the client may hang up first */ });
    socket.setEncoding('utf8');
    const capabilities = once(socket, 'data') as Promise<[string]>;
    socket.write(`${greeting}\n`);
    const [request] = await capabilities;
    const { id } = JSON.parse(request) as { id: number };
    socket.write(`{"return": {}, "id": ${id}}\n`);
    await connecting;
    let closeReason: unknown = 'open';
    client.on('close', (reason) => { closeReason = reason; });
    const settled = ['query-status', 'query-replay'].map((cmd) => client.executeUntyped(cmd).then(() => undefined, (err: unknown) => err));
    for (const part of chunks(text, cuts)) socket.write(part);
    socket.write(`\n{"return": "a", "id": ${id + 1}}\n{"return": "b", "id": ${id + 2}}\n`);
    for (const err of await Promise.all(settled)) {
      if (err !== undefined) assert.ok(err instanceof QmpCommandError || err instanceof QmpConnectionError, `a command rejected with ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
    if (closeReason !== 'open') {
      assert.ok(closeReason === undefined || closeReason instanceof QmpProtocolError, `closed because of ${String(closeReason)}`);
      assert.equal(client.isOpen, false);
    }
    client.close();
    socket.destroy();
  }), { numRuns: Math.min(RUNS, 150), seed: SEED });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < PROPERTY_BOUND_MS, `the property took ${Math.round(elapsed)} ms`);
});

// ---------------------------------------------------------------------------------------------------------------
// The replay log

interface LogEvent { bytes: number[]; instructions?: number; shutdown?: number; charWrite?: boolean }
const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const HEADER = [...u32(REPLAY_VERSION_7_2), 0, 0, 0, 0, 0, 0, 0, 0];

const bytesOf = (max: number) => fc.array(fc.nat(255), { maxLength: max });
const logEvent: fc.Arbitrary<LogEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(0xffffffff).map((n) => ({ bytes: [0, ...u32(n)], instructions: n })) },
  fc.constantFrom(1, 2, 6, ...Array.from({ length: 9 }, (_, i) => 30 + i)).map((k) => ({ bytes: [k] })), // no payload
  fc.tuple(fc.constantFrom(3, 4, 8), fc.array(fc.nat(255), { minLength: 8, maxLength: 8 })).map(([k, id]) => ({ bytes: [k, ...id] })),
  fc.tuple(fc.constantFrom(28, 29), fc.array(fc.nat(255), { minLength: 8, maxLength: 8 })).map(([k, v]) => ({ bytes: [k, ...v] })),
  fc.integer({ min: 0, max: 11 }).map((cause) => ({ bytes: [10 + cause], shutdown: cause })),
  fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map(([a, b]) => ({ bytes: [22, ...u32(a), ...u32(b)], charWrite: true })),
  bytesOf(8).map((d) => ({ bytes: [23, ...u32(d.length), ...d] })),
  fc.tuple(fc.constantFrom(24, 25), fc.nat(0xffffffff)).map(([k, v]) => ({ bytes: [k, ...u32(v)] })),
  fc.tuple(fc.nat(0xffffffff), bytesOf(8)).map(([ret, d]) => ({ bytes: [27, ...u32(ret), ...u32(d.length), ...d] })),
);
const replayLog = fc.tuple(fc.array(logEvent, { maxLength: 30 }), fc.boolean()).map(([events, end]) => {
  const all = end ? [...events, { bytes: [39] }] : events;
  const starts: number[] = [];
  const bytes = [...HEADER];
  for (const e of all) {
    starts.push(bytes.length);
    bytes.push(...e.bytes);
  }
  return { events: all, starts, data: Uint8Array.from(bytes), end };
});

/** What the reader should report for the first `n` events of a log. */
function model(events: LogEvent[], n: number, complete: boolean): ReplayLogSummary {
  const s: ReplayLogSummary = { version: REPLAY_VERSION_7_2, totalInstructions: 0, complete, charWriteIcounts: [], events: n };
  for (const e of events.slice(0, n)) {
    if (e.instructions !== undefined) s.totalInstructions += e.instructions;
    if (e.charWrite) s.charWriteIcounts.push(s.totalInstructions);
    if (e.shutdown !== undefined && s.shutdownIcount === undefined) {
      s.shutdownIcount = s.totalInstructions;
      s.shutdownCause = SHUTDOWN_CAUSES[e.shutdown];
    }
  }
  return s;
}

/** Parses; a ReplayLogError (with an offset inside the data) is allowed, nothing else. */
function parsesOrReplayLogError(data: Uint8Array, allowTruncated = false): ReplayLogSummary | undefined {
  try {
    const s = parseReplayLog(data, { allowTruncated });
    assert.ok(Number.isSafeInteger(s.totalInstructions) && s.totalInstructions >= 0);
    assert.ok(s.events >= 0 && s.events <= data.length);
    if (s.shutdownIcount !== undefined) assert.ok(s.shutdownIcount <= s.totalInstructions);
    assert.ok(s.charWriteIcounts.every((ic, i, a) => ic <= s.totalInstructions && (i === 0 || a[i - 1] <= ic)));
    return s;
  } catch (err) {
    assert.ok(err instanceof ReplayLogError, `parseReplayLog threw ${String(err)}`);
    assert.ok(err.offset >= 0 && err.offset <= data.length, `offset ${err.offset} outside the data`);
    return undefined;
  }
}

void test('fuzz replay log: logs generated from a model parse back to the model', testOptions, () => {
  check(replayLog, ({ events, data, end }) => {
    assert.deepEqual(parseReplayLog(data), model(events, events.length, end));
  });
});

void test('fuzz replay log: every truncation fails with ReplayLogError unless it falls between events', testOptions, () => {
  check(fc.tuple(replayLog, fc.nat()), ([{ events, starts, data }, n]) => {
    const cut = 12 + (n % Math.max(1, data.length - 12));
    const prefix = data.subarray(0, cut);
    const whole = starts.indexOf(cut) >= 0 ? starts.indexOf(cut) : cut === data.length ? events.length : -1;
    const complete = events.filter((_, i) => starts[i] + events[i].bytes.length <= cut).length;
    if (whole >= 0) assert.deepEqual(parseReplayLog(prefix), model(events, whole, false));
    else assert.throws(() => parseReplayLog(prefix), ReplayLogError);
    // allowTruncated never throws on a valid header and reports exactly the events read whole
    const last = events[complete - 1];
    assert.deepEqual(parseReplayLog(prefix, { allowTruncated: true }), model(events, complete, last?.bytes[0] === 39));
  });
});

void test('fuzz replay log: random bytes and mutated logs throw only ReplayLogError', testOptions, () => {
  check(fc.uint8Array({ maxLength: 300 }), (data) => { parsesOrReplayLogError(data); });
  check(fc.uint8Array({ maxLength: 300 }).map((d) => Uint8Array.from([...HEADER, ...d])), (data) => {
    parsesOrReplayLogError(data);
    assert.ok(parsesOrReplayLogError(data, true), 'allowTruncated threw past a valid header');
  });
  const mutations = fc.tuple(replayLog, fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.nat(2)), { minLength: 1, maxLength: 6 }))
    .map(([log, edits]) => {
      const bytes = [...log.data];
      for (const [at, value, op] of edits) {
        const i = 12 + (at % Math.max(1, bytes.length - 12)); // keep the header: errors there are another test
        if (op === 0) bytes[i] = value;
        else if (op === 1) bytes.splice(i, 1);
        else bytes.splice(i, 0, value);
      }
      return Uint8Array.from(bytes);
    });
  check(mutations, (data) => {
    parsesOrReplayLogError(data);
    assert.ok(parsesOrReplayLogError(data, true), 'allowTruncated threw past a valid header');
  });
});

void test('fuzz replay log: large random logs are read in linear time', testOptions, () => {
  check(fc.tuple(fc.uint8Array({ minLength: 1024, maxLength: 64 * 1024, size: 'max' }), fc.nat(40)).map(([d, fill]) => {
    // mostly no-payload kinds so that the reader gets far
    const bytes = Uint8Array.from([...HEADER, ...d.map((b) => (b % 4 === 0 ? b : 30 + (fill % 9)))]);
    return bytes;
  }), (data) => { parsesOrReplayLogError(data, true); }, Math.min(RUNS, 100));
});
