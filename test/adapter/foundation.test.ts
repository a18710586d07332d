/**
 * The record → replay path on real QEMU and gdb, for every supported guest: the manifest, stop at entry,
 * continue to the end of the recording, terminate — and no process left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseReplayLog } from '../../adapter/qemu/replayLog';
import {
  collectOutput, guestElf, icount, launchSession, processesMentioning, QEMU_UNDER_TEST, qemuPathFor, recording as sharedRecording, startClient, withReplay, topFrame,
} from './support';

/** Instructions the board runs before the program's entry: riscv64 virt's reset ROM runs 6 (-bios none). */
const BEFORE_ENTRY = { aarch64: 0, riscv64: 6 } as const;

for (const arch of ['aarch64', 'riscv64'] as const) {
  describe(`record → replay on ${arch}`, () => {
    let recording: string;

    before(async () => {
      recording = await sharedRecording(arch);
    });

    test('the recording has its files and a manifest with the replayable end', () => {
      for (const f of ['replay.bin', 'snapshots.qcow2', 'kernel', 'serial.txt', 'recording.json']) {
        assert.ok(existsSync(path.join(recording, f)), `${f} exists`);
      }
      const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8'));
      assert.equal(m.format, 1);
      assert.equal(m.architecture, arch);
      assert.equal(m.machine, 'virt');
      assert.match(m.qemu.version, new RegExp(`QEMU emulator version ${QEMU_UNDER_TEST.replace('.', '\\.')}\\.`));
      assert.ok(m.qemu.argv.includes('-icount'), 'exact argv kept');
      assert.equal(m.program.path, guestElf(arch));
      assert.match(m.program.sha256, /^[0-9a-f]{64}$/);
      // The guest prints then powers off: the log ends with a SHUTDOWN a few thousand instructions in.
      assert.ok(m.endIcount > 10_000 && m.endIcount < 100_000, `endIcount ${m.endIcount}`);
      // The replayable end is one before the log's first SHUTDOWN. QEMU 7.2 logs it as the last event (riscv64's test
      // device even exits QEMU at once); QEMU 10.0 requests the shutdown and the CPU runs a few more instructions
      // (measured: 25 on riscv64, 0 on aarch64) before the log ends.
      const log = parseReplayLog(readFileSync(path.join(recording, 'replay.bin')));
      assert.equal(m.endIcount, log.shutdownIcount! - 1);
      assert.equal(m.totalInstructions, log.totalInstructions);
      if (QEMU_UNDER_TEST === '7.2') assert.equal(m.endIcount, m.totalInstructions - 1);
      else assert.ok(m.totalInstructions - log.shutdownIcount! < 100, `${m.totalInstructions - log.shutdownIcount!} instructions after the SHUTDOWN`);
      const serial = readFileSync(path.join(recording, 'serial.txt'), 'utf8');
      assert.match(serial, /^qemu-replay sample guest\n/);
      assert.match(serial, /done\n$/);
      assert.ok(!readdirPartial(recording), 'no partial recording left beside it');
    });

    test('replay stops at entry in _start (icount 0, after the reset ROM), runs to the end of the recording, and ends cleanly', async () => {
      await withReplay(recording, { program: guestElf(arch) }, async (dc, entry) => {
        const output: string[] = [];
        dc.on('output', (e) => output.push(String(e.body.output)));
        assert.equal(entry.reason, 'entry');
        const frame = await topFrame(dc);
        assert.equal(frame.name, '_start');
        assert.match(frame.source?.path ?? '', new RegExp(`start-${arch}\\.S$`));
        assert.equal(await icount(dc), BEFORE_ENTRY[arch]);
        const threads = await dc.threadsRequest();
        assert.equal(threads.body.threads.length, 1);

        const end = await dc.continueToStop();
        const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8'));
        assert.equal(await icount(dc), m.endIcount);
        assert.match(end.text ?? '', /End of the recording/);
        // The serial output reached by the replay, each line once, marked with its icount.
        const lines = output.join('').split('\n').filter((l) => l.startsWith('[icount'));
        assert.ok(lines.some((l) => /^\[icount \d+\] qemu-replay sample guest$/.test(l)), lines.join('\n'));
        assert.equal(lines.filter((l) => l.endsWith('done')).length, 1);

        // Continuing at the end does not run QEMU off the log: it reports the end again.
        const again = await dc.continueToStop();
        assert.match(again.text ?? '', /End of the recording/);
        assert.equal(await icount(dc), m.endIcount);
      });
      await waitFor(() => processesMentioning(recording).length === 0, 5_000);
      assert.deepEqual(processesMentioning(recording), [], 'no QEMU or gdb left');
    });
  });
}

describe('a replay whose program changed since it was recorded', () => {
  test('says so once, as a warning, and replays with the program given', async () => {
    const rec = await sharedRecording('aarch64');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-changed-'));
    const changed = path.join(dir, 'prog.elf');
    // The same ELF with a byte more at the end: still the program, no longer the file that was recorded.
    writeFileSync(changed, Buffer.concat([readFileSync(guestElf('aarch64')), Buffer.from([0])]));
    const dc = await startClient();
    const output = collectOutput(dc);
    try {
      const entry = await dc.stopAfter(() => launchSession(dc, { mode: 'replay', recording: rec, program: changed, ...(qemuPathFor('aarch64') ? { qemuPath: qemuPathFor('aarch64') } : {}) }));
      assert.equal(entry.reason, 'entry');
      const warnings = output.join('').split('\n').filter((l) => l.startsWith('Warning:'));
      assert.deepEqual(warnings, [`Warning: ${changed} changed since it was recorded: symbols may not match what ran. Rebuild the same source, or record again.`]);
      assert.equal((await topFrame(dc)).name, '_start');
    } finally {
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function readdirPartial(recording: string): boolean {
  const parent = path.dirname(recording);
  return readdirSync(parent).some((n) => n.includes('.partial-'));
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
