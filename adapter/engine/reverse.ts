/**
 * The reverse operations: step back (by instruction, by line over calls or into the previous line), reverse step
 * out and reverse continue, with the checks QEMU 7.2's reverse continue needs (a hit at icount-1 or at a window's
 * edge is skipped by QEMU: the engine looks there itself).
 */
import {
  breakDelete, breakInsert, enabledBreakpointLocations, enabledLocationsOf, evaluateExpression, lineRowStart, stackInfoDepth, stackInfoFrame,
  type MiBreakpointLocation,
} from '../gdb/mi';
import { breakInsertAt, breakList } from '../gdb/mi-breakpoints';
import type { ArchitectureName } from '../../common/protocol';
import type { Gdb } from '../gdb/gdb';
import type { QmpClient } from '../qemu/qmp';
import { hasQuirk, type QemuVersion, type QuirkId } from '../qemu/version';
import { lastStopBefore } from './reverseByReplay';
import type { Execution, GdbRunCommand, Stop } from './execution';
import type { SnapshotPlacement } from './placement';
import type { Position } from './position';
import { ForwardHits, signatureOf } from './forwardHits';
import { FrameAt, ReverseNextHost, frameAt, reverseNextByReplay } from './reverseNext';
import { latestSnapshotIcount, type SnapshotStore } from './snapshots';
import type { StepGranularity } from './replayEngine';

/** The most instructions a step back by line walks by seeks (byReplay), one seek each. */
const MAX_SEEK_STEPS = 2048;

export function atStart(): Stop {
  return { reason: 'start', icount: 0, text: 'At the start of the recording (icount 0): there is nothing before it.' };
}

export class ReverseOperations {
  constructor(
    private readonly exec: Execution,
    private readonly qmp: QmpClient | undefined,
    private readonly snapshots: SnapshotStore | undefined,
    private readonly pos: Position,
    private readonly placement: SnapshotPlacement,
    /** All icount breakpoints, ascending. */
    private readonly icountBreakpoints: () => readonly number[],
    /** The QEMU's version and the guest's architecture: which traps to steer around (version.ts). */
    private readonly qemu: { version?: QemuVersion; architecture?: ArchitectureName } = {},
    /** What forward continues showed (forwardHits.ts). */
    private readonly forwardHits = new ForwardHits(),
  ) {}

  private has(id: QuirkId): boolean {
    return hasQuirk(this.qemu.version, id);
  }

  /** gdb's reverse packets hang this guest's replays (x86_64): every reverse operation is done by seeks and forward runs. */
  private get byReplay(): boolean {
    return this.qemu.architecture === 'x86_64' && this.has('x86GdbReverseHangs') && this.qmp !== undefined;
  }

  private scanHost(bps: MiBreakpointLocation[]) {
    return {
      exec: this.exec, pos: this.pos, breakpointAt: (pc: string | undefined) => this.breakpointAt(pc, bps),
      snapshotBefore: async (icount: number) => (this.snapshots ? latestSnapshotIcount(await this.snapshots.list(), icount) : 0),
    };
  }

  /** One instruction back by a seek; its frame. */
  private async seekBack(icount: number): Promise<Stop> {
    await this.pos.qmpSeek(icount - 1);
    return { reason: 'step', icount: icount - 1, frame: await stackInfoFrame(this.exec.gdb) };
  }

  /**
   * Back by seeks, one instruction at a time, to the last instruction of another source line (of this frame, or
   * of a frame that has returned when `into`; calls made by the current line are stepped over otherwise), then to
   * that line's start. Lines are short; a stretch longer than MAX_SEEK_STEPS stops where it is, said in a note.
   */
  private async lineBackBySeeks(from: number, into: boolean): Promise<Stop> {
    const start = await this.frameNow();
    let stop: Stop = { reason: 'step', icount: from, frame: start.frame };
    for (let i = 0; i < MAX_SEEK_STEPS && stop.icount > 0; i++) {
      stop = await this.seekBack(stop.icount);
      const depth = await stackInfoDepth(this.exec.gdb);
      const sameLine = stop.frame?.func === start.frame?.func && stop.frame?.line === start.frame?.line && depth === start.depth;
      if (!sameLine && (into || depth <= start.depth)) return await this.toLineStart(stop);
    }
    return stop.icount === 0 ? atStart() : { ...stop, note: `Stopped after ${MAX_SEEK_STEPS} instructions back without leaving the line.` };
  }

