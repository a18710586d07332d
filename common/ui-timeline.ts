/**
 * Scale, zoom and pan math of the replay timeline: which icount range is visible and where an icount is drawn.
 * Pure (no DOM) so the webview's drawing and its unit tests share it. Icounts are plain numbers: recordings stay far
 * below 2^53 instructions.
 */

/** The visible icount range, `start < end`, both inside [0, total]. Fractional while zooming. */
export interface Viewport {
  start: number;
  end: number;
}

/** Never zoom in further than this many instructions across the whole width. */
export const MIN_SPAN = 16;

/** The whole recording; a recording of length 0 still gets a drawable range. */
export function fullViewport(total: number): Viewport {
  return { start: 0, end: Math.max(total, 1) };
}

/** Keeps a viewport inside [0, total] and at least MIN_SPAN (or the whole recording) wide. */
export function clampViewport(vp: Viewport, total: number): Viewport {
  const limit = Math.max(total, 1);
  const span = Math.min(Math.max(vp.end - vp.start, Math.min(MIN_SPAN, limit)), limit);
  let start = Math.min(Math.max(vp.start, 0), limit - span);
  if (!Number.isFinite(start)) start = 0;
  return { start, end: start + span };
}

/** The x pixel (0..width) of an icount; outside the range gives x outside 0..width. */
export function icountToX(icount: number, vp: Viewport, width: number): number {
  return ((icount - vp.start) / (vp.end - vp.start)) * width;
}

/** The whole icount under pixel x, clamped to [0, total]. */
export function xToIcount(x: number, vp: Viewport, width: number, total: number): number {
  const icount = Math.round(vp.start + (x / Math.max(width, 1)) * (vp.end - vp.start));
  return Math.min(Math.max(icount, 0), Math.max(total, 0));
}

/**
 * Zooms by `factor` (> 1 zooms in) keeping `anchor` (an icount, usually under the pointer) at the same pixel, so the
 * point the user looks at does not move.
 */
export function zoomAt(vp: Viewport, factor: number, anchor: number, total: number): Viewport {
  const span = vp.end - vp.start;
  const limit = Math.max(total, 1);
  const newSpan = Math.min(Math.max(span / factor, Math.min(MIN_SPAN, limit)), limit);
  const ratio = span > 0 ? (anchor - vp.start) / span : 0;
  const start = anchor - ratio * newSpan;
  return clampViewport({ start, end: start + newSpan }, total);
}

/** Moves the view by `delta` instructions (negative: towards the start), stopping at the ends. */
export function pan(vp: Viewport, delta: number, total: number): Viewport {
  return clampViewport({ start: vp.start + delta, end: vp.end + delta }, total);
}

/** Pans the least needed so `icount` is inside the view with `margin` (fraction of the span) around it. */
export function ensureVisible(vp: Viewport, icount: number, total: number, margin = 0.05): Viewport {
  const span = vp.end - vp.start;
  const pad = span * margin;
  if (icount < vp.start + pad) return pan(vp, icount - pad - vp.start, total);
  if (icount > vp.end - pad) return pan(vp, icount + pad - vp.end, total);
  return vp;
}

/**
 * Axis tick positions: a "nice" step (1, 2 or 5 × 10^k whole instructions) so that ticks are at least
 * `minPixels` apart. Returns the ticks inside the viewport, in order.
 */
export function ticks(vp: Viewport, width: number, minPixels = 80): number[] {
  const span = vp.end - vp.start;
  if (!(span > 0) || !(width > 0)) return [];
  const rough = (span * minPixels) / width;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const out: number[] = [];
  for (let t = Math.ceil(vp.start / step) * step; t <= vp.end; t += step) out.push(t);
  return out;
}

/** The keyboard cursor's step: 1 % of the visible span (10 % with Shift), at least one instruction. */
export function keyboardStep(vp: Viewport, large: boolean): number {
  return Math.max(1, Math.round((vp.end - vp.start) * (large ? 0.1 : 0.01)));
}

/** The nearest marker strictly after (direction 1) or before (-1) `from`, for jumping between markers. */
export function nextMarker(markers: readonly number[], from: number, direction: 1 | -1): number | undefined {
  let best: number | undefined;
  for (const m of markers) {
    if (direction > 0 ? m > from && (best === undefined || m < best) : m < from && (best === undefined || m > best)) {
      best = m;
    }
  }
  return best;
}

/** A mark drawn for one or more icounts that fall within a few pixels of each other. */
export interface ThinnedMark {
  /** The first icount of the group (where a click goes). */
  icount: number;
  /** How many icounts the mark stands for. */
  count: number;
  /** The last icount of the group. */
  last: number;
}

/**
 * The marks to draw for `sorted` icounts (ascending) in `vp`: those closer than `minPixels` to the previous mark
 * join it, so 10,000 hits draw at most one mark every `minPixels` pixels, and only those inside the view.
 */
export function thinMarks(sorted: readonly number[], vp: Viewport, width: number, minPixels = 3): ThinnedMark[] {
  const out: ThinnedMark[] = [];
  let lastX = Number.NEGATIVE_INFINITY;
  // The first icount inside the view: the list can be long, find it by bisection.
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < vp.start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < sorted.length && sorted[i] <= vp.end; i++) {
    const icount = sorted[i];
    const x = icountToX(icount, vp, width);
    const current = out[out.length - 1];
    if (current && x - lastX < minPixels) {
      current.count++;
      current.last = icount;
      continue;
    }
    out.push({ icount, count: 1, last: icount });
    lastX = x;
  }
  return out;
}
