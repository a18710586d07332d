/**
 * A tiny test runner for the extension host (no mocha): tests register with `test()`, `runAll()` runs them one after
 * the other, logs each result and closes with `@@result N passed, N failed`, the line test/vscode/run.mjs reads.
 * There is no skip: a test either runs and passes, or it fails.
 */

export interface TestOptions {
  /** Milliseconds before the test fails as timed out (default 30 s). */
  timeoutMs?: number;
}

type TestFn = () => Promise<void> | void;

interface TestCase {
  name: string;
  file: string;
  fn: TestFn;
  timeoutMs: number;
}

const tests: TestCase[] = [];
const beforeEachHooks: TestFn[] = [];
const afterEachHooks: TestFn[] = [];
const failureReporters: (() => string | undefined)[] = [];
let currentFile = '';

export function setCurrentFile(file: string): void {
  currentFile = file;
}

export function test(name: string, fn: TestFn, options: TestOptions = {}): void {
  tests.push({ name, fn, file: currentFile, timeoutMs: options.timeoutMs ?? 30_000 });
}

/** Runs before every test (a failure fails the test). */
export function beforeEach(fn: TestFn): void {
  beforeEachHooks.push(fn);
}

/** Runs after every test, passed or failed (e.g. stop debug sessions, close editors). */
export function afterEach(fn: TestFn): void {
  afterEachHooks.push(fn);
}

/** Adds diagnostics to a failed test's report (e.g. the DAP transcript of its sessions). */
export function onFailureReport(reporter: () => string | undefined): void {
  failureReporters.push(reporter);
}

export class TimeoutError extends Error {}

export async function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const describe = (e: unknown): string => (e instanceof Error ? e.stack ?? e.message : String(e));

export interface RunResult {
  passed: number;
  failed: number;
}

/** Runs every registered test whose "file: name" matches `grep` (all when undefined). */
export async function runAll(grep?: RegExp): Promise<RunResult> {
  const selected = tests.filter((t) => !grep || grep.test(`${t.file}: ${t.name}`));
  let passed = 0;
  let failed = 0;
  console.log(`@@suite ${selected.length} tests${grep ? ` matching ${String(grep)}` : ''}`);
  for (const t of selected) {
    const label = `${t.file}: ${t.name}`;
    const start = Date.now();
    let error: unknown;
    try {
      for (const hook of beforeEachHooks) await withTimeout(Promise.resolve().then(hook), 15_000, 'beforeEach hook');
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs, label);
    } catch (e) {
      error = e;
    }
    for (const hook of afterEachHooks) {
      try {
        await withTimeout(Promise.resolve().then(hook), 15_000, 'afterEach hook');
      } catch (e) {
        error ??= new Error(`afterEach hook failed: ${describe(e)}`);
      }
    }
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    if (error === undefined) {
      passed++;
      console.log(`✔ ${label} (${seconds} s)`);
    } else {
      failed++;
      console.log(`✖ ${label} (${seconds} s)\n${describe(error)}`);
      for (const report of failureReporters) {
        const text = report();
        if (text) console.log(text);
      }
    }
  }
  if (selected.length === 0) {
    failed++;
    console.log(`✖ no test matched${grep ? ` ${String(grep)}` : ''}`);
  }
  console.log(`@@result ${passed} passed, ${failed} failed`);
  return { passed, failed };
}
