// Which QEMU's rules a schema is checked by: QEMU's VERSION file at the top of its tree (beside qapi/) says 7.2 or
// today's; with none, today's rules. The same doc comment text is right for one QEMU and wrong for the other.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detectDialect, dialectOfVersion } from '../../server/qapi/dialect';
import { analyzeProgram } from '../../server/qapi/program';
import { LspHarness, messageOf } from './lspHarness';

const fixtures = path.resolve(__dirname, '..', 'fixtures');
const disk = { read: (f: string): string | undefined => { try { return readFileSync(f, 'utf8'); } catch { return undefined; } } };
const messages = (root: string): string[] =>
  [...analyzeProgram(root, disk).problems.values()].flat().map((p) => p.message);

void describe('QEMU version of a schema (dialect)', () => {
  let tmp: string;
  before(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'qapi-dialect-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  void it("reads QEMU's VERSION file above the schema", () => {
    const v72 = detectDialect(path.join(fixtures, 'qemu-7.2', 'qapi', 'replay.json'));
    assert.deepEqual([v72.id, v72.version], ['qemu-7.2', '7.2.0']);
    const cases72 = detectDialect(path.join(fixtures, 'qemu-7.2', 'tests', 'qapi-schema', 'doc-good.json'));
    assert.equal(cases72.id, 'qemu-7.2');
    for (const file of ['qapi/replay.json', 'qga/qapi-schema.json', 'storage-daemon/qapi/qapi-schema.json',
      'tests/qapi-schema/include/sub-module.json']) {
      const d = detectDialect(path.join(fixtures, 'qemu-master', file));
      assert.deepEqual([d.id, d.version, d.versionFile], ['upstream', '10.2.50', path.join(fixtures, 'qemu-master', 'VERSION')], file);
    }
  });

  void it("uses today's rules without a VERSION file, for other numbering and for files not on disk", () => {
    assert.deepEqual(detectDialect(path.join(tmp, 'schema.qapi')), { id: 'upstream', version: undefined, versionFile: undefined });
    assert.equal(detectDialect('untitled:Untitled-1').id, 'upstream');
    assert.equal(dialectOfVersion('8.1.5')?.id, 'qemu-7.2');
    assert.equal(dialectOfVersion('8.2.0')?.id, 'upstream');
    assert.equal(dialectOfVersion('10.2.50')?.id, 'upstream');
    assert.equal(dialectOfVersion('not a version'), undefined);
    // A VERSION file that is not at the top of a QEMU tree (no qapi/ beside it) says nothing.
    const other = path.join(tmp, 'other');
    mkdirSync(path.join(other, 'schema'), { recursive: true });
    writeFileSync(path.join(other, 'VERSION'), '7.2.0\n');
    assert.equal(detectDialect(path.join(other, 'schema', 'x.json')).id, 'upstream');
  });

  void it("checks the same 7.2 module by 7.2's rules in a 7.2 tree and by today's elsewhere", () => {
    // replay.json of 7.2 has 'Example:' sections and continuation lines indented under the text: right for 7.2 only.
    const tree = path.join(tmp, 'qemu-7.2-copy');
    mkdirSync(path.join(tree, 'qapi'), { recursive: true });
    for (const m of ['pragma.json', 'common.json', 'replay.json']) cpSync(path.join(fixtures, 'qemu-7.2', 'qapi', m), path.join(tree, 'qapi', m));
    const root = path.join(tree, 'qapi', 'qapi-schema.json');
    writeFileSync(root, "{ 'include': 'pragma.json' }\n{ 'include': 'replay.json' }\n");
    assert.ok(messages(root).some((m) => /The 'Example' section is no longer supported/.test(m)), messages(root).join('\n'));
    writeFileSync(path.join(tree, 'VERSION'), '7.2.0\n');
    assert.deepEqual(messages(root), []);
    assert.equal(analyzeProgram(root, disk).dialect.id, 'qemu-7.2');
  });

  void it("knows pragma documentation-exceptions in today's QEMU only", async () => {
    const schema = "{ 'pragma': { 'documentation-exceptions': [ 'Foo' ] } }\n"
      + "##\n# @Foo:\n#\n# Undocumented members are fine here.\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n"
      + "##\n# @Bar:\n#\n# Not here.\n##\n{ 'struct': 'Bar', 'data': { 'b': 'int' } }\n";
    const upstream = path.join(tmp, 'pragma.qapi');
    writeFileSync(upstream, schema);
    assert.deepEqual(messages(upstream), ["member 'b' lacks documentation"]);
    const old = path.join(tmp, 'qemu-old');
    mkdirSync(path.join(old, 'qapi'), { recursive: true });
    writeFileSync(path.join(old, 'VERSION'), '7.2.0\n');
    writeFileSync(path.join(old, 'qapi', 'pragma.json'), schema);
    assert.deepEqual(messages(path.join(old, 'qapi', 'pragma.json')), ["unknown pragma 'documentation-exceptions'"]);
    // Through the server too: the rules follow the file's tree.
    const lsp = await LspHarness.start();
    try {
      const diags = await lsp.open(path.join(old, 'qapi', 'pragma.json'), schema);
      assert.deepEqual(diags.map(messageOf), ["unknown pragma 'documentation-exceptions'"]);
    } finally {
      lsp.dispose();
    }
  });
});
