/**
 * The replay UI: snapshots view, timeline panel, status bar item, commands, context keys and progress for
 * qemu-replay sessions. `activateReplayUi` is called once by the extension's `activate`.
 */
import * as vscode from 'vscode';
import { BuiltinCommand, Command, ContextKey, type CommandId, type ContextKeyName } from '../contributions';
import { ReplayCommands, guarded } from './commands';
import { HistoryCommands } from './historyCommands';
import { HistoryStore } from './historyStore';
import { HistoryView } from './historyView';
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
  const history = new HistoryStore(store);
  const historyView = new HistoryView(store, history);
  const historyCommands = new HistoryCommands(commands, history, historyView);
  const statusBar = new ReplayStatusBar(store);
  const timeline = new TimelinePanel(context.extensionUri, store, commands, history);
  const setup = new SetupChecker();
  context.subscriptions.push(store, slow, view, history, historyView, historyCommands, statusBar, timeline, setup,
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new ReplayTrackerFactory(store, slow)));

  // One handler per contributed command: the mapped type makes a command declared in src/contributions.ts and not
  // registered here a compile error. `what` names the command in error messages ("QEMU Replay: … failed").
  const handlers: { [K in CommandId]: [what: string, body: (...args: unknown[]) => Promise<unknown>] } = {
    [Command.showTimeline]: ['Show Timeline', () => timeline.show()],
    [Command.goToIcount]: ['Go to Instruction Count', (arg) => commands.goToIcount(arg)],
    [Command.goToStart]: ['Go to Start of Recording', () => commands.goTo('start')],
    [Command.goToEnd]: ['Go to End of Recording', () => commands.goTo('end')],
    [Command.addIcountBreakpoint]: ['Add Breakpoint at Instruction Count', (arg) => commands.addIcountBreakpoint(arg)],
    [Command.saveSnapshot]: ['Save Snapshot', (arg) => commands.saveSnapshot(arg)],
    [Command.goToSnapshot]: ['Go to Snapshot', (arg) => commands.goToSnapshot(arg)],
    [Command.deleteSnapshot]: ['Delete Snapshot', (arg) => commands.deleteSnapshot(arg)],
    [Command.refreshSnapshots]: ['Refresh', () => commands.refresh()],
    [Command.reverseStepIn]: ['Reverse Step Into', () => commands.reverseStep('in')],
    [Command.reverseStepOut]: ['Reverse Step Out', () => commands.reverseStep('out')],
    [Command.recordAndReplay]: ['Record and Replay', (arg) => recordAndReplay(store, arg)],
    [Command.checkSetup]: ['Check Setup', (arg) => setup.run(typeof arg === 'object' && arg !== null ? arg : undefined)],
    [Command.showAllHits]: ['Show All Hits in the Recording', (arg) => historyCommands.showAllHits(arg)],
    [Command.showHitsAgain]: ['Search Again', (arg) => historyCommands.showHitsAgain(arg)],
    [Command.removeHits]: ['Remove from History', (arg) => historyCommands.removeHits(arg)],
    [Command.clearHistory]: ['Clear Recording History', () => historyCommands.clearHistory()],
    [Command.lastWrite]: ['When Did This Change?', (arg) => historyCommands.lastWrite('backward', arg)],
    [Command.nextWrite]: ['Next Write', (arg) => historyCommands.lastWrite('forward', arg)],
    [Command.compare]: ['Compare Two Moments', (arg) => historyCommands.compare(arg)],
  };
  for (const [id, [what, body]] of Object.entries(handlers)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(what, body)));
  }

  // Context keys for `when` clauses: commands and toolbar buttons show only where they can work.
  const updateContext = (): void => {
    const model = store.active;
    const configuredMode: unknown = model?.session.configuration.mode;
    // Before the first replayState arrives, trust the launch configuration's mode.
    const mode = model?.state?.mode ?? (configuredMode === 'replay' ? 'play' : configuredMode === 'record' ? 'record' : undefined);
    const keys: { [K in ContextKeyName]: boolean } = {
      [ContextKey.active]: model !== undefined,
      [ContextKey.replaying]: mode === 'play',
      [ContextKey.recording]: mode === 'record',
      [ContextKey.hasSnapshots]: (model?.snapshots.length ?? 0) > 0,
    };
    for (const [key, value] of Object.entries(keys)) void vscode.commands.executeCommand(BuiltinCommand.setContext, key, value);
  };
  context.subscriptions.push(store.onDidChange(updateContext));
  updateContext();

  if (context.extensionMode === vscode.ExtensionMode.Test || process.env.QEMU_REPLAY_TEST_HOOKS === '1') {
    registerTestHooks(context, { store, view, statusBar, timeline, slow, history, historyView });
  }
}
