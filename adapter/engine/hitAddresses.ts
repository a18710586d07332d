/**
 * The instruction addresses of code breakpoints, with what a hit at each reports (function, file, line: gdb's own
 * resolution of the location), for passes that watch addresses instead of stopping in gdb (hitsByPlugin.ts).
 */
import type { Gdb } from '../gdb/gdb';
import type { MiFrame } from '../gdb/mi';
import { breakList, type MiCodePlace } from '../gdb/mi-breakpoints';

/** What a hit at an address is: the breakpoint (gdb's number), its place, its condition if it has one. */
export interface CodePlace {
  gdbBreakpoint: string;
  frame: MiFrame;
  condition?: string;
}

/** Address → the breakpoints there (two logpoints may share an instruction). */
export type CodeAddresses = Map<bigint, CodePlace[]>;

/** Every enabled location of gdb's breakpoints `numbers`; undefined when one is not on code (a watchpoint) or unknown. */
export async function codeAddresses(gdb: Gdb, numbers: readonly string[]): Promise<CodeAddresses | undefined> {
  const wanted = new Set(numbers);
  const found = new Set<string>();
  const at: CodeAddresses = new Map();
  for (const bkpt of await breakList(gdb)) {
    const number = bkpt.number ?? '';
    if (!wanted.has(number)) continue;
    found.add(number);
    if (bkpt.type !== 'breakpoint' && bkpt.type !== 'hw breakpoint') return undefined;
    const places: MiCodePlace[] = bkpt.locations.length ? bkpt.locations.filter((l) => l.enabled !== 'n') : [bkpt];
    for (const p of places) {
      if (!p.addr?.startsWith('0x')) continue;
      const place: CodePlace = { gdbBreakpoint: number, frame: { addr: p.addr, func: p.func, file: p.file, fullname: p.fullname, line: p.line },
        ...(bkpt.cond ? { condition: bkpt.cond } : {}) };
      const there = at.get(BigInt(p.addr));
      if (there) there.push(place);
      else at.set(BigInt(p.addr), [place]);
    }
  }
  return found.size === wanted.size ? at : undefined;
}
