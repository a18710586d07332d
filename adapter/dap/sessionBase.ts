/**
 * The DAP session's foundation: its parts (engine, breakpoints, inspector, console), answering every request even
 * when it fails, the session's life (launch, attach, configurationDone, the end) and the report of a stop. The
 * requests that run the guest or read it are in session.ts, which extends this class.
 */
import {
  BreakpointEvent, Event, InitializedEvent, InvalidatedEvent, LoggingDebugSession, OutputEvent, TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ReplayState } from '../../common/protocol';
import { Execution, Stop } from '../engine/execution';
import { AttachedQemu, attachToQemu, detachFromQemu } from '../engine/attach';
import { Emulator, launch } from '../engine/launcher';
import { EngineOptions, ReplayEngine } from '../engine/replayEngine';
import { errorMessage, errors, showUserFor, UserError } from '../errors';
import { PendingRecording, SerialTimeline } from '../qemu/recording';
import type { Watchdog } from '../qemu/watchdog';
import { QmpClient, QmpConnectionError } from '../qemu/qmp';
import { Gdb, GdbExitedError } from '../gdb/gdb';
import { Breakpoints } from './breakpoints';
import { BreakpointUpdates } from './breakpointUpdates';
import { CAPABILITIES, stepBackEvent } from './capabilities';
import { ConsoleCommands } from './console';
import { failureMessage, watchEmulator } from './faults';
import { RecordingHistory } from './history';
import { stackTrace } from './frames';
import { IdleWork } from './idleWork';
import { Inspector } from './inspect';
import { type DeferredBreakpoints, LateSymbols } from './lateSymbols';
import { Recorder } from './recorder';
import { ReplaySerial } from './replaySerial';
import { formatLogMessage, hitBreakpoint, stoppedEvent } from './stops';
import { within } from '../within';

const DEFAULT_SNAPSHOT_INTERVAL = 10_000_000;

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

export abstract class SessionBase extends LoggingDebugSession {
  protected emulator: Emulator | undefined;
  protected exec: Execution | undefined;
  protected engine: ReplayEngine | undefined;
  protected breakpoints: Breakpoints | undefined;
  protected inspector: Inspector | undefined;
  protected console: ConsoleCommands | undefined;
  /** Replay mode: the recording's serial output, as the replay passes it. */
  protected serial: ReplaySerial | undefined;
  protected stopOnEntry = true;
  protected ending: Promise<void> | undefined;
  /** Resolved when the session starts to end (goneUnder waits for it). */
  protected readonly endBegun = deferred();
  /** Why the session is ending when QEMU or gdb failed under it (for requests still in flight). */
  protected endReason: { code: 'qemu-exited' | 'gdb-exited'; text: string } | undefined;
  protected watchdog: Watchdog | undefined;
  /** Record mode: live serial output, record-time snapshots, the record limit, the recording finalised. */
  protected recorder: Recorder | undefined;
  /** Work for when the user is reading the screen: placing a snapshot near the position (see ReplayEngine). */
  protected readonly idleWork = new IdleWork(() => this.need(), (text) => this.log(text));
  /** A QEMU the user started (attach): never stopped by the session, only let go. */
  protected attached: AttachedQemu | undefined;
  protected suspendOnDetach = false;
  /** configurationDone has come: the session has started (logpoints set from now on have earlier hits). */
  protected configured = false;
  /** A first launch with a large program: its symbols load after the first stop (see lateSymbols.ts). */
  protected lateSymbols: LateSymbols | undefined;
  /** The client shows DAP progress events (initialize's `supportsProgressReporting`). */
  private clientShowsProgress = false;
  /** Passes over the whole recording: hit history, earlier logpoint hits, last write, compare (history.ts). */
  protected readonly history = new RecordingHistory({
    need: () => this.need(),
    sendEvent: (event) => this.sendEvent(event),
    serial: () => this.serial,
    showsProgress: () => this.clientShowsProgress,
  });

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- plumbing: every async handler answers, even when it fails -------------------------------------------

