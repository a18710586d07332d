import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MAX_QMP_LINE, MAX_QMP_NESTING, parseQmpMessage, QmpClient, QmpCommandError, QmpConnectionError, QmpEvent,
  QmpProtocolError, QmpStreamParser,
} from '../../adapter/qemu/qmp';

// QEMU 7.2's greeting, as `qemu-system-aarch64 -qmp unix:…` sends it.
const GREETING = { QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } };

type Command = { execute: string; arguments?: Record<string, unknown>; id: number };

/** The QEMU side of one QMP connection: reads the client's command lines and writes whatever a test wants. */
class Peer {
  private readonly commands: Command[] = [];
  private readonly waiters: Array<(c: Command) => void> = [];
  private buffer = '';
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('error', () => { /* the client hung up first */ });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: string) => {
      this.buffer += d;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const c = JSON.parse(this.buffer.slice(0, nl)) as Command;
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(c);
        else this.commands.push(c);
      }
    });
  }

  /** The next command the client sent. */
  next(): Promise<Command> {
    const c = this.commands.shift();
    return c ? Promise.resolve(c) : new Promise((resolve) => this.waiters.push(resolve));
  }

  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  raw(text: string | Buffer): void {
    this.socket.write(text);
  }

  async answer(command: string, value: unknown = {}): Promise<Command> {
    const c = await this.next();
    assert.equal(c.execute, command);
    this.send({ return: value, id: c.id });
    return c;
  }
}

/** A fake QEMU listening on a unix socket in a fresh temporary directory. */
class FakeQemu {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'qmp-test-'));
  readonly path = path.join(this.dir, 'qmp.sock');
  private readonly server = net.createServer();
  private readonly peers: Peer[] = [];
  private readonly waiters: Array<(p: Peer) => void> = [];
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  async listen(): Promise<this> {
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      const p = new Peer(s);
      const w = this.waiters.shift();
      if (w) w(p);
      else this.peers.push(p);
    });
    this.server.listen(this.path);
    await once(this.server, 'listening');
    return this;
  }

  peer(): Promise<Peer> {
    const p = this.peers.shift();
    return p ? Promise.resolve(p) : new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise((resolve) => this.server.close(resolve));
      for (const s of this.sockets) s.destroy();
      await closed;
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}

