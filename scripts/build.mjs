// One esbuild build for every runtime: the extension (Node, `vscode` external), the debug adapter and the QAPI
// language server (plain Node programs), and the webview script (browser).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, minify: production,
  logLevel: 'warning', sourcesContent: false,
};
const builds = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['adapter/main.ts'], outfile: 'dist/adapter.js', banner: { js: '#!/usr/bin/env node' } },
];
if (existsSync('server/qapi/main.ts')) {
  builds.push({ ...node, entryPoints: ['server/qapi/main.ts'], outfile: 'dist/qapiServer.js' });
}
if (existsSync('media/timeline.ts')) {
  builds.push({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: ['media/timeline.ts'],
    outfile: 'dist/media/timeline.js', sourcemap: !production, minify: production, logLevel: 'warning' });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