  /**
   * `pass`: the request is itself a pass over the recording (hitHistory, lastWrite, compare): it waits for one in
   * progress like any other, but is not a user's request for a hit pass to give way to (Execution.userRequestStarted).
   */
  protected handle<R extends DebugProtocol.Response>(response: R, work: () => Promise<R['body'] | void> | R['body'] | void, pass = false): void {
    const exec = this.exec;
    if (!pass) exec?.userRequestStarted();
    // Requests that need the program's symbols wait while they load (lateSymbols.ts).
    const symbols = this.lateSymbols?.gate(response.command, this.configured);
    // Nothing may talk to gdb while QMP drives a seek: every request waits for it to finish.
    Promise.resolve(symbols).then(() => exec?.whenQuiet()).then(work).then(
      (body) => {
        if (body !== undefined) response.body = body;
        this.sendResponse(response);
      },
      (err: unknown) => this.fail(response, err),
    ).finally(() => { if (!pass) exec?.userRequestEnded(); });
  }

  protected fail(response: DebugProtocol.Response, error: unknown, waited = false): void {
    if (!this.endReason && !waited && this.emulator && (error instanceof QmpConnectionError || error instanceof GdbExitedError)) {
      // The request usually notices a lost connection a few ms before the process's exit is seen: wait for it.
      setTimeout(() => this.fail(response, error, true), 300);
      return;
    }
    // QEMU or gdb went away under the request: say why the session ends, not which socket broke.
    let err = this.endReason && !(error instanceof UserError)
      ? errors.sessionEnding(this.endReason.code, this.endReason.text, error)
      : error;
    // A request that meets the processes of a session ending normally (a recorded guest finished, Stop): not a fault.
    if (this.ending && (err instanceof GdbExitedError || err instanceof QmpConnectionError)) {
      err = errors.sessionEnded(err instanceof GdbExitedError, err);
    }
    const user = err instanceof UserError ? err : undefined;
    const message = user ? user.message : `Internal error: ${errorMessage(err)}`;
    if (!user && err instanceof Error && err.stack) this.log(`${err.stack}\n`);
    const showUser = showUserFor(response.command, err, this.ending !== undefined);
    // A refusal (a write in a replay) is said in the Debug Console, where the user typed or edited; the REPL prints an
    // evaluate's error itself.
    if (user?.code === 'read-only' && response.command !== 'evaluate') this.log(`${message}\n`);
    this.sendErrorResponse(response, { id: user ? user.id : 1000, format: message, showUser });
  }

