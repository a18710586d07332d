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
