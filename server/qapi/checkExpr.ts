// Checks one definition expression on its own: the keys it may have, the shape of every value, names, 'if'
// conditions, features and flags (qapi-code-gen.rst, sections "Enumeration types" to "Features"). Like QEMU,
// the first problem in an expression is reported and the rest of that expression is not checked: later
// messages would mostly be consequences of the first.

import { SpanError, getMember, type DocComment, type QObject, type QValue, type Span, type TopLevel } from './ast';
import type { DialectId } from './dialect';
import { METAS, type Meta } from './model';
import { checkNameCamel, checkNameLower, checkNameUpper, cName, nameStem, type Pragma } from './names';

export class SemError extends SpanError {}

const quoteList = (names: Iterable<string>): string => [...names].sort().map((n) => `'${n}'`).join(', ');

function fail(span: Span, message: string | undefined): void {
  if (message !== undefined) throw new SemError(span, message);
}

function checkKeys(obj: QObject, where: Span, source: string, required: string[], optional: string[]): void {
  const keys = obj.members.map((m) => m.key.value);
  const missing = required.filter((k) => !keys.includes(k));
  if (missing.length) fail(where, `${source} misses key${missing.length > 1 ? 's' : ''} ${quoteList(missing)}`);
  const allowed = new Set([...required, ...optional]);
  const unknown = obj.members.filter((m) => !allowed.has(m.key.value));
  if (unknown.length) {
    fail(unknown[0].key, `${source} has unknown key${unknown.length > 1 ? 's' : ''} ${quoteList(unknown.map((m) => m.key.value))}. `
      + `Valid keys are ${quoteList(allowed)}.`);
  }
}

export function checkIf(cond: QValue | undefined, source: string): void {
  if (cond === undefined) return;
  const check = (c: QValue): void => {
    if (c.kind === 'string') {
      if (!/^[A-Z][A-Z0-9_]*$/.test(c.value)) {
        fail(c, `'if' condition '${c.value}' of ${source} is not a valid identifier: use a CONFIG_-style macro name`);
      }
      return;
    }
    if (c.kind !== 'object') fail(c, `'if' condition of ${source} must be a string or an object`);
    const obj = c as QObject;
    checkKeys(obj, obj, `'if' condition of ${source}`, [], ['all', 'any', 'not']);
    if (obj.members.length !== 1) fail(obj, `'if' condition of ${source} has conflicting keys`);
    const [op] = obj.members;
    if (op.key.value === 'not') return check(op.value!);
    if (op.value?.kind !== 'array') fail(op.value ?? op.key, `'${op.key.value}' condition of ${source} must be an array`);
    const operands = (op.value as { items: QValue[] }).items;
    if (!operands.length) fail(op.value!, `'if' condition [] of ${source} is useless`);
    for (const operand of operands) check(operand);
  };
  check(cond);
}

export function checkFeatures(v: QValue | undefined): void {
  if (v === undefined) return;
  if (v.kind !== 'array') return fail(v, "'features' must be an array");
  for (const item of v.items) {
    let name: QValue | undefined = item;
    if (item.kind === 'object') {
      checkKeys(item, item, "'features' member", ['name'], ['if']);
      name = getMember(item, 'name')!.value!;
    }
    if (name.kind !== 'string') return fail(name, "'features' member requires a string name");
    const source = `'features' member '${name.value}'`;
    const r = nameStem(name.value, source);
    if ('error' in r) fail(name, r.error);
    if (item.kind === 'object') checkIf(getMember(item, 'if')?.value, source);
  }
}

interface TypeOptions {
  allowArray?: boolean;
  /** Anonymous MEMBERS objects allowed; a string names the type whose member names may break the rules. */
  allowDict?: boolean | string;
}

function checkType(v: QValue | undefined, source: string, pragma: Pragma, opts: TypeOptions = {}): void {
  if (v === undefined || v.kind === 'string') return;
  if (v.kind === 'array') {
    if (!opts.allowArray) fail(v, `${source} cannot be an array`);
    if (v.items.length !== 1 || v.items[0].kind !== 'string') fail(v, `${source}: array type must contain single type name`);
    return;
  }
  if (!opts.allowDict) fail(v, `${source} should be a type name`);
  if (v.kind !== 'object') return fail(v, `${source} should be an object or type name`);
  const permissive = typeof opts.allowDict === 'string' && pragma.memberNameExceptions.has(opts.allowDict);
  for (const m of v.members) {
    const keySource = `${source} member '${m.key.value}'`;
    const key = m.key.value.startsWith('*') ? m.key.value.slice(1) : m.key.value;
    fail(m.key, checkNameLower(key, keySource, permissive, permissive));
    const c = cName(key);
    if (c === 'u' || c.startsWith('has_')) fail(m.key, `${keySource} uses reserved name`);
    checkMemberValue(m.value!, m.key, keySource, pragma, ['type'], ['if', 'features'], { allowArray: true });
  }
}

