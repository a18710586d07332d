// The assembly TextMate grammar (syntaxes/asm.tmLanguage.json): the scope fixtures in test/unit/asm-grammar
// (vscode-tmgrammar-test format), a control that a wrong assertion does fail, and the sample guests' start-up code,
// where every instruction line starts with a mnemonic scope and nothing is invalid.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as textmate from 'vscode-textmate';
import { loadGrammar, runGrammarFixtures } from '../support/textmate';

const repoRoot = path.resolve(__dirname, '..', '..');
const grammarFile = path.join(repoRoot, 'syntaxes', 'asm.tmLanguage.json');
const fixtures = path.join(__dirname, 'asm-grammar');



void describe('assembly TextMate grammar', () => {
  void it('passes the scope fixtures', () => {
    const names = readdirSync(fixtures).filter((f) => f.endsWith('.S'));
    assert.ok(names.length >= 2);
    const { status, output } = runGrammarFixtures(grammarFile, path.join(fixtures, '*.S'));
    assert.equal(status, 0, output);
    for (const n of names) assert.match(output, new RegExp(`${n.replace('.', '\\.')} run successfuly`), output);
  });

  void it('fails a fixture with a wrong scope (the fixture runner does check)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'asm-grammar-'));
    try {
      writeFileSync(path.join(dir, 'wrong.S'), '// SYNTAX TEST "source.asm.gnu"\n    hvc #0\n//      ^^ comment.line.number-sign.asm\n');
      const { status, output } = runGrammarFixtures(grammarFile, path.join(dir, '*.S'));
      assert.notEqual(status, 0, output);
      assert.match(output, /comment\.line\.number-sign\.asm/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("scopes the sample guests' start-up code: a mnemonic on every instruction line, comments as comments", async () => {
    const grammar = await loadGrammar(grammarFile, 'source.asm.gnu');
    for (const name of ['start-aarch64.S', 'start-riscv64.S']) {
      const file = path.join(repoRoot, 'test', 'guests', name);
      let stack = textmate.INITIAL;
      let instructions = 0;
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const r = grammar.tokenizeLine(line, stack);
        stack = r.ruleStack;
        const tokens = r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.join(' ') }));
        for (const t of tokens) assert.ok(!t.scopes.includes('invalid'), `${name}:${i + 1}: '${t.text}' is ${t.scopes}`);
        // An instruction line: optional label, then a lower-case word that is not a directive, outside a comment.
        const m = /^(?:\s*\w+:)?\s+([a-z][\w.]*)\b/.exec(line);
        if (!m || /^\s*(\/\/|#|\/\*)/.test(line) || tokens[0]?.scopes.includes('comment')) return;
        instructions++;
        const word = tokens.find((t) => t.text.trim() === m[1]);
        assert.ok(word?.scopes.includes('keyword.other.instruction.asm'), `${name}:${i + 1}: '${m[1]}' is ${word?.scopes}`);
      });
      assert.ok(instructions >= 5, `${name}: ${instructions} instruction lines`);
    }
  });
});
