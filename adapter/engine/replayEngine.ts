/**
 * The replay engine: time travel on top of gdb (execution, symbols) and QMP (icount, seek, snapshots).
 * It keeps the user away from QEMU 7.2's traps (see docs/design.md):
 *  - the end of the log: a replay breakpoint one before the first SHUTDOWN is armed before every forward run,
 *    so QEMU never runs off the end (it would exit, or abort on the next seek);
 *  - one replay breakpoint: the engine keeps any number of icount breakpoints and arms the nearest one;
 *  - stale gdb caches after QMP seeks: flushed after every seek;
 *  - nothing talks to gdb while QMP drives a run (operations are exclusive);
 *  - reverse-continue skipping a hit at icount-1: the engine steps back one instruction first and checks it.
 * This class is the facade: forward runs, stop on entry, seeks, icount breakpoints and the snapshot requests are
 * here; the position and its moves (QMP seeks, gdb runs) are in position.ts, the reverse operations in reverse.ts,
 * and where the engine places snapshots of its own (grid, trail, rungs, record time) in placement.ts.
 */
import { EventEmitter } from 'node:events';
import type { ArchitectureName, HitHistoryMethod, ReplayMode, ReplayState, SnapshotInfo, IcountBreakpointResult } from '../../common/protocol';
import { hasQuirk, type QemuVersion } from '../qemu/version';
import { errors } from '../errors';
import { breakDelete, breakInsert, isReadable, stackInfoFrame, type MiStopRecord } from '../gdb/mi';
import type { QmpClient } from '../qemu/qmp';
import { Execution, GdbRunCommand, Stop } from './execution';
import { SnapshotPlacement } from './placement';
import { FoundWrite, HitScan, RecordingPasses, RegisterSearch, WriteSearch } from './history';
import { HitHistory } from './hitHistory';
import { HitsByPlugin, pluginFor, type BackgroundReplay } from './hitsByPlugin';
import { Position } from './position';
import { breakpointSignature, ForwardHits } from './forwardHits';
import { ReverseOperations } from './reverse';
import { INITIAL_SNAPSHOT, latestSnapshotIcount, SnapshotPolicy, SnapshotStore, validateSnapshotName } from './snapshots';

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
  /** The QEMU running: each workaround of a QEMU trap applies only to the versions that have it (version.ts). */
  qemuVersion?: QemuVersion;
  /** The guest's architecture, when known (launch). */
  architecture?: ArchitectureName;
  /** A launched replay: how its QEMU was started, for passes run by a second QEMU in the background. */
  background?: BackgroundReplay;
}

export interface EngineEvents {
  snapshotsChanged: [SnapshotInfo[]];
  /** Serial output reached by replay, for icounts in [from, to). */
  progress: [number, number];
  running: [];
}

