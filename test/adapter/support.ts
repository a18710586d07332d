/**
 * Shared support for adapter tests: a ReplayDebugClient (client.ts) on the built adapter (its own process, as VS
 * Code runs it), guest programs, the sample guest recorded once per test file, a replay session per suite, tagged
 * source lines, and process-leak checks.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { ReplayDebugClient, StoppedBody } from './client';

export { ReplayDebugClient } from './client';
export type { StoppedBody } from './client';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ADAPTER = path.join(ROOT, 'dist', 'adapter.js');
export const GUEST_SOURCE = path.join(ROOT, 'test', 'guests', 'prog.c');
export type Arch = 'aarch64' | 'riscv64' | 'x86_64';
export const guestElf = (arch: Arch) => path.join(ROOT, 'test', 'guests', 'build', arch, 'prog.elf');

/** The 1-based line of the `TAG: name` marker comment in the guest source. */
export function tagLine(tag: string, file = GUEST_SOURCE): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`TAG: ${tag}`) && new RegExp(`TAG: ${tag}(\\s|\\*|$)`).test(l));
  if (i < 0) throw new Error(`no TAG: ${tag} in ${file}`);
  return i + 1;
}

export function tempDir(prefix = 'qr-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The adapter in its own process (with this environment instead of the test's, if given), started. */
export async function startClient(env?: NodeJS.ProcessEnv): Promise<ReplayDebugClient> {
  const dc = new ReplayDebugClient(process.execPath, ADAPTER, 'qemu-replay', env ? { env } : {}, true);
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}

/** Launches and waits for `initialized`, then sends configurationDone. */
export async function launchSession(dc: ReplayDebugClient, args: Record<string, unknown>): Promise<void> {
  const initialized = dc.expectEvent('initialized'); // awaited below; a failed launch leaves no rejection behind
  await dc.initializeRequest();
  await dc.launch(args);
  await initialized;
  await dc.configurationDoneRequest();
}

/**
 * The QEMU version the adapter tests run against: the system's (Debian 12's 7.2) by default; with `QR_QEMU=10.0`,
 * the QEMU 10.0 that scripts/qemu10.sh unpacked into the tool cache (its folder in `QR_QEMU10_DIR`;
 * scripts/run-tests.mjs sets both for its QEMU 10.0 pass).
 */
export const QEMU_UNDER_TEST: '7.2' | '10.0' = process.env.QR_QEMU === '10.0' ? '10.0' : '7.2';

/** The `qemuPath` for `arch` under QEMU_UNDER_TEST, or undefined for the adapter's default (the system's QEMU). */
export function qemuPathFor(arch: string): string | undefined {
  if (QEMU_UNDER_TEST !== '10.0') return undefined;
  const dir = process.env.QR_QEMU10_DIR;
  if (!dir) throw new Error('QR_QEMU=10.0 needs QR_QEMU10_DIR: the folder scripts/qemu10.sh prints (QEMU10_DIR=…)');
  return path.join(dir, 'usr', 'bin', `qemu-system-${arch}`);
}

/** Records the guest into a fresh directory through the adapter and returns the recording directory. */
export async function record(arch: Arch, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = path.join(tempDir(), 'rec');
  const dc = await startClient();
  const qemuPath = qemuPathFor(arch);
  try {
    await dc.eventAfter('terminated', () => launchSession(dc, { mode: 'record', program: guestElf(arch), recording: dir, stopOnEntry: false, ...(qemuPath ? { qemuPath } : {}), ...extra }), { timeout: 60_000 });
  } finally {
    await dc.stop();
  }
  return dir;
}

/** Starts a replay session stopped at entry; `entry` is the body of that stop. */
export async function replay(recording: string, extra: Record<string, unknown> = {}, adapterEnv?: NodeJS.ProcessEnv): Promise<{ dc: ReplayDebugClient; entry: StoppedBody }> {
  const dc = await startClient(adapterEnv);
  try {
    const entry = await dc.stopAfter(() => launchSession(dc, { mode: 'replay', recording, program: extra.program ?? undefined, ...extra }));
    return { dc, entry };
  } catch (err) {
    await dc.stop(); // a failed launch must not leave the adapter running (the test process would never exit)
    throw err;
  }
}

export async function icount(dc: ReplayDebugClient): Promise<number> {
  return (await dc.info()).icount;
}

export async function topFrame(dc: ReplayDebugClient): Promise<DebugProtocol.StackFrame> {
  const r = await dc.stackTraceRequest({ threadId: 1 });
  return r.body.stackFrames[0];
}

