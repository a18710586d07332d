/**
 * Hit history without a gdb stop per hit. A gdb breakpoint costs far more than its stops: QEMU runs every
 * instruction on the breakpoint's guest page as a translation block of its own (to check the address), which made
 * a pass 3× slower than the replay itself when the guest's hot code shares that page (docs/performance.md). Here a
 * second QEMU replays the same recording in the background with the adapter's TCG plugin (qemu/plugin/hits.c),
 * which writes the icount of each run of the breakpoints' instructions as it happens; the session's QEMU and gdb
 * stay where the user is, free to answer.
 *
 * Exact or not used: QEMU says where it stopped (its icount at the replay breakpoint that ends the pass) and the
 * plugin how many instructions it counted; when the two differ, the pass throws and the caller uses gdb.
 *
 * What it needs: the plugin built (scripts/build.mjs: a C compiler), a QEMU with plugins (Debian's have), the
 * recording's initial snapshot (a private copy of the snapshot image: the session's QEMU holds the image's lock),
 * and no disk of the user's (the background QEMU would open it too). The caller asks `unusable()` first.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MiFrame } from '../gdb/mi';
import { escapeOpt, QemuProcess, QemuStartError, type QemuCommand } from '../qemu/process';
import type { QmpEvent } from '../qemu/qmp';
import { removeDirsOfGoneProcesses } from '../qemu/socketdir';
import { compareVersions, type QemuVersion } from '../qemu/version';
import type { Stop } from './execution';

/** How the session's QEMU was started: the background replay runs the same command, with the plugin. */
export interface BackgroundReplay {
  cmd: QemuCommand;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PluginScan {
  /** Each instruction address of the breakpoints: the breakpoints there (gdb's numbers) and the place a hit reports. */
  at: ReadonlyMap<bigint, ReadonlyArray<{ gdbBreakpoint: string; frame: MiFrame }>>;
  /** Hits at icounts in [from, to). */
  from: number;
  to: number;
  /** Per breakpoint: how many of its first hits in the range to leave out (a hit count). */
  skip?: ReadonlyMap<string, number>;
  onHit(stop: Stop): Promise<void> | void;
  /** Where the background replay is (for progress), every ~250 ms. */
  progress?(icount: number): void;
  /**
   * How many hits reported are still waiting for the caller (gdb visiting them): above BACKLOG_HIGH the background
   * replay pauses until they are down to BACKLOG_LOW, leaving the machine's cores to the replay that visits them.
   */
  backlog?(): number;
  cancelled(): boolean;
}

/** The plugin's file for a QEMU (its plugin API: 1 up to 8.1, 2 from 8.2; QEMU 10.0 takes 2 to 4). */
export function pluginFor(version: Pick<QemuVersion, 'major' | 'minor' | 'micro'> | undefined, dir = pluginDir()): string | undefined {
  if (!dir) return undefined;
  const api = version && compareVersions(version, { major: 8, minor: 2, micro: 0 }) >= 0 ? 2 : 1;
  const file = path.join(dir, `hits-api${api}.so`);
  return existsSync(file) ? file : undefined;
}

/**
 * dist/qemu-plugin beside the adapter's bundle (dist/adapter.js), or from the sources (adapter/engine).
 * `QEMU_REPLAY_PLUGIN_DIR` in the adapter's environment names another folder; empty, no plugin: gdb finds every hit.
 */
function pluginDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.QEMU_REPLAY_PLUGIN_DIR !== undefined) return env.QEMU_REPLAY_PLUGIN_DIR || undefined;
  const here = typeof __dirname === 'string' ? __dirname : undefined;
  return [here && path.join(here, 'qemu-plugin'), here && path.resolve(here, '../../dist/qemu-plugin')].find((d): d is string => !!d && existsSync(d));
}

/**
 * QEMU options that open a disk image or flash file: a second QEMU would open it too (its lock, its writes). Not
 * `-bios` (a firmware file read once, like `-kernel`) nor `-snapshot` (which opens nothing itself).
 */
