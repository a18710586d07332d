/** Long folder paths for tests of socket paths (issue #19): spaces and non-ASCII characters, an exact length. */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';

/** Creates a folder under `base` whose path is exactly `length` characters (more bytes: it is not ASCII). */
export function longFolder(base: string, length: number): string {
  let dir = path.join(base, 'dossier très long — 長いパス with spaces');
  const part = 'ünïcödé and spaces';
  while (dir.length < length) {
    const remaining = length - dir.length;
    dir = remaining === 1 ? `${dir}x` : `${dir}/${part.slice(0, Math.min(part.length, remaining - 1))}`;
  }
  if (dir.length !== length) throw new Error(`${base} is longer than ${length} characters`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
