/** `icount 1,234,567 / 9,876,543` in the status bar while a qemu-replay session is active; click: go to an icount. */
import * as vscode from 'vscode';
import { formatIcount } from '../../common/ui-icount';
import { nearestSnapshot } from '../../common/ui-snapshots';
import { Command, commands, Setting, settings, STATUS_BAR_ITEM } from '../contributions';
import type { ReplayStore } from './sessionStore';

export const STATUS_BAR_SETTING = Setting.statusBarEnabled;

export class ReplayStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly store: ReplayStore) {
    this.item.name = 'QEMU Replay position';
    this.disposables = [
      this.item,
      store.onDidChange(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(STATUS_BAR_SETTING)) this.update(); }),
    ];
    this.update();
  }

  /** What the item shows, for the test hook. */
  get snapshot(): { visible: boolean; text: string; tooltip: string } {
    const tooltip = this.item.tooltip;
    return { visible: this.visible, text: this.item.text, tooltip: typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '' };
  }

  private visible = false;

  private update(): void {
    const model = this.store.active;
    const state = model?.state;
    const enabled = vscode.workspace.getConfiguration().get<boolean>(STATUS_BAR_SETTING, settings[STATUS_BAR_SETTING].default);
    if (!model || !state || !enabled) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const recording = state.mode === 'record';
    const end = state.endIcount === undefined ? '' : ` / ${formatIcount(state.endIcount)}`;
    // Record-mode icounts are coarse (QEMU reports them in large steps): say so with "~".
    this.item.text = `$(${recording ? 'record' : 'history'}) icount ${recording ? '~' : ''}${formatIcount(state.icount)}${end}`;
    const nearest = nearestSnapshot(model.snapshots, state.icount);
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**QEMU Replay** — ${recording ? 'recording' : state.mode === 'play' ? 'replaying' : 'not replaying'}`
      + `${state.running ? ', running' : ', paused'}\n\n`);
    tooltip.appendMarkdown(`Instruction count: ${formatIcount(state.icount)}${end ? ` of ${formatIcount(state.endIcount ?? 0)}` : ''}\n\n`);
    if (state.recording) tooltip.appendMarkdown(`Recording: \`${state.recording}\`\n\n`);
    tooltip.appendMarkdown(nearest
      ? `Nearest snapshot: ${nearest.name} at ${formatIcount(nearest.icount)} (${formatIcount(state.icount - nearest.icount)} instructions back)\n\n`
      : 'No snapshot at or before this point\n\n');
    tooltip.appendMarkdown(recording ? '' : 'Click to go to an instruction count');
    this.item.tooltip = tooltip;
    this.item.command = recording ? undefined : { title: commands[Command.goToIcount].title, command: Command.goToIcount };
    this.item.accessibilityInformation = { label: `Instruction count ${formatIcount(state.icount)}${end ? ` of ${formatIcount(state.endIcount ?? 0)}` : ''}` };
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
