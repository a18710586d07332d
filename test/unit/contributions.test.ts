import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { attachAttributes, debuggerContribution, launchAttributes, snippetBody, type JsonSchema } from '../../common/configSchema';
import {
  BuiltinCommand, Command, ContextKey, commands, contributions, ownActivationEvents, Setting, TestCommand, View,
  walkthroughArgument,
} from '../../src/contributions';
import { withContributions } from '../../scripts/contributions';

const root = path.resolve(__dirname, '..', '..');
interface DebuggerEntry { type: string; [key: string]: any }   // eslint-disable-line @typescript-eslint/no-explicit-any
const pkgText = readFileSync(path.join(root, 'package.json'), 'utf8');
const pkg = JSON.parse(pkgText) as { contributes: { debuggers: DebuggerEntry[] } & Record<string, unknown>; activationEvents: string[] };

/** The field names of an interface declared in common/protocol.ts, read from the source. */
function interfaceKeys(name: string): string[] {
  const file = path.join(root, 'common', 'protocol.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  assert.ok(decl, `${name} not found in common/protocol.ts`);
  return decl.members.filter(ts.isPropertySignature).map((m): string => m.name.getText(source));
}

const ours = (): DebuggerEntry => {
  const d = pkg.contributes.debuggers.find((e) => e.type === 'qemu-replay');
  assert.ok(d, 'package.json contributes no qemu-replay debugger');
  return d;
};

for (const [iface, request] of [['LaunchArguments', 'launch'], ['AttachArguments', 'attach']] as const) {
  void test(`package.json describes every ${iface} field with a description and a default`, () => {
    const properties: Record<string, JsonSchema> = ours().configurationAttributes[request].properties;
    const keys = interfaceKeys(iface);
    assert.ok(keys.length > 3);
    for (const key of keys) {
      const attr = properties[key];
      assert.ok(attr, `${request}.${key} is missing from package.json`);
      assert.ok(typeof attr.description === 'string' && attr.description.length > 10, `${request}.${key} has no description`);
      assert.ok('default' in attr, `${request}.${key} has no default`);
    }
    assert.deepEqual(Object.keys(properties).sort(), [...keys].sort(), 'schema keys = interface keys');
  });
}

void test('package.json contributes is generated from src/contributions.ts and common/configSchema.ts (run npm run contributions)', () => {
  // Each part on its own first, for a readable diff; then the whole text, which also checks key order.
  const generated = JSON.parse(JSON.stringify(withContributions(pkg).contributes)) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(generated), ...Object.keys(pkg.contributes)])) {
    assert.ok(key in contributions([]), `contributes.${key} is in package.json but not in src/contributions.ts`);
    assert.deepEqual(pkg.contributes[key], generated[key], `contributes.${key} differs from its definition`);
  }
  assert.equal(pkgText, `${JSON.stringify(withContributions(pkg), null, 2)}\n`, 'package.json differs from its definitions');
  for (const event of ownActivationEvents) assert.ok(pkg.activationEvents.includes(event), `activationEvents lacks ${event}`);
});

void test('package.json contributes.debuggers is generated from common/configSchema.ts (run npm run contributions)', () => {
  assert.deepEqual(ours(), JSON.parse(JSON.stringify(debuggerContribution())));
  assert.equal(Object.keys(launchAttributes).length, interfaceKeys('LaunchArguments').length);
  assert.equal(Object.keys(attachAttributes).length, interfaceKeys('AttachArguments').length);
});

void test('launch requires mode and recording; recordLimit is instructions or seconds', () => {
  const launch = ours().configurationAttributes.launch;
  assert.deepEqual([...launch.required].sort(), ['mode', 'recording']);
  const forms = launch.properties.recordLimit.oneOf.map((s: JsonSchema) => s.required);
  assert.deepEqual(forms, [['instructions'], ['seconds']]);
});

void test('initial configurations and snippets: record and replay of build/prog.elf into .recordings/run1', () => {
  const d = ours();
  assert.equal(d.label, 'QEMU Replay');
  assert.deepEqual(d.languages, ['c', 'cpp', 'asm']);
  assert.deepEqual(d.initialConfigurations.map((c: { mode: string }) => c.mode), ['record', 'replay']);
  for (const c of d.initialConfigurations) {
    assert.equal(c.program, '${workspaceFolder}/build/prog.elf');
    assert.equal(c.recording, '${workspaceFolder}/.recordings/run1');
  }
  assert.deepEqual(d.configurationSnippets.map((s: { label: string }) => s.label),
    ['QEMU Replay: Record', 'QEMU Replay: Replay', 'QEMU Replay: Attach']);
});

