/**
 * What the adapter tells the user about the QEMU it runs: launch warnings for a version's known limits, and the
 * refusal to replay a recording with another QEMU version than the one that made it. The facts come from the quirk
 * table (version.ts); docs/qemu-versions.md says how each was measured.
 */
import type { ArchitectureName } from '../../common/protocol';
import { errors } from '../errors';
import { compareVersions, hasQuirk, MINIMUM_VERSION, parseVersion, QemuVersion, QUIRKS, SUPPORTED_VERSIONS, versionText } from './version';

/** Warnings shown in the Debug Console at launch (category important), one sentence each. */
export function versionWarnings(v: QemuVersion, arch: ArchitectureName | undefined): string[] {
  const out: string[] = [];
  const text = versionText(v);
  if (compareVersions(v, parseVersion(MINIMUM_VERSION)!) < 0) {
    out.push(`QEMU ${text} is older than ${MINIMUM_VERSION}, the oldest QEMU qemu-replay was tested with: record/replay and reverse debugging may fail. Use QEMU ${SUPPORTED_VERSIONS.join(' or ')} ("qemuPath").`);
  } else if (!SUPPORTED_VERSIONS.some((s) => `${v.major}.${v.minor}` === s)) {
    out.push(`QEMU ${text} has not been tested with qemu-replay (tested: ${SUPPORTED_VERSIONS.join(', ')}); report what does not work.`);
  }
  if (hasQuirk(v, 'reverseDebuggingBroken')) {
    out.push(`QEMU ${text} hangs in reverse debugging (${quirkSummary('reverseDebuggingBroken')}): use 9.0.3 or later, or 8.2.`);
  }
  if (arch === 'x86_64' && hasQuirk(v, 'x86GdbReverseHangs')) {
    out.push(`QEMU ${text} hangs at random in gdb's reverse operations on x86_64 guests (measured on 7.2.22 and 10.0.2): `
      + 'qemu-replay steps back, reverse-continues and reverse-steps with seeks and forward replays instead, which give the same stops; '
      + 'a reverse continue to a hit far back replays the recording window by window, so it takes longer.');
  }
  return out;
}

function quirkSummary(id: Parameters<typeof hasQuirk>[1]): string {
  return QUIRKS.find((q) => q.id === id)!.summary;
}

/**
 * Refuses a replay whose QEMU is another major.minor than the one that recorded it (`recordedLine`: the manifest's
 * `qemu --version` line): measured both ways between 7.2 and 10.0, QEMU fails at start-up (docs/qemu-versions.md).
 * Another micro version of the same release (a distribution's security update) keeps the machine type and the log
 * format, but was not measured: a warning, returned. A manifest without a readable version (made by hand) passes.
 */
export function checkReplayVersion(recordedLine: string, recordedPath: string, running: QemuVersion, qemuPath: string): string | undefined {
  const recorded = parseVersion(recordedLine);
  if (!recorded || compareVersions(recorded, running) === 0) return undefined;
  if (recorded.major !== running.major || recorded.minor !== running.minor) {
    throw errors.qemuVersionMismatch(versionText(recorded), recordedPath, versionText(running), qemuPath);
  }
  return `This recording was made with QEMU ${versionText(recorded)} and is replayed with ${versionText(running)}: the same release, `
    + `but if the replay stops early or shows other output than the recording's, replay it with QEMU ${versionText(recorded)} ("qemuPath").`;
}
