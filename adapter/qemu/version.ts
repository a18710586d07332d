/**
 * Which QEMU the adapter talks to, and what that version does differently. The version comes from QMP's
 * `query-version` as soon as QMP is up (before the guest runs); every workaround of a QEMU trap asks `hasQuirk`
 * instead of assuming one version. Each quirk names the versions it was measured on, and the probe suite
 * (test/adapter/qemu-quirks.test.ts) checks every entry against each QEMU installed for the tests, so this table and
 * docs/qemu-versions.md cannot silently drift from what QEMU does.
 */

/** `query-version` (qapi/control.json VersionInfo). */
export interface QmpVersionInfo {
  qemu: { major: number; minor: number; micro: number };
  /** The distribution's build, e.g. " (Debian 1:7.2+dfsg-7+deb12u18+b3)". */
  package: string;
}

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The distribution's package version, trimmed ("Debian 1:10.0.2+ds-2+deb13u1~bpo12+1"), or "". */
  package: string;
}

export function versionFromQmp(info: QmpVersionInfo): QemuVersion {
  const pkg = info.package.trim().replace(/^\((.*)\)$/, '$1');
  return { major: info.qemu.major, minor: info.qemu.minor, micro: info.qemu.micro, package: pkg };
}

/** "7.2.22", "10.0.2". */
export function versionText(v: Pick<QemuVersion, 'major' | 'minor' | 'micro'>): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}

/** Parses "7.2.22" (or "QEMU emulator version 7.2.22 (…)"); undefined when there is no version in it. */
export function parseVersion(text: string): QemuVersion | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)(?:\s*\(([^)]*)\))?/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3]), package: m[4]?.trim() ?? '' } : undefined;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` (package ignored). */
export function compareVersions(a: Pick<QemuVersion, 'major' | 'minor' | 'micro'>, b: Pick<QemuVersion, 'major' | 'minor' | 'micro'>): number {
  return a.major - b.major || a.minor - b.minor || a.micro - b.micro;
}

const at = (s: string) => parseVersion(s)!;
const between = (v: QemuVersion, from: string, below?: string): boolean =>
  compareVersions(v, at(from)) >= 0 && (below === undefined || compareVersions(v, at(below)) < 0);

/** The versions the project measures and supports (the tests run against both). */
export const SUPPORTED_VERSIONS = ['7.2', '10.0'] as const;

/** Oldest QEMU whose record/replay and gdbstub reverse debugging the adapter can use at all. */
export const MINIMUM_VERSION = '7.2.0';

export type QuirkId =
  | 'prelaunchLoadCrash'
  | 'reverseContinueSkipsPrevious'
  | 'seekAbortsWithBreakBehind'
  | 'seekAfterShutdownAborts'
  | 'x86GdbReverseHangs'
  | 'reverseDebuggingBroken';

export interface Quirk {
  id: QuirkId;
  /** What goes wrong, in a sentence. */
  summary: string;
  /** Whether this version has it. */
  affects(v: QemuVersion): boolean;
  /** Where it was measured (versions, guests) and what was seen; docs/qemu-versions.md has the details. */
  measured: string;
}

export const QUIRKS: readonly Quirk[] = [
  {
    id: 'prelaunchLoadCrash',
    summary: 'a seek that loads a snapshot while the VM is still in prelaunch (-S, never run) crashes QEMU at the next start',
    affects: () => true,
    measured: '7.2.22 and 10.0.2 (aarch64 sample, probe): replay-seek past a savevm snapshot while prelaunch → SIGSEGV before the seek answers; replay-seek 0 first is safe on both',
  },
  {
    id: 'reverseContinueSkipsPrevious',
    summary: 'reverse-continue from a breakpoint stop skips a hit at icount-1 and at one before each snapshot it searches from',
    affects: () => true,
    measured: 'both 7.2.22 and 10.0.2 (aarch64 sample, probe): a hit at icount-1 skipped in 14 then 0 (7.2) and 13 then 18 (10.0) of 40 tries in two runs; a hit one instruction before a snapshot the search passes skipped in 14 then 2 (7.2) and 11 then 6 (10.0) of 20 (a race, never seen in a control)',
  },
  {
    id: 'seekAbortsWithBreakBehind',
    summary: 'a replay-seek that loads a snapshot while a replay breakpoint is armed behind the new position aborts QEMU',
    affects: () => true,
    measured: '7.2.22 and 10.0.2 (aarch64 sample, probe): SIGABRT, assertion `replay_break_icount >= replay_get_current_icount()` in replay_break',
  },
  {
    id: 'seekAfterShutdownAborts',
    summary: 'with -no-shutdown, QEMU parked in `shutdown` at the end of the log aborts on a later seek or reverse operation',
    // 7.2 aborts, 10.0.2 does not (upstream 9dbab31d9e); the versions between were not measured and keep the guard.
    affects: (v) => compareVersions(v, at('10.0.0')) < 0,
    measured: '7.2.22 (aarch64 sample, probe): replay-seek 100 from the parked end → SIGABRT "invalid runstate transition: \'shutdown\' -> \'running\'". 10.0.2: the seek lands at 100. Both exit at the end of the log without -no-shutdown (RESUME, SHUTDOWN), so the end guard (replay-break end-1) stays on every version',
  },
  {
    id: 'x86GdbReverseHangs',
    summary: "gdb's reverse operations (reverse-continue, -finish, -step, -stepi) hang QEMU at random on x86_64 guests",
    affects: () => true,
    measured: '7.2.22 and 10.0.2, -M pc and microvm, plain QEMU + gdb (docs/qemu-versions.md, x86_64): reverse-continue hung in 1 to 3 of 4 tries on every board and version but 10.0.2 pc, reverse-next/step/finish and reverse-stepi at random; QMP seeks never (480 of 480). The adapter does every reverse operation on x86_64 by seeks and forward runs',
  },
  {
    id: 'reverseDebuggingBroken',
    summary: 'reverse debugging hangs (upstream "replay: stop us hanging in rr_wait_io_event", reverted in 9.0.3 and 9.1)',
    affects: (v) => between(v, '9.0.0', '9.0.3'),
    measured: 'not measured here (no such QEMU in Debian); from the upstream fix',
  },
];

export function hasQuirk(v: QemuVersion | undefined, id: QuirkId): boolean {
  const quirk = QUIRKS.find((q) => q.id === id)!;
  return v === undefined ? true : quirk.affects(v);   // unknown version: keep every workaround
}
