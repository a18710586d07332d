/**
 * Requests are handled in order: a run must not start before breakpoint changes received before it are in
 * place (VS Code sends setBreakpoints then continue without waiting for the answer).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Requests whose effect a following run must see. */
const BREAKPOINT_REQUESTS = new Set(['setBreakpoints', 'setFunctionBreakpoints', 'setInstructionBreakpoints', 'setDataBreakpoints', 'setIcountBreakpoints']);

/** The breakpoint requests received but not answered yet. */
export class BreakpointUpdates {
  private readonly pending = new Map<number, { promise: Promise<void>; done: () => void }>();

  received(request: DebugProtocol.Request): void {
    if (!BREAKPOINT_REQUESTS.has(request.command)) return;
    let done!: () => void;
    const promise = new Promise<void>((resolve) => (done = resolve));
    this.pending.set(request.seq, { promise, done });
  }

  answered(response: DebugProtocol.Response): void {
    const update = this.pending.get(response.request_seq);
    if (update) {
      this.pending.delete(response.request_seq);
      update.done();
    }
  }

  /** Settles once the breakpoint requests received so far are answered; undefined when none is pending. */
  settled(): Promise<unknown> | undefined {
    const pending = [...this.pending.values()].map((u) => u.promise);
    return pending.length ? Promise.all(pending) : undefined;
  }
}
