/**
 * "Record and Replay": which replay configuration follows a record configuration. Pure so it is unit-tested.
 */

/** The fields of a launch configuration this needs; the rest is carried over untouched. */
export interface LaunchConfigLike {
  type?: unknown;
  request?: unknown;
  name: string;
  mode?: unknown;
  recording?: unknown;
  [key: string]: unknown;
}

/** Record-only attributes: they mean nothing to (or are refused by) a replay. */
const RECORD_ONLY = ['overwrite', 'recordLimit'];

/**
 * The replay of `record`'s recording: a replay configuration of launch.json on the same recording folder when
 * there is one (it may carry the user's own settings, e.g. `stopOnEntry`), else `record` turned into a replay.
 */
export function replayConfigFor<C extends LaunchConfigLike>(record: C, all: readonly C[]): C {
  const existing = all.find((c) => c.type === record.type && c.mode === 'replay' && c.recording === record.recording);
  if (existing) return existing;
  const replay: LaunchConfigLike = { ...record, name: `${record.name} (replay)`, mode: 'replay' };
  for (const key of RECORD_ONLY) delete replay[key];
  return replay as C;
}
