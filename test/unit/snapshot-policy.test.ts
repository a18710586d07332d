import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotInfo } from '../../common/protocol';
import { SnapshotPolicy } from '../../adapter/engine/snapshots';

const snap = (name: string, icount: number, date = 0, vmStateSize = 600_000): SnapshotInfo =>
  ({ name, id: name, icount, date, vmStateSize, kind: name === 'init' ? 'initial' : name.startsWith('auto-') ? 'automatic' : 'user' });
const policy = new SnapshotPolicy({ interval: 10_000_000, budgetBytes: 512 * 2 ** 20 });
const init = snap('init', 0);

void test('near the position: a ladder 1e6 and 1e5 behind when the grid is far behind', () => {
  assert.deepEqual(policy.nearPoints(55_000_000, [init, snap('auto-r5', 50_000_000)]), [54_000_000, 54_900_000]);
});

void test('near the position: only the rungs that nothing covers yet', () => {
  // A snapshot 1.5e6 behind covers the 1e6 rung (within twice its distance), not the 1e5 one.
  assert.deepEqual(policy.nearPoints(51_500_000, [init, snap('auto-r5', 50_000_000)]), [51_400_000]);
  // One 1.5e5 behind covers both.
  assert.deepEqual(policy.nearPoints(50_150_000, [init, snap('auto-r5', 50_000_000)]), []);
  // Snapshots after the position do not count.
  assert.deepEqual(policy.nearPoints(3_000_000, [init, snap('auto-r1', 3_000_001)]), [2_000_000, 2_900_000]);
});

void test('near the position: nothing when the policy is off', () => {
  assert.deepEqual(new SnapshotPolicy({ interval: 0, budgetBytes: 0 }).nearPoints(5e8, [init]), []);
});

void test('near-position snapshots: the most recent are kept, older ones go, others are never touched', () => {
  const near = Array.from({ length: 11 }, (_, i) => snap(`auto-near-${i * 1000}`, i * 1000, 1000 + i));
  const stale = policy.staleNearSnapshots([init, snap('auto-r1', 12_000_000), snap('mine', 5), ...near]);
  assert.deepEqual(stale.map((s) => s.name), ['auto-near-2000', 'auto-near-1000', 'auto-near-0']);
});

void test('grid points as replay advances: skip where a snapshot is within half an interval', () => {
  assert.equal(policy.nextPoint(0, 1e9, [init]), 10_000_000);
  assert.equal(policy.nextPoint(0, 1e9, [init, snap('auto-r1', 11_000_000)]), 20_000_000);
  assert.equal(policy.nextPoint(0, 15_000_000, [init, snap('auto-r1', 11_000_000)]), undefined);
});

void test('budget: evicts the automatic snapshot whose removal leaves the smallest gap', () => {
  const small = new SnapshotPolicy({ interval: 1000, budgetBytes: 1_000_000 });
  const list = [init, snap('auto-1000', 1000), snap('auto-1100', 1100), snap('auto-5000', 5000), snap('user', 1050)];
  // auto-1000 merges 0..1050 (1050); then auto-5000 (its gap back to 1100: 3900) before auto-1100 (1050..5000: 3950).
  assert.deepEqual(small.evictions(list).map((s) => s.name), ['auto-1000', 'auto-5000']);
});

void test('budget: the configured one, else 256 MiB per 1e9 recorded instructions and at least 128 MiB', () => {
  assert.equal(new SnapshotPolicy({ interval: 1e7, budgetBytes: 5 * 2 ** 20 }).budget(4e9), 5 * 2 ** 20);
  const auto = new SnapshotPolicy({ interval: 1e7 });
  assert.equal(auto.budget(1e9), 256 * 2 ** 20);
  assert.equal(auto.budget(2e9), 512 * 2 ** 20);
  assert.equal(auto.budget(1e8), 128 * 2 ** 20);
});

void test('spacing: the interval for small snapshots, sparser where the grid would not fit half the budget', () => {
  const auto = new SnapshotPolicy({ interval: 1e7 });
  assert.equal(auto.spacing(600_000, 1e9), 1e7); // the sample guest: 100 of them take 60 MB
  // A kernel's 45 MB snapshots in a 1e9 recording: half of 256 MiB holds ~3 of them; the spacing stays on the interval's grid.
  const kernel = auto.spacing(45 * 2 ** 20, 1e9);
  assert.ok(kernel > 3.4e8 && kernel <= 3.6e8 && kernel % 1e7 === 0, String(kernel));
  assert.ok((1e9 / kernel) * 45 * 2 ** 20 <= auto.budget(1e9) / 2);
});

void test('budget on disk: evicts until the image plus the incoming snapshot fits, never protected or non-automatic ones', () => {
  const p = new SnapshotPolicy({ interval: 1000, budgetBytes: 100 });
  const list = [snap('init', 0, 0, 30), snap('auto-1000', 1000, 0, 20), snap('auto-near-1900', 1900, 0, 20), snap('auto-2000', 2000, 0, 20), snap('mine', 3000, 0, 20)];
  assert.deepEqual(p.evictions(list, { diskBytes: 110, incomingBytes: 0 }).map((s) => s.name), ['auto-near-1900']);
  // Then auto-1000 (0..2000) and auto-2000 (1000..3000) leave equal gaps: the earlier goes.
  assert.deepEqual(p.evictions(list, { diskBytes: 110, incomingBytes: 20 }).map((s) => s.name), ['auto-near-1900', 'auto-1000']);
  assert.deepEqual(p.evictions(list, { diskBytes: 110, incomingBytes: 0, protect: new Set(['auto-near-1900']) }).map((s) => s.name), ['auto-2000']);
  // Nothing left to evict: it stops (the caller then takes no snapshot).
  assert.equal(p.evictions(list, { diskBytes: 500 }).length, 3);
});

void test('expected snapshot size: the largest of the recent ones', () => {
  assert.equal(SnapshotPolicy.expectedBytes([snap('init', 0, 1, 26), snap('auto-1', 1, 2, 45), snap('auto-2', 2, 3, 44)]), 45);
  assert.equal(SnapshotPolicy.expectedBytes([]), 0);
});

void test('budget with the position known: near-position snapshots go first, the furthest from it first; then the grid by gaps', () => {
  const p = new SnapshotPolicy({ interval: 1000, budgetBytes: 100 });
  const list = [snap('init', 0, 0, 20), snap('auto-1000', 1000, 0, 20), snap('auto-near-1100', 1100, 0, 20), snap('auto-near-1900', 1900, 0, 20), snap('auto-near-2600', 2600, 0, 20)];
  // By gaps alone auto-near-1100 (1000..1900) would go; at 2700 the user works near 2600 and 1900: 1100 is furthest.
  assert.deepEqual(p.evictions(list, { diskBytes: 100, incomingBytes: 20, position: 2700 }).map((s) => s.name), ['auto-near-1100']);
  // At 1000, 2600 is furthest; then 1900.
  assert.deepEqual(p.evictions(list, { diskBytes: 100, incomingBytes: 40, position: 1000 }).map((s) => s.name), ['auto-near-2600', 'auto-near-1900']);
  // Protected near ones stay; with no near one left, the grid by gaps (auto-1000, between init and auto-near-1100).
  assert.deepEqual(p.evictions(list, { diskBytes: 100, incomingBytes: 40, position: 2700, protect: new Set(['auto-near-1100', 'auto-near-1900', 'auto-near-2600']) }).map((s) => s.name), ['auto-1000']);
});
