/**
 * The guest architecture of a recording from its images' headers (adapter/image.ts): ELF headers, Linux boot image
 * headers (arm64 and RISC-V Image, arm zImage, x86 bzImage) and raw binaries, with the "architecture" attribute
 * overriding, checked against, or filling in for detection. The headers are built here, byte by byte.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ARCHITECTURES } from '../../common/protocol';
import { checkLaunchArguments } from '../../adapter/engine/launcher';
import { UserError } from '../../adapter/errors';
import { chooseArchitecture, identifyImage, selectArchitecture, type ImageKind } from '../../adapter/image';
import { architectureByName, knownArchitectures } from '../../adapter/qemu/architectures';

/** A little-endian ELF header: class 1 (32-bit) or 2 (64-bit), e_machine, e_entry. */
function elfHeader(bits: 32 | 64, machine: number, entry = 0x40080000n): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = bits === 64 ? 2 : 1;
  b[5] = 1; // little-endian
  b[6] = 1; // EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  b.writeUInt32LE(1, 20);
  if (bits === 64) b.writeBigUInt64LE(entry, 24);
  else b.writeUInt32LE(Number(entry), 24);
  return b;
}

/** The first 64 bytes of an arm64 Linux Image (Documentation/arm64/booting.rst). */
function arm64Image(): Buffer {
  const b = Buffer.alloc(0x1000);
  b.writeUInt32LE(0xfa405a4d, 0); // code0: "MZ" + ccmp, as an EFI-stub kernel has
  b.writeUInt32LE(0x14000000 | 0x10, 4); // code1: b stext
  b.writeBigUInt64LE(0n, 8); // text_offset
  b.writeBigUInt64LE(0x2000000n, 16); // image_size
  b.writeBigUInt64LE(0xan, 24); // flags
  b.write('ARM\x64', 0x38, 'latin1');
  b.writeUInt32LE(0x40, 0x3c); // PE header offset
  return b;
}

/** A RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst): magic at 0x30, magic2 at 0x38. */
function riscvImage(which: 'both' | 'magic' | 'magic2'): Buffer {
  const b = Buffer.alloc(0x100);
  b.writeUInt32LE(0x6f, 0); // j
  b.writeBigUInt64LE(0x200000n, 8);
  if (which !== 'magic2') b.write('RISCV\0\0\0', 0x30, 'latin1');
  if (which !== 'magic') b.write('RSC\x05', 0x38, 'latin1');
  return b;
}

function armZImage(): Buffer {
  const b = Buffer.alloc(0x100);
  b.writeUInt32LE(0x016f2818, 0x24);
  b.writeUInt32LE(0, 0x28);
  return b;
}

function x86BzImage(): Buffer {
  const b = Buffer.alloc(0x400);
  b.writeUInt16LE(0xaa55, 0x1fe);
  b.write('HdrS', 0x202, 'latin1');
  return b;
}

/** A raw binary: the start of the aarch64 sample guest as objcopy -O binary leaves it (instructions, no header). */
function rawBinary(): Buffer {
  const words = [0x580000c0, 0x9100001f, 0xd2800000, 0x94000010, 0x14000000, 0xd503201f];
  const b = Buffer.alloc(0x300);
  words.forEach((w, i) => b.writeUInt32LE(w, i * 4));
  return b;
}

const raw: ImageKind = { kind: 'raw', notElf: 'no ELF magic number' };
const kernelOf = (image: ImageKind, p = '/k/Image') => ({ path: p, image });
const userError = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `a UserError, not ${String(err)}`);
    return err;
  }
  throw new Error('no error was thrown');
};

void test('ELF headers give the architecture from e_machine and the class', () => {
  assert.deepEqual(identifyImage(elfHeader(64, 183)), { kind: 'elf', machine: 183, bits: 64, architecture: 'aarch64' });
  assert.deepEqual(identifyImage(elfHeader(32, 40)), { kind: 'elf', machine: 40, bits: 32, architecture: 'arm' });
  assert.deepEqual(identifyImage(elfHeader(64, 243)), { kind: 'elf', machine: 243, bits: 64, architecture: 'riscv64' });
  assert.deepEqual(identifyImage(elfHeader(32, 243)), { kind: 'elf', machine: 243, bits: 32, architecture: 'riscv32' });
  assert.deepEqual(identifyImage(elfHeader(64, 62)), { kind: 'elf', machine: 62, bits: 64, architecture: 'x86_64' });
  assert.deepEqual(identifyImage(elfHeader(32, 8)), { kind: 'elf', machine: 8, bits: 32, architecture: undefined }, 'MIPS: known ELF, no QEMU');
});

