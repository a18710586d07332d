// Completion: type names where a type reference goes, the keys the surrounding expression accepts where a key
// goes, and definition skeletons between expressions. Works on the partial tree the parser keeps for an
// expression that is still being typed.

import path from 'node:path';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Range } from 'vscode-languageserver';
import type { QObject, QValue } from './ast';
import { locate } from './locate';
import { METAS, metaOf, type Definition, type Meta } from './model';
import { BUILTIN_TYPES } from './names';
import type { Program } from './program';
import { KEYWORD_DOCS, KEYS_BY_META, PRAGMAS } from './keywords';
import { baseMembersOf, discriminatorEnum } from './resolve';

const SNIPPETS: [string, string][] = [
  ['struct', "{ 'struct': '${1:Name}',\n  'data': { '${2:member}': '${3:str}' } }"],
  ['enum', "{ 'enum': '${1:Name}',\n  'data': [ '${2:value}' ] }"],
  ['union', "{ 'union': '${1:Name}',\n  'base': { '${2:type}': '${3:Enum}' },\n  'discriminator': '${2:type}',\n  'data': { '${4:value}': '${5:Struct}' } }"],
  ['alternate', "{ 'alternate': '${1:Name}',\n  'data': { '${2:branch}': '${3:str}' } }"],
  ['command', "{ 'command': '${1:name}',\n  'data': { '${2:arg}': '${3:str}' },\n  'returns': '${4:Type}' }"],
  ['event', "{ 'event': '${1:NAME}',\n  'data': { '${2:member}': '${3:str}' } }"],
  ['include', "{ 'include': '${1:file.json}' }"],
  ['doc', '##\n# @${1:Name}:\n#\n# ${2:Description}\n#\n# Since: ${3:10.0}\n##'],
];

function isTypePosition(meta: Meta | undefined, keys: string[]): boolean {
  if (!meta || meta === 'enum') return false;
  const [first, , third] = keys;
  if (keys.length === 1) return first === 'base' || first === 'returns' || (first === 'data' && (meta === 'command' || meta === 'event'));
  if (first !== 'data' && first !== 'base') return false;
  return keys.length === 2 || (keys.length === 3 && third === 'type');
}

function keysFor(meta: Meta | undefined, keys: string[], object: QObject | undefined, program: Program): readonly string[] {
  if (keys.length === 0) return meta ? KEYS_BY_META[meta] : [...METAS, 'include', 'pragma'];
  const [first] = keys;
  if (keys.includes('if')) return ['all', 'any', 'not'];
  if (first === 'pragma') return program.dialect.id === 'upstream' ? [...PRAGMAS, 'documentation-exceptions'] : PRAGMAS;
  if (first === 'features' || (meta === 'enum' && first === 'data')) {
    return meta === 'enum' && first === 'data' ? ['name', 'if', 'features'] : ['name', 'if'];
  }
  if ((first === 'data' || first === 'base') && keys.length === 2 && object) return ['type', 'if', 'features'];
  return [];
}

function typeItems(program: Program, range: Range | undefined, quote: string): CompletionItem[] {
  const item = (name: string, kind: CompletionItemKind, detail: string, doc?: string): CompletionItem => ({
    label: name, kind, detail,
    documentation: doc ? { kind: MarkupKind.Markdown, value: doc } : undefined,
    ...(range ? { textEdit: { range, newText: name } } : { insertText: `${quote}${name}${quote}` }),
  });
  const items = [...BUILTIN_TYPES].map(([n, d]) => ({ ...item(n, CompletionItemKind.Keyword, 'built-in type', d), sortText: `1${n}` }));
  for (const def of program.definitions) {
    if (def.meta === 'command' || def.meta === 'event' || program.byName.get(def.name) !== def) continue;
    const kind = def.meta === 'enum' ? CompletionItemKind.Enum : def.meta === 'struct' ? CompletionItemKind.Struct : CompletionItemKind.Class;
    items.push({ ...item(def.name, kind, `${def.meta} (${path.basename(def.file)})`, def.doc?.body.text.split('\n\n')[0]), sortText: `0${def.name}` });
  }
  return items;
}

