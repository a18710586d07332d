/**
 * Entry point of the qemu-replay extension: registers the `qemu-replay` debugger (adapter process, launch
 * configurations and their validation, DAP trace), then the QAPI language client and the replay UI.
 */
import * as vscode from 'vscode';
import { AdapterFactory } from './adapterFactory';
import { ConfigurationProvider } from './configProvider';
import { DEBUG_TYPE } from '../common/configSchema';
import { BuiltinCommand } from './contributions';
import { startQapiClient } from './qapi/client';
import { DapTrace } from './trace';
import { activateReplayUi } from './ui/index';

/** What `activate` returns (`extension.exports`): used by the tests and by other extensions. */
export interface QemuReplayApi {
  /** Fires with every configuration error shown to the user. */
  readonly onDidReportConfigurationError: vscode.Event<string>;
  /** The last DAP messages of a session (`→` to the adapter, `←` from it). */
  dapTranscript(sessionId: string): readonly string[];
  /** The configurations offered for a new launch.json (a record and a replay of the workspace's guest ELF). */
  provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]>;
  /** Absolute path of the debug adapter program. */
  readonly adapterPath: string;
}

export function activate(context: vscode.ExtensionContext): QemuReplayApi {
  const log = vscode.window.createOutputChannel('QEMU Replay', { log: true });
  const configurationErrors = new vscode.EventEmitter<string>();
  context.subscriptions.push(log, configurationErrors);

  const reportError = (message: string): void => {
    log.error(message);
    configurationErrors.fire(message);
    void vscode.window.showErrorMessage(message, 'Open launch.json').then((choice) => {
      if (choice) void vscode.commands.executeCommand(BuiltinCommand.configureLaunch);
    });
  };

  const factory = new AdapterFactory(context.extensionPath, log);
  const provider = new ConfigurationProvider(reportError);
  const trace = new DapTrace(log);
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: (folder, token) => provider.provideDynamicConfigurations(folder, token),
    }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, trace),
  );

  // The debugger must work even if a language client or view fails to start.
  startPart(log, 'the QAPI language client', () => startQapiClient(context));
  startPart(log, 'the replay UI', () => activateReplayUi(context));

  return {
    onDidReportConfigurationError: configurationErrors.event,
    dapTranscript: (id) => trace.transcript(id),
    provideDebugConfigurations: (folder) => provider.provideDebugConfigurations(folder),
    adapterPath: factory.adapterPath,
  };
}

function startPart(log: vscode.LogOutputChannel, what: string, start: () => unknown): void {
  const failed = (e: unknown): void => log.error(`Could not start ${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  try {
    const result = start();
    if (result instanceof Promise) result.catch(failed);
  } catch (e) {
    failed(e);
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