  protected log(text: string, category: 'console' | 'stderr' | 'stdout' | 'important' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  protected need(): { exec: Execution; engine: ReplayEngine; emulator: Emulator | undefined; breakpoints: Breakpoints; inspector: Inspector } {
    if (!this.exec || !this.engine || !this.breakpoints || !this.inspector) {
      throw errors.notLaunched();
    }
    return { exec: this.exec, engine: this.engine, emulator: this.emulator, breakpoints: this.breakpoints, inspector: this.inspector };
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientShowsProgress = args.supportsProgressReporting === true;
    response.body = { ...CAPABILITIES };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.handle(response, async () => {
      const raw = args as Record<string, unknown>;
      this.stopOnEntry = raw.stopOnEntry !== false;
      const emulator = await launch(raw, (text) => this.log(text, 'stderr'));
      this.emulator = emulator;
      // Made now, started at configurationDone: a session ended before that still shows the serial output and saves the recording.
      if (emulator.recording instanceof PendingRecording) {
        this.recorder = new Recorder(emulator.recording, emulator.manifestBase, {
          log: (text, category) => this.log(text, category),
          isEnding: () => this.ending !== undefined,
          end: (why) => this.end(why),
        });
      }
      for (const w of emulator.warnings) this.log(`Warning: ${w}\n`, 'important');
      const replay = emulator.mode === 'replay';
      const rec = emulator.recording;
      const mode = replay ? 'play' : 'record';
      // No debugger writes (readOnly): a replay must match its recording, and a recording does not log them.
      const engine = this.setUp(emulator.gdb, emulator.qemu.qmp, true, {
        mode,
        endIcount: rec instanceof PendingRecording ? undefined : rec.manifest.endIcount,
        recording: rec instanceof PendingRecording ? rec.finalDir : rec.dir,
        snapshotInterval: typeof raw.snapshotInterval === 'number' ? raw.snapshotInterval : DEFAULT_SNAPSHOT_INTERVAL,
        snapshotBudgetBytes: typeof raw.snapshotBudgetMB === 'number' ? raw.snapshotBudgetMB * 1024 * 1024 : undefined,
        snapshotImage: rec.file('snapshots'),
        qemuVersion: emulator.qemuVersion, architecture: emulator.architecture,
        background: replay ? emulator.started : undefined,
      });
      if (emulator.symbolsLater && emulator.program) this.lateSymbols = this.loadSymbolsLater(emulator.program, emulator.symbolsLater);
      if (!(rec instanceof PendingRecording)) this.serial = new ReplaySerial(new SerialTimeline(rec.serial, rec.log.charWriteIcounts), (text) => this.log(text, 'stdout'), rec.manifest.endIcount);
      if (raw.trace === true) {
        emulator.gdb.on('trace', (dir, line) => this.log(`gdb ${dir} ${line}\n`));
        emulator.qemu.qmp.on('trace', (dir, line) => this.log(`qmp ${dir} ${line}\n`));
      }
      // QEMU or gdb failing under the session ends it, saying what happened and how to continue (see faults.ts).
      this.watchdog = watchEmulator(emulator, {
        failed: (what, how, hung) => { void this.onEmulatorFailed(what, how, hung); },
        gone: (what) => { void this.onEmulatorGone(what); },
      });
      await engine.prepare();
      if (replay) this.sendEvent(stepBackEvent());
      this.log(`${replay ? 'Replaying' : 'Recording'} ${engine.options.recording}${replay ? ` (icount 0 to ${engine.end})` : ''}\n`);
      this.sendEvent(new InitializedEvent());
    });
  }

  /**
   * The program's symbols, loaded once gdb's index of them is made (a first launch with a large program); then the
   * breakpoints of the configuration are set and reported, and a stack shown meanwhile is shown again if the symbols
   * change it.
   */
  private loadSymbolsLater(program: string, later: NonNullable<Emulator['symbolsLater']>): LateSymbols {
    const load = async (): Promise<void> => {
      const indexCache = await later.indexed;
      try {
        await this.need().exec.exclusive(() => later.load(indexCache));
      } catch (err) {
        if (!this.ending) this.log(`Could not load the symbols of ${program}: ${errorMessage(err)}. Instruction-level debugging works; for source-level debugging, start the session again.\n`, 'important');
      }
    };
    return new LateSymbols(program, load, (deferred, shownTopFrame) => this.afterLateSymbols(deferred, shownTopFrame));
  }

  private async afterLateSymbols(deferred: DeferredBreakpoints[], shownTopFrame: string | undefined): Promise<void> {
    if (this.ending) return;
    const { breakpoints, exec } = this.need();
    for (const d of deferred) {
      const set = await d.set().catch((err: unknown) => d.placeholders.map((p) => ({ ...p, message: errorMessage(err) })));
      set.forEach((bp, i) => {
        const id = d.placeholders[i]?.id;
        if (id === undefined) return;
        if (bp.id !== undefined && bp.id !== id) breakpoints.renumber(bp.id, id);
        this.sendEvent(new BreakpointEvent('changed', { ...bp, id }));
      });
    }
    breakpoints.takeNewLogpoints(); // set during the configuration: every hit is still ahead
    if (shownTopFrame !== undefined && !exec.running) {
      const top = await stackTrace(exec.gdb, { threadId: 1, levels: 1 }).then((t) => t.stackFrames[0]?.name ?? '', () => shownTopFrame);
      if (top !== shownTopFrame) this.sendEvent(new InvalidatedEvent(['stacks']));
    }
  }

  /** Attach to a QEMU the user started; time travel when it replays (see docs/console.md and adapter/engine/attach.ts). */
  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.handle(response, async () => {
      const attached = await attachToQemu(args);
      this.attached = attached;
      for (const w of attached.warnings) this.log(`Warning: ${w}\n`, 'important');
      const engine = this.setUp(attached.gdb, attached.qmp, attached.mode !== 'none', {
        mode: attached.mode, endIcount: attached.endIcount, recording: attached.replayFile,
        snapshotInterval: 0, snapshotBudgetBytes: 0, // no automatic snapshots in the user's image
        qemuVersion: attached.qemuVersion,
      });
      if ((args as Record<string, unknown>).trace === true) attached.gdb.on('trace', (dir, line) => this.log(`gdb ${dir} ${line}\n`));
      attached.qmp?.on('close', () => { void this.onEmulatorGone('QEMU closed its QMP connection'); });
      attached.gdb.on('exit', () => { void this.onEmulatorGone('gdb exited'); });
      // A replay that never ran may seek to 0 (nothing to load); anywhere else, only read where it is.
      if (attached.mode === 'play' && attached.statusBefore === 'prelaunch') await engine.prepare();
      else await engine.refreshIcount().catch(() => 0);
      if (attached.mode === 'play') this.sendEvent(stepBackEvent());
      const what = attached.mode === 'play' ? `replaying ${attached.replayFile ?? ''}` : attached.mode === 'record' ? `recording ${attached.replayFile ?? ''}` : 'without record/replay';
      this.log(`Attached to QEMU (${what}, was ${attached.statusBefore}). Disconnecting leaves it running${attached.mode === 'play' ? '' : ''}; "Disconnect and Suspend" leaves it paused.\n`);
      this.sendEvent(new InitializedEvent());
    });
  }

