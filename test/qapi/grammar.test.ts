// The TextMate grammar: the scope fixtures in test/qapi/grammar (vscode-tmgrammar-test format), a control that a
// wrong assertion does fail, and a pass over QEMU's real schemas (7.2's and today's upstream, with the guest agent's
// and the storage daemon's) that must produce no invalid token and a definition scope exactly on the names the
// schema defines (never on a member named 'event', 'enum' or 'command').

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as textmate from 'vscode-textmate';
import { loadGrammar, runGrammarFixtures } from '../support/textmate';

const repoRoot = path.resolve(__dirname, '..', '..');
const grammarFile = path.join(repoRoot, 'syntaxes', 'qapi.tmLanguage.json');
const fixtures = path.join(__dirname, 'grammar');
const qapiDir = path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'qapi');
const upstream = path.join(repoRoot, 'test', 'fixtures', 'qemu-master');
const schemaFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));

/** The name a line defines, by a plain regular expression: QEMU starts each definition on a line of its own. */
function definedOnLine(line: string): string | undefined {
  return /^\s*\{\s*'(?:enum|struct|union|alternate|command|event)'\s*:\s*'([^']+)'/.exec(line)?.[1];
}

/** Tokenizes files; every token must be valid and every definition-scoped token the name its line defines. */
function checkFiles(grammar: textmate.IGrammar, files: string[]): { definitions: number; expected: number } {
  const root = grammar.tokenizeLine('', textmate.INITIAL).ruleStack;
  let definitions = 0;
  let expected = 0;
  for (const file of files) {
    let stack = textmate.INITIAL;
    const name = path.relative(repoRoot, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const r = grammar.tokenizeLine(line, stack);
      if (definedOnLine(line)) expected++;
      for (const t of r.tokens) {
        const scopes = t.scopes.join(' ');
        const text = line.slice(t.startIndex, t.endIndex);
        assert.ok(!scopes.includes('invalid'), `${name}:${i + 1}: '${text}' is ${scopes}`);
        if (/entity\.name\.(type|function)\.qapi|entity\.name\.function\.event\.qapi/.test(scopes) && !scopes.includes('reference')) {
          definitions++;
          assert.equal(text, `'${definedOnLine(line) ?? '(no definition on this line)'}'`, `${name}:${i + 1}: ${text} has a definition scope`);
        }
      }
      stack = r.ruleStack;
    });
    assert.ok(stack.equals(root), `${name}: ends inside a doc block or an expression`);
  }
  return { definitions, expected };
}



void describe('QAPI TextMate grammar', () => {
  void it('passes the scope fixtures', () => {
    const names = readdirSync(fixtures).filter((f) => f.endsWith('.qapi'));
    assert.ok(names.length >= 3);
    const { status, output } = runGrammarFixtures(grammarFile, path.join(fixtures, '*.qapi'));
    assert.equal(status, 0, output);
    for (const n of names) assert.match(output, new RegExp(`${n.replace('.', '\\.')} run successfuly`), output);
  });

  void it('fails a fixture with a wrong scope (the fixture runner does check)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qapi-grammar-'));
    try {
      writeFileSync(path.join(dir, 'wrong.qapi'), "# SYNTAX TEST \"source.qapi\"\n{ 'struct': 'Foo' }\n#           ^^^^^ entity.name.function.qapi\n");
      const { status, output } = runGrammarFixtures(grammarFile, path.join(dir, '*.qapi'));
      assert.notEqual(status, 0, output);
      assert.match(output, /entity\.name\.function\.qapi/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("tokenizes QEMU's schema without an invalid token and closes every doc block", async () => {
    const grammar = await loadGrammar(grammarFile, 'source.qapi');
    const { definitions, expected } = checkFiles(grammar, schemaFiles(qapiDir));
    assert.ok(definitions > 800, `${definitions} definition names highlighted`);
    assert.equal(definitions, expected);
  });

  void it("tokenizes today's upstream schemas: no invalid token, definition scopes only on defined names", async () => {
    const grammar = await loadGrammar(grammarFile, 'source.qapi');
    const files = [...schemaFiles(path.join(upstream, 'qapi')), path.join(upstream, 'qga', 'qapi-schema.json'),
      path.join(upstream, 'storage-daemon', 'qapi', 'qapi-schema.json')];
    const { definitions, expected } = checkFiles(grammar, files);
    assert.ok(definitions > 1000, `${definitions} definition names highlighted`);
    assert.equal(definitions, expected);
  });
});
