/**
 * `sourceMap`: sources built in one place and read in another — stack frames point at the local copy, and
 * breakpoints set in the local copy hit.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { GUEST_SOURCE, guestElf, recording as sharedRecording, replay, tagLine, tempDir, topFrame, withReplay } from './support';

let recording: string;
let local: string;

before(async () => {
  recording = await sharedRecording('aarch64');
  local = path.join(tempDir('qr-src-'), 'my sources');
  cpSync(path.dirname(GUEST_SOURCE), local, { recursive: true });
});

test('frames and breakpoints use the mapped local paths', async () => {
  await withReplay(recording, { program: guestElf('aarch64'), sourceMap: { [path.dirname(GUEST_SOURCE)]: local } }, async (dc) => {
    assert.equal((await topFrame(dc)).source?.path, path.join(local, 'start-aarch64.S'));
    const file = path.join(local, 'prog.c');
    const set = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: tagLine('fib-return', file) }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    const stop = await dc.continueToStop();
    assert.equal(stop.reason, 'breakpoint');
    const frame = await topFrame(dc);
    assert.equal(frame.source?.path, file);
    assert.equal(frame.line, tagLine('fib-return', file));
  });
});

test('a malformed sourceMap is refused with an example', async () => {
  await assert.rejects(replay(recording, { sourceMap: ['/a', '/b'] }), /"sourceMap" is \["\/a","\/b"\]: it must be an object mapping names to strings\. Map compile-time path prefixes to local ones, e\.g\. \{ "\/build\/src": "\$\{workspaceFolder\}\/src" \}/);
});
