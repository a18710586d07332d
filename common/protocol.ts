/**
 * The qemu-replay extension of the Debug Adapter Protocol: custom requests, events and the launch/attach
 * arguments. One source of truth for the adapter (adapter/), the extension (src/) and any other DAP client.
 * Names here are the public interface: keep them.
 */

/** QEMU's `ReplayMode` (qapi/replay.json). */
export type ReplayMode = 'none' | 'record' | 'play';

/** Why a snapshot exists: the recording's first one, one placed by the automatic policy, or one the user saved. */
export type SnapshotKind = 'initial' | 'automatic' | 'user';

export interface SnapshotInfo {
  /** QEMU's snapshot name (unique within the recording). */
  name: string;
  /** QEMU's snapshot id. */
  id: string;
  /** Instruction count at which the snapshot was taken (`SnapshotInfo.icount`). */
  icount: number;
  /** Creation time, milliseconds since the epoch. */
  date: number;
  /** Size of the saved VM state in bytes. */
  vmStateSize: number;
  kind: SnapshotKind;
}

/** Body of the `replayState` event and of the `replayInfo` response. */
export interface ReplayState {
  mode: ReplayMode;
  /** Current instruction count (exact in replay, coarse in record). */
  icount: number;
  /** The replayable end of the recording (replay sessions), or undefined while recording. */
  endIcount?: number;
  /** The recording directory. */
  recording?: string;
  /** True while the guest runs. */
  running: boolean;
  /** The icount breakpoints the adapter keeps (QEMU itself keeps only one). */
  icountBreakpoints: number[];
}

export interface IcountBreakpointResult {
  icount: number;
  verified: boolean;
  message?: string;
}

/** Custom requests: name → [arguments, response body]. */
export interface CustomRequests {
  replayInfo: [Record<string, never>, ReplayState];
  /** Replaces the icount breakpoints set by this request (function breakpoints `icount:N` are kept apart and stay). */
  setIcountBreakpoints: [{ icounts: number[] }, { breakpoints: IcountBreakpointResult[] }];
  /** Seek to an icount, to a snapshot, or to the start or end of the recording. Exactly one field. */
  seek: [{ icount?: number; to?: 'start' | 'end'; snapshot?: string }, ReplayState];
  listSnapshots: [Record<string, never>, { snapshots: SnapshotInfo[] }];
  saveSnapshot: [{ name?: string }, { snapshot: SnapshotInfo }];
  deleteSnapshot: [{ name: string }, Record<string, never>];
  /** Reverse step into: back to the previous line, entering calls (gdb `reverse-step`). */
  reverseStepIn: [{ threadId: number; granularity?: 'statement' | 'line' | 'instruction' }, Record<string, never>];
  /** Reverse step out: back to the call site of the current function (gdb `reverse-finish`). */
  reverseStepOut: [{ threadId: number }, Record<string, never>];
  /**
   * Every hit of one breakpoint in the recording (or in [from, to)), found by one forward pass of the replay with
   * only that breakpoint enabled (its condition and hit count honoured); the position is where it was afterwards.
   * Answered when the pass is done (`complete`: false when it was cancelled — DAP `cancel` with this request's seq,
   * or with the progress id of its `progressStart` event); the hits also stream in `hitHistory` events meanwhile.
   */
  hitHistory: [{ breakpointId: number; from?: number; to?: number }, {
    hits: HistoryHit[]; complete: boolean;
    /**
     * How they were found: `plugin`, a second QEMU replaying in the background with the adapter's TCG plugin (the
     * session's replay stays where it is); `plugin+gdb`, found so, and gdb taken to each to evaluate a condition or a
     * log message there; `gdb`, a gdb stop at each (a watchpoint, a guest with a disk, or no plugin).
     */
    method: HitHistoryMethod;
  }];
  /**
   * Moves to the instruction after the last write before the position (`backward`) or the next write after it
   * (`forward`) of the memory of `expression` (evaluated in `frameId`, or the top frame). A `stopped` event with
   * reason `data breakpoint` says where; `found: false` when the recording has no such write (nothing moves).
   */
  lastWrite: [{ expression: string; frameId?: number; direction: 'backward' | 'forward' }, LastWriteResult];
  /** Registers, the locals of a frame and a memory range at two icounts, and what differs. The position stays. */
  compare: [{ a: number; b: number; frameId?: number; memory?: { address: string; length: number } }, CompareResult];
  /** The guest's serial output in the whole recording, line by line, each with the icount of its first byte. */
  guestOutput: [Record<string, never>, { lines: GuestOutputLine[] }];
}

/** How `hitHistory` found the hits (see its response's `method`). */
export type HitHistoryMethod = 'plugin' | 'plugin+gdb' | 'gdb';

/** One hit of a breakpoint in the recording. */
export interface HistoryHit {
  icount: number;
  /** The program counter, `0x…`. */
  pc: string;
  function?: string;
  source?: { path: string; name: string };
  line?: number;
  /** A logpoint's message, evaluated at this hit. */
  message?: string;
}

