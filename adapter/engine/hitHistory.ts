/**
 * Hit history's choice of a way, and its fallbacks (the passes themselves are in hitsByPlugin.ts and history.ts):
 *
 * - `plugin`: a code breakpoint with nothing to read at its hits. The background replay reports every hit; the
 *   session's replay stays where the user is.
 * - `plugin+gdb`: a condition or a log message must be evaluated at each hit. The background replay finds the
 *   hits; the session's replay goes to each with QEMU's replay breakpoint, no gdb breakpoint inserted (so it runs
 *   at full speed between hits, where a gdb breakpoint slows every instruction on its page), and gdb reads there.
 *   Every hit is checked (the pc at the hit's icount is the breakpoint's address).
 * - `gdb`: a stop at each hit (a watchpoint, a guest with a disk, no plugin), or when the others cannot be exact.
 *   It goes on from the last hit already reported, so a fallback never reports a hit twice.
 */
import type { HitHistoryMethod } from '../../common/protocol';
import { errorMessage } from '../errors';
import type { Execution, Stop } from './execution';
import { codeAddresses, type CodeAddresses } from './hitAddresses';
import { CountMismatch, type HitsByPlugin } from './hitsByPlugin';
import { HitNotThere, type HitScan, type KnownHit, type RecordingPasses } from './history';

export class HitHistory {
  constructor(private readonly exec: Execution, private readonly passes: RecordingPasses, private readonly plugin: HitsByPlugin | undefined) {}

  /** Every hit in [scan.from, to) (`to` within the recording), how it was found, and whether it is complete. */
  async run(scan: HitScan, to: number): Promise<{ complete: boolean; method: HitHistoryMethod }> {
    if (!this.plugin || scan.from >= to) return { complete: await this.passes.hits(scan), method: 'gdb' };
    const at = await codeAddresses(this.exec.gdb, scan.breakpoints);
    const why = at ? this.plugin.unusable(at.size) : 'a data breakpoint is gdb\'s watchpoint';
    if (why) {
      scan.note?.(`Hit history with gdb (a stop per hit): ${why}.`);
      return { complete: await this.passes.hits(scan), method: 'gdb' };
    }
    const reads = scan.readsAtHits || [...at!.values()].some((places) => places.some((p) => p.condition));
    if (!reads) {
      let reported = 0;
      try {
        const complete = await this.plugin.hits({ ...scan, at: at!, to, onHit: (stop) => { reported++; return scan.onHit(stop); } });
        return { complete, method: 'plugin' };
      } catch (err) {
        // What was reported cannot be trusted (its icounts, or where it ended): the client starts over.
        if (reported > 0) scan.restart?.();
        scan.note?.(`Hit history: ${errorMessage(err)}; searching with gdb instead.`);
        return { complete: await this.passes.hits(scan), method: 'gdb' };
      }
    }
    return await this.visiting(scan, at!, to);
  }

  /** `plugin+gdb`: the background replay finds the hits, the session's replay goes to each (see above). */
  private async visiting(scan: HitScan, at: CodeAddresses, to: number): Promise<{ complete: boolean; method: HitHistoryMethod }> {
    // Before the visit holds the target: the copy of the snapshot image waits for the target too.
    try {
      await this.plugin!.prepare();
    } catch (err) {
      scan.note?.(`Hit history: ${errorMessage(err)}; searching with gdb instead.`);
      return { complete: await this.passes.hits(scan), method: 'gdb' };
    }
    const queue = new HitQueue();
    let stopFinding = false;
    const finding = this.plugin!.hits({
      at, from: scan.from, to,
      onHit: (stop: Stop) => {
        const pc = BigInt(stop.frame!.addr!);
        const place = at.get(pc)?.find((p) => p.gdbBreakpoint === stop.gdbBreakpoint);
        queue.push({ icount: stop.icount, pc, gdbBreakpoint: stop.gdbBreakpoint!, condition: place?.condition });
      },
      progress: (icount) => scan.progress?.(icount),
      backlog: () => queue.waiting,
      cancelled: () => stopFinding || scan.cancelled(),
    }).then(
      () => queue.end(),
      // Every hit it found was checked where it is; a count that differs at the end changes none of them.
      (err: unknown) => (err instanceof CountMismatch ? queue.end() : queue.fail(err)),
    );
    let visited: boolean | HitNotThere;
    try {
      visited = await this.passes.visit({
        from: scan.from, next: () => queue.next(), skip: scan.skip, onHit: (stop) => scan.onHit(stop), cancelled: () => scan.cancelled(),
      });
    } catch (err) {
      if (!(err instanceof HitNotThere)) throw err;
      visited = err;
    } finally {
      stopFinding = true;
      await finding;
    }
    if (!(visited instanceof HitNotThere)) return { complete: visited, method: 'plugin+gdb' };
    // The hits reported are exact (each was checked where it is): gdb goes on after the last.
    const { done } = visited;
    const from = Math.max(scan.from, done.icount + 1);
    scan.note?.(`Hit history: ${errorMessage(visited)}; going on with gdb from icount ${from}.`);
    const skip = new Map([...scan.skip ?? []].map(([n, k]) => [n, Math.max(0, k - (done.seen.get(n) ?? 0))]));
    return { complete: await this.passes.hits({ ...scan, from, skip }), method: 'gdb' };
  }
}

/** Hits from the background replay, waiting to be visited: it finds them far faster than gdb reads at them. */
class HitQueue {
  private readonly items: KnownHit[] = [];
  private head = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(hit: KnownHit): void {
    this.items.push(hit);
    this.poke();
  }

  end(): void {
    this.ended = true;
    this.poke();
  }

  fail(err: unknown): void {
    this.error = err instanceof Error ? err : new Error(String(err));
    this.poke();
  }

  /** Hits found and not visited yet. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  async next(): Promise<KnownHit | undefined> {
    while (this.head >= this.items.length && !this.ended && this.error === undefined) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
    if (this.head < this.items.length) {
      const hit = this.items[this.head];
      this.items[this.head++] = undefined as unknown as KnownHit;   // visited hits are not kept (10,000s of them)
      return hit;
    }
    if (this.error !== undefined) throw this.error;
    return undefined;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
