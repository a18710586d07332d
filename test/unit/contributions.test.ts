import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { attachAttributes, debuggerContribution, launchAttributes, snippetBody, type JsonSchema } from '../../src/configSchema';

const root = path.resolve(__dirname, '..', '..');
interface DebuggerEntry { type: string; [key: string]: any }   // eslint-disable-line @typescript-eslint/no-explicit-any
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { debuggers: DebuggerEntry[] } };

/** The field names of an interface declared in common/protocol.ts, read from the source. */
function interfaceKeys(name: string): string[] {
  const file = path.join(root, 'common', 'protocol.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  assert.ok(decl, `${name} not found in common/protocol.ts`);
  return decl.members.filter(ts.isPropertySignature).map((m): string => m.name.getText(source));
}

const ours = (): DebuggerEntry => {
  const d = pkg.contributes.debuggers.find((e) => e.type === 'qemu-replay');
  assert.ok(d, 'package.json contributes no qemu-replay debugger');
  return d;
};

for (const [iface, request] of [['LaunchArguments', 'launch'], ['AttachArguments', 'attach']] as const) {
  void test(`package.json describes every ${iface} field with a description and a default`, () => {
    const properties: Record<string, JsonSchema> = ours().configurationAttributes[request].properties;
    const keys = interfaceKeys(iface);
    assert.ok(keys.length > 3);
    for (const key of keys) {
      const attr = properties[key];
      assert.ok(attr, `${request}.${key} is missing from package.json`);
      assert.ok(typeof attr.description === 'string' && attr.description.length > 10, `${request}.${key} has no description`);
      assert.ok('default' in attr, `${request}.${key} has no default`);
    }
    assert.deepEqual(Object.keys(properties).sort(), [...keys].sort(), 'schema keys = interface keys');
  });
}

void test('package.json contributes.debuggers is generated from src/configSchema.ts (run npm run contributions)', () => {
  assert.deepEqual(ours(), JSON.parse(JSON.stringify(debuggerContribution())));
  assert.equal(Object.keys(launchAttributes).length, interfaceKeys('LaunchArguments').length);
  assert.equal(Object.keys(attachAttributes).length, interfaceKeys('AttachArguments').length);
});

void test('launch requires mode and recording; recordLimit is instructions or seconds', () => {
  const launch = ours().configurationAttributes.launch;
  assert.deepEqual([...launch.required].sort(), ['mode', 'recording']);
  const forms = launch.properties.recordLimit.oneOf.map((s: JsonSchema) => s.required);
  assert.deepEqual(forms, [['instructions'], ['seconds']]);
});

void test('initial configurations and snippets: record and replay of build/prog.elf into .recordings/run1', () => {
  const d = ours();
  assert.equal(d.label, 'QEMU Replay');
  assert.deepEqual(d.languages, ['c', 'cpp', 'asm']);
  assert.deepEqual(d.initialConfigurations.map((c: { mode: string }) => c.mode), ['record', 'replay']);
  for (const c of d.initialConfigurations) {
    assert.equal(c.program, '${workspaceFolder}/build/prog.elf');
    assert.equal(c.recording, '${workspaceFolder}/.recordings/run1');
  }
  assert.deepEqual(d.configurationSnippets.map((s: { label: string }) => s.label),
    ['QEMU Replay: Record', 'QEMU Replay: Replay', 'QEMU Replay: Attach']);
});

/**
 * What "Add Configuration…" puts into launch.json for a snippet body, as VS Code does it: the JSON language service
 * writes each value as JSON text (a string starting with `^` as the rest of it, verbatim), and the editor reads the
 * whole as snippet syntax, where `\$`, `\}` and `\\` are escapes and `${name}` / `$name` are variables (none of which
 * is a debug variable: `${workspaceFolder}` is unknown to snippets and inserts nothing).
 */
function insertedText(body: Record<string, unknown>): string {
  const json = `{${Object.entries(body).map(([k, v]) =>
    `${JSON.stringify(k)}: ${typeof v === 'string' && v.startsWith('^') ? v.slice(1) : JSON.stringify(v)}`).join(', ')}}`;
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '\\' && '$}\\'.includes(json[i + 1] ?? '')) { out += json[++i]; continue; }
    if (c === '$') {
      const m = /^\$(?:\{[A-Za-z_][\w]*\}|[A-Za-z_]\w*|\d+|\{\d+\})/.exec(json.slice(i));
      if (m) { i += m[0].length - 1; continue; }   // a variable or tab stop: empty
    }
    out += c;
  }
  return out;
}

void test('snippets insert ${workspaceFolder} verbatim (the ^"…" form), for record, replay and attach', () => {
  const snippets = ours().configurationSnippets as { label: string; body: Record<string, unknown> }[];
  const inserted = Object.fromEntries(snippets.map((s) => [s.label, JSON.parse(insertedText(s.body)) as Record<string, unknown>]));
  const record = inserted['QEMU Replay: Record'];
  const replay = inserted['QEMU Replay: Replay'];
  const attach = inserted['QEMU Replay: Attach'];
  for (const c of [record, replay]) {
    assert.equal(c.program, '${workspaceFolder}/build/prog.elf');
    assert.equal(c.recording, '${workspaceFolder}/.recordings/run1');
  }
  assert.deepEqual({ mode: record.mode, request: record.request, overwrite: record.overwrite }, { mode: 'record', request: 'launch', overwrite: true });
  assert.deepEqual({ mode: replay.mode, request: replay.request }, { mode: 'replay', request: 'launch' });
  assert.deepEqual(attach, { type: 'qemu-replay', request: 'attach', name: 'QEMU Replay: Attach', qmp: '127.0.0.1:4444',
    gdbServer: '127.0.0.1:1234', program: '${workspaceFolder}/build/prog.elf' });
  // Every attribute a snippet writes is one the schema knows for its request.
  const attrs = ours().configurationAttributes;
  for (const c of [record, replay, attach]) {
    for (const key of Object.keys(c)) {
      if (['type', 'request', 'name'].includes(key)) continue;
      assert.ok(key in attrs[c.request as string].properties, `${c.name as string}: "${key}" is not a ${c.request as string} attribute`);
    }
  }
  // The escaping is general: quotes, backslashes and dollars survive as they are.
  assert.deepEqual(JSON.parse(insertedText(snippetBody({ a: 'C:\\x "$y" ${z}', b: 1 }))), { a: 'C:\\x "$y" ${z}', b: 1 });
});
