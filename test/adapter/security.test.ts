/**
 * Security on real QEMU and gdb: QMP on a unix socket in a private per-session directory (0700), QEMU's gdb server
 * listening on 127.0.0.1 only, and user text (paths, expressions, breakpoint conditions, log messages, function
 * names) never becoming a gdb command or a shell command: QEMU and gdb are started without a shell, and every
 * value is quoted as one MI argument.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  childProcessesOf, GUEST_SOURCE, guestElf, icount, launchSession, processesMentioning, ReplayDebugClient, startClient, tagLine, tempDir,
} from './support';

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function emulatorOf(dc: ReplayDebugClient): { qemu: number; gdb: number; argv: string[] } {
  const kids = childProcessesOf(dc.adapterPid);
  const qemu = kids.find((p) => comm(p).startsWith('qemu-system'));
  const gdb = kids.find((p) => comm(p).startsWith('gdb'));
  assert.ok(qemu && gdb, 'QEMU and gdb are children of the adapter');
  return { qemu, gdb, argv: readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0').slice(0, -1) };
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Listening TCP sockets of a process: [local address hex, port] from /proc/PID/net/tcp{,6} and its socket fds. */
function listeningSockets(pid: number): Array<{ family: 'tcp' | 'tcp6'; address: string; port: number }> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const out: Array<{ family: 'tcp' | 'tcp6'; address: string; port: number }> = [];
  for (const family of ['tcp', 'tcp6'] as const) {
    const table = readFileSync(`/proc/${pid}/net/${family}`, 'utf8').split('\n').slice(1);
    for (const row of table) {
      const f = row.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue; // 0A: LISTEN
      const [address, port] = f[1].split(':');
      out.push({ family, address, port: parseInt(port, 16) });
    }
  }
  return out;
}

