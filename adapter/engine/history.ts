/**
 * Passes over the whole recording that come back to where the user is: every hit of some breakpoints (hit history,
 * retroactive logpoints), the last or next write of a piece of memory, and the state at other moments (compare).
 *
 * A pass runs the replay forward with only the breakpoints it is about enabled (the user's others are disabled for
 * its duration, and enabled again after), bounded by QEMU's replay breakpoint, one gdb stop per hit: no DAP round
 * trip, no snapshot work. The replay is deterministic, so what a pass finds is what a forward continue would stop at.
 * Each pass holds the target (Execution.exclusive) and counts as a pass (Execution.duringPass: requests wait for it);
 * the user's position is shown throughout (Position.shownIcount) and restored by one seek at the end.
 */
import { breakDelete, enabledBreakpointLocations, stackInfoFrame, type MiFrame } from '../gdb/mi';
import { breakAfter, breakDisable, breakEnable, breakList, breakWatch } from '../gdb/mi-breakpoints';
import { dataListRegisterValues } from '../gdb/mi-variables';
import type { Execution, Stop } from './execution';
import type { Position } from './position';
import { breakpointAt, conditionHolds } from './reverse';
import { lastStopBefore } from './reverseByReplay';

/** How long the user must have been quiet before a pass that gave way goes on (VS Code's requests come in bursts). */
const USER_GRACE_MS = 300;

/** The first window of a search for a write, in instructions. */
const WRITE_FIRST_WINDOW = 20_000;
/** A register's search single-steps: it starts with this many instructions (registers change often). */
const REGISTER_FIRST_WINDOW = 64;

export interface RegisterSearch {
  /** gdb's number of the register. */
  register: number;
  direction: 'backward' | 'forward';
  /** At most this many instructions from the position. */
  reach: number;
  cancelled(): boolean;
}

export interface HitScan {
  /** gdb numbers of the breakpoints whose hits are wanted. */
  breakpoints: readonly string[];
  /** The range: hits at icounts in [from, to). */
  from: number;
  to: number;
  /** Per breakpoint: how many of its first hits to leave out (a hit count "N" stops first at the N-th hit). */
  skip?: ReadonlyMap<string, number>;
  /** Called for each hit, in icount order; the replay stands at the hit meanwhile (read what you need there). */
  onHit(stop: Stop): Promise<void> | void;
  /** Polled between hits; a run in progress is interrupted by the caller (Execution.pause). */
  cancelled(): boolean;
  /** Whether onHit reads the guest at each hit (a log message): then gdb must stop there (see hitsByPlugin.ts). */
  readsAtHits?: boolean;
  /** Where a background pass is, now and then (its hits may be far apart). */
  progress?(icount: number): void;
  /** The hits reported so far are withdrawn: the search starts over (a background pass that was not exact). */
  restart?(): void;
  /** How the hits are found when that is worth saying (gdb instead of the background replay, and why). */
  note?(text: string): void;
}

/** A hit found by a background pass: where it is, and what the pass's caller wants read there. */
export interface KnownHit {
  icount: number;
  /** The instruction's address (the replay must stand at it: checked). */
  pc: bigint;
  gdbBreakpoint: string;
  /** The breakpoint's condition, evaluated by gdb at the hit (the hit counts only when true). */
  condition?: string;
}

export interface HitVisit {
  /** Where the hits start (the range's start). */
  from: number;
  /** The next hit in icount order, once known; undefined after the last. */
  next(): Promise<KnownHit | undefined>;
  /** Per breakpoint: how many of its first hits (whose condition holds) to leave out. */
  skip?: ReadonlyMap<string, number>;
  /** Called at each hit kept, the replay standing there. */
  onHit(stop: Stop): Promise<void> | void;
  cancelled(): boolean;
}

/**
 * The replay was not where a background pass said a hit is: that pass is not exact in this guest. `done`: the icount
 * of the last hit reported before, and how many hits of each breakpoint were counted (kept or left out) up to it.
 */
