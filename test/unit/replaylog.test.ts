import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReplayLog, replayableEnd, REPLAY_VERSION_7_2, ReplayLogError, SHUTDOWN_CAUSES } from '../../adapter/qemu/replayLog';
import { SerialTimeline } from '../../adapter/qemu/recording';

/** Writes a QEMU 7.2 replay log byte by byte, the way replay/replay-internal.c does (big-endian). */
class LogWriter {
  private readonly bytes: number[] = [];
  /** Offsets at which each event started, for checking error offsets. */
  readonly eventStarts: number[] = [];

  constructor(version = REPLAY_VERSION_7_2) {
    this.u32(version).u64(0n);
  }
  u8(v: number): this { this.bytes.push(v & 0xff); return this; }
  u32(v: number): this { for (const s of [24, 16, 8, 0]) this.u8(v >>> s); return this; }
  u64(v: bigint): this { for (let s = 56n; s >= 0n; s -= 8n) this.u8(Number((v >> s) & 0xffn)); return this; }
  event(kind: number): this { this.eventStarts.push(this.bytes.length); return this.u8(kind); }

  instruction(count: number): this { return this.event(0).u32(count); }
  interrupt(): this { return this.event(1); }
  exception(): this { return this.event(2); }
  /** async: 0 BH, 1 BH_ONESHOT, 3 INPUT_SYNC, 5 BLOCK (the ones this reader decodes). */
  async(which: 0 | 1 | 3 | 5, id = 0x1122334455667788n): this { this.event(3 + which); return which === 3 ? this : this.u64(id); }
  shutdown(cause: number): this { return this.event(10 + cause); }
  charWrite(res = 1, offset = 0): this { return this.event(22).u32(res).u32(offset); }
  charReadAll(data: number[]): this { this.event(23).u32(data.length); data.forEach((b) => this.u8(b)); return this; }
  charReadAllError(res: number): this { return this.event(24).u32(res); }
  audioOut(samples: number): this { return this.event(25).u32(samples); }
  random(ret: number, data: number[]): this { this.event(27).u32(ret).u32(data.length); data.forEach((b) => this.u8(b)); return this; }
  clock(which: 0 | 1, value: bigint): this { return this.event(28 + which).u64(value); }
  checkpoint(which: number): this { return this.event(30 + which); }
  end(): this { return this.event(39); }
  get length(): number { return this.bytes.length; }
  build(): Uint8Array { return Uint8Array.from(this.bytes); }
}

const rejects = (data: Uint8Array, message: RegExp, offset?: number) =>
  assert.throws(() => parseReplayLog(data), (err: unknown) => {
    assert.ok(err instanceof ReplayLogError, `not a ReplayLogError: ${String(err)}`);
    assert.match(err.message, message);
    if (offset !== undefined) assert.equal(err.offset, offset);
    return true;
  });

void test('a header-only log is empty and incomplete', () => {
  const s = parseReplayLog(new LogWriter().build());
  assert.deepEqual(s, { version: REPLAY_VERSION_7_2, totalInstructions: 0, complete: false, charWriteIcounts: [], events: 0 });
  assert.equal(replayableEnd(s), 0);
});

void test('every event kind is read: totals, first SHUTDOWN icount and cause, CHAR_WRITE icounts, END', () => {
  const w = new LogWriter()
    .clock(0, 123456789n).clock(1, 42n)
    .checkpoint(7) // INIT
    .instruction(100).charWrite(1, 0)
    .interrupt().exception()
    .async(0).async(1).async(3).async(5)
    .instruction(20).charWrite(1, 0).charWrite(1, 0)
    .random(16, [1, 2, 3, 4]).charReadAll([0x68, 0x69]).charReadAll([]).charReadAllError(0xffffffff).audioOut(480);
  for (let c = 0; c <= 8; c++) w.checkpoint(c);
  w.instruction(30).shutdown(6) // guest-shutdown at icount 150
    .instruction(7).shutdown(4) // a later SHUTDOWN does not move the end
    .instruction(0).end();
  const s = parseReplayLog(w.build());
  assert.equal(s.totalInstructions, 157);
  assert.equal(s.shutdownIcount, 150);
  assert.equal(s.shutdownCause, 'guest-shutdown');
  assert.deepEqual(s.charWriteIcounts, [100, 120, 120]);
  assert.equal(s.complete, true);
  assert.equal(s.events, w.eventStarts.length);
  assert.equal(replayableEnd(s), 150);
});

