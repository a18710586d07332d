// The TextMate grammar: the scope fixtures in test/qapi/grammar (vscode-tmgrammar-test format), a control that a
// wrong assertion does fail, and a pass over QEMU's real schema that must produce no invalid token.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const repoRoot = path.resolve(__dirname, '..', '..');
const grammarFile = path.join(repoRoot, 'syntaxes', 'qapi.tmLanguage.json');
const cli = path.join(repoRoot, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');
const fixtures = path.join(__dirname, 'grammar');
const qapiDir = path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'qapi');

function runFixtures(pattern: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [cli, '--compact', '-g', grammarFile, pattern], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: (scope: string) => Promise.resolve(scope === 'source.qapi'
      ? textmate.parseRawGrammar(readFileSync(grammarFile, 'utf8'), grammarFile) : null),
  });
  const grammar = await registry.loadGrammar('source.qapi');
  assert.ok(grammar);
  return grammar;
}

void describe('QAPI TextMate grammar', () => {
  void it('passes the scope fixtures', () => {
    const names = readdirSync(fixtures).filter((f) => f.endsWith('.qapi'));
    assert.ok(names.length >= 2);
    const { status, output } = runFixtures(path.join(fixtures, '*.qapi'));
    assert.equal(status, 0, output);
    for (const n of names) assert.match(output, new RegExp(`${n.replace('.', '\\.')} run successfuly`), output);
  });

  void it('fails a fixture with a wrong scope (the fixture runner does check)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qapi-grammar-'));
    try {
      writeFileSync(path.join(dir, 'wrong.qapi'), "# SYNTAX TEST \"source.qapi\"\n{ 'struct': 'Foo' }\n#           ^^^^^ entity.name.function.qapi\n");
      const { status, output } = runFixtures(path.join(dir, '*.qapi'));
      assert.notEqual(status, 0, output);
      assert.match(output, /entity\.name\.function\.qapi/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("tokenizes QEMU's schema without an invalid token and closes every doc block", async () => {
    const grammar = await loadGrammar();
    const root = grammar.tokenizeLine('', textmate.INITIAL).ruleStack;
    let definitions = 0;
    for (const name of readdirSync(qapiDir).filter((f) => f.endsWith('.json'))) {
      let stack = textmate.INITIAL;
      const lines = readFileSync(path.join(qapiDir, name), 'utf8').split('\n');
      lines.forEach((line, i) => {
        const r = grammar.tokenizeLine(line, stack);
        for (const t of r.tokens) {
          const scopes = t.scopes.join(' ');
          assert.ok(!scopes.includes('invalid'), `${name}:${i + 1}: '${line.slice(t.startIndex, t.endIndex)}' is ${scopes}`);
          if (/entity\.name\.(type|function)\.qapi|entity\.name\.function\.event\.qapi/.test(scopes) && !scopes.includes('reference')) definitions++;
        }
        stack = r.ruleStack;
      });
      assert.ok(stack.equals(root), `${name}: ends inside a doc block`);
    }
    assert.ok(definitions > 800, `${definitions} definition names highlighted`);
  });
});
