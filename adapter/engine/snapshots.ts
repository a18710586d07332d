/**
 * The recording's snapshots (they live in its qcow2 and persist between sessions) and the automatic snapshot
 * policy: keep one every `interval` instructions as replay advances, within a disk budget, evicting the one whose
 * removal leaves the smallest gap. Reverse operations and seeks cost the distance to the nearest earlier snapshot,
 * so this is what keeps time travel interactive in a long recording.
 */
import { statSync } from 'node:fs';
import type { SnapshotInfo, SnapshotKind } from '../../common/protocol';
import { errors } from '../errors';
import type { QmpClient } from '../qemu/qmp';

export const INITIAL_SNAPSHOT = 'init';
export const AUTO_PREFIX = 'auto-';
/** Automatic snapshots placed just behind where the user stopped (see SnapshotPolicy.nearPoint). */
export const NEAR_PREFIX = `${AUTO_PREFIX}near-`;
/** Names QEMU and the HMP parser accept without quoting trouble, and that never look like a snapshot id. */
const NAME_RULE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export function snapshotKind(name: string): SnapshotKind {
  if (name === INITIAL_SNAPSHOT) return 'initial';
  return name.startsWith(AUTO_PREFIX) ? 'automatic' : 'user';
}

export function validateSnapshotName(name: unknown, existing: SnapshotInfo[]): string {
  if (typeof name !== 'string' || name.trim() === '') throw errors.snapshotNameEmpty();
  if (!NAME_RULE.test(name)) throw errors.snapshotNameInvalid(name);
  if (name.startsWith(AUTO_PREFIX)) throw errors.snapshotNameReserved(AUTO_PREFIX);
  if (existing.some((s) => s.name === name)) throw errors.snapshotNameTaken(name);
  return name;
}

export class SnapshotStore {
  private cache: SnapshotInfo[] | undefined;

  /** `image`: the snapshot image's file, whose real disk use the budget bounds. */
  constructor(private readonly qmp: QmpClient, private readonly image?: string) {}

  /** What the snapshot image really takes on disk (allocated blocks; qcow2 punches holes where deleted snapshots were). */
  diskBytes(): number | undefined {
    return imageDiskBytes(this.image);
  }

  invalidate(): void {
    this.cache = undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    if (this.cache) return this.cache;
    const blocks = await this.qmp.call('query-block', undefined);
    const rr = blocks.find((b) => b.device === 'rr') ?? blocks.find((b) => b.inserted?.image?.snapshots);
    const raw = rr?.inserted?.image?.snapshots ?? [];
    this.cache = raw
      .map((s) => ({
        name: s.name,
        id: s.id,
        icount: s.icount ?? 0,
        date: s['date-sec'] * 1000 + Math.floor(s['date-nsec'] / 1e6),
        vmStateSize: s['vm-state-size'],
        kind: snapshotKind(s.name),
      }))
      .sort((a, b) => a.icount - b.icount || a.date - b.date);
    return this.cache;
  }

  async save(name: string): Promise<void> {
    this.invalidate();
    const out = await this.qmp.hmp(`savevm ${name}`, 60_000);
    if (out.trim()) throw errors.snapshotNotSaved(name, out.trim());
  }

  async delete(name: string): Promise<void> {
    this.invalidate();
    const out = await this.qmp.hmp(`delvm ${name}`, 60_000);
    if (out.trim()) throw errors.snapshotNotDeleted(name, out.trim());
  }
}

/** The icount of the latest snapshot at or before `icount` (`strictly`: before it); 0, the start, if none. */
export function latestSnapshotIcount(list: SnapshotInfo[], icount: number, strictly = false): number {
  return list.reduce((m, s) => (s.icount < icount || (!strictly && s.icount === icount) ? Math.max(m, s.icount) : m), 0);
}

/** Allocated bytes of a file (what it takes on disk, not its apparent size), or undefined if it cannot be read. */
export function imageDiskBytes(image: string | undefined): number | undefined {
  if (!image) return undefined;
  try {
    return statSync(image).blocks * 512;
  } catch {
    return undefined;
  }
}

const MiB = 1024 * 1024;
/** The default disk budget: this much per 1e9 recorded instructions… */
export const DEFAULT_BUDGET_PER_GIGA_INSTRUCTIONS = 256 * MiB;
/** …and at least this much, so a short recording still gets a few snapshots of a large guest (a kernel's are ~45 MB). */
export const MIN_DEFAULT_BUDGET = 128 * MiB;

export interface SnapshotPolicyOptions {
  /** Instructions between automatic snapshots (the finest grid); 0 turns the policy off. */
  interval: number;
  /** Bound on the snapshot image's disk use; undefined: the default, which grows with the recording. */
  budgetBytes?: number;
}

/** In `sorted` (by icount), the evictable near-position snapshot furthest from `position`; -1 if none. */
function furthestNear(sorted: SnapshotInfo[], position: number, evictable: (s: SnapshotInfo) => boolean): number {
  let victim = -1;
  let furthest = -1;
  sorted.forEach((s, i) => {
    const distance = Math.abs(s.icount - position);
    if (evictable(s) && s.name.startsWith(NEAR_PREFIX) && distance > furthest) { furthest = distance; victim = i; }
  });
  return victim;
}

/** In `sorted` (by icount), the evictable snapshot whose removal leaves the smallest gap (it merges the gaps on its two sides); -1 if none. */
function smallestGap(sorted: SnapshotInfo[], evictable: (s: SnapshotInfo) => boolean): number {
  let victim = -1;
  let smallest = Infinity;
  sorted.forEach((s, i) => {
    if (!evictable(s)) return;
    const prev = i > 0 ? sorted[i - 1].icount : 0;
    const next = i + 1 < sorted.length ? sorted[i + 1].icount : s.icount;
    if (next - prev < smallest) { smallest = next - prev; victim = i; }
  });
  return victim;
}

