/**
 * Replay mode: the recording's serial output, shown as the replay first passes it, each line with the icount
 * at which the guest wrote it.
 */
import type { SerialTimeline } from '../qemu/recording';

export class ReplaySerial {
  /** The icount up to which the output has been shown. */
  private highWater = 0;
  private partial: { icount: number; text: string } | undefined;

  /**
   * `end`: the recording's last reachable icount, one before the log's first SHUTDOWN event. A guest that powers off
   * right after its last write has that write logged at the SHUTDOWN's icount (QEMU 10.0's riscv64 virt: the final
   * newline at 20755, SHUTDOWN at 20755), which no replay reaches; at the end, everything logged up to the
   * SHUTDOWN is shown.
   */
  constructor(readonly timeline: SerialTimeline, private readonly show: (text: string) => void, private readonly end?: number) {}

  /** The replay has run up to `to`: shows what the guest wrote before it that is not shown yet. */
  reached(to: number): void {
    if (this.end !== undefined && to >= this.end) to = this.end + 2; // [from, end + 2): up to the SHUTDOWN's icount
    if (to <= this.highWater) return;
    // Whole lines only: a stop in the middle of a line keeps its start until the rest has been replayed.
    for (const part of this.timeline.slice(this.highWater, to)) {
      const line = this.partial ? { icount: this.partial.icount, text: this.partial.text + part.text } : part;
      this.partial = undefined;
      if (line.text.endsWith('\n')) this.show(`[icount ${line.icount}] ${line.text}`);
      else this.partial = line;
    }
    this.highWater = to;
  }
}