  /** Step back one instruction, or one source line (over calls), or into the previous line (`into`). */
  stepBack(granularity: StepGranularity, into = false): Promise<Stop> {
    return this.exec.exclusive(async () => {
      const from = await this.pos.refreshIcount();
      if (from === 0) return atStart();
      // One instruction back is one replay from the nearest snapshot: a rung first would only add its savevm.
      if (granularity === 'line') await this.placement.nearSnapshotFirst(from);
      if (granularity === 'line' && !into && this.qmp) {
        // A gdb error inside the window (e.g. a frame it cannot unwind) only means gdb's way is needed.
        this.pos.shownIcount = from;
        const found = await reverseNextByReplay(this.reverseNextHost(), from, await this.frameNow()).catch(() => undefined).finally(() => { this.pos.shownIcount = undefined; });
        if (found) return await this.toLineStart({ reason: 'step', icount: found.icount, frame: found.frame.frame });
        // The window did not settle it: gdb's way, from the position (unless the engine knows it never left).
        if (!this.pos.icountKnown || this.pos.lastIcount !== from) await this.pos.qmpSeek(from);
      }
      if (this.byReplay) {
        // gdb's reverse-stepi hangs x86_64 replays at random (QEMU 7.2.22 and 10.0.2, docs/qemu-versions.md); a QMP
        // seek does the same replay from the nearest snapshot and never hung there. One instruction back, exactly.
        if (granularity === 'instruction') return await this.seekBack(from);
        return await this.lineBackBySeeks(from, into);
      }
      // By instruction, back is always exactly one instruction (reverse-stepi): stepping back over a whole call
      // from its return would skip the instructions the user is looking at in the Disassembly view.
      const command: GdbRunCommand = granularity === 'instruction' ? '-exec-step-instruction' : into ? '-exec-step' : '-exec-next';
      const record = await this.pos.gdbRun(command, true);
      let stop = this.exec.classify(record, await this.pos.refreshIcount(), { step: true });
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
      seek: (icount) => this.pos.qmpSeek(icount),
      run: (command, stopAt) => this.pos.runForward(command, stopAt),
      frame: () => this.frameNow(),
      depth: () => this.stackDepth(),
      breakAtFunction: async (func) => {
        const id = await breakInsert(this.exec.gdb, func);
        if (!id) throw new Error(`no breakpoint for ${func}`);
        return id;
      },
      deleteBreakpoint: (id) => breakDelete(this.exec.gdb, id),
      atFirstLine: async (func, pc) => {
        const bp = await breakInsertAt(this.exec.gdb, func).catch(() => undefined);
        if (!bp?.number) return false;
        try {
          return [bp, ...bp.locations].some((l) => l.addr?.startsWith('0x') === true && BigInt(l.addr) === BigInt(pc));
        } finally {
          await breakDelete(this.exec.gdb, bp.number).catch(() => undefined);
        }
      },
    };
  }

  /** Back to the call site of the current function. */
  reverseStepOut(): Promise<Stop> {
    return this.exec.exclusive(async () => {
      const from = await this.pos.refreshIcount();
      if (from === 0) return atStart();
      await this.placement.nearSnapshotFirst(from);
      if (this.byReplay) return await this.stepOutByReplay(from);
      const record = await this.pos.gdbRun('-exec-finish', true);
      return this.exec.classify(record, await this.pos.refreshIcount(), { step: true });
    });
  }

  /**
   * Reverse step out without gdb's reverse-finish: the last time this activation's function was entered (a
   * temporary breakpoint at its first instruction, hit at the same stack depth), then one instruction back, onto
   * the call in the caller. The outermost frame, entered before the recording began, goes to the start.
   */
  private async stepOutByReplay(from: number): Promise<Stop> {
    const func = (await stackInfoFrame(this.exec.gdb))?.func;
    const entry = func ? await evaluateExpression(this.exec.gdb, `(unsigned long)&${func}`).catch(() => undefined) : undefined;
    if (!entry || !/^\d+$/.test(entry)) return await this.seekBack(from); // no symbols: one instruction back
    const address = `0x${BigInt(entry).toString(16)}`;
    const spNow = await this.stackPointer();
    const id = await breakInsert(this.exec.gdb, `*${address}`);
    let hit: Stop | undefined;
    try {
      const bps = (await this.enabledGdbBreakpoints()).filter((b) => b.number === id);
      // This activation's entry: the last entry before `from` with the stack pointer at or above where it is now
      // (stacks grow down; at the final `ret` it is back where it was at the entry; a call this activation made,
      // and that has returned, entered below it). Not gdb's stack depth: it unwinds a function's first instruction
      // differently from its body (x86_64 sample: 3 frames there, 2 inside).
      hit = await lastStopBefore(this.scanHost(bps), from, async (stop) =>
        stop.frame?.addr !== undefined && BigInt(stop.frame.addr) === BigInt(address) && (await this.stackPointer()) >= spNow);
    } finally {
      if (id) await breakDelete(this.exec.gdb, id);
    }
    if (!hit) {
      await this.pos.qmpSeek(0);
      return atStart();
    }
    return hit.icount === 0 ? (await this.pos.qmpSeek(0), atStart()) : await this.seekBack(hit.icount);
  }

  private async stackPointer(): Promise<bigint> {
    return BigInt(await evaluateExpression(this.exec.gdb, '(unsigned long)$sp') ?? '0');
  }

  /** Reverse continue without gdb's reverse-continue: the last stop before `from` found by forward replay. */
  private async reverseContinueByReplay(from: number, behind: number | undefined, bps: MiBreakpointLocation[]): Promise<Stop> {
    const hit = await lastStopBefore(this.scanHost(bps), from, () => Promise.resolve(true));
    if (behind !== undefined && (!hit || behind > hit.icount)) {
      await this.pos.qmpSeek(behind);
      return { reason: 'icount breakpoint', icount: behind };
    }
    if (!hit) {
      await this.pos.qmpSeek(0);
      return atStart();
    }
    await this.pos.qmpSeek(hit.icount);
    return { ...hit, frame: await stackInfoFrame(this.exec.gdb) };
  }

  /**
   * gdb's reverse-next can stop inside a line when the line table has several rows for it: keep stepping back
   * by instruction while the pc is not at the start of a line-table row of the same line.
   */
  private async toLineStart(stop: Stop): Promise<Stop> {
    for (let i = 0; i < 32; i++) {
      const pc = stop.frame?.addr;
      if (!pc) return stop;
      const start = await lineRowStart(this.exec.gdb, pc);
      if (start === undefined || start === BigInt(pc) || stop.icount === 0) return stop;
      const line = stop.frame?.line;
      const next = this.byReplay ? await this.seekBack(stop.icount)
        : this.exec.classify(await this.pos.gdbRun('-exec-step-instruction', true), await this.pos.refreshIcount(), { step: true });
      if (next.reason !== 'step' || next.frame?.line !== line) return stop.reason === 'step' ? next : stop;
      stop = next;
    }
    return stop;
  }

  /** Back to the most recent earlier stop of any enabled breakpoint, watchpoint or icount breakpoint. */
  reverseContinue(): Promise<Stop> {
    return this.exec.exclusive(async () => {
      const from = await this.pos.refreshIcount();
      if (from === 0) return atStart();
      // One read of gdb's breakpoints: what forward continues showed for them, and what QEMU's search looks for.
      const list = await breakList(this.exec.gdb);
      const signature = signatureOf(list, this.icountBreakpoints());
      const stop = await this.reverseContinueSearch(from, signature, enabledLocationsOf(list));
      if (stop.reason === 'breakpoint' && stop.gdbBreakpoint) this.forwardHits.hit(stop.icount, stop.gdbBreakpoint, signature);
      return stop;
    });
  }

  private async reverseContinueSearch(from: number, signature: string | undefined, gdbBreakpoints: MiBreakpointLocation[]): Promise<Stop> {
    const behind = [...this.icountBreakpoints()].reverse().find((b) => b < from);
    // A continue from a hit stopped here with these breakpoints: that hit is the previous one (forwardHits.ts).
    const known = this.forwardHits.previousHit(from, signature);
    if (known && !(behind !== undefined && behind >= known.icount)) {
      // As a seek would: a long replay to it leaves a snapshot a little before it, for the steps back that follow.
      await this.placement.trailBeforeSeek(known.icount);
      await this.pos.qmpSeek(known.icount);
      return { reason: 'breakpoint', icount: known.icount, gdbBreakpoint: known.breakpoint, frame: await stackInfoFrame(this.exec.gdb) };
    }
    if (gdbBreakpoints.length === 0) {
      // Nothing for gdb to find: a seek is exact and cheaper than replaying every window back to the start.
      const target = behind ?? 0;
      await this.pos.qmpSeek(target);
      return behind !== undefined ? { reason: 'icount breakpoint', icount: target } : atStart();
    }
    if (this.byReplay) {
      await this.placement.nearSnapshotFirst(from);
      return await this.reverseContinueByReplay(from, behind, gdbBreakpoints);
    }
    await this.placement.nearSnapshotFirst(from);
    if (!this.has('reverseContinueSkipsPrevious')) return await this.reverseContinueFrom(from, behind, gdbBreakpoints);
    // QEMU 7.2 misses a hit at exactly icount-1 when reverse-continue starts from a breakpoint: check it first.
    const back = await this.pos.gdbRun('-exec-step-instruction', true);
    const prev = await this.pos.refreshIcount();
    if (behind === prev) return { reason: 'icount breakpoint', icount: prev, frame: back.frame };
    const hit = await this.breakpointAt(back.frame?.addr, gdbBreakpoints);
    if (hit) return { reason: 'breakpoint', icount: prev, gdbBreakpoint: hit, frame: back.frame };
    if (prev === 0) return atStart();
    return await this.reverseContinueFrom(prev, behind, gdbBreakpoints);
  }

  /** gdb's reverse continue from `from` (the position), then the hits QEMU may have skipped, and icount breakpoints. */
  private async reverseContinueFrom(from: number, behind: number | undefined, gdbBreakpoints: MiBreakpointLocation[]): Promise<Stop> {
    const record = await this.pos.gdbRun('-exec-continue', true);
    const icount = await this.pos.refreshIcount();
    const edge = this.has('reverseContinueSkipsPrevious') ? await this.hitAtWindowEdge(icount, from, gdbBreakpoints) : undefined;
    if (edge && !(behind !== undefined && behind > edge.icount)) return edge;
    if (behind !== undefined && behind > icount) {
      await this.pos.qmpSeek(behind);
      return { reason: 'icount breakpoint', icount: behind };
    }
    const stop = this.exec.classify(record, icount, {});
    if (stop.reason === 'signal' && icount > 0) {
      // A reverse watchpoint hit arrives as a plain SIGTRAP.
      const wp = gdbBreakpoints.find((b) => b.type.includes('watchpoint'));
      if (wp) return { ...stop, reason: 'watchpoint', gdbBreakpoint: wp.number, text: undefined };
    }
    return stop;
  }

  /**
   * QEMU 7.2's reverse continue from P searches back window by window: the first from the nearest snapshot to P-1,
   * each next one from an earlier snapshot to one before the previous window's snapshot S; its replay breakpoint at
   * a window's end wins over a gdb breakpoint there. So a hit at exactly P-1 or at any S-1 is skipped and an earlier
   * one reported (found by the soak test: a hit at 11999 skipped for one at 11972 with snapshots at 11999 and 12000;
   * a hit at 9699 skipped from 9700 for one at 9305). After a reverse continue from `from` that landed at `landed`,
   * when such an edge lies between them, one forward run from the landing to `from` with the breakpoints in place
   * finds any hit QEMU skipped (the last one is the answer). It was a seek to each edge, each a replay from the
   * snapshot before it: in a kernel recording, 1e7-1e8 instructions each (reverse continue's 5-7 s outliers).
   * Returns that hit, with the replay moved there; or undefined, with the replay back at `landed`.
   */
  private async hitAtWindowEdge(landed: number, from: number, bps: MiBreakpointLocation[]): Promise<Stop | undefined> {
    if (!this.snapshots || !bps.some((b) => b.addr && !b.type.includes('watchpoint'))) return undefined;
    const ends = [from, ...(await this.snapshots.list()).map((s) => s.icount)].map((e) => e - 1);
    if (!ends.some((x) => x > landed && x < from)) return undefined;
    // Back to `landed` afterwards is a seek: in a kernel, a replay as long as QEMU's own landing (~1 s at 1e8).
    await this.placement.keepBeforeLeaving(landed);
    let last: Stop | undefined;
    for (;;) {
      const { record, icount } = await this.pos.runForward('-exec-continue', from);
      if (icount >= from) break;
      const stop = this.exec.classify(record, icount, {});
      if (stop.reason === 'breakpoint') last = stop;
      else if (stop.reason !== 'watchpoint') break; // the end of the log, a fault: nothing more to look at
    }
    await this.pos.qmpSeek(last?.icount ?? landed);
    if (!last) return undefined;
    return { ...last, frame: await stackInfoFrame(this.exec.gdb) };
  }

  private async enabledGdbBreakpoints(): Promise<MiBreakpointLocation[]> {
    return await enabledBreakpointLocations(this.exec.gdb);
  }

  private breakpointAt(pc: string | undefined, bps: MiBreakpointLocation[]): Promise<string | undefined> {
    return breakpointAt(this.exec.gdb, pc, bps);
  }

}

/**
 * A breakpoint condition at the current stop, decided as gdb decides it when it runs: it holds unless it is zero (of
 * any type: a null pointer, a char '\0'), and one gdb cannot evaluate holds (gdb stops there, saying why). So the
 * hits the engine checks itself (reverse continue's one instruction back and QEMU 7.2's window edges, a pass's
 * hits) are the ones a forward continue stops at.
 */
export async function conditionHolds(gdb: Gdb, condition: string): Promise<boolean> {
  const value = await evaluateExpression(gdb, `(${condition}) != 0`).catch(() => '1');
  return value !== '0';
}

/** The number of the breakpoint among `bps` that stops at `pc` (its condition true there), if any. */
export async function breakpointAt(gdb: Gdb, pc: string | undefined, bps: readonly MiBreakpointLocation[]): Promise<string | undefined> {
  if (!pc) return undefined;
  for (const bp of bps) {
    if (!bp.addr || bp.type.includes('watchpoint') || BigInt(bp.addr) !== BigInt(pc)) continue;
    if (bp.cond && !(await conditionHolds(gdb, bp.cond))) continue;
    return bp.number;
  }
  return undefined;
}
