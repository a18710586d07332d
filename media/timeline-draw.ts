/**
 * Drawing of the timeline's axis as SVG (no innerHTML with data: snapshot names are never parsed as markup).
 * Pure functions of the state and the viewport; the controller (timeline.ts) owns events and state.
 */
import { formatBytes, formatIcount, formatIcountShort } from '../common/ui-icount';
import type { TimelineSession } from '../common/ui-messages';
import { icountToX, thinMarks, ticks, type Viewport } from '../common/ui-timeline';

const SVG = 'http://www.w3.org/2000/svg';
export const HEIGHT = 152;
/** Rows of the drawing, top to bottom. */
const Y = { snapshot: 22, breakpoint: 46, hit: 68, stop: 90, axis: 112, label: 130 };

export interface Marker {
  kind: 'snapshot' | 'breakpoint' | 'stop' | 'hit';
  icount: number;
  x: number;
  /** Hover and screen-reader text. */
  text: string;
  /** For snapshots: their name (clicking goes there). */
  name?: string;
}

export interface Drawing {
  markers: Marker[];
  counts: { snapshots: number; breakpoints: number; stops: number; hits: number };
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent.appendChild(node);
  return node;
}

function titled(node: SVGElement, text: string): void {
  const t = document.createElementNS(SVG, 'title');
  t.textContent = text;
  node.appendChild(t);
}

const inView = (x: number, width: number): boolean => x >= -8 && x <= width + 8;

/**
 * Redraws the whole axis for `session` in `vp`; `cursor` is the keyboard cursor, `preview` a drag in progress. One
 * function (92 lines): the layers are drawn in order onto one canvas state, back to front.
 */
