/**
 * Every position change shows as a stop (issue #18 items 2 and 3), with real mouse and keyboard input: the Call Stack
 * header names the new position after a breakpoint, the toolbar's Reverse Step Out / Reverse Step Into, "Go to
 * Instruction Count…" typed into the Command Palette, a click on the timeline's axis and "Go to Snapshot" picked from
 * its quick pick; and a recording that ends normally shows no error notification and one "Recording saved" line.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  activateExtension, dap, executeCommand, screenshot, sessionEnded, startDebugging, waitUntil, workspacePath,
} from './helpers';
import { runFromPalette, TIMELINE_FRAMES, ui } from './driver';
import { test } from './runner';

const REPLAY = 'QEMU Replay: Replay';
const RECORD = 'QEMU Replay: Record';
const CALL_STACK = '.pane-header:has-text("Call Stack")';
const inTimeline = { frames: TIMELINE_FRAMES };

/** Records the sample guest once if no earlier test did (each test may run alone with a grep). */
async function ensureRecording(): Promise<void> {
  if (fs.existsSync(workspacePath('.recordings', 'run1', 'recording.json'))) return;
  const recording = await startDebugging(RECORD, 60_000);
  await sessionEnded(recording, 90_000);
}

const callStackHeader = async (): Promise<string> => (await ui.texts(CALL_STACK))[0] ?? '';

/**
 * Does `action` and waits for the stop it causes; then the Call Stack header must show that stop's description
 * (e.g. "Moved in time at icount 1234"), not the one before. Returns the stop's icount.
 */
async function headerFollows(session: vscode.DebugSession, what: string, action: () => Promise<void>): Promise<number> {
  const before = await callStackHeader();
  const mark = dap.mark();
  await action();
  const stop = await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  const description = String((stop.message.body as { description?: string }).description);
  const m = /icount (\d+)$/.exec(description);
  assert.ok(m, `${what}: the stop names its icount: ${description}`);
  assert.notEqual(before.split('\n')[1], description, `${what}: the stop before was already "${description}": nothing to tell apart`);
  await waitUntil(async () => (await callStackHeader()) === `Call Stack\n${description}`, 10_000,
    `the Call Stack header to read "${description}" after ${what} (before it: "${before.replace('\n', ' / ')}")`);
  return Number(m[1]);
}

test('every position change updates the Call Stack header: breakpoint, toolbar reverse steps, palette, timeline, snapshot', async () => {
  await activateExtension();
  await ensureRecording();
  const mark = dap.mark();
  const session = await startDebugging(REPLAY, 60_000);
  await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  await waitUntil(async () => (await callStackHeader()) === 'Call Stack\nPaused on entry at icount 0', 15_000, 'the entry stop in the header');

  // A breakpoint in fib (set through the API: what is under test is what follows), F5 on the keyboard.
  const fib = new vscode.FunctionBreakpoint('fib');
  vscode.debug.addBreakpoints([fib]);
  const inFib = await headerFollows(session, 'Continue to fib (F5)', () => ui.press('F5'));
  vscode.debug.removeBreakpoints([fib]);

  // The toolbar's own buttons (custom requests: VS Code does not know they run the thread).
  const out = await headerFollows(session, 'Reverse Step Out (toolbar)', () => ui.click('.debug-toolbar [aria-label="Reverse Step Out"]'));
  assert.ok(out < inFib, `Reverse Step Out went back: ${out} < ${inFib}`);
  const into = await headerFollows(session, 'Reverse Step Into (toolbar)', () => ui.click('.debug-toolbar [aria-label="Reverse Step Into"]'));
  assert.ok(into < out, `Reverse Step Into went back: ${into} < ${out}`);

  // "Go to Instruction Count…" typed into the Command Palette, the number typed into its input box.
  const target = 1234;
  const went = await headerFollows(session, 'Go to Instruction Count (palette)', async () => {
    await runFromPalette('QEMU Replay: Go to Instruction Count');
    await ui.waitFor('.quick-input-widget input');
    await ui.press('Control+a');
    await ui.type(String(target));
    await ui.press('Enter');
  });
  assert.equal(went, target);
  await screenshot('ui-stops-after-goto');

  // A click on the timeline's axis, at 60 %.
  await executeCommand('qemuReplay.showTimeline');
  await ui.click('.tab:has-text("Replay Timeline")');
  await ui.waitFor('.track', inTimeline);
  const box = await ui.box('.track svg', inTimeline);
  assert.ok(box && box.width > 100, `the axis is visible: ${JSON.stringify(box)}`);
  const clicked = await headerFollows(session, 'a click on the timeline', () =>
    ui.click('.track svg', { ...inTimeline, position: { x: box.width * 0.6, y: box.height * 0.7 } }));
  assert.ok(clicked > target, `the click at 60 % went to ${clicked}`);

  // "Go to Snapshot" from the palette, the first snapshot of its quick pick (the initial one, at 0) with Enter.
  const atSnapshot = await headerFollows(session, 'Go to Snapshot (palette)', async () => {
    await runFromPalette('QEMU Replay: Go to Snapshot');
    await ui.waitFor('.quick-input-widget input[placeholder="Snapshot"]');
    await ui.waitFor('.quick-input-list .monaco-list-row:has-text("initial")');
    await ui.press('Enter');
  });
  assert.equal(atSnapshot, 0);
  await screenshot('ui-stops-after-snapshot');
}, { timeoutMs: 240_000 });

