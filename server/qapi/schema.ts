// Checks across definitions, once every file of a schema is loaded: names defined twice, unknown types, bases,
// unions and their discriminators, alternates whose branches cannot be told apart on the wire, what commands
// may take and return, member names that collide in C, and doc comments that describe members or features the
// definition does not have (qapi-code-gen.rst; the wording of the messages follows QEMU's generator).

import type { Problem, Span } from './ast';
import type { DialectId } from './dialect';
import type { Definition, Feature, Member, TypeRef } from './model';
import { BUILTIN_TYPES, QTYPE_VALUES, builtinJsonType, cName, type Pragma } from './names';

type Entity = { kind: 'builtin'; name: string } | { kind: 'def'; def: Definition };

export type Report = (file: string, span: Span, message: string, related?: Problem['related']) => void;

const SPECIAL_FEATURES = new Set(['deprecated', 'unstable']);
const MAX_FEATURES = 64;

export function describeEntity(e: Entity): string {
  if (e.kind === 'builtin') return e.name === 'QType' ? "enum type 'QType'" : `built-in type '${e.name}'`;
  const { def } = e;
  return ['command', 'event'].includes(def.meta) ? `${def.meta} '${def.name}'` : `${def.meta} type '${def.name}'`;
}

/** Suggestions cost a pass over all names: enough for a person, bounded for a file of generated junk. */
const MAX_SUGGESTIONS = 50;

