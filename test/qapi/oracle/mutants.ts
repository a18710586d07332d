// Mutants of real schemas for the differential test: small, seeded, reproducible edits of the kind a person makes
// (drop or duplicate a member, misspell a type, break a doc line's indentation, add an undocumented feature, drop a
// brace…). differential.test.ts makes them, has QEMU's checker decide them (check.py) and compares the server's verdicts.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const upstream = path.join(repoRoot, 'test', 'fixtures', 'qemu-master');

export interface Base {
  /** Where the schema lives: the server and QEMU's checker both read its includes beside it. */
  readonly file: string;
  readonly count: number;
}

/** Schemas that QEMU's checker accepts, each mutated `count` times. */
export const BASES: readonly Base[] = [
  { file: path.join(upstream, 'qga', 'qapi-schema.json'), count: 700 },
  { file: path.join(upstream, 'tests', 'qapi-schema', 'qapi-schema-test.json'), count: 600 },
  { file: path.join(upstream, 'tests', 'qapi-schema', 'doc-good.json'), count: 400 },
  { file: path.join(repoRoot, 'test', 'qapi', 'fixtures', 'xref', 'replay.qapi'), count: 300 },
];

export const SEED = 20260214;

export interface Mutant {
  readonly id: string;
  readonly base: Base;
  readonly op: string;
  readonly text: string;
  /** Identifies the text: the recorded verdicts say which mutant they are about. */
  readonly hash: string;
}

/** mulberry32: a small seeded generator, the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T | undefined => (items.length ? items[Math.floor(rng() * items.length)] : undefined);

/** Every match of a regular expression (global) with its offset. */
function matches(text: string, re: RegExp): RegExpExecArray[] {
  return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))];
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Offsets of the lines inside `##` doc blocks. */
function docLines(text: string): { start: number; line: string }[] {
  const out: { start: number; line: string }[] = [];
  let inDoc = false;
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line === '##') inDoc = !inDoc;
    else if (inDoc) out.push({ start: offset, line });
    offset += line.length + 1;
  }
  return out;
}

type Operator = (text: string, rng: Rng) => string | undefined;

