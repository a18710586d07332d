// QEMU's real schema (qapi-schema.json and the modules it includes) through the language server: it must give
// no diagnostic at all, every definition must be a symbol, and the replay interface must be navigable.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DocumentSymbol, Hover, Location, SymbolInformation } from 'vscode-languageserver/node';
import { LspHarness, messageOf, positionOf, uriOf } from './lspHarness';

const repoRoot = path.resolve(__dirname, '..', '..');
const qapiDir = path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'qapi');
const modules = readdirSync(qapiDir).filter((f) => f.endsWith('.json')).sort();

/** Top-level definitions (they start at column 0 in QEMU's files) found by a plain regular expression, independent of the server's parser. */
function definitionsIn(text: string): string[] {
  return [...text.matchAll(/^\{\s*'(enum|struct|union|alternate|command|event)'\s*:\s*'([^']+)'/gm)].map((m) => m[2]);
}

void describe('QEMU schema (qapi/)', () => {
  let lsp: LspHarness;
  const replay = path.join(qapiDir, 'replay.json');
  const replayText = readFileSync(replay, 'utf8');

  before(async () => {
    lsp = await LspHarness.start();
    await lsp.open(replay, replayText);
  });
  after(() => lsp.dispose());

  void it('checks every module with zero diagnostics', () => {
    for (const m of modules) {
      const diags = lsp.diagnostics.get(uriOf(path.join(qapiDir, m)));
      assert.ok(diags, `no diagnostics published for ${m}: it was not loaded through qapi-schema.json`);
      assert.deepEqual(diags.map((d) => `${m}:${d.range.start.line + 1}: ${messageOf(d)}`), []);
    }
  });

  void it('makes every command, event and type a document symbol and a workspace symbol', async () => {
    let total = 0;
    for (const m of modules) {
      const file = path.join(qapiDir, m);
      const symbols = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: uriOf(file) } });
      const expected = definitionsIn(readFileSync(file, 'utf8'));
      assert.deepEqual(symbols.map((s) => s.name), expected, m);
      total += expected.length;
    }
    assert.ok(total > 800, `only ${total} definitions found`);
    const all = await lsp.request<SymbolInformation[]>('workspace/symbol', { query: '' });
    assert.equal(all.length, total);
    const seek = await lsp.request<SymbolInformation[]>('workspace/symbol', { query: 'replay-seek' });
    assert.deepEqual(seek.map((s) => s.name), ['replay-seek']);
  });

  void it('shows the documentation of replay-seek on hover', async () => {
    const h = await lsp.request<Hover>('textDocument/hover', {
      textDocument: { uri: uriOf(replay) }, position: positionOf(replayText, "replay-seek'", "{ 'command': 'replay-seek'"),
    });
    const value = (h.contents as { value: string }).value;
    assert.match(value, /command replay-seek/);
    assert.match(value, /Automatically proceed to the instruction count/);
    assert.match(value, /`icount`: target instruction count/);
    assert.match(value, /\*\*Since:\*\* 5\.2/);
    assert.match(value, /-> \{ "execute": "replay-seek"/);
  });

  void it("goes from 'returns': 'ReplayInfo' to the ReplayInfo struct", async () => {
    const from = positionOf(replayText, "Info'", "'returns': 'ReplayInfo'");
    const loc = await lsp.request<Location>('textDocument/definition', { textDocument: { uri: uriOf(replay) }, position: from });
    assert.equal(loc.uri, uriOf(replay));
    assert.deepEqual(loc.range.start, positionOf(replayText, "'ReplayInfo'", "{ 'struct': 'ReplayInfo'"));
  });

  void it('finds the uses of a type across included modules', async () => {
    // JobStatus is defined in job.json and used in job.json and block-core.json.
    const job = path.join(qapiDir, 'job.json');
    const text = readFileSync(job, 'utf8');
    const refs = await lsp.request<Location[]>('textDocument/references', {
      textDocument: { uri: uriOf(job) }, position: positionOf(text, "JobStatus'", "{ 'enum': 'JobStatus'"),
      context: { includeDeclaration: true },
    });
    const files = new Set(refs.map((r) => path.basename(new URL(r.uri).pathname)));
    assert.deepEqual([...files].sort(), ['block-core.json', 'job.json']);
    // Independent count: every quoted use of the name after a ':' (the declaration included) in all modules.
    let expected = 0;
    for (const m of modules) expected += [...readFileSync(path.join(qapiDir, m), 'utf8').matchAll(/: *\[? *'JobStatus'/g)].length;
    assert.equal(refs.length, expected);
  });
});
