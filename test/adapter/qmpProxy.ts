/**
 * A launched QEMU whose QMP connection goes through a proxy the test owns, so a test can cut it (QEMU keeps
 * running) without reaching into QEMU (no ptrace, no debugger attached to QEMU).
 *
 * The adapter is launched with `qemuPath` set to `wrapper`, a script that execs the real QEMU (same pid, QEMU's own
 * argv otherwise): it moves QEMU's QMP socket to `qemu.sock` in the adapter's private socket directory and puts a
 * symlink to the proxy's socket where the adapter connects (`qmp.sock`). The adapter's code path is the one of every
 * launched session (QemuProcess.start, the QMP client, faults.ts); only the bytes travel through the proxy.
 */
import { rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from './support';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Link {
  adapter: net.Socket;
  qemu: net.Socket | undefined;
}

export class QmpProxy {
  readonly dir = tempDir('qr-qmp-proxy-');
  /** What the launch configuration's `qemuPath` is set to. */
  readonly wrapper = path.join(this.dir, 'qemu-wrapper');
  private readonly listenPath = path.join(this.dir, 'proxy.sock');
  /** A symlink (made by the wrapper) to QEMU's own QMP socket. */
  private readonly upstreamPath = path.join(this.dir, 'upstream.sock');
  private readonly links = new Set<Link>();
  private server: net.Server | undefined;

  private constructor() {}

  /** `realQemu`: the QEMU binary the wrapper execs. */
  static async start(realQemu: string): Promise<QmpProxy> {
    const p = new QmpProxy();
    writeFileSync(p.wrapper, [
      '#!/bin/bash',
      '# Written by test/adapter/qmpProxy.ts: QEMU with its QMP socket behind the test\'s proxy.',
      'args=("$@")',
      'for ((i = 0; i < ${#args[@]}; i++)); do',
      '  if [[ ${args[i]} == -qmp ]]; then',
      '    spec=${args[i+1]#unix:}',
      '    sock=${spec%%,*}                     # where the adapter connects: DIR/qmp.sock',
      '    own=$(dirname "$sock")/qemu.sock     # where QEMU listens now, in the same private directory',
      `    ln -s ${quote(p.listenPath)} "$sock" && ln -sfn "$own" ${quote(p.upstreamPath)} || exit 90`,
      '    args[i+1]="unix:$own,server=on,wait=off"',
      '  fi',
      'done',
      `exec ${quote(realQemu)} "\${args[@]}"`,
      '',
    ].join('\n'), { mode: 0o755 });
    p.server = net.createServer((adapter) => p.accept(adapter));
    await new Promise<void>((resolve, reject) => {
      p.server!.once('error', reject);
      p.server!.listen(p.listenPath, () => resolve());
    });
    return p;
  }

  /** Connections from the adapter that are still open (its start-up probe closes at once). */
  get open(): number {
    return [...this.links].filter((l) => !l.adapter.destroyed).length;
  }

  /** Closes every connection, both ways: the adapter sees QMP closed; QEMU sees its client go, and keeps running. */
  cut(): void {
    for (const l of this.links) {
      l.adapter.destroy();
      l.qemu?.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(adapter: net.Socket): void {
    const link: Link = { adapter, qemu: undefined };
    this.links.add(link);
    adapter.on('error', () => undefined);
    adapter.on('close', () => { link.qemu?.destroy(); this.links.delete(link); });
    // QEMU may not listen yet (the adapter polls for the socket, which is there as soon as the wrapper ran):
    // retry for as long as QEMU is given to open its QMP socket.
    const deadline = Date.now() + 10_000;
    const connect = (): void => {
      if (adapter.destroyed) return;
      const qemu = net.createConnection(this.upstreamPath);
      qemu.once('connect', () => {
        if (adapter.destroyed) { qemu.destroy(); return; }
        link.qemu = qemu;
        qemu.on('close', () => adapter.destroy());
        qemu.pipe(adapter);
        adapter.pipe(qemu);
      });
      qemu.on('error', (err: NodeJS.ErrnoException) => {
        qemu.destroy();
        if (link.qemu === qemu) return; // an error after the link was up: its 'close' ends the link
        if ((err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && Date.now() < deadline) setTimeout(connect, 10);
        else adapter.destroy();
      });
    };
    connect();
  }
}
