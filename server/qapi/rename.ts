// Rename of a type, command or event across the whole schema: the definition, every reference, and the
// `@Name` mentions in doc comments (including the `# @Name:` line that ties a doc comment to its definition,
// which would otherwise no longer match).

import { ResponseError, ErrorCodes, TextEdit, type Range, type WorkspaceEdit } from 'vscode-languageserver';
import { fileUri, toRange, typeNameAt } from './features';
import type { Definition } from './model';
import { checkNameCamel, checkNameLower, checkNameUpper } from './names';
import type { Program } from './program';

/** The definition a rename at this offset would rename, and the range of the name under the cursor. */
export function prepareRename(program: Program, file: string, offset: number): { range: Range; placeholder: string } | null {
  const t = typeNameAt(program, file, offset);
  const def = t && program.byName.get(t.name);
  if (!t || !def) return null;
  const inner = t.node.value === def.name && t.node.end - t.node.start === def.name.length + 2
    ? { start: t.node.start + 1, end: t.node.end - 1 }
    : { start: t.node.start + 1, end: t.node.end };   // an @Name mention: skip the '@'
  return { range: toRange(program, file, inner), placeholder: def.name };
}

function nameProblem(def: Definition, name: string): string | undefined {
  if (def.meta === 'event') return checkNameUpper(name, 'event');
  if (def.meta === 'command') return checkNameLower(name, 'command', false, true);
  return checkNameCamel(name, def.meta) ?? (name.endsWith('List') ? `${def.meta} name should not end in 'List'` : undefined);
}

export function rename(program: Program, file: string, offset: number, newName: string): WorkspaceEdit | null {
  const t = typeNameAt(program, file, offset);
  const def = t && program.byName.get(t.name);
  if (!def) return null;
  const problem = nameProblem(def, newName);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `Cannot rename to '${newName}': ${problem}.`);
  if (newName !== def.name && program.byName.has(newName)) {
    throw new ResponseError(ErrorCodes.InvalidParams, `Cannot rename to '${newName}': it is already defined.`);
  }
  const changes: Record<string, TextEdit[]> = {};
  const edit = (f: string, start: number, end: number): void => {
    (changes[fileUri(f)] ??= []).push(TextEdit.replace(toRange(program, f, { start, end }), newName));
  };
  edit(def.file, def.nameNode.start + 1, def.nameNode.end - 1);
  for (const r of program.references.get(def.name) ?? []) edit(r.file, r.node.start + 1, r.node.end - 1);
  // @Name in doc comments, not @Name-suffix or @NameMore.
  const mention = new RegExp(`@${def.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-])`, 'g');
  for (const mod of program.modules.values()) {
    for (const doc of mod.parsed.docs) {
      const text = mod.parsed.text.slice(doc.start, doc.end);
      for (const m of text.matchAll(mention)) edit(mod.file, doc.start + m.index + 1, doc.start + m.index + m[0].length);
    }
  }
  return { changes };
}
