/**
 * Runs the guest through gdb and reports where it stopped. One operation at a time: an operation holds the
 * target until its stop has been classified (icount read back from QMP), so nothing else talks to gdb or QMP in
 * between. This is the only place that sends gdb execution commands.
 */
import { EventEmitter } from 'node:events';
import { errors } from '../errors';
import { within } from '../within';
import { Gdb } from '../gdb/gdb';
import { execInterrupt, execRun, toStopRecord, type MiFrame, type MiRunCommand, type MiStopRecord } from '../gdb/mi';
import type { QmpClient } from '../qemu/qmp';

export type StopReason =
  | 'entry' | 'step' | 'breakpoint' | 'watchpoint' | 'pause' | 'icount breakpoint' | 'end' | 'start' | 'seek'
  | 'signal' | 'exited';

export interface Stop {
  reason: StopReason;
  icount: number;
  /** gdb's breakpoint number when a breakpoint or watchpoint stopped it. */
  gdbBreakpoint?: string;
  frame?: MiFrame;
  /** Human text for the stop (shown in the UI). */
  text?: string;
  /** Why the stop is not where the user would expect it, said once in the Debug Console. */
  note?: string;
  /** A write watchpoint's stop: the value before and after the write, as gdb prints them. */
  watchValue?: { old?: string; new?: string };
  /** The interrupt of withTargetStopped: not a stop for the user (the run resumes after the change). */
  interruptedForChange?: boolean;
}

export type GdbRunCommand = MiRunCommand;

export interface ExecutionEvents {
  running: [];
}

export class Execution extends EventEmitter<ExecutionEvents> {
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;
  private pauseRequested = false;
  /** Set by withTargetStopped while its interrupt is on the way: told whether the run's stop was that interrupt. */
  private interruptForChange: ((ours: boolean) => void) | undefined;
  private runningNow = false;
  private waiters: Array<{ resolve(r: MiStopRecord): void; reject(e: Error): void }> = [];

  constructor(readonly gdb: Gdb, readonly qmp: QmpClient | undefined) {
    super();
    gdb.on('stopped', (r) => {
      const w = this.waiters;
      this.waiters = [];
      const record = toStopRecord(r);
      for (const f of w) f.resolve(record);
    });
    gdb.on('exit', () => {
      const w = this.waiters;
      this.waiters = [];
      this.runningNow = false;
      for (const f of w) f.reject(errors.gdbExitedWhileRunning());
    });
  }

