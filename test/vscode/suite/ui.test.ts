/**
 * The replay UI in a real VS Code: snapshots view, timeline webview, status bar, the replay commands and VS Code's
 * own Step Back / Reverse Continue, against a real QEMU replay of the sample guest. What the views show is read
 * through the test-only command `qemuReplay.test.getUiState` (tree rows, status bar text, and what the webview
 * reports it drew), the editor and the debug focus through the VS Code API.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ReplayState } from '../../../common/protocol';
import { formatIcount } from '../../../common/ui-icount';
import type { TimelineRendered } from '../../../common/ui-messages';
import type { UiState } from '../../../src/ui/testHooks';
import {
  activateExtension, dap, executeCommand, screenshot, sessionEnded, startDebugging, waitUntil, withTimeout, workspacePath,
} from './helpers';
import { ui as page } from './driver';
import { onFailureReport, test } from './runner';

/** The UI state at the last check, printed when a test fails. */
let lastUi: UiState | undefined;
onFailureReport(() => (lastUi ? `replay UI state at the last check:\n${JSON.stringify(lastUi, null, 1).slice(0, 6000)}` : undefined));

const REPLAY = 'QEMU Replay: Replay';
const RECORD = 'QEMU Replay: Record';

const ui = async (): Promise<UiState> => (lastUi = await executeCommand<UiState>('qemuReplay.test.getUiState'));
const state = async (): Promise<ReplayState | undefined> => (await ui()).active?.state as ReplayState | undefined;
const rendered = async (): Promise<TimelineRendered | undefined> => (await ui()).timeline.rendered as TimelineRendered | undefined;

/** Records the sample guest once if no earlier test did (the tests may run alone with a grep). */
async function ensureRecording(): Promise<void> {
  if (fs.existsSync(workspacePath('.recordings', 'run1', 'recording.json'))) return;
  const recording = await startDebugging(RECORD, 60_000);
  await sessionEnded(recording, 90_000);
}

/** Starts the replay (it stops on entry) and waits until the UI knows its state. */
async function startReplay(): Promise<{ session: vscode.DebugSession; end: number }> {
  const mark = dap.mark();
  const session = await startDebugging(REPLAY, 60_000);
  await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  const s = await waitUntil(async () => {
    const st = await state();
    return st && st.mode === 'play' && !st.running && st.endIcount !== undefined ? st : undefined;
  }, 20_000, 'the replay state in the UI');
  return { session, end: s.endIcount! };
}

/** Waits for the session to stop after `action` and for the UI to show a paused state that `accept` likes. */
async function stopAfter(session: vscode.DebugSession, action: () => Thenable<unknown>, what: string,
  accept: (s: ReplayState) => boolean): Promise<ReplayState> {
  const mark = dap.mark();
  await action();
  await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  return await waitUntil(async () => {
    const s = await state();
    return s && !s.running && accept(s) ? s : undefined;
  }, 20_000, `the UI state after ${what}`);
}

interface Frame { id: number; name: string; line: number; source?: { path?: string } }

/** The focused stack frame (what the Call Stack and Variables views show), once VS Code focused one in `session`. */
async function focusedFrame(session: vscode.DebugSession): Promise<vscode.DebugStackFrame> {
  return await waitUntil(() => {
    const item = vscode.debug.activeStackItem;
    return item instanceof vscode.DebugStackFrame && item.session.id === session.id ? item : undefined;
  }, 15_000, 'a focused stack frame');
}

/** `counter` evaluated in the focused frame: the value the Variables/Watch views show there. */
async function counterInFocus(session: vscode.DebugSession): Promise<number> {
  const frame = await focusedFrame(session);
  const r = await session.customRequest('evaluate', { expression: 'counter', frameId: frame.frameId, context: 'watch' }) as { result: string };
  return Number(r.result);
}

async function topFrames(session: vscode.DebugSession): Promise<Frame[]> {
  const threadId = (await focusedFrame(session)).threadId;
  const trace = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 }) as { stackFrames: Frame[] };
  return trace.stackFrames;
}

