import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { activateExtension, DEBUG_TYPE, EXTENSION_ID, workspaceFolder } from './helpers';
import { test } from './runner';

test('the extension activates and contributes the qemu-replay debugger', async () => {
  const api = await activateExtension();
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  assert.equal(ext.isActive, true);
  assert.equal(typeof api.onDidReportConfigurationError, 'function');
  assert.match(api.adapterPath, /dist[/\\]adapter\.js$/);
  const debuggers = (ext.packageJSON as { contributes: { debuggers: { type: string; label: string }[] } })
    .contributes.debuggers;
  assert.deepEqual(debuggers.map((d) => [d.type, d.label]), [[DEBUG_TYPE, 'QEMU Replay']]);
});

test('the debug adapter program the extension runs is built', async () => {
  const api = await activateExtension();
  assert.ok(fs.existsSync(api.adapterPath), `${api.adapterPath} is missing: run npm run build`);
});

test('initial configurations: a record and a replay of the workspace guest ELF', async () => {
  const api = await activateExtension();
  const configs = await api.provideDebugConfigurations(workspaceFolder());
  // The test workspace holds its ELF at build/aarch64/prog.elf, not at the default build/prog.elf: it was found.
  assert.deepEqual(configs.map((c): unknown[] => [c.type, c.request, c.mode, c.program, c.recording]), [
    [DEBUG_TYPE, 'launch', 'record', '${workspaceFolder}/build/aarch64/prog.elf', '${workspaceFolder}/.recordings/run1'],
    [DEBUG_TYPE, 'launch', 'replay', '${workspaceFolder}/build/aarch64/prog.elf', '${workspaceFolder}/.recordings/run1'],
  ]);
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const initial = (ext.packageJSON as { contributes: { debuggers: { initialConfigurations: { mode: string }[] }[] } })
    .contributes.debuggers[0].initialConfigurations;
  assert.deepEqual(initial.map((c) => c.mode), ['record', 'replay']);
});
