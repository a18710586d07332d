/**
 * A parser for gdb/MI output records (GDB manual, "GDB/MI Output Syntax"). One line in, one typed record out.
 * Foreign input: anything malformed raises MiParseError, never anything else.
 */

export type MiValue = string | MiTuple | MiValue[];
export interface MiTuple {
  [name: string]: MiValue;
}

export type MiRecord =
  | { kind: 'result'; token?: number; resultClass: string; results: MiTuple }
  | { kind: 'exec' | 'status' | 'notify'; token?: number; asyncClass: string; results: MiTuple }
  | { kind: 'console' | 'target' | 'log'; text: string }
  | { kind: 'prompt' };

export class MiParseError extends Error {
  constructor(message: string, readonly line: string, readonly offset: number) {
    super(`${message} at column ${offset + 1} of gdb/MI line: ${line.slice(0, 200)}`);
    this.name = 'MiParseError';
  }
}

/** Deepest tuple/list nesting accepted: gdb nests a few levels; far deeper input would overflow the stack. */
export const MAX_MI_NESTING = 512;

const ASYNC_KINDS: Record<string, 'exec' | 'status' | 'notify'> = { '*': 'exec', '+': 'status', '=': 'notify' };
const STREAM_KINDS: Record<string, 'console' | 'target' | 'log'> = { '~': 'console', '@': 'target', '&': 'log' };

export function parseMiLine(line: string): MiRecord {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (/^\(gdb\)\s*$/.test(text)) return { kind: 'prompt' };
  const p = new Cursor(text);
  const tokenText = p.match(/^\d+/);
  const token = tokenText === undefined ? undefined : Number(tokenText);
  const marker = p.next();
  if (marker === '^') {
    const resultClass = p.word();
    return { kind: 'result', token, resultClass, results: p.resultsToEnd() };
  }
  if (marker in ASYNC_KINDS) {
    const asyncClass = p.word();
    return { kind: ASYNC_KINDS[marker], token, asyncClass, results: p.resultsToEnd() };
  }
  if (marker in STREAM_KINDS && token === undefined) {
    const value = p.cString();
    p.end();
    return { kind: STREAM_KINDS[marker], text: value };
  }
  throw p.error(`unexpected record marker ${JSON.stringify(marker)}`, 1);
}

class Cursor {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  /** `back`: how many characters already consumed belong to the mistake, so the column points at it. */
  error(message: string, back = 0): MiParseError {
    return new MiParseError(message, this.s, this.pos - back);
  }

  match(re: RegExp): string | undefined {
    const m = re.exec(this.s.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  next(): string {
    if (this.pos >= this.s.length) throw this.error('unexpected end of line');
    return this.s[this.pos++];
  }

  word(): string {
    const w = this.match(/^[a-zA-Z_][\w-]*/);
    if (w === undefined) throw this.error('expected a name');
    return w;
  }

  end(): void {
    if (this.pos !== this.s.length) throw this.error('unexpected text after the record');
  }

  resultsToEnd(): MiTuple {
    const results: MiTuple = {};
    while (this.pos < this.s.length) {
      if (this.next() !== ',') throw this.error('expected ","', 1);
      const [name, value] = this.result();
      addResult(results, name, value);
    }
    return results;
  }

  private result(): [string, MiValue] {
    const name = this.word();
    if (this.next() !== '=') throw this.error('expected "="', 1);
    return [name, this.value()];
  }

  private value(): MiValue {
    const c = this.s[this.pos];
    if (c === '"') return this.cString();
    if (c === '{') return this.tuple();
    if (c === '[') return this.list();
    throw this.error('expected a value');
  }

  private enter(): void {
    if (++this.depth > MAX_MI_NESTING) throw this.error(`values nested deeper than ${MAX_MI_NESTING} levels`);
  }

  private tuple(): MiTuple {
    this.enter();
    this.pos++; // {
    const out: MiTuple = {};
    if (this.s[this.pos] === '}') { this.pos++; this.depth--; return out; }
    for (;;) {
      const [name, value] = this.result();
      addResult(out, name, value);
      const c = this.next();
      if (c === '}') { this.depth--; return out; }
      if (c !== ',') throw this.error('expected "," or "}"', 1);
    }
  }

  /** A list holds values or results; gdb emits `[frame={...},frame={...}]`: keep the values in order. */
  private list(): MiValue[] {
    this.enter();
    this.pos++; // [
    const out: MiValue[] = [];
    if (this.s[this.pos] === ']') { this.pos++; this.depth--; return out; }
    for (;;) {
      const c = this.s[this.pos];
      if (c === '"' || c === '{' || c === '[') out.push(this.value());
      else out.push(this.result()[1]);
      const d = this.next();
      if (d === ']') { this.depth--; return out; }
      if (d !== ',') throw this.error('expected "," or "]"', 1);
    }
  }

  /** A C string: gdb escapes \\ \" \n \t \r \e and octal \NNN (bytes of UTF-8 text). */
  cString(): string {
    if (this.next() !== '"') throw this.error('expected a string', 1);
    const bytes: number[] = [];
    for (;;) {
      if (this.pos >= this.s.length) throw this.error('unterminated string');
      const c = this.s[this.pos++];
      if (c === '"') break;
      if (c !== '\\') {
        const cp = this.s.codePointAt(this.pos - 1) ?? 0;
        if (cp > 0xffff) this.pos++; // the second half of a surrogate pair
        pushUtf8(bytes, String.fromCodePoint(cp));
        continue;
      }
      const e = this.next();
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, e: 27, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39 };
      if (e in simple) bytes.push(simple[e]);
      else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.s[this.pos] ?? '')) digits += this.s[this.pos++];
        bytes.push(parseInt(digits, 8) & 0xff);
      } else throw this.error(`invalid escape \\${e}`, 2);
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

function pushUtf8(bytes: number[], c: string): void {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x80) bytes.push(code);
  else for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
}

/**
 * Repeated names (gdb does this in some tuples) become arrays rather than overwriting each other. Names are data:
 * `__proto__`, `toString`… must become own properties, never reach the prototype.
 */
function addResult(target: MiTuple, name: string, value: MiValue): void {
  if (!Object.hasOwn(target, name)) {
    setOwn(target, name, value);
    return;
  }
  const prev = target[name];
  setOwn(target, name, Array.isArray(prev) && (prev as MiValue & { repeated?: true }).repeated ? markRepeated([...prev, value]) : markRepeated([prev, value]));
}

function setOwn(target: MiTuple, name: string, value: MiValue): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function markRepeated(list: MiValue[]): MiValue[] {
  Object.defineProperty(list, 'repeated', { value: true, enumerable: false });
  return list;
}

/** Typed accessors for parsed MI values. */
export function miString(v: MiValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function miTuple(v: MiValue | undefined): MiTuple | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
export function miList(v: MiValue | undefined): MiValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
