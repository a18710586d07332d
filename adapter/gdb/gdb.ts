/**
 * A gdb/MI client: spawns gdb without a shell, sends one command at a time (a queue: requests that arrive
 * back to back never interleave), matches results by token, and emits async records (`*stopped`, `*running`,
 * `=...`) and console output as events.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import * as readline from 'node:readline';
import { createSocketDir } from '../qemu/socketdir';
import { MiParseError, MiRecord, MiTuple, parseMiLine } from './miParser';

/** gdb answered `^error`. */
export class GdbError extends Error {
  constructor(readonly command: string, message: string, readonly code?: string) {
    super(message);
    this.name = 'GdbError';
  }
}

/** gdb is gone or never started. */
export class GdbExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GdbExitedError';
  }
}

export class GdbTimeoutError extends Error {
  constructor(readonly command: string, timeoutMs: number) {
    super(`gdb did not answer ${command.split(' ')[0]} within ${timeoutMs} ms`);
    this.name = 'GdbTimeoutError';
  }
}

export interface GdbEvents {
  stopped: [MiTuple];
  running: [MiTuple];
  notify: [string, MiTuple];
  console: [string];
  /** stderr or `&` log output from gdb itself. */
  log: [string];
  exit: [number | null, NodeJS.Signals | null];
  trace: [string, string];
}

interface Pending {
  command: string;
  resolve(r: MiTuple): void;
  reject(e: Error): void;
  console: string[];
  stack?: string;
}

/** Quotes one argument of an MI command (C string rules), so user text can never become another argument. */
export function miQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else out += ch;
  }
  return out + '"';
}

export class Gdb extends EventEmitter<GdbEvents> {
  private proc: ChildProcess | undefined;
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private exited: string | undefined;
  private readonly stderr: string[] = [];
  /** gdb's working folder when the caller gave none (removed when gdb exits). */
  private ownDir: string | undefined;
  private internalErrorText: string | undefined;

  constructor(private readonly defaultTimeoutMs = 30_000) {
    super();
  }

