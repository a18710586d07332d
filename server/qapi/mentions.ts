// Names mentioned in doc comments, and what they stand for. Two kinds:
//
// - `@name`: QAPI's own markup. On a doc comment's first line (`# @NAME:`) it names the definition documented; at
//   the start of a description (`# @member:`) the member described; in text a member of the definition documented
//   (`@icount` in replay-seek's doc) or, as QEMU 7.2's docs also do, another definition (`@ReplayInfo`).
// - `` `name` ``: today's cross-references, rendered as links by QEMU's Sphinx extension: a definition
//   (`` `replay-break` ``) or a member of one (`` `ReplayMode.play` ``). Double backquotes (``literal``) and other
//   rST roles are not cross-references.
//
// Mentions are scanned once per parsed file (cached with it); what they stand for depends on the whole program.

import type { DocComment, Span } from './ast';
import type { Definition, Member } from './model';
import { BUILTIN_TYPES } from './names';
import type { ParsedFile } from './parser';
import type { Program } from './program';

export interface Mention extends Span {
  readonly kind: 'at' | 'tick';
  readonly doc: DocComment;
  /** The name as written (start/end span it, without `@` or backquotes). */
  readonly text: string;
  /** `# @NAME:` on the first line, or `# @name:` starting a member or feature description. */
  readonly header: 'symbol' | 'description' | undefined;
}

/** A mention resolved: a definition or built-in type, or a member (enum value, struct member…) of a definition. */
export type MentionTarget =
  | { readonly kind: 'type'; readonly name: string; readonly span: Span }
  | { readonly kind: 'member'; readonly def: Definition; readonly member: Member; readonly span: Span };

const AT_NAME = /(?<![\w@`.])@([A-Za-z_][A-Za-z0-9_.-]*)/g;
const TICK_NAME = /(?<![`\w:])`([A-Za-z_][A-Za-z0-9_.-]*)`(?![`\w])/g;

const scanned = new WeakMap<ParsedFile, Mention[]>();

/** Every `@name` and `` `name` `` in the file's doc comments, in file order. */
export function mentionsOf(parsed: ParsedFile): Mention[] {
  let list = scanned.get(parsed);
  if (list) return list;
  list = [];
  const text = parsed.text;
  for (const doc of parsed.docs) {
    const block = text.slice(doc.start, doc.end);
    if (!block.includes('@') && !block.includes('`')) continue;
    for (const lineStart of doc.lineStarts) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd === -1 || lineEnd > doc.end) lineEnd = doc.end;
      const line = text.slice(lineStart, lineEnd);
      for (const m of line.matchAll(AT_NAME)) {
        const name = m[1].replace(/[.-]+$/, '');   // "see @Foo." ends a sentence
        const start = lineStart + m.index + 1;
        const atLineHead = m.index === 2 && line.startsWith('# @') && line[2 + 1 + name.length] === ':';
        const header = atLineHead ? (doc.symbolSpan?.start === start ? 'symbol' : 'description') : undefined;
        list.push({ kind: 'at', doc, text: name, start, end: start + name.length, header });
      }
      for (const m of line.matchAll(TICK_NAME)) {
        const name = m[1].replace(/[.-]+$/, '');
        const start = lineStart + m.index + 1;
        list.push({ kind: 'tick', doc, text: name, start, end: start + name.length, header: undefined });
      }
    }
  }
  list.sort((a, b) => a.start - b.start);
  scanned.set(parsed, list);
  return list;
}

/** The mention under an offset (on its name, or on its `@` or opening backquote). */
export function mentionAt(parsed: ParsedFile, offset: number): Mention | undefined {
  const list = mentionsOf(parsed);
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = list[mid];
    if (offset < m.start - 1) hi = mid - 1;
    else if (offset > m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

const documented = new WeakMap<Program, Map<DocComment, Definition>>();

/** The definition a doc comment documents, if any. */
export function definitionOfDoc(program: Program, doc: DocComment): Definition | undefined {
  let map = documented.get(program);
  if (!map) {
    map = new Map();
    for (const def of program.definitions) if (def.doc) map.set(def.doc, def);
    documented.set(program, map);
  }
  return map.get(doc);
}

/** The members a `Type.member` or `@member` mention can name: enum values, members, branches. */
export function namedMembers(def: Definition): Member[] {
  return def.meta === 'alternate' || def.meta === 'union' ? [...def.members, ...def.branches] : def.members;
}

export function resolveMention(program: Program, m: Mention): MentionTarget | undefined {
  const typeTarget = (name: string, span: Span): MentionTarget | undefined =>
    program.byName.has(name) || BUILTIN_TYPES.has(name) ? { kind: 'type', name, span } : undefined;
  if (m.kind === 'tick') {
    const whole = typeTarget(m.text, m);
    if (whole) return whole;
    const dot = m.text.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const def = program.byName.get(m.text.slice(0, dot));
    const member = def && namedMembers(def).find((x) => x.name === m.text.slice(dot + 1));
    return def && member ? { kind: 'member', def, member, span: { start: m.start + dot + 1, end: m.end } } : undefined;
  }
  if (m.header === 'symbol') return typeTarget(m.text, m);
  const own = definitionOfDoc(program, m.doc);
  const member = own && namedMembers(own).find((x) => x.name === m.text);
  if (own && member) return { kind: 'member', def: own, member, span: m };
  if (m.header === 'description') return undefined;   // a feature, or a member that does not exist
  return typeTarget(m.text, m);
}

/** Every mention in the program that resolves to what `accept` picks, with its file. */
export function mentionsResolving(program: Program, accept: (t: MentionTarget, m: Mention) => boolean): { file: string; span: Span; mention: Mention }[] {
  const out: { file: string; span: Span; mention: Mention }[] = [];
  for (const mod of program.modules.values()) {
    for (const m of mentionsOf(mod.parsed)) {
      const t = resolveMention(program, m);
      if (t && accept(t, m)) out.push({ file: mod.file, span: t.span, mention: m });
    }
  }
  return out;
}
