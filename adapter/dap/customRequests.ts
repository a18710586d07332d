/**
 * The qemu-replay protocol extension: the custom requests of common/protocol.ts (`CustomRequests`), answered
 * through the session's own plumbing so they queue, fail and report stops like the standard requests.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CustomRequestName } from '../../common/protocol';
import type { Execution, Stop } from '../engine/execution';
import type { ReplayEngine } from '../engine/replayEngine';
import { errorMessage } from '../errors';
import type { RecordingHistory } from './history';

/** What the custom requests need from the session (see QemuReplaySession). */
export interface CustomRequestHost {
  /** Answers the request with what `work` returns, or with its error; waits for a seek in progress first. */
  handle<R extends DebugProtocol.Response>(response: R, work: () => Promise<R['body'] | void> | R['body'] | void, pass?: boolean): void;
  /**
   * Starts a run (answered at once) and reports where it stops. `announce`: the run is one VS Code did not ask for
   * with a request of its own, so the session says the thread runs (see QemuReplaySession.announceRun).
   */
  run(response: DebugProtocol.Response, op: (engine: ReplayEngine) => Promise<Stop>, announce?: boolean): void;
  /** Tells VS Code the thread runs (a DAP `continued` event): the stop that follows is a new stop, shown afresh. */
  announceRun(): void;
  /** The launched session's parts; throws the user's error before launch. */
  need(): { engine: ReplayEngine; exec: Execution };
  /** Sends the `replayState` event. */
  sendState(): void;
  reportStop(stop: Stop): void;
  /** Hit history, last write, compare, guest output (history.ts). */
  history: RecordingHistory;
}

/** Handles `command` if it is one of ours; false for any other (the session passes it on). */
export function handleCustomRequest(
  host: CustomRequestHost, command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined,
): boolean {
  const a = args ?? {};
  const name = command as CustomRequestName;
  switch (name) {
    case 'replayInfo':
      host.handle(response, async () => {
        const { engine, exec } = host.need();
        if (!exec.running && !exec.isBusy) await engine.refreshIcount();
        return engine.state();
      });
      return true;
    case 'setIcountBreakpoints':
      host.handle(response, () => {
        const { engine } = host.need();
        const breakpoints = engine.setIcountBreakpoints(a.icounts, 'request');
        host.sendState();
        return { breakpoints };
      });
      return true;
    case 'seek':
      host.handle(response, async () => {
        const { engine, exec } = host.need();
        exec.assertStopped('seek');
        return await announcedMove(host, 'The seek', async (announce) => {
          const moving = engine.seek(a); // arguments it cannot take throw here, before anything moves
          announce();
          return { stop: await moving, result: engine.state(false) };
        });
      });
      return true;
    case 'listSnapshots':
      host.handle(response, async () => ({ snapshots: await host.need().engine.listSnapshots() }));
      return true;
    case 'saveSnapshot':
      host.handle(response, async () => ({ snapshot: await host.need().engine.saveSnapshot(a.name) }));
      return true;
    case 'deleteSnapshot':
      host.handle(response, async () => { await host.need().engine.deleteSnapshot(a.name); return {}; });
      return true;
    case 'reverseStepIn':
      host.run(response, (e) => e.stepBack(a.granularity === 'instruction' ? 'instruction' : 'line', true), true);
      return true;
    case 'reverseStepOut':
      host.run(response, (e) => e.reverseStepOut(), true);
      return true;
    case 'hitHistory':
      host.handle(response, () => host.history.hitHistory(a, response.request_seq), true);
      return true;
    case 'lastWrite':
      // Nothing found: the stop is where it was, said again (VS Code was told the thread runs).
      host.handle(response, () => announcedMove(host, 'The search', (announce) => host.history.lastWrite(a, response.request_seq, announce)), true);
      return true;
    case 'compare':
      host.handle(response, () => host.history.compare(a), true);
      return true;
    case 'guestOutput':
      host.handle(response, () => host.history.guestOutput());
      return true;
    default:
      return false;
  }
}

/**
 * A move of the replay that VS Code did not ask for with a run request of its own (seek, lastWrite): `move` calls
 * `announce` once its arguments are good, right before the replay moves, so VS Code hears that the thread runs and
 * then shows the stop that follows afresh. Reports that stop, or after a failure where the replay is now.
 */
async function announcedMove<R>(host: CustomRequestHost, what: string, move: (announce: () => void) => Promise<{ stop: Stop; result: R }>): Promise<R> {
  let announced = false;
  try {
    const { stop, result } = await move(() => { host.announceRun(); announced = true; });
    host.reportStop(stop);
    return result;
  } catch (err) {
    // VS Code was told the thread runs: it must hear where it is now, or its views would say "Running".
    if (announced) host.reportStop({ reason: 'signal', icount: host.need().engine.state().icount, text: `${what} failed: ${errorMessage(err)}` });
    throw err;
  }
}