const NOTIFICATION_ROW = '.notifications-list-container .monaco-list-row';

test('a recording that ends normally shows no error notification and one "Recording saved" line in the Debug Console', async () => {
  await activateExtension();
  await executeCommand('notifications.clearAll');
  const mark = dap.mark();
  const recording = await startDebugging(RECORD, 60_000);
  await sessionEnded(recording, 90_000);

  // What the adapter said: the one saved line, plain console text (no 'important': VS Code makes those toasts).
  const outputs = dap.messages.slice(mark).filter((m) => m.sessionId === recording.id && m.direction === 'in'
    && m.message.type === 'event' && m.message.event === 'output').map((m) => m.message.body as { category?: string; output: string });
  assert.deepEqual(outputs.filter((o) => o.category === 'important' || o.category === 'stderr'), []);

  // What a person sees: the notification centre has no error (the smoke-test mode hides toasts; the list shows them).
  await executeCommand('notifications.showList');
  const rows = await ui.texts(NOTIFICATION_ROW);
  await screenshot('ui-stops-record-end-notifications');
  assert.deepEqual(rows.filter((r) => /Recording|QMP|ECONNRESET|gdb|Internal error|Error/i.test(r)), [], `notifications: ${JSON.stringify(rows)}`);
  assert.equal(await ui.count(`${NOTIFICATION_ROW} .codicon-error`), 0, 'an error notification');
  await executeCommand('notifications.hideList');

  // The Debug Console: one line saying where the recording was saved, no error text.
  await executeCommand('workbench.debug.action.toggleRepl');
  await ui.waitFor('.repl .monaco-list-row');
  const lines = await waitUntil(async () => {
    const texts = await ui.texts('.repl .monaco-list-row');
    return texts.some((t) => /Recording saved to/.test(t)) ? texts : undefined;
  }, 10_000, 'the saved line in the Debug Console');
  await screenshot('ui-stops-record-end-console');
  assert.equal(lines.filter((t) => /Recording saved to .*\.recordings\/run1 \(\d+ instructions, the guest finished\)/.test(t)).length, 1,
    JSON.stringify(lines));
  assert.deepEqual(lines.filter((t) => /ECONNRESET|GdbExitedError|QmpConnectionError|Internal error|^\s+at /.test(t)), []);
}, { timeoutMs: 150_000 });
