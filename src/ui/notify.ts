/** Error messages of the replay UI, also kept (bounded) so the real-VS-Code tests can check what a user was told. */
import * as vscode from 'vscode';

const MAX_KEPT = 20;
export const shownErrors: string[] = [];

export function showError(text: string): void {
  shownErrors.push(text);
  if (shownErrors.length > MAX_KEPT) shownErrors.shift();
  void vscode.window.showErrorMessage(text);
}
