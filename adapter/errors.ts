/**
 * Errors a user sees: a stable code, a message that says what was wrong and what to do. Anything else that
 * reaches the DAP layer is an internal error and is reported with its cause.
 */
export type UserErrorCode =
  | 'config' | 'qemu-missing' | 'gdb-missing' | 'qemu-img-missing' | 'program' | 'architecture' | 'recording-exists'
  | 'recording-missing' | 'recording-corrupt' | 'recording-version' | 'qemu-start' | 'gdb-start' | 'not-replaying'
  | 'running' | 'icount' | 'snapshot' | 'read-only' | 'qemu-exited' | 'gdb-exited' | 'unsupported' | 'evaluate'
  | 'history';

const CODES: Record<UserErrorCode, number> = {
  config: 2001, 'qemu-missing': 2002, 'gdb-missing': 2003, 'qemu-img-missing': 2004, program: 2005, architecture: 2006,
  'recording-exists': 2007, 'recording-missing': 2008, 'recording-corrupt': 2009, 'recording-version': 2010,
  'qemu-start': 2011, 'gdb-start': 2012, 'not-replaying': 2013, running: 2014, icount: 2015, snapshot: 2016,
  'read-only': 2017, 'qemu-exited': 2018, 'gdb-exited': 2019, unsupported: 2020, evaluate: 2021, history: 2022,
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

const err = (code: UserErrorCode, message: string, cause?: unknown): UserError =>
  new UserError(code, message, cause === undefined ? undefined : { cause });

/**
 * The catalog: one factory per error a user can see, named for the situation, with its code. The message texts are
 * public (error responses, the Debug Console, toasts) and tests assert them: change one only on purpose. Raise
 * errors from here, not with `new UserError(…)` at the site (test/unit/errors.test.ts checks the converted files).
 */
export const errors = {
  // Launch and attach configuration ('config')
  launchConfigNotObject: () => err('config', 'The launch configuration must be an object.'),
  attachConfigNotObject: () => err('config', 'The attach configuration must be an object.'),
  /** `message`: from the one check of launch and attach arguments (common/validateConfig.ts), the extension's words. */
  launchConfigInvalid: (message: string) => err('config', message),
  gdbServerInvalid: (text: string, example: string) =>
    err('config', `"gdbServer" must be host:port (for example ${example}, what QEMU's -gdb tcp::1234 or -s listens on), not ${JSON.stringify(text)}.`),
  portOutOfRange: (what: string, port: number) => err('config', `${what} has port ${port}; a port is 1 to 65535.`),

  // Tools and files a session needs
  /** `what` is "gdb", "QEMU" or "qemu-img"; gdb's absence has its own code. */
  executableMissing: (what: string, file: string, install: string) =>
    err(what === 'gdb' ? 'gdb-missing' : 'qemu-missing', `${what} was not found or is not executable ("${file}"). ${install}`),
  qemuImgMissing: (qemuImgPath: string) =>
    err('qemu-img-missing', `qemu-img was not found ("${qemuImgPath}"). Install it: apt-get install qemu-utils, or set "qemuImgPath".`),
  programMissing: (file: string, attr: string) =>
    err('program', `"${attr}" ${file} does not exist. Build the guest first or fix the path.`),
  programIsDirectory: (file: string, attr: string) =>
    err('program', `"${attr}" ${file} is a directory; it must be the guest's ELF file.`),
  attachProgramMissing: (program: string) =>
    err('program', `"program" ${program} does not exist. It is the guest's ELF, for symbols; omit it to debug by instruction.`),
  programNotElf: (file: string, why: string) =>
    err('program', `${file} is not an ELF file (${why}). "program" must be the guest's ELF with symbols (built with -g); for a kernel or firmware without symbols, leave "program" out and set "kernel" to the image (and "architecture" when it is a raw binary).`),

  // Architecture ('architecture'); `names` lists the known ones
  elfMachineUnsupported: (attr: string, file: string, machine: number | string, bits: number, names: string) =>
    err('architecture', `"${attr}" ${file} is for ELF machine ${machine} (${bits}-bit), which qemu-replay has no QEMU for. Known: ${names}.`),
  kernelArchitectureUnknown: (file: string, names: string) =>
    err('architecture', `"kernel" ${file} has neither an ELF header nor a Linux boot image header, so its architecture is unknown. Set "architecture" to one of: ${names}.`),
  architecturesContradict: (from: string, against: string, name: string, allows: readonly string[]) =>
    err('architecture', `${from} and ${against} contradict each other: ${name} is not ${allows.join(' or ')}. Fix "architecture", "program" or "kernel" so that they agree.`),
  architectureInvalid: (names: string, name: unknown) =>
    err('architecture', `"architecture" must be one of: ${names} (not ${JSON.stringify(name)}).`),

  // Recordings on disk
  recordingExists: (dir: string) =>
    err('recording-exists', `The recording "${dir}" already exists. Choose another "recording" directory, or set "overwrite": true to replace it (it is replaced only once the new recording is complete).`),
  recordingDirNotRecording: (dir: string, manifest: string) =>
    err('recording-exists', `"${dir}" exists and is not a recording (no ${manifest}); refusing to overwrite it. Choose another "recording" directory.`),
  recordingMissing: (dir: string) =>
    err('recording-missing', `The recording "${dir}" does not exist. Record it first with a configuration whose "mode" is "record" and the same "recording".`),
  recordingIsFile: (dir: string) => err('recording-missing', `"${dir}" is a file; "recording" must be a recording directory.`),
  recordingIncomplete: (dir: string, manifest: string) =>
    err('recording-corrupt', `"${dir}" has no ${manifest}: it is not a complete recording (an interrupted one, or another folder). Record it again.`),
  recordedLogUnreadable: (cause: unknown) =>
    err('recording-corrupt', `QEMU left an unreadable replay log (${(cause as Error).message}); the recording was discarded.`, cause),
  manifestNotJson: (file: string, cause: unknown) =>
    err('recording-corrupt', `${file} is not valid JSON (${(cause as Error).message}). Record again.`, cause),
  manifestNotOurs: (file: string) => err('recording-corrupt', `${file} is not a qemu-replay manifest. Record again.`),
  manifestTooNew: (file: string, format: number, understood: number) =>
    err('recording-version', `${file} has format ${format}, newer than this qemu-replay understands (${understood}). Update the extension.`),
  manifestFieldInvalid: (file: string, field: string) => err('recording-corrupt', `${file} has no valid "${field}". Record again.`),
  recordingFileMissing: (name: string) => err('recording-corrupt', `The recording is missing ${name}. Record again.`),
  replayLogChanged: (file: string, bytes: number, expected: number) =>
    err('recording-corrupt', `${file} changed since it was recorded (${bytes} bytes, expected ${expected}): it is truncated or corrupt. Record again.`),
  replayLogUnreadable: (file: string, why: string) => err('recording-corrupt', `${file} cannot be read: ${why}. Record again.`),
  /** `recorded`/`running`: "7.2.22"; `qemuPath`: the QEMU this replay was about to use. */
  qemuVersionMismatch: (recorded: string, recordedPath: string, running: string, qemuPath: string) =>
    err('recording-version', `This recording was made with QEMU ${recorded} (${recordedPath}), and the replay would use QEMU ${running} (${qemuPath}). `
      + 'A recording replays only on the QEMU version that made it (another version executes the guest differently, so the log no longer matches). '
      + `Set "qemuPath" to a QEMU ${recorded}, or record again with QEMU ${running}.`),
  snapshotsFromOtherRecording: (file: string, initial: string | undefined, expected: string) =>
    err('recording-corrupt', `${file} does not belong to this recording: its initial snapshot was taken at ${initial ?? '(none)'}, the recording's at ${expected}. It was replaced or copied from another recording. Put the original back, or record again.`),

  // Starting QEMU and gdb, connecting to them
  snapshotImageNotCreated: (detail: string) => err('qemu-start', `qemu-img could not create the snapshot image: ${detail}`),
  snapshotImageInUse: (recordingDir: string) =>
    err('qemu-start', `The recording's snapshot image is in use by another QEMU (is another replay or recording of "${recordingDir}" still running?). Stop that session, then start this one again.`),
  /** `stderr`: QEMU's; its last 8 lines are shown. */
  qemuStartFailed: (message: string, stderr: string) =>
    err('qemu-start', `QEMU failed to start: ${message}.${stderr.trim() ? `\n${stderr.trim().split('\n').slice(-8).join('\n')}` : ''}`),
  /** `tried`: each candidate folder and why it failed; `maxBase`: the longest base path that would fit. */
  noSocketDir: (tried: readonly string[], socketPathMax: number, maxBase: number) =>
    err('qemu-start',
      `Cannot create QEMU's QMP socket: a unix socket path can have at most ${socketPathMax} bytes, and no folder for it ` +
      `fits and can be written. Tried: ${tried.some((t) => t.startsWith('$XDG_RUNTIME_DIR')) ? '' : '$XDG_RUNTIME_DIR (not set); '}${tried.join('; ')}. ` +
      `Set TMPDIR (or XDG_RUNTIME_DIR, a folder of yours with mode 700) to a writable folder whose path has at most ${maxBase} bytes, ` +
      'in the environment VS Code (or qemu-replay-dap) is started with, then start the session again.'),
  /** `socketPath`: the unix socket's path when "qmp" names one. */
  qmpConnectFailed: (where: string, cause: unknown, socketPath: string | undefined) =>
    err('qemu-start', `Cannot connect to QEMU's QMP at ${where}: ${errorMessage(cause).replace(/\.+$/, '')}. Start QEMU with -qmp unix:${socketPath ?? 'PATH'},server=on,wait=off (or tcp:HOST:PORT,server=on,wait=off) and check "qmp".`),
  launchGdbNotStarted: (gdbPath: string, why: string) =>
    err('gdb-start', `gdb could not be started ("${gdbPath}"): ${why}. Install gdb-multiarch or fix "gdbPath".`),
  attachGdbNotStarted: (gdbPath: string, cause: unknown) =>
    err('gdb-start', `gdb could not be started ("${gdbPath}"): ${errorMessage(cause)}. Install gdb-multiarch or set "gdbPath".`),
  gdbNotConnected: (why: string) => err('gdb-start', `gdb could not connect to QEMU's gdb server: ${why}`),
  gdbServerNotConnected: (host: string, port: number, why: string) =>
    err('gdb-start', `gdb could not connect to QEMU's gdb server at ${host}:${port}: ${why.replace(/\.+$/, '')}. Start QEMU with -gdb tcp::${port} (or -s for 1234) and check "gdbServer".`),

  // Snapshots ('snapshot')
  snapshotNameEmpty: () => err('snapshot', 'A snapshot name must be a non-empty string.'),
  snapshotNameInvalid: (name: string) =>
    err('snapshot', `"${name}" is not a valid snapshot name: use up to 64 letters, digits, "_", "." or "-", starting with a letter or "_".`),
  snapshotNameReserved: (prefix: string) => err('snapshot', `Names starting with "${prefix}" are reserved for automatic snapshots.`),
  snapshotNameTaken: (name: string) =>
    err('snapshot', `A snapshot named "${name}" already exists (QEMU would silently replace it). Choose another name or delete it first.`),
  snapshotNotSaved: (name: string, out: string) => err('snapshot', `QEMU could not save snapshot "${name}": ${out}`),
  snapshotNotDeleted: (name: string, out: string) => err('snapshot', `QEMU could not delete snapshot "${name}": ${out}`),

  // The Debug Console: -exec, hmp, qmp
  execUsage: () => err('evaluate', 'Usage: -exec <gdb command>, for example -exec info registers pc'),
  execWhileRunning: () => err('running', 'gdb commands need a stopped guest. Pause it first.'),
  execDrivesGuest: (verb: string) =>
    err('unsupported', `"-exec ${verb}" would run or move the guest behind the debugger's back; use the debugger's own controls (Continue, Step, Step Back, Go to Instruction Count).`),
  /** `write`: what the command does, from writesToGuest. */
  execWritesReadOnly: (command: string, write: string) =>
    err('read-only', `"-exec ${command}" ${write}: the session is read-only (a replay must stay the recording; a recording does not log debugger writes).`),
  execFailed: (cause: unknown) => err('evaluate', `gdb: ${errorMessage(cause)}`),
  noQmp: () => err('unsupported', 'This session has no QMP connection.'),
  hmpUsage: () => err('evaluate', 'Usage: hmp <monitor command>, for example hmp info snapshots'),
  hmpDrivesGuest: (verb: string) =>
    err('unsupported', `"${verb}" moves or stops the guest behind the debugger's back; use the debugger's own commands (Go to Instruction Count, snapshots, pause/continue).`),
  hmpRejected: (command: string, out: string) => err('evaluate', `QEMU's monitor rejected "${command}": ${out}`),
  qmpUnparsable: (cause: unknown) =>
    err('evaluate', `Usage: qmp <command> [JSON arguments], or qmp {"execute": ..., "arguments": {...}} (${errorMessage(cause)})`),
  qmpUsage: () => err('evaluate', 'Usage: qmp <command> [JSON arguments], for example qmp query-replay'),
  qmpDrivesGuest: (command: string) =>
    err('unsupported', `"${command}" moves or stops the guest behind the debugger's back; use the debugger's own commands (seek, icount breakpoints, pause/continue).`),
  qmpRejected: (command: string, desc: string, errorClass: string) => err('evaluate', `QEMU rejected ${command}: ${desc} (${errorClass})`),

  // Inspecting the guest
  /** `write`: what the expression does, from writesToGuest. */
  expressionWritesReadOnly: (expression: string, write: string) =>
    err('read-only', `"${expression}" ${write}, and this session is read-only: a replay must stay what was recorded, and a recording does not log debugger writes.`),
  notMemoryAddress: (reference: string) =>
    err('evaluate', `"${reference}" is not a memory address: use a number such as 0x40080000, or open memory from a variable.`),
  cannotEvaluate: (expression: string, cause: unknown) => err('evaluate', `Cannot evaluate "${expression}": ${errorMessage(cause)}`),
  /** A write refused: `what` is the request's verb ("change variables", "write memory"). */
  writeRefused: (what: string, recording: boolean) => err('read-only', recording
    ? `Cannot ${what} while recording: QEMU does not log debugger writes, so the replay would no longer match the recording.`
    : `Cannot ${what} in a replay: the replay is read-only, and a write would desynchronise it from the recording. Use "Go to Instruction Count" or step to change where you are in time.`),

  // Instruction counts ('icount'); `what` names the value ("An icount breakpoint", "seek's icount")
  icountNotNumber: (what: string, value: unknown) => err('icount', `${what} must be a number, not ${JSON.stringify(value)}.`),
  icountNotWhole: (what: string, value: number) => err('icount', `${what} must be a whole number of instructions, not ${value}.`),
  icountNegative: (what: string, value: number) => err('icount', `${what} ${value} is negative; instruction counts start at 0.`),
  icountPastEnd: (what: string, value: number, end: number) =>
    err('icount', `${what} ${value} is beyond the end of the recording (${end}). Use a value from 0 to ${end}.`),
  icountsNotArray: () => err('icount', '"icounts" must be an array of instruction counts.'),
  seekTargetNotOne: () => err('icount', 'seek needs exactly one of "icount", "to" ("start" or "end") or "snapshot".'),
  seekToInvalid: (to: unknown) => err('icount', `seek "to" must be "start" or "end", not ${JSON.stringify(to)}.`),

  // Time travel needs a replay ('not-replaying')
  needsReplay: (what: string, recording: boolean) =>
    err('not-replaying', `${what} needs a replay session: the guest is ${recording ? 'being recorded' : 'not replaying'}. Replay the recording (launch with "mode": "replay") to travel in time.`),
  /** `what`: the operation ("Reverse continue"); `why`: the quirk's summary; `instead`: what works. */
  qemuCannot: (what: string, version: string, why: string, instead: string) =>
    err('unsupported', `${what} is not available with QEMU ${version}: ${why}. ${instead}`),
  icountBreakpointsNeedReplay: () =>
    err('not-replaying', 'icount breakpoints work only while replaying: QEMU says "setting the breakpoint is allowed only in play mode". Replay the recording to use them.'),

  // The whole recording: hit history, last write, compare ('history')
  breakpointIdInvalid: (id: unknown) =>
    err('history', `"breakpointId" must be the id of a breakpoint as a set*Breakpoints response gave it, not ${JSON.stringify(id)}.`),
  breakpointUnknown: (id: number) =>
    err('history', `No breakpoint has id ${id} in this session: set it first (its id is in the setBreakpoints response), or pick another.`),
  historyOfIcountBreakpoint: (icount: number) =>
    err('history', `An icount breakpoint is hit exactly once, at icount ${icount}: seek there instead.`),
  lastWriteExpressionMissing: () =>
    err('history', '"expression" must name what to look for a write to: a variable, a field, an element, or *(type *) address.'),
  lastWriteDirectionInvalid: (direction: unknown) =>
    err('history', `"direction" must be "backward" (the last write before the position) or "forward" (the next one), not ${JSON.stringify(direction)}.`),
  lastWriteRegister: (expression: string) =>
    err('history', `${expression} is not memory: a register is named alone ($x0), without an expression around it.`),
  lastWriteRegisterFrame: (expression: string) =>
    err('history', `${expression} of an outer frame is saved on the stack, not in the CPU: look for its change from the innermost frame (frame 0).`),
  lastWriteRegisterUnknown: (expression: string, some: readonly string[]) =>
    err('history', `${expression} is not one of the CPU's registers (${some.join(', ')}, …).`),
  lastWriteNotMemory: (expression: string, why: string) =>
    err('history', `${expression} has no memory to watch: ${why.replace(/\.$/, '')}. Use a variable, a field, an array element or *(type *) address.`),
  compareMemoryInvalid: (value: unknown) =>
    err('history', `"memory" must be { "address": "0x…", "length": N }, not ${JSON.stringify(value)}.`),
  compareMemoryLength: (length: unknown, max: number) =>
    err('history', `"memory.length" must be a whole number of bytes from 1 to ${max}, not ${JSON.stringify(length)}.`),

  // Snapshots in a session ('snapshot')
  snapshotUnknown: (name: unknown, known: readonly string[]) => err('snapshot', `No snapshot named ${JSON.stringify(name)}. Known: ${known.join(', ')}.`),
  snapshotNotKept: (name: string) => err('snapshot', `QEMU did not keep snapshot "${name}".`),
  initialSnapshotUndeletable: (name: string) =>
    err('snapshot', `The initial snapshot "${name}" cannot be deleted: reverse execution and seeks start from it.`),
  recordSnapshotFailed: (out: string) => err('snapshot', `QEMU could not save a snapshot while recording: ${out}`),

  // The session's state
  seekTimedOut: (icount: number) => err('qemu-exited', `QEMU did not reach icount ${icount} in time.`),
  gdbExitedWhileRunning: () => err('gdb-exited', 'gdb exited while the guest was running.'),
  guestRunning: (what: string) => err('running', `Cannot ${what} while the guest is running. Pause it first.`),
  notLaunched: () => err('config', 'The session has not been launched yet.'),
  /** A request that met the end of the session: `code` and `text` say why it ends (QEMU or gdb went away). */
  sessionEnding: (code: UserErrorCode, text: string, cause: unknown) => err(code, `The session is ending: ${text}`, cause),
  /** A request that met the processes of a session ending normally (a recorded guest finished, Stop). */
  sessionEnded: (gdbGone: boolean, cause: unknown) => err(gdbGone ? 'gdb-exited' : 'qemu-exited', 'The session has ended.', cause),
} satisfies Record<string, (...args: never[]) => UserError>;

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
