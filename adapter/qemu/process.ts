/**
 * Runs one QEMU: builds its command line (as an argument array, never through a shell), keeps its sockets in a
 * private directory (mode 0700), captures stderr, and stops it the way that keeps a recording replayable
 * (QMP `stop` + `quit`, then SIGTERM; SIGKILL only as a last resort).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { QmpClient } from './qmp';
import { createSocketDir, removeAbandonedSocketDirs, SocketDirOptions } from './socketdir';
import { within } from '../within';
import { QemuVersion, versionFromQmp } from './version';

export interface QemuCommand {
  qemuPath: string;
  machine: string;
  cpu?: string;
  memory: string;
  kernel: string;
  icountShift: number | 'auto';
  rr: 'record' | 'replay';
  replayFile: string;
  snapshotImage: string;
  /** Where the guest's serial output goes in record mode (a file); replay uses `null` (the log holds it). */
  serialFile?: string;
  /**
   * QEMU's gdb server on this loopback TCP port; without it (the sessions' way), on the unix socket `gdb.sock` in the
   * private socket folder: no TCP listener that VS Code's remote port forwarding would pick up (docs/design.md).
   */
  gdbPort?: number;
  /** No gdb server at all (a background replay of hitsByPlugin.ts: nothing attaches to it). */
  noGdb?: boolean;
  /** A TCG plugin and its arguments, as `-plugin` takes them (`file,arg=value,…`). */
  plugin?: string;
  archArgs: string[];
  userArgs: string[];
  /**
   * QEMU's own data files (firmware, option ROMs) when it is installed outside /usr, e.g. unpacked from Debian
   * packages into a folder (scripts/qemu10.sh): passed as `-L`. Found by `relocatedDataDir` when not given.
   */
  dataDir?: string;
}

/** The name of the gdb server's socket in the private socket folder. */
export const GDB_SOCKET_NAME = 'gdb.sock';

/** The argv after the program name. The initial snapshot is always `init` (record and replay must agree). */
export function qemuArgv(cmd: QemuCommand, qmpSocket: string, gdbSocket = path.join(path.dirname(qmpSocket), GDB_SOCKET_NAME)): string[] {
  const argv = ['-M', cmd.machine];
  if (cmd.cpu) argv.push('-cpu', cmd.cpu);
  argv.push(
    '-m', cmd.memory,
    '-display', 'none', '-net', 'none', '-monitor', 'none',
    // No audio backend: QEMU 8+ otherwise probes the audio drivers, loading their modules from the system's folder,
    // which belong to another QEMU when this one is not the system's ("Only modules from the same build…").
    '-audiodev', 'none,id=qr-noaudio',
    ...(cmd.dataDir ? ['-L', cmd.dataDir] : []),
    '-serial', cmd.rr === 'record' && cmd.serialFile ? `file:${cmd.serialFile}` : 'null',
    ...cmd.archArgs,
    '-kernel', cmd.kernel,
    '-icount', `shift=${cmd.icountShift},rr=${cmd.rr},rrfile=${escapeOpt(cmd.replayFile)},rrsnapshot=init`,
    '-drive', `file=${escapeOpt(cmd.snapshotImage)},if=none,id=rr,format=qcow2`,
    '-qmp', `unix:${escapeOpt(qmpSocket)},server=on,wait=off`,
    ...(cmd.noGdb ? [] : ['-gdb', cmd.gdbPort !== undefined ? `tcp:127.0.0.1:${cmd.gdbPort}` : `unix:${escapeOpt(gdbSocket)},server=on,wait=off`]),
    ...(cmd.plugin ? ['-plugin', cmd.plugin] : []),
    '-S', '-no-reboot',
    ...cmd.userArgs,
  );
  return argv;
}

/** QEMU's option syntax doubles commas inside values. */
export function escapeOpt(value: string): string {
  return value.replace(/,/g, ',,');
}

export async function freeLocalPort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The data folder of a QEMU installed under a prefix other than /usr (`<prefix>/bin/qemu-system-*` beside
 * `<prefix>/share/qemu`), or undefined. Debian's QEMU looks for its firmware in /usr/share/qemu whatever its own
 * location, so a QEMU unpacked elsewhere would load the system QEMU's files, of another version (10.0's x86 boot
 * ROMs are not 7.2's). `-L` puts its own folder first; what it lacks (SeaBIOS) is still found in the system's.
 */
export function relocatedDataDir(qemuPath: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = qemuPath.includes('/') ? qemuPath
    : (env.PATH ?? '').split(':').filter(Boolean).map((d) => path.join(d, qemuPath)).find((p) => isExecutable(p));
  if (!file) return undefined;
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const prefix = path.dirname(path.dirname(real));
  const data = path.join(prefix, 'share', 'qemu');
  return prefix !== '/usr' && prefix !== '/' && existsSync(data) ? data : undefined;
}

let setprivPath: string | null | undefined;

/**
 * QEMU must not outlive the adapter (an orphaned QEMU keeps the snapshot image's write lock, and an orphaned
 * recording never ends). QEMU 7.2 cannot watch its parent, so it is started through util-linux's `setpriv
 * --pdeathsig TERM`, which asks the kernel to send it SIGTERM when the adapter dies, however it dies (even SIGKILL).
 * setpriv then execs QEMU (same pid, QEMU's own argv). SIGTERM, not SIGKILL: QEMU then ends a recording cleanly,
 * so its log stays replayable. Without setpriv, QEMU is started directly (and ended by the session as usual).
 */