/** The editor shows the top frame's file with the cursor on its line (VS Code's "current line"). */
async function editorFollows(session: vscode.DebugSession): Promise<void> {
  const [top] = await topFrames(session);
  assert.ok(top?.source?.path, `the top frame has a source: ${JSON.stringify(top)}`);
  // In code-server the path comes back as a vscode-remote:// URI (the workbench maps DAP paths for remote hosts).
  const want = top.source.path.includes('://') ? vscode.Uri.parse(top.source.path).path : top.source.path;
  await waitUntil(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.path === want
    && e.selection.active.line + 1 === top.line), 15_000, `an editor on ${want}:${top.line}`);
}

test('replay UI: snapshots view, timeline, status bar, icount breakpoints, seeks and reverse execution', async () => {
  await activateExtension();
  await ensureRecording();
  const { session, end } = await startReplay();
  assert.equal((await state())?.icount, 0, 'stopOnEntry: the replay starts at icount 0');

  // The timeline opens beside the source editor (opened first, or it would cover the timeline), says `ready`, gets
  // the state and draws it.
  await editorFollows(session);
  await executeCommand('qemuReplay.showTimeline');
  await waitUntil(async () => (await rendered())?.icountText === '0', 15_000, 'the timeline to show icount 0');
  assert.equal((await rendered())?.modeText, 'Replay · paused');

  // The snapshots view: the recording's initial snapshot, marked as the one at the current position.
  await executeCommand('qemuReplay.snapshots.focus');
  const initRow = await waitUntil(async () => (await ui()).snapshotRows.find((r) => r.current), 15_000, 'a marked snapshot row');
  assert.match(initRow.description, /^0 · initial · /);
  assert.equal(initRow.atPosition, true);

  // Bad input is refused with a message, and nothing reaches the adapter or the Breakpoints view.
  const mark = dap.mark();
  const before = vscode.debug.breakpoints.length;
  assert.equal(await executeCommand('qemuReplay.addIcountBreakpoint', '12,34'), undefined);
  assert.match((await ui()).errors.at(-1) ?? '', /groups of three/);
  assert.equal(await executeCommand('qemuReplay.goToIcount', end + 1), undefined);
  assert.match((await ui()).errors.at(-1) ?? '', /past the end of the recording/);
  assert.equal(vscode.debug.breakpoints.length, before);
  assert.equal(dap.messages.slice(mark).find((m) => m.direction === 'out' && m.message.type === 'request'
    && ['setFunctionBreakpoints', 'seek'].includes(m.message.command ?? '')), undefined, 'a request was sent for bad input');

  // An icount breakpoint through the command (typed as a person would), then Continue stops exactly there.
  const target = Math.floor(end * 0.4);
  assert.equal(await executeCommand('qemuReplay.addIcountBreakpoint', formatIcount(target)), target);
  assert.ok(vscode.debug.breakpoints.some((b) => b instanceof vscode.FunctionBreakpoint && b.functionName === `icount:${target}`),
    'the Breakpoints view lists icount:N');
  await waitUntil(async () => (await state())?.icountBreakpoints.includes(target), 15_000, 'the adapter to keep the icount breakpoint');
  await waitUntil(async () => ((await rendered())?.breakpointMarkers ?? 0) >= 1, 10_000, 'a breakpoint marker on the timeline');
  await stopAfter(session, () => vscode.commands.executeCommand('workbench.action.debug.continue'), 'Continue', (s) => s.icount === target);
  await waitUntil(async () => (await rendered())?.icountText === formatIcount(target), 10_000, 'the timeline to show the new icount');
  const bar = (await ui()).statusBar;
  assert.equal(bar.visible, true);
  assert.match(bar.text, new RegExp(`icount ${formatIcount(target)} / ${formatIcount(end)}$`));
  await waitUntil(async () => (await ui()).active?.stops.some((s) => (s as { icount: number }).icount === target), 10_000,
    'the stop on the trail');
  const counterAtTarget = await counterInFocus(session);
  assert.ok(counterAtTarget > 0, `counter at ${target}: ${counterAtTarget}`);

  // Save a snapshot here: a new row, marked as the current one.
  assert.equal((await executeCommand<{ name: string } | undefined>('qemuReplay.saveSnapshot', 'ui-here'))?.name, 'ui-here');
  const hereRow = await waitUntil(async () => (await ui()).snapshotRows.find((r) => r.name === 'ui-here'), 15_000, 'the ui-here row');
  assert.equal(hereRow.current, true);
  assert.match(hereRow.description, new RegExp(`^${formatIcount(target)} · user · `));
  await waitUntil(async () => ((await rendered())?.snapshotMarkers ?? 0) >= 2, 10_000, 'the snapshot marker on the timeline');
  // The README's picture: what the Snapshots view and the timeline show on the page agree (both list ui-here).
  await waitUntil(async () => (await page.texts('.pane:has(.pane-header:has-text("Snapshots")) .monaco-list-row'))
    .some((t) => t.includes('ui-here')), 15_000, 'the ui-here row on the page');
  await screenshot('ui-timeline-and-snapshots');

  // VS Code's Step Back (the adapter advertises supportsStepBack): back in time, the editor follows.
  const back = await stopAfter(session, () => vscode.commands.executeCommand('workbench.action.debug.stepBack'), 'Step Back',
    (s) => s.icount < target);
  assert.ok(back.icount > 0);
  await editorFollows(session);

  // Go to the start, then "click" the snapshot: the position, the editor and the variables follow. Progress shows
  // at once here (the sample guest's seeks are too fast to show it after the usual delay).
  await executeCommand('qemuReplay.test.setProgressDelay', 0);
  try {
    await stopAfter(session, () => executeCommand('qemuReplay.goToStart'), 'Go to Start', (s) => s.icount === 0);
  } finally {
    await executeCommand('qemuReplay.test.setProgressDelay', 600);
  }
  assert.ok((await ui()).progressShown.includes('Going to the start of the recording'), 'progress for the seek');
  await waitUntil(async () => (await counterInFocus(session)) === 0, 15_000, 'counter to read 0 at the start');
  await stopAfter(session, () => executeCommand('qemuReplay.goToSnapshot', 'ui-here'), 'Go to Snapshot', (s) => s.icount === target);
  await waitUntil(async () => (await counterInFocus(session)) === counterAtTarget, 15_000, `counter to read ${counterAtTarget} again`);
  await editorFollows(session);
  await waitUntil(async () => (await rendered())?.icountText === formatIcount(target), 10_000, 'the timeline to follow the seek');
  await screenshot('ui-timeline-after-snapshot');
  // The webview follows the theme through VS Code's CSS variables: look at it in dark and high contrast too.
  const workbench = vscode.workspace.getConfiguration('workbench');
  try {
    for (const [theme, shot] of [['Default Dark Modern', 'ui-timeline-dark'], ['Default High Contrast', 'ui-timeline-high-contrast']]) {
      await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await waitUntil(() => vscode.window.activeColorTheme.kind === (theme.includes('High') ? vscode.ColorThemeKind.HighContrast
        : vscode.ColorThemeKind.Dark), 10_000, `the ${theme} theme`);
      // For the screenshot only (no assertion follows): the webview repaints once the theme's CSS variables arrive,
      // which it does not report (its `rendered` message is about the timeline's state).
      await new Promise((r) => setTimeout(r, 500));
      await screenshot(shot);
    }
  } finally {
    await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
  }

  // VS Code's Reverse Continue: no breakpoint behind, so back to the start of the recording.
  await stopAfter(session, () => vscode.commands.executeCommand('workbench.action.debug.reverseContinue'), 'Reverse Continue',
    (s) => s.icount < target);

  // Reverse Step Out / Into (our toolbar buttons) with the focused thread: stop in fib, step back out to work().
  const fib = new vscode.FunctionBreakpoint('fib');
  vscode.debug.addBreakpoints([fib]);
  const inFib = await stopAfter(session, () => vscode.commands.executeCommand('workbench.action.debug.continue'), 'Continue to fib',
    (s) => s.icount > 0);
  vscode.debug.removeBreakpoints([fib]);
  const frames = await topFrames(session);
  assert.deepEqual(frames.slice(0, 2).map((f) => f.name), ['fib', 'work'], 'stopped in fib called from work');
  const out = await stopAfter(session, () => executeCommand('qemuReplay.reverseStepOut'), 'Reverse Step Out', (s) => s.icount < inFib.icount);
  await waitUntil(async () => (await topFrames(session))[0]?.name === 'work', 15_000, 'the top frame to be work() after Reverse Step Out');
  await stopAfter(session, () => executeCommand('qemuReplay.reverseStepIn'), 'Reverse Step Into', (s) => s.icount < out.icount);

  // What the timeline posts on a click, a snapshot click and the B key (the DOM side is exercised in the screenshots).
  const post = (message: unknown): Promise<boolean> => executeCommand<boolean>('qemuReplay.test.postFromTimeline', message);
  assert.equal(await post({ type: 'seek', icount: -5 }), false, 'a malformed message is dropped');
  const half = Math.floor(target / 2);
  await stopAfter(session, () => post({ type: 'seek', icount: half }), 'a click on the timeline', (s) => s.icount === half);
  await waitUntil(async () => (await rendered())?.icountText === formatIcount(half), 10_000, 'the timeline at the clicked icount');
  await stopAfter(session, () => post({ type: 'gotoSnapshot', name: 'ui-here' }), 'a click on a snapshot marker', (s) => s.icount === target);
  const keyed = target + 100;
  assert.equal(await post({ type: 'toggleBreakpoint', icount: keyed }), true);
  await waitUntil(async () => (await state())?.icountBreakpoints.includes(keyed), 10_000, 'B to add an icount breakpoint');
  assert.equal(await post({ type: 'toggleBreakpoint', icount: keyed }), true);
  await waitUntil(async () => !(await state())?.icountBreakpoints.includes(keyed), 10_000, 'B again to remove it');
  assert.ok(!vscode.debug.breakpoints.some((b) => b instanceof vscode.FunctionBreakpoint && b.functionName === `icount:${keyed}`));

  // Delete the snapshot by name, as a keybinding would (the view's inline button asks first: ui-editor.test.ts).
  assert.equal(await executeCommand('qemuReplay.deleteSnapshot', hereRow.name), true);
  await waitUntil(async () => !(await ui()).snapshotRows.some((r) => r.name === 'ui-here'), 15_000, 'the ui-here row to go');
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints.filter((b) => b instanceof vscode.FunctionBreakpoint));
}, { timeoutMs: 300_000 });