/** A file that must never appear: a shell command in user text would create it. */
function canary(): string {
  return path.join(os.tmpdir(), `qr-pwned-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

describe('security', () => {
  // Paths with spaces, quotes, a comma (QEMU's option separator), $(...) and backticks: nothing may interpret them.
  let base: string;
  let weird: string;
  let program: string;
  let recording: string;
  const shellCanary = canary();
  let dc: ReplayDebugClient;
  let ended = false;

  before(async () => {
    base = tempDir('qr-sec-');
    weird = path.join(base, `dir with spaces, "quotes" 'single' $(touch ${shellCanary}) \`touch ${shellCanary}\`; echo x`);
    mkdirSync(weird, { recursive: true });
    program = path.join(weird, 'prog "q".elf');
    copyFileSync(guestElf('aarch64'), program);
    recording = path.join(weird, 'rec, "1" $(x)');
    const rec = await startClient();
    try {
      await rec.eventAfter('terminated', () => launchSession(rec, { mode: 'record', program, recording, stopOnEntry: false }), { timeout: 60_000 });
    } finally {
      await rec.stop();
    }
    dc = await startClient();
    await dc.stopAfter(() => launchSession(dc, { mode: 'replay', program, recording, cwd: weird }));
  });
  after(async () => {
    if (!ended) {
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
    }
    rmSync(base, { recursive: true, force: true });
    rmSync(shellCanary, { force: true });
  });

  test('a program and recording path with spaces, quotes, a comma, $(...) and backticks records and replays', async () => {
    assert.ok(existsSync(path.join(recording, 'recording.json')), 'the recording is where it was asked to be');
    const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as { program: { path: string }; endIcount: number };
    assert.equal(m.program.path, program);
    await dc.seek({ icount: 3000 });
    assert.equal(await icount(dc), 3000);
    const frames = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(frames.body.stackFrames[0].source?.path, GUEST_SOURCE, 'symbols came from the quoted program path');
    assert.ok(!existsSync(shellCanary), 'no shell ran the path');
  });

  test('QMP and the gdb server are unix sockets in a private directory (0700) of their own; nothing listens on TCP', () => {
    const { qemu, argv } = emulatorOf(dc);
    const qmp = argv[argv.indexOf('-qmp') + 1];
    const m = /^unix:(.+?),server=on,wait=off$/.exec(qmp);
    assert.ok(m, `QMP on a unix socket: ${qmp}`);
    const dir = path.dirname(m[1]);
    assert.match(path.basename(dir), /^qemu-replay-/);
    const st = statSync(dir);
    assert.equal(st.mode & 0o777, 0o700, 'only the user can reach the socket');
    assert.equal(st.uid, process.getuid!());
    assert.deepEqual(readdirSync(dir).sort(), ['gdb.sock', 'qmp.sock']);
    assert.ok(statSync(m[1]).isSocket());
    // The gdb server beside QMP (issue #18: no TCP port per session for VS Code to forward).
    const gdbServer = argv[argv.indexOf('-gdb') + 1];
    assert.equal(gdbServer, `unix:${path.join(dir, 'gdb.sock')},server=on,wait=off`);
    assert.ok(statSync(path.join(dir, 'gdb.sock')).isSocket());
    // No QMP, monitor or gdb server on TCP, no network for the guest.
    assert.ok(!argv.some((a) => /^tcp:/.test(a)), `no TCP endpoint: ${argv.join(' ')}`);
    assert.equal(argv[argv.indexOf('-monitor') + 1], 'none');
    // What the kernel says QEMU listens on: nothing on TCP.
    assert.deepEqual(listeningSockets(qemu), []);
  });

  test('QEMU and gdb run without a shell (no sh between the adapter and them)', () => {
    const { qemu, gdb } = emulatorOf(dc);
    assert.match(comm(qemu), /^qemu-system-aar/);
    assert.match(comm(gdb), /^gdb/);
    assert.ok(!existsSync(shellCanary));
  });

  test('breakpoint conditions, hit conditions and log messages cannot inject gdb commands', async () => {
    const { gdb } = emulatorOf(dc);
    const line = tagLine('counter-increment');
    const injections = ['1"\n-gdb-exit', '1\n-gdb-exit', '1" -gdb-exit "', `1"; shell touch ${shellCanary}; "`, '1\\"\n-gdb-exit\n'];
    for (const condition of injections) {
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line, condition }] });
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line, hitCondition: condition }] });
      await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [{ line, logMessage: `{${condition}}` }] });
      const info = await dc.dataBreakpointInfoRequest({ name: 'checksum' });
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, condition }] });
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: `main${condition}`, condition }] });
      await dc.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x40080000${condition}`, condition }] }).catch(() => undefined);
      assert.ok(alive(gdb), `gdb is still alive after ${JSON.stringify(condition)}`);
    }
    await dc.setBreakpointsRequest({ source: { path: GUEST_SOURCE }, breakpoints: [] });
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.send('setInstructionBreakpoints', { breakpoints: [] });
    // The session still works: gdb answers and the replay moves.
    const before = await icount(dc);
    await dc.stopAfter(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await icount(dc), before + 1);
    assert.ok(alive(gdb));
    assert.ok(!existsSync(shellCanary), 'no shell command ran');
  });

  test('expressions cannot inject gdb or shell commands, in any evaluate context', async () => {
    const { gdb } = emulatorOf(dc);
    const frameId = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id;
    const expressions = [
      `x"; shell touch ${shellCanary}`, `x" \n shell touch ${shellCanary}`, 'counter"\n-gdb-exit', 'counter\n-gdb-exit',
      `$(touch ${shellCanary})`, `\`touch ${shellCanary}\``, `$_shell("touch ${shellCanary}")`, `counter\r\n-gdb-exit`, '"\\"\n-gdb-exit',
    ];
    for (const expression of expressions) {
      for (const context of ['watch', 'hover', 'variables', 'repl', 'clipboard', 'completions']) {
        const started = Date.now();
        await (context === 'completions'
          ? dc.completionsRequest({ text: expression, column: expression.length + 1, frameId })
          : dc.evaluateRequest({ expression, context, frameId })).catch(() => undefined);
        assert.ok(alive(gdb), `gdb is still alive after ${context} ${JSON.stringify(expression)}`);
        // Refused at once: a request left waiting would mean gdb took part of it as something else to do.
        assert.ok(Date.now() - started < 5_000, `${context} ${JSON.stringify(expression)} answered in ${Date.now() - started} ms`);
      }
    }
    assert.ok(!existsSync(shellCanary), 'no shell command ran');
    const ok = await dc.evaluateRequest({ expression: 'counter', context: 'watch', frameId });
    assert.match(ok.body.result, /^\d+$/, 'gdb still evaluates');
  });

  test('malformed numbers from a DAP client (thread ids, counts, references) cannot inject gdb commands either', async () => {
    const { gdb } = emulatorOf(dc);
    const bad = '1\n-gdb-exit';
    await dc.send('stackTrace', { threadId: bad }).catch(() => undefined);
    await dc.send('readMemory', { memoryReference: '0x40080000', count: bad }).catch(() => undefined);
    await dc.send('readMemory', { memoryReference: bad, count: 4 }).catch(() => undefined);
    await dc.send('disassemble', { memoryReference: bad, instructionCount: 4 }).catch(() => undefined);
    await dc.send('disassemble', { memoryReference: '0x40080000', instructionCount: 4, offset: bad }).catch(() => undefined);
    await dc.send('scopes', { frameId: bad }).catch(() => undefined);
    await dc.send('variables', { variablesReference: bad }).catch(() => undefined);
    assert.ok(alive(gdb), 'gdb is still alive');
    const frames = await dc.stackTraceRequest({ threadId: 1 });
    assert.ok(frames.body.stackFrames.length > 0);
  });

  test('after the session, nothing is left: no QEMU or gdb, no private socket directory', async () => {
    const { qemu, gdb, argv } = emulatorOf(dc);
    const qmp = /^unix:(.+?),server/.exec(argv[argv.indexOf('-qmp') + 1])![1];
    ended = true;
    await dc.terminateRequest();
    await dc.stop();
    const end = Date.now() + 5_000;
    while ((alive(qemu) || alive(gdb)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!alive(qemu) && !alive(gdb));
    assert.ok(!existsSync(path.dirname(qmp)), 'the private directory is removed');
    assert.deepEqual(processesMentioning(recording), []);
    assert.ok(!existsSync(shellCanary));
  });
});
