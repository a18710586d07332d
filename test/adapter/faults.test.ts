/**
 * Fault injection on real QEMU and gdb: QEMU killed (SIGKILL) during a run, a seek and a reverse continue; gdb
 * killed; QEMU's QMP connection closed under a running QEMU (through a proxy the test owns, see qmpProxy.ts); QEMU
 * hung (SIGSTOP) during a seek and while idle; a snapshot budget too small for one snapshot; the same faults while
 * recording. Each time the session ends (or carries on) with a message that says what happened and how to
 * continue, no QEMU, gdb or socket directory is left, and the recording is intact: it is replayed again.
 *
 * A fault meant for an operation in flight is injected once the operation is seen under way (QEMU is executing the
 * guest: it has used CPU time since the request, and the operation has not ended), not after a fixed delay, so it
 * lands in the middle however fast or loaded the machine is.
 *
 * The requirement is "ended within 5 s"; the assertions allow 15 s so that a loaded machine does not fail them,
 * and each test reports what it measured (run with --test-reporter=spec to see the diagnostics).
 *
 * Also the recording's safety: a recording interrupted by the user is finalised (QMP stop + quit) and replays; an
 * adapter killed with SIGKILL leaves no QEMU or gdb running and no finished-looking recording; a snapshot image
 * swapped in from another recording is refused.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  childProcessesOf, cleanup, collectOutput, endlessElf, guestElf, icount, launchSession, pc, record, recording as sharedRecording, replay,
  ReplayDebugClient, startClient, tempDir,
} from './support';
import { QmpProxy } from './qmpProxy';

/** Generous hang guard for the 5 s requirement (see the file comment). */
const ENDED_WITHIN_MS = 15_000;
/**
 * The long recording: the endless guest for at least this many instructions (QEMU stops a recording at a coarse
 * icount). It writes to its UART all the time, so it replays at 4 to 15 M instructions/s depending on the machine:
 * a seek over all of it takes 4 to 15 s, longer than the watchdog's silence bound (2.5 s) even on a fast machine.
 */