const OPERATORS: Record<string, Operator> = {
  'drop-member': (text, rng) => {
    const m = pick(rng, matches(text, /'\*?[a-z][a-z0-9_-]*'\s*:\s*(?:'[^'\n]*'|\[ *'[^'\n]*' *\])\s*,\s*/));
    return m && splice(text, m.index, m.index + m[0].length, '');
  },
  'duplicate-member': (text, rng) => {
    const m = pick(rng, matches(text, /'\*?[a-z][a-z0-9_-]*'\s*:\s*'[^'\n]*'\s*,\s*/));
    return m && splice(text, m.index, m.index, m[0]);
  },
  'misspell-type': (text, rng) => {
    const m = pick(rng, matches(text, /:\s*\[?\s*'([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)'/));
    if (!m) return undefined;
    const at = m.index + m[0].lastIndexOf(m[1]) + Math.floor(rng() * m[1].length);
    return splice(text, at, at + 1, text[at] === 'x' ? 'y' : 'x');
  },
  'rename-definition': (text, rng) => {
    const m = pick(rng, matches(text, /^\{ *'(?:struct|enum|union|alternate|command|event)' *: *'([^']+)'/m));
    return m && splice(text, m.index + m[0].length - 1, m.index + m[0].length - 1, 'Two');
  },
  'doc-deindent': (text, rng) => {
    const l = pick(rng, docLines(text).filter((d) => /^# {3,}\S/.test(d.line)));
    return l && splice(text, l.start + 2, l.start + 2 + l.line.slice(2).search(/\S/) - 1, '');
  },
  'doc-drop-line': (text, rng) => {
    const l = pick(rng, docLines(text).filter((d) => d.line.trim() !== '#'));
    return l && splice(text, l.start, l.start + l.line.length + 1, '');
  },
  'doc-long-line': (text, rng) => {
    const l = pick(rng, docLines(text).filter((d) => /^# [A-Za-z@]/.test(d.line) && d.line.length < 60));
    return l && splice(text, l.start + l.line.length, l.start + l.line.length, ' and this line goes on for a good while longer than before');
  },
  'doc-one-space': (text, rng) => {
    const m = pick(rng, matches(text, /^#.*[.!?] {2}[A-Z(]/m));
    if (!m) return undefined;
    const at = m.index + m[0].length - 2;
    return splice(text, at, at + 1, '');
  },
  'doc-errors-section': (text, rng) => {
    const l = pick(rng, docLines(text).filter((d) => d.line.startsWith('# Since:')));
    return l && splice(text, l.start, l.start, '# Errors: something went wrong\n#\n');
  },
  'add-feature': (text, rng) => {
    const m = pick(rng, matches(text, /^\{ *'(?:struct|enum|union|alternate|command|event)' *: *'[^']+' *,/m));
    return m && splice(text, m.index + m[0].length, m.index + m[0].length, " 'features': [ 'x-mutated' ],");
  },
  'bad-condition': (text, rng) => {
    const m = pick(rng, matches(text, /^\{ *'(?:struct|enum|union|alternate|command|event)' *: *'[^']+' *,/m));
    return m && splice(text, m.index + m[0].length, m.index + m[0].length, ` 'if': '${pick(rng, ['lower_case', 'CONFIG_OK', ''])!}',`);
  },
  'swap-meta': (text, rng) => {
    const m = pick(rng, matches(text, /^\{ *'(struct|enum|union|alternate|command|event)'/m));
    if (!m) return undefined;
    const other = pick(rng, ['struct', 'enum', 'union', 'alternate', 'command', 'event'].filter((x) => x !== m[1]))!;
    const at = m.index + m[0].indexOf(m[1]);
    return splice(text, at, at + m[1].length, other);
  },
  'uppercase-member': (text, rng) => {
    const m = pick(rng, matches(text, /'\*?([a-z][a-z0-9-]*)'\s*:/));
    if (!m) return undefined;
    const at = m.index + m[0].indexOf(m[1]);
    return splice(text, at, at + 1, m[1][0].toUpperCase());
  },
  'drop-punctuation': (text, rng) => {
    // Outside comments: a brace, bracket, comma or colon of an expression.
    const code = matches(text, /^[^#\n]*[{}[\],:][^#\n]*$/m);
    const line = pick(rng, code);
    if (!line) return undefined;
    const offsets = [...line[0]].flatMap((c, i) => ('{}[],:'.includes(c) && !inString(line[0], i) ? [i] : []));
    const at = pick(rng, offsets);
    return at === undefined ? undefined : splice(text, line.index + at, line.index + at + 1, '');
  },
  'drop-enum-value': (text, rng) => {
    const m = pick(rng, matches(text, /^\{ *'enum'[^}]*?'data' *: *\[ *('[a-z0-9-]+' *, *)/m));
    if (!m) return undefined;
    const at = m.index + m[0].length - m[1].length;
    return splice(text, at, at + m[1].length, '');
  },
};

function inString(line: string, index: number): boolean {
  let quotes = 0;
  for (let i = 0; i < index; i++) if (line[i] === "'") quotes++;
  return quotes % 2 === 1;
}

export const OPERATOR_NAMES = Object.keys(OPERATORS);

/** The mutants of every base, in a fixed order: the same list on every run and machine. */
export function generateMutants(seed = SEED): Mutant[] {
  const out: Mutant[] = [];
  BASES.forEach((base, b) => {
    const text = readFileSync(base.file, 'utf8');
    const rng = random(seed + b);
    const seen = new Set<string>();
    let attempts = 0;
    while (seen.size < base.count && attempts++ < base.count * 20) {
      const op = OPERATOR_NAMES[Math.floor(rng() * OPERATOR_NAMES.length)];
      const mutated = OPERATORS[op](text, rng);
      if (mutated === undefined || mutated === text || seen.has(mutated)) continue;
      seen.add(mutated);
      const hash = createHash('sha1').update(mutated).digest('hex').slice(0, 10);
      out.push({ id: `${path.basename(base.file)}#${seen.size}`, base, op, text: mutated, hash });
    }
  });
  return out;
}
