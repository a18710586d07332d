/**
 * Threads (one per virtual CPU), stack frames and loaded sources, read from gdb/MI as DAP shows them.
 */
import { Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Gdb } from '../gdb/gdb';
import { stackInfoDepth } from '../gdb/mi';
import { fileListExecSourceFiles, stackListFrames, threadInfo } from '../gdb/mi-frames';

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
  const threads = (await threadInfo(gdb)).map((t) => {
    const id = Number(t.id ?? '1');
    return new Thread(id, `CPU #${id - 1}${t.targetId ? ` (${t.targetId})` : ''}`);
  });
  return threads.length ? threads : firstCpu();
}

export async function stackTrace(gdb: Gdb, args: DebugProtocol.StackTraceArguments): Promise<DebugProtocol.StackTraceResponse['body']> {
  const start = args.startFrame ?? 0;
  const levels = args.levels && args.levels > 0 ? args.levels : 64;
  const frames = (await stackListFrames(gdb, args.threadId, start, start + levels - 1)).map((f): DebugProtocol.StackFrame => {
    const level = Number(f.level ?? '0');
    const addr = f.addr ?? '0x0';
    const file = f.fullname;
    const line = Number(f.line ?? '0');
    const func = f.func ?? '??';
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
  const depth = await stackInfoDepth(gdb, args.threadId).catch(() => frames.length);
  return { stackFrames: frames, totalFrames: depth };
}

export async function loadedSources(gdb: Gdb): Promise<DebugProtocol.Source[]> {
  const seen = new Set<string>();
  const sources: DebugProtocol.Source[] = [];
  for (const f of await fileListExecSourceFiles(gdb)) {
    const p = f.fullname;
    if (p && !seen.has(p)) { seen.add(p); sources.push({ name: p.split('/').pop(), path: p }); }
  }
  return sources;
}
