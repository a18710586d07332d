/**
 * A first launch with a large program (a kernel's 272 MB vmlinux): gdb needs ~2 s to index its symbols, and the
 * session does not make the first stop wait for that (launcher.ts: gdb connects without them). Until they are
 * loaded, requests that need them wait (see SessionBase.handle), runs wait, and the breakpoints of the
 * configuration (VS Code sends them, waits for the answers, then configurationDone) are answered unverified and
 * set once the symbols are there, each then reported by a `breakpoint` event under the id first answered.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Requests answered while the symbols load: they read the stopped machine, or end the session. */
const WITHOUT_SYMBOLS = new Set([
  'threads', 'stackTrace', 'scopes', 'variables', 'disassemble', 'readMemory', 'configurationDone', 'disconnect',
  'terminate', 'setExceptionBreakpoints', 'replayInfo', 'listSnapshots', 'guestOutput',
]);

/** Breakpoint requests: during the configuration they are answered at once (see LateSymbols.defer). */
const BREAKPOINT_REQUESTS = new Set(['setBreakpoints', 'setFunctionBreakpoints', 'setInstructionBreakpoints', 'setDataBreakpoints']);

interface Deferred {
  placeholders: DebugProtocol.Breakpoint[];
  set: () => Promise<DebugProtocol.Breakpoint[]>;
}

export class LateSymbols {
  /** Resolves once the symbols are loaded (or failed to) and the deferred breakpoints are set; never rejects. */
  readonly done: Promise<void>;
  /** Loading the symbols; setting the deferred breakpoints; done. */
  private state: 'loading' | 'setting' | 'loaded' = 'loading';
  private readonly deferred = new Map<string, Deferred>();
  /** The top frame's name as a stack trace gave it while the symbols loaded. */
  private shownTopFrame: string | undefined;

  /**
   * `load`: loads the symbols (gdb's index made first). `after`: once they are, with the deferred requests to set
   * again (each returns breakpoints in the order of its placeholders, which keep their ids) and the top frame's
   * name as shown meanwhile (undefined when no stack was shown).
   */
  constructor(
    readonly program: string,
    load: () => Promise<void>,
    after: (deferred: Deferred[], shownTopFrame: string | undefined) => Promise<void>,
  ) {
    this.done = (async () => {
      // Never rejects: requests and runs wait for it. A load that fails is `load`'s to report; the breakpoints are
      // then set all the same (gdb answers them: unverified, with its reason).
      await load().catch(() => undefined);
      // Breakpoint requests from here on wait for the deferred ones to be set (see QemuReplaySession.whenSymbols).
      this.state = 'setting';
      const deferred = [...this.deferred.values()];
      this.deferred.clear();
      await after(deferred, this.shownTopFrame).catch(() => undefined);
      this.state = 'loaded';
    })();
  }

  /** Whether the symbols are still loading, or the deferred breakpoints being set. */
  get pending(): boolean {
    return this.state !== 'loaded';
  }

  /** Whether a breakpoint request can still be deferred (see defer). */
  get deferring(): boolean {
    return this.state === 'loading';
  }

  /** What a request must wait for before it is handled (`configured`: configurationDone has come). */
  gate(command: string, configured: boolean): Promise<void> | undefined {
    if (!this.pending || WITHOUT_SYMBOLS.has(command)) return undefined;
    if (BREAKPOINT_REQUESTS.has(command) && !configured) return undefined;
    return this.done;
  }

  /**
   * A breakpoint request of the configuration (`key`: which set it replaces, e.g. a source file's): answered with
   * unverified breakpoints now; `set` runs once the symbols are loaded. A later request with the same key replaces it.
   */
  defer(key: string, placeholders: DebugProtocol.Breakpoint[], set: () => Promise<DebugProtocol.Breakpoint[]>): DebugProtocol.Breakpoint[] {
    this.deferred.set(key, { placeholders, set });
    return placeholders;
  }

  /** A stack trace answered while the symbols load: its top frame is compared with the one after (see `after`). */
  stackShown(topFrame: string | undefined): void {
    if (this.state === 'loading') this.shownTopFrame = topFrame ?? '';
  }

  /** Why a breakpoint of the configuration is not verified yet. */
  get waitingMessage(): string {
    return `Loading the symbols of ${this.program}: gdb indexes them on the first launch (a few seconds); the breakpoint is set then.`;
  }
}

export type { Deferred as DeferredBreakpoints };
