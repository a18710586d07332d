/**
 * Threads, stack frames, a frame's variables and the program's source files as gdb/MI reports them, one function
 * per command the DAP views send, answering typed records (see mi.ts for the rest of the layer).
 */
import { GdbError, type Gdb } from './gdb';
import { toFrame, type MiFrame, type MiFrameSelector } from './mi';
import { miList, miString, miTuple, type MiTuple } from './miParser';

/** One of gdb's threads (`-thread-info`): a virtual CPU of QEMU's gdb server. */
export interface MiThread {
  /** gdb's thread number, a decimal string (thread n+1 is CPU #n). */
  id?: string;
  /** What the target calls it (QEMU: `Thread 1.1 (CPU#0 [running])`); gdb may leave it out. */
  targetId?: string;
}

export function toThread(t: MiTuple | undefined): MiThread {
  return { id: miString(t?.id), targetId: miString(t?.['target-id']) };
}

/** Every thread gdb knows (`-thread-info`). */
export async function threadInfo(gdb: Gdb): Promise<MiThread[]> {
  return miList((await gdb.command('-thread-info')).threads).map((t) => toThread(miTuple(t)));
}

/** A frame of a stack listing: the frame and its level (0: the innermost). */
export interface MiStackFrame extends MiFrame {
  /** The frame's level, a decimal string. */
  level?: string;
}

export function toStackFrame(t: MiTuple | undefined): MiStackFrame {
  return { ...toFrame(t), level: miString(t?.level) };
}

/** The frames `from` to `to` (inclusive) of a thread's stack, innermost first (`-stack-list-frames`). */
export async function stackListFrames(gdb: Gdb, thread: number, from: number, to: number): Promise<MiStackFrame[]> {
  const r = await gdb.command(`-stack-list-frames --thread ${thread} ${from} ${to}`);
  return miList(r.stack).map((f) => toStackFrame(miTuple(f)));
}

/** A source file of the program's debug information (`-file-list-exec-source-files`). */
export interface MiSourceFile {
  /** As the debug information names it (often relative to the compilation's folder). */
  file?: string;
  /** The absolute path gdb resolved it to. */
  fullname?: string;
}

export async function fileListExecSourceFiles(gdb: Gdb): Promise<MiSourceFile[]> {
  return miList((await gdb.command('-file-list-exec-source-files')).files).map(miTuple)
    .map((f) => ({ file: miString(f?.file), fullname: miString(f?.fullname) }));
}

/** A local variable or argument of a frame (`-stack-list-variables --simple-values`). */
export interface MiFrameVariable {
  name?: string;
  /** An argument of the frame's function (gdb's `arg="1"`); otherwise a local. */
  arg: boolean;
  type?: string;
  /** Only for simple types (gdb leaves structures and arrays out with --simple-values). */
  value?: string;
}

/**
 * The locals and arguments of a frame, in gdb's order. A frame without debug information has none (gdb answers
 * "No symbol table info available"): an empty list, not an error.
 */
export async function stackListVariables(gdb: Gdb, at: MiFrameSelector): Promise<MiFrameVariable[]> {
  const r = await gdb.command(`-stack-list-variables --thread ${at.thread} --frame ${at.frame} --simple-values`).catch((err: unknown): MiTuple => {
    if (err instanceof GdbError && /No symbol table/i.test(err.message)) return {};
    throw err;
  });
  return miList(r.variables).map(miTuple).filter((v): v is MiTuple => v !== undefined)
    .map((v) => ({ name: miString(v.name), arg: miString(v.arg) === '1', type: miString(v.type), value: miString(v.value) }));
}