const DISK_OPTIONS = /^-(drive|blockdev|hd[a-d]|cdrom|fd[ab]|pflash|mtdblock|sd)$/;
/** The most addresses the plugin takes (its pc= arguments). */
const MAX_ADDRESSES = 256;
/** How often the plugin's output is read: the first hits soon after the start (a logpoint's first lines). */
const POLL_MS = 25;
const PROGRESS_MS = 250;
const BACKLOG_HIGH = 200;
const BACKLOG_LOW = 50;

export class HitsByPlugin {
  private dir: Promise<string> | undefined;
  private image: Promise<string> | undefined;
  /** One background replay at a time (2-core machines; the copy of the image is shared). */
  private turn: Promise<unknown> = Promise.resolve();
  private passes = 0;
  private readonly active = new Set<QemuProcess>();

  constructor(
    private readonly source: BackgroundReplay,
    private readonly plugin: string | undefined,
    /** Runs the copy of the snapshot image while the session saves no snapshot into it. */
    private readonly whileImageQuiet: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  /** Why a scan cannot use the plugin here (undefined: it can). */
  unusable(addresses: number): string | undefined {
    if (!this.plugin) return 'the plugin is not built (no C compiler when the adapter was built)';
    const disk = this.source.cmd.userArgs.find((a) => DISK_OPTIONS.test(a));
    if (disk) return `the guest has a disk or flash (${disk}) a second QEMU would open too`;
    if (addresses === 0) return 'the breakpoint has no instruction address';
    if (addresses > MAX_ADDRESSES) return `the breakpoint has more than ${MAX_ADDRESSES} addresses`;
    return undefined;
  }

  /** Every hit in the range, in order. True when complete, false when cancelled; throws when it cannot be exact. */
  hits(scan: PluginScan): Promise<boolean> {
    const run = this.turn.then(() => this.run(scan));
    this.turn = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.active].map((q) => q.kill().catch(() => undefined)));
    const dir = await this.dir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  /**
   * The private copy of the snapshot image, made once (while the session saves no snapshot: it holds the target for
   * that, so a caller already holding it must call this first, as a visiting pass does).
   */
  async prepare(): Promise<string> {
    const dir = await (this.dir ??= privateDir());
    return await (this.image ??= this.whileImageQuiet(async () => {
      const copy = path.join(dir, 'snapshots.qcow2');
      await copyFile(this.source.cmd.snapshotImage, copy);
      return copy;
    }).catch((err: unknown) => { this.image = undefined; throw err; }));
  }

