/**
 * What forward continues showed about the recording, for reverse continue. A continue from a breakpoint hit at A
 * that stopped at B ran every instruction between them with the same breakpoints in place, and none was a hit. So
 * a reverse continue from B, with the same breakpoints, goes back to A: one seek instead of QEMU's search (its
 * windows back from the nearest snapshots, and on QEMU 7.2 the check one instruction back and the run over the
 * window edges: 0.5-0.8 s of a warm reverse continue in a kernel's busy boot). "Continue, continue, back to the
 * previous hit" is the common case.
 *
 * The facts hold for one set of breakpoints (`signature`, breakpointSignature): any change drops them all. None
 * are kept while a watchpoint or a hit count is set (a watchpoint stops after the write; a hit count makes gdb
 * pass hits silently).
 */
import type { Gdb } from '../gdb/gdb';
import { breakList, type MiBreakpoint } from '../gdb/mi-breakpoints';

/** Facts kept at most (each a few numbers); the oldest go first. */
const MAX_FACTS = 4096;

export class ForwardHits {
  private signature: string | undefined;
  /** icount → the gdb breakpoint that stopped there. */
  private readonly hits = new Map<number, string>();
  /** Stretches run through without a hit: where a continue stopped → where it started (the earliest, if several). */
  private readonly clear = new Map<number, number>();

  /** A stop at a hit of `breakpoint` (a forward or a reverse one). */
  hit(icount: number, breakpoint: string, signature: string | undefined): void {
    if (!this.use(signature)) return;
    this.hits.delete(icount);
    this.hits.set(icount, breakpoint);
    trim(this.hits);
  }

  /** A continue from `from` stopped at `to`: no hit strictly between them. */
  ranClear(from: number, to: number, signature: string | undefined): void {
    if (to <= from || !this.use(signature)) return;
    const start = Math.min(from, this.clear.get(to) ?? from);
    this.clear.delete(to);
    this.clear.set(to, start);
    trim(this.clear);
  }

  /** The hit a reverse continue from `from` goes back to, when forward continues showed it. */
  previousHit(from: number, signature: string | undefined): { icount: number; breakpoint: string } | undefined {
    if (!this.use(signature)) return undefined;
    const start = this.clear.get(from);
    const breakpoint = start === undefined ? undefined : this.hits.get(start);
    return start !== undefined && breakpoint !== undefined ? { icount: start, breakpoint } : undefined;
  }

  /** Facts for `signature` from now on (others dropped); false when none can be kept. */
  private use(signature: string | undefined): boolean {
    if (signature !== this.signature) {
      this.hits.clear();
      this.clear.clear();
      this.signature = signature;
    }
    return signature !== undefined;
  }
}

function trim(map: Map<number, unknown>): void {
  for (const key of map.keys()) {
    if (map.size <= MAX_FACTS) return;
    map.delete(key);
  }
}

/**
 * The breakpoints that decide where a continue stops, as one string: gdb's enabled breakpoints (number, kind,
 * condition, enabled locations) and the icount breakpoints. Undefined when a watchpoint or a hit count is set.
 */
export async function breakpointSignature(gdb: Gdb, icountBreakpoints: readonly number[]): Promise<string | undefined> {
  return signatureOf(await breakList(gdb), icountBreakpoints);
}

/** breakpointSignature of a breakpoint list already read (`breakList`). */
export function signatureOf(list: readonly MiBreakpoint[], icountBreakpoints: readonly number[]): string | undefined {
  const enabled = list.filter((b) => b.enabled !== 'n');
  if (enabled.some((b) => b.type?.includes('watchpoint') || (b.ignore !== undefined && b.ignore !== '0'))) return undefined;
  const code = enabled.map((b) => [b.number, b.type, b.cond ?? '', b.addr ?? '',
    b.locations.filter((l) => l.enabled !== 'n').map((l) => l.addr ?? '')]);
  return JSON.stringify([code, icountBreakpoints]);
}