/**
 * What "Add Configuration…" puts into launch.json for a snippet body, as VS Code does it: the JSON language service
 * writes each value as JSON text (a string starting with `^` as the rest of it, verbatim), and the editor reads the
 * whole as snippet syntax, where `\$`, `\}` and `\\` are escapes and `${name}` / `$name` are variables (none of which
 * is a debug variable: `${workspaceFolder}` is unknown to snippets and inserts nothing).
 */
function insertedText(body: Record<string, unknown>): string {
  const json = `{${Object.entries(body).map(([k, v]) =>
    `${JSON.stringify(k)}: ${typeof v === 'string' && v.startsWith('^') ? v.slice(1) : JSON.stringify(v)}`).join(', ')}}`;
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '\\' && '$}\\'.includes(json[i + 1] ?? '')) { out += json[++i]; continue; }
    if (c === '$') {
      const m = /^\$(?:\{[A-Za-z_][\w]*\}|[A-Za-z_]\w*|\d+|\{\d+\})/.exec(json.slice(i));
      if (m) { i += m[0].length - 1; continue; }   // a variable or tab stop: empty
    }
    out += c;
  }
  return out;
}

void test('snippets insert ${workspaceFolder} verbatim (the ^"…" form), for record, replay and attach', () => {
  const snippets = ours().configurationSnippets as { label: string; body: Record<string, unknown> }[];
  const inserted = Object.fromEntries(snippets.map((s) => [s.label, JSON.parse(insertedText(s.body)) as Record<string, unknown>]));
  const record = inserted['QEMU Replay: Record'];
  const replay = inserted['QEMU Replay: Replay'];
  const attach = inserted['QEMU Replay: Attach'];
  for (const c of [record, replay]) {
    assert.equal(c.program, '${workspaceFolder}/build/prog.elf');
    assert.equal(c.recording, '${workspaceFolder}/.recordings/run1');
  }
  assert.deepEqual({ mode: record.mode, request: record.request, overwrite: record.overwrite }, { mode: 'record', request: 'launch', overwrite: true });
  assert.deepEqual({ mode: replay.mode, request: replay.request }, { mode: 'replay', request: 'launch' });
  assert.deepEqual(attach, { type: 'qemu-replay', request: 'attach', name: 'QEMU Replay: Attach', qmp: '127.0.0.1:4444',
    gdbServer: '127.0.0.1:1234', program: '${workspaceFolder}/build/prog.elf' });
  // Every attribute a snippet writes is one the schema knows for its request.
  const attrs = ours().configurationAttributes;
  for (const c of [record, replay, attach]) {
    for (const key of Object.keys(c)) {
      if (['type', 'request', 'name'].includes(key)) continue;
      assert.ok(key in attrs[c.request as string].properties, `${c.name as string}: "${key}" is not a ${c.request as string} attribute`);
    }
  }
  // The escaping is general: quotes, backslashes and dollars survive as they are.
  assert.deepEqual(JSON.parse(insertedText(snippetBody({ a: 'C:\\x "$y" ${z}', b: 1 }))), { a: 'C:\\x "$y" ${z}', b: 1 });
});

// ---- the names in code and in package.json are the same ones

