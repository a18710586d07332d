// Regenerates the expectations in this folder by running QEMU's own schema checker (scripts/qapi of a QEMU tree) as an
// oracle. A development tool, run by hand when the fixtures change: qemuCases.test.ts reads the JSON it writes.
//
//   node test/qapi/oracle/generate.mjs [QEMU_TREE]     (default: test/fixtures/qemu-master, whose scripts/qapi is
//                                                       QEMU's checker copied unchanged as test data)
//
// Needs Python 3 (QEMU's checker; Debian 12's 3.11 was used). Writes qemu-master-cases.json: for every case of
// test/fixtures/qemu-master/tests/qapi-schema that has an .err file, null when the checker accepts it, else the first
// error it prints (file relative to the case folder, line, column when given, message).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '..', '..', '..');
const qemu = path.resolve(process.argv[2] ?? path.join(repo, 'test', 'fixtures', 'qemu-master'));
const casesDir = path.join(repo, 'test', 'fixtures', 'qemu-master', 'tests', 'qapi-schema');
if (!existsSync(path.join(qemu, 'scripts', 'qapi', 'main.py'))) throw new Error(`no QEMU checker in ${qemu}/scripts/qapi`);

/** QEMU's checker on one schema: exit status and the first `FILE:LINE[:COL]: message` line it prints. */
export function runChecker(schema) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'qapi-oracle-'));
  try {
    const code = "import sys; sys.path.insert(0, 'scripts'); from qapi.main import main; "
      + `sys.argv = ['qapi-gen', '-o', ${JSON.stringify(out)}, ${JSON.stringify(schema)}]; sys.exit(main())`;
    const r = spawnSync('python3', ['-c', code], { cwd: qemu, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l && !/^In file included from|: In [a-z]+ '.*':$/.test(l));
    const m = /^(.*?\.json):(\d+)(?::(\d+))?: (.*)$/.exec(lines[0] ?? '');
    return { status: r.status, error: m ? { file: m[1], line: Number(m[2]), column: m[3] ? Number(m[3]) : undefined, message: m[4] } : undefined,
      output: lines[0] };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const result = {};
for (const err of readdirSync(casesDir).filter((f) => f.endsWith('.err')).sort()) {
  const name = err.slice(0, -4);
  const json = path.join(casesDir, `${name}.json`);
  if (!existsSync(json)) continue;
  const r = runChecker(json);
  if (r.status === 0) result[name] = null;
  else if (r.error) result[name] = { ...r.error, file: path.relative(casesDir, r.error.file) };
  else throw new Error(`${name}: exit ${r.status} without a location: ${r.output}`);
}
writeFileSync(path.join(here, 'qemu-master-cases.json'), `${JSON.stringify({
  generator: "QEMU's scripts/qapi at ece408818d (VERSION 10.2.50) run by test/qapi/oracle/generate.mjs",
  cases: result,
}, null, 1)}\n`);
console.log(`${Object.keys(result).length} cases, ${Object.values(result).filter(Boolean).length} with an error`);