const LONG_LIMIT = 60_000_000;

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The adapter's QEMU and gdb (its children). */
function emulatorOf(dc: ReplayDebugClient): { qemu: number; gdb: number; socketDir: string } {
  const kids = childProcessesOf(dc.adapterPid);
  const qemu = kids.find((p) => comm(p).startsWith('qemu-system'));
  const gdb = kids.find((p) => comm(p).startsWith('gdb'));
  assert.ok(qemu && gdb, `QEMU and gdb among the adapter's children: ${kids.map((p) => `${p}:${comm(p)}`).join(' ')}`);
  const argv = readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0');
  const qmp = argv[argv.indexOf('-qmp') + 1];
  return { qemu, gdb, socketDir: path.dirname(qmp.replace(/^unix:/, '').split(',')[0]) };
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process's state letter (R, S, T, Z, ...) and the CPU time it has used (user + system, ms), from /proc. */
function sample(pid: number): { state: string; cpuMs: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // the name in parentheses may hold spaces
  return { state: f[0], cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S };
}

/**
 * Waits until QEMU is seen executing the guest for `what`: it has used `workMs` of CPU time since this was called (a
 * QEMU that waits for a request uses next to none), while `inFlight()` still holds. A fault injected then hits the
 * operation in the middle. Fails if the operation ends first, or if QEMU does not get to work within `timeoutMs`.
 */
async function qemuAtWork(pid: number, what: string, inFlight: () => boolean, workMs = 300, timeoutMs = 60_000): Promise<void> {
  const start = sample(pid);
  assert.ok(start, `QEMU (pid ${pid}) is alive at the start of ${what}`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    assert.ok(inFlight(), `${what} ended before QEMU had worked ${workMs} ms on it: no fault could be injected in the middle`);
    const now = sample(pid);
    assert.ok(now, `QEMU (pid ${pid}) is alive during ${what}`);
    if (now.cpuMs - start.cpuMs >= workMs) return;
    assert.ok(Date.now() < end, `QEMU did not get to work on ${what} within ${timeoutMs} ms (${now.cpuMs - start.cpuMs} ms of CPU)`);
    await sleep(10);
  }
}

/** How many `stopped` events `dc` has sent since this was called. */
function stopCounter(dc: ReplayDebugClient): () => number {
  let n = 0;
  dc.on('stopped', () => n++);
  return () => n;
}

/** Settles with the request's outcome, so a request in flight during a fault can be checked afterwards. */
function outcome(p: Promise<unknown>): Promise<{ ok: boolean; message: string }> {
  return p.then(() => ({ ok: true, message: '' }), (err: Error) => ({ ok: false, message: err.message }));
}

interface FaultRun {
  elapsedMs: number;
  output: string;
}

/**
 * Runs `fault` against a live session and waits for the session to end: returns how long that took after the
 * fault, and the output. Checks that QEMU, gdb and QEMU's private socket directory are gone.
 */
async function endsAfter(t: TestContext, dc: ReplayDebugClient, output: string[], fault: (e: ReturnType<typeof emulatorOf>) => void | Promise<void>): Promise<FaultRun> {
  const e = emulatorOf(dc);
  assert.ok(existsSync(e.socketDir));
  const terminated = dc.expectEvent('terminated', { timeout: ENDED_WITHIN_MS + 5_000 });
  const started = Date.now();
  await fault(e);
  const faulted = Date.now();
  await terminated;
  const elapsedMs = Date.now() - faulted;
  t.diagnostic(`session ended ${elapsedMs} ms after the fault (fault injected ${faulted - started} ms into the operation)`);
  assert.ok(elapsedMs < ENDED_WITHIN_MS, `ended within ${ENDED_WITHIN_MS} ms (took ${elapsedMs})`);
  assert.ok(await waitUntil(() => !alive(e.qemu) && !alive(e.gdb), 5_000), 'QEMU and gdb are gone');
  assert.ok(!existsSync(e.socketDir), 'the private socket directory is removed');
  return { elapsedMs, output: output.join('') };
}

/** Ends a session and waits until its QEMU and gdb are gone (the next test may open the same recording). */
async function close(dc: ReplayDebugClient): Promise<void> {
  const kids = childProcessesOf(dc.adapterPid);
  await dc.terminateRequest().catch(() => undefined);
  await dc.stop();
  assert.ok(await waitUntil(() => !kids.some(alive), 10_000), 'the session\'s QEMU and gdb ended');
}

/** Like stopAfter, for runs and seeks over the long recording: seconds each, more on a loaded machine. */
async function longRun(dc: ReplayDebugClient, action: () => Promise<unknown>): Promise<void> {
  await dc.stopAfter(action, 120_000);
}

describe('faults during a replay', () => {
  let long: string;
  let short: string;
  /** pc at icount MID in the long recording, from an undisturbed replay. */
  const MID = 10_000_000;
  let midPc: string;
  /** The long recording's last icount (at least LONG_LIMIT: QEMU overshoots by up to 2^25 or more). */
  let longEnd: number;
  /** Far into the long recording, and the same distance whatever the overshoot: 1.5 to 5 s of replay from the start. */
  const FAR = 20_000_000 - 1000;

  before(async () => {
    long = await record('aarch64', { program: endlessElf('aarch64'), recordLimit: { instructions: LONG_LIMIT }, snapshotInterval: 0 });
    longEnd = (JSON.parse(readFileSync(path.join(long, 'recording.json'), 'utf8')) as { endIcount: number }).endIcount;
    assert.ok(longEnd > LONG_LIMIT);
    short = await sharedRecording('aarch64');
    const { dc } = await replay(long, { program: endlessElf('aarch64'), snapshotInterval: 0 });
    try {
      await longRun(dc, () => dc.seek({ icount: MID }));
      midPc = await pc(dc);
    } finally {
      await close(dc);
    }
  });
  after(() => {
    cleanup(long);
  });

  /** The recording still replays to the same state as before the fault. */
  async function stillReplays(): Promise<void> {
    const { dc } = await replay(long, { program: endlessElf('aarch64'), snapshotInterval: 0 });
    try {
      await longRun(dc, () => dc.seek({ icount: MID }));
      assert.equal(await icount(dc), MID);
      assert.equal(await pc(dc), midPc, 'same state at the same icount');
    } finally {
      await close(dc);
    }
  }

  async function longSession(extra: Record<string, unknown> = {}): Promise<{ dc: ReplayDebugClient; output: string[] }> {
    const { dc } = await replay(long, { program: endlessElf('aarch64'), snapshotInterval: 0, ...extra });
    return { dc, output: collectOutput(dc) };
  }

  /** A session on the long recording for `fault`; then its QEMU and gdb must be gone and the recording replay. */
  async function faultThenReplay(fault: (s: { dc: ReplayDebugClient; output: string[] }) => Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
    const s = await longSession(extra);
    try {
      await fault(s);
    } finally {
      await close(s.dc);
    }
    await stillReplays();
  }

  test('QEMU killed (SIGKILL) while the replay runs forward: ended, with what happened and how to continue', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      const stops = stopCounter(dc);
      await dc.eventAfter('replayState', () => dc.continueRequest({ threadId: 1 }), { filter: (s) => s.running });
      const r = await endsAfter(t, dc, output, async (e) => {
        await qemuAtWork(e.qemu, 'the forward run', () => stops() === 0);
        process.kill(e.qemu, 'SIGKILL');
      });
      assert.match(r.output, /QEMU exited unexpectedly \(killed by SIGKILL\) at icount \d+\. The session was ended\. The recording is unchanged: start the replay again to continue/);
    });
  });

  test('QEMU killed (SIGKILL) during a seek: the seek fails with the reason, the session ends', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      let seek!: Promise<{ ok: boolean; message: string }>;
      const r = await endsAfter(t, dc, output, async (e) => {
        let answered = false;
        seek = outcome(dc.custom('seek', { icount: FAR })).finally(() => { answered = true; });
        await qemuAtWork(e.qemu, 'the seek', () => !answered);
        process.kill(e.qemu, 'SIGKILL');
      });
      const s = await seek;
      assert.equal(s.ok, false, 'the seek did not pretend to succeed');
      assert.match(s.message, /The session is ending: QEMU exited unexpectedly \(killed by SIGKILL\)/);
      assert.match(r.output, /start the replay again to continue/);
    });
  });

  test('QEMU killed (SIGKILL) during a reverse continue', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      await longRun(dc, () => dc.seek({ icount: FAR }));
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'main' }] });
      assert.ok(set.body.breakpoints[0].verified);
      const stops = stopCounter(dc);
      await dc.reverseContinueRequest({ threadId: 1 });
      const r = await endsAfter(t, dc, output, async (e) => {
        await qemuAtWork(e.qemu, 'the reverse continue', () => stops() === 0);
        process.kill(e.qemu, 'SIGKILL');
      });
      assert.match(r.output, /QEMU exited unexpectedly \(killed by SIGKILL\) at icount \d+\. The session was ended/);
    });
  });

  test('gdb killed (SIGKILL): QEMU is ended cleanly, the message says gdb', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      await dc.seek({ icount: 1_000_000 });
      const r = await endsAfter(t, dc, output, (e) => { process.kill(e.gdb, 'SIGKILL'); });
      assert.match(r.output, /gdb exited unexpectedly \(killed by SIGKILL\) at icount 1000000\. The session was ended\. The recording is unchanged: start the replay again to continue \(seek to icount 1000000 to return here\)/);
    });
  });

  test('QEMU hung (SIGSTOP) during a seek: the watchdog ends the session, the seek fails with the reason', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      let seek!: Promise<{ ok: boolean; message: string }>;
      const r = await endsAfter(t, dc, output, async (e) => {
        let answered = false;
        seek = outcome(dc.custom('seek', { icount: FAR })).finally(() => { answered = true; });
        await qemuAtWork(e.qemu, 'the seek', () => !answered);
        process.kill(e.qemu, 'SIGSTOP');
      });
      assert.match(r.output, /QEMU \(pid \d+\) (has been stopped by a signal|stopped responding).* The session was ended\. The recording is unchanged: start the replay again/);
      const s = await seek;
      assert.equal(s.ok, false);
      assert.match(s.message, /The session is ending: QEMU/);
    });
  });

  test('gdb hung (SIGSTOP): the watchdog ends the session, QEMU is ended cleanly', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      await dc.seek({ icount: 1_500_000 });
      const r = await endsAfter(t, dc, output, (e) => { process.kill(e.gdb, 'SIGSTOP'); });
      assert.match(r.output, /gdb \(pid \d+\) has been stopped by a signal .* at icount 1500000\. The session was ended\. The recording is unchanged/);
      assert.doesNotMatch(r.output, /terminating on signal/, 'QEMU was asked to quit, not signalled');
    });
  });

  test('QEMU hung (SIGSTOP) while stopped at a breakpoint: the next request fails and the session ends', async (t) => {
    await faultThenReplay(async ({ dc, output }) => {
      await dc.seek({ icount: 2_000_000 });
      let stack!: Promise<{ ok: boolean; message: string }>;
      const r = await endsAfter(t, dc, output, async (e) => {
        process.kill(e.qemu, 'SIGSTOP');
        // The signal is delivered asynchronously: the request goes to a QEMU that is stopped, not one about to be.
        assert.ok(await waitUntil(() => sample(e.qemu)?.state === 'T', 5_000), `QEMU stopped by SIGSTOP (state ${sample(e.qemu)?.state})`);
        stack = outcome(dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      });
      assert.match(r.output, /QEMU \(pid \d+\) .* at icount 2000000\. The session was ended/);
      await stack; // answered, one way or the other (a run request is answered when it starts)
    });
  });

  test("QEMU's QMP connection closed under the session (QEMU keeps running): ended, with the reason", async (t) => {
    // The session's QMP connection goes through a proxy the test owns (qmpProxy.ts); closing it is what the
    // adapter sees when QEMU drops the connection: the socket reaches EOF while QEMU runs on.
    const qemuPath = (JSON.parse(readFileSync(path.join(long, 'recording.json'), 'utf8')) as { qemu: { path: string } }).qemu.path;
    const proxy = await QmpProxy.start(qemuPath);
    try {
      await faultThenReplay(async ({ dc, output }) => {
        await dc.seek({ icount: 3_000_000 });
        let qemuRan = false;
        const r = await endsAfter(t, dc, output, (e) => {
          assert.equal(proxy.open, 1, 'one QMP connection, through the proxy');
          proxy.cut();
          qemuRan = alive(e.qemu);
        });
        assert.ok(qemuRan, 'QEMU was running when its QMP connection closed');
        assert.match(r.output, /QEMU closed its QMP connection at icount 3000000\. The session was ended\. The recording is unchanged: start the replay again to continue/);
      }, { qemuPath: proxy.wrapper });
    } finally {
      await proxy.close();
    }
  });

  test('a long legitimate seek (seconds) is not mistaken for a hang', async (t) => {
    const { dc, output } = await longSession();
    try {
      // To the end of the long recording: its longest seek, longer than the watchdog's silence bound (2.5 s) even
      // where replay is fast (see LONG_LIMIT).
      const started = Date.now();
      await longRun(dc, () => dc.seek({ icount: longEnd }));
      const took = Date.now() - started;
      t.diagnostic(`the seek over ${longEnd} instructions took ${took} ms`);
      assert.equal(await icount(dc), longEnd);
      assert.ok(took > 2_500, `the seek took longer than the watchdog's silence bound (${took} ms)`);
      await longRun(dc, () => dc.seek({ icount: MID }));
      assert.equal(await pc(dc), midPc);
      assert.doesNotMatch(output.join(''), /stopped responding|session was ended/);
    } finally {
      await close(dc);
    }
  });

  test('a snapshot budget too small for one snapshot: automatic snapshots are evicted, time travel still works', async () => {
    const { dc } = await replay(short, { program: guestElf('aarch64'), snapshotInterval: 2000, snapshotBudgetMB: 0 });
    try {
      const end = await dc.continueToStop();
      assert.match(end.text ?? '', /End of the recording/);
      const list = (await dc.custom('listSnapshots')).snapshots;
      assert.deepEqual(list.filter((s) => s.kind === 'automatic'), [], 'nothing automatic kept over budget');
      const last = await icount(dc);
      await dc.stopAfter(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(await icount(dc), last - 1);
      await dc.seek({ icount: 5000 });
      assert.equal(await icount(dc), 5000);
      // A user snapshot is not the automatic budget's business: it is kept.
      const saved = await dc.custom('saveSnapshot', { name: 'mine' });
      assert.equal(saved.snapshot.icount, 5000);
      await dc.custom('deleteSnapshot', { name: 'mine' });
    } finally {
      await close(dc);
    }
  });
});