export class HitNotThere extends Error {
  constructor(message: string, readonly done: { icount: number; seen: ReadonlyMap<string, number> }) {
    super(message);
  }
}

export interface WriteSearch {
  /** An lvalue gdb can watch anywhere: `*(type *) 0x…`, so no frame scope ends the watch. */
  watch: string;
  direction: 'backward' | 'forward';
  cancelled(): boolean;
}

export interface FoundWrite {
  /** The stop after the write (the position has moved there). */
  stop: Stop;
  /** The writing instruction's frame (the one before the stop). */
  writer?: Stop['frame'];
}

export class RecordingPasses {
  constructor(
    private readonly exec: Execution,
    private readonly pos: Position,
    /** The last icount a replay can stop at. */
    private readonly end: () => number,
    /** The icount of the latest snapshot at or before an icount (0 without snapshots). */
    private readonly snapshotBefore: (icount: number) => Promise<number>,
  ) {}

  /**
   * Every hit of `scan.breakpoints` in [from, to), in order. Resolves true when the whole range was searched, false
   * when it was cancelled (or the replay could go no further). The position is where it was afterwards.
   */
  async hits(scan: HitScan): Promise<boolean> {
    const keep = new Set(scan.breakpoints);
    const seen = new Map<string, number>();
    // The icount of the last hit counted: a stretch that gave way resumes after it, never on it again (the user's
    // interrupt can land where the hit was just taken, before the step over it).
    let counted = -1;
    const take = async (stop: Stop): Promise<void> => {
      counted = Math.max(counted, stop.icount);
      const n = stop.gdbBreakpoint!;
      const count = (seen.get(n) ?? 0) + 1;
      seen.set(n, count);
      if (count > (scan.skip?.get(n) ?? 0)) await scan.onHit(stop);
    };
    const to = Math.min(scan.to, this.end());
    let from = Math.max(0, scan.from);
    // In segments: when the user asks for something meanwhile, the pass goes back to the position, lets the
    // requests be answered, and goes on from where it stopped once the user is quiet.
    for (;;) {
      if (from >= to) return true;
      const segment = await this.around(() => this.withOnly(keep, true, () => this.hitSegment(keep, from, to, take, scan)));
      if (segment.done) return segment.complete;
      from = Math.max(segment.resumeAt, counted + 1);
      await this.exec.userQuiet(USER_GRACE_MS);
    }
  }

  /** One stretch of a hit pass, from `from` until `to`, a cancel, or the user's request (resume there). */
  private async hitSegment(
    keep: ReadonlySet<string>, from: number, to: number, take: (stop: Stop) => Promise<void>, scan: HitScan,
  ): Promise<{ done: true; complete: boolean } | { done: false; resumeAt: number }> {
    await this.pos.qmpSeek(from, true);
    // A hit exactly where the stretch starts: gdb did not stop there itself, so it may report it at once or step
    // over it (see lastStopBefore); looked at here, and not counted twice below.
    const bps = (await enabledBreakpointLocations(this.exec.gdb)).filter((b) => keep.has(b.number));
    const frame = await stackInfoFrame(this.exec.gdb);
    const atFrom = await breakpointAt(this.exec.gdb, frame?.addr, bps);
    if (atFrom) await take({ reason: 'breakpoint', icount: from, gdbBreakpoint: atFrom, frame });
    for (;;) {
      if (scan.cancelled()) return { done: true, complete: false };
      if (this.exec.userWaiting) return { done: false, resumeAt: this.pos.lastIcount };
      const { record, icount } = await this.pos.runForward('-exec-continue', to);
      if (icount >= to) return { done: true, complete: true };
      const stop = this.exec.classify(record, icount, {});
      if (stop.reason === 'pause' && !scan.cancelled() && this.exec.userWaiting) {
        // Interrupted for the user: nothing new was hit before here; a hit exactly here (not counted yet) is looked
        // at when it resumes.
        return { done: false, resumeAt: icount };
      }
      if (stop.reason !== 'breakpoint' && stop.reason !== 'watchpoint') return { done: true, complete: false }; // cancelled (a pause), a fault
      if (!stop.gdbBreakpoint || !keep.has(stop.gdbBreakpoint)) continue;
      if (icount === from && atFrom) continue;
      await take(stop);
    }
  }

