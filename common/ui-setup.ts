/**
 * "QEMU Replay: Check Setup": which tools the extension needs, how to probe them, and how to fix what is missing.
 * No vscode and no child_process here: the caller injects how a program is run, so the logic is unit-tested with
 * canned outputs and the command runs the real programs (without a shell).
 */

import { describeSupport, FEATURES, SUPPORT_ARCHES, SUPPORT_VERSIONS, supportOf, type SupportArch } from './qemuSupport';

export interface RunResult {
  /** Exit code, or null when the program could not start or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be run at all, e.g. `ENOENT`. */
  errorCode?: string;
}

export type Runner = (file: string, args: readonly string[]) => Promise<RunResult>;

export interface SetupPaths {
  qemuAarch64: string;
  qemuRiscv64: string;
  qemuX86_64: string;
  qemuImg: string;
  gdb: string;
}

export const DEFAULT_PATHS: SetupPaths = {
  qemuAarch64: 'qemu-system-aarch64',
  qemuRiscv64: 'qemu-system-riscv64',
  qemuX86_64: 'qemu-system-x86_64',
  qemuImg: 'qemu-img',
  gdb: 'gdb-multiarch',
};

export interface CheckResult {
  /** What was checked, e.g. `qemu-img`. */
  name: string;
  ok: boolean;
  /** Version line when found; otherwise what went wrong. */
  detail: string;
  /** Debian package that provides it (for the install command). */
  debianPackage?: string;
  /** True when this item alone does not make the setup unusable (one of the QEMU targets suffices). */
  optional?: boolean;
  /** A QEMU's version ("7.2.22"). */
  version?: string;
}

export interface SetupReport {
  ok: boolean;
  results: CheckResult[];
  /** What to run to fix it, or undefined when nothing is missing. */
  fix?: string;
}

const firstLine = (s: string): string => s.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';

function describeFailure(file: string, r: RunResult): string {
  if (r.errorCode === 'ENOENT') return `${file} not found on PATH`;
  if (r.errorCode) return `${file} could not be run (${r.errorCode})`;
  const why = firstLine(r.stderr) || firstLine(r.stdout);
  return `${file} exited with ${r.code ?? 'a signal'}${why ? `: ${why}` : ''}`;
}

async function versionCheck(
  run: Runner, name: string, file: string, debianPackage: string, optional = false,
): Promise<CheckResult> {
  const r = await run(file, ['--version']);
  const ok = r.code === 0 && !r.errorCode;
  return { name, ok, detail: ok ? firstLine(r.stdout) : describeFailure(file, r), debianPackage, optional };
}

/**
 * A QEMU system emulator: its version, and what qemu-replay can do with that version on that guest (the table in
 * common/qemuSupport.ts, which the tests measure).
 */
async function qemuCheck(run: Runner, arch: SupportArch, file: string, debianPackage: string): Promise<CheckResult> {
  const result = await versionCheck(run, `qemu-system-${arch}`, file, debianPackage, true);
  if (!result.ok) return result;
  const m = /version (\d+)\.(\d+)\.(\d+)/.exec(result.detail);
  const row = m ? supportOf(`${m[1]}.${m[2]}`, arch) : undefined;
  result.version = m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
  result.detail += row ? ` — ${arch} guests: ${describeSupport(row)}`
    : ` — not tested with qemu-replay (tested: QEMU ${SUPPORT_VERSIONS.join(', ')})`;
  return result;
}

/** Where a QEMU that does more comes from, when an installed one is older than the newest tested. */
function betterQemu(results: CheckResult[]): CheckResult | undefined {
  const newest = SUPPORT_VERSIONS[SUPPORT_VERSIONS.length - 1];
  const older = results.filter((r) => r.ok && r.version && compare(r.version, newest) < 0);
  if (!older.length) return undefined;
  const gains = SUPPORT_ARCHES.flatMap((arch) => {
    const now = older.find((r) => r.name === `qemu-system-${arch}`);
    const mine = now ? supportOf(now.version!.split('.').slice(0, 2).join('.'), arch) : undefined;
    const best = supportOf(newest, arch);
    if (!mine || !best) return [];
    const more = FEATURES.filter((f) => best.cells[f].works && !mine.cells[f].works);
    return more.length ? [`${more.join(', ')} on ${arch}`] : [];
  });
  return {
    name: `QEMU ${newest}`, ok: true, optional: true,
    detail: `QEMU ${newest} is tested too${gains.length ? ` and adds ${gains.join('; ')}` : ''}. On Debian 12: bookworm-backports `
      + `(sudo apt-get install -t bookworm-backports qemu-system-arm qemu-system-x86), or unpack its packages into a folder `
      + '(scripts/qemu10.sh does) and set "qemuPath". A recording replays only with the QEMU version that made it.',
  };
}

