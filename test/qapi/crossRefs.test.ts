// Cross-references in doc comments (`` `name` ``, `` `Type.member` ``, `@member`) and enum values as names of their
// own: hover, definition, references and rename go through them; a union's branch stands for the value of its
// discriminator's enum it is named after. On a small schema (test/qapi/fixtures/xref, accepted by QEMU's own
// checker) and on today's upstream replay.json.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hover, Location, Range, TextEdit } from 'vscode-languageserver/node';
import { LspHarness, positionOf, uriOf } from './lspHarness';

const file = path.join(__dirname, 'fixtures', 'xref', 'replay.qapi');
const text = readFileSync(file, 'utf8');
const upstreamQapi = path.resolve(__dirname, '..', 'fixtures', 'qemu-master', 'qapi');

type Edits = { changes: Record<string, TextEdit[]> };

/** 1-based line of each range, and the text it covers in `source`. */
function covered(source: string, ranges: Range[]): string[] {
  const lines = source.split('\n');
  return ranges.map((r) => `${r.start.line + 1}:${lines[r.start.line].slice(r.start.character, r.end.character)}`)
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
}

/** Applies one file's edits (they never overlap) to its text. */
function apply(source: string, edits: TextEdit[]): string {
  const lines = source.split('\n');
  const offset = (p: { line: number; character: number }): number =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  let out = source;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  }
  return out;
}

void describe('cross-references and enum values', () => {
  let lsp: LspHarness;
  let version = 1;
  before(async () => {
    lsp = await LspHarness.start();
    assert.deepEqual(await lsp.open(file, text), []);
  });
  after(() => lsp.dispose());

  /** Position `delta` characters into `needle` (found after `after`). */
  const at = (needle: string, after = '', delta = 1): { textDocument: { uri: string }; position: { line: number; character: number } } => {
    const p = positionOf(text, needle, after);
    return { textDocument: { uri: uriOf(file) }, position: { line: p.line, character: p.character + delta } };
  };
  const hoverText = async (params: object): Promise<string> =>
    ((await lsp.request<Hover>('textDocument/hover', params)).contents as { value: string }).value;
  const lineOf = (needle: string, after = ''): number => positionOf(text, needle, after).line + 1;

  void it('hovers and follows a `name` cross-reference to the definition', async () => {
    const params = at('`replay-break`', '# Options per mode', 2);
    assert.match(await hoverText(params), /command replay-break[\s\S]*Set a breakpoint/);
    const loc = await lsp.request<Location>('textDocument/definition', params);
    assert.deepEqual([loc.uri, loc.range.start.line + 1], [uriOf(file), lineOf("'replay-break'", "{ 'command'")]);
  });

  void it('follows `Type.member` and @member mentions to the member', async () => {
    const tick = await lsp.request<Location>('textDocument/definition', at('play`', '# Works in `ReplayMode.'));
    assert.deepEqual(tick.range.start, positionOf(text, "'play'", "{ 'enum'"));
    assert.match(await hoverText(at('play`', '# Works in `ReplayMode.')), /ReplayMode\.play[\s\S]*value of enum ReplayMode[\s\S]*replay mode\. {2}Data is read/);
    const atMember = await lsp.request<Location>('textDocument/definition', at('icount;', '# Set a breakpoint at @'));
    assert.deepEqual(atMember.range.start, positionOf(text, "'icount'", "{ 'command': 'replay-break'"));
  });

  void it("goes from a union branch to the enum value it is named after (also an 'if'-conditioned one)", async () => {
    const play = await lsp.request<Location>('textDocument/definition', at("'play'", "'discriminator'"));
    assert.deepEqual(play.range.start, positionOf(text, "'play'", "{ 'enum'"));
    const check = await lsp.request<Location>('textDocument/definition', at("'x-check'", "'discriminator'"));
    assert.deepEqual(check.range.start, positionOf(text, "'x-check'", "{ 'name'"));
    assert.match(await hoverText(at("'play'", "'discriminator'")), /ReplayMode\.play[\s\S]*replay mode/);
  });

  void it('finds the references of a definition in `name` mentions', async () => {
    const refs = await lsp.request<Location[]>('textDocument/references',
      { ...at("'replay-break'", "{ 'command'"), context: { includeDeclaration: true } });
    assert.deepEqual(covered(text, refs.map((r) => r.range)), [
      `${lineOf('`replay-break`', '# Options')}:replay-break`, `${lineOf("'replay-break'", "{ 'command'")}:'replay-break'`,
      `${lineOf('`replay-break`', '# Retrieve')}:replay-break`,
    ]);
  });

  void it('finds the references of an enum value: branches, `Type.member` and @value mentions', async () => {
    const expected = [
      `${lineOf('`ReplayMode.play`')}:play`, `${lineOf("@play's")}:play`, `${lineOf("'play'", "{ 'enum'")}:'play'`,
      `${lineOf("'play'", "'discriminator'")}:'play'`, `${lineOf('`ReplayMode.play`', '# Works')}:play`,
    ];
    for (const from of [at("'play'", "{ 'enum'"), at("'play'", "'discriminator'"), at('play`', '# Works in `ReplayMode.')]) {
      const refs = await lsp.request<Location[]>('textDocument/references', { ...from, context: { includeDeclaration: true } });
      assert.deepEqual(covered(text, refs.map((r) => r.range)), expected);
    }
    const conditional = await lsp.request<Location[]>('textDocument/references',
      { ...at("'x-check'", "{ 'name'"), context: { includeDeclaration: false } });
    assert.deepEqual(covered(text, conditional.map((r) => r.range)), [`${lineOf("'x-check'", "'discriminator'")}:'x-check'`]);
  });

  void it('renames a definition in its `name` mentions', async () => {
    const edit = await lsp.request<Edits>('textDocument/rename', { ...at("'replay-break'", "{ 'command'"), newName: 'replay-set-break' });
    const renamed = apply(text, edit.changes[uriOf(file)]);
    assert.doesNotMatch(renamed, /replay-break/);
    assert.equal(renamed.match(/replay-set-break/g)?.length, 4);   // definition, its doc's @name line, two mentions
    assert.deepEqual(await lsp.change(file, renamed, ++version), []);
    await lsp.change(file, text, ++version);
  });

  void it('renames an enum value: value, branch, description, mentions; the schema stays valid', async () => {
    const prep = await lsp.request<{ placeholder: string; range: Range }>('textDocument/prepareRename', at("'play'", "'discriminator'"));
    assert.equal(prep.placeholder, 'play');
    const edit = await lsp.request<Edits>('textDocument/rename', { ...at("'play'", "'discriminator'"), newName: 'replay' });
    assert.deepEqual(covered(text, edit.changes[uriOf(file)].map((e) => e.range)), [
      `${lineOf('`ReplayMode.play`')}:play`, `${lineOf('# @play:')}:play`, `${lineOf("@play's")}:play`,
      `${lineOf("'play'", "{ 'enum'")}:play`, `${lineOf("'play'", "'discriminator'")}:play`, `${lineOf('`ReplayMode.play`', '# Works')}:play`,
    ]);
    const renamed = apply(text, edit.changes[uriOf(file)]);
    assert.deepEqual(await lsp.change(file, renamed, ++version), [], 'the renamed schema has no error');
    const p = positionOf(renamed, "'replay'", "'discriminator'");
    const loc = await lsp.request<Location>('textDocument/definition',
      { textDocument: { uri: uriOf(file) }, position: { line: p.line, character: p.character + 1 } });
    assert.deepEqual(loc.range.start, positionOf(renamed, "'replay'", "{ 'enum'"));
    await lsp.change(file, text, ++version);

    const conditional = await lsp.request<Edits>('textDocument/rename', { ...at("'x-check'", "{ 'name'"), newName: 'x-verify' });
    assert.equal(conditional.changes[uriOf(file)].length, 3);   // value, branch, '# @x-check:'
    await assert.rejects(lsp.request('textDocument/rename', { ...at("'play'", "{ 'enum'"), newName: 'Play_Mode' }), /uppercase/);
    await assert.rejects(lsp.request('textDocument/rename', { ...at("'play'", "{ 'enum'"), newName: 'none' }), /already has value 'none'/);
  });
});

