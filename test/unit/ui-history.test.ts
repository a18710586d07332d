import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareResult, HistoryHit } from '../../common/protocol';
import {
  addressFromEvaluation, breakpointDetail, breakpointName, compareDocuments, compareSummary, expressionOfMenuArgument, hexDump, hitLabel,
  hitPlace, lastWriteSummary, lowerBound, mergeHits, momentChoices, nameFromHits, outputSectionLabel, outputText,
  pageDescription, pageLabel, pages, parseMemoryRange, sectionDescription, sectionLabel,
} from '../../common/ui-history';
import { thinMarks } from '../../common/ui-timeline';

const src = { path: '/src/guest/prog.c', name: 'prog.c' };
const hit = (icount: number, extra: Partial<HistoryHit> = {}): HistoryHit =>
  ({ icount, pc: `0x${(0x40000000 + icount).toString(16)}`, function: 'work', source: src, line: 75, ...extra });

void test('breakpoints are named as the Breakpoints view shows them', () => {
  assert.equal(breakpointName({ kind: 'source', path: '/a/b/prog.c', line: 75 }), 'prog.c:75');
  assert.equal(breakpointName({ kind: 'source', path: 'C:\\src\\main.c', line: 42 }), 'main.c:42');
  assert.equal(breakpointName({ kind: 'function', name: 'fib' }), 'fib()');
  assert.equal(breakpointName({ kind: 'function', name: ' icount:1234 ' }), 'icount:1234');
  assert.equal(breakpointName({ kind: 'function', name: '*0x40001000' }), '*0x40001000');
  assert.equal(breakpointName({ kind: 'data', label: 'counter' }), 'counter (data)');
  assert.equal(breakpointName({ kind: 'unknown', id: 7 }), 'breakpoint #7');
  assert.equal(breakpointDetail({ kind: 'source', path: 'p.c', line: 1, condition: 'i > 3', hitCondition: '5', logMessage: 'i={i}' }),
    'if i > 3 · hit count 5 · logs "i={i}"');
  assert.equal(breakpointDetail({ kind: 'function', name: 'fib' }), '');
  assert.equal(nameFromHits(9, [hit(5)]), 'prog.c:75');
  assert.equal(nameFromHits(9, [{ icount: 5, pc: '0x10' }]), 'breakpoint #9');
});

void test('a hit reads icount, function, file:line; without symbols its pc', () => {
  assert.deepEqual(hitLabel(hit(1234567)), { label: 'icount 1,234,567  work  prog.c:75' });
  assert.deepEqual(hitLabel(hit(8, { message: 'round 8' })), { label: 'icount 8  round 8', description: 'work  prog.c:75' });
  assert.equal(hitPlace({ icount: 1, pc: '0x40000010' }), '0x40000010');
  assert.equal(hitPlace({ icount: 1, pc: '0x40000010', function: 'start' }), 'start  0x40000010');
});

void test('sections: title with the count, description with range and state', () => {
  assert.equal(sectionLabel('main.c:42', 1234), 'Hits of main.c:42 — 1,234 hits');
  assert.equal(sectionLabel('fib()', 1), 'Hits of fib() — 1 hit');
  assert.equal(sectionDescription({ running: false, complete: true }), '');
  assert.equal(sectionDescription({ running: true, complete: false }), 'searching…');
  assert.equal(sectionDescription({ running: false, complete: false }), 'cancelled: the hits found so far');
  assert.equal(sectionDescription({ running: false, complete: false, error: 'QEMU exited' }), 'stopped: QEMU exited');
  assert.equal(sectionDescription({ running: false, complete: true, from: 1000 }), 'icount 1,000 – end');
  assert.equal(sectionDescription({ running: true, complete: false, to: 5000 }), 'icount start – 5,000 · searching…');
});

