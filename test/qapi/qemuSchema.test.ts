// QEMU's real schema (qapi-schema.json and the modules it includes) through the language server: it must give
// no diagnostic at all, every definition must be a symbol, and the replay interface must be navigable. Both QEMU 7.2's
// (test/fixtures/qemu-7.2) and today's upstream schema (test/fixtures/qemu-master, with the guest agent's and the storage
// daemon's): their doc comments follow different rules, told apart by QEMU's VERSION file.

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

void describe("today's upstream QEMU schema (qemu-master: qapi/, qga/, storage-daemon/)", () => {
  const top = path.join(repoRoot, 'test', 'fixtures', 'qemu-master');
  const upstreamQapi = path.join(top, 'qapi');
  const upstreamModules = readdirSync(upstreamQapi).filter((f) => f.endsWith('.json')).sort();
  const replay = path.join(upstreamQapi, 'replay.json');
  const replayText = readFileSync(replay, 'utf8');
  let lsp: LspHarness;

  before(async () => { lsp = await LspHarness.start(); });
  after(() => lsp.dispose());

  const errorsOf = (file: string): string[] => {
    const diags = lsp.diagnostics.get(uriOf(file));
    assert.ok(diags, `no diagnostics published for ${file}`);
    return diags.map((d) => `${path.relative(top, file)}:${d.range.start.line + 1}: ${messageOf(d)}`);
  };

  void it('checks qapi/qapi-schema.json and every module with zero diagnostics', async () => {
    await lsp.open(replay, replayText);
    assert.deepEqual(upstreamModules.flatMap((m) => errorsOf(path.join(upstreamQapi, m))), []);
    assert.ok(upstreamModules.length >= 45, `${upstreamModules.length} modules`);
  });

  void it("checks the guest agent's and the storage daemon's schemas with zero diagnostics", async () => {
    for (const root of [path.join(top, 'qga', 'qapi-schema.json'), path.join(top, 'storage-daemon', 'qapi', 'qapi-schema.json')]) {
      const text = readFileSync(root, 'utf8');
      await lsp.open(root, text);
      const included = [...text.matchAll(/^\{ 'include': '([^']+)' \}/gm)].map((m) => path.resolve(path.dirname(root), m[1]));
      assert.deepEqual([root, ...included].flatMap(errorsOf), []);
    }
  });

  void it('makes every definition a document symbol', async () => {
    let total = 0;
    for (const m of upstreamModules) {
      const file = path.join(upstreamQapi, m);
      const symbols = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: uriOf(file) } });
      const expected = definitionsIn(readFileSync(file, 'utf8'));
      assert.deepEqual(symbols.map((s) => s.name), expected, m);
      total += expected.length;
    }
    assert.ok(total > 900, `only ${total} definitions found`);
  });

  const hoverAt = async (needle: string, after: string): Promise<string> => {
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: uriOf(replay) }, position: positionOf(replayText, needle, after) });
    return (h.contents as { value: string }).value;
  };

  void it('shows whole doc blocks on hover: indented continuation lines, every member, Since', async () => {
    const mode = await hoverAt("ReplayMode'", "{ 'enum': 'ReplayMode'");
    assert.match(mode, /enum ReplayMode/);
    assert.match(mode, /`record`: record mode\. {2}All non-deterministic data is written into the replay log\./);
    assert.match(mode, /`play`: replay mode\. {2}Non-deterministic data required for system execution is read from the log\./);
    assert.match(mode, /\*\*Since:\*\* 2\.5/);
    const info = await hoverAt("ReplayInfo'", "{ 'struct': 'ReplayInfo'");
    assert.match(info, /`filename`: name of the record\/replay log file\. {2}It is present only in record or replay modes, when the log is recorded or replayed\./);
    assert.match(info, /`icount`: current number of executed instructions\./);
    assert.match(info, /\*\*Since:\*\* 5\.2/);
  });

  void it('shows a .. qmp-example:: block as an example in a code block', async () => {
    const seek = await hoverAt("replay-seek'", "{ 'command': 'replay-seek'");
    assert.match(seek, /Automatically proceed to the instruction count `icount`/);
    assert.match(seek, /\*\*Example\*\*\n\n```+\n-> \{ "execute": "replay-seek", "arguments": \{ "icount": 220414 \} \}\n<- \{ "return": \{\} \}\n```+/);
    assert.doesNotMatch(seek, /qmp-example/);
  });
});
