/**
 * The replay timeline: a webview panel (one per window) that shows the active session's recording as a time axis.
 * It follows VS Code's webview rules: a strict CSP with a per-load nonce, resources only from media/ and
 * dist/media/, typed messages (common/ui-messages.ts), state sent only after the webview says `ready`, and a
 * serializer so a reopened window restores the panel with its zoom.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  isWebviewToExtension, type ExtensionToWebview, type TimelineRendered, type TimelineState, type WebviewToExtension,
} from '../../common/ui-messages';
import { BuiltinCommand, Command, TIMELINE_VIEW_TYPE } from '../contributions';
import type { ReplayCommands } from './commands';
import { HistoryStore, type SessionHistory } from './historyStore';
import type { ReplayStore, SessionModel } from './sessionStore';

export { TIMELINE_VIEW_TYPE };
/**
 * How long after VS Code focused the stop's frame a focus loss still counts as its editor opening: the editor reads
 * the source first, which took over 1 s on a loaded CI machine (a focus loss after 1 s was missed there).
 */
const FOCUS_BACK_MS = 3_000;
/** The longest wait for VS Code to focus the stop's frame after a seek (it may not: the same frame, no session). */
const FOCUS_FRAME_MS = 3_000;

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the webview last reported it drew (test hook). */
  lastRendered: TimelineRendered | undefined;
  /** What was last sent to the webview (test hook). */
  lastSent: TimelineState | undefined;
  /**
   * Until when a focus loss is taken back: the stop after a seek asked for from the focused timeline opens its source
   * with the focus (debug.focusEditorOnBreak), and the next key the user presses on the axis would go to the editor.
   */
  private keepFocusUntil = 0;
  private focusAxisPending = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ReplayStore,
    private readonly commands: ReplayCommands,
    private readonly history?: HistoryStore,
  ) {
    this.disposables.push(
      store.onDidChange(() => this.post()),
      ...(history ? [history.onDidChange(() => this.post())] : []),
      vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
        deserializeWebviewPanel: (panel) => {
          // The webview restores its zoom from its own saved state (getState); the session is whatever is active now.
          this.adopt(panel);
          return Promise.resolve();
        },
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  get isVisible(): boolean {
    return this.panel?.visible ?? false;
  }

  async show(): Promise<void> {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return;
    }
    // Beside the source, in a group of its own even when no editor is open yet (the next stop opens one).
    const column = vscode.window.tabGroups.activeTabGroup.tabs.length ? vscode.ViewColumn.Beside : vscode.ViewColumn.Two;
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'Replay Timeline',
      { viewColumn: column, preserveFocus: false }, this.options());
    this.adopt(panel);
    await lockOwnGroup(panel);
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      // The panel is cheap to rebuild from the store: no retainContextWhenHidden (it costs memory while hidden).
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'media'), vscode.Uri.joinPath(this.extensionUri, 'dist', 'media'),
      ],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline-icon.svg');
    panel.webview.html = this.html(panel.webview);
    const subscriptions = [
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (isWebviewToExtension(m)) void this.receive(m);
      }),
      panel.onDidChangeViewState(() => {
        this.post();
        this.takeFocusBack(panel);
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.lastRendered = undefined;
      }
    });
  }

  /** Test hook: handle a message as if the webview had posted it (the same guard applies). */
  async receiveForTest(m: unknown): Promise<boolean> {
    if (!isWebviewToExtension(m)) return false;
    await this.receive(m);
    return true;
  }

  private async receive(m: WebviewToExtension): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        return;
      case 'rendered':
        this.lastRendered = m.rendered;
        return;
      case 'seek':
        await this.keepingFocus(m.keepFocus, () => vscode.commands.executeCommand(Command.goToIcount, m.icount));
        return;
      case 'gotoSnapshot':
        await this.keepingFocus(m.keepFocus, () => vscode.commands.executeCommand(Command.goToSnapshot, m.name));
        return;
      case 'toggleBreakpoint':
        this.commands.toggleIcountBreakpoint(m.icount);
        return;
      case 'startDebugging':
        await vscode.commands.executeCommand(BuiltinCommand.showDebugView);
        return;
    }
  }

  /**
   * Runs the timeline's seek; when it came from the focused axis (the webview says so: VS Code may report the click
   * that focused the panel after the message it caused), a focus loss until the stop is shown is taken back.
   */
  private async keepingFocus(wanted: boolean | undefined, seek: () => Thenable<unknown>): Promise<void> {
    if (!wanted) {
      await seek();
      return;
    }
    this.keepFocusUntil = Number.POSITIVE_INFINITY;
    // VS Code focuses the stop's top frame (then opens its source, with the keyboard) after the `stopped` event,
    // which comes before the seek's answer: the window closes shortly after that, or after a bound if it never does.
    let subscription: vscode.Disposable | undefined;
    let timer: NodeJS.Timeout | undefined;
    const frameFocused = new Promise<void>((resolve) => {
      subscription = vscode.debug.onDidChangeActiveStackItem((item) => {
        if (item instanceof vscode.DebugStackFrame) resolve();   // not the thread a `continued` leaves focused
      });
      timer = setTimeout(resolve, FOCUS_FRAME_MS);
    });
    try {
      await seek();
      await frameFocused;
    } finally {
      subscription?.dispose();
      clearTimeout(timer);
      this.keepFocusUntil = Math.min(this.keepFocusUntil, Date.now() + FOCUS_BACK_MS);
    }
  }

  /**
   * A focus loss during the timeline's own seek or just after it is the stop's editor (VS Code focuses it once when
   * it opens and once more when it reveals the frame): take it back each time within the window.
   */
  private takeFocusBack(panel: vscode.WebviewPanel): void {
    if (panel.active || Date.now() > this.keepFocusUntil || this.panel !== panel) return;
    panel.reveal(panel.viewColumn, false);
    // A webview that was hidden meanwhile reloads (no retainContextWhenHidden): it gets this once it is ready.
    this.focusAxisPending = true;
    this.post();
  }

  /** Sends the active session's state; a webview that has not said `ready` yet would drop it. */
  private post(): void {
    if (!this.panel || !this.ready) return;
    const state = timelineState(this.store.active, this.store.lastEnd?.failure, this.history?.active);
    this.lastSent = state;
    const message: ExtensionToWebview = { type: 'state', state };
    void this.panel.webview.postMessage(message);
    if (this.focusAxisPending) {
      this.focusAxisPending = false;
      const focus: ExtensionToWebview = { type: 'focusAxis' };
      void this.panel.webview.postMessage(focus);
    }
  }

  private html(webview: vscode.Webview): string {
    // A fresh unguessable nonce per load: only our own script runs, even if a snapshot name contained markup.
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'media', 'timeline.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline.css'));
    const csp = [
      "default-src 'none'", `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Replay Timeline</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Loading the replay timeline…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Every stop opens its source in the active editor group: once the user clicked the timeline that is the timeline's
 * group, and the source would cover the timeline at the very moment it should show the new position. A locked group
 * gets no new editors, so lock the timeline's group when the timeline is alone in it (never a group of the user's).
 */
async function lockOwnGroup(panel: vscode.WebviewPanel): Promise<void> {
  const ownGroup = (): vscode.TabGroup | undefined => vscode.window.tabGroups.all.find((g) => g.tabs.some(
    (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(TIMELINE_VIEW_TYPE)));
  // The new panel shows up in tabGroups (and becomes active) a moment after createWebviewPanel returns.
  for (let i = 0; i < 40 && !(panel.active && ownGroup()); i++) await new Promise((r) => setTimeout(r, 50));
  const own = ownGroup();
  if (!panel.active || vscode.window.tabGroups.all.length < 2 || !own?.isActive || own.tabs.length !== 1) return;
  await vscode.commands.executeCommand(BuiltinCommand.lockEditorGroup);
}

/** The webview's whole input for the active session, or the empty state saying how to get one. */
export function timelineState(model: SessionModel | undefined, lastFailure: string | undefined, history?: SessionHistory): TimelineState {
  if (!model) {
    return lastFailure
      ? { kind: 'empty', reason: 'ended', detail: lastFailure }
      : { kind: 'empty', reason: 'no-session' };
  }
  const state = model.state;
  if (!state) return { kind: 'empty', reason: 'not-replay-session', detail: 'waiting for the session to report its position' };
  return {
    kind: 'session',
    session: {
      id: model.session.id,
      name: model.session.name,
      mode: state.mode,
      icount: state.icount,
      endIcount: state.endIcount,
      recording: state.recording,
      running: state.running,
      snapshots: model.snapshots.map((s) => ({ name: s.name, icount: s.icount, kind: s.kind, vmStateSize: s.vmStateSize, date: s.date })),
      icountBreakpoints: [...state.icountBreakpoints],
      stops: [...model.stops],
      hits: history && history.sessionId === model.session.id ? knownHits(history) : [],
    },
  };
}

/** Every known hit of the session's history, ascending, one per icount (sections may share icounts). */
function knownHits(history: SessionHistory): number[] {
  const sections = HistoryStore.sections(history);
  if (sections.length === 1) return sections[0].hits.map((h) => h.icount);
  const all = new Set<number>();
  for (const s of sections) for (const h of s.hits) all.add(h.icount);
  return [...all].sort((a, b) => a - b);
}
