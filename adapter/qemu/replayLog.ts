/**
 * Reads QEMU 7.2's record/replay log (`replay.bin`) far enough to know the replayable end of a recording:
 * the icount of the first SHUTDOWN event, where replay stops being possible (QEMU exits there). Event numbering
 * follows `replay/replay-internal.h` of QEMU 7.2; the file is big-endian.
 */

export const REPLAY_VERSION_7_2 = 0xe0200c;
const HEADER_SIZE = 12;

const EVENT_INSTRUCTION = 0;
const EVENT_INTERRUPT = 1;
const EVENT_EXCEPTION = 2;
const EVENT_ASYNC_FIRST = 3; // BH, BH_ONESHOT, INPUT, INPUT_SYNC, CHAR_READ, BLOCK, NET
const EVENT_SHUTDOWN_FIRST = 10;
const EVENT_SHUTDOWN_LAST = 21;
const EVENT_CHAR_WRITE = 22;
const EVENT_CHAR_READ_ALL = 23;
const EVENT_CHAR_READ_ALL_ERROR = 24;
const EVENT_AUDIO_OUT = 25;
const EVENT_RANDOM = 27;
const EVENT_CLOCK_FIRST = 28;
const EVENT_CLOCK_LAST = 29;
const EVENT_CHECKPOINT_FIRST = 30;
const EVENT_CHECKPOINT_LAST = 38;
const EVENT_END = 39;

export const SHUTDOWN_CAUSES = [
  'none', 'host-error', 'host-qmp-quit', 'host-qmp-system-reset', 'host-signal', 'host-ui', 'guest-shutdown',
  'guest-reset', 'guest-panic', 'subsystem-reset', 'snapshot-load', 'unknown',
] as const;

export class ReplayLogError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'ReplayLogError';
  }
}

export interface ReplayLogSummary {
  version: number;
  /** Instructions in the whole log. */
  totalInstructions: number;
  /** icount of the first SHUTDOWN event: the replayable end. Undefined when the log has none. */
  shutdownIcount?: number;
  shutdownCause?: string;
  /** True when the log closes with an END event (recording finished cleanly). */
  complete: boolean;
  /** icounts at which the guest wrote to a character device (serial output), in order. */
  charWriteIcounts: number[];
  events: number;
}

/**
 * Parses a whole log. Truncated or corrupt input throws ReplayLogError (never another error): a recording whose
 * log cannot be read to its end is not safe to replay. `allowTruncated` returns what was read instead. One loop (69
 * lines): the event kinds read best as one table, in QEMU's order.
 */
export function parseReplayLog(data: Uint8Array, options: { allowTruncated?: boolean } = {}): ReplayLogSummary {
  if (data.length < HEADER_SIZE) throw new ReplayLogError(`replay log is ${data.length} bytes long, shorter than its header`, 0);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint32(0);
  if (version !== REPLAY_VERSION_7_2) {
    throw new ReplayLogError(`replay log version 0x${version.toString(16)} is not QEMU 7.2's 0x${REPLAY_VERSION_7_2.toString(16)}`, 0);
  }
  const summary: ReplayLogSummary = { version, totalInstructions: 0, complete: false, charWriteIcounts: [], events: 0 };
  let pos = HEADER_SIZE;
  const need = (n: number, what: string): void => {
    if (pos + n > data.length) throw new ReplayLogError(`replay log ends inside ${what} at byte ${pos}`, pos);
  };
  try {
    while (pos < data.length) {
      const start = pos;
      const kind = data[pos++];
      if (kind === EVENT_INSTRUCTION) {
        need(4, 'an instruction event');
        summary.totalInstructions += view.getUint32(pos);
        pos += 4;
      } else if (kind === EVENT_INTERRUPT || kind === EVENT_EXCEPTION) {
        // no payload
      } else if (kind >= EVENT_ASYNC_FIRST && kind < EVENT_SHUTDOWN_FIRST) {
        const async = kind - EVENT_ASYNC_FIRST;
        if (async === 0 || async === 1 || async === 5) {
          need(8, 'an async event'); // BH, BH_ONESHOT, BLOCK carry an id
          pos += 8;
        } else if (async !== 3) {
          throw new ReplayLogError(`replay log has an input/char/net event (kind ${kind}) at byte ${start} that this reader does not decode`, start);
        }
      } else if (kind >= EVENT_SHUTDOWN_FIRST && kind <= EVENT_SHUTDOWN_LAST) {
        if (summary.shutdownIcount === undefined) {
          summary.shutdownIcount = summary.totalInstructions;
          summary.shutdownCause = SHUTDOWN_CAUSES[Math.min(kind - EVENT_SHUTDOWN_FIRST, SHUTDOWN_CAUSES.length - 1)];
        }
      } else if (kind === EVENT_CHAR_WRITE) {
        need(8, 'a char-write event');
        summary.charWriteIcounts.push(summary.totalInstructions);
        pos += 8;
      } else if (kind === EVENT_CHAR_READ_ALL || kind === EVENT_RANDOM) {
        if (kind === EVENT_RANDOM) { need(4, 'a random event'); pos += 4; }
        need(4, 'an array length');
        const len = view.getUint32(pos);
        pos += 4;
        need(len, 'an array');
        pos += len;
      } else if (kind === EVENT_CHAR_READ_ALL_ERROR || kind === EVENT_AUDIO_OUT) {
        need(4, 'an event');
        pos += 4;
      } else if (kind >= EVENT_CLOCK_FIRST && kind <= EVENT_CLOCK_LAST) {
        need(8, 'a clock event');
        pos += 8;
      } else if (kind >= EVENT_CHECKPOINT_FIRST && kind <= EVENT_CHECKPOINT_LAST) {
        // no payload
      } else if (kind === EVENT_END) {
        summary.events++;
        summary.complete = true;
        if (pos !== data.length) throw new ReplayLogError(`replay log has ${data.length - pos} bytes after its END event`, pos);
        break;
      } else {
        throw new ReplayLogError(`replay log has an unknown event kind ${kind} at byte ${start}`, start);
      }
      summary.events++; // only events read whole: allowTruncated must not count the one it stopped in
    }
  } catch (err) {
    if (!(err instanceof ReplayLogError) || !options.allowTruncated) throw err;
  }
  return summary;
}

/** The replayable end of a recording: the first SHUTDOWN, else the end of the instructions logged. */
export function replayableEnd(summary: ReplayLogSummary): number {
  return summary.shutdownIcount ?? summary.totalInstructions;
}