  /**
   * Starts gdb; resolves once it answered a first command (so a missing or broken binary fails here). `cwd`: gdb's
   * working folder, one private to the session; without it gdb gets its own (mode 0700), removed when gdb exits.
   * Never the user's folder: what gdb writes into its working folder (a core file) must not be left there.
   */
  async start(gdbPath: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
    let cwd = options.cwd;
    if (cwd === undefined) {
      cwd = this.ownDir = await createSocketDir();
    }
    const proc = spawn(gdbPath, ['--interpreter=mi3', '-nx', '-q'], {
      cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    this.proc = proc;
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (err) => { reject(err); this.removeOwnDir(); });
    });
    proc.on('exit', (code, signal) => {
      this.removeOwnDir();
      this.exited = this.internalErrorText ? `gdb hit an internal error (${this.internalErrorText}) and exited`
        : signal ? `gdb was killed by ${signal}` : `gdb exited with code ${code}`;
      const tail = this.stderr.join('').trim().split('\n').slice(-5).join('\n');
      for (const p of this.pending.values()) p.reject(new GdbExitedError(`${this.exited}${tail ? `: ${tail}` : ''}`));
      this.pending.clear();
      this.emit('exit', code, signal);
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      this.stderr.push(d);
      if (this.stderr.length > 50) this.stderr.shift();
      this.emit('log', d);
    });
    proc.stdin.on('error', () => { /* reported through 'exit' */ });
    readline.createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    await spawned;
    await this.command('-gdb-set mi-async on');
    await this.command('-gdb-set pagination off');
    await this.command('-gdb-set confirm off');
    await this.command('-gdb-set print pretty off');
    // On an internal error gdb raises its own core limit and dumps a core (~33 MB for a kernel's symbols) into its
    // working folder, the user's workspace. It ends instead; the session reports gdb's exit and its last words.
    for (const what of ['internal-error', 'internal-warning']) {
      await this.console(`maint set ${what} corefile no`).catch(() => undefined);
      await this.console(`maint set ${what} quit yes`).catch(() => undefined);
    }
  }

  private removeOwnDir(): void {
    if (this.ownDir) void rm(this.ownDir, { recursive: true, force: true });
    this.ownDir = undefined;
  }

  /** gdb's own message when it hit an internal error (a bug in gdb: it then quits), e.g. `gdb/maint.c:79: internal-error: …`. */
  get internalError(): string | undefined {
    return this.internalErrorText;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get isRunning(): boolean {
    return !!this.proc && this.exited === undefined;
  }

  /** Sends one MI command after the ones before it have been answered. */
  command(command: string, timeoutMs = this.defaultTimeoutMs): Promise<MiTuple> {
    const stack = new Error().stack;
    const run = this.queue.then(() => this.send(command, timeoutMs, stack));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A console (CLI) command through MI; resolves with what gdb printed. */
  async console(cli: string, timeoutMs?: number): Promise<string> {
    const r = await this.command(`-interpreter-exec console ${miQuote(cli)}`, timeoutMs);
    return String((r as { __console?: string }).__console ?? '');
  }

  private send(command: string, timeoutMs: number, stack?: string): Promise<MiTuple> {
    return new Promise<MiTuple>((resolve, reject) => {
      if (!this.proc || this.exited !== undefined) {
        reject(new GdbExitedError(this.exited ?? 'gdb is not running'));
        return;
      }
      if (/[\r\n]/.test(command)) {
        // One MI command is one line: a line break would make the rest a second command (e.g. `-gdb-exit`).
        // User text is quoted with miQuote; this catches any value that was interpolated unquoted.
        reject(new GdbError(command, 'gdb commands cannot contain line breaks'));
        return;
      }
      const token = this.nextToken++;
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new GdbTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(token, {
        command,
        console: [],
        stack,
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.emit('trace', '->', `${token}${command}`);
      this.proc.stdin!.write(`${token}${command}\n`);
    });
  }

  private currentConsole(): string[] | undefined {
    const first = this.pending.values().next();
    return first.done ? undefined : first.value.console;
  }

  /** One gdb/MI output line: a result, an async record or stream output (64 lines: one dispatch on the record kind). */
  private onLine(line: string): void {
    if (!line) return;
    this.emit('trace', '<-', line);
    let record: MiRecord;
    try {
      record = parseMiLine(line);
    } catch (err) {
      if (err instanceof MiParseError) {
        this.emit('log', `unparsed gdb output: ${line}\n`); // e.g. output of the inferior or a stray message
        // A result record gdb did not escape properly (e.g. -complete echoing quotes): fail that command now rather
        // than leave it, and every command queued behind it, waiting for the timeout.
        const token = /^(\d+)\^(done|error)/.exec(line)?.[1];
        const p = token === undefined ? undefined : this.pending.get(Number(token));
        if (p) {
          this.pending.delete(Number(token));
          p.reject(new GdbError(p.command, 'gdb answered with a reply that cannot be read'));
        }
        return;
      }
      throw err;
    }
    switch (record.kind) {
      case 'prompt':
        return;
      case 'console':
      case 'target': {
        const sink = this.currentConsole();
        if (sink) sink.push(record.text);
        else this.emit('console', record.text);
        return;
      }
      case 'log':
        // gdb reports its own bugs on the log stream, then quits (maint set internal-error quit yes): keep its words.
        if (/internal-(error|warning): /.test(record.text) && !this.internalErrorText) {
          this.internalErrorText = record.text.split('\n')[0].trim();
        }
        this.currentConsole()?.push(record.text);
        this.emit('log', record.text);
        return;
      case 'exec':
        if (record.asyncClass === 'stopped') this.emit('stopped', record.results);
        else if (record.asyncClass === 'running') this.emit('running', record.results);
        return;
      case 'status':
        return;
      case 'notify':
        this.emit('notify', record.asyncClass, record.results);
        return;
      case 'result': {
        const p = record.token === undefined ? undefined : this.pending.get(record.token);
        if (!p || record.token === undefined) return;
        this.pending.delete(record.token);
        if (record.resultClass === 'error') {
          const msg = typeof record.results.msg === 'string' ? record.results.msg : 'gdb reported an error';
          const err = new GdbError(p.command, msg, typeof record.results.code === 'string' ? record.results.code : undefined);
          if (p.stack) err.stack = `${err.name}: ${err.message}\n${p.stack.split('\n').slice(1).join('\n')}`;
          p.reject(err);
        } else {
          Object.defineProperty(record.results, '__console', { value: p.console.join(''), enumerable: false });
          p.resolve(record.results);
        }
      }
    }
  }

  /** Asks gdb to exit and waits; kills it if it does not. */
  async stop(timeoutMs = 2_000): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exited !== undefined) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      proc.stdin!.write('-gdb-exit\n');
    } catch {
      /* already closing */
    }
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}
