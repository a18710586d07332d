import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, cachedSha256, cacheSubdir } from '../../adapter/cache';

void test('cache folder: $QEMU_REPLAY_CACHE, else $XDG_CACHE_HOME/qemu-replay, else ~/.cache/qemu-replay', () => {
  assert.equal(cacheDir({ QEMU_REPLAY_CACHE: '/x/y' }), '/x/y');
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/c' }), '/c/qemu-replay');
  assert.equal(cacheDir({ XDG_CACHE_HOME: 'relative' }), path.join(os.homedir(), '.cache', 'qemu-replay'));
});

void test('a cache folder that cannot be made is no cache (and no hang: Node\'s recursive mkdir loops under /proc)', () => {
  assert.equal(cacheSubdir('gdb-index', { QEMU_REPLAY_CACHE: '/proc/nonexistent/x' }), undefined);
  const root = mkdtempSync(path.join(os.tmpdir(), 'qr-cache-'));
  try {
    const file = path.join(root, 'file');
    writeFileSync(file, '');
    assert.equal(cacheSubdir('gdb-index', { QEMU_REPLAY_CACHE: path.join(file, 'below') }), undefined);
    const made = cacheSubdir('gdb-index', { QEMU_REPLAY_CACHE: path.join(root, 'a', 'b') });
    assert.equal(made, path.join(root, 'a', 'b', 'gdb-index'));
    assert.equal(statSync(made).mode & 0o777, 0o700);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('file hashes are reused while size, mtime and inode stay, and computed again when the file changes', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'qr-cache-'));
  try {
    const env = { QEMU_REPLAY_CACHE: path.join(root, 'cache') };
    const file = path.join(root, 'prog.elf');
    writeFileSync(file, 'one');
    const first = await cachedSha256(file, env);
    assert.equal(first, '7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed');
    assert.equal(await cachedSha256(file, env), first);
    writeFileSync(file, 'two');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(await cachedSha256(file, env), '3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
