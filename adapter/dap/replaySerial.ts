/**
 * Replay mode: the recording's serial output, shown as the replay first passes it, each line with the icount
 * at which the guest wrote it.
 */
import type { SerialTimeline } from '../qemu/recording';

export class ReplaySerial {
  /** The icount up to which the output has been shown. */
  private highWater = 0;
  private partial: { icount: number; text: string } | undefined;

  constructor(private readonly timeline: SerialTimeline, private readonly show: (text: string) => void) {}

  /** The replay has run up to `to`: shows what the guest wrote before it that is not shown yet. */
  reached(to: number): void {
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