function compare(version: string, majorMinor: string): number {
  const [a, b] = [version.split('.').map(Number), majorMinor.split('.').map(Number)];
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * gdb's reverse execution commands exist in every gdb, but a gdb built for one architecture cannot debug the
 * guest: ask gdb itself for both the reverse commands and the guest architectures.
 */
async function gdbReverseCheck(run: Runner, gdb: string): Promise<CheckResult> {
  const r = await run(gdb, ['--batch', '-nx', '-ex', 'help reverse-continue', '-ex', 'help reverse-step',
    '-ex', 'set architecture aarch64', '-ex', 'set architecture riscv:rv64']);
  const name = 'gdb reverse debugging';
  if (r.errorCode || r.code === null) return { name, ok: false, detail: describeFailure(gdb, r), debianPackage: 'gdb-multiarch' };
  const out = `${r.stdout}\n${r.stderr}`;
  if (!/run it in reverse/i.test(out) || /undefined command/i.test(out)) {
    return { name, ok: false, detail: `${gdb} has no reverse-continue/reverse-step commands`, debianPackage: 'gdb-multiarch' };
  }
  if (/undefined item|invalid|not supported/i.test(out) || r.code !== 0) {
    return { name, ok: false, detail: `${gdb} cannot debug aarch64 and riscv64 guests: ${firstLine(r.stderr) || 'unknown architecture'}`
      + ' (use gdb-multiarch)', debianPackage: 'gdb-multiarch' };
  }
  return { name, ok: true, detail: 'reverse-step, reverse-continue and the aarch64/riscv64 architectures are available' };
}

/** Runs every check (one program at a time: this runs on 2-core machines too) and says how to fix the gaps. */
export async function checkSetup(run: Runner, paths: SetupPaths = DEFAULT_PATHS): Promise<SetupReport> {
  const results: CheckResult[] = [];
  results.push(await qemuCheck(run, 'aarch64', paths.qemuAarch64, 'qemu-system-arm'));
  results.push(await qemuCheck(run, 'riscv64', paths.qemuRiscv64, 'qemu-system-misc'));
  results.push(await qemuCheck(run, 'x86_64', paths.qemuX86_64, 'qemu-system-x86'));
  results.push(await versionCheck(run, 'qemu-img', paths.qemuImg, 'qemu-utils'));
  const gdb = await versionCheck(run, 'gdb-multiarch', paths.gdb, 'gdb-multiarch');
  results.push(gdb);
  if (gdb.ok) results.push(await gdbReverseCheck(run, paths.gdb));

  const anyQemu = results.slice(0, 3).some((r) => r.ok);
  const better = betterQemu(results.slice(0, 3));
  const required = results.filter((r) => !r.optional);
  const ok = anyQemu && required.every((r) => r.ok);
  // One QEMU system emulator is enough; when neither is there, suggest the smaller, fully working aarch64 one.
  const missing = new Set<string>();
  if (!anyQemu) missing.add('qemu-system-arm');
  for (const r of required) if (!r.ok && r.debianPackage) missing.add(r.debianPackage);
  const fix = missing.size ? `sudo apt-get install ${[...missing].join(' ')}` : undefined;
  if (better) results.push(better);
  return { ok, results, fix };
}

/** The report as plain text lines for an output channel. */
export function formatSetupReport(report: SetupReport): string {
  const lines = report.results.map((r) => `${r.ok ? '✓' : r.optional ? '–' : '✗'} ${r.name}: ${r.detail}`);
  lines.push('');
  lines.push(report.ok ? 'Everything qemu-replay needs is installed.' : `To fix: ${report.fix ?? 'see above'}`);
  if (!report.ok) lines.push('Full set: sudo apt-get install qemu-system-arm qemu-utils gdb-multiarch');
  return lines.join('\n');
}
