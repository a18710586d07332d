// The server's view of the schema files: open editor buffers over the disk, and one checked program per root
// schema. A file opened on its own is checked as part of the schema that includes it (found by scanning its
// directory and the parent for `include` directives), because modules use types an outer file brings in.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParseCache, analyzeProgram, type FileSource, type Program } from './program';

const INCLUDE = /'include'\s*:\s*'([^'\\\n]*)'/g;
const SCHEMA_FILE = /\.(json|qapi)$/;

/** Disk reads cached by modification time and size: a re-check after an edit must not re-read every module. */
class DiskCache {
  private readonly entries = new Map<string, { mtime: number; size: number; text: string | undefined }>();

  read(file: string): string | undefined {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      this.entries.delete(file);
      return undefined;
    }
    if (!stat.isFile()) return undefined;
    const hit = this.entries.get(file);
    if (hit && hit.mtime === stat.mtimeMs && hit.size === stat.size) return hit.text;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    this.entries.set(file, { mtime: stat.mtimeMs, size: stat.size, text });
    return text;
  }
}

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'out', 'build', '.cache']);

/**
 * Schema files under the workspace folders: every `qapi-schema.json` and `*.qapi`, breadth first, bounded so a
 * huge tree cannot stall the server.
 */
export function findSchemaFiles(folders: readonly string[], maxDirs = 5000, maxFiles = 200): string[] {
  const found: string[] = [];
  const queue = [...folders];
  let visited = 0;
  while (queue.length && visited++ < maxDirs && found.length < maxFiles) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory() && !SKIPPED_DIRS.has(e.name) && !e.name.startsWith('.')) queue.push(path.join(dir, e.name));
      else if (e.isFile() && (e.name === 'qapi-schema.json' || e.name.endsWith('.qapi'))) found.push(path.join(dir, e.name));
    }
  }
  return found.slice(0, maxFiles);
}

export class QapiWorkspace {
  private readonly open = new Map<string, string>();
  private readonly disk = new DiskCache();
  private readonly cache = new ParseCache();
  private readonly programs = new Map<string, Program>();
  private readonly roots = new Map<string, string>();
  /** Roots found by scanning the workspace folders: kept for workspace symbols even with no file open. */
  private readonly pinned = new Set<string>();
  readonly source: FileSource = { read: (file) => this.open.get(file) ?? this.disk.read(file) };

  setOpen(file: string, text: string): void {
    this.open.set(file, text);
  }

  close(file: string): void {
    this.open.delete(file);
    this.roots.delete(file);
  }

  isOpen(file: string): boolean {
    return this.open.has(file);
  }

  /** The program a file belongs to, checking it if needed. */
  programFor(file: string): Program {
    const root = this.rootOf(file);
    return this.programs.get(root) ?? this.analyze(root);
  }

  /** Re-checks every program that contains the file; returns them. */
  refresh(file: string): Program[] {
    const roots = new Set<string>([this.rootOf(file)]);
    for (const [root, program] of this.programs) if (program.modules.has(file)) roots.add(root);
    return [...roots].map((root) => this.analyze(root));
  }

  /** Re-checks the programs that contain any of these files (changed on disk); returns them. */
  refreshAll(files: readonly string[]): Program[] {
    const changed = new Set(files);
    const roots = [...this.programs].filter(([, p]) => [...p.modules.keys()].some((f) => changed.has(f))).map(([r]) => r);
    return roots.map((root) => this.analyze(root));
  }

  allPrograms(): Program[] {
    return [...this.programs.values()];
  }

  /** Checks the schemas found in the workspace folders not checked yet (disk changes re-check via refreshAll). */
  checkPinned(files: readonly string[]): void {
    for (const file of files) {
      const root = this.rootOf(file);
      this.pinned.add(root);
      if (!this.programs.has(root)) this.analyze(root);
    }
  }

  /** Forgets programs no open file needs any more. */
  prune(): void {
    const needed = new Set([...this.open.keys()].map((f) => this.roots.get(f)).filter((r) => r !== undefined));
    for (const root of this.pinned) needed.add(root);
    for (const root of this.programs.keys()) if (!needed.has(root)) this.programs.delete(root);
  }

  private analyze(root: string): Program {
    const program = analyzeProgram(root, this.source, this.cache);
    this.programs.set(root, program);
    return program;
  }

  private rootOf(file: string): string {
    let root = this.roots.get(file);
    if (root === undefined) {
      root = this.findRoot(file);
      // The scan is textual: an include directive that is broken (or commented out) does not really include.
      if (root !== file && !(this.programs.get(root) ?? this.analyze(root)).modules.has(file)) root = file;
      this.roots.set(file, root);
    }
    return root;
  }

  /** Walks up "is included by" links; a file in an include loop is its own root (QEMU reports loops from there). */
  private findRoot(file: string): string {
    if (!path.isAbsolute(file)) return file;   // an untitled buffer: nothing on disk includes it
    const includers = this.includers([path.dirname(file), path.dirname(path.dirname(file))]);
    const visited = new Set([file]);
    let current = file;
    for (;;) {
      const candidates = includers.get(current) ?? [];
      if (!candidates.length) return current;
      const next = candidates.find((c) => path.basename(c) === 'qapi-schema.json') ?? candidates[0];
      if (visited.has(next)) return file;
      visited.add(next);
      current = next;
    }
  }

  /** File → the schema files in the given directories that include it. */
  private includers(dirs: string[]): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const dir of new Set(dirs)) {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => SCHEMA_FILE.test(n)).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(dir, name);
        const text = this.source.read(file);
        if (text === undefined || !text.includes("'include'")) continue;
        for (const m of text.matchAll(INCLUDE)) {
          const target = path.resolve(dir, m[1]);
          const list = map.get(target) ?? [];
          if (!list.includes(file)) list.push(file);
          map.set(target, list);
        }
      }
    }
    return map;
  }
}