  /**
   * Goes to each hit a background pass found (hitsByPlugin.ts), in order, with no gdb breakpoint inserted (QEMU's
   * replay breakpoint at the hit's icount: the replay runs at full speed between hits), and calls onHit there. Gives
   * way to the user as `hits` does. Resolves true when every hit was visited, false when cancelled; throws HitNotThere
   * when the replay is not at the hit's address (after the hits before it were reported).
   */
  async visit(v: HitVisit): Promise<boolean> {
    const seen = new Map<string, number>();
    let done = -1;
    const notThere = (why: string) => new HitNotThere(why, { icount: done, seen: new Map(seen) });
    const next = async (): Promise<KnownHit | undefined> => {
      try {
        return await v.next();
      } catch (err) {
        throw notThere(`the background replay failed (${err instanceof Error ? err.message : String(err)})`);
      }
    };
    // The pass begins before the first hit is known (the background replay starts meanwhile): nothing else, such as
    // the placement of a snapshot when the user is idle, takes the replay in between.
    let hit: KnownHit | undefined;
    let started = false;
    for (;;) {
      if (started && !hit) return true;
      const outcome = await this.around(() => this.withOnly(new Set(), false, async (): Promise<'done' | 'cancelled' | 'yield'> => {
        let jump = true;   // a stretch starts with a seek to its first hit; then runs from hit to hit
        if (!started) {
          // While the background replay starts: to the start of the range, from where the first hit is a run away
          // unless a snapshot is closer to it.
          const [first] = await Promise.all([next(), this.pos.qmpSeek(v.from, true)]);
          hit = first;
          started = true;
          jump = hit !== undefined && await this.snapshotBefore(hit.icount) > v.from;
        }
        while (hit) {
          if (v.cancelled()) return 'cancelled';
          if (this.exec.userWaiting) return 'yield';
          const target = hit;
          let frame: MiFrame | undefined;
          if (jump || this.pos.lastIcount > target.icount) {
            await this.pos.qmpSeek(target.icount, true);
          } else if (this.pos.lastIcount < target.icount) {
            const { record, icount } = await this.pos.runTo(target.icount);
            if (icount !== target.icount) {
              if (v.cancelled()) return 'cancelled';
              if (this.exec.userWaiting) return 'yield';
              throw notThere(`the replay stopped at icount ${icount} on its way to a hit at ${target.icount}`);
            }
            frame = record.frame;   // gdb's stop says where: no question more per hit
          }
          jump = false;
          if (!frame?.addr) frame = await stackInfoFrame(this.exec.gdb);
          if (!frame?.addr || BigInt(frame.addr) !== target.pc) {
            throw notThere(`at icount ${target.icount} the pc is ${frame?.addr ?? 'unknown'}, not the hit's 0x${target.pc.toString(16)}`);
          }
          // The next hit's replay breakpoint is armed (QMP) while gdb reads here.
          const upcoming = next();
          const arming = upcoming.then((h) => (h && h.icount > target.icount ? this.pos.armBreak(h.icount) : undefined), () => undefined);
          try {
            if (!target.condition || await conditionHolds(this.exec.gdb, target.condition)) {
              const n = (seen.get(target.gdbBreakpoint) ?? 0) + 1;
              seen.set(target.gdbBreakpoint, n);
              if (n > (v.skip?.get(target.gdbBreakpoint) ?? 0)) {
                await v.onHit({ reason: 'breakpoint', icount: target.icount, gdbBreakpoint: target.gdbBreakpoint, frame });
              }
            }
          } finally {
            await arming;
          }
          done = target.icount;
          hit = await upcoming;
        }
        return 'done';
      }));
      if (outcome !== 'yield') return outcome === 'done';
      await this.exec.userQuiet(USER_GRACE_MS);
    }
  }

