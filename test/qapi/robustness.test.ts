// Bad input never crashes or hangs the analysis or the server: random and truncated text (property tests),
// unbalanced brackets, bad escapes, non-ASCII, include loops, 10 MB files. After each, the next edit with a
// valid schema must come back clean.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Hover } from 'vscode-languageserver/node';
import { parseSchema } from '../../server/qapi/parser';
import { analyzeProgram, type Program } from '../../server/qapi/program';
import { QapiWorkspace } from '../../server/qapi/workspace';
import { LspHarness, messageOf, uriOf } from './lspHarness';

const repoRoot = path.resolve(__dirname, '..', '..');
const replayJson = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'qapi', 'replay.json'), 'utf8');

/** Analyses one in-memory file; every problem must lie inside the text. */
function analyzeText(text: string): number {
  const file = '/virtual/schema.qapi';
  const program = analyzeProgram(file, { read: (f) => (f === file ? text : undefined) });
  let count = 0;
  for (const problems of program.problems.values()) {
    for (const p of problems) {
      assert.ok(p.start >= 0 && p.start <= p.end && p.end <= text.length, `span ${p.start}-${p.end} outside 0-${text.length}: ${p.message}`);
      count++;
    }
  }
  return count;
}

// Pieces of schema syntax, so random text often looks like a schema and reaches the deeper checks.
const piece = fc.constantFrom('{', '}', '[', ']', ':', ',', "'", "'struct'", "'data'", "'command'", "'enum'", "'union'",
  "'base'", "'include'", "'if'", "'features'", "'Foo'", "'str'", "'*opt'", 'true', 'false', '#', '##', '\n##\n', '# @Foo:\n',
  '\n', ' ', '\\', '\\\\', 'é', '\u0000', '\t', '"', 'x');

void describe('robustness: analysis of bad input', () => {
  void it('never throws on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => { analyzeText(s); }), { numRuns: 300 });
  });

  void it('never throws on random sequences of schema tokens', () => {
    fc.assert(fc.property(fc.array(piece, { maxLength: 200 }), (parts) => { analyzeText(parts.join('')); }), { numRuns: 500 });
  });

  void it('never throws on truncated or spliced real schema text, and flags truncation inside an expression', () => {
    fc.assert(fc.property(fc.nat(replayJson.length), fc.nat(replayJson.length), (a, b) => {
      const cut = replayJson.slice(0, a);
      const problems = analyzeText(cut);
      // Inside an expression (more '{' than '}' outside comments and strings), something must be reported.
      const code = cut.replace(/#.*$/gm, '').replace(/'[^'\n]*'/g, "''");
      if ((code.match(/\{/g) ?? []).length > (code.match(/\}/g) ?? []).length) assert.ok(problems > 0, `no problem at cut ${a}`);
      analyzeText(replayJson.slice(0, Math.min(a, b)) + replayJson.slice(Math.max(a, b)));
    }), { numRuns: 200 });
  });

  void it('handles pathological shapes', () => {
    for (const text of ['['.repeat(100_000), '{'.repeat(100_000), `{ 'a': ${"['x', ".repeat(50_000)}`,
      "'".repeat(100_001), '#'.repeat(100_000), `##\n${'# @x:\n'.repeat(10_000)}`, '\\'.repeat(100_000), 'é'.repeat(100_000)]) {
      const parsed = parseSchema(text);
      assert.ok(parsed.problems.length <= 200);
      analyzeText(text);
    }
  });
});