function partials(recordingDir: string): string[] {
  return readdirSync(path.dirname(recordingDir)).filter((n) => n.includes('.partial-'));
}

/**
 * How far the endless guest gets before a fault while recording: it prints "round %08x" every 8 rounds of ~385
 * instructions, so round 0x2000 is ~3 M instructions in, more than the 1 M the tests below expect to replay.
 */
const RECORDED_ROUNDS = 0x2000;

/** Starts recording the endless guest and waits until the guest has printed round RECORDED_ROUNDS (recorded). */
async function recordEndless(extra: Record<string, unknown> = {}): Promise<{ dc: ReplayDebugClient; dir: string; output: string[] }> {
  const dir = path.join(tempDir(), 'rec');
  const dc = await startClient();
  const output = collectOutput(dc);
  await launchSession(dc, { mode: 'record', program: endlessElf('aarch64'), recording: dir, stopOnEntry: false, ...extra });
  // The session shows the guest's serial output as it is recorded.
  const round = () => Math.max(-1, ...[...output.join('').matchAll(/round ([0-9a-f]{8})/g)].map((m) => parseInt(m[1], 16)));
  assert.ok(await waitUntil(() => round() >= RECORDED_ROUNDS, 60_000),
    `the guest printed round ${RECORDED_ROUNDS.toString(16)} while recording (last seen: ${round()}; output ends ${JSON.stringify(output.join('').slice(-200))})`);
  return { dc, dir, output };
}

