/**
 * What forward continues showed, for reverse continue (adapter/engine/forwardHits.ts): the previous hit is known
 * only from a continue that started at a recorded hit and stopped exactly where the reverse continue starts, with
 * the same breakpoints; a change of breakpoints, a watchpoint or a hit count drops every fact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Gdb } from '../../adapter/gdb/gdb';
import { breakpointSignature, ForwardHits } from '../../adapter/engine/forwardHits';
import { parseMiLine } from '../../adapter/gdb/miParser';

void test('a continue from a hit that stopped at the next one: a reverse continue from there goes back to the first', () => {
  const f = new ForwardHits();
  f.hit(1000, '2', 'S');
  f.ranClear(1000, 5000, 'S');
  f.hit(5000, '2', 'S');
  assert.deepEqual(f.previousHit(5000, 'S'), { icount: 1000, breakpoint: '2' });
  // Only from exactly where that continue stopped, and only with the same breakpoints.
  assert.equal(f.previousHit(4999, 'S'), undefined);
  assert.equal(f.previousHit(5001, 'S'), undefined);
});

void test('a continue that started where no hit is known (a seek, a step) tells nothing about the previous hit', () => {
  const f = new ForwardHits();
  f.ranClear(700, 5000, 'S'); // from a seek to 700: a hit at 700 may have been stepped over silently
  assert.equal(f.previousHit(5000, 'S'), undefined);
  // Two continues into the same stop: the earlier start (both stretches are clear), a hit only if that one is.
  f.hit(1000, '3', 'S');
  f.ranClear(1000, 5000, 'S');
  assert.equal(f.previousHit(5000, 'S'), undefined, 'the stretch from 700 is clear too: 1000 cannot be a hit');
});

void test('other breakpoints drop every fact; so does a set that cannot keep any (watchpoints, hit counts)', () => {
  const f = new ForwardHits();
  f.hit(1000, '2', 'S');
  f.ranClear(1000, 5000, 'S');
  assert.equal(f.previousHit(5000, 'T'), undefined);
  assert.equal(f.previousHit(5000, 'S'), undefined, 'asking with T dropped the facts about S');
  f.hit(1000, '2', 'S');
  f.ranClear(1000, 5000, 'S');
  f.hit(9000, '2', undefined);
  assert.equal(f.previousHit(5000, 'S'), undefined);
  assert.equal(f.previousHit(5000, undefined), undefined);
});

void test('facts are bounded: the oldest go first', () => {
  const f = new ForwardHits();
  for (let i = 0; i < 5000; i++) {
    f.hit(i * 10, '1', 'S');
    f.ranClear(i * 10, i * 10 + 10, 'S');
  }
  assert.equal(f.previousHit(10, 'S'), undefined, 'the first facts were dropped');
  assert.deepEqual(f.previousHit(49_990, 'S'), { icount: 49_980, breakpoint: '1' });
});

/** A gdb answering -break-list with these rows (MI `bkpt={…}` texts), parsed as gdb's own line would be. */
function gdbWithBreakpoints(rows: string[]): Gdb {
  const line = `^done,BreakpointTable={nr_rows="${rows.length}",nr_cols="6",hdr=[],body=[${rows.join(',')}]}`;
  const r = parseMiLine(line);
  return { command: () => Promise.resolve(r.kind === 'result' ? r.results : {}) } as unknown as Gdb;
}

void test('the signature: enabled code breakpoints (kind, condition, enabled locations) and icount breakpoints; none with a watchpoint or a hit count', async () => {
  const bkpt = (extra = '', number = '1', addr = '0x100') => `bkpt={number="${number}",type="breakpoint",disp="keep",enabled="y",addr="${addr}",times="0"${extra}}`;
  const sig = (rows: string[], icounts: number[] = []) => breakpointSignature(gdbWithBreakpoints(rows), icounts);
  const base = await sig([bkpt()]);
  assert.ok(base);
  assert.equal(await sig([bkpt().replace('times="0"', 'times="7"')]), base, 'hits counted by gdb do not change it');
  assert.notEqual(await sig([bkpt(',cond="x == 1"')]), base);
  assert.notEqual(await sig([bkpt('', '1', '0x104')]), base);
  assert.notEqual(await sig([bkpt()], [5000]), base, 'icount breakpoints count');
  assert.equal(await sig([bkpt(), bkpt('', '2').replace('enabled="y"', 'enabled="n"')]), base, 'a disabled breakpoint does not');
  const multi = (enabled: string) => `bkpt={number="1",type="breakpoint",disp="keep",enabled="y",addr="<MULTIPLE>",times="0",locations=[{number="1.1",enabled="${enabled}",addr="0x10"},{number="1.2",enabled="y",addr="0x18"}]}`;
  assert.notEqual(await sig([multi('n')]), await sig([multi('y')]), 'a location disabled (an ftrace entry) counts');
  assert.equal(await sig([bkpt(',ignore="3"')]), undefined);
  assert.equal(await sig([bkpt(), 'bkpt={number="2",type="hw watchpoint",disp="keep",enabled="y",what="x",times="0"}']), undefined);
});
