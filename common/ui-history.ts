/**
 * The recording at a glance, as the UI shows it: names of breakpoints and their hits, the hit lists kept in icount
 * order while batches stream in, paging of long lists, guest output lines, the moments a comparison can start from,
 * the two documents of a comparison (registers, locals, a hex dump of memory), "last write" messages and input.
 * Pure (no vscode, no DOM) so the Recording History view, the commands, the timeline and the unit tests share it.
 */
import type { CompareItem, CompareResult, GuestOutputLine, HistoryHit, LastWriteResult } from './protocol';
import { formatIcount } from './ui-icount';

// ---- breakpoints and hits

/** What a breakpoint is, read from VS Code's breakpoint object (src/ui) or from what its hits say. */
export type BreakpointDescription =
  | { kind: 'source'; path: string; line: number; condition?: string; hitCondition?: string; logMessage?: string }
  | { kind: 'function'; name: string; condition?: string; hitCondition?: string; logMessage?: string }
  | { kind: 'data'; label: string; condition?: string; hitCondition?: string }
  | { kind: 'unknown'; id: number };

export const baseName = (path: string): string => path.replace(/\\/g, '/').split('/').pop() ?? path;

/** The short name of a breakpoint: `prog.c:75`, `fib()`, `icount:1234`, `counter (data)`, `breakpoint #7`. */
export function breakpointName(d: BreakpointDescription): string {
  switch (d.kind) {
    case 'source': return `${baseName(d.path)}:${d.line}`;
    case 'function': return /^\s*icount\s*:/.test(d.name) || /[():*]/.test(d.name) ? d.name.trim() : `${d.name.trim()}()`;
    case 'data': return `${d.label} (data)`;
    case 'unknown': return `breakpoint #${d.id}`;
  }
}

/** What else the breakpoint says: its condition, hit count and log message, ` · ` between them. */
export function breakpointDetail(d: BreakpointDescription): string {
  if (d.kind === 'unknown') return '';
  const parts: string[] = [];
  if (d.condition) parts.push(`if ${d.condition}`);
  if (d.hitCondition) parts.push(`hit count ${d.hitCondition}`);
  if ('logMessage' in d && d.logMessage) parts.push(`logs "${d.logMessage}"`);
  return parts.join(' · ');
}

