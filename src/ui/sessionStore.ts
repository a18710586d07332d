/**
 * Per-session replay state for every view: fed by the adapter's custom events (`replayState`, `snapshotsChanged`),
 * by the DAP traffic the tracker sees (stop reasons, thread ids, the adapter's end), and by explicit refreshes.
 * Views read the model of the active session and re-render on `onDidChange`; none of them talks to the adapter for
 * reading, so a view refresh never sends gdb a packet while QEMU runs.
 */
import * as vscode from 'vscode';
import type { CustomEvents, ReplayState, SnapshotInfo } from '../../common/protocol';
import type { TimelineStop } from '../../common/ui-messages';
import { showError } from './notify';
import { DEBUG_TYPE, customRequest } from './session';

/** Keep the trail of stops bounded: a long session stops thousands of times. */
const MAX_STOPS = 500;

export interface SessionModel {
  readonly session: vscode.DebugSession;
  state?: ReplayState;
  snapshots: SnapshotInfo[];
  /** Where this session stopped, oldest first. */
  stops: TimelineStop[];
  /** The thread of the last `stopped` event (fallback for reverse steps when no stack item is selected). */
  lastThreadId?: number;
  /** The adapter said goodbye (`terminated`/`exited` event) or the user asked it to (`disconnect`). */
  endedNormally: boolean;
  /** Set when the adapter process ended abnormally. */
  failure?: string;
  /** The snapshot list came in (event or request); until then the first stop asks for it. */
  snapshotsKnown: boolean;
}

/** Why the last qemu-replay session of this window ended, for the timeline's empty state. */
export interface LastEnd {
  sessionId: string;
  name: string;
  failure?: string;
}

export class ReplayStore implements vscode.Disposable {
  private readonly models = new Map<string, SessionModel>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private activeId: string | undefined;
  /** Models of sessions that just ended, for the adapter's exit status that may come after the end. */
  private readonly recentlyEnded = new Map<string, SessionModel>();
  lastEnd: LastEnd | undefined;
  /** Fires after any change to a model or to which session is active. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.disposables.push(
      vscode.debug.onDidStartDebugSession((s) => this.track(s)),
      vscode.debug.onDidChangeActiveDebugSession((s) => this.setActive(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.ended(s)),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.customEvent(e)),
    );
    // Activated in the middle of a session (e.g. by a command): pick it up and ask for its state.
    const active = vscode.debug.activeDebugSession;
    if (active?.type === DEBUG_TYPE) {
      const model = this.track(active);
      this.setActive(active);
      void this.refresh(model).catch(() => undefined);
    }
  }

  get active(): SessionModel | undefined {
    return this.activeId === undefined ? undefined : this.models.get(this.activeId);
  }

  get(sessionId: string): SessionModel | undefined {
    return this.models.get(sessionId);
  }

  /** Asks the adapter for its state and snapshots (the Refresh action; activation mid-session). */
  async refresh(model: SessionModel): Promise<void> {
    const [state, list] = await Promise.all([
      customRequest(model.session, 'replayInfo', {}),
      customRequest(model.session, 'listSnapshots', {}),
    ]);
    if (!this.models.has(model.session.id)) return;   // ended meanwhile
    model.state = state;
    model.snapshots = list.snapshots;
    model.snapshotsKnown = true;
    this.changed.fire();
  }

  /**
   * The adapter sends `snapshotsChanged` when the list changes, not at the start: ask once, at the first stop
   * (asking while the guest runs would make the adapter talk to QEMU mid-run).
   */
  private loadSnapshots(model: SessionModel): void {
    model.snapshotsKnown = true;
    customRequest(model.session, 'listSnapshots', {}).then((list) => {
      if (!this.models.has(model.session.id)) return;
      model.snapshots = list.snapshots;
      this.changed.fire();
    }, () => { model.snapshotsKnown = false; });   // e.g. still starting: the next stop asks again
  }

