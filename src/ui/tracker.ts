/**
 * Watches each qemu-replay session's DAP traffic for what custom events do not say: why the session stopped and
 * on which thread (the trail of stops, the thread for reverse steps), whether it ended normally or lost its adapter,
 * and how long reverse operations and seeks take (progress).
 */
import * as vscode from 'vscode';
import { StopPairing } from '../../common/ui-stops';
import type { SlowOperations } from './progress';
import type { ReplayStore } from './sessionStore';

interface DapMessage {
  type?: string;
  seq?: number;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  arguments?: unknown;
  body?: { reason?: string; threadId?: number; running?: boolean; icount?: number };
}

export class ReplayTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly store: ReplayStore, private readonly slow: SlowOperations) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const id = session.id;
    const pairing = new StopPairing((icount, reason, threadId) => this.store.stopped(id, { icount, reason }, threadId));
    return {
      onWillReceiveMessage: (m: unknown) => {
        const msg = m as DapMessage;
        if (msg.type !== 'request' || msg.seq === undefined || msg.command === undefined) return;
        if (msg.command === 'disconnect' || msg.command === 'terminate') this.store.endedNormally(id);
        this.slow.requestSent(id, msg.seq, msg.command, msg.arguments);
      },
      onDidSendMessage: (m: unknown) => {
        const msg = m as DapMessage;
        if (msg.type === 'response' && msg.request_seq !== undefined) {
          this.slow.responseReceived(id, msg.request_seq, msg.success !== false);
        } else if (msg.type === 'event') {
          if (msg.event === 'replayState' && typeof msg.body?.icount === 'number') {
            pairing.state(msg.body.running === true, msg.body.icount);
          } else if (msg.event === 'stopped') {
            pairing.stopped(msg.body?.reason ?? 'pause', msg.body?.threadId);
            this.slow.sessionStopped(id);
          } else if (msg.event === 'terminated' || msg.event === 'exited') {
            this.store.endedNormally(id);
            this.slow.sessionStopped(id);
          }
        }
      },
      onError: (e: Error) => this.store.adapterFailed(id, `the debug adapter failed (${e.message})`),
      // code-server calls onExit without code or signal: then onError (broken pipe) is all there is.
      onExit: (code: number | undefined, signal: string | undefined) => {
        this.slow.sessionStopped(id);
        if (signal) this.store.adapterFailed(id, `the debug adapter was killed (${signal})`, true);
        else if (code) this.store.adapterFailed(id, `the debug adapter exited with code ${code}`, true);
      },
    };
  }
}
