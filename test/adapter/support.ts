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
  const stopped = dc.waitForEvent('stopped');
  await launchSession(dc, { mode: 'replay', recording, program: extra.program ?? undefined, ...extra });
  return { dc, entry: (await stopped) as DebugProtocol.StoppedEvent };
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
