/**
 * Helpers for tests that run inside the real VS Code (see test/vscode/run.mjs): the extension's API, the workspace,
 * debug sessions and their DAP traffic, commands, waiting, screenshots of the workbench.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { QemuReplayApi } from '../../../src/extension';
import { afterEach, beforeEach, onFailureReport, TimeoutError, withTimeout } from './runner';

export { withTimeout } from './runner';

export const EXTENSION_ID = 'qemu-replay.qemu-replay';
export const DEBUG_TYPE = 'qemu-replay';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it returns a truthy value (then returns it) or `timeoutMs` passes. */
export async function waitUntil<T>(condition: () => T | Promise<T>, timeoutMs: number, what: string,
  intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The next time `event` fires with a value that `filter` accepts. Subscribe before causing the event. */
export function nextEvent<T>(event: vscode.Event<T>, timeoutMs: number, what: string,
  filter: (value: T) => boolean = () => true): Promise<T> {
  let subscription: vscode.Disposable | undefined;
  const fired = new Promise<T>((resolve) => {
    subscription = event((value) => {
      if (filter(value)) resolve(value);
    });
  });
  return withTimeout(fired, timeoutMs, what).finally(() => {
    subscription?.dispose();
  });
}

/** Activates the extension (if it is not yet) and returns its API. */
export async function activateExtension(): Promise<QemuReplayApi> {
  const ext = vscode.extensions.getExtension<QemuReplayApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded: is extensionDevelopmentPath the repo?`);
  return withTimeout(ext.activate(), 20_000, `activation of ${EXTENSION_ID}`);
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder;
}

/** Absolute path of a file in the test workspace (a temporary copy of test/vscode/workspace). */
export function workspacePath(...parts: string[]): string {
  return path.join(workspaceFolder().uri.fsPath, ...parts);
}

/** Runs a command, failing after `timeoutMs` (a command waiting for a quick pick would hang the suite). */
export function executeCommand<T = unknown>(command: string, ...args: unknown[]): Promise<T> {
  return withTimeout(vscode.commands.executeCommand<T>(command, ...args), 15_000, `command ${command}`);
}

/**
 * Asks the harness to take a screenshot of the workbench as `test-results/screenshots/NAME.png` and waits until it
 * is written (the browser is outside the extension host; it listens to the console). Returns the file, or undefined
 * under scripts/test-electron.mjs, which has no browser to take it.
 */
export async function screenshot(name: string): Promise<string | undefined> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name "${name}": use letters, digits, ".", "_" and "-"`);
  const dir = process.env.QEMU_REPLAY_SCREENSHOTS;
  if (!dir) throw new Error('QEMU_REPLAY_SCREENSHOTS is not set: run the suite through test/vscode/run.mjs');
  if (dir === 'none') {   // scripts/test-electron.mjs: no browser to take it
    console.log(`screenshot ${name}: not taken (no harness browser)`);
    return undefined;
  }
  const file = path.join(dir, `${name}.png`);
  const before = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  console.log(`@@screenshot ${name}`);
  await waitUntil(() => (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > before, 15_000,
    `screenshot ${file}`);
  return file;
}

export interface DapMessage {
  sessionId: string;
  sessionName: string;
  /** `out`: client → adapter; `in`: adapter → client. */
  direction: 'in' | 'out';
  /** When the recorder saw it (Date.now()), for the failure transcript's timing. */
  at: number;
  message: { type: string; seq: number; command?: string; event?: string; body?: unknown; success?: boolean;
    message?: string; arguments?: unknown };
}

/**
 * Records the DAP traffic of every debug session, so tests can wait for an event or a response. Take a `mark()`
 * before the action, then wait for what comes after it: a message that arrived before the wait began is not missed.
 */
export class DapRecorder implements vscode.Disposable {
  readonly messages: DapMessage[] = [];
  private readonly added = new vscode.EventEmitter<DapMessage>();
  private readonly registration: vscode.Disposable;

  constructor(debugType = DEBUG_TYPE) {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory(debugType, {
      createDebugAdapterTracker: (session) => {
        const add = (direction: 'in' | 'out', message: unknown): void => {
          const m: DapMessage = { sessionId: session.id, sessionName: session.name, direction, at: Date.now(),
            message: message as DapMessage['message'] };
          this.messages.push(m);
          this.added.fire(m);
        };
        return { onDidSendMessage: (m: unknown) => add('in', m), onWillReceiveMessage: (m: unknown) => add('out', m) };
      },
    });
  }

  mark(): number {
    return this.messages.length;
  }

  /** The first message at or after `since` that `predicate` accepts. */
  async waitFor(predicate: (m: DapMessage) => boolean, options: { since: number; timeoutMs: number; what: string }):
  Promise<DapMessage> {
    const past = this.messages.slice(options.since).find(predicate);
    if (past) return past;
    return nextEvent(this.added.event, options.timeoutMs, options.what, predicate);
  }

  /** An event from the adapter (e.g. `stopped`), optionally of one session. */
  waitForEvent(event: string, options: { since: number; timeoutMs: number; sessionId?: string }): Promise<DapMessage> {
    return this.waitFor((m) => m.direction === 'in' && m.message.type === 'event' && m.message.event === event
      && (!options.sessionId || m.sessionId === options.sessionId),
    { ...options, what: `DAP event "${event}"` });
  }

  /** The last `count` messages, one line each, for a failure report. */
  transcript(count = 60): string {
    const shown = this.messages.slice(-count);
    return shown.map((m) => {
      const text = JSON.stringify(m.message);
      const at = `+${String(m.at - shown[0].at).padStart(6)} ms`;
      return `  ${at} [${m.sessionName}] ${m.direction === 'out' ? '→' : '←'} ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
    }).join('\n');
  }

  clear(): void {
    this.messages.length = 0;
  }

  dispose(): void {
    this.registration.dispose();
    this.added.dispose();
  }
}

/** One recorder for the whole suite: cleared before each test, its transcript printed when a test fails. */
export const dap = new DapRecorder();
beforeEach(() => dap.clear());
onFailureReport(() => (dap.messages.length ? `DAP transcript (last messages):\n${dap.transcript()}` : undefined));

/** Starts a debug session from launch.json (by name) or from a configuration, and returns it once it started. */
export async function startDebugging(config: string | vscode.DebugConfiguration, timeoutMs = 30_000):
Promise<vscode.DebugSession> {
  const name = typeof config === 'string' ? config : config.name;
  // A configuration's name may change while the extension resolves it: then match the first session of its type.
  const started = nextEvent(vscode.debug.onDidStartDebugSession, timeoutMs, `start of debug session "${name}"`,
    (s) => (typeof config === 'string' ? s.name === config : s.type === config.type && !s.parentSession));
  started.catch(() => undefined);   // awaited below; this only keeps an early throw from leaving it unhandled
  const ok = await withTimeout(vscode.debug.startDebugging(workspaceFolder(), config), timeoutMs,
    `vscode.debug.startDebugging("${name}")`);
  if (!ok) {
    throw new Error(`vscode.debug.startDebugging("${name}") returned false: the session did not start`);
  }
  return started;
}

/** Resolves when `session` has ended. */
export function sessionEnded(session: vscode.DebugSession, timeoutMs: number): Promise<vscode.DebugSession> {
  return nextEvent(vscode.debug.onDidTerminateDebugSession, timeoutMs, `end of debug session "${session.name}"`,
    (s) => s.id === session.id);
}

/** Stops every debug session and waits until none is left. */
export async function stopAllSessions(): Promise<void> {
  if (!vscode.debug.activeDebugSession) return;
  await withTimeout(vscode.debug.stopDebugging(), 10_000, 'vscode.debug.stopDebugging()');
  await waitUntil(() => !vscode.debug.activeDebugSession, 10_000, 'all debug sessions to end');
}

afterEach(stopAllSessions);
// No breakpoint outlives its test, even one that failed before its own clean-up (it would stop the next test's runs).
afterEach(() => { if (vscode.debug.breakpoints.length) vscode.debug.removeBreakpoints(vscode.debug.breakpoints); });

/** The sample guest's recording of the workspace's "QEMU Replay: Record" configuration, made once if missing. */
export async function ensureSampleRecording(): Promise<void> {
  if (fs.existsSync(workspacePath('.recordings', 'run1', 'recording.json'))) return;
  await sessionEnded(await startDebugging('QEMU Replay: Record', 60_000), 90_000);
}

/**
 * The "QEMU Replay: Replay" session, stopped on entry, once the UI knows its state (read with `uiState`, the test
 * hook) and the stop's source has opened (with the keyboard focus: what a person sees before acting).
 */
export async function startSampleReplay(uiState: () => Promise<{ active?: { state?: unknown } }>): Promise<{ session: vscode.DebugSession; end: number }> {
  const mark = dap.mark();
  const session = await startDebugging('QEMU Replay: Replay', 60_000);
  await dap.waitForEvent('stopped', { since: mark, timeoutMs: 60_000, sessionId: session.id });
  const end = await waitUntil(async () => {
    const st = (await uiState()).active?.state as { mode: string; running: boolean; endIcount?: number } | undefined;
    return st?.mode === 'play' && !st.running ? st.endIcount : undefined;
  }, 20_000, 'the replay state in the UI');
  await waitUntil(() => vscode.window.activeTextEditor, 15_000, 'the stop\'s source in an editor');
  return { session, end };
}
