/**
 * The replay engine: time travel on top of gdb (execution, symbols) and QMP (icount, seek, snapshots).
 * It keeps the user away from QEMU 7.2's traps (see docs/design.md):
 *  - the end of the log: a replay breakpoint one before the first SHUTDOWN is armed before every forward run,
 *    so QEMU never runs off the end (it would exit, or abort on the next seek);
 *  - one replay breakpoint: the engine keeps any number of icount breakpoints and arms the nearest one;
 *  - stale gdb caches after QMP seeks: flushed after every seek;
 *  - nothing talks to gdb while QMP drives a run (operations are exclusive);
 *  - reverse-continue skipping a hit at icount-1: the engine steps back one instruction first and checks it.
 */
import { EventEmitter } from 'node:events';
import type { ReplayMode, ReplayState, SnapshotInfo, IcountBreakpointResult } from '../../common/protocol';
import { errors } from '../errors';
import {
  breakDelete, breakInsert, enabledBreakpointLocations, evaluateExpression, isReadable, stackInfoDepth, stackInfoFrame,
  type MiBreakpointLocation, type MiStopRecord,
} from '../gdb/mi';
import type { QmpClient, QmpEvent } from '../qemu/qmp';
import { Execution, GdbRunCommand, Stop } from './execution';
import { FrameAt, ReverseNextHost, frameAt, reverseNextByReplay } from './reverseNext';
import { AUTO_PREFIX, imageDiskBytes, INITIAL_SNAPSHOT, latestSnapshotIcount, NEAR_PREFIX, SnapshotPolicy, SnapshotStore, validateSnapshotName } from './snapshots';

export interface EngineOptions {
  mode: ReplayMode;
  /** Last icount a replay can stop at (replay only). */
  endIcount?: number;
  recording?: string;
  snapshotInterval: number;
  /** Bound on the snapshot image's disk use; undefined: the default (see SnapshotPolicy.budget). */
  snapshotBudgetBytes?: number;
  /** The snapshot image's file, whose real disk use the budget bounds (record and replay). */
  snapshotImage?: string;
}

export interface EngineEvents {
  snapshotsChanged: [SnapshotInfo[]];
  /** Serial output reached by replay, for icounts in [from, to). */
  progress: [number, number];
  running: [];
}

export type StepGranularity = 'line' | 'instruction';
export type IcountBreakpointOwner = 'view' | 'request';

/** Trail snapshots behind forward runs are ~this much replay apart (ms), so a cold reverse step costs about that. */
const TRAIL_MS = 300;
const TRAIL_MIN = 2_000_000;
/** A long seek leaves its snapshot this far before the target. */
const TRAIL_BEHIND = 1_000_000;

/** How far a replay's "stop on entry" looks for the program's entry point (~0.1-0.3 s of replay). */
export const ENTRY_SEARCH = 10_000_000;

export function checkIcount(value: unknown, what: string, end: number | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw errors.icountNotNumber(what, value);
  if (!Number.isInteger(value)) throw errors.icountNotWhole(what, value);
  if (value < 0) throw errors.icountNegative(what, value);
  if (end !== undefined && value > end) {
    throw errors.icountPastEnd(what, value, end);
  }
  return value;
}

export class ReplayEngine extends EventEmitter<EngineEvents> {
  readonly snapshots: SnapshotStore | undefined;
  readonly policy: SnapshotPolicy;
  /**
   * icount breakpoints by owner: VS Code's Breakpoints view (function breakpoints `icount:N`) and the
   * `setIcountBreakpoints` request of other clients. Each sets only its own; the engine stops at all of them.
   */
  private readonly icountBreakpointsBy: Record<IcountBreakpointOwner, number[]> = { view: [], request: [] };
  /** All icount breakpoints, ascending. */
  private icountBreakpoints: number[] = [];
  private lastIcount = 0;
  /** Where the user is while the engine works elsewhere on its own (snapshot placement, a reverse step's window). */
  private shownIcount: number | undefined;
  /**
   * Replay only: `lastIcount` is where the guest is (set by the refresh after every stop and by every seek), so a
   * forward run need not ask QMP first. Cleared before anything moves the guest, set again once it stopped.
   */
  private icountKnown = false;
  /** The replay breakpoint QEMU has armed, as far as the engine knows: re-arming the same one is skipped. */
  private armedBreak: number | undefined;
  private lastRecordSnapshot = 0;
  private recordSnapshots = 0;
  /** How far (instructions) record-time snapshots land after they are asked for, smoothed. */
  private recordLag = 0;
  /** Replay speed (instructions per ms), measured on forward runs; a kernel's busy boot replays at ~60 M/s. */
  private replaySpeed = 60_000;
  /** What one snapshot of this guest adds to the image while recording (measured at each; the init one at first). */
  private recordSnapshotBytes = 0;

