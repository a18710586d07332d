// One esbuild build for every runtime: the extension (Node, `vscode` external), the debug adapter and the QAPI
// language server (plain Node programs), and the webview script (browser).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

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

// The adapter's TCG plugin (adapter/qemu/plugin/hits.c): hit history without a gdb stop per hit. One build per plugin
// API QEMU accepts: 1 (QEMU 7.2-8.1) and 2 (8.2 on; 10.0 takes 2-4). Without a C compiler the adapter uses gdb.
const plugin = 'adapter/qemu/plugin/hits.c';
if (existsSync(plugin)) {
  mkdirSync('dist/qemu-plugin', { recursive: true });
  for (const api of [1, 2]) {
    const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-fvisibility=hidden',
      `-DQR_PLUGIN_API=${api}`, '-o', `dist/qemu-plugin/hits-api${api}.so`, plugin, '-ldl'], { stdio: 'inherit' });
    if (r.error || r.status !== 0) {
      console.warn(`build: the hit-history plugin was not built (${r.error?.message ?? `cc exit ${r.status}`}): hit history will use gdb`);
      break;
    }
  }
}
