/**
 * What a session leaves behind and what it says: a recording that ends normally prints one line saying where it was
 * saved and nothing red; refusals do not ask VS Code for a toast; gdb works in a folder private to the session (not
 * the user's), removed at the end; a gdb internal error is reported in gdb's words and leaves no core file; QEMU and
 * gdb hold no listening TCP socket (VS Code's remote port forwarding would pick it up); custom requests that move
 * the position say the thread runs (`continued`) before their stop, as VS Code's own run requests do.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import {
  childProcessesOf, endSession, guestElf, icount, launchSession, recording as sharedRecording, replay, ReplayDebugClient, startClient, topFrame,
} from './support';

const arch = 'aarch64';

interface Output { category: string; text: string }
function outputEvents(dc: ReplayDebugClient): Output[] {
  const out: Output[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => out.push({ category: e.body.category ?? 'console', text: e.body.output }));
  return out;
}

/** The adapter's QEMU and gdb (setpriv execs QEMU: it is a direct child). */
function emulatorPids(dc: ReplayDebugClient): { qemu: number; gdb: number } {
  const kids = childProcessesOf(dc.adapterPid);
  const cmd = (p: number) => readFileSync(`/proc/${p}/cmdline`, 'utf8');
  const qemu = kids.find((p) => /qemu-system/.test(cmd(p)));
  const gdb = kids.find((p) => /gdb/.test(cmd(p).split('\0')[0]));
  assert.ok(qemu && gdb, `QEMU and gdb among the adapter's children: ${kids.map((p) => cmd(p).split('\0')[0]).join(', ')}`);
  return { qemu, gdb };
}

/** Inodes of the TCP sockets `pid` listens on (IPv4 and IPv6): /proc/PID/net/tcp* rows in state 0A, held by its fds. */
function listeningTcpInodes(pid: number): string[] {
  const held = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) held.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try { text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const row of text.split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && held.has(f[9])) out.push(`${table} ${f[1]} inode ${f[9]}`);
    }
  }
  return out;
}

