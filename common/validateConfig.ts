/**
 * The one check of launch and attach arguments' shape, from the attributes in configSchema.ts: the extension runs it
 * before a session starts (src/validate.ts adds what needs the file system) and the adapter runs it for any DAP
 * client (launcher.ts, attach.ts), so both accept and refuse the same configurations with the same words. Pure.
 */
import { EMPTY_MEANS_UNSET } from './protocol';
import { attachAttributes, launchAttributes, type Attribute, type JsonSchema } from './configSchema';

export interface ValidationProblem {
  /** The configuration attribute at fault, when there is one. */
  attribute?: string;
  message: string;
}

export const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

function describeType(schema: JsonSchema): string {
  switch (schema.type) {
    case 'array': return `an array of ${schema.items?.type ?? 'value'}s`;
    case 'object': return 'an object mapping names to strings';
    case 'integer': return 'a whole number';
    case 'string': return schema.enum ? schema.enum.map(quote).join(' or ') : 'a string';
    default: return `a ${schema.type ?? 'value'}`;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `value` does not match `schema` (a message naming `name`), or undefined when it does. */
export function checkValue(name: string, value: unknown, schema: JsonSchema): string | undefined {
  const problem = checkSchema(name, value, schema);
  return problem && schema.errorMessage ? `${problem} ${schema.errorMessage}` : problem;
}

/** One switch over the JSON-schema forms configSchema.ts uses (68 lines: each form's check is a few lines). */
function checkSchema(name: string, value: unknown, schema: JsonSchema): string | undefined {
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((s) => checkValue(name, value, s) === undefined);
    if (matches.length === 1) return undefined;
    // A number against a number-or-keyword attribute: say what is wrong with the number (range, fraction).
    const numeric = schema.oneOf.filter((s) => s.type === 'integer' || s.type === 'number');
    if (typeof value === 'number' && numeric.length === 1) return checkValue(name, value, numeric[0]);
    if (schema.oneOf.every((s) => s.type !== 'object')) {
      return `"${name}" is ${quote(value)}: it must be ${schema.oneOf.map(describeType).join(' or ')}.`;
    }
    const forms = schema.oneOf.map((s) => quote(Object.fromEntries(
      Object.entries(s.properties ?? {}).map(([k, p]) => [k, p.default]))));
    return `"${name}" is ${quote(value)}: it must be one of ${forms.join(' or ')}.`;
  }
  const wrongType = `"${name}" is ${quote(value)}: it must be ${describeType(schema)}.`;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return wrongType;
      if (schema.enum && !schema.enum.includes(value)) return wrongType;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `"${name}" is "": it must not be empty.`;
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
        return `"${name}" is ${quote(value)}: it must have the form ${schema.patternErrorMessage ?? schema.pattern}.`;
      }
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : wrongType;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType;
      if (schema.type === 'integer' && !Number.isInteger(value)) return wrongType;
      if (schema.minimum !== undefined && value < schema.minimum) {
        return `"${name}" is ${value}: it must be at least ${schema.minimum}.`;
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        return `"${name}" is ${value}: it must be at most ${schema.maximum}.`;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return wrongType;
      const items = schema.items;
      const bad = items ? value.findIndex((v) => checkValue(name, v, items) !== undefined) : -1;
      return bad < 0 ? undefined : `"${name}[${bad}]" is ${quote(value[bad])}: ${name} must be ${describeType(schema)}.`;
    }
    case 'object': {
      if (!isPlainObject(value)) return wrongType;
      for (const key of schema.required ?? []) {
        if (!(key in value)) return `"${name}" needs "${key}".`;
      }
      for (const [key, v] of Object.entries(value)) {
        if (schema.propertyNames?.minLength !== undefined && key.length < schema.propertyNames.minLength) {
          return `"${name}" has an empty name: each entry needs one.`;
        }
        const sub = schema.properties?.[key]
          ?? (isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
        if (!sub) {
          if (schema.additionalProperties === false) return `"${name}" has an unknown field "${key}".`;
          continue;
        }
        const problem = checkValue(`${name}.${key}`, v, sub);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

const emptyMeansUnset = new Set(EMPTY_MEANS_UNSET);

export function isSet(config: Record<string, unknown>, key: string): boolean {
  const v = config[key];
  return v !== undefined && v !== null && !(v === '' && emptyMeansUnset.has(key));
}

export function checkTypes(config: Record<string, unknown>, attributes: Record<string, Attribute>): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const [key, schema] of Object.entries(attributes)) {
    if (!isSet(config, key)) continue;
    // Other string attributes have no meaning when empty (the adapter refuses them too): say so, not "not found".
    const message = config[key] === '' && schema.type === 'string'
      ? `"${key}" is "": it must not be empty (remove it to use the default).`
      : checkValue(key, config[key], schema);
    if (message) problems.push({ attribute: key, message });
  }
  return problems;
}

/**
 * What is wrong with a launch configuration's attributes, before anything is looked up on disk: the mode, each
 * attribute's type and range, a recording named, something to record. Empty when its shape is right.
 */
export function launchShapeProblems(config: Record<string, unknown>): ValidationProblem[] {
  const problems = launchTypeProblems(config);
  if (problems.length) return problems;
  if (!isSet(config, 'recording') || String(config.recording).trim() === '') {
    problems.push({ attribute: 'recording', message: `"recording" is missing: set it to the folder that ${config.mode === 'record' ? 'will hold' : 'holds'} the recording, e.g. "\${workspaceFolder}/.recordings/run1".` });
  }
  // A replay needs neither: the recording has its kernel, and without symbols debugging is by instruction.
  if (config.mode === 'record' && !isSet(config, 'program') && !isSet(config, 'kernel')) {
    problems.push({ attribute: 'program', message: '"program" is missing: set it to the guest ELF to record, e.g. "${workspaceFolder}/build/prog.elf", or set "kernel" to the image QEMU boots (with "architecture" when it is a raw binary without symbols).' });
  }
  return problems;
}

/** The mode, and each set attribute's type and range. */
export function launchTypeProblems(config: Record<string, unknown>): ValidationProblem[] {
  const mode = config.mode;
  if (mode === undefined) {
    return [{ attribute: 'mode', message: '"mode" is missing: add "mode": "record" to record the guest, or "mode": "replay" to debug a recording.' }];
  }
  if (mode !== 'record' && mode !== 'replay') {
    return [{ attribute: 'mode', message: `"mode" is ${quote(mode)}: it must be "record" (to record the guest) or "replay" (to debug a recording).` }];
  }
  return checkTypes(config, launchAttributes);
}

/** What is wrong with an attach configuration's attributes (types and forms). */
export function attachShapeProblems(config: Record<string, unknown>): ValidationProblem[] {
  return checkTypes(config, attachAttributes);
}