/** Decides where automatic snapshots go and which to evict. Pure: the engine does the QMP work. */
export class SnapshotPolicy {
  constructor(readonly options: SnapshotPolicyOptions) {}

  get enabled(): boolean {
    return this.options.interval > 0;
  }

  /** The disk budget for a recording of `instructions`: the one configured, or 256 MiB per 1e9 (at least 128 MiB). */
  budget(instructions: number): number {
    if (this.options.budgetBytes !== undefined) return this.options.budgetBytes;
    return Math.max(MIN_DEFAULT_BUDGET, Math.round(DEFAULT_BUDGET_PER_GIGA_INSTRUCTIONS * (instructions / 1e9)));
  }

  /**
   * Instructions between grid snapshots for a guest whose snapshots take `snapshotBytes`: `interval`, or sparser
   * when that would not fit half the budget over the recording (the other half is for snapshots near where the
   * user works). A bare-metal sample's ~0.6 MB snapshots keep the 1e7 interval; a kernel's ~45 MB go ~3e8 apart
   * in a 1e9 recording at the default budget.
   */
  spacing(snapshotBytes: number, instructions: number): number {
    const length = Math.max(instructions, 1);
    const perInstruction = this.budget(length) / 2 / length;
    const interval = Math.max(this.options.interval, 1);
    return interval * Math.max(1, Math.ceil(snapshotBytes / perInstruction / interval)); // on the interval's grid
  }

  /** The next icount after `from` (and before `limit`) where a grid snapshot is wanted, if any; `step`: the spacing. */
  nextPoint(from: number, limit: number, snapshots: SnapshotInfo[], step = this.options.interval): number | undefined {
    if (!this.enabled) return undefined;
    for (let p = (Math.floor(from / step) + 1) * step; p < limit; p += step) {
      if (!snapshots.some((s) => Math.abs(s.icount - p) < step / 2)) return p;
    }
    return undefined;
  }

  /**
   * Where to put snapshots so that reverse operations from `icount` are cheap, when the nearest earlier one is far
   * behind: every reverse step loads a snapshot and replays from it to its target. A ladder behind the position,
   * ascending: interval/100 (1e5 by default: ~3 ms of replay per reverse step, next to ~40 ms for the load) and
   * interval/10 (1e6: a reverse continue to a hit further back, or a reverse finish out of a long function,
   * replays from there instead of from the interval grid's snapshot up to 1e7 behind). Each rung is placed only
   * if nothing is already within twice its distance. Placing both costs one replay (the second is reached
   * forward from the first) and one more savevm.
   */
  nearPoints(icount: number, snapshots: SnapshotInfo[]): number[] {
    if (!this.enabled) return [];
    let before = 0;
    for (const s of snapshots) if (s.icount <= icount && s.icount > before) before = s.icount;
    const points: number[] = [];
    for (const divisor of [10, 100]) {
      const near = Math.max(1, Math.floor(this.options.interval / divisor));
      if (icount - before <= 2 * near) continue;
      before = icount - near;
      points.push(before);
    }
    return points;
  }

  /**
   * Near-position snapshots serve where the user is working now; the interval grid covers the rest of the
   * recording. Keep the `keep` most recent ones so wandering around a long recording does not fill the disk.
   */
  staleNearSnapshots(snapshots: SnapshotInfo[], keep = 8): SnapshotInfo[] {
    const near = snapshots.filter((s) => s.name.startsWith(NEAR_PREFIX)).sort((a, b) => b.date - a.date || b.icount - a.icount);
    return near.slice(keep);
  }

  /**
   * Automatic snapshots to delete so that the image fits the budget with `incomingBytes` more, least useful
   * first: the one whose removal leaves the smallest gap. `diskBytes`: what the image takes now (without it, the
   * automatic snapshots' VM state is counted). `protect`: snapshots that must stay (the ones just placed).
   * `position`: where the user is; then the near-position snapshots go first, the one furthest from it first (they
   * serve where the user works, the grid the rest of the recording). By gaps alone, a kernel's new rung evicted the
   * near snapshot just before it, the one a reverse continue to the previous hit needed (then a replay from the
   * grid, 1e8 instructions back: 2.8-4.5 s).
   */
  evictions(snapshots: SnapshotInfo[], opts: { diskBytes?: number; incomingBytes?: number; instructions?: number; protect?: ReadonlySet<string>; position?: number } = {}): SnapshotInfo[] {
    const budget = this.budget(opts.instructions ?? 0);
    const auto = snapshots.filter((s) => s.kind === 'automatic');
    let used = (opts.diskBytes ?? auto.reduce((n, s) => n + s.vmStateSize, 0)) + (opts.incomingBytes ?? 0);
    const out: SnapshotInfo[] = [];
    const remaining = [...snapshots].sort((a, b) => a.icount - b.icount);
    const evictable = (x: SnapshotInfo) => x.kind === 'automatic' && !opts.protect?.has(x.name);
    while (used > budget) {
      const near = opts.position !== undefined ? furthestNear(remaining, opts.position, evictable) : -1;
      const i = near >= 0 ? near : smallestGap(remaining, evictable);
      if (i < 0) break;
      const [gone] = remaining.splice(i, 1);
      used -= gone.vmStateSize;
      out.push(gone);
    }
    return out;
  }

  /** What the next snapshot of this guest will take: the largest recent VM state (a kernel's grows as it boots). */
  static expectedBytes(snapshots: SnapshotInfo[]): number {
    const recent = [...snapshots].sort((a, b) => b.date - a.date).slice(0, 4);
    return recent.reduce((n, s) => Math.max(n, s.vmStateSize), 0);
  }
}