void test('each SHUTDOWN kind 10-21 names its cause (QEMU 7.2 ShutdownCause order)', () => {
  for (let cause = 0; cause <= 11; cause++) {
    const s = parseReplayLog(new LogWriter().instruction(5).shutdown(cause).build());
    assert.equal(s.shutdownIcount, 5);
    assert.equal(s.shutdownCause, SHUTDOWN_CAUSES[cause]);
  }
  assert.equal(parseReplayLog(new LogWriter().shutdown(0).build()).shutdownCause, 'none');
  assert.equal(parseReplayLog(new LogWriter().shutdown(2).build()).shutdownCause, 'host-qmp-quit');
  assert.equal(parseReplayLog(new LogWriter().shutdown(10).build()).shutdownCause, 'snapshot-load');
  assert.equal(parseReplayLog(new LogWriter().shutdown(11).build()).shutdownCause, 'unknown');
  assert.equal(parseReplayLog(new LogWriter().shutdown(0).build()).shutdownIcount, 0, 'a SHUTDOWN before any instruction is at icount 0');
});

void test('without SHUTDOWN the replayable end is the instruction total', () => {
  const s = parseReplayLog(new LogWriter().instruction(10).instruction(32).end().build());
  assert.equal(s.shutdownIcount, undefined);
  assert.equal(s.shutdownCause, undefined);
  assert.equal(replayableEnd(s), 42);
});

void test('instruction counts are unsigned 32-bit and the total does not wrap at 2^32', () => {
  const s = parseReplayLog(new LogWriter().instruction(0xffffffff).instruction(0x80000000).charWrite().build());
  assert.equal(s.totalInstructions, 0xffffffff + 0x80000000);
  assert.deepEqual(s.charWriteIcounts, [0xffffffff + 0x80000000]);
});

void test('a log inside a larger buffer (Buffer pool, subarray) is read at its own offset', () => {
  const log = new LogWriter().instruction(77).charWrite().end().build();
  const big = Buffer.alloc(log.length + 13, 0xee);
  big.set(log, 5);
  const s = parseReplayLog(big.subarray(5, 5 + log.length));
  assert.equal(s.totalInstructions, 77);
  assert.equal(s.complete, true);
});

void test('END must be the last byte', () => {
  const w = new LogWriter().instruction(1).end();
  const endAt = w.length;
  rejects(w.u8(0).u8(0).build(), /2 bytes after its END event/, endAt);
  const ok = parseReplayLog(w.build(), { allowTruncated: true });
  assert.equal(ok.complete, true);
  assert.equal(ok.totalInstructions, 1);
});

void test('a log without END is read but marked incomplete', () => {
  const s = parseReplayLog(new LogWriter().instruction(3).shutdown(6).build());
  assert.equal(s.complete, false);
  assert.equal(s.shutdownIcount, 3);
});

