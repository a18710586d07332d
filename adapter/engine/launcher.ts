/**
 * Brings up an emulator for a session: validates the launch arguments, prepares or opens the recording, starts
 * QEMU (paused) and gdb, and tears all of it down again on failure so nothing is left running.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { EMPTY_MEANS_UNSET, type ArchitectureName, type LaunchArguments, type RecordLimit } from '../../common/protocol';
import { cachedSha256, cacheSubdir } from '../cache';
import { readBuildId, readElfHeader } from '../elf';
import { selectArchitecture } from '../image';
import { errors } from '../errors';
import { Gdb, GdbError } from '../gdb/gdb';
import { targetSelectRemote } from '../gdb/mi';
import { configureGdb, loadSymbols } from '../gdb/setup';
import { architectureByName } from '../qemu/architectures';
import { launchShapeProblems } from '../../common/validateConfig';
import { checkReplayVersion, versionWarnings } from '../qemu/compat';
import { parseVersion, type QemuVersion } from '../qemu/version';
import type { BackgroundReplay } from './hitsByPlugin';
import { GDB_SOCKET_NAME, QemuCommand, QemuProcess, QemuStartError } from '../qemu/process';
import { createSnapshotImage, OpenedRecording, openRecording, PendingRecording, qemuVersion } from '../qemu/recording';

export interface Emulator {
  mode: 'record' | 'replay';
  qemu: QemuProcess;
  gdb: Gdb;
  recording: OpenedRecording | PendingRecording;
  warnings: string[];
  program?: string;
  /** The program's ELF entry point, when it differs from where the CPU starts (firmware/ROM first). */
  entry?: bigint;
  recordLimit?: RecordLimit;
  /** The QEMU running (query-version), and the guest's architecture. */
  qemuVersion: QemuVersion;
  architecture?: ArchitectureName;
  /** For a record session: everything the manifest needs when the recording is finalised. */
  manifestBase?: Parameters<PendingRecording['finalize']>[0];
  /** How QEMU was started: a replay's background passes run the same command (hitsByPlugin.ts). */
  started: BackgroundReplay;
  /**
   * A replay's first launch with a large program whose symbol index gdb has not made yet (a kernel's vmlinux: ~2 s
   * of indexing): gdb connected without the symbols, and the session loads them once the index is made (`load`, with
   * the index cache folder `indexed` gives), so that the first stop does not wait for gdb's indexing.
   */
  symbolsLater?: { indexed: Promise<string | undefined>; load: (indexCache: string | undefined) => Promise<void> };
}

type Checked = Required<Pick<LaunchArguments, 'mode' | 'recording'>> & LaunchArguments;

/**
 * Checks the shape of launch arguments with the extension's own check (common/validateConfig.ts, from the attributes
 * in configSchema.ts): every message names the attribute, its value, and what it must be.
 */
export function checkLaunchArguments(raw: unknown): Checked {
  if (typeof raw !== 'object' || raw === null) throw errors.launchConfigNotObject();
  const a = { ...(raw as Record<string, unknown>) };
  const problem = launchShapeProblems(a)[0];
  if (problem) throw errors.launchConfigInvalid(problem.message);
  // Unset, as the check and the extension read them: null, and "" where it means the default.
  for (const [key, value] of Object.entries(a)) if (value === null) delete a[key];
  for (const key of EMPTY_MEANS_UNSET) if (a[key] === '') delete a[key];
  return a as unknown as Checked;
}

function resolvePath(p: string, cwd: string): string {
  return path.resolve(cwd, p);
}

function checkExecutable(file: string, what: string, install: string): string {
  const candidates = file.includes('/') ? [file] : (process.env.PATH ?? '').split(':').map((d) => path.join(d, file));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* try the next one */
    }
  }
  throw errors.executableMissing(what, file, install);
}

function checkProgram(file: string, attr: string): string {
  if (!existsSync(file)) throw errors.programMissing(file, attr);
  if (statSync(file).isDirectory()) throw errors.programIsDirectory(file, attr);
  return file;
}

/** What a record or a replay needs before QEMU starts: the recording, QEMU's command line, what to warn about. */
interface Prepared {
  recording: OpenedRecording | PendingRecording;
  cmd: QemuCommand;
  /** Record only: the manifest, completed as the session goes. */
  manifestBase?: Emulator['manifestBase'];
  architecture?: ArchitectureName;
  warnings: string[];
  /**
   * Replay: whether the program changed since it was recorded (a warning, or undefined; see programChanged). It runs
   * while QEMU starts and gdb's symbol index is made, and is awaited at the end.
   */
  programCheck?: Promise<string | undefined>;
}

