// LSP features over a checked program: hover, go to definition, find references, document and workspace
// symbols, folding. Pure functions of (program, file, offset) so they are tested without a connection.

import { pathToFileURL } from 'node:url';
import {
  DocumentSymbol, FoldingRange, FoldingRangeKind, Location, MarkupKind, SymbolInformation, SymbolKind,
  type Hover, type Range,
} from 'vscode-languageserver';
import type { DocComment, Span } from './ast';
import { locate } from './locate';
import { mentionAt, mentionsResolving, resolveMention } from './mentions';
import type { Definition, Member, Meta } from './model';
import { BUILTIN_TYPES } from './names';
import type { Program } from './program';
import { KEYWORD_DOCS } from './keywords';
import { atNamesToCode, rstToMarkdown } from './markdown';
import { branchesOfEnumValue, discriminatorEnum } from './resolve';

export function toRange(program: Program, file: string, span: Span): Range {
  const lines = program.modules.get(file)?.parsed.lines;
  if (!lines) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { start: lines.position(span.start), end: lines.position(span.end) };
}

export const fileUri = (file: string): string => pathToFileURL(file).href;

/** What the cursor is on, for navigation. `node` is the name as written there (a quoted string, or a doc mention). */
export type Target =
  | { kind: 'type'; name: string; node: Span }
  | { kind: 'include'; file: string; node: Span }
  | { kind: 'member'; def: Definition; member: Member; node: Span }
  | { kind: 'keyword'; name: string; node: Span };

export function targetAt(program: Program, file: string, offset: number): Target | undefined {
  const mod = program.modules.get(file);
  if (!mod) return undefined;
  // In a doc comment: `@name` and `` `name` `` mentions. A `# @member:` description line is no reference.
  const mention = mentionAt(mod.parsed, offset);
  if (mention) {
    const t = mention.header === 'description' ? undefined : resolveMention(program, mention);
    if (t?.kind === 'type') return { kind: 'type', name: t.name, node: t.span };
    if (t?.kind === 'member') return { kind: 'member', def: t.def, member: t.member, node: t.span };
    return undefined;
  }
  const loc = locate(mod.parsed, offset);
  const s = loc?.string;
  if (!loc || !s) return undefined;
  if (loc.keys[0] === 'include' && loc.keys.length === 1) {
    const inc = mod.includes.find((i) => i.node === s);
    return inc ? { kind: 'include', file: inc.target, node: s } : undefined;
  }
  const def = program.definitions.find((d) => d.expr === loc.expr);
  if (def?.nameNode === s) return { kind: 'type', name: def.name, node: s };
  if (program.references.get(s.value)?.some((r) => r.node === s)) return { kind: 'type', name: s.value, node: s };
  if (def) {
    // A union's branch is named after a value of its discriminator's enum: it stands for that value.
    const branch = def.meta === 'union' && loc.isKey ? def.branches.find((b) => b.node === s) : undefined;
    const enumDef = branch && discriminatorEnum(program, def);
    const value = enumDef?.members.find((v) => v.name === branch!.name);
    if (enumDef && value) return { kind: 'member', def: enumDef, member: value, node: s };
    const member = [...def.members, ...def.branches].find((m) => m.node === s);
    if (member) return { kind: 'member', def, member, node: s };
  }
  if (loc.isKey && KEYWORD_DOCS.has(s.value)) return { kind: 'keyword', name: s.value, node: s };
  return undefined;
}

/** The doc comment as Markdown: body, members, features, then tagged sections (examples verbatim). */
export function docMarkdown(doc: DocComment | undefined, membersTitle = 'Members'): string {
  if (!doc) return '';
  const parts: string[] = [];
  if (doc.body.text.trim()) parts.push(rstToMarkdown(doc.body.text.trim()));
  const list = (title: string, entries: Map<string, { text: string }>): void => {
    if (!entries.size) return;
    parts.push(`**${title}**\n\n` + [...entries].map(([n, s]) => `- \`${n}\`: ${atNamesToCode(s.text.trim().replace(/\n\s*/g, ' '))}`).join('\n'));
  };
  list(membersTitle, doc.args);
  list('Features', doc.features);
  for (const s of doc.sections) {
    const text = s.text.trim();
    if (/^Examples?$/.test(s.name)) parts.push(`**${s.name}**\n\n\`\`\`\n${s.text}\n\`\`\``);
    // A one-line section reads inline ("Since: 2.5"); a list (Errors:) or paragraphs go below the title.
    else if (s.name) parts.push(text.includes('\n') || /^[-*] /.test(text) ? `**${s.name}:**\n\n${rstToMarkdown(text)}` : `**${s.name}:** ${rstToMarkdown(text)}`);
    else parts.push(rstToMarkdown(text));
  }
  return parts.join('\n\n');
}

const MEMBERS_TITLE: Record<Meta, string> = {
  enum: 'Values', struct: 'Members', union: 'Members', alternate: 'Branches', command: 'Arguments', event: 'Data',
};

