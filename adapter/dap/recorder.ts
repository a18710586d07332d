/**
 * Record mode under the session: while the guest runs, live serial output from the record-time file, record-time
 * snapshots and the record limit; at the end, the serial output not yet shown, and the recording finalised.
 */
import { open, stat } from 'node:fs/promises';
import type { RecordLimit } from '../../common/protocol';
import type { Execution } from '../engine/execution';
import type { Emulator } from '../engine/launcher';
import type { ReplayEngine } from '../engine/replayEngine';
import { errorMessage } from '../errors';
import { QmpConnectionError } from '../qemu/qmp';
import type { PendingRecording } from '../qemu/recording';

/** What the recorder needs from the session. */
export interface RecorderHost {
  log(text: string, category?: 'console' | 'stdout' | 'important'): void;
  /** True once the session is ending: no more snapshots. */
  isEnding(): boolean;
  /** Ends the session (the recording is finalised). */
  end(why: string): Promise<void>;
}

export class Recorder {
  private readonly serialFile: string;
  private timer: NodeJS.Timeout | undefined;
  /** How much of the serial file has been shown. */
  private serialOffset = 0;
  private snapshotBusy = false;

  /** `manifestBase`: what the manifest needs; without it the recording is not finalised. */
  constructor(private readonly recording: PendingRecording, private readonly manifestBase: Emulator['manifestBase'], private readonly host: RecorderHost) {
    this.serialFile = recording.file('serial');
  }

  /** Watches the recording while the guest runs. */
  start(engine: ReplayEngine, exec: Execution, limit: RecordLimit | undefined): void {
    const started = Date.now();
    let ticking = false;
    this.timer = setInterval(() => {
      // One tick at a time: while recording, QEMU answers QMP only every 2^24 instructions or so, and overlapping
      // ticks would queue queries faster than it answers them (the record limit would then be seen ever later).
      if (ticking) return;
      ticking = true;
      void (async () => {
        const size = (await stat(this.serialFile).catch(() => undefined))?.size ?? 0;
        if (size > this.serialOffset) {
          const data = await readRange(this.serialFile, this.serialOffset, size); // only what is new: the file can grow to MBs
          this.serialOffset = size;
          this.host.log(data.toString('utf8'), 'stdout');
        }
        if (!exec.running || this.host.isEnding() || this.snapshotBusy) return;
        this.snapshotBusy = true;
        await engine.recordTimeSnapshot().catch((err: unknown) => {
          // QEMU ends with the guest: a snapshot under way then loses QMP. The session says how the recording ended.
          if (err instanceof QmpConnectionError || this.host.isEnding()) return;
          this.host.log(`${errorMessage(err)}\n`, 'important');
        }).finally(() => { this.snapshotBusy = false; });
        if (!limit) return;
        const reached = 'seconds' in limit ? Date.now() - started >= limit.seconds * 1000 : (await engine.refreshIcount().catch(() => 0)) >= limit.instructions;
        if (reached) {
          this.host.log(`Record limit reached (${JSON.stringify(limit)}): finishing the recording.\n`);
          void this.host.end('record limit');
        }
      })().finally(() => { ticking = false; });
    }, 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Once QEMU has ended its log: the last serial output, then the recording saved (or discarded) with `why`. */
  async finish(why: string): Promise<void> {
    await this.flushSerial();
    if (!this.manifestBase) return;
    try {
      const m = await this.recording.finalize(this.manifestBase);
      // The one line a recording that ended well prints: plain console text (not 'important', which VS Code shows
      // as a toast too).
      this.host.log(`Recording saved to ${this.recording.finalDir} (${m.endIcount + 1} instructions, ${why}). Replay it with "mode": "replay".\n`, 'console');
    } catch (err) {
      await this.recording.discard();
      this.host.log(`The recording could not be saved: ${errorMessage(err)}\n`, 'important');
    }
  }

  /** The serial output the last tick did not see (a guest can finish between two ticks). */
  private async flushSerial(): Promise<void> {
    const size = (await stat(this.serialFile).catch(() => undefined))?.size ?? 0;
    if (size <= this.serialOffset) return;
    const data = await readRange(this.serialFile, this.serialOffset, size);
    this.serialOffset = size;
    this.host.log(data.toString('utf8'), 'stdout');
  }
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
