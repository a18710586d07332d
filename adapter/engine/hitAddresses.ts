/**
 * The instruction addresses of code breakpoints, with what a hit at each reports (function, file, line: gdb's own
 * resolution of the location), for passes that watch addresses instead of stopping in gdb (hitsByPlugin.ts).
 */
import type { Gdb } from '../gdb/gdb';
import type { MiFrame } from '../gdb/mi';
import { breakList, type MiCodePlace } from '../gdb/mi-breakpoints';

export type CodeAddresses = Map<bigint, { gdbBreakpoint: string; frame: MiFrame }>;

/**
 * Every enabled location of gdb's breakpoints `numbers`; undefined when one of them needs gdb at its hits (a
 * condition) or is not on code (a watchpoint), or is not known to gdb.
 */
export async function codeAddresses(gdb: Gdb, numbers: readonly string[]): Promise<CodeAddresses | undefined> {
  const wanted = new Set(numbers);
  const found = new Set<string>();
  const at: CodeAddresses = new Map();
  for (const bkpt of await breakList(gdb)) {
    const number = bkpt.number ?? '';
    if (!wanted.has(number)) continue;
    found.add(number);
    if (bkpt.cond || (bkpt.type !== 'breakpoint' && bkpt.type !== 'hw breakpoint')) return undefined;
    const places: MiCodePlace[] = bkpt.locations.length ? bkpt.locations.filter((l) => l.enabled !== 'n') : [bkpt];
    for (const p of places) {
      if (!p.addr?.startsWith('0x')) continue;
      at.set(BigInt(p.addr), { gdbBreakpoint: number, frame: { addr: p.addr, func: p.func, file: p.file, fullname: p.fullname, line: p.line } });
    }
  }
  return found.size === wanted.size ? at : undefined;
}