interface Context {
  args: Checked;
  cwd: string;
  env: NodeJS.ProcessEnv;
  recordingDir: string;
  program?: string;
}

export async function launch(raw: unknown, log: (msg: string) => void): Promise<Emulator> {
  const args = checkLaunchArguments(raw);
  const cwd = args.cwd ? path.resolve(args.cwd) : process.cwd();
  const env = args.env ? { ...process.env, ...args.env } : process.env;
  const recordingDir = resolvePath(args.recording, cwd);
  const gdbPath = checkExecutable(args.gdbPath ?? 'gdb-multiarch', 'gdb', 'Install it: apt-get install gdb-multiarch, or set "gdbPath".');
  const program = args.program ? checkProgram(resolvePath(args.program, cwd), 'program') : undefined;
  const ctx: Context = { args, cwd, env, recordingDir, program };
  const { recording, cmd, manifestBase, architecture, warnings, programCheck } = args.mode === 'record' ? await prepareRecord(ctx) : await prepareReplay(ctx);

  const symbols = program ?? (args.mode === 'replay' ? existingProgram(recording as OpenedRecording) : undefined);
  // Meanwhile QEMU and gdb start: the symbol index of a large ELF (see symbolIndex).
  const index = symbols ? symbolIndex(gdbPath, symbols, env).catch(() => NO_INDEX) : Promise.resolve(NO_INDEX);
  const qemu = new QemuProcess();
  qemu.on('stderr', (d) => log(d));
  const gdb = new Gdb();
  try {
    await startQemu(qemu, cmd, ctx);
    if (manifestBase) manifestBase.qemu.argv = qemu.argv;
    const running = qemu.version!;
    warnings.push(...versionWarnings(running, architecture));
    // The initial snapshot's creation time identifies the snapshot image: a replay must never load another
    // recording's snapshots (QEMU would, silently, and show a wrong machine state).
    const initial = await initialSnapshotId(qemu);
    if (manifestBase) manifestBase.initialSnapshot = initial;
    else if (!(recording instanceof PendingRecording) && recording.manifest.initialSnapshot && initial !== recording.manifest.initialSnapshot) {
      throw errors.snapshotsFromOtherRecording(recording.file('snapshots'), initial, recording.manifest.initialSnapshot);
    }
    // A replay while gdb indexes the symbols for the first time: connect without them, load them when the index is
    // there. (A recording waits: its guest runs from the start, and a time limit counts from there.)
    const { building, folder } = await index;
    const later = building && args.mode === 'replay';
    await startGdb(gdb, gdbPath, qemu, ctx, later ? undefined : symbols, later ? undefined : await folder);
    const symbolsLater = later && symbols
      ? { indexed: folder, load: (indexCache: string | undefined) => loadSymbols(gdb, symbols, indexCache) }
      : undefined;
    const changed = await programCheck;
    if (changed) warnings.push(changed);
    const entry = symbols ? (await readElfHeader(symbols).catch(() => undefined))?.entry : undefined;
    return { mode: args.mode, qemu, gdb, recording, warnings, program: symbols, entry, recordLimit: args.recordLimit, manifestBase,
      qemuVersion: running, architecture, started: { cmd, cwd, env }, symbolsLater };
  } catch (err) {
    await gdb.stop().catch(() => undefined);
    await qemu.kill();
    if (recording instanceof PendingRecording) await recording.discard();
    throw err;
  }
}

