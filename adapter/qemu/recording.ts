/**
 * A recording is a directory: `replay.bin` (QEMU's log), `snapshots.qcow2` (a fresh image that holds the VM
 * snapshots), `kernel` (a copy of what was booted, so a replay never depends on a file that may have changed),
 * `serial.txt` (the guest's serial output at record time) and `recording.json` (this manifest).
 * It is written in a temporary sibling directory and moved into place only when complete.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { errors } from '../errors';
import { parseReplayLog, ReplayLogError, ReplayLogSummary } from './replayLog';

export const MANIFEST = 'recording.json';
export const MANIFEST_FORMAT = 1;
export const FILES = { log: 'replay.bin', snapshots: 'snapshots.qcow2', kernel: 'kernel', serial: 'serial.txt' } as const;

export interface RecordingManifest {
  format: number;
  createdAt: string;
  qemu: { path: string; version: string; argv: string[] };
  architecture: string;
  machine: string;
  cpu?: string;
  memory: string;
  icountShift: number | 'auto';
  archArgs: string[];
  qemuArgs: string[];
  /**
   * The ELF with symbols: its sha256 and, when it has one, its GNU build id (a replay compares the build id, which
   * takes a read of its notes, before hashing the whole file: ~1 s for a kernel's vmlinux).
   */
  program?: { path: string; sha256: string; buildId?: string };
  kernel: { originalPath: string; sha256: string };
  /** When snapshots.qcow2's `init` snapshot was taken ("seconds.nanoseconds"): ties the image to this recording. */
  initialSnapshot?: string;
  /** The last icount a replay can stop at: one before the first SHUTDOWN event of the log. */
  endIcount: number;
  shutdownCause?: string;
  totalInstructions: number;
  log: { bytes: number; sha256: string };
  /** Serial output at record time: bytes and, for each write, [icount, bytes written]. */
  serial: { bytes: number; writes: number };
}

const execFileP = promisify(execFile);

export async function qemuVersion(qemuPath: string): Promise<string> {
  const { stdout } = await execFileP(qemuPath, ['--version'], { timeout: 10_000 });
  return stdout.split('\n')[0].trim();
}

