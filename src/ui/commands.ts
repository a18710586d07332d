/**
 * The replay commands (palette, snapshots view, debug toolbar, status bar). Every command takes an optional
 * argument instead of asking (an icount, a snapshot name or row) so keybindings, other extensions and the tests can
 * drive it; the same validation applies either way and nothing is sent when it fails.
 */
import * as vscode from 'vscode';
import type { ReplayState, SnapshotInfo } from '../../common/protocol';
import { formatIcount } from '../../common/ui-icount';
import { snapshotNameProblem, type SnapshotRow } from '../../common/ui-snapshots';
import { askIcount } from './input';
import { showError } from './notify';
import { NO_SESSION, RECORDING_SESSION, UserError, customRequest, errorText } from './session';
import type { ReplayStore, SessionModel } from './sessionStore';

export const ICOUNT_BREAKPOINT_PREFIX = 'icount:';

/** Runs a command body and turns failures into messages: UserErrors as they are, adapter errors with context. */
export function guarded<A extends unknown[], R>(what: string, body: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R | undefined> => {
    try {
      return await body(...args);
    } catch (e) {
      const text = errorText(e);
      showError(e instanceof UserError ? text : `QEMU Replay: ${what} failed: ${text}`);
      return undefined;
    }
  };
}

export class ReplayCommands {
  constructor(private readonly store: ReplayStore) {}

  /** The active qemu-replay session, in replay mode when `needPlay`; throws the message the user should see. */
  async target(needPlay: boolean): Promise<SessionModel & { state: ReplayState }> {
    const model = this.store.active;
    if (!model) throw new UserError(NO_SESSION);
    if (!model.state) await this.store.refresh(model);
    const state = model.state;
    if (!state) throw new UserError('The replay session has not reported its position yet: try again when it has stopped.');
    if (needPlay && state.mode !== 'play') throw new UserError(RECORDING_SESSION);
    return Object.assign(model, { state });
  }

  async goToIcount(arg?: unknown): Promise<ReplayState | undefined> {
    const { session, state } = await this.target(true);
    const icount = await askIcount(arg, { current: state.icount, min: 0, max: state.endIcount }, {
      title: 'Go to Instruction Count', prompt: 'Instruction count to go to', value: formatIcount(state.icount),
    });
    if (icount === undefined) return undefined;
    return await customRequest(session, 'seek', { icount });
  }

  async goTo(to: 'start' | 'end'): Promise<ReplayState> {
    const { session } = await this.target(true);
    return await customRequest(session, 'seek', { to });
  }

