/**
 * A QMP client: greeting, capabilities negotiation, commands with ids and timeouts, events, typed errors.
 * QEMU answers commands in order; ids make that explicit and let a late reply after a timeout be dropped.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { QmpArgs, QmpCallOptions, QmpCommandName, QmpReply } from './qmpCommands';

/** An error QEMU returned for a command (`{"error": {"class", "desc"}}`). */
export class QmpCommandError extends Error {
  constructor(readonly command: string, readonly errorClass: string, readonly desc: string) {
    super(desc);
    this.name = 'QmpCommandError';
  }
}

/** The connection broke, timed out or carried something that is not QMP. */
export class QmpConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QmpConnectionError';
  }
}

export class QmpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpProtocolError';
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export type QmpMessage =
  | { kind: 'greeting'; version: unknown }
  | { kind: 'return'; id?: unknown; value: unknown }
  | { kind: 'error'; id?: unknown; errorClass: string; desc: string }
  | { kind: 'event'; event: QmpEvent };

/** Longest line accepted from QEMU; anything longer is a protocol error rather than unbounded buffering. */
export const MAX_QMP_LINE = 16 * 1024 * 1024;

/**
 * Deepest nesting of arrays/objects accepted in a message. QEMU's own JSON parser stops at 1024; deeper input would
 * make every recursive consumer (JSON.stringify for the trace, deepEqual…) overflow the stack.
 */
export const MAX_QMP_NESTING = 1024;

/**
 * Splits a QMP byte stream into messages. Throws only QmpProtocolError. Linear in the input: a partial line is kept
 * as pieces and only the new chunk is searched for a newline, so a long line arriving in many chunks stays cheap.
 */
export class QmpStreamParser {
  private pieces: string[] = [];
  private buffered = 0;
  private rescan = false;

  push(chunk: string): QmpMessage[] {
    if (this.rescan) {
      // what followed a bad line may hold whole lines: search it again
      chunk = this.pieces.join('') + chunk;
      this.pieces = [];
      this.buffered = 0;
      this.rescan = false;
    }
    const out: QmpMessage[] = [];
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      const tail = chunk.slice(start, nl);
      const length = this.buffered + tail.length;
      const pieces = this.pieces;
      this.pieces = [];
      this.buffered = 0;
      start = nl + 1;
      if (length > MAX_QMP_LINE) throw this.keepRest(chunk, start, new QmpProtocolError(`QMP line longer than ${MAX_QMP_LINE} bytes`));
      const line = (pieces.length ? pieces.join('') + tail : tail).trim();
      if (!line) continue;
      try {
        out.push(parseQmpMessage(line));
      } catch (err) {
        throw this.keepRest(chunk, start, err);
      }
    }
    const rest = chunk.slice(start);
    if (this.buffered + rest.length > MAX_QMP_LINE) {
      this.pieces = [];
      this.buffered = 0;
      throw new QmpProtocolError(`QMP line longer than ${MAX_QMP_LINE} bytes`);
    }
    if (rest) {
      this.pieces.push(rest);
      this.buffered += rest.length;
    }
    return out;
  }

  /** After a bad line the rest of the chunk stays buffered, as if the bad line had been the end of a push. */
  private keepRest(chunk: string, start: number, err: unknown): unknown {
    const rest = chunk.slice(start);
    if (rest) {
      this.pieces = [rest];
      this.buffered = rest.length;
      this.rescan = true;
    }
    return err;
  }
}

export function parseQmpMessage(line: string): QmpMessage {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    throw new QmpProtocolError(`QMP sent something that is not JSON: ${line.slice(0, 200)}`);
  }
  if (!isObject(obj)) throw new QmpProtocolError(`QMP sent a non-object: ${line.slice(0, 200)}`);
  if (nestingDepth(line) > MAX_QMP_NESTING) {
    throw new QmpProtocolError(`QMP sent a message nested deeper than ${MAX_QMP_NESTING} levels: ${line.slice(0, 200)}`);
  }
  if ('QMP' in obj) return { kind: 'greeting', version: isObject(obj.QMP) ? obj.QMP.version : undefined };
  if ('return' in obj) return { kind: 'return', id: obj.id, value: obj.return };
  if ('error' in obj) {
    const e = obj.error;
    if (!isObject(e) || typeof e.desc !== 'string') throw new QmpProtocolError(`malformed QMP error: ${line.slice(0, 200)}`);
    return { kind: 'error', id: obj.id, errorClass: typeof e.class === 'string' ? e.class : 'GenericError', desc: e.desc };
  }
  if (typeof obj.event === 'string') {
    return {
      kind: 'event',
      event: { event: obj.event, data: isObject(obj.data) ? obj.data : undefined, timestamp: obj.timestamp as QmpEvent['timestamp'] },
    };
  }
  throw new QmpProtocolError(`unknown QMP message: ${line.slice(0, 200)}`);
}

