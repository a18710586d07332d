/**
 * Where QEMU's QMP and gdb sockets live (and gdb's working folder): a private directory (mkdtemp: a fresh name, mode 0700) in a folder short enough
 * for the kernel's limit on unix socket paths. `$TMPDIR` alone is not enough: code-server, remote hosts, CI systems
 * and sandboxes set it to long paths, and a socket path longer than sun_path (108 bytes with its NUL) cannot be
 * bound at all. Candidates, first that fits and can be written wins: `$XDG_RUNTIME_DIR` (the user's own 0700 folder,
 * meant for sockets), `$TMPDIR`, `/tmp`. See docs/design.md ("Socket paths").
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors } from '../errors';

/** sun_path is 108 bytes on Linux, NUL included: a socket path has at most 107 bytes. */
export const SOCKET_PATH_MAX = 107;

/** The directory's name: the adapter's pid lets a later session remove it if the adapter dies (killed). */
const PREFIX = 'qemu-replay-';
const ABANDONED = /^qemu-replay-(\d+)-[A-Za-z0-9]{6}$/;

export interface SocketDirOptions {
  /** The environment to read XDG_RUNTIME_DIR from (default: the adapter's). */
  env?: NodeJS.ProcessEnv;
  /** The temporary folder (default: os.tmpdir(), i.e. $TMPDIR or /tmp). */
  tmpdir?: string;
  /** The last resort (default: /tmp). */
  fallback?: string;
  /** The adapter's pid, part of the directory's name (default: process.pid). */
  pid?: number;
}

interface Candidate {
  /** How the message names it ("$TMPDIR"), if not by its path alone. */
  label?: string;
  dir: string;
  /** Why it is not a folder to use at all (not absolute, an XDG_RUNTIME_DIR that is not the user's own, …). */
  problem?: string;
  /** The byte length of the socket paths it would give. */
  socketBytes: number;
}

/** The longest name of a socket the adapter puts in the directory (`qmp.sock`, `gdb.sock`: the same length). */
const LONGEST_SOCKET_NAME = 'qmp.sock';

/** The byte length of the socket path a private directory under `base` gives (mkdtemp adds 6 characters). */
export function socketPathBytes(base: string, pid = process.pid, socketName = LONGEST_SOCKET_NAME): number {
  return Buffer.byteLength(path.join(base, `${PREFIX}${pid}-XXXXXX`, socketName));
}

/** The longest folder path (in bytes) whose private directory still gives socket paths within the limit. */
export function maxBaseBytes(pid = process.pid, socketName = LONGEST_SOCKET_NAME): number {
  return SOCKET_PATH_MAX - socketPathBytes('/', pid, socketName);
}

function candidates(options: SocketDirOptions): Candidate[] {
  const env = options.env ?? process.env;
  const pid = options.pid ?? process.pid;
  const fallback = options.fallback ?? '/tmp';
  const tmpdir = options.tmpdir ?? os.tmpdir();
  const list: Array<Omit<Candidate, 'socketBytes'>> = [];
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg) list.push({ label: '$XDG_RUNTIME_DIR', dir: xdg, problem: runtimeDirProblem(xdg) });
  if (path.resolve(tmpdir) !== path.resolve(fallback)) list.push({ label: '$TMPDIR', dir: tmpdir });
  list.push({ dir: fallback });
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of list) {
    const key = path.resolve(c.dir);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!c.problem && !path.isAbsolute(c.dir)) c.problem = 'is not an absolute path';
    out.push({ ...c, socketBytes: socketPathBytes(c.dir, pid) });
  }
  return out;
}

/** XDG_RUNTIME_DIR is used only as the XDG spec defines it: absolute, a directory of the user's, mode 0700. */
function runtimeDirProblem(dir: string): string | undefined {
  if (!path.isAbsolute(dir)) return 'is not an absolute path';
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    return `cannot be used (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (!st.isDirectory()) return 'is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return 'is not owned by you';
  if (st.mode & 0o077) return `has mode ${(st.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/**
 * Creates the private directory for the adapter's sockets in the first candidate folder that fits and can be
 * written. mkdtemp makes a new directory with a random name and mode 0700 (it never reuses an existing path or
 * follows a symlink), so the sockets inside cannot be reached by other users. When no candidate works, the launch
 * fails here, before QEMU starts, with what was tried and what to set.
 */
export async function createSocketDir(options: SocketDirOptions = {}): Promise<string> {
  const pid = options.pid ?? process.pid;
  const tried: string[] = [];
  for (const c of candidates(options)) {
    let why = c.problem ?? (c.socketBytes > SOCKET_PATH_MAX ? `would give a ${c.socketBytes}-byte socket path` : undefined);
    if (!why) {
      try {
        return await mkdtemp(path.join(c.dir, `${PREFIX}${pid}-`));
      } catch (err) {
        why = `cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      }
    }
    tried.push(`${c.label ? `${c.label} ` : ''}"${c.dir}" ${why}`);
  }
  throw errors.noSocketDir(tried, SOCKET_PATH_MAX, maxBaseBytes(pid));
}

/**
 * Private socket directories of adapters that died without cleaning up (killed): their QEMU is gone too (it gets
 * SIGTERM with its adapter), so only a dead socket is left. Looks in every candidate folder; removes only real
 * directories (not symlinks) of the same user, and only of dead adapters.
 */
export async function removeAbandonedSocketDirs(options: SocketDirOptions = {}): Promise<void> {
  for (const c of candidates(options)) {
    // A folder whose socket paths are too long is still looked into: it may hold directories of older versions.
    if (c.problem) continue; // not a folder of ours to look into
    await removeDirsOfGoneProcesses(c.dir, ABANDONED);
  }
}

/**
 * In `folder`, the directories whose name `pattern` matches with a pid (its first group) that no process has any
 * more: a private folder its adapter could not remove (killed). Only real directories (not symlinks) of this user.
 */
export async function removeDirsOfGoneProcesses(folder: string, pattern: RegExp): Promise<void> {
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    const dir = path.join(folder, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      await rm(dir, { recursive: true, force: true });
    } catch {
      /* gone meanwhile, or not removable: not ours to insist on */
    }
  }
}
