/**
 * Version awareness (issue #15): the version QEMU reports, which traps each version has, the launch warnings, the
 * refusal to replay a recording on another QEMU version, and where a QEMU installed outside /usr keeps its data.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../adapter/errors';
import { checkReplayVersion, versionWarnings } from '../../adapter/qemu/compat';
import { HitsByPlugin, pluginFor, privateDir } from '../../adapter/engine/hitsByPlugin';
import { qemuArgv, relocatedDataDir, type QemuCommand } from '../../adapter/qemu/process';
import { compareVersions, hasQuirk, parseVersion, versionFromQmp, versionText, type QemuVersion } from '../../adapter/qemu/version';

const v = (s: string): QemuVersion => parseVersion(s)!;

describe('QEMU versions', () => {
  test('query-version and `qemu --version` lines give the same version', () => {
    const fromQmp = versionFromQmp({ qemu: { major: 7, minor: 2, micro: 22 }, package: ' (Debian 1:7.2+dfsg-7+deb12u18+b3)' });
    assert.deepEqual(fromQmp, { major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
    const fromLine = parseVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)');
    assert.deepEqual(fromLine, fromQmp);
    assert.equal(versionText(v('10.0.2')), '10.0.2');
    assert.equal(parseVersion('no version here'), undefined);
  });

  test('versions compare by major, minor, micro', () => {
    assert.ok(compareVersions(v('7.2.22'), v('10.0.2')) < 0);
    assert.ok(compareVersions(v('9.0.3'), v('9.0.2')) > 0);
    assert.equal(compareVersions(v('8.2.2'), v('8.2.2')), 0);
  });

  test('an unknown version keeps every workaround; 9.0.0-9.0.2 have the reverse-debugging hang, 9.0.3 not', () => {
    assert.equal(hasQuirk(undefined, 'prelaunchLoadCrash'), true);
    assert.equal(hasQuirk(undefined, 'x86GdbReverseHangs'), true);
    assert.equal(hasQuirk(v('9.0.2'), 'reverseDebuggingBroken'), true);
    assert.equal(hasQuirk(v('9.0.0'), 'reverseDebuggingBroken'), true);
    assert.equal(hasQuirk(v('9.0.3'), 'reverseDebuggingBroken'), false);
    assert.equal(hasQuirk(v('8.2.2'), 'reverseDebuggingBroken'), false);
  });

  test('launch warnings name the version and the limit', () => {
    assert.deepEqual(versionWarnings(v('7.2.22'), 'aarch64'), []);
    assert.deepEqual(versionWarnings(v('10.0.2'), 'aarch64'), []);
    const old = versionWarnings(v('6.2.0'), 'aarch64');
    assert.equal(old.length, 1);
    assert.match(old[0], /^QEMU 6\.2\.0 is older than 7\.2\.0/);
    assert.match(versionWarnings(v('8.2.2'), 'aarch64')[0], /QEMU 8\.2\.2 has not been tested with qemu-replay \(tested: 7\.2, 10\.0\)/);
    const broken = versionWarnings(v('9.0.1'), 'riscv64');
    assert.ok(broken.some((w) => /^QEMU 9\.0\.1 hangs in reverse debugging/.test(w)), broken.join('\n'));
    for (const version of ['7.2.22', '10.0.2']) {
      const x86 = versionWarnings(v(version), 'x86_64');
      assert.equal(x86.length, 1, version);
      assert.match(x86[0], new RegExp(`^QEMU ${version.replace(/\./g, '\\.')} hangs at random in gdb's reverse operations on x86_64 guests .*: qemu-replay steps back, reverse-continues and reverse-steps with seeks and forward replays instead`));
    }
  });

  test('a replay on another major.minor than the recording is refused, naming both and what to set; another micro is warned about', () => {
    const line = 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)';
    assert.equal(checkReplayVersion(line, '/c/qemu-system-aarch64', v('10.0.2'), '/c/qemu-system-aarch64'), undefined);
    assert.equal(checkReplayVersion('hand-written', '/x', v('7.2.22'), '/x'), undefined);
    // Another micro version of the same release: not measured, so a warning rather than a refusal.
    assert.match(checkReplayVersion(line, '/c/q', v('10.0.3'), '/c/q') ?? '', /^This recording was made with QEMU 10\.0\.2 and is replayed with 10\.0\.3: the same release/);
    assert.throws(() => checkReplayVersion(line, '/c/qemu-system-aarch64', v('7.2.22'), 'qemu-system-aarch64'), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.code, 'recording-version');
      assert.match(err.message, /made with QEMU 10\.0\.2 \(\/c\/qemu-system-aarch64\), and the replay would use QEMU 7\.2\.22 \(qemu-system-aarch64\)/);
      assert.match(err.message, /Set "qemuPath" to a QEMU 10\.0\.2/);
      return true;
    });
  });
});

describe('a QEMU installed outside /usr', () => {
  const cmd: QemuCommand = {
    qemuPath: 'q', machine: 'virt', memory: '128M', kernel: 'k', icountShift: 7, rr: 'replay', replayFile: 'r',
    snapshotImage: 's', archArgs: [], userArgs: [],
  };

  test('gets its own data folder with -L, found through a symlink or PATH; the system QEMU gets none', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'qr-reloc-'));
    try {
      const bin = path.join(root, 'usr', 'bin');
      mkdirSync(bin, { recursive: true });
      mkdirSync(path.join(root, 'usr', 'share', 'qemu'), { recursive: true });
      const qemu = path.join(bin, 'qemu-system-aarch64');
      writeFileSync(qemu, '#!/bin/sh\n');
      chmodSync(qemu, 0o755);
      const data = path.join(root, 'usr', 'share', 'qemu');
      assert.equal(relocatedDataDir(qemu), data);
      const link = path.join(root, 'qemu-link');
      symlinkSync(qemu, link);
      assert.equal(relocatedDataDir(link), data);
      assert.equal(relocatedDataDir('qemu-system-aarch64', { PATH: `/nonexistent:${bin}` }), data);
      assert.equal(relocatedDataDir('/usr/bin/qemu-system-aarch64'), undefined);
      assert.equal(relocatedDataDir(path.join(root, 'missing')), undefined);
      const argv = qemuArgv({ ...cmd, dataDir: data }, '/s/qmp.sock');
      assert.deepEqual(argv.slice(argv.indexOf('-L'), argv.indexOf('-L') + 2), ['-L', data]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('every QEMU runs without an audio backend (no module of another QEMU build is loaded)', () => {
    const argv = qemuArgv(cmd, '/s/qmp.sock');
    assert.deepEqual(argv.slice(argv.indexOf('-audiodev'), argv.indexOf('-audiodev') + 2), ['-audiodev', 'none,id=qr-noaudio']);
    assert.equal(argv.includes('-L'), false);
  });

  test('a background replay (hit history) has the plugin and no gdb server; a session has gdb and no plugin', () => {
    const session = qemuArgv(cmd, '/s/qmp.sock');
    assert.ok(session.includes('-gdb'));
    assert.equal(session.includes('-plugin'), false);
    const background = qemuArgv({ ...cmd, noGdb: true, plugin: '/p/hits-api1.so,out=/t/a,,b.txt,pc=0x40' }, '/s/qmp.sock');
    assert.equal(background.includes('-gdb'), false);
    assert.deepEqual(background.slice(background.indexOf('-plugin'), background.indexOf('-plugin') + 2), ['-plugin', '/p/hits-api1.so,out=/t/a,,b.txt,pc=0x40']);
    assert.ok(background.indexOf('-plugin') < background.indexOf('-S'), 'before the user\'s own arguments');
  });

  test('the hit-history plugin is chosen by its API: 1 up to QEMU 8.1, 2 from 8.2 (10.0 takes 2-4)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-plugin-'));
    try {
      assert.equal(pluginFor({ major: 7, minor: 2, micro: 22 }, dir), undefined, 'none built');
      writeFileSync(path.join(dir, 'hits-api1.so'), '');
      writeFileSync(path.join(dir, 'hits-api2.so'), '');
      assert.equal(pluginFor({ major: 7, minor: 2, micro: 22 }, dir), path.join(dir, 'hits-api1.so'));
      assert.equal(pluginFor({ major: 8, minor: 1, micro: 0 }, dir), path.join(dir, 'hits-api1.so'));
      assert.equal(pluginFor({ major: 8, minor: 2, micro: 0 }, dir), path.join(dir, 'hits-api2.so'));
      assert.equal(pluginFor({ major: 10, minor: 0, micro: 2 }, dir), path.join(dir, 'hits-api2.so'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the plugin is not used for a guest with a disk or flash a second QEMU would open; firmware and -snapshot are no obstacle', () => {
    const base = { qemuPath: 'qemu-system-aarch64', machine: 'virt', memory: '128M', kernel: '/r/kernel', icountShift: 'auto' as const, rr: 'replay' as const, replayFile: '/r/replay.bin', snapshotImage: '/r/snapshots.qcow2', archArgs: [] };
    const why = (userArgs: string[]) => new HitsByPlugin({ cmd: { ...base, userArgs } }, '/p/hits-api1.so', (work) => work()).unusable(1);
    assert.equal(why([]), undefined);
    assert.equal(why(['-bios', '/fw/u-boot.bin', '-snapshot']), undefined);
    assert.match(why(['-drive', 'file=disk.img,if=virtio']) ?? '', /disk or flash \(-drive\)/);
    assert.match(why(['-pflash', 'flash.img']) ?? '', /disk or flash \(-pflash\)/);
    assert.match(new HitsByPlugin({ cmd: { ...base, userArgs: [] } }, undefined, (work) => work()).unusable(1) ?? '', /plugin is not built/);
  });

  test('the background passes\' folder is private to this adapter; one left by an adapter that is gone is removed', async () => {
    const gone = mkdtempSync(path.join(os.tmpdir(), 'qemu-replay-hits-4194303-'));   // Linux's largest pid: no process here has it
    writeFileSync(path.join(gone, 'snapshots.qcow2'), 'x');
    const mine = await privateDir();
    try {
      assert.match(path.basename(mine), new RegExp(`^qemu-replay-hits-${process.pid}-`));
      assert.equal(existsSync(gone), false);
    } finally {
      rmSync(mine, { recursive: true, force: true });
      rmSync(gone, { recursive: true, force: true });
    }
  });
});
