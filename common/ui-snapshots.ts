/**
 * The snapshots view's model: which snapshot is "here" and what each row says. Pure so it is unit-tested and the
 * tree view, the status bar's tooltip and the timeline agree on the same choice.
 */
import type { SnapshotInfo, SnapshotKind } from './protocol';
import { formatAge, formatBytes, formatIcount } from './ui-icount';

/** At one icount, the snapshot the user saved names the point better than the policy's or the initial one. */
const KIND_RANK: Record<SnapshotKind, number> = { user: 2, automatic: 1, initial: 0 };

/**
 * The snapshot a seek to `icount` would start from: the latest one at or before it (QEMU loads the nearest
 * snapshot ≤ the target, then replays forward). Snapshots at one icount hold the same state; among them the user's
 * own is shown, then the newest. Undefined when none is at or before `icount`.
 */
export function nearestSnapshot(snapshots: readonly SnapshotInfo[], icount: number): SnapshotInfo | undefined {
  let best: SnapshotInfo | undefined;
  for (const s of snapshots) {
    if (s.icount > icount) continue;
    if (!best || s.icount > best.icount || (s.icount === best.icount
      && (KIND_RANK[s.kind] > KIND_RANK[best.kind] || (s.kind === best.kind && s.date > best.date)))) best = s;
  }
  return best;
}

export interface SnapshotRow {
  name: string;
  icount: number;
  kind: SnapshotKind;
  /** The nearest snapshot at or before the current position. */
  current: boolean;
  /** The current position is exactly this snapshot's icount. */
  atPosition: boolean;
  /** Tree label. */
  label: string;
  /** Tree description: icount, kind, size, age. */
  description: string;
  /** Hover text, one fact a line. */
  tooltip: string;
}

/** Rows in timeline order (icount, then date), the nearest one at or before `currentIcount` marked. */
export function snapshotRows(
  snapshots: readonly SnapshotInfo[], currentIcount: number | undefined, nowMs: number,
): SnapshotRow[] {
  const marked = currentIcount === undefined ? undefined : nearestSnapshot(snapshots, currentIcount);
  return [...snapshots]
    .sort((a, b) => a.icount - b.icount || a.date - b.date || a.name.localeCompare(b.name))
    .map((s) => {
      const age = formatAge(s.date, nowMs);
      const size = formatBytes(s.vmStateSize);
      const current = s === marked;
      const atPosition = currentIcount === s.icount;
      return {
        name: s.name,
        icount: s.icount,
        kind: s.kind,
        current,
        atPosition,
        label: s.name,
        description: `${formatIcount(s.icount)} · ${s.kind} · ${size} · ${age}`,
        tooltip: [
          `${s.name} (${s.kind} snapshot)`,
          `icount ${formatIcount(s.icount)}`,
          `vm state ${size}`,
          `saved ${age}`,
          ...(current ? [atPosition ? 'the replay is here' : 'the nearest snapshot before the current position'] : []),
        ].join('\n'),
      };
    });
}

/** QEMU snapshot names end up in HMP commands (`savevm NAME`): keep them to characters that survive that. */
export function snapshotNameProblem(name: string, existing: readonly string[]): string | undefined {
  if (name === '') return undefined;   // the adapter picks a name
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    return 'Use letters, digits, "_", "." and "-" (up to 64, starting with a letter or digit), or leave it empty for a generated name.';
  }
  if (existing.includes(name)) return `A snapshot named "${name}" already exists.`;
  return undefined;
}
