/**
 * Messages between the extension and the timeline webview. One typed module for both ends so a renamed field is a
 * compile error, and a guard so the extension never trusts the shape of what a webview posts.
 * The webview posts `ready` once its script runs; only then is it sent state (a message posted earlier is lost).
 */
import type { ReplayMode, SnapshotKind } from './protocol';

/** Where the session stopped, for the trail of stops on the timeline. */
export interface TimelineStop {
  icount: number;
  /** The DAP `stopped` reason: `breakpoint`, `step`, `goto`, `entry`, … */
  reason: string;
}

export interface TimelineSnapshot {
  name: string;
  icount: number;
  kind: SnapshotKind;
  vmStateSize: number;
  date: number;
}

/** What the timeline draws for one session. */
export interface TimelineSession {
  id: string;
  name: string;
  mode: ReplayMode;
  icount: number;
  /** Undefined while recording: the end is not known yet. */
  endIcount?: number;
  recording?: string;
  running: boolean;
  snapshots: TimelineSnapshot[];
  icountBreakpoints: number[];
  stops: TimelineStop[];
  /** The known hits of the Recording History view (every section), ascending, one per icount. */
  hits?: number[];
}

/** The timeline's whole input: a session, or why there is none (the empty state). */
export type TimelineState =
  | { kind: 'session'; session: TimelineSession }
  | { kind: 'empty'; reason: 'no-session' | 'not-replay-session' | 'ended'; detail?: string };

export type ExtensionToWebview =
  | { type: 'state'; state: TimelineState }
  /** Give the axis the keyboard focus again (after a seek the webview asked for moved VS Code's focus away). */
  | { type: 'focusAxis' };

/** What the webview shows, reported after each render so tests can check the DOM, not just the model. */
export interface TimelineRendered {
  sessionId?: string;
  /** The large position text at the top, as displayed. */
  icountText: string;
  modeText: string;
  snapshotMarkers: number;
  breakpointMarkers: number;
  stopMarkers: number;
  /** Marks drawn for known hits (near ones share a mark). */
  hitMarkers?: number;
}

export type WebviewToExtension =
  | { type: 'ready' }
  /** `keepFocus`: asked for from the focused axis, which wants the keyboard back after the stop (see focusAxis). */
  | { type: 'seek'; icount: number; keepFocus?: boolean }
  | { type: 'gotoSnapshot'; name: string; keepFocus?: boolean }
  | { type: 'toggleBreakpoint'; icount: number }
  | { type: 'startDebugging' }
  | { type: 'rendered'; rendered: TimelineRendered };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isIcount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a message posted by the webview; anything malformed is dropped by the caller. */
export function isWebviewToExtension(msg: unknown): msg is WebviewToExtension {
  if (!isObject(msg) || typeof msg.type !== 'string') return false;
  switch (msg.type) {
    case 'ready':
    case 'startDebugging':
      return true;
    case 'seek':
      return isIcount(msg.icount) && (msg.keepFocus === undefined || typeof msg.keepFocus === 'boolean');
    case 'toggleBreakpoint':
      return isIcount(msg.icount);
    case 'gotoSnapshot':
      return typeof msg.name === 'string' && msg.name.length > 0
        && (msg.keepFocus === undefined || typeof msg.keepFocus === 'boolean');
    case 'rendered':
      return isObject(msg.rendered) && typeof msg.rendered.icountText === 'string';
    default:
      return false;
  }
}

/** The state a reopened panel restores (saved with the webview's `setState`, handed to the serializer). */
export interface TimelinePersistedState {
  viewport?: { start: number; end: number };
  follow?: boolean;
  sessionId?: string;
  /**
   * The recording the viewport belongs to: a window reload ends the debug session, and the replay started after it
   * (a new session id) of the same recording gets the zoom back.
   */
  recording?: string;
}

export function isTimelinePersistedState(v: unknown): v is TimelinePersistedState {
  if (!isObject(v)) return false;
  const vp = v.viewport;
  if (vp !== undefined && !(isObject(vp) && typeof vp.start === 'number' && typeof vp.end === 'number')) return false;
  return (v.follow === undefined || typeof v.follow === 'boolean')
    && (v.sessionId === undefined || typeof v.sessionId === 'string')
    && (v.recording === undefined || typeof v.recording === 'string');
}