test('replay UI without a session: clear messages and an empty timeline', async () => {
  await activateExtension();
  assert.equal(vscode.debug.activeDebugSession, undefined);
  assert.equal(await executeCommand('qemuReplay.goToIcount', 5), undefined);
  assert.match((await ui()).errors.at(-1) ?? '', /No QEMU Replay session is active/);
  assert.equal(await executeCommand('qemuReplay.reverseStepIn'), undefined);
  assert.match((await ui()).errors.at(-1) ?? '', /No QEMU Replay session is active/);
  await executeCommand('qemuReplay.showTimeline');
  await waitUntil(async () => /No replay session|ended unexpectedly/.test((await rendered())?.modeText ?? ''), 15_000, 'the empty timeline');
  const s = await ui();
  assert.equal(s.statusBar.visible, false);
  assert.deepEqual(s.snapshotRows, []);
  await screenshot('ui-timeline-no-session');
  await executeCommand('workbench.action.openWalkthrough', 'qemu-replay.qemu-replay#qemuReplay.start', false);
  // For the screenshot only (no assertion follows): the welcome page renders its markdown steps asynchronously, and
  // the extension host cannot see when it is done.
  await new Promise((r) => setTimeout(r, 1500));
  await screenshot('ui-walkthrough');
});

/** Process ids of `pid`'s children (from /proc), to find the adapter the extension host started. */
function children(pid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

test('replay UI when the adapter dies: views clear and the user is told', async () => {
  await activateExtension();
  await ensureRecording();
  const { session } = await startReplay();
  await editorFollows(session);
  await executeCommand('qemuReplay.showTimeline');
  await waitUntil(async () => (await rendered())?.sessionId === session.id, 15_000, 'the timeline on the session');
  const adapter = children(process.pid).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('adapter.js'));
  assert.ok(adapter, 'the debug adapter process is a child of the extension host');
  const orphans = children(adapter);   // QEMU and gdb: ended below so they do not outlive the test
  const ended = sessionEnded(session, 30_000);
  process.kill(adapter, 'SIGKILL');
  await ended;
  for (const p of orphans) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  const s = await waitUntil(async () => {
    const u = await ui();
    return u.active === undefined && /ended unexpectedly/.test((u.timeline.rendered as TimelineRendered | undefined)?.modeText ?? '') ? u : undefined;
  }, 15_000, 'the views to clear');
  assert.deepEqual(s.snapshotRows, []);
  assert.equal(s.statusBar.visible, false);
  const told = await waitUntil(async () => (await ui()).errors.find((e) => /stopped unexpectedly/.test(e)), 5_000, 'the message');
  // Desktop VS Code reports the exit signal; code-server's extension host only sees the broken pipe.
  assert.match(told, /"QEMU Replay: Replay" stopped unexpectedly: the debug adapter (was killed \(SIGKILL\)|failed \(read error\))\./);
  await screenshot('ui-adapter-died');
}, { timeoutMs: 240_000 });

