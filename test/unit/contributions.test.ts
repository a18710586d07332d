import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { attachAttributes, debuggerContribution, launchAttributes, type JsonSchema } from '../../src/configSchema';

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
  assert.deepEqual(d.configurationSnippets.map((s: { label: string }) => s.label), ['QEMU Replay: Record', 'QEMU Replay: Replay']);
  // snippet syntax: ${workspaceFolder} is escaped, or VS Code would insert an empty placeholder
  assert.equal(d.configurationSnippets[0].body.program, '\\${workspaceFolder}/build/prog.elf');
});
