// The workspace the VS Code tests open: a temporary copy of test/vscode/workspace with the aarch64 sample guest at
// build/aarch64/prog.elf (and its source). Shared by test/vscode/run.mjs and scripts/test-electron.mjs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..', '..');
const guestElf = path.join(root, 'test/guests/build/aarch64/prog.elf');

/** Builds the sample guests when they are missing (make -C test/guests). */
export function ensureGuest() {
  if (fs.existsSync(guestElf)) return;
  const r = spawnSync('make', ['-s', '-C', 'test/guests'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(guestElf)) {
    throw new Error(`could not build ${path.relative(root, guestElf)} (make -C test/guests): run bash scripts/setup.sh for the cross compilers`);
  }
}

export function makeWorkspace(dir) {
  ensureGuest();
  fs.cpSync(path.join(root, 'test/vscode/workspace'), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'build/aarch64'), { recursive: true });
  fs.copyFileSync(guestElf, path.join(dir, 'build/aarch64/prog.elf'));
  fs.copyFileSync(path.join(root, 'test/guests/prog.c'), path.join(dir, 'prog.c'));
  return dir;
}

/** Builds the extension, the adapter and the test suite; returns the suite's path. */
export async function buildAll() {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
  const { buildSuite, suiteBundle } = await import('./build.mjs');
  await buildSuite();
  return suiteBundle;
}