void describe("cross-references in today's upstream replay.json", () => {
  const replay = path.join(upstreamQapi, 'replay.json');
  const replayText = readFileSync(replay, 'utf8');
  let lsp: LspHarness;
  before(async () => {
    lsp = await LspHarness.start();
    await lsp.open(replay, replayText);
  });
  after(() => lsp.dispose());

  void it('hovers `replay-break` in the doc of query-replay', async () => {
    const p = positionOf(replayText, 'replay-break`', 'may be used for `');
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: uriOf(replay) }, position: { line: p.line, character: p.character + 2 } });
    assert.match((h.contents as { value: string }).value, /command replay-break[\s\S]*Set replay breakpoint at instruction count/);
  });

  void it('renames replay-break in its `replay-break` mentions too', async () => {
    const p = positionOf(replayText, "replay-break'", "{ 'command'");
    const edit = await lsp.request<Edits>('textDocument/rename', { textDocument: { uri: uriOf(replay) }, position: p, newName: 'replay-set-break' });
    // Independent count: the definition, its '# @replay-break:' line, every `replay-break` in every module and
    // the QMP examples that execute it.
    let mentions = 0;
    let examples = 0;
    for (const m of readdirSync(upstreamQapi).filter((f) => f.endsWith('.json'))) {
      const source = readFileSync(path.join(upstreamQapi, m), 'utf8');
      mentions += source.split('`replay-break`').length - 1;
      examples += source.split('"execute": "replay-break"').length - 1;
    }
    assert.ok(mentions >= 2 && examples >= 1);
    const all = Object.values(edit.changes).flat();
    assert.equal(all.length, 2 + mentions + examples);
    assert.doesNotMatch(apply(replayText, edit.changes[uriOf(replay)]), /replay-break\b(?!-)/);
  });
});
