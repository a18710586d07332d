// Generated at build time by test/vscode/build.mjs: every *.test.ts of this folder, as [file name, loader].
declare module 'qemu-replay:suite-files' {
  export const testFiles: readonly (readonly [string, () => unknown])[];
}
