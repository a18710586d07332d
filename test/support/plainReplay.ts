/**
 * "What a user has without us": QEMU replaying a recording with plain gdb-multiarch attached (and QMP for the
 * icount), no adapter in between. The oracle for source-level reverse steps and the benchmark's baseline.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Gdb } from '../../adapter/gdb/gdb';
import { MiTuple, miString, miTuple } from '../../adapter/gdb/miParser';
import { freeLocalPort, QemuProcess } from '../../adapter/qemu/process';
import type { RecordingManifest } from '../../adapter/qemu/recording';

export class PlainReplay {
  readonly qemu = new QemuProcess();
  readonly gdb = new Gdb(600_000);
  private waiters: Array<(r: MiTuple) => void> = [];

  static async start(recording: string, program: string): Promise<PlainReplay> {
    const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as RecordingManifest;
    const p = new PlainReplay();
    const port = await freeLocalPort();
    await p.qemu.start({
      qemuPath: m.qemu.path, machine: m.machine, cpu: m.cpu, memory: m.memory, kernel: path.join(recording, 'kernel'),
      icountShift: m.icountShift, rr: 'replay', replayFile: path.join(recording, 'replay.bin'),
      snapshotImage: path.join(recording, 'snapshots.qcow2'), gdbPort: port, archArgs: m.archArgs, userArgs: m.qemuArgs,
    });
    await p.qemu.qmp.call('replay-seek', { icount: 0 }); // never load a snapshot in prelaunch
    p.gdb.on('stopped', (r) => { const w = p.waiters; p.waiters = []; w.forEach((f) => f(r)); });
    await p.gdb.start('gdb-multiarch');
    await p.gdb.command(`-file-exec-and-symbols ${program}`);
    await p.gdb.command(`-target-select remote 127.0.0.1:${port}`);
    return p;
  }

  /** One gdb execution command, waiting for its stop. */
  async exec(command: string): Promise<MiTuple> {
    const stopped = new Promise<MiTuple>((r) => this.waiters.push(r));
    await this.gdb.command(command);
    return await stopped;
  }

  /** QMP seek, waiting until QEMU is there, with gdb's caches dropped (QMP moved the guest behind gdb's back). */
  async seek(icount: number): Promise<void> {
    await this.qemu.qmp.call('replay-delete-break', undefined);
    await this.qemu.qmp.call('replay-seek', { icount });
    // Polled until QEMU stands at the icount, within a bound generous for any machine (as the adapter's own wait).
    const deadline = Date.now() + 60_000 + icount / 5_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      const st = await this.qemu.qmp.call('query-status', undefined);
      if (!st.running && (await this.icount()) === icount) break;
      if (Date.now() > deadline) throw new Error(`plain replay: QEMU did not reach icount ${icount} in time (at ${await this.icount()}, ${st.running ? 'running' : 'stopped'})`);
    }
    await this.gdb.console('maintenance flush register-cache');
    await this.gdb.console('maintenance flush dcache');
  }

  async icount(): Promise<number> {
    return (await this.qemu.qmp.call('query-replay', undefined)).icount;
  }

  async where(): Promise<{ icount: number; line: number; func: string; pc: string }> {
    const f = miTuple((await this.gdb.command('-stack-info-frame')).frame);
    return { icount: await this.icount(), line: Number(miString(f?.line) ?? 0), func: miString(f?.func) ?? '', pc: miString(f?.addr) ?? '' };
  }

  async stop(): Promise<void> {
    await this.qemu.stop();
    await this.gdb.stop();
  }
}
