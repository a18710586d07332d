import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIN_SPAN, clampViewport, ensureVisible, fullViewport, icountToX, keyboardStep, nextMarker, pan, ticks, xToIcount,
  zoomAt,
} from '../../common/ui-timeline';

const total = 10_000_000;
const full = fullViewport(total);

void test('full view maps 0 and the end to the edges', () => {
  assert.deepEqual(full, { start: 0, end: total });
  assert.equal(icountToX(0, full, 1000), 0);
  assert.equal(icountToX(total, full, 1000), 1000);
  assert.equal(icountToX(2_500_000, full, 1000), 250);
  assert.deepEqual(fullViewport(0), { start: 0, end: 1 });
});

void test('pixel to icount is whole, inverse of icountToX, and clamped', () => {
  assert.equal(xToIcount(250, full, 1000, total), 2_500_000);
  assert.equal(xToIcount(333.3, full, 1000, total), 3_333_000);
  assert.equal(xToIcount(-50, full, 1000, total), 0);
  assert.equal(xToIcount(5000, full, 1000, total), total);
  const vp = { start: 1000, end: 2000 };
  for (const icount of [1000, 1234, 1999, 2000]) assert.equal(xToIcount(icountToX(icount, vp, 777), vp, 777, total), icount);
});

void test('zoom keeps the anchor under the same pixel', () => {
  const anchor = 3_000_000;
  const before = icountToX(anchor, full, 1000);
  const zoomed = zoomAt(full, 4, anchor, total);
  assert.equal(zoomed.end - zoomed.start, total / 4);
  assert.ok(Math.abs(icountToX(anchor, zoomed, 1000) - before) < 1e-6);
  const back = zoomAt(zoomed, 0.25, anchor, total);
  assert.deepEqual(back, full);
});

void test('zoom stops at MIN_SPAN and at the whole recording', () => {
  let vp = full;
  for (let i = 0; i < 100; i++) vp = zoomAt(vp, 10, 5_000_000, total);
  assert.equal(vp.end - vp.start, MIN_SPAN);
  assert.ok(vp.start <= 5_000_000 && vp.end >= 5_000_000);
  assert.deepEqual(zoomAt(full, 0.1, 5_000_000, total), full);
  // a tiny recording cannot be zoomed past its own length
  assert.deepEqual(zoomAt(fullViewport(5), 10, 2, 5), { start: 0, end: 5 });
});

void test('zooming near an end keeps the view inside the recording', () => {
  const vp = zoomAt(full, 10, 0, total);
  assert.deepEqual(vp, { start: 0, end: 1_000_000 });
  const atEnd = zoomAt(full, 10, total, total);
  assert.deepEqual(atEnd, { start: 9_000_000, end: total });
});

void test('pan stops at the ends and keeps the span', () => {
  const vp = { start: 1_000_000, end: 2_000_000 };
  assert.deepEqual(pan(vp, 500_000, total), { start: 1_500_000, end: 2_500_000 });
  assert.deepEqual(pan(vp, -5_000_000, total), { start: 0, end: 1_000_000 });
  assert.deepEqual(pan(vp, 50_000_000, total), { start: 9_000_000, end: total });
  assert.deepEqual(clampViewport({ start: -5, end: 3 }, total), { start: 0, end: MIN_SPAN });
});

void test('ensureVisible pans only when needed', () => {
  const vp = { start: 1_000_000, end: 2_000_000 };
  assert.equal(ensureVisible(vp, 1_500_000, total), vp);
  const moved = ensureVisible(vp, 3_000_000, total);
  assert.equal(moved.end - moved.start, 1_000_000);
  assert.ok(moved.start < 3_000_000 && moved.end > 3_000_000);
  const left = ensureVisible(vp, 0, total);
  assert.equal(left.start, 0);
});

void test('ticks: nice steps, at least minPixels apart, inside the view', () => {
  const t = ticks(full, 1000, 80);
  assert.deepEqual(t, [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000, 7_000_000, 8_000_000,
    9_000_000, 10_000_000]);
  const zoomed = ticks({ start: 1234, end: 1334 }, 500, 80);
  assert.deepEqual(zoomed, [1240, 1260, 1280, 1300, 1320]);
  for (const [vp, width] of [[full, 313], [{ start: 17, end: 53 }, 900], [{ start: 0, end: 3e11 }, 1200]] as const) {
    const ts = ticks(vp, width, 80);
    assert.ok(ts.length >= 2, JSON.stringify(vp));
    for (let i = 1; i < ts.length; i++) assert.ok(icountToX(ts[i], vp, width) - icountToX(ts[i - 1], vp, width) >= 80 - 1e-9);
    assert.ok(ts.every((x) => x >= vp.start && x <= vp.end && Number.isInteger(x)));
  }
  assert.deepEqual(ticks(full, 0), []);
});

void test('keyboard step and marker jumps', () => {
  assert.equal(keyboardStep(full, false), 100_000);
  assert.equal(keyboardStep(full, true), 1_000_000);
  assert.equal(keyboardStep({ start: 0, end: 16 }, false), 1);
  const markers = [0, 500, 1500, 1500, 9000];
  assert.equal(nextMarker(markers, 500, 1), 1500);
  assert.equal(nextMarker(markers, 500, -1), 0);
  assert.equal(nextMarker(markers, 9000, 1), undefined);
  assert.equal(nextMarker(markers, 0, -1), undefined);
});
