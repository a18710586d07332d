/**
 * The whole recording at a glance (common/protocol.ts): hit history, retroactive logpoints, the last or next write
 * of an expression's memory, two moments compared, and the guest's output with its icounts. The passes over the
 * recording are the engine's (adapter/engine/history.ts); this is their DAP side: arguments checked, hits streamed
 * in batches (`hitHistory` events, a logpoint's `output` lines), progress the client can cancel, results shaped.
 */
import { Event, OutputEvent, ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type {
  CompareItem, CompareResult, GuestOutputLine, HistoryHit, HitHistoryMethod, LastWriteResult,
} from '../../common/protocol';
import type { Execution, Stop } from '../engine/execution';
import type { ReplayEngine } from '../engine/replayEngine';
import { errorMessage, errors } from '../errors';
import { evaluateExpression, type MiFrame } from '../gdb/mi';
import { dataReadMemoryBytes } from '../gdb/mi-data';
import { stackListFrames, stackListVariables } from '../gdb/mi-frames';
import { dataListRegisterNames, dataListRegisterValues, varCreate, varDelete } from '../gdb/mi-variables';
import type { Breakpoints, LogpointEntry } from './breakpoints';
import { splitFrameId } from './frames';
import { generalRegisters, parseAddress } from './inspect';
import type { ReplaySerial } from './replaySerial';
import { formatLogMessage } from './stops';

/** Hits are sent in batches of at most this many, or whatever has gathered after BATCH_MS. */
const BATCH_HITS = 200;
const BATCH_MS = 100;
/** How far a register's last change is looked for (single steps: ~1-2 ms each). */
const REGISTER_REACH = 4096;
/** The largest memory range `compare` reads. */
const MAX_COMPARE_BYTES = 64 * 1024;

export interface HistoryHost {
  need(): { exec: Execution; engine: ReplayEngine; breakpoints: Breakpoints };
  sendEvent(event: DebugProtocol.Event): void;
  /** The recording's serial output (replay). */
  serial(): ReplaySerial | undefined;
  /** Whether the client shows progress (`supportsProgressReporting` at initialize). */
  showsProgress(): boolean;
}

interface Pass {
  progressId: string;
  /** The seq of the request that started it (hitHistory, lastWrite), for DAP `cancel {requestId}`. */
  requestSeq?: number;
  cancelled: boolean;
}

export class RecordingHistory {
  private readonly passes = new Set<Pass>();
  private nextProgress = 1;

  constructor(private readonly host: HistoryHost) {}

  // ---- passes: progress and cancel ---------------------------------------------------------------------------

  /** DAP `cancel`: a pass named by its request or its progress stops at its next hit, or now if it runs. */
  cancel(args: DebugProtocol.CancelArguments): void {
    for (const p of this.passes) {
      if ((args.progressId !== undefined && p.progressId === args.progressId) || (args.requestId !== undefined && p.requestSeq === args.requestId)) {
        this.stop(p);
      }
    }
  }

  /** Every pass stops (the session ends). */
  cancelAll(): void {
    for (const p of this.passes) this.stop(p);
  }

  private stop(pass: Pass): void {
    pass.cancelled = true;
    // A run in progress ends with a pause; between runs, the flag ends the pass.
    void this.host.need().exec.pause().catch(() => undefined);
  }

  private async withPass<T>(title: string, requestSeq: number | undefined, work: (pass: Pass, progress: (fraction: number, message?: string) => void) => Promise<T>): Promise<T> {
    const pass: Pass = { progressId: `qemu-replay-pass-${this.nextProgress++}`, requestSeq, cancelled: false };
    this.passes.add(pass);
    const showing = this.host.showsProgress();
    if (showing) {
      const start: DebugProtocol.ProgressStartEvent = new ProgressStartEvent(pass.progressId, title);
      start.body.cancellable = true;
      if (requestSeq !== undefined) start.body.requestId = requestSeq;
      this.host.sendEvent(start);
    }
    let lastUpdate = 0;
    const progress = (fraction: number, message?: string): void => {
      if (!showing || Date.now() - lastUpdate < 200) return;
      lastUpdate = Date.now();
      const ev: DebugProtocol.ProgressUpdateEvent = new ProgressUpdateEvent(pass.progressId, message);
      ev.body.percentage = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      this.host.sendEvent(ev);
    };
    try {
      return await work(pass, progress);
    } finally {
      this.passes.delete(pass);
      if (showing) this.host.sendEvent(new ProgressEndEvent(pass.progressId, pass.cancelled ? 'Cancelled' : undefined));
    }
  }

  // ---- hit history -------------------------------------------------------------------------------------------

  /** The `hitHistory` request: every hit of one breakpoint in [from, to), streamed, then answered. */
  async hitHistory(args: Record<string, unknown>, requestSeq: number): Promise<{ hits: HistoryHit[]; complete: boolean; method: HitHistoryMethod }> {
    const { engine, breakpoints } = this.host.need();
    const id = args.breakpointId;
    if (typeof id !== 'number' || !Number.isInteger(id)) throw errors.breakpointIdInvalid(id);
    const entry = breakpoints.byDapId(id);
    if (!entry) {
      const icount = breakpoints.icountOfId(id);
      throw icount !== undefined ? errors.historyOfIcountBreakpoint(icount) : errors.breakpointUnknown(id);
    }
    if (!engine.replaying) throw errors.needsReplay('Hit history', engine.options.mode === 'record');
    const end = engine.end ?? 0;
    const from = args.from ?? 0;
    const to = args.to ?? end;
    const hits: HistoryHit[] = [];
    let method: HitHistoryMethod = 'gdb';
    const title = `Hits of ${entry.description}`;
    const complete = await this.withPass(title, requestSeq, async (pass, progress) => {
      const stream = new HitStream((batch) => this.host.sendEvent(new Event('hitHistory', { breakpointId: id, hits: batch })));
      const report = (icount: number): void => progress((icount - (from as number)) / Math.max(1, (to as number) - (from as number)),
        `${hits.length.toLocaleString('en-US')} hits, icount ${icount.toLocaleString('en-US')}`);
      const done = await engine.hitHistory({
        breakpoints: [entry.gdbNumber],
        from: from as number, to: to as number,
        skip: entry.hitCount && entry.hitCount > 1 ? new Map([[entry.gdbNumber, entry.hitCount - 1]]) : undefined,
        cancelled: () => pass.cancelled,
        readsAtHits: entry.logMessage !== undefined,
        onHit: async (stop) => {
          const message = entry.logMessage ? await this.logMessage(entry.logMessage) : undefined;
          const hit = toHit(stop, message);
          hits.push(hit);
          stream.add(hit);
          report(stop.icount);
        },
        progress: report,
        note: (text) => this.host.sendEvent(new OutputEvent(`${text}\n`, 'console')),
        restart: () => {
          hits.length = 0;
          stream.drop();
          this.host.sendEvent(new Event('hitHistory', { breakpointId: id, hits: [], restart: true }));
        },
      });
      stream.flush();
      this.host.sendEvent(new Event('hitHistory', { breakpointId: id, hits: [], done: true }));
      method = done.method;
      return done.complete && !pass.cancelled;
    });
    return { hits, complete, method };
  }

  /**
   * Logpoints just set in a replay: their message at every earlier hit, `[icount N] ` first, in icount order, in the
   * Debug Console and as `hitHistory` events. `upTo`: the position when they were set (its hit included); the hits
   * after it are the forward run's, reported as they happen.
   */
  retroactiveLogpoints(entries: LogpointEntry[], upTo: number): void {
    if (!entries.length) return;
    const { engine } = this.host.need();
    if (!engine.replaying) return;
    const to = Math.min(upTo + 1, engine.end ?? 0);
    const byGdb = new Map(entries.map((e) => [e.gdbNumber, e]));
    const title = entries.length === 1 ? `Logpoint at ${entries[0].description}: earlier hits` : `${entries.length} logpoints: earlier hits`;
    void this.withPass(title, undefined, async (pass, progress) => {
      const streams = new Map(entries.map((e) => [e.dapId, new HitStream((batch) => this.host.sendEvent(new Event('hitHistory', { breakpointId: e.dapId, hits: batch })))]));
      let count = 0;
      await engine.hitHistory({
        breakpoints: entries.map((e) => e.gdbNumber), from: 0, to, readsAtHits: true,
        note: (text) => this.host.sendEvent(new OutputEvent(`${text}\n`, 'console')),
        skip: new Map(entries.filter((e) => (e.hitCount ?? 1) > 1).map((e) => [e.gdbNumber, e.hitCount! - 1])),
        cancelled: () => pass.cancelled,
        onHit: async (stop) => {
          const entry = byGdb.get(stop.gdbBreakpoint ?? '');
          if (!entry) return;
          const message = await this.logMessage(entry.logMessage);
          const hit = toHit(stop, message);
          const out = new OutputEvent(`[icount ${stop.icount}] ${message}\n`, 'console') as DebugProtocol.OutputEvent;
          if (hit.source) { out.body.source = hit.source; out.body.line = hit.line; }
          this.host.sendEvent(out);
          streams.get(entry.dapId)!.add(hit);
          count++;
          progress(stop.icount / Math.max(1, to), `${count.toLocaleString('en-US')} hits, icount ${stop.icount.toLocaleString('en-US')}`);
        },
      });
      for (const [dapId, s] of streams) {
        s.flush();
        this.host.sendEvent(new Event('hitHistory', { breakpointId: dapId, hits: [], done: true }));
      }
      if (pass.cancelled) this.host.sendEvent(new OutputEvent(`Earlier logpoint hits: cancelled after ${count} (before icount ${to}).\n`, 'console'));
    }).catch((err: unknown) => this.host.sendEvent(new OutputEvent(`Earlier logpoint hits could not be found: ${errorMessage(err)}\n`, 'important')));
  }

  /** A logpoint's message at a hit, with gdb's evaluator (no variable objects: thousands of hits). */
  private async logMessage(template: string): Promise<string> {
    const gdb = this.host.need().exec.gdb;
    return await formatLogMessage(template, async (expression) => (await evaluateExpression(gdb, expression)) ?? '');
  }

  // ---- when did this change? ---------------------------------------------------------------------------------

  /**
   * The `lastWrite` request. `moving` is called once the arguments are good, right before the search moves the
   * replay (the session tells the client the thread runs: VS Code shows the stop that follows afresh only then).
   * Resolves with the result and the stop to report: where the write landed, or the position, unchanged.
   */
  async lastWrite(args: Record<string, unknown>, requestSeq: number, moving: () => void): Promise<{ result: LastWriteResult; stop: Stop }> {
    const { engine, exec } = this.host.need();
    const expression = args.expression;
    const direction = args.direction;
    if (typeof expression !== 'string' || !expression.trim()) throw errors.lastWriteExpressionMissing();
    if (direction !== 'backward' && direction !== 'forward') throw errors.lastWriteDirectionInvalid(direction);
    if (!engine.replaying) throw errors.needsReplay('Finding where a value changed', engine.options.mode === 'record');
    exec.assertStopped('look for a write');
    const at = typeof args.frameId === 'number' ? splitFrameId(args.frameId) : undefined;
    const here = engine.state().icount;
    const register = /^\$\w+$/.test(expression.trim()) ? await registerNumber(exec, expression.trim(), at) : undefined;
    const watch = register === undefined ? await watchableLvalue(exec, expression.trim(), at) : undefined;
    moving();
    const found = register !== undefined
      ? await this.withPass(`Last change of ${expression}`, requestSeq, (pass) => engine.findRegisterChange({ register, direction, reach: REGISTER_REACH, cancelled: () => pass.cancelled }))
      : await this.withPass(`Last write to ${expression}`, requestSeq, (pass) => engine.findWrite({ watch: watch!, direction, cancelled: () => pass.cancelled }));
    if (!found) {
      const where = direction === 'backward' ? `before icount ${here}` : `after icount ${here}`;
      const message = register !== undefined
        ? `${expression} does not change in the ${REGISTER_REACH.toLocaleString('en-US')} instructions ${where} (a register is followed one instruction at a time, so the search stops there).`
        : `No write to ${expression} ${where} in the recording changes its value.`;
      return { result: { found: false, message }, stop: { reason: 'pause', icount: here, text: message } };
    }
    const { stop, writer } = found;
    const place = writer ?? stop.frame;
    const oldValue = stop.watchValue?.old;
    const newValue = stop.watchValue?.new;
    const line = place?.line !== undefined ? Number(place.line) : undefined;
    const result: LastWriteResult = {
      found: true, icount: stop.icount, oldValue, newValue, pc: place?.addr, function: place?.func,
      source: place?.fullname ? { path: place.fullname, name: place.fullname.split('/').pop() ?? place.fullname } : undefined,
      line: Number.isFinite(line) ? line : undefined,
    };
    const at_ = place?.func ? ` in ${place.func}${place.file ? ` (${place.file}:${place.line ?? '?'})` : ''}` : '';
    const text = `${expression} written${at_}${oldValue !== undefined ? `: ${oldValue} → ${newValue ?? '?'}` : ''}`;
    return { result, stop: { ...stop, reason: 'watchpoint', gdbBreakpoint: undefined, text } };
  }

  // ---- compare two moments -----------------------------------------------------------------------------------

  async compare(args: Record<string, unknown>): Promise<CompareResult> {
    const { engine, exec } = this.host.need();
    if (!engine.replaying) throw errors.needsReplay('Comparing moments', engine.options.mode === 'record');
    exec.assertStopped('compare moments');
    const { a, b } = args;
    const sel = typeof args.frameId === 'number' ? splitFrameId(args.frameId) : { thread: 1, frame: 0 };
    const memory = args.memory === undefined ? undefined : checkMemoryRange(args.memory);
    const gdb = exec.gdb;
    const names = await dataListRegisterNames(gdb);
    const general = generalRegisters(names);
    const read = async (icount: number): Promise<Moment> => {
      const regs = new Map<string, string>();
      for (const v of await dataListRegisterValues(gdb, 'x', general, { thread: sel.thread, frame: 0 })) {
        if (names[v.number]) regs.set(names[v.number], v.value ?? '');
      }
      const frame = (await stackListFrames(gdb, sel.thread, sel.frame, sel.frame).catch(() => []))[0];
      const locals = new Map<string, string>();
      if (frame) {
        for (const v of await stackListVariables(gdb, sel).catch(() => [])) {
          if (!v.name) continue;
          const value = v.value ?? await evaluateExpression(gdb, v.name, sel).catch((e: unknown) => `<${errorMessage(e)}>`);
          locals.set(v.name, value ?? '');
        }
      }
      let bytes: string[] | undefined;
      if (memory) bytes = await readBytes(exec, memory.address, memory.length);
      return { icount, frame, regs, locals, bytes };
    };
    const [ma, mb] = await engine.atMoments([a as number, b as number], read);
    const sameFunction = ma.frame?.func === mb.frame?.func;
    const result: CompareResult = {
      a: place(ma), b: place(mb),
      registers: diff(ma.regs, mb.regs),
      locals: sameFunction ? diff(ma.locals, mb.locals) : [],
    };
    if (!sameFunction) {
      result.localsNote = `Frame ${sel.frame} is ${ma.frame?.func ?? 'unknown'}() at icount ${ma.icount} and ${mb.frame?.func ?? 'unknown'}() at icount ${mb.icount}: their locals are not compared.`;
    }
    if (memory && ma.bytes && mb.bytes) {
      const changed = ma.bytes.map((x, i) => (x !== mb.bytes![i] ? i : -1)).filter((i) => i >= 0);
      result.memory = { address: `0x${memory.address.toString(16)}`, a: ma.bytes, b: mb.bytes, changed };
    }
    return result;
  }

  // ---- guest output ------------------------------------------------------------------------------------------

  guestOutput(): { lines: GuestOutputLine[] } {
    const { engine } = this.host.need();
    const serial = this.host.serial();
    if (!engine.replaying || !serial) throw errors.needsReplay('The guest output with icounts', engine.options.mode === 'record');
    const lines = serial.timeline.slice(0, Number.MAX_SAFE_INTEGER).map((l) => ({ icount: l.icount, text: l.text.replace(/\r?\n$/, '') }));
    return { lines };
  }
}

/** Hits gathered and sent in batches: the first at once, then every BATCH_MS or BATCH_HITS. */
class HitStream {
  private batch: HistoryHit[] = [];
  private last = 0;
  constructor(private readonly send: (hits: HistoryHit[]) => void) {}
  add(hit: HistoryHit): void {
    this.batch.push(hit);
    if (this.batch.length >= BATCH_HITS || Date.now() - this.last >= BATCH_MS) this.flush();
  }
  /** Forgets what was not sent yet. */
  drop(): void {
    this.batch = [];
  }
  flush(): void {
    this.last = Date.now();
    if (!this.batch.length) return;
    const b = this.batch;
    this.batch = [];
    this.send(b);
  }
}

interface Moment {
  icount: number;
  frame?: { func?: string; fullname?: string; file?: string; line?: string };
  regs: Map<string, string>;
  locals: Map<string, string>;
  bytes?: string[];
}

function toHit(stop: Stop, message: string | undefined): HistoryHit {
  const f: MiFrame | undefined = stop.frame;
  const line = f?.line !== undefined ? Number(f.line) : undefined;
  return {
    icount: stop.icount,
    pc: f?.addr ?? '',
    ...(f?.func ? { function: f.func } : {}),
    ...(f?.fullname ? { source: { path: f.fullname, name: f.fullname.split('/').pop() ?? f.fullname } } : {}),
    ...(line !== undefined && Number.isFinite(line) ? { line } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

function place(m: Moment): CompareResult['a'] {
  const line = m.frame?.line !== undefined ? Number(m.frame.line) : undefined;
  return {
    icount: m.icount, function: m.frame?.func,
    line: line !== undefined && Number.isFinite(line) ? line : undefined,
    source: m.frame?.fullname ? { path: m.frame.fullname, name: m.frame.fullname.split('/').pop() ?? m.frame.fullname } : undefined,
  };
}

function diff(a: Map<string, string>, b: Map<string, string>): CompareItem[] {
  const names = [...new Set([...a.keys(), ...b.keys()])];
  return names.map((name) => ({ name, a: a.get(name), b: b.get(name), changed: a.get(name) !== b.get(name) }));
}

function checkMemoryRange(value: unknown): { address: bigint; length: number } {
  const m = value as { address?: unknown; length?: unknown } | null;
  if (typeof m !== 'object' || m === null) throw errors.compareMemoryInvalid(value);
  let address: bigint;
  try {
    address = parseAddress(String(m.address));
  } catch {
    throw errors.compareMemoryInvalid(value);
  }
  const length = m.length;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > MAX_COMPARE_BYTES) throw errors.compareMemoryLength(length, MAX_COMPARE_BYTES);
  return { address, length };
}

/** `length` bytes from `address`, two hex digits each; `??` where nothing could be read. */
async function readBytes(exec: Execution, address: bigint, length: number): Promise<string[]> {
  const out: string[] = new Array<string>(length).fill('??');
  const chunks = await dataReadMemoryBytes(exec.gdb, `0x${address.toString(16)}`, length).catch(() => []);
  for (const c of chunks) {
    if (!c.begin) continue;
    const offset = Number(BigInt(c.begin) - address);
    for (let i = 0; i * 2 < c.contents.length; i++) {
      if (offset + i >= 0 && offset + i < length) out[offset + i] = c.contents.slice(i * 2, i * 2 + 2);
    }
  }
  return out;
}

/**
 * An lvalue for the memory `expression` names now, that gdb can watch anywhere in the recording: `*(type *) 0x…`.
 * A watch on the expression itself would end with its frame (a local), and follow a pointer it goes through.
 */
async function watchableLvalue(exec: Execution, expression: string, at: { thread: number; frame: number } | undefined): Promise<string> {
  if (/^\$/.test(expression)) throw errors.lastWriteRegister(expression);
  const gdb = exec.gdb;
  let address: string | undefined;
  let size: number;
  try {
    address = /0x[0-9a-f]+/i.exec((await evaluateExpression(gdb, `&(${expression})`, at)) ?? '')?.[0];
    size = Number(await evaluateExpression(gdb, `sizeof(${expression})`, at));
  } catch (err) {
    throw errors.lastWriteNotMemory(expression, errorMessage(err));
  }
  if (!address || !Number.isInteger(size) || size <= 0) throw errors.lastWriteNotMemory(expression, 'gdb gave no address for it');
  let type: string | undefined;
  try {
    const v = await varCreate(gdb, expression, at);
    type = v.type;
    await varDelete(gdb, v.name).catch(() => undefined);
  } catch {
    type = undefined;
  }
  // `int`, `struct point`, `unsigned int *` as they are; an array `int [64]` is `int (*)[64]`; anything else (a
  // function pointer type) is watched as its bytes.
  if (type && !/[()]/.test(type)) {
    const bracket = type.indexOf('[');
    const pointer = bracket >= 0 ? `${type.slice(0, bracket).trimEnd()} (*)${type.slice(bracket)}` : `${type} *`;
    return `*(${pointer}) ${address}`;
  }
  return `*(unsigned char (*)[${size}]) ${address}`;
}

/**
 * gdb's number of a register named `$name`: one of the CPU's (gdb's convenience variables, `$foo`, are not the
 * guest's). Registers are the innermost frame's: one of an outer frame (saved on the stack) is refused.
 */
async function registerNumber(exec: Execution, expression: string, at: { thread: number; frame: number } | undefined): Promise<number> {
  if (at && at.frame !== 0) throw errors.lastWriteRegisterFrame(expression);
  const names = await dataListRegisterNames(exec.gdb);
  const index = names.indexOf(expression.slice(1));
  if (index < 0) throw errors.lastWriteRegisterUnknown(expression, names.filter(Boolean).slice(0, 12));
  return index;
}