  /** Lets go of an attached QEMU: a run in progress is interrupted first (gdb cannot detach while it runs). */
  protected async detach(): Promise<void> {
    const attached = this.attached!;
    const exec = this.exec;
    // Stopped quietly (no stop event), and not resumed: detaching resumes or leaves it as the user asked.
    if (exec?.running) await exec.withTargetStopped(() => Promise.resolve(), () => undefined, 2_000).catch(() => undefined);
    await detachFromQemu(attached, this.suspendOnDetach);
  }

  /** The session's parts over gdb and QMP; `readOnly`: debugger writes to the guest are refused. */
  protected setUp(gdb: Gdb, qmp: QmpClient | undefined, readOnly: boolean, options: EngineOptions): ReplayEngine {
    const exec = this.exec = new Execution(gdb, qmp);
    const engine = this.engine = new ReplayEngine(exec, qmp, options);
    this.breakpoints = new Breakpoints(gdb, engine);
    this.inspector = new Inspector(gdb);
    this.console = new ConsoleCommands(gdb, qmp);
    this.inspector.readOnly = this.console.readOnly = readOnly;
    engine.on('progress', (_from, to) => this.serial?.reached(to));
    engine.on('snapshotsChanged', (snapshots) => this.sendEvent(new Event('snapshotsChanged', { snapshots })));
    // A pass over the recording runs the guest where the user is not: the user's position is still stopped.
    engine.on('running', () => { if (!exec.passInProgress) this.sendState(true); });
    return engine;
  }

  protected sendState(running?: boolean): void {
    if (!this.engine) return;
    const state: ReplayState = this.engine.state(running);
    this.sendEvent(new Event('replayState', state));
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.handle(response, () => {
      const { engine, exec } = this.need();
      this.configured = true;
      if (engine.options.mode === 'record' && this.emulator) this.recorder?.start(engine, exec, this.emulator.recordLimit);
      // A run waits for symbols that load later (the breakpoints are set then); the stop where the guest starts does not.
      const symbols = this.lateSymbols?.done;
      if (this.stopOnEntry) {
        const entry = this.emulator?.entry;
        this.runAndReport(async () => (entry !== undefined ? await engine.runToEntry(entry, symbols) : undefined) ?? { reason: 'entry', icount: engine.state().icount });
      } else {
        setImmediate(() => this.runAndReport(async () => { await symbols; return await engine.forward('-exec-continue'); }));
      }
    });
  }

  protected runAndReport(op: () => Promise<Stop>): void {
    op().then((stop) => this.reportStop(stop), async (err: unknown) => {
      if (await this.goneUnder(err)) return;
      this.log(`${errorMessage(err)}\n`, 'important');
      this.sendState(false);
    });
  }

  /**
   * Whether a run failed because QEMU or gdb went away (a recorded guest that finishes ends QEMU, and a query in
   * flight then loses QMP): the session's end says what happened, once. The lost connection is usually seen a few
   * ms before the exit: wait (up to 1 s) for the end to begin.
   */
  protected async goneUnder(err: unknown): Promise<boolean> {
    if (!this.ending && (err instanceof QmpConnectionError || err instanceof GdbExitedError)) {
      await within(this.endBegun.promise, 1_000, undefined);
    }
    return this.ending !== undefined;
  }

