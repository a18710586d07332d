/**
 * DAP breakpoints on top of gdb's: source, function, instruction and data breakpoints, plus icount breakpoints
 * (function breakpoints named `icount:N`). Keeps the map from gdb numbers to DAP ids and kinds so stops can say
 * which breakpoint was hit, and handles logpoints and hit counts.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ICOUNT_FUNCTION_BREAKPOINT } from '../../common/protocol';
import type { Gdb } from '../gdb/gdb';
import { breakDelete, inProgramSection } from '../gdb/mi';
import {
  breakAfter, breakCondition, breakDisable, breakInsertAt, breakList, breakWatch, type MiBreakpoint,
} from '../gdb/mi-breakpoints';
import { dataReadMemoryBytes, symbolInfoFunctions } from '../gdb/mi-data';
import type { ReplayEngine } from '../engine/replayEngine';

export type BreakpointKind = 'source' | 'function' | 'instruction' | 'data';

interface Entry {
  gdbNumber: string;
  dapId: number;
  kind: BreakpointKind;
  logMessage?: string;
  /** A hit count "N": the first stop is at the N-th hit. */
  hitCount?: number;
  /** How the user named it: `main.c:42`, a function, `*0x…`, a watched expression. */
  description: string;
}

/** A logpoint just set (see Breakpoints.takeNewLogpoints). */
export type LogpointEntry = Entry & { logMessage: string };

let nextId = 1;

/** A DAP breakpoint id not given to any breakpoint yet (for an answer before the breakpoint is set: lateSymbols.ts). */
export function newBreakpointId(): number {
  return nextId++;
}

export class Breakpoints {
  private readonly byGdb = new Map<string, Entry>();
  private readonly bySource = new Map<string, Entry[]>();
  private functions: Entry[] = [];
  private instructions: Entry[] = [];
  private data: Entry[] = [];
  private icountFunctionIds = new Map<number, number>();
  /** Logpoints set by the last setSource calls that were not there before (same line, same message). */
  private newLogpoints: LogpointEntry[] = [];

  constructor(private readonly gdb: Gdb, private readonly engine: ReplayEngine) {}

  lookup(gdbNumber: string | undefined): Entry | undefined {
    return gdbNumber ? this.byGdb.get(gdbNumber) : undefined;
  }

  /** The breakpoint with this DAP id (as a set*Breakpoints response gave it). */
  byDapId(id: number): Entry | undefined {
    for (const e of this.byGdb.values()) if (e.dapId === id) return e;
    return undefined;
  }

  /**
   * The breakpoint answered as `from` is known to the client as `to` (set later than it was asked for: its first
   * answer gave `to`); stops report it as `to` from now on.
   */
  renumber(from: number, to: number): void {
    for (const e of this.byGdb.values()) if (e.dapId === from) e.dapId = to;
    for (const [icount, id] of this.icountFunctionIds) if (id === from) this.icountFunctionIds.set(icount, to);
  }

  /** The icount of the icount breakpoint (`icount:N` in the Breakpoints view) with this DAP id. */
  icountOfId(id: number): number | undefined {
    for (const [icount, dapId] of this.icountFunctionIds) if (dapId === id) return icount;
    return undefined;
  }

  /** The logpoints set since the last call that were not there before: their earlier hits are still to be shown. */
  takeNewLogpoints(): LogpointEntry[] {
    const out = this.newLogpoints;
    this.newLogpoints = [];
    return out;
  }

  private async remove(entries: Entry[]): Promise<void> {
    for (const e of entries) {
      this.byGdb.delete(e.gdbNumber);
      await breakDelete(this.gdb, e.gdbNumber).catch(() => undefined);
    }
  }

  /** Inserts one gdb breakpoint; a failure becomes an unverified DAP breakpoint with gdb's message. */
  private async insert(location: string, kind: BreakpointKind, opts: { condition?: string; hitCondition?: string; logMessage?: string }): Promise<{ bp: DebugProtocol.Breakpoint; entry?: Entry }> {
    const dapId = nextId++;
    let ignoreCount: number | undefined;
    if (opts.hitCondition) {
      const n = parseHitCondition(opts.hitCondition);
      if (n === undefined) {
        return { bp: { id: dapId, verified: false, message: `Hit count "${opts.hitCondition}" is not understood: use a number N (stop at the N-th hit) or ">= N".` } };
      }
      if (n > 1) ignoreCount = n - 1;
    }
    try {
      const inserted = await breakInsertAt(this.gdb, location, { condition: opts.condition, ignoreCount });
      const bkpt = kind === 'function' ? await this.withoutPatchableEntries(inserted) : inserted;
      const entry: Entry = { gdbNumber: bkpt?.number ?? '', dapId, kind, logMessage: opts.logMessage, hitCount: ignoreCount !== undefined ? ignoreCount + 1 : undefined, description: describeLocation(location) };
      this.byGdb.set(entry.gdbNumber, entry);
      const bp = toDap(dapId, bkpt);
      // gdb accepts any address and fails only when it inserts the breakpoint at the next resume, and then every
      // resume fails. Refuse addresses with no memory now, unless the program's symbols place code there: a
      // kernel's code is at virtual addresses that are mapped only once its MMU is on, and QEMU's gdbstub keeps
      // breakpoints by virtual address, so they hit then.
      if (bp.verified && bp.instructionReference && !(await this.readable(bp.instructionReference)) && !(await this.inProgram(bkpt, bp.instructionReference))) {
        await this.remove([entry]);
        return { bp: { id: dapId, verified: false, message: `Cannot place a breakpoint at 0x${BigInt(bp.instructionReference).toString(16)}: there is no memory at that address in the guest.` } };
      }
      return { bp, entry };
    } catch (err) {
      return { bp: { id: dapId, verified: false, message: cleanGdbMessage((err as Error).message, location) } };
    }
  }

