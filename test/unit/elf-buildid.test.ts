import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBuildId, sha256File } from '../../adapter/elf';
import { programChanged } from '../../adapter/engine/launcher';

/** A minimal ELF64 (little-endian): the header, notes, and a section table with a null section and `notes`' sections. */
function elfWithNotes(notes: Buffer[]): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(183, 18); // aarch64
  const body = Buffer.concat(notes);
  const shoff = 64 + body.length;
  header.writeBigUInt64LE(BigInt(shoff), 0x28);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(notes.length + 1, 0x3c);
  const sections = [Buffer.alloc(64)];
  let offset = 64;
  for (const n of notes) {
    const sh = Buffer.alloc(64);
    sh.writeUInt32LE(7, 4); // SHT_NOTE
    sh.writeBigUInt64LE(BigInt(offset), 0x18);
    sh.writeBigUInt64LE(BigInt(n.length), 0x20);
    sections.push(sh);
    offset += n.length;
  }
  return Buffer.concat([header, body, ...sections]);
}

function note(name: string, type: number, desc: Buffer): Buffer {
  const n = Buffer.from(`${name}\0`, 'latin1');
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(n.length, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad(n), pad(desc)]);
}

void test('build id: the GNU build-id note, after other notes; none without one or for a file that is not ELF', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-buildid-'));
  try {
    const id = Buffer.from('aa1baf2841c8b47296c91289f85df12f6c8b8bf2', 'hex');
    const withId = path.join(dir, 'with');
    writeFileSync(withId, elfWithNotes([note('Linux', 3, Buffer.from('xyz')), note('GNU', 1, Buffer.alloc(16)), note('GNU', 3, id)]));
    assert.equal(await readBuildId(withId), 'aa1baf2841c8b47296c91289f85df12f6c8b8bf2');
    const without = path.join(dir, 'without');
    writeFileSync(without, elfWithNotes([note('GNU', 1, Buffer.alloc(16))]));
    assert.equal(await readBuildId(without), undefined);
    const raw = path.join(dir, 'raw');
    writeFileSync(raw, Buffer.alloc(4096));
    await assert.rejects(readBuildId(raw), /not an ELF file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a replay\'s program check: build ids decide when both have one (no hash), the sha256 otherwise', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-buildid-'));
  const env = { ...process.env, QEMU_REPLAY_CACHE: path.join(dir, 'cache') };
  try {
    const id = 'aa1baf2841c8b47296c91289f85df12f6c8b8bf2';
    const withId = path.join(dir, 'with');
    writeFileSync(withId, elfWithNotes([note('GNU', 3, Buffer.from(id, 'hex'))]));
    const sha = await sha256File(withId);
    // The same build id with other bytes (a stripped copy, say): the same program; the hash is not consulted.
    assert.equal(await programChanged({ sha256: 'not-this-file', buildId: id }, withId, env), false);
    assert.equal(await programChanged({ sha256: sha, buildId: 'bb'.repeat(20) }, withId, env), true, 'another build id');
    // No build id recorded (a recording made before build ids were kept), or none in the program: the sha256.
    assert.equal(await programChanged({ sha256: sha }, withId, env), false);
    assert.equal(await programChanged({ sha256: 'other' }, withId, env), true);
    const without = path.join(dir, 'without');
    writeFileSync(without, elfWithNotes([note('GNU', 1, Buffer.alloc(16))]));
    assert.equal(await programChanged({ sha256: await sha256File(without), buildId: id }, without, env), false);
    assert.equal(await programChanged({ sha256: sha, buildId: id }, without, env), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
