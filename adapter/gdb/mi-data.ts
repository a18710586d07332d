/**
 * Guest memory, disassembly, the program's symbols and gdb's completion, as the DAP views ask gdb/MI for them:
 * one function per command, typed answers (see mi.ts for the rest of the layer).
 */
import { miQuote, type Gdb } from './gdb';
import { miList, miString, miTuple, type MiTuple } from './miParser';

/** A symbol of the program's debug information (`-symbol-info-functions`, `-symbol-info-variables`). */
export interface MiSymbol {
  name?: string;
  /** Where it is declared, a decimal string. */
  line?: string;
  type?: string;
  description?: string;
}

/** The symbols of one source file. */
export interface MiSymbolFile {
  filename?: string;
  fullname?: string;
  symbols: MiSymbol[];
}

/** The `debug` part of a -symbol-info-* answer: symbols with debug information, by source file. */
function toSymbolFiles(r: MiTuple): MiSymbolFile[] {
  return miList(miTuple(r.symbols)?.debug).map(miTuple).filter((g): g is MiTuple => g !== undefined).map((g) => ({
    filename: miString(g.filename),
    fullname: miString(g.fullname),
    symbols: miList(g.symbols).map(miTuple).filter((s): s is MiTuple => s !== undefined)
      .map((s) => ({ name: miString(s.name), line: miString(s.line), type: miString(s.type), description: miString(s.description) })),
  }));
}

/** Functions with debug information, by file: all, or those whose name matches the regular expression `name`. */
export async function symbolInfoFunctions(gdb: Gdb, name?: string): Promise<MiSymbolFile[]> {
  return toSymbolFiles(await gdb.command(`-symbol-info-functions${name !== undefined ? ` --name ${miQuote(name)}` : ''}`));
}

/** Global and static variables with debug information, by file. */
export async function symbolInfoVariables(gdb: Gdb): Promise<MiSymbolFile[]> {
  return toSymbolFiles(await gdb.command('-symbol-info-variables'));
}

/** A run of readable bytes (`-data-read-memory-bytes`): gdb answers one per readable part of the range. */
export interface MiMemoryChunk {
  /** The chunk's first address, `0x…`. */
  begin?: string;
  /** Its bytes in hex, two digits each ('' when gdb sent none). */
  contents: string;
}

/**
 * The guest's memory at `address` (an address gdb understands, `0x…`), `count` bytes: the readable chunks. gdb
 * rejects (GdbError) when nothing there can be read.
 */
export async function dataReadMemoryBytes(gdb: Gdb, address: string, count: number): Promise<MiMemoryChunk[]> {
  const r = await gdb.command(`-data-read-memory-bytes ${address} ${count}`);
  return miList(r.memory).map(miTuple).map((c) => ({ begin: miString(c?.begin), contents: miString(c?.contents) ?? '' }));
}

/** One disassembled instruction. */
export interface MiInstruction {
  address?: string;
  /** The function it belongs to and the offset in it (decimal), when the symbols say. */
  funcName?: string;
  offset?: string;
  /** Its bytes, hex pairs separated by spaces. */
  opcodes?: string;
  /** The instruction's text. */
  inst?: string;
}

/** The instructions of one source line (or, where there is no line information, of none: no file and no line). */
export interface MiSourceInstructions {
  file?: string;
  fullname?: string;
  /** A decimal string. */
  line?: string;
  instructions: MiInstruction[];
}

function toInstruction(t: MiTuple): MiInstruction {
  return { address: miString(t.address), funcName: miString(t['func-name']), offset: miString(t.offset), opcodes: miString(t.opcodes), inst: miString(t.inst) };
}

/**
 * The instructions of [start, end) with their raw bytes and source lines (`-data-disassemble … -- 5`), in address
 * order, grouped by source line. An instruction outside any line (no debug info) is a group of its own without a
 * line. No memory there: GdbError.
 */
export async function dataDisassembleWithSource(gdb: Gdb, start: bigint, end: bigint): Promise<MiSourceInstructions[]> {
  const r = await gdb.command(`-data-disassemble -s 0x${start.toString(16)} -e 0x${end.toString(16)} -- 5`);
  const out: MiSourceInstructions[] = [];
  for (const item of miList(r.asm_insns).map(miTuple)) {
    if (!item) continue;
    const insns = item.line_asm_insn !== undefined ? miList(item.line_asm_insn).map(miTuple) : [item];
    out.push({
      file: miString(item.file), fullname: miString(item.fullname), line: miString(item.line),
      instructions: insns.filter((i): i is MiTuple => i !== undefined).map(toInstruction),
    });
  }
  return out;
}

/** gdb's completions of a command line (`-complete`): whole command lines, as the CLI's TAB would complete them. */
export async function complete(gdb: Gdb, commandLine: string): Promise<string[]> {
  const r = await gdb.command(`-complete ${miQuote(commandLine)}`);
  return miList(r.matches).map((m) => miString(m) ?? '');
}