  constructor(readonly exec: Execution, readonly qmp: QmpClient | undefined, readonly options: EngineOptions) {
    super();
    this.snapshots = qmp && options.mode === 'play' ? new SnapshotStore(qmp, options.snapshotImage) : undefined;
    this.policy = new SnapshotPolicy({ interval: options.snapshotInterval, budgetBytes: options.snapshotBudgetBytes });
    exec.on('running', () => this.emit('running'));
  }

  get replaying(): boolean {
    return this.options.mode === 'play';
  }
  get end(): number | undefined {
    return this.options.endIcount;
  }

  state(running = this.exec.running): ReplayState {
    return {
      mode: this.options.mode,
      icount: this.shownIcount ?? this.lastIcount,
      endIcount: this.options.endIcount,
      recording: this.options.recording,
      running,
      icountBreakpoints: [...this.icountBreakpoints],
    };
  }

  /** Called once after gdb attached: the first seek needs no snapshot load (a load in prelaunch crashes QEMU 7.2). */
  async prepare(): Promise<void> {
    if (this.replaying && this.qmp) await this.qmpSeek(0);
    this.lastIcount = await this.exec.icount();
  }

  async refreshIcount(): Promise<number> {
    this.icountKnown = false;
    this.lastIcount = await this.exec.icount();
    this.icountKnown = this.replaying;
    return this.lastIcount;
  }

  /**
   * Something outside the engine may have talked to QEMU or gdb (a Debug Console command): the next operation
   * asks QEMU where it is and re-arms its replay breakpoint.
   */
  forgetPosition(): void {
    this.icountKnown = false;
    this.armedBreak = undefined;
    this.snapshots?.invalidate(); // `hmp savevm` from the console adds one
  }

  /** gdb moves the guest: what the engine knew about the position and QEMU's replay breakpoint no longer holds. */
  private gdbRun(command: GdbRunCommand, reverse: boolean): Promise<MiStopRecord> {
    this.icountKnown = false;
    // QEMU's reverse operations arm replay breakpoints of their own, replacing the engine's.
    if (reverse) this.armedBreak = undefined;
    return this.exec.gdbRun(command, reverse);
  }

  // ---- forward execution -------------------------------------------------------------------------------------

  /** One forward gdb run, with QEMU's replay breakpoint at `stopAt` (armed only if it is not already). */
  private async runForward(command: GdbRunCommand, stopAt: number | undefined): Promise<{ record: MiStopRecord; icount: number }> {
    if (stopAt !== undefined && stopAt !== this.armedBreak) {
      this.armedBreak = undefined;
      await this.qmp!.call('replay-break', { icount: stopAt });
      this.armedBreak = stopAt;
    }
    const record = await this.gdbRun(command, false);
    const icount = await this.refreshIcount();
    // QEMU disarms a replay breakpoint once reached.
    if (this.armedBreak !== undefined && icount >= this.armedBreak) this.armedBreak = undefined;
    return { record, icount };
  }

  /** A forward run; `limit`: a replay stops there at the latest (as if an icount breakpoint were there). */
  forward(command: GdbRunCommand, limit?: number): Promise<Stop> {
    return this.exec.exclusive(async () => {
      let from = this.icountKnown ? this.lastIcount : await this.refreshIcount();
      const end = this.end;
      if (this.replaying && end !== undefined && from >= end) {
        return this.atEnd(from);
      }
      for (;;) {
        const target = this.replaying ? this.icountBreakpoints.find((b) => b > from) : undefined;
        let snapPoint: number | undefined;
        let trailPoint: number | undefined;
        if (this.replaying && this.snapshots && command === '-exec-continue') {
          const list = await this.snapshots.list();
          snapPoint = this.policy.nextPoint(from, Math.min(target ?? Infinity, end ?? Infinity, limit ?? Infinity), list, this.gridSpacing(list));
          // A guest with sparse grid snapshots: leave a trail behind the run, so the first reverse step after the
          // stop replays from close by whatever the idle time (see trailStep).
          if (this.sparseGrid(list)) trailPoint = from + this.trailStep(list);
          if (trailPoint !== undefined && snapPoint !== undefined && trailPoint >= snapPoint) trailPoint = undefined;
        }
        const next = trailPoint ?? snapPoint;
        const stopAt = this.replaying && this.qmp && end !== undefined ? Math.min(target ?? end, end, next ?? Infinity, limit ?? Infinity) : undefined;
        const started = Date.now();
        const { record, icount } = await this.runForward(command, stopAt);
        this.measureSpeed(icount - from, Date.now() - started);
        this.emit('progress', from, icount);
        if (next !== undefined && icount === next && isPlainSignal(record)) {
          if (next === trailPoint) await this.leaveTrail(icount);
          else await this.saveAutomaticSnapshot(icount);
          from = icount;
          continue;
        }
        return this.exec.classify(record, icount, { icountTarget: target, guard: end, step: command !== '-exec-continue' });
      }
    });
  }