void test('shorter than the header, or another version', () => {
  for (const n of [0, 1, 4, 11]) rejects(new LogWriter().build().subarray(0, n), new RegExp(`is ${n} bytes long, shorter than its header`), 0);
  rejects(new LogWriter(0xe0200b).build(), /version 0xe0200b is not QEMU 7.2's 0xe0200c/, 0);
  rejects(new LogWriter(0x0ce020e0).instruction(1).build(), /version 0xce020e0 is not/, 0); // little-endian 7.2 is not 7.2
  rejects(new LogWriter(0).build(), /version 0x0 is not/, 0);
  // allowTruncated is about the events, not about reading the wrong file
  assert.throws(() => parseReplayLog(new LogWriter(1).build(), { allowTruncated: true }), ReplayLogError);
  assert.throws(() => parseReplayLog(new Uint8Array(3), { allowTruncated: true }), ReplayLogError);
});

// [name, writer call, what the error says]
const payloadKinds: Array<[string, (w: LogWriter) => LogWriter, RegExp]> = [
  ['INSTRUCTION', (w) => w.instruction(0x01020304), /ends inside an instruction event/],
  ['ASYNC BH', (w) => w.async(0), /ends inside an async event/],
  ['ASYNC BH_ONESHOT', (w) => w.async(1), /ends inside an async event/],
  ['ASYNC BLOCK', (w) => w.async(5), /ends inside an async event/],
  ['CHAR_WRITE', (w) => w.charWrite(1, 2), /ends inside a char-write event/],
  ['CHAR_READ_ALL', (w) => w.charReadAll([1, 2, 3]), /ends inside an array/],
  ['CHAR_READ_ALL_ERROR', (w) => w.charReadAllError(5), /ends inside an event/],
  ['AUDIO_OUT', (w) => w.audioOut(5), /ends inside an event/],
  ['RANDOM', (w) => w.random(8, [9, 8, 7, 6, 5]), /ends inside a random event|ends inside an array/],
  ['CLOCK HOST', (w) => w.clock(0, 1n), /ends inside a clock event/],
  ['CLOCK VIRTUAL_RT', (w) => w.clock(1, 1n), /ends inside a clock event/],
];

for (const [name, write, message] of payloadKinds) {
  void test(`a log cut inside a ${name} payload is a ReplayLogError; allowTruncated keeps what came before`, () => {
    const before = new LogWriter().instruction(10).charWrite();
    const cutFrom = before.length + 1; // just after the kind byte
    const full = write(before).build();
    assert.equal(parseReplayLog(full).events, 3, 'the whole event reads');
    for (let cut = cutFrom; cut < full.length; cut++) {
      const data = full.subarray(0, cut);
      assert.throws(() => parseReplayLog(data), (err: unknown) => {
        assert.ok(err instanceof ReplayLogError, `cut at ${cut}: ${String(err)}`);
        assert.match(err.message, message);
        assert.ok(err.offset >= cutFrom && err.offset < full.length, `offset ${err.offset} of cut ${cut}`);
        assert.match(err.message, new RegExp(`at byte ${err.offset}$`));
        return true;
      });
      const s = parseReplayLog(data, { allowTruncated: true });
      assert.equal(s.events, 2, `cut at ${cut}: the cut event is not counted`);
      assert.equal(s.totalInstructions, 10, `cut at ${cut}`);
      assert.deepEqual(s.charWriteIcounts, [10]);
      assert.equal(s.complete, false);
    }
  });
}

void test('a RANDOM or CHAR_READ_ALL whose length runs past the end is a ReplayLogError, even for huge lengths', () => {
  const w = new LogWriter().event(27).u32(0).u32(0xffffffff).u8(1);
  rejects(w.build(), /ends inside an array at byte 21/, 21);
  rejects(new LogWriter().event(23).u32(5).u8(1).u8(2).build(), /ends inside an array at byte 17/, 17);
});

void test('unknown event kinds and kinds this reader cannot decode are ReplayLogErrors with their offset', () => {
  for (const kind of [26, 40, 41, 100, 255]) {
    const w = new LogWriter().instruction(1);
    const at = w.length;
    rejects(w.u8(kind).build(), new RegExp(`unknown event kind ${kind} at byte ${at}$`), at);
  }
  for (const kind of [5, 7, 9]) { // INPUT, CHAR_READ, NET carry variable payloads
    const w = new LogWriter().instruction(1);
    const at = w.length;
    rejects(w.u8(kind).u64(0n).build(), new RegExp(`input/char/net event \\(kind ${kind}\\) at byte ${at}`), at);
  }
});

void test('allowTruncated returns what was read before an unreadable event', () => {
  const w = new LogWriter().instruction(4).charWrite().shutdown(7).instruction(6).u8(200).instruction(1000);
  const s = parseReplayLog(w.build(), { allowTruncated: true });
  assert.equal(s.totalInstructions, 10);
  assert.equal(s.shutdownIcount, 4);
  assert.equal(s.shutdownCause, 'guest-reset');
  assert.deepEqual(s.charWriteIcounts, [4]);
  assert.equal(s.events, 4);
  assert.equal(s.complete, false);
  assert.throws(() => parseReplayLog(w.build()), ReplayLogError);
});

// SerialTimeline: record-time serial bytes mapped to the icounts of the CHAR_WRITE events.
void test('SerialTimeline: one write per byte, lines marked with the icount of their first byte', () => {
  const t = new SerialTimeline(Buffer.from('ab\ncd\n'), [10, 20, 30, 40, 50, 60]);
  assert.deepEqual(t.slice(0, 100), [{ icount: 10, text: 'ab\n' }, { icount: 40, text: 'cd\n' }]);
  // [from, to): from inclusive, to exclusive; a partial line is cut where the range ends
  assert.deepEqual(t.slice(30, 50), [{ icount: 30, text: '\n' }, { icount: 40, text: 'c' }]);
  assert.deepEqual(t.slice(20, 21), [{ icount: 20, text: 'b' }]);
  assert.deepEqual(t.slice(10, 10), []);
  assert.deepEqual(t.slice(61, 1000), []);
  assert.deepEqual(t.slice(0, 10), []);
  assert.deepEqual(t.slice(60, 61), [{ icount: 60, text: '\n' }]);
});

void test('SerialTimeline: fewer writes than bytes spreads bytes evenly over the writes', () => {
  const t = new SerialTimeline(Buffer.from('hello\n'), [5, 9]);
  assert.deepEqual(t.slice(0, 100), [{ icount: 5, text: 'hello\n' }]);
  assert.deepEqual(t.slice(9, 10), [{ icount: 9, text: 'lo\n' }]);
  assert.deepEqual(t.slice(5, 9), [{ icount: 5, text: 'hel' }]);
});

void test('SerialTimeline: several lines in one range, multi-byte UTF-8, no final newline', () => {
  const text = 'boot\nhé 😀\nlast';
  const bytes = Buffer.from(text);
  const t = new SerialTimeline(bytes, Array.from({ length: bytes.length }, (_, i) => 100 + i * 100));
  assert.deepEqual(t.slice(0, Infinity), [
    { icount: 100, text: 'boot\n' },
    { icount: 600, text: 'hé 😀\n' },
    { icount: 100 + (bytes.length - 4) * 100, text: 'last' },
  ]);
  assert.equal(t.slice(0, Infinity).map((l) => l.text).join(''), text);
});

void test('SerialTimeline: no writes puts every byte at icount 0; no bytes gives nothing', () => {
  const t = new SerialTimeline(Buffer.from('x\ny'), []);
  assert.deepEqual(t.slice(0, 1), [{ icount: 0, text: 'x\n' }, { icount: 0, text: 'y' }]);
  assert.deepEqual(t.slice(1, 100), []);
  assert.deepEqual(new SerialTimeline(Buffer.alloc(0), [1, 2]).slice(0, 100), []);
});

void test('SerialTimeline: slices agree with a plain scan for random outputs and ranges', () => {
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 200; round++) {
    const bytes = Buffer.from(Array.from({ length: rnd(60) }, () => (rnd(5) === 0 ? 10 : 97 + rnd(3))));
    const writes: number[] = [];
    for (let i = 0, ic = 0; i < bytes.length; i++) writes.push((ic += rnd(4)));
    const t = new SerialTimeline(bytes, writes);
    const from = rnd(120);
    const to = from + rnd(80);
    // Reference: the bytes written in [from, to), cut into lines marked with their first byte's icount.
    const idx = writes.map((ic, i) => [ic, i] as const).filter(([ic]) => ic >= from && ic < to).map(([, i]) => i);
    const expected: Array<{ icount: number; text: string }> = [];
    let line: number[] = [];
    for (const i of idx) {
      line.push(i);
      if (bytes[i] === 10 || i === idx[idx.length - 1]) {
        expected.push({ icount: writes[line[0]], text: Buffer.from(line.map((j) => bytes[j])).toString('utf8') });
        line = [];
      }
    }
    assert.deepEqual(t.slice(from, to), expected, `round ${round}: [${from}, ${to}) of ${JSON.stringify(writes)}`);
  }
});
