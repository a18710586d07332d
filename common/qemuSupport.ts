/**
 * What works with which QEMU, per guest architecture: the README's "QEMU versions" table, Check Setup's report and
 * the adapter's launch warnings say the same thing because they all read this table. Every cell is measured by a
 * test: `test` names the adapter test file (and the QEMU pass: test/adapter/* on 7.2, the QEMU 10.0 pass of
 * scripts/run-tests.mjs) whose assertions prove it; test/unit/qemu-support.test.ts checks that the README shows
 * this table and that each named test file exists and runs in that pass.
 */

export const FEATURES = ['record', 'replay', 'step back', 'reverse continue', 'snapshots'] as const;
export type Feature = typeof FEATURES[number];

export const SUPPORT_VERSIONS = ['7.2', '10.0'] as const;
export type SupportVersion = typeof SUPPORT_VERSIONS[number];

export const SUPPORT_ARCHES = ['aarch64', 'riscv64', 'x86_64'] as const;
export type SupportArch = typeof SUPPORT_ARCHES[number];

export interface Cell {
  works: boolean;
  /** Shown beside ✓/✗: the limit, or how it is worked around. */
  note?: string;
}

export interface Row {
  version: SupportVersion;
  arch: SupportArch;
  cells: Record<Feature, Cell>;
  /** Adapter test files (under test/adapter/) that measure this row on this version. */
  tests: string[];
}

const all = (note?: Partial<Record<Feature, Cell>>): Record<Feature, Cell> => ({
  record: { works: true }, replay: { works: true }, 'step back': { works: true }, 'reverse continue': { works: true },
  snapshots: { works: true }, ...note,
});

/** x86_64: gdb's reverse packets hang QEMU at random there (7.2 and 10.0); the adapter goes back by seeks instead. */
const X86 = (): Record<Feature, Cell> => all({
  'step back': { works: true, note: 'by seeks' },
  'reverse continue': { works: true, note: 'by forward replay' },
  snapshots: { works: true, note: 'microvm (on pc, QEMU hangs loading them)' },
});
/** aarch64: the whole core and Debian's arm64 kernel; riscv64: the files that run on both architectures (timetravel has a snapshot test each). */
const CORE = ['foundation', 'timetravel', 'reverse-source', 'snapshots', 'kernel'];
const CORE_RISCV = ['foundation', 'timetravel'];

export const SUPPORT: readonly Row[] = [
  { version: '7.2', arch: 'aarch64', cells: all(), tests: CORE },
  { version: '7.2', arch: 'riscv64', cells: all(), tests: CORE_RISCV },
  { version: '7.2', arch: 'x86_64', cells: X86(), tests: ['x86_64'] },
  { version: '10.0', arch: 'aarch64', cells: all(), tests: CORE },
  { version: '10.0', arch: 'riscv64', cells: all(), tests: CORE_RISCV },
  { version: '10.0', arch: 'x86_64', cells: X86(), tests: ['x86_64'] },
];

/** The row of a version (major.minor) and architecture, or undefined when it was not measured. */
export function supportOf(version: string, arch: string): Row | undefined {
  return SUPPORT.find((r) => r.version === version && r.arch === arch);
}

/** "record, replay, step back, snapshots; not reverse continue (QEMU deadlocks: …)". */
export function describeSupport(row: Row): string {
  const yes = FEATURES.filter((f) => row.cells[f].works);
  const no = FEATURES.filter((f) => !row.cells[f].works).map((f) => `${f} (${row.cells[f].note ?? 'fails'})`);
  return no.length ? `${yes.join(', ')}; not ${no.join(', ')}` : `all of ${yes.join(', ')}`;
}

/** The README's table, as Markdown. */
export function supportTable(): string {
  const lines = [
    `| QEMU | guest | ${FEATURES.join(' | ')} |`,
    `|---|---|${FEATURES.map(() => '---').join('|')}|`,
  ];
  for (const row of SUPPORT) {
    const cells = FEATURES.map((f) => (row.cells[f].works ? '✓' : '✗') + (row.cells[f].note ? ` ${row.cells[f].note}` : ''));
    lines.push(`| ${row.version} | ${row.arch} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
