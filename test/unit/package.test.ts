/**
 * The extension package: builds the .vsix exactly as `npm run package` does (the same vsce command line, into a
 * temporary folder) and checks what it holds: the bundles and what package.json names, nothing else (no
 * node_modules, sources, tests or source maps), and bundles that need no npm package at run time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(__dirname, '..', '..');
const bundles = ['dist/extension.js', 'dist/adapter.js', 'dist/qapiServer.js', 'dist/media/timeline.js'];

/** The entries of a zip file (a .vsix is one): name → content. Stored and deflated entries, as vsce writes them. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, `${file} is not a zip file (no end of central directory)`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `${file}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    assert.ok(method === 0 || method === 8, `${name}: unexpected compression method ${method}`);
    entries.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** `npm run package`'s vsce arguments, with the output redirected to `out`. */
function vsceArgs(out: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const command = pkg.scripts.package?.split('&&').map((s) => s.trim()).find((s) => s.startsWith('vsce package'));
  assert.ok(command, `the "package" script runs no "vsce package": ${pkg.scripts.package}`);
  const args = command.split(/\s+/).slice(1);
  const o = args.findIndex((a) => a === '-o' || a === '--out');
  if (o >= 0) args.splice(o, 2);
  return [...args, '-o', out];
}

let tmp = '';
let entries = new Map<string, Buffer>();
let manifest: { main?: string; bin?: Record<string, string>; browser?: string; contributes?: unknown } = {};
const packaged = (file: string) => entries.has(`extension/${path.posix.normalize(file)}`);

before(() => {
  // The bundles come from `npm run build` (npm test runs it first); built here only when missing, since other
  // test runs in this tree may be executing dist/adapter.js right now.
  if (bundles.some((b) => !existsSync(path.join(root, b)))) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), 'qemu-replay-vsix-'));
  const vsix = path.join(tmp, 'qemu-replay.vsix');
  // stdin closed: a vsce question (a missing field, a missing LICENSE) fails the build instead of waiting for an answer
  execFileSync(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), ...vsceArgs(vsix)],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  entries = readZip(vsix);
  manifest = JSON.parse(entries.get('extension/package.json')?.toString('utf8') ?? '{}') as typeof manifest;
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

void test('the .vsix holds the bundles, package.json, the README and the LICENSE', () => {
  for (const f of [...bundles, 'package.json', 'readme.md']) assert.ok(packaged(f), `${f} is not in the .vsix`);
  assert.ok(packaged('LICENSE.txt') || packaged('LICENSE'), 'no LICENSE in the .vsix');
  assert.ok(entries.has('extension.vsixmanifest'));
});

void test('the .vsix holds nothing but what runs or is shown: no node_modules, sources, tests or source maps', () => {
  const allowed = /^(extension\.vsixmanifest|\[Content_Types\]\.xml|extension\/(package\.json|readme\.md|changelog\.md|LICENSE(\.txt)?|dist\/[\w/.-]+\.js|dist\/qemu-plugin\/hits-api\d\.so|media\/[\w/.-]+\.(css|svg|png|md)|syntaxes\/[\w.-]+\.json|docs\/images\/[\w.-]+\.(png|gif|svg)))$/;
  const unexpected = [...entries.keys()].filter((e) => !allowed.test(e));
  assert.deepEqual(unexpected, [], `unexpected files in the .vsix: ${unexpected.join(', ')}`);
  assert.ok(![...entries.keys()].some((e) => e.includes('node_modules/')));
  const size = [...entries.values()].reduce((n, b) => n + b.length, 0);
  assert.ok(size < 8 * 1024 * 1024, `the .vsix unpacks to ${size} bytes`);
});

void test("package.json's main and bin point at packaged files", () => {
  assert.ok(manifest.main, 'package.json has no "main"');
  assert.ok(packaged(manifest.main), `"main" (${manifest.main}) is not in the .vsix`);
  assert.equal(manifest.browser, undefined, 'a "browser" entry would need a web bundle');
  const bins = Object.entries(manifest.bin ?? {});
  assert.ok(bins.length > 0, 'package.json has no "bin" (the standalone debug adapter)');
  for (const [name, file] of bins) assert.ok(packaged(file), `bin ${name} (${file}) is not in the .vsix`);
  assert.match(entries.get('extension/dist/adapter.js')!.toString('utf8', 0, 40), /^#!\/usr\/bin\/env node\n/, 'the adapter bundle is not executable by itself');
});

void test('every file package.json contributes (grammars, icons, walkthrough media) is packaged', () => {
  const files: string[] = [];
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (/^(path|configuration|markdown|image|svg|light|dark|icon)$/.test(key) && /^(\.\/)?[\w-]+\/[\w/.-]+\.\w+$/.test(value)) files.push(value);
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v, key);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(manifest.contributes, 'contributes');
  assert.ok(files.length >= 8, `found only ${files.length} contributed files: ${files.join(', ')}`);
  const missing = files.filter((f) => !packaged(f));
  assert.deepEqual(missing, [], `contributed files missing from the .vsix: ${missing.join(', ')}`);
});

void test('the bundles load nothing from node_modules at run time (only Node built-ins, and vscode in the extension)', () => {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const b of ['dist/extension.js', 'dist/adapter.js', 'dist/qapiServer.js']) {
    const code = entries.get(`extension/${b}`)!.toString('utf8');
    const required = new Set([...code.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2]));
    const foreign = [...required].filter((m) => !builtins.has(m) && !(m === 'vscode' && b === 'dist/extension.js'));
    assert.deepEqual(foreign, [], `${b} requires ${foreign.join(', ')} at run time`);
    assert.doesNotMatch(code, /\brequire\(\s*[A-Za-z_$][\w$.]*\s*\)/, `${b} has a dynamic require()`);
    assert.doesNotMatch(code, /\bimport\(\s*["'`](?!node:)/, `${b} has a dynamic import() of a package`);
  }
});
