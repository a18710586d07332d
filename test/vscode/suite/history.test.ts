/**
 * The whole recording at a glance (issue #16) with the real mouse and keyboard: Show All Hits in the Recording from
 * the Command Palette fills the Recording History view, a click on a hit goes there (one seek) and the timeline
 * draws the hits; "When Did This Change?" from the Variables view's context menu goes back to the write (a data
 * breakpoint stop); Compare Two Moments opens a diff editor whose changed lines VS Code marks.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LastWriteResult } from '../../../common/protocol';
import { formatIcount } from '../../../common/ui-icount';
import type { TimelineRendered } from '../../../common/ui-messages';
import type { UiState } from '../../../src/ui/testHooks';
import { runFromPalette, TIMELINE_FRAMES, ui } from './driver';
import {
  activateExtension, dap, ensureSampleRecording, EXTENSION_ID, executeCommand, screenshot, startSampleReplay, waitUntil,
} from './helpers';
import { onFailureReport, test } from './runner';

const CALL_STACK = '.pane-header:has-text("Call Stack")';
const HISTORY = '.pane:has(.pane-header:has-text("Recording History"))';
const VARIABLES = '.pane:has(.pane-header:has-text("Variables"))';
const PICK_ROW = '.quick-input-list .monaco-list-row';

let lastUi: UiState | undefined;
onFailureReport(() => (lastUi ? `history UI state at the last check:\n${JSON.stringify({ history: lastUi.history, errors: lastUi.errors }, null, 1).slice(0, 6000)}` : undefined));
const uiState = async (): Promise<UiState> => (lastUi = await executeCommand<UiState>('qemuReplay.test.getUiState'));

/** The sample guest's source as its debug info names it (in the repo), and a line by its TAG comment. */
function guestSource(): { file: string; line: (tag: string) => number } {
  const root = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
  assert.ok(root, 'the extension is loaded');
  const file = path.join(root, 'test', 'guests', 'prog.c');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  return { file, line: (tag) => {
    const i = lines.findIndex((l) => l.includes(`TAG: ${tag} `));
    assert.ok(i >= 0, `TAG ${tag} in prog.c`);
    return i + 1;
  } };
}


const callStackHeader = async (): Promise<string> => (await ui.texts(CALL_STACK))[0] ?? '';

