/**
 * Issue #19: sessions start wherever TMPDIR points. With TMPDIR a 200-character folder with spaces and non-ASCII
 * characters (code-server, a clone in a deep folder, CI), and the program, the recording and the working folder in
 * it too, record and replay work: QEMU's QMP socket is in a short private folder (mode 0700, within the kernel's
 * 107-byte limit), which is gone after the session. The error when no folder fits is in test/unit/socketdir.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { longFolder } from '../support/longPath';
import {
  childProcessesOf, guestElf, icount, launchSession, ReplayDebugClient, startClient, tempDir, topFrame,
} from './support';

const SOCKET_PATH_MAX = 107;

/** The QMP socket QEMU was given, and the TMPDIR the adapter really runs with. */
function sessionOf(dc: ReplayDebugClient): { socket: string; adapterTmpdir: string | undefined } {
  const pid = dc.adapterPid;
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const adapterTmpdir = environ.find((v) => v.startsWith('TMPDIR='))?.slice('TMPDIR='.length);
  for (const p of childProcessesOf(pid)) {
    const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('-qmp');
    if (i < 0) continue;
    const m = /^unix:(.+),server=on,wait=off$/.exec(argv[i + 1]);
    assert.ok(m, `QMP on a unix socket: ${argv[i + 1]}`);
    return { socket: m[1].replace(/,,/g, ','), adapterTmpdir };
  }
  throw new Error('no QEMU under the adapter');
}

/** Checks the socket's folder while the session runs; returns it (to check that it is gone afterwards). */
function checkSocket(dc: ReplayDebugClient, longTmp: string, parent: string): string {
  const { socket, adapterTmpdir } = sessionOf(dc);
  assert.equal(adapterTmpdir, longTmp, 'the adapter runs with the long TMPDIR');
  assert.ok(Buffer.byteLength(socket) <= SOCKET_PATH_MAX, `${socket}: ${Buffer.byteLength(socket)} bytes`);
  const dir = path.dirname(socket);
  assert.equal(path.dirname(dir), parent);
  assert.match(path.basename(dir), new RegExp(`^qemu-replay-${dc.adapterPid}-[A-Za-z0-9]{6}$`));
  const st = statSync(dir);
  assert.equal(st.mode & 0o777, 0o700, 'only the user can reach the socket');
  assert.equal(st.uid, process.getuid!());
  // QMP's socket and the gdb server's (no TCP port: #18 item 8), nothing else.
  assert.deepEqual(readdirSync(dir).sort(), ['gdb.sock', 'qmp.sock']);
  assert.ok(statSync(socket).isSocket());
  assert.ok(statSync(path.join(dir, 'gdb.sock')).isSocket());
  return dir;
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Ends the session and waits until the adapter's QEMU and gdb are gone (ps may not show non-ASCII paths as such). */
async function end(dc: ReplayDebugClient): Promise<void> {
  const kids = childProcessesOf(dc.adapterPid);
  await dc.terminateRequest().catch(() => undefined);
  await dc.stop();
  const deadline = Date.now() + 5_000;
  while (kids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(kids.filter(alive), [], 'no QEMU or gdb left');
}

describe('socket paths with a 200-character TMPDIR (spaces, non-ASCII)', () => {
  let base: string;
  let longTmp: string;
  let env: NodeJS.ProcessEnv;
  let program: string;
  let recording: string;

  before(() => {
    base = tempDir('qr-sockpath-');
    longTmp = longFolder(base, 200);
    assert.ok(Buffer.byteLength(path.join(longTmp, 'qemu-replay-1-XXXXXX', 'qmp.sock')) > SOCKET_PATH_MAX, 'TMPDIR alone would be too long');
    // The workspace is in the long folder too: the program, the recording, the working folder.
    program = path.join(longTmp, 'prog é.elf');
    copyFileSync(guestElf('aarch64'), program);
    recording = path.join(longTmp, 'rec ü');
    env = { ...process.env, TMPDIR: longTmp };
    delete env.XDG_RUNTIME_DIR; // the fallback, /tmp, then takes the socket: checked below
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  /** A replay of the recording with its cwd in the long folder, stopped at entry. */
  async function launchReplay(dc: ReplayDebugClient): Promise<void> {
    await dc.stopAfter(() => launchSession(dc, { mode: 'replay', program, recording, cwd: longTmp }));
  }

  test('record: QEMU\'s socket is in a short private folder (0700) under /tmp, removed after the session', async () => {
    const dc = await startClient(env);
    let dir: string;
    try {
      const terminated = dc.expectEvent('terminated', { timeout: 60_000 });
      await dc.stopAfter(() => launchSession(dc, { mode: 'record', program, recording, cwd: longTmp, stopOnEntry: true }));
      dir = checkSocket(dc, longTmp, '/tmp');
      await dc.continueRequest({ threadId: 1 });
      await terminated;
    } finally {
      await end(dc);
    }
    assert.ok(!existsSync(dir), 'the private socket folder is removed');
    assert.ok(existsSync(path.join(recording, 'recording.json')), 'the recording is complete');
  });

  test('replay: the same, and QMP works (a seek)', async () => {
    const dc = await startClient(env);
    let dir: string;
    try {
      await launchReplay(dc);
      dir = checkSocket(dc, longTmp, '/tmp');
      await dc.seek({ icount: 3000 });
      assert.equal(await icount(dc), 3000);
      assert.ok((await topFrame(dc)).name, 'gdb answers');
    } finally {
      await end(dc);
    }
    assert.ok(!existsSync(dir), 'the private socket folder is removed');
  });

  test('replay with XDG_RUNTIME_DIR set (the user\'s own 0700 folder): the socket goes there', async () => {
    const runtime = mkdtempSync(path.join(base, 'run-')); // mode 0700, short
    const dc = await startClient({ ...env, XDG_RUNTIME_DIR: runtime });
    let dir: string;
    try {
      await launchReplay(dc);
      dir = checkSocket(dc, longTmp, runtime);
    } finally {
      await end(dc);
    }
    assert.ok(!existsSync(dir), 'the private socket folder is removed');
    assert.deepEqual(readdirSync(runtime), [], 'nothing left in XDG_RUNTIME_DIR');
  });
});
