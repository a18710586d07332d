// `npm run test:electron`: the same extension test suite as `npm run test:vscode` (test/vscode/suite), run in desktop
// VS Code through @vscode/test-electron's runTests, for machines that can download VS Code (or that have one:
// VSCODE_EXECUTABLE_PATH=/path/to/code skips the download). Where the download is impossible it says so and fails.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { buildAll, makeWorkspace, root } from '../test/vscode/workspace.mjs';

const { runTests } = createRequire(import.meta.url)('@vscode/test-electron');

const suite = await buildAll();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-replay-electron-'));
const workspace = makeWorkspace(path.join(tmp, 'workspace'));
const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH || undefined;

let code = 1;
try {
  code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    vscodeExecutablePath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(tmp, 'ud')}`],
    // Screenshots are taken by test/vscode/run.mjs only; here the suite logs the request and goes on.
    extensionTestsEnv: { QEMU_REPLAY_SCREENSHOTS: 'none', QEMU_REPLAY_DRIVER: 'none', QEMU_REPLAY_TEST_GREP: process.env.QEMU_REPLAY_TEST_GREP ?? '' },
  });
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (!vscodeExecutablePath && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|download|fetch/i.test(message)) {
    console.error(`test:electron: could not download VS Code (${message}).\n`
      + 'This machine cannot reach the VS Code download service. Either set VSCODE_EXECUTABLE_PATH to an installed\n'
      + 'desktop VS Code, or run the same suite in code-server instead: npm run test:vscode');
  } else {
    console.error(`test:electron: the tests could not run: ${message}`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(code === 0 ? 'test:electron: the suite passed' : `test:electron: failed (exit code ${code})`);
process.exit(code === 0 ? 0 : 1);
