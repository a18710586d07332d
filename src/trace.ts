/**
 * Traces every DAP message of `qemu-replay` sessions to the "QEMU Replay" log channel, and keeps the last messages
 * of each session so a failing test (or a bug report) can show the transcript.
 */
import * as vscode from 'vscode';

const MAX_LOGGED_CHARS = 4000;
const MAX_KEPT_MESSAGES = 500;

export class DapTrace implements vscode.DebugAdapterTrackerFactory {
  private readonly transcripts = new Map<string, string[]>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The last messages of a session (`→` to the adapter, `←` from it), oldest first. */
  transcript(sessionId: string): readonly string[] {
    return this.transcripts.get(sessionId) ?? [];
  }

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const kept: string[] = [];
    this.transcripts.set(session.id, kept);
    // Keep only the transcripts of the last few sessions.
    for (const id of [...this.transcripts.keys()].slice(0, -10)) this.transcripts.delete(id);
    const tag = `[${session.name}]`;
    const record = (direction: '→' | '←', message: unknown): void => {
      let text = JSON.stringify(message) ?? String(message);
      if (text.length > MAX_LOGGED_CHARS) text = `${text.slice(0, MAX_LOGGED_CHARS)}… (${text.length} chars)`;
      kept.push(`${direction} ${text}`);
      if (kept.length > MAX_KEPT_MESSAGES) kept.shift();
      this.log.info(`${tag} ${direction} ${text}`);
    };
    return {
      onWillStartSession: () => this.log.info(`${tag} session ${session.id} starting`),
      onWillReceiveMessage: (m: unknown) => record('→', m),
      onDidSendMessage: (m: unknown) => record('←', m),
      onError: (e: Error) => this.log.error(`${tag} adapter error: ${e.message}`),
      onExit: (code: number | undefined, signal: string | undefined) =>
        this.log.info(`${tag} adapter exited (code ${code ?? '-'}, signal ${signal ?? '-'})`),
    };
  }
}
