/**
 * The QMP commands the adapter sends, by name: arguments and reply as QEMU's QAPI schema defines them (the parts the
 * adapter reads; `qemu/qapi/*.json` of QEMU 7.2, unchanged in 10.0). `QmpClient.call` takes only these, so nothing
 * above `adapter/qemu/` writes a command name or casts a reply; the Debug Console's `qmp` command, which sends what
 * the user typed, is the one untyped caller (`QmpClient.executeUntyped`).
 */
import type { ReplayMode } from '../../common/protocol';
import type { QmpVersionInfo } from './version';

/** `query-status` (qapi/run-state.json StatusInfo). */
export interface QmpStatusInfo {
  running: boolean;
  /** RunState: `prelaunch`, `running`, `paused`, `shutdown`, `debug`, … */
  status: string;
}

/** `query-replay` (qapi/replay.json ReplayInfo). */
export interface QmpReplayInfo {
  mode: ReplayMode;
  filename?: string;
  icount: number;
}

/** One snapshot of a qcow2 image (qapi/block-core.json SnapshotInfo); `icount` since QEMU 5.2. */
export interface QmpSnapshotInfo {
  id: string;
  name: string;
  icount?: number;
  'vm-state-size': number;
  'date-sec': number;
  'date-nsec': number;
}

/** `query-block` (qapi/block-core.json BlockInfo), the fields read: each drive's image and its snapshots. */
export interface QmpBlockInfo {
  device: string;
  inserted?: { image?: { snapshots?: QmpSnapshotInfo[] } };
}

/** A command that takes no arguments. */
type NoArgs = undefined;
/** A command whose reply is an empty object. */
type Done = Record<string, never>;

/** Command name → [arguments, reply]. */
export interface QmpCommands {
  qmp_capabilities: [NoArgs, Done];
  'query-status': [NoArgs, QmpStatusInfo];
  'query-replay': [NoArgs, QmpReplayInfo];
  'query-block': [NoArgs, QmpBlockInfo[]];
  'query-commands': [NoArgs, Array<{ name: string }>];
  'query-version': [NoArgs, QmpVersionInfo];
  'replay-break': [{ icount: number }, Done];
  'replay-delete-break': [NoArgs, Done];
  'replay-seek': [{ icount: number }, Done];
  stop: [NoArgs, Done];
  cont: [NoArgs, Done];
  quit: [NoArgs, Done];
  /** HMP through QMP: the reply is the monitor's text. */
  'human-monitor-command': [{ 'command-line': string }, string];
}

export type QmpCommandName = keyof QmpCommands;
export type QmpArgs<K extends QmpCommandName> = QmpCommands[K][0];
export type QmpReply<K extends QmpCommandName> = QmpCommands[K][1];

export interface QmpCallOptions {
  timeoutMs?: number;
  /** Not traced (the watchdog's liveness pings). */
  quiet?: boolean;
}
