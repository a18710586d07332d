/**
 * A tiny test runner for the extension host (no mocha): tests register with `test()`, `runAll()` runs them one after
 * the other, logs each result and closes with `@@result N passed, N failed`, the line test/vscode/run.mjs reads.
 * There is no skip: a test either runs and passes, or it fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestOptions {
  /** Milliseconds before the test fails as timed out (default 30 s; the same for afterReload). */
  timeoutMs?: number;
  /**
   * The rest of a test that reloads the window (`reloadWindow(saved)`): the extension host and this runner restart
   * with the workbench, skip the tests already run, and call this with what the first part saved.
   */
  afterReload?: (saved: unknown) => Promise<void> | void;
}

type TestFn = () => Promise<void> | void;

interface TestCase {
  name: string;
  file: string;
  fn: TestFn;
  timeoutMs: number;
  afterReload?: (saved: unknown) => Promise<void> | void;
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
  tests.push({ name, fn, file: currentFile, timeoutMs: options.timeoutMs ?? 30_000, afterReload: options.afterReload });
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

interface Resume {
  label: string;
  passed: number;
  failed: number;
  saved: unknown;
  start: number;
}

/** Where a test that reloads the window leaves what its second part needs (the harness's per-run folder). */
function resumeFile(): string {
  const dir = process.env.QEMU_REPLAY_DRIVER;
  if (!dir || dir === 'none') throw new Error('reloadWindow needs the harness (test/vscode/run.mjs): nothing would resume the suite');
  return path.join(dir, 'resume.json');
}

let running: { label: string; passed: number; failed: number; start: number } | undefined;

/**
 * Reloads the window as a person does ("Developer: Reload Window"): the extension host ends with this test, and the
 * new one resumes the suite with the test's `afterReload(saved)`. Never returns.
 */
export async function reloadWindow(saved: unknown, reload: () => Thenable<unknown>): Promise<never> {
  if (!running) throw new Error('reloadWindow outside a test');
  const t = tests.find((c) => `${c.file}: ${c.name}` === running?.label);
  if (!t?.afterReload) throw new Error(`test "${running.label}" reloads the window but has no afterReload`);
  const resume: Resume = { ...running, saved };
  fs.writeFileSync(resumeFile(), JSON.stringify(resume));
  console.log(`@@reloading the window in "${running.label}"`);
  await reload();
  return await new Promise<never>(() => undefined);   // the extension host goes away with the window
}

function takeResume(): Resume | undefined {
  const dir = process.env.QEMU_REPLAY_DRIVER;
  if (!dir || dir === 'none') return undefined;
  const file = path.join(dir, 'resume.json');
  if (!fs.existsSync(file)) return undefined;
  const resume = JSON.parse(fs.readFileSync(file, 'utf8')) as Resume;
  fs.rmSync(file);
  return resume;
}

/** Runs every registered test whose "file: name" matches `grep` (all when undefined). */
export async function runAll(grep?: RegExp): Promise<RunResult> {
  const selected = tests.filter((t) => !grep || grep.test(`${t.file}: ${t.name}`));
  let passed = 0;
  let failed = 0;
  const resume = takeResume();
  let first = 0;
  if (resume) {
    first = selected.findIndex((t) => `${t.file}: ${t.name}` === resume.label);
    if (first < 0) throw new Error(`the window reloaded in "${resume.label}", which is not among the selected tests`);
    ({ passed, failed } = resume);
    console.log(`@@suite resumed after the window reload in "${resume.label}"`);
  } else {
    console.log(`@@suite ${selected.length} tests${grep ? ` matching ${String(grep)}` : ''}`);
  }
  for (const [index, t] of selected.entries()) {
    if (index < first) continue;
    const label = `${t.file}: ${t.name}`;
    const resuming = resume && index === first;
    const start = resuming ? resume.start : Date.now();
    running = { label, passed, failed, start };
    const body = resuming ? () => t.afterReload!(resume.saved) : t.fn;
    let error: unknown;
    try {
      for (const hook of beforeEachHooks) await withTimeout(Promise.resolve().then(hook), 15_000, 'beforeEach hook');
      await withTimeout(Promise.resolve().then(body), t.timeoutMs, resuming ? `${label} (after the reload)` : label);
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
      // What the workbench showed when it failed (the harness saves it; the screenshot is not waited for).
      console.log(`@@screenshot failed-${label.replace(/[^\w.-]+/g, '_').slice(0, 80)}`);
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
