/**
 * The timeline and icount breakpoints as a person uses them, with the real mouse and keyboard (suite/driver.ts):
 * the axis keeps the keyboard after its own seeks, zoom and follow survive a window reload, and an icount
 * breakpoint behind the position can be added from the Command Palette (issue #18 items 4 and 5).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { formatIcount } from '../../../common/ui-icount';
import type { UiState } from '../../../src/ui/testHooks';
import { runFromPalette, TIMELINE_FRAMES, ui } from './driver';
import { activateExtension, ensureSampleRecording, executeCommand, screenshot, startSampleReplay, waitUntil } from './helpers';
import { reloadWindow, test } from './runner';

const inTimeline = { frames: TIMELINE_FRAMES };

const uiState = (): Promise<UiState> => executeCommand<UiState>('qemuReplay.test.getUiState');


/** The icount the status bar shows (what a person reads): "icount 1,234 / 16,341". */
async function statusIcount(): Promise<number | undefined> {
  const item = (await ui.texts('.statusbar-item')).find((t) => /icount [\d,]+ \//.test(t));
  const m = item && /icount ([\d,]+) \//.exec(item);
  return m ? Number(m[1].replaceAll(',', '')) : undefined;
}

async function statusIcountBecomes(accept: (icount: number) => boolean, what: string): Promise<number> {
  return (await waitUntil(async () => {
    const at = await statusIcount();
    return at !== undefined && accept(at) ? { at } : undefined;   // 0 is an answer too
  }, 20_000, what)).at;
}

async function axisHasKeyboard(when: string): Promise<void> {
  try {
    await waitUntil(() => ui.focused('.track', inTimeline), 10_000, `the axis to have the keyboard ${when}`);
  } catch (e) {
    throw new Error(`${String(e)}; the keyboard is at ${await ui.activeElement()}`);
  }
}

/** Shows the timeline (beside the stop's source, in a group of its own) and waits until it drew the session. */
async function showTimeline(): Promise<void> {
  await executeCommand('qemuReplay.showTimeline');
  await ui.click('.tab:has-text("Replay Timeline")');
  await ui.waitFor('.track', inTimeline);
}

test('the timeline keeps the keyboard after its own seeks: click, then arrows and Enter go on moving in time', async () => {
  await activateExtension();
  await ensureSampleRecording();
  const { end } = await startSampleReplay(uiState);
  await showTimeline();

  // A click at 30 % of the axis: the replay goes there, and the source of the stop opens beside.
  const box = await ui.box('.track svg', inTimeline);
  assert.ok(box && box.width > 100, `the axis is visible: ${JSON.stringify(box)}`);
  await ui.click('.track svg', { ...inTimeline, position: { x: box.width * 0.3, y: box.height * 0.7 } });
  const clicked = await statusIcountBecomes((at) => at > 0, 'the position to move after the click');
  assert.ok(Math.abs(clicked - end * 0.3) < end * 0.05, `clicked at 30 % of ${end}, went to ${clicked}`);
  await axisHasKeyboard('after the seek');
  const editor = vscode.window.activeTextEditor;
  const caret = editor?.selection.active;

  // → → → Enter: a later position, and the keys did not reach the editor.
  for (let i = 0; i < 3; i++) await ui.press('ArrowRight');
  if (editor && caret) assert.ok(editor.selection.active.isEqual(caret), 'the arrows moved the editor\'s caret');
  await ui.press('Enter');
  const keyed = await statusIcountBecomes((at) => at > clicked, 'Enter on the axis to go further');
  assert.ok(keyed - clicked < end * 0.1, `three steps of 1 % from ${clicked}: ${keyed}`);
  await axisHasKeyboard('after Enter');

  // And once more, backwards: Home, Enter goes to the start.
  await ui.press('Home');
  await ui.press('Enter');
  await statusIcountBecomes((at) => at === 0, 'Home, Enter to go to the start');
  await axisHasKeyboard('after the third seek');
}, { timeoutMs: 180_000 });

interface ZoomSaved { range: string; follow: boolean }

test('the timeline keeps its zoom and follow setting across a window reload', async () => {
  await activateExtension();
  await ensureSampleRecording();
  await startSampleReplay(uiState);
  await showTimeline();
  const full = (await ui.texts('.range', inTimeline))[0];
  await ui.click('button[aria-label="Zoom in (+)"]', inTimeline);
  await ui.click('button[aria-label="Zoom in (+)"]', inTimeline);
  await ui.click('#follow', inTimeline);
  const range = await waitUntil(async () => {
    const r = (await ui.texts('.range', inTimeline))[0];
    return r && r !== full ? r : undefined;
  }, 10_000, 'the zoomed range');
  assert.equal(await ui.checked('#follow', inTimeline), false, 'the click unchecked "Follow the position"');
  const saved: ZoomSaved = { range, follow: false };
  await screenshot('ui-timeline-before-reload');
  await reloadWindow(saved, () => vscode.commands.executeCommand('workbench.action.reloadWindow'));
}, {
  timeoutMs: 180_000,
  afterReload: async (saved) => {
    const { range } = saved as ZoomSaved;
    await activateExtension();
    // The reload ended the session; the panel is back (serializer) with no session, then the replay starts again.
    await ui.waitFor('.tab:has-text("Replay Timeline")', { timeoutMs: 30_000 });
    await startSampleReplay(uiState);
    await showTimeline();
    await waitUntil(async () => (await ui.texts('.range', inTimeline))[0] === range, 15_000,
      `the zoomed range "${range}" after the reload`);
    assert.equal(await ui.checked('#follow', inTimeline), false, 'follow is still off');
    await screenshot('ui-timeline-after-reload');
    // Back to the whole recording and following, as the next tests expect of this recording's timeline.
    await ui.click('button[aria-label="Show the whole recording (0)"]', inTimeline);
    await ui.click('#follow', inTimeline);
    await waitUntil(async () => (await ui.texts('.range', inTimeline))[0] !== range, 10_000, 'the whole recording again');
  },
});

test('Add Breakpoint at Instruction Count from the palette takes an icount behind the position; Reverse stops there', async () => {
  await activateExtension();
  await ensureSampleRecording();
  const { end } = await startSampleReplay(uiState);
  const ahead = Math.floor(end * 0.6);
  const behind = Math.floor(end * 0.2);
  await runFromPalette('QEMU Replay: Go to Instruction Count');
  await ui.waitFor('.quick-input-widget input');
  await ui.press('Control+a');
  await ui.type(String(ahead));
  await ui.press('Enter');
  await statusIcountBecomes((at) => at === ahead, `Go to ${ahead}`);

  await runFromPalette('QEMU Replay: Add Breakpoint at Instruction Count');
  await ui.waitFor('.quick-input-widget input');
  await ui.type(formatIcount(behind));
  // No complaint under the input while typing a value behind the position.
  assert.deepEqual((await ui.texts('.quick-input-message')).filter((t) => /before/.test(t)), []);
  await ui.press('Enter');
  await waitUntil(() => vscode.debug.breakpoints.some((b) => b instanceof vscode.FunctionBreakpoint && b.functionName === `icount:${behind}`),
    15_000, `the command to add icount:${behind}`);
  await ui.press('Control+Shift+D');   // Run and Debug, where the Breakpoints view is
  // After the window reload of the test before, the Breakpoints pane can come back collapsed: open it, as a person would.
  const header = '.pane-header:has-text("Breakpoints")';
  await ui.waitFor(header);
  if ((await ui.attribute(header, 'aria-expanded')) === 'false') await ui.click(header);
  await waitUntil(async () => (await ui.texts('.pane:has(.pane-header:has-text("Breakpoints")) .monaco-list-row'))
    .some((t) => t.includes(`icount:${behind}`)), 15_000, `icount:${behind} in the Breakpoints view`);

  // The debug toolbar's Reverse (Reverse Continue) button, clicked: back to exactly that icount.
  await ui.click('.debug-toolbar [aria-label="Reverse"]');
  await statusIcountBecomes((at) => at === behind, `Reverse Continue to stop at ${behind}`);
  await waitUntil(async () => (await ui.texts('.pane-header:has-text("Call Stack")'))[0]?.includes(`icount ${behind}`), 15_000,
    'the Call Stack header to name the breakpoint\'s icount');
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints.filter((b) => b instanceof vscode.FunctionBreakpoint));
}, { timeoutMs: 180_000 });
