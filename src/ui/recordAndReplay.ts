/**
 * "Record and Replay": runs a record configuration, and when the recording ends (the guest powers off, the record
 * limit is reached, or the user stops the session) starts the replay of the same recording folder.
 */
import * as vscode from 'vscode';
import { replayConfigFor } from '../../common/ui-launch';
import { BuiltinCommand } from '../contributions';
import { DEBUG_TYPE, UserError } from './session';
import type { ReplayStore } from './sessionStore';

type Config = vscode.DebugConfiguration & { mode?: unknown; recording?: unknown };

function launchConfigs(folder: vscode.WorkspaceFolder | undefined): Config[] {
  return (vscode.workspace.getConfiguration('launch', folder).get<Config[]>('configurations') ?? [])
    .filter((c) => c.type === DEBUG_TYPE && c.request === 'launch');
}

export async function recordAndReplay(store: ReplayStore, arg?: unknown): Promise<vscode.DebugSession | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const all = launchConfigs(folder);
  let record: Config | undefined;
  if (typeof arg === 'object' && arg !== null) record = arg as Config;
  else {
    const candidates = all.filter((c) => c.mode === 'record' && (typeof arg !== 'string' || c.name === arg));
    if (!candidates.length) {
      const open = 'Open launch.json';
      const choice = await vscode.window.showWarningMessage(typeof arg === 'string'
        ? `QEMU Replay: no "qemu-replay" record configuration named "${arg}" in launch.json.`
        : 'QEMU Replay: launch.json has no "qemu-replay" configuration with "mode": "record". Add one (Run and Debug → '
          + 'create a launch.json file → QEMU Replay), then run this again.', open);
      if (choice === open) await vscode.commands.executeCommand(BuiltinCommand.configureLaunch);
      return undefined;
    }
    record = candidates.length === 1 ? candidates[0] : (await vscode.window.showQuickPick(
      candidates.map((c) => ({ label: c.name, description: typeof c.recording === 'string' ? c.recording : '', config: c })),
      { title: 'Record and Replay', placeHolder: 'Record configuration to run' }))?.config;
    if (!record) return undefined;
  }
  if (record.mode !== 'record') throw new UserError(`"${record.name}" is not a record configuration ("mode": "record").`);
  const replay = replayConfigFor(record, all);

  const recordSession = await startAndCatch(folder, record);
  void vscode.window.setStatusBarMessage(
    `QEMU Replay: recording "${record.name}": stop the session (Shift+F5) or let the guest finish, the replay starts then.`, 10_000);
  await new Promise<void>((resolve) => {
    const sub = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id === recordSession.id) {
        sub.dispose();
        resolve();
      }
    });
  });
  const end = store.lastEnd;
  if (end?.sessionId === recordSession.id && end.failure) {
    throw new UserError(`The recording "${record.name}" did not end cleanly (${end.failure}), so no replay was started.`);
  }
  return await startAndCatch(folder, replay);
}

/** Starts a configuration and returns its session (VS Code's startDebugging only says true/false). */
async function startAndCatch(folder: vscode.WorkspaceFolder | undefined, config: Config): Promise<vscode.DebugSession> {
  let started: vscode.DebugSession | undefined;
  const sub = vscode.debug.onDidStartDebugSession((s) => {
    if (!started && s.type === DEBUG_TYPE && s.name === config.name) started = s;
  });
  try {
    const ok = await vscode.debug.startDebugging(folder, config);
    if (!ok || !started) throw new UserError(`QEMU Replay: "${config.name}" could not be started (see the Debug Console and the QEMU Replay log).`);
    return started;
  } finally {
    sub.dispose();
  }
}
