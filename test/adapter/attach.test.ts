/**
 * Attach to a QEMU the user started (its own command line, not the adapter's): the adapter finds out with
 * query-replay whether it replays, records or neither, offers what that mode allows, and on disconnect leaves
 * QEMU alive — resumed, or paused with suspendDebuggee.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { freeLocalPort } from '../../adapter/qemu/process';
import { QmpClient } from '../../adapter/qemu/qmp';
import {
  ARCHES, Arch, cleanup, failure, GUEST_SOURCE, guestElf, guestModel, icount, recording as sharedRecording, ReplayDebugClient,
  scopeVariables, startClient, StoppedBody, tagLine, tempDir, topFrame,
} from './support';

const QEMU: Record<Arch, string[]> = {
  aarch64: ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a53'],
  riscv64: ['qemu-system-riscv64', '-M', 'virt', '-bios', 'none'],
  x86_64: ['qemu-system-x86_64', '-M', 'pc'],
};

interface UserQemu { proc: ChildProcess; qmp: string; gdbServer: string; dir: string }

/** Starts QEMU the way a user would, paused (-S), with QMP on a unix socket and a gdb server. */
async function startUserQemu(arch: Arch, kernel: string, extra: string[]): Promise<UserQemu> {
  const dir = tempDir('qr-user-');
  const qmp = path.join(dir, 'qmp.sock');
  const port = await freeLocalPort();
  const [bin, ...machine] = QEMU[arch];
  const proc = spawn(bin, [...machine, '-m', '128M', '-display', 'none', '-net', 'none', '-monitor', 'none', '-kernel', kernel,
    '-qmp', `unix:${qmp},server=on,wait=off`, '-gdb', `tcp:127.0.0.1:${port}`, '-S', '-no-reboot', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const q = { proc, qmp, gdbServer: `127.0.0.1:${port}`, dir };
  // Ready once QMP greets: QEMU sends the greeting from its main loop, after its start-up (gdb server included).
  // The socket file alone appears before QEMU listens on it. QEMU serves one QMP client at a time: this one is
  // closed again before the adapter connects.
  const deadline = Date.now() + 10_000;
  for (;;) {
    assert.ok(proc.exitCode === null && proc.signalCode === null, `the user's QEMU exited during start-up (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
    const c = new QmpClient();
    try {
      await c.connect({ path: qmp });
      c.close();
      return q;
    } catch {
      c.close();
    }
    assert.ok(Date.now() < deadline, `the user's QEMU did not answer on QMP within 10 s (socket ${existsSync(qmp) ? 'there' : 'missing'}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** QMP from the test's side (QEMU serves one QMP client at a time: only once the adapter let go). */
async function qmpOf(q: UserQemu): Promise<QmpClient> {
  const c = new QmpClient();
  await c.connect({ path: q.qmp });
  return c;
}

async function stopUserQemu(q: UserQemu): Promise<void> {
  if (q.proc.exitCode === null && q.proc.signalCode === null) {
    const gone = new Promise((r) => q.proc.once('exit', r));
    q.proc.kill('SIGTERM');
    await gone;
  }
  cleanup(path.join(q.dir, 'x'));
}

async function attach(q: UserQemu, extra: Record<string, unknown> = {}): Promise<{ dc: ReplayDebugClient; entry: StoppedBody; capabilities: DebugProtocol.Capabilities[] }> {
  const dc = await startClient();
  const capabilities: DebugProtocol.Capabilities[] = [];
  dc.on('capabilities', (e: DebugProtocol.CapabilitiesEvent) => capabilities.push(e.body.capabilities));
  try {
    const initialized = dc.expectEvent('initialized');
    const entry = await dc.stopAfter(async () => {
      await dc.initializeRequest();
      await dc.attachRequest({ qmp: q.qmp, gdbServer: q.gdbServer, ...extra } as DebugProtocol.AttachRequestArguments);
      await initialized;
      await dc.configurationDoneRequest();
    });
    return { dc, entry, capabilities };
  } catch (err) {
    await dc.stop();
    throw err;
  }
}

for (const arch of ARCHES) {
  describe(`attach on ${arch}`, () => {
    let recording: string;
    before(async () => { recording = await sharedRecording(arch); });

    test('to a replaying QEMU: time travel is offered, breakpoints and variables work, disconnect leaves QEMU running to the end of the log', async () => {
      const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as { endIcount: number; icountShift: number | 'auto' };
      // Replay needs the recording's own -icount shift (recorded in the manifest).
      const q = await startUserQemu(arch, path.join(recording, 'kernel'), [
        '-serial', 'null', '-icount', `shift=${m.icountShift},rr=replay,rrfile=${path.join(recording, 'replay.bin')},rrsnapshot=init`,
        '-drive', `file=${path.join(recording, 'snapshots.qcow2')},if=none,id=rr,format=qcow2`]);
      try {
        const { dc, entry, capabilities } = await attach(q, { program: guestElf(arch) });
        try {
          assert.equal(entry.reason, 'entry');
          assert.ok(capabilities.some((c) => c.supportsStepBack === true), 'step back offered');
          const info = await dc.info();
          assert.equal(info.mode, 'play');
          assert.equal(info.endIcount, m.endIcount, 'the end read from the log QEMU replays');
          await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line: tagLine('counter-increment'), condition: 'round == 6' }] });
          const stop = await dc.continueToStop();
          assert.equal(stop.reason, 'breakpoint');
          assert.equal((await scopeVariables(dc, 'Globals')).get('checksum')?.value, String(guestModel(7).checksum));
          const at = await icount(dc);
          await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
          assert.equal(await icount(dc), at - 1, 'one instruction back');
          await dc.disconnectRequest({});
        } finally {
          await dc.stop();
        }
        const qmp = await qmpOf(q);
        try {
          assert.equal(q.proc.exitCode, null, 'QEMU is alive');
          // Resumed by the detach, it ran on by itself and stopped at the adapter's guard one before the end.
          const deadline = Date.now() + 10_000;
          while ((await qmp.call('query-status', undefined)).running) {
            assert.ok(Date.now() < deadline, `QEMU still runs 10 s after the detach (at icount ${(await qmp.call('query-replay', undefined)).icount}; the guard is at ${m.endIcount})`);
            await new Promise((r) => setTimeout(r, 25));
          }
          assert.equal((await qmp.call('query-replay', undefined)).icount, m.endIcount);
        } finally {
          qmp.close();
        }
      } finally {
        await stopUserQemu(q);
      }
    });

    test('to a QEMU without record/replay: no step back (refused with the reason), breakpoints and sourceMap work, disconnect-and-suspend leaves it paused', async () => {
      const q = await startUserQemu(arch, guestElf(arch), ['-serial', 'null']);
      // The sources as if checked out elsewhere: sourceMap sends gdb's compile-time paths there.
      const moved = path.join(q.dir, 'src');
      mkdirSync(moved);
      copyFileSync(GUEST_SOURCE, path.join(moved, 'prog.c'));
      try {
        const { dc, capabilities } = await attach(q, { program: guestElf(arch), sourceMap: { [path.dirname(GUEST_SOURCE)]: moved } });
        let pcAtDisconnect: string;
        try {
          assert.ok(!capabilities.some((c) => c.supportsStepBack === true));
          assert.equal((await dc.info()).mode, 'none');
          assert.match(await failure(dc.stepBackRequest({ threadId: 1 })), /needs a replay session/);
          const console = await dc.evaluateRequest({ expression: 'qmp query-replay', context: 'repl' });
          assert.match(console.body.result, /"mode": "none"/);
          const set = await dc.setBreakpointsRequest({ source: { path: path.join(moved, 'prog.c') }, breakpoints: [{ line: tagLine('mix-xor') }] });
          assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
          await dc.continueToStop();
          assert.equal((await topFrame(dc)).name, 'mix');
          assert.equal((await topFrame(dc)).source?.path, path.join(moved, 'prog.c'));
          assert.equal((await scopeVariables(dc, 'Arguments')).get('acc')?.value, String(0x1234));
          pcAtDisconnect = (await topFrame(dc)).instructionPointerReference!;
          await dc.disconnectRequest({ suspendDebuggee: true });
        } finally {
          await dc.stop();
        }
        const qmp = await qmpOf(q);
        try {
          assert.equal(q.proc.exitCode, null, 'QEMU is alive');
          const status = await qmp.call('query-status', undefined);
          assert.equal(status.running, false, `left stopped (${status.status})`);
          const regs = await qmp.hmp('info registers');
          const pcValue = BigInt(pcAtDisconnect);
          assert.match(regs, new RegExp(`(PC=|pc\\s+)0*${pcValue.toString(16)}\\b`, 'i'), 'still where the debugger left it');
        } finally {
          qmp.close();
        }
      } finally {
        await stopUserQemu(q);
      }
    });
  });
}

for (const arch of ARCHES) {
  describe(`attach to a recording QEMU on ${arch}`, () => {
    test('mode record: no step back, breakpoints work; disconnect lets the guest finish and QEMU end the recording itself', async () => {
      const dir = tempDir('qr-userrec-');
      const log = path.join(dir, 'replay.bin');
      const image = path.join(dir, 'snapshots.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
      const q = await startUserQemu(arch, guestElf(arch), ['-serial', 'null', '-icount', `shift=7,rr=record,rrfile=${log},rrsnapshot=init`,
        '-drive', `file=${image},if=none,id=rr,format=qcow2`]);
      try {
        const { dc, capabilities } = await attach(q, { program: guestElf(arch) });
        try {
          assert.ok(!capabilities.some((c) => c.supportsStepBack === true));
          assert.equal((await dc.info()).mode, 'record');
          await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fill_squares' }] });
          assert.equal((await dc.continueToStop()).reason, 'function breakpoint');
          assert.match(await failure(dc.stepBackRequest({ threadId: 1 })), /needs a replay session: the guest is being recorded/);
          await dc.disconnectRequest({});
        } finally {
          await dc.stop();
        }
        const code = await new Promise<number | null>((resolve) => (q.proc.exitCode !== null ? resolve(q.proc.exitCode) : q.proc.once('exit', (c) => resolve(c))));
        assert.equal(code, 0, 'the guest powered off and QEMU ended by itself');
        assert.ok(statSync(log).size > 12, 'QEMU wrote its replay log');
      } finally {
        await stopUserQemu(q);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('attach with bad arguments', () => {
  test('a QMP socket that does not exist, a malformed gdb server address: clear errors that say what to start QEMU with', async () => {
    const dc = await startClient();
    try {
      await dc.initializeRequest();
      const missing = path.join(tempDir(), 'nope.sock');
      assert.match(await failure(dc.attachRequest({ qmp: missing, gdbServer: '127.0.0.1:1' } as DebugProtocol.AttachRequestArguments)), /Cannot connect to QEMU's QMP at .*nope\.sock.*-qmp unix:/s);
      assert.match(await failure(dc.attachRequest({ gdbServer: 'localhost' } as DebugProtocol.AttachRequestArguments)), /"gdbServer" is "localhost": it must have the form host:port, e\.g\. localhost:1234 \(what QEMU's -gdb tcp::1234 or -s listens on\)/);
      const port = await freeLocalPort();
      assert.match(await failure(dc.attachRequest({ gdbServer: `127.0.0.1:${port}` } as DebugProtocol.AttachRequestArguments)), /gdb could not connect to QEMU's gdb server at 127\.0\.0\.1:\d+/);
    } finally {
      await dc.stop();
    }
  });
});
