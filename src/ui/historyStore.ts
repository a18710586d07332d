/**
 * What the active replay knows about its whole recording: the hits of breakpoints found by passes over it (the
 * `hitHistory` request's answer and the `hitHistory` events that stream while a pass runs — also the passes the
 * adapter starts by itself for a logpoint set in a replay) and the guest's serial output line by line. Per session,
 * cleared when it ends. Views (Recording History, the timeline) read it and re-render on `onDidChange`, which fires
 * at most every STREAM_MS while hits stream in, so 10,000 hits in batches keep the window responsive.
 */
import * as vscode from 'vscode';
import type { CustomEvents, GuestOutputLine, HistoryHit } from '../../common/protocol';
import {
  breakpointDetail, breakpointName, mergeHits, nameFromHits, type BreakpointDescription, type PassState,
} from '../../common/ui-history';
import { DEBUG_TYPE, customRequest, errorText } from './session';
import type { ReplayStore } from './sessionStore';

/** Re-render at most this often while a pass streams hits. */
const STREAM_MS = 150;

export interface HistorySection extends PassState {
  breakpointId: number;
  /** `prog.c:75`, `fib()`: the breakpoint as VS Code shows it (or the place of its first hit). */
  name: string;
  /** Its condition, hit count, log message. */
  detail: string;
  /** Whether the name came from the VS Code breakpoint (else from the hits, and it is asked again). */
  named: boolean;
  hits: HistoryHit[];
  /** Creation order: the newest section is listed first. */
  order: number;
  /** Whether the breakpoint is a logpoint (its hits carry messages). */
  logpoint: boolean;
  /** A pass the user asked for (its answer says when it is done), or one the adapter started (its events do). */
  requested: boolean;
}

export interface SessionHistory {
  sessionId: string;
  sections: Map<number, HistorySection>;
  output: { state: 'unknown' | 'loading' | 'loaded' | 'failed'; lines: GuestOutputLine[]; error?: string };
  /** Sections removed while their pass ran: its late events must not bring them back. */
  dropped: Set<number>;
  /** Bumped at every change: lets views and the timeline skip work when nothing changed. */
  version: number;
}

/** A VS Code breakpoint described for the history (pure data); undefined for kinds the history cannot name. */
export function describeBreakpoint(bp: vscode.Breakpoint): BreakpointDescription | undefined {
  const common = { condition: bp.condition || undefined, hitCondition: bp.hitCondition || undefined };
  if (bp instanceof vscode.SourceBreakpoint) {
    return { kind: 'source', path: bp.location.uri.fsPath, line: bp.location.range.start.line + 1, ...common, logMessage: bp.logMessage || undefined };
  }
  if (bp instanceof vscode.FunctionBreakpoint) {
    return { kind: 'function', name: bp.functionName, ...common, logMessage: bp.logMessage || undefined };
  }
  // Data breakpoints reach extensions as plain Breakpoints with a label (vscode.DataBreakpoint is newer than our API).
  const label = (bp as { label?: unknown }).label;
  if (typeof label === 'string' && label) return { kind: 'data', label, ...common };
  return undefined;
}

/** The breakpoint as the adapter answered it (id, verified, message), or undefined before it has. */
export async function dapBreakpoint(session: vscode.DebugSession, bp: vscode.Breakpoint):
Promise<{ id?: number; verified?: boolean; message?: string } | undefined> {
  const b: unknown = await Promise.resolve(session.getDebugProtocolBreakpoint(bp)).catch(() => undefined);
  return typeof b === 'object' && b !== null ? b : undefined;
}

let order = 0;

export class HistoryStore implements vscode.Disposable {
  private readonly histories = new Map<string, SessionHistory>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  /** Fires after a change of the active session's history (coalesced while hits stream). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly store: ReplayStore) {
    this.disposables.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.customEvent(e)),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (this.histories.delete(s.id)) this.fire();
      }),
      // The active session changed, or its state came in: the first stop of a replay loads the guest output.
      store.onDidChange(() => {
        this.loadOutputAtFirstStop();
        this.fire();
      }),
    );
  }

  /** The active session's history (undefined without a qemu-replay session). */
  get active(): SessionHistory | undefined {
    const model = this.store.active;
    return model ? this.history(model.session.id) : undefined;
  }

  history(sessionId: string): SessionHistory {
    let h = this.histories.get(sessionId);
    if (!h) {
      h = { sessionId, sections: new Map(), output: { state: 'unknown', lines: [] }, dropped: new Set(), version: 0 };
      this.histories.set(sessionId, h);
    }
    return h;
  }

  /** The sections, newest first. */
  static sections(h: SessionHistory | undefined): HistorySection[] {
    return h ? [...h.sections.values()].sort((a, b) => b.order - a.order) : [];
  }

  /** Starts (or restarts) the section of a pass the user asked for: the hits of an earlier pass of it go. */
  begin(session: vscode.DebugSession, breakpointId: number, described: BreakpointDescription | undefined,
    range: { from?: number; to?: number }): HistorySection {
    const h = this.history(session.id);
    h.dropped.delete(breakpointId);
    const section = this.section(h, breakpointId, described);
    Object.assign(section, { hits: [], running: true, complete: false, error: undefined, from: range.from, to: range.to, order: ++order, requested: true });
    this.touch(h, true);
    return section;
  }

