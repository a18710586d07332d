/**
 * Plain QEMU (no adapter) for the quirk probes (test/adapter/qemu-quirks.test.ts): every QEMU installed for the tests,
 * a record or replay of a guest with the adapter's options, QMP with an event log to wait on, an optional gdb/MI on
 * its gdb server, and a hard end (SIGKILL) so nothing outlives a probe even when QEMU hangs or aborts.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Gdb } from '../../adapter/gdb/gdb';
import { miString, MiTuple } from '../../adapter/gdb/miParser';
import { freeLocalPort } from '../../adapter/qemu/process';
import { QmpClient, QmpEvent } from '../../adapter/qemu/qmp';
import { parseVersion, QemuVersion, versionText } from '../../adapter/qemu/version';

export interface ProbeQemu {
  /** "7.2.22" */
  label: string;
  version: QemuVersion;
  system: string;
  img: string;
  /** Options every run of this QEMU needs (10.0 beside 7.2: no audio, so it loads none of 7.2's modules). */
  commonArgs: string[];
}

/** The QEMUs to probe: Debian's at /usr/bin always, and the one extracted under $QR_QEMU10_DIR when it is set. */
export function probeQemus(): ProbeQemu[] {
  const list: ProbeQemu[] = [];
  const add = (bin: string, img: string, commonArgs: string[]): void => {
    const text = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    const version = parseVersion(text);
    if (!version) throw new Error(`no version in ${bin} --version: ${text}`);
    list.push({ label: versionText(version), version, system: bin, img, commonArgs });
  };
  add('/usr/bin/qemu-system-aarch64', '/usr/bin/qemu-img', ['-audiodev', 'none,id=noaudio']);
  const root = process.env.QR_QEMU10_DIR;
  if (root) {
    const bin = path.join(root, 'usr/bin/qemu-system-aarch64');
    if (!existsSync(bin)) throw new Error(`QR_QEMU10_DIR=${root} has no usr/bin/qemu-system-aarch64`);
    add(bin, path.join(root, 'usr/bin/qemu-img'), ['-audiodev', 'none,id=noaudio', '-L', path.join(root, 'usr/share/qemu')]);
  }
  return list;
}

export const GUEST = path.resolve(__dirname, '../guests/build/aarch64/prog.elf');
export const ENDLESS_GUEST = path.resolve(__dirname, '../guests/build/endless/aarch64/prog.elf');

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `qr-probe-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function newImage(q: ProbeQemu, file: string): void {
  execFileSync(q.img, ['create', '-f', 'qcow2', file, '64M'], { stdio: 'ignore' });
}

export interface RunOptions {
  rr: 'record' | 'replay';
  dir: string;
  kernel?: string;
  shift?: number;
  /** `rrsnapshot=` value; null leaves the option out. Default "init" (the adapter's). */
  rrsnapshot?: string | null;
  /** Default true (the adapter's). */
  noReboot?: boolean;
  noShutdown?: boolean;
  /** -S. Default true in replay, false in record. */
  paused?: boolean;
  gdb?: boolean;
  /** Serial backend; default a file serial.txt in record, null in replay. */
  serial?: string;
  replayFile?: string;
  image?: string;
  extra?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A deadline for one wait: a probe fails with what it waited for instead of hanging. */
export async function until<T>(what: string, promise: Promise<T>, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out (${timeoutMs} ms) waiting for ${what}`)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

export class ProbeRun {
  readonly qmp = new QmpClient(20_000);
  readonly events: QmpEvent[] = [];
  stderr = '';
  exitInfo: Exit | undefined;
  readonly exited: Promise<Exit>;
  gdbPort = 0;
  private eventWaiters: Array<() => void> = [];

