/**
 * The replay timeline webview: the current icount and mode large at the top, and an axis from 0 to the end of
 * the recording with snapshots, icount breakpoints and the session's stops. Click or drag to go somewhere; wheel or
 * +/- to zoom, Shift+wheel or the arrow buttons to pan; fully usable from the keyboard. It holds no session logic:
 * the extension sends the state, this posts back what the user asked for.
 */
import { formatIcount } from '../common/ui-icount';
import {
  isTimelinePersistedState, type ExtensionToWebview, type TimelinePersistedState, type TimelineSession, type TimelineState,
  type WebviewToExtension,
} from '../common/ui-messages';
import {
  clampViewport, ensureVisible, fullViewport, keyboardStep, nextMarker, pan, xToIcount, zoomAt, type Viewport,
} from '../common/ui-timeline';
import { draw, markerAt, type Drawing } from './timeline-draw';

interface VsCodeApi {
  postMessage(message: WebviewToExtension): void;
  getState(): unknown;
  setState(state: TimelinePersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const saved = api.getState();
const persisted: TimelinePersistedState = isTimelinePersistedState(saved) ? saved : {};
const app = document.getElementById('app') as HTMLElement;

let session: TimelineSession | undefined;
let viewport: Viewport | undefined = persisted.viewport;
let follow = persisted.follow ?? true;
/** Keyboard cursor: where Enter would go. */
let cursor: number | undefined;
let preview: number | undefined;
let drawing: Drawing = { markers: [], counts: { snapshots: 0, breakpoints: 0, stops: 0, hits: 0 } };
let dom: ReturnType<typeof buildSessionDom> | undefined;

const total = (s: TimelineSession): number => Math.max(s.endIcount ?? 0, s.icount, 1);
const canSeek = (s: TimelineSession): boolean => s.mode === 'play';

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** The recording the viewport was chosen for (kept while no session is shown, so the next replay of it restores it). */
let viewportRecording = persisted.recording;

function persist(): void {
  if (session) viewportRecording = session.mode === 'play' ? session.recording : undefined;   // a recording's axis still grows
  api.setState({ viewport, follow, sessionId: session?.id ?? persisted.sessionId, recording: viewportRecording });
}

function modeText(s: TimelineSession): string {
  const mode = s.mode === 'play' ? 'Replay' : s.mode === 'record' ? 'Recording' : 'Not replaying';
  return `${mode} · ${s.running ? 'running' : 'paused'}`;
}

function renderEmpty(state: Extract<TimelineState, { kind: 'empty' }>): void {
  session = undefined;
  dom = undefined;
  const title = state.reason === 'ended' ? 'The replay session ended unexpectedly'
    : state.reason === 'not-replay-session' ? 'Waiting for the replay session' : 'No replay session';
  const how = state.reason === 'not-replay-session' ? state.detail ?? ''
    : 'Start one from Run and Debug (F5) with a "qemu-replay" launch configuration in replay mode, or run '
      + '"QEMU Replay: Record and Replay" to record a guest and then debug the recording.';
  const button = h('button', { type: 'button', className: 'primary', textContent: 'Open Run and Debug' });
  button.addEventListener('click', () => api.postMessage({ type: 'startDebugging' }));
  app.replaceChildren(h('section', { className: 'empty' },
    h('h1', { textContent: title }),
    ...(state.reason === 'ended' && state.detail ? [h('p', { className: 'error', textContent: `Reason: ${state.detail}.` })] : []),
    h('p', { textContent: how }), button));
  api.postMessage({ type: 'rendered', rendered: { icountText: '', modeText: title, snapshotMarkers: 0, breakpointMarkers: 0, stopMarkers: 0 } });
}

function buildSessionDom() {
  const icount = h('span', { className: 'icount', id: 'icount' });
  const of = h('span', { className: 'of' });
  const mode = h('span', { className: 'mode', id: 'mode' });
  const name = h('span', { className: 'session-name' });
  const range = h('span', { className: 'range' });
  const btn = (text: string, title: string, onClick: () => void): HTMLButtonElement => {
    const b = h('button', { type: 'button', textContent: text, title, ariaLabel: title });
    b.addEventListener('click', onClick);
    return b;
  };
  const followBox = h('input', { type: 'checkbox', checked: follow, id: 'follow' });
  followBox.addEventListener('change', () => { follow = followBox.checked; persist(); render(); });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('aria-hidden', 'true');
  const tip = h('div', { className: 'tip', hidden: true, role: 'tooltip' });
  const track = h('div', { className: 'track', tabIndex: 0, role: 'slider', ariaLabel: 'Replay position' }, svg, tip);
  const snapshots = h('ul', { className: 'snapshot-list' });
  const notice = h('p', { className: 'notice' });
  app.replaceChildren(
    h('header', { className: 'head' },
      h('div', { className: 'position' }, h('span', { className: 'label', textContent: 'icount' }), icount, of),
      h('div', { className: 'status' }, mode, name)),
    h('div', { className: 'toolbar', role: 'toolbar', ariaLabel: 'Timeline view' },
      btn('◀', 'Pan left', () => panBy(-0.5)), btn('+', 'Zoom in (+)', () => zoomBy(2)), btn('−', 'Zoom out (−)', () => zoomBy(0.5)),
      btn('Fit', 'Show the whole recording (0)', () => { if (session) setViewport(fullViewport(total(session))); }),
      btn('▶', 'Pan right', () => panBy(0.5)),
      h('label', { className: 'follow' }, followBox, ' Follow the position'), range),
    track, notice,
    h('p', { className: 'legend' },
      h('span', { className: 'key key-snapshot', textContent: '◆' }), ' snapshot  ',
      h('span', { className: 'key key-breakpoint', textContent: '●' }), ' icount breakpoint  ',
      h('span', { className: 'key key-hit', textContent: '▮' }), ' known hit  ',
      h('span', { className: 'key key-stop', textContent: '•' }), ' stop  ',
      h('span', { className: 'key key-position', textContent: '▼' }), ' current position'),
    h('h2', { textContent: 'Snapshots' }), snapshots,
    h('p', { className: 'help', textContent: 'Click or drag on the axis to go to an instruction count. Wheel or +/− zooms, '
      + 'Shift+wheel pans. Keys on the axis: ←/→ move the cursor (Shift: 10×), Enter goes there, Home/End, '
      + 'Page Up/Down jump between markers, B toggles an icount breakpoint at the cursor, 0 shows everything.' }));
  attachTrackEvents(track, tip);
  return { icount, of, mode, name, range, svg, tip, track, snapshots, notice, followBox };
}

function render(): void {
  if (!session || !dom) return;
  const s = session;
  const width = Math.max(dom.track.clientWidth, 200);
  viewport = clampViewport(viewport ?? fullViewport(total(s)), total(s));
  dom.icount.textContent = formatIcount(s.icount);
  dom.of.textContent = s.endIcount === undefined ? '' : ` / ${formatIcount(s.endIcount)}`;
  dom.mode.textContent = modeText(s);
  dom.mode.className = `mode mode-${s.mode}${s.running ? ' running' : ''}`;
  dom.name.textContent = s.name;
  dom.range.textContent = `showing ${formatIcount(Math.floor(viewport.start))} – ${formatIcount(Math.ceil(viewport.end))}`;
  dom.notice.textContent = s.mode === 'record'
    ? 'Recording: the axis grows as the guest runs. Going to another point works in the replay of this recording.' : '';
  drawing = draw(dom.svg, s, viewport, width, cursor, preview);
  const at = cursor ?? s.icount;
  dom.track.setAttribute('aria-valuemin', '0');
  dom.track.setAttribute('aria-valuemax', String(total(s)));
  dom.track.setAttribute('aria-valuenow', String(at));
  dom.track.setAttribute('aria-valuetext', `${cursor !== undefined ? 'cursor at' : 'position'} ${formatIcount(at)} of ${formatIcount(total(s))}`);
  dom.track.classList.toggle('disabled', !canSeek(s));
}

function renderSnapshotList(s: TimelineSession): void {
  if (!dom) return;
  const items = [...s.snapshots].sort((a, b) => a.icount - b.icount).map((snap) => {
    const b = h('button', { type: 'button', className: 'link', disabled: !canSeek(s),
      textContent: `${snap.name} — ${formatIcount(snap.icount)} (${snap.kind})` });
    b.addEventListener('click', () => api.postMessage({ type: 'gotoSnapshot', name: snap.name }));
    return h('li', {}, b);
  });
  dom.snapshots.replaceChildren(...(items.length ? items : [h('li', { className: 'muted', textContent: 'No snapshots yet.' })]));
}

function onState(state: TimelineState): void {
  if (state.kind === 'empty') {
    renderEmpty(state);
    return;
  }
  const next = state.session;
  // Another session: keep the zoom only for the same recording (a window reload or a restart starts a new session).
  const sameSession = (session?.id ?? persisted.sessionId) === next.id;
  if (!sameSession && (viewportRecording === undefined || viewportRecording !== next.recording)) viewport = undefined;
  const moved = session?.icount !== next.icount;
  session = next;
  dom ??= buildSessionDom();
  if (viewport && follow && moved) viewport = ensureVisible(clampViewport(viewport, total(next)), next.icount, total(next));
  if (moved) cursor = undefined;
  renderSnapshotList(next);
  render();
  persist();
  api.postMessage({ type: 'rendered', rendered: {
    sessionId: next.id, icountText: dom.icount.textContent ?? '', modeText: dom.mode.textContent ?? '',
    snapshotMarkers: drawing.counts.snapshots, breakpointMarkers: drawing.counts.breakpoints, stopMarkers: drawing.counts.stops,
    hitMarkers: drawing.counts.hits,
  } });
}

function setViewport(vp: Viewport): void {
  if (!session) return;
  viewport = clampViewport(vp, total(session));
  persist();
  render();
}

function zoomBy(factor: number, anchor?: number): void {
  if (!session || !viewport) return;
  setViewport(zoomAt(viewport, factor, anchor ?? cursor ?? session.icount, total(session)));
}

function panBy(fraction: number): void {
  if (!session || !viewport) return;
  follow = false;
  if (dom) dom.followBox.checked = false;
  setViewport(pan(viewport, (viewport.end - viewport.start) * fraction, total(session)));
}

/** Whether the axis has the keyboard now (a click on it gives it): then it wants it back after the seek's stop. */
const axisFocused = (): boolean => document.hasFocus() && dom !== undefined && document.activeElement === dom.track;

function seek(icount: number): void {
  if (session && canSeek(session)) api.postMessage({ type: 'seek', icount, keepFocus: axisFocused() });
}

function attachTrackEvents(track: HTMLElement, tip: HTMLElement): void {
  const icountAt = (clientX: number): number | undefined => {
    if (!session || !viewport) return undefined;
    const rect = track.getBoundingClientRect();
    return xToIcount(clientX - rect.left, viewport, rect.width, total(session));
  };
  let dragging: number | undefined;
  track.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || !session || !canSeek(session)) return;
    dragging = e.pointerId;
    track.setPointerCapture(e.pointerId);
    preview = icountAt(e.clientX);
    render();
  });
  track.addEventListener('pointermove', (e) => {
    if (!session || !viewport) return;
    const rect = track.getBoundingClientRect();
    const x = e.clientX - rect.left;
    if (dragging === e.pointerId) {
      preview = icountAt(e.clientX);
      render();
    }
    const marker = markerAt(drawing.markers, x);
    const icount = icountAt(e.clientX) ?? 0;
    tip.textContent = marker ? marker.text : `icount ${formatIcount(icount)}${canSeek(session) ? ' — click to go here' : ''}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(Math.max(x + 12, 0), rect.width - tip.offsetWidth)}px`;
  });
  track.addEventListener('pointerleave', () => { tip.hidden = true; });
  const finish = (e: PointerEvent, commit: boolean): void => {
    if (dragging !== e.pointerId) return;
    dragging = undefined;
    const rect = track.getBoundingClientRect();
    const marker = markerAt(drawing.markers, e.clientX - rect.left);
    const target = preview;
    preview = undefined;
    render();
    if (!commit || target === undefined) return;
    // A click on a snapshot goes to that snapshot; anywhere else goes to the icount under the pointer.
    if (marker?.kind === 'snapshot' && marker.name) api.postMessage({ type: 'gotoSnapshot', name: marker.name, keepFocus: axisFocused() });
    else if (marker) seek(marker.icount);
    else seek(target);
  };
  track.addEventListener('pointerup', (e) => finish(e, true));
  track.addEventListener('pointercancel', (e) => finish(e, false));
  track.addEventListener('wheel', (e) => {
    if (!session || !viewport) return;
    e.preventDefault();
    const horizontal = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
    if (horizontal) {
      const delta = e.shiftKey ? e.deltaY : e.deltaX;
      panBy(delta / Math.max(track.clientWidth, 1));
    } else {
      zoomBy(Math.exp(-e.deltaY / 300), icountAt(e.clientX));
    }
  }, { passive: false });
  track.addEventListener('keydown', (e) => onKey(e));
  track.addEventListener('blur', () => { cursor = undefined; render(); });
}

