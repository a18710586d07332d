// Writes `contributes` of package.json from its typed definitions: src/contributions.ts (commands, menus, views,
// welcome content, walkthrough, settings, languages, grammars, breakpoints) and common/configSchema.ts (the debugger's
// launch and attach attributes and snippets). Run it after changing either: `npm run contributions`
// (`--check` only reports whether package.json is up to date; test/unit/contributions.test.ts checks the same).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { debuggerContribution } from '../common/configSchema';
import { contributions } from '../src/contributions';

const manifest = path.resolve(__dirname, '..', 'package.json');

interface Manifest { contributes?: { debuggers?: unknown[] } & Record<string, unknown> }

/** The manifest with `contributes` generated: other extensions' debuggers and unknown keys are kept (after ours). */
export function withContributions(pkg: Manifest): Manifest {
  const ours = debuggerContribution();
  const others = (pkg.contributes?.debuggers ?? []).filter((d) => (d as { type?: unknown }).type !== ours.type);
  const generated = contributions([ours, ...others]);
  const kept = Object.fromEntries(Object.entries(pkg.contributes ?? {}).filter(([key]) => !(key in generated)));
  return { ...pkg, contributes: { ...generated, ...kept } };
}

if (require.main === module) {
  // Read, modify and write at once: other engineers change package.json at the same time.
  const text = readFileSync(manifest, 'utf8');
  const updated = `${JSON.stringify(withContributions(JSON.parse(text) as Manifest), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (updated !== text) {
      console.error('package.json contributes is out of date: run npm run contributions');
      process.exit(1);
    }
  } else if (updated !== text) {
    writeFileSync(manifest, updated);
    console.log('package.json: contributes updated');
  }
}
