/**
 * Errors a user sees: a stable code, a message that says what was wrong and what to do. Anything else that
 * reaches the DAP layer is an internal error and is reported with its cause.
 */
export type UserErrorCode =
  | 'config' | 'qemu-missing' | 'gdb-missing' | 'qemu-img-missing' | 'program' | 'architecture' | 'recording-exists'
  | 'recording-missing' | 'recording-corrupt' | 'recording-version' | 'qemu-start' | 'gdb-start' | 'not-replaying'
  | 'running' | 'icount' | 'snapshot' | 'read-only' | 'qemu-exited' | 'gdb-exited' | 'unsupported' | 'evaluate';

const CODES: Record<UserErrorCode, number> = {
  config: 2001, 'qemu-missing': 2002, 'gdb-missing': 2003, 'qemu-img-missing': 2004, program: 2005, architecture: 2006,
  'recording-exists': 2007, 'recording-missing': 2008, 'recording-corrupt': 2009, 'recording-version': 2010,
  'qemu-start': 2011, 'gdb-start': 2012, 'not-replaying': 2013, running: 2014, icount: 2015, snapshot: 2016,
  'read-only': 2017, 'qemu-exited': 2018, 'gdb-exited': 2019, unsupported: 2020, evaluate: 2021,
};

export class UserError extends Error {
  constructor(readonly code: UserErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
  get id(): number {
    return CODES[this.code];
  }
}

/**
 * Requests whose failure VS Code or the extension shows where the user looked, as text: the Debug Console prints an
 * `evaluate`'s error as a line, the views show theirs in place, the extension reports its custom requests' own way.
 * A `showUser` error response to any request makes VS Code also pop an error toast: these never ask for one.
 */
const SHOWN_IN_PLACE = new Set([
  'evaluate', 'completions', 'threads', 'stackTrace', 'scopes', 'variables', 'source', 'loadedSources',
  'dataBreakpointInfo', 'readMemory', 'disassemble', 'exceptionInfo',
  'replayInfo', 'setIcountBreakpoints', 'seek', 'listSnapshots', 'saveSnapshot', 'deleteSnapshot', 'reverseStepIn', 'reverseStepOut',
]);

/**
 * Whether an error response to `command` asks VS Code to show it to the user (a toast). Not when it is shown in
 * place anyway, not for a refusal (`read-only`: a console line says it, see the session), and not once the session
 * is ending (the end is said once, in the Debug Console).
 */
export function showUserFor(command: string, err: unknown, ending: boolean): boolean {
  if (ending || SHOWN_IN_PLACE.has(command)) return false;
  return !(err instanceof UserError && err.code === 'read-only');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
