/**
 * The QEMU version × guest table (issue #15 item 6) is one table, common/qemuSupport.ts: the README shows exactly
 * that table, and each row names the adapter test files that measure it, which must exist and run on that QEMU
 * (every file on 7.2; the QEMU 10.0 pass of scripts/run-tests.mjs runs the files of the 10.0 rows).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SUPPORT, supportTable } from '../../common/qemuSupport';

const root = path.resolve(__dirname, '..', '..');

void test('the README shows the support table as common/qemuSupport.ts has it', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.ok(readme.includes(supportTable()), `README.md must contain this table (regenerate it from supportTable()):\n${supportTable()}`);
});

void test('every row is measured by adapter test files that run on its QEMU version', () => {
  const runner = readFileSync(path.join(root, 'scripts', 'run-tests.mjs'), 'utf8');
  const core = /function QEMU10_CORE\(\) \{\s*return \[([^\]]*)\]/.exec(runner);
  assert.ok(core, 'scripts/run-tests.mjs lists the QEMU 10.0 files in QEMU10_CORE()');
  const on10 = [...core[1].matchAll(/'([\w-]+)'/g)].map((m) => m[1]);
  for (const row of SUPPORT) {
    assert.ok(row.tests.length > 0, `${row.version} ${row.arch} names its tests`);
    for (const t of row.tests) {
      assert.ok(existsSync(path.join(root, 'test', 'adapter', `${t}.test.ts`)), `test/adapter/${t}.test.ts exists (${row.version} ${row.arch})`);
      if (row.version === '10.0') assert.ok(on10.includes(t), `${t} runs in the QEMU 10.0 pass (${row.arch})`);
    }
  }
});