void test('hits merge in icount order, one per icount, batches in order append', () => {
  const list: HistoryHit[] = [];
  mergeHits(list, [hit(10), hit(20)]);
  mergeHits(list, [hit(30), hit(40)]);
  assert.deepEqual(list.map((h) => h.icount), [10, 20, 30, 40]);
  // The answer after the events: the same hits again, nothing doubles; a message either had is kept.
  list[1] = hit(20, { message: 'i=2' });
  mergeHits(list, [hit(10), hit(20), hit(25), hit(30), hit(40), hit(50)]);
  assert.deepEqual(list.map((h) => h.icount), [10, 20, 25, 30, 40, 50]);
  assert.equal(list[1].message, 'i=2');
  // Out of order (another pass): merged into place.
  mergeHits(list, [hit(5), hit(45)]);
  assert.deepEqual(list.map((h) => h.icount), [5, 10, 20, 25, 30, 40, 45, 50]);
  assert.equal(lowerBound(list, 25), 3);
  assert.equal(lowerBound(list, 26), 4);
  assert.equal(lowerBound(list, 0), 0);
  assert.equal(lowerBound(list, 99), list.length);
});

void test('10,000 hits streamed in batches of 100 stay sorted and merge in linear time', () => {
  const list: HistoryHit[] = [];
  for (let b = 0; b < 100; b++) mergeHits(list, Array.from({ length: 100 }, (_, i) => hit((b * 100 + i) * 1000)));
  assert.equal(list.length, 10_000);
  assert.ok(list.every((h, i) => i === 0 || h.icount > list[i - 1].icount));
});

void test('long lists are paged: at most PAGE_SIZE children per level', () => {
  assert.equal(pages({ start: 0, end: 250 }), undefined);
  const p10k = pages({ start: 0, end: 10_000 });
  assert.equal(p10k?.length, 40);
  assert.deepEqual(p10k?.[0], { start: 0, end: 250 });
  assert.deepEqual(p10k?.[39], { start: 9750, end: 10_000 });
  const p = pages({ start: 0, end: 1_000_000 })!;
  assert.equal(p.length, 16);
  assert.deepEqual(p[0], { start: 0, end: 62_500 });
  assert.equal(pages(p[0])?.length, 250);
  assert.deepEqual(pages({ start: 0, end: 251 }), [{ start: 0, end: 250 }, { start: 250, end: 251 }]);
  const list = [{ icount: 100 }, { icount: 2000 }, { icount: 3000 }];
  assert.equal(pageLabel(list, { start: 0, end: 3 }), 'icount 100 – 3,000');
  assert.equal(pageDescription({ start: 250, end: 500 }), '251–500');
});

void test('guest output lines: no line end, control characters visible, never empty', () => {
  assert.equal(outputText({ icount: 1, text: 'round 00000001 checksum 1234abcd\n' }), 'round 00000001 checksum 1234abcd');
  assert.equal(outputText({ icount: 1, text: 'a\r\n' }), 'a');
  assert.equal(outputText({ icount: 1, text: '\x1b[1mbold\n' }), '\\x1b[1mbold');
  assert.equal(outputText({ icount: 1, text: '\n' }), '(empty line)');
  assert.equal(outputSectionLabel(6), 'Guest Output — 6 lines');
});

void test('last write: old → new, where, who; none found: the adapter\'s reason', () => {
  assert.equal(lastWriteSummary('counter', { found: true, icount: 12345, oldValue: '5', newValue: '6', pc: '0x40000abc', function: 'work', source: src, line: 77 }, 'backward'),
    'counter: 5 → 6 at icount 12,345, written by work() at prog.c:77.');
  assert.equal(lastWriteSummary('$x0', { found: true, icount: 7, newValue: '0x1', pc: '0x40000010' }, 'forward'),
    '$x0: now 0x1 at icount 7, written at 0x40000010.');
  assert.equal(lastWriteSummary('counter', { found: false, message: 'counter is not written before icount 0.' }, 'backward'),
    'counter is not written before icount 0.');
  assert.equal(lastWriteSummary('counter', { found: false }, 'forward'), 'No later write to counter in the recording.');
});