/** Replays a recording from start to end; returns the end icount. */
async function replaysToTheEnd(dir: string): Promise<number> {
  const { dc } = await replay(dir, { program: endlessElf('aarch64') });
  try {
    const stop = await dc.continueToStop();
    assert.match(stop.text ?? '', /End of the recording/);
    const m = JSON.parse(readFileSync(path.join(dir, 'recording.json'), 'utf8')) as { endIcount: number };
    assert.equal(await icount(dc), m.endIcount);
    return m.endIcount;
  } finally {
    await close(dc);
  }
}

describe('faults and interruptions while recording', () => {
  test('stopping the session mid-recording finalises it (QMP stop + quit): it replays to its end', async (t) => {
    const { dc, dir, output } = await recordEndless();
    let ended = 0;
    try {
      const terminated = dc.expectEvent('terminated', { timeout: ENDED_WITHIN_MS });
      const started = Date.now();
      await dc.disconnectRequest({});
      await terminated;
      ended = Date.now() - started;
    } finally {
      await dc.stop();
    }
    t.diagnostic(`recording finalised ${ended} ms after disconnect`);
    assert.match(output.join(''), /Recording saved to .*session stopped/);
    assert.deepEqual(partials(dir), []);
    const end = await replaysToTheEnd(dir);
    assert.ok(end > 1_000_000, `recorded ${end} instructions`);
    cleanup(dir);
  });

  test('the adapter killed (SIGKILL) mid-recording: QEMU and gdb die with it, no finished-looking recording is left', async (t) => {
    const { dc, dir } = await recordEndless();
    try {
      const e = emulatorOf(dc);
      const started = Date.now();
      process.kill(dc.adapterPid, 'SIGKILL');
      const gone = await waitUntil(() => !alive(e.qemu) && !alive(e.gdb), ENDED_WITHIN_MS);
      assert.ok(existsSync(e.socketDir), 'a killed adapter cannot remove its socket directory');
      t.diagnostic(`QEMU and gdb gone ${Date.now() - started} ms after the adapter was killed`);
      assert.ok(gone, `QEMU ${alive(e.qemu) ? 'still runs' : 'gone'}, gdb ${alive(e.gdb) ? 'still runs' : 'gone'}`);
      assert.ok(!existsSync(dir), 'no recording at the requested path');
      const left = partials(dir);
      assert.equal(left.length, 1, 'only the partial directory');
      assert.ok(!existsSync(path.join(path.dirname(dir), left[0], 'recording.json')), 'the partial has no manifest');
      // The next recording of the same path cleans the abandoned partial up.
      const next = await startClient();
      try {
        await next.eventAfter('terminated', () => launchSession(next, { mode: 'record', program: guestElf('aarch64'), recording: dir, stopOnEntry: false }), { timeout: 60_000 });
      } finally {
        await next.stop();
      }
      assert.ok(existsSync(path.join(dir, 'recording.json')));
      assert.deepEqual(partials(dir), [], 'the abandoned partial is gone');
      assert.ok(!existsSync(e.socketDir), "and so is the dead adapter's private socket directory");
    } finally {
      // The ReplayDebugClient waits forever for an adapter that is already gone: do not wait for it (a bound on the
      // clean-up, not a synchronisation: nothing is checked after it).
      await Promise.race([dc.stop().catch(() => undefined), sleep(1_000)]);
      cleanup(dir);
    }
  });

  test('QEMU killed (SIGKILL) while recording: the unreplayable log is discarded, the message says so', async (t) => {
    const { dc, dir, output } = await recordEndless();
    try {
      const r = await endsAfter(t, dc, output, (e) => { process.kill(e.qemu, 'SIGKILL'); });
      assert.match(r.output, /QEMU exited unexpectedly \(killed by SIGKILL\)\. The session was ended\./);
      assert.match(r.output, /The recording could not be saved/);
      assert.ok(!existsSync(dir));
      assert.deepEqual(partials(dir), []);
    } finally {
      await close(dc);
      cleanup(dir);
    }
  });

  test('QEMU hung (SIGSTOP) while recording: ended through SIGTERM, so what was recorded is saved and replays', async (t) => {
    const { dc, dir, output } = await recordEndless();
    try {
      const r = await endsAfter(t, dc, output, (e) => { process.kill(e.qemu, 'SIGSTOP'); });
      assert.match(r.output, /QEMU \(pid \d+\) (has been stopped by a signal|stopped responding).*The session was ended\./);
      assert.match(r.output, /Recording saved to /);
    } finally {
      await close(dc);
    }
    assert.ok((await replaysToTheEnd(dir)) > 1_000_000);
    cleanup(dir);
  });

  test("a snapshot image swapped in from another recording is refused: a replay never loads another recording's state", async () => {
    const a = await record('aarch64');
    const b = await record('aarch64');
    const swapped = path.join(tempDir(), 'swapped');
    try {
      cpSync(a, swapped, { recursive: true });
      copyFileSync(path.join(b, 'snapshots.qcow2'), path.join(swapped, 'snapshots.qcow2'));
      const dc = await startClient();
      try {
        await dc.initializeRequest();
        await assert.rejects(dc.launch({ mode: 'replay', recording: swapped, program: guestElf('aarch64') }),
          (err: Error) => { assert.match(err.message, /snapshots\.qcow2 does not belong to this recording.*Put the original back, or record again/); return true; });
      } finally {
        await dc.stop();
      }
      assert.ok(await waitUntil(() => !execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).includes(swapped), 5_000), 'no QEMU left');
      // The untouched recordings still replay.
      const { dc: ok } = await replay(a, { program: guestElf('aarch64') });
      const stop = await ok.continueToStop();
      assert.match(stop.text ?? '', /End of the recording/);
      await close(ok);
    } finally {
      cleanup(a);
      cleanup(b);
      cleanup(swapped);
    }
  });
});
