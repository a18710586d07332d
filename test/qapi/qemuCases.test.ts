// QEMU's own schema test suite (tests/qapi-schema/ of QEMU 7.2, copied unchanged into test/fixtures/qemu-7.2): every
// `X.json` with a non-empty `X.err` must be flagged where QEMU flags it, and every valid case must give no error at all.
//
// QEMU gives one line per error: for syntax and doc comment errors the exact line, for errors about a definition
// the line where that definition (or its doc comment) starts. The server points at the offending member, so a
// case counts as flagged "in the unit" when an error lies inside the expression or doc block starting at QEMU's
// line, and "on the line" when an error starts on exactly that line. Both counts are floors that cannot drop.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LspHarness, messageOf, uriOf } from './lspHarness';

const repoRoot = path.resolve(__dirname, '..', '..');
const casesDir = path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'tests', 'qapi-schema');

/** Measured on QEMU 7.2's suite; raise them when the server gets better, never lower them. */
const FLAGGED_IN_UNIT = 190;
const FLAGGED_ON_LINE = 118;
/** Cases answered with exactly one error (QEMU's own behaviour): guards against cascades of echo errors. */
const SINGLE_ERROR = 186;

/**
 * The `.err` files without a `.json`, in QEMU's own tree too: missing-schema's case is a file that does not exist, and
 * escape-outside-string is a leftover (QEMU's meson.build does not list it). No other case may go unread.
 */
const WITHOUT_SCHEMA = ['escape-outside-string', 'missing-schema'];

interface Case { name: string; json: string; expected: { file: string; line: number; message: string } | undefined }

function loadCases(withoutSchema: string[]): Case[] {
  const cases: Case[] = [];
  for (const err of readdirSync(casesDir).filter((f) => f.endsWith('.err')).sort()) {
    const name = err.slice(0, -4);
    const json = path.join(casesDir, `${name}.json`);
    if (!existsSync(json)) {
      withoutSchema.push(name);
      continue;
    }
    const text = readFileSync(path.join(casesDir, err), 'utf8').trim();
    if (!text) {
      cases.push({ name, json, expected: undefined });
      continue;
    }
    // Skip the "In file included from" and "In struct 'X':" context lines; the next one has file:line.
    const line = text.split('\n').find((l) => !/^In file included from|: In [a-z]+ '.*':$/.test(l))!;
    const m = /^([\w.-]+\.json):(\d+)(?::\d+)?: (.*)$/.exec(line);
    assert.ok(m, `cannot read the location in ${err}: ${line}`);
    cases.push({ name, json, expected: { file: m[1], line: Number(m[2]), message: m[3] } });
  }
  return cases;
}

/** Lines (1-based) where QEMU's unit at `line` ends: the next line starting an expression or a doc block. */
function unitEnd(file: string, line: number): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  let next = line + 1;
  while (next <= lines.length && !/^(\{|##)/.test(lines[next - 1])) next++;
  return next;
}

void describe("QEMU's schema test cases (tests/qapi-schema)", () => {
  const withoutSchema: string[] = [];
  const cases = loadCases(withoutSchema);
  let lsp: LspHarness;
  before(async () => { lsp = await LspHarness.start(); });
  after(() => lsp.dispose());

  void it('reads the suite', () => {
    assert.ok(cases.filter((c) => c.expected).length >= 190, `only ${cases.length} cases found in ${casesDir}`);
    assert.ok(cases.filter((c) => !c.expected).length >= 8);
    assert.deepEqual(withoutSchema, WITHOUT_SCHEMA, 'cases with an .err but no .json');
  });

  void it('gives no error for the valid cases', async () => {
    for (const c of cases.filter((x) => !x.expected)) {
      const text = readFileSync(c.json, 'utf8');
      await lsp.open(c.json, text);
      // The case and what it includes (the server may also check a file that includes the case: not ours).
      const files = [c.json, ...[...text.matchAll(/'include': '([^']+)'/g)].map((m) => path.join(casesDir, m[1]))];
      for (const file of files) {
        const diags = lsp.diagnostics.get(uriOf(file));
        assert.ok(diags, `no diagnostics published for ${file}`);
        assert.deepEqual(diags.map((d) => `${file}:${d.range.start.line + 1}: ${messageOf(d)}`), [], c.name);
      }
      await lsp.close(c.json);
    }
  });

  void it('flags the error cases where QEMU does', async (t) => {
    let inUnit = 0;
    let onLine = 0;
    let single = 0;
    const missed: string[] = [];
    const errorCases = cases.filter((c) => c.expected);
    for (const c of errorCases) {
      const exp = c.expected!;
      await lsp.open(c.json, readFileSync(c.json, 'utf8'));
      const file = path.join(casesDir, exp.file);
      const lines = (lsp.diagnostics.get(uriOf(file)) ?? []).filter((d) => d.severity === 1).map((d) => d.range.start.line + 1);
      const errors = [...lsp.diagnostics.values()].flat().filter((d) => d.severity === 1).length;
      if (errors === 1) single++;
      const end = unitEnd(file, exp.line);
      if (lines.includes(exp.line)) onLine++;
      if (lines.some((l) => l >= exp.line && l < end)) inUnit++;
      else missed.push(`${c.name}: ${exp.file}:${exp.line}: ${exp.message} (server: ${lines.join(', ') || 'nothing'})`);
      await lsp.close(c.json);
    }
    t.diagnostic(`flagged in QEMU's unit: ${inUnit}/${errorCases.length}; on QEMU's exact line: ${onLine}/${errorCases.length}; `
      + `exactly one error: ${single}/${errorCases.length}`);
    assert.ok(inUnit >= FLAGGED_IN_UNIT, `flagged ${inUnit} < ${FLAGGED_IN_UNIT}; missed:\n${missed.join('\n')}`);
    assert.ok(onLine >= FLAGGED_ON_LINE, `on the line ${onLine} < ${FLAGGED_ON_LINE}`);
    assert.ok(single >= SINGLE_ERROR, `exactly one error in ${single} cases < ${SINGLE_ERROR}`);
  });
});