  private constructor(readonly q: ProbeQemu, readonly proc: ChildProcess, readonly argv: string[]) {
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise<Exit>((resolve) => proc.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      this.qmp.close();
      resolve(this.exitInfo);
      this.wake();
    }));
    this.qmp.on('event', (e) => { this.events.push(e); this.wake(); });
  }

  static async start(q: ProbeQemu, o: RunOptions): Promise<ProbeRun> {
    const qmpSock = path.join(o.dir, `qmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
    const rrFile = o.replayFile ?? path.join(o.dir, 'replay.bin');
    const image = o.image ?? path.join(o.dir, 'snapshots.qcow2');
    const rrsnap = o.rrsnapshot === undefined ? 'init' : o.rrsnapshot;
    const serial = o.serial ?? (o.rr === 'record' ? `file:${path.join(o.dir, 'serial.txt')}` : 'null');
    const argv = [
      '-M', 'virt', '-cpu', 'cortex-a53', '-m', '128M', '-display', 'none', '-net', 'none', '-monitor', 'none',
      '-serial', serial, ...q.commonArgs, '-kernel', o.kernel ?? GUEST,
      '-icount', `shift=${o.shift ?? 7},rr=${o.rr},rrfile=${rrFile}${rrsnap === null ? '' : `,rrsnapshot=${rrsnap}`}`,
      '-drive', `file=${image},if=none,id=rr,format=qcow2`,
      '-qmp', `unix:${qmpSock},server=on,wait=off`,
    ];
    let port = 0;
    if (o.gdb) {
      port = await freeLocalPort();
      argv.push('-gdb', `tcp:127.0.0.1:${port}`);
    }
    if (o.paused ?? o.rr === 'replay') argv.push('-S');
    if (o.noReboot ?? true) argv.push('-no-reboot');
    if (o.noShutdown) argv.push('-no-shutdown');
    argv.push(...(o.extra ?? []));
    // setpriv: the kernel SIGKILLs QEMU if the test process dies, however it dies.
    const proc = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', q.system, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    const run = new ProbeRun(q, proc, argv);
    run.gdbPort = port;
    try {
      await until('the QMP socket', (async () => {
        for (;;) {
          if (run.exitInfo) throw new Error(`QEMU exited at start-up (${JSON.stringify(run.exitInfo)}): ${run.stderr}`);
          if (existsSync(qmpSock)) {
            try {
              await run.qmp.connect({ path: qmpSock });
              return;
            } catch { /* bound, not listening yet */ }
          }
          await new Promise((r) => setTimeout(r, 20)); // polling a socket file: no event tells when QEMU listens
        }
      })(), 10_000);
    } catch (err) {
      await run.kill();
      throw err;
    }
    return run;
  }

  private wake(): void {
    const w = this.eventWaiters;
    this.eventWaiters = [];
    w.forEach((f) => f());
  }

  /** Resolves when `cond` holds (checked now and at each QMP event or the exit). */
  async waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
    await until(what, new Promise<void>((resolve) => {
      const check = (): void => {
        if (cond()) resolve();
        else this.eventWaiters.push(check);
      };
      check();
    }), timeoutMs);
  }

  /** Waits for the `n`-th event named `name` counted from `from` (an index into `events`); returns its index. */
  async waitEvent(name: string, from = 0, timeoutMs = 20_000): Promise<number> {
    let at = -1;
    await this.waitFor(`QMP event ${name}`, () => {
      at = this.events.findIndex((e, i) => i >= from && e.event === name);
      return at >= 0 || !!this.exitInfo;
    }, timeoutMs);
    if (at < 0) throw new Error(`QEMU exited (${JSON.stringify(this.exitInfo)}) before ${name}: ${this.stderr.trim()}`);
    return at;
  }

  async icount(): Promise<number> {
    return (await this.qmp.call('query-replay', undefined)).icount;
  }

  async status(): Promise<string> {
    return (await this.qmp.call('query-status', undefined)).status;
  }

  cmd(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return this.qmp.executeUntyped(command, args);
  }

  /** `replay-seek` and the STOP that ends it. */
  async seek(icount: number, timeoutMs = 20_000): Promise<void> {
    const from = this.events.length;
    await this.cmd('replay-seek', { icount });
    await this.waitEvent('STOP', from, timeoutMs);
  }

  /** `cont` until the next STOP (e.g. at an armed replay-break). */
  async contToStop(timeoutMs = 20_000): Promise<void> {
    const from = this.events.length;
    await this.cmd('cont');
    await this.waitEvent('STOP', from, timeoutMs);
  }

  /** Savevm at the current position (HMP through QMP); throws on the monitor's error text. */
  async savevm(name: string): Promise<void> {
    const out = await this.qmp.hmp(`savevm ${name}`);
    if (out.trim()) throw new Error(`savevm ${name}: ${out}`);
  }

  /** Ends a recording cleanly (stop + quit), SIGKILL when QEMU does not exit in time. */
  async quit(timeoutMs = 5_000): Promise<Exit> {
    if (!this.exitInfo && this.qmp.isOpen) {
      await this.qmp.call('stop', undefined, { timeoutMs: 2_000 }).catch(() => undefined);
      await this.qmp.call('quit', undefined, { timeoutMs: 2_000 }).catch(() => undefined);
    }
    try {
      return await until('QEMU to exit after quit', this.exited, timeoutMs);
    } catch {
      return await this.kill();
    }
  }

  async kill(): Promise<Exit> {
    if (!this.exitInfo) this.proc.kill('SIGKILL');
    return await this.exited;
  }
}

/** Records the guest to its power-off (or until `stopAt` says so) in `dir`; returns the run (already exited). */
export async function recordGuest(q: ProbeQemu, dir: string, o: Partial<RunOptions> = {}): Promise<ProbeRun> {
  newImage(q, o.image ?? path.join(dir, 'snapshots.qcow2'));
  const run = await ProbeRun.start(q, { rr: 'record', dir, paused: true, ...o }); // -S: it would end before QMP connects
  await run.cmd('cont');
  await until('the recording to end (guest power-off)', run.exited, 30_000).catch(async (err) => { await run.kill(); throw err; });
  return run;
}

/** gdb-multiarch over MI, attached to a probe run's gdb server, with stops to wait on. */
export class ProbeGdb {
  readonly gdb = new Gdb(30_000);
  readonly stops: MiTuple[] = [];
  private waiters: Array<() => void> = [];

  static async attach(run: ProbeRun, program = GUEST): Promise<ProbeGdb> {
    const g = new ProbeGdb();
    g.gdb.on('stopped', (r) => { g.stops.push(r); const w = g.waiters; g.waiters = []; w.forEach((f) => f()); });
    await g.gdb.start('gdb-multiarch');
    await g.gdb.command(`-file-exec-and-symbols ${program}`);
    await g.gdb.command(`-target-select remote 127.0.0.1:${run.gdbPort}`);
    return g;
  }

  /** An execution command and the stop it ends with. */
  async exec(command: string, timeoutMs = 20_000): Promise<MiTuple> {
    const n = this.stops.length;
    const stopped = new Promise<void>((resolve) => {
      const check = (): void => { if (this.stops.length > n) resolve(); else this.waiters.push(check); };
      check();
    });
    await this.gdb.command(command);
    await until(`gdb stop after ${command}`, stopped, timeoutMs);
    return this.stops[n];
  }

  /** The pc as gdb knows it (its register cache, which a QMP seek does not update). */
  async cachedPc(): Promise<bigint> {
    const out = await this.gdb.command('-data-evaluate-expression $pc');
    return BigInt(/0x[0-9a-f]+/.exec(miString(out.value) ?? '')![0]);
  }

  /** The pc read from QEMU (gdb's register cache flushed first). */
  async pc(): Promise<bigint> {
    await this.gdb.console('maintenance flush register-cache');
    return await this.cachedPc();
  }

  async stop(): Promise<void> {
    await this.gdb.stop();
  }
}
