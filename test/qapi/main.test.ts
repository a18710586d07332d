// The server entry point as the extension runs it: bundled (as scripts/build.mjs does) and started as its own
// process over stdio, where it must answer initialize and publish diagnostics for an opened schema.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type PublishDiagnosticsParams } from 'vscode-languageserver/node';

const repoRoot = path.resolve(__dirname, '..', '..');

void describe('QAPI server process (bundled main.ts over stdio)', () => {
  let dir: string;
  let bundle: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'qapi-main-'));
    bundle = path.join(dir, 'qapiServer.js');
    await esbuild.build({ entryPoints: [path.join(repoRoot, 'server', 'qapi', 'main.ts')], bundle: true, platform: 'node',
      target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'warning' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('initializes, publishes diagnostics and shuts down', async () => {
    const child = spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    client.listen();
    try {
      const init = await client.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
      assert.equal(init.capabilities.hoverProvider, true);
      assert.equal(init.capabilities.definitionProvider, true);
      await client.sendNotification('initialized', {});
      const uri = pathToFileURL(path.join(dir, 'one.qapi')).href;
      const published = new Promise<PublishDiagnosticsParams>((resolve) => {
        client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => { if (p.uri === uri) resolve(p); });
      });
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'qapi', version: 1,
        text: "{ 'struct': 'One', 'data': { 'two': 'Two' } }\n" } });
      const p = await published;
      assert.deepEqual(p.diagnostics.map((d) => d.message), ["member 'two' uses unknown type 'Two'"]);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await client.sendRequest('shutdown');
      await client.sendNotification('exit');
      assert.equal(await exited, 0);
    } finally {
      client.dispose();
      child.kill();
    }
  });
});