  /** The answer of a `hitHistory` request: every hit (the events may still be on their way: merged, not replaced). */
  finish(session: vscode.DebugSession, breakpointId: number, hits: readonly HistoryHit[], complete: boolean): void {
    const h = this.histories.get(session.id);
    const section = h?.sections.get(breakpointId);
    if (!h || !section) return;   // removed meanwhile (its late events stay dropped)
    mergeHits(section.hits, hits);
    section.running = false;
    section.complete = complete;
    this.nameFromHitsIfUnnamed(section);
    this.touch(h, true);
  }

  failed(session: vscode.DebugSession, breakpointId: number, error: string): void {
    const h = this.histories.get(session.id);
    const section = h?.sections.get(breakpointId);
    if (!h || !section) return;
    section.running = false;
    section.error = error;
    this.touch(h, true);
  }

  remove(sessionId: string, breakpointId: number): void {
    const h = this.histories.get(sessionId);
    const section = h?.sections.get(breakpointId);
    if (!h || !section) return;
    if (section.running) h.dropped.add(breakpointId);
    h.sections.delete(breakpointId);
    this.touch(h, true);
  }

  clear(sessionId: string): void {
    const h = this.histories.get(sessionId);
    if (!h || !h.sections.size) return;
    for (const s of h.sections.values()) if (s.running) h.dropped.add(s.breakpointId);
    h.sections.clear();
    this.touch(h, true);
  }

  private section(h: SessionHistory, breakpointId: number, described?: BreakpointDescription): HistorySection {
    let section = h.sections.get(breakpointId);
    if (!section) {
      section = {
        breakpointId, name: breakpointName({ kind: 'unknown', id: breakpointId }), detail: '', named: false, hits: [],
        running: true, complete: false, order: ++order, logpoint: false, requested: false,
      };
      h.sections.set(breakpointId, section);
    }
    if (described) this.name(section, described);
    return section;
  }

  private name(section: HistorySection, d: BreakpointDescription): void {
    section.name = breakpointName(d);
    section.detail = breakpointDetail(d);
    section.named = d.kind !== 'unknown';
    section.logpoint = 'logMessage' in d && !!d.logMessage;
  }

  private nameFromHitsIfUnnamed(section: HistorySection): void {
    if (!section.named) section.name = nameFromHits(section.breakpointId, section.hits);
  }

  private customEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== DEBUG_TYPE || e.event !== 'hitHistory') return;
    const body = e.body as CustomEvents['hitHistory'] | undefined;
    if (!body || typeof body.breakpointId !== 'number' || !Array.isArray(body.hits)) return;
    const h = this.history(e.session.id);
    if (h.dropped.has(body.breakpointId)) {
      if (body.done) h.dropped.delete(body.breakpointId);
      return;
    }
    const fresh = !h.sections.has(body.breakpointId);
    const section = this.section(h, body.breakpointId);
    if (body.restart) section.hits.length = 0;
    mergeHits(section.hits, body.hits);
    if (body.hits.some((hit) => hit.message !== undefined)) section.logpoint = true;
    // A pass the adapter started by itself (a logpoint set in a replay) ends with `done`; a requested one with its
    // answer, which says whether it was complete (its `done` event may come after it).
    if (body.done && !section.requested) {
      section.running = false;
      section.complete = true;
    }
    this.nameFromHitsIfUnnamed(section);
    if (fresh) void this.resolveName(e.session, section);
    this.touch(h, fresh || body.done === true);
  }

  /** Finds the VS Code breakpoint behind a DAP id (a pass the adapter started, e.g. for a logpoint) for its name. */
  private async resolveName(session: vscode.DebugSession, section: HistorySection): Promise<void> {
    for (const bp of vscode.debug.breakpoints) {
      const dap = await dapBreakpoint(session, bp);
      if ((dap)?.id !== section.breakpointId) continue;
      const d = describeBreakpoint(bp);
      if (d) {
        this.name(section, d);
        const h = this.histories.get(session.id);
        if (h) this.touch(h, true);
      }
      return;
    }
  }

  /** At the first stop of a replay, the guest's output of the whole recording (once per session). */
  private loadOutputAtFirstStop(): void {
    const model = this.store.active;
    const state = model?.state;
    if (!model || !state || state.mode !== 'play' || state.running) return;
    const h = this.history(model.session.id);
    if (h.output.state !== 'unknown') return;
    h.output.state = 'loading';
    customRequest(model.session, 'guestOutput', {}).then((r) => {
      h.output = { state: 'loaded', lines: Array.isArray(r?.lines) ? r.lines : [] };
      this.touch(h, true);
    }, (err: unknown) => {
      h.output = { state: 'failed', lines: [], error: errorText(err) };
      this.touch(h, true);
    });
  }

  /** Marks a change; `now` for structural changes (a section came or went), else coalesced while hits stream. */
  private touch(h: SessionHistory, now: boolean): void {
    h.version++;
    if (now) this.fire();
    else this.timer ??= setTimeout(() => this.fire(), STREAM_MS);
  }

  private fire(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
