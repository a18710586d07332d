/**
 * Where the replay stands, and the moves that change it: gdb runs (forward with QEMU's replay breakpoint armed, or
 * reverse) and QMP seeks. It keeps what the engine knows about the position and QEMU's armed replay breakpoint, and
 * it flushes gdb's stale caches after every seek (see replayEngine.ts for the traps this avoids).
 */
import { flushCaches, type MiStopRecord } from '../gdb/mi';
import { errors } from '../errors';
import type { QmpClient, QmpEvent } from '../qemu/qmp';
import type { Execution, GdbRunCommand } from './execution';

export class Position {
  lastIcount = 0;
  /** Where the user is while the engine works elsewhere on its own (snapshot placement, a reverse step's window). */
  shownIcount: number | undefined;
  /**
   * Replay only: `lastIcount` is where the guest is (set by the refresh after every stop and by every seek), so a
   * forward run need not ask QMP first. Cleared before anything moves the guest, set again once it stopped.
   */
  icountKnown = false;
  /** The replay breakpoint QEMU has armed, as far as the engine knows: re-arming the same one is skipped. */
  private armedBreak: number | undefined;

  constructor(
    private readonly exec: Execution,
    private readonly qmp: QmpClient | undefined,
    private readonly replaying: boolean,
    /** Serial output reached by replay, for icounts in [from, to). */
    private readonly progress: (from: number, to: number) => void,
  ) {}

  async refreshIcount(): Promise<number> {
    this.icountKnown = false;
    this.lastIcount = await this.exec.icount();
    this.icountKnown = this.replaying;
    return this.lastIcount;
  }

  /** Something outside the engine may have talked to QEMU or gdb: ask QEMU next time, re-arm the replay breakpoint. */
  forget(): void {
    this.icountKnown = false;
    this.armedBreak = undefined;
  }

  /** gdb moves the guest: what the engine knew about the position and QEMU's replay breakpoint no longer holds. */
  gdbRun(command: GdbRunCommand, reverse: boolean): Promise<MiStopRecord> {
    this.icountKnown = false;
    // QEMU's reverse operations arm replay breakpoints of their own, replacing the engine's.
    if (reverse) this.armedBreak = undefined;
    return this.exec.gdbRun(command, reverse);
  }

  /** One forward gdb run, with QEMU's replay breakpoint at `stopAt` (armed only if it is not already). */
  async runForward(command: GdbRunCommand, stopAt: number | undefined): Promise<{ record: MiStopRecord; icount: number }> {
    if (stopAt !== undefined) await this.armBreak(stopAt);
    const record = await this.gdbRun(command, false);
    const icount = await this.refreshIcount();
    // QEMU disarms a replay breakpoint once reached.
    if (this.armedBreak !== undefined && icount >= this.armedBreak) this.armedBreak = undefined;
    return { record, icount };
  }

  /** QEMU's replay breakpoint at `icount` (ahead of the position), unless it is armed there already. */
  async armBreak(icount: number): Promise<void> {
    if (icount === this.armedBreak) return;
    this.armedBreak = undefined;
    await this.qmp!.call('replay-break', { icount });
    this.armedBreak = icount;
  }

  /**
   * A forward run to `target` with no gdb breakpoint or watchpoint in place (a pass that disabled them): only QEMU's
   * replay breakpoint or a pause can end it, so without a pause the replay is at `target` and QEMU is not asked.
   * Resolves with the stop record and where the run ended.
   */
  async runTo(target: number): Promise<{ record: MiStopRecord; icount: number }> {
    await this.armBreak(target);
    const record = await this.gdbRun('-exec-continue', false);
    if (this.exec.pausing) return { record, icount: await this.refreshIcount() };
    this.armedBreak = undefined;
    this.lastIcount = target;
    this.icountKnown = true;
    return { record, icount: target };
  }

  /**
   * QMP drives the run; gdb is not spoken to until it is over, then its caches are dropped. `quiet`: a move the user
   * does not see (a pass over the recording that comes back): the serial output it passes is not shown.
   */
  async qmpSeek(icount: number, quiet = false): Promise<void> {
    const qmp = this.qmp!;
    const from = this.lastIcount;
    this.icountKnown = false;
    this.armedBreak = undefined;
    await this.exec.duringQmpRun(async () => {
      // A replay breakpoint left armed ahead by a run that stopped earlier (the end guard, an icount breakpoint) is
      // behind the position once a seek loads a later snapshot, and QEMU 7.2 then aborts on an assertion when the
      // seek arms its own (replay_break: replay_break_icount >= current icount). Nothing may stay armed across a seek.
      await qmp.call('replay-delete-break', undefined);
      const stopped = this.waitForQmpStop(icount);
      try {
        await qmp.call('replay-seek', { icount });
      } catch (err) {
        stopped.cancel();
        throw err;
      }
      await stopped.promise;
    });
    await flushCaches(this.exec.gdb);
    this.lastIcount = icount;
    this.icountKnown = true;
    if (icount > from && !quiet) this.progress(from, icount);
  }

  /**
   * Waits until QEMU stands at `icount` after a `replay-seek` (armed before it is sent). QEMU 7.2 sends RESUME and
   * then STOP for every seek, also to where it already is (measured: the STOP arrives within a millisecond of the
   * moment a poll would see the target): the STOP is waited for, then the position checked once; should it not be
   * there yet, it is polled as before.
   */
  private waitForQmpStop(icount: number): { promise: Promise<void>; cancel(): void } {
    const qmp = this.qmp!;
    let cancelled = false;
    let wake: (() => void) | undefined;
    const onEvent = (e: QmpEvent): void => { if (e.event === 'STOP') wake?.(); };
    const onClose = (): void => wake?.();   // the next query then fails with the connection's error
    qmp.on('event', onEvent);
    qmp.on('close', onClose);
    const unsubscribe = (): void => { qmp.off('event', onEvent); qmp.off('close', onClose); };
    const deadline = Date.now() + 60_000 + icount / 5_000; // generous: replay runs ~40 M instructions/s here
    const promise = (async () => {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, deadline - Date.now());
      });
      clearTimeout(timer);
      unsubscribe();
      for (let first = true; ; first = false) {
        if (!first) await new Promise((r) => setTimeout(r, 5));
        if (cancelled) return;
        const status = await qmp.call('query-status', undefined);
        if (!status.running) {
          const r = await qmp.call('query-replay', undefined);
          if (r.icount === icount) return;
        }
        if (Date.now() > deadline) throw errors.seekTimedOut(icount);
      }
    })();
    promise.catch(() => undefined);
    return { promise, cancel: () => { cancelled = true; wake?.(); unsubscribe(); } };
  }
}