function plainItems(names: Iterable<string>, kind: CompletionItemKind, detail: string, range: Range | undefined): CompletionItem[] {
  return [...names].map((name) => ({ label: name, kind, detail, ...(range ? { textEdit: { range, newText: name } } : {}) }));
}

/** Branch names a union may have: the values of its discriminator's enum. */
function discriminatorValues(program: Program, union: Definition): string[] {
  return discriminatorEnum(program, union)?.members.map((v) => v.name) ?? [];
}

/** The condition macros the schema already uses, for 'if' values. */
function conditionsIn(program: Program): Set<string> {
  const names = new Set<string>();
  const walk = (v: QValue | undefined, underIf: boolean): void => {
    if (!v) return;
    if (v.kind === 'string' && underIf) names.add(v.value);
    else if (v.kind === 'array') for (const item of v.items) walk(item, underIf);
    else if (v.kind === 'object') for (const m of v.members) walk(m.value, underIf || m.key.value === 'if');
  };
  for (const mod of program.modules.values()) for (const e of mod.parsed.exprs) walk(e.value, false);
  return names;
}

export function complete(program: Program, file: string, offset: number): CompletionItem[] {
  const mod = program.modules.get(file);
  if (!mod) return [];
  const { parsed } = mod;
  const loc = locate(parsed, offset);
  if (!loc) {
    return SNIPPETS.map(([label, body]) => ({
      label, kind: CompletionItemKind.Snippet, insertText: body, insertTextFormat: InsertTextFormat.Snippet,
      detail: label === 'doc' ? 'doc comment' : `new ${label}`, documentation: KEYWORD_DOCS.get(label),
    }));
  }
  const meta = loc.expr.value.kind === 'object' ? metaOf(loc.expr.value)?.meta : undefined;
  const s = loc.string;
  // Inside a string: replace its contents. Unterminated strings (still being typed) end at the line end.
  const range: Range | undefined = s
    ? { start: parsed.lines.position(s.start + 1), end: parsed.lines.position(parsed.text[s.end - 1] === "'" && s.end - 1 > s.start ? s.end - 1 : s.end) }
    : undefined;
  const def = program.definitions.find((d) => d.expr === loc.expr);
  if (s && !loc.isKey) {
    if (isTypePosition(meta, loc.keys)) return typeItems(program, range, "'");
    if (loc.keys.includes('if')) return plainItems(conditionsIn(program), CompletionItemKind.Constant, 'condition', range);
    if (def?.meta === 'union' && loc.keys.length === 1 && loc.keys[0] === 'discriminator') {
      return plainItems(baseMembersOf(program, def).filter((m) => !m.optional).map((m) => m.name), CompletionItemKind.Field, 'base member', range);
    }
    return [];
  }
  if (s && def?.meta === 'union' && loc.keys.length === 1 && loc.keys[0] === 'data') {
    const used = new Set(def.branches.map((b) => b.name));
    const values = discriminatorValues(program, def).filter((v) => !used.has(v) || v === s.value);
    return plainItems(values, CompletionItemKind.EnumMember, 'discriminator value', range);
  }
  // A key: inside a key string, or where one may start (after '{' or ',').
  const before = parsed.text.slice(Math.max(0, offset - 200), offset).trimEnd();
  if (!s && !/[{,]$/.test(before)) return [];
  const existing = new Set(loc.object?.members.map((m) => m.key.value));
  return keysFor(meta, loc.keys, loc.object, program).filter((k) => !existing.has(k) || s?.value === k).map((k) => ({
    label: k, kind: CompletionItemKind.Property, detail: 'key', documentation: KEYWORD_DOCS.get(k),
    ...(range ? { textEdit: { range, newText: k } } : { insertText: `'${k}': ` }),
  }));
}