describe(`session hygiene on ${arch}`, () => {
  let recording: string;

  before(async () => {
    recording = await sharedRecording(arch);
  });

  for (const stopOnEntry of [true, false]) {
    test(`a recording that ends normally (stopOnEntry ${stopOnEntry}) prints one line saying where it was saved, nothing red`, async () => {
      const dir = path.join(path.dirname(recording), `rec-${stopOnEntry}`);
      const dc = await startClient();
      const out = outputEvents(dc);
      try {
        const stopped = stopOnEntry ? dc.expectEvent('stopped', { timeout: 30_000 }) : undefined;
        const terminated = dc.expectEvent('terminated', { timeout: 60_000 });
        await launchSession(dc, { mode: 'record', program: guestElf(arch), recording: dir, stopOnEntry });
        if (stopOnEntry) {
          await stopped;
          await topFrame(dc);
          await dc.continueRequest({ threadId: 1 });
        }
        // What VS Code and the extension ask while the guest runs to its end, and once more as it ends.
        const polls: Promise<DebugProtocol.Response>[] = [];
        const poll = setInterval(() => { polls.push(dc.response('replayInfo'), dc.response('threads')); }, 25);
        await terminated;
        clearInterval(poll);
        const late = await dc.response('stackTrace', { threadId: 1 });
        const all = [...await Promise.all(polls), late].filter((r) => !r.success);
        const text = out.map((o) => o.text).join('');
        assert.doesNotMatch(text, /ECONNRESET|GdbExitedError|QmpConnectionError|Internal error|\n\s+at /, text);
        assert.deepEqual(out.filter((o) => o.category === 'important' || o.category === 'stderr'), [], 'nothing red or as a toast');
        const saved = out.filter((o) => /Recording saved/.test(o.text));
        assert.equal(saved.length, 1, text);
        assert.equal(saved[0].category, 'console');
        assert.equal(saved[0].text, `Recording saved to ${dir} (${JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')).endIcount + 1} instructions, the guest finished). Replay it with "mode": "replay".\n`);
        // Lines besides the guest's own output (stdout): the start line and the saved line, nothing else.
        assert.deepEqual(out.filter((o) => o.category !== 'stdout').map((o) => o.text.replace(dir, 'DIR')),
          ['Recording DIR\n', saved[0].text.replace(dir, 'DIR')]);
        for (const r of all) {
          assert.equal((r.body as { error?: DebugProtocol.Message } | undefined)?.error?.showUser, false, `no toast for ${r.command}: ${r.message}`);
          assert.doesNotMatch(r.message ?? '', /Internal error/);
        }
        assert.equal(late.success, false);
        assert.equal(late.message, 'The session has ended.');
      } finally {
        await dc.stop();
      }
    });
  }

  test('a replay: refusals ask for no toast, gdb works in a private folder, no TCP listener, continued before custom stops', async () => {
    const cwd = path.join(path.dirname(recording), 'user folder');
    mkdirSync(cwd, { recursive: true });
    const { dc } = await replay(recording, { cwd });
    const out = outputEvents(dc);
    let ended = false;
    try {
      // QEMU and gdb: gdb's working folder is the session's own, QEMU's gdb server a unix socket there.
      const { qemu, gdb } = emulatorPids(dc);
      const gdbCwd = readlinkSync(`/proc/${gdb}/cwd`);
      assert.notEqual(gdbCwd, readlinkSync(`/proc/${dc.adapterPid}/cwd`), "gdb works in the adapter's folder");
      assert.notEqual(gdbCwd, cwd, "gdb works in the user's folder");
      assert.match(path.basename(gdbCwd), /^qemu-replay-\d+-\w{6}$/);
      assert.equal(statSync(gdbCwd).mode & 0o777, 0o700);
      const argv = readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0');
      assert.equal(argv[argv.indexOf('-gdb') + 1], `unix:${path.join(gdbCwd, 'gdb.sock')},server=on,wait=off`);
      assert.deepEqual(listeningTcpInodes(qemu), [], 'QEMU listens on TCP');
      assert.deepEqual(listeningTcpInodes(gdb), [], 'gdb listens on TCP');

      // The session works over it: a step forward, a step back.
      const start = await icount(dc);
      await dc.stopAfter(() => dc.nextRequest({ threadId: 1 }));
      const ahead = await icount(dc);
      assert.ok(ahead > start);
      await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1 }));
      assert.ok((await icount(dc)) < ahead);

      // Refusals: no toast; edits outside the Debug Console's own input also get a console line.
      const frameId = (await topFrame(dc)).id;
      for (const [command, args] of [
        ['setExpression', { expression: 'counter', value: '1', frameId }],
        ['setVariable', { variablesReference: 1, name: 'counter', value: '1' }],
        ['evaluate', { expression: '-exec set var counter = 1', context: 'repl', frameId }],
        ['evaluate', { expression: 'counter = 1', context: 'repl', frameId }],
      ] as const) {
        const before = out.length;
        const r = await dc.response(command, args);
        assert.equal(r.success, false, `${command} ${JSON.stringify(args)} was refused`);
        assert.equal((r.body as { error?: DebugProtocol.Message }).error?.showUser, false, `${command}: no toast (${r.message})`);
        if (command !== 'evaluate') {
          assert.deepEqual(out.slice(before).map((o) => [o.category, o.text]), [['console', `${r.message}\n`]]);
          assert.match(r.message ?? '', /Cannot change (expressions|variables) in a replay/);
        }
      }

      // seek, reverseStepIn, reverseStepOut: `continued` (the thread runs) comes before their `stopped`.
      const order: string[] = [];
      const note = (name: string) => () => order.push(name);
      dc.on('continued', note('continued'));
      dc.on('stopped', note('stopped'));
      for (const [command, args] of [['seek', { icount: 200 }], ['reverseStepIn', { threadId: 1 }], ['reverseStepOut', { threadId: 1 }]] as const) {
        order.length = 0;
        const stopped = await dc.stopAfter(() => dc.custom(command, args));
        assert.deepEqual(order, ['continued', 'stopped'], command);
        if (command === 'seek') assert.equal(stopped.description, 'Moved in time at icount 200');
      }
      // A seek it cannot take moves nothing: no `continued`, no stop.
      order.length = 0;
      const bad = await dc.response('seek', { icount: -1 });
      assert.equal(bad.success, false);
      await topFrame(dc);
      assert.deepEqual(order, []);

      ended = true;
      await endSession(dc, recording);
      assert.ok(!existsSync(gdbCwd), `gdb's folder ${gdbCwd} is removed with the session`);
    } finally {
      if (!ended) await dc.stop(); // a second stop would write to the adapter it ended
    }
  });

  test("a gdb internal error is reported in gdb's words and leaves no core file", async () => {
    const cwd = path.join(path.dirname(recording), 'user folder 2');
    mkdirSync(cwd, { recursive: true });
    const { dc } = await replay(recording, { cwd });
    const out = outputEvents(dc);
    let ended = false;
    try {
      const { gdb } = emulatorPids(dc);
      const gdbCwd = readlinkSync(`/proc/${gdb}/cwd`);
      const terminated = dc.expectEvent('terminated', { timeout: 30_000 });
      const frameId = (await topFrame(dc)).id;
      // gdb's own command to test its internal-error handling.
      const r = await dc.response('evaluate', { expression: '-exec maint internal-error qr-test-bug', context: 'repl', frameId });
      assert.equal(r.success, false);
      await terminated;
      const text = out.map((o) => o.text).join('');
      assert.match(text, /gdb hit an internal error and exited: \S*maint\.c:\d+: internal-error: qr-test-bug at icount \d+\. The session was ended\./);
      const cores = (dir: string) => existsSync(dir) ? readdirSync(dir).filter((f) => /^core/.test(f)) : [];
      assert.deepEqual(cores(cwd), [], "no core file in the user's folder");
      assert.deepEqual(cores(process.cwd()), [], "no core file in the adapter's folder");
      ended = true;
      await endSession(dc, recording);
      assert.ok(!existsSync(gdbCwd), `gdb's folder ${gdbCwd} is removed with the session`);
    } finally {
      if (!ended) await dc.stop(); // a second stop would write to the adapter it ended
    }
  });
});