test('Check Setup finds QEMU, qemu-img and gdb-multiarch with reverse debugging on this machine', async () => {
  await activateExtension();
  const report = await executeCommand<{ ok: boolean; results: { name: string; ok: boolean; detail: string }[] }>('qemuReplay.checkSetup');
  assert.equal(report.ok, true, JSON.stringify(report.results));
  // This machine's QEMU is Debian 12's 7.2: each QEMU says what it does for its guests, and QEMU 10.0 is pointed at.
  assert.deepEqual(report.results.filter((r) => r.ok).map((r) => r.name),
    ['qemu-system-aarch64', 'qemu-system-riscv64', 'qemu-system-x86_64', 'qemu-img', 'gdb-multiarch', 'gdb reverse debugging', 'QEMU 10.0']);
  assert.match(report.results[0].detail, /^QEMU emulator version 7\.2\.\d+ .*— aarch64 guests: all of record, replay, step back, reverse continue, snapshots$/);
  assert.match(report.results[6].detail, /^QEMU 10\.0 is tested too\. On Debian 12: bookworm-backports/);
  // A missing program is reported with the Debian package to install (run without a shell: no PATH lookup tricks).
  const missing = await executeCommand<{ ok: boolean; fix?: string }>('qemuReplay.checkSetup', { qemuImg: 'qemu-img-does-not-exist' });
  assert.equal(missing.ok, false);
  assert.equal(missing.fix, 'sudo apt-get install qemu-utils');
});

test('Record and Replay runs the record configuration, then the replay of the same recording', async () => {
  await activateExtension();
  // Not through executeCommand's 15 s limit: recording the guest takes longer.
  const replay = await withTimeout(vscode.commands.executeCommand<vscode.DebugSession | undefined>(
    'qemuReplay.recordAndReplay', RECORD), 180_000, 'Record and Replay');
  assert.ok(replay, `no replay session started; errors: ${JSON.stringify((await ui()).errors)}`);
  assert.equal(replay.name, REPLAY);
  assert.equal(replay.configuration.mode, 'replay');
  const s = await waitUntil(async () => {
    const st = await state();
    return st && st.mode === 'play' && !st.running ? st : undefined;
  }, 60_000, 'the replay to stop on entry');
  assert.equal(s.icount, 0);
  assert.match(s.recording ?? '', /\.recordings[/\\]run1$/);
}, { timeoutMs: 240_000 });