void test('Linux boot image headers give the architecture from their magic numbers', () => {
  assert.deepEqual(identifyImage(arm64Image()), { kind: 'linux', format: 'arm64 Linux Image', architectures: ['aarch64'] });
  for (const which of ['both', 'magic', 'magic2'] as const) {
    assert.deepEqual(identifyImage(riscvImage(which)), { kind: 'linux', format: 'RISC-V Linux Image', architectures: ['riscv64', 'riscv32'] }, which);
  }
  assert.deepEqual(identifyImage(armZImage()), { kind: 'linux', format: 'arm zImage', architectures: ['arm'] });
  assert.deepEqual(identifyImage(x86BzImage()), { kind: 'linux', format: 'x86 bzImage', architectures: ['x86_64'] });
});

void test('anything else is a raw binary, saying why it is not an ELF file', () => {
  assert.deepEqual(identifyImage(rawBinary()), raw);
  assert.deepEqual(identifyImage(Buffer.alloc(0)), raw, 'empty');
  assert.deepEqual(identifyImage(Buffer.from('ARM')), raw, 'shorter than any header');
  assert.deepEqual(identifyImage(arm64Image().subarray(0, 0x3b)), raw, 'the arm64 magic cut short');
  const wrongPlace = Buffer.alloc(0x100);
  wrongPlace.write('ARM\x64', 0x30, 'latin1');
  assert.deepEqual(identifyImage(wrongPlace), raw, 'the magic at the wrong offset');
  assert.deepEqual(identifyImage(elfHeader(64, 183).subarray(0, 26)), { kind: 'raw', notElf: 'truncated header' });
  const badClass = elfHeader(64, 183);
  badClass[4] = 7;
  assert.deepEqual(identifyImage(badClass), { kind: 'raw', notElf: 'unknown ELF class or byte order' });
});

void test('a raw binary needs "architecture": the error says so and lists the names', () => {
  const err = userError(() => chooseArchitecture({ kernel: kernelOf(raw, '/fw/prog.bin') }));
  assert.equal(err.code, 'architecture');
  assert.match(err.message, /"kernel" \/fw\/prog\.bin has neither an ELF header nor a Linux boot image header/);
  assert.match(err.message, /Set "architecture" to one of: aarch64, arm, riscv64, riscv32, x86_64\./);
});

void test('"architecture" gives a raw binary its QEMU, machine and CPU defaults', () => {
  for (const name of ARCHITECTURES) {
    assert.equal(chooseArchitecture({ kernel: kernelOf(raw), explicit: name }), architectureByName(name));
  }
  const a64 = chooseArchitecture({ kernel: kernelOf(raw), explicit: 'aarch64' });
  assert.deepEqual([a64.qemu, a64.machine, a64.cpu, a64.extraArgs], ['qemu-system-aarch64', 'virt', 'cortex-a53', []]);
  const rv = chooseArchitecture({ kernel: kernelOf(raw), explicit: 'riscv64' });
  assert.deepEqual([rv.qemu, rv.machine, rv.extraArgs], ['qemu-system-riscv64', 'virt', ['-bios', 'none']]);
});

void test('without "architecture" the kernel\'s header decides: a Linux Image, or an ELF kernel', () => {
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(arm64Image())) }).name, 'aarch64');
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(riscvImage('both'))) }).name, 'riscv64', 'RISC-V Images are 64-bit unless told');
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(armZImage())) }).name, 'arm');
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(elfHeader(64, 243))) }).name, 'riscv64');
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(elfHeader(32, 40))) }).name, 'arm');
});

void test('"program" (the symbols) decides over a raw kernel, and must agree with a kernel that has a header', () => {
  const vmlinux = { path: '/k/vmlinux', image: identifyImage(elfHeader(64, 183)) };
  assert.equal(chooseArchitecture({ program: vmlinux, kernel: kernelOf(identifyImage(arm64Image())) }).name, 'aarch64');
  assert.equal(chooseArchitecture({ program: vmlinux, kernel: kernelOf(raw) }).name, 'aarch64');
  const err = userError(() => chooseArchitecture({ program: vmlinux, kernel: kernelOf(identifyImage(riscvImage('both'))) }));
  assert.equal(err.code, 'architecture');
  assert.match(err.message, /"program" \/k\/vmlinux \(ELF for aarch64\) and "kernel" \/k\/Image \(RISC-V Linux Image header\) contradict each other: aarch64 is not riscv64 or riscv32/);
});

