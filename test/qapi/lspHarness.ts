// Runs the QAPI language server in-process over a pair of streams and talks to it as an LSP client would:
// no VS Code, the real protocol (JSON-RPC framing, initialize, didOpen, publishDiagnostics).

import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader, StreamMessageWriter, createConnection, createMessageConnection, type Diagnostic,
  type MessageConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import { startQapiServer, type QapiServerOptions } from '../../server/qapi/server';
import type { QapiWorkspace } from '../../server/qapi/workspace';

export const uriOf = (file: string): string => pathToFileURL(file).href;

export class LspHarness {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** window/logMessage texts: the server logs its internal errors there. */
  readonly log: string[] = [];
  private readonly waiters: { uri: string; resolve: (d: Diagnostic[]) => void }[] = [];
  private readonly streams: PassThrough[];

  private constructor(
    readonly client: MessageConnection,
    streams: PassThrough[],
  ) {
    this.streams = streams;
    client.onNotification('window/logMessage', (p: { message: string }) => { this.log.push(p.message); });
    client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      for (const w of this.waiters.filter((x) => x.uri === p.uri)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p.diagnostics);
      }
    });
  }

  static async start(debounceMs = 0, workspaceFolders: string[] = [], workspace?: QapiWorkspace,
    options: QapiServerOptions = {}): Promise<LspHarness> {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    startQapiServer(server, { debounceMs, workspace, ...options });
    server.listen();
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.listen();
    const harness = new LspHarness(client, [toServer, toClient]);
    await client.sendRequest('initialize', {
      processId: null, rootUri: null, capabilities: {},
      workspaceFolders: workspaceFolders.map((f) => ({ uri: uriOf(f), name: f })),
    });
    await client.sendNotification('initialized', {});
    return harness;
  }

  /** Arms the wait before sending, so a fast server cannot publish before we listen. */
  nextDiagnostics(uri: string, timeoutMs = 20_000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ uri, resolve: (d) => { clearTimeout(timer); resolve(d); } });
    });
  }

  /** Opens a document; resolves with its diagnostics once those of every file checked with it have arrived. */
  async open(file: string, text: string, version = 1): Promise<Diagnostic[]> {
    const uri = uriOf(file);
    const next = this.nextDiagnostics(uri);
    await this.client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'qapi', version, text } });
    const diagnostics = await next;
    await this.sync(uri);
    return diagnostics;
  }

  async change(file: string, text: string, version: number): Promise<Diagnostic[]> {
    const uri = uriOf(file);
    const next = this.nextDiagnostics(uri);
    await this.client.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    const diagnostics = await next;
    await this.sync(uri);
    return diagnostics;
  }

  /** A request round trip: the server answers in order, so every notification sent before has arrived. */
  async sync(uri: string): Promise<void> {
    await this.request('textDocument/foldingRange', { textDocument: { uri } });
  }

  /** A round trip that touches no document (the server answers an unknown method with an error): every notification
   * sent before has been handled, and no pending check was run for it. */
  async roundTrip(): Promise<void> {
    await this.client.sendRequest('qapi/test-ping').then(() => undefined, () => undefined);
  }

  async close(file: string): Promise<void> {
    await this.client.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(file) } });
  }

  request<R>(method: string, params: object): Promise<R> {
    return this.client.sendRequest<R>(method, params);
  }

  dispose(): void {
    this.client.dispose();
    for (const s of this.streams) s.destroy();
  }
}

export const messageOf = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);

/** Line and character of the first occurrence of `needle` (after `after`, if given) in `text`. */
export function positionOf(text: string, needle: string, after = ''): { line: number; character: number } {
  const from = after ? text.indexOf(after) : 0;
  const offset = text.indexOf(needle, from);
  if (offset < 0 || from < 0) throw new Error(`'${needle}' not found`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}