  /**
   * The last write of `search.watch` before the position (`backward`: the stop after it is before the position)
   * or the first after it (`forward`), with the position moved to the instruction after it; undefined when the
   * recording has none (the position is where it was).
   */
  write(search: WriteSearch): Promise<FoundWrite | undefined> {
    return this.landing((here) => this.withOnly(new Set(), false, async () => {
      let wp: string | undefined;
      // gdb compares a watched value with the one it read when the watch was set (or last triggered): after a
      // seek that value is another moment's, so the watch is set afresh at every place the search starts.
      const watchHere = async (): Promise<void> => {
        if (wp) await breakDelete(this.exec.gdb, wp).catch(() => undefined);
        wp = await breakWatch(this.exec.gdb, search.watch, 'write');
      };
      try {
        if (search.direction === 'forward') {
          await watchHere();
          const end = this.end();
          if (here >= end) return undefined;
          for (;;) {
            if (search.cancelled()) return undefined;
            const { record, icount } = await this.pos.runForward('-exec-continue', end);
            const stop = this.exec.classify(record, icount, { guard: end });
            if (stop.reason === 'watchpoint' && stop.gdbBreakpoint === wp && icount < end) return stop;
            if (stop.reason !== 'watchpoint') return undefined;
          }
        }
        return await lastStopBefore(
          {
            exec: this.exec, pos: this.pos, breakpointAt: () => Promise.resolve(undefined), afterSeek: watchHere,
            cancelled: () => search.cancelled(), snapshotBefore: this.snapshotBefore,
            // A variable written every few hundred instructions is found in the first, short window (each write
            // on the way is a stop: ~4-10 ms); one not written there is rarer, and later windows take the whole
            // stretch back to a snapshot when it is within 16 spans.
            firstWindow: WRITE_FIRST_WINDOW, reachBack: 16,
          },
          here, (stop) => Promise.resolve(stop.reason === 'watchpoint' && stop.gdbBreakpoint === wp),
        );
      } finally {
        if (wp) await breakDelete(this.exec.gdb, wp).catch(() => undefined);
      }
    }));
  }

  /**
   * The last change of a register before the position, or the next after it, within `search.reach` instructions:
   * single steps (gdb can watch a register only so), in windows of 64, 256, … instructions, reading it after each.
   */
  registerChange(search: RegisterSearch): Promise<FoundWrite | undefined> {
    const read = async () => (await dataListRegisterValues(this.exec.gdb, 'x', [search.register], { thread: 1, frame: 0 }))[0]?.value ?? '';
    return this.landing(async (here) => {
      let found: Stop | undefined;
      if (search.direction === 'forward') {
        const end = Math.min(this.end(), here + search.reach);
        let prev = await read();
        while (!found && !search.cancelled()) {
          const { icount } = await this.pos.runForward('-exec-step-instruction', end);
          const value = await read();
          if (value !== prev) found = { reason: 'watchpoint', icount, watchValue: { old: prev, new: value } };
          prev = value;
          if (icount >= end) break;
        }
      } else {
        const limit = Math.max(0, here - search.reach);
        // Windows [lo, hi) back from the position; a change is the landing of a step, accepted before the position.
        for (let span = REGISTER_FIRST_WINDOW, hi = here; hi > limit && !found && !search.cancelled(); hi = Math.max(limit, hi - span), span *= 4) {
          const lo = Math.max(limit, hi - span);
          await this.pos.qmpSeek(lo, true);
          let prev = await read();
          for (let icount = lo; icount < hi && !search.cancelled();) {
            ({ icount } = await this.pos.runForward('-exec-step-instruction', here));
            const value = await read();
            if (value !== prev && icount < here) found = { reason: 'watchpoint', icount, watchValue: { old: prev, new: value } };
            prev = value;
          }
        }
      }
      return found;
    });
  }

