/**
 * The extension test suite's entry point (the `run(): Promise<void>` contract of `@vscode/test-electron`, also used
 * by test/vscode/run.mjs): loads every test/vscode/suite/*.test.ts in name order, runs them one after the other, and
 * rejects when one failed. QEMU_REPLAY_TEST_GREP (a regular expression on "file: test name") selects tests.
 */
import { testFiles } from 'qemu-replay:suite-files';
import { runAll, setCurrentFile } from './runner';

export async function run(): Promise<void> {
  for (const [file, load] of testFiles) {
    setCurrentFile(file);
    load();
  }
  const grep = process.env.QEMU_REPLAY_TEST_GREP ? new RegExp(process.env.QEMU_REPLAY_TEST_GREP) : undefined;
  const { passed, failed } = await runAll(grep);
  if (failed > 0) throw new Error(`${failed} of ${passed + failed} VS Code tests failed`);
}
