/**
 * Shared support for adapter tests: a DebugClient on the built adapter (its own process, as VS Code runs it),
 * guest programs, recordings made once per test file, tagged source lines, and process-leak checks.
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ADAPTER = path.join(ROOT, 'dist', 'adapter.js');
export const GUEST_SOURCE = path.join(ROOT, 'test', 'guests', 'prog.c');
export type Arch = 'aarch64' | 'riscv64';
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

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, ADAPTER, 'qemu-replay', {}, true);
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}

/** Launches and waits for `initialized`, then sends configurationDone. Resolves with the launch response. */
export async function launchSession(dc: DebugClient, args: Record<string, unknown>): Promise<void> {
  const initialized = dc.waitForEvent('initialized');
  initialized.catch(() => undefined); // awaited below; a failed launch must not leave a rejection behind
  await dc.initializeRequest();
  await dc.launch(args);
  await initialized;
  await dc.configurationDoneRequest();
}

/** Records the guest into a fresh directory through the adapter and returns the recording directory. */
export async function record(arch: Arch, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = path.join(tempDir(), 'rec');
  const dc = await startClient();
  try {
    const terminated = dc.waitForEvent('terminated', 60_000);
    await launchSession(dc, { mode: 'record', program: guestElf(arch), recording: dir, stopOnEntry: false, ...extra });
    await terminated;
  } finally {
    await dc.stop();
  }
  return dir;
}

/** Starts a replay session stopped at entry. */
export async function replay(recording: string, extra: Record<string, unknown> = {}): Promise<{ dc: DebugClient; entry: DebugProtocol.StoppedEvent }> {
  const dc = await startClient();
  try {
    const stopped = dc.waitForEvent('stopped');
    stopped.catch(() => undefined); // awaited below
    await launchSession(dc, { mode: 'replay', recording, program: extra.program ?? undefined, ...extra });
    return { dc, entry: (await stopped) as DebugProtocol.StoppedEvent };
  } catch (err) {
    await dc.stop(); // a failed launch must not leave the adapter running (the test process would never exit)
    throw err;
  }
}

/** Sends a request that makes the guest run and waits for the next stop (armed before the request). */
export async function runTo(dc: DebugClient, request: Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await request;
  return (await stopped) as DebugProtocol.StoppedEvent;
}

export async function icount(dc: DebugClient): Promise<number> {
  const r = await dc.customRequest('replayInfo');
  return (r.body as { icount: number }).icount;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const r = await dc.stackTraceRequest({ threadId: 1 });
  return r.body.stackFrames[0];
}

export async function pc(dc: DebugClient): Promise<string> {
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
export const TOOL_PREFIX: Record<Arch, string> = { aarch64: 'aarch64-linux-gnu-', riscv64: 'riscv64-linux-gnu-' };

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
export async function scopeVariables(dc: DebugClient, scope: string, level = 0): Promise<Map<string, DebugProtocol.Variable>> {
  const frames = await dc.stackTraceRequest({ threadId: 1 });
  const scopes = await dc.scopesRequest({ frameId: frames.body.stackFrames[level].id });
  const s = scopes.body.scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope ${scope}: ${scopes.body.scopes.map((x) => x.name).join(', ')}`);
  const vars = await dc.variablesRequest({ variablesReference: s.variablesReference });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}

/** Children of a structured variable, by name. */
export async function children(dc: DebugClient, v: DebugProtocol.Variable, start?: number, count?: number): Promise<Map<string, DebugProtocol.Variable>> {
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
export function collectOutput(dc: DebugClient): string[] {
  const out: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(String(e.body.output)));
  return out;
}

/** Ends a session and checks that no QEMU or gdb mentioning `dir` is left. */
export async function endSession(dc: DebugClient, dir: string): Promise<void> {
  await dc.terminateRequest().catch(() => undefined);
  await dc.stop();
  const end = Date.now() + 5_000;
  while (processesMentioning(dir).length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (processesMentioning(dir).length) throw new Error(`QEMU or gdb left running for ${dir}: ${processesMentioning(dir).join(', ')}`);
}

/** The guests to test: both, or those named in QR_ARCH (comma-separated) while working on one. */
export const ARCHES: Arch[] = process.env.QR_ARCH ? (process.env.QR_ARCH.split(',') as Arch[]) : ['aarch64', 'riscv64'];
