/**
 * The gdb/MI commands the replay engine sends, one function each, and the records they answer with as typed values:
 * nothing outside `adapter/gdb/` writes an MI command line or picks an MI tuple apart. The DAP views' commands are in
 * the sibling files: mi-frames.ts (threads, stack, sources), mi-breakpoints.ts, mi-variables.ts (variable objects,
 * registers) and mi-data.ts (memory, disassembly, symbols, completion).
 */
import { miQuote, type Gdb } from './gdb';
import { breakInsertAt, breakList, type MiBreakpoint } from './mi-breakpoints';
import { miString, miTuple, type MiTuple } from './miParser';

/** A frame as gdb/MI reports it (`frame={level,addr,func,file,fullname,line,arch}`). */
export interface MiFrame {
  /** The pc, `0x…`. */
  addr?: string;
  func?: string;
  file?: string;
  fullname?: string;
  /** The source line, as gdb prints it (a decimal string). */
  line?: string;
}

export function toFrame(t: MiTuple | undefined): MiFrame | undefined {
  if (!t) return undefined;
  return { addr: miString(t.addr), func: miString(t.func), file: miString(t.file), fullname: miString(t.fullname), line: miString(t.line) };
}

/**
 * gdb's `*stopped` record. `reasons` has every `reason` of the record: a step or a reverse finish that ends on a
 * breakpoint reports `end-stepping-range` (or `function-finished`) and `breakpoint-hit`.
 */
export interface MiStopRecord {
  reasons: string[];
  frame?: MiFrame;
  /** `bkptno` of a breakpoint hit. */
  breakpoint?: string;
  /** The number of the watchpoint a `*-watchpoint-trigger` names (`wpt`, `hw-awpt` or `hw-rwpt`). */
  watchpoint?: string;
  signalName?: string;
  /** A write watchpoint's values (`value={old,new}`), as gdb prints them. */
  watchValue?: { old?: string; new?: string };
}

export function toStopRecord(record: MiTuple): MiStopRecord {
  const reasons = (Array.isArray(record.reason) ? record.reason : [record.reason]).map(miString)
    .filter((r): r is string => r !== undefined);
  const wpt = miTuple(record.wpt) ?? miTuple(record['hw-awpt']) ?? miTuple(record['hw-rwpt']); // gdb/MI's names
  const value = miTuple(record.value);
  return {
    reasons, frame: toFrame(miTuple(record.frame)), breakpoint: miString(record.bkptno), watchpoint: miString(wpt?.number),
    signalName: miString(record['signal-name']),
    ...(value ? { watchValue: { old: miString(value.old), new: miString(value.new) } } : {}),
  };
}

/** One enabled location of an enabled breakpoint or watchpoint (`-break-list`). */
export interface MiBreakpointLocation {
  number: string;
  /** `breakpoint`, `hw watchpoint`, `read watchpoint`, `acc watchpoint`, … */
  type: string;
  /** The location's address; undefined for a watchpoint or a pending breakpoint. */
  addr?: string;
  cond?: string;
}

/** gdb's execution commands (forwards, or backwards with `--reverse` in a replay). */
export type MiRunCommand =
  | '-exec-continue' | '-exec-next' | '-exec-step' | '-exec-finish' | '-exec-step-instruction' | '-exec-next-instruction';

/** Starts a run; gdb answers `^running` and later sends the `*stopped` record (the Gdb's `stopped` event). */
export async function execRun(gdb: Gdb, command: MiRunCommand, reverse: boolean): Promise<void> {
  await gdb.command(reverse ? `${command} --reverse` : command);
}

export async function execInterrupt(gdb: Gdb): Promise<void> {
  await gdb.command('-exec-interrupt');
}

/** Loads the program's symbols (and sections) from an ELF. */
export async function fileExecAndSymbols(gdb: Gdb, file: string): Promise<void> {
  await gdb.command(`-file-exec-and-symbols ${miQuote(file)}`);
}

/**
 * Connects to a gdb server: `host:port`, or a unix socket's path (gdb 13 takes the rest of the line as the path,
 * unquoted: the caller passes one without spaces).
 */
export async function targetSelectRemote(gdb: Gdb, where: string): Promise<void> {
  await gdb.command(`-target-select remote ${where}`);
}

/** Leaves the target: detach resumes the guest, disconnect leaves it stopped. */
export async function targetLeave(gdb: Gdb, how: 'detach' | 'disconnect', timeoutMs?: number): Promise<void> {
  await gdb.command(how === 'detach' ? '-target-detach' : '-target-disconnect', timeoutMs);
}

