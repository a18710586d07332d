/**
 * Threads (one per virtual CPU), stack frames and loaded sources, read from gdb/MI as DAP shows them.
 */
import { Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Gdb } from '../gdb/gdb';
import { miList, miString, miTuple } from '../gdb/miParser';

/** A DAP frame id holds gdb's thread and frame level. */
const FRAMES_PER_THREAD = 10_000;

export function splitFrameId(frameId: number): { thread: number; frame: number } {
  return { thread: Math.floor(frameId / FRAMES_PER_THREAD), frame: frameId % FRAMES_PER_THREAD };
}

/** Thread 1 (CPU #0): what to show when gdb cannot be asked. */
export function firstCpu(): Thread[] {
  return [new Thread(1, 'CPU #0')];
}

export async function cpuThreads(gdb: Gdb): Promise<Thread[]> {
  const r = await gdb.command('-thread-info');
  const threads = miList(r.threads).map(miTuple).map((t) => {
    const id = Number(miString(t?.id) ?? '1');
    return new Thread(id, `CPU #${id - 1}${miString(t?.['target-id']) ? ` (${miString(t?.['target-id'])})` : ''}`);
  });
  return threads.length ? threads : firstCpu();
}

export async function stackTrace(gdb: Gdb, args: DebugProtocol.StackTraceArguments): Promise<DebugProtocol.StackTraceResponse['body']> {
  const start = args.startFrame ?? 0;
  const levels = args.levels && args.levels > 0 ? args.levels : 64;
  const r = await gdb.command(`-stack-list-frames --thread ${args.threadId} ${start} ${start + levels - 1}`);
  const frames = miList(r.stack).map(miTuple).map((f): DebugProtocol.StackFrame => {
    const level = Number(miString(f?.level) ?? '0');
    const addr = miString(f?.addr) ?? '0x0';
    const file = miString(f?.fullname);
    const line = Number(miString(f?.line) ?? '0');
    const func = miString(f?.func) ?? '??';
    return {
      id: args.threadId * FRAMES_PER_THREAD + level,
      name: file ? func : `${func} <no source>`,
      source: file ? { name: file.split('/').pop(), path: file } : undefined,
      line: file ? line : 0,
      column: file ? 1 : 0,
      instructionPointerReference: addr,
      presentationHint: file ? 'normal' : 'subtle',
    };
  });
  const depth = await gdb.command(`-stack-info-depth --thread ${args.threadId}`).then((d) => Number(miString(d.depth))).catch(() => frames.length);
  return { stackFrames: frames, totalFrames: depth };
}

export async function loadedSources(gdb: Gdb): Promise<DebugProtocol.Source[]> {
  const r = await gdb.command('-file-list-exec-source-files');
  const seen = new Set<string>();
  const sources: DebugProtocol.Source[] = [];
  for (const f of miList(r.files).map(miTuple)) {
    const p = miString(f?.fullname);
    if (p && !seen.has(p)) { seen.add(p); sources.push({ name: p.split('/').pop(), path: p }); }
  }
  return sources;
}
