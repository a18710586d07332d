/**
 * The commands over the whole recording: Show All Hits in the Recording (a breakpoint's every hit, in the Recording
 * History view), When Did This Change? / Next Write (the last or next write of an expression's memory), and
 * Compare Two Moments (registers, locals and memory at two icounts, in a diff editor). Like the other commands,
 * each takes an optional argument instead of asking, so menus, keybindings, other extensions and the tests drive it.
 */
import * as vscode from 'vscode';
import type { CompareResult, HistoryHit, LastWriteResult } from '../../common/protocol';
import {
  addressFromEvaluation, breakpointName, compareDocuments, expressionOfMenuArgument, lastWriteSummary, momentChoices, parseMemoryRange, plural,
  type BreakpointDescription, type Moment, type WriteDirection,
} from '../../common/ui-history';
import { formatIcount, parseIcount } from '../../common/ui-icount';
import { BuiltinCommand, COMPARE_SCHEME } from '../contributions';
import type { ReplayCommands } from './commands';
import { HistoryStore, dapBreakpoint, describeBreakpoint } from './historyStore';
import type { HistoryNode, HistoryView } from './historyView';
import { askIcount } from './input';
import { UserError, customRequest, errorText } from './session';
import type { SessionModel } from './sessionStore';

/** What Show All Hits answers (for keybindings, other extensions and the tests). */
export interface HitsShown {
  breakpointId: number;
  name: string;
  hits: number;
  complete: boolean;
}

interface Picked {
  breakpointId: number;
  described?: BreakpointDescription;
}

/** How long a breakpoint just added from the line-number menu may take to reach the adapter and get its id. */
const NEW_BREAKPOINT_MS = 10_000;

