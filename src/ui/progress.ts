/**
 * Progress for long replay operations. A seek or a reverse operation far from a snapshot can take seconds to
 * minutes (QEMU replays forward from the nearest earlier snapshot), while most finish in milliseconds: show progress
 * only for those still running after a short delay, whether started by our commands or by VS Code's own
 * Step Back / Reverse Continue buttons, which is why this is driven by the DAP traffic and not by each command.
 */
import * as vscode from 'vscode';
import { formatIcount } from '../../common/ui-icount';

/** No progress for operations that finish sooner than this: a flash of a notification is noise. */
export const SHOW_AFTER_MS = 600;

/** Requests that may take long, and whether they end with their response or with the next `stopped` event. */
const SLOW: Record<string, { title: (args: Record<string, unknown>) => string; endsWith: 'response' | 'stopped' }> = {
  seek: { title: seekTitle, endsWith: 'response' },
  saveSnapshot: { title: () => 'Saving a snapshot', endsWith: 'response' },
  stepBack: { title: () => 'Stepping back', endsWith: 'stopped' },
  reverseContinue: { title: () => 'Running backwards to the previous breakpoint', endsWith: 'stopped' },
  reverseStepIn: { title: () => 'Reverse step into', endsWith: 'stopped' },
  reverseStepOut: { title: () => 'Reverse step out', endsWith: 'stopped' },
  // hitHistory has no entry: the adapter reports its progress itself (DAP progress events, with Cancel).
  lastWrite: { title: lastWriteTitle, endsWith: 'response' },
  compare: { title: (a) => `Reading the machine at icount ${formatIcount(Number(a.a))} and ${formatIcount(Number(a.b))}`, endsWith: 'response' },
};

function lastWriteTitle(args: Record<string, unknown>): string {
  const what = typeof args.expression === 'string' ? args.expression : 'the expression';
  return args.direction === 'forward' ? `Looking for the next write to ${what}` : `Looking for the last write to ${what}`;
}

function seekTitle(args: Record<string, unknown>): string {
  if (typeof args.icount === 'number') return `Going to instruction ${formatIcount(args.icount)}`;
  if (typeof args.snapshot === 'string') return `Going to snapshot ${args.snapshot}`;
  return args.to === 'end' ? 'Going to the end of the recording' : 'Going to the start of the recording';
}

interface Operation {
  title: string;
  endsWith: 'response' | 'stopped';
  responded: boolean;
  done: () => void;
  timer: NodeJS.Timeout;
}

export class SlowOperations implements vscode.Disposable {
  /** By session id, then request seq. */
  private readonly ops = new Map<string, Map<number, Operation>>();
  /** Titles of operations whose progress was shown (test hook: proves progress appeared). */
  readonly shown: string[] = [];
  /** The delay before progress shows; the tests set 0 because the sample guest's seeks are all fast. */
  showAfterMs = SHOW_AFTER_MS;

  requestSent(sessionId: string, seq: number, command: string, args: unknown): void {
    const kind = SLOW[command];
    if (!kind) return;
    let resolve: () => void = () => undefined;
    const finished = new Promise<void>((r) => (resolve = r));
    const title = kind.title(typeof args === 'object' && args !== null ? args as Record<string, unknown> : {});
    const op: Operation = {
      title, endsWith: kind.endsWith, responded: false, done: resolve,
      timer: setTimeout(() => {
        this.shown.push(title);
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `QEMU Replay: ${title}…` }, () => finished);
      }, this.showAfterMs),
    };
    let bySeq = this.ops.get(sessionId);
    if (!bySeq) this.ops.set(sessionId, (bySeq = new Map<number, Operation>()));
    bySeq.set(seq, op);
  }

  responseReceived(sessionId: string, requestSeq: number, success: boolean): void {
    const op = this.ops.get(sessionId)?.get(requestSeq);
    if (!op) return;
    op.responded = true;
    // A failed request never produces a `stopped` event.
    if (op.endsWith === 'response' || !success) this.finish(sessionId, requestSeq);
  }

  /** A `stopped`/`terminated` event, or the adapter's exit: execution requests are over. */
  sessionStopped(sessionId: string): void {
    const bySeq = this.ops.get(sessionId);
    if (!bySeq) return;
    for (const [seq, op] of bySeq) if (op.endsWith === 'stopped' || !op.responded) this.finish(sessionId, seq);
  }

  private finish(sessionId: string, seq: number): void {
    const bySeq = this.ops.get(sessionId);
    const op = bySeq?.get(seq);
    if (!bySeq || !op) return;
    clearTimeout(op.timer);
    op.done();
    bySeq.delete(seq);
    if (!bySeq.size) this.ops.delete(sessionId);
  }

  dispose(): void {
    for (const [id, bySeq] of [...this.ops]) for (const seq of [...bySeq.keys()]) this.finish(id, seq);
  }
}