void test('the expression of a Variables or Watch menu argument', () => {
  assert.equal(expressionOfMenuArgument({ sessionId: 's', container: { name: 'Locals' }, variable: { name: 'x', evaluateName: 'origin.x', value: '3' } }), 'origin.x');
  assert.equal(expressionOfMenuArgument({ variable: { name: 'f', value: '1' } }), 'f');
  assert.equal(expressionOfMenuArgument({ name: 'squares[3]', value: '9' }), 'squares[3]');
  assert.equal(expressionOfMenuArgument({ expression: 'counter' }), 'counter');
  assert.equal(expressionOfMenuArgument('  counter '), 'counter');
  assert.equal(expressionOfMenuArgument({ variable: { name: '' } }), undefined);
  assert.equal(expressionOfMenuArgument(undefined), undefined);
  assert.equal(expressionOfMenuArgument(42), undefined);
});

void test('moments to compare: position, snapshots in order, hits, stops; one per icount and kind', () => {
  const moments = momentChoices({
    position: 5000,
    snapshots: [{ name: 'later', icount: 9000, kind: 'user' }, { name: 'init', icount: 0, kind: 'initial' }],
    sections: [{ name: 'prog.c:75', hits: [hit(100), hit(200, { message: 'i=1' })] }],
    stops: [{ icount: 5000, reason: 'breakpoint' }, { icount: 300, reason: 'step' }, { icount: 300, reason: 'step' }],
  });
  assert.deepEqual(moments.map((m) => `${m.kind} ${m.icount} ${m.label}`), [
    'position 5000 The current position', 'snapshot 0 Snapshot init', 'snapshot 9000 Snapshot later',
    'hit 100 Hit 1 of prog.c:75', 'hit 200 Hit 2 of prog.c:75', 'stop 300 Stop (step)', 'stop 5000 Stop (breakpoint)',
  ]);
  assert.equal(moments[4].description, 'icount 200 · work  prog.c:75 · i=1');
  const capped = momentChoices({ snapshots: [], stops: [], sections: [{ name: 'x', hits: [hit(1), hit(2), hit(3)] }], hitsPerSection: 2 });
  assert.equal(capped.length, 2);
});

void test('memory ranges: an address or expression, then an optional length', () => {
  assert.deepEqual(parseMemoryRange(''), { ok: true });
  assert.deepEqual(parseMemoryRange('0x40001000 32'), { ok: true, range: { address: '0x40001000', length: 32 } });
  assert.deepEqual(parseMemoryRange('&squares, 0x100'), { ok: true, range: { address: '&squares', length: 256 } });
  assert.deepEqual(parseMemoryRange('&origin'), { ok: true, range: { address: '&origin', length: 64 } });
  assert.deepEqual(parseMemoryRange('(char *)&origin + 4 8'), { ok: true, range: { address: '(char *)&origin + 4', length: 8 } });
  assert.equal(parseMemoryRange('&squares 0').ok, false);
  assert.equal(parseMemoryRange('&squares 100000').ok, false);
  assert.equal(parseMemoryRange('64').ok, true);   // an address alone
});

void test('the address of a memory range from what gdb evaluates', () => {
  assert.equal(addressFromEvaluation('(struct point *) 0x400906f0 <origin>', '0x400906f0'), '0x400906f0');
  assert.equal(addressFromEvaluation('(int *) 0x40090100 <squares+4>'), '0x40090100');
  assert.equal(addressFromEvaluation('0x400804f8 <origin>', '0x400804f8'), '0x400804f8');   // gdb/MI's way, the type apart
  assert.equal(addressFromEvaluation('0x40001000 <buf>', '0x40090010'), '0x40001000');   // a pointer variable: where it points
  assert.equal(addressFromEvaluation('{x = 3, y = 4}', '0x400906f0'), '0x400906f0');
  assert.equal(addressFromEvaluation('5', '0x400905ec'), '0x400905ec');
  assert.equal(addressFromEvaluation('0x40001000'), '0x40001000');
  assert.equal(addressFromEvaluation('1073745920'), '0x40001000');
  assert.equal(addressFromEvaluation('{x = 3, y = 4}'), undefined);
});

