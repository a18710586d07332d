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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
