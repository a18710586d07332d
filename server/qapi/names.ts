// Naming rules of qapi-code-gen.rst "Naming rules and reserved names" and the pragmas that relax them.

export interface Pragma {
  docRequired: boolean;
  readonly commandNameExceptions: Set<string>;
  readonly commandReturnsExceptions: Set<string>;
  readonly memberNameExceptions: Set<string>;
  /** Definitions whose members need no documentation (today's QEMU; QEMU 7.2 does not require it at all). */
  readonly documentationExceptions: Set<string>;
}

export function emptyPragma(): Pragma {
  return {
    docRequired: false, commandNameExceptions: new Set(), commandReturnsExceptions: new Set(), memberNameExceptions: new Set(),
    documentationExceptions: new Set(),
  };
}

/** Optional downstream prefix `__RFQDN_`, optional `x-`, then a letter and letters, digits, `-`, `_`. */
const VALID_NAME = /^(__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)$/i;

/** The C identifier the generator derives from a name: clashes are decided on it (`a-b` and `a_b` collide). */
export function cName(name: string): string {
  // Fast path without a regular expression: this runs for every member of every clash check.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!ok) return name.replace(/[^A-Za-z0-9_]/g, '_');
  }
  return name;
}

/** The name without its downstream and `x-` prefixes, or an error message. */
export function nameStem(name: string, source: string): { stem: string } | { error: string } {
  const m = VALID_NAME.exec(name);
  // The whole q_ namespace belongs to the generator (q_empty, q_obj_*).
  if (!m || cName(name).startsWith('q_')) return { error: `${source} has an invalid name` };
  return { stem: m[3] };
}

export function checkNameUpper(name: string, source: string): string | undefined {
  const r = nameStem(name, source);
  if ('error' in r) return r.error;
  if (/[a-z-]/.test(r.stem)) return `name of ${source} must not use lowercase or '-'`;
  return undefined;
}

export function checkNameLower(name: string, source: string, permitUpper = false, permitUnderscore = false): string | undefined {
  const r = nameStem(name, source);
  if ('error' in r) return r.error;
  if ((!permitUpper && /[A-Z]/.test(r.stem)) || (!permitUnderscore && r.stem.includes('_'))) {
    return `name of ${source} must not use uppercase or '_'`;
  }
  return undefined;
}

export function checkNameCamel(name: string, source: string): string | undefined {
  const r = nameStem(name, source);
  if ('error' in r) return r.error;
  if (!/^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$/.test(r.stem)) return `name of ${source} must use CamelCase`;
  return undefined;
}

export const BUILTIN_TYPES: ReadonlyMap<string, string> = new Map([
  ['str', 'any JSON string, UTF-8 (C: char *)'],
  ['number', 'any JSON number (C: double)'],
  ['int', 'a JSON number without fractional part that fits int64_t'],
  ['int8', 'an integer that fits int8_t'],
  ['int16', 'an integer that fits int16_t'],
  ['int32', 'an integer that fits int32_t'],
  ['int64', 'an integer that fits int64_t'],
  ['uint8', 'an integer that fits uint8_t'],
  ['uint16', 'an integer that fits uint16_t'],
  ['uint32', 'an integer that fits uint32_t'],
  ['uint64', 'an integer that fits uint64_t'],
  ['size', "like uint64, except StringInputVisitor accepts size suffixes"],
  ['bool', 'JSON true or false'],
  ['null', 'JSON null (C: QNull *)'],
  ['any', 'any JSON value (C: QObject *)'],
  ['QType', 'JSON string matching enum QType values'],
]);

/** How each built-in travels on the wire, which decides whether alternate branches can be told apart. */
export function builtinJsonType(name: string): 'string' | 'number' | 'bool' | 'null' | undefined {
  if (name === 'str' || name === 'QType') return 'string';
  if (name === 'bool') return 'bool';
  if (name === 'null') return 'null';
  if (name === 'any') return undefined;
  return BUILTIN_TYPES.has(name) ? 'number' : undefined;
}

/** The values of the predefined enum QType. */
export const QTYPE_VALUES = ['none', 'qnull', 'qnum', 'qstring', 'qdict', 'qlist', 'qbool'];