/** Deletes every breakpoint and watchpoint. */
export async function breakDeleteAll(gdb: Gdb, timeoutMs?: number): Promise<void> {
  await gdb.command('-break-delete', timeoutMs);
}

/** A thread (gdb's number: CPU #n is thread n+1) and one of its frames (0: the innermost). */
export interface MiFrameSelector {
  thread: number;
  frame: number;
}

/** The `--thread N --frame M ` options that select a frame for one command (with the trailing space), or nothing. */
export function selectorOptions(at: MiFrameSelector | undefined): string {
  return at ? `--thread ${at.thread} --frame ${at.frame} ` : '';
}

/** A frame (`-stack-info-frame`): the selected thread's innermost one, or the one `at` names. */
export async function stackInfoFrame(gdb: Gdb, at?: MiFrameSelector): Promise<MiFrame | undefined> {
  return toFrame(miTuple((await gdb.command(`-stack-info-frame${at ? ` ${selectorOptions(at).trimEnd()}` : ''}`)).frame));
}

/** How many frames a thread's stack has (`-stack-info-depth`): the selected thread's, or `thread`'s. */
export async function stackInfoDepth(gdb: Gdb, thread?: number): Promise<number> {
  return Number(miString((await gdb.command(`-stack-info-depth${thread !== undefined ? ` --thread ${thread}` : ''}`)).depth) ?? 0);
}

/** Inserts a breakpoint at a location (`*0x…` for an address, a function name quoted for MI); returns its number. */
export async function breakInsert(gdb: Gdb, location: string, options: { temporary?: boolean } = {}): Promise<string | undefined> {
  return (await breakInsertAt(gdb, location, options))?.number;
}

export async function breakDelete(gdb: Gdb, number: string): Promise<void> {
  await gdb.command(`-break-delete ${number}`);
}

/**
 * The enabled breakpoints and watchpoints, one entry per enabled location with an address (a watchpoint or a pending
 * breakpoint: one entry without). A disabled location of an enabled breakpoint never stops it (see
 * Breakpoints.withoutPatchableEntries) and is left out.
 */
export async function enabledBreakpointLocations(gdb: Gdb): Promise<MiBreakpointLocation[]> {
  return enabledLocationsOf(await breakList(gdb));
}

/** enabledBreakpointLocations of a breakpoint list already read (`breakList`). */
export function enabledLocationsOf(list: readonly MiBreakpoint[]): MiBreakpointLocation[] {
  const out: MiBreakpointLocation[] = [];
  for (const bkpt of list) {
    if (bkpt.enabled !== 'y') continue;
    const enabled = bkpt.locations.filter((l) => l.enabled !== 'n');
    const addrs = [bkpt.addr, ...enabled.map((l) => l.addr)].filter((a): a is string => !!a && a.startsWith('0x'));
    for (const addr of addrs.length ? addrs : [undefined]) {
      out.push({ number: bkpt.number ?? '', type: bkpt.type ?? '', addr, cond: bkpt.cond });
    }
  }
  return out;
}

/**
 * The value of an expression as gdb prints it (`-data-evaluate-expression`), in the current frame or the one `at`
 * names. gdb's evaluator says what is wrong with an expression: its `^error` rejects with a GdbError.
 */
export async function evaluateExpression(gdb: Gdb, expression: string, at?: MiFrameSelector): Promise<string | undefined> {
  return miString((await gdb.command(`-data-evaluate-expression ${selectorOptions(at)}${miQuote(expression)}`)).value);
}

/** The address where the line-table row holding `pc` starts (`info line *PC`), or undefined without line info. */
export async function lineRowStart(gdb: Gdb, pc: string): Promise<bigint | undefined> {
  const m = /starts at address (0x[0-9a-f]+)/.exec(await gdb.console(`info line *${pc}`));
  return m ? BigInt(m[1]) : undefined;
}

/** Whether the program's symbols place `address` in one of its sections (`info symbol`). */
export async function inProgramSection(gdb: Gdb, address: string): Promise<boolean> {
  return / in section /.test(await gdb.console(`info symbol ${address}`).catch(() => ''));
}

/** Drops gdb's register and memory caches: after a QMP move, both describe another moment. */
export async function flushCaches(gdb: Gdb): Promise<void> {
  await gdb.console('maintenance flush register-cache');
  await gdb.console('maintenance flush dcache');
}

/** Whether `bytes` bytes at an address can be read (`-data-read-memory-bytes`): mapped in the guest now. */
export async function isReadable(gdb: Gdb, address: string, bytes = 4): Promise<boolean> {
  return await gdb.command(`-data-read-memory-bytes ${address} ${bytes}`).then(() => true, () => false);
}
