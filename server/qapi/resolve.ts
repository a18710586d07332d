// Lookups across definitions that navigation, completion and rename share: a union's common members and the enum
// its discriminator takes its values from (the branch names of the union are that enum's values).

import type { Definition, Member } from './model';
import type { Program } from './program';

/** A union's common members: its inline base, or its base struct with that struct's own bases. */
export function baseMembersOf(program: Program, union: Definition): Member[] {
  if (!union.baseRef) return union.members;
  const out: Member[] = [];
  const seen = new Set<Definition>();
  for (let d = program.byName.get(union.baseRef.name); d && !seen.has(d); d = d.baseRef && program.byName.get(d.baseRef.name)) {
    seen.add(d);
    out.unshift(...d.members);
  }
  return out;
}

/** The enum a union's discriminator member is of, if it resolves. */
export function discriminatorEnum(program: Program, union: Definition): Definition | undefined {
  if (union.meta !== 'union' || !union.discriminator) return undefined;
  const tag = baseMembersOf(program, union).find((m) => m.name === union.discriminator!.value);
  const e = tag?.type && !tag.type.array ? program.byName.get(tag.type.name) : undefined;
  return e?.meta === 'enum' ? e : undefined;
}

/** The union branches named after a value of an enum: keys of unions whose discriminator is of that enum. */
export function branchesOfEnumValue(program: Program, enumDef: Definition, value: string): { union: Definition; branch: Member }[] {
  const out: { union: Definition; branch: Member }[] = [];
  for (const def of program.definitions) {
    if (def.meta !== 'union' || program.byName.get(def.name) !== def || discriminatorEnum(program, def) !== enumDef) continue;
    for (const branch of def.branches) if (branch.name === value) out.push({ union: def, branch });
  }
  return out;
}
