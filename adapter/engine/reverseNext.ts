/**
 * Reverse step over ("Step Back" by line) computed from a short forward replay instead of gdb's reverse-next.
 *
 * gdb's reverse-next is a loop of reverse single steps, and every reverse step in QEMU loads a snapshot (~20 ms
 * here however close the snapshot is): a line of 15 instructions costs ~300 ms, more with calls. Forward, the same
 * line is one `next` (~6 ms). So: seek a little before the position, get back into the position's frame (`finish`
 * out of any callee), `next` forward line by line with a replay breakpoint at the position, and the last line
 * start before the position is where reverse-next goes: the start of the line executed before this one in the
 * same frame (or of this line when the position is in its middle). One seek there, and the user sees the state
 * exactly as recorded.
 *
 * Whenever the window does not give a clear answer (the frame was entered inside it, a breakpoint stopped a
 * step, gdb reported anything but a plain step), the caller falls back to gdb's reverse-next.
 */
import type { MiFrame, MiStopRecord } from '../gdb/mi';
import type { GdbRunCommand } from './execution';

export interface FrameAt {
  func?: string;
  line?: string;
  /** Number of frames on the stack (1 = outermost). */
  depth: number;
  frame?: MiFrame;
}

export interface ReverseNextHost {
  /** Moves the replay to `icount` (exactly), gdb's caches dropped. */
  seek(icount: number): Promise<void>;
  /** Runs one forward gdb command with QEMU's replay breakpoint at `stopAt`; gdb's stop record and the icount. */
  run(command: GdbRunCommand, stopAt: number): Promise<{ record: MiStopRecord; icount: number }>;
  frame(): Promise<FrameAt>;
  /** Number of frames on the stack now. */
  depth(): Promise<number>;
  /** Inserts a gdb breakpoint at the function's first line (after its prologue); returns its number. */
  breakAtFunction(func: string): Promise<string>;
  /** Whether `pc` is where a breakpoint on the function stops (its first line, after the prologue). */
  atFirstLine(func: string, pc: string): Promise<boolean>;
  deleteBreakpoint(id: string): Promise<void>;
}

/** Window sizes tried, in instructions before the position: most lines are found in the first; a long call on the previous line needs a larger one. */
const WINDOWS = [16, 128, 1_000, 10_000, 40_000];
/** A window with more line stops than this is not worth walking (a fallback is cheaper). */
const MAX_STEPS = 60;
/**
 * Entries into the function's first line, at any depth, worth stopping at to find this call's: a recursive
 * function stops at every level (each stop ~10 ms), and gdb's reverse-next is cheaper than many of them.
 */
const MAX_ENTRY_HITS = 12;

type Found = { icount: number; frame: FrameAt };
type Walk = { kind: 'found'; last: Found } | { kind: 'none' } | { kind: 'left' } | { kind: 'fail' };

/**
 * Returns the icount reverse-next from `here` (at icount `from`) lands on, with the replay left there; or
 * undefined when the caller must use gdb (the replay is then somewhere in the window: seek back first).
 */