export interface LastWriteResult {
  found: boolean;
  /** Where the position moved (the instruction after the write). */
  icount?: number;
  /** The value before and after the write. */
  oldValue?: string;
  newValue?: string;
  /** The writing instruction's place. */
  pc?: string;
  function?: string;
  source?: { path: string; name: string };
  line?: number;
  /** When nothing was found: why, in the user's words. */
  message?: string;
}

export interface CompareItem {
  name: string;
  a?: string;
  b?: string;
  changed: boolean;
}

export interface CompareResult {
  a: { icount: number; function?: string; line?: number; source?: { path: string; name: string } };
  b: { icount: number; function?: string; line?: number; source?: { path: string; name: string } };
  registers: CompareItem[];
  /** The locals and arguments of the chosen frame level (the same level at both moments). */
  locals: CompareItem[];
  /** Why locals are missing (a different function at that level at one of the moments). */
  localsNote?: string;
  memory?: {
    address: string;
    /** Hex bytes, two digits each, at a and at b (`??` for bytes that could not be read). */
    a: string[];
    b: string[];
    /** Offsets of the bytes that differ. */
    changed: number[];
  };
}

export interface GuestOutputLine {
  /** The icount at which the guest wrote the line's first byte. */
  icount: number;
  text: string;
}

export type CustomRequestName = keyof CustomRequests;
export type CustomRequestArgs<K extends CustomRequestName> = CustomRequests[K][0];
export type CustomResponseBody<K extends CustomRequestName> = CustomRequests[K][1];

/** Custom events: name → body. */
export interface CustomEvents {
  replayState: ReplayState;
  snapshotsChanged: { snapshots: SnapshotInfo[] };
  /**
   * Hits found so far by a `hitHistory` request or a retroactive logpoint pass, in icount order, batched. `restart`:
   * the hits sent before for this breakpoint are withdrawn, the search starts over (a background pass that turned out
   * not to be exact in this guest; see `hitHistory`'s `method`).
   */
  hitHistory: { breakpointId: number; hits: HistoryHit[]; done?: boolean; restart?: boolean };
}

export type CustomEventName = keyof CustomEvents;

export const CUSTOM_REQUESTS: readonly CustomRequestName[] = [
  'replayInfo', 'setIcountBreakpoints', 'seek', 'listSnapshots', 'saveSnapshot', 'deleteSnapshot',
  'reverseStepIn', 'reverseStepOut', 'hitHistory', 'lastWrite', 'compare', 'guestOutput',
];

/** Function breakpoints named `icount:N` are icount breakpoints (so they show and toggle in the Breakpoints view). */
export const ICOUNT_FUNCTION_BREAKPOINT = /^\s*icount\s*:\s*(.+?)\s*$/;

/** A recording limit: stop recording after this many instructions or seconds. */
/**
 * Optional string launch attributes where "" means "not set" (the schema's default that IntelliSense inserts, or a
 * variable that expanded to nothing). The extension and the adapter both read them so.
 */
export const EMPTY_MEANS_UNSET: readonly string[] = ['kernel', 'qemuPath', 'cpu', 'program'];

export type RecordLimit = { instructions: number } | { seconds: number };

/** The guest architectures qemu-replay knows (adapter/qemu/architectures.ts maps each to its QEMU). */
export const ARCHITECTURES = ['aarch64', 'arm', 'riscv64', 'riscv32', 'x86_64'] as const;
export type ArchitectureName = typeof ARCHITECTURES[number];

/** Launch arguments (mirror of `configurationAttributes.launch` in package.json). */
export interface LaunchArguments {
  mode: 'record' | 'replay';
  program?: string;
  kernel?: string;
  /**
   * The guest architecture, for a kernel or firmware without symbols that is a raw binary (an ELF or a Linux boot
   * Image header tells it otherwise; when given, it must agree with them). Picks QEMU, machine and CPU defaults.
   */
  architecture?: ArchitectureName;
  recording: string;
  overwrite?: boolean;
  recordLimit?: RecordLimit;
  qemuPath?: string;
  qemuImgPath?: string;
  machine?: string;
  cpu?: string;
  memory?: string;
  qemuArgs?: string[];
  gdbPath?: string;
  icountShift?: number | 'auto';
  stopOnEntry?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  /** Automatic snapshot spacing in instructions (0 turns the policy off). */
  snapshotInterval?: number;
  /** Bound on the snapshot image's disk use in MB; unset: 256 MB per 1e9 recorded instructions, at least 128 MB. */
  snapshotBudgetMB?: number;
  /** Source path substitutions, compile-time prefix → local prefix. */
  sourceMap?: Record<string, string>;
  /** Trace the adapter's gdb/MI and QMP traffic to the Debug Console. */
  trace?: boolean;
}

/** Attach arguments (mirror of `configurationAttributes.attach`). */
export interface AttachArguments {
  /** QMP socket: a unix socket path, or `host:port`. */
  qmp?: string;
  /** gdb server address, `host:port` (default 127.0.0.1:1234). */
  gdbServer?: string;
  program?: string;
  gdbPath?: string;
  cwd?: string;
  sourceMap?: Record<string, string>;
  trace?: boolean;
}
