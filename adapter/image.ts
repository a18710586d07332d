/**
 * What a kernel or firmware image is for, from its first bytes: an ELF header, a Linux boot image header (arm64 and
 * RISC-V Image, 32-bit arm zImage, x86 bzImage), or nothing (a raw binary). Picks the guest architecture of a
 * recording from it, the launch attribute "architecture" and the symbols ELF ("program").
 */
import { open } from 'node:fs/promises';
import { ARCHITECTURES, type ArchitectureName } from '../common/protocol';
import { parseElfHeader, NotElfError } from './elf';
import { errors } from './errors';
import { type Architecture, architectureByName, architectureForElf } from './qemu/architectures';

export type ImageKind =
  | { kind: 'elf'; machine: number; bits: 32 | 64; architecture?: ArchitectureName }
  /** A Linux boot image; `architectures`: what its header allows, the usual one first. */
  | { kind: 'linux'; format: string; architectures: ArchitectureName[] }
  /** Neither: `notElf` says why it is not an ELF file. */
  | { kind: 'raw'; notElf: string };

/** How many bytes `identifyImage` looks at (x86's boot protocol header ends at 0x206). */
export const IMAGE_HEADER_BYTES = 0x240;

const ascii = (buf: Buffer, offset: number, text: string) =>
  buf.length >= offset + text.length && buf.subarray(offset, offset + text.length).equals(Buffer.from(text, 'latin1'));

export function identifyImage(buf: Buffer): ImageKind {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x7f454c46) {
    try {
      const elf = parseElfHeader('', buf);
      return { kind: 'elf', machine: elf.machine, bits: elf.bits, architecture: architectureForElf(elf.machine, elf.bits)?.name };
    } catch (err) {
      if (!(err instanceof NotElfError)) throw err;
      return { kind: 'raw', notElf: err.reason };
    }
  }
  // Documentation/arm64/booting.rst: magic "ARM\x64" at 0x38.
  if (ascii(buf, 0x38, 'ARM\x64')) return { kind: 'linux', format: 'arm64 Linux Image', architectures: ['aarch64'] };
  // Documentation/riscv/boot-image-header.rst: magic2 "RSC\x05" at 0x38; the deprecated magic "RISCV\0\0\0" at 0x30.
  // The header does not say 32 or 64 bits.
  if (ascii(buf, 0x38, 'RSC\x05') || ascii(buf, 0x30, 'RISCV\0\0\0')) {
    return { kind: 'linux', format: 'RISC-V Linux Image', architectures: ['riscv64', 'riscv32'] };
  }
  // arch/arm/boot/compressed/head.S: the zImage magic 0x016f2818 at 0x24 (little-endian).
  if (buf.length >= 0x28 && buf.readUInt32LE(0x24) === 0x016f2818) return { kind: 'linux', format: 'arm zImage', architectures: ['arm'] };
  // Documentation/x86/boot.rst: "HdrS" at 0x202; qemu-system-x86_64 boots 32- and 64-bit kernels.
  if (ascii(buf, 0x202, 'HdrS')) return { kind: 'linux', format: 'x86 bzImage', architectures: ['x86_64'] };
  return { kind: 'raw', notElf: 'no ELF magic number' };
}

export async function readImageKind(file: string): Promise<ImageKind> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(IMAGE_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return identifyImage(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export interface ArchitectureChoice {
  /** The symbols ELF, when there is one, and what it is. */
  program?: { path: string; image: ImageKind };
  /** What QEMU boots. */
  kernel: { path: string; image: ImageKind };
  /** The launch attribute "architecture". */
  explicit?: ArchitectureName;
}

/**
 * The guest architecture of a recording. The symbols ELF must be an ELF of a known machine; the kernel's header,
 * when it has one, must agree with it; "architecture" overrides detection but must not contradict it; a raw binary
 * needs "architecture".
 */
export function chooseArchitecture(c: ArchitectureChoice): Architecture {
  const names = ARCHITECTURES.join(', ');
  if (c.program && c.program.image.kind !== 'elf') {
    const why = c.program.image.kind === 'raw' ? c.program.image.notElf : `${c.program.image.format} header`;
    throw errors.programNotElf(c.program.path, why);
  }
  // Every file that tells an architecture, with what it allows.
  const claims: Array<{ what: string; allows: ArchitectureName[] }> = [];
  for (const [attr, f] of [['program', c.program], ['kernel', c.kernel]] as const) {
    if (!f) continue;
    const img = f.image;
    if (img.kind === 'elf') {
      if (!img.architecture) {
        throw errors.elfMachineUnsupported(attr, f.path, img.machine, img.bits, names);
      }
      claims.push({ what: `"${attr}" ${f.path} (ELF for ${img.architecture})`, allows: [img.architecture] });
    } else if (img.kind === 'linux') {
      claims.push({ what: `"${attr}" ${f.path} (${img.format} header)`, allows: img.architectures });
    }
  }
  let name: ArchitectureName | undefined = c.explicit;
  let from = `"architecture" ${JSON.stringify(c.explicit)}`;
  if (name === undefined) {
    if (!claims.length) {
      throw errors.kernelArchitectureUnknown(c.kernel.path, names);
    }
    name = claims[0].allows[0];
    from = claims[0].what;
  }
  const against = claims.find((cl) => !cl.allows.includes(name));
  if (against) {
    throw errors.architecturesContradict(from, against.what, name, against.allows);
  }
  const arch = architectureByName(name);
  if (!arch) throw errors.architectureInvalid(names, name);
  return arch;
}

/** Reads the headers of "program" and "kernel" and chooses the architecture (see chooseArchitecture). */
export async function selectArchitecture(program: string | undefined, kernel: string, explicit?: ArchitectureName): Promise<Architecture> {
  return chooseArchitecture({
    program: program ? { path: program, image: await readImageKind(program) } : undefined,
    kernel: { path: kernel, image: program === kernel ? await readImageKind(program) : await readImageKind(kernel) },
    explicit,
  });
}
