// When diagnostics come after an edit. A fast check (QEMU's whole schema re-checks in about 20 ms) runs right after
// the edit, with no fixed pause; while edits come faster than checks, they are joined so that checking takes at most
// half the time; a slow check (more than fastCheckMs) waits for a pause in typing (debounceMs). The server runs with
// a clock the test moves by hand, and a workspace whose checks take as long as the test says, so nothing here
// depends on the speed of the machine. (test/qapi/bench/latency.ts measures the real latency over stdio.)

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Program } from '../../server/qapi/program';
import type { Clock } from '../../server/qapi/server';
import { QapiWorkspace } from '../../server/qapi/workspace';
import { LspHarness, messageOf, uriOf } from './lspHarness';

/** Virtual time: `elapse` moves it (a check taking time), `tick` moves it and fires the timers that fall due. */
class ManualClock implements Clock {
  private time = 1000;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  elapse(ms: number): void {
    this.time += ms;
  }

  tick(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = until;
  }
}

/** Each check takes `cost` ms of virtual time; counts the checks and the text each one saw. */
class TimedWorkspace extends QapiWorkspace {
  cost = 5;
  readonly checked: string[] = [];

  constructor(private readonly clock: ManualClock) {
    super();
  }

  override refresh(file: string): Program[] {
    this.checked.push(this.source.read(file) ?? '');
    this.clock.elapse(this.cost);
    return super.refresh(file);
  }
}

const file = path.join(__dirname, 'fixtures', 'latency', 'edited.qapi');
const schema = (n: number): string => `{ 'struct': 'Foo', 'data': { 'a${n}': 'Missing${n}' } }\n`;

void describe('when diagnostics come after an edit', () => {
  let clock: ManualClock;
  let workspace: TimedWorkspace;
  let lsp: LspHarness;
  let version = 1;
  before(async () => {
    clock = new ManualClock();
    workspace = new TimedWorkspace(clock);
    lsp = await LspHarness.start(150, [], workspace, { clock, fastCheckMs: 100 });
    await lsp.open(file, schema(0));
  });
  after(() => lsp.dispose());

  /** Sends an edit; resolves once the server has handled it (without running a pending check). */
  const edit = async (n: number): Promise<void> => {
    await lsp.client.sendNotification('textDocument/didChange',
      { textDocument: { uri: uriOf(file), version: ++version }, contentChanges: [{ text: schema(n) }] });
    await lsp.roundTrip();
  };
  const shown = (): string[] => (lsp.diagnostics.get(uriOf(file)) ?? []).map(messageOf);

  void it('checks a fast schema right after each edit, with no pause', async () => {
    workspace.cost = 20;
    for (let n = 1; n <= 3; n++) {
      clock.elapse(300);   // the user pauses between keystrokes
      const before = workspace.checked.length;
      await edit(n);
      assert.equal(workspace.checked.length, before + 1, 'checked at once');
      assert.equal(clock.pending, 0, 'no timer');
      assert.deepEqual(shown(), [`member 'a${n}' uses unknown type 'Missing${n}'`]);
    }
  });

  void it('joins edits that come faster than checks into one check, at most one check duration later', async () => {
    workspace.cost = 30;
    clock.elapse(300);
    const before = workspace.checked.length;
    await edit(10);   // checked at once: its check ends now
    for (let n = 11; n <= 14; n++) await edit(n);   // within the 30 ms the check took
    assert.equal(workspace.checked.length, before + 1);
    assert.equal(clock.pending, 1, 'one check waits');
    clock.tick(10);
    assert.equal(workspace.checked.length, before + 1, 'not at once');
    clock.tick(20);   // the checks took 20 and 30 ms: smoothed, 25
    await lsp.roundTrip();
    assert.equal(workspace.checked.length, before + 2, 'the edits in between are checked together');
    assert.equal(workspace.checked.at(-1), schema(14), 'with the latest text');
    assert.deepEqual(shown(), ["member 'a14' uses unknown type 'Missing14'"]);
  });

  void it('waits for a pause in typing when checks are slow', async () => {
    workspace.cost = 400;
    clock.elapse(1000);
    await edit(20);   // this check measures 400 ms (smoothed with the 30 ms before: still above 100)
    await edit(21);
    clock.elapse(1000);
    await edit(22);
    const before = workspace.checked.length;
    assert.equal(clock.pending, 1);
    clock.tick(100);
    await edit(23);   // typing goes on: the pause starts again
    clock.tick(149);
    assert.equal(workspace.checked.length, before, 'no check while typing goes on');
    clock.tick(1);
    await lsp.roundTrip();
    assert.equal(workspace.checked.length, before + 1);
    assert.equal(workspace.checked.at(-1), schema(23));
  });

  void it('runs a pending check before answering a request on the file', async () => {
    await edit(30);
    assert.equal(clock.pending, 1);
    const before = workspace.checked.length;
    await lsp.request('textDocument/hover', { textDocument: { uri: uriOf(file) }, position: { line: 0, character: 14 } });
    assert.equal(workspace.checked.length, before + 1);
    assert.equal(clock.pending, 0, 'the timer is cancelled, not run again');
    assert.deepEqual(shown(), ["member 'a30' uses unknown type 'Missing30'"]);
  });
});