  /**
   * Runs a search for a write as a pass, then moves to where the write it found landed (the stop after it) and reads
   * the writer's place; with none found, or after a failure, the replay goes back to the position.
   */
  private landing(search: (here: number) => Promise<Stop | undefined>): Promise<FoundWrite | undefined> {
    return this.held(async (here) => {
      let found: Stop | undefined;
      try {
        found = await search(here);
      } catch (err) {
        await this.pos.qmpSeek(here, true).catch(() => undefined);
        throw err;
      }
      if (!found) {
        await this.pos.qmpSeek(here, true);
        return undefined;
      }
      // The writing instruction is the one before the stop: its place, then the stop itself.
      let writer: Stop['frame'];
      if (found.icount > 0) {
        await this.pos.qmpSeek(found.icount - 1, true);
        writer = await stackInfoFrame(this.exec.gdb);
      }
      await this.pos.qmpSeek(found.icount, found.icount <= here);
      return { stop: { ...found, frame: await stackInfoFrame(this.exec.gdb) }, writer };
    });
  }

  /** `read` at each icount in turn (the replay stands there), then back to the position. */
  atMoments<T>(icounts: readonly number[], read: (icount: number) => Promise<T>): Promise<T[]> {
    return this.around(async () => {
      const out: T[] = [];
      for (const icount of icounts) {
        await this.pos.qmpSeek(icount, true);
        out.push(await read(icount));
      }
      return out;
    });
  }

  /** Runs `work` as a pass that ends where it began (a seek back, which also drops gdb's caches). */
  private around<T>(work: (here: number) => Promise<T>): Promise<T> {
    return this.held(async (here) => {
      try {
        return await work(here);
      } finally {
        // Back where the user is, even after a failure (unless QEMU is gone: then the session ends anyway); not when
        // the replay never left (a pass with nothing to visit).
        if (!this.pos.icountKnown || this.pos.lastIcount !== here) {
          await this.pos.qmpSeek(here, true).catch(() => undefined);
        }
      }
    });
  }

  /** Runs `work` holding the target as a pass, with the user's position (`here`) shown meanwhile. */
  private held<T>(work: (here: number) => Promise<T>): Promise<T> {
    return this.exec.exclusive(() => this.exec.duringPass(async () => {
      const here = this.pos.icountKnown ? this.pos.lastIcount : await this.pos.refreshIcount();
      this.pos.shownIcount = here;
      try {
        return await work(here);
      } finally {
        this.pos.shownIcount = undefined;
      }
    }));
  }

  /**
   * Runs `work` with only the breakpoints in `keep` enabled; `resetHitCounts`: they stop at every hit meanwhile
   * (the pass counts hits itself), and gdb's remaining ignore counts are put back after.
   */
  private async withOnly<T>(keep: ReadonlySet<string>, resetHitCounts: boolean, work: () => Promise<T>): Promise<T> {
    const gdb = this.exec.gdb;
    const all = await breakList(gdb);
    const disabled: string[] = [];
    const ignores: Array<{ number: string; count: number }> = [];
    try {
      for (const b of all) {
        if (!b.number) continue;
        if (!keep.has(b.number)) {
          if (b.enabled === 'y') {
            await breakDisable(gdb, b.number);
            disabled.push(b.number);
          }
        } else if (resetHitCounts && Number(b.ignore ?? 0) > 0) {
          ignores.push({ number: b.number, count: Number(b.ignore) });
          await breakAfter(gdb, b.number, 0);
        }
      }
      return await work();
    } finally {
      for (const n of disabled) await breakEnable(gdb, n).catch(() => undefined);
      for (const { number, count } of ignores) await breakAfter(gdb, number, count).catch(() => undefined);
    }
  }
}
