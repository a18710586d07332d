/**
 * `npm run demo` without --ui: a scripted tour of time travel through the debug adapter, exactly as a DAP client
 * (VS Code, nvim-dap, dape) drives it. Records the sample aarch64 guest, replays it, and prints each step.
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const program = path.join(root, 'test/guests/build/aarch64/prog.elf');
const source = path.join(root, 'test/guests/prog.c');
const recording = path.join(root, '.demo', 'recording');
const line = (tag: string) => readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`TAG: ${tag}`)) + 1;
const say = (text: string) => console.log(`\x1b[1m▶ ${text}\x1b[0m`);

async function session(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, path.join(root, 'dist/adapter.js'), 'qemu-replay');
  dc.defaultTimeout = 30_000;
  await dc.start();
  return dc;
}

async function where(dc: DebugClient): Promise<string> {
  const info = (await dc.customRequest('replayInfo')).body as { icount: number };
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  return `icount ${info.icount.toLocaleString('en-US')}  ${frame.name}() ${path.basename(frame.source?.path ?? '?')}:${frame.line}`;
}

async function step(dc: DebugClient, what: string, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await request();
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  console.log(`  ${what.padEnd(34)} → ${await where(dc)}  (${ev.body.reason})`);
  return ev;
}

async function locals(dc: DebugClient): Promise<string> {
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const out: string[] = [];
  for (const s of scopes.filter((x) => x.name === 'Locals' || x.name === 'Arguments')) {
    for (const v of (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables) out.push(`${v.name}=${v.value}`);
  }
  return out.join(' ');
}

async function main(): Promise<void> {
  say(`Recording the sample guest (${path.relative(root, program)}) into ${path.relative(root, recording)}`);
  let dc = await session();
  dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') process.stdout.write(`  serial │ ${e.body.output}`); });
  const terminated = dc.waitForEvent('terminated', 60_000);
  await dc.initializeRequest();
  const init = dc.waitForEvent('initialized');
  await dc.launch({ mode: 'record', program, recording, overwrite: true, stopOnEntry: false });
  await init;
  await dc.configurationDoneRequest();
  await terminated;
  await dc.stop();
  const manifest = JSON.parse(readFileSync(path.join(recording, 'recording.json'), 'utf8')) as { endIcount: number; qemu: { version: string } };
  console.log(`  recorded ${(manifest.endIcount + 1).toLocaleString('en-US')} instructions with ${manifest.qemu.version}`);

  say('Replaying it: stops at entry, with gdb and QMP attached');
  dc = await session();
  dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') process.stdout.write(`  serial │ ${e.body.output}`); });
  await dc.initializeRequest();
  const entry = dc.waitForEvent('stopped');
  const initialized = dc.waitForEvent('initialized');
  await dc.launch({ mode: 'replay', recording, program });
  await initialized;
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: line('checksum-write') }] });
  await dc.configurationDoneRequest();
  await entry;
  console.log(`  at entry                           → ${await where(dc)}`);

  say('Forward: a breakpoint on the line that updates the checksum');
  for (let i = 0; i < 3; i++) await step(dc, 'continue', () => dc.continueRequest({ threadId: 1 }));
  console.log(`  locals: ${await locals(dc)}`);

  say('Backwards: Step Back (source level), reverse step in, reverse continue');
  await step(dc, 'step back', () => dc.stepBackRequest({ threadId: 1 }));
  await step(dc, 'step back by one instruction', () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
  await step(dc, 'reverse continue', () => dc.reverseContinueRequest({ threadId: 1 }));
  console.log(`  locals: ${await locals(dc)}`);
  await step(dc, 'reverse step out', () => dc.customRequest('reverseStepOut', { threadId: 1 }));

  say('Time: icount breakpoints and seeks');
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
  await dc.customRequest('setIcountBreakpoints', { icounts: [8_000] });
  await step(dc, 'continue to icount breakpoint 8,000', () => dc.continueRequest({ threadId: 1 }));
  await step(dc, 'seek to icount 1,234', () => dc.customRequest('seek', { icount: 1234 }));
  await step(dc, 'seek to the end of the recording', () => dc.customRequest('seek', { to: 'end' }));

  say('Snapshots (they persist in the recording)');
  await step(dc, 'seek to icount 5,000', () => dc.customRequest('seek', { icount: 5000 }));
  await dc.customRequest('saveSnapshot', { name: `demo-${Date.now()}` });
  const snaps = ((await dc.customRequest('listSnapshots')).body as { snapshots: Array<{ name: string; icount: number; kind: string; vmStateSize: number }> }).snapshots;
  for (const s of snaps) console.log(`  ${s.name.padEnd(22)} icount ${s.icount.toLocaleString('en-US').padStart(8)}  ${s.kind.padEnd(9)} ${(s.vmStateSize / 1024).toFixed(0)} KiB`);
  await dc.terminateRequest();
  await dc.stop();
  say('Done. Open it in VS Code: npm run demo -- --ui');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
