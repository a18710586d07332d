/**
 * Test-only commands, registered only when VS Code runs the extension's tests (or QEMU_REPLAY_TEST_HOOKS=1): they
 * let the real-VS-Code suite read what the views show (tree rows, status bar text, what the webview drew) instead
 * of trusting the model alone.
 */
import * as vscode from 'vscode';
import { TestCommand } from '../contributions';
import { shownErrors } from './notify';
import type { SlowOperations } from './progress';
import { HistoryStore } from './historyStore';
import type { HistoryRowSnapshot, HistoryView } from './historyView';
import type { ReplayStore } from './sessionStore';
import type { SnapshotsView } from './snapshotsView';
import type { ReplayStatusBar } from './statusBar';
import type { TimelinePanel } from './timelinePanel';

interface Parts {
  store: ReplayStore;
  view: SnapshotsView;
  statusBar: ReplayStatusBar;
  timeline: TimelinePanel;
  slow: SlowOperations;
  history: HistoryStore;
  historyView: HistoryView;
}

/** The UI as shown, as plain JSON. */
export interface UiState {
  active?: { sessionId: string; name: string; state?: unknown; snapshotNames: string[]; stops: unknown[]; lastThreadId?: number };
  snapshotRows: { name: string; description: string; current: boolean; atPosition: boolean }[];
  statusBar: { visible: boolean; text: string; tooltip: string };
  timeline: { open: boolean; visible: boolean; sent?: unknown; rendered?: unknown };
  /** The Recording History view: its top rows as shown, and what the store holds. */
  history: {
    visible: boolean;
    rows: HistoryRowSnapshot[];
    sections: { breakpointId: number; name: string; running: boolean; complete: boolean; error?: string; icounts: number[]; messages: string[] }[];
    output: { state: string; lines: { icount: number; text: string }[]; error?: string };
  };
  progressShown: string[];
  errors: string[];
  lastEnd?: unknown;
}

export function registerTestHooks(context: vscode.ExtensionContext, parts: Parts): void {
  // What a click, a drag or a key in the timeline posts, without a browser: false when the guard rejects it.
  context.subscriptions.push(vscode.commands.registerCommand(TestCommand.postFromTimeline,
    (message: unknown) => parts.timeline.receiveForTest(message)),
  vscode.commands.registerCommand(TestCommand.setProgressDelay, (ms: unknown) => {
    if (typeof ms === 'number') parts.slow.showAfterMs = ms;
  }));
  context.subscriptions.push(vscode.commands.registerCommand(TestCommand.getUiState, (): UiState => {
    const model = parts.store.active;
    return JSON.parse(JSON.stringify({
      active: model && {
        sessionId: model.session.id, name: model.session.name, state: model.state,
        snapshotNames: model.snapshots.map((s) => s.name), stops: model.stops, lastThreadId: model.lastThreadId,
      },
      snapshotRows: parts.view.currentRows.map((r) => ({ name: r.name, description: r.description, current: r.current, atPosition: r.atPosition })),
      statusBar: parts.statusBar.snapshot,
      timeline: { open: parts.timeline.isOpen, visible: parts.timeline.isVisible, sent: parts.timeline.lastSent, rendered: parts.timeline.lastRendered },
      history: historyState(parts),
      progressShown: [...parts.slow.shown],
      errors: [...shownErrors],
      lastEnd: parts.store.lastEnd,
    })) as UiState;
  }));
}

function historyState(parts: Parts): UiState['history'] {
  const h = parts.history.active;
  return {
    visible: parts.historyView.visible,
    rows: parts.historyView.rows,
    sections: HistoryStore.sections(h).map((s) => ({
      breakpointId: s.breakpointId, name: s.name, running: s.running, complete: s.complete, error: s.error,
      icounts: s.hits.map((x) => x.icount), messages: s.hits.flatMap((x) => (x.message === undefined ? [] : [x.message])),
    })),
    output: { state: h?.output.state ?? 'unknown', lines: h?.output.lines ?? [], error: h?.output.error },
  };
}