/** The TypeScript files under a folder of the repository, recursively. */
function sources(dir: string): string[] {
  return (readdirSync(path.join(root, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const declaredCommands = new Set<string>(Object.values(Command));
const testCommands = new Set<string>(Object.values(TestCommand));

void test('src/ writes no qemuReplay.* name and no command id as a literal: they come from src/contributions.ts', () => {
  const literals: string[] = [];
  for (const file of sources('src')) {
    if (file === path.join('src', 'contributions.ts')) continue;
    for (const m of read(file).matchAll(/(['"`])(qemuReplay\.[\w.]+)\1/g)) literals.push(`${file}: ${m[2]}`);
    for (const m of read(file).matchAll(/(?:registerCommand|executeCommand)(?:<[^>]*>)?\(\s*(['"`])([^'"`]+)\1/g)) literals.push(`${file}: ${m[2]}`);
    for (const m of read(file).matchAll(/\bcommand:\s*(['"`])([^'"`]+)\1/g)) literals.push(`${file}: ${m[2]}`);
  }
  assert.deepEqual(literals, []);
});

void test('every command id the code and the tests use is declared', () => {
  // Command.x in src/ (tsc already rejects an unknown x; this catches a plain string): all ids the tests run.
  const used = new Map<string, string>();
  for (const file of [...sources('src'), ...sources(path.join('test', 'vscode'))]) {
    for (const m of read(file).matchAll(/(['"`])(qemuReplay\.[\w.]+)\1/g)) used.set(m[2], file);
  }
  assert.ok(used.size > 10, `only ${used.size} ids found: the scan is broken`);
  const known = new Set([...declaredCommands, ...testCommands, `${View.snapshots}.focus`]);
  for (const [id, file] of used) {
    if (file === path.join('src', 'contributions.ts')) continue;
    assert.ok(known.has(id), `${file} uses ${id}, which src/contributions.ts does not declare`);
  }
});

void test('every declared command is registered at activation, and every test command by the test hooks', () => {
  const index = read(path.join('src', 'ui', 'index.ts'));
  const handled = [...index.matchAll(/^\s*\[Command\.(\w+)\]:/gm)].map((m) => m[1]);
  assert.deepEqual(handled.sort(), Object.keys(Command).sort());
  assert.match(index, /for \(const \[id, \[what, body\]\] of Object\.entries\(handlers\)\) \{\s*context\.subscriptions\.push\(vscode\.commands\.registerCommand\(id,/);
  assert.match(read(path.join('src', 'extension.ts')), /activateReplayUi\(context\)/);
  const hooks = [...read(path.join('src', 'ui', 'testHooks.ts')).matchAll(/registerCommand\(TestCommand\.(\w+)/g)].map((m) => m[1]);
  assert.deepEqual(hooks.sort(), Object.keys(TestCommand).sort());
  // Test commands stay out of package.json (the Command Palette would offer them).
  const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command);
  assert.deepEqual(contributed, Object.values(Command));
});

/** Every `when` clause and command link of the generated contributes. */
function clausesAndLinks(): { whens: string[]; links: string[]; commandRefs: string[] } {
  const whens: string[] = [], links: string[] = [], commandRefs: string[] = [];
  const walk = (v: unknown, key = ''): void => {
    if (typeof v === 'string') {
      if (key === 'when' || key === 'enablement') whens.push(v);
      if (key === 'command') commandRefs.push(v);
      for (const m of v.matchAll(/\(command:([\w.]+)/g)) links.push(m[1]);
      for (const m of v.matchAll(/^onCommand:([\w.]+)$/g)) links.push(m[1]);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(contributions([]));
  return { whens, links, commandRefs };
}

void test('menus, welcome content and the walkthrough name only declared commands and context keys the code sets', () => {
  const { whens, links, commandRefs } = clausesAndLinks();
  assert.ok(whens.length > 15 && links.length > 8 && commandRefs.length > 15);
  for (const id of commandRefs) assert.ok(declaredCommands.has(id), `a menu names ${id}, which is not a declared command`);
  const builtins = new Set<string>(Object.values(BuiltinCommand));
  for (const id of links) assert.ok(declaredCommands.has(id) || builtins.has(id), `a link runs ${id}, which is not declared`);
  const index = read(path.join('src', 'ui', 'index.ts'));
  const set = new Set([...index.matchAll(/^\s*\[ContextKey\.(\w+)\]:/gm)].map((m) => ContextKey[m[1] as keyof typeof ContextKey]));
  assert.deepEqual([...set].sort(), Object.values(ContextKey).sort(), 'src/ui/index.ts sets every context key');
  const ours = new Set<string>([...Object.values(ContextKey), ...Object.values(View)]);
  for (const when of whens) {
    for (const m of when.matchAll(/qemuReplay\.[\w.]+/g)) assert.ok(ours.has(m[0]), `"${when}" names ${m[0]}, which nothing sets`);
  }
  assert.ok(JSON.stringify(contributions([])).includes(encodeURIComponent(JSON.stringify(walkthroughArgument))));
});

void test('command icons exist: codicons by name, the Reverse Step icons as files', () => {
  const codicons = new Set(read(path.join('node_modules', '@vscode', 'codicons', 'dist', 'codicon.csv')).split('\n').map((l) => l.split(',')[0]));
  for (const [id, c] of Object.entries(commands)) {
    if (typeof c.icon === 'string') {
      const name = /^\$\(([\w-]+)\)$/.exec(c.icon)?.[1];
      assert.ok(name && codicons.has(name), `${id}: ${c.icon} is not a codicon`);
    } else {
      for (const file of [c.icon.light, c.icon.dark]) assert.ok(existsSync(path.join(root, file)), `${id}: ${file} is missing`);
    }
  }
  assert.equal(Setting.statusBarEnabled, 'qemuReplay.statusBar.enabled');
});