/** A member's value: TYPE-REF or the long form `{ 'type': TYPE-REF, 'if': …, 'features': … }`. */
function checkMemberValue(value: QValue, key: Span, source: string, pragma: Pragma, required: string[], optional: string[],
  opts: TypeOptions): void {
  if (value.kind !== 'object') return checkType(value, source, pragma, opts);
  checkKeys(value, key, source, required, optional);
  checkIf(getMember(value, 'if')?.value, source);
  checkFeatures(getMember(value, 'features')?.value);
  checkType(getMember(value, 'type')!.value, source, pragma, opts);
}

function checkDefinitionName(name: string, meta: Meta, node: Span, pragma: Pragma): void {
  if (meta === 'event') return fail(node, checkNameUpper(name, meta));
  if (meta === 'command') return fail(node, checkNameLower(name, meta, false, pragma.commandNameExceptions.has(name)));
  fail(node, checkNameCamel(name, meta));
  if (name.endsWith('List')) fail(node, `${meta} name should not end in 'List': the generator reserves it for array types`);
}

function checkDoc(doc: DocComment | undefined, obj: QObject, meta: Meta, name: string, nameNode: Span, pragma: Pragma,
  dialect: DialectId): void {
  if (!doc) {
    if (pragma.docRequired) fail(nameNode, 'documentation comment required (pragma doc-required)');
    return;
  }
  if (doc.broken || doc.symbol === undefined) return;   // a free-form comment here is reported by the parser
  if (doc.symbol !== name) fail(nameNode, `documentation comment is for '${doc.symbol ?? ''}'`);
  const section = (tag: string): Span | undefined => {
    const s = doc.sections.find((x) => x.name === tag);
    return s && { start: s.start, end: s.start + tag.length + 3 };
  };
  const returns = section('Returns');
  if (dialect === 'qemu-7.2') {
    if (returns && meta !== 'command') fail(returns, "'Returns:' is only valid for commands");
    return;
  }
  if (meta === 'command') {
    if (returns && !getMember(obj, 'returns')) fail(returns, "'Returns' section, but command doesn't return anything");
    return;
  }
  if (returns) fail(returns, "'Returns' section is only valid for commands");
  const errors = section('Errors');
  if (errors) fail(errors, "'Errors' section is only valid for commands");
}

function checkFlags(obj: QObject): void {
  for (const [flag, only] of [['gen', false], ['success-response', false], ['boxed', true], ['allow-oob', true],
    ['allow-preconfig', true], ['coroutine', true]] as const) {
    const v = getMember(obj, flag)?.value;
    if (v && !(v.kind === 'bool' && v.value === only)) fail(v, `flag '${flag}' may only use ${String(only)} value`);
  }
  const oob = getMember(obj, 'allow-oob');
  if (oob && getMember(obj, 'coroutine')) fail(oob.key, "flags 'allow-oob' and 'coroutine' are incompatible");
}

function checkEnum(obj: QObject, name: string, pragma: Pragma): void {
  const data = getMember(obj, 'data')!.value!;
  if (data.kind !== 'array') fail(data, "'data' must be an array");
  const prefix = getMember(obj, 'prefix')?.value;
  if (prefix && prefix.kind !== 'string') fail(prefix, "'prefix' must be a string");
  const permissive = pragma.memberNameExceptions.has(name);
  for (const item of (data as { items: QValue[] }).items) {
    let value: QValue = item;
    if (item.kind === 'object') {
      checkKeys(item, item, "'data' member", ['name'], ['if', 'features']);
      value = getMember(item, 'name')!.value!;
    }
    if (value.kind !== 'string') return fail(value, "'data' member requires a string name");
    const source = `'data' member '${value.value}'`;
    // Enum values may start with a digit: check the rest as if it were a letter.
    const checked = /^[0-9]/.test(value.value) ? `d${value.value}` : value.value;
    fail(value, checkNameLower(checked, source, permissive, permissive));
    if (item.kind === 'object') {
      checkIf(getMember(item, 'if')?.value, source);
      checkFeatures(getMember(item, 'features')?.value);
    }
  }
}