void describe('robustness: the server survives and recovers', () => {
  let lsp: LspHarness;
  let dir: string;
  let version = 1;
  const good = "##\n# @Good:\n#\n# @a: a member\n##\n{ 'struct': 'Good', 'data': { 'a': 'str' } }\n";
  before(async () => {
    lsp = await LspHarness.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'qapi-robust-'));
  });
  after(() => {
    lsp.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string, RegExp][] = [
    ['truncated', good.slice(0, good.length - 12), /expected/],
    ['unbalanced brackets', "{ 'struct': 'Good', 'data': { 'a': ['str' } }\n", /expected ',' or '\]'/],
    ['invalid escape', "{ 'struct': 'Go\\od', 'data': {} }\n", /unknown escape \\o/],
    ['non-ASCII in a string', "{ 'struct': 'Gööd', 'data': {} }\n", /only printable ASCII/],
    ['non-ASCII outside strings', "{ 'struct': 'Good', 'data': {} } ü\n", /stray 'ü'/],
    ['stray words', "{ 'struct': Good, 'data': {} }\n", /stray 'Good'/],
    ['10 MB of one unterminated string', `{ 'struct': '${'x'.repeat(10 * 1024 * 1024)}\n`, /missing terminating/],
    ['10 MB of opening brackets', '['.repeat(10 * 1024 * 1024), /nesting deeper/],
  ];

  void it('reports each bad input and comes back clean after the next edit', async () => {
    const file = path.join(dir, 'edited.qapi');
    writeFileSync(file, good);
    assert.deepEqual(await lsp.open(file, good), []);
    for (const [name, text, expected] of cases) {
      const diags = await lsp.change(file, text, ++version);
      assert.ok(diags.some((d) => expected.test(messageOf(d))), `${name}: ${diags.map((d) => messageOf(d)).join(' | ')}`);
      assert.deepEqual(await lsp.change(file, good, ++version), [], `${name}: not clean after the fix`);
    }
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: uriOf(file) }, position: { line: 5, character: 14 } });
    assert.match((h.contents as { value: string }).value, /struct Good/);
  });

  void it('checks a 10 MB schema (about 145 000 definitions)', async () => {
    const file = path.join(dir, 'big.qapi');
    const parts: string[] = [];
    for (let i = 0, bytes = 0; bytes < 10 * 1024 * 1024; i++) {
      parts.push(`{ 'struct': 'Type${i}', 'data': { 'next': 'Type${i + 1}', '*n': 'int' } }\n`);
      bytes += parts[i].length;
    }
    const text = parts.join('');
    writeFileSync(file, text);
    const diags = await lsp.open(file, text);
    // Only the last definition refers to a type that does not exist.
    assert.equal(diags.length, 1);
    assert.match(messageOf(diags[0]), new RegExp(`^member 'next' uses unknown type 'Type${parts.length}'; did you mean 'Type\\d+'\\?$`));
    await lsp.close(file);
  });

  void it('turns a failure inside the analysis into a diagnostic and recovers on the next edit', async () => {
    /** Fails while the text contains BOOM, as a bug in the checks would. */
    class FailingWorkspace extends QapiWorkspace {
      override refresh(file: string): Program[] {
        if (this.source.read(file)?.includes('BOOM')) throw new Error('injected failure');
        return super.refresh(file);
      }
    }
    const failing = await LspHarness.start(0, [], new FailingWorkspace());
    try {
      const file = path.join(dir, 'failing.qapi');
      const diags = await failing.open(file, `# BOOM\n${good}`);
      assert.deepEqual(diags.map((d) => messageOf(d)), [
        'Internal error of the QAPI language server: injected failure. Edit the file to retry; the log has details.']);
      assert.ok(failing.log.some((l) => l.includes('injected failure')), 'the stack goes to the log');
      assert.deepEqual(await failing.change(file, good, 2), []);
      const bad = await failing.change(file, good.replace("'str'", "'Nope'"), 3);
      assert.deepEqual(bad.map((d) => messageOf(d)), ["member 'a' uses unknown type 'Nope'"]);
    } finally {
      failing.dispose();
    }
  });

  void it('re-checks an included module changed on disk', async () => {
    const top = path.join(dir, 'top.qapi');
    const sub = path.join(dir, 'sub.qapi');
    writeFileSync(sub, "{ 'struct': 'Sub', 'data': {} }\n");
    writeFileSync(top, "{ 'include': 'sub.qapi' }\n{ 'struct': 'Top', 'data': { 's': 'Sub' } }\n");
    assert.deepEqual(await lsp.open(top, readFileSync(top, 'utf8')), []);
    writeFileSync(sub, "{ 'struct': 'Sub', 'data': { 'x': 'Nope' } }\n");
    const next = lsp.nextDiagnostics(uriOf(sub));
    await lsp.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(sub), type: 2 }] });
    assert.deepEqual((await next).map((d) => messageOf(d)), ["member 'x' uses unknown type 'Nope'"]);
    await lsp.close(top);
  });

  void it('reports include loops and missing includes at the directive', async () => {
    const a = path.join(dir, 'a.qapi');
    const b = path.join(dir, 'b.qapi');
    writeFileSync(a, "{ 'include': 'b.qapi' }\n{ 'include': 'missing.qapi' }\n");
    writeFileSync(b, "{ 'include': 'a.qapi' }\n");
    await lsp.open(a, readFileSync(a, 'utf8'));
    const inB = lsp.diagnostics.get(uriOf(b))!.map((d) => [d.range.start.line, messageOf(d)]);
    const inA = lsp.diagnostics.get(uriOf(a))!.map((d) => [d.range.start.line, messageOf(d)]);
    assert.deepEqual(inB, [[0, 'inclusion loop for a.qapi']]);
    assert.deepEqual(inA, [[1, "can't read include file 'missing.qapi': No such file or directory"]]);
  });
});
