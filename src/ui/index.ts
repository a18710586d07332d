/**
 * The replay UI: snapshots view, timeline panel, status bar item, commands, context keys and progress for
 * qemu-replay sessions. `activateReplayUi` is called once by the extension's `activate`.
 */
import * as vscode from 'vscode';
import { ReplayCommands, guarded } from './commands';
import { SlowOperations } from './progress';
import { recordAndReplay } from './recordAndReplay';
import { DEBUG_TYPE } from './session';
import { ReplayStore } from './sessionStore';
import { SetupChecker } from './setupCheck';
import { SnapshotsView } from './snapshotsView';
import { ReplayStatusBar } from './statusBar';
import { registerTestHooks } from './testHooks';
import { TimelinePanel } from './timelinePanel';
import { ReplayTrackerFactory } from './tracker';

export function activateReplayUi(context: vscode.ExtensionContext): void {
  const store = new ReplayStore();
  const slow = new SlowOperations();
  const commands = new ReplayCommands(store);
  const view = new SnapshotsView(store);
  const statusBar = new ReplayStatusBar(store);
  const timeline = new TimelinePanel(context.extensionUri, store, commands);
  const setup = new SetupChecker();
  context.subscriptions.push(store, slow, view, statusBar, timeline, setup,
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new ReplayTrackerFactory(store, slow)));

  const register = (id: string, what: string, body: (...args: unknown[]) => Promise<unknown>): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(what, body)));
  };
  register('qemuReplay.showTimeline', 'Show Timeline', () => timeline.show());
  register('qemuReplay.goToIcount', 'Go to Instruction Count', (arg) => commands.goToIcount(arg));
  register('qemuReplay.goToStart', 'Go to Start of Recording', () => commands.goTo('start'));
  register('qemuReplay.goToEnd', 'Go to End of Recording', () => commands.goTo('end'));
  register('qemuReplay.addIcountBreakpoint', 'Add Breakpoint at Instruction Count', (arg) => commands.addIcountBreakpoint(arg));
  register('qemuReplay.saveSnapshot', 'Save Snapshot', (arg) => commands.saveSnapshot(arg));
  register('qemuReplay.goToSnapshot', 'Go to Snapshot', (arg) => commands.goToSnapshot(arg));
  register('qemuReplay.deleteSnapshot', 'Delete Snapshot', (arg) => commands.deleteSnapshot(arg));
  register('qemuReplay.refreshSnapshots', 'Refresh', () => commands.refresh());
  register('qemuReplay.reverseStepIn', 'Reverse Step Into', () => commands.reverseStep('in'));
  register('qemuReplay.reverseStepOut', 'Reverse Step Out', () => commands.reverseStep('out'));
  register('qemuReplay.recordAndReplay', 'Record and Replay', (arg) => recordAndReplay(store, arg));
  register('qemuReplay.checkSetup', 'Check Setup', (arg) => setup.run(typeof arg === 'object' && arg !== null ? arg : undefined));

  // Context keys for `when` clauses: commands and toolbar buttons show only where they can work.
  const updateContext = (): void => {
    const model = store.active;
    const configuredMode: unknown = model?.session.configuration.mode;
    // Before the first replayState arrives, trust the launch configuration's mode.
    const mode = model?.state?.mode ?? (configuredMode === 'replay' ? 'play' : configuredMode === 'record' ? 'record' : undefined);
    void vscode.commands.executeCommand('setContext', 'qemuReplay.active', model !== undefined);
    void vscode.commands.executeCommand('setContext', 'qemuReplay.replaying', mode === 'play');
    void vscode.commands.executeCommand('setContext', 'qemuReplay.recording', mode === 'record');
    void vscode.commands.executeCommand('setContext', 'qemuReplay.hasSnapshots', (model?.snapshots.length ?? 0) > 0);
  };
  context.subscriptions.push(store.onDidChange(updateContext));
  updateContext();

  if (context.extensionMode === vscode.ExtensionMode.Test || process.env.QEMU_REPLAY_TEST_HOOKS === '1') {
    registerTestHooks(context, { store, view, statusBar, timeline, slow });
  }
}