  /**
   * A kernel built for ftrace (-fpatchable-function-entry) has each function's ELF symbol on the NOPs a few bytes
   * before where its debug info starts the function; gdb puts a location at each, and every call would stop twice
   * (two instructions apart). The location with no function of its own, just before one that has it, is disabled;
   * the breakpoint is reported at the remaining one.
   */
  private async withoutPatchableEntries(bkpt: MiBreakpoint | undefined): Promise<MiBreakpoint | undefined> {
    const locations = bkpt?.locations ?? [];
    const named = locations.filter((l) => l.func !== undefined).map((l) => BigInt(l.addr ?? '0'));
    const duplicates = locations.filter((l) => {
      const addr = l.addr;
      if (l.func !== undefined || !addr?.startsWith('0x')) return false;
      return named.some((n) => n > BigInt(addr) && n - BigInt(addr) <= 16n);
    });
    if (!bkpt || !duplicates.length || duplicates.length === locations.length) return bkpt;
    for (const l of duplicates) await breakDisable(this.gdb, l.number ?? '');
    return { ...bkpt, locations: locations.filter((l) => !duplicates.includes(l)) };
  }

  /** Whether the program's symbols place code at the breakpoint (a source line, or a symbol in one of its sections). */
  private async inProgram(bkpt: MiBreakpoint | undefined, address: string): Promise<boolean> {
    const loc = bkpt?.locations[0] ?? bkpt;
    if ((loc?.func ?? loc?.file) !== undefined) return true;
    return await inProgramSection(this.gdb, address);
  }

  private async readable(address: string): Promise<boolean> {
    const chunks = await dataReadMemoryBytes(this.gdb, address, 2).catch(() => []);
    return chunks.some((m) => m.contents.length > 0);
  }

