// Writes `contributes.debuggers` of package.json from src/configSchema.ts, the one source of truth of the launch and
// attach attributes. Run it after changing the schema: `node --import tsx scripts/contributions.ts`
// (`--check` only reports whether package.json is up to date; test/unit/contributions.test.ts runs that check).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { debuggerContribution } from '../src/configSchema';

const manifest = path.resolve(__dirname, '..', 'package.json');

interface Manifest { contributes?: { debuggers?: unknown[] } & Record<string, unknown> }

/** The manifest's debuggers with ours replaced (or added), other debuggers kept. */
export function withDebugger(pkg: Manifest): Manifest {
  const ours = debuggerContribution();
  const others = (pkg.contributes?.debuggers ?? []).filter((d) => (d as { type?: unknown }).type !== ours.type);
  return { ...pkg, contributes: { ...pkg.contributes, debuggers: [ours, ...others] } };
}

if (require.main === module) {
  // Read, modify and write at once: other engineers change package.json at the same time.
  const text = readFileSync(manifest, 'utf8');
  const updated = `${JSON.stringify(withDebugger(JSON.parse(text) as Manifest), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (updated !== text) {
      console.error('package.json contributes.debuggers is out of date: run node --import tsx scripts/contributions.ts');
      process.exit(1);
    }
  } else if (updated !== text) {
    writeFileSync(manifest, updated);
    console.log('package.json: contributes.debuggers updated');
  }
}
