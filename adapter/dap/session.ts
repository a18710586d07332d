/**
 * The DAP session: translates Debug Adapter Protocol requests into the replay engine's operations and the
 * engine's stops into DAP events. It knows nothing of QEMU's command lines or gdb's protocol details. Its
 * foundation (the session's parts, its life and the report of stops) is SessionBase (sessionBase.ts).
 */
import { Breakpoint, ContinuedEvent, InvalidatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbRunCommand, Stop } from '../engine/execution';
import type { ReplayEngine } from '../engine/replayEngine';
import { errorMessage, errors, UserError } from '../errors';
import { newBreakpointId } from './breakpoints';
import { CustomRequestHost, handleCustomRequest } from './customRequests';
import { cpuThreads, firstCpu, loadedSources, splitFrameId, stackTrace } from './frames';
import { SessionBase } from './sessionBase';

export class QemuReplaySession extends SessionBase {
  // ---- execution -------------------------------------------------------------------------------------------

  /**
   * VS Code learns that the thread runs only from a `continued` event, or by itself for the run requests it sends
   * (continue, next, stepBack, …: it then clears the thread's stop). Our custom requests (seek, reverseStepIn/Out)
   * are not among them: without this event VS Code keeps the previous stop's details first in its list and the Call
   * Stack header shows them ("icount breakpoint hit at icount 8000" after a seek to 1,234).
   */
  private announceRun(): void {
    this.sendEvent(new ContinuedEvent(1, true));
  }

  private run(response: DebugProtocol.Response, op: (engine: ReplayEngine) => Promise<Stop>, announce = false): void {
    // Requests are handled in order: a run must not start before breakpoint changes received before it are in
    // place (VS Code sends setBreakpoints then continue without waiting for the answer).
    // So must it wait for symbols that load later (lateSymbols.ts): the configuration's breakpoints are set then.
    const settled = this.breakpointUpdates.settled() ?? (this.lateSymbols?.pending ? this.lateSymbols.done : undefined);
    if (settled) {
      void settled.then(() => this.run(response, op, announce));
      return;
    }
    const pass = this.exec?.passInProgress;
    if (pass) {
      // A pass over the recording (hit history, earlier logpoint hits) gives way and comes back to the position:
      // the run starts from there.
      const exec = this.exec!;
      exec.userRequestStarted();
      void pass.then(() => { exec.userRequestEnded(); this.run(response, op, announce); });
      return;
    }
    try {
      const { exec, engine } = this.need();
      exec.assertStopped('run'); // operations queue behind one in progress (e.g. idle snapshot work)
      const started = op(engine); // arguments or a mode it cannot take throw here, before anything runs
      if (announce) this.announceRun(); // before any stop: reportStop comes after an await
      this.sendResponse(response);
      started.then((stop) => this.reportStop(stop), async (err: unknown) => {
        if (await this.goneUnder(err)) return;
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
      await exec.runStarted(2_000);
      await exec.pause();
    });
  }

  // ---- inspection ------------------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      // While running, and once the session is ending (VS Code asks once more after `terminated`), answer
      // without gdb: it may be gone, and an error here would be shown to the user.
      if (exec.running || this.ending || !exec.gdb.isRunning) return { threads: firstCpu() };
      return { threads: await cpuThreads(exec.gdb) };
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, async () => {
      const { exec } = this.need();
      exec.assertStopped('read the stack');
      const trace = await stackTrace(exec.gdb, args);
      if (!args.startFrame) this.lateSymbols?.stackShown(trace.stackFrames[0]?.name);
      return trace;
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const { inspector } = this.need();
      const { thread, frame } = splitFrameId(args.frameId);
      return { scopes: inspector.scopes(thread, frame) };
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
      const at = args.frameId !== undefined ? splitFrameId(args.frameId) : undefined;
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
        return await inspector.evaluate(args.expression, at?.thread, at?.frame);
      } catch (err) {
        throw errors.cannotEvaluate(args.expression, err);
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
    return errors.writeRefused(what, mode === 'record');
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
      const bps = args.breakpoints ?? [];
      let here = 0;
      const result = await this.whenSymbols(`source:${path}`, bps.length, () => this.withTargetStopped(async () => {
        const set = await breakpoints.setSource(path, bps);
        here = this.need().engine.state().icount; // where a run interrupted for the change stood
        return set;
      }));
      // A logpoint set in a replay also shows its earlier hits (after the session has started: before, every hit
      // is still ahead).
      const added = breakpoints.takeNewLogpoints();
      if (this.configured) this.history.retroactiveLogpoints(added, here);
      return { breakpoints: result };
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handle(response, async () => {
      const { breakpoints } = this.need();
      const set = async (): Promise<DebugProtocol.Breakpoint[]> => {
        const result = await this.withTargetStopped(() => breakpoints.setFunctions(args.breakpoints));
        this.sendState();
        return result;
      };
      return { breakpoints: await this.whenSymbols('function', args.breakpoints.length, set) };
    });
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, async () => {
      const set = () => this.withTargetStopped(() => this.need().breakpoints.setInstructions(args.breakpoints));
      return { breakpoints: await this.whenSymbols('instruction', args.breakpoints.length, set) };
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, async () => {
      const set = () => this.withTargetStopped(() => this.need().breakpoints.setData(args.breakpoints));
      return { breakpoints: await this.whenSymbols('data', args.breakpoints.length, set) };
    });
  }

  /**
   * Sets breakpoints (`set`), or, for a request of the configuration while the program's symbols load
   * (lateSymbols.ts), answers `count` unverified ones now and sets them once the symbols are loaded. Any other
   * breakpoint request meanwhile waits for that.
   */
  private async whenSymbols(key: string, count: number, set: () => Promise<DebugProtocol.Breakpoint[]>): Promise<DebugProtocol.Breakpoint[]> {
    const late = this.lateSymbols;
    if (late?.deferring && !this.configured) {
      return late.defer(key, Array.from({ length: count }, () => ({ id: newBreakpointId(), verified: false, message: late.waitingMessage })), set);
    }
    if (late?.pending) await late.done;
    return await set();
  }

  /**
   * Breakpoints may change while the guest runs: interrupt, change, resume. In a replay the resume goes
   * through the engine so the end-of-log guard stays armed.
   */
  private async withTargetStopped<T>(change: () => Promise<T>): Promise<T> {
    const { exec, engine } = this.need();
    return await exec.withTargetStopped(change, () => this.runAndReport(() => engine.forward('-exec-continue')));
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
      return { sources: await loadedSources(exec.gdb) };
    });
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.handle(response, async () => ({ targets: await this.console!.complete(args.text, args.column) }));
  }

  // ---- the qemu-replay protocol extension ------------------------------------------------------------------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): void {
    if (!handleCustomRequest(this.customRequestHost, command, response, args)) super.customRequest(command, response, args);
  }

  private readonly customRequestHost: CustomRequestHost = {
    handle: (response, work, pass) => this.handle(response, work, pass),
    run: (response, op, announce) => this.run(response, op, announce),
    announceRun: () => this.announceRun(),
    need: () => this.need(),
    sendState: () => this.sendState(),
    reportStop: (stop) => this.reportStop(stop),
    history: this.history,
  };

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    // Not through handle: a cancel must not wait for the pass it cancels.
    this.history.cancel(args);
    this.sendResponse(response);
  }
}
