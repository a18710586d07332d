/**
 * What the grammar tests share (test/qapi/grammar.test.ts, test/unit/asm-grammar.test.ts): vscode-tmgrammar-test's
 * fixture runner on a grammar, and the grammar loaded with vscode-textmate + oniguruma as VS Code loads it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');

/** Runs the scope fixtures matching `pattern` against the grammar file; the runner's exit status and output. */
export function runGrammarFixtures(grammarFile: string, pattern: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [cli, '--compact', '-g', grammarFile, pattern], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The grammar of `scope` from `grammarFile`, ready to tokenize lines. */
export async function loadGrammar(grammarFile: string, scope: string): Promise<textmate.IGrammar> {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: (s: string) => Promise.resolve(s === scope
      ? textmate.parseRawGrammar(readFileSync(grammarFile, 'utf8'), grammarFile) : null),
  });
  const grammar = await registry.loadGrammar(scope);
  assert.ok(grammar, `no grammar for ${scope} in ${grammarFile}`);
  return grammar;
}
