/**
 * Soak: random operations (step, step back by instruction and line, continue, reverse continue, step out, reverse
 * step out, seeks, icount and instruction breakpoints, snapshot save/delete) against one replay session. After
 * each: the icount is what the operation must give, and the pc at that icount is the one a plain forward replay
 * saw there (the oracle: plain gdb single-stepping the whole recording once, no adapter involved); every request
 * is answered within the client's timeout (a request left unanswered fails it); the adapter's memory and the
 * number of processes stay bounded. Then sessions started and stopped in a row leave no process, private socket
 * directory or temporary file behind.
 *
 * CI-sized by default (150 operations, 10 sessions). QEMU_REPLAY_SOAK=1 runs the full soak (1000 operations,
 * 50 sessions); QEMU_REPLAY_SOAK_SEED=N replays one random sequence (the seed is printed as a diagnostic).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { freeLocalPort, QemuProcess } from '../../adapter/qemu/process';
import type { RecordingManifest } from '../../adapter/qemu/recording';
import {
  childProcessesOf, cleanup, collectOutput, guestElf, icount, launchSession, pc, recording as sharedRecording, replay, ReplayDebugClient,
  startClient, tempDir,
} from './support';

const FULL = process.env.QEMU_REPLAY_SOAK === '1';
const OPERATIONS = FULL ? 1000 : 150;
const SESSIONS = FULL ? 50 : 10;
const SEED = Number(process.env.QEMU_REPLAY_SOAK_SEED ?? Date.now() % 1_000_000);
const arch = 'aarch64';

/**
 * The pc after each number of instructions, 0 to the end: a plain replay stepped forward one instruction at a time
 * over gdb's remote protocol, spoken directly (no gdb, no adapter: nothing under test takes part).
 */
async function forwardOracle(recording: string): Promise<bigint[]> {
  const m = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as RecordingManifest;
  const qemu = new QemuProcess();
  const port = await freeLocalPort();
  await qemu.start({
    qemuPath: m.qemu.path, machine: m.machine, cpu: m.cpu, memory: m.memory, kernel: path.join(recording, 'kernel'),
    icountShift: m.icountShift, rr: 'replay', replayFile: path.join(recording, 'replay.bin'),
    snapshotImage: path.join(recording, 'snapshots.qcow2'), gdbPort: port, archArgs: m.archArgs, userArgs: m.qemuArgs,
  });
  try {
    await qemu.qmp.call('replay-seek', { icount: 0 }); // never load a snapshot in prelaunch
    const pcs = await stepAndReadPc(port, m.endIcount);
    assert.equal((await qemu.qmp.call('query-replay', undefined)).icount, m.endIcount, 'one instruction per step');
    return pcs;
  } finally {
    await qemu.stop();
  }
}

