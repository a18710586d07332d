// Which QEMU's rules a schema follows. The schema language itself barely changed since QEMU 7.2, but its doc
// comments did: 7.2 indents continuation lines under the text after `@name:` and has `Example:`/`Note:`
// sections; today's QEMU indents them by 4 spaces, adds `Errors:`, replaces examples by `.. qmp-example::`
// blocks, limits lines to 70 columns and wants two spaces between sentences, and knows one more pragma. A QEMU
// tree says which QEMU it is in its VERSION file at the top (beside `qapi/`); where nothing says otherwise the
// schema gets today's rules.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type DialectId = 'qemu-7.2' | 'upstream';

export interface Dialect {
  /** `qemu-7.2`: QEMU 7.2's doc comment rules (checked against its test suite); `upstream`: today's. */
  readonly id: DialectId;
  /** QEMU's version from the VERSION file that decided, if any. */
  readonly version: string | undefined;
  /** The VERSION file that decided, if any. */
  readonly versionFile: string | undefined;
}

export const UPSTREAM: Dialect = { id: 'upstream', version: undefined, versionFile: undefined };

/**
 * Versions before this one get 7.2's doc comment rules. An estimate of when QEMU re-indented its doc comments to
 * today's layout (continuation lines by 4 spaces), which 7.2's rules reject; the later changes (Errors:,
 * qmp-example, line length) are only errors in today's rules. Only 7.2 and today's master were checked against
 * QEMU's own checker.
 */
const FIRST_UPSTREAM: readonly [number, number] = [8, 2];

/** How far above a schema file QEMU's top directory can be: `tests/qapi-schema/include/x.json` is 3 levels down. */
const MAX_LEVELS = 4;

export function dialectOfVersion(version: string, versionFile?: string): Dialect | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const legacy = major < FIRST_UPSTREAM[0] || (major === FIRST_UPSTREAM[0] && minor < FIRST_UPSTREAM[1]);
  return { id: legacy ? 'qemu-7.2' : 'upstream', version: version.trim(), versionFile };
}

const isDir = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The dialect of a schema file: from the first VERSION file (a QEMU version number, beside a `qapi/` directory)
 * in the file's directory or up to 3 levels above; upstream's rules when there is none or the file is not on disk.
 */
export function detectDialect(file: string): Dialect {
  if (!path.isAbsolute(file)) return UPSTREAM;
  let dir = path.dirname(file);
  for (let level = 0; level < MAX_LEVELS; level++) {
    const versionFile = path.join(dir, 'VERSION');
    const st = statSync(versionFile, { throwIfNoEntry: false });
    if (st?.isFile() && st.size < 100 && isDir(path.join(dir, 'qapi'))) {
      let text = '';
      try {
        text = readFileSync(versionFile, 'utf8');
      } catch {
        // unreadable: keep looking above
      }
      const dialect = dialectOfVersion(text, versionFile);
      if (dialect) return dialect;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return UPSTREAM;
}
