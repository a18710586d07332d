// QEMU's own schema test suite, of QEMU 7.2 and of today's upstream (tests/qapi-schema/, copied unchanged into
// test/fixtures/qemu-7.2 and test/fixtures/qemu-master): every `X.json` with a non-empty `X.err` must be flagged where
// QEMU flags it, and every valid case must give no error at all. Each suite is checked by the rules of its own QEMU
// (their VERSION files say which). For upstream's suite the expected errors are those QEMU's own checker printed for
// each case (test/qapi/oracle/qemu-master-cases.json, written by test/qapi/oracle/generate.mjs); they agree with the
// `.err` files on every line.
//
// QEMU gives one line per error: for syntax and doc comment errors the exact line, for errors about a definition
// the line where that definition's expression starts, whichever member the error is about. The server does the
// same (the offending member is the diagnostic's related information). A case counts as flagged "in the unit" when
// an error lies inside the expression or doc block starting at QEMU's line, and "on the line" when an error starts
// on exactly that line. Both counts are floors that cannot drop.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LspHarness, messageOf, uriOf } from './lspHarness';

const repoRoot = path.resolve(__dirname, '..', '..');

interface Suite {
  readonly title: string;
  readonly casesDir: string;
  /** Measured on the suite; raise them when the server gets better, never lower them. */
  readonly flaggedInUnit: number;
  readonly flaggedOnLine: number;
  /** Cases answered with exactly one error (QEMU's own behaviour): guards against cascades of echo errors. */
  readonly singleError: number;
  readonly minErrorCases: number;
  readonly minValidCases: number;
  /** Cases that must be flagged in QEMU's unit whatever the totals (each was missed once). */
  readonly mustFlag: readonly string[];
  /** Valid cases that must be among the suite's (and so give no error). */
  readonly mustBeValid: readonly string[];
  /** QEMU's checker's verdict per case, when recorded: it decides instead of the `.err` files. */
  readonly oracle?: Record<string, { file: string; line: number; message: string } | null>;
}

/**
 * The `.err` files without a `.json`, in QEMU's own tree too: missing-schema's case is a file that does not exist, and
 * escape-outside-string is a leftover (QEMU's meson.build does not list it). No other case may go unread.
 */
const WITHOUT_SCHEMA = ['escape-outside-string', 'missing-schema'];

const oracleFile = path.join(__dirname, 'oracle', 'qemu-master-cases.json');

const SUITES: Suite[] = [
  {
    title: "QEMU 7.2's schema test cases (tests/qapi-schema)",
    casesDir: path.join(repoRoot, 'test', 'fixtures', 'qemu-7.2', 'tests', 'qapi-schema'),
    flaggedInUnit: 190, flaggedOnLine: 182, singleError: 186, minErrorCases: 190, minValidCases: 8, mustFlag: [], mustBeValid: ['doc-good'],
  },
  {
    title: "today's upstream schema test cases (qemu-master tests/qapi-schema)",
    casesDir: path.join(repoRoot, 'test', 'fixtures', 'qemu-master', 'tests', 'qapi-schema'),
    flaggedInUnit: 201, flaggedOnLine: 201, singleError: 197, minErrorCases: 201, minValidCases: 8,
    // The cases the server had no error for before it knew today's rules (issue #14).
    mustFlag: ['args-if-implicit', 'args-if-unboxed', 'event-args-if-unboxed', 'doc-bad-space-between-sentences',
      'doc-duplicate-features', 'doc-empty-features', 'doc-empty-section', 'doc-invalid-return2', 'doc-long-line',
      'features-too-many', 'struct-data-typename', 'union-invalid-union-subfield'],
    // doc-good.json has every doc comment construct of today's QEMU; it got 2 diagnostics with 7.2's rules.
    mustBeValid: ['doc-good'],
    oracle: (JSON.parse(readFileSync(oracleFile, 'utf8')) as { cases: Suite['oracle'] }).cases,
  },
];

interface Case { name: string; json: string; expected: { file: string; line: number; message: string } | undefined }

function loadCases(casesDir: string, withoutSchema: string[]): Case[] {
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
    // Upstream's .err files name some cases with their folder (tests/qapi-schema/x.json).
    const m = /^(?:[\w.-]*\/)*([\w.-]+\.json):(\d+)(?::\d+)?: (.*)$/.exec(line);
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

for (const suite of SUITES) void describe(suite.title, () => {
  const { casesDir } = suite;
  const withoutSchema: string[] = [];
  const cases = loadCases(casesDir, withoutSchema);
  let lsp: LspHarness;
  before(async () => { lsp = await LspHarness.start(); });
  after(() => lsp.dispose());

  void it('reads the suite', () => {
    assert.ok(cases.filter((c) => c.expected).length >= suite.minErrorCases, `only ${cases.length} cases found in ${casesDir}`);
    assert.ok(cases.filter((c) => !c.expected).length >= suite.minValidCases);
    assert.deepEqual(withoutSchema, WITHOUT_SCHEMA, 'cases with an .err but no .json');
    for (const name of suite.mustFlag) assert.ok(cases.some((c) => c.name === name && c.expected), `${name} is not an error case`);
    for (const name of suite.mustBeValid) assert.ok(cases.some((c) => c.name === name && !c.expected), `${name} is not a valid case`);
  });

  if (suite.oracle) {
    void it("agrees with QEMU's checker on which cases are errors and where (the recorded oracle)", () => {
      const oracle = suite.oracle!;
      assert.deepEqual(cases.map((c) => c.name), Object.keys(oracle), 'the oracle covers exactly the cases');
      for (const c of cases) {
        const o = oracle[c.name];
        assert.deepEqual(c.expected ? [c.expected.file, c.expected.line] : null, o ? [o.file, o.line] : null, c.name);
      }
    });
  }

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
    const flagged = new Set<string>();
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
      if (lines.some((l) => l >= exp.line && l < end)) {
        inUnit++;
        flagged.add(c.name);
      } else missed.push(`${c.name}: ${exp.file}:${exp.line}: ${exp.message} (server: ${lines.join(', ') || 'nothing'})`);
      await lsp.close(c.json);
    }
    t.diagnostic(`flagged in QEMU's unit: ${inUnit}/${errorCases.length}; on QEMU's exact line: ${onLine}/${errorCases.length}; `
      + `exactly one error: ${single}/${errorCases.length}`);
    assert.deepEqual(suite.mustFlag.filter((n) => !flagged.has(n)), [], 'cases that must be flagged in the unit');
    assert.ok(inUnit >= suite.flaggedInUnit, `flagged ${inUnit} < ${suite.flaggedInUnit}; missed:\n${missed.join('\n')}`);
    assert.ok(onLine >= suite.flaggedOnLine, `on the line ${onLine} < ${suite.flaggedOnLine}`);
    assert.ok(single >= suite.singleError, `exactly one error in ${single} cases < ${suite.singleError}`);
  });
});
