// The schema model: what each top-level definition declares, extracted leniently from the syntax tree so that
// even a definition with errors still gives symbols, hover and navigation. Validation is separate
// (checkExpr.ts for one expression, schema.ts across definitions).

import { getMember, type DocComment, type QObject, type QString, type QValue, type TopLevel } from './ast';

export const METAS = ['enum', 'struct', 'union', 'alternate', 'command', 'event'] as const;
export type Meta = (typeof METAS)[number];

/** A use of a type name: `'str'`, `['Foo']`. `node` is the string holding the name. */
export interface TypeRef {
  readonly name: string;
  readonly array: boolean;
  readonly node: QString;
}

export interface Feature {
  readonly name: string;
  readonly node: QString;
  readonly conditional: boolean;
}

/** A struct/command/event member, a union or alternate branch, or an enum value. */
export interface Member {
  readonly name: string;          // without the leading '*'
  readonly optional: boolean;
  readonly node: QString;         // the key (or the enum value string)
  readonly type: TypeRef | undefined;
  readonly conditional: boolean;
  readonly features: Feature[];
}

export interface Definition {
  readonly meta: Meta;
  readonly name: string;
  readonly nameNode: QString;
  readonly file: string;
  readonly expr: TopLevel;
  readonly doc: DocComment | undefined;
  readonly features: Feature[];
  /** struct data, union inline base, command/event inline data; enum values for an enum. */
  readonly members: Member[];
  /** struct base or union base given by name. */
  readonly baseRef: TypeRef | undefined;
  readonly discriminator: QString | undefined;
  /** union and alternate branches */
  readonly branches: Member[];
  /** command/event 'data' given by name */
  readonly dataRef: TypeRef | undefined;
  readonly returns: TypeRef | undefined;
  readonly boxed: boolean;
  /** checkExpr found an error: skip the cross-definition checks, which would only repeat it. */
  valid: boolean;
}

export function metaOf(obj: QObject): { meta: Meta; node: QValue } | undefined {
  for (const m of obj.members) {
    if ((METAS as readonly string[]).includes(m.key.value) && m.value) return { meta: m.key.value as Meta, node: m.value };
  }
  return undefined;
}

export function typeRefOf(v: QValue | undefined): TypeRef | undefined {
  if (v?.kind === 'string') return { name: v.value, array: false, node: v };
  if (v?.kind === 'array' && v.items.length === 1 && v.items[0].kind === 'string') {
    return { name: v.items[0].value, array: true, node: v.items[0] };
  }
  return undefined;
}

function featuresOf(v: QValue | undefined): Feature[] {
  if (v?.kind !== 'array') return [];
  const out: Feature[] = [];
  for (const item of v.items) {
    if (item.kind === 'string') out.push({ name: item.value, node: item, conditional: false });
    else if (item.kind === 'object') {
      const name = getMember(item, 'name')?.value;
      if (name?.kind === 'string') out.push({ name: name.value, node: name, conditional: !!getMember(item, 'if') });
    }
  }
  return out;
}

/** Members of a MEMBERS object: `{ 'name': TYPE-REF | { 'type': TYPE-REF, 'if': …, 'features': … } }`. */
export function membersOf(v: QValue | undefined): Member[] {
  if (v?.kind !== 'object') return [];
  return v.members.map((m) => {
    const optional = m.key.value.startsWith('*');
    const name = optional ? m.key.value.slice(1) : m.key.value;
    const long = m.value?.kind === 'object' ? m.value : undefined;
    return {
      name, optional, node: m.key,
      type: typeRefOf(long ? getMember(long, 'type')?.value : m.value),
      conditional: !!(long && getMember(long, 'if')),
      features: long ? featuresOf(getMember(long, 'features')?.value) : [],
    };
  });
}

function enumValuesOf(v: QValue | undefined): Member[] {
  if (v?.kind !== 'array') return [];
  const out: Member[] = [];
  for (const item of v.items) {
    const obj = item.kind === 'object' ? item : undefined;
    const name = obj ? getMember(obj, 'name')?.value : item;
    if (name?.kind !== 'string') continue;
    out.push({
      name: name.value, optional: false, node: name, type: undefined, conditional: !!(obj && getMember(obj, 'if')),
      features: obj ? featuresOf(getMember(obj, 'features')?.value) : [],
    });
  }
  return out;
}

/** The definition a top-level expression declares, or undefined if it has no usable meta key and name. */
export function extractDefinition(expr: TopLevel, file: string): Definition | undefined {
  if (expr.value.kind !== 'object') return undefined;
  const obj = expr.value;
  const head = metaOf(obj);
  if (head?.node.kind !== 'string') return undefined;
  const { meta } = head;
  const get = (k: string): QValue | undefined => getMember(obj, k)?.value;
  const data = get('data');
  const base = get('base');
  const boxed = get('boxed');
  return {
    meta, name: head.node.value, nameNode: head.node, file, expr, doc: expr.doc,
    features: featuresOf(get('features')),
    members: meta === 'enum' ? enumValuesOf(data)
      : meta === 'union' ? membersOf(base)
        : meta === 'alternate' ? [] : membersOf(data),
    baseRef: base?.kind === 'string' ? typeRefOf(base) : undefined,
    discriminator: get('discriminator')?.kind === 'string' ? (get('discriminator') as QString) : undefined,
    branches: meta === 'union' || meta === 'alternate' ? membersOf(data) : [],
    dataRef: (meta === 'command' || meta === 'event') && data?.kind === 'string' ? typeRefOf(data) : undefined,
    returns: meta === 'command' ? typeRefOf(get('returns')) : undefined,
    boxed: boxed?.kind === 'bool' && boxed.value,
    valid: !expr.broken,
  };
}

/** Every type name a definition uses, for navigation and the unknown-type check. */
export function typeRefs(def: Definition): TypeRef[] {
  const refs: TypeRef[] = [];
  const push = (r: TypeRef | undefined): void => { if (r) refs.push(r); };
  if (def.meta !== 'enum') for (const m of def.members) push(m.type);
  push(def.baseRef);
  for (const b of def.branches) push(b.type);
  push(def.dataRef);
  push(def.returns);
  return refs;
}