  protected reportStop(stop: Stop): void {
    // The run was interrupted only to change breakpoints (Execution.withTargetStopped): no stop for the user.
    if (stop.interruptedForChange) return;
    void (async () => {
      const { breakpoints, inspector, engine } = this.need();
      inspector.reset();
      if (stop.reason === 'exited') {
        await this.end('guest exited');
        return;
      }
      const entry = hitBreakpoint(stop, breakpoints);
      if (entry?.logMessage) {
        this.log(`${await formatLogMessage(entry.logMessage, async (e) => (await inspector.evaluate(e)).result)}\n`, 'console');
        this.runAndReport(() => engine.forward('-exec-continue'));
        return;
      }
      const ev = stoppedEvent(stop, entry, breakpoints, engine.options.mode === 'play');
      if (stop.text && (stop.reason === 'end' || stop.reason === 'start')) this.log(`${stop.text}\n`, 'important');
      if (stop.note) this.log(`${stop.note}\n`, 'important');
      this.sendState(false);
      // The stop alone refreshes every view. (An `invalidated` event after it made VS Code cancel the requests of the
      // stop in flight, fetch the stack a second time and focus the editor again, closing a quick pick opened meanwhile.)
      this.sendEvent(ev);
      if (engine.replaying) this.idleWork.due();
    })().catch((err: unknown) => this.log(`${errorMessage(err)}\n`, 'important'));
  }

  /** Breakpoint requests not answered yet: a run waits for them (see run). */
  protected readonly breakpointUpdates = new BreakpointUpdates();

  override sendResponse(response: DebugProtocol.Response): void {
    super.sendResponse(response);
    this.breakpointUpdates.answered(response);
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    this.breakpointUpdates.received(request);
    this.idleWork.postpone(); // any request postpones idle work: views refresh right after a stop, and the user comes first
    super.dispatchRequest(request);
  }

  protected async onEmulatorFailed(what: 'QEMU' | 'gdb', how: string, hung = false): Promise<void> {
    if (this.ending || !this.emulator || !this.engine) return;
    const { fault, text } = failureMessage(what, how, this.emulator.mode === 'replay', this.engine.state().icount);
    this.endReason = { code: what === 'gdb' ? 'gdb-exited' : 'qemu-exited', text };
    this.log(`${text}\n`, 'important');
    await this.end(fault, hung ? what : undefined);
  }

  protected async onEmulatorGone(what: string): Promise<void> {
    if (this.ending) return;
    const emulator = this.emulator;
    if (!emulator) {
      this.log(`${what}: the QEMU this session was attached to is gone.\n`, 'important');
    } else if (emulator.mode === 'record') {
      // The guest finished: the normal end of a recording, said by the one "Recording saved" line.
      await this.end('the guest finished');
      return;
    } else {
      this.log(`${what} unexpectedly (${emulator.qemu.describeExit()}). The recording is unchanged: start the replay again to continue.\n`, 'important');
    }
    await this.end(what);
  }

  /** Ends the session once: stops QEMU cleanly, finalises a recording, stops gdb. */
  /** `hung`: which process stopped responding (a hung QEMU cannot be asked to quit; a hung gdb is not waited for). */
  protected end(why: string, hung?: 'QEMU' | 'gdb'): Promise<void> {
    this.endBegun.resolve();
    this.ending ??= (async () => {
      this.watchdog?.stop();
      this.recorder?.stop();
      this.idleWork.close();
      await this.engine?.dispose();
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
      await this.recorder?.finish(why);
      this.sendEvent(new TerminatedEvent());
    })();
    return this.ending;
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args?: DebugProtocol.DisconnectArguments): void {
    this.suspendOnDetach = args?.suspendDebuggee === true;
    this.history.cancelAll(); // a pass in progress ends now, rather than being waited for
    this.handle(response, async () => { await this.end('session stopped'); });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.history.cancelAll();
    this.handle(response, async () => { await this.end('session stopped'); });
  }
}
