/** Just enough ELF to pick the emulator and to fingerprint the program a recording was made from. */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';

export interface ElfInfo {
  machine: number;
  bits: 32 | 64;
  littleEndian: boolean;
  entry: bigint;
}

export class NotElfError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} is not an ELF file (${reason})`);
    this.name = 'NotElfError';
  }
}

export async function readElfHeader(path: string): Promise<ElfInfo> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    return parseElfHeader(path, buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function parseElfHeader(path: string, buf: Buffer): ElfInfo {
  if (buf.length < 24 || buf.readUInt32BE(0) !== 0x7f454c46) throw new NotElfError(path, 'no ELF magic number');
  const bits = buf[4] === 2 ? 64 : buf[4] === 1 ? 32 : undefined;
  const littleEndian = buf[5] === 1;
  if (!bits || (buf[5] !== 1 && buf[5] !== 2)) throw new NotElfError(path, 'unknown ELF class or byte order');
  if (buf.length < (bits === 64 ? 32 : 28)) throw new NotElfError(path, 'truncated header');
  const machine = littleEndian ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  const entry = bits === 64
    ? (littleEndian ? buf.readBigUInt64LE(24) : buf.readBigUInt64BE(24))
    : BigInt(littleEndian ? buf.readUInt32LE(24) : buf.readUInt32BE(24));
  return { machine, bits, littleEndian, entry };
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/**
 * The GNU build id of an ELF file (its NT_GNU_BUILD_ID note, as hex), or undefined when it has none. gdb names its
 * index cache files by it.
 */
export async function readBuildId(path: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const read = async (pos: number | bigint, len: number) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, Number(pos));
      return b.subarray(0, bytesRead);
    };
    const h = await read(0, 64);
    const elf = parseElfHeader(path, h);
    const le = elf.littleEndian;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const is64 = elf.bits === 64;
    const shoff = is64 ? u64(h, 0x28) : u32(h, 0x20);
    const shentsize = u16(h, is64 ? 0x3a : 0x2e);
    const shnum = u16(h, is64 ? 0x3c : 0x30);
    if (!shoff || !shnum || shnum > 4096 || shentsize < (is64 ? 64 : 40)) return undefined;
    const table = await read(shoff, shnum * shentsize);
    for (let i = 0; i < shnum && (i + 1) * shentsize <= table.length; i++) {
      const sh = table.subarray(i * shentsize, (i + 1) * shentsize);
      if (u32(sh, 4) !== 7) continue; // SHT_NOTE
      const offset = is64 ? u64(sh, 0x18) : u32(sh, 0x10);
      const size = is64 ? u64(sh, 0x20) : u32(sh, 0x14);
      if (size > 1 << 16) continue;
      const notes = await read(offset, size);
      for (let p = 0; p + 12 <= notes.length;) {
        const namesz = u32(notes, p), descsz = u32(notes, p + 4), type = u32(notes, p + 8);
        const name = p + 12, desc = name + ((namesz + 3) & ~3);
        if (desc + descsz > notes.length) break;
        if (type === 3 && notes.toString('latin1', name, name + namesz).replace(/\0+$/, '') === 'GNU') {
          return notes.toString('hex', desc, desc + descsz);
        }
        p = desc + ((descsz + 3) & ~3);
      }
    }
    return undefined;
  } finally {
    await fh.close();
  }
}