void test('hex dump: 16 bytes a line, address, ASCII, ?? for unreadable, changed bytes marked below', () => {
  const bytes = [...'Hello, world!!!!'].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).concat(['00', '??', 'ff']);
  const lines = hexDump('0x40001000', bytes, 16, [1, 17]);
  assert.deepEqual(lines, [
    '0x40001000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 21 21 21 |Hello, world!!!!|',
    '               ^^',
    '0x40001010  00 ?? ff                                         |.?.|',
    '               ^^',
  ]);
  assert.equal(hexDump('&squares', ['01', '02'])[0], '+0x0000  01 02                                            |..|');
  assert.equal(hexDump('0xffffffffff000000', ['01'])[0].split(' ')[0], '0xffffffffff000000');
});

const result: CompareResult = {
  a: { icount: 1000, function: 'work', source: src, line: 75 },
  b: { icount: 2000, function: 'work', source: src, line: 77 },
  registers: [
    { name: 'x0', a: '0x1', b: '0x2', changed: true },
    { name: 'pc', a: '0x40000100', b: '0x40000100', changed: false },
  ],
  locals: [{ name: 'round', a: '1', b: '2', changed: true }, { name: 'f', a: '1', b: '1', changed: false }],
  memory: { address: '0x40001000', a: ['00', '01', '02', '03'], b: ['00', '05', '02', '03'], changed: [1] },
};

void test('compare documents: the same layout line for line, only the values differ', () => {
  const { a, b } = compareDocuments(result);
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(la.length, lb.length);
  const differing = la.map((l, i) => (l === lb[i] ? undefined : i)).filter((i) => i !== undefined).map((i) => `${la[i]} | ${lb[i]}`);
  assert.deepEqual(differing, [
    'Moment A: icount 1,000 — work() at prog.c:75 | Moment B: icount 2,000 — work() at prog.c:77',
    'round  1 | round  2',
    '0x40001000  00 01 02 03                                      |....| | 0x40001000  00 05 02 03                                      |....|',
    'x0  0x1 | x0  0x2',
  ]);
  assert.ok(compareDocuments(result, '&origin').a.includes('== Memory at 0x40001000 (&origin), 4 bytes =='));
  assert.ok(la.includes('== Locals of work() =='));
  assert.ok(la.includes('== Memory at 0x40001000, 4 bytes =='));
  assert.equal(compareSummary(result), 'Differs: 1 of 2 registers, 1 of 2 locals, 1 of 4 bytes');
  // A different function at that level: the note instead of locals, the frame named neutrally.
  const other = compareDocuments({ ...result, b: { icount: 2000, function: 'fib' }, locals: [], localsNote: 'fib() at B, work() at A', memory: undefined });
  assert.ok(other.a.includes('== Locals of the selected frame ==\n(fib() at B, work() at A)\n'));
  assert.ok(!other.a.includes('Memory'));
});

void test('timeline hit marks: one per few pixels, only inside the view', () => {
  const hits = Array.from({ length: 10_000 }, (_, i) => i * 100);   // 0 … 999,900
  const marks = thinMarks(hits, { start: 0, end: 1_000_000 }, 1000, 3);
  assert.ok(marks.length <= 334 && marks.length > 300, `${marks.length} marks`);
  assert.equal(marks.reduce((n, m) => n + m.count, 0), 10_000);
  assert.deepEqual(marks[0], { icount: 0, count: 30, last: 2900 });
  const zoomed = thinMarks(hits, { start: 500_000, end: 501_000 }, 1000, 3);
  assert.deepEqual(zoomed.map((m) => m.icount), [500_000, 500_100, 500_200, 500_300, 500_400, 500_500, 500_600, 500_700, 500_800, 500_900, 501_000]);
  assert.ok(zoomed.every((m) => m.count === 1));
  assert.deepEqual(thinMarks([], { start: 0, end: 10 }, 100), []);
});
