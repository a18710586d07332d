/**
 * What the user is told of the engine's stops: which breakpoint was hit, the DAP `stopped` event (reason, text,
 * icount), and logpoint messages.
 */
import { StoppedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Stop } from '../engine/execution';
import { errorMessage } from '../errors';
import type { Breakpoints } from './breakpoints';

type BreakpointEntry = NonNullable<ReturnType<Breakpoints['lookup']>>;

/** The breakpoint or watchpoint a stop hit, if any. */
export function hitBreakpoint(stop: Stop, breakpoints: Breakpoints): BreakpointEntry | undefined {
  // Watchpoint stops carry the watchpoint's number too (wpt, hw-rwpt or hw-awpt: see gdb/mi.ts toStopRecord).
  return breakpoints.lookup(stop.gdbBreakpoint);
}

/** The `stopped` event for a stop; `replay`: positions are exact icounts, worth showing. */
export function stoppedEvent(stop: Stop, entry: BreakpointEntry | undefined, breakpoints: Breakpoints, replay: boolean): DebugProtocol.StoppedEvent {
  let reason: string = stop.reason;
  const hit: number[] = [];
  if (stop.reason === 'breakpoint' || stop.reason === 'watchpoint') {
    // A watchpoint stop of no DAP breakpoint is a write found by `lastWrite` (its own watch, gone since).
    reason = entry?.kind === 'function' ? 'function breakpoint' : entry?.kind === 'instruction' ? 'instruction breakpoint'
      : entry?.kind === 'data' || (!entry && stop.reason === 'watchpoint') ? 'data breakpoint' : 'breakpoint';
    if (entry) hit.push(entry.dapId);
  } else if (stop.reason === 'icount breakpoint') {
    reason = 'breakpoint';
    const id = breakpoints.icountBreakpointId(stop.icount);
    if (id !== undefined) { hit.push(id); reason = 'function breakpoint'; }
  } else if (['end', 'start', 'seek', 'signal'].includes(stop.reason)) {
    reason = stop.reason === 'seek' ? 'goto' : 'step';
  }
  const icountText = replay ? `icount ${stop.icount}` : undefined;
  const ev: DebugProtocol.StoppedEvent = new StoppedEvent(reason, 1);
  ev.body.allThreadsStopped = true;
  ev.body.description = [describe(stop), icountText].filter(Boolean).join(' at ');
  ev.body.text = stop.text ?? icountText;
  if (hit.length) ev.body.hitBreakpointIds = hit;
  return ev;
}

/** A logpoint's message: each `{expression}` replaced by its value (or the error, in angle brackets). */
export async function formatLogMessage(template: string, evaluate: (expression: string) => Promise<string>): Promise<string> {
  // All asked at once: gdb answers in order, and a logpoint pass over thousands of hits saves a round trip each.
  const parts = [...template.matchAll(/\{([^}]+)\}/g)];
  const values = await Promise.all(parts.map((m) => evaluate(m[1]).catch((e: unknown) => `<${errorMessage(e)}>`)));
  let out = '';
  let last = 0;
  parts.forEach((m, i) => {
    out += template.slice(last, m.index) + values[i];
    last = m.index + m[0].length;
  });
  return out + template.slice(last);
}

function describe(stop: Stop): string {
  switch (stop.reason) {
    case 'entry': return 'Paused on entry';
    case 'breakpoint': return 'Breakpoint hit';
    case 'watchpoint': return 'Data breakpoint hit';
    case 'icount breakpoint': return 'icount breakpoint hit';
    case 'pause': return 'Paused';
    case 'step': return 'Stepped';
    case 'end': return 'End of the recording';
    case 'start': return 'Start of the recording';
    case 'seek': return 'Moved in time';
    default: return stop.text ?? 'Stopped';
  }
}
