/** The trail of stops on the timeline: which icount each stop happened at. Pure so it is unit-tested. */

/**
 * Pairs DAP `stopped` events with the icount of the adapter's `replayState`, which may come just before or just
 * after it. Done on the tracker's stream because it is the only one where both arrive in the adapter's order
 * (custom events reach `onDidReceiveDebugSessionCustomEvent` later, through the workbench).
 */
export class StopPairing {
  private lastPaused: number | undefined;
  private pendingReason: string | undefined;
  private pendingThread: number | undefined;

  constructor(private readonly emit: (icount: number, reason: string, threadId: number | undefined) => void) {}

  state(running: boolean, icount: number): void {
    if (running) {
      this.lastPaused = undefined;
    } else if (this.pendingReason !== undefined) {
      this.emit(icount, this.pendingReason, this.pendingThread);
      this.pendingReason = undefined;
    } else {
      this.lastPaused = icount;
    }
  }

  stopped(reason: string, threadId: number | undefined): void {
    if (this.lastPaused !== undefined) {
      this.emit(this.lastPaused, reason, threadId);
      this.lastPaused = undefined;
    } else {
      this.pendingReason = reason;
      this.pendingThread = threadId;
    }
  }
}
