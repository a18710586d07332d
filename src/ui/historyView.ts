/**
 * The Recording History view in Run and Debug: one section per breakpoint whose hits in the recording are known
 * (newest first), then the guest's output, each row with its icount; a click goes there (one seek). Long lists are
 * split into pages (common/ui-history.ts `pages`), so a section of 10,000 hits is 40 collapsed pages of 250 and the
 * tree never asks for more rows than it shows. Rows come from the HistoryStore, never from a request of its own.
 */
import * as vscode from 'vscode';
import type { HistoryHit } from '../../common/protocol';
import {
  hitLabel, hitTooltip, lowerBound, outputSectionLabel, outputText, pageDescription, pageLabel, pages,
  sectionDescription, sectionLabel, type IndexRange,
} from '../../common/ui-history';
import { formatIcount } from '../../common/ui-icount';
import { Command, commands, historyItemContext, View } from '../contributions';
import { HistoryStore, type HistorySection, type SessionHistory } from './historyStore';
import type { ReplayStore } from './sessionStore';

export const HISTORY_VIEW = View.history;

type Owner = { kind: 'hits'; breakpointId: number } | { kind: 'output' };

export type HistoryNode =
  | { kind: 'section'; key: string; breakpointId: number }
  | { kind: 'output'; key: string }
  | { kind: 'page'; key: string; owner: Owner; start: number; size: number; end: number; parent: HistoryNode }
  | { kind: 'hit'; key: string; breakpointId: number; icount: number; parent: HistoryNode }
  | { kind: 'line'; key: string; index: number; parent: HistoryNode };

/** A row as shown, for the test hook. */
export interface HistoryRowSnapshot {
  label: string;
  description: string;
  children?: number;
}

