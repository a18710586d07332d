import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopPairing } from '../../common/ui-stops';

function pairing(): { p: StopPairing; stops: [number, string, number | undefined][] } {
  const stops: [number, string, number | undefined][] = [];
  return { p: new StopPairing((icount, reason, thread) => stops.push([icount, reason, thread])), stops };
}

void test('replayState before stopped (the adapter reports its state first)', () => {
  const { p, stops } = pairing();
  p.state(false, 0);                 // state after launch: not a stop by itself
  p.stopped('entry', 1);
  p.state(false, 0);                 // e.g. after setFunctionBreakpoints
  p.state(true, 0);                  // continue
  p.state(false, 6536);
  p.stopped('function breakpoint', 1);
  assert.deepEqual(stops, [[0, 'entry', 1], [6536, 'function breakpoint', 1]]);
});

void test('stopped before replayState', () => {
  const { p, stops } = pairing();
  p.state(true, 0);
  p.stopped('step', 2);
  assert.deepEqual(stops, []);
  p.state(false, 6531);
  assert.deepEqual(stops, [[6531, 'step', 2]]);
  p.state(false, 6531);              // a later state report is not another stop
  assert.equal(stops.length, 1);
});

void test('a state from before a run is never paired with the stop after it', () => {
  const { p, stops } = pairing();
  p.state(false, 100);               // paused at 100, no stop event for it
  p.state(true, 100);                // runs
  p.stopped('breakpoint', 1);        // arrives before the new state
  p.state(false, 900);
  assert.deepEqual(stops, [[900, 'breakpoint', 1]]);
});