export function draw(
  svg: SVGSVGElement, session: TimelineSession, vp: Viewport, width: number, cursor?: number, preview?: number,
): Drawing {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(HEIGHT));
  const markers: Marker[] = [];
  const x = (icount: number): number => icountToX(icount, vp, width);

  // Row labels help the eye without a legend lookup.
  for (const [label, y] of [['snapshots', Y.snapshot], ['breakpoints', Y.breakpoint], ['known hits', Y.hit], ['stops', Y.stop]] as const) {
    el('text', { x: 4, y: y - 10, class: 'row-label' }, svg).textContent = label;
  }

  // The axis and its ticks.
  el('line', { x1: 0, x2: width, y1: Y.axis, y2: Y.axis, class: 'axis' }, svg);
  const recorded = session.endIcount ?? session.icount;
  const endX = x(recorded);
  if (endX < width) el('rect', { x: Math.max(endX, 0), y: 0, width: width - Math.max(endX, 0), height: HEIGHT, class: 'beyond' }, svg);
  for (const t of ticks(vp, width, 90)) {
    const tx = x(t);
    el('line', { x1: tx, x2: tx, y1: Y.axis - 4, y2: Y.axis + 4, class: 'tick' }, svg);
    const label = el('text', { x: tx, y: Y.label, class: 'tick-label', 'text-anchor': 'middle' }, svg);
    label.textContent = formatIcountShort(t);
  }

  const cx = x(session.icount);
  if (inView(cx, width)) el('line', { x1: cx, x2: cx, y1: 6, y2: Y.axis + 8, class: 'position' }, svg);

  // Stops: a trail in the order the session stopped (breakpoint hits stand out).
  const stops = session.stops.filter((s) => inView(x(s.icount), width));
  // Arcs from each stop to the next show the order (and direction) of the session's jumps.
  if (session.stops.length > 1) {
    const d = session.stops.slice(1).map((s, i) => {
      const x0 = x(session.stops[i].icount);
      const x1 = x(s.icount);
      return `M${x0},${Y.stop} Q${(x0 + x1) / 2},${Y.stop - 16} ${x1},${Y.stop}`;
    }).join(' ');
    el('path', { d, class: 'trail' }, svg);
  }
  for (const s of stops) {
    const sx = x(s.icount);
    const hit = /breakpoint/.test(s.reason);
    const dot = el('circle', { cx: sx, cy: Y.stop, r: hit ? 4 : 2.5, class: hit ? 'stop stop-hit' : 'stop' }, svg);
    const text = `Stopped (${s.reason}) at icount ${formatIcount(s.icount)}`;
    titled(dot, text);
    markers.push({ kind: 'stop', icount: s.icount, x: sx, text });
  }

  // Known hits (Recording History): one mark per few pixels, a taller one where several hits share it.
  for (const m of thinMarks(session.hits ?? [], vp, width)) {
    const hx = x(m.icount);
    const many = m.count > 1;
    const mark = el('rect', { x: hx - 1, y: Y.hit - (many ? 7 : 5), width: 2, height: many ? 14 : 10, class: many ? 'hit hit-many' : 'hit' }, svg);
    const text = many
      ? `${formatIcount(m.count)} hits, icount ${formatIcount(m.icount)} – ${formatIcount(m.last)} (click: the first)`
      : `Hit at icount ${formatIcount(m.icount)}`;
    titled(mark, text);
    markers.push({ kind: 'hit', icount: m.icount, x: hx, text });
  }

  for (const b of session.icountBreakpoints) {
    const bx = x(b);
    if (!inView(bx, width)) continue;
    const dot = el('circle', { cx: bx, cy: Y.breakpoint, r: 5, class: 'breakpoint' }, svg);
    const text = `Icount breakpoint at ${formatIcount(b)}`;
    titled(dot, text);
    markers.push({ kind: 'breakpoint', icount: b, x: bx, text });
  }

  for (const s of session.snapshots) {
    const sx = x(s.icount);
    if (!inView(sx, width)) continue;
    const r = 6;
    const diamond = el('polygon', {
      points: `${sx},${Y.snapshot - r} ${sx + r},${Y.snapshot} ${sx},${Y.snapshot + r} ${sx - r},${Y.snapshot}`,
      class: `snapshot snapshot-${s.kind}`,
    }, svg);
    const text = `Snapshot ${s.name} (${s.kind}) at icount ${formatIcount(s.icount)}, ${formatBytes(s.vmStateSize)}`;
    titled(diamond, text);
    markers.push({ kind: 'snapshot', icount: s.icount, x: sx, text, name: s.name });
  }

  if (cursor !== undefined && cursor !== session.icount) {
    const cx = x(cursor);
    el('line', { x1: cx, x2: cx, y1: 4, y2: Y.axis + 6, class: 'cursor' }, svg);
  }
  if (preview !== undefined) {
    const px = x(preview);
    el('line', { x1: px, x2: px, y1: 4, y2: Y.axis + 6, class: 'preview' }, svg);
  }

  // The position's head on top of everything (its line is drawn first, under the markers it passes through).
  if (inView(cx, width)) el('polygon', { points: `${cx - 6},0 ${cx + 6},0 ${cx},8`, class: 'position-head' }, svg);
  return {
    markers,
    counts: {
      snapshots: markers.filter((m) => m.kind === 'snapshot').length,
      breakpoints: markers.filter((m) => m.kind === 'breakpoint').length,
      stops: markers.filter((m) => m.kind === 'stop').length,
      hits: markers.filter((m) => m.kind === 'hit').length,
    },
  };
}

/** The marker nearest to pixel x within `within` pixels, snapshots first (they are clickable). */
export function markerAt(markers: readonly Marker[], x: number, within = 7): Marker | undefined {
  let best: Marker | undefined;
  for (const m of markers) {
    const d = Math.abs(m.x - x);
    if (d > within) continue;
    if (!best || (m.kind === 'snapshot' && best.kind !== 'snapshot') || (m.kind === best.kind && d < Math.abs(best.x - x))) best = m;
  }
  return best;
}
