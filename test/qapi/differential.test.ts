// Differential test against QEMU's own checker: 2000 seeded mutants of real schemas (test/qapi/oracle/mutants.ts:
// upstream's guest agent schema, QEMU's qapi-schema-test.json and doc-good.json, the cross-reference fixture), each
// checked by the server and compared with the verdict QEMU's checker gave on the same text, recorded by hand in
// test/qapi/oracle/mutants-expected.json (generate-mutants.ts; the tests never run QEMU's code). Agreement on
// error / no error and on QEMU's line are reported and kept as floors.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ParseCache, analyzeProgram } from '../../server/qapi/program';
import { generateMutants, SEED } from './oracle/mutants';

const recorded = JSON.parse(readFileSync(path.join(__dirname, 'oracle', 'mutants-expected.json'), 'utf8')) as
  { seed: number; mutants: Record<string, [string, string | null]> };

/** Floors measured when the test was written; raise them when the server gets better, never lower them. */
const VERDICT_AGREEMENT = 2000;
const LINE_AGREEMENT = 1338;
const UNIT_AGREEMENT = 1686;

const disk = new Map<string, string | undefined>();
const readDisk = (f: string): string | undefined => {
  if (!disk.has(f)) {
    try {
      disk.set(f, readFileSync(f, 'utf8'));
    } catch {
      disk.set(f, undefined);
    }
  }
  return disk.get(f);
};

/** Lines (1-based) of QEMU's unit at `line`: up to the next line starting an expression or a doc block. */
function unitEnd(text: string, line: number): number {
  const lines = text.split('\n');
  let next = line + 1;
  while (next <= lines.length && !/^(\{|##)/.test(lines[next - 1])) next++;
  return next;
}

void describe("differential: the server's verdict against QEMU's checker on 2000 mutants", () => {
  const mutants = generateMutants();

  void it('regenerates exactly the recorded mutants', () => {
    assert.equal(recorded.seed, SEED);
    assert.deepEqual(mutants.map((m) => [m.id, m.hash]), Object.entries(recorded.mutants).map(([id, [hash]]) => [id, hash]));
    assert.equal(mutants.length, 2000);
  });

  void it('agrees with QEMU on error or no error, and on where', (t) => {
    const cache = new ParseCache();
    let verdict = 0;
    let bothErrors = 0;
    let onLine = 0;
    let inUnit = 0;
    const falseErrors: string[] = [];
    const missed: string[] = [];
    const elsewhere: string[] = [];
    const byOp = new Map<string, { n: number; agree: number }>();
    for (const m of mutants) {
      const [, where] = recorded.mutants[m.id];
      const program = analyzeProgram(m.base.file, { read: (f) => (f === m.base.file ? m.text : readDisk(f)) }, cache);
      const errors = [...program.problems].flatMap(([file, ps]) => ps.filter((p) => p.severity === 'error').map((p) => ({
        file, line: program.modules.get(file)!.parsed.lines.position(p.start).line + 1, message: p.message })));
      const agree = (errors.length > 0) === (where !== null);
      const stat = byOp.get(m.op) ?? { n: 0, agree: 0 };
      byOp.set(m.op, { n: stat.n + 1, agree: stat.agree + (agree ? 1 : 0) });
      const first = errors[0] ? `${path.basename(errors[0].file)}:${errors[0].line}: ${errors[0].message}` : '';
      if (agree) verdict++;
      else if (where === null) falseErrors.push(`${m.id} (${m.op}): server: ${first}`);
      else missed.push(`${m.id} (${m.op}): QEMU: ${where}`);
      if (!agree || where === null) continue;
      bothErrors++;
      const [file, lineText] = [where.slice(0, where.lastIndexOf(':')), Number(where.slice(where.lastIndexOf(':') + 1))];
      const target = path.join(path.dirname(m.base.file), file);
      const text = target === m.base.file ? m.text : readDisk(target) ?? '';
      const end = unitEnd(text, lineText);
      const here = errors.filter((e) => e.file === target);
      if (here.some((e) => e.line === lineText)) onLine++;
      if (here.some((e) => e.line >= lineText && e.line < end)) inUnit++;
      else elsewhere.push(`${m.id} (${m.op}): QEMU: ${where}; server: ${first}`);
    }
    const pct = (a: number, b: number): string => `${a}/${b} (${((100 * a) / b).toFixed(1)}%)`;
    t.diagnostic(`same verdict: ${pct(verdict, mutants.length)}; both reject: on QEMU's line ${pct(onLine, bothErrors)}, `
      + `in QEMU's unit ${pct(inUnit, bothErrors)}; false errors ${falseErrors.length}, missed errors ${missed.length}`);
    t.diagnostic(`per mutation: ${[...byOp].map(([op, s]) => `${op} ${s.agree}/${s.n}`).join(', ')}`);
    if (process.env.QAPI_DIFF_VERBOSE) {
      for (const l of [...falseErrors, ...missed, ...elsewhere]) t.diagnostic(l);
    }
    assert.ok(verdict >= VERDICT_AGREEMENT, `same verdict ${verdict} < ${VERDICT_AGREEMENT}\nfalse errors:\n${falseErrors.slice(0, 20).join('\n')}\nmissed:\n${missed.slice(0, 20).join('\n')}`);
    assert.ok(onLine >= LINE_AGREEMENT, `on QEMU's line ${onLine} < ${LINE_AGREEMENT}`);
    assert.ok(inUnit >= UNIT_AGREEMENT, `in QEMU's unit ${inUnit} < ${UNIT_AGREEMENT}\n${elsewhere.slice(0, 20).join('\n')}`);
  });
});