export function dieWithParent(file: string, args: string[]): [string, string[]] {
  if (setprivPath === undefined) {
    setprivPath = ['/usr/bin/setpriv', '/bin/setpriv', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'setpriv'))]
      .find((p) => p.startsWith('/') && isExecutable(p)) ?? null;
  }
  return setprivPath ? [setprivPath, ['--pdeathsig', 'TERM', '--', file, ...args]] : [file, args];
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class QemuStartError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
    this.name = 'QemuStartError';
  }
}

export interface QemuProcessEvents {
  exit: [number | null, NodeJS.Signals | null];
  stderr: [string];
}

export class QemuProcess extends EventEmitter<QemuProcessEvents> {
  private proc: ChildProcess | undefined;
  private privateDir: string | undefined;
  private stderrText = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly qmp = new QmpClient();
  argv: string[] = [];
  /** QEMU's version (`query-version`), known once `start` returned. */
  version: QemuVersion | undefined;

  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get exited(): boolean {
    return this.exitInfo !== undefined;
  }
  get stderr(): string {
    return this.stderrText;
  }
  /** The private socket folder (mode 0700, removed when QEMU ends): QMP's socket, and gdb's unless on TCP. */
  get socketDir(): string | undefined {
    return this.privateDir;
  }

  /** Starts QEMU paused (-S) and connects QMP. On failure nothing is left running. */
  async start(cmd: QemuCommand, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; socketDirs?: SocketDirOptions } = {}): Promise<void> {
    await removeAbandonedSocketDirs(options.socketDirs);
    // A short private folder (mode 0700) even when TMPDIR is long: throws a UserError, before QEMU starts, if none fits.
    this.privateDir = await createSocketDir(options.socketDirs);
    const qmpSocket = path.join(this.privateDir, 'qmp.sock');
    this.argv = [cmd.qemuPath, ...qemuArgv({ ...cmd, dataDir: cmd.dataDir ?? relocatedDataDir(cmd.qemuPath, options.env) }, qmpSocket)];
    const [file, args] = dieWithParent(cmd.qemuPath, this.argv.slice(1));
    const proc = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'], shell: false });
    this.proc = proc;
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      if (this.stderrText.length < 64 * 1024) this.stderrText += d;
      this.emit('stderr', d);
    });
    const exited = new Promise<void>((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.qmp.close();
        this.emit('exit', code, signal);
        resolve();
      });
    });
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    try {
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      for (;;) {
        const failed = await Promise.race([
          spawnError,
          exited.then(() => new QemuStartError(`QEMU exited during start-up (${this.describeExit()})`, this.stderrText)),
          delay(5).then(() => undefined),   // the socket appears ~50 ms after the start: a first pass waits for it (hitsByPlugin.ts)
        ]);
        if (failed) throw failed;
        // The socket file appears at bind(), a moment before QEMU listens on it: wait until it accepts.
        if (existsSync(qmpSocket) && (await accepts(qmpSocket))) break;
        if (Date.now() > deadline) throw new QemuStartError('QEMU did not open its QMP socket in time', this.stderrText);
      }
      try {
        await this.qmp.connect({ path: qmpSocket });
        this.version = versionFromQmp(await this.qmp.call('query-version', undefined));
      } catch (err) {
        // QEMU opens the socket before it validates everything (e.g. -cpu): a refused connection usually means
        // it is exiting. Report that, with its stderr, rather than the socket error.
        const gone = await Promise.race([exited.then(() => true), delay(1_000).then(() => false)]);
        if (gone) throw new QemuStartError(`QEMU exited during start-up (${this.describeExit()})`, this.stderrText);
        throw err;
      }
    } catch (err) {
      await this.kill();
      if (err instanceof QemuStartError) {
        // stderr may still be arriving when QEMU dies
        await delay(50);
        throw new QemuStartError(err.message, this.stderrText);
      }
      throw err;
    }
  }

  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  /** Ends QEMU cleanly: QMP `stop` + `quit` (a recording stays replayable), then SIGTERM, then SIGKILL. */
  async stop(timeoutMs = 3_000): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exitInfo) return await this.cleanup();
    const gone = new Promise<void>((resolve) => (this.exitInfo ? resolve() : proc.once('exit', () => resolve())));
    if (this.qmp.isOpen) {
      await this.qmp.call('stop', undefined, { timeoutMs: 1_000 }).catch(() => undefined);
      await this.qmp.call('quit', undefined, { timeoutMs: 1_000 }).catch(() => undefined);
    }
    if (!(await within(gone.then(() => true), timeoutMs, false))) {
      proc.kill('SIGTERM');
      if (!(await within(gone.then(() => true), timeoutMs, false))) {
        proc.kill('SIGKILL');
        await gone;
      }
    }
    await this.cleanup();
  }

  /**
   * For a QEMU that stopped responding (QMP would only time out): SIGCONT in case it was stopped by a signal, then
   * SIGTERM (a recording still ends cleanly if QEMU can run its handler), SIGKILL after `graceMs`.
   */
  async abandon(graceMs = 1_000): Promise<void> {
    const proc = this.proc;
    if (proc && !this.exitInfo) {
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      if (!(await within(gone.then(() => true), graceMs, false))) {
        proc.kill('SIGKILL');
        await gone;
      }
    }
    await this.cleanup();
  }

  /** For start-up failures: nothing worth keeping yet. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc && !this.exitInfo) {
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      if (!(await within(gone.then(() => true), 2_000, false))) {
        proc.kill('SIGKILL');
        await gone;
      }
    }
    await this.cleanup();
  }

  private async cleanup(): Promise<void> {
    this.qmp.close();
    if (this.privateDir) await rm(this.privateDir, { recursive: true, force: true });
  }
}

/** Whether a unix socket accepts connections (the probe connection is closed at once). */
function accepts(socketPath: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.createConnection(socketPath);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => { probe.destroy(); resolve(false); });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

