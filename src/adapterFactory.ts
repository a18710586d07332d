/**
 * Runs the debug adapter (dist/adapter.js, a plain Node program speaking DAP on stdio) as its own process.
 * `process.execPath` is the extension host's runtime: Node in code-server, Electron in desktop VS Code, where
 * ELECTRON_RUN_AS_NODE=1 makes it behave as Node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string, private readonly log: vscode.LogOutputChannel) {}

  get adapterPath(): string {
    return path.join(this.extensionPath, 'dist', 'adapter.js');
  }

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    // "debugServer": PORT talks to an adapter started by hand (`node dist/adapter.js --server=PORT`), to debug it.
    const port: unknown = session.configuration.debugServer;
    if (typeof port === 'number') {
      this.log.info(`[${session.name}] using the debug adapter server on port ${port}`);
      return new vscode.DebugAdapterServer(port);
    }
    const adapter = this.adapterPath;
    if (!fs.existsSync(adapter)) {
      throw new Error(`The QEMU Replay debug adapter is missing (${adapter}): run "npm run build" in the extension's folder.`);
    }
    this.log.info(`[${session.name}] starting the debug adapter: ${process.execPath} ${adapter}`);
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}
