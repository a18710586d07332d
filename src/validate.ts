/**
 * Checks a `qemu-replay` debug configuration before a session starts, so that a mistake in launch.json is reported
 * as one clear message saying what to change, instead of a QEMU or gdb failure later. Pure: no `vscode` import; the
 * file system is reached through a `PathProbe` so unit tests give a fake one.
 */
import * as path from 'node:path';
import { EMPTY_MEANS_UNSET } from '../common/protocol';
import { attachAttributes, launchAttributes, type Attribute, type JsonSchema } from './configSchema';

export type PathKind = 'file' | 'directory' | 'other';

export interface PathProbe {
  /** What is at this absolute path, or undefined when nothing is. */
  kind(absolutePath: string): PathKind | undefined;
}

export interface ValidationProblem {
  /** The configuration attribute at fault, when there is one. */
  attribute?: string;
  message: string;
}

export interface ValidationContext {
  /** The workspace folder: relative paths are resolved against "cwd", else against it. */
  baseDir?: string;
  probe: PathProbe;
}

const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

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

function isSet(config: Record<string, unknown>, key: string): boolean {
  const v = config[key];
  return v !== undefined && v !== null && !(v === '' && emptyMeansUnset.has(key));
}

function checkTypes(config: Record<string, unknown>, attributes: Record<string, Attribute>): ValidationProblem[] {
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

/** Resolves a configured path the way the adapter does: against "cwd", else against the workspace folder. */
export function resolvePath(p: string, config: Record<string, unknown>, baseDir: string | undefined): string {
  const cwd = typeof config.cwd === 'string' && config.cwd !== '' ? config.cwd : undefined;
  const base = cwd !== undefined ? path.resolve(baseDir ?? process.cwd(), cwd) : baseDir ?? process.cwd();
  return path.resolve(base, p);
}

/** A binary named by path (not just a name looked up on PATH) must exist. */
function checkBinary(key: string, config: Record<string, unknown>, ctx: ValidationContext): ValidationProblem[] {
  const value = config[key];
  if (typeof value !== 'string' || value === '' || !value.includes('/')) return [];
  const abs = resolvePath(value, config, ctx.baseDir);
  if (ctx.probe.kind(abs) === 'file') return [];
  return [{ attribute: key, message: `"${key}" is "${value}", which does not exist: install it, or give its full path (or just its name to look it up on PATH).` }];
}

function checkLaunch(config: Record<string, unknown>, ctx: ValidationContext): ValidationProblem[] {
  const mode = config.mode;
  if (mode === undefined) {
    return [{ attribute: 'mode', message: '"mode" is missing: add "mode": "record" to record the guest, or "mode": "replay" to debug a recording.' }];
  }
  if (mode !== 'record' && mode !== 'replay') {
    return [{ attribute: 'mode', message: `"mode" is ${quote(mode)}: it must be "record" (to record the guest) or "replay" (to debug a recording).` }];
  }
  const problems = checkTypes(config, launchAttributes);
  if (problems.length) return problems;

  if (!isSet(config, 'recording') || config.recording === '') {
    problems.push({ attribute: 'recording', message: `"recording" is missing: set it to the folder that ${mode === 'record' ? 'will hold' : 'holds'} the recording, e.g. "\${workspaceFolder}/.recordings/run1".` });
  }
  if (config.cwd !== undefined && config.cwd !== '') {
    const cwd = resolvePath('.', config, ctx.baseDir);
    if (ctx.probe.kind(cwd) !== 'directory') {
      problems.push({ attribute: 'cwd', message: `"cwd" is ${quote(config.cwd)}, which is not a folder: fix the path or remove "cwd".` });
      return problems;
    }
  }
  // A replay needs neither: the recording has its kernel, and without symbols debugging is by instruction.
  if (mode === 'record' && !isSet(config, 'program') && !isSet(config, 'kernel')) {
    problems.push({ attribute: 'program', message: '"program" is missing: set it to the guest ELF to record, e.g. "${workspaceFolder}/build/prog.elf", or set "kernel" to the image QEMU boots (with "architecture" when it is a raw binary without symbols).' });
  }
  for (const key of ['program', 'kernel'] as const) {
    if (!isSet(config, key)) continue;
    const value = config[key] as string;
    const kind = ctx.probe.kind(resolvePath(value, config, ctx.baseDir));
    if (kind === undefined) {
      problems.push({ attribute: key, message: `"${key}" is "${value}", which does not exist: build the guest first, or fix the path.` });
    } else if (kind !== 'file') {
      problems.push({ attribute: key, message: `"${key}" is "${value}", which is a folder, not a file: point it at the guest ELF.` });
    }
  }
  if (typeof config.recording === 'string' && config.recording !== '') {
    const kind = ctx.probe.kind(resolvePath(config.recording, config, ctx.baseDir));
    if (mode === 'replay' && kind === undefined) {
      problems.push({ attribute: 'recording', message: `"recording" is "${config.recording}", which does not exist: record the guest first with a "mode": "record" configuration, or fix the path.` });
    } else if (kind !== undefined && kind !== 'directory') {
      problems.push({ attribute: 'recording', message: `"recording" is "${config.recording}", which is a file: it must be a folder.` });
    }
  }
  for (const key of ['qemuPath', 'qemuImgPath', 'gdbPath']) problems.push(...checkBinary(key, config, ctx));
  return problems;
}

/** Every problem of a configuration (empty when it can start). */
export function validateConfiguration(config: Record<string, unknown>, ctx: ValidationContext): ValidationProblem[] {
  if (config.request === 'attach') {
    const problems = checkTypes(config, attachAttributes);
    return problems.length ? problems : checkBinary('gdbPath', config, ctx);
  }
  if (config.request !== 'launch') {
    return [{ attribute: 'request', message: `"request" is ${quote(config.request)}: it must be "launch" (record or replay) or "attach" (to a running QEMU).` }];
  }
  return checkLaunch(config, ctx);
}

/** One message for the user: the configuration's name, then every problem. */
export function formatProblems(name: unknown, problems: readonly ValidationProblem[]): string {
  const label = typeof name === 'string' && name !== '' ? `"${name}"` : 'this configuration';
  return `QEMU Replay cannot start ${label}: ${problems.map((p) => p.message).join(' ')}`;
}
