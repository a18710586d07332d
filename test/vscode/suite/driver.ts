/**
 * Real mouse and keyboard input, and what a person sees, for tests inside the extension host: the browser that shows
 * the workbench is outside it (test/vscode/run.mjs holds it through playwright-core), so each call is logged as
 * `@@drive {json}` and the harness answers into a file the call waits for.
 *
 * Selectors are playwright selectors on the workbench page (CSS, `text=…`, `:has-text()`, `>> nth=0`). `frames`
 * selects nested iframes first (a webview's content: `TIMELINE_FRAMES`).
 *
 *   await ui.press('F1'); await ui.type('>Go to Instruction Count'); await ui.press('Enter');
 *   await ui.click('.debug-toolbar .codicon-debug-reverse-continue');
 *   const [header] = await ui.texts('.debug-call-stack .state.label');
 *
 * Under scripts/test-electron.mjs (no harness browser) every call throws: the tests that need a person's input
 * cannot run there and say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TimeoutError } from './runner';

/** The visible webview's document (the timeline's: the only webview the extension has): VS Code's outer webview
 * iframe, then its active content frame. A webview has no iframe while its tab is hidden: click the tab first. */
export const TIMELINE_FRAMES = ['iframe.webview.ready', 'iframe#active-frame'];

export interface Target {
  /** iframes to enter first, outermost first. */
  frames?: string[];
}
export interface ClickOptions extends Target {
  button?: 'left' | 'right' | 'middle';
  clickCount?: number;
  modifiers?: ('Alt' | 'Control' | 'Meta' | 'Shift')[];
  /** Relative to the element's top-left corner (default: its centre). */
  position?: { x: number; y: number };
  timeoutMs?: number;
}
export interface Box { x: number; y: number; width: number; height: number }

type Op = { op: string } & Record<string, unknown>;

let seq = 0;

async function call<T>(op: Op, timeoutMs = 20_000): Promise<T> {
  const dir = process.env.QEMU_REPLAY_DRIVER;
  if (!dir || dir === 'none') {
    throw new Error(`ui.${op.op}: no browser drives this VS Code (run the suite through test/vscode/run.mjs)`);
  }
  const id = `${process.pid}-${++seq}`;
  const file = path.join(dir, `${id}.json`);
  console.log(`@@drive ${JSON.stringify({ ...op, id, timeoutMs })}`);
  const deadline = Date.now() + timeoutMs + 5_000;
  for (;;) {
    let text: string | undefined;
    try { text = fs.readFileSync(file, 'utf8'); } catch { /* not yet */ }
    if (text) {
      fs.rmSync(file, { force: true });
      const r = JSON.parse(text) as { value?: T; error?: string };
      if (r.error !== undefined) throw new Error(`ui.${op.op}(${JSON.stringify({ ...op, op: undefined })}): ${r.error}`);
      return r.value as T;
    }
    if (Date.now() > deadline) throw new TimeoutError(`ui.${op.op}: the harness did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

export const ui = {
  /** Clicks the first visible match with the real mouse (moves, presses, releases). Waits until it is visible. */
  click: (selector: string, o: ClickOptions = {}): Promise<void> => call({ op: 'click', selector, ...o }, o.timeoutMs),
  /** Moves the mouse over the first match. */
  hover: (selector: string, o: Target = {}): Promise<void> => call({ op: 'hover', selector, ...o }),
  /** Presses a key or chord on the keyboard: 'Enter', 'ArrowRight', 'Control+Shift+P', 'F5'. */
  press: (key: string): Promise<void> => call({ op: 'press', key }),
  /** Types text key by key into whatever has focus. */
  type: (text: string): Promise<void> => call({ op: 'type', text }),
  /** Mouse at page coordinates: move, down, up, or wheel (deltaY). */
  mouse: (action: 'move' | 'down' | 'up' | 'wheel', x: number, y: number, deltaY = 0): Promise<void> =>
    call({ op: 'mouse', action, x, y, deltaY }),
  /** The visible text of every match (innerText), in document order; [] when none. */
  texts: (selector: string, o: Target = {}): Promise<string[]> => call({ op: 'texts', selector, ...o }),
  /** How many elements match (visible or not). */
  count: (selector: string, o: Target = {}): Promise<number> => call({ op: 'count', selector, ...o }),
  /** The first match's box in page coordinates (for a webview: inside its frame), or null when none is visible. */
  box: (selector: string, o: Target = {}): Promise<Box | null> => call({ op: 'box', selector, ...o }),
  /** The first match's outer HTML (to see what a failing selector should have been), or null. */
  html: (selector: string, o: Target = {}): Promise<string | null> => call({ op: 'html', selector, ...o }),
  /** The value of the first match (an input), or null when none. */
  value: (selector: string, o: Target = {}): Promise<string | null> => call({ op: 'value', selector, ...o }),
  /** What has the keyboard: the page's focused element (tag, class, aria-label) and whether the page has focus. */
  activeElement: (): Promise<string> => call({ op: 'activeElement' }),
  /** Whether the first match (a checkbox) is checked. */
  checked: (selector: string, o: Target = {}): Promise<boolean> => call({ op: 'checked', selector, ...o }),
  /** An attribute of the first match, or null. */
  attribute: (selector: string, name: string, o: Target = {}): Promise<string | null> =>
    call({ op: 'attribute', selector, name, ...o }),
  /** Whether the first match (or, with `within`, something inside it) has keyboard focus. */
  focused: (selector: string, o: Target = {}): Promise<boolean> => call({ op: 'focused', selector, ...o }),
  /** Waits until a match is in `state` (default visible). */
  waitFor: (selector: string, o: Target & { state?: 'visible' | 'hidden' | 'attached' | 'detached'; timeoutMs?: number } = {}):
    Promise<void> => call({ op: 'waitFor', selector, ...o }, o.timeoutMs),
};

/** Runs a command from the Command Palette as a person does: F1, its title, Enter. */
export async function runFromPalette(title: string): Promise<void> {
  // A stop's source takes the keyboard a moment after the stop (twice: when it opens and when the frame is revealed),
  // and the palette closes when it loses focus, as it does for a person: then open it again.
  for (let attempt = 1; ; attempt++) {
    await ui.press('Control+Shift+P');   // opens the palette with ">" typed
    try {
      await ui.waitFor('.quick-input-widget input', { timeoutMs: 5_000 });
    } catch (e) {
      if (attempt === 3) throw new Error(`Ctrl+Shift+P did not open the Command Palette (${await ui.activeElement()}): ${String(e)}`);
      continue;
    }
    await ui.type(title);
    if (await ui.value('.quick-input-widget input') === `>${title}`) break;
    if (attempt === 3) {
      throw new Error(`the Command Palette did not keep the keyboard while "${title}" was typed (${await ui.activeElement()})`);
    }
    await ui.press('Escape');
  }
  await ui.waitFor(`.quick-input-list .monaco-list-row:has-text(${JSON.stringify(title)})`);
  await ui.press('Enter');
}
