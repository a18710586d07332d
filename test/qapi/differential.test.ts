// Differential test against QEMU's own checker, run live: 2000 seeded mutants of real schemas
// (test/qapi/oracle/mutants.ts: upstream's guest agent schema, QEMU's qapi-schema-test.json and doc-good.json, the
// cross-reference fixture) are written to a temporary folder beside copies of their bases' folders (so includes
// resolve), checked by QEMU's checker in one Python 3 process (test/qapi/oracle/check.py importing
// test/fixtures/qemu-master/scripts/qapi, test data copied unchanged from QEMU) and by the server; agreement on
// error / no error and on QEMU's line are reported and kept as floors. Needs python3 (Debian 12's 3.11).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ParseCache, analyzeProgram } from '../../server/qapi/program';
import { BASES, SEED, generateMutants, type Mutant } from './oracle/mutants';

const repoRoot = path.resolve(__dirname, '..', '..');
const qemuScripts = path.join(repoRoot, 'test', 'fixtures', 'qemu-master', 'scripts');
const driver = path.join(__dirname, 'oracle', 'check.py');

/** Floors measured when the test was written; raise them when the server gets better, never lower them. */
const MUTANTS = 2000;
const VERDICT_AGREEMENT = 2000;
const LINE_AGREEMENT = 1683;
const UNIT_AGREEMENT = 1686;
/** QEMU's checker on 2000 schemas in one process: well under a minute (16 s here). */
const ORACLE_SECONDS = 60;

/**
 * QEMU's verdict on every mutant: null when its checker accepts the text, else its first error as "file:line", the
 * file relative to the base's folder.
 */
function runOracle(mutants: readonly Mutant[], tmp: string): { verdicts: (string | null)[]; seconds: number } {
  const baseDirs = new Map(BASES.map((b, i) => {
    const dir = path.join(tmp, `base${i}`);
    cpSync(path.dirname(b.file), dir, { recursive: true });
    return [b, dir];
  }));
  const files = mutants.map((m, i) => {
    const file = path.join(baseDirs.get(m.base)!, `mutant${i}__${path.basename(m.base.file)}`);
    writeFileSync(file, m.text);
    return file;
  });
  const started = Date.now();
  const r = spawnSync('python3', [driver, qemuScripts], { input: JSON.stringify(files), encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (Date.now() - started) / 1000;
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    assert.fail('python3 not found: the differential test runs QEMU\'s own QAPI checker, which needs Python 3 '
      + '(install it, e.g. `apt-get install python3`, and make sure `python3` is on PATH)');
  }
  assert.equal(r.status, 0, `QEMU's checker (python3 ${path.relative(repoRoot, driver)}) failed: ${r.error?.message ?? ''}\n${r.stderr}`);
  const errors = JSON.parse(r.stdout) as (string | null)[];
  assert.equal(errors.length, mutants.length);
  const verdicts = errors.map((err, i) => {
    if (err === null) return null;
    const line = err.split('\n').find((l) => !/^In file included from|: In [a-z]+ '.*':$/.test(l)) ?? '';
    const loc = /^(.*?):(\d+)(?::\d+)?: /.exec(line);
    assert.ok(loc, `${mutants[i].id}: no location in QEMU's error ${err}`);
    const rel = path.relative(baseDirs.get(mutants[i].base)!, loc[1]).replace(/^mutant\d+__/, '');
    return `${rel}:${loc[2]}`;
  });
  return { verdicts, seconds };
}

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

void describe(`differential: the server's verdict against QEMU's checker, run live on ${MUTANTS} mutants`, () => {
  const mutants = generateMutants();
  let tmp = '';
  let oracle: { verdicts: (string | null)[]; seconds: number };
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'qapi-mutants-'));
    oracle = runOracle(mutants, tmp);
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  void it(`makes ${MUTANTS} seeded mutants (seed ${SEED}) and QEMU's checker decides them quickly`, (t) => {
    assert.equal(mutants.length, MUTANTS);
    const rejected = oracle.verdicts.filter((v) => v !== null).length;
    t.diagnostic(`QEMU's checker: ${rejected} rejected, ${MUTANTS - rejected} accepted, in ${oracle.seconds.toFixed(1)} s`);
    assert.ok(rejected > MUTANTS / 2 && rejected < MUTANTS, `a mutant set that tells little: ${rejected} of ${MUTANTS} rejected`);
    assert.ok(oracle.seconds < ORACLE_SECONDS, `QEMU's checker took ${oracle.seconds} s`);
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
    mutants.forEach((m, i) => {
      const where = oracle.verdicts[i];
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
      if (!agree || where === null) return;
      bothErrors++;
      const [file, lineText] = [where.slice(0, where.lastIndexOf(':')), Number(where.slice(where.lastIndexOf(':') + 1))];
      const target = path.join(path.dirname(m.base.file), file);
      const text = target === m.base.file ? m.text : readDisk(target) ?? '';
      const end = unitEnd(text, lineText);
      const here = errors.filter((e) => e.file === target);
      if (here.some((e) => e.line === lineText)) onLine++;
      if (here.some((e) => e.line >= lineText && e.line < end)) inUnit++;
      else elsewhere.push(`${m.id} (${m.op}): QEMU: ${where}; server: ${first}`);
    });
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