export async function pc(dc: ReplayDebugClient): Promise<string> {
  return (await topFrame(dc)).instructionPointerReference!;
}

/** PIDs of QEMU and gdb processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(needle) && /qemu-system|gdb/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
}

export function childProcessesOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function cleanup(dir: string): void {
  rmSync(path.dirname(dir), { recursive: true, force: true });
}

// ---- forward-debugging helpers ---------------------------------------------------------------------------------

export const endlessElf = (arch: Arch) => path.join(ROOT, 'test', 'guests', 'build', 'endless', arch, 'prog.elf');
export const TOOL_PREFIX: Record<Arch, string> = { aarch64: 'aarch64-linux-gnu-', riscv64: 'riscv64-linux-gnu-', x86_64: '' };

/** What the sample guest computes (prog.c), derived independently: the state after `rounds` calls of work(). */
export function guestModel(rounds: number): { checksum: number; originX: number; originY: number; counter: number } {
  const fib = (n: number) => { let a = 0, b = 1; for (let i = 0; i < n; i++) { const t = (a + b) >>> 0; a = b; b = t; } return a; };
  const mix = (acc: number, v: number) => { acc = (acc ^ v) >>> 0; acc = ((acc << 5) | (acc >>> 27)) >>> 0; return (acc + 0x9e3779b9) >>> 0; };
  let checksum = 0x1234, x = 3, y = 4;
  for (let r = 0; r < rounds; r++) {
    const f = fib(r % 24);
    checksum = mix(checksum, f);
    x += f & 7;
    y -= 1;
  }
  return { checksum, originX: x, originY: y, counter: rounds };
}

/** A symbol's address from the ELF's symbol table (nm), as a bigint. */
export function symbolAddress(arch: Arch, elf: string, name: string): bigint {
  const out = execFileSync(`${TOOL_PREFIX[arch]}nm`, [elf], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`no symbol ${name} in ${elf}`);
  return BigInt(`0x${line.split(' ')[0]}`);
}

/** objdump -d of [start, start+bytes): address → { bytes (as in memory, hex), mnemonic }. */
export function objdump(arch: Arch, elf: string, start: bigint, bytes: number): Array<{ address: bigint; bytes: string; mnemonic: string }> {
  const out = execFileSync(`${TOOL_PREFIX[arch]}objdump`, ['-d', `--start-address=0x${start.toString(16)}`, `--stop-address=0x${(start + BigInt(bytes)).toString(16)}`, elf], { encoding: 'utf8' });
  const rows: Array<{ address: bigint; bytes: string; mnemonic: string }> = [];
  for (const l of out.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f ]+?)\s*\t(\S+)/.exec(l);
    if (!m) continue;
    // objdump prints each instruction as little-endian words/halfwords: turn them into memory byte order.
    const memBytes = m[2].trim().split(/\s+/).map((w) => w.match(/../g)!.reverse().join('')).join('');
    rows.push({ address: BigInt(`0x${m[1]}`), bytes: memBytes, mnemonic: m[3] });
  }
  return rows;
}

/** The bytes of the ELF at a virtual address (objdump -s). */
export function elfBytes(arch: Arch, elf: string, address: bigint, count: number): Buffer {
  const out = execFileSync(`${TOOL_PREFIX[arch]}objdump`, ['-s', `--start-address=0x${address.toString(16)}`, `--stop-address=0x${(address + BigInt(count)).toString(16)}`, elf], { encoding: 'utf8' });
  const chunks: Buffer[] = [];
  for (const l of out.split('\n')) {
    const m = /^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ){1,4})/.exec(l);
    if (m) chunks.push(Buffer.from(m[2].replace(/\s/g, ''), 'hex'));
  }
  return Buffer.concat(chunks).subarray(0, count);
}

