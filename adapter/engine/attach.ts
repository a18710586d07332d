/**
 * Attaching to a QEMU the user started: connect QMP (optional) and gdb to it, find out with `query-replay`
 * whether it records, replays or neither, and let go of it again without ever ending it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { AttachArguments, ReplayMode } from '../../common/protocol';
import { readElfHeader } from '../elf';
import { errorMessage, errors } from '../errors';
import { Gdb, GdbError } from '../gdb/gdb';
import { breakDeleteAll, targetLeave, targetSelectRemote } from '../gdb/mi';
import { configureGdb } from '../gdb/setup';
import { QmpAddress, QmpClient, QmpCommandError } from '../qemu/qmp';
import { versionWarnings } from '../qemu/compat';
import { attachShapeProblems } from '../../common/validateConfig';
import { QemuVersion, versionFromQmp } from '../qemu/version';
import { parseReplayLog } from '../qemu/replayLog';

export const DEFAULT_GDB_SERVER = '127.0.0.1:1234';

export interface AttachedQemu {
  gdb: Gdb;
  /** Undefined when the configuration names no QMP socket: then neither time travel nor console `qmp`/`hmp`. */
  qmp: QmpClient | undefined;
  /** What QEMU said `query-replay` (`none` without QMP). */
  mode: ReplayMode;
  /** The replay log QEMU reads or writes. */
  replayFile?: string;
  /** Replays only, when the log is readable here: the last icount before the log's first SHUTDOWN. */
  endIcount?: number;
  program?: string;
  /** The VM status before gdb attached (gdb's attach stops it). */
  statusBefore: string;
  warnings: string[];
  /** QEMU's version, when QMP is there to ask. */
  qemuVersion?: QemuVersion;
}

/** `host:port` → address; anything else (a path) is a unix socket. */
export function parseQmpAddress(text: string, cwd: string): QmpAddress {
  const m = /^(?:tcp:)?([^/:]+):(\d{1,5})$/.exec(text.trim());
  if (m) return { host: m[1], port: checkPort(Number(m[2]), '"qmp"') };
  return { path: path.resolve(cwd, text.replace(/^unix:/, '')) };
}

export function parseGdbServer(text: string): { host: string; port: number } {
  const m = /^(?:tcp:)?([\w.-]+|\[[0-9a-f:]+\]):(\d{1,5})$/i.exec(text.trim());
  if (!m) throw errors.gdbServerInvalid(text, DEFAULT_GDB_SERVER);
  return { host: m[1], port: checkPort(Number(m[2]), '"gdbServer"') };
}

function checkPort(port: number, what: string): number {
  if (port < 1 || port > 65535) throw errors.portOutOfRange(what, port);
  return port;
}

export function checkAttachArguments(raw: unknown): AttachArguments {
  if (typeof raw !== 'object' || raw === null) throw errors.attachConfigNotObject();
  const problem = attachShapeProblems(raw as Record<string, unknown>)[0];
  if (problem) throw errors.launchConfigInvalid(problem.message);
  return raw;
}

/**
 * Connects to the user's QEMU. On failure nothing is left connected, and QEMU is untouched. One function (62 lines):
 * QMP, gdb and their clean-up on failure share one try block.
 */
