/**
 * Notices a QEMU or gdb that stopped responding, so a session ends within seconds instead of waiting for
 * command timeouts (QMP 10 s, gdb 30 s) — or forever for a run that never stops.
 *
 * Progress-aware, so long legitimate work is never mistaken for a hang: QEMU is alive while QMP answers a ping,
 * or while it keeps using CPU (a long savevm/loadvm holds the QMP dispatcher but burns CPU; a seek over 1e9
 * instructions keeps QMP answering). It is hung when QMP has been silent for `silentMs` and its CPU time did not
 * move in that window (a deadlock, SIGSTOP), or when it has been stopped by a signal for `silentMs`.
 * A busy QEMU that never answers QMP is declared hung after `busyLimitMs`.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { QmpClient } from './qmp';

export interface ProcessSample {
  /** One-letter state from /proc/PID/stat (R, S, D, T, t, Z, ...). */
  state: string;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** Reads /proc/PID/stat; undefined when the process is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

export function describeState(state: string): string {
  if (state === 'T') return 'stopped by a signal (SIGSTOP or job control)';
  if (state === 't') return 'stopped by a debugger (ptrace)';
  if (state === 'D') return 'waiting for the disk';
  if (state === 'Z') return 'exited';
  return 'not answering';
}

export interface WatchdogOptions {
  intervalMs?: number;
  silentMs?: number;
  busyLimitMs?: number;
}

export interface WatchdogEvents {
  /** What is hung and why, in words for the user. */
  hung: [string];
}

export class Watchdog extends EventEmitter<WatchdogEvents> {
  private timer: NodeJS.Timeout | undefined;
  private pingSentAt: number | undefined;
  private cpuMark: { ticks: number; at: number } | undefined;
  private stoppedSince = new Map<number, number>();
  private fired = false;
  private readonly intervalMs: number;
  private readonly silentMs: number;
  private readonly busyLimitMs: number;

  constructor(
    private readonly qemu: { pid: number; qmp: QmpClient },
    private readonly others: Array<{ name: string; pid: number }>,
    options: WatchdogOptions = {},
  ) {
    super();
    this.intervalMs = options.intervalMs ?? 500;
    this.silentMs = options.silentMs ?? 2_500;
    this.busyLimitMs = options.busyLimitMs ?? 120_000;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private hung(why: string): void {
    if (this.fired) return;
    this.fired = true;
    this.stop();
    this.emit('hung', why);
  }

  private tick(): void {
    const now = Date.now();
    for (const p of [{ name: 'QEMU', pid: this.qemu.pid }, ...this.others]) {
      const s = sampleProcess(p.pid);
      if (!s) continue; // gone: the process's own exit handler reports it
      if (s.state === 'T' || s.state === 't') {
        const since = this.stoppedSince.get(p.pid) ?? now;
        this.stoppedSince.set(p.pid, since);
        if (now - since >= this.silentMs) return this.hung(`${p.name} (pid ${p.pid}) has been ${describeState(s.state)} for ${Math.round((now - since) / 1000)} s`);
      } else {
        this.stoppedSince.delete(p.pid);
      }
    }
    if (!this.qemu.qmp.isOpen) return;
    if (this.pingSentAt === undefined) {
      const sent = (this.pingSentAt = now);
      const done = () => { if (this.pingSentAt === sent) this.pingSentAt = undefined; };
      this.qemu.qmp.ping(this.busyLimitMs).then(done, done);
    }
    const waited = now - this.pingSentAt;
    const sample = sampleProcess(this.qemu.pid);
    if (!sample) return;
    if (!this.cpuMark || sample.cpuTicks !== this.cpuMark.ticks) this.cpuMark = { ticks: sample.cpuTicks, at: now };
    const idleFor = now - this.cpuMark.at;
    if (waited >= this.silentMs && idleFor >= this.silentMs) {
      return this.hung(`QEMU (pid ${this.qemu.pid}) stopped responding: no answer on QMP and no CPU use for ${Math.round(Math.min(waited, idleFor) / 1000)} s (${describeState(sample.state)})`);
    }
    if (waited >= this.busyLimitMs) {
      this.hung(`QEMU (pid ${this.qemu.pid}) has not answered QMP for ${Math.round(waited / 1000)} s although it is busy`);
    }
  }
}