/** The icount the status bar shows ("icount 1,234 / 16,341"). */
async function statusIcount(): Promise<number | undefined> {
  const item = (await ui.texts('.statusbar-item')).find((t) => /icount [\d,]+ \//.test(t));
  const m = item && /icount ([\d,]+) \//.exec(item);
  return m ? Number(m[1].replaceAll(',', '')) : undefined;
}

/** Waits until the Call Stack header and the status bar both say the replay is at `icount`. */
async function shownAt(icount: number, what: string): Promise<void> {
  await waitUntil(async () => new RegExp(`at icount ${icount}$`).test(await callStackHeader()), 15_000,
    `the Call Stack header to end "at icount ${icount}" after ${what} (it reads "${(await callStackHeader()).replace('\n', ' / ')}")`);
  await waitUntil(async () => (await statusIcount()) === icount, 10_000, `the status bar at icount ${formatIcount(icount)} after ${what}`);
}

/** A stopped event after `mark`, and the icount its description names. */
async function stopAfter(session: vscode.DebugSession, mark: number): Promise<{ reason: string; icount: number }> {
  const stop = await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  const body = stop.message.body as { reason: string; description?: string };
  const m = /icount (\d+)$/.exec(body.description ?? '');
  assert.ok(m, `the stop names its icount: ${body.description}`);
  return { reason: body.reason, icount: Number(m[1]) };
}

/** What the requests after `mark` were (their commands), to count seeks. */
const requestsSince = (mark: number, command: string): number => dap.messages.slice(mark)
  .filter((m) => m.direction === 'out' && m.message.type === 'request' && m.message.command === command).length;

test('Show All Hits from the palette lists every hit with its icount; a click on one goes there; the timeline marks them', async () => {
  await activateExtension();
  await ensureSampleRecording();
  const { session, end } = await startSampleReplay(uiState);
  const guest = guestSource();
  const line = guest.line('counter-increment');   // once per round: 40 times
  vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(guest.file), new vscode.Position(line - 1, 0)))]);

  // Command Palette, then the two quick picks: the breakpoint (the only one), the range (the whole recording).
  const mark = dap.mark();
  await runFromPalette('QEMU Replay: Show All Hits in the Recording');
  await ui.waitFor(`${PICK_ROW}:has-text("prog.c:${line}")`);
  await ui.press('Enter');
  await ui.waitFor(`${PICK_ROW}:has-text("The whole recording")`);
  await ui.press('Enter');
  const answer = await dap.waitFor((m) => m.direction === 'in' && m.message.type === 'response' && m.message.command === 'hitHistory',
    { since: mark, timeoutMs: 120_000, what: 'the hitHistory response' });
  assert.equal(answer.message.success, true, `hitHistory failed: ${answer.message.message}`);
  const body = answer.message.body as { hits: { icount: number; function?: string; line?: number }[]; complete: boolean };
  assert.equal(body.complete, true);
  assert.equal(body.hits.length, 40, 'one hit per round of the guest');
  assert.ok(body.hits.every((h, i) => h.function === 'work' && h.line === line && (i === 0 || h.icount > body.hits[i - 1].icount)));
  const icounts = body.hits.map((h) => h.icount);

  // The view: the section's title with the count, and every hit with its icount, function and line.
  const title = `Hits of prog.c:${line} — 40 hits`;
  const s = await waitUntil(async () => {
    const u = await uiState();
    return u.history.sections[0]?.running === false ? u : undefined;
  }, 20_000, 'the section to finish');
  assert.deepEqual(s.history.sections[0].icounts, icounts, 'the view holds exactly the hits of the answer');
  assert.deepEqual(s.history.rows[0], { label: title, description: '', children: 40 });
  await ui.waitFor(`${HISTORY} .monaco-list-row:has-text("${title}")`, { timeoutMs: 15_000 });
  const shown = await waitUntil(async () => {
    const rows = (await ui.texts(`${HISTORY} .monaco-list-row`)).filter((r) => r.startsWith('icount '));
    return rows.length >= 3 ? rows : undefined;
  }, 10_000, 'hit rows on the page');
  shown.forEach((r, i) => assert.equal(r.replace(/\s+/g, ' '), `icount ${formatIcount(icounts[i])} work prog.c:${line}`));
  // The guest's output with icounts, from the start of the session.
  assert.equal(s.history.output.state, 'loaded');
  assert.ok(s.history.output.lines.some((l) => l.text.startsWith('qemu-replay sample guest')), JSON.stringify(s.history.output.lines.slice(0, 3)));
  await screenshot('history-hits');

  // A click on the third hit: one seek, and the Call Stack header and the status bar say that icount.
  const target = icounts[2];
  const click = dap.mark();
  await ui.click(`${HISTORY} .monaco-list-row:has-text("icount ${formatIcount(target)} ")`);
  const stop = await stopAfter(session, click);
  assert.equal(stop.icount, target);
  await shownAt(target, 'a click on the hit');
  assert.equal(requestsSince(click, 'seek'), 1, 'one seek');

  // The timeline draws the hits; a click on a mark goes to that hit.
  await executeCommand('qemuReplay.showTimeline');
  await ui.click('.tab:has-text("Replay Timeline")');
  await ui.waitFor('.track', { frames: TIMELINE_FRAMES });
  const rendered = await waitUntil(async () => {
    const r = (await uiState()).timeline.rendered as TimelineRendered | undefined;
    return (r?.hitMarkers ?? 0) > 0 ? r : undefined;
  }, 15_000, 'hit marks on the timeline');
  assert.ok((rendered.hitMarkers ?? 0) <= 40);
  await screenshot('history-timeline');
  // The whole recording across the axis (a zoom kept from another test of this recording would shift the x).
  await ui.click('button:has-text("Fit")', { frames: TIMELINE_FRAMES });
  const box = await ui.box('.track svg', { frames: TIMELINE_FRAMES });
  assert.ok(box && box.width > 100);
  const far = icounts[30];
  const markClick = dap.mark();
  await ui.click('.track svg', { frames: TIMELINE_FRAMES, position: { x: box.width * (far / Math.max(end, 1)), y: box.height * 0.45 } });
  const onMark = await stopAfter(session, markClick);
  assert.ok(icounts.includes(onMark.icount), `a click on the mark of icount ${far} went to ${onMark.icount}, a hit`);
  await shownAt(onMark.icount, 'a click on a hit mark');   // as a person sees the stop before going on
  const round = icounts.indexOf(onMark.icount);
  assert.ok(Math.abs(round - 30) <= 3, `near the hit clicked: ${onMark.icount}`);

  // A logpoint set here, on the line that prints every 8th round: its message at every earlier hit, in the view too.
  const print = guest.line('main-print');
  vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(guest.file), new vscode.Position(print - 1, 0)),
    true, undefined, undefined, 'round {round} checksum {checksum}')]);
  // The rounds before this one (work(round) runs before the print of its round) that print.
  const printed = Array.from({ length: round }, (_, r) => r).filter((r) => r % 8 === 0);
  const logged = await waitUntil(async () => {
    const u = await uiState();
    const section = u.history.sections.find((x) => x.name === `prog.c:${print}`);
    return section && !section.running ? section : undefined;
  }, 60_000, 'the logpoint\'s earlier hits in the view');
  assert.deepEqual(logged.messages.map((m) => m.replace(/ checksum .*/, '')), printed.map((r) => `round ${r}`));
  assert.ok(logged.icounts.every((i) => i < onMark.icount), 'earlier hits, before the position');
  const logTitle = `Hits of prog.c:${print} — ${printed.length} hits`;
  await ui.waitFor(`${HISTORY} .monaco-list-row:has-text("${logTitle}")`, { timeoutMs: 10_000 });

  // All of its hits, from the editor's gutter: right-click the line's number, the menu's Show All Hits, Enter.
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === guest.file);
  assert.ok(editor, 'prog.c is open');
  editor.revealRange(new vscode.Range(print - 1, 0, print - 1, 0), vscode.TextEditorRevealType.InCenter);   // set-up: the line on screen
  const number = `.monaco-editor .margin-view-overlays .line-numbers:text-is("${print}")`;
  await ui.click(number, { button: 'right' });
  const gutterItem = '.monaco-menu .action-item:has-text("Show All Hits in the Recording")';
  await ui.waitFor(gutterItem);
  const fromGutter = dap.mark();
  await ui.click(gutterItem);
  await ui.waitFor(`${PICK_ROW}:has-text("The whole recording")`);
  await ui.press('Enter');
  const all = await dap.waitFor((m) => m.direction === 'in' && m.message.type === 'response' && m.message.command === 'hitHistory',
    { since: fromGutter, timeoutMs: 60_000, what: 'the hitHistory response for the logpoint' });
  const allMessages = (all.message.body as { hits: { message?: string }[] }).hits.map((h) => h.message?.replace(/ checksum .*/, ''));
  assert.deepEqual(allMessages, [0, 8, 16, 24, 32].map((r) => `round ${r}`), 'every print of the recording, with its message');
  await ui.waitFor(`${HISTORY} .monaco-list-row:has-text("Hits of prog.c:${print} — 5 hits")`, { timeoutMs: 10_000 });

  // The README's picture: the view with room (the panes above it collapsed, as a person would), both sections.
  for (const pane of ['Watch', 'Loaded Scripts', 'Breakpoints', 'Snapshots']) {
    const header = `.pane-header:has-text("${pane}")`;
    if (await ui.count(header) && await ui.attribute(header, 'aria-expanded') === 'true') await ui.click(header);
  }
  // The sidebar wider, its sash dragged as a person would, so the messages show whole.
  const sidebar = await ui.box('.part.sidebar');
  if (sidebar && sidebar.width < 480) {
    const x = sidebar.x + sidebar.width + 1;
    const y = sidebar.y + sidebar.height / 2;
    await ui.mouse('move', x, y);
    await ui.mouse('down', x, y);
    await ui.mouse('move', x + 60, y);
    await ui.mouse('move', sidebar.x + 480, y);
    await ui.mouse('up', sidebar.x + 480, y);
    await ui.mouse('move', sidebar.x + 700, y);   // off the sash, which is highlighted while hovered
  }
  await ui.waitFor(`${HISTORY} .monaco-list-row:has-text("round 8 checksum")`, { timeoutMs: 10_000 });
  await waitUntil(async () => ((await uiState()).timeline.rendered as TimelineRendered | undefined)?.modeText === 'Replay · paused', 10_000,
    'the timeline to show the replay paused again after the pass');
  await screenshot('history-view');
}, { timeoutMs: 240_000 });

