import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, dap, screenshot, sessionEnded, startDebugging, waitUntil } from './helpers';
import { test } from './runner';

interface StackFrame { id: number; name: string; line: number; source?: { path?: string } }

test('record then replay from launch.json: the replay stops at entry in _start', async () => {
  await activateExtension();

  // Record: the sample guest powers off after its last round, which ends the recording and the session.
  let mark = dap.mark();
  const recording = await startDebugging('QEMU Replay: Record', 60_000);
  await sessionEnded(recording, 90_000);
  const failure = dap.messages.slice(mark).find((m) => m.message.type === 'response' && m.message.success === false);
  assert.equal(failure, undefined, `the record session had a failed request: ${JSON.stringify(failure?.message)}`);

  // Replay: stops at icount 0, the ELF entry.
  mark = dap.mark();
  const replay = await startDebugging('QEMU Replay: Replay', 60_000);
  const stopped = await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: replay.id });
  const threadId = (stopped.message.body as { threadId?: number } | undefined)?.threadId ?? 1;
  const trace = await replay.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 }) as
    { stackFrames: StackFrame[] };
  assert.equal(trace.stackFrames[0]?.name, '_start', `top frame: ${JSON.stringify(trace.stackFrames[0])}`);

  // The workbench shows the stop: the active stack item is in the replay session.
  const item = await waitUntil(() => vscode.debug.activeStackItem, 15_000, 'an active stack item');
  assert.equal(item.session.id, replay.id);
  await screenshot('replay-stopped-at-entry');
}, { timeoutMs: 240_000 });
