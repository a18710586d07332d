// STUB written by the extension-core engineer so src/extension.ts compiles; the QAPI engineer replaces this file
// with the real language client.
import type * as vscode from 'vscode';

export function startQapiClient(_context: vscode.ExtensionContext): void {
  // nothing yet
}
