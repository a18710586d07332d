import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CUSTOM_REQUESTS } from '../../../common/protocol';
import { activateExtension, dap, screenshot, sessionEnded, startDebugging, waitUntil, workspacePath } from './helpers';
import { test } from './runner';

interface StackFrame { id: number; name: string; line: number; source?: { path?: string } }

/** The recording the launch.json configurations write and read. */
const recording = () => workspacePath('.recordings', 'run1');

test('record from launch.json: runs until the guest powers off and leaves a recording', async () => {
  await activateExtension();
  fs.rmSync(recording(), { recursive: true, force: true });
  const mark = dap.mark();
  const session = await startDebugging('QEMU Replay: Record', 60_000);
  await sessionEnded(session, 90_000);
  // Standard DAP requests that VS Code sends must not fail (it shows those errors to the user); custom requests of
  // the replay UI may be refused while recording.
  const failures = dap.messages.slice(mark)
    .filter((m) => m.message.type === 'response' && m.message.success === false
      && !(CUSTOM_REQUESTS as readonly string[]).includes(m.message.command ?? ''))
    .map((m) => `${m.message.command ?? '?'}: ${m.message.message ?? ''}`);
  assert.deepEqual(failures, [], 'requests of the record session failed');
  assert.ok(fs.existsSync(recording()) && fs.readdirSync(recording()).length > 0, `${recording()} is empty or missing`);
}, { timeoutMs: 150_000 });

test('replay from launch.json: stops at entry in _start', async () => {
  const api = await activateExtension();
  assert.ok(fs.existsSync(recording()), 'no recording: the record test before this one must pass first');
  const mark = dap.mark();
  const replay = await startDebugging('QEMU Replay: Replay', 60_000);
  const stopped = await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: replay.id });
  const threadId = (stopped.message.body as { threadId?: number } | undefined)?.threadId ?? 1;
  const trace = await replay.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 }) as
    { stackFrames: StackFrame[] };
  assert.equal(trace.stackFrames[0]?.name, '_start', `top frame: ${JSON.stringify(trace.stackFrames[0])}`);

  // The workbench shows the stop: the active stack item is in the replay session.
  const item = await waitUntil(() => vscode.debug.activeStackItem, 15_000, 'an active stack item');
  assert.equal(item.session.id, replay.id);
  // The extension traced the session's DAP traffic (to the "QEMU Replay" log channel).
  const transcript = api.dapTranscript(replay.id);
  assert.ok(transcript.some((l) => l.startsWith('→ ') && l.includes('"command":"launch"')), 'launch request not traced');
  assert.ok(transcript.some((l) => l.startsWith('← ') && l.includes('"event":"stopped"')), 'stopped event not traced');
  await screenshot('replay-stopped-at-entry');
}, { timeoutMs: 150_000 });
