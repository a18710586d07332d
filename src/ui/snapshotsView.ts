/**
 * The Snapshots view in Run and Debug: one row per snapshot of the active replay session, the one a seek to the
 * current position would start from marked. Its rows come from the store (the adapter's events), never from a
 * request of its own.
 */
import * as vscode from 'vscode';
import { formatIcount } from '../../common/ui-icount';
import { snapshotRows, type SnapshotRow } from '../../common/ui-snapshots';
import { Command, commands, snapshotItemContext, View } from '../contributions';
import type { ReplayStore } from './sessionStore';

export const SNAPSHOTS_VIEW = View.snapshots;

const KIND_ICON: Record<SnapshotRow['kind'], string> = { initial: 'debug-start', automatic: 'history', user: 'bookmark' };

export class SnapshotsView implements vscode.TreeDataProvider<SnapshotRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<SnapshotRow>;
  private readonly disposables: vscode.Disposable[];
  private rows: SnapshotRow[] = [];
  /** Ages in the descriptions go stale: re-render now and then while the view is visible. */
  private readonly ageTimer: NodeJS.Timeout;

  constructor(private readonly store: ReplayStore) {
    this.view = vscode.window.createTreeView(SNAPSHOTS_VIEW, { treeDataProvider: this });
    this.disposables = [this.view, this.changed, store.onDidChange(() => this.update())];
    this.ageTimer = setInterval(() => { if (this.view.visible && this.rows.length) this.update(); }, 30_000);
    this.update();
  }

  /** The rows as shown, for the test hook. */
  get currentRows(): readonly SnapshotRow[] {
    return this.rows;
  }

  private update(): void {
    const model = this.store.active;
    const state = model?.state;
    this.rows = model ? snapshotRows(model.snapshots, state?.icount, Date.now()) : [];
    this.view.description = state ? `at ${formatIcount(state.icount)}` : undefined;
    // An empty view shows the viewsWelcome content; a message is for things the rows cannot say.
    const end = this.store.lastEnd;
    this.view.message = !model && end?.failure
      ? `"${end.name}" stopped unexpectedly: ${end.failure}.`
      : state?.mode === 'record' && this.rows.length
        ? 'Recording: seeking to a snapshot works in the replay.'
        : undefined;
    this.changed.fire();
    this.expandOnce(model?.session.id, state?.running === false);
  }

  /** Session ids whose snapshots were brought into view. */
  private readonly expandedFor = new Set<string>();

  /**
   * VS Code adds the view (its `when` clause turns true with the session) collapsed, below the debug views, where it
   * shows no row at all. Once per session, at its first stop, the view is expanded (not focused): an expanded pane
   * keeps its minimum height however the other debug views are sized. The user may collapse it again.
   */
  private expandOnce(sessionId: string | undefined, stopped: boolean): void {
    const first = this.rows[0];
    if (!sessionId || !stopped || !first || this.expandedFor.has(sessionId)) return;
    this.expandedFor.add(sessionId);
    if (!this.view.visible) {
      void Promise.resolve(this.view.reveal(this.rows.find((r) => r.current) ?? first, { select: false, focus: false }))
        .catch(() => undefined);
    }
  }

  getTreeItem(row: SnapshotRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = `${row.name}@${row.icount}`;
    item.description = row.current ? `${row.description} · ${row.atPosition ? 'here' : 'nearest'}` : row.description;
    item.tooltip = row.tooltip;
    item.iconPath = row.current
      ? new vscode.ThemeIcon('debug-stackframe', new vscode.ThemeColor('debugIcon.breakpointCurrentStackframeForeground'))
      : new vscode.ThemeIcon(KIND_ICON[row.kind]);
    // A click goes there, as a click on a stack frame does (in a replay; a recording cannot seek).
    if (this.store.active?.state?.mode === 'play') {
      item.command = { command: Command.goToSnapshot, title: commands[Command.goToSnapshot].title, arguments: [row.name] };
    }
    // `snapshot.initial` etc.: menus may treat the recording's first snapshot differently (it cannot be deleted).
    item.contextValue = snapshotItemContext(row.kind);
    item.accessibilityInformation = {
      label: `Snapshot ${row.name}, ${row.kind}, instruction ${formatIcount(row.icount)}${row.current ? ', current' : ''}`,
    };
    return item;
  }

  getChildren(element?: SnapshotRow): SnapshotRow[] {
    return element ? [] : this.rows;
  }

  /** A flat list (reveal needs a parent for each row). */
  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    clearInterval(this.ageTimer);
    for (const d of this.disposables) d.dispose();
  }
}