  /**
   * Icount breakpoints are function breakpoints named `icount:N` (the adapter's convention): they show, toggle and
   * go away in VS Code's Breakpoints view like any other, and VS Code sends them to every qemu-replay session.
   */
  async addIcountBreakpoint(arg?: unknown): Promise<number | undefined> {
    const { state } = await this.target(true);
    // Anywhere in the recording: one ahead is for Continue, one behind for Reverse Continue (as the timeline's B key).
    const icount = await askIcount(arg, { current: state.icount, min: 0, max: state.endIcount }, {
      title: 'Add Breakpoint at Instruction Count',
      prompt: 'Stop when the replay reaches this instruction count, going forwards (Continue) or backwards (Reverse Continue)',
    });
    if (icount === undefined) return undefined;
    const existing = icountBreakpoints().find((b) => b.icount === icount);
    if (existing) {
      if (!existing.breakpoint.enabled) {
        // Re-adding a disabled one enables it: replace it, the API has no "enable".
        vscode.debug.removeBreakpoints([existing.breakpoint]);
        vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(`${ICOUNT_BREAKPOINT_PREFIX}${icount}`, true)]);
      }
      return icount;
    }
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(`${ICOUNT_BREAKPOINT_PREFIX}${icount}`, true)]);
    return icount;
  }

  /** Adds the icount breakpoint, or removes it when one is there (the timeline's `b` key). */
  toggleIcountBreakpoint(icount: number): void {
    const existing = icountBreakpoints().filter((b) => b.icount === icount).map((b) => b.breakpoint);
    if (existing.length) vscode.debug.removeBreakpoints(existing);
    else vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(`${ICOUNT_BREAKPOINT_PREFIX}${icount}`, true)]);
  }

  async saveSnapshot(arg?: unknown): Promise<SnapshotInfo | undefined> {
    const { session, snapshots } = await this.target(false);
    const names = snapshots.map((s) => s.name);
    let name: string | undefined;
    if (typeof arg === 'string') {
      const problem = snapshotNameProblem(arg, names);
      if (problem) throw new UserError(problem);
      name = arg;
    } else {
      name = await vscode.window.showInputBox({
        title: 'Save Snapshot Here', prompt: 'Name of the snapshot (empty: a generated name)', placeHolder: 'before-crash',
        validateInput: (t) => snapshotNameProblem(t.trim(), names),
      });
      if (name === undefined) return undefined;
      name = name.trim();
    }
    const { snapshot } = await customRequest(session, 'saveSnapshot', name ? { name } : {});
    void vscode.window.setStatusBarMessage(`QEMU Replay: saved snapshot ${snapshot.name} at ${formatIcount(snapshot.icount)}`, 4000);
    return snapshot;
  }

  async goToSnapshot(arg?: unknown): Promise<ReplayState | undefined> {
    const { session, snapshots } = await this.target(true);
    const name = snapshotName(arg) ?? await pickSnapshot(snapshots, 'Go to Snapshot');
    if (name === undefined) return undefined;
    if (!snapshots.some((s) => s.name === name)) throw new UserError(`There is no snapshot named "${name}" in this recording.`);
    return await customRequest(session, 'seek', { snapshot: name });
  }

  async deleteSnapshot(arg?: unknown): Promise<boolean> {
    const { session, snapshots } = await this.target(false);
    const name = snapshotName(arg) ?? await pickSnapshot(snapshots.filter((s) => s.kind !== 'initial'), 'Delete Snapshot');
    if (name === undefined) return false;
    const snapshot = snapshots.find((s) => s.name === name);
    if (!snapshot) throw new UserError(`There is no snapshot named "${name}" in this recording.`);
    // The replay starts from the initial snapshot: without it the recording cannot be replayed.
    if (snapshot.kind === 'initial') throw new UserError(`"${name}" is where the replay starts: it cannot be deleted.`);
    // A user's snapshot is work to redo: ask, unless a caller (keybinding, extension) named it outright.
    if (snapshot.kind === 'user' && typeof arg !== 'string') {
      const choice = await vscode.window.showWarningMessage(`Delete the snapshot "${name}" at ${formatIcount(snapshot.icount)}?`,
        { modal: true, detail: 'It is removed from the recording for good.' }, 'Delete');
      if (choice !== 'Delete') return false;
    }
    await customRequest(session, 'deleteSnapshot', { name });
    return true;
  }

  async refresh(): Promise<void> {
    const model = this.store.active;
    if (!model) throw new UserError(NO_SESSION);
    await this.store.refresh(model);
  }

  async reverseStep(which: 'in' | 'out'): Promise<void> {
    const model = await this.target(true);
    const threadId = await activeThreadId(model);
    if (which === 'in') await customRequest(model.session, 'reverseStepIn', { threadId });
    else await customRequest(model.session, 'reverseStepOut', { threadId });
  }
}

interface IcountBreakpoint {
  icount: number;
  breakpoint: vscode.FunctionBreakpoint;
}

/** VS Code's function breakpoints that are icount breakpoints. */
export function icountBreakpoints(): IcountBreakpoint[] {
  const out: IcountBreakpoint[] = [];
  for (const b of vscode.debug.breakpoints) {
    if (!(b instanceof vscode.FunctionBreakpoint)) continue;
    const m = /^\s*icount\s*:\s*([\d,_]+)\s*$/.exec(b.functionName);
    if (m) out.push({ icount: Number(m[1].replace(/[,_]/g, '')), breakpoint: b });
  }
  return out;
}

function snapshotName(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as SnapshotRow).name === 'string') return (arg as SnapshotRow).name;
  return undefined;
}

async function pickSnapshot(snapshots: readonly SnapshotInfo[], title: string): Promise<string | undefined> {
  if (!snapshots.length) throw new UserError('This recording has no snapshot to choose from.');
  const picked = await vscode.window.showQuickPick(
    [...snapshots].sort((a, b) => a.icount - b.icount).map((s) => ({
      label: s.name, description: `${formatIcount(s.icount)} · ${s.kind}`,
    })), { title, placeHolder: 'Snapshot' });
  return picked?.label;
}

/** The thread the user looks at: the focused stack item's, else the one that last stopped, else the first. */
async function activeThreadId(model: SessionModel): Promise<number> {
  const item = vscode.debug.activeStackItem;
  if (item && item.session.id === model.session.id) return item.threadId;
  if (model.lastThreadId !== undefined) return model.lastThreadId;
  const threads = await model.session.customRequest('threads') as { threads?: { id: number }[] };
  const first = threads.threads?.[0];
  if (!first) throw new UserError('The replay session reports no thread to step.');
  return first.id;
}
