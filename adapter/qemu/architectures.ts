/** What QEMU and gdb need to know per guest architecture, keyed by ELF machine and class. */
import type { ArchitectureName } from '../../common/protocol';

export interface Architecture {
  /** Our name, stored in recording manifests. */
  name: ArchitectureName;
  qemu: string;
  machine: string;
  /** Default `-cpu`, or undefined to use the board's default. */
  cpu?: string;
  /** Options the board needs to start a bare ELF with `-kernel`. */
  extraArgs: string[];
  /** The Debian package that ships `qemu`. */
  qemuPackage: string;
}

const ARCHES: Array<Architecture & { elfMachine: number; bits: 32 | 64 }> = [
  { name: 'aarch64', elfMachine: 183, bits: 64, qemu: 'qemu-system-aarch64', machine: 'virt', cpu: 'cortex-a53', extraArgs: [], qemuPackage: 'qemu-system-arm' },
  { name: 'arm', elfMachine: 40, bits: 32, qemu: 'qemu-system-arm', machine: 'virt', cpu: 'cortex-a15', extraArgs: [], qemuPackage: 'qemu-system-arm' },
  { name: 'riscv64', elfMachine: 243, bits: 64, qemu: 'qemu-system-riscv64', machine: 'virt', extraArgs: ['-bios', 'none'], qemuPackage: 'qemu-system-misc' },
  { name: 'riscv32', elfMachine: 243, bits: 32, qemu: 'qemu-system-riscv32', machine: 'virt', extraArgs: ['-bios', 'none'], qemuPackage: 'qemu-system-misc' },
  {
    // microvm, not pc: on pc, replaying from a snapshot saved during a replay (the adapter's rungs and trail) hangs
    // QEMU every time, 7.2.22 and 10.0.2 (docs/qemu-versions.md, x86_64); microvm replays from them. Its qboot also
    // runs ~15 thousand instructions before a PVH ELF's entry (SeaBIOS ~6.4 million). COM1 and an ACPI power-off
    // are there; a program that needs a PC's devices sets "machine": "pc".
    name: 'x86_64', elfMachine: 62, bits: 64, qemu: 'qemu-system-x86_64', machine: 'microvm', extraArgs: [], qemuPackage: 'qemu-system-x86',
  },
];

export function architectureForElf(machine: number, bits: 32 | 64): Architecture | undefined {
  return ARCHES.find((a) => a.elfMachine === machine && a.bits === bits);
}

export function architectureByName(name: string): Architecture | undefined {
  return ARCHES.find((a) => a.name === name);
}

export function knownArchitectures(): string[] {
  return ARCHES.map((a) => a.name);
}