export async function attachToQemu(raw: unknown): Promise<AttachedQemu> {
  const args = checkAttachArguments(raw);
  const cwd = args.cwd ? path.resolve(args.cwd) : process.cwd();
  const gdbServer = parseGdbServer(args.gdbServer ?? DEFAULT_GDB_SERVER);
  const program = args.program ? path.resolve(cwd, args.program) : undefined;
  if (program && !existsSync(program)) throw errors.attachProgramMissing(program);
  const warnings: string[] = [];

  let qmp: QmpClient | undefined;
  let mode: ReplayMode = 'none';
  let replayFile: string | undefined;
  let statusBefore = 'unknown';
  let qemuVersion: QemuVersion | undefined;
  const gdb = new Gdb();
  try {
    if (args.qmp) {
      const address = parseQmpAddress(args.qmp, cwd);
      qmp = new QmpClient();
      try {
        await qmp.connect(address);
      } catch (err) {
        const where = 'path' in address ? address.path : `${address.host}:${address.port}`;
        throw errors.qmpConnectFailed(where, err, 'path' in address ? address.path : undefined);
      }
      statusBefore = (await qmp.call('query-status', undefined)).status;
      qemuVersion = versionFromQmp(await qmp.call('query-version', undefined));
      warnings.push(...versionWarnings(qemuVersion, undefined));
      try {
        const r = await qmp.call('query-replay', undefined);
        mode = r.mode;
        replayFile = r.filename;
      } catch (err) {
        if (!(err instanceof QmpCommandError)) throw err;
        warnings.push(`QEMU has no query-replay (${err.desc}): debugging without record/replay.`);
      }
    } else {
      warnings.push('No "qmp" socket given: the session has no time travel and no qmp/hmp console commands.');
    }

    const endIcount = mode === 'play' && replayFile ? await replayEnd(replayFile, warnings) : undefined;

    try {
      await gdb.start(args.gdbPath ?? 'gdb-multiarch'); // in a working folder of its own, not the user's (see Gdb.start)
    } catch (err) {
      throw errors.attachGdbNotStarted(args.gdbPath ?? 'gdb-multiarch', err);
    }
    // Read-only when QEMU records or replays (see GdbSetup.readOnly); a plain QEMU may be written to.
    await configureGdb(gdb, { symbols: program, sourceMap: args.sourceMap, userCwd: cwd, readOnly: mode !== 'none' });
    try {
      await targetSelectRemote(gdb, `${gdbServer.host}:${gdbServer.port}`); // checked: host chars and a port only
    } catch (err) {
      if (!(err instanceof GdbError)) throw err;
      throw errors.gdbServerNotConnected(gdbServer.host, gdbServer.port, err.message);
    }
    if (program) await readElfHeader(program).catch(() => warnings.push(`${program} is not an ELF file: no symbols.`));
    return { gdb, qmp, mode, replayFile, endIcount, program, statusBefore, warnings, qemuVersion };
  } catch (err) {
    await gdb.stop().catch(() => undefined);
    qmp?.close();
    throw err;
  }
}

async function replayEnd(file: string, warnings: string[]): Promise<number | undefined> {
  try {
    const log = parseReplayLog(await readFile(file));
    return Math.max(0, (log.shutdownIcount ?? log.totalInstructions) - 1);
  } catch (err) {
    warnings.push(`The replay log ${file} cannot be read here (${errorMessage(err)}): the adapter cannot keep QEMU from running off its end, where QEMU exits.`);
    return undefined;
  }
}

/**
 * Lets go of the user's QEMU; it keeps running. gdb's detach resumes the VM; with `suspend` (DAP disconnect's
 * suspendDebuggee) gdb only disconnects, which leaves it paused where it is. A replay that resumes stops at
 * the replay breakpoint the adapter keeps one before the end of the log, instead of running off the end.
 */
export async function detachFromQemu(attached: AttachedQemu, suspend: boolean): Promise<void> {
  const { gdb, qmp } = attached;
  if (!suspend && qmp?.isOpen && attached.mode === 'play' && attached.endIcount !== undefined) {
    // Reverse operations delete QEMU's replay breakpoint: arm the end-of-log guard again before resuming.
    const at = await qmp.call('query-replay', undefined).then((r) => r.icount, () => undefined);
    if (at !== undefined && at < attached.endIcount) await qmp.call('replay-break', { icount: attached.endIcount }).catch(() => undefined);
  }
  if (gdb.isRunning) {
    // Breakpoints are out of guest memory while gdb has it stopped (not always-inserted): nothing is left behind.
    await breakDeleteAll(gdb, 5_000).catch(() => undefined);
    await targetLeave(gdb, suspend ? 'disconnect' : 'detach', 5_000).catch(() => undefined);
    await gdb.stop();
  }
  if (qmp?.isOpen) {
    if (suspend) await qmp.call('stop', undefined, { timeoutMs: 2_000 }).catch(() => undefined);
    qmp.close();
  }
}
