// Records QEMU's verdict on every mutant of mutants.ts: run by hand with a QEMU tree, never by the tests.
//
//   node --import tsx test/qapi/oracle/generate-mutants.ts [QEMU_TREE]   (default: ../shared/qemu-qapi-master)
//
// Each mutant is written beside a copy of its base's folder (so includes resolve) and checked by QEMU's own schema
// checker, the QAPISchema class of QEMU's scripts/qapi that qapi-gen runs before it generates code, in one Python
// process. Writes mutants-expected.json: per mutant its hash and QEMU's first error as "file:line", or null.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASES, SEED, generateMutants } from './mutants';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const qemu = path.resolve(process.argv[2] ?? path.join(repoRoot, '..', 'shared', 'qemu-qapi-master'));
if (!existsSync(path.join(qemu, 'scripts', 'qapi', 'schema.py'))) throw new Error(`no QEMU checker in ${qemu}/scripts/qapi`);

const driver = `
import json, sys
sys.path.insert(0, sys.argv[1])
from qapi.schema import QAPISchema
from qapi.error import QAPIError
out = []
for path in json.load(sys.stdin):
    try:
        QAPISchema(path)
        out.append(None)
    except QAPIError as err:
        out.append(str(err))
json.dump(out, sys.stdout)
`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'qapi-mutants-'));
try {
  const mutants = generateMutants();
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
  const r = spawnSync('python3', ['-c', driver, path.join(qemu, 'scripts')], { input: JSON.stringify(files), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`the checker driver failed: ${r.stderr}`);
  const verdicts = JSON.parse(r.stdout) as (string | null)[];
  const expected: Record<string, [string, string | null]> = {};
  mutants.forEach((m, i) => {
    const err = verdicts[i];
    let where: string | null = null;
    if (err !== null) {
      const line = err.split('\n').find((l) => !/^In file included from|: In [a-z]+ '.*':$/.test(l)) ?? '';
      const loc = /^(.*?):(\d+)(?::\d+)?: /.exec(line);
      if (!loc) throw new Error(`${m.id}: no location in ${err}`);
      const rel = path.relative(baseDirs.get(m.base)!, loc[1]).replace(/^mutant\d+__/, '');
      where = `${rel}:${loc[2]}`;
    }
    expected[m.id] = [m.hash, where];
  });
  writeFileSync(path.join(__dirname, 'mutants-expected.json'), `${JSON.stringify({
    generator: "QEMU's scripts/qapi (QAPISchema) at ece408818d (VERSION 10.2.50) run by test/qapi/oracle/generate-mutants.ts",
    seed: SEED, mutants: expected,
  }, null, 0).replace(/\],"/g, '],\n"')}\n`);
  const errors = Object.values(expected).filter(([, w]) => w !== null).length;
  console.log(`${mutants.length} mutants, ${errors} rejected by QEMU's checker, ${mutants.length - errors} accepted`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