export class HistoryCommands implements vscode.Disposable {
  private readonly documents = new CompareDocuments();
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly commands: ReplayCommands,
    private readonly history: HistoryStore,
    private readonly view: HistoryView,
  ) {
    this.disposables = [vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, this.documents), this.documents];
  }

  // ---- Show All Hits in the Recording

  /**
   * `arg`: a VS Code breakpoint, `{ breakpointId, from?, to? }` (a DAP id, as the adapter knows it), the line-number
   * menu's `{ lineNumber, uri }`, or nothing (a quick pick of the breakpoints, then of the range).
   */
  async showAllHits(arg?: unknown): Promise<HitsShown | undefined> {
    const model = await this.commands.target(true);
    const given = asIdArgument(arg);
    const picked = given ?? await this.pickBreakpoint(model, arg);
    if (!picked) return undefined;
    const range = given ? { from: given.from, to: given.to } : await this.pickRange(model);
    if (!range) return undefined;
    return await this.run(model, picked, range);
  }

  /** The section's row action: the same breakpoint and range again. */
  async showHitsAgain(arg?: unknown): Promise<HitsShown | undefined> {
    const model = await this.commands.target(true);
    const section = this.sectionOf(arg);
    if (!section) throw new UserError('Pick a section of the Recording History view to search again.');
    return await this.run(model, { breakpointId: section.breakpointId }, { from: section.from, to: section.to });
  }

  removeHits(arg?: unknown): Promise<void> {
    const model = this.history.active;
    const section = this.sectionOf(arg);
    if (model && section) this.history.remove(model.sessionId, section.breakpointId);
    return Promise.resolve();
  }

  clearHistory(): Promise<void> {
    const h = this.history.active;
    if (h) this.history.clear(h.sessionId);
    return Promise.resolve();
  }

  private sectionOf(arg: unknown): { breakpointId: number; from?: number; to?: number } | undefined {
    const node = arg as HistoryNode | undefined;
    if (node?.kind === 'section') return this.view.section(node.breakpointId);
    if (typeof arg === 'number') return this.view.section(arg);
    return undefined;
  }

  private async run(model: SessionModel, picked: Picked, range: { from?: number; to?: number }): Promise<HitsShown> {
    const { session } = model;
    const section = this.history.begin(session, picked.breakpointId, picked.described, range);
    void this.view.reveal(picked.breakpointId);
    let answer: { hits: HistoryHit[]; complete: boolean };
    try {
      answer = await customRequest(session, 'hitHistory', {
        breakpointId: picked.breakpointId,
        ...(range.from !== undefined ? { from: range.from } : {}),
        ...(range.to !== undefined ? { to: range.to } : {}),
      });
    } catch (e) {
      this.history.failed(session, picked.breakpointId, errorText(e));
      throw e;
    }
    const hits = Array.isArray(answer?.hits) ? answer.hits : [];
    this.history.finish(session, picked.breakpointId, hits, answer?.complete !== false);
    const count = section.hits.length;
    const where = range.from !== undefined || range.to !== undefined ? 'in that range' : 'in the recording';
    if (count === 0 && answer?.complete !== false) {
      void vscode.window.showInformationMessage(`QEMU Replay: ${section.name} is never hit ${where}.`);
    } else {
      void vscode.window.setStatusBarMessage(`QEMU Replay: ${plural(count, 'hit')} of ${section.name} ${where}`
        + `${answer?.complete === false ? ' (cancelled: the hits found so far)' : ''}`, 8000);
    }
    return { breakpointId: picked.breakpointId, name: section.name, hits: count, complete: answer?.complete !== false };
  }

  private async pickBreakpoint(model: SessionModel, arg: unknown): Promise<Picked | undefined> {
    if (arg instanceof vscode.Breakpoint) return await this.dapId(model, arg);
    const line = asLineArgument(arg);
    if (line) return await this.lineBreakpoint(model, line.uri, line.lineNumber);
    // Icount breakpoints (`icount:N`) are hit once, by definition: not worth a pass.
    const candidates = vscode.debug.breakpoints
      .map((bp) => ({ bp, d: describeBreakpoint(bp) }))
      .filter((c): c is { bp: vscode.Breakpoint; d: BreakpointDescription } => c.d !== undefined
        && !(c.d.kind === 'function' && /^\s*icount\s*:/.test(c.d.name)));
    if (!candidates.length) {
      throw new UserError('There is no breakpoint to search the recording for: set one (F9 on a source line, a function '
        + 'breakpoint in the Breakpoints view, or a logpoint), then run "Show All Hits in the Recording" again.');
    }
    const items = candidates.map(({ bp, d }) => ({
      label: breakpointName(d),
      description: [d.kind === 'source' ? undefined : d.kind, bp.condition && `if ${bp.condition}`,
        bp.hitCondition && `hit count ${bp.hitCondition}`, (bp as { logMessage?: string }).logMessage && 'logpoint',
        bp.enabled ? undefined : 'disabled'].filter(Boolean).join(' · '),
      detail: d.kind === 'source' ? vscode.workspace.asRelativePath(d.path) : undefined,
      bp,
    }));
    const chosen = await vscode.window.showQuickPick(items, {
      title: 'Show All Hits in the Recording (1/2): which breakpoint?', placeHolder: 'Breakpoint', matchOnDetail: true,
    });
    return chosen ? await this.dapId(model, chosen.bp) : undefined;
  }

  /** The DAP id the adapter gave a VS Code breakpoint, with the reasons it may have none. */
  private async dapId(model: SessionModel, bp: vscode.Breakpoint): Promise<Picked> {
    const d = describeBreakpoint(bp);
    const name = d ? breakpointName(d) : 'This breakpoint';
    if (!bp.enabled) throw new UserError(`${name} is disabled: enable it in the Breakpoints view, then search again.`);
    const dap = await dapBreakpoint(model.session, bp);
    if (dap?.id === undefined) {
      throw new UserError(`${name} has not reached the replay yet (or the Breakpoints view has them all deactivated): `
        + 'activate breakpoints, then search again.');
    }
    if (dap.verified === false) throw new UserError(`${name} is not set in the guest${dap.message ? `: ${dap.message}` : ''}.`);
    return { breakpointId: dap.id, described: d };
  }

  /** The breakpoint of an editor line (the line-number menu); without one, offers to add it. */
  private async lineBreakpoint(model: SessionModel, uri: vscode.Uri, lineNumber: number): Promise<Picked | undefined> {
    const onLine = (): vscode.SourceBreakpoint[] => vscode.debug.breakpoints.filter((b): b is vscode.SourceBreakpoint =>
      b instanceof vscode.SourceBreakpoint && b.location.uri.toString() === uri.toString() && b.location.range.start.line === lineNumber - 1);
    let found = onLine();
    if (!found.length) {
      const file = vscode.workspace.asRelativePath(uri);
      const add = await vscode.window.showInformationMessage(`There is no breakpoint on line ${lineNumber} of ${file}. `
        + 'Add one and list its hits in the recording?', 'Add Breakpoint');
      if (add !== 'Add Breakpoint') return undefined;
      vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(lineNumber - 1, 0)))]);
      found = onLine();
      // VS Code sends it to the adapter, which answers with its id: wait for that.
      const deadline = Date.now() + NEW_BREAKPOINT_MS;
      while (found[0] && Date.now() < deadline) {
        const dap = await dapBreakpoint(model.session, found[0]);
        if (dap?.id !== undefined) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const bp = found.length > 1
      ? (await vscode.window.showQuickPick(found.map((b) => ({ label: breakpointName(describeBreakpoint(b)!), description: `column ${b.location.range.start.character + 1}`, b })),
        { title: 'Show All Hits in the Recording: which breakpoint of this line?' }))?.b
      : found[0];
    return bp ? await this.dapId(model, bp) : undefined;
  }

  private async pickRange(model: SessionModel & { state: { icount: number; endIcount?: number } }): Promise<{ from?: number; to?: number } | undefined> {
    const { icount, endIcount } = model.state;
    const end = endIcount === undefined ? 'the end' : formatIcount(endIcount);
    type Item = vscode.QuickPickItem & { range?: { from?: number; to?: number } };
    const items: Item[] = [
      { label: 'The whole recording', description: `icount 0 – ${end}`, range: {} },
      ...(icount > 0 ? [
        { label: 'From here to the end', description: `icount ${formatIcount(icount)} – ${end}`, range: { from: icount } },
        { label: 'From the start to here', description: `icount 0 – ${formatIcount(icount)}`, range: { to: icount } },
      ] : []),
      { label: 'Between two instruction counts…', description: 'type them next' },
    ];
    const chosen = await vscode.window.showQuickPick(items, { title: 'Show All Hits in the Recording (2/2): where?', placeHolder: 'Range' });
    if (!chosen) return undefined;
    if (chosen.range) return chosen.range;
    const max = endIcount;
    const from = await askIcount(undefined, { current: icount, min: 0, max }, { title: 'Show All Hits: from', prompt: 'Search from this instruction count', value: '0' });
    if (from === undefined) return undefined;
    const to = await askIcount(undefined, { current: icount, min: from + 1, max }, {
      title: 'Show All Hits: to', prompt: 'Search up to this instruction count', value: max === undefined ? undefined : formatIcount(max),
    });
    return to === undefined ? undefined : { from, to };
  }

  // ---- When Did This Change? / Next Write

  /**
   * `arg`: the Variables or Watch view's menu argument, an expression, or `{ expression, frameId? }`; without one an
   * input box asks (the editor's selection filled in).
   */
  async lastWrite(direction: WriteDirection, arg?: unknown): Promise<LastWriteResult | undefined> {
    const model = await this.commands.target(true);
    const given = typeof arg === 'object' && arg !== null ? (arg as { frameId?: unknown }).frameId : undefined;
    let expression = expressionOfMenuArgument(arg);
    if (!expression) {
      const editor = vscode.window.activeTextEditor;
      const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : undefined;
      expression = (await vscode.window.showInputBox({
        title: direction === 'backward' ? 'When Did This Change?' : 'Next Write',
        prompt: `Go to the ${direction === 'backward' ? 'last write before' : 'next write after'} this point of the memory `
          + 'of an expression: a variable, a field, an array element, *pointer, or a register ($x1) nearby',
        value: selected && !selected.includes('\n') ? selected : undefined,
        placeHolder: 'counter',
        validateInput: (t) => (t.trim() ? undefined : 'Enter an expression, e.g. counter, origin.x, squares[3].'),
      }))?.trim();
      if (!expression) return undefined;
    }
    const frameId = typeof given === 'number' ? given : focusedFrameId(model);
    const r = await customRequest(model.session, 'lastWrite', { expression, direction, ...(frameId !== undefined ? { frameId } : {}) });
    const text = lastWriteSummary(expression, r, direction);
    if (!r?.found) {
      void vscode.window.showInformationMessage(`QEMU Replay: ${text}`);
      return r;
    }
    void vscode.window.setStatusBarMessage(`$(history) ${text}`, 15_000);
    // Walking on from the write: the frame of the first question is gone (the stop renumbers frames).
    const again = { expression };
    void vscode.window.showInformationMessage(`QEMU Replay: ${text}`, 'Previous Write', 'Next Write').then((choice) => {
      if (choice) void this.walkOn(choice === 'Previous Write' ? 'backward' : 'forward', again);
    });
    return r;
  }

  private async walkOn(direction: WriteDirection, arg: { expression: string }): Promise<void> {
    try {
      await this.lastWrite(direction, arg);
    } catch (e) {
      void vscode.window.showErrorMessage(e instanceof UserError ? e.message : `QEMU Replay: ${direction === 'backward' ? 'When Did This Change?' : 'Next Write'} failed: ${errorText(e)}`);
    }
  }

  // ---- Compare Two Moments

  /** `arg`: `{ a, b, frameId?, memory? }`; without it, quick picks of the two moments and an input box for memory. */
  async compare(arg?: unknown): Promise<CompareResult | undefined> {
    const model = await this.commands.target(true);
    const { state } = model;
    let args = asCompareArgument(arg);
    if (!args) {
      const moments = momentChoices({
        position: state.icount, snapshots: model.snapshots, stops: model.stops,
        sections: HistoryStore.sections(this.history.active).map((s) => ({ name: s.name, hits: s.hits })),
      });
      const ctx = { current: state.icount, min: 0, max: state.endIcount };
      const a = await pickMoment(moments, ctx, 'Compare Two Moments (1/3): the first moment');
      if (a === undefined) return undefined;
      const b = await pickMoment(moments.filter((m) => m.icount !== a), ctx, `Compare Two Moments (2/3): compare icount ${formatIcount(a)} with`);
      if (b === undefined) return undefined;
      const text = await vscode.window.showInputBox({
        title: 'Compare Two Moments (3/3): memory too? (optional)',
        prompt: 'An address or an expression for one, and a length in bytes (default 64). Empty: registers and locals only.',
        placeHolder: '&squares 256 · 0x40001000 64',
        validateInput: (t) => {
          const r = parseMemoryRange(t);
          return r.ok ? undefined : r.message;
        },
      });
      if (text === undefined) return undefined;
      const memory = parseMemoryRange(text);
      args = { a, b, ...(memory.ok && memory.range ? { memory: memory.range } : {}) };
    }
    const frameId = args.frameId ?? focusedFrameId(model);
    const expression = args.memory?.address;
    if (args.memory && !/^0x[0-9a-f]+$/i.test(args.memory.address)) {
      args = { ...args, memory: { ...args.memory, address: await addressOf(model, args.memory.address, frameId) } };
    }
    const r = await customRequest(model.session, 'compare', { ...args, ...(frameId !== undefined ? { frameId } : {}) });
    await this.documents.show(r, expression);
    return r;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Read-only documents, one per moment of each comparison (the diff editor's two sides). */
class CompareDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private count = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This comparison is no longer available: run "Compare Two Moments" again.';
  }

  async show(r: CompareResult, memoryExpression?: string): Promise<void> {
    const docs = compareDocuments(r, memoryExpression);
    const n = ++this.count;
    // The path is what each side's tab says; the query keeps two comparisons of the same icounts apart.
    const uri = (side: 'a' | 'b'): vscode.Uri => vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/icount ${formatIcount(r[side].icount)}.txt`, query: `${n}${side}` });
    const a = uri('a');
    const b = uri('b');
    this.texts.set(a.toString(), docs.a);
    this.texts.set(b.toString(), docs.b);
    // Keep the last few comparisons (their tabs may still be open); drop older ones.
    for (const key of [...this.texts.keys()].slice(0, Math.max(0, this.texts.size - 20))) this.texts.delete(key);
    await vscode.commands.executeCommand(BuiltinCommand.diff, a, b,
      `icount ${formatIcount(r.a.icount)} ↔ icount ${formatIcount(r.b.icount)}`, { preview: false });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

async function pickMoment(moments: readonly Moment[], ctx: { current: number; min: number; max?: number }, title: string): Promise<number | undefined> {
  type Item = vscode.QuickPickItem & { icount?: number; ask?: boolean };
  const base: Item[] = [
    ...moments.map((m) => ({ label: m.label, description: m.description, icount: m.icount })),
    { label: 'An instruction count…', description: 'type one', ask: true },
  ];
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = 'A moment, or type an instruction count (1,234,567 · 1.2M · -5000)';
  qp.matchOnDescription = true;
  qp.items = base;
  // A typed icount becomes the first choice.
  const typed = qp.onDidChangeValue((v) => {
    const parsed = /\d/.test(v) ? parseIcount(v, ctx) : undefined;
    qp.items = parsed?.ok
      ? [{ label: `icount ${formatIcount(parsed.icount)}`, description: 'the instruction count typed', icount: parsed.icount, alwaysShow: true }, ...base]
      : base;
  });
  try {
    const chosen = await new Promise<Item | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.hide();
    if (!chosen) return undefined;
    if (chosen.ask) return await askIcount(undefined, ctx, { title, prompt: 'Instruction count' });
    return chosen.icount;
  } finally {
    typed.dispose();
    qp.dispose();
  }
}

/**
 * Where the memory of an expression starts (`&origin`, `squares`, `counter`), asked of gdb at the position in the
 * selected frame: the adapter's `compare` takes addresses.
 */
async function addressOf(model: SessionModel, expression: string, frameId: number | undefined): Promise<string> {
  let answer: { result?: unknown; memoryReference?: unknown };
  try {
    answer = await model.session.customRequest('evaluate', { expression, context: 'watch', ...(frameId !== undefined ? { frameId } : {}) }) as typeof answer;
  } catch (e) {
    throw new UserError(`The memory to compare: "${expression}" cannot be evaluated here: ${errorText(e)}`);
  }
  const result = typeof answer.result === 'string' ? answer.result : '';
  const address = addressFromEvaluation(result, typeof answer.memoryReference === 'string' ? answer.memoryReference : undefined);
  if (!address) {
    throw new UserError(`The memory to compare: "${expression}" (${result}) has no address. Give an `
      + 'address (0x40001000), a pointer (&origin) or a variable that lives in memory (squares).');
  }
  return address;
}

/** The frame the user looks at in this session (the Call Stack's selection), for locals and expressions. */
function focusedFrameId(model: SessionModel): number | undefined {
  const item = vscode.debug.activeStackItem;
  return item instanceof vscode.DebugStackFrame && item.session.id === model.session.id ? item.frameId : undefined;
}

function asIdArgument(arg: unknown): { breakpointId: number; from?: number; to?: number } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as { breakpointId?: unknown; from?: unknown; to?: unknown };
  if (typeof a.breakpointId !== 'number') return undefined;
  const icount = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
  return { breakpointId: a.breakpointId, from: icount(a.from), to: icount(a.to) };
}

/** The editor line-number menu's argument: `{ lineNumber, uri }` (the uri revived, or its components). */
function asLineArgument(arg: unknown): { lineNumber: number; uri: vscode.Uri } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as { lineNumber?: unknown; uri?: unknown };
  if (typeof a.lineNumber !== 'number' || typeof a.uri !== 'object' || a.uri === null) return undefined;
  const uri = a.uri instanceof vscode.Uri ? a.uri : vscode.Uri.from(a.uri as { scheme: string; path: string });
  return { lineNumber: a.lineNumber, uri };
}

function asCompareArgument(arg: unknown): { a: number; b: number; frameId?: number; memory?: { address: string; length: number } } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const c = arg as { a?: unknown; b?: unknown; frameId?: unknown; memory?: unknown };
  if (typeof c.a !== 'number' || typeof c.b !== 'number') return undefined;
  const m = c.memory as { address?: unknown; length?: unknown } | undefined;
  const memory = m && typeof m.address === 'string' && typeof m.length === 'number' ? { address: m.address, length: m.length } : undefined;
  return { a: c.a, b: c.b, ...(typeof c.frameId === 'number' ? { frameId: c.frameId } : {}), ...(memory ? { memory } : {}) };
}
