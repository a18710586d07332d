// Rename across the whole schema. A type, command or event: the definition, every reference, and its mentions in
// doc comments (`@Name`, `` `Name` ``, `` `Name.member` ``, and the `# @Name:` line that ties a doc comment to its
// definition, which would otherwise no longer match). An enum value: the value, the union branches named after
// it, its `# @value:` description and its mentions (`@value` in the enum's doc, `` `Enum.value` ``). A command's or
// event's QMP examples (`"execute": "name"`, `"event": "NAME"`) follow it too.

import { ResponseError, ErrorCodes, TextEdit, type Range, type WorkspaceEdit } from 'vscode-languageserver';
import type { Span } from './ast';
import { fileUri, targetAt, toRange, type Target } from './features';
import { mentionsOf, mentionsResolving } from './mentions';
import type { Definition, Member } from './model';
import { checkNameCamel, checkNameLower, checkNameUpper, cName } from './names';
import type { Program } from './program';
import { branchesOfEnumValue } from './resolve';

type Renamable = { kind: 'def'; def: Definition; node: Span } | { kind: 'value'; def: Definition; value: Member; node: Span };

function renamableAt(program: Program, file: string, offset: number): Renamable | undefined {
  const t: Target | undefined = targetAt(program, file, offset);
  if (t?.kind === 'type') {
    const def = program.byName.get(t.name);
    return def ? { kind: 'def', def, node: t.node } : undefined;
  }
  if (t?.kind === 'member' && t.def.meta === 'enum') return { kind: 'value', def: t.def, value: t.member, node: t.node };
  return undefined;
}

/** The name itself: inside the quotes of a string, or a doc mention as is. */
function nameSpan(program: Program, file: string, node: Span): Span {
  const text = program.modules.get(file)?.parsed.text ?? '';
  return text[node.start] === "'" ? { start: node.start + 1, end: text[node.end - 1] === "'" ? node.end - 1 : node.end } : node;
}

/** What a rename at this offset would rename, and the range of the name under the cursor. */
export function prepareRename(program: Program, file: string, offset: number): { range: Range; placeholder: string } | null {
  const r = renamableAt(program, file, offset);
  if (!r) return null;
  return { range: toRange(program, file, nameSpan(program, file, r.node)), placeholder: r.kind === 'def' ? r.def.name : r.value.name };
}

function nameProblem(def: Definition, name: string): string | undefined {
  if (def.meta === 'event') return checkNameUpper(name, 'event');
  if (def.meta === 'command') return checkNameLower(name, 'command', false, true);
  return checkNameCamel(name, def.meta) ?? (name.endsWith('List') ? `${def.meta} name should not end in 'List'` : undefined);
}

function valueProblem(program: Program, def: Definition, value: Member, name: string): string | undefined {
  const permissive = program.pragma.memberNameExceptions.has(def.name);
  // Enum values may start with a digit, as QEMU's checker allows.
  const problem = checkNameLower(/^[0-9]/.test(name) ? `d${name}` : name, `value '${name}'`, permissive, permissive);
  if (problem) return problem;
  const clash = def.members.find((v) => v !== value && cName(v.name) === cName(name));
  return clash ? `enum ${def.name} already has value '${clash.name}'` : undefined;
}

export function rename(program: Program, file: string, offset: number, newName: string): WorkspaceEdit | null {
  const r = renamableAt(program, file, offset);
  if (!r) return null;
  const changes: Record<string, TextEdit[]> = {};
  const edit = (f: string, span: Span): void => {
    (changes[fileUri(f)] ??= []).push(TextEdit.replace(toRange(program, f, span), newName));
  };
  if (r.kind === 'value') {
    const problem = valueProblem(program, r.def, r.value, newName);
    if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `Cannot rename to '${newName}': ${problem}.`);
    edit(r.def.file, nameSpan(program, r.def.file, r.value.node));
    for (const b of branchesOfEnumValue(program, r.def, r.value.name)) edit(b.union.file, nameSpan(program, b.union.file, b.branch.node));
    for (const m of mentionsResolving(program, (x) => x.kind === 'member' && x.member === r.value)) edit(m.file, m.span);
    return { changes };
  }
  const { def } = r;
  const problem = nameProblem(def, newName);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `Cannot rename to '${newName}': ${problem}.`);
  if (newName !== def.name && program.byName.has(newName)) {
    throw new ResponseError(ErrorCodes.InvalidParams, `Cannot rename to '${newName}': it is already defined.`);
  }
  edit(def.file, nameSpan(program, def.file, def.nameNode));
  for (const ref of program.references.get(def.name) ?? []) edit(ref.file, nameSpan(program, ref.file, ref.node));
  for (const m of mentionsResolving(program, (x) => x.kind === 'type' && x.name === def.name)) edit(m.file, m.span);
  // `` `Name.member` ``: the definition's part of a member's cross-reference.
  for (const mod of program.modules.values()) {
    for (const m of mentionsOf(mod.parsed)) {
      if (m.kind === 'tick' && m.text.startsWith(`${def.name}.`) && !program.byName.has(m.text)) {
        edit(mod.file, { start: m.start, end: m.start + def.name.length });
      }
    }
  }
  // QMP examples in doc comments run the command or show the event by name.
  if (def.meta === 'command' || def.meta === 'event') {
    const quoted = new RegExp(`"${def.meta === 'command' ? 'execute' : 'event'}": *"(${def.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})"`, 'g');
    for (const mod of program.modules.values()) {
      const text = mod.parsed.text;
      for (const doc of mod.parsed.docs) {
        const block = text.slice(doc.start, doc.end);
        if (!block.includes(def.name)) continue;
        for (const m of block.matchAll(quoted)) {
          const start = doc.start + m.index + m[0].length - 1 - def.name.length;
          edit(mod.file, { start, end: start + def.name.length });
        }
      }
    }
  }
  return { changes };
}