  /** Grid spacing for this guest (SnapshotPolicy.spacing with its measured snapshot size). */
  private gridSpacing(list: SnapshotInfo[]): number {
    return this.policy.spacing(SnapshotPolicy.expectedBytes(list), this.end ?? this.lastIcount);
  }

  /** Whether replaying from one grid snapshot to the next takes long (large, so sparse, snapshots: a kernel's). */
  private sparseGrid(list: SnapshotInfo[]): boolean {
    return this.policy.enabled && this.gridSpacing(list) / this.replaySpeed > 2 * TRAIL_MS;
  }

  /**
   * Instructions between trail snapshots: ~TRAIL_MS of replay at the speed measured lately (replay speed varies
   * 20-fold over a kernel's boot: ~60 M/s busy, >1000 M/s idle), so a reverse step replays at most about that long.
   */
  private trailStep(list: SnapshotInfo[]): number {
    return Math.round(Math.min(Math.max(this.replaySpeed * TRAIL_MS, TRAIL_MIN), this.gridSpacing(list)));
  }

  /** Replay speed in instructions per ms, smoothed, from runs long enough to tell. */
  private measureSpeed(instructions: number, ms: number): void {
    if (ms < 50 || instructions <= 0) return;
    this.replaySpeed = this.replaySpeed * 0.5 + (instructions / ms) * 0.5;
  }

  /** A trail snapshot at the position; only the two newest trail snapshots stay (with older near-position ones). */
  private async leaveTrail(icount: number): Promise<void> {
    const store = this.snapshots!;
    const trail = (await store.list()).filter((s) => s.name.startsWith(NEAR_PREFIX)).sort((a, b) => b.icount - a.icount);
    const keep = new Set(trail.filter((s) => s.icount < icount).slice(0, 1).map((s) => s.name));
    await this.saveAutomaticSnapshot(icount, NEAR_PREFIX, keep);
    const stale = trail.filter((s) => s.icount < icount && !keep.has(s.name) && icount - s.icount < this.gridSpacing(trail));
    for (const s of stale) await store.delete(s.name);
    if (stale.length) this.emit('snapshotsChanged', await store.list());
  }

  /**
   * "Stop on entry": boards that run firmware or a reset ROM first (riscv64 virt runs 6 instructions) start
   * elsewhere, so run to the program's entry point and stop in `_start`. Skipped when the CPU starts there. Never
   * runs away: an entry that is not mapped yet (a kernel's vmlinux entry is a virtual address and the CPU starts
   * with the MMU off at a physical one) is not looked for, and a replay looks for it within ENTRY_SEARCH
   * instructions only; either way it stops at the start of the recording and says why (`note`).
   */
  async runToEntry(entry: bigint): Promise<Stop | undefined> {
    const gdb = this.exec.gdb;
    const pc = (await stackInfoFrame(gdb))?.addr;
    if (!pc || BigInt(pc) === entry) return undefined;
    const at = `0x${entry.toString(16)}`;
    const atStart = (why: string): Stop => ({
      reason: 'entry', icount: this.lastIcount,
      note: `The program's entry point ${at} ${why}: stopped where the CPU starts (pc ${pc}, icount ${this.lastIcount}) instead. Set breakpoints and continue, or set "stopOnEntry": false.`,
    });
    const mapped = await isReadable(gdb, at);
    if (!mapped) return atStart('is not mapped when the guest starts (a kernel\'s vmlinux entry is a virtual address, and the CPU starts with the MMU off)');
    const inserted = await breakInsert(gdb, `*${at}`, { temporary: true });
    if (!this.replaying) return { ...(await this.forward('-exec-continue')), reason: 'entry' };
    const start = this.lastIcount;
    const stop = await this.forward('-exec-continue', start + ENTRY_SEARCH);
    if (stop.reason === 'breakpoint') return { ...stop, reason: 'entry' };
    if (inserted) await breakDelete(gdb, inserted).catch(() => undefined);
    if (stop.reason !== 'end' && stop.reason !== 'signal' && stop.reason !== 'icount breakpoint') return stop;
    await this.seek({ icount: start });
    return atStart(`was not reached in the first ${ENTRY_SEARCH.toLocaleString('en-US')} instructions`);
  }