  private async run(scan: PluginScan): Promise<boolean> {
    const image = await this.prepare();
    const dir = path.dirname(image);
    const out = path.join(dir, `hits-${++this.passes}.txt`);
    const pcs = [...scan.at.keys()].map((a) => `pc=0x${a.toString(16)}`).join(',');
    const qemu = new QemuProcess();
    this.active.add(qemu);
    try {
      try {
        await qemu.start({ ...this.source.cmd, snapshotImage: image, noGdb: true, serialFile: undefined,
          plugin: `${escapeOpt(this.plugin!)},out=${escapeOpt(out)},${pcs}` }, { cwd: this.source.cwd, env: this.source.env });
      } catch (err) {
        throw new Error(`the background replay did not start: ${err instanceof QemuStartError ? `${err.message}: ${err.stderr.trim()}` : String(err)}`);
      }
      // Its own pauses (the backlog) stop QEMU too: only a STOP it did not ask for ends the pass.
      let pausing = false;
      const stopped = new Promise<void>((resolve) => {
        const onEvent = (e: QmpEvent): void => { if (e.event === 'STOP' && !pausing) { qemu.qmp.off('event', onEvent); resolve(); } };
        qemu.qmp.on('event', onEvent);
      });
      const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
      await qemu.qmp.call('replay-break', { icount: scan.to });
      await qemu.qmp.call('cont', undefined);
      const reader = new HitReader(out);
      const seen = new Map<string, number>();
      const take = async (icount: number, pc: bigint): Promise<void> => {
        if (icount < scan.from || icount >= scan.to) return;
        for (const where of scan.at.get(pc) ?? []) {
          const n = (seen.get(where.gdbBreakpoint) ?? 0) + 1;
          seen.set(where.gdbBreakpoint, n);
          if (n <= (scan.skip?.get(where.gdbBreakpoint) ?? 0)) continue;
          await scan.onHit({ reason: 'breakpoint', icount, gdbBreakpoint: where.gdbBreakpoint, frame: where.frame });
        }
      };
      let finished = false;
      void Promise.race([stopped, exited]).then(() => { finished = true; });
      let lastProgress = Date.now();
      try {
        while (!finished && !scan.cancelled()) {
          await new Promise((r) => setTimeout(r, POLL_MS));
          for (const h of await reader.read()) if ('icount' in h) await take(h.icount, h.pc);
          const backlog = scan.backlog?.() ?? 0;
          if (!pausing && backlog > BACKLOG_HIGH && !finished) {
            pausing = true;
            await qemu.qmp.call('stop', undefined);
            // It may have reached the end of the range as it was paused (its STOP then ignored): then it is over.
            if ((await qemu.qmp.call('query-replay', undefined)).icount >= scan.to) finished = true;
          } else if (pausing && backlog < BACKLOG_LOW && !finished) {
            await qemu.qmp.call('cont', undefined);
            pausing = false;
          }
          if (scan.progress && Date.now() - lastProgress >= PROGRESS_MS && !finished) {
            lastProgress = Date.now();
            const at = await qemu.qmp.call('query-replay', undefined).catch(() => undefined);
            if (at) scan.progress(at.icount);
          }
        }
        if (qemu.exited) throw new Error(`the background replay ended before icount ${scan.to} (${qemu.describeExit()}): ${qemu.stderr.trim()}`);
        const complete = !scan.cancelled();
        if (!complete) await qemu.qmp.call('stop', undefined);
        const where = (await qemu.qmp.call('query-replay', undefined)).icount;
        await qemu.stop();   // the plugin writes its count as QEMU exits
        let end: number | undefined;
        for (const h of await reader.read()) {
          if ('end' in h) end = h.end;
          else await take(h.icount, h.pc);
        }
        if (end !== where) throw new CountMismatch(`the plugin counted ${end ?? 'no'} instructions where QEMU's icount is ${where}: not exact in this guest`);
        return complete;
      } finally {
        await reader.close();
      }
    } finally {
      await qemu.kill().catch(() => undefined);
      this.active.delete(qemu);
      await rm(out, { force: true });
    }
  }
}

/** The plugin's count differs from QEMU's icount at the end: the hits' icounts cannot be trusted. */
export class CountMismatch extends Error {}

const DIR_PREFIX = 'qemu-replay-hits-';

/**
 * The folder of this adapter's background passes (the snapshot image's copy: up to hundreds of MB), named with its
 * pid; those of adapters that are gone (killed: no end to remove them) are removed first.
 */
export async function privateDir(): Promise<string> {
  await removeDirsOfGoneProcesses(os.tmpdir(), new RegExp(`^${DIR_PREFIX}(\\d+)-[A-Za-z0-9]{6}$`));
  return await mkdtemp(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
}

type PluginLine = { icount: number; pc: bigint } | { end: number };

/** The plugin's output, read as it grows: whole lines only. */
class HitReader {
  private file: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  /** Read into every 25 ms while the pass runs: allocated once. */
  private readonly buffer = Buffer.alloc(1 << 16);

  constructor(private readonly filename: string) {}

  async read(): Promise<PluginLine[]> {
    if (!this.file) {
      if (!existsSync(this.filename)) return [];
      this.file = await open(this.filename, 'r');
    }
    const lines: PluginLine[] = [];
    const buffer = this.buffer;
    for (;;) {
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const text = this.partial + buffer.subarray(0, bytesRead).toString('latin1');
      const cut = text.lastIndexOf('\n');
      this.partial = text.slice(cut + 1);
      for (const line of text.slice(0, cut + 1).split('\n')) {
        const hit = /^(\d+) ([0-9a-f]+)$/.exec(line);
        if (hit) lines.push({ icount: Number(hit[1]), pc: BigInt(`0x${hit[2]}`) });
        const end = /^end (\d+)$/.exec(line);
        if (end) lines.push({ end: Number(end[1]) });
      }
    }
    return lines;
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }
}
