import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotInfo } from '../../common/protocol';
import { nearestSnapshot, snapshotNameProblem, snapshotRows } from '../../common/ui-snapshots';

const now = 1_700_000_000_000;
const snap = (name: string, icount: number, kind: SnapshotInfo['kind'] = 'automatic', date = now - 60_000): SnapshotInfo =>
  ({ name, id: name, icount, date, vmStateSize: 614_400, kind });

const init = snap('init', 0, 'initial', now - 600_000);
const auto1 = snap('auto-1', 1_000_000);
const user = snap('before-crash', 2_500_000, 'user', now - 3_000);
const auto2 = snap('auto-2', 4_000_000);
const all = [auto2, user, init, auto1];   // the adapter's order is not guaranteed

void test('nearest snapshot is the latest at or before the position', () => {
  assert.equal(nearestSnapshot(all, 0)?.name, 'init');
  assert.equal(nearestSnapshot(all, 999_999)?.name, 'init');
  assert.equal(nearestSnapshot(all, 1_000_000)?.name, 'auto-1');
  assert.equal(nearestSnapshot(all, 3_000_000)?.name, 'before-crash');
  assert.equal(nearestSnapshot(all, 9e9)?.name, 'auto-2');
});

void test('no snapshot at or before the position', () => {
  assert.equal(nearestSnapshot([], 5), undefined);
  assert.equal(nearestSnapshot([auto1], 5), undefined);
});

void test('two snapshots at one icount: the user\'s, then the newer one', () => {
  const older = snap('a', 100, 'automatic', now - 10_000);
  const newer = snap('b', 100, 'automatic', now - 1_000);
  assert.equal(nearestSnapshot([newer, older], 150)?.name, 'b');
  assert.equal(nearestSnapshot([older, newer], 150)?.name, 'b');
  const mine = snap('mine', 100, 'user', now - 60_000);
  assert.equal(nearestSnapshot([older, newer, mine], 150)?.name, 'mine');
  assert.equal(nearestSnapshot([mine, newer], 100)?.name, 'mine');
  assert.equal(nearestSnapshot([snap('init', 0, 'initial', now), snap('auto', 0, 'automatic', now - 5)], 0)?.name, 'auto');
});

void test('rows are in icount order with name, icount, kind, size, age; one is marked', () => {
  const rows = snapshotRows(all, 3_000_000, now);
  assert.deepEqual(rows.map((r) => r.name), ['init', 'auto-1', 'before-crash', 'auto-2']);
  assert.deepEqual(rows.map((r) => r.current), [false, false, true, false]);
  assert.ok(rows.every((r) => !r.atPosition));
  const row = rows[2];
  assert.equal(row.label, 'before-crash');
  assert.equal(row.description, '2,500,000 · user · 600 KiB · just now');
  assert.match(row.tooltip, /before-crash \(user snapshot\)\nicount 2,500,000\nvm state 600 KiB\nsaved just now\nthe nearest snapshot before/);
  assert.equal(rows[0].description, '0 · initial · 600 KiB · 10 min ago');
});

void test('exactly at a snapshot', () => {
  const rows = snapshotRows(all, 1_000_000, now);
  const here = rows.find((r) => r.current);
  assert.equal(here?.name, 'auto-1');
  assert.equal(here?.atPosition, true);
  assert.match(here?.tooltip ?? '', /the replay is here/);
});

void test('no position known (recording): nothing marked', () => {
  const rows = snapshotRows(all, undefined, now);
  assert.equal(rows.length, 4);
  assert.ok(rows.every((r) => !r.current && !r.atPosition));
});

void test('snapshot names for "Save Snapshot Here…"', () => {
  assert.equal(snapshotNameProblem('', ['init']), undefined);
  assert.equal(snapshotNameProblem('before-crash_2.v1', ['init']), undefined);
  assert.match(snapshotNameProblem('init', ['init']) ?? '', /already exists/);
  for (const bad of ['with space', '-leading', 'semi;colon', 'a'.repeat(65), 'ünï']) {
    assert.match(snapshotNameProblem(bad, []) ?? '', /letters, digits/, bad);
  }
});