/** A new recording: its folder (a pending one until it is complete), its snapshot image, the kernel's copy. */
async function prepareRecord({ args, cwd, env, recordingDir, program }: Context): Promise<Prepared> {
  const kernel = args.kernel ? checkProgram(resolvePath(args.kernel, cwd), 'kernel') : program!;
  // From "program"'s ELF, the kernel's ELF or Linux Image header, or "architecture" (a raw binary needs it).
  const arch = await selectArchitecture(program, kernel, args.architecture);
  const qemuPath = checkExecutable(args.qemuPath ?? arch.qemu, 'QEMU', `Install it: apt-get install ${arch.qemuPackage}, or set "qemuPath".`);
  const qemuImg = checkExecutable(args.qemuImgPath ?? 'qemu-img', 'qemu-img', 'Install it: apt-get install qemu-utils, or set "qemuImgPath".');
  const pending = await PendingRecording.create(recordingDir, args.overwrite ?? false);
  try {
    await createSnapshotImage(qemuImg, pending.file('snapshots'));
    await pending.copyKernel(kernel);
  } catch (err) {
    await pending.discard();
    throw err;
  }
  const cmd: QemuCommand = {
    qemuPath, machine: args.machine ?? arch.machine, cpu: args.cpu ?? arch.cpu, memory: args.memory ?? '128M',
    kernel: pending.file('kernel'), icountShift: args.icountShift ?? 'auto', rr: 'record', replayFile: pending.file('log'),
    snapshotImage: pending.file('snapshots'), serialFile: pending.file('serial'), archArgs: arch.extraArgs,
    userArgs: args.qemuArgs ?? [],
  };
  const manifestBase: Emulator['manifestBase'] = {
    qemu: { path: qemuPath, version: await qemuVersion(qemuPath), argv: [] },
    architecture: arch.name, machine: cmd.machine, cpu: cmd.cpu, memory: cmd.memory, icountShift: cmd.icountShift,
    archArgs: cmd.archArgs, qemuArgs: cmd.userArgs,
    program: program ? { path: program, sha256: await cachedSha256(program, env), buildId: await readBuildId(program).catch(() => undefined) } : undefined,
    kernel: { originalPath: kernel, sha256: await cachedSha256(kernel, env) },
  };
  return { recording: pending, cmd, manifestBase, architecture: arch.name, warnings: [] };
}

/** An existing recording, replayed with the QEMU version that made it (checked before QEMU starts). */
async function prepareReplay({ args, env, recordingDir, program }: Context): Promise<Prepared> {
  const opened = await openRecording(recordingDir);
  const m = opened.manifest;
  const arch = architectureByName(m.architecture);
  const warnings: string[] = [];
  const qemuPath = checkExecutable(args.qemuPath ?? m.qemu.path, 'QEMU', `Install it: apt-get install ${arch?.qemuPackage ?? 'qemu-system'}, or set "qemuPath".`);
  // Before QEMU starts: another version fails while loading the initial snapshot, before QMP is up.
  const running = parseVersion(await qemuVersion(qemuPath).catch(() => ''));
  const other = running ? checkReplayVersion(m.qemu.version, m.qemu.path, running, qemuPath) : undefined;
  if (other) warnings.push(other);
  const programCheck = program && m.program
    ? programChanged(m.program, program, env).then(
      (changed) => (changed ? `${program} changed since it was recorded: symbols may not match what ran. Rebuild the same source, or record again.` : undefined),
      () => undefined)
    : undefined;
  const cmd: QemuCommand = {
    qemuPath, machine: m.machine, cpu: m.cpu, memory: m.memory, kernel: opened.file('kernel'), icountShift: m.icountShift,
    rr: 'replay', replayFile: opened.file('log'), snapshotImage: opened.file('snapshots'), archArgs: m.archArgs,
    userArgs: m.qemuArgs,
  };
  return { recording: opened, cmd, architecture: arch?.name, warnings, programCheck };
}

/**
 * Whether `program` is not the ELF that was recorded. Both with a GNU build id: the ids decide (the linker derives
 * it from the code and data; a debug build and its stripped copy share it, as gdb's separate debug files do), and
 * the file is not hashed: a kernel's vmlinux takes ~1 s of CPU, which a first launch spends building gdb's index.
 * Otherwise the sha256 (cached by size, mtime and inode).
 */
export async function programChanged(recorded: { sha256: string; buildId?: string }, program: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
  if (recorded.buildId) {
    const id = await readBuildId(program).catch(() => undefined);
    if (id) return id !== recorded.buildId;
  }
  return (await cachedSha256(program, env)) !== recorded.sha256;
}

/** QEMU started and QMP connected; its failures said in the user's terms. */
async function startQemu(qemu: QemuProcess, cmd: QemuCommand, { cwd, env, recordingDir }: Context): Promise<void> {
  try {
    await qemu.start(cmd, { cwd, env });
  } catch (err) {
    if (err instanceof QemuStartError && /Failed to get "write" lock/.test(err.stderr)) {
      throw errors.snapshotImageInUse(recordingDir);
    }
    if (err instanceof QemuStartError) throw errors.qemuStartFailed(err.message, err.stderr);
    throw err;
  }
}