export class HistoryView implements vscode.TreeDataProvider<HistoryNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HistoryNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<HistoryNode>;
  private readonly disposables: vscode.Disposable[];
  /** Node objects by key, for the session shown: the tree and `reveal` know rows by object identity. */
  private nodes = new Map<string, HistoryNode>();
  private shownSession: string | undefined;

  constructor(private readonly store: ReplayStore, private readonly history: HistoryStore) {
    this.view = vscode.window.createTreeView(HISTORY_VIEW, { treeDataProvider: this, showCollapseAll: true });
    this.disposables = [this.view, this.changed, history.onDidChange(() => this.update())];
    this.update();
  }

  private get current(): SessionHistory | undefined {
    return this.history.active;
  }

  private update(): void {
    const h = this.current;
    if (h?.sessionId !== this.shownSession) {
      this.shownSession = h?.sessionId;
      this.nodes = new Map();
    }
    const sections = HistoryStore.sections(h);
    const hits = sections.reduce((n, s) => n + s.hits.length, 0);
    this.view.description = sections.length ? `${formatIcount(hits)} hit${hits === 1 ? '' : 's'}` : undefined;
    this.changed.fire(undefined);
  }

  private node<N extends HistoryNode>(make: N): N {
    const known = this.nodes.get(make.key) as N | undefined;
    if (known) return Object.assign(known, make);
    this.nodes.set(make.key, make);
    return make;
  }

  /** Brings a section into view (expanded), without taking the focus. */
  async reveal(breakpointId: number): Promise<void> {
    const node = this.node({ kind: 'section', key: `s:${breakpointId}`, breakpointId });
    await Promise.resolve(this.view.reveal(node, { expand: true, select: false, focus: false })).catch(() => undefined);
  }

  getChildren(element?: HistoryNode): HistoryNode[] {
    const h = this.current;
    if (!h) return [];
    if (!element) {
      const roots: HistoryNode[] = HistoryStore.sections(h).map((s) =>
        this.node({ kind: 'section', key: `s:${s.breakpointId}`, breakpointId: s.breakpointId }));
      if (h.output.state === 'failed' || (h.output.state === 'loaded' && h.output.lines.length)) {
        roots.push(this.node({ kind: 'output', key: 'o' }));
      }
      return roots;
    }
    switch (element.kind) {
      case 'section': {
        const section = h.sections.get(element.breakpointId);
        return section ? this.listChildren(element, { kind: 'hits', breakpointId: section.breakpointId }, section.hits, { start: 0, end: section.hits.length }) : [];
      }
      case 'output':
        return this.listChildren(element, { kind: 'output' }, h.output.lines, { start: 0, end: h.output.lines.length });
      case 'page': {
        const list = this.list(h, element.owner);
        return this.listChildren(element, element.owner, list, { start: element.start, end: Math.min(element.start + element.size, list.length) });
      }
      default:
        return [];
    }
  }

  private list(h: SessionHistory, owner: Owner): readonly { icount: number }[] {
    return owner.kind === 'output' ? h.output.lines : h.sections.get(owner.breakpointId)?.hits ?? [];
  }

  /** The rows of [start, end) of a list under `parent`: the items, or pages of them. */
  private listChildren(parent: HistoryNode, owner: Owner, list: readonly { icount: number }[], range: IndexRange): HistoryNode[] {
    const prefix = owner.kind === 'output' ? 'o' : `s:${owner.breakpointId}`;
    const split = pages(range);
    if (split) {
      const size = split[0].end - split[0].start;
      return split.map((p) => this.node({ kind: 'page', key: `${prefix}/p:${p.start}:${size}`, owner, start: p.start, size, end: p.end, parent }));
    }
    const out: HistoryNode[] = [];
    for (let i = range.start; i < range.end; i++) {
      out.push(owner.kind === 'output'
        ? this.node({ kind: 'line', key: `o/l:${i}`, index: i, parent })
        : this.node({ kind: 'hit', key: `${prefix}/h:${list[i].icount}`, breakpointId: owner.breakpointId, icount: list[i].icount, parent }));
    }
    return out;
  }

  getParent(element: HistoryNode): HistoryNode | undefined {
    return element.kind === 'section' || element.kind === 'output' ? undefined : element.parent;
  }

  getTreeItem(element: HistoryNode): vscode.TreeItem {
    const h = this.current;
    const model = this.store.active;
    const position = model?.state?.icount;
    const canSeek = model?.state?.mode === 'play';
    const goTo = (icount: number): vscode.Command | undefined => (canSeek
      ? { command: Command.goToIcount, title: commands[Command.goToIcount].title, arguments: [icount] } : undefined);
    const item = new vscode.TreeItem('', vscode.TreeItemCollapsibleState.None);
    item.id = `${h?.sessionId ?? ''}/${element.key}`;
    switch (element.kind) {
      case 'section': {
        const s = h?.sections.get(element.breakpointId);
        if (!s) return item;
        item.label = sectionLabel(s.name, s.hits.length);
        item.description = s.requested ? sectionDescription(s) : [s.running ? 'searching…' : '', 'earlier hits']
          .filter(Boolean).join(' · ');
        item.tooltip = [`Every hit of ${s.name} in the ${s.from !== undefined || s.to !== undefined ? 'chosen range of the ' : ''}recording`,
          ...(s.detail ? [s.detail] : []), ...(s.error ? [`The pass stopped: ${s.error}`] : [])].join('\n');
        item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
        item.iconPath = new vscode.ThemeIcon(s.running ? 'loading~spin' : s.logpoint ? 'debug-breakpoint-log' : 'debug-breakpoint');
        item.contextValue = historyItemContext(s.running ? 'sectionRunning' : 'section');
        item.accessibilityInformation = { label: `${item.label}${item.description ? `, ${item.description}` : ''}` };
        return item;
      }
      case 'output': {
        const out = h?.output;
        item.label = outputSectionLabel(out?.lines.length ?? 0);
        item.description = out?.state === 'failed' ? 'could not be read' : undefined;
        item.tooltip = out?.state === 'failed' ? `The adapter could not list the guest output: ${out.error ?? ''}`
          : 'The guest\'s serial output in the whole recording, each line with the icount of its first byte. Click a line to go there.';
        item.collapsibleState = out?.lines.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
        item.iconPath = new vscode.ThemeIcon('output');
        item.contextValue = historyItemContext('output');
        return item;
      }
      case 'page': {
        const list = h ? this.list(h, element.owner) : [];
        const range = { start: element.start, end: Math.min(element.start + element.size, list.length) };
        item.label = pageLabel(list, range);
        item.description = pageDescription(range);
        item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
        item.contextValue = historyItemContext('page');
        return item;
      }
      case 'hit': {
        const s = h?.sections.get(element.breakpointId);
        const hit: HistoryHit | undefined = s?.hits[lowerBound(s.hits, element.icount)];
        if (!s || !hit || hit.icount !== element.icount) return item;
        const shown = hitLabel(hit);
        item.label = shown.label;
        item.description = shown.description;
        item.tooltip = hitTooltip(hit, s.name);
        item.iconPath = hit.icount === position
          ? new vscode.ThemeIcon('debug-stackframe', new vscode.ThemeColor('debugIcon.breakpointCurrentStackframeForeground'))
          : new vscode.ThemeIcon(hit.message !== undefined ? 'debug-breakpoint-log' : 'circle-small-filled');
        item.command = goTo(hit.icount);
        item.contextValue = historyItemContext('hit');
        item.accessibilityInformation = { label: `Hit at instruction ${formatIcount(hit.icount)}, ${hit.function ?? hit.pc}${hit.message !== undefined ? `: ${hit.message}` : ''}` };
        return item;
      }
      case 'line': {
        const line = h?.output.lines[element.index];
        if (!line) return item;
        item.label = outputText(line);
        item.description = `icount ${formatIcount(line.icount)}`;
        item.tooltip = `Written from icount ${formatIcount(line.icount)}. Click to go there.`;
        item.iconPath = line.icount === position
          ? new vscode.ThemeIcon('debug-stackframe', new vscode.ThemeColor('debugIcon.breakpointCurrentStackframeForeground'))
          : undefined;
        item.command = goTo(line.icount);
        item.contextValue = historyItemContext('outputLine');
        item.accessibilityInformation = { label: `Output at instruction ${formatIcount(line.icount)}: ${line.text}` };
        return item;
      }
    }
  }

  /** The rows at the top two levels as shown (labels and descriptions), for the test hook. */
  get rows(): HistoryRowSnapshot[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      const label = typeof item.label === 'string' ? item.label : item.label?.label ?? '';
      return { label, description: typeof item.description === 'string' ? item.description : '', children: this.getChildren(n).length };
    });
  }

  get visible(): boolean {
    return this.view.visible;
  }

  /** The section of a breakpoint, for the commands. */
  section(breakpointId: number): HistorySection | undefined {
    return this.current?.sections.get(breakpointId);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
