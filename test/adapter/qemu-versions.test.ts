/**
 * Two QEMU versions side by side (issue #15): QEMU 10.0 unpacked outside /usr (scripts/qemu10.sh) runs with its own
 * firmware folder and no module of the system's 7.2 (no "Only modules from the same build" on stderr); a recording
 * keeps the version that made it, and a replay with the other version is refused before anything runs, naming both
 * versions and "qemuPath", with no QEMU left and the recording untouched.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanup, collectOutput, failure, guestElf, launchSession, processesMentioning, record, startClient, withReplay } from './support';

const QEMU10_DIR = process.env.QR_QEMU10_DIR;
const qemu10 = (arch: string) => path.join(QEMU10_DIR!, 'usr', 'bin', `qemu-system-${arch}`);

function tree(dir: string): string[] {
  return readdirSync(dir).map((f) => `${f} ${statSync(path.join(dir, f)).size} ${statSync(path.join(dir, f)).mtimeMs}`).sort();
}

describe('QEMU 7.2 and 10.0 side by side', () => {
  let on10: string;
  let on72: string;

  before(async () => {
    assert.ok(QEMU10_DIR, 'QR_QEMU10_DIR names the QEMU 10.0 of scripts/qemu10.sh (scripts/run-tests.mjs sets it)');
    on72 = await record('aarch64', { qemuPath: 'qemu-system-aarch64' });
    on10 = await record('aarch64', { qemuPath: qemu10('aarch64') });
  });
  after(() => {
    for (const r of [on72, on10]) if (r) cleanup(r); // removes the recording's temporary parent folder
  });

  test('each recording names the QEMU and version that made it', () => {
    const m72 = JSON.parse(readFileSync(path.join(on72, 'recording.json'), 'utf8'));
    const m10 = JSON.parse(readFileSync(path.join(on10, 'recording.json'), 'utf8'));
    assert.match(m72.qemu.version, /^QEMU emulator version 7\.2\.\d+/);
    assert.match(m10.qemu.version, /^QEMU emulator version 10\.0\.\d+/);
    assert.equal(m10.qemu.path, qemu10('aarch64'));
    // Its own data folder first: a QEMU outside /usr would otherwise load the system 7.2's firmware files.
    const argv: string[] = m10.qemu.argv;
    assert.equal(argv[argv.indexOf('-L') + 1], path.join(QEMU10_DIR!, 'usr', 'share', 'qemu'));
    assert.equal(m72.qemu.argv.includes('-L'), false);
  });

  test('QEMU 10.0 replays its recording with nothing from 7.2 on stderr, and says nothing about its version', async () => {
    await withReplay(on10, { program: guestElf('aarch64') }, async (dc) => {
      const output = collectOutput(dc);
      const end = await dc.continueToStop();
      assert.match(end.text ?? '', /End of the recording/);
      const text = output.join('');
      assert.doesNotMatch(text, /Only modules from the same build|failed to (open|initialize) module/);
      assert.doesNotMatch(text, /Warning: .*QEMU/);
      assert.match(text, /\] done\n/);
    });
  });

  for (const [name, from, withQemu, recorded, running] of [
    ['a 10.0 recording with QEMU 7.2', () => on10, () => '/usr/bin/qemu-system-aarch64', '10\\.0\\.\\d+', '7\\.2\\.\\d+'],
    ['a 7.2 recording with QEMU 10.0', () => on72, () => qemu10('aarch64'), '7\\.2\\.\\d+', '10\\.0\\.\\d+'],
  ] as const) {
    test(`replaying ${name} is refused, naming both versions and qemuPath; nothing runs and nothing changes`, async () => {
      const rec = from();
      const before = tree(rec);
      const dc = await startClient();
      try {
        const message = await failure(launchSession(dc, { mode: 'replay', recording: rec, program: guestElf('aarch64'), qemuPath: withQemu() }));
        assert.match(message, new RegExp(`This recording was made with QEMU ${recorded} \\(.*\\), and the replay would use QEMU ${running} \\(${withQemu().replace(/[/.]/g, '\\$&')}\\)\\.`));
        assert.match(message, new RegExp(`Set "qemuPath" to a QEMU ${recorded}, or record again with QEMU ${running}\\.`));
      } finally {
        await dc.stop();
      }
      assert.deepEqual(processesMentioning(rec), [], 'no QEMU or gdb left');
      assert.deepEqual(tree(rec), before, 'the recording is untouched');
    });
  }
});
