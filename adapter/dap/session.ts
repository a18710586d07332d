/**
 * The DAP session: translates Debug Adapter Protocol requests into the replay engine's operations and the
 * engine's stops into DAP events. It knows nothing of QEMU's command lines or gdb's protocol details.
 */
import {
  Breakpoint, Event, InitializedEvent, InvalidatedEvent, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { open, stat } from 'node:fs/promises';
import type { CustomRequestName, ReplayState } from '../../common/protocol';
import { Execution, GdbRunCommand, Stop } from '../engine/execution';
import { AttachedQemu, attachToQemu, detachFromQemu } from '../engine/attach';
import { Emulator, launch } from '../engine/launcher';
import { ReplayEngine } from '../engine/replayEngine';
import { errorMessage, UserError } from '../errors';
import { miList, miString, miTuple } from '../gdb/miParser';
import { PendingRecording, SerialTimeline } from '../qemu/recording';
import { Watchdog } from '../qemu/watchdog';
import { QmpConnectionError } from '../qemu/qmp';
import { GdbExitedError } from '../gdb/gdb';
import { Breakpoints } from './breakpoints';
import { ConsoleCommands } from './console';
import { Inspector } from './inspect';

const DEFAULT_SNAPSHOT_INTERVAL = 10_000_000;
const DEFAULT_SNAPSHOT_BUDGET_MB = 512;
/** Requests whose effect a following run must see. */
const BREAKPOINT_REQUESTS = new Set(['setBreakpoints', 'setFunctionBreakpoints', 'setInstructionBreakpoints', 'setDataBreakpoints', 'setIcountBreakpoints']);
/**
 * How long the user must be idle after a stop before background snapshot work starts: long enough for the views'
 * requests that follow a stop (threads, stack, scopes, variables: all within ~50 ms), short enough that the
 * snapshot near the position is there before a person's next step (~0.5 s later at the quickest).
 */
const IDLE_MS = 100;

export class QemuReplaySession extends LoggingDebugSession {
  private emulator: Emulator | undefined;
  private exec: Execution | undefined;
  private engine: ReplayEngine | undefined;
  private breakpoints: Breakpoints | undefined;
  private inspector: Inspector | undefined;
  private console: ConsoleCommands | undefined;
  private serial: SerialTimeline | undefined;
  private serialHighWater = 0;
  private serialPartial: { icount: number; text: string } | undefined;
  private stopOnEntry = true;
  private ending: Promise<void> | undefined;
  /** Why the session is ending when QEMU or gdb failed under it (for requests still in flight). */
  private endReason: { code: 'qemu-exited' | 'gdb-exited'; text: string } | undefined;
  private watchdog: Watchdog | undefined;
  private recordWatch: NodeJS.Timeout | undefined;
  private recordSerialOffset = 0;
  private recordSnapshotBusy = false;
  /** Work for when the user is reading the screen: placing a snapshot near the position (see ReplayEngine). */
  private idleTimer: NodeJS.Timeout | undefined;
  private idleWorkPending = false;
  /** Set while a run is interrupted to change breakpoints (see withTargetStopped). */
  private changeInterrupt = false;
  private resumeAfterChange = false;
  /** A QEMU the user started (attach): never stopped by the session, only let go. */
  private attached: AttachedQemu | undefined;
  private suspendOnDetach = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- plumbing: every async handler answers, even when it fails -------------------------------------------

  private handle<R extends DebugProtocol.Response>(response: R, work: () => Promise<R['body'] | void> | R['body'] | void): void {
    // Nothing may talk to gdb while QMP drives a seek: every request waits for it to finish.
    Promise.resolve(this.exec?.whenQuiet()).then(work).then(
      (body) => {
        if (body !== undefined) response.body = body;
        this.sendResponse(response);
      },
      (err: unknown) => this.fail(response, err),
    );
  }

  private fail(response: DebugProtocol.Response, error: unknown, waited = false): void {
    if (!this.endReason && !waited && this.emulator && (error instanceof QmpConnectionError || error instanceof GdbExitedError)) {
      // The request usually notices a lost connection a few ms before the process's exit is seen: wait for it.
      setTimeout(() => this.fail(response, error, true), 300);
      return;
    }
    // QEMU or gdb went away under the request: say why the session ends, not which socket broke.
    const err = this.endReason && !(error instanceof UserError)
      ? new UserError(this.endReason.code, `The session is ending: ${this.endReason.text}`, { cause: error })
      : error;
    const user = err instanceof UserError;
    const message = user ? err.message : `Internal error: ${errorMessage(err)}`;
    if (!user && err instanceof Error && err.stack) this.log(`${err.stack}\n`);
    this.sendErrorResponse(response, { id: user ? err.id : 1000, format: message, showUser: true });
  }

  private log(text: string, category: 'console' | 'stderr' | 'stdout' | 'important' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  private need(): { exec: Execution; engine: ReplayEngine; emulator: Emulator | undefined; breakpoints: Breakpoints; inspector: Inspector } {
    if (!this.exec || !this.engine || !this.breakpoints || !this.inspector) {
      throw new UserError('config', 'The session has not been launched yet.');
    }
    return { exec: this.exec, engine: this.engine, emulator: this.emulator, breakpoints: this.breakpoints, inspector: this.inspector };
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsSteppingGranularity: true,
      supportsEvaluateForHovers: true,
      supportsDisassembleRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: false,
      supportsSetVariable: false,
      supportsSetExpression: false,
      supportsLoadedSourcesRequest: true,
      supportsCompletionsRequest: true,
      supportsTerminateRequest: true,
      supportSuspendDebuggee: true, // attach: disconnect may leave the user's QEMU paused
      supportsStepBack: false, // announced with a `capabilities` event once a replay is running
      supportsGotoTargetsRequest: false,
      supportsValueFormattingOptions: false,
    };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.handle(response, async () => {
      const raw = args as Record<string, unknown>;
      this.stopOnEntry = raw.stopOnEntry !== false;
      const emulator = await launch(raw, (text) => this.log(text, 'stderr'));
      this.emulator = emulator;
      for (const w of emulator.warnings) this.log(`Warning: ${w}\n`, 'important');
      const replay = emulator.mode === 'replay';
      const rec = emulator.recording;
      const mode = replay ? 'play' : 'record';
      this.exec = new Execution(emulator.gdb, emulator.qemu.qmp);
      this.engine = new ReplayEngine(this.exec, emulator.qemu.qmp, {
        mode,
        endIcount: rec instanceof PendingRecording ? undefined : rec.manifest.endIcount,
        recording: rec instanceof PendingRecording ? rec.finalDir : rec.dir,
        snapshotInterval: typeof raw.snapshotInterval === 'number' ? raw.snapshotInterval : DEFAULT_SNAPSHOT_INTERVAL,
        snapshotBudgetBytes: (typeof raw.snapshotBudgetMB === 'number' ? raw.snapshotBudgetMB : DEFAULT_SNAPSHOT_BUDGET_MB) * 1024 * 1024,
      });
      this.breakpoints = new Breakpoints(emulator.gdb, this.engine);
      this.inspector = new Inspector(emulator.gdb);
      this.console = new ConsoleCommands(emulator.gdb, emulator.qemu.qmp);
      // No debugger writes: a replay must match its recording, and a recording does not log them.
      this.inspector.readOnly = this.console.readOnly = true;
      if (!(rec instanceof PendingRecording)) this.serial = new SerialTimeline(rec.serial, rec.log.charWriteIcounts);
      this.wireEngine(this.engine);
      if (raw.trace === true) {
        emulator.gdb.on('trace', (dir, line) => this.log(`gdb ${dir} ${line}\n`));
        emulator.qemu.qmp.on('trace', (dir, line) => this.log(`qmp ${dir} ${line}\n`));
      }
      this.watchEmulator(emulator);
      await this.engine.prepare();
      if (replay) this.sendEvent(new Event('capabilities', { capabilities: { supportsStepBack: true } }));
      this.log(`${replay ? 'Replaying' : 'Recording'} ${this.engine.options.recording}${replay ? ` (icount 0 to ${this.engine.end})` : ''}\n`);
      this.sendEvent(new InitializedEvent());
    });
  }

  /** Attach to a QEMU the user started; time travel when it replays (see docs/console.md and adapter/engine/attach.ts). */
  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.handle(response, async () => {
      const attached = await attachToQemu(args);
      this.attached = attached;
      for (const w of attached.warnings) this.log(`Warning: ${w}\n`, 'important');
      this.exec = new Execution(attached.gdb, attached.qmp);
      this.engine = new ReplayEngine(this.exec, attached.qmp, {
        mode: attached.mode, endIcount: attached.endIcount, recording: attached.replayFile,
        snapshotInterval: 0, snapshotBudgetBytes: 0, // no automatic snapshots in the user's image
      });
      this.breakpoints = new Breakpoints(attached.gdb, this.engine);
      this.inspector = new Inspector(attached.gdb);
      this.console = new ConsoleCommands(attached.gdb, attached.qmp);
      this.inspector.readOnly = this.console.readOnly = attached.mode !== 'none';
      this.wireEngine(this.engine);
      if ((args as Record<string, unknown>).trace === true) attached.gdb.on('trace', (dir, line) => this.log(`gdb ${dir} ${line}\n`));
      attached.qmp?.on('close', () => { void this.onEmulatorGone('QEMU closed its QMP connection'); });
      attached.gdb.on('exit', () => { void this.onEmulatorGone('gdb exited'); });
      // A replay that never ran may seek to 0 (nothing to load); anywhere else, only read where it is.
      if (attached.mode === 'play' && attached.statusBefore === 'prelaunch') await this.engine.prepare();
      else await this.engine.refreshIcount().catch(() => 0);
      if (attached.mode === 'play') this.sendEvent(new Event('capabilities', { capabilities: { supportsStepBack: true } }));
      const what = attached.mode === 'play' ? `replaying ${attached.replayFile ?? ''}` : attached.mode === 'record' ? `recording ${attached.replayFile ?? ''}` : 'without record/replay';
      this.log(`Attached to QEMU (${what}, was ${attached.statusBefore}). Disconnecting leaves it running${attached.mode === 'play' ? '' : ''}; "Disconnect and Suspend" leaves it paused.\n`);
      this.sendEvent(new InitializedEvent());
    });
  }

  /** Lets go of an attached QEMU: a run in progress is interrupted first (gdb cannot detach while it runs). */
  private async detach(): Promise<void> {
    const attached = this.attached!;
    const exec = this.exec;
    if (exec?.running) {
      this.changeInterrupt = true;
      await exec.pause().catch(() => undefined);
      for (let i = 0; i < 400 && exec.isBusy; i++) await new Promise((r) => setTimeout(r, 5));
    }
    await detachFromQemu(attached, this.suspendOnDetach);
  }

  private wireEngine(engine: ReplayEngine): void {
    engine.on('progress', (from, to) => this.emitSerial(from, to));
    engine.on('snapshotsChanged', (snapshots) => this.sendEvent(new Event('snapshotsChanged', { snapshots })));
    engine.on('running', () => this.sendState(true));
  }

  private emitSerial(_from: number, to: number): void {
    if (!this.serial || to <= this.serialHighWater) return;
    // Whole lines only: a stop in the middle of a line keeps its start until the rest has been replayed.
    for (const part of this.serial.slice(this.serialHighWater, to)) {
      const line = this.serialPartial ? { icount: this.serialPartial.icount, text: this.serialPartial.text + part.text } : part;
      this.serialPartial = undefined;
      if (line.text.endsWith('\n')) this.log(`[icount ${line.icount}] ${line.text}`, 'stdout');
      else this.serialPartial = line;
    }
    this.serialHighWater = to;
  }

  private sendState(running?: boolean): void {
    if (!this.engine) return;
    const state: ReplayState = this.engine.state(running);
    this.sendEvent(new Event('replayState', state));
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.handle(response, () => {
      const { engine } = this.need();
      if (engine.options.mode === 'record' && this.emulator) this.startRecordWatch();
      if (this.stopOnEntry) {
        const entry = this.emulator?.entry;
        this.runAndReport(async () => (entry !== undefined ? await engine.runToEntry(entry) : undefined) ?? { reason: 'entry', icount: engine.state().icount });
      } else {
        setImmediate(() => this.runAndReport(() => engine.forward('-exec-continue')));
      }
    });
  }

  /** Record mode: live serial output from the record-time file, and the record limit. */
  private startRecordWatch(): void {
    const { engine, exec } = this.need();
    const emulator = this.emulator!;
    const limit = emulator.recordLimit;
    const started = Date.now();
    const serialFile = (emulator.recording as PendingRecording).file('serial');
    let ticking = false;
    this.recordWatch = setInterval(() => {
      // One tick at a time: while recording, QEMU answers QMP only every 2^24 instructions or so, and overlapping
      // ticks would queue queries faster than it answers them (the record limit would then be seen ever later).
      if (ticking) return;
      ticking = true;
      void (async () => {
        const size = (await stat(serialFile).catch(() => undefined))?.size ?? 0;
        if (size > this.recordSerialOffset) {
          const data = await readRange(serialFile, this.recordSerialOffset, size); // only what is new: the file can grow to MBs
          this.recordSerialOffset = size;
          this.log(data.toString('utf8'), 'stdout');
        }
        if (!exec.running || this.ending || this.recordSnapshotBusy) return;
        this.recordSnapshotBusy = true;
        await engine.recordTimeSnapshot().catch((err: unknown) => this.log(`${errorMessage(err)}\n`, 'important')).finally(() => { this.recordSnapshotBusy = false; });
        if (!limit) return;
        const reached = 'seconds' in limit ? Date.now() - started >= limit.seconds * 1000 : (await engine.refreshIcount().catch(() => 0)) >= limit.instructions;
        if (reached) {
          this.log(`Record limit reached (${JSON.stringify(limit)}): finishing the recording.\n`);
          void this.end('record limit');
        }
      })().finally(() => { ticking = false; });
    }, 100);
  }

  /** Record mode: the serial output the last watch tick did not see (a guest can finish between two ticks). */
  private async flushRecordSerial(file: string): Promise<void> {
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (size <= this.recordSerialOffset) return;
    const data = await readRange(file, this.recordSerialOffset, size);
    this.recordSerialOffset = size;
    this.log(data.toString('utf8'), 'stdout');
  }

  private runAndReport(op: () => Promise<Stop>): void {
    op().then((stop) => this.reportStop(stop), (err: unknown) => {
      if (this.ending) return;
      this.log(`${errorMessage(err)}\n`, 'important');
      this.sendState(false);
    });
  }

  private reportStop(stop: Stop): void {
    if (this.changeInterrupt) {
      // The run was interrupted only to change breakpoints: no stop for the user, and it resumes (withTargetStopped).
      this.changeInterrupt = false;
      this.resumeAfterChange = stop.reason === 'pause';
      if (this.resumeAfterChange) return;
    }
    void (async () => {
      const { breakpoints, inspector, engine } = this.need();
      await inspector.reset();
      if (stop.reason === 'exited') {
        await this.end('guest exited');
        return;
      }
      // Read and access watchpoint stops carry their number in hw-rwpt / hw-awpt.
      const watch = stop.reason === 'watchpoint' ? miTuple(stop.record?.['hw-rwpt']) ?? miTuple(stop.record?.['hw-awpt']) : undefined;
      const entry = breakpoints.lookup(stop.gdbBreakpoint ?? miString(watch?.number));
      if (entry?.logMessage) {
        this.log(`${await this.formatLogMessage(entry.logMessage)}\n`, 'console');
        this.runAndReport(() => engine.forward('-exec-continue'));
        return;
      }
      let reason: string = stop.reason;
      const hit: number[] = [];
      if (stop.reason === 'breakpoint' || stop.reason === 'watchpoint') {
        reason = entry?.kind === 'function' ? 'function breakpoint' : entry?.kind === 'instruction' ? 'instruction breakpoint' : entry?.kind === 'data' ? 'data breakpoint' : 'breakpoint';
        if (entry) hit.push(entry.dapId);
      } else if (stop.reason === 'icount breakpoint') {
        reason = 'breakpoint';
        const id = breakpoints.icountBreakpointId(stop.icount);
        if (id !== undefined) { hit.push(id); reason = 'function breakpoint'; }
      } else if (['end', 'start', 'seek', 'signal', 'snapshot point'].includes(stop.reason)) {
        reason = stop.reason === 'seek' ? 'goto' : 'step';
      }
      const icountText = engine.options.mode === 'play' ? `icount ${stop.icount}` : undefined;
      const ev: DebugProtocol.StoppedEvent = new StoppedEvent(reason, 1);
      ev.body.allThreadsStopped = true;
      ev.body.description = [describe(stop), icountText].filter(Boolean).join(' at ');
      ev.body.text = stop.text ?? icountText;
      if (hit.length) ev.body.hitBreakpointIds = hit;
      if (stop.text && (stop.reason === 'end' || stop.reason === 'start')) this.log(`${stop.text}\n`, 'important');
      this.sendState(false);
      this.sendEvent(ev);
      if (stop.reason === 'seek') this.sendEvent(new InvalidatedEvent(['all']));
      if (engine.replaying) { this.idleWorkPending = true; this.armIdleWork(); }
    })().catch((err: unknown) => this.log(`${errorMessage(err)}\n`, 'important'));
  }

  /** Any request postpones idle work: views refresh right after a stop, and the user comes first. */
  private readonly breakpointUpdates = new Map<number, { promise: Promise<void>; done: () => void }>();

  override sendResponse(response: DebugProtocol.Response): void {
    super.sendResponse(response);
    const update = this.breakpointUpdates.get(response.request_seq);
    if (update) {
      this.breakpointUpdates.delete(response.request_seq);
      update.done();
    }
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (BREAKPOINT_REQUESTS.has(request.command)) {
      let done!: () => void;
      const promise = new Promise<void>((resolve) => (done = resolve));
      this.breakpointUpdates.set(request.seq, { promise, done });
    }
    if (this.idleTimer) this.armIdleWork();
    super.dispatchRequest(request);
  }

  private armIdleWork(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.idleWorkPending || this.ending) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const { engine, exec } = this.need();
      if (exec.running || exec.isBusy) return;
      this.idleWorkPending = false;
      engine.placeSnapshotNearPosition().catch((err: unknown) => this.log(`Could not place a snapshot near the position: ${errorMessage(err)}\n`));
    }, IDLE_MS);
  }

  private async formatLogMessage(template: string): Promise<string> {
    const { inspector } = this.need();
    let out = '';
    let last = 0;
    for (const m of template.matchAll(/\{([^}]+)\}/g)) {
      out += template.slice(last, m.index);
      out += await inspector.evaluate(m[1]).then((r) => r.result, (e: unknown) => `<${errorMessage(e)}>`);
      last = m.index + m[0].length;
    }
    return out + template.slice(last);
  }

  /**
   * A launched QEMU or its gdb failing under the session: it exits, loses its QMP connection, or stops responding
   * (the watchdog notices within ~3 s, see adapter/qemu/watchdog.ts). The session ends with a message that says
   * what happened and how to continue; a recording being made is still finalised when QEMU could end it cleanly.
   */
  private watchEmulator(emulator: Emulator): void {
    const { qemu, gdb } = emulator;
    qemu.on('exit', (code, signal) => {
      if (emulator.mode === 'record' && !signal && code === 0) void this.onEmulatorGone('QEMU exited');
      else void this.onEmulatorFailed('QEMU', `exited unexpectedly (${qemu.describeExit()})`);
    });
    gdb.on('exit', (code, signal) => { void this.onEmulatorFailed('gdb', `exited unexpectedly (${signal ? `killed by ${signal}` : `exit code ${code}`})`); });
    qemu.qmp.on('close', () => {
      // QEMU closes QMP as it exits, usually just before its exit is seen: only a close without an exit is a fault.
      setTimeout(() => { if (!qemu.exited) void this.onEmulatorFailed('QEMU', 'closed its QMP connection', true); }, 500).unref();
    });
    if (qemu.pid === undefined) return;
    const watchdog = new Watchdog({ pid: qemu.pid, qmp: qemu.qmp }, gdb.pid !== undefined ? [{ name: 'gdb', pid: gdb.pid }] : []);
    watchdog.on('hung', (why) => { void this.onEmulatorFailed(why.startsWith('gdb') ? 'gdb' : 'QEMU', why, true); });
    watchdog.start();
    this.watchdog = watchdog;
  }

  private async onEmulatorFailed(what: 'QEMU' | 'gdb', how: string, hung = false): Promise<void> {
    if (this.ending || !this.emulator || !this.engine) return;
    const fault = how.startsWith(what) ? how : `${what} ${how}`;
    const icount = this.engine.state().icount;
    const replay = this.emulator.mode === 'replay';
    const next = replay
      ? `The recording is unchanged: start the replay again to continue${icount > 0 ? ` (seek to icount ${icount} to return here)` : ''}.`
      : 'What was recorded until then is saved if QEMU could still end its log cleanly (see below); otherwise record again.';
    const text = `${fault}${replay ? ` at icount ${icount}` : ''}. The session was ended. ${next}`;
    this.endReason = { code: what === 'gdb' ? 'gdb-exited' : 'qemu-exited', text };
    this.log(`${text}\n`, 'important');
    await this.end(fault, hung ? what : undefined);
  }

  private async onEmulatorGone(what: string): Promise<void> {
    if (this.ending) return;
    const emulator = this.emulator;
    if (!emulator) {
      this.log(`${what}: the QEMU this session was attached to is gone.\n`, 'important');
    } else if (emulator.mode === 'record') {
      this.log(`${what}: the guest finished.\n`);
    } else {
      this.log(`${what} unexpectedly (${emulator.qemu.describeExit()}). The recording is unchanged: start the replay again to continue.\n`, 'important');
    }
    await this.end(what);
  }

  /** Ends the session once: stops QEMU cleanly, finalises a recording, stops gdb. */
  /** `hung`: which process stopped responding (a hung QEMU cannot be asked to quit; a hung gdb is not waited for). */
  private end(why: string, hung?: 'QEMU' | 'gdb'): Promise<void> {
    this.ending ??= (async () => {
      this.watchdog?.stop();
      if (this.recordWatch) clearInterval(this.recordWatch);
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleWorkPending = false;
      if (this.attached) {
        await this.detach();
        this.sendEvent(new TerminatedEvent());
        return;
      }
      const emulator = this.emulator;
      if (!emulator) return;
      if (hung === 'QEMU') await emulator.qemu.abandon(); // QMP would only time out
      else await emulator.qemu.stop();
      await emulator.gdb.stop(hung ? 500 : 2_000);
      if (emulator.recording instanceof PendingRecording) await this.flushRecordSerial(emulator.recording.file('serial'));
      if (emulator.recording instanceof PendingRecording && emulator.manifestBase) {
        try {
          const m = await emulator.recording.finalize(emulator.manifestBase);
          this.log(`Recording saved to ${emulator.recording.finalDir} (${m.endIcount + 1} instructions, ${why}). Replay it with "mode": "replay".\n`, 'important');
        } catch (err) {
          await emulator.recording.discard();
          this.log(`The recording could not be saved: ${errorMessage(err)}\n`, 'important');
        }
      }
      this.sendEvent(new TerminatedEvent());
    })();
    return this.ending;
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args?: DebugProtocol.DisconnectArguments): void {
    this.suspendOnDetach = args?.suspendDebuggee === true;
    this.handle(response, async () => { await this.end('session stopped'); });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.handle(response, async () => { await this.end('session stopped'); });
  }

  // ---- execution -------------------------------------------------------------------------------------------

  private run(response: DebugProtocol.Response, op: (engine: ReplayEngine) => Promise<Stop>): void {
    // Requests are handled in order: a run must not start before breakpoint changes received before it are in
    // place (VS Code sends setBreakpoints then continue without waiting for the answer).
    const pending = [...this.breakpointUpdates.values()].map((u) => u.promise);
    if (pending.length) {
      void Promise.all(pending).then(() => this.run(response, op));
      return;
    }
    try {
      const { exec, engine } = this.need();
      exec.assertStopped('run'); // operations queue behind one in progress (e.g. idle snapshot work)
      const started = op(engine);
      this.sendResponse(response);
      started.then((stop) => this.reportStop(stop), (err: unknown) => {
        if (this.ending) return;
        this.log(`${errorMessage(err)}\n`, 'important');
        this.reportStop({ reason: 'signal', icount: engine.state().icount, text: errorMessage(err) });
      });
    } catch (err) {
      this.fail(response, err);
    }
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.run(response, (e) => e.forward('-exec-continue'));
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.run(response, (e) => e.forward(args.granularity === 'instruction' ? '-exec-next-instruction' : '-exec-next'));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.run(response, (e) => e.forward(args.granularity === 'instruction' ? '-exec-step-instruction' : '-exec-step'));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    const cmd: GdbRunCommand = '-exec-finish';
    this.run(response, (e) => e.forward(cmd));
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.run(response, (e) => e.stepBack(args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.run(response, (e) => e.reverseContinue());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      // A run accepted but not yet started in gdb (its QMP set-up) would miss the interrupt: wait for it to start.
      for (let i = 0; i < 400 && exec.isBusy && !exec.running; i++) await new Promise((r) => setTimeout(r, 5));
      await exec.pause();
    });
  }

  // ---- inspection ------------------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      // While running, and once the session is ending (VS Code asks once more after `terminated`), answer
      // without gdb: it may be gone, and an error here would be shown to the user.
      if (exec.running || this.ending || !exec.gdb.isRunning) return { threads: [new Thread(1, 'CPU #0')] };
      const r = await exec.gdb.command('-thread-info');
      const threads = miList(r.threads).map(miTuple).map((t) => {
        const id = Number(miString(t?.id) ?? '1');
        return new Thread(id, `CPU #${id - 1}${miString(t?.['target-id']) ? ` (${miString(t?.['target-id'])})` : ''}`);
      });
      return { threads: threads.length ? threads : [new Thread(1, 'CPU #0')] };
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      exec.assertStopped('read the stack');
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : 64;
      const r = await exec.gdb.command(`-stack-list-frames --thread ${args.threadId} ${start} ${start + levels - 1}`);
      const frames = miList(r.stack).map(miTuple).map((f): DebugProtocol.StackFrame => {
        const level = Number(miString(f?.level) ?? '0');
        const addr = miString(f?.addr) ?? '0x0';
        const file = miString(f?.fullname);
        const line = Number(miString(f?.line) ?? '0');
        const func = miString(f?.func) ?? '??';
        return {
          id: args.threadId * 10_000 + level,
          name: file ? func : `${func} <no source>`,
          source: file ? { name: file.split('/').pop(), path: file } : undefined,
          line: file ? line : 0,
          column: file ? 1 : 0,
          instructionPointerReference: addr,
          presentationHint: file ? 'normal' : 'subtle',
        };
      });
      const depth = await exec.gdb.command(`-stack-info-depth --thread ${args.threadId}`).then((d) => Number(miString(d.depth))).catch(() => frames.length);
      return { stackFrames: frames, totalFrames: depth };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const { inspector } = this.need();
      return { scopes: inspector.scopes(Math.floor(args.frameId / 10_000), args.frameId % 10_000) };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, async () => {
      const { inspector, exec } = this.need();
      exec.assertStopped('read variables');
      return { variables: await inspector.variables(args.variablesReference, args.start, args.count) };
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, async () => {
      const { inspector, exec } = this.need();
      const thread = args.frameId !== undefined ? Math.floor(args.frameId / 10_000) : undefined;
      const frame = args.frameId !== undefined ? args.frameId % 10_000 : undefined;
      if (args.context === 'repl') {
        const special = await this.console!.run(args.expression, { running: exec.running, replaying: this.engine?.replaying ?? false });
        if (special !== undefined) {
          this.engine?.forgetPosition(); // the command went to gdb or QEMU directly
          if (special.invalidate) this.sendEvent(new InvalidatedEvent(['all']));
          return { result: special.text, variablesReference: 0 };
        }
      }
      exec.assertStopped('evaluate expressions');
      try {
        return await inspector.evaluate(args.expression, thread, frame);
      } catch (err) {
        throw new UserError('evaluate', `Cannot evaluate "${args.expression}": ${errorMessage(err)}`);
      }
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse): void {
    this.fail(response, this.readOnlyError('change variables'));
  }
  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse): void {
    this.fail(response, this.readOnlyError('change expressions'));
  }
  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse): void {
    this.fail(response, this.readOnlyError('write memory'));
  }
  protected override gotoRequest(response: DebugProtocol.GotoResponse): void {
    this.fail(response, this.readOnlyError('jump to another location'));
  }

  private readOnlyError(what: string): UserError {
    const mode = this.engine?.options.mode;
    return new UserError('read-only', mode === 'record'
      ? `Cannot ${what} while recording: QEMU does not log debugger writes, so the replay would no longer match the recording.`
      : `Cannot ${what} in a replay: the replay is read-only, and a write would desynchronise it from the recording. Use "Go to Instruction Count" or step to change where you are in time.`);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    // Anything gdb can take the address of can be watched; the inspector resolves Variables-view children.
    this.handle(response, async () => await this.need().inspector.dataBreakpointInfo(args.name, args.variablesReference));
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handle(response, async () => {
      const { breakpoints } = this.need();
      const path = args.source.path;
      if (!path) return { breakpoints: (args.breakpoints ?? []).map(() => new Breakpoint(false)) };
      return { breakpoints: await this.withTargetStopped(() => breakpoints.setSource(path, args.breakpoints ?? [])) };
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handle(response, async () => {
      const { breakpoints } = this.need();
      const result = await this.withTargetStopped(() => breakpoints.setFunctions(args.breakpoints));
      this.sendState();
      return { breakpoints: result };
    });
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, async () => ({ breakpoints: await this.withTargetStopped(() => this.need().breakpoints.setInstructions(args.breakpoints)) }));
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, async () => ({ breakpoints: await this.withTargetStopped(() => this.need().breakpoints.setData(args.breakpoints)) }));
  }

  /**
   * Breakpoints may change while the guest runs: interrupt, change, resume. In a replay the resume goes
   * through the engine so the end-of-log guard stays armed.
   */
  private async withTargetStopped<T>(change: () => Promise<T>): Promise<T> {
    const { exec, engine } = this.need();
    if (!exec.running) return await change();
    this.changeInterrupt = true;
    this.resumeAfterChange = false;
    await exec.pause();
    for (let i = 0; i < 2000 && (exec.isBusy || this.changeInterrupt); i++) await new Promise((r) => setTimeout(r, 5));
    this.changeInterrupt = false;
    const result = await change();
    // Resume only a run we interrupted; one that stopped by itself meanwhile (breakpoint, end) was reported.
    if (this.resumeAfterChange) this.runAndReport(() => engine.forward('-exec-continue'));
    this.resumeAfterChange = false;
    return result;
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, async () => {
      const { inspector, exec } = this.need();
      exec.assertStopped('disassemble');
      return { instructions: await inspector.disassemble(args.memoryReference, args.offset ?? 0, args.instructionOffset ?? 0, args.instructionCount) };
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, async () => {
      const { inspector, exec } = this.need();
      exec.assertStopped('read memory');
      return await inspector.readMemory(args.memoryReference, args.offset ?? 0, args.count);
    });
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      const r = await exec.gdb.command('-file-list-exec-source-files');
      const seen = new Set<string>();
      const sources: DebugProtocol.Source[] = [];
      for (const f of miList(r.files).map(miTuple)) {
        const p = miString(f?.fullname);
        if (p && !seen.has(p)) { seen.add(p); sources.push({ name: p.split('/').pop(), path: p }); }
      }
      return { sources };
    });
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.handle(response, async () => ({ targets: await this.console!.complete(args.text, args.column) }));
  }

  // ---- the qemu-replay protocol extension ------------------------------------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): void {
    const a = args ?? {};
    const name = command as CustomRequestName;
    switch (name) {
      case 'replayInfo':
        this.handle(response, async () => {
          const { engine, exec } = this.need();
          if (!exec.running && !exec.isBusy) await engine.refreshIcount();
          return engine.state();
        });
        return;
      case 'setIcountBreakpoints':
        this.handle(response, () => {
          const { engine } = this.need();
          const breakpoints = engine.setIcountBreakpoints(a.icounts);
          this.sendState();
          return { breakpoints };
        });
        return;
      case 'seek':
        this.handle(response, async () => {
          const { engine, exec } = this.need();
          exec.assertStopped('seek');
          const stop = await engine.seek(a);
          this.reportStop(stop);
          return engine.state(false);
        });
        return;
      case 'listSnapshots':
        this.handle(response, async () => ({ snapshots: await this.need().engine.listSnapshots() }));
        return;
      case 'saveSnapshot':
        this.handle(response, async () => ({ snapshot: await this.need().engine.saveSnapshot(a.name) }));
        return;
      case 'deleteSnapshot':
        this.handle(response, async () => { await this.need().engine.deleteSnapshot(a.name); return {}; });
        return;
      case 'reverseStepIn':
        this.run(response, (e) => e.stepBack(a.granularity === 'instruction' ? 'instruction' : 'line', true));
        return;
      case 'reverseStepOut':
        this.run(response, (e) => e.reverseStepOut());
        return;
      default:
        super.customRequest(command, response, args);
    }
  }
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
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
