// Bundles the VS Code test suite (test/vscode/suite/index.ts and every *.test.ts beside it) into
// dist/test/vscode/suite/index.js, with `vscode` external: the extensionTestsPath of test/vscode/run.mjs and of
// scripts/test-electron.mjs.
import * as esbuild from 'esbuild';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const suiteDir = path.join(root, 'test', 'vscode', 'suite');
export const suiteBundle = path.join(root, 'dist', 'test', 'vscode', 'suite', 'index.js');

/** `import { testFiles } from 'qemu-replay:suite-files'`: loaders of the test files, in name order. */
const suiteFiles = {
  name: 'suite-files',
  setup(build) {
    build.onResolve({ filter: /^qemu-replay:suite-files$/ }, (args) => ({ path: args.path, namespace: 'suite-files' }));
    build.onLoad({ filter: /.*/, namespace: 'suite-files' }, () => {
      const files = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();
      const entries = files.map((f) => `[${JSON.stringify(f.replace(/\.test\.ts$/, ''))}, () => require(${JSON.stringify(`./${f}`)})]`);
      return { contents: `export const testFiles = [\n${entries.join(',\n')}\n];\n`, resolveDir: suiteDir, loader: 'js',
        watchFiles: files.map((f) => path.join(suiteDir, f)), watchDirs: [suiteDir] };
    });
  },
};

export async function buildSuite() {
  await esbuild.build({
    entryPoints: [path.join(suiteDir, 'index.ts')], outfile: path.join(path.dirname(suiteBundle), 'suite.js'), bundle: true, platform: 'node',
    target: 'node20', format: 'cjs', sourcemap: 'inline', external: ['vscode'], logLevel: 'warning',
    plugins: [suiteFiles],
  });
  // Node applies source maps only to modules loaded after they are enabled: enable them, then load the suite, so
  // failures show test/vscode/suite/*.ts lines.
  writeFileSync(suiteBundle, "'use strict';\nprocess.setSourceMapsEnabled(true);\nmodule.exports = require('./suite.js');\n");
}

if (path.resolve(process.argv[1] ?? '') === import.meta.filename) await buildSuite();