export type StepGranularity = 'line' | 'instruction';
export type IcountBreakpointOwner = 'view' | 'request';

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
  /** Where the replay is, and the moves (gdb runs, QMP seeks) that change it. */
  private readonly pos: Position;
  private readonly placement: SnapshotPlacement;
  private readonly reverse: ReverseOperations;
  private readonly passes: RecordingPasses;
  private readonly pluginHits: HitsByPlugin | undefined;
  private readonly hitSearch: HitHistory;
  /** What forward continues showed: where a reverse continue goes without searching (forwardHits.ts). */
  private readonly forwardHits = new ForwardHits();

  constructor(readonly exec: Execution, readonly qmp: QmpClient | undefined, readonly options: EngineOptions) {
    super();
    this.snapshots = qmp && options.mode === 'play' ? new SnapshotStore(qmp, options.snapshotImage) : undefined;
    this.policy = new SnapshotPolicy({ interval: options.snapshotInterval, budgetBytes: options.snapshotBudgetBytes });
    this.pos = new Position(exec, qmp, options.mode === 'play', (from, to) => this.emit('progress', from, to));
    this.placement = new SnapshotPlacement(exec, qmp, options, this.snapshots, this.policy, this.pos, (list) => this.emit('snapshotsChanged', list));
    this.reverse = new ReverseOperations(exec, qmp, this.snapshots, this.pos, this.placement, () => this.icountBreakpoints,
      { version: options.qemuVersion, architecture: options.architecture }, this.forwardHits);
    this.passes = new RecordingPasses(exec, this.pos, () => this.end ?? 0,
      async (icount) => (this.snapshots ? latestSnapshotIcount(await this.snapshots.list(), icount) : 0));
    this.pluginHits = options.background && options.mode === 'play'
      ? new HitsByPlugin(options.background, pluginFor(options.qemuVersion), (work) => exec.exclusive(work))
      : undefined;
    this.hitSearch = new HitHistory(exec, this.passes, this.pluginHits);
    exec.on('running', () => this.emit('running'));
  }

  /** Ends what runs in the background (the session ends). */
  async dispose(): Promise<void> {
    await this.pluginHits?.dispose();
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
      icount: this.pos.shownIcount ?? this.pos.lastIcount,
      endIcount: this.options.endIcount,
      recording: this.options.recording,
      running,
      icountBreakpoints: [...this.icountBreakpoints],
    };
  }

  /** Called once after gdb attached: the first seek needs no snapshot load (a load in prelaunch crashes QEMU 7.2). */
  async prepare(): Promise<void> {
    if (this.replaying && this.qmp && hasQuirk(this.options.qemuVersion, 'prelaunchLoadCrash')) await this.pos.qmpSeek(0);
    this.pos.lastIcount = await this.exec.icount();
  }

  refreshIcount(): Promise<number> {
    return this.pos.refreshIcount();
  }

  /**
   * Something outside the engine may have talked to QEMU or gdb (a Debug Console command): the next operation
   * asks QEMU where it is and re-arms its replay breakpoint.
   */
  forgetPosition(): void {
    this.pos.forget();
    this.snapshots?.invalidate(); // `hmp savevm` from the console adds one
  }

  // ---- forward execution -------------------------------------------------------------------------------------

  /** A forward run; `limit`: a replay stops there at the latest (as if an icount breakpoint were there). */
  forward(command: GdbRunCommand, limit?: number): Promise<Stop> {
    return this.exec.exclusive(async () => {
      let from = this.pos.icountKnown ? this.pos.lastIcount : await this.pos.refreshIcount();
      const end = this.end;
      if (this.replaying && end !== undefined && from >= end) {
        return this.atEnd(from);
      }
      const startedAt = from;
      let steppedOver = false;
      // The breakpoints this continue runs with: where it stops is a fact for reverse continue (forwardHits.ts).
      const signature = this.replaying && command === '-exec-continue' ? await this.breakpointSignature() : undefined;
      for (;;) {
        const target = this.replaying ? this.icountBreakpoints.find((b) => b > from) : undefined;
        let snapPoint: number | undefined;
        let trailPoint: number | undefined;
        if (this.replaying && this.snapshots && command === '-exec-continue') {
          ({ snapPoint, trailPoint } = await this.placement.runPoints(from, Math.min(target ?? Infinity, end ?? Infinity, limit ?? Infinity)));
        }
        const next = trailPoint ?? snapPoint;
        const stopAt = this.replaying && this.qmp && end !== undefined ? Math.min(target ?? end, end, next ?? Infinity, limit ?? Infinity) : undefined;
        const started = Date.now();
        const { record, icount } = await this.pos.runForward(command, stopAt);
        this.placement.measureSpeed(icount - from, Date.now() - started);
        this.emit('progress', from, icount);
        if (next !== undefined && icount === next && isPlainSignal(record)) {
          if (next === trailPoint) await this.placement.leaveTrail(icount);
          else await this.placement.saveAutomaticSnapshot(icount);
          from = icount;
          continue;
        }
        const stop = this.exec.classify(record, icount, { icountTarget: target, guard: end, step: command !== '-exec-continue' });
        // gdb steps over a breakpoint at the pc only when it stopped there itself. After a seek that landed on one
        // (gdb's last stop was elsewhere), the run hits it before executing anything and stops where it began (the
        // soak test, seed 860691: seek to 14402, continue stayed at 14402). gdb has now stopped there: run again.
        // Only a replay's icount is exact (recording: coarse; a QEMU without record/replay: always 0).
        if (this.replaying && stop.reason === 'breakpoint' && icount === startedAt && !steppedOver) {
          if (stop.gdbBreakpoint) this.forwardHits.hit(icount, stop.gdbBreakpoint, signature);
          steppedOver = true;
          from = icount;
          continue;
        }
        if (signature !== undefined) {
          if (stop.reason === 'breakpoint' && stop.gdbBreakpoint) this.forwardHits.hit(icount, stop.gdbBreakpoint, signature);
          if (stop.reason === 'breakpoint' || stop.reason === 'icount breakpoint' || stop.reason === 'end') this.forwardHits.ranClear(startedAt, icount, signature);
        }
        return stop;
      }
    });
  }

  private async breakpointSignature(): Promise<string | undefined> {
    return await breakpointSignature(this.exec.gdb, this.icountBreakpoints).catch(() => undefined);
  }

  /**
   * "Stop on entry": boards that run firmware or a reset ROM first (riscv64 virt runs 6 instructions) start
   * elsewhere, so run to the program's entry point and stop in `_start`. Skipped when the CPU starts there. Never
   * runs away: an entry that is not mapped yet (a kernel's vmlinux entry is a virtual address and the CPU starts
   * with the MMU off at a physical one) is not looked for, and a replay looks for it within ENTRY_SEARCH
   * instructions only; either way it stops at the start of the recording and says why (`note`). `beforeRun`: what
   * the run waits for (symbols that load later, lateSymbols.ts).
   */
  async runToEntry(entry: bigint, beforeRun?: Promise<unknown>): Promise<Stop | undefined> {
    const gdb = this.exec.gdb;
    const pc = (await stackInfoFrame(gdb))?.addr;
    if (!pc || BigInt(pc) === entry) return undefined;
    const at = `0x${entry.toString(16)}`;
    const atStart = (why: string): Stop => ({
      reason: 'entry', icount: this.pos.lastIcount,
      note: `The program's entry point ${at} ${why}: stopped where the CPU starts (pc ${pc}, icount ${this.pos.lastIcount}) instead. Set breakpoints and continue, or set "stopOnEntry": false.`,
    });
    const mapped = await isReadable(gdb, at);
    if (!mapped) return atStart('is not mapped when the guest starts (a kernel\'s vmlinux entry is a virtual address, and the CPU starts with the MMU off)');
    await beforeRun; // the breakpoints that may stop it before the entry are in place
    const inserted = await breakInsert(gdb, `*${at}`, { temporary: true });
    if (!this.replaying) return { ...(await this.forward('-exec-continue')), reason: 'entry' };
    const start = this.pos.lastIcount;
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

  /** Step back one instruction, or one source line (over calls), or into the previous line (`into`). */
  stepBack(granularity: StepGranularity, into = false): Promise<Stop> {
    this.requireReplay('Stepping back');
    return this.reverse.stepBack(granularity, into);
  }

  /** Back to the call site of the current function. */
  reverseStepOut(): Promise<Stop> {
    this.requireReplay('Reverse step out');
    return this.reverse.reverseStepOut();
  }

  /** Back to the most recent earlier stop of any enabled breakpoint, watchpoint or icount breakpoint. */
  reverseContinue(): Promise<Stop> {
    this.requireReplay('Reverse continue');
    return this.reverse.reverseContinue();
  }

  // ---- the whole recording: passes that come back to the position (history.ts) -------------------------------

  /** Every hit of some breakpoints in [from, to); complete: false when cancelled. The ways: hitHistory.ts. */
  hitHistory(scan: HitScan): Promise<{ complete: boolean; method: HitHistoryMethod }> {
    this.requireReplay('Hit history');
    checkIcount(scan.from, 'The start of the range', this.end);
    checkIcount(scan.to, 'The end of the range', undefined);
    return this.hitSearch.run(scan, Math.min(scan.to, this.end ?? scan.to));
  }

  /** The last write before the position, or the next after it, of what `search.watch` names; moves there. */
  findWrite(search: WriteSearch): Promise<FoundWrite | undefined> {
    this.requireReplay('Finding where a value changed');
    this.exec.assertStopped('look for a write');
    return this.passes.write(search);
  }

  /** The last change of a register before the position, or the next after it, within `search.reach`; moves there. */
  findRegisterChange(search: RegisterSearch): Promise<FoundWrite | undefined> {
    this.requireReplay('Finding where a value changed');
    this.exec.assertStopped('look for a change');
    return this.passes.registerChange(search);
  }

  /** `read` at each icount (the replay stands there meanwhile), then back to the position. */
  atMoments<T>(icounts: readonly number[], read: (icount: number) => Promise<T>): Promise<T[]> {
    this.requireReplay('Comparing moments');
    for (const i of icounts) checkIcount(i, 'A moment to compare', this.end);
    return this.passes.atMoments(icounts, read);
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
      await this.placement.trailBeforeSeek(icount);
      await this.pos.qmpSeek(icount);
      this.pos.lastIcount = icount;
      return { reason: 'seek', icount, text: `Moved to icount ${icount}.` };
    });
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
   * Called when the user has stopped somewhere and is idle: places a snapshot near the position when the nearest
   * earlier one is far behind (see SnapshotPlacement). Returns whether it placed one; the state the user sees is unchanged.
   */
  placeSnapshotNearPosition(): Promise<boolean> {
    return this.placement.placeSnapshotNearPosition();
  }

  /** While recording (called every ~100 ms): a snapshot when one is due (see SnapshotPlacement). */
  recordTimeSnapshot(): Promise<boolean> {
    return this.placement.recordTimeSnapshot();
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
