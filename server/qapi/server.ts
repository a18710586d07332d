// Wires the QAPI analysis to an LSP connection. A check that is fast (QEMU's whole schema re-checks in about 20 ms)
// runs right after each edit; only while edits come faster than checks are they spaced, so a burst costs at most
// half the CPU. A slow check (a huge schema) waits for a pause in typing instead. A request runs a pending check
// first, and a failure inside the analysis is logged and shown as one diagnostic instead of taking the server
// down: the next edit gets a fresh try.

import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind, DiagnosticSeverity, FileChangeType, TextDocumentSyncKind, TextDocuments, type Connection, type Diagnostic, type InitializeResult, type Range,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Problem } from './ast';
import { complete } from './completion';
import { definition, documentSymbols, foldingRanges, hover, references, toRange, workspaceSymbols } from './features';
import type { Program } from './program';
import { prepareRename, rename } from './rename';
import { QapiWorkspace, findSchemaFiles } from './workspace';

export interface QapiServerOptions {
  /** Pause in typing that a slow check waits for; 0 checks every edit at once (tests). */
  readonly debounceMs?: number;
  /** A file whose last check took at most this long is checked again right after an edit, without the pause. */
  readonly fastCheckMs?: number;
  /** The analysis state; tests pass one that fails on purpose. */
  readonly workspace?: QapiWorkspace;
  /** Time and timers; tests pass a clock they move by hand. */
  readonly clock?: Clock;
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const SEVERITY: Record<Problem['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information,
};

/**
 * The QAPI language server on `connection`. One function (227 lines) on purpose: each LSP handler is short and they
 * share the server's open documents and analysed programs, which a class would only turn into fields.
 */
export function startQapiServer(connection: Connection, options: QapiServerOptions = {}): void {
  const debounceMs = options.debounceMs ?? 150;
  const fastCheckMs = options.fastCheckMs ?? 100;
  /** How long checks of each file take (smoothed), and when the last one ended (clock.now()). */
  const lastCheck = new Map<string, { cost: number; end: number }>();
  const documents = new TextDocuments(TextDocument);
  const workspace = options.workspace ?? new QapiWorkspace();
  const clock = options.clock ?? realClock;
  const pending = new Map<string, unknown>();
  const openUris = new Map<string, string>();
  /** What was last sent per file: unchanged diagnostics of other modules are not sent again after each edit. */
  const lastSent = new Map<string, string>();

  const toFile = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
  const toUri = (file: string): string => openUris.get(file) ?? pathToFileURL(file).href;

  const send = (file: string, diagnostics: Diagnostic[], force: boolean): void => {
    const key = JSON.stringify(diagnostics);
    if (!force && lastSent.get(file) === key) return;
    lastSent.set(file, key);
    void connection.sendDiagnostics({ uri: toUri(file), diagnostics });
  };

  /** Clears the diagnostics of files no checked program contains any more (closed, or no longer included). */
  const clearOrphans = (): void => {
    const covered = new Set(workspace.allPrograms().flatMap((p) => [...p.modules.keys()]));
    for (const file of [...lastSent.keys()]) {
      if (covered.has(file)) continue;
      lastSent.delete(file);
      void connection.sendDiagnostics({ uri: toUri(file), diagnostics: [] });
    }
  };

  /** The edited file always gets a notification (clients wait for it); other modules only when changed. */
  const publish = (program: Program, trigger: string): void => {
    for (const file of program.modules.keys()) {
      const diagnostics: Diagnostic[] = (program.problems.get(file) ?? []).map((p) => ({
        range: toRange(program, file, p), message: p.message, severity: SEVERITY[p.severity], source: 'qapi',
        relatedInformation: p.related || p.at ? [
          ...(p.at ? [{ location: { uri: toUri(file), range: toRange(program, file, p.at) }, message: 'the error is here' }] : []),
          ...(p.related ? [{ location: { uri: toUri(p.related.file), range: toRange(program, p.related.file, p.related.span) }, message: p.related.message }] : []),
        ] : undefined,
        // A quick fix replaces the offending part, not the definition name the diagnostic is on.
        data: p.at ? { at: toRange(program, file, p.at) } : undefined,
      }));
      send(file, diagnostics, file === trigger);
    }
  };

  const check = (file: string): void => {
    pending.delete(file);
    const start = clock.now();
    try {
      for (const program of workspace.refresh(file)) publish(program, file);
      clearOrphans();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      connection.console.error(`QAPI check of ${file} failed: ${err.stack ?? err.message}`);
      lastSent.delete(file);
      void connection.sendDiagnostics({ uri: toUri(file), diagnostics: [{
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error,
        source: 'qapi', message: `Internal error of the QAPI language server: ${err.message}. Edit the file to retry; the log has details.`,
      }] });
    } finally {
      // Smoothed, so that one check slowed down by a garbage collection or a busy machine does not switch modes.
      const end = clock.now();
      const previous = lastCheck.get(file);
      lastCheck.set(file, { cost: previous ? (previous.cost + (end - start)) / 2 : end - start, end });
    }
  };

  /**
   * After an edit. A fast check runs at once unless the previous one ended less than its own duration ago (edits
   * arriving faster than checks): then it runs that much later, with the text as it is by then, and edits in
   * between join it. A slow check waits until edits pause for debounceMs.
   */
  const afterEdit = (file: string): void => {
    const last = lastCheck.get(file);
    if (last && last.cost > fastCheckMs) {
      clock.clearTimeout(pending.get(file));
      pending.set(file, clock.setTimeout(() => check(file), debounceMs));
      return;
    }
    if (pending.has(file)) return;
    const wait = last ? Math.max(0, last.cost - (clock.now() - last.end)) : 0;
    if (wait < 1) return check(file);
    pending.set(file, clock.setTimeout(() => check(file), wait));
  };

  /** A request on a file with a check still pending runs the check first, so answers match the text. */
  const programFor = (uri: string): { program: Program; file: string; offsetOf: (p: { line: number; character: number }) => number } | undefined => {
    const file = toFile(uri);
    if (pending.has(file)) {
      clock.clearTimeout(pending.get(file));
      check(file);
    }
    const program = workspace.programFor(file);
    const doc = documents.get(uri);
    const lines = program.modules.get(file)?.parsed.lines;
    const offsetOf = (p: { line: number; character: number }): number =>
      doc ? doc.offsetAt(p) : lines ? lines.offset(p.line, p.character) : 0;
    return { program, file, offsetOf };
  };

  /** Requests never throw across the connection: a bug in one feature must not cost the session. */
  const guarded = <P, R>(name: string, fallback: R, body: (params: P) => R) => (params: P): R => {
    try {
      return body(params);
    } catch (e) {
      connection.console.error(`QAPI ${name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return fallback;
    }
  };

  const initializeResult: InitializeResult = {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      completionProvider: { triggerCharacters: ["'"] },
      documentSymbolProvider: true,
      workspaceSymbolProvider: true,
      foldingRangeProvider: true,
      renameProvider: { prepareProvider: true },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'qapi-language-server' },
  };

  /** Workspace folders, scanned for schemas when workspace symbols are asked for. */
  let folders: string[] = [];
  let scanned: string[] | undefined;
  connection.onInitialize((params) => {
    const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    folders = uris.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
    return initializeResult;
  });

  documents.onDidChangeContent((e) => {
    const file = toFile(e.document.uri);
    openUris.set(file, e.document.uri);
    workspace.setOpen(file, e.document.getText());
    if (e.document.version <= 1 || debounceMs <= 0) check(file);
    else afterEdit(file);
  });
  documents.onDidClose((e) => {
    const file = toFile(e.document.uri);
    clock.clearTimeout(pending.get(file));
    pending.delete(file);
    lastCheck.delete(file);
    workspace.close(file);
    workspace.prune();
    clearOrphans();
    openUris.delete(file);
  });

  // Modules changed on disk (a branch switch, another editor): their programs are checked again.
  connection.onDidChangeWatchedFiles((p) => {
    if (p.changes.some((c) => c.type !== FileChangeType.Changed)) scanned = undefined;
    try {
      const files = p.changes.map((c) => toFile(c.uri)).filter((f) => !workspace.isOpen(f));
      for (const program of workspace.refreshAll(files)) publish(program, '');
      clearOrphans();
    } catch (e) {
      connection.console.error(`QAPI re-check after file changes failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  });

  connection.onHover(guarded('hover', null, (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? hover(ctx.program, ctx.file, ctx.offsetOf(p.position)) : null;
  }));
  connection.onDefinition(guarded('definition', null, (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? definition(ctx.program, ctx.file, ctx.offsetOf(p.position)) : null;
  }));
  connection.onReferences(guarded('references', [], (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? references(ctx.program, ctx.file, ctx.offsetOf(p.position), p.context.includeDeclaration) : [];
  }));
  connection.onPrepareRename(guarded('prepareRename', null, (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? prepareRename(ctx.program, ctx.file, ctx.offsetOf(p.position)) : null;
  }));
  // Not guarded: an invalid new name is an error the user must see.
  connection.onRenameRequest((p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? rename(ctx.program, ctx.file, ctx.offsetOf(p.position), p.newName) : null;
  });
  // "did you mean 'X'?" becomes a quick fix; the quoted type name is the diagnostic's `data.at` (the diagnostic
  // itself is on the definition's first line, like QEMU's error) or its range.
  connection.onCodeAction(guarded('codeAction', [], (p) => p.context.diagnostics.flatMap((d) => {
    const m = typeof d.message === 'string' ? /did you mean '([^']+)'\?$/.exec(d.message) : null;
    if (!m || d.source !== 'qapi') return [];
    const at = (d.data as { at?: Range } | undefined)?.at ?? d.range;
    return [{
      title: `Change to '${m[1]}'`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true,
      edit: { changes: { [p.textDocument.uri]: [{ range: at, newText: `'${m[1]}'` }] } },
    }];
  })));
  connection.onCompletion(guarded('completion', [], (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? complete(ctx.program, ctx.file, ctx.offsetOf(p.position)) : [];
  }));
  connection.onDocumentSymbol(guarded('documentSymbol', [], (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? documentSymbols(ctx.program, ctx.file) : [];
  }));
  connection.onWorkspaceSymbol(guarded('workspaceSymbol', [], (p) => {
    for (const [file, handle] of [...pending]) {
      clock.clearTimeout(handle);
      check(file);
    }
    // Schemas in the workspace count even when none of their files is open. The scan is kept until files
    // are created or deleted: the symbol picker asks again on every keystroke.
    scanned ??= findSchemaFiles(folders);
    workspace.checkPinned(scanned);
    return workspaceSymbols(workspace.allPrograms(), p.query);
  }));
  connection.onFoldingRanges(guarded('foldingRange', [], (p) => {
    const ctx = programFor(p.textDocument.uri);
    return ctx ? foldingRanges(ctx.program, ctx.file) : [];
  }));

  documents.listen(connection);
}
