/**
 * Where the engine places snapshots of its own: the automatic grid behind forward runs, the trail (sparse grids:
 * a kernel's), the rungs near the position (idle time, before reverse operations) and record-time snapshots, all
 * within the disk budget (SnapshotPolicy, in snapshots.ts, decides the points; this module moves there and saves).
 */
import type { SnapshotInfo } from '../../common/protocol';
import { errors } from '../errors';
import type { QmpClient } from '../qemu/qmp';
import type { Execution } from './execution';
import type { Position } from './position';
import { AUTO_PREFIX, imageDiskBytes, latestSnapshotIcount, NEAR_PREFIX, SnapshotPolicy, SnapshotStore } from './snapshots';
import type { EngineOptions } from './replayEngine';

/** Trail snapshots behind forward runs are ~this much replay apart (ms), so a cold reverse step costs about that. */
const TRAIL_MS = 300;
const TRAIL_MIN = 2_000_000;
/** A long seek leaves its snapshot this far before the target. */
const TRAIL_BEHIND = 1_000_000;

export class SnapshotPlacement {
  private lastRecordSnapshot = 0;
  private recordSnapshots = 0;
  /** How far (instructions) record-time snapshots land after they are asked for, smoothed. */
  private recordLag = 0;
  /** Replay speed (instructions per ms), measured on forward runs; a kernel's busy boot replays at ~60 M/s. */
  private replaySpeed = 60_000;
  /** What one snapshot of this guest adds to the image while recording (measured at each; the init one at first). */
  private recordSnapshotBytes = 0;

  constructor(
    private readonly exec: Execution,
    private readonly qmp: QmpClient | undefined,
    private readonly options: EngineOptions,
    private readonly snapshots: SnapshotStore | undefined,
    private readonly policy: SnapshotPolicy,
    private readonly pos: Position,
    private readonly changed: (list: SnapshotInfo[]) => void,
  ) {}

  /** Where the user is (the position shown while the engine works elsewhere). */
  private get userPosition(): number {
    return this.pos.shownIcount ?? this.pos.lastIcount;
  }

  private get end(): number | undefined {
    return this.options.endIcount;
  }

  /**
   * Where a forward continue from `from` (stopping at `bound` at the latest) saves on its way: the next grid point
   * (`snapPoint`) and, with a sparse grid, a trail point before it (`trailPoint`).
   */
  async runPoints(from: number, bound: number): Promise<{ snapPoint?: number; trailPoint?: number }> {
    const list = await this.snapshots!.list();
    const snapPoint = this.policy.nextPoint(from, bound, list, this.gridSpacing(list));
    let trailPoint: number | undefined;
    // A guest with sparse grid snapshots: leave a trail behind the run, so the first reverse step after the
    // stop replays from close by whatever the idle time (see trailStep).
    if (this.sparseGrid(list)) trailPoint = from + this.trailStep(list);
    if (trailPoint !== undefined && snapPoint !== undefined && trailPoint >= snapPoint) trailPoint = undefined;
    return { snapPoint, trailPoint };
  }