/** Variables of one scope of the top frame (or frame `level`), by name. */
export async function scopeVariables(dc: ReplayDebugClient, scope: string, level = 0): Promise<Map<string, DebugProtocol.Variable>> {
  const frames = await dc.stackTraceRequest({ threadId: 1 });
  const scopes = await dc.scopesRequest({ frameId: frames.body.stackFrames[level].id });
  const s = scopes.body.scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope ${scope}: ${scopes.body.scopes.map((x) => x.name).join(', ')}`);
  const vars = await dc.variablesRequest({ variablesReference: s.variablesReference });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}

/** Children of a structured variable, by name. */
export async function children(dc: ReplayDebugClient, v: DebugProtocol.Variable, start?: number, count?: number): Promise<Map<string, DebugProtocol.Variable>> {
  const r = await dc.variablesRequest({ variablesReference: v.variablesReference, start, count, filter: start !== undefined ? 'indexed' : undefined });
  return new Map(r.body.variables.map((x) => [x.name, x]));
}

/** The error message of a request that must fail. */
export async function failure(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the request succeeded but should have failed');
}

/** Output events' text from now on. */
export function collectOutput(dc: ReplayDebugClient): string[] {
  const out: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(String(e.body.output)));
  return out;
}

/** Ends a session and checks that no QEMU or gdb mentioning `dir` is left. */
export async function endSession(dc: ReplayDebugClient, dir: string): Promise<void> {
  await dc.terminateRequest().catch(() => undefined);
  await dc.stop();
  const end = Date.now() + 5_000;
  while (processesMentioning(dir).length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (processesMentioning(dir).length) throw new Error(`QEMU or gdb left running for ${dir}: ${processesMentioning(dir).join(', ')}`);
}

/** The guests to test: both, or those named in QR_ARCH (comma-separated) while working on one. */
export const ARCHES: Arch[] = process.env.QR_ARCH ? (process.env.QR_ARCH.split(',') as Arch[]) : ['aarch64', 'riscv64'];

// ---- shared fixtures ---------------------------------------------------------------------------------------------

const sharedRecordings = new Map<Arch, Promise<string>>();

/**
 * The sample guest of `arch` recorded once per test process (each test file runs in its own), with the default
 * options, in a temporary folder removed when the process exits. Tests that change it (snapshots) must not rely on
 * another test's changes being absent unless they are the only user in their file.
 */
export function recording(arch: Arch): Promise<string> {
  let r = sharedRecordings.get(arch);
  if (!r) {
    r = record(arch);
    sharedRecordings.set(arch, r);
    r.then((dir) => process.once('exit', () => cleanup(dir)), () => undefined);
  }
  return r;
}

/** A replay session on a suite's shared recording; `dc` and `entry` are set by the suite's `before`. */
export interface ReplayFixture {
  recording: string;
  dc: ReplayDebugClient;
  /** The stop at entry. */
  entry: StoppedBody;
  /** The recording's last icount (`replayInfo.endIcount`). */
  end: number;
  /** Ends the session (terminate, which must succeed) and starts a new one on the recording (same launch arguments, or these). */
  restart(extra?: Record<string, unknown>): Promise<void>;
}

export interface FixtureOptions {
  /** Launch arguments besides the mode, the recording and the program's symbols (`program: undefined` drops them). */
  launch?: Record<string, unknown>;
  /** Makes the suite's own recording (a different guest or options) instead of the shared one. */
  record?: () => Promise<string>;
  /** Called as soon as the session stopped at entry, before anything else is asked (to listen for its output). */
  started?: (dc: ReplayDebugClient) => void;
  /** The adapter process's environment instead of the test's. */
  adapterEnv?: NodeJS.ProcessEnv;
}

/**
 * In the current suite: before its tests, the shared recording of `arch` (or the suite's own) replayed with the
 * program's symbols; after them, the session ended with no QEMU or gdb left.
 */
export function replayFixture(arch: Arch, options: FixtureOptions = {}): ReplayFixture {
  const launch = { program: guestElf(arch), ...options.launch };
  let launched = false;
  const start = async (args: Record<string, unknown>) => {
    ({ dc: f.dc, entry: f.entry } = await replay(f.recording, args, options.adapterEnv));
    launched = true;
    options.started?.(f.dc);
  };
  const f: ReplayFixture = {
    recording: '', dc: undefined as unknown as ReplayDebugClient, entry: undefined as unknown as StoppedBody, end: 0,
    async restart(again = options.launch) {
      launched = false;
      await f.dc.terminateRequest(); // must succeed: the session ends as a user's would
      await f.dc.stop();
      await start({ program: guestElf(arch), ...again });
    },
  };
  before(async () => {
    f.recording = await (options.record ?? (() => recording(arch)))();
    await start(launch);
    f.end = (await f.dc.info()).endIcount!;
  });
  after(async () => {
    if (launched) await endSession(f.dc, f.recording);
  });
  return f;
}

/** A replay session for the length of `fn`, ended (terminate, then the adapter stopped) however `fn` ends. */
export async function withReplay<T>(recording: string, extra: Record<string, unknown>, fn: (dc: ReplayDebugClient, entry: StoppedBody) => Promise<T>): Promise<T> {
  const { dc, entry } = await replay(recording, extra);
  try {
    return await fn(dc, entry);
  } finally {
    await dc.terminateRequest().catch(() => undefined);
    await dc.stop();
  }
}