  get running(): boolean {
    return this.runningNow;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  private queued = 0;

  /** Whether operations are queued behind the one running (background work gives way to them). */
  get othersWaiting(): boolean {
    return this.queued > 0;
  }

  /** Runs `op` with exclusive use of the target. */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.lock.then(async () => {
      this.queued--;
      this.busy = true;
      try {
        return await op();
      } finally {
        this.busy = false;
      }
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves true once no operation holds the target — the ones queued now have finished — or false after
   * `timeoutMs` if one still does.
   */
  async idle(timeoutMs: number): Promise<boolean> {
    if (!this.busy && this.queued === 0) return true;
    return await within(this.lock.then(() => true), timeoutMs, false);
  }

  /**
   * Resolves once the operation holding the target has started its gdb run (so an interrupt reaches it), or has
   * ended without one; false after `timeoutMs`. An operation may spend a while on QMP set-up before gdb runs.
   */
  async runStarted(timeoutMs: number): Promise<boolean> {
    if (this.runningNow || !this.busy) return true;
    let listener: (() => void) | undefined;
    const started = new Promise<boolean>((resolve) => this.once('running', (listener = () => resolve(true))));
    try {
      return await within(Promise.race([started, this.lock.then(() => true)]), timeoutMs, false);
    } finally {
      if (listener) this.off('running', listener);
    }
  }

  private qmpRun: Promise<void> | undefined;

  /**
   * QMP drives a run (a seek): gdb must not be spoken to until it is over, or QEMU stops the VM and drops the
   * packet. Requests that read state through gdb wait for `whenQuiet()`.
   */
  async duringQmpRun<T>(run: () => Promise<T>): Promise<T> {
    let done!: () => void;
    this.qmpRun = new Promise<void>((r) => (done = r));
    try {
      return await run();
    } finally {
      this.qmpRun = undefined;
      done();
    }
  }

  private pass: Promise<void> | undefined;

  /**
   * A pass over the recording that the user did not ask to see (hit history, a retroactive logpoint, a search for a
   * write): it moves the replay and comes back. Requests that read state or run the guest wait for it (`whenQuiet`,
   * `passInProgress`), as they wait for a seek; it is cancelled, not waited for, when the session ends.
   */
  async duringPass<T>(run: () => Promise<T>): Promise<T> {
    while (this.pass) await this.pass;
    if (this.userRequests === 0) this.yieldWanted = false; // what it gave way to is answered
    let done!: () => void;
    this.pass = new Promise<void>((r) => (done = r));
    try {
      return await run();
    } finally {
      this.pass = undefined;
      done();
    }
  }

  /** The pass in progress, if any (see duringPass). */
  get passInProgress(): Promise<void> | undefined {
    return this.pass;
  }

  // ---- the user's requests, to which a long pass gives way --------------------------------------------------

  private userRequests = 0;
  private lastUserRequest = 0;
  private yieldWanted = false;
  private userQuietWaiters: Array<() => void> = [];

  /**
   * A request of the user's is being answered (the session counts every request but the passes themselves). A pass
   * that can give way (hit history, a logpoint's earlier hits) then stops at its next hit, or now if it runs, and
   * comes back to the position, so the request is answered at once; it goes on once the user is quiet (userQuiet).
   */
  userRequestStarted(): void {
    this.userRequests++;
    this.lastUserRequest = Date.now();
    if (this.pass && !this.yieldWanted) {
      this.yieldWanted = true;
      if (this.runningNow) void this.pause().catch(() => undefined);
    }
  }

  userRequestEnded(): void {
    this.userRequests = Math.max(0, this.userRequests - 1);
    this.lastUserRequest = Date.now();
    if (this.userRequests === 0) {
      const w = this.userQuietWaiters;
      this.userQuietWaiters = [];
      for (const f of w) f();
    }
  }

  /** Whether a pass should give way now (a user's request waits for it). */
  get userWaiting(): boolean {
    return this.yieldWanted;
  }

  /** Resolves once no request of the user's is in flight and none has come for `graceMs` (VS Code's come in bursts). */
  async userQuiet(graceMs: number): Promise<void> {
    for (;;) {
      if (this.userRequests > 0) await new Promise<void>((r) => this.userQuietWaiters.push(r));
      const left = this.lastUserRequest + graceMs - Date.now();
      if (left <= 0 && this.userRequests === 0) break;
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
    this.yieldWanted = false;
  }

  async whenQuiet(): Promise<void> {
    while (this.qmpRun || this.pass) await (this.qmpRun ?? this.pass);
  }

  /** Fails fast for requests that need a stopped target. */
  assertStopped(what: string): void {
    if (this.runningNow) throw errors.guestRunning(what);
  }

  async icount(): Promise<number> {
    if (!this.qmp) return 0;
    const r = await this.qmp.call('query-replay', undefined);
    return r.icount;
  }

  /**
   * Sends one gdb execution command and waits for the stop. The caller arms anything QMP-side before.
   * Returns gdb's `*stopped` record.
   */
  async gdbRun(command: GdbRunCommand, reverse: boolean): Promise<MiStopRecord> {
    let waiter!: { resolve(r: MiStopRecord): void; reject(e: Error): void };
    const stopped = new Promise<MiStopRecord>((resolve, reject) => this.waiters.push((waiter = { resolve, reject })));
    this.pauseRequested = false;
    this.runningNow = true;
    this.emit('running');
    try {
      await execRun(this.gdb, command, reverse);
    } catch (err) {
      this.runningNow = false;
      this.waiters = this.waiters.filter((w) => w !== waiter);
      stopped.catch(() => undefined);
      throw err;
    }
    try {
      return await stopped;
    } finally {
      this.runningNow = false;
    }
  }

  /** Whether a pause was asked for during the run now ending (read before classify, which clears it). */
  get pausing(): boolean {
    return this.pauseRequested;
  }

  /** Interrupts a run (DAP pause). Safe to call when not running. */
  async pause(): Promise<void> {
    if (!this.runningNow) return;
    this.pauseRequested = true;
    await execInterrupt(this.gdb);
  }

  /**
   * Runs `change` with the target stopped. A run in progress is interrupted first; its stop is marked
   * `interruptedForChange` (no stop for the user) and `resume` is called once `change` is done — unless the run
   * stopped by itself meanwhile (a breakpoint, the end of the recording), whose stop is reported as usual.
   * `timeoutMs` bounds the wait for the interrupted run to let go of the target.
   */
  async withTargetStopped<T>(change: () => Promise<T>, resume: () => void, timeoutMs = 10_000): Promise<T> {
    if (!this.runningNow) return await change();
    const interrupted = new Promise<boolean>((resolve) => { this.interruptForChange = resolve; });
    let ours = false;
    try {
      await this.pause();
      ours = await within(interrupted, timeoutMs, false);
      await this.idle(timeoutMs);
    } finally {
      this.interruptForChange = undefined;
    }
    const result = await change();
    if (ours) resume();
    return result;
  }

  /** Turns a gdb `*stopped` record into a stop of ours. */
  classify(record: MiStopRecord, icount: number, expected: { icountTarget?: number; guard?: number; step?: boolean }): Stop {
    const stop = this.classifyRecord(record, icount, expected);
    if (this.interruptForChange) {
      const ours = stop.reason === 'pause';
      this.interruptForChange(ours);
      this.interruptForChange = undefined;
      if (ours) return { ...stop, interruptedForChange: true };
    }
    return stop;
  }

  private classifyRecord(record: MiStopRecord, icount: number, expected: { icountTarget?: number; guard?: number; step?: boolean }): Stop {
    // A stop can have several reasons (`reason="end-stepping-range",reason="breakpoint-hit"`: a step, or a reverse
    // finish, that ends on a breakpoint): the breakpoint or watchpoint is the one to report.
    const reason = record.reasons.find((r) => r === 'breakpoint-hit' || r.endsWith('watchpoint-trigger')) ?? record.reasons[0];
    const base = { icount, frame: record.frame };
    switch (reason) {
      case 'breakpoint-hit':
        return { ...base, reason: 'breakpoint', gdbBreakpoint: record.breakpoint };
      case 'watchpoint-trigger':
      case 'read-watchpoint-trigger':
      case 'access-watchpoint-trigger':
        return { ...base, reason: 'watchpoint', gdbBreakpoint: record.watchpoint, ...(record.watchValue ? { watchValue: record.watchValue } : {}) };
      case 'end-stepping-range':
      case 'function-finished':
        return { ...base, reason: 'step' };
      case 'exited-normally':
      case 'exited':
      case 'exited-signalled':
        return { ...base, reason: 'exited', text: 'The guest exited.' };
      case 'no-history':
        return { ...base, reason: 'start', text: 'Reached the start of the recording.' };
    }
    // Signals: QMP-caused stops (replay-break) and our own interrupts arrive as SIGINT/SIGTRAP.
    if (this.pauseRequested) {
      this.pauseRequested = false;
      return { ...base, reason: 'pause' };
    }
    if (expected.guard !== undefined && icount >= expected.guard) {
      return { ...base, reason: 'end', text: `End of the recording (icount ${icount}).` };
    }
    if (expected.icountTarget !== undefined && icount === expected.icountTarget) return { ...base, reason: 'icount breakpoint' };
    if (icount === 0) return { ...base, reason: 'start', text: 'Reached the start of the recording.' };
    if (expected.step) return { ...base, reason: 'step' };
    return { ...base, reason: 'signal', text: `Stopped: ${record.signalName ?? 'signal'}` };
  }
}