  /** Called by the tracker for every stop, with the icount it paired it with (see tracker.ts). */
  stopped(sessionId: string, stop: TimelineStop, threadId: number | undefined): void {
    const model = this.models.get(sessionId);
    if (!model) return;
    if (threadId !== undefined) model.lastThreadId = threadId;
    this.addStop(model, stop);
    this.changed.fire();
  }

  /** Called by the tracker when the adapter ends its session itself or is asked to. */
  endedNormally(sessionId: string): void {
    const model = this.models.get(sessionId);
    if (model) model.endedNormally = true;
  }

  /**
   * Called by the tracker when the adapter process fails or exits; `ended` decides whether it was a crash. The exit
   * (code or signal) says more than the pipe error that usually comes first, so it replaces it.
   */
  adapterFailed(sessionId: string, failure: string, exited = false): void {
    const model = this.models.get(sessionId) ?? this.recentlyEnded.get(sessionId);
    if (!model || model.endedNormally) return;
    if (exited) model.failure = failure;
    else model.failure ??= failure;
  }

  private track(session: vscode.DebugSession): SessionModel {
    let model = this.models.get(session.id);
    if (!model && session.type === DEBUG_TYPE) {
      model = { session, snapshots: [], stops: [], endedNormally: false, snapshotsKnown: false };
      this.models.set(session.id, model);
      if (vscode.debug.activeDebugSession?.id === session.id) this.activeId = session.id;
      this.changed.fire();
    }
    return model ?? { session, snapshots: [], stops: [], endedNormally: false, snapshotsKnown: false };
  }

  private setActive(session: vscode.DebugSession | undefined): void {
    if (session?.type === DEBUG_TYPE) this.track(session);
    const id = session?.type === DEBUG_TYPE ? session.id : undefined;
    if (id === this.activeId) return;
    this.activeId = id;
    this.changed.fire();
  }

  private ended(session: vscode.DebugSession): void {
    const model = this.models.get(session.id);
    if (!model) return;
    this.models.delete(session.id);
    this.recentlyEnded.set(session.id, model);
    setTimeout(() => this.recentlyEnded.delete(session.id), 5000);
    if (this.activeId === session.id) this.activeId = undefined;
    // A session that ends without the adapter's `terminated` and without a `disconnect` request lost its adapter.
    const failure = (): string | undefined =>
      model.failure ?? (model.endedNormally ? undefined : 'the debug adapter ended without closing the session');
    this.lastEnd = { sessionId: session.id, name: session.name, failure: failure() };
    this.changed.fire();   // the views clear now
    if (!this.lastEnd.failure) return;
    // The adapter's exit status (which says "killed" or the exit code) arrives just after the broken pipe: wait a
    // moment for it before telling the user.
    setTimeout(() => {
      const why = failure();
      if (this.lastEnd?.sessionId === session.id) {
        this.lastEnd = { ...this.lastEnd, failure: why };
        this.changed.fire();
      }
      showError(`QEMU Replay: "${session.name}" stopped unexpectedly: ${why}. `
        + 'The replay views were cleared. Check the Debug Console for its last messages, then start the session again.');
    }, 500);
  }

  private customEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== DEBUG_TYPE) return;
    const model = this.track(e.session);
    if (e.event === 'replayState') {
      const state = e.body as CustomEvents['replayState'];
      model.state = state;
      // Not while recording: the recording's end also reports running=false, and its snapshots arrive as events.
      if (!state.running && state.mode === 'play' && !model.snapshotsKnown) this.loadSnapshots(model);
    } else if (e.event === 'snapshotsChanged') {
      model.snapshots = (e.body as CustomEvents['snapshotsChanged']).snapshots;
      model.snapshotsKnown = true;
    } else {
      return;
    }
    this.changed.fire();
  }

  private addStop(model: SessionModel, stop: TimelineStop): void {
    const last = model.stops[model.stops.length - 1];
    if (last && last.icount === stop.icount && last.reason === stop.reason) return;
    model.stops.push(stop);
    if (model.stops.length > MAX_STOPS) model.stops.splice(0, model.stops.length - MAX_STOPS);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