/** The breakpoint's name when only its hits are known: the place of the first hit. */
export function nameFromHits(id: number, hits: readonly HistoryHit[]): string {
  const first = hits.find((h) => h.source && h.line !== undefined);
  return first?.source && first.line !== undefined ? `${first.source.name}:${first.line}` : breakpointName({ kind: 'unknown', id });
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${formatIcount(n)} ${n === 1 ? one : many}`;

/** Where a hit is: `fib  prog.c:47`, or its pc when there is no symbol. */
export function hitPlace(hit: HistoryHit): string {
  const where = hit.source && hit.line !== undefined ? `${hit.source.name}:${hit.line}` : hit.pc;
  return hit.function ? `${hit.function}  ${where}` : where;
}

/**
 * A hit as the view lists it: `icount 1,234  fib  prog.c:47`; a logpoint's hit leads with its message
 * (`icount 1,234  round 8`), its place in the description (the sidebar is narrow: what matters first).
 */
export function hitLabel(hit: HistoryHit): { label: string; description?: string } {
  const at = `icount ${formatIcount(hit.icount)}`;
  return hit.message !== undefined
    ? { label: `${at}  ${hit.message}`, description: hitPlace(hit) }
    : { label: `${at}  ${hitPlace(hit)}` };
}

/** Hover text of a hit, one fact a line. */
export function hitTooltip(hit: HistoryHit, breakpoint: string): string {
  return [
    `Hit of ${breakpoint} at icount ${formatIcount(hit.icount)}`,
    ...(hit.function ? [`in ${hit.function}()`] : []),
    ...(hit.source && hit.line !== undefined ? [`${hit.source.path}:${hit.line}`] : []),
    `pc ${hit.pc}`,
    ...(hit.message !== undefined ? [`logged: ${hit.message}`] : []),
    'Click to go there.',
  ].join('\n');
}

/** Where a pass over the recording stands. */
export interface PassState {
  running: boolean;
  /** The pass went through its whole range (false: cancelled or failed part-way). */
  complete: boolean;
  /** Why it stopped early, when it failed. */
  error?: string;
  from?: number;
  to?: number;
}

/** A section's title: `Hits of prog.c:75 — 40 hits`. */
export function sectionLabel(name: string, count: number): string {
  return `Hits of ${name} — ${plural(count, 'hit')}`;
}

/** A section's description: the range it covers and whether it is still running or was cut short. */
export function sectionDescription(s: PassState): string {
  const parts: string[] = [];
  if (s.from !== undefined || s.to !== undefined) {
    parts.push(`icount ${s.from === undefined ? 'start' : formatIcount(s.from)} – ${s.to === undefined ? 'end' : formatIcount(s.to)}`);
  }
  if (s.running) parts.push('searching…');
  else if (s.error) parts.push(`stopped: ${s.error}`);
  else if (!s.complete) parts.push('cancelled: the hits found so far');
  return parts.join(' · ');
}

/**
 * Adds a batch of hits to a list kept in icount order, one hit per icount (a hit that comes again — from the
 * request's answer after its events, or from another pass — replaces the one there, keeping a message either had).
 * Batches of one pass come in order, so the usual case appends; anything else is merged. Returns the same array.
 */
export function mergeHits(into: HistoryHit[], more: readonly HistoryHit[]): HistoryHit[] {
  let sorted = true;
  for (const hit of more) {
    const last = into[into.length - 1];
    if (sorted && (!last || hit.icount > last.icount)) {
      into.push(hit);
      continue;
    }
    sorted = false;
    const at = lowerBound(into, hit.icount);
    if (into[at]?.icount === hit.icount) into[at] = { ...hit, message: hit.message ?? into[at].message };
    else into.splice(at, 0, hit);
  }
  return into;
}

/** The first index whose icount is ≥ `icount` in a list sorted by icount. */
export function lowerBound(list: readonly { icount: number }[], icount: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].icount < icount) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- paging long lists

/** Children of a list node per level: lists longer than this are split into pages (and pages of pages). */
export const PAGE_SIZE = 250;

/** Indices [start, end) of a list. */
export interface IndexRange {
  start: number;
  end: number;
}

/**
 * How a node covering [start, end) of a list shows its children: the items themselves when there are at most
 * `pageSize`, else at most `pageSize` pages of equal power-of-`pageSize` size (the last one shorter), so 10,000 hits
 * are 40 pages of 250 and a million are 16 pages of 62,500 with 250 pages of 250 in each.
 */
export function pages(range: IndexRange, pageSize = PAGE_SIZE): IndexRange[] | undefined {
  const n = range.end - range.start;
  if (n <= pageSize) return undefined;
  let size = pageSize;
  while (n > size * pageSize) size *= pageSize;
  const out: IndexRange[] = [];
  for (let s = range.start; s < range.end; s += size) out.push({ start: s, end: Math.min(s + size, range.end) });
  return out;
}

/** A page's label: the icounts it spans, and which items: `icount 1,234 – 5,678 · 251–500`. */
export function pageLabel(list: readonly { icount: number }[], page: IndexRange): string {
  const first = list[page.start]?.icount ?? 0;
  const last = list[page.end - 1]?.icount ?? first;
  return `icount ${formatIcount(first)} – ${formatIcount(last)}`;
}

export function pageDescription(page: IndexRange): string {
  return `${formatIcount(page.start + 1)}–${formatIcount(page.end)}`;
}

// ---- guest output

/** A guest output line for a label: without its line end, control characters shown, never empty. */
export function outputText(line: GuestOutputLine): string {
  // eslint-disable-next-line no-control-regex
  const text = line.text.replace(/\r?\n$/, '').replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/\t/g, '    ');
  return text.trim() === '' ? '(empty line)' : text;
}

export function outputSectionLabel(count: number): string {
  return `Guest Output — ${plural(count, 'line')}`;
}

// ---- "when did this change?"

export type WriteDirection = 'backward' | 'forward';

/** What a found write tells the user: `counter: 5 → 6 at icount 12,345, written by work() at prog.c:75`. */
export function lastWriteSummary(expression: string, r: LastWriteResult, direction: WriteDirection): string {
  if (!r.found) {
    return r.message ?? `No ${direction === 'backward' ? 'earlier' : 'later'} write to ${expression} in the recording.`;
  }
  const values = r.oldValue !== undefined && r.newValue !== undefined ? `: ${r.oldValue} → ${r.newValue}` : r.newValue !== undefined ? `: now ${r.newValue}` : '';
  const at = r.icount !== undefined ? ` at icount ${formatIcount(r.icount)}` : '';
  const where = r.source && r.line !== undefined ? `${r.source.name}:${r.line}` : r.pc;
  const by = r.function ? ` by ${r.function}()${where ? ` at ${where}` : ''}` : where ? ` at ${where}` : '';
  return `${expression}${values}${at}, written${by}.`;
}

/** The expression a Variables/Watch context-menu argument names (its evaluateName, else its name), if any. */
export function expressionOfMenuArgument(arg: unknown): string | undefined {
  const rec = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null ? v as Record<string, unknown> : undefined);
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  if (typeof arg === 'string') return str(arg);
  const a = rec(arg);
  if (!a) return undefined;
  // Variables view and a watch expression's children: { sessionId, container, variable: DebugProtocol.Variable }.
  const variable = rec(a.variable);
  if (variable) return str(variable.evaluateName) ?? str(variable.name);
  // A watch expression itself: its text is its name (and `expression` for callers that pass one).
  return str(a.evaluateName) ?? str(a.expression) ?? str(a.name);
}

// ---- comparing two moments

/** A moment a comparison can start from. */
export interface Moment {
  icount: number;
  label: string;
  description: string;
  kind: 'position' | 'snapshot' | 'hit' | 'stop';
}

export interface MomentSources {
  position?: number;
  snapshots: readonly { name: string; icount: number; kind: string }[];
  sections: readonly { name: string; hits: readonly HistoryHit[] }[];
  stops: readonly { icount: number; reason: string }[];
  /** At most this many hits of each section (the first ones). */
  hitsPerSection?: number;
}

/** The moments to pick from: the position, snapshots, known hits, then the session's stops; one entry per icount and kind. */
export function momentChoices(src: MomentSources): Moment[] {
  const out: Moment[] = [];
  const seen = new Set<string>();
  const add = (m: Moment): void => {
    const key = `${m.kind}:${m.icount}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(m);
  };
  if (src.position !== undefined) add({ icount: src.position, kind: 'position', label: 'The current position', description: `icount ${formatIcount(src.position)}` });
  for (const s of [...src.snapshots].sort((a, b) => a.icount - b.icount)) {
    add({ icount: s.icount, kind: 'snapshot', label: `Snapshot ${s.name}`, description: `icount ${formatIcount(s.icount)} · ${s.kind}` });
  }
  const limit = src.hitsPerSection ?? 500;
  for (const section of src.sections) {
    section.hits.slice(0, limit).forEach((h, i) => add({
      icount: h.icount, kind: 'hit', label: `Hit ${formatIcount(i + 1)} of ${section.name}`,
      description: `icount ${formatIcount(h.icount)} · ${hitPlace(h)}${h.message !== undefined ? ` · ${h.message}` : ''}`,
    }));
  }
  for (const s of [...src.stops].reverse()) {
    add({ icount: s.icount, kind: 'stop', label: `Stop (${s.reason})`, description: `icount ${formatIcount(s.icount)}` });
  }
  return out;
}

