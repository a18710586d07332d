/**
 * Work for when the user is reading the screen: placing a snapshot near the position (see ReplayEngine), so the
 * next reverse step replays from close by.
 */
import type { Execution } from '../engine/execution';
import type { ReplayEngine } from '../engine/replayEngine';
import { errorMessage } from '../errors';

/**
 * How long the user must be idle after a stop before background snapshot work starts: long enough for the views'
 * requests that follow a stop (threads, stack, scopes, variables: all within ~50 ms), short enough that the
 * snapshot near the position is there before a person's next step (~0.5 s later at the quickest).
 */
const IDLE_MS = 100;

export class IdleWork {
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private closed = false;

  /** `need`: the launched session's parts, asked for only when the work starts. */
  constructor(
    private readonly need: () => { engine: ReplayEngine; exec: Execution },
    private readonly log: (text: string) => void,
  ) {}

  /** After a stop in a replay: the work is due once the user has been idle for a moment. */
  due(): void {
    this.pending = true;
    this.arm();
  }

  /** Any request postpones the work: views refresh right after a stop, and the user comes first. */
  postpone(): void {
    if (this.timer) this.arm();
  }

  /** The session is ending: nothing more. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.pending = false;
    this.closed = true;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const { engine, exec } = this.need();
      if (exec.running || exec.isBusy) return;
      this.pending = false;
      engine.placeSnapshotNearPosition().catch((err: unknown) => this.log(`Could not place a snapshot near the position: ${errorMessage(err)}\n`));
    }, IDLE_MS);
  }
}
