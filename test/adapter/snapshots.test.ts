/**
 * Snapshots and time-travel bad input on real QEMU: save/list/delete/seek, the automatic policy and its budget,
 * persistence across sessions; refused seeks, icount breakpoints and snapshot names — QEMU never crashes or exits.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SnapshotInfo } from '../../common/protocol';
import { SnapshotPolicy } from '../../adapter/engine/snapshots';
import { cleanup, guestElf, icount, launchSession, ReplayDebugClient, replayFixture, startClient, tempDir } from './support';

const arch = 'aarch64';

async function snapshots(dc: ReplayDebugClient): Promise<SnapshotInfo[]> {
  return (await dc.custom('listSnapshots')).snapshots;
}
async function rejects(refusal: Promise<DebugProtocol.Response>, message: RegExp): Promise<void> {
  const text = (await refusal).message ?? '';
  assert.match(text, message);
  assert.doesNotMatch(text, /Internal error|\n\s+at /);
}

describe('snapshots', () => {
  const session = replayFixture(arch, { launch: { snapshotInterval: 4000, snapshotBudgetMB: 2 } });

  test('the initial snapshot is listed at icount 0', async () => {
    const { dc } = session;
    const list = await snapshots(dc);
    assert.deepEqual(list.map((s) => [s.name, s.icount, s.kind]), [['init', 0, 'initial']]);
    assert.ok(list[0].vmStateSize > 100_000);
  });

  test('save, list with the exact icount, seek to it, delete', async () => {
    const { dc } = session;
    await dc.seek({ icount: 2500 });
    const changed = dc.expectEvent('snapshotsChanged');
    const saved = await dc.custom('saveSnapshot', { name: 'before-loop' });
    assert.equal(saved.snapshot.icount, 2500);
    assert.equal(saved.snapshot.kind, 'user');
    assert.ok((await changed).snapshots.some((s) => s.name === 'before-loop'));
    const unnamed = await dc.custom('saveSnapshot', {});
    assert.equal(unnamed.snapshot.icount, 2500);
    await dc.seek({ icount: 9000 });
    await dc.seek({ snapshot: 'before-loop' });
    assert.equal(await icount(dc), 2500);
    await dc.custom('deleteSnapshot', { name: unnamed.snapshot.name });
    assert.ok(!(await snapshots(dc)).some((s) => s.name === unnamed.snapshot.name));
  });

  test('bad snapshot requests are refused with a reason', async () => {
    const { dc } = session;
    await rejects(dc.refusal('saveSnapshot', { name: 'before-loop' }), /already exists/);
    await rejects(dc.refusal('saveSnapshot', { name: '   ' }), /non-empty/);
    await rejects(dc.refusal('saveSnapshot', { name: 'a b;quit' }), /not a valid snapshot name/);
    await rejects(dc.refusal('saveSnapshot', { name: '12' }), /not a valid snapshot name/);
    await rejects(dc.refusal('deleteSnapshot', { name: 'init' }), /initial snapshot .* cannot be deleted/);
    await rejects(dc.refusal('deleteSnapshot', { name: 'nope' }), /No snapshot named "nope"/);
    await rejects(dc.refusal('seek', { snapshot: 'nope' }), /No snapshot named "nope"/);
  });

  test('automatic snapshots appear as replay advances, within the budget', async () => {
    const { dc } = session;
    await dc.seek({ icount: 0 });
    await dc.continueToStop();
    const list = await snapshots(dc);
    const auto = list.filter((s) => s.kind === 'automatic');
    assert.ok(auto.length >= 1, `automatic snapshots: ${list.map((s) => `${s.name}@${s.icount}`).join(' ')}`);
    for (const s of auto) assert.equal(s.icount % 4000, 0, 'placed on the interval');
    const used = auto.reduce((n, s) => n + s.vmStateSize, 0);
    assert.ok(used <= 2 * 1024 * 1024, `within the 2 MB budget (${used} bytes)`);
    // 4 interval points fit in this recording, but the 2 MB budget holds only 3 snapshots of ~0.6 MB.
    assert.ok(auto.length <= 3);
  });

  test('snapshots placed near the position while the user is idle do not show as moves', async (t) => {
    const { dc } = session;
    await dc.seek({ icount: 0 });
    // Where the engine will place them: 400 and 40 before the position (fewer if a snapshot is that close already).
    const points = new SnapshotPolicy({ interval: 4000, budgetBytes: 2 * 1024 * 1024 }).nearPoints(9000, await snapshots(dc));
    assert.ok(points.length > 0, 'there is something to place near 9000');
    const placing = dc.expectEvent('snapshotsChanged', { timeout: 10_000 });
    await dc.seek({ icount: 9000 });
    // From here on, what the user sees: stop events, replayState events and replayInfo answers.
    const seen = new Set<number>();
    let stops = 0;
    let saves = 0;
    const onStop = () => { stops++; };
    const onState = (e: { body: { icount: number } }) => { seen.add(e.body.icount); };
    const onSaved = () => { saves++; };
    dc.on('stopped', onStop);
    dc.on('replayState', onState);
    dc.on('snapshotsChanged', onSaved);
    try {
      // The engine replays to each point, saves there (snapshotsChanged; the 2 MB budget may evict them again) and
      // comes back, on its own, once the session is idle: any request would postpone it, so none is sent until
      // the first snapshot is saved. Then the position is asked for all along until the last is saved, and once
      // more after (that answer waits for the seek back).
      await placing;
      const deadline = Date.now() + 20_000;
      let asked = 0;
      while (saves < points.length) {
        seen.add(await icount(dc));
        asked++;
        assert.ok(Date.now() < deadline, `the engine saved ${saves} of ${points.length} snapshots near 9000 within 20 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      seen.add(await icount(dc));
      t.diagnostic(`asked for the position ${asked + 1} times while snapshots were placed at ${points.join(', ')}`);
    } finally {
      dc.off('stopped', onStop);
      dc.off('replayState', onState);
      dc.off('snapshotsChanged', onSaved);
    }
    assert.deepEqual([...seen], [9000]);
    assert.equal(stops, 0, 'no stop shown');
    assert.equal(await icount(dc), 9000);
  });

  test('seek refuses negative, fractional and beyond-end icounts, and QEMU stays alive', async () => {
    const { dc, end } = session;
    await rejects(dc.refusal('seek', { icount: -1 }), /negative/);
    await rejects(dc.refusal('seek', { icount: 12.5 }), /whole number/);
    await rejects(dc.refusal('seek', { icount: end + 1 }), /beyond the end of the recording/);
    await rejects(dc.refusal('seek', { icount: 2 ** 64 }), /beyond the end/);
    await rejects(dc.refusal('seek', { icount: '100' }), /must be a number/);
    await rejects(dc.refusal('seek', {}), /exactly one of/);
    await rejects(dc.refusal('seek', { to: 'middle' }), /"start" or "end"/);
    await dc.seek({ to: 'end' });
    assert.equal(await icount(dc), end);
    await dc.seek({ to: 'start' });
    assert.equal(await icount(dc), 0);
  });

  test('icount breakpoints beyond the end or malformed are unverified with a reason', async () => {
    const { dc, end } = session;
    const r = await dc.custom('setIcountBreakpoints', { icounts: [100, end + 5, -3, 1.5] });
    assert.deepEqual(r.breakpoints.map((b) => b.verified), [true, false, false, false]);
    assert.match(r.breakpoints[1].message ?? '', /beyond the end/);
    assert.match(r.breakpoints[2].message ?? '', /negative/);
    // One behind the position serves reverse continue; forward runs never hand it to QEMU (it would refuse it).
    await dc.seek({ icount: 5000 });
    await dc.custom('setIcountBreakpoints', { icounts: [100, 6000] });
    await dc.continueToStop();
    assert.equal(await icount(dc), 6000);
    await dc.reverseContinueToStop();
    assert.equal(await icount(dc), 100);
    await dc.custom('setIcountBreakpoints', { icounts: [] });
  });

  test('replay is read-only: writes are refused with the reason', async () => {
    const { dc } = session;
    await rejects(dc.refusal('setVariable', { variablesReference: 1, name: 'x', value: '1' }), /read-only.*desynchronise/);
    await rejects(dc.refusal('writeMemory', { memoryReference: '0x40000000', data: 'AAAA' }), /read-only/);
    await rejects(dc.refusal('setExpression', { expression: 'counter', value: '3' }), /read-only/);
  });

  test('snapshots persist in the recording for the next session', async () => {
    await session.restart({});
    const names = (await snapshots(session.dc)).map((s) => s.name);
    assert.ok(names.includes('before-loop'), names.join(' '));
  });
});

describe('time travel in a record session', () => {
  test('seek, icount breakpoints and step back are refused readably while recording', async () => {
    const dir = `${tempDir()}/rec`;
    const dc = await startClient();
    try {
      await dc.stopAfter(() => launchSession(dc, { mode: 'record', program: guestElf(arch), recording: dir }));
      await rejects(dc.refusal('seek', { icount: 10 }), /needs a replay session.*being recorded/);
      const r = await dc.custom('setIcountBreakpoints', { icounts: [10] });
      assert.equal(r.breakpoints[0].verified, false);
      assert.match(r.breakpoints[0].message ?? '', /only in play mode/);
      await rejects(dc.refusal('stepBack', { threadId: 1 }), /needs a replay session/);
    } finally {
      await dc.terminateRequest().catch(() => undefined);
      await dc.stop();
      cleanup(dir);
    }
  });
});