  /** Grid spacing for this guest (SnapshotPolicy.spacing with its measured snapshot size). */
  private gridSpacing(list: SnapshotInfo[]): number {
    return this.policy.spacing(SnapshotPolicy.expectedBytes(list), this.end ?? this.pos.lastIcount);
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
  measureSpeed(instructions: number, ms: number): void {
    if (ms < 50 || instructions <= 0) return;
    this.replaySpeed = this.replaySpeed * 0.5 + (instructions / ms) * 0.5;
  }

  /** A trail snapshot at the position; only the two newest trail snapshots stay (with older near-position ones). */
  async leaveTrail(icount: number): Promise<void> {
    const store = this.snapshots!;
    const trail = (await store.list()).filter((s) => s.name.startsWith(NEAR_PREFIX)).sort((a, b) => b.icount - a.icount);
    const keep = new Set(trail.filter((s) => s.icount < icount).slice(0, 1).map((s) => s.name));
    await this.saveAutomaticSnapshot(icount, NEAR_PREFIX, keep);
    const stale = trail.filter((s) => s.icount < icount && !keep.has(s.name) && icount - s.icount < this.gridSpacing(trail));
    for (const s of stale) await store.delete(s.name);
    if (stale.length) this.changed(await store.list());
  }

  /**
   * The replay is at `icount` and is about to leave it for a while and come back (reverse continue's check of QEMU
   * 7.2's window edges): in a guest with sparse snapshots, when coming back would replay for longer than a snapshot
   * costs (the nearest earlier one over a trail step behind), a snapshot here first, so the way back is one load.
   * It stays, as the rungs do: the reverse steps that usually follow a reverse continue start from it.
   */
  async keepBeforeLeaving(icount: number): Promise<void> {
    const list = this.snapshots ? await this.snapshots.list() : [];
    if (!this.sparseGrid(list) || icount - latestSnapshotIcount(list, icount) <= this.trailStep(list)) return;
    await this.saveAutomaticSnapshot(icount, NEAR_PREFIX);
  }

  /**
   * Before a seek to `icount`: a long replay to the target in a guest with sparse grid snapshots leaves a snapshot
   * a little before it on the way (one savevm more), so the reverse steps that follow replay from there.
   */
  async trailBeforeSeek(icount: number): Promise<void> {
    const list = this.snapshots ? await this.snapshots.list() : [];
    const before = latestSnapshotIcount(list, icount);
    const behind = icount - TRAIL_BEHIND;
    if (this.sparseGrid(list) && behind - before > this.trailStep(list) && (icount < this.pos.lastIcount || behind > this.pos.lastIcount)) {
      await this.pos.qmpSeek(behind);
      await this.saveAutomaticSnapshot(behind, NEAR_PREFIX);
    }
  }

  /**
   * Called when the user has stopped somewhere and is idle: if the nearest earlier snapshot is far behind, replay
   * to just before the position, snapshot there (SnapshotPolicy.nearPoints) and come back, so the reverse
   * operations that usually follow are interactive. Returns whether it placed one. The state the user sees is unchanged (same icount, caches flushed).
   */
  placeSnapshotNearPosition(): Promise<boolean> {
    if (this.options.mode !== 'play' || !this.snapshots || !this.policy.enabled) return Promise.resolve(false);
    return this.exec.exclusive(async () => {
      const here = await this.pos.refreshIcount();
      const list = await this.snapshots!.list();
      // A guest with large snapshots gets the one rung a reverse operation would place itself (nearSnapshotFirst):
      // each savevm costs it ~0.1-0.6 s and ~45 MB of its budget, and the trail is already close.
      const points = this.sparseGrid(list) ? this.firstRung(here, list) : this.policy.nearPoints(here, list);
      if (!points.length) return false;
      await this.placeNear(here, points, true);
      if (this.exec.othersWaiting) return true; // old near snapshots can go next time
      const stale = this.policy.staleNearSnapshots(await this.snapshots!.list());
      for (const s of stale) await this.snapshots!.delete(s.name);
      if (stale.length) this.changed(await this.snapshots!.list());
      return true;
    });
  }

  /**
   * Snapshots at `points` (ascending, before `here`), then back to `here`; the position shown stays `here`.
   * `yieldToUser`: stop placing when a request is waiting (background work).
   */
  private async placeNear(here: number, points: number[], yieldToUser: boolean): Promise<void> {
    this.pos.shownIcount = here;
    let moved = false;
    const placed = new Set<string>();
    try {
      for (const point of points) {
        if (yieldToUser && this.exec.othersWaiting) break; // the user asked for something: their request first
        moved = true;
        await this.pos.qmpSeek(point); // the first loads a snapshot; the next continue forward from it
        // The rungs placed now stay: making room evicts others (they are what the next reverse step needs).
        if (await this.saveAutomaticSnapshot(point, NEAR_PREFIX, placed)) placed.add(`${NEAR_PREFIX}${point}`);
      }
      if (moved) await this.pos.qmpSeek(here);
    } finally {
      this.pos.shownIcount = undefined;
    }
  }

  /**
   * Before a reverse operation that replays several times from `here` (reverse continue: two or three times, with
   * breakpoints inserted that slow replay ~2.7×; step back by line, reverse step out/in), in a guest with a sparse
   * grid (a kernel's): place the ladder's far rung first, one replay and one savevm, so every replay of the
   * operation starts close by (a kernel reverse continue 1.7-2.5 s -> 0.4-1.0 s). Not for one instruction back.
   */
  async nearSnapshotFirst(here: number): Promise<void> {
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
  async saveAutomaticSnapshot(icount: number, prefix = AUTO_PREFIX, protect: ReadonlySet<string> = new Set()): Promise<boolean> {
    const store = this.snapshots!;
    const name = `${prefix}${icount}`;
    const instructions = this.end ?? icount;
    const budget = this.policy.budget(instructions);
    let list = await store.list();
    const incoming = SnapshotPolicy.expectedBytes(list);
    let disk = store.diskBytes();
    // The estimate of what a deletion frees is the snapshot's VM state; the image may give back less: measure again.
    for (let round = 0; disk !== undefined && disk + incoming > budget; round++) {
      const victims = this.policy.evictions(list, { diskBytes: disk, incomingBytes: incoming, instructions, protect, position: this.userPosition });
      if (!victims.length || round === 8) return false;
      for (const victim of victims) await store.delete(victim.name);
      this.changed(list = await store.list());
      disk = store.diskBytes();
    }
    await store.save(name);
    list = await store.list();
    disk = store.diskBytes();
    if (disk !== undefined && disk > budget) {
      // Larger than expected: others make room, or it goes again.
      const keep = new Set([...protect, name]);
      const victims = this.policy.evictions(list, { diskBytes: disk, instructions, protect: keep, position: this.userPosition });
      for (const victim of victims) await store.delete(victim.name);
      if ((store.diskBytes() ?? 0) > budget) await store.delete(name);
      list = await store.list();
    }
    this.changed(list);
    return list.some((s) => s.name === name);
  }
}