  private atEnd(icount: number): Stop {
    return { reason: 'end', icount, text: `End of the recording (icount ${icount}): nothing is recorded after this. Step back, reverse continue or seek.` };
  }

  // ---- reverse execution -------------------------------------------------------------------------------------

  private requireReplay(what: string): void {
    if (!this.replaying) {
      throw errors.needsReplay(what, this.options.mode === 'record');
    }
  }

  private atStart(): Stop {
    return { reason: 'start', icount: 0, text: 'At the start of the recording (icount 0): there is nothing before it.' };
  }

  /** Step back one instruction, or one source line (over calls), or into the previous line (`into`). */
  stepBack(granularity: StepGranularity, into = false): Promise<Stop> {
    this.requireReplay('Stepping back');
    return this.exec.exclusive(async () => {
      const from = await this.refreshIcount();
      if (from === 0) return this.atStart();
      // One instruction back is one replay from the nearest snapshot: a rung first would only add its savevm.
      if (granularity === 'line') await this.nearSnapshotFirst(from);
      if (granularity === 'line' && !into && this.qmp) {
        // A gdb error inside the window (e.g. a frame it cannot unwind) only means gdb's way is needed.
        this.shownIcount = from;
        const found = await reverseNextByReplay(this.reverseNextHost(), from, await this.frameNow()).catch(() => undefined).finally(() => { this.shownIcount = undefined; });
        if (found) return await this.toLineStart({ reason: 'step', icount: found.icount, frame: found.frame.frame });
        // The window did not settle it: gdb's way, from the position (unless the engine knows it never left).
        if (!this.icountKnown || this.lastIcount !== from) await this.qmpSeek(from);
      }
      // By instruction, back is always exactly one instruction (reverse-stepi): stepping back over a whole call
      // from its return would skip the instructions the user is looking at in the Disassembly view.
      const command: GdbRunCommand = granularity === 'instruction' ? '-exec-step-instruction' : into ? '-exec-step' : '-exec-next';
      const record = await this.gdbRun(command, true);
      let stop = this.exec.classify(record, await this.refreshIcount(), { step: true });
      if (granularity === 'line' && stop.reason === 'step') stop = await this.toLineStart(stop);
      return stop;
    });
  }

  private async frameNow(): Promise<FrameAt> {
    return frameAt(await stackInfoFrame(this.exec.gdb), await this.stackDepth());
  }

  private async stackDepth(): Promise<number> {
    return await stackInfoDepth(this.exec.gdb);
  }

  /** What reverseNextByReplay needs: seeks, forward runs bounded by a replay breakpoint, frames. */
  private reverseNextHost(): ReverseNextHost {
    return {
      seek: (icount) => this.qmpSeek(icount),
      run: (command, stopAt) => this.runForward(command, stopAt),
      frame: () => this.frameNow(),
      depth: () => this.stackDepth(),
      breakAtFunction: async (func) => {
        const id = await breakInsert(this.exec.gdb, func);
        if (!id) throw new Error(`no breakpoint for ${func}`);
        return id;
      },
      deleteBreakpoint: (id) => breakDelete(this.exec.gdb, id),
    };
  }

  /** Back to the call site of the current function. */
  reverseStepOut(): Promise<Stop> {
    this.requireReplay('Reverse step out');
    return this.exec.exclusive(async () => {
      const from = await this.refreshIcount();
      if (from === 0) return this.atStart();
      await this.nearSnapshotFirst(from);
      const record = await this.gdbRun('-exec-finish', true);
      return this.exec.classify(record, await this.refreshIcount(), { step: true });
    });
  }