/** gdb remote protocol: `s` (one instruction), `g` (registers; aarch64's pc is the 33rd 64-bit one). */
async function stepAndReadPc(port: number, steps: number): Promise<bigint[]> {
  const socket = net.createConnection(port, '127.0.0.1');
  socket.setNoDelay(true); // one small packet each way per step: Nagle would add 40 ms to each
  socket.setEncoding('latin1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let buffer = '';
  const waiting: Array<(packet: string) => void> = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      buffer = buffer.replace(/^\++/, '');
      const m = /^\$([^#]*)#[0-9a-fA-F]{2}/.exec(buffer);
      if (!m) break;
      buffer = buffer.slice(m[0].length);
      socket.write('+');
      waiting.shift()?.(m[1]);
    }
  });
  const send = (data: string) => new Promise<string>((resolve) => {
    let sum = 0;
    for (const c of data) sum = (sum + c.charCodeAt(0)) & 0xff;
    waiting.push(resolve);
    socket.write(`$${data}#${sum.toString(16).padStart(2, '0')}`);
  });
  const readPc = async () => {
    const hex = (await send('g')).slice(32 * 16, 33 * 16);
    return BigInt(`0x${(hex.match(/../g) ?? []).reverse().join('')}`);
  };
  try {
    await send('?');
    const out = [await readPc()];
    for (let i = 0; i < steps; i++) {
      assert.match(await send('s'), /^T05/);
      out.push(await readPc());
    }
    return out;
  } finally {
    socket.destroy();
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function socketDirOf(dc: ReplayDebugClient): string {
  for (const p of childProcessesOf(dc.adapterPid)) {
    const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('-qmp');
    if (i >= 0) return path.dirname(argv[i + 1].replace(/^unix:/, '').split(',')[0]);
  }
  throw new Error('no QEMU under the adapter');
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed from its seed. */
function generator(seed: number): { int(n: number): number; pick<T>(xs: T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)], chance: (p) => next() < p };
}

describe(`soak: ${OPERATIONS} random operations on one replay, then ${SESSIONS} sessions in a row`, () => {
  let recording: string;
  let oracle: bigint[];
  let end: number;

  before(async () => {
    recording = await sharedRecording(arch);
    oracle = await forwardOracle(recording);
    end = oracle.length - 1;
  });

  test('every operation lands where the forward-replay oracle says; requests answered; memory and processes bounded', async (t) => {
    t.diagnostic(`seed ${SEED} (QEMU_REPLAY_SOAK_SEED=${SEED} replays this sequence)`);
    const rnd = generator(SEED);
    const { dc } = await replay(recording, { program: guestElf(arch), snapshotInterval: 3000, snapshotBudgetMB: 2 });
    const output = collectOutput(dc);
    const adapter = dc.adapterPid;
    const emulator = childProcessesOf(adapter).sort();
    assert.equal(emulator.length, 2, 'QEMU and gdb');
    let icountBps: number[] = [];
    let addressBps: bigint[] = [];
    let userSnapshots: string[] = [];
    const rss: number[] = [];
    const counts: Record<string, number> = {};
    const history: string[] = [];
    let current = '';
    try {
      const snapshots = async () => (await dc.custom('listSnapshots')).snapshots;
      const hitsAfter = (from: number) => {
        const candidates = icountBps.filter((b) => b > from);
        for (let i = from + 1; i <= end; i++) if (addressBps.includes(oracle[i])) { candidates.push(i); break; }
        return Math.min(end, ...candidates);
      };
      const hitsBefore = (from: number) => {
        const candidates = icountBps.filter((b) => b < from);
        for (let i = from - 1; i >= 0; i--) if (addressBps.includes(oracle[i])) { candidates.push(i); break; }
        return Math.max(0, ...candidates);
      };
      const run = (action: () => Promise<unknown>) => dc.stopAfter(action);

      for (let op = 0; op < OPERATIONS; op++) {
        const here = await icount(dc);
        const kind = rnd.pick([
          'stepi', 'stepi', 'stepBackI', 'stepBackI', 'next', 'stepIn', 'stepBackLine', 'stepOut', 'reverseStepOut',
          'continue', 'continue', 'reverseContinue', 'reverseContinue', 'seek', 'seek', 'icountBreakpoints',
          'addressBreakpoints', 'saveSnapshot', 'deleteSnapshot',
        ]);
        counts[kind] = (counts[kind] ?? 0) + 1;
        current = `${op}: ${kind} from ${here} (icount breakpoints ${icountBps.join(' ') || 'none'}, instruction breakpoints ${addressBps.map((a) => a.toString(16)).join(' ') || 'none'})`;
        let expected: number | undefined;
        let check: ((now: number) => void) | undefined;
        switch (kind) {
          case 'stepi':
            await run(() => dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
            expected = Math.min(here + 1, end);
            break;
          case 'stepBackI':
            await run(() => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
            expected = Math.max(here - 1, 0);
            break;
          case 'next':
            await run(() => dc.nextRequest({ threadId: 1 }));
            check = (now) => assert.ok(now > here || here === end, `next moved forward from ${here} to ${now}`);
            break;
          case 'stepIn':
            await run(() => dc.stepInRequest({ threadId: 1 }));
            check = (now) => assert.ok(now > here || here === end, `step in moved forward from ${here} to ${now}`);
            break;
          case 'stepOut':
            await run(() => dc.stepOutRequest({ threadId: 1 }));
            check = (now) => assert.ok(now >= here, `step out went forward from ${here} to ${now}`);
            break;
          case 'stepBackLine':
            await run(() => dc.stepBackRequest({ threadId: 1 }));
            check = (now) => assert.ok(now < here || here === 0, `step back moved back from ${here} to ${now}`);
            break;
          case 'reverseStepOut':
            await run(() => dc.custom('reverseStepOut', { threadId: 1 }));
            check = (now) => assert.ok(now <= here, `reverse step out went back from ${here} to ${now}`);
            break;
          case 'continue':
            expected = here >= end ? end : hitsAfter(here);
            await run(() => dc.continueRequest({ threadId: 1 }));
            break;
          case 'reverseContinue':
            expected = here === 0 ? 0 : hitsBefore(here);
            await run(() => dc.reverseContinueRequest({ threadId: 1 }));
            break;
          case 'seek': {
            expected = rnd.chance(0.1) ? rnd.pick([0, end]) : rnd.int(end + 1);
            await run(() => dc.custom('seek', { icount: expected }));
            break;
          }
          case 'icountBreakpoints': {
            icountBps = [...new Set(Array.from({ length: rnd.int(4) }, () => 1 + rnd.int(end - 1)))].sort((a, b) => a - b);
            const r = await dc.custom('setIcountBreakpoints', { icounts: icountBps });
            assert.ok(r.breakpoints.every((b) => b.verified));
            expected = here;
            break;
          }
          case 'addressBreakpoints': {
            // pcs the guest really executes, picked at random icounts (some often, some once)
            addressBps = [...new Set(Array.from({ length: rnd.int(3) }, () => oracle[rnd.int(end + 1)]))];
            const r = (await dc.send('setInstructionBreakpoints', { breakpoints: addressBps.map((a) => ({ instructionReference: `0x${a.toString(16)}` })) })) as DebugProtocol.SetInstructionBreakpointsResponse;
            assert.ok(r.body.breakpoints.every((b) => b.verified), JSON.stringify(r.body.breakpoints));
            expected = here;
            break;
          }
          case 'saveSnapshot': {
            const name = `soak_${op}`;
            const saved = await dc.custom('saveSnapshot', { name });
            assert.equal(saved.snapshot.icount, here, 'a snapshot is taken where the replay is');
            userSnapshots.push(name);
            expected = here;
            break;
          }
          case 'deleteSnapshot': {
            if (!userSnapshots.length) { expected = here; break; }
            const name = rnd.pick(userSnapshots);
            await dc.custom('deleteSnapshot', { name });
            userSnapshots = userSnapshots.filter((n) => n !== name);
            assert.ok(!(await snapshots()).some((s) => s.name === name));
            expected = here;
            break;
          }
        }
        const now = await icount(dc);
        history.push(`${op}: ${kind} ${here} -> ${now}`);
        const where = `operation ${op} (${kind} from icount ${here}; seed ${SEED}; last: ${history.slice(-5).join(', ')})`;
        if (expected !== undefined) assert.equal(now, expected, `icount after ${where}`);
        check?.(now);
        assert.ok(now >= 0 && now <= end, `icount ${now} within the recording`);
        assert.equal(BigInt(await pc(dc)), oracle[now], `pc at icount ${now} after ${where}`);
        if (op % 25 === 0 || op === OPERATIONS - 1) {
          rss.push(rssKb(adapter));
          assert.deepEqual(childProcessesOf(adapter).sort(), emulator, `still the same QEMU and gdb, nothing more (${where})`);
        }
      }
      const snaps = await snapshots();
      for (const name of userSnapshots) assert.ok(snaps.some((s) => s.name === name), `${name} kept`);
      const auto = snaps.filter((s) => s.kind === 'automatic').reduce((n, s) => n + s.vmStateSize, 0);
      assert.ok(auto <= 2 * 1024 * 1024, `automatic snapshots within their budget (${auto} bytes)`);
    } catch (err) {
      t.diagnostic(`last operations: ${history.slice(-12).join(', ')}; failed: ${current}`);
      t.diagnostic(`last output: ${output.join('').split('\n').slice(-20).join('\n')}`);
      const list = await dc.custom('listSnapshots').then((r) => r.snapshots, () => []);
      t.diagnostic(`snapshots: ${list.map((x) => `${x.name}@${x.icount}`).join(' ')}`);
      throw err;
    } finally {
      t.diagnostic(`operations: ${JSON.stringify(counts)}`);
      t.diagnostic(`adapter RSS (kB) every 25 operations: ${rss.join(' ')}`);
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
    }
    // Bounded: after warm-up, the adapter does not keep growing with the number of operations.
    const warm = rss[Math.min(2, rss.length - 1)];
    assert.ok(Math.max(...rss.slice(2)) - warm < 64 * 1024, `adapter RSS grew from ${warm} kB to ${Math.max(...rss)} kB`);
    assert.ok(Math.max(...rss) < 400 * 1024, `adapter RSS ${Math.max(...rss)} kB`);
    for (const p of emulator) assert.ok(!alive(p), `process ${p} ended with the session`);
  });

  test('reverse continue finds a hit just before where QEMU\'s search windows end (QEMU 7.2 skips it)', async () => {
    const { dc } = await replay(recording, { program: guestElf(arch), snapshotInterval: 0 });
    const output = collectOutput(dc);
    // The snapshots the soak left in the recording take part in QEMU's search windows: listed if this fails.
    const listed = async () => (await dc.custom('listSnapshots').then((r) => r.snapshots, () => [])).map((x) => `${x.name}@${x.icount}`).join(' ');
    const atStart = await listed();
    try {
      // A function called many times; its hits as the oracle sees them; snapshots at one hit and just after it.
      // QEMU searches [target+1, from), then seeks to target, which loads the snapshot there and runs nothing.
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mix' }] });
      await dc.continueToStop();
      const address = BigInt(await pc(dc));
      const hits = oracle.map((p, i) => (p === address ? i : -1)).filter((i) => i >= 0);
      assert.equal(hits[0], await icount(dc));
      const [, , target, next] = hits;
      // Two after a hit: the adapter steps back one and checks it; QEMU's own search then starts one after the hit.
      for (const from of [target + 2, target + 3]) {
        await dc.seek({ icount: from });
        const stop = await dc.reverseContinueToStop();
        assert.equal(await icount(dc), target, `reverse continue from ${from}, no snapshot near: ${JSON.stringify(stop)}`);
      }
      await dc.seek({ icount: target - 29 });
      await dc.custom('saveSnapshot', { name: 'before_hit' });
      for (const from of [target + 2, target + 3]) {
        await dc.seek({ icount: from });
        const stop = await dc.reverseContinueToStop();
        assert.equal(await icount(dc), target, `reverse continue from ${from}, a snapshot just before the hit: ${JSON.stringify(stop)}`);
      }
      await dc.seek({ icount: target });
      await dc.custom('saveSnapshot', { name: 'at_hit' });
      await dc.seek({ icount: target + 1 });
      await dc.custom('saveSnapshot', { name: 'edge' });
      for (const from of [next, next - 5]) {
        await dc.seek({ icount: from });
        const stop = await dc.reverseContinueToStop();
        assert.equal(await icount(dc), target, `reverse continue from ${from}: ${JSON.stringify(stop)}`);
        assert.equal(stop.reason, 'function breakpoint');
        assert.equal(BigInt(await pc(dc)), address);
      }
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await dc.custom('deleteSnapshot', { name: 'edge' });
      await dc.custom('deleteSnapshot', { name: 'at_hit' });
      await dc.custom('deleteSnapshot', { name: 'before_hit' });
    } catch (err) {
      // In the error itself: a CI log's recap of failures shows errors, not diagnostics.
      if (err instanceof Error) {
        const context = `\nafter the soak of seed ${SEED}; snapshots at the start: ${atStart}; now: ${await listed()}` +
          `\nlast output: ${output.join('').split('\n').slice(-12).join('\n')}`;
        err.message += context;
        err.stack += context; // what the reporter prints
      }
      throw err;
    } finally {
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
    }
  });

  test('sessions started and stopped in a row leave no process, socket directory or temporary file', async (t) => {
    const parent = path.dirname(recording);
    const before = readdirSync(parent).sort();
    const records = tempDir('qr-soak-rec-');
    const started = Date.now();
    for (let i = 0; i < SESSIONS; i++) {
      // Mostly replays (stopped in different ways); every fifth a short recording.
      const recordThis = i % 5 === 4;
      const dc = await startClient();
      let socketDir: string;
      let kids: number[];
      const dir = path.join(records, `r${i}`);
      try {
        await dc.stopAfter(() => launchSession(dc, recordThis
          ? { mode: 'record', program: guestElf(arch), recording: dir }
          : { mode: 'replay', program: guestElf(arch), recording, snapshotInterval: 0 }));
        socketDir = socketDirOf(dc);
        kids = childProcessesOf(dc.adapterPid);
        assert.equal(kids.length, 2);
        if (!recordThis && i % 2 === 0) await dc.seek({ icount: 1000 + i });
        if (i % 3 === 0) await dc.disconnectRequest({});
        else await dc.terminateRequest();
      } finally {
        await dc.stop();
      }
      const deadline = Date.now() + 5_000;
      while (kids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      assert.ok(!kids.some(alive), `session ${i}: QEMU and gdb ended`);
      assert.ok(!existsSync(socketDir), `session ${i}: its private socket directory is removed`);
      if (recordThis) {
        assert.ok(existsSync(path.join(dir, 'recording.json')), `session ${i}: the interrupted recording is complete`);
        assert.deepEqual(readdirSync(records).filter((n) => n.includes('.partial-')), [], 'no partial recording left');
      }
    }
    t.diagnostic(`${SESSIONS} sessions in ${Date.now() - started} ms`);
    assert.deepEqual(readdirSync(parent).sort(), before, 'nothing new beside the recording');
    assert.deepEqual(readdirSync(recording).sort(), ['kernel', 'recording.json', 'replay.bin', 'serial.txt', 'snapshots.qcow2']);
    cleanup(path.join(records, 'x'));
  });
});
