import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { activateExtension, DEBUG_TYPE, executeCommand, nextEvent, screenshot, sleep, startDebugging, stopAllSessions,
  withTimeout, workspaceFolder, workspacePath } from './helpers';
import { test } from './runner';

/** Starts `config` expecting a refusal: returns the error shown, and checks no session started. */
async function refusedStart(config: string | vscode.DebugConfiguration): Promise<string> {
  const api = await activateExtension();
  let started: vscode.DebugSession | undefined;
  const watch = vscode.debug.onDidStartDebugSession((s) => { started = s; });
  try {
    const error = nextEvent(api.onDidReportConfigurationError, 15_000, 'a configuration error');
    const ok = await withTimeout(vscode.debug.startDebugging(workspaceFolder(), config), 15_000, 'startDebugging');
    const message = await error;
    assert.equal(ok, false, 'startDebugging should report that nothing started');
    // The point of the check: nothing may start. A session that started anyway would show up within this time;
    // no event says that none will, so this sleep stays.
    await sleep(500);
    assert.equal(started, undefined, `a debug session started: ${started?.name}`);
    assert.equal(vscode.debug.activeDebugSession, undefined);
    return message;
  } finally {
    watch.dispose();
  }
}

test('an invalid configuration shows an actionable error and starts nothing', async () => {
  const message = await refusedStart({ type: DEBUG_TYPE, request: 'launch', name: 'Broken: no such program',
    mode: 'replay', program: '${workspaceFolder}/build/missing.elf', recording: '${workspaceFolder}/.recordings/run1' });
  assert.match(message, /cannot start "Broken: no such program"/);
  assert.match(message, /"program" is ".*\/build\/missing\.elf", which does not exist: build the guest first/);
  await executeCommand('notifications.showList');
  // For the screenshot only (no assertion follows): the notification centre's slide-in animation cannot be observed
  // from the extension host.
  await sleep(1000);
  await screenshot('invalid-configuration-error');
});

test('launch.json without "mode" says how to set it', async () => {
  const message = await refusedStart('Broken: no mode');
  assert.match(message, /"mode" is missing: add "mode": "record" to record the guest, or "mode": "replay"/);
});

test('a wrongly typed attribute names it and the type it needs', async () => {
  const message = await refusedStart({ type: DEBUG_TYPE, request: 'launch', name: 'Broken: types', mode: 'record',
    program: '${workspaceFolder}/build/aarch64/prog.elf', recording: '${workspaceFolder}/.recordings/typed',
    recordLimit: 5000, stopOnEntry: 'yes' });
  assert.match(message, /"stopOnEntry" is "yes": it must be a boolean/);
  assert.match(message, /"recordLimit" is 5000: it must be one of \{"instructions":\d+\} or \{"seconds":\d+\}/);
});

test('F5 without a configuration records the workspace guest (or replays it once recorded)', async () => {
  await activateExtension();
  const recorded = fs.existsSync(workspacePath('.recordings', 'run1'));
  // What VS Code passes when there is no launch configuration to use: only the debugger type.
  try {
    const session = await startDebugging({ type: DEBUG_TYPE, request: '', name: '' }, 60_000);
    const config = session.configuration;
    assert.equal(config.mode, recorded ? 'replay' : 'record');
    assert.equal(config.program, workspacePath('build', 'aarch64', 'prog.elf'));
    assert.equal(config.recording, workspacePath('.recordings', 'run1'));
    assert.equal(config.cwd, workspaceFolder().uri.fsPath);
  } finally {
    // A recording cut short here must not stand in for the full one later tests make.
    await stopAllSessions();
    if (!recorded) fs.rmSync(workspacePath('.recordings', 'run1'), { recursive: true, force: true });
  }
}, { timeoutMs: 90_000 });