  /**
   * gdb's reverse-next can stop inside a line when the line table has several rows for it: keep stepping back
   * by instruction while the pc is not at the start of a line-table row of the same line.
   */
  private async toLineStart(stop: Stop): Promise<Stop> {
    for (let i = 0; i < 32; i++) {
      const pc = stop.frame?.addr;
      if (!pc) return stop;
      const info = await this.exec.gdb.console(`info line *${pc}`);
      const m = /starts at address (0x[0-9a-f]+)/.exec(info);
      if (!m || BigInt(m[1]) === BigInt(pc) || stop.icount === 0) return stop;
      const line = stop.frame?.line;
      const record = await this.gdbRun('-exec-step-instruction', true);
      const next = this.exec.classify(record, await this.refreshIcount(), { step: true });
      if (next.reason !== 'step' || next.frame?.line !== line) return stop.reason === 'step' ? next : stop;
      stop = next;
    }
    return stop;
  }

  /** Back to the most recent earlier stop of any enabled breakpoint, watchpoint or icount breakpoint. */
  reverseContinue(): Promise<Stop> {
    this.requireReplay('Reverse continue');
    return this.exec.exclusive(async () => {
      const from = await this.refreshIcount();
      if (from === 0) return this.atStart();
      const behind = [...this.icountBreakpoints].reverse().find((b) => b < from);
      const gdbBreakpoints = await this.enabledGdbBreakpoints();
      if (gdbBreakpoints.length === 0) {
        // Nothing for gdb to find: a seek is exact and cheaper than replaying every window back to the start.
        const target = behind ?? 0;
        await this.qmpSeek(target);
        return behind !== undefined ? { reason: 'icount breakpoint', icount: target } : this.atStart();
      }
      await this.nearSnapshotFirst(from);
      // QEMU 7.2 misses a hit at exactly icount-1 when reverse-continue starts from a breakpoint: check it first.
      const back = await this.gdbRun('-exec-step-instruction', true);
      const prev = await this.refreshIcount();
      if (behind === prev) return { reason: 'icount breakpoint', icount: prev, frame: back.frame };
      const hit = await this.breakpointAt(back.frame?.addr, gdbBreakpoints);
      if (hit) return { reason: 'breakpoint', icount: prev, gdbBreakpoint: hit, frame: back.frame };
      if (prev === 0) return this.atStart();
      const record = await this.gdbRun('-exec-continue', true);
      const icount = await this.refreshIcount();
      const edge = await this.hitAtWindowEdge(icount, prev, gdbBreakpoints);
      if (edge && !(behind !== undefined && behind > edge.icount)) return edge;
      if (behind !== undefined && behind > icount) {
        await this.qmpSeek(behind);
        return { reason: 'icount breakpoint', icount: behind };
      }
      const stop = this.exec.classify(record, icount, {});
      if (stop.reason === 'signal' && icount > 0) {
        // A reverse watchpoint hit arrives as a plain SIGTRAP.
        const wp = gdbBreakpoints.find((b) => b.type.includes('watchpoint'));
        if (wp) return { ...stop, reason: 'watchpoint', gdbBreakpoint: wp.number, text: undefined };
      }
      return stop;
    });
  }

  /**
   * QEMU 7.2's reverse continue from P searches back window by window: the first from the nearest snapshot to P-1,
   * each next one from an earlier snapshot to one before the previous window's snapshot S; its replay breakpoint at
   * a window's end wins over a gdb breakpoint there. So a hit at exactly P-1 or at any S-1 is skipped and an earlier
   * one reported (found by the soak test: a hit at 11999 skipped for one at 11972 with snapshots at 11999 and 12000;
   * a hit at 9699 skipped from 9700 for one at 9305). After a reverse continue from `from` that landed at `landed`,
   * check those instructions, most recent first. Returns that hit, with the replay moved there; or undefined, with
   * the replay back at `landed`.
   */
  private async hitAtWindowEdge(landed: number, from: number, bps: MiBreakpointLocation[]): Promise<Stop | undefined> {
    if (!this.snapshots || !bps.some((b) => b.addr && !b.type.includes('watchpoint'))) return undefined;
    const ends = [from, ...(await this.snapshots.list()).map((s) => s.icount)].map((e) => e - 1);
    const edges = [...new Set(ends)].filter((x) => x > landed && x < from).sort((a, b) => b - a);
    for (const x of edges) {
      await this.qmpSeek(x);
      const frame = await stackInfoFrame(this.exec.gdb);
      const hit = await this.breakpointAt(frame?.addr, bps);
      if (hit) return { reason: 'breakpoint', icount: x, gdbBreakpoint: hit, frame };
    }
    if (edges.length) await this.qmpSeek(landed);
    return undefined;
  }

