/**
 * The editor experience with real mouse and keyboard (issue #18): "Add Configuration…" inserts the snippets with
 * `${workspaceFolder}` verbatim and offers Attach, and the configuration picker lists each entry once.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { activateExtension, executeCommand, screenshot, waitUntil, workspacePath } from './helpers';
import { runFromPalette, ui } from './driver';
import { test } from './runner';

const SUGGEST_ROW = '.suggest-widget .monaco-list-row';
const PICK_ROW = '.quick-input-list .monaco-list-row';

/** What the editor shows (its rendered lines; spaces come back as no-break spaces). */
async function editorText(): Promise<string> {
  return (await ui.texts('.editor-group-container.active .monaco-editor .view-lines')).join('\n').replace(/\u00a0/g, ' ');
}

/** Runs "Debug: Add Configuration..." and picks `label` in the suggestions by typing and arrow keys; returns the labels. */
async function addConfiguration(label: string): Promise<string[]> {
  await runFromPalette('Debug: Add Configuration...');
  await ui.waitFor(SUGGEST_ROW);
  await ui.type('QEMU');
  await ui.waitFor(`${SUGGEST_ROW}:has-text("QEMU Replay: Attach")`);
  const labels = await ui.texts(SUGGEST_ROW);
  const index = labels.indexOf(label);
  assert.ok(index >= 0, `"${label}" among the suggestions: ${JSON.stringify(labels)}`);
  for (let i = 0; i < index; i++) await ui.press('ArrowDown');
  assert.deepEqual(await ui.texts(`${SUGGEST_ROW}.focused`), [label]);
  await ui.press('Enter');
  await ui.waitFor(SUGGEST_ROW, { state: 'hidden' });
  return labels;
}

test('Add Configuration inserts ${workspaceFolder}/… verbatim, and offers Record, Replay and Attach', async () => {
  await activateExtension();
  const file = workspacePath('.vscode', 'launch.json');
  const saved = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, '{\n  "version": "0.2.0",\n  "configurations": []\n}\n');
  try {
    const labels = await addConfiguration('QEMU Replay: Replay');
    assert.deepEqual(labels, ['QEMU Replay: Attach', 'QEMU Replay: Record', 'QEMU Replay: Replay']);
    await ui.waitFor('.view-line:has-text("stopOnEntry")');
    let text = await editorText();
    assert.match(text, /"program": "\$\{workspaceFolder\}\/build\/prog\.elf",/);
    assert.match(text, /"recording": "\$\{workspaceFolder\}\/\.recordings\/run1",/);
    assert.match(text, /"mode": "replay",/);

    // A second one, after the first: the Attach snippet.
    await addConfiguration('QEMU Replay: Attach');
    await ui.waitFor('.view-line:has-text("gdbServer")');
    text = await editorText();
    assert.match(text, /"request": "attach",/);
    assert.match(text, /"qmp": "127\.0\.0\.1:4444",/);
    assert.match(text, /"gdbServer": "127\.0\.0\.1:1234",/);
    assert.equal(text.match(/"program": "\$\{workspaceFolder\}\/build\/prog\.elf"/g)?.length, 2, text);
    await screenshot('add-configuration-snippets');
    // The document is the JSON a person would save: both configurations, with the variables as written.
    const doc = vscode.window.activeTextEditor?.document;
    assert.ok(doc && doc.uri.fsPath.endsWith('launch.json'), `the active editor: ${doc?.uri.fsPath}`);
    const configs = (JSON.parse(doc.getText()) as { configurations: Record<string, unknown>[] }).configurations;
    assert.deepEqual(configs.map((c) => `${c.request as string} ${c.program as string}`).sort(),
      ['attach ${workspaceFolder}/build/prog.elf', 'launch ${workspaceFolder}/build/prog.elf']);
  } finally {
    await executeCommand('workbench.action.files.revert');
    fs.writeFileSync(file, saved);
    await executeCommand('workbench.action.closeAllEditors');
  }
}, { timeoutMs: 60_000 });

/** Opens "Debug: Select and Start Debugging" and returns its rows (launch.json entries, recent ones, providers). */
async function pickerRows(): Promise<string[]> {
  await runFromPalette('Debug: Select and Start Debugging');
  await ui.waitFor(`${PICK_ROW}:has-text("QEMU Replay...")`);
  return (await ui.texts(PICK_ROW)).map((r) => r.split('\n')[0].trim());
}

const count = (rows: string[], name: string): number => rows.filter((r) => r === name).length;

test('the configuration picker lists each QEMU Replay entry once', async () => {
  await activateExtension();
  // With both entries in launch.json: each once, and "QEMU Replay..." does not offer them again.
  const top = await pickerRows();
  assert.equal(count(top, 'QEMU Replay: Record'), 1, JSON.stringify(top));
  assert.equal(count(top, 'QEMU Replay: Replay'), 1, JSON.stringify(top));
  await ui.press('Escape');

  // Without them in launch.json, "QEMU Replay..." offers the workspace's record and replay, each once (VS Code asks
  // the provider for the folder and for the user settings; only the folder's have a ${workspaceFolder}).
  const file = workspacePath('.vscode', 'launch.json');
  const saved = fs.readFileSync(file, 'utf8');
  const config = JSON.parse(saved.replace(/^\s*\/\/.*$/gm, '')) as { configurations: { name: string }[] };
  fs.writeFileSync(file, JSON.stringify({ version: '0.2.0', configurations: config.configurations.filter((c) => c.name.startsWith('Broken')) }));
  try {
    await waitUntil(() => !vscode.workspace.getConfiguration('launch').get<{ name: string }[]>('configurations')
      ?.some((c) => c.name === 'QEMU Replay: Record'), 10_000, 'VS Code to read the new launch.json');
    const without = await pickerRows();
    assert.equal(count(without, 'QEMU Replay: Record'), 0, JSON.stringify(without));
    await ui.click(`${PICK_ROW}:has-text("QEMU Replay...")`);
    await ui.waitFor('.quick-input-widget input[placeholder="Select Launch Configuration"]');
    await ui.waitFor(`${PICK_ROW}:has-text("QEMU Replay: Replay")`);
    // A row reads label and description: "QEMU Replay: Recordworkspace" (the folder's launch).
    const dynamic = await ui.texts(PICK_ROW);
    await screenshot('configuration-picker-dynamic');
    assert.deepEqual(dynamic.map((r) => r.replace(/\s+/g, ' ')).sort(), ['QEMU Replay: Recordworkspace', 'QEMU Replay: Replayworkspace']);
    await ui.press('Escape');
  } finally {
    fs.writeFileSync(file, saved);
    await waitUntil(() => vscode.workspace.getConfiguration('launch').get<{ name: string }[]>('configurations')
      ?.some((c) => c.name === 'QEMU Replay: Record'), 10_000, 'VS Code to read launch.json again');
  }
}, { timeoutMs: 60_000 });
