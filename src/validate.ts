/**
 * Checks a `qemu-replay` debug configuration before a session starts, so that a mistake in launch.json is reported
 * as one clear message saying what to change, instead of a QEMU or gdb failure later. Pure: no `vscode` import; the
 * file system is reached through a `PathProbe` so unit tests give a fake one.
 */
import * as path from 'node:path';
import { attachShapeProblems, isSet, launchShapeProblems, launchTypeProblems, quote, type ValidationProblem } from '../common/validateConfig';

export { checkValue, type ValidationProblem } from '../common/validateConfig';

export type PathKind = 'file' | 'directory' | 'other';

export interface PathProbe {
  /** What is at this absolute path, or undefined when nothing is. */
  kind(absolutePath: string): PathKind | undefined;
}

export interface ValidationContext {
  /** The workspace folder: relative paths are resolved against "cwd", else against it. */
  baseDir?: string;
  probe: PathProbe;
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
  const types = launchTypeProblems(config);
  if (types.length) return types;
  const mode = config.mode;
  const shape = launchShapeProblems(config); // a recording named, something to record
  const problems = shape.filter((p) => p.attribute === 'recording');
  if (config.cwd !== undefined && config.cwd !== '') {
    const cwd = resolvePath('.', config, ctx.baseDir);
    if (ctx.probe.kind(cwd) !== 'directory') {
      problems.push({ attribute: 'cwd', message: `"cwd" is ${quote(config.cwd)}, which is not a folder: fix the path or remove "cwd".` });
      return problems;
    }
  }
  problems.push(...shape.filter((p) => p.attribute === 'program'));
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
    const problems = attachShapeProblems(config);
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
