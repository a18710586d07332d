/**
 * Debug Console commands beyond expressions: `-exec <gdb command>`, `qmp <command or JSON>`, `hmp <text>`.
 * Results are printed readably; QEMU's and gdb's own errors are passed on as the user's error.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { errors } from '../errors';
import type { Gdb } from '../gdb/gdb';
import { complete } from '../gdb/mi-data';
import { writesToGuest } from './inspect';
import { QmpClient, QmpCommandError } from '../qemu/qmp';

/** QMP commands that move the replay or change the machine: they go through the engine, not the console. */
const QMP_DRIVING = new Set(['replay-seek', 'replay-break', 'replay-delete-break', 'cont', 'stop', 'system_reset', 'loadvm', 'quit', 'snapshot-load']);

/** gdb commands that run, move or end the guest: the engine must drive those (end-of-log guard, views). */
const GDB_DRIVING = /^(c|cont|continue|n|next|s|step|si|stepi|ni|nexti|fin|finish|u|until|adv|advance|j|jump|r|run|start|starti|rc|rn|rs|rsi|rni|reverse-\S+|kill|k|detach|disconnect|target|quit|q|signal|queue-signal|call|record|checkpoint|restart)$/;

/** HMP commands that move or stop the guest: refused, whichever way they are sent. */
const HMP_DRIVING = new Set(['loadvm', 'replay_seek', 'replay_break', 'replay_delete_break', 'cont', 'c', 'stop', 's', 'quit', 'q', 'system_reset', 'snapshot_load']);

function refuseDrivingHmp(commandLine: string): void {
  const verb = commandLine.trim().split(/\s+/)[0];
  if (HMP_DRIVING.has(verb)) {
    throw errors.hmpDrivesGuest(verb);
  }
}

/** The first line of HMP output when QEMU refused the command (unknown command, bad argument, failure). */
const HMP_ERROR = /^(unknown command|Error:|Parameter '|Invalid parameter|invalid |Could not |Unknown |unexpected |Try "help)/i;

export interface ConsoleResult {
  text: string;
  invalidate?: boolean;
}

export class ConsoleCommands {
  /** Record and replay sessions: gdb commands that would write to the guest are refused. */
  readOnly = false;

  constructor(private readonly gdb: Gdb, private readonly qmp: QmpClient | undefined) {}

  /** Returns undefined when the text is an ordinary expression. */
  async run(text: string, state: { running: boolean; replaying: boolean }): Promise<ConsoleResult | undefined> {
    const trimmed = text.trim();
    const m = /^(-exec|qmp|hmp)(?:\s+([\s\S]*))?$/.exec(trimmed);
    if (!m) return undefined;
    const rest = (m[2] ?? '').trim();
    if (m[1] === '-exec') {
      if (!rest) throw errors.execUsage();
      if (state.running) throw errors.execWhileRunning();
      const verb = rest.split(/\s+/)[0];
      if (GDB_DRIVING.test(verb)) {
        throw errors.execDrivesGuest(verb);
      }
      const write = this.readOnly ? writesToGuest(rest) : undefined;
      if (write) throw errors.execWritesReadOnly(rest, write);
      const out = await this.gdb.console(rest).catch((err: unknown) => { throw errors.execFailed(err); });
      return { text: out.trimEnd(), invalidate: true };
    }
    if (!this.qmp) throw errors.noQmp();
    if (m[1] === 'hmp') {
      if (!rest) throw errors.hmpUsage();
      refuseDrivingHmp(rest);
      const out = (await this.qmp.hmp(rest)).trimEnd();
      // HMP has no error replies: QEMU prints its complaint as the command's output.
      if (HMP_ERROR.test(out)) throw errors.hmpRejected(rest, out);
      return { text: out || '(no output)' };
    }
    // qmp: a command name with optional JSON arguments, or a whole JSON object {"execute": ..., "arguments": ...}
    let command: string;
    let args: Record<string, unknown> | undefined;
    try {
      if (rest.startsWith('{')) {
        const obj = JSON.parse(rest) as { execute?: unknown; arguments?: unknown };
        if (typeof obj.execute !== 'string') throw new Error('"execute" is missing');
        command = obj.execute;
        args = obj.arguments as Record<string, unknown> | undefined;
      } else {
        const sp = rest.search(/\s/);
        command = sp < 0 ? rest : rest.slice(0, sp);
        const json = sp < 0 ? '' : rest.slice(sp).trim();
        args = json ? JSON.parse(json) as Record<string, unknown> : undefined;
      }
    } catch (err) {
      throw errors.qmpUnparsable(err);
    }
    if (!command) throw errors.qmpUsage();
    if (QMP_DRIVING.has(command)) {
      throw errors.qmpDrivesGuest(command);
    }
    const hmpLine = args?.['command-line'];
    if (command === 'human-monitor-command' && typeof hmpLine === 'string') refuseDrivingHmp(hmpLine);
    try {
      const value = await this.qmp.executeUntyped(command, args);
      return { text: JSON.stringify(value, null, 2) };
    } catch (err) {
      if (err instanceof QmpCommandError) throw errors.qmpRejected(command, err.desc, err.errorClass);
      throw err;
    }
  }

  async complete(text: string, column: number): Promise<DebugProtocol.CompletionItem[]> {
    const prefix = text.slice(0, Math.max(0, column - 1));
    if (/^qmp\s+\S*$/.test(prefix) && this.qmp) {
      const word = prefix.replace(/^qmp\s+/, '');
      const cmds = await this.qmp.call('query-commands', undefined);
      return cmds.map((c) => c.name).filter((n) => n.startsWith(word)).sort().map((n) => ({ label: n, start: prefix.length - word.length, length: word.length }));
    }
    const gdbText = prefix.startsWith('-exec ') ? prefix.slice(6) : `print ${prefix}`;
    const matches = await complete(this.gdb, gdbText).catch(() => []);
    const word = /[\w$.]*$/.exec(prefix)?.[0] ?? '';
    return matches.filter(Boolean).map((full) => {
      const label = /[\w$.]*$/.exec(full)?.[0] ?? full;
      return { label, start: prefix.length - word.length, length: word.length };
    });
  }
}