export async function reverseNextByReplay(host: ReverseNextHost, from: number, here: FrameAt): Promise<Found | undefined> {
  if (!here.func || !here.line || from === 0) return undefined;
  // At the start of the function's first line (where a breakpoint on the function stops), reverse-next goes back
  // into the caller, which no window of this frame's lines shows: gdb's way at once. (The windows found that out
  // after a seek and a run to the entry: 120-180 ms of the 370-410 ms a kernel's step back from el1_interrupt took.)
  if (here.frame?.addr && await host.atFirstLine(here.func, here.frame.addr)) return undefined;
  for (const size of WINDOWS) {
    const start = Math.max(0, from - size);
    await host.seek(start);
    let at = start;
    let f = await host.frame();
    // Out of callees of the frame at the window's start.
    while (f.depth > here.depth) {
      const r = await host.run('-exec-finish', from);
      if (onlyReason(r.record) !== 'function-finished' || r.icount >= from) return undefined;
      at = r.icount;
      f = frameAt(r.record.frame, await host.depth()); // the stop record has the frame
    }
    let walk: Walk = { kind: 'left' };
    if (f.depth === here.depth && f.func === here.func) walk = await walkLines(host, from, here, { icount: at, frame: f });
    if (walk.kind === 'fail') return undefined;
    if (walk.kind === 'left') {
      // The position's frame was entered inside the window (or the window began in an earlier call of the same
      // function): start from where this call entered its first line.
      const entry = await lastEntry(host, from, here, start);
      if (entry === undefined) return undefined;
      await host.seek(entry);
      walk = await walkLines(host, from, here, { icount: entry, frame: await host.frame() }, true);
      if (walk.kind !== 'found') return undefined; // at the first line: reverse-next goes back into the caller
    }
    if (walk.kind === 'found') {
      await host.seek(walk.last.icount);
      return walk.last;
    }
    if (start === 0) return undefined; // 'none': only the window's own start was before the position
  }
  return undefined;
}

/**
 * `next` forward from `start` (in the position's frame) until the position; the last line start on the way is the
 * answer. `atLineStart`: `start` itself is a line start of the frame (a candidate).
 */
async function walkLines(host: ReverseNextHost, from: number, here: FrameAt, start: Found, atLineStart = false): Promise<Walk> {
  let last: Found | undefined = atLineStart ? start : undefined;
  // From the middle of a line, gdb's first `next` also stops at a later line-table row of that same line, where a
  // `next` from the line's start would not: such a stop is not a line start (the answer would depend on where
  // the window began).
  const startLine = atLineStart ? undefined : start.frame.line;
  let at = start.icount;
  for (let steps = 0; at < from; steps++) {
    if (steps > MAX_STEPS) return { kind: 'fail' };
    const r = await host.run('-exec-next', from);
    at = r.icount;
    if (at >= from) break; // reached the position: a line start there, or the replay breakpoint in its middle
    const reason = onlyReason(r.record);
    const g = frameAt(r.record.frame, await host.depth()); // the stop record has the frame: one query less
    if (g.depth < here.depth || (g.depth === here.depth && g.func !== here.func)) return { kind: 'left' };
    if (reason !== 'end-stepping-range' || g.depth !== here.depth) return { kind: 'fail' }; // a breakpoint, a signal
    if (steps > 0 || g.line !== startLine) last = { icount: at, frame: g };
  }
  if (at !== from) return { kind: 'fail' };
  return last ? { kind: 'found', last } : { kind: 'none' };
}

/** The icount of the last entry into the function's first line, at the position's depth, in [start, from). */
async function lastEntry(host: ReverseNextHost, from: number, here: FrameAt, start: number): Promise<number | undefined> {
  await host.seek(start);
  const bp = await host.breakAtFunction(here.func!);
  try {
    let entry: number | undefined;
    for (let hits = 0; hits < MAX_ENTRY_HITS; hits++) {
      const r = await host.run('-exec-continue', from);
      if (r.icount >= from) return entry;
      const reason = onlyReason(r.record);
      if (reason === 'breakpoint-hit' && r.record.breakpoint === bp && (await host.depth()) === here.depth) entry = r.icount;
      else if (reason !== 'breakpoint-hit' && !reason?.includes('watchpoint')) return undefined;
    }
    return undefined;
  } finally {
    await host.deleteBreakpoint(bp);
  }
}

/** Frame and depth as gdb reports them now. */
export function frameAt(frame: MiFrame | undefined, depth: number): FrameAt {
  return { func: frame?.func, line: frame?.line, depth, frame };
}

/**
 * The stop's reason when it has exactly one. A stop with two (a finish or a step that ends on a breakpoint) is not
 * the plain step these walks look for: they give up on it, and the caller falls back to gdb's own reverse-next.
 */
function onlyReason(record: MiStopRecord): string | undefined {
  return record.reasons.length === 1 ? record.reasons[0] : undefined;
}
