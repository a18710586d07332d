/** "QEMU Replay: Check Setup": runs the tools (no shell) and says what is missing and how to install it. */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { DEFAULT_PATHS, checkSetup, formatSetupReport, type RunResult, type SetupPaths, type SetupReport } from '../../common/ui-setup';

/** Runs a program directly (execFile: arguments are never parsed by a shell), bounded in time and output. */
function runProgram(file: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: 20_000, maxBuffer: 1 << 20, windowsHide: true }, (error, stdout, stderr) => {
      // execFile's error.code is the exit code (number) or, when the program could not start, an errno name.
      const code: unknown = (error as { code?: unknown } | null)?.code;
      resolve({
        code: !error ? 0 : typeof code === 'number' ? code : null,
        stdout: String(stdout), stderr: String(stderr),
        errorCode: typeof code === 'string' ? code : undefined,
      });
    });
  });
}

export class SetupChecker implements vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('QEMU Replay: Setup');

  /** `paths` (optional): other program names or paths to check, e.g. from a launch configuration. */
  async run(paths?: Partial<SetupPaths>): Promise<SetupReport> {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'QEMU Replay: checking the setup' },
      () => checkSetup(runProgram, { ...DEFAULT_PATHS, ...paths }));
    this.output.clear();
    this.output.appendLine(formatSetupReport(report));
    if (report.ok) {
      void vscode.window.showInformationMessage('QEMU Replay: QEMU, qemu-img and gdb-multiarch with reverse debugging are installed.');
    } else {
      const missing = report.results.filter((r) => !r.ok && !r.optional).map((r) => r.name);
      const what = missing.length ? missing.join(', ') : 'a QEMU system emulator (aarch64 or riscv64)';
      void vscode.window.showWarningMessage(`QEMU Replay needs ${what}. Install with: ${report.fix ?? ''}`, 'Copy Command', 'Show Details')
        .then(async (choice) => {
          if (choice === 'Copy Command' && report.fix) await vscode.env.clipboard.writeText(report.fix);
          if (choice === 'Show Details') this.output.show(true);
        });
    }
    return report;
  }

  dispose(): void {
    this.output.dispose();
  }
}
