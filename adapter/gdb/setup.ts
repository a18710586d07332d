/**
 * One gdb set-up for every session, launched or attached: what gdb must know before it connects to QEMU's gdb
 * server (symbols, path mappings, read-only target, no caches that a seek would make stale).
 */
import type { Gdb } from './gdb';
import { fileExecAndSymbols } from './mi';

export interface GdbSetup {
  /** The ELF whose symbols gdb loads (the program), if any. */
  symbols?: string;
  /** Build path → local path, for sources (`sourceMap`). */
  sourceMap?: Record<string, string>;
  /** The user's working folder: sources gdb looks for relative to its own ($cwd) are looked for there too. */
  userCwd: string;
  /**
   * Recording or replaying: the debugger must not write to the guest (QEMU does not log such writes, so the replay
   * would stop matching). gdb enforces it for every path (expressions, calls, -exec), but only if set before it
   * connects. Breakpoints and watchpoints use QEMU's Z packets, not memory writes.
   */
  readOnly: boolean;
  /** gdb's index cache folder holding the symbols' index (see launcher.ts indexCache). */
  indexCache?: string;
}

/** Quotes one argument of a gdb CLI command (gdb splits them as a shell would, without expansion). */
export function cliQuote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;
}

/**
 * Loads the program's symbols, with the index in `indexCache` when there is one (launcher.ts symbolIndex). Before gdb
 * connects, or after (a first launch with a large program loads them after the first stop).
 */
export async function loadSymbols(gdb: Gdb, symbols: string, indexCache: string | undefined): Promise<void> {
  if (indexCache) {
    // gdb takes the rest of the line as the folder, quotes included: the caller checked it has no newline.
    await gdb.console(`set index-cache directory ${indexCache}`);
    await gdb.console('set index-cache enabled on').catch(() => gdb.console('set index-cache on')); // gdb < 13
  }
  await fileExecAndSymbols(gdb, symbols);
}

/** Configures a started gdb; the caller then connects it (targetSelectRemote). */
export async function configureGdb(gdb: Gdb, setup: GdbSetup): Promise<void> {
  if (setup.symbols) await loadSymbols(gdb, setup.symbols, setup.indexCache);
  for (const [from, to] of Object.entries(setup.sourceMap ?? {})) {
    // gdb rewrites the paths it reports and matches breakpoints against the rewritten ones.
    await gdb.console(`set substitute-path ${cliQuote(from)} ${cliQuote(to)}`);
  }
  if (setup.readOnly) {
    await gdb.console('set may-write-memory off');
    await gdb.console('set may-write-registers off');
  }
  await gdb.console('set stack-cache off'); // seeks change memory behind gdb's back
  await gdb.console('set code-cache off');
  // gdb works in a private folder (see Gdb.start): the user's folder is where relative source paths were meant.
  if (!/[:\r\n]/.test(setup.userCwd)) await gdb.console(`set directories $cdir:${setup.userCwd}`);
  await gdb.console('set tcp auto-retry off'); // a wrong address fails now, not after gdb's 15 s of retries
}