/** A client connected to a fake QEMU, through greeting and capabilities negotiation; torn down after the test. */
async function connected(t: TestContext, client = new QmpClient()): Promise<{ client: QmpClient; peer: Peer; qemu: FakeQemu; done: () => Promise<void> }> {
  const qemu = await new FakeQemu().listen();
  t.after(() => qemu.close());
  const connecting = client.connect({ path: qemu.path });
  const peer = await qemu.peer();
  peer.send(GREETING);
  await peer.answer('qmp_capabilities');
  await connecting;
  return {
    client, peer, qemu,
    done: async () => {
      client.close();
      peer.socket.destroy();
      await qemu.close();
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

void test('connect waits for the greeting and for the qmp_capabilities reply', async (t) => {
  const qemu = await new FakeQemu().listen();
  t.after(() => qemu.close());
  const client = new QmpClient();
  let settled = false;
  const connecting = client.connect({ path: qemu.path }).finally(() => { settled = true; });
  const peer = await qemu.peer();
  // byte by byte: a greeting split across reads still counts once it is whole
  for (const b of Buffer.from(JSON.stringify(GREETING) + '\r\n')) peer.raw(Buffer.from([b]));
  const caps = await peer.next();
  assert.equal(caps.execute, 'qmp_capabilities');
  assert.equal(typeof caps.id, 'number');
  assert.equal(caps.arguments, undefined);
  // The point of the check: connect must not resolve before the reply; give it the chance to do so wrongly.
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, 'connect resolved before capabilities were negotiated');
  peer.send({ return: {}, id: caps.id });
  await connecting;
  assert.equal(client.isOpen, true);
  client.close();
  assert.equal(client.isOpen, false);
  await peer.closed;
  await qemu.close();
});

void test('commands carry distinct ids and arguments; replies are matched by id even out of order', async (t) => {
  const { client, peer, done } = await connected(t);
  const a = client.call('query-replay', undefined);
  const b = client.call('replay-break', { icount: 1000 });
  const c = client.call('query-status', undefined);
  const [ca, cb, cc] = [await peer.next(), await peer.next(), await peer.next()];
  assert.deepEqual([ca.execute, cb.execute, cc.execute], ['query-replay', 'replay-break', 'query-status']);
  assert.deepEqual(cb.arguments, { icount: 1000 });
  assert.equal('arguments' in ca, false);
  assert.equal(new Set([ca.id, cb.id, cc.id]).size, 3);
  peer.send({ return: { status: 'paused', running: false }, id: cc.id });
  peer.send({ return: { mode: 'play', filename: 'replay.bin', icount: 42 }, id: ca.id });
  peer.send({ return: {}, id: cb.id });
  assert.deepEqual(await c, { status: 'paused', running: false });
  assert.deepEqual(await a, { mode: 'play', filename: 'replay.bin', icount: 42 });
  assert.deepEqual(await b, {});
  await done();
});

void test('replies with an unknown, missing or non-numeric id are dropped', async (t) => {
  const { client, peer, done } = await connected(t);
  const p = client.call('query-replay', undefined);
  const c = await peer.next();
  peer.send({ return: 'wrong', id: c.id + 1000 });
  peer.send({ return: 'wrong' });
  peer.send({ return: 'wrong', id: String(c.id) });
  peer.send({ return: 'right', id: c.id });
  assert.equal(await p, 'right');
  assert.equal(client.isOpen, true);
  await done();
});

void test('events are emitted in order, between replies, with data and timestamp', async (t) => {
  const { client, peer, done } = await connected(t);
  const events: QmpEvent[] = [];
  client.on('event', (e) => events.push(e));
  const p = client.executeUntyped('cont');
  const c = await peer.next();
  peer.send({ timestamp: { seconds: 1700000000, microseconds: 12 }, event: 'RESUME' });
  peer.send({ return: {}, id: c.id });
  peer.raw(JSON.stringify({ timestamp: { seconds: 1700000001, microseconds: 5 }, event: 'STOP' }) + '\n' +
    JSON.stringify({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: { seconds: 1, microseconds: 2 } }) + '\n');
  await p;
  const q = client.call('query-status', undefined);
  await peer.answer('query-status', { status: 'shutdown' });
  await q;
  assert.deepEqual(events, [
    { event: 'RESUME', data: undefined, timestamp: { seconds: 1700000000, microseconds: 12 } },
    { event: 'STOP', data: undefined, timestamp: { seconds: 1700000001, microseconds: 5 } },
    { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: { seconds: 1, microseconds: 2 } },
  ]);
  await done();
});

void test('an error reply rejects with QmpCommandError carrying class, desc and the caller\'s stack', async (t) => {
  const { client, peer, done } = await connected(t);
  const p = client.call('replay-break', { icount: 5 });
  const c = await peer.next();
  peer.send({ error: { class: 'GenericError', desc: 'cannot set breakpoint at the instruction in the past' }, id: c.id });
  const err = await rejection(p);
  assert.ok(err instanceof QmpCommandError);
  assert.equal(err.command, 'replay-break');
  assert.equal(err.errorClass, 'GenericError');
  assert.equal(err.desc, 'cannot set breakpoint at the instruction in the past');
  assert.equal(err.message, 'cannot set breakpoint at the instruction in the past');
  assert.match(err.stack ?? '', /^QmpCommandError: cannot set breakpoint/);
  assert.match(err.stack ?? '', /qmp\.test\.ts/, 'the stack points at the caller, not at the socket handler');
  // an error without a class is still an error
  const q = client.call('replay-delete-break', undefined);
  peer.send({ error: { desc: 'replay breakpoints are allowed only in play mode' }, id: (await peer.next()).id });
  const err2 = await rejection(q);
  assert.ok(err2 instanceof QmpCommandError);
  assert.equal(err2.errorClass, 'GenericError');
  assert.equal(client.isOpen, true, 'a command error does not close the connection');
  await done();
});

void test('hmp() sends human-monitor-command and returns the monitor text', async (t) => {
  const { client, peer, done } = await connected(t);
  const text = 'List of snapshots present on all disks:\r\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\r\n--        s1                 612 KiB 2026-11-25 22:00:00 00:00:00.010         1000\r\n';
  const p = client.hmp('info snapshots');
  const c = await peer.next();
  assert.deepEqual(c, { execute: 'human-monitor-command', arguments: { 'command-line': 'info snapshots' }, id: c.id });
  peer.send({ return: text, id: c.id });
  assert.equal(await p, text);
  const q = client.hmp('savevm "x');
  const d = await peer.next();
  assert.deepEqual(d.arguments, { 'command-line': 'savevm "x' }, 'the command line is JSON data, sent as is');
  peer.send({ error: { class: 'GenericError', desc: 'Could not open device' }, id: d.id });
  const err = await rejection(q);
  assert.ok(err instanceof QmpCommandError);
  assert.equal(err.command, 'human-monitor-command');
  await done();
});

void test('a reply split inside multi-byte UTF-8 characters is decoded whole', async (t) => {
  const { client, peer, done } = await connected(t);
  const p = client.hmp('info name');
  const c = await peer.next();
  const bytes = Buffer.from(JSON.stringify({ return: 'café 😀 中', id: c.id }) + '\n');
  for (let i = 0; i < bytes.length; i += 1) {
    peer.raw(bytes.subarray(i, i + 1));
    if (i % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(await p, 'café 😀 中');
  await done();
});

void test('a timed-out command rejects with QmpConnectionError and its late reply is dropped', async (t) => {
  const { client, peer, done } = await connected(t);
  const slow = rejection(client.call('query-replay', undefined, { timeoutMs: 50 }));
  const c1 = await peer.next();
  const err = await slow;
  assert.ok(err instanceof QmpConnectionError);
  assert.match(err.message, /QEMU did not answer query-replay within 50 ms/);
  assert.equal(client.isOpen, true, 'a timeout does not close the connection');
  const next = client.call('query-status', undefined);
  const c2 = await peer.next();
  assert.notEqual(c2.id, c1.id);
  peer.send({ return: { mode: 'play' }, id: c1.id }); // the late reply, before the new command's
  peer.send({ error: { class: 'GenericError', desc: 'late' }, id: c1.id });
  peer.send({ return: { status: 'paused' }, id: c2.id });
  assert.deepEqual(await next, { status: 'paused' });
  assert.equal(client.isOpen, true);
  await done();
});

void test('the connection closing mid-command rejects every pending command', async (t) => {
  const { client, peer, done } = await connected(t);
  const closed = once(client, 'close');
  const pending = ['replay-seek', 'query-replay', 'query-status'].map((cmd) => client.executeUntyped(cmd, undefined, 60_000));
  for (let i = 0; i < 3; i++) await peer.next();
  peer.socket.destroy();
  const errors = await Promise.all(pending.map(rejection));
  for (const [i, cmd] of ['replay-seek', 'query-replay', 'query-status'].entries()) {
    assert.ok(errors[i] instanceof QmpConnectionError);
    assert.match((errors[i]).message, new RegExp(`QMP connection lost while waiting for ${cmd}`));
  }
  assert.deepEqual(await closed, [undefined]);
  assert.equal(client.isOpen, false);
  const after = await rejection(client.call('query-status', undefined));
  assert.ok(after instanceof QmpConnectionError);
  assert.match((after).message, /QMP is not connected/);
  await done();
});

void test('close() rejects pending commands and emits close once', async (t) => {
  const { client, peer, done } = await connected(t);
  let closes = 0;
  client.on('close', () => closes++);
  const p = rejection(client.call('stop', undefined));
  await peer.next();
  client.close();
  client.close();
  const err = await p;
  assert.ok(err instanceof QmpConnectionError);
  await peer.closed;
  assert.equal(closes, 1);
  await done();
});

const garbage: Array<[string, string, RegExp]> = [
  ['non-JSON', 'Traceback (most recent call last):\n', /not JSON: Traceback/],
  ['a JSON array', '[1,2,3]\n', /non-object: \[1,2,3\]/],
  ['a JSON string', '"return"\n', /non-object/],
  ['null', 'null\n', /non-object/],
  ['an error that is not an object', '{"error":"boom","id":1}\n', /malformed QMP error/],
  ['an error without desc', '{"error":{"class":"GenericError"},"id":1}\n', /malformed QMP error/],
  ['an unknown message', '{"hello":"world"}\n', /unknown QMP message/],
  ['an event whose name is not a string', '{"event":5}\n', /unknown QMP message/],
  ['deep nesting', `{"return":${'['.repeat(MAX_QMP_NESTING + 1)}${']'.repeat(MAX_QMP_NESTING + 1)}}\n`, /nested deeper than 1024 levels/],
  ['half a line then garbage', '{"return": {}, "id"\n', /not JSON/],
];

for (const [name, text, message] of garbage) {
  void test(`garbage from QEMU (${name}) closes the connection with QmpProtocolError`, async (t) => {
    const { client, peer, done } = await connected(t);
    const closed = once(client, 'close');
    const p = rejection(client.call('query-status', undefined, { timeoutMs: 60_000 }));
    await peer.next();
    peer.raw(text);
    const [reason] = (await closed) as [unknown];
    assert.ok(reason instanceof QmpProtocolError, String(reason));
    assert.match(reason.message, message);
    const err = await p;
    assert.ok(err instanceof QmpConnectionError);
    assert.match((err).message, /QMP connection lost while waiting for query-status: /);
    assert.match((err).message, message);
    await peer.closed;
    assert.equal(client.isOpen, false);
    await done();
  });
}

void test('a line longer than MAX_QMP_LINE closes the connection instead of buffering it', async (t) => {
  const { client, peer, done } = await connected(t);
  const closed = once(client, 'close');
  const p = rejection(client.call('query-status', undefined, { timeoutMs: 60_000 }));
  await peer.next();
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  let sent = 0;
  // keep writing up to twice the limit; the client must hang up before the end
  while (sent < 2 * MAX_QMP_LINE && !peer.socket.destroyed) {
    if (!peer.socket.write(chunk)) await Promise.race([once(peer.socket, 'drain').catch(() => undefined), peer.closed]);
    sent += chunk.length;
  }
  const [reason] = (await closed) as [unknown];
  assert.ok(reason instanceof QmpProtocolError);
  assert.match(reason.message, new RegExp(`QMP line longer than ${MAX_QMP_LINE} bytes`));
  assert.ok((await p) instanceof QmpConnectionError);
  await peer.closed;
  assert.ok(sent < 2 * MAX_QMP_LINE, `the client read ${sent} bytes of one line without hanging up`);
  await done();
});

void test('greeting problems: none in time, connection closed first, nothing listening, capabilities refused', async (t) => {
  const qemu = await new FakeQemu().listen();
  t.after(() => qemu.close());
  // No greeting in time: the client gives up and hangs up
  const silent = new QmpClient();
  const e1 = await rejection(silent.connect({ path: qemu.path }, 100));
  assert.ok(e1 instanceof QmpConnectionError);
  assert.match((e1).message, /QEMU did not send the QMP greeting in time/);
  await (await qemu.peer()).closed; // the socket was closed, not leaked
  assert.equal(silent.isOpen, false);

  // QEMU closes before greeting
  const early = new QmpClient();
  const connecting = early.connect({ path: qemu.path });
  (await qemu.peer()).socket.end();
  const e2 = await rejection(connecting);
  assert.ok(e2 instanceof QmpConnectionError);
  assert.match((e2).message, /QMP connection closed before the greeting/);

  // nobody listening
  const lonely = new QmpClient();
  lonely.on('close', () => undefined);
  const e3 = await rejection(lonely.connect({ path: path.join(qemu.dir, 'missing.sock') }));
  assert.ok(e3 instanceof QmpConnectionError);
  assert.match((e3).message, /cannot connect to QMP: .*ENOENT/);
  assert.ok((e3).cause instanceof Error);

  // capabilities refused
  const refused = new QmpClient();
  const c4 = refused.connect({ path: qemu.path });
  const peer = await qemu.peer();
  peer.send(GREETING);
  const caps = await peer.next();
  peer.send({ error: { class: 'CommandNotFound', desc: 'The command qmp_capabilities has not been found' }, id: caps.id });
  const e4 = await rejection(c4);
  assert.ok(e4 instanceof QmpCommandError);
  assert.equal(e4.errorClass, 'CommandNotFound');
  refused.close();
  await peer.closed;
  await qemu.close();
});

void test('connects over TCP too', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const client = new QmpClient();
  const connecting = client.connect({ host: '127.0.0.1', port });
  const [socket] = (await once(server, 'connection')) as [net.Socket];
  const peer = new Peer(socket);
  peer.send(GREETING);
  await peer.answer('qmp_capabilities');
  await connecting;
  const p = client.call('query-status', undefined);
  await peer.answer('query-status', { status: 'running', running: true });
  assert.deepEqual(await p, { status: 'running', running: true });
  client.close();
  await peer.closed;
  await new Promise((resolve) => server.close(resolve));
});

// The stream parser on its own.
void test('QmpStreamParser: lines across chunks, several per chunk, CRLF and blank lines', () => {
  const p = new QmpStreamParser();
  const all = JSON.stringify(GREETING) + '\r\n\n  \n{"return": {}, "id": 1}\n{"event": "STOP"}\n';
  const out = [];
  for (const ch of all) out.push(...p.push(ch));
  assert.deepEqual(out, [
    { kind: 'greeting', version: GREETING.QMP.version },
    { kind: 'return', id: 1, value: {} },
    { kind: 'event', event: { event: 'STOP', data: undefined, timestamp: undefined } },
  ]);
  assert.deepEqual(new QmpStreamParser().push(all).length, 3);
  assert.deepEqual(new QmpStreamParser().push('{"return": 1, "id": 2}'), [], 'no newline yet');
});

void test('QmpStreamParser: after a bad line, the lines behind it in the same chunk are still read', () => {
  const p = new QmpStreamParser();
  assert.throws(() => p.push('{"return": 1, "id": 1}\nnot json\n{"return": 2, "id": 2}\n{"ret'), QmpProtocolError);
  assert.deepEqual(p.push('urn": 3, "id": 3}\n'), [
    { kind: 'return', id: 2, value: 2 },
    { kind: 'return', id: 3, value: 3 },
  ]);
});

void test('QmpStreamParser: a line longer than MAX_QMP_LINE throws, in pieces or whole, and parsing resumes after it', () => {
  const p = new QmpStreamParser();
  const piece = 'x'.repeat(1024 * 1024);
  let thrown = 0;
  for (let i = 0; i < 17; i++) {
    try {
      p.push(piece);
    } catch (e) {
      assert.ok(e instanceof QmpProtocolError);
      assert.match(e.message, /longer than 16777216 bytes/);
      thrown++;
    }
  }
  assert.equal(thrown, 1, 'thrown once the buffered line passed the limit');
  // A complete line over the limit in one chunk is refused as well; what follows it still parses.
  const q = new QmpStreamParser();
  assert.throws(() => q.push(`"${'y'.repeat(MAX_QMP_LINE)}"\n{"return": 7, "id": 7}\n`), /longer than/);
  assert.deepEqual(q.push(''), [{ kind: 'return', id: 7, value: 7 }]);
  // exactly at the limit is fine
  const r = new QmpStreamParser();
  const atLimit = `{"return":"${'z'.repeat(MAX_QMP_LINE - 20)}","id":1}`;
  assert.equal(atLimit.length, MAX_QMP_LINE);
  assert.equal(r.push(atLimit + '\n').length, 1);
});

void test('parseQmpMessage: every message kind', () => {
  assert.deepEqual(parseQmpMessage(JSON.stringify(GREETING)), { kind: 'greeting', version: GREETING.QMP.version });
  assert.deepEqual(parseQmpMessage('{"QMP": 1}'), { kind: 'greeting', version: undefined });
  assert.deepEqual(parseQmpMessage('{"return": [], "id": 9}'), { kind: 'return', id: 9, value: [] });
  assert.deepEqual(parseQmpMessage('{"return": null}'), { kind: 'return', id: undefined, value: null });
  assert.deepEqual(parseQmpMessage('{"error": {"class": "DeviceNotFound", "desc": "no"}, "id": 3}'),
    { kind: 'error', id: 3, errorClass: 'DeviceNotFound', desc: 'no' });
  assert.deepEqual(parseQmpMessage('{"error": {"class": 5, "desc": "no"}}'), { kind: 'error', id: undefined, errorClass: 'GenericError', desc: 'no' });
  assert.deepEqual(parseQmpMessage('{"event": "STOP", "data": [1], "timestamp": {"seconds": 1, "microseconds": 2}}'),
    { kind: 'event', event: { event: 'STOP', data: undefined, timestamp: { seconds: 1, microseconds: 2 } } });
  // brackets inside strings do not count as nesting
  const deepInString = `{"return": "${'['.repeat(5000)}"}`;
  assert.equal(parseQmpMessage(deepInString).kind, 'return');
  const escaped = `{"return": "\\"${'{'.repeat(5000)}"}`;
  assert.equal(parseQmpMessage(escaped).kind, 'return');
  const atLimit = `{"return": ${'['.repeat(MAX_QMP_NESTING - 1)}${']'.repeat(MAX_QMP_NESTING - 1)}}`;
  assert.equal(parseQmpMessage(atLimit).kind, 'return');
  assert.throws(() => parseQmpMessage(`{"return": ${'{"a":'.repeat(MAX_QMP_NESTING)}1${'}'.repeat(MAX_QMP_NESTING)}}`), QmpProtocolError);
});
