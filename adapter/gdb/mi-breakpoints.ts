/**
 * The breakpoint and watchpoint commands the DAP breakpoints send, with gdb's breakpoint records as typed values
 * (the engine's own breakpoint commands are in mi.ts).
 */
import { miQuote, type Gdb } from './gdb';
import { miList, miString, miTuple, type MiTuple } from './miParser';

/** Where a breakpoint, or one location of it, is: fields gdb leaves out (no debug info, pending) are undefined. */
export interface MiCodePlace {
  /** `0x…`, or `<PENDING>` / `<MULTIPLE>` on a breakpoint. */
  addr?: string;
  func?: string;
  file?: string;
  fullname?: string;
  /** The source line, a decimal string. */
  line?: string;
}

/** One location of a breakpoint with several (`locations=[{number="2.1",…}]`). */
export interface MiBreakpointPlace extends MiCodePlace {
  /** `N.M`. */
  number?: string;
  /** `y` or `n`. */
  enabled?: string;
}

/** A breakpoint or watchpoint record (`bkpt={…}`), as -break-insert and -break-list report it. */
export interface MiBreakpoint extends MiCodePlace {
  number?: string;
  /** `breakpoint`, `hw watchpoint`, … */
  type?: string;
  /** `y` or `n`. */
  enabled?: string;
  /** What a pending breakpoint waits for (the location as given). */
  pending?: string;
  cond?: string;
  /** Hits gdb still ignores before the next stop (`-break-after`), a decimal string; undefined when none. */
  ignore?: string;
  /** The locations of a breakpoint gdb placed at several addresses (empty when it reports one, in its own fields). */
  locations: MiBreakpointPlace[];
}

function toPlace(t: MiTuple): MiCodePlace {
  return { addr: miString(t.addr), func: miString(t.func), file: miString(t.file), fullname: miString(t.fullname), line: miString(t.line) };
}

export function toBreakpoint(t: MiTuple | undefined): MiBreakpoint | undefined {
  if (!t) return undefined;
  return {
    ...toPlace(t), number: miString(t.number), type: miString(t.type), enabled: miString(t.enabled),
    pending: miString(t.pending), cond: miString(t.cond), ignore: miString(t.ignore),
    locations: miList(t.locations).map(miTuple).filter((l): l is MiTuple => l !== undefined)
      .map((l) => ({ ...toPlace(l), number: miString(l.number), enabled: miString(l.enabled) })),
  };
}

export interface MiBreakInsertOptions {
  /** Stop only when this expression is true (`-c`). */
  condition?: string;
  /** Hits to ignore before the first stop (`-i`). */
  ignoreCount?: number;
  /** Deleted by gdb once hit (`-t`). */
  temporary?: boolean;
}

/**
 * Inserts a breakpoint at a location as a user gives it (`file:line`, a function, `*0x…`), always quoted for MI;
 * answers gdb's record of it. gdb's refusal (no such line, file or function) rejects with its GdbError.
 */
export async function breakInsertAt(gdb: Gdb, location: string, options: MiBreakInsertOptions = {}): Promise<MiBreakpoint | undefined> {
  const parts = ['-break-insert'];
  if (options.temporary) parts.push('-t');
  if (options.condition) parts.push('-c', miQuote(options.condition));
  if (options.ignoreCount) parts.push('-i', String(options.ignoreCount));
  parts.push(miQuote(location));
  return toBreakpoint(miTuple((await gdb.command(parts.join(' '))).bkpt));
}

/** Disables a breakpoint or one location of it (`N.M`). */
export async function breakDisable(gdb: Gdb, number: string): Promise<void> {
  await gdb.command(`-break-disable ${number}`);
}

/** Enables a breakpoint or one location of it (`N.M`); a location disabled on its own stays disabled. */
export async function breakEnable(gdb: Gdb, number: string): Promise<void> {
  await gdb.command(`-break-enable ${number}`);
}

/** Every breakpoint and watchpoint (`-break-list`), in gdb's order. */
export async function breakList(gdb: Gdb): Promise<MiBreakpoint[]> {
  const table = miTuple((await gdb.command('-break-list')).BreakpointTable);
  return miList(table?.body).map((row) => toBreakpoint(miTuple(row))).filter((b): b is MiBreakpoint => b !== undefined);
}

export type MiWatchAccess = 'write' | 'read' | 'readWrite';

/** Sets a watchpoint on an expression (`-break-watch`, `-r` read, `-a` access); answers its number. */
export async function breakWatch(gdb: Gdb, expression: string, access: MiWatchAccess = 'write'): Promise<string | undefined> {
  const flag = access === 'read' ? '-r ' : access === 'readWrite' ? '-a ' : '';
  const r = await gdb.command(`-break-watch ${flag}${miQuote(expression)}`);
  const wpt = miTuple(r.wpt) ?? miTuple(r['hw-rwpt']) ?? miTuple(r['hw-awpt']); // MI's names for read and access watchpoints
  return miString(wpt?.number);
}

/** Makes a breakpoint or watchpoint stop only when `condition` is true. */
export async function breakCondition(gdb: Gdb, number: string, condition: string): Promise<void> {
  await gdb.command(`-break-condition ${number} ${miQuote(condition)}`);
}

/** Makes a breakpoint or watchpoint ignore its next `count` hits. */
export async function breakAfter(gdb: Gdb, number: string, count: number): Promise<void> {
  await gdb.command(`-break-after ${number} ${count}`);
}
