import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTimelinePersistedState, isWebviewToExtension } from '../../common/ui-messages';

void test('well-formed webview messages are accepted', () => {
  for (const m of [{ type: 'ready' }, { type: 'seek', icount: 0 }, { type: 'seek', icount: 1_234_567 },
    { type: 'gotoSnapshot', name: 'init' }, { type: 'toggleBreakpoint', icount: 5 }, { type: 'startDebugging' },
    { type: 'seek', icount: 5, keepFocus: true }, { type: 'gotoSnapshot', name: 'init', keepFocus: false },
    { type: 'rendered', rendered: { icountText: '1,234', modeText: 'replay', snapshotMarkers: 1, breakpointMarkers: 0, stopMarkers: 0 } }]) {
    assert.ok(isWebviewToExtension(m), JSON.stringify(m));
  }
});

void test('malformed webview messages are rejected', () => {
  for (const m of [null, 'seek', 42, {}, { type: 'nope' }, { type: 'seek' }, { type: 'seek', icount: -1 },
    { type: 'seek', icount: 1.5 }, { type: 'seek', icount: '100' }, { type: 'gotoSnapshot', name: '' },
    { type: 'toggleBreakpoint', icount: Number.NaN }, { type: 'rendered' }, { type: 'seek', icount: 5, keepFocus: 'yes' },
    { type: 'gotoSnapshot', name: 'init', keepFocus: 1 }]) {
    assert.ok(!isWebviewToExtension(m), JSON.stringify(m));
  }
});

void test('persisted panel state', () => {
  assert.ok(isTimelinePersistedState({}));
  assert.ok(isTimelinePersistedState({ viewport: { start: 0, end: 10 }, follow: true, sessionId: 'x' }));
  assert.ok(!isTimelinePersistedState(undefined));
  assert.ok(!isTimelinePersistedState({ viewport: { start: '0', end: 10 } }));
  assert.ok(!isTimelinePersistedState({ follow: 'yes' }));
  assert.ok(isTimelinePersistedState({ viewport: { start: 0, end: 10 }, recording: '/r/run1' }));
  assert.ok(!isTimelinePersistedState({ recording: 7 }));
});