/**
 * gdb started, set up and connected to QEMU's gdb server. gdb works in the session's private folder (removed at the
 * end), not the user's: whatever it writes there (a core file, despite `maint set internal-error corefile no`) goes
 * with the session. It also reaches QEMU's gdb socket there by a relative name, whatever characters the folder's
 * path has (gdb takes `target remote`'s argument literally, quotes included).
 */
async function startGdb(gdb: Gdb, gdbPath: string, qemu: QemuProcess, { args, cwd, env }: Context, symbols: string | undefined, indexCache: string | undefined): Promise<void> {
  try {
    await gdb.start(gdbPath, { cwd: qemu.socketDir!, env });
  } catch (err) {
    throw errors.launchGdbNotStarted(gdbPath, (err as Error).message);
  }
  // A recording or a replay: read-only (see GdbSetup.readOnly).
  await configureGdb(gdb, { symbols, sourceMap: args.sourceMap, userCwd: cwd, readOnly: true, indexCache });
  try {
    await targetSelectRemote(gdb, GDB_SOCKET_NAME); // in gdb's working folder; no TCP port to forward
  } catch (err) {
    if (err instanceof GdbError) throw errors.gdbNotConnected(err.message);
    throw err;
  }
}

/** gdb's index of the symbols: whether it is still being made (`building`), and the cache folder holding it then. */
interface SymbolIndex {
  building: boolean;
  folder: Promise<string | undefined>;
}
const NO_INDEX: SymbolIndex = { building: false, folder: Promise.resolve(undefined) };

/**
 * The folder of gdb's index cache holding `symbols`' index, made first if need be; no folder for a small ELF, one
 * without a build id (gdb names its index files by it), or when the cache cannot be used. Without an index, gdb 13
 * reads a large ELF's DWARF lazily and some requests then take very long: on Debian's 272 MB vmlinux the first
 * -stack-list-variables in __schedule did not answer within 30 s (41 ms with the index). A separate gdb writes the
 * index (~2.5 s of CPU for that vmlinux, once; the session's own gdb would block for seconds after loading the
 * symbols while writing it), while QEMU starts; later launches load it in ~0.4 s.
 */
async function symbolIndex(gdbPath: string, symbols: string, env: NodeJS.ProcessEnv): Promise<SymbolIndex> {
  if (statSync(symbols).size < INDEX_WORTH_BYTES) return NO_INDEX;
  const dir = cacheSubdir('gdb-index', env);
  const buildId = await readBuildId(symbols).catch(() => undefined);
  // gdb takes the rest of the line as the folder, quotes included: no quoting (and no folder with a newline).
  if (!dir || !buildId || /[\r\n]/.test(dir)) return NO_INDEX;
  const file = path.join(dir, `${buildId}.gdb-index`);
  if (existsSync(file)) return { building: false, folder: Promise.resolve(dir) };
  const made = new Promise<void>((resolve) => {
    // The cache is set up before gdb reads the file (-iex), and the file is one argument (--se=), whatever its name.
    const child = spawn(gdbPath, ['-nx', '-batch', '-iex', 'maint set internal-error corefile no',
      '-iex', `set index-cache directory ${dir}`, '-iex', 'set index-cache enabled on', `--se=${symbols}`],
    { cwd: dir, env, stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
  });
  return { building: true, folder: made.then(() => (existsSync(file) ? dir : undefined)) };
}

/** Below this, gdb reads the symbols as fast without an index. */
const INDEX_WORTH_BYTES = 16 * 1024 * 1024;

/** The creation time of the snapshot image's `init` snapshot ("seconds.nanoseconds"), as QEMU lists it. */
async function initialSnapshotId(qemu: QemuProcess): Promise<string | undefined> {
  const blocks = await qemu.qmp.call('query-block', undefined);
  const s = blocks.find((b) => b.device === 'rr')?.inserted?.image?.snapshots?.find((x) => x.name === 'init');
  return s ? `${s['date-sec']}.${String(s['date-nsec']).padStart(9, '0')}` : undefined;
}

function existingProgram(rec: OpenedRecording): string | undefined {
  const p = rec.manifest.program?.path;
  return p && existsSync(p) ? p : undefined;
}
