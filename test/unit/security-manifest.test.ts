/**
 * Security settings in the extension manifest: untrusted workspaces are refused (launch configurations name
 * binaries the extension runs), and no virtual workspaces.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  capabilities?: { untrustedWorkspaces?: { supported?: unknown; description?: unknown }; virtualWorkspaces?: unknown };
};

void test('untrusted workspaces are not supported, with the reason', () => {
  assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, false);
  const description = pkg.capabilities?.untrustedWorkspaces?.description;
  assert.ok(typeof description === 'string' && /QEMU|gdb/.test(description), 'says why');
});

void test('virtual workspaces are not supported (QEMU needs local files)', () => {
  assert.equal(pkg.capabilities?.virtualWorkspaces, false);
});