function checkByMeta(obj: QObject, meta: Meta, name: string, head: Span, pragma: Pragma): void {
  const get = (k: string): QValue | undefined => getMember(obj, k)?.value;
  switch (meta) {
    case 'enum':
      checkKeys(obj, head, meta, ['enum', 'data'], ['if', 'features', 'prefix']);
      return checkEnum(obj, name, pragma);
    case 'struct': {
      checkKeys(obj, head, meta, ['struct', 'data'], ['base', 'if', 'features']);
      const data = get('data')!;
      if (data.kind === 'string') fail(data, "'data' should be an object: a struct's members cannot be a type name (use 'base')");
      checkType(data, "'data'", pragma, { allowDict: name });
      return checkType(get('base'), "'base'", pragma);
    }
    case 'union': {
      checkKeys(obj, head, meta, ['union', 'base', 'discriminator', 'data'], ['if', 'features']);
      const base = get('base')!;
      checkType(base, "'base'", pragma, { allowDict: name });
      const disc = get('discriminator')!;
      if (disc.kind !== 'string') fail(disc, "'discriminator' requires a string name");
      const data = get('data')!;
      if (data.kind !== 'object') return fail(data, "'data' must be an object");
      for (const m of data.members) {
        checkMemberValue(m.value!, m.key, `'data' member '${m.key.value}'`, pragma, ['type'], ['if'], { allowArray: false });
      }
      return;
    }
    case 'alternate': {
      checkKeys(obj, head, meta, ['alternate', 'data'], ['if', 'features']);
      const data = get('data')!;
      if (data.kind === 'object' && !data.members.length) fail(data, "'data' must not be empty");
      if (data.kind !== 'object') return fail(data, "'data' must be an object");
      for (const m of data.members) {
        const source = `'data' member '${m.key.value}'`;
        fail(m.key, checkNameLower(m.key.value, source));
        checkMemberValue(m.value!, m.key, source, pragma, ['type'], ['if'], { allowArray: true });
      }
      return;
    }
    case 'command':
    case 'event': {
      checkKeys(obj, head, meta, [meta], meta === 'command'
        ? ['data', 'returns', 'boxed', 'if', 'features', 'gen', 'success-response', 'allow-oob', 'allow-preconfig', 'coroutine']
        : ['data', 'boxed', 'if', 'features']);
      const boxed = get('boxed');
      const isBoxed = boxed?.kind === 'bool' && boxed.value;
      if (isBoxed && !get('data')) fail(boxed, "'boxed': true requires 'data'");
      checkType(get('data'), "'data'", pragma, { allowDict: !isBoxed });
      if (meta === 'command') checkType(get('returns'), "'returns'", pragma, { allowArray: true });
      return;
    }
  }
}

/** The first problem of a definition expression, or undefined when it is well-formed. */
export function checkDefinitionExpr(expr: TopLevel, pragma: Pragma, dialect: DialectId = 'upstream'): SemError | undefined {
  try {
    const obj = expr.value as QObject;
    const metas = obj.members.filter((m) => (METAS as readonly string[]).includes(m.key.value));
    if (metas.length !== 1) {
      fail(metas[1]?.key ?? obj.members[0]?.key ?? obj,
        `expression must have exactly one key ${METAS.map((m) => `'${m}'`).join(', ')}`);
    }
    const head = metas[0];
    const meta = head.key.value as Meta;
    const nameNode = head.value!;
    if (nameNode.kind !== 'string') return new SemError(nameNode, `'${meta}' requires a string name`);
    checkDefinitionName(nameNode.value, meta, nameNode, pragma);
    checkDoc(expr.doc, obj, meta, nameNode.value, nameNode, pragma, dialect);
    checkByMeta(obj, meta, nameNode.value, head.key, pragma);
    checkIf(getMember(obj, 'if')?.value, meta);
    checkFeatures(getMember(obj, 'features')?.value);
    checkFlags(obj);
    return undefined;
  } catch (e) {
    if (e instanceof SemError) return e;
    throw e;
  }
}
