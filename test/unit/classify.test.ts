/**
 * How gdb's *stopped records become stops (Execution.classify): the reason a user sees, including records with
 * several reasons, which gdb sends when a step or a reverse finish ends on a breakpoint.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Execution } from '../../adapter/engine/execution';
import type { Gdb } from '../../adapter/gdb/gdb';
import { toStopRecord, type MiStopRecord } from '../../adapter/gdb/mi';
import { parseMiLine } from '../../adapter/gdb/miParser';

const exec = new Execution(new EventEmitter() as unknown as Gdb, undefined);
const stopped = (line: string): MiStopRecord => {
  const r = parseMiLine(line);
  assert.ok(r && r.kind === 'exec');
  return toStopRecord(r.results);
};
const frame = 'frame={addr="0xffff800008baee60",func="__schedule",args=[],file="kernel/sched/core.c",line="6443",arch="aarch64"},thread-id="1",stopped-threads="all"';

void test('one reason: breakpoint, watchpoint, step', () => {
  const bp = exec.classify(stopped(`*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",${frame}`), 88766557, { step: true });
  assert.deepEqual([bp.reason, bp.gdbBreakpoint, bp.icount], ['breakpoint', '1', 88766557]);
  assert.equal(exec.classify(stopped(`*stopped,reason="end-stepping-range",${frame}`), 5, { step: true }).reason, 'step');
  const wp = exec.classify(stopped(`*stopped,reason="watchpoint-trigger",wpt={number="3",exp="jiffies"},value={old="1",new="2"},${frame}`), 9, {});
  assert.deepEqual([wp.reason, wp.gdbBreakpoint], ['watchpoint', '3']);
  assert.deepEqual(wp.watchValue, { old: '1', new: '2' }, 'a write watchpoint says the value before and after');
  assert.equal(exec.classify(stopped(`*stopped,reason="breakpoint-hit",bkptno="1",${frame}`), 1, {}).watchValue, undefined);
});

void test('a step or reverse finish that ends on a breakpoint reports the breakpoint (gdb sends both reasons)', () => {
  // gdb 13's record of a reverse-finish stopped by a breakpoint at the function's entry, as received.
  const both = stopped(`*stopped,reason="end-stepping-range",reason="breakpoint-hit",disp="keep",bkptno="1",${frame}`);
  const stop = exec.classify(both, 88766557, { step: true });
  assert.equal(stop.reason, 'breakpoint');
  assert.equal(stop.gdbBreakpoint, '1');
  const watch = stopped(`*stopped,reason="end-stepping-range",reason="watchpoint-trigger",wpt={number="4",exp="x"},${frame}`);
  assert.equal(exec.classify(watch, 1, { step: true }).reason, 'watchpoint');
  const steps = stopped(`*stopped,reason="end-stepping-range",reason="function-finished",${frame}`);
  assert.equal(exec.classify(steps, 1, { step: true }).reason, 'step');
});

void test('the typed stop record: every reason, the frame, breakpoint and watchpoint numbers, the signal', () => {
  const both = stopped(`*stopped,reason="end-stepping-range",reason="breakpoint-hit",disp="keep",bkptno="1",${frame}`);
  assert.deepEqual(both.reasons, ['end-stepping-range', 'breakpoint-hit']);
  assert.deepEqual(both.frame, { addr: '0xffff800008baee60', func: '__schedule', file: 'kernel/sched/core.c', fullname: undefined, line: '6443' });
  assert.equal(both.breakpoint, '1');
  // Read and access watchpoints name their number in hw-rwpt / hw-awpt (gdb/MI's names), write ones in wpt.
  assert.equal(stopped(`*stopped,reason="read-watchpoint-trigger",hw-rwpt={number="4",exp="x"},value={value="1"},${frame}`).watchpoint, '4');
  assert.equal(stopped(`*stopped,reason="access-watchpoint-trigger",hw-awpt={number="5",exp="x"},value={old="1",new="2"},${frame}`).watchpoint, '5');
  const signal = stopped(`*stopped,reason="signal-received",signal-name="SIGTRAP",signal-meaning="Trace/breakpoint trap",${frame}`);
  assert.deepEqual([signal.reasons, signal.signalName], [['signal-received'], 'SIGTRAP']);
  assert.deepEqual(stopped('*stopped,thread-id="1",stopped-threads="all"').reasons, []);
});