export function hover(program: Program, file: string, offset: number): Hover | null {
  const t = targetAt(program, file, offset);
  if (!t) return null;
  let value: string;
  if (t.kind === 'type') {
    const def = program.byName.get(t.name);
    if (def) {
      value = `\`\`\`qapi\n${def.meta} ${def.name}\n\`\`\`\n\n${docMarkdown(def.doc, MEMBERS_TITLE[def.meta])}`;
    } else if (BUILTIN_TYPES.has(t.name)) {
      value = `\`\`\`qapi\nbuilt-in ${t.name}\n\`\`\`\n\n${BUILTIN_TYPES.get(t.name)!}`;
    } else {
      return null;
    }
  } else if (t.kind === 'member') {
    const section = t.def.doc?.args.get(t.member.name);
    const role = t.def.meta === 'enum' ? 'value' : t.def.meta === 'command' ? 'argument'
      : t.def.branches.includes(t.member) ? 'branch' : 'member';
    const what = `${role} of ${t.def.meta} ${t.def.name}`;
    value = `\`\`\`qapi\n${t.def.name}.${t.member.name}\n\`\`\`\n\n${what}` + (section ? `\n\n${rstToMarkdown(section.text)}` : '');
  } else if (t.kind === 'keyword') {
    value = `\`'${t.name}'\`: ${KEYWORD_DOCS.get(t.name)!}`;
  } else {
    value = `include \`${t.file}\``;
  }
  return { contents: { kind: MarkupKind.Markdown, value }, range: toRange(program, file, t.node) };
}

export function definition(program: Program, file: string, offset: number): Location | null {
  const t = targetAt(program, file, offset);
  if (!t) return null;
  if (t.kind === 'include') return Location.create(fileUri(t.file), { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  if (t.kind === 'member') return Location.create(fileUri(t.def.file), toRange(program, t.def.file, t.member.node));
  if (t.kind !== 'type') return null;
  const def = program.byName.get(t.name);
  return def ? Location.create(fileUri(def.file), toRange(program, def.file, def.nameNode)) : null;
}

/** Where a type or member is used: type references, union branches named after an enum value, doc mentions. */
export function references(program: Program, file: string, offset: number, includeDeclaration: boolean): Location[] {
  const t = targetAt(program, file, offset);
  const out: Location[] = [];
  const push = (f: string, span: Span): void => { out.push(Location.create(fileUri(f), toRange(program, f, span))); };
  if (t?.kind === 'type') {
    const def = program.byName.get(t.name);
    if (def && includeDeclaration) push(def.file, def.nameNode);
    for (const r of program.references.get(t.name) ?? []) push(r.file, r.node);
    // Mentions in doc comments, but not the `# @NAME:` line that opens the definition's own doc comment.
    for (const m of mentionsResolving(program, (x, mention) => x.kind === 'type' && x.name === t.name && mention.header !== 'symbol')) push(m.file, m.span);
  } else if (t?.kind === 'member') {
    if (includeDeclaration) push(t.def.file, t.member.node);
    if (t.def.meta === 'enum') for (const b of branchesOfEnumValue(program, t.def, t.member.name)) push(b.union.file, b.branch.node);
    for (const m of mentionsResolving(program, (x, mention) => x.kind === 'member' && x.member === t.member && mention.header !== 'description')) {
      push(m.file, m.span);
    }
  }
  return out;
}

const SYMBOL_KIND: Record<Meta, SymbolKind> = {
  enum: SymbolKind.Enum, struct: SymbolKind.Struct, union: SymbolKind.Class, alternate: SymbolKind.TypeParameter,
  command: SymbolKind.Function, event: SymbolKind.Event,
};

export function documentSymbols(program: Program, file: string): DocumentSymbol[] {
  return program.definitions.filter((d) => d.file === file).map((def) => {
    const children = [...def.members, ...def.branches].map((m) => DocumentSymbol.create(
      m.name, m.type ? (m.type.array ? `[${m.type.name}]` : m.type.name) : undefined,
      def.meta === 'enum' ? SymbolKind.EnumMember : SymbolKind.Field,
      toRange(program, file, m.node), toRange(program, file, m.node)));
    const range = toRange(program, file, { start: def.doc?.start ?? def.expr.start, end: def.expr.end });
    return DocumentSymbol.create(def.name, def.meta, SYMBOL_KIND[def.meta], range, toRange(program, file, def.nameNode), children);
  });
}

/** Case-insensitive subsequence match, as editors' symbol pickers do. */
function matches(query: string, name: string): boolean {
  const q = query.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  for (const ch of n) if (i < q.length && ch === q[i]) i++;
  return i === q.length;
}

export function workspaceSymbols(programs: Program[], query: string, limit = 10_000): SymbolInformation[] {
  const seen = new Set<string>();
  const out: SymbolInformation[] = [];
  for (const program of programs) {
    for (const def of program.definitions) {
      const key = `${def.file}\0${def.name}`;
      if (seen.has(key) || !matches(query, def.name)) continue;
      seen.add(key);
      out.push(SymbolInformation.create(def.name, SYMBOL_KIND[def.meta], toRange(program, def.file, def.nameNode), fileUri(def.file)));
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export function foldingRanges(program: Program, file: string): FoldingRange[] {
  const mod = program.modules.get(file);
  if (!mod) return [];
  const lines = mod.parsed.lines;
  const out: FoldingRange[] = [];
  for (const doc of mod.parsed.docs) {
    const start = lines.position(doc.start).line;
    const end = lines.position(doc.end).line;
    if (end > start) out.push(FoldingRange.create(start, end, undefined, undefined, FoldingRangeKind.Comment));
  }
  for (const expr of mod.parsed.exprs) {
    const start = lines.position(expr.start).line;
    const end = lines.position(expr.end).line;
    if (end > start) out.push(FoldingRange.create(start, end, undefined, undefined, FoldingRangeKind.Region));
  }
  return out;
}
