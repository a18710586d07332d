/**
 * The adapter's cache of what is costly to compute again for the same file: gdb's symbol index (a 270 MB vmlinux
 * takes gdb ~1.5 s to index, ~0.4 s to load from its index cache) and file hashes (a recording's manifest keeps
 * the program's and kernel's sha256). It lives in the user's cache folder, private to the user; losing it only
 * costs time.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from './elf';

/** `$QEMU_REPLAY_CACHE`, else `$XDG_CACHE_HOME/qemu-replay`, else `~/.cache/qemu-replay`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QEMU_REPLAY_CACHE) return path.resolve(env.QEMU_REPLAY_CACHE);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'qemu-replay');
}

/** A sub-folder of the cache, created (mode 0700) if needed; undefined when it cannot be (the cache is optional). */
export function cacheSubdir(name: string, env?: NodeJS.ProcessEnv): string | undefined {
  const dir = path.join(cacheDir(env), name);
  try {
    makeDirs(dir);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * mkdir -p, one level at a time. Node 20's `mkdirSync(dir, { recursive: true })` loops forever when a parent
 * cannot be made for a reason other than "exists" under one that exists (seen with a cache under /proc: the adapter
 * spun at 60 % CPU until killed).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
}

interface HashEntry { size: number; mtimeMs: number; ino: number; sha256: string }

/**
 * sha256 of a file, reused while its size, mtime and inode are those it was computed for (a rebuilt or replaced
 * file changes at least one of them).
 */
export async function cachedSha256(file: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const abs = path.resolve(file);
  const st = statSync(abs);
  const dir = cacheSubdir('sha256', env);
  const index = dir ? path.join(dir, 'index.json') : undefined;
  let entries: Record<string, HashEntry> = {};
  if (index) {
    try {
      entries = JSON.parse(readFileSync(index, 'utf8')) as Record<string, HashEntry>;
    } catch {
      entries = {};
    }
    const e = entries[abs];
    if (e && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ino === st.ino && /^[0-9a-f]{64}$/.test(e.sha256)) return e.sha256;
  }
  const sha256 = await sha256File(abs);
  if (index) {
    entries[abs] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    const names = Object.keys(entries);
    for (const k of names.slice(0, Math.max(0, names.length - 200))) delete entries[k]; // bounded: the oldest go
    try {
      const tmp = `${index}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
      renameSync(tmp, index);
    } catch {
      /* the cache is optional */
    }
  }
  return sha256;
}