  private async enabledGdbBreakpoints(): Promise<MiBreakpointLocation[]> {
    return await enabledBreakpointLocations(this.exec.gdb);
  }

  private async breakpointAt(pc: string | undefined, bps: MiBreakpointLocation[]): Promise<string | undefined> {
    if (!pc) return undefined;
    for (const bp of bps) {
      if (!bp.addr || bp.type.includes('watchpoint') || BigInt(bp.addr) !== BigInt(pc)) continue;
      if (bp.cond) {
        const v = await evaluateExpression(this.exec.gdb, bp.cond).catch(() => undefined);
        if (v === undefined || v === '0' || v === 'false') continue;
      }
      return bp.number;
    }
    return undefined;
  }

  // ---- time: seek, icount breakpoints ---------------------------------------------------------------------

  seek(target: { icount?: unknown; to?: unknown; snapshot?: unknown }): Promise<Stop> {
    this.requireReplay('Seeking');
    const end = this.end ?? 0;
    const given = ['icount', 'to', 'snapshot'].filter((k) => (target as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1) throw errors.seekTargetNotOne();
    // Bad arguments throw now, before anything moves (the session then need not report a stop).
    if (target.to !== undefined && target.to !== 'start' && target.to !== 'end') throw errors.seekToInvalid(target.to);
    const requested = target.icount !== undefined ? checkIcount(target.icount, 'The icount to seek to', end) : undefined;
    return this.exec.exclusive(async () => {
      let icount: number;
      if (target.to !== undefined) {
        icount = target.to === 'start' ? 0 : end;
      } else if (target.snapshot !== undefined) {
        const snaps = await this.snapshots!.list();
        const snap = snaps.find((s) => s.name === target.snapshot);
        if (!snap) throw errors.snapshotUnknown(target.snapshot, snaps.map((s) => s.name));
        icount = snap.icount;
      } else {
        icount = requested!;
      }
      // A long replay to the target in a guest with sparse grid snapshots leaves a snapshot a little before it on the
      // way (one savevm more), so the reverse steps that follow replay from there.
      const list = this.snapshots ? await this.snapshots.list() : [];
      const before = latestSnapshotIcount(list, icount);
      const behind = icount - TRAIL_BEHIND;
      if (this.sparseGrid(list) && behind - before > this.trailStep(list) && (icount < this.lastIcount || behind > this.lastIcount)) {
        await this.qmpSeek(behind);
        await this.saveAutomaticSnapshot(behind, NEAR_PREFIX);
      }
      await this.qmpSeek(icount);
      this.lastIcount = icount;
      return { reason: 'seek', icount, text: `Moved to icount ${icount}.` };
    });
  }

  /** QMP drives the run; gdb is not spoken to until it is over, then its caches are dropped. */
  private async qmpSeek(icount: number): Promise<void> {
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
    await this.exec.gdb.console('maintenance flush register-cache');
    await this.exec.gdb.console('maintenance flush dcache');
    this.lastIcount = icount;
    this.icountKnown = true;
    if (icount > from) this.emit('progress', from, icount);
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

  /** Replaces `owner`'s icount breakpoints (the other owner's stay); one result per value, in order. */
  setIcountBreakpoints(icounts: unknown, owner: IcountBreakpointOwner): IcountBreakpointResult[] {
    if (!Array.isArray(icounts)) throw errors.icountsNotArray();
    const results: IcountBreakpointResult[] = [];
    const kept = new Set<number>();
    for (const value of icounts) {
      try {
        if (!this.replaying) {
          throw errors.icountBreakpointsNeedReplay();
        }
        const icount = checkIcount(value, 'An icount breakpoint', this.end);
        kept.add(icount);
        results.push({ icount, verified: true });
      } catch (err) {
        results.push({ icount: typeof value === 'number' ? value : NaN, verified: false, message: (err as Error).message });
      }
    }
    this.icountBreakpointsBy[owner] = [...kept];
    this.icountBreakpoints = [...new Set([...this.icountBreakpointsBy.view, ...this.icountBreakpointsBy.request])].sort((a, b) => a - b);
    return results;
  }


  // ---- snapshots -------------------------------------------------------------------------------------------

  async listSnapshots(): Promise<SnapshotInfo[]> {
    this.requireReplay('Snapshots');
    return await this.exec.exclusive(() => this.snapshots!.list());
  }

  saveSnapshot(name?: unknown): Promise<SnapshotInfo> {
    this.requireReplay('Saving a snapshot');
    this.exec.assertStopped('save a snapshot');
    return this.exec.exclusive(async () => {
      const store = this.snapshots!;
      const existing = await store.list();
      const icount = await this.refreshIcount();
      const chosen = name === undefined || name === '' ? uniqueName(`at-${icount}`, existing) : validateSnapshotName(name, existing);
      await store.save(chosen);
      const list = await store.list();
      this.emit('snapshotsChanged', list);
      const saved = list.find((s) => s.name === chosen);
      if (!saved) throw errors.snapshotNotKept(chosen);
      return saved;
    });
  }

  deleteSnapshot(name: unknown): Promise<void> {
    this.requireReplay('Deleting a snapshot');
    return this.exec.exclusive(async () => {
      const store = this.snapshots!;
      if (name === INITIAL_SNAPSHOT) {
        throw errors.initialSnapshotUndeletable(INITIAL_SNAPSHOT);
      }
      const existing = await store.list();
      if (typeof name !== 'string' || !existing.some((s) => s.name === name)) {
        throw errors.snapshotUnknown(name, existing.map((s) => s.name));
      }
      await store.delete(name);
      this.emit('snapshotsChanged', await store.list());
    });
  }

  /**
   * Called when the user has stopped somewhere and is idle: if the nearest earlier snapshot is far behind, replay
   * to just before the position, snapshot there (SnapshotPolicy.nearPoints) and come back, so the reverse
   * operations that usually follow are interactive. Returns whether it placed one. The state the user sees is unchanged (same icount, caches flushed).
   */
  placeSnapshotNearPosition(): Promise<boolean> {
    if (!this.replaying || !this.snapshots || !this.policy.enabled) return Promise.resolve(false);
    return this.exec.exclusive(async () => {
      const here = await this.refreshIcount();
      const list = await this.snapshots!.list();
      // A guest with large snapshots gets the one rung a reverse operation would place itself (nearSnapshotFirst):
      // each savevm costs it ~0.1-0.6 s and ~45 MB of its budget, and the trail is already close.
      const points = this.sparseGrid(list) ? this.firstRung(here, list) : this.policy.nearPoints(here, list);
      if (!points.length) return false;
      await this.placeNear(here, points, true);
      if (this.exec.othersWaiting) return true; // old near snapshots can go next time
      const stale = this.policy.staleNearSnapshots(await this.snapshots!.list());
      for (const s of stale) await this.snapshots!.delete(s.name);
      if (stale.length) this.emit('snapshotsChanged', await this.snapshots!.list());
      return true;
    });
  }

  /**
   * Snapshots at `points` (ascending, before `here`), then back to `here`; the position shown stays `here`.
   * `yieldToUser`: stop placing when a request is waiting (background work).
   */
  private async placeNear(here: number, points: number[], yieldToUser: boolean): Promise<void> {
    this.shownIcount = here;
    let moved = false;
    const placed = new Set<string>();
    try {
      for (const point of points) {
        if (yieldToUser && this.exec.othersWaiting) break; // the user asked for something: their request first
        moved = true;
        await this.qmpSeek(point); // the first loads a snapshot; the next continue forward from it
        // The rungs placed now stay: making room evicts others (they are what the next reverse step needs).
        if (await this.saveAutomaticSnapshot(point, NEAR_PREFIX, placed)) placed.add(`${NEAR_PREFIX}${point}`);
      }
      if (moved) await this.qmpSeek(here);
    } finally {
      this.shownIcount = undefined;
    }
  }

  /**
   * Before a reverse operation that replays several times from `here` (reverse continue: two or three times, with
   * breakpoints inserted that slow replay ~2.7×; step back by line, reverse step out/in), in a guest with a sparse
   * grid (a kernel's): place the ladder's far rung first, one replay and one savevm, so every replay of the
   * operation starts close by (a kernel reverse continue 1.7-2.5 s -> 0.4-1.0 s). Not for one instruction back.
   */
  private async nearSnapshotFirst(here: number): Promise<void> {
    if (!this.snapshots || !this.policy.enabled) return;
    const list = await this.snapshots.list();
    // Only for guests whose grid is sparse: replay speed varies too much (and breakpoints slow it) to judge a
    // single distance by it; a sample guest's grid is dense, and idle work places its rungs.
    if (!this.sparseGrid(list)) return;
    const points = this.firstRung(here, list);
    if (points.length) await this.placeNear(here, points, false);
  }

  /** The ladder's far rung before `here`, when the nearest earlier snapshot is further than TRAIL_MIN back. */
  private firstRung(here: number, list: SnapshotInfo[]): number[] {
    const before = latestSnapshotIcount(list, here, true);
    return here - before > TRAIL_MIN ? this.policy.nearPoints(here, list).slice(0, 1) : [];
  }

  /**
   * While recording (called every ~100 ms): a snapshot once `interval` instructions passed since the last one, so
   * that a long recording replays with snapshots already spread over it. savevm is safe while recording (loadvm is
   * not). Record mode stops the guest only where QEMU ends an instruction budget (the next virtual-timer deadline:
   * ~0.1 s of guest time with shift=auto, 2^(31-shift) instructions otherwise), so the snapshot lands there; the
   * next one counts from where this one landed.
   */
  async recordTimeSnapshot(): Promise<boolean> {
    if (this.options.mode !== 'record' || !this.qmp || !this.policy.enabled) return false;
    const icount = await this.exec.icount();
    // Until one is measured, a snapshot costs what the initial one took (the image holds only that at the start).
    if (!this.recordSnapshotBytes) this.recordSnapshotBytes = imageDiskBytes(this.options.snapshotImage) ?? 0;
    // Spaced by what this guest's snapshots cost (SnapshotPolicy.spacing), asked for early by the distance the last
    // one landed after it was asked for, so they land ~spacing apart.
    const spacing = this.policy.spacing(this.recordSnapshotBytes, icount);
    if (icount - this.lastRecordSnapshot < spacing - this.recordLag) return false;
    // The budget bounds the image on disk: no snapshot that would not fit (the default budget grows as it records).
    const before = imageDiskBytes(this.options.snapshotImage);
    if (before !== undefined && before + this.recordSnapshotBytes > this.policy.budget(icount)) return false;
    this.recordSnapshots++;
    const out = await this.qmp.hmp(`savevm ${AUTO_PREFIX}r${this.recordSnapshots}`, 60_000);
    if (out.trim()) throw errors.recordSnapshotFailed(out.trim());
    const landed = await this.exec.icount();
    const after = imageDiskBytes(this.options.snapshotImage);
    if (before !== undefined && after !== undefined) this.recordSnapshotBytes = Math.max(this.recordSnapshotBytes, after - before);
    this.recordLag = Math.min(spacing / 2, (this.recordLag + Math.max(0, landed - icount)) / 2);
    this.lastRecordSnapshot = landed;
    return true;
  }

  /**
   * An automatic snapshot at the position, within the disk budget: the least useful automatic snapshots (never
   * those in `protect`) make room first; when there is no room, none is taken. Returns whether it was.
   */
  private async saveAutomaticSnapshot(icount: number, prefix = AUTO_PREFIX, protect: ReadonlySet<string> = new Set()): Promise<boolean> {
    const store = this.snapshots!;
    const name = `${prefix}${icount}`;
    const instructions = this.end ?? icount;
    const budget = this.policy.budget(instructions);
    let list = await store.list();
    const incoming = SnapshotPolicy.expectedBytes(list);
    let disk = store.diskBytes();
    // The estimate of what a deletion frees is the snapshot's VM state; the image may give back less: measure again.
    for (let round = 0; disk !== undefined && disk + incoming > budget; round++) {
      const victims = this.policy.evictions(list, { diskBytes: disk, incomingBytes: incoming, instructions, protect });
      if (!victims.length || round === 8) return false;
      for (const victim of victims) await store.delete(victim.name);
      this.emit('snapshotsChanged', list = await store.list());
      disk = store.diskBytes();
    }
    await store.save(name);
    list = await store.list();
    disk = store.diskBytes();
    if (disk !== undefined && disk > budget) {
      // Larger than expected: others make room, or it goes again.
      const keep = new Set([...protect, name]);
      const victims = this.policy.evictions(list, { diskBytes: disk, instructions, protect: keep });
      for (const victim of victims) await store.delete(victim.name);
      if ((store.diskBytes() ?? 0) > budget) await store.delete(name);
      list = await store.list();
    }
    this.emit('snapshotsChanged', list);
    return list.some((s) => s.name === name);
  }
}

function isPlainSignal(record: MiStopRecord): boolean {
  return record.reasons.length === 1 && record.reasons[0] === 'signal-received';
}

function uniqueName(base: string, existing: SnapshotInfo[]): string {
  let name = base;
  for (let i = 2; existing.some((s) => s.name === name); i++) name = `${base}-${i}`;
  return name;
}
