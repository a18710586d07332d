/**
 * Breakpoints in assembly sources (#18 item 6): a source breakpoint in the sample guest's start-aarch64.S, on the
 * line after `bl main` (reached only once main returns, millions of instructions in), is hit in a replay, and Step
 * Back from there lands on the `bl main` line at the icount where a forward run to that line stops.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, icount, replayFixture, topFrame } from './support';

const START = path.join(ROOT, 'test', 'guests', 'start-aarch64.S');
const lineOf = (text: string): number => {
  const lines = readFileSync(START, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.trim() === text);
  assert.ok(i >= 0, `"${text}" in start-aarch64.S`);
  return i + 1;
};

const session = replayFixture('aarch64');

test('a breakpoint in start-aarch64.S is hit, and Step Back returns to the previous line at the forward icount', async () => {
  const { dc } = session;
  const callLine = lineOf('bl main');
  const afterLine = lineOf('ldr x0, =0x84000008');
  assert.equal(afterLine, callLine + 1);

  const set = await dc.setBreakpointsRequest({ source: { path: START }, breakpoints: [{ line: afterLine }] });
  assert.deepEqual(set.body.breakpoints.map((b) => [b.verified, b.line]), [[true, afterLine]]);
  const hit = await dc.continueToStop();
  assert.equal(hit.reason, 'breakpoint');
  let frame = await topFrame(dc);
  assert.equal(frame.source?.path, START);
  assert.equal(frame.line, afterLine);
  const atAfter = await icount(dc);
  assert.ok(atAfter > 1000, `main ran before the line after the call: icount ${atAfter}`);

  await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 }));
  frame = await topFrame(dc);
  assert.deepEqual([frame.source?.path, frame.line], [START, callLine], 'Step Back goes back over main to the call');
  const back = await icount(dc);
  assert.ok(back < atAfter);

  // Forward: from the start of the recording to a breakpoint on the call line.
  await dc.seek({ icount: 0 });
  await dc.setBreakpointsRequest({ source: { path: START }, breakpoints: [{ line: callLine }] });
  await dc.continueToStop();
  frame = await topFrame(dc);
  assert.deepEqual([frame.source?.path, frame.line], [START, callLine]);
  assert.equal(await icount(dc), back, 'Step Back lands where a forward run stops on that line');
});
