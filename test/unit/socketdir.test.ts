/**
 * Where the adapter puts QEMU's QMP socket (issue #19): a short private folder whatever TMPDIR is, the order of the
 * candidates, a clear error before QEMU starts when none fits, and the removal of folders left by dead adapters.
 * No QEMU here: the adapter test test/adapter/socket-paths.test.ts runs real sessions under a long TMPDIR.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../adapter/errors';
import { QemuProcess } from '../../adapter/qemu/process';
import { createSocketDir, maxBaseBytes, removeAbandonedSocketDirs, SOCKET_PATH_MAX, socketPathBytes } from '../../adapter/qemu/socketdir';
import { longFolder } from '../support/longPath';

function listen(socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(socketPath, () => server.close(() => resolve()));
  });
}

/** A pid no process has (beyond any pid_max). */
const DEAD_PID = 2_147_483_646;

describe('private socket folder', () => {
  let base: string;
  let longTmp: string;
  /** A short folder standing in for /tmp, so the tests never depend on (or litter) the real one. */
  let shortTmp: string;

  before(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'qr-sockdir-'));
    longTmp = longFolder(base, 200);
    shortTmp = mkdtempSync(path.join(base, 's'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('a 200-character TMPDIR with spaces and non-ASCII falls back to a short folder; the socket binds there', async () => {
    assert.ok(socketPathBytes(longTmp) > SOCKET_PATH_MAX, 'under TMPDIR the socket path would be too long');
    const dir = await createSocketDir({ env: {}, tmpdir: longTmp, fallback: shortTmp });
    try {
      assert.equal(path.dirname(dir), shortTmp);
      assert.match(path.basename(dir), new RegExp(`^qemu-replay-${process.pid}-[A-Za-z0-9]{6}$`));
      const st = statSync(dir);
      assert.equal(st.mode & 0o777, 0o700);
      assert.equal(st.uid, process.getuid!());
      const sock = path.join(dir, 'qmp.sock');
      assert.ok(Buffer.byteLength(sock) <= SOCKET_PATH_MAX);
      await listen(sock);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a short TMPDIR is used as before', async () => {
    const dir = await createSocketDir({ env: {}, tmpdir: shortTmp, fallback: '/nonexistent-fallback' });
    assert.equal(path.dirname(dir), shortTmp);
    rmSync(dir, { recursive: true });
  });

  test('XDG_RUNTIME_DIR comes first when it is the user\'s own 0700 folder and short enough', async () => {
    const runtime = mkdtempSync(path.join(base, 'r')); // mode 0700
    const dir = await createSocketDir({ env: { XDG_RUNTIME_DIR: runtime }, tmpdir: shortTmp, fallback: shortTmp });
    assert.equal(path.dirname(dir), runtime);
    rmSync(dir, { recursive: true });
  });

  test('XDG_RUNTIME_DIR is passed over when it is not 0700, not a directory, relative, missing or too long', async () => {
    const open = mkdtempSync(path.join(base, 'o'));
    chmodSync(open, 0o755);
    const file = path.join(base, 'a-file');
    writeFileSync(file, '');
    const longRuntime = longFolder(mkdtempSync(path.join(base, 'l')), 150);
    chmodSync(longRuntime, 0o700);
    for (const xdg of [open, file, 'relative/dir', path.join(base, 'missing'), longRuntime]) {
      const dir = await createSocketDir({ env: { XDG_RUNTIME_DIR: xdg }, tmpdir: longTmp, fallback: shortTmp });
      assert.equal(path.dirname(dir), shortTmp, `XDG_RUNTIME_DIR=${xdg}`);
      rmSync(dir, { recursive: true });
    }
  });

  test('no folder fits: a UserError that names each candidate, the limit and what to set', async () => {
    const longRuntime = longFolder(mkdtempSync(path.join(base, 'x')), 120);
    chmodSync(longRuntime, 0o700);
    const missing = path.join(base, 'no such folder');
    const err = await createSocketDir({ env: { XDG_RUNTIME_DIR: longRuntime }, tmpdir: longTmp, fallback: missing }).then(
      () => assert.fail('created a socket folder'), (e: unknown) => e);
    assert.ok(err instanceof UserError, String(err));
    assert.equal(err.code, 'qemu-start');
    const m = err.message;
    assert.match(m, /^Cannot create QEMU's QMP socket: a unix socket path can have at most 107 bytes/);
    assert.ok(m.includes(`$XDG_RUNTIME_DIR "${longRuntime}" would give a ${socketPathBytes(longRuntime)}-byte socket path`), m);
    assert.ok(m.includes(`$TMPDIR "${longTmp}" would give a ${socketPathBytes(longTmp)}-byte socket path`), m);
    assert.ok(m.includes(`"${missing}" cannot be written (ENOENT)`), m);
    assert.ok(m.includes(`Set TMPDIR (or XDG_RUNTIME_DIR, a folder of yours with mode 700) to a writable folder whose path has at most ${maxBaseBytes()} bytes`), m);
    assert.match(m, /in the environment VS Code \(or qemu-replay-dap\) is started with/);
    // The limit the message gives is the real one: a folder of exactly that many bytes fits, one more does not.
    assert.equal(socketPathBytes('/'.padEnd(maxBaseBytes(), 'a')), SOCKET_PATH_MAX);
    assert.equal(socketPathBytes('/'.padEnd(maxBaseBytes() + 1, 'a')), SOCKET_PATH_MAX + 1);
  });

  test('XDG_RUNTIME_DIR not set is said so', async () => {
    const err = await createSocketDir({ env: {}, tmpdir: longTmp, fallback: path.join(base, 'none') }).catch((e: Error) => e);
    assert.match((err as Error).message, /Tried: \$XDG_RUNTIME_DIR \(not set\); \$TMPDIR "/);
  });

  test('QemuProcess.start fails with that error before QEMU starts', async () => {
    const marker = path.join(base, 'qemu-ran');
    const fakeQemu = path.join(base, 'fake-qemu');
    writeFileSync(fakeQemu, `#!/bin/sh\ntouch '${marker}'\nsleep 5\n`, { mode: 0o755 });
    const qemu = new QemuProcess();
    const err = await qemu.start({
      qemuPath: fakeQemu, machine: 'virt', memory: '128M', kernel: '/k', icountShift: 'auto', rr: 'replay',
      replayFile: '/r', snapshotImage: '/s', gdbPort: 1, archArgs: [], userArgs: [],
    }, { socketDirs: { env: {}, tmpdir: longTmp, fallback: path.join(base, 'none') }, timeoutMs: 1_000 }).catch((e: Error) => e);
    await qemu.kill();
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /^Cannot create QEMU's QMP socket/);
    assert.equal(qemu.pid, undefined, 'no process was started');
    assert.ok(!existsSync(marker), 'QEMU never ran');
  });

  test('folders of dead adapters are removed from every candidate; live ones, others and symlinks are kept', async () => {
    const runtime = mkdtempSync(path.join(base, 'd'));
    const tmp = mkdtempSync(path.join(base, 't'));
    const fallback = mkdtempSync(path.join(base, 'f'));
    const precious = mkdtempSync(path.join(base, 'precious'));
    writeFileSync(path.join(precious, 'keep'), '');
    const deadRuntime = path.join(runtime, `qemu-replay-${DEAD_PID}-abcDEF`);
    const deadTmp = path.join(tmp, `qemu-replay-${DEAD_PID}-abc123`);
    const deadFallback = path.join(fallback, `qemu-replay-${DEAD_PID}-xyz789`);
    const live = path.join(fallback, `qemu-replay-${process.pid}-live01`);
    const other = path.join(fallback, `qemu-replay-${DEAD_PID}-x`); // not a name mkdtemp makes
    for (const d of [deadRuntime, deadTmp, deadFallback, live, other]) mkdirSync(d);
    writeFileSync(path.join(deadFallback, 'qmp.sock'), '');
    const link = path.join(fallback, `qemu-replay-${DEAD_PID}-link01`);
    symlinkSync(precious, link);
    await removeAbandonedSocketDirs({ env: { XDG_RUNTIME_DIR: runtime }, tmpdir: tmp, fallback });
    assert.ok(!existsSync(deadRuntime) && !existsSync(deadTmp) && !existsSync(deadFallback), 'dead adapters\' folders are gone');
    assert.ok(existsSync(live), 'a live adapter\'s folder is kept');
    assert.ok(existsSync(other));
    assert.deepEqual(readdirSync(precious), ['keep'], 'a symlink is not followed');
    assert.ok(existsSync(link));
  });

  test('a too-long TMPDIR is still cleaned of folders a dead adapter left there', async () => {
    const dead = path.join(longTmp, `qemu-replay-${DEAD_PID}-old001`);
    mkdirSync(dead);
    await removeAbandonedSocketDirs({ env: {}, tmpdir: longTmp, fallback: shortTmp });
    assert.ok(!existsSync(dead));
  });
});