export async function createSnapshotImage(qemuImgPath: string, file: string): Promise<void> {
  // 4 KiB clusters: each snapshot copies the L1 table and gets its own L2 table, one cluster each, and its ~0.6 MB
  // of VM state ends in a partly used cluster. With qcow2's default 64 KiB clusters that is ~800 KB a snapshot on
  // disk here, with 4 KiB ~650 KB (measured): a fifth more snapshots in the same disk budget.
  try {
    await execFileP(qemuImgPath, ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', file, '64M'], { timeout: 20_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw errors.qemuImgMissing(qemuImgPath);
    throw errors.snapshotImageNotCreated(e.stderr?.trim() || e.message);
  }
}

/** A recording being written: a temporary sibling directory of the final one. */
export class PendingRecording {
  private constructor(readonly finalDir: string, readonly dir: string) {}

  static async create(finalDir: string, overwrite: boolean): Promise<PendingRecording> {
    if (existsSync(finalDir)) {
      if (!overwrite) throw errors.recordingExists(finalDir);
      if (!statSync(finalDir).isDirectory() || (!existsSync(path.join(finalDir, MANIFEST)) && !isEmptyDir(finalDir))) {
        throw errors.recordingDirNotRecording(finalDir, MANIFEST);
      }
    }
    const parent = path.dirname(finalDir);
    await mkdir(parent, { recursive: true });
    await removeAbandonedPartials(parent, path.basename(finalDir));
    // The adapter's pid in the name: a partial recording whose adapter is gone (killed) is cleaned up next time.
    const dir = path.join(parent, `.${path.basename(finalDir)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    return new PendingRecording(finalDir, dir);
  }

  file(name: keyof typeof FILES): string {
    return path.join(this.dir, FILES[name]);
  }

  /** Reads the finished log, writes the manifest and moves the recording into place. */
  async finalize(manifest: Omit<RecordingManifest, 'endIcount' | 'totalInstructions' | 'log' | 'serial' | 'shutdownCause' | 'createdAt' | 'format'>): Promise<RecordingManifest> {
    const logBytes = await readFile(this.file('log'));
    let summary: ReplayLogSummary;
    try {
      summary = parseReplayLog(logBytes);
    } catch (err) {
      throw errors.recordedLogUnreadable(err);
    }
    const serialBytes = existsSync(this.file('serial')) ? statSync(this.file('serial')).size : 0;
    const end = summary.shutdownIcount ?? summary.totalInstructions;
    const full: RecordingManifest = {
      format: MANIFEST_FORMAT,
      createdAt: new Date().toISOString(),
      ...manifest,
      endIcount: Math.max(0, end - 1),
      shutdownCause: summary.shutdownCause,
      totalInstructions: summary.totalInstructions,
      log: { bytes: logBytes.length, sha256: sha256(logBytes) },
      serial: { bytes: serialBytes, writes: summary.charWriteIcounts.length },
    };
    await writeFile(path.join(this.dir, MANIFEST), JSON.stringify(full, null, 2) + '\n');
    if (existsSync(this.finalDir)) {
      const trash = `${this.dir}.old`;
      await rename(this.finalDir, trash);
      await rename(this.dir, this.finalDir);
      await rm(trash, { recursive: true, force: true });
    } else {
      await rename(this.dir, this.finalDir);
    }
    return full;
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  async copyKernel(kernel: string): Promise<void> {
    await copyFile(kernel, this.file('kernel'));
  }
}

/**
 * Partial recordings of `base` left by an adapter that died (killed while recording: QEMU is ended with it, see
 * adapter/qemu/process.ts, but nothing finalises or removes the directory). Ones whose adapter still runs — another
 * session recording the same path — are left alone.
 */
async function removeAbandonedPartials(parent: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const prefix = `.${base}.partial-`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]; // not `.old`: a replaced recording mid-swap
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface OpenedRecording {
  dir: string;
  manifest: RecordingManifest;
  log: ReplayLogSummary;
  /** Record-time serial output. */
  serial: Buffer;
  file(name: keyof typeof FILES): string;
}

/** Opens a recording for replay, checking everything a replay depends on. */
export async function openRecording(dir: string): Promise<OpenedRecording> {
  if (!existsSync(dir)) throw errors.recordingMissing(dir);
  if (!statSync(dir).isDirectory()) throw errors.recordingIsFile(dir);
  const manifestPath = path.join(dir, MANIFEST);
  if (!existsSync(manifestPath)) throw errors.recordingIncomplete(dir, MANIFEST);
  let manifest: RecordingManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RecordingManifest;
  } catch (err) {
    throw errors.manifestNotJson(manifestPath, err);
  }
  checkManifest(manifest, manifestPath);
  const file = (name: keyof typeof FILES) => path.join(dir, FILES[name]);
  for (const name of ['log', 'snapshots', 'kernel'] as const) {
    if (!existsSync(file(name))) throw errors.recordingFileMissing(FILES[name]);
  }
  const logBytes = await readFile(file('log'));
  if (logBytes.length !== manifest.log.bytes || sha256(logBytes) !== manifest.log.sha256) {
    throw errors.replayLogChanged(file('log'), logBytes.length, manifest.log.bytes);
  }
  let log: ReplayLogSummary;
  try {
    log = parseReplayLog(logBytes);
  } catch (err) {
    if (err instanceof ReplayLogError) throw errors.replayLogUnreadable(file('log'), err.message);
    throw err;
  }
  const serial = existsSync(file('serial')) ? await readFile(file('serial')) : Buffer.alloc(0);
  return { dir, manifest, log, serial, file };
}

function checkManifest(m: RecordingManifest, where: string): void {
  if (typeof m !== 'object' || m === null || typeof m.format !== 'number') throw errors.manifestNotOurs(where);
  if (m.format > MANIFEST_FORMAT) throw errors.manifestTooNew(where, m.format, MANIFEST_FORMAT);
  const bad = (field: string) => errors.manifestFieldInvalid(where, field);
  if (typeof m.endIcount !== 'number' || m.endIcount < 0) throw bad('endIcount');
  if (typeof m.architecture !== 'string') throw bad('architecture');
  if (typeof m.machine !== 'string') throw bad('machine');
  if (typeof m.icountShift !== 'number' && m.icountShift !== 'auto') throw bad('icountShift');
  if (!m.qemu || !Array.isArray(m.qemu.argv)) throw bad('qemu');
  if (!m.log || typeof m.log.sha256 !== 'string') throw bad('log');
  if (!Array.isArray(m.archArgs) || !Array.isArray(m.qemuArgs)) throw bad('qemuArgs');
}

/** Maps every byte of record-time serial output to the icount at which the guest wrote it. */
export class SerialTimeline {
  private readonly byteIcounts: number[] = [];

  constructor(readonly bytes: Buffer, writeIcounts: number[]) {
    // One CHAR_WRITE event per write call; for the UARTs of these boards each write is one byte.
    const per = writeIcounts.length ? Math.max(1, Math.round(bytes.length / writeIcounts.length)) : 1;
    for (let i = 0; i < bytes.length; i++) this.byteIcounts.push(writeIcounts[Math.min(Math.floor(i / per), writeIcounts.length - 1)] ?? 0);
  }

  /** The bytes written at icounts in [from, to). */
  slice(from: number, to: number): Array<{ icount: number; text: string }> {
    const out: Array<{ icount: number; text: string }> = [];
    // Icounts only grow along the output: binary search for the first byte at or after `from` (every stop of a
    // replay asks, and a long recording has hundreds of KB of output).
    let lo = 0;
    let hi = this.bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.byteIcounts[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    if (start >= this.bytes.length || this.byteIcounts[start] >= to) return out;
    let end = start;
    while (end < this.bytes.length && this.byteIcounts[end] < to) end++;
    // Split into lines, each marked with the icount at which its first byte was written.
    let lineStart = start;
    for (let i = start; i < end; i++) {
      if (this.bytes[i] === 10 || i === end - 1) {
        out.push({ icount: this.byteIcounts[lineStart], text: this.bytes.subarray(lineStart, i + 1).toString('utf8') });
        lineStart = i + 1;
      }
    }
    return out;
  }
}
