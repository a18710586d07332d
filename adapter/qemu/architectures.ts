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
    // pc, not microvm: microvm's qboot runs ~15 thousand instructions before a PVH ELF's entry (pc's SeaBIOS ~6.4
    // million), but gdb's reverse operations hung QEMU there far more often, on 7.2 and 10.0.2 (docs/qemu-versions.md).
    name: 'x86_64', elfMachine: 62, bits: 64, qemu: 'qemu-system-x86_64', machine: 'pc', extraArgs: [], qemuPackage: 'qemu-system-x86',
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
