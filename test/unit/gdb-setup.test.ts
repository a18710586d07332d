/**
 * The one gdb set-up of launch and attach (adapter/gdb/setup.ts): what gdb is told before it connects, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Gdb } from '../../adapter/gdb/gdb';
import { cliQuote, configureGdb, loadSymbols } from '../../adapter/gdb/setup';

function fakeGdb(): { gdb: Gdb; sent: string[] } {
  const sent: string[] = [];
  const gdb = {
    console: (cli: string) => { sent.push(cli); return Promise.resolve(''); },
    command: (mi: string) => { sent.push(mi); return Promise.resolve({}); },
  } as unknown as Gdb;
  return { gdb, sent };
}

void test('a replay: index cache before the symbols, path maps, read-only before the connection, no caches', async () => {
  const { gdb, sent } = fakeGdb();
  await configureGdb(gdb, { symbols: '/k/vmlinux', sourceMap: { '/build dir': '/src "x"' }, userCwd: '/ws', readOnly: true,
    indexCache: '/c/gdb-index' });
  assert.deepEqual(sent, [
    'set index-cache directory /c/gdb-index', 'set index-cache enabled on', '-file-exec-and-symbols "/k/vmlinux"',
    'set substitute-path "/build dir" "/src \\"x\\""', 'set may-write-memory off', 'set may-write-registers off',
    'set stack-cache off', 'set code-cache off', 'set directories $cdir:/ws', 'set tcp auto-retry off',
  ]);
});

void test('attached to a QEMU that neither records nor replays: writable, no symbols; a cwd gdb cannot take is left out', async () => {
  const { gdb, sent } = fakeGdb();
  await configureGdb(gdb, { userCwd: '/a:b', readOnly: false });
  assert.deepEqual(sent, ['set stack-cache off', 'set code-cache off', 'set tcp auto-retry off']);
});

void test('CLI arguments stay one argument: quotes and backslashes escaped, line breaks become spaces', () => {
  assert.equal(cliQuote('a b'), '"a b"');
  assert.equal(cliQuote('C:\\src\\"q"'), '"C:\\\\src\\\\\\"q\\""');
  assert.equal(cliQuote('x\ny\rz'), '"x y z"');
});

void test('symbols loaded after the connection (a first launch with a large program): the index cache first, as before it', async () => {
  const { gdb, sent } = fakeGdb();
  await loadSymbols(gdb, '/k/vmlinux', '/c/gdb-index');
  await loadSymbols(gdb, '/k/other', undefined);
  assert.deepEqual(sent, [
    'set index-cache directory /c/gdb-index', 'set index-cache enabled on', '-file-exec-and-symbols "/k/vmlinux"',
    '-file-exec-and-symbols "/k/other"',
  ]);
});
