// Starts the QAPI language server (dist/qapiServer.js, a plain Node program) for `qapi` documents. The server
// runs in its own process over Node IPC, so a bug or a huge schema there never blocks the extension host, and
// it is only started once a QAPI document is open: a debugging session alone does not pay for it.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { Language } from '../contributions';

const LANGUAGE = Language.qapi;

let client: LanguageClient | undefined;

export function startQapiClient(context: vscode.ExtensionContext): void {
  if (vscode.workspace.textDocuments.some((d) => d.languageId === LANGUAGE)) {
    launch(context);
    return;
  }
  const waiting = vscode.workspace.onDidOpenTextDocument((d) => {
    if (d.languageId !== LANGUAGE) return;
    waiting.dispose();
    launch(context);
  });
  context.subscriptions.push(waiting);
}

function launch(context: vscode.ExtensionContext): void {
  if (client) return;
  const module = path.join(context.extensionPath, 'dist', 'qapiServer.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  // Included modules change on disk too (branch switches); the server re-checks the schemas that use them.
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{json,qapi}');
  context.subscriptions.push(watcher);
  const clientOptions: LanguageClientOptions = {
    // Only QAPI schema files: ordinary JSON keeps VS Code's own JSON support.
    documentSelector: [{ scheme: 'file', language: LANGUAGE }, { scheme: 'untitled', language: LANGUAGE }],
    synchronize: { fileEvents: watcher },
  };
  const started = new LanguageClient(LANGUAGE, 'QAPI schema language server', serverOptions, clientOptions);
  client = started;
  context.subscriptions.push({ dispose: () => { void stopQapiClient(); } });
  started.start().catch((e: unknown) => {
    client = undefined;
    started.error(`The QAPI language server did not start (${e instanceof Error ? e.message : String(e)}). `
      + 'Rebuild the extension (npm run build) so that dist/qapiServer.js exists.');
  });
}

/** Stops the server; the extension's deactivate may await it. */
export async function stopQapiClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running?.isRunning()) await running.stop();
}
