/**
 * Launch configurations of the `qemu-replay` debugger: the ones offered for a new launch.json (a record and a replay
 * of the workspace's guest ELF), defaults for F5 without a launch.json, and validation just before a session starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEBUG_TYPE, DEFAULT_PROGRAM, DEFAULT_RECORDING, recordConfiguration, replayConfiguration } from '../common/configSchema';
import { formatProblems, validateConfiguration, type PathKind, type PathProbe } from './validate';

/** Reports a configuration error to the user (and to whoever listens, e.g. the tests). */
export type ErrorReporter = (message: string) => void;

export const fileSystemProbe: PathProbe = {
  kind(p: string): PathKind | undefined {
    try {
      const st = fs.statSync(p);
      return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    } catch {
      return undefined;
    }
  },
};

/** The workspace's guest ELF as a `${workspaceFolder}` path: build/prog.elf if present, else the shallowest *.elf. */
export async function findGuestElf(folder: vscode.WorkspaceFolder, token?: vscode.CancellationToken): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.elf'),
    '{**/node_modules/**,**/.recordings/**,**/.git/**}', 50, token);
  const relative = found.map((u) => path.relative(folder.uri.fsPath, u.fsPath).split(path.sep).join('/'))
    .sort((a, b) => Number(b === 'build/prog.elf') - Number(a === 'build/prog.elf')
      || a.split('/').length - b.split('/').length || a.localeCompare(b));
  return relative.length ? `\${workspaceFolder}/${relative[0]}` : undefined;
}

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly reportError: ErrorReporter) {}

  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined, token?: vscode.CancellationToken):
  Promise<vscode.DebugConfiguration[]> {
    const program = (folder && await findGuestElf(folder, token)) ?? DEFAULT_PROGRAM;
    return [recordConfiguration(program, DEFAULT_RECORDING), replayConfiguration(program, DEFAULT_RECORDING)];
  }

  /**
   * The configurations offered under "QEMU Replay…" in Select and Start Debugging (VS Code asks once per launch:
   * each workspace folder's, and the user settings' with no folder). A configuration needs a folder
   * (`${workspaceFolder}`), and one whose name the folder's launch.json already has would show twice in the picker.
   */
  async provideDynamicConfigurations(folder: vscode.WorkspaceFolder | undefined, token?: vscode.CancellationToken):
  Promise<vscode.DebugConfiguration[]> {
    if (!folder) return [];
    const existing = vscode.workspace.getConfiguration('launch', folder.uri).get<unknown[]>('configurations') ?? [];
    const names = new Set(existing.map((c) => (c as { name?: unknown } | null)?.name));
    return (await this.provideDebugConfigurations(folder, token)).filter((c) => !names.has(c.name));
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
    token?: vscode.CancellationToken): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.request && !config.name) {
      // F5 with no launch.json: record the workspace's guest, or replay it once it was recorded.
      const program = folder && await findGuestElf(folder, token);
      if (!folder || !program) {
        this.reportError('QEMU Replay found no guest ELF (*.elf) in the workspace to debug: build the guest, or create a launch.json with "Run and Debug → create a launch.json file → QEMU Replay".');
        return undefined;
      }
      const recorded = fileSystemProbe.kind(path.join(folder.uri.fsPath, '.recordings', 'run1')) === 'directory';
      config = recorded ? replayConfiguration(program, DEFAULT_RECORDING) : recordConfiguration(program, DEFAULT_RECORDING);
    }
    config.type ||= DEBUG_TYPE;
    config.request ||= 'launch';
    config.name ||= config.request === 'attach' ? 'QEMU Replay: Attach' : 'QEMU Replay';
    // The adapter resolves relative paths against "cwd": default it to the workspace folder, as the validation does.
    if (config.cwd === undefined && folder) config.cwd = folder.uri.fsPath;
    return config;
  }

  resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const problems = validateConfiguration(config, { baseDir: folder?.uri.fsPath, probe: fileSystemProbe });
    if (problems.length === 0) return config;
    this.reportError(formatProblems(config.name, problems));
    return undefined;   // undefined (not null): abort the launch without opening launch.json
  }
}