/** The deepest array/object nesting of valid JSON text (brackets inside strings do not count). */
function nestingDepth(json: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type QmpAddress = { path: string } | { host: string; port: number };

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  stack: string | undefined;
  /** Not traced (the watchdog's liveness pings). */
  quiet?: boolean;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [Error | undefined];
  trace: [string, string];
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  private socket: net.Socket | undefined;
  private readonly parser = new QmpStreamParser();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private closeError: Error | undefined;

  constructor(private readonly defaultTimeoutMs = 10_000) {
    super();
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  async connect(address: QmpAddress, timeoutMs = 5_000): Promise<void> {
    const socket = 'path' in address ? net.createConnection(address.path) : net.createConnection(address.port, address.host);
    this.socket = socket;
    socket.setEncoding('utf8');
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new QmpConnectionError('QEMU did not send the QMP greeting in time');
        reject(err);
        this.fail(err); // nothing else would close the socket
      }, timeoutMs);
      let greeted = false;
      socket.on('data', (chunk: string) => {
        let messages: QmpMessage[];
        try {
          messages = this.parser.push(chunk);
        } catch (err) {
          this.fail(err as Error);
          return;
        }
        for (const m of messages) {
          if (m.kind === 'greeting' && !greeted) {
            greeted = true;
            clearTimeout(timer);
            resolve();
          } else this.dispatch(m);
        }
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(new QmpConnectionError(`cannot connect to QMP: ${err.message}`, { cause: err }));
        this.fail(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new QmpConnectionError('QMP connection closed before the greeting'));
        this.fail(undefined);
      });
    });
    await greeting;
    await this.call('qmp_capabilities', undefined);
  }

  get isOpen(): boolean {
    return !!this.socket && !this.closed;
  }

  /** Sends one of the commands of qmpCommands.ts and resolves with its typed reply. */
  call<K extends QmpCommandName>(command: K, args: QmpArgs<K>, options: QmpCallOptions = {}): Promise<QmpReply<K>> {
    return this.send<QmpReply<K>>(command, args, options.timeoutMs, options.quiet);
  }

  /** Any command with any arguments, the reply as QEMU sent it: only for what the user typed (the `qmp` console command). */
  executeUntyped(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    return this.send(command, args, timeoutMs);
  }

  private send<T>(command: string, args: Record<string, unknown> | undefined, timeoutMs = this.defaultTimeoutMs, quiet = false): Promise<T> {
    const stack = new Error().stack; // the caller's stack, for errors that surface later
    return new Promise<T>((resolve, reject) => {
      if (!this.socket || this.closed) {
        reject(new QmpConnectionError(`QMP is not connected${this.closeError ? `: ${this.closeError.message}` : ''}`));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpConnectionError(`QEMU did not answer ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve, reject, timer, stack, quiet });
      const line = JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id });
      if (!quiet) this.emit('trace', '->', line);
      this.socket.write(line + '\n');
    });
  }

  /** A liveness check for the watchdog: `query-status`, not traced (it is sent every half second). */
  async ping(timeoutMs: number): Promise<void> {
    await this.call('query-status', undefined, { timeoutMs, quiet: true });
  }

  /** HMP through QMP (`human-monitor-command`); returns the monitor's text. */
  async hmp(commandLine: string, timeoutMs?: number): Promise<string> {
    return await this.call('human-monitor-command', { 'command-line': commandLine }, { timeoutMs });
  }

  close(): void {
    this.socket?.destroy();
    this.fail(undefined);
  }

  private dispatch(m: QmpMessage): void {
    const id = m.kind === 'return' || m.kind === 'error' ? (typeof m.id === 'number' ? m.id : undefined) : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p?.quiet) this.emit('trace', '<-', JSON.stringify(m));
    if (m.kind === 'event') {
      this.emit('event', m.event);
      return;
    }
    if (m.kind === 'greeting') return;
    if (!p || id === undefined) return; // a reply to a command that timed out
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (m.kind === 'return') p.resolve(m.value);
    else {
      const err = new QmpCommandError(p.command, m.errorClass, m.desc);
      if (p.stack) err.stack = `${err.name}: ${err.message}\n${p.stack.split('\n').slice(1).join('\n')}`;
      p.reject(err);
    }
  }

  private fail(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new QmpConnectionError(`QMP connection lost while waiting for ${p.command}${err ? `: ${err.message}` : ''}`));
    }
    this.pending.clear();
    this.socket?.destroy();
    this.emit('close', err);
  }
}
