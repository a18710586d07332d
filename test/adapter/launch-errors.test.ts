/**
 * Bad launch configurations, table-driven: each gets a specific, actionable error in the launch response, no
 * stack trace, no process left running, and no file changed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QmpClient } from '../../adapter/qemu/qmp';
import { guestElf, processesMentioning, recording, startClient, tempDir } from './support';

interface Row {
  name: string;
  args: () => Record<string, unknown>;
  error: RegExp;
}

/** Every file below `dir` with its size and modification time. */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true })) {
    const p = path.join(dir, String(entry));
    const st = statSync(p);
    out.push(`${String(entry)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

describe('bad launch configurations', () => {
  let fx: string; // fixture folder
  let good: string; // a good recording
  const elf = guestElf('aarch64');

  before(async () => {
    good = await recording('aarch64');
    fx = tempDir('qr-bad-');
    writeFileSync(path.join(fx, 'notes.txt'), 'not an ELF\n');
    writeFileSync(path.join(fx, 'not-executable'), '#!/bin/sh\n');
    mkdirSync(path.join(fx, 'a-directory'));
    mkdirSync(path.join(fx, 'not-a-recording'));
    writeFileSync(path.join(fx, 'not-a-recording', 'keep.txt'), 'user data\n');
    // An ELF for MIPS (machine 8): a valid header, an architecture we have no QEMU for.
    const mips = Buffer.alloc(64);
    mips.writeUInt32BE(0x7f454c46, 0); mips[4] = 1; mips[5] = 1; mips.writeUInt16LE(8, 18);
    writeFileSync(path.join(fx, 'mips.elf'), mips);
    writeFileSync(path.join(fx, 'short.elf'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2]));
    const variant = (name: string, change: (dir: string) => void) => {
      const dir = path.join(fx, name);
      cpSync(good, dir, { recursive: true });
      change(dir);
    };
    variant('truncated-log', (d) => truncateSync(path.join(d, 'replay.bin'), 100));
    variant('empty-log', (d) => truncateSync(path.join(d, 'replay.bin'), 0));
    variant('future-format', (d) => editManifest(d, (m) => ({ ...m, format: 99 })));
    variant('bad-json', (d) => writeFileSync(path.join(d, 'recording.json'), '{"format": 1, '));
    variant('no-end', (d) => editManifest(d, (m) => { delete m.endIcount; return m; }));
    variant('negative-end', (d) => editManifest(d, (m) => ({ ...m, endIcount: -4 })));
    variant('not-an-object', (d) => writeFileSync(path.join(d, 'recording.json'), '[1,2,3]'));
    variant('no-log', (d) => { writeFileSync(path.join(d, 'replay.bin.gone'), ''); rmSync(path.join(d, 'replay.bin')); });
    variant('no-manifest', (d) => rmSync(path.join(d, 'recording.json')));
    variant('no-kernel', (d) => rmSync(path.join(d, 'kernel')));
    variant('corrupt-log', (d) => { const b = readFileSync(path.join(d, 'replay.bin')); b[20] ^= 0xff; writeFileSync(path.join(d, 'replay.bin'), b); });
    copyFileSync(elf, path.join(fx, 'copy.elf'));
    chmodSync(path.join(fx, 'not-executable'), 0o644);
  });
  after(() => { rmSync(fx, { recursive: true, force: true }); });

  const rec = (name: string) => path.join(fx, name);
  const rows: Row[] = [
    { name: 'no mode', args: () => ({ recording: rec('r1'), program: elf }), error: /"mode" is missing: add "mode": "record" to record the guest, or "mode": "replay"/ },
    { name: 'mode of the wrong type', args: () => ({ mode: 3, recording: rec('r1'), program: elf }), error: /"mode" is 3: it must be "record" \(to record the guest\) or "replay"/ },
    { name: 'unknown mode', args: () => ({ mode: 'rewind', recording: rec('r1'), program: elf }), error: /"mode" is "rewind": it must be "record"/ },
    { name: 'no recording', args: () => ({ mode: 'record', program: elf }), error: /"recording" is missing: set it to the folder that will hold the recording/ },
    { name: 'recording of the wrong type', args: () => ({ mode: 'replay', recording: 5 }), error: /"recording" is 5: it must be a string\./ },
    { name: 'empty recording', args: () => ({ mode: 'replay', recording: '  ' }), error: /"recording" is missing: set it to the folder that holds the recording/ },
    { name: 'record without a program', args: () => ({ mode: 'record', recording: rec('r1') }), error: /"program" is missing: set it to the guest ELF to record.*or set "kernel"/ },
    { name: 'program of the wrong type', args: () => ({ mode: 'record', recording: rec('r1'), program: 123 }), error: /"program" is 123: it must be a string\./ },
    { name: 'empty program ("" means not set, as in the extension)', args: () => ({ mode: 'record', recording: rec('r1'), program: '' }), error: /"program" is missing: set it to the guest ELF to record/ },
    { name: 'empty machine (only kernel, qemuPath, cpu and program may be "")', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, machine: '' }), error: /"machine" is "": it must not be empty \(remove it to use the default\)/ },
    { name: 'program not found', args: () => ({ mode: 'record', recording: rec('r1'), program: rec('missing.elf') }), error: /"program" .*missing\.elf does not exist/ },
    { name: 'program is a directory', args: () => ({ mode: 'record', recording: rec('r1'), program: rec('a-directory') }), error: /is a directory; it must be the guest's ELF/ },
    { name: 'program is not an ELF', args: () => ({ mode: 'record', recording: rec('r1'), program: rec('notes.txt') }), error: /notes\.txt is not an ELF file \(no ELF magic number\)/ },
    { name: 'program is a truncated ELF', args: () => ({ mode: 'record', recording: rec('r1'), program: rec('short.elf') }), error: /short\.elf is not an ELF file/ },
    { name: 'architecture with no QEMU', args: () => ({ mode: 'record', recording: rec('r1'), program: rec('mips.elf') }), error: /ELF machine 8 .* no QEMU for\. Known: aarch64/ },
    { name: 'kernel not found', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, kernel: rec('vmlinux') }), error: /"kernel" .*vmlinux does not exist/ },
    { name: 'qemuPath missing', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuPath: '/nonexistent/qemu-system-aarch64' }), error: /QEMU was not found or is not executable .*apt-get install qemu-system-arm/ },
    { name: 'qemuPath not executable', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuPath: rec('not-executable') }), error: /QEMU was not found or is not executable/ },
    { name: 'qemuPath is a directory', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuPath: rec('a-directory') }), error: /QEMU was not found or is not executable/ },
    { name: 'gdbPath missing', args: () => ({ mode: 'replay', recording: good, gdbPath: 'no-such-gdb' }), error: /gdb was not found .*apt-get install gdb-multiarch/ },
    { name: 'qemuImgPath missing', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuImgPath: '/nope/qemu-img' }), error: /qemu-img was not found .*qemu-utils/ },
    { name: 'qemuArgs not an array', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuArgs: '-d guest_errors' }), error: /"qemuArgs" is "-d guest_errors": it must be an array of strings\. One argument per string, e\.g\. \["-d", "guest_errors"\]/ },
    { name: 'qemuArgs with a number', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuArgs: ['-m', 256] }), error: /"qemuArgs\[1\]" is 256: qemuArgs must be an array of strings/ },
    { name: 'env with a number', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, env: { A: 1 } }), error: /"env\.A" is 1: it must be a string\./ },
    { name: 'overwrite not a boolean', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, overwrite: 'yes' }), error: /"overwrite" is "yes": it must be a boolean\./ },
    { name: 'stopOnEntry not a boolean', args: () => ({ mode: 'replay', recording: good, stopOnEntry: 1 }), error: /"stopOnEntry" is 1: it must be a boolean\./ },
    { name: 'icountShift too large', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, icountShift: 99 }), error: /"icountShift" is 99: it must be at most 10\./ },
    { name: 'icountShift unknown keyword', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, icountShift: 'fast' }), error: /"icountShift" is "fast": it must be "auto" or a whole number\./ },
    { name: 'icountShift fractional', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, icountShift: 2.5 }), error: /"icountShift" is 2\.5: it must be a whole number\./ },
    { name: 'recordLimit negative', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, recordLimit: { instructions: -1 } }), error: /"recordLimit" is \{"instructions":-1\}: it must be one of \{"instructions":\d+\} or \{"seconds":\d+\}/ },
    { name: 'recordLimit unknown unit', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, recordLimit: { minutes: 1 } }), error: /"recordLimit" is \{"minutes":1\}: it must be one of/ },
    { name: 'recordLimit fractional instructions', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, recordLimit: { instructions: 1.5 } }), error: /"recordLimit" is \{"instructions":1\.5\}: it must be one of/ },
    { name: 'snapshotInterval negative', args: () => ({ mode: 'replay', recording: good, snapshotInterval: -5 }), error: /"snapshotInterval" is -5: it must be at least 0\./ },
    { name: 'snapshotBudgetMB not a number', args: () => ({ mode: 'replay', recording: good, snapshotBudgetMB: 'lots' }), error: /"snapshotBudgetMB" is "lots": it must be a whole number\./ },
    { name: 'recording exists in record mode', args: () => ({ mode: 'record', recording: good, program: elf }), error: /already exists\. Choose another "recording" directory, or set "overwrite": true/ },
    { name: 'overwrite of a folder that is not a recording', args: () => ({ mode: 'record', recording: rec('not-a-recording'), program: elf, overwrite: true }), error: /is not a recording .* refusing to overwrite it/ },
    { name: 'recording missing in replay mode', args: () => ({ mode: 'replay', recording: rec('never-recorded') }), error: /does not exist\. Record it first/ },
    { name: 'recording is a file', args: () => ({ mode: 'replay', recording: rec('notes.txt') }), error: /is a file; "recording" must be a recording directory/ },
    { name: 'recording without a manifest', args: () => ({ mode: 'replay', recording: rec('no-manifest') }), error: /has no recording\.json: it is not a complete recording/ },
    { name: 'truncated replay.bin', args: () => ({ mode: 'replay', recording: rec('truncated-log') }), error: /replay\.bin changed since it was recorded .* truncated or corrupt/ },
    { name: 'empty replay.bin', args: () => ({ mode: 'replay', recording: rec('empty-log') }), error: /truncated or corrupt/ },
    { name: 'corrupt replay.bin', args: () => ({ mode: 'replay', recording: rec('corrupt-log') }), error: /replay\.bin changed since it was recorded/ },
    { name: 'replay.bin missing', args: () => ({ mode: 'replay', recording: rec('no-log') }), error: /missing replay\.bin/ },
    { name: 'kernel copy missing', args: () => ({ mode: 'replay', recording: rec('no-kernel') }), error: /missing kernel/ },
    { name: 'manifest from a future version', args: () => ({ mode: 'replay', recording: rec('future-format') }), error: /format 99, newer than this qemu-replay understands/ },
    { name: 'manifest not JSON', args: () => ({ mode: 'replay', recording: rec('bad-json') }), error: /recording\.json is not valid JSON/ },
    { name: 'manifest without endIcount', args: () => ({ mode: 'replay', recording: rec('no-end') }), error: /no valid "endIcount"/ },
    { name: 'manifest with a negative endIcount', args: () => ({ mode: 'replay', recording: rec('negative-end') }), error: /no valid "endIcount"/ },
    { name: 'manifest not an object', args: () => ({ mode: 'replay', recording: rec('not-an-object') }), error: /not a qemu-replay manifest/ },
    { name: 'QEMU rejects an option at start-up', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, qemuArgs: ['-no-such-option'] }), error: /QEMU failed to start: QEMU exited during start-up .*\n.*invalid option/ },
    { name: 'QEMU does not know the machine', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, machine: 'no-such-board' }), error: /QEMU failed to start.*\n.*unsupported machine type/ },
    { name: 'QEMU does not know the CPU', args: () => ({ mode: 'record', recording: rec('r1'), program: elf, cpu: 'no-such-cpu' }), error: /QEMU failed to start/ },
  ];

  test(`the table has at least 40 rows (${rows.length})`, () => assert.ok(rows.length >= 40));

  for (const row of rows) {
    test(row.name, async () => {
      const before = tree(fx);
      const dc = await startClient();
      try {
        await dc.initializeRequest();
        await assert.rejects(dc.launch(row.args()), (err: Error) => {
          assert.match(err.message, row.error);
          assert.doesNotMatch(err.message, /\n\s+at |Internal error/, 'no stack trace or internal error');
          return true;
        });
      } finally {
        await dc.stop();
      }
      assert.deepEqual(processesMentioning(fx), [], 'no QEMU or gdb left');
      assert.deepEqual(tree(fx), before, 'no file changed');
    });
  }

  test('a qcow2 locked by another QEMU (a second replay of the same recording) is explained', async () => {
    const holderDir = tempDir('qr-holder-');
    const holderQmp = path.join(holderDir, 'qmp.sock');
    // -net none: the default NIC needs a ROM (efi-virtio.rom) that a QEMU without ipxe-qemu lacks; the adapter's QEMU has none.
    const holder = spawn('qemu-system-aarch64', ['-M', 'virt', '-display', 'none', '-net', 'none', '-S', '-monitor', 'none', '-serial', 'null',
      '-drive', `file=${path.join(good, 'snapshots.qcow2')},if=none,id=rr`, '-qmp', `unix:${holderQmp},server=on,wait=off`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    let holderStderr = '';
    holder.stderr.on('data', (d: Buffer) => { holderStderr += d.toString(); });
    const holderExited = new Promise((r) => holder.once('exit', r));
    try {
      await imageOpenIn(holder, holderQmp, 'rr', () => holderStderr);
      const dc = await startClient();
      try {
        await dc.initializeRequest();
        await assert.rejects(dc.launch({ mode: 'replay', recording: good }), /in use by another QEMU/);
      } finally {
        await dc.stop();
      }
      assert.ok(holder.exitCode === null && holder.signalCode === null, `the holder held the image all along: ${holderStderr}`);
    } finally {
      holder.kill('SIGTERM');
      await holderExited;
      rmSync(holderDir, { recursive: true, force: true });
    }
  });
});

/**
 * Waits until the QEMU `proc` says (QMP query-block) that drive `device` is open: from then on it holds the image's
 * lock. Fails clearly if QEMU exits first or does not get there within `timeoutMs`.
 */
async function imageOpenIn(proc: ChildProcess, qmpPath: string, device: string, stderr: () => string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const check = (what: string) => {
    assert.ok(proc.exitCode === null && proc.signalCode === null, `the QEMU holding the image exited (${proc.exitCode ?? proc.signalCode}) ${what}: ${stderr()}`);
    assert.ok(Date.now() < end, `the QEMU holding the image did not ${what} within ${timeoutMs} ms: ${stderr()}`);
  };
  let qmp: QmpClient;
  for (;;) {
    check('open its QMP socket');
    qmp = new QmpClient();
    try {
      await qmp.connect({ path: qmpPath });
      break;
    } catch {
      qmp.close();
      await new Promise((r) => setTimeout(r, 25)); // QEMU has not created or not yet listens on its socket: poll
    }
  }
  try {
    for (;;) {
      if ((await qmp.call('query-block', undefined)).some((b) => b.device === device && b.inserted)) return;
      check(`open drive ${device}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    qmp.close();
  }
}

function editManifest(dir: string, change: (m: Record<string, unknown>) => Record<string, unknown>): void {
  const file = path.join(dir, 'recording.json');
  writeFileSync(file, JSON.stringify(change(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)));
}