function onKey(e: KeyboardEvent): void {
  if (!session || !viewport) return;
  const s = session;
  const at = cursor ?? s.icount;
  const markers = [...s.snapshots.map((m) => m.icount), ...s.icountBreakpoints, ...s.stops.map((m) => m.icount), ...(s.hits ?? []), 0, total(s)];
  let next: number | undefined;
  switch (e.key) {
    case 'ArrowLeft': next = at - keyboardStep(viewport, e.shiftKey); break;
    case 'ArrowRight': next = at + keyboardStep(viewport, e.shiftKey); break;
    case 'Home': next = 0; break;
    case 'End': next = total(s); break;
    case 'PageUp': next = nextMarker(markers, at, -1); break;
    case 'PageDown': next = nextMarker(markers, at, 1); break;
    case 'Enter': case ' ': if (cursor !== undefined) seek(cursor); break;
    case 'Escape': cursor = undefined; render(); break;
    case '+': case '=': zoomBy(2); break;
    case '-': case '_': zoomBy(0.5); break;
    case '0': setViewport(fullViewport(total(s))); break;
    case 'b': case 'B': if (canSeek(s)) api.postMessage({ type: 'toggleBreakpoint', icount: at }); break;
    default: return;
  }
  e.preventDefault();
  if (next !== undefined) {
    cursor = Math.min(Math.max(Math.round(next), 0), total(s));
    viewport = ensureVisible(viewport, cursor, total(s));
    persist();
    render();
  }
}

window.addEventListener('message', (event: MessageEvent<ExtensionToWebview>) => {
  if (event.data?.type === 'state') onState(event.data.state);
  else if (event.data?.type === 'focusAxis') dom?.track.focus();
});
window.addEventListener('resize', () => render());
// Only now can the extension's messages be received: ask for the state.
api.postMessage({ type: 'ready' });