/** The optional memory range of a comparison, as typed: `ADDRESS [LENGTH]` (default 64 bytes). */
export type MemoryRangeParse = { ok: true; range?: { address: string; length: number } } | { ok: false; message: string };

export const DEFAULT_MEMORY_LENGTH = 64;
export const MAX_MEMORY_LENGTH = 4096;

/**
 * Reads `0x40001000 64`, `&squares 256`, `&origin, 8`, `squares` (an array's name is its address in C) or nothing
 * (no memory). The address part is anything gdb evaluates to an address; the length a decimal or 0x number.
 */
export function parseMemoryRange(text: string): MemoryRangeParse {
  const t = text.trim();
  if (t === '') return { ok: true };
  const m = /^(.*?)(?:[\s,]+(0x[0-9a-f]+|\d+))?$/i.exec(t);
  const address = m?.[1].trim().replace(/,$/, '').trim() ?? '';
  if (!address) return { ok: false, message: 'Start with an address or an expression for one: 0x40001000 64, &squares 256.' };
  const length = m?.[2] ? Number(m[2]) : DEFAULT_MEMORY_LENGTH;
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_MEMORY_LENGTH) {
    return { ok: false, message: `The length must be 1 to ${formatIcount(MAX_MEMORY_LENGTH)} bytes.` };
  }
  return { ok: true, range: { address, length } };
}

/**
 * The address a memory range starts at, from what gdb says of its expression (a DAP `evaluate` answer): an address
 * value — a pointer's (`0x400906f0 <origin>`, `(struct point *) 0x400906f0`) or a number typed in hex — is where it
 * points; else where the value lives (its `memoryReference`: `origin`, `squares`, `counter`); else a plain decimal
 * number. Undefined when it has none.
 */
export function addressFromEvaluation(result: string, memoryReference?: string): string | undefined {
  const t = result.trim();
  const value = /^(?:\([^()]*\*\)\s*)?(0x[0-9a-f]+)(?:\s+<[^>]*>)?$/i.exec(t);
  if (value) return value[1];
  if (memoryReference && /^0x[0-9a-f]+$/i.test(memoryReference)) return memoryReference;
  if (/^\d+$/.test(t)) return `0x${BigInt(t).toString(16)}`;
  return undefined;
}

