/**
 * A DebugClient that speaks qemu-replay's extension of the protocol with the types of common/protocol.ts: custom
 * requests answer with their typed body, events (standard and custom) are awaited with their typed body, and a wait
 * for an event is always armed before the request that causes it (the action is passed in, never awaited before).
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CustomEvents, CustomRequestArgs, CustomRequestName, CustomResponseBody } from '../../common/protocol';

/** Bodies of the events a qemu-replay session sends: the standard ones it uses, and ours. */
export interface EventBodies extends CustomEvents {
  initialized: undefined;
  stopped: DebugProtocol.StoppedEvent['body'];
  continued: DebugProtocol.ContinuedEvent['body'];
  exited: DebugProtocol.ExitedEvent['body'];
  terminated: DebugProtocol.TerminatedEvent['body'];
  output: DebugProtocol.OutputEvent['body'];
  breakpoint: DebugProtocol.BreakpointEvent['body'];
  invalidated: DebugProtocol.InvalidatedEvent['body'];
  memory: DebugProtocol.MemoryEvent['body'];
  thread: DebugProtocol.ThreadEvent['body'];
  capabilities: DebugProtocol.CapabilitiesEvent['body'];
}
export type EventName = keyof EventBodies;
export type StoppedBody = EventBodies['stopped'];

export interface EventWait<K extends EventName> {
  /** Only an event whose body passes resolves the wait (others are let by). */
  filter?: (body: EventBodies[K]) => boolean;
  /** Milliseconds; the client's defaultTimeout when unset. */
  timeout?: number;
}

/** Requests without arguments may leave them out (sent as no arguments, as DebugClient.customRequest does). */
type CustomArgs<K extends CustomRequestName> =
  string extends keyof CustomRequestArgs<K> ? [args?: CustomRequestArgs<K>] : [args: CustomRequestArgs<K>];

export class ReplayDebugClient extends DebugClient {
  /** A custom request; resolves with its typed body, rejects with the adapter's message when it fails. */
  async custom<K extends CustomRequestName>(name: K, ...args: CustomArgs<K>): Promise<CustomResponseBody<K>> {
    const r = await this.customRequest(name, args[0]);
    return r.body as CustomResponseBody<K>;
  }

  /**
   * Any request, and its response whether it succeeded or failed (DebugClient's helpers keep only the message of a
   * failure). The arguments are not checked against the protocol's types: bad-input tests send what they forbid.
   */
  response(command: string, args?: unknown): Promise<DebugProtocol.Response> {
    return new Promise((resolve) => (this as unknown as {
      doSend(c: string, a: unknown, clb: (r: DebugProtocol.Response) => void): void;
    }).doSend(command, args, resolve));
  }

  /** A request that must fail: resolves with the failed response, rejects if it succeeded. */
  async refusal(command: string, args?: unknown): Promise<DebugProtocol.Response> {
    const r = await this.response(command, args);
    if (r.success) throw new Error(`${command} succeeded but should have failed: ${JSON.stringify(r.body)}`);
    return r;
  }

  /**
   * The next `name` event from now on (armed at once, so call it before the request that causes the event). The wait
   * never leaves an unhandled rejection behind when a test fails before awaiting it.
   */
  expectEvent<K extends EventName>(name: K, wait: EventWait<K> = {}): Promise<EventBodies[K]> {
    return this.arm(name, wait).event;
  }

  /** Arms the wait for the next `name` event, then runs `action`, and resolves with the event's body. */
  async eventAfter<K extends EventName>(name: K, action: () => Promise<unknown>, wait: EventWait<K> = {}): Promise<EventBodies[K]> {
    const { event, cancel } = this.arm(name, wait);
    try {
      await action();
    } catch (err) {
      cancel(); // no wait left running (it would keep the test process alive until its timeout)
      throw err;
    }
    return await event;
  }

  private arm<K extends EventName>(name: K, wait: EventWait<K>): { event: Promise<EventBodies[K]>; cancel: () => void } {
    const timeout = wait.timeout ?? this.defaultTimeout;
    let cancel = () => undefined as void;
    const event = new Promise<EventBodies[K]>((resolve, reject) => {
      const onEvent = (e: DebugProtocol.Event) => {
        const body = e.body as EventBodies[K];
        if (wait.filter && !wait.filter(body)) return;
        cancel();
        resolve(body);
      };
      const timer = setTimeout(() => {
        cancel();
        reject(new Error(`no event '${name}' received after ${timeout} ms`));
      }, timeout);
      cancel = () => { this.off(name, onEvent); clearTimeout(timer); };
      this.on(name, onEvent);
    });
    event.catch(() => undefined); // a test that fails before awaiting it leaves no unhandled rejection
    return { event, cancel };
  }

  /** Runs `action` (a request that makes the guest move) and resolves with the stop it leads to (its text: icount). */
  stopAfter(action: () => Promise<unknown>, timeout?: number): Promise<StoppedBody> {
    return this.eventAfter('stopped', action, { timeout });
  }

  /** `seek`, and the stop it ends with. */
  seek(args: CustomRequestArgs<'seek'>): Promise<StoppedBody> {
    return this.stopAfter(() => this.custom('seek', args));
  }

  /** Continue, and the stop it ends with. */
  continueToStop(): Promise<StoppedBody> {
    return this.stopAfter(() => this.continueRequest({ threadId: 1 }));
  }

  /** Reverse continue, and the stop it ends with. */
  reverseContinueToStop(): Promise<StoppedBody> {
    return this.stopAfter(() => this.reverseContinueRequest({ threadId: 1 }));
  }

  /** The replay state (`replayInfo`). */
  info(): Promise<CustomResponseBody<'replayInfo'>> {
    return this.custom('replayInfo');
  }

  /** The adapter's process id. */
  get adapterPid(): number {
    return (this as unknown as { _adapterProcess: { pid: number } })._adapterProcess.pid;
  }
}