  async setSource(path: string, bps: DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const before = new Set((this.bySource.get(path) ?? []).filter((e) => e.logMessage).map((e) => `${e.description}\0${e.logMessage}`));
    await this.remove(this.bySource.get(path) ?? []);
    const entries: Entry[] = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const b of bps) {
      const { bp, entry } = await this.insert(`${path}:${b.line}`, 'source', b);
      const slid = entry && bp.line !== undefined && bp.line !== b.line ? await this.slidOutOfFunction(entry, b.line, bp.line) : undefined;
      if (slid) {
        await this.remove([entry!]);
        out.push({ id: bp.id, verified: false, message: slid });
        continue;
      }
      if (entry) entries.push(entry);
      if (entry?.logMessage && !before.has(`${entry.description}\0${entry.logMessage}`)) this.newLogpoints.push(entry as LogpointEntry);
      out.push(bp);
    }
    this.bySource.set(path, entries);
    return out;
  }

  /**
   * gdb moves a breakpoint on a line without code to the next line that has some, even into the next function
   * (from a comment or a blank line between functions). Moving within the function is what a user expects;
   * into a function that starts after the requested line it is not: say so instead.
   */
  private async slidOutOfFunction(entry: Entry, requested: number, actual: number): Promise<string | undefined> {
    const row = (await breakList(this.gdb).catch(() => [])).find((b) => b.number === entry.gdbNumber);
    const func = row?.func ?? row?.locations[0]?.func;
    if (!func) return undefined;
    const files = await symbolInfoFunctions(this.gdb, `^${func}$`).catch(() => []);
    const decl = files.flatMap((f) => f.symbols).map((sym) => Number(sym.line)).find((n) => Number.isFinite(n));
    if (decl === undefined || decl <= requested) return undefined;
    return `No code at line ${requested}: the next line with code is ${actual}, in ${func}(), which starts after it. Put the breakpoint on a line inside a function.`;
  }

  async setFunctions(bps: DebugProtocol.FunctionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    await this.remove(this.functions);
    this.functions = [];
    const out: DebugProtocol.Breakpoint[] = [];
    const icounts: Array<{ index: number; value: number }> = [];
    for (const [index, b] of bps.entries()) {
      const m = ICOUNT_FUNCTION_BREAKPOINT.exec(b.name);
      if (m) {
        const value = Number(m[1].replace(/[,_]/g, ''));
        icounts.push({ index, value });
        out.push({ verified: false });
        continue;
      }
      const { bp, entry } = await this.insert(b.name, 'function', b);
      if (entry) this.functions.push(entry);
      out.push(bp);
    }
    // icount breakpoints from the Breakpoints view replace the engine's set (the view is the source of truth).
    if (icounts.length || this.icountFunctionIds.size) {
      const results = this.engine.setIcountBreakpoints(icounts.map((i) => i.value), 'view');
      const ids = new Map<number, number>();
      icounts.forEach(({ index }, k) => {
        const r = results[k];
        const id = this.icountFunctionIds.get(r.icount) ?? nextId++;
        ids.set(r.icount, id);
        out[index] = { id, verified: r.verified, message: r.message ?? `stops when the replay reaches icount ${r.icount}` };
      });
      this.icountFunctionIds = ids;
    }
    return out;
  }

  icountBreakpointId(icount: number): number | undefined {
    return this.icountFunctionIds.get(icount);
  }

  async setInstructions(bps: DebugProtocol.InstructionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    await this.remove(this.instructions);
    this.instructions = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const b of bps) {
      let address: bigint;
      try {
        address = BigInt(b.instructionReference) + BigInt(b.offset ?? 0);
      } catch {
        out.push({ verified: false, message: `"${b.instructionReference}" is not an address.` });
        continue;
      }
      const { bp, entry } = await this.insert(`*0x${address.toString(16)}`, 'instruction', b);
      if (entry) this.instructions.push(entry);
      out.push({ ...bp, instructionReference: `0x${address.toString(16)}` });
    }
    return out;
  }

  async setData(bps: DebugProtocol.DataBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    await this.remove(this.data);
    this.data = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const b of bps) {
      const dapId = nextId++;
      const hits = b.hitCondition ? parseHitCondition(b.hitCondition) : 1;
      if (hits === undefined) {
        out.push({ id: dapId, verified: false, message: `Hit count "${b.hitCondition}" is not understood: use a number N (stop at the N-th hit) or ">= N".` });
        continue;
      }
      let entry: Entry | undefined;
      try {
        const number = await breakWatch(this.gdb, b.dataId, b.accessType === 'read' || b.accessType === 'readWrite' ? b.accessType : 'write');
        entry = { gdbNumber: number ?? '', dapId, kind: 'data', hitCount: hits > 1 ? hits : undefined, description: b.dataId };
        this.byGdb.set(entry.gdbNumber, entry);
        if (b.condition) await breakCondition(this.gdb, entry.gdbNumber, b.condition);
        if (hits > 1) await breakAfter(this.gdb, entry.gdbNumber, hits - 1);
        this.data.push(entry);
        out.push({ id: dapId, verified: true, message: `watching ${b.dataId}` });
      } catch (err) {
        if (entry) await this.remove([entry]); // a watchpoint whose condition gdb refused would stop unconditionally
        out.push({ id: dapId, verified: false, message: cleanGdbMessage((err as Error).message, b.dataId) });
      }
    }
    return out;
  }
}

/** A breakpoint's location as the user knows it: `prog.c:42` (the file's name only), a function, `*0x…`. */
function describeLocation(location: string): string {
  const m = /^(.*\/)?([^/]+:\d+)$/.exec(location);
  return m ? m[2] : location;
}

/** VS Code's hit conditions: "N", "= N", ">= N" all stop first at the N-th hit. */
export function parseHitCondition(text: string): number | undefined {
  const m = /^\s*(?:>=|==|=)?\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 ? n : undefined;
}

function toDap(id: number, bkpt: MiBreakpoint | undefined): DebugProtocol.Breakpoint {
  // gdb reports pending/multiple locations; use the first real one for line and address.
  const loc = bkpt?.locations[0] ?? bkpt;
  const line = Number(loc?.line ?? bkpt?.line);
  const file = loc?.fullname ?? bkpt?.fullname;
  const addr = loc?.addr ?? bkpt?.addr;
  const pending = bkpt?.pending;
  if (pending || !addr || addr === '<PENDING>') return { id, verified: false, message: `no code at ${pending ?? 'this location'} in the program` };
  return {
    id,
    verified: true,
    line: Number.isFinite(line) && line > 0 ? line : undefined,
    source: file ? { path: file } : undefined,
    instructionReference: addr.startsWith('0x') ? addr : undefined,
  };
}

function cleanGdbMessage(msg: string, location: string): string {
  const noLine = /No line (\d+) in file "(.*)"/.exec(msg);
  if (noLine) return `No code at line ${noLine[1]}: ${noLine[2].split('/').pop()} has no code there (it is past the last line with code).`;
  if (/No source file named/.test(msg)) return `No code at ${location}: the program's debug information has no source file by that name (was it built with -g from this file?).`;
  if (/Function .* not defined/.test(msg)) return `No function ${location} in the program's symbols.`;
  return msg;
}