/** Edit distance, giving up (returning max + 1) once it exceeds `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The defined name closest to a misspelt one (case differences count little), if any is close enough. */
export function closestName(name: string, names: Iterable<string>): string | undefined {
  const max = Math.max(1, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of names) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name, candidate, max);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export class SchemaChecker {
  readonly entities = new Map<string, Entity>();
  private suggestions = 0;
  private readonly membersOf = new Map<Definition, { m: Member; owner: Definition }[] | undefined>();

  constructor(
    private readonly defs: readonly Definition[],
    private readonly pragma: Pragma,
    private readonly report: Report,
    private readonly dialect: DialectId = 'upstream',
  ) {
    for (const name of BUILTIN_TYPES.keys()) this.entities.set(name, { kind: 'builtin', name });
  }

  run(): void {
    for (const def of this.defs) this.define(def);
    for (const def of this.defs) {
      if (!def.valid || this.lookupDef(def.name) !== def) continue;
      this.checkDefinition(def);
      if (def.doc && !def.doc.broken && def.doc.symbol === def.name) this.checkDoc(def);
    }
    this.checkFeatureCount();
  }

  /** The generator keeps a schema's features in a 64-bit mask: at most 64 names, 'deprecated' and 'unstable' included. */
  private checkFeatureCount(): void {
    const names = new Set(SPECIAL_FEATURES);
    for (const def of this.defs) {
      if (!def.valid) continue;
      for (const f of allFeatures(def, [def.members, def.branches])) {
        if (names.has(f.name)) continue;
        names.add(f.name);
        if (names.size > MAX_FEATURES) {
          this.report(def.file, f.node, `Maximum of ${MAX_FEATURES} schema features is permitted: '${f.name}' is one more`);
          return;
        }
      }
    }
  }

  lookupDef(name: string): Definition | undefined {
    const e = this.entities.get(name);
    return e?.kind === 'def' ? e.def : undefined;
  }

  private define(def: Definition): void {
    const other = this.entities.get(def.name);
    if (!other) {
      this.entities.set(def.name, { kind: 'def', def });
      return;
    }
    if (!def.valid) return;
    if (other.kind === 'builtin') {
      this.report(def.file, def.nameNode, `${describeEntity(other)} is already defined`);
    } else {
      this.report(def.file, def.nameNode, `'${def.name}' is already defined`,
        { file: other.def.file, span: other.def.nameNode, message: 'previous definition' });
    }
  }

  private checkDefinition(def: Definition): void {
    this.checkFeatures(def);
    switch (def.meta) {
      case 'enum': return this.checkClash(def, def.members.map((m) => ({ m, owner: undefined })), 'value');
      case 'struct': return this.checkStruct(def);
      case 'union': return this.checkUnion(def);
      case 'alternate': return this.checkAlternate(def);
      case 'command':
      case 'event': return this.checkCommandOrEvent(def);
    }
  }

  /** Resolves a type reference, reporting unknown names. */
  private resolve(def: Definition, ref: TypeRef | undefined, what: string): Entity | undefined {
    if (!ref) return undefined;
    const e = this.entities.get(ref.name);
    if (!e) {
      const guess = this.suggestions++ < MAX_SUGGESTIONS ? closestName(ref.name, this.entities.keys()) : undefined;
      this.report(def.file, ref.node, `${what} uses unknown type '${ref.name}'${guess ? `; did you mean '${guess}'?` : ''}`);
    }
    return e;
  }

  private checkFeatures(def: Definition): void {
    const isType = def.meta !== 'command' && def.meta !== 'event';
    const check = (list: readonly Feature[], own: boolean): void => {
      if (!list.length) return;
      const seen = new Map<string, string>();
      for (const f of list) {
        if (isType && own && SPECIAL_FEATURES.has(f.name)) {
          this.report(def.file, f.node, `feature '${f.name}' is not supported for types`);
        }
        const prev = seen.get(cName(f.name));
        if (prev !== undefined) this.report(def.file, f.node, `feature '${f.name}' collides with feature '${prev}'`);
        seen.set(cName(f.name), f.name);
      }
    };
    check(def.features, true);
    for (const m of def.members) check(m.features, false);
    for (const m of def.branches) check(m.features, false);
  }

  private resolveMembers(def: Definition, members: readonly Member[]): void {
    for (const m of members) this.resolve(def, m.type, `member '${m.name}'`);
  }

  /** All members of a struct (base first), or undefined when its base chain loops or cannot be resolved. */
  objectMembers(def: Definition, seen = new Set<Definition>()): { m: Member; owner: Definition }[] | undefined {
    // Memoized: many checks ask for the same bases. The answer does not depend on the path to def (a def whose
    // base chain reaches a loop has no members however it is reached).
    if (this.membersOf.has(def)) return this.membersOf.get(def);
    if (seen.has(def)) return undefined;
    seen.add(def);
    let result: { m: Member; owner: Definition }[] | undefined;
    const own = def.members.map((m) => ({ m, owner: def }));
    if (!def.baseRef) {
      result = own;
    } else {
      const base = this.lookupDef(def.baseRef.name);
      const inherited = base?.meta === 'struct' ? this.objectMembers(base, seen) : def.meta === 'union' ? [] : undefined;
      result = inherited && (base?.meta === 'struct' ? [...inherited, ...own] : inherited);
    }
    this.membersOf.set(def, result);
    return result;
  }

  private checkBase(def: Definition): boolean {
    const base = this.resolve(def, def.baseRef, "'base'");
    if (!base) return !def.baseRef;
    if (base.kind !== 'def' || base.def.meta !== 'struct') {
      this.report(def.file, def.baseRef!.node, `'base' requires a struct type, ${describeEntity(base)} isn't`);
      return false;
    }
    if (!this.objectMembers(def)) {
      this.report(def.file, def.baseRef!.node, `object ${def.name} contains itself`);
      return false;
    }
    return true;
  }

  private checkStruct(def: Definition): void {
    this.resolveMembers(def, def.members);
    if (!this.checkBase(def)) return;
    this.checkClash(def, this.objectMembers(def)!, 'member');
  }

  /** Members whose C names coincide (`a-b` and `a_b`) cannot both exist. */
  private checkClash(def: Definition, members: { m: Member; owner: Definition | undefined }[], word: string): void {
    const seen = new Map<string, { m: Member; owner: Definition | undefined }>();
    const describe = (x: { m: Member; owner: Definition | undefined }): string =>
      `${word} '${x.m.name}'${x.owner && x.owner !== def ? ` of type '${x.owner.name}'` : ''}`;
    for (const x of members) {
      const key = cName(x.m.name);
      const prev = seen.get(key);
      if (prev) {
        const span = x.owner === def || !x.owner ? x.m.node : def.baseRef?.node ?? def.nameNode;
        this.report(def.file, span, `${describe(x)} collides with ${describe(prev)}`);
        return;
      }
      seen.set(key, x);
    }
  }

  private checkUnion(def: Definition): void {
    this.resolveMembers(def, def.members);
    if (def.baseRef && !this.checkBase(def)) return;
    const baseMembers = this.objectMembers(def) ?? [];
    const baseName = def.baseRef ? `base type '${def.baseRef.name}'` : "'base'";
    const disc = def.discriminator;
    if (!disc) return;
    const tag = baseMembers.find((x) => x.m.name === disc.value && !disc.value.startsWith('*'));
    if (!tag) return this.report(def.file, disc, `discriminator '${disc.value}' is not a member of ${baseName}`);
    if (tag.m.optional) return this.report(def.file, disc, `discriminator member '${disc.value}' of ${baseName} must not be optional`);
    if (tag.m.conditional) return this.report(def.file, disc, `discriminator member '${disc.value}' of ${baseName} must not be conditional`);
    const tagType = tag.m.type && this.entities.get(tag.m.type.name);
    if (!tagType) return;   // unknown type: reported where the member is defined
    const values = tagType.kind === 'def' && tagType.def.meta === 'enum' && !tag.m.type!.array
      ? tagType.def.members.map((v) => v.name)
      : tagType.kind === 'builtin' && tagType.name === 'QType' ? QTYPE_VALUES : undefined;
    if (!values) return this.report(def.file, disc, `discriminator member '${disc.value}' of ${baseName} must be of enum type`);
    if (!values.length) return this.report(def.file, def.nameNode, 'union has no branches: its discriminator enum has no values');
    for (const branch of def.branches) {
      if (!values.includes(branch.name)) {
        this.report(def.file, branch.node, `branch '${branch.name}' is not a value of ${describeEntity(tagType)}`);
        continue;
      }
      const t = this.resolve(def, branch.type, `branch '${branch.name}'`);
      if (!t) continue;
      if (t.kind !== 'def' || (t.def.meta !== 'struct' && t.def.meta !== 'union')) {
        this.report(def.file, branch.node, `branch '${branch.name}' cannot use ${describeEntity(t)}`);
        continue;
      }
      this.checkVariantClash(def, branch, t.def, new Map(baseMembers.map((x) => [cName(x.m.name), x])), new Set());
    }
  }

  /**
   * The members of a branch's type must not collide with the union's base members; when the branch's type is a
   * union itself, neither may the members of each of its branches. (Clashes inside the branch's type are reported
   * at that type.)
   */
  private checkVariantClash(def: Definition, branch: Member, type: Definition, seen: Map<string, { m: Member; owner: Definition }>,
    visiting: Set<Definition>): boolean {
    if (visiting.has(type)) return true;
    const variant = this.objectMembers(type);
    if (!variant) return true;
    for (const v of variant) {
      const prev = seen.get(cName(v.m.name));
      if (prev) {
        const prevDesc = prev.owner === def ? `base member '${prev.m.name}'` : `member '${prev.m.name}' of type '${prev.owner.name}'`;
        this.report(def.file, branch.node, `member '${v.m.name}' of type '${v.owner.name}' collides with ${prevDesc}`);
        return false;
      }
    }
    if (type.meta !== 'union') return true;
    const inner = new Set(visiting).add(type);
    for (const b of type.branches) {
      const t = b.type && !b.type.array ? this.lookupDef(b.type.name) : undefined;
      if (t && (t.meta === 'struct' || t.meta === 'union') && !this.checkVariantClash(def, branch, t, seen, inner)) return false;
    }
    return true;
  }

  private alternateJsonTypes(t: Entity, array: boolean): string[] | undefined {
    if (array) return ['array'];
    if (t.kind === 'builtin') {
      const j = builtinJsonType(t.name);
      // A string branch also takes what the command line would turn into numbers and booleans.
      return j === undefined ? undefined : j === 'string' ? ['string', 'number', 'bool'] : [j];
    }
    switch (t.def.meta) {
      case 'enum': {
        const out = ['string'];
        if (t.def.members.some((v) => v.name === 'on' || v.name === 'off')) out.push('bool');
        if (t.def.members.some((v) => /^[-+0-9.]/.test(v.name))) out.push('number');
        return out;
      }
      case 'struct':
      case 'union': return ['object'];
      default: return undefined;
    }
  }

  private checkAlternate(def: Definition): void {
    const seen = new Map<string, string>();
    const names = new Map<string, string>();
    for (const branch of def.branches) {
      const prevName = names.get(cName(branch.name));
      if (prevName !== undefined) {
        this.report(def.file, branch.node, `branch '${branch.name}' collides with branch '${prevName}'`);
        return;
      }
      names.set(cName(branch.name), branch.name);
      const t = this.resolve(def, branch.type, `branch '${branch.name}'`);
      if (!t) continue;
      const types = this.alternateJsonTypes(t, branch.type!.array);
      if (!types) {
        this.report(def.file, branch.node, `branch '${branch.name}' cannot use ${describeEntity(t)}`);
        continue;
      }
      for (const jt of types) {
        const other = seen.get(jt);
        if (other !== undefined) {
          this.report(def.file, branch.node, `branch '${branch.name}' can't be distinguished from '${other}'`);
          return;
        }
      }
      for (const jt of types) seen.set(jt, branch.name);
    }
  }

  private checkCommandOrEvent(def: Definition): void {
    const what = `${def.meta}'s 'data'`;
    this.resolveMembers(def, def.members);
    this.checkClash(def, def.members.map((m) => ({ m, owner: def })), 'member');
    const data = this.resolve(def, def.dataRef, what);
    if (data) {
      if (def.dataRef!.array || data.kind !== 'def' || (data.def.meta !== 'struct' && data.def.meta !== 'union')) {
        this.report(def.file, def.dataRef!.node, `${what} cannot take ${describeEntity(data)}`);
      } else if (data.def.meta === 'union' && !def.boxed) {
        this.report(def.file, def.dataRef!.node, `${what} can take ${describeEntity(data)} only with 'boxed': true`);
      } else if (this.dialect === 'upstream' && !def.boxed && this.objectMembers(data.def)?.some((x) => x.m.conditional)) {
        this.report(def.file, def.dataRef!.node, `conditional ${def.meta} arguments require 'boxed': true`);
      }
    }
    // The generated C function takes each argument as a parameter, which cannot be conditional (QEMU 7.2 let it be).
    const conditional = this.dialect === 'upstream' ? def.members.find((m) => m.conditional) : undefined;
    if (conditional) this.report(def.file, conditional.node, `conditional ${def.meta} arguments require 'boxed': true`);
    const ret = this.resolve(def, def.returns, "command's 'returns'");
    if (ret && !this.pragma.commandReturnsExceptions.has(def.name)) {
      if (ret.kind !== 'def' || (ret.def.meta !== 'struct' && ret.def.meta !== 'union')) {
        const desc = def.returns!.array ? `array type ['${def.returns!.name}']` : describeEntity(ret);
        this.report(def.file, def.returns!.node, `command's 'returns' cannot take ${desc}: return an object or list of objects, `
          + 'or list the command in pragma command-returns-exceptions');
      }
    }
  }

  /** Members and features a doc comment describes must exist; every feature must be described. */
  private checkDoc(def: Definition): void {
    const doc = def.doc!;
    const members = def.meta === 'alternate' ? def.branches : def.meta === 'union' && def.baseRef ? [] : def.members;
    // Loops rather than sets: most definitions have a few members, and this runs for each of them on every edit.
    if (doc.args.size) {
      const bogus = [...doc.args.entries()].filter(([n]) => !members.some((m) => m.name === n));
      if (bogus.length) {
        const names = bogus.map(([n]) => `'${n}'`).join(', ');
        const span = { start: bogus[0][1].start, end: bogus[0][1].start + bogus[0][0].length + 4 };
        this.report(def.file, span, bogus.length > 1 ? `documented members ${names} do not exist` : `documented member ${names} does not exist`);
      }
    }
    if (doc.features.size) {
      const bogusFeatures = [...doc.features.entries()].filter(([n]) => ![...allFeatures(def, [members])].some((f) => f.name === n));
      if (bogusFeatures.length) {
        const names = bogusFeatures.map(([n]) => `'${n}'`).join(', ');
        const span = { start: bogusFeatures[0][1].start, end: bogusFeatures[0][1].start + bogusFeatures[0][0].length + 4 };
        this.report(def.file, span, bogusFeatures.length > 1 ? `documented features ${names} do not exist` : `documented feature ${names} does not exist`);
      }
    }
    for (const f of allFeatures(def, [members])) {
      if (!doc.features.has(f.name)) this.report(def.file, f.node, `feature '${f.name}' lacks documentation`);
    }
    // Today's QEMU wants every member described, except in the definitions pragma documentation-exceptions lists.
    if (this.dialect === 'upstream' && !this.pragma.documentationExceptions.has(def.name)) {
      const role = def.meta === 'enum' ? 'value' : def.meta === 'alternate' ? 'branch' : 'member';
      for (const m of members) {
        if (!doc.args.has(m.name)) this.report(def.file, m.node, `${role} '${m.name}' lacks documentation`);
      }
    }
  }
}

/** A definition's own features, then those of the given members. */
function* allFeatures(def: Definition, memberLists: readonly (readonly Member[])[]): Generator<Feature> {
  yield* def.features;
  for (const list of memberLists) for (const m of list) yield* m.features;
}