test('"When Did This Change?" from the Variables view goes back to the write; Compare Two Moments shows a diff', async () => {
  await activateExtension();
  await ensureSampleRecording();
  const { session } = await startSampleReplay(uiState);
  const guest = guestSource();
  // Stop at counter++ in the third round: f = fib(2) = 1 was written on the work-fib line.
  const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(guest.file), new vscode.Position(guest.line('counter-increment') - 1, 0)),
    true, undefined, '3');
  vscode.debug.addBreakpoints([bp]);
  const cont = dap.mark();
  await ui.click('.debug-toolbar [aria-label^="Continue"]');
  const atBreakpoint = await stopAfter(session, cont);
  assert.equal(atBreakpoint.reason, 'breakpoint');
  vscode.debug.removeBreakpoints([bp]);
  await shownAt(atBreakpoint.icount, 'Continue');

  // Right-click the local `f` in the Variables view, then the menu's "When Did This Change?".
  // A variable's row reads "f =" and "1", and says so to a screen reader: "f, value 1".
  const fRow = `${VARIABLES} .monaco-list-row[aria-label^="f, value "]`;
  await ui.waitFor(fRow, { timeoutMs: 15_000 });
  assert.equal(await ui.attribute(fRow, 'aria-label'), 'f, value 1', 'f is 1 in the third round');
  await ui.click(fRow, { button: 'right' });
  const item = '.monaco-menu .action-item:has-text("When Did This Change?")';
  await ui.waitFor(item);
  await screenshot('history-when-did-this-change-menu');
  const asked = dap.mark();
  await ui.click(item);
  const written = await stopAfter(session, asked);
  assert.equal(written.reason, 'data breakpoint');
  assert.ok(written.icount < atBreakpoint.icount, `back in time: ${written.icount} < ${atBreakpoint.icount}`);
  const response = await dap.waitFor((m) => m.direction === 'in' && m.message.type === 'response' && m.message.command === 'lastWrite',
    { since: asked, timeoutMs: 30_000, what: 'the lastWrite response' });
  const result = response.message.body as LastWriteResult;
  assert.equal(result.found, true);
  assert.equal(result.icount, written.icount);
  assert.equal(result.line, guest.line('work-fib'), 'the writing line');
  assert.equal((response.message.arguments as { expression?: string } | undefined)?.expression ?? 'f', 'f');
  await shownAt(written.icount, 'When Did This Change?');
  // The status bar says what changed and where.
  await waitUntil(async () => (await ui.texts('.statusbar-item')).some((t) => t.includes(`f: ${result.oldValue} → ${result.newValue} at icount ${formatIcount(written.icount)}, written by work() at prog.c:${guest.line('work-fib')}`)),
    10_000, 'the status bar message of the write');
  const request = dap.messages.slice(asked).find((m) => m.direction === 'out' && m.message.command === 'lastWrite');
  assert.deepEqual({ ...(request?.message.arguments as object), frameId: undefined }, { expression: 'f', direction: 'backward', frameId: undefined });
  await screenshot('history-when-did-this-change');

  // Compare Two Moments: here (the write) with the breakpoint's stop, and the memory of `origin` (changed between).
  await executeCommand('workbench.action.closeEditorsInOtherGroups');   // set-up: room for the diff editor's two sides
  const compared = dap.mark();
  await runFromPalette('QEMU Replay: Compare Two Moments');
  await ui.waitFor(`${PICK_ROW}:has-text("The current position")`);
  await ui.press('Enter');
  await ui.waitFor('.quick-input-widget input[placeholder^="A moment"]');
  await ui.type(formatIcount(atBreakpoint.icount));
  await ui.waitFor(`${PICK_ROW}:has-text("the instruction count typed")`);
  await ui.press('Enter');
  await ui.waitFor('.quick-input-widget input[placeholder^="&squares"]');
  await ui.type('&origin 8');
  await ui.press('Enter');
  const answer = await dap.waitFor((m) => m.direction === 'in' && m.message.type === 'response' && m.message.command === 'compare',
    { since: compared, timeoutMs: 30_000, what: 'the compare response' });
  assert.equal(answer.message.success, true, `compare failed: ${answer.message.message}`);
  const tab = `.tab:has-text("icount ${formatIcount(written.icount)} ↔ icount ${formatIcount(atBreakpoint.icount)}")`;
  await ui.waitFor(tab, { timeoutMs: 15_000 });
  await ui.waitFor('.monaco-diff-editor .view-lines', { timeoutMs: 15_000 });
  // VS Code marks the lines that differ (deleted on the left, inserted on the right): registers, and origin's bytes.
  const changed = await waitUntil(async () => {
    const n = await ui.count('.monaco-diff-editor .line-insert, .monaco-diff-editor .char-insert');
    return n > 0 ? n : undefined;
  }, 15_000, 'changed lines marked in the diff editor');
  assert.ok(changed > 0);
  // What the right side shows at the top: the moment, what differs (origin's bytes among it), the locals, the memory.
  const text = (await ui.texts('.monaco-diff-editor .editor.modified .view-lines')).join('\n').replace(/\u00a0/g, ' ');
  assert.match(text, new RegExp(`Moment B: icount ${formatIcount(atBreakpoint.icount)} — work\\(\\) at prog\\.c:${guest.line('counter-increment')}`), text.slice(0, 300));
  assert.match(text, /Differs: [1-9]\d* of \d+ registers, \d+ of 2 locals, [1-9] of 8 bytes/, text.slice(0, 300));
  assert.match(text, /== Memory at 0x[0-9a-f]+ \(&origin\), 8 bytes ==/, text.slice(0, 600));
  assert.equal(requestsSince(compared, 'seek'), 0, 'the position stays');
  await screenshot('history-compare');

  // Next Write from the Watch view: `counter` typed in as a watch expression, right-clicked.
  const watchHeader = '.pane-header:has-text("Watch")';
  if (await ui.attribute(watchHeader, 'aria-expanded') === 'false') await ui.click(watchHeader);
  await ui.hover(watchHeader);
  await ui.click(`${watchHeader} .action-label[aria-label="Add Expression"]`);
  await ui.waitFor('.pane:has(.pane-header:has-text("Watch")) input');
  await ui.type('counter');
  await ui.press('Enter');
  const watchRow = '.pane:has(.pane-header:has-text("Watch")) .monaco-list-row:has-text("counter")';
  await ui.waitFor(watchRow);
  await ui.click(watchRow, { button: 'right' });
  // The menu ignores a click that comes as it opens (the right button's release): point at the entry first.
  const nextItem = '.monaco-menu .action-item:has-text("Next Write")';
  await ui.waitFor(nextItem);
  await ui.hover(nextItem);
  await ui.click(nextItem);
  const next = await stopAfter(session, compared);
  assert.equal(next.reason, 'data breakpoint');
  assert.ok(next.icount > written.icount, `forward: ${next.icount} > ${written.icount}`);
  const nextAnswer = await dap.waitFor((m) => m.direction === 'in' && m.message.type === 'response' && m.message.command === 'lastWrite',
    { since: compared, timeoutMs: 30_000, what: 'the lastWrite response of Next Write' });
  const nextRequest = dap.messages.slice(compared).find((m) => m.direction === 'out' && m.message.command === 'lastWrite');
  assert.deepEqual({ ...(nextRequest?.message.arguments as object), frameId: undefined }, { expression: 'counter', direction: 'forward', frameId: undefined });
  assert.equal((nextAnswer.message.body as LastWriteResult).line, guest.line('counter-increment'), 'counter++ writes it');
  await shownAt(next.icount, 'Next Write');
}, { timeoutMs: 240_000 });
