/**
 * Reverse operations without gdb's reverse packets, for guests where those hang QEMU (x86_64, on QEMU 7.2.22 and
 * 10.0.2: reverse-continue, -finish, -step and -stepi each hung at random, while QMP seeks and forward runs never
 * did; docs/qemu-versions.md). The past is searched forwards: seek to an earlier icount, run forward with the
 * breakpoints in place, bounded by a replay breakpoint at the position, and keep the last stop; an empty window
 * means a window four times as long before it, down to the start of the recording. Deterministic replay makes the
 * answer the same as a reverse run's.
 */
import { stackInfoFrame } from '../gdb/mi';
import type { Execution, Stop } from './execution';
import type { Position } from './position';

/** The first window: 1e6 instructions replay in ~25 ms here, a few hits of a hot breakpoint fit in it. */
const FIRST_WINDOW = 1_000_000;

export interface ScanHost {
  exec: Execution;
  pos: Position;
  /** Whether a breakpoint (and its condition) stops at `pc`, for the hit exactly where a window starts. */
  breakpointAt(pc: string | undefined): Promise<string | undefined>;
  /** Called after each seek to a window's start, before it is run (a watch set afresh there). */
  afterSeek?(): Promise<void>;
  /** Polled before each run: true stops the search (nothing found). */
  cancelled?(): boolean;
  /** The icount of the latest snapshot at or before `icount` (0: the recording's start). */
  snapshotBefore?(icount: number): Promise<number>;
  /**
   * After the first window, how many spans back a snapshot may be and still start the window (default 4). A search
   * for something rare (a write to one variable) takes the whole stretch from the snapshot: one load, one replay.
   */
  reachBack?: number;
  /** The first window's span (default FIRST_WINDOW). */
  firstWindow?: number;
}

/**
 * Where a window ending at `hi` starts (after the first, which is exactly its span: the nearest stops are found
 * with the fewest stops on the way). A seek to `hi - span` is a snapshot load and a replay from that snapshot: when
 * the snapshot is not much further back (within four spans), the window starts at the snapshot itself, so the replay
 * the seek would do unobserved is searched too, for no more time.
 */
async function windowStart(host: ScanHost, hi: number, span: number): Promise<number> {
  const lo = Math.max(0, hi - span);
  if (!host.snapshotBefore || lo === 0) return lo;
  const snap = await host.snapshotBefore(lo);
  return hi - snap <= (host.reachBack ?? 4) * span ? snap : lo;
}

/**
 * The last stop before `before` that `accept` takes (a breakpoint or watchpoint stop, with its frame), found by
 * forward replay; undefined when there is none in the recording. The replay is left somewhere in the searched
 * window: the caller seeks to where it goes.
 */
export async function lastStopBefore(host: ScanHost, before: number, accept: (stop: Stop) => Promise<boolean>): Promise<Stop | undefined> {
  const { exec, pos } = host;
  let hi = before;
  const first = host.firstWindow ?? FIRST_WINDOW;
  for (let span = first; hi > 0; span *= 4) {
    const lo = span === first ? Math.max(0, hi - span) : await windowStart(host, hi, span);
    await pos.qmpSeek(lo, true);
    await host.afterSeek?.();
    let last: Stop | undefined;
    // A hit exactly at `lo`: gdb did not stop there itself, so it may report it at once or (when its last stop
    // happened to be at the same pc) step over it. Checked here, and not counted twice below.
    const frame = await stackInfoFrame(exec.gdb);
    const atLo = await host.breakpointAt(frame?.addr);
    if (atLo) {
      const stop: Stop = { reason: 'breakpoint', icount: lo, gdbBreakpoint: atLo, frame };
      if (await accept(stop)) last = stop;
    }
    for (;;) {
      if (host.cancelled?.()) return undefined;
      const { record, icount } = await pos.runForward('-exec-continue', hi);
      if (icount >= hi) break;
      const stop = exec.classify(record, icount, {});
      if (stop.reason !== 'breakpoint' && stop.reason !== 'watchpoint') break; // the end of the log, a fault: nothing more here
      if ((icount !== lo || !atLo) && (await accept(stop))) last = stop;
    }
    if (last) return last;
    hi = lo;
  }
  return undefined;
}