/** Printable ASCII of one byte (two hex digits, or `??` when unreadable) for a hex dump's text column. */
const asciiOf = (hex: string): string => {
  if (!/^[0-9a-f]{2}$/i.test(hex)) return '?';
  const c = Number.parseInt(hex, 16);
  return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
};

/**
 * A hex dump, `bytesPerLine` a line: `0x0000000040001000  00 01 02 …  |....|` (offsets `+0x10` when the address is
 * not a number). Unreadable bytes are `??`. Under a line with `changed` offsets, a line of `^^` marks those bytes.
 */
export function hexDump(address: string, bytes: readonly string[], bytesPerLine = 16, changed: readonly number[] = []): string[] {
  const isChanged = new Set(changed);
  const base = /^0x[0-9a-f]+$/i.test(address.trim()) ? BigInt(address.trim()) : undefined;
  const width = base === undefined ? 0 : Math.max(8, (base + BigInt(bytes.length)).toString(16).length);
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += bytesPerLine) {
    const row = bytes.slice(off, off + bytesPerLine).map((b) => (/^[0-9a-f]{2}$/i.test(b) ? b.toLowerCase() : '??'));
    const where = base === undefined ? `+0x${off.toString(16).padStart(4, '0')}` : `0x${(base + BigInt(off)).toString(16).padStart(width, '0')}`;
    const hex = row.map((b, i) => (i === 8 ? ` ${b}` : b)).join(' ').padEnd(bytesPerLine * 3, ' ');
    lines.push(`${where}  ${hex} |${row.map(asciiOf).join('')}|`);
    if (row.some((_, i) => isChanged.has(off + i))) {
      const marks = row.map((_, i) => (isChanged.has(off + i) ? '^^' : '  ')).map((m, i) => (i === 8 ? ` ${m}` : m)).join(' ');
      lines.push(`${' '.repeat(where.length + 2)}${marks}`.trimEnd());
    }
  }
  return lines;
}

/** One side's place: `icount 1,234 — fib() at prog.c:47`. */
function momentHeading(side: CompareResult['a']): string {
  const where = side.source && side.line !== undefined ? ` at ${side.source.name}:${side.line}` : '';
  return `icount ${formatIcount(side.icount)}${side.function ? ` — ${side.function}()${where}` : where ? ` —${where}` : ''}`;
}

function itemLines(items: readonly CompareItem[], side: 'a' | 'b'): string[] {
  const width = Math.max(0, ...items.map((i) => i.name.length));
  return items.map((i) => `${i.name.padEnd(width)}  ${i[side] ?? '(not available)'}`);
}

/** What differs, the same line in both documents (so it is not itself a difference). */
export function compareSummary(r: CompareResult): string {
  const count = (items: readonly CompareItem[]): number => items.filter((i) => i.changed).length;
  const parts = [
    `${formatIcount(count(r.registers))} of ${plural(r.registers.length, 'register')}`,
    `${formatIcount(count(r.locals))} of ${plural(r.locals.length, 'local')}`,
    ...(r.memory ? [`${formatIcount(r.memory.changed.length)} of ${plural(r.memory.a.length, 'byte')}`] : []),
  ];
  return `Differs: ${parts.join(', ')}`;
}

/**
 * The two documents of a comparison, line for line the same layout (so a diff editor marks exactly the lines whose
 * values differ): the moment, what differs, the locals of the chosen frame, the memory as a hex dump, the registers.
 */
export function compareDocuments(r: CompareResult, memoryExpression?: string): { a: string; b: string } {
  const frameLabel = r.a.function && r.a.function === r.b.function ? `${r.a.function}()` : 'the selected frame';
  const doc = (side: 'a' | 'b'): string => {
    // What the user chose to look at first (locals, memory); the registers, a long list, last.
    const lines = [
      `Moment ${side.toUpperCase()}: ${momentHeading(r[side])}`,
      compareSummary(r),
      '',
      `== Locals of ${frameLabel} ==`,
      ...(r.localsNote ? [`(${r.localsNote})`] : []),
      ...(r.locals.length ? itemLines(r.locals, side) : r.localsNote ? [] : ['(none)']),
    ];
    if (r.memory) {
      const what = memoryExpression && memoryExpression !== r.memory.address ? ` (${memoryExpression})` : '';
      lines.push('', `== Memory at ${r.memory.address}${what}, ${plural(r.memory[side].length, 'byte')} ==`,
        ...hexDump(r.memory.address, r.memory[side], 16, r.memory.changed));
    }
    lines.push('', '== Registers ==', ...itemLines(r.registers, side));
    return `${lines.join('\n')}\n`;
  };
  return { a: doc('a'), b: doc('b') };
}