void test('an explicit "architecture" that contradicts the ELF or the Image header is an error naming both', () => {
  let err = userError(() => chooseArchitecture({ kernel: kernelOf(identifyImage(arm64Image())), explicit: 'riscv64' }));
  assert.equal(err.code, 'architecture');
  assert.match(err.message, /"architecture" "riscv64" and "kernel" \/k\/Image \(arm64 Linux Image header\) contradict each other: riscv64 is not aarch64\./);
  err = userError(() => chooseArchitecture({ program: { path: '/p.elf', image: identifyImage(elfHeader(64, 183)) }, kernel: kernelOf(raw), explicit: 'x86_64' }));
  assert.match(err.message, /"architecture" "x86_64" and "program" \/p\.elf \(ELF for aarch64\) contradict each other/);
  err = userError(() => chooseArchitecture({ kernel: kernelOf(identifyImage(elfHeader(32, 40)), '/k/zImage.elf'), explicit: 'aarch64' }));
  assert.match(err.message, /"architecture" "aarch64" and "kernel" \/k\/zImage\.elf \(ELF for arm\) contradict each other/);
  // Agreeing is fine, and picks among what a header allows: a RISC-V Image can be 32-bit.
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(arm64Image())), explicit: 'aarch64' }).name, 'aarch64');
  assert.equal(chooseArchitecture({ kernel: kernelOf(identifyImage(riscvImage('magic2'))), explicit: 'riscv32' }).name, 'riscv32');
});

void test('"program" must be an ELF file; an ELF for a machine without QEMU is refused, listing the known ones', () => {
  let err = userError(() => chooseArchitecture({ program: { path: '/notes.txt', image: raw }, kernel: kernelOf(raw, '/notes.txt'), explicit: 'aarch64' }));
  assert.equal(err.code, 'program');
  assert.match(err.message, /^\/notes\.txt is not an ELF file \(no ELF magic number\)\. "program" must be the guest's ELF with symbols .* leave "program" out and set "kernel" to the image/);
  err = userError(() => chooseArchitecture({ program: { path: '/k/Image', image: identifyImage(arm64Image()) }, kernel: kernelOf(identifyImage(arm64Image())) }));
  assert.match(err.message, /^\/k\/Image is not an ELF file \(arm64 Linux Image header\)/);
  err = userError(() => chooseArchitecture({ kernel: kernelOf(identifyImage(elfHeader(32, 8)), '/mips.elf') }));
  assert.equal(err.code, 'architecture');
  assert.match(err.message, /"kernel" \/mips\.elf is for ELF machine 8 \(32-bit\), which qemu-replay has no QEMU for\. Known: aarch64, arm, riscv64, riscv32, x86_64\./);
});

void test('selectArchitecture reads the files\' headers', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-image-'));
  try {
    const file = (name: string, data: Buffer) => { const p = path.join(dir, name); writeFileSync(p, data); return p; };
    const image = file('Image', arm64Image());
    const vmlinux = file('vmlinux', elfHeader(64, 183, 0xffff800008000000n));
    const bin = file('prog.bin', rawBinary());
    assert.equal((await selectArchitecture(undefined, image)).name, 'aarch64');
    assert.equal((await selectArchitecture(vmlinux, image)).name, 'aarch64');
    assert.equal((await selectArchitecture(vmlinux, vmlinux)).name, 'aarch64', 'program is what QEMU boots');
    assert.equal((await selectArchitecture(undefined, bin, 'riscv64')).name, 'riscv64');
    await assert.rejects(selectArchitecture(undefined, bin), /prog\.bin has neither an ELF header nor a Linux boot image header/);
    await assert.rejects(selectArchitecture(undefined, image, 'arm'), /"architecture" "arm" and "kernel" .*Image \(arm64 Linux Image header\) contradict each other/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the names in the protocol are the architectures the adapter maps, and "architecture" is checked', () => {
  assert.deepEqual([...ARCHITECTURES], knownArchitectures());
  const base = { mode: 'record', recording: '/r', kernel: '/k' };
  assert.equal(checkLaunchArguments({ ...base, architecture: 'riscv32' }).architecture, 'riscv32');
  for (const bad of ['arm64', 64]) {
    assert.throws(() => checkLaunchArguments({ ...base, architecture: bad }),
      new RegExp(`"architecture" is ${JSON.stringify(bad)}: it must be "aarch64" or "arm" or "riscv64" or "riscv32" or "x86_64"\\.$`), String(bad));
  }
  assert.throws(() => checkLaunchArguments({ ...base, architecture: '' }), /"architecture" is "": it must not be empty \(remove it to use the default\)\.$/);
  // null is unset, as in the extension: the header or ELF decides.
  assert.equal(checkLaunchArguments({ ...base, architecture: null }).architecture, undefined);
});
