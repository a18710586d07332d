/**
 * The error catalog (issue #17 item 4): every error a user can see comes from one factory in adapter/errors.ts, with
 * the code and the message it had when it was raised inline. The codes are public (error responses carry their id)
 * and the texts are asserted by adapter and VS Code tests, so this table pins both: a changed text must be a
 * deliberate change here too. The files already converted must not raise `new UserError(…)` again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { errors, UserError, type UserErrorCode } from '../../adapter/errors';

const root = path.resolve(__dirname, '..', '..');

type Factory = keyof typeof errors;
interface Row { args: unknown[]; code: UserErrorCode; id: number; message: string }

const cause = new Error('Unexpected token } in JSON at position 3');

/** Each factory with sample arguments, and exactly the code, id and text the inline error had. */
const TABLE: Record<Factory, Row> = {
  launchConfigNotObject: { args: [], code: 'config', id: 2001, message: 'The launch configuration must be an object.' },
  attachConfigNotObject: { args: [], code: 'config', id: 2001, message: 'The attach configuration must be an object.' },
  launchConfigInvalid: { args: ['"stopOnEntry" is "yes": it must be a boolean.'], code: 'config', id: 2001, message: '"stopOnEntry" is "yes": it must be a boolean.' },
  gdbServerInvalid: { args: ['nowhere', 'localhost:1234'], code: 'config', id: 2001, message: '"gdbServer" must be host:port (for example localhost:1234, what QEMU\'s -gdb tcp::1234 or -s listens on), not "nowhere".' },
  portOutOfRange: { args: ['"gdbServer"', 70000], code: 'config', id: 2001, message: '"gdbServer" has port 70000; a port is 1 to 65535.' },

  executableMissing: { args: ['QEMU', 'qemu-system-aarch64', 'Install it: apt-get install qemu-system-arm, or set "qemuPath".'], code: 'qemu-missing', id: 2002, message: 'QEMU was not found or is not executable ("qemu-system-aarch64"). Install it: apt-get install qemu-system-arm, or set "qemuPath".' },
  qemuImgMissing: { args: ['/opt/qemu-img'], code: 'qemu-img-missing', id: 2004, message: 'qemu-img was not found ("/opt/qemu-img"). Install it: apt-get install qemu-utils, or set "qemuImgPath".' },
  programMissing: { args: ['/g/hello.elf', 'program'], code: 'program', id: 2005, message: '"program" /g/hello.elf does not exist. Build the guest first or fix the path.' },
  programIsDirectory: { args: ['/g', 'kernel'], code: 'program', id: 2005, message: '"kernel" /g is a directory; it must be the guest\'s ELF file.' },
  attachProgramMissing: { args: ['/g/hello.elf'], code: 'program', id: 2005, message: '"program" /g/hello.elf does not exist. It is the guest\'s ELF, for symbols; omit it to debug by instruction.' },
  programNotElf: { args: ['/notes.txt', 'no ELF magic number'], code: 'program', id: 2005, message: '/notes.txt is not an ELF file (no ELF magic number). "program" must be the guest\'s ELF with symbols (built with -g); for a kernel or firmware without symbols, leave "program" out and set "kernel" to the image (and "architecture" when it is a raw binary).' },

  elfMachineUnsupported: { args: ['program', '/p.elf', 8, 32, 'aarch64, arm'], code: 'architecture', id: 2006, message: '"program" /p.elf is for ELF machine 8 (32-bit), which qemu-replay has no QEMU for. Known: aarch64, arm.' },
  kernelArchitectureUnknown: { args: ['/fw/prog.bin', 'aarch64, arm'], code: 'architecture', id: 2006, message: '"kernel" /fw/prog.bin has neither an ELF header nor a Linux boot image header, so its architecture is unknown. Set "architecture" to one of: aarch64, arm.' },
  architecturesContradict: { args: ['"architecture" "x86_64"', '"program" /p.elf (ELF for aarch64)', 'x86_64', ['riscv64', 'riscv32']], code: 'architecture', id: 2006, message: '"architecture" "x86_64" and "program" /p.elf (ELF for aarch64) contradict each other: x86_64 is not riscv64 or riscv32. Fix "architecture", "program" or "kernel" so that they agree.' },
  architectureInvalid: { args: ['aarch64, arm', 'mips'], code: 'architecture', id: 2006, message: '"architecture" must be one of: aarch64, arm (not "mips").' },

  recordingExists: { args: ['/r/run1'], code: 'recording-exists', id: 2007, message: 'The recording "/r/run1" already exists. Choose another "recording" directory, or set "overwrite": true to replace it (it is replaced only once the new recording is complete).' },
  recordingDirNotRecording: { args: ['/r/src', 'manifest.json'], code: 'recording-exists', id: 2007, message: '"/r/src" exists and is not a recording (no manifest.json); refusing to overwrite it. Choose another "recording" directory.' },
  recordingMissing: { args: ['/r/run1'], code: 'recording-missing', id: 2008, message: 'The recording "/r/run1" does not exist. Record it first with a configuration whose "mode" is "record" and the same "recording".' },
  recordingIsFile: { args: ['/r/run1'], code: 'recording-missing', id: 2008, message: '"/r/run1" is a file; "recording" must be a recording directory.' },
  recordingIncomplete: { args: ['/r/run1', 'manifest.json'], code: 'recording-corrupt', id: 2009, message: '"/r/run1" has no manifest.json: it is not a complete recording (an interrupted one, or another folder). Record it again.' },
  recordedLogUnreadable: { args: [cause], code: 'recording-corrupt', id: 2009, message: 'QEMU left an unreadable replay log (Unexpected token } in JSON at position 3); the recording was discarded.' },
  manifestNotJson: { args: ['/r/run1/manifest.json', cause], code: 'recording-corrupt', id: 2009, message: '/r/run1/manifest.json is not valid JSON (Unexpected token } in JSON at position 3). Record again.' },
  manifestNotOurs: { args: ['/r/run1/manifest.json'], code: 'recording-corrupt', id: 2009, message: '/r/run1/manifest.json is not a qemu-replay manifest. Record again.' },
  manifestTooNew: { args: ['/r/run1/manifest.json', 9, 3], code: 'recording-version', id: 2010, message: '/r/run1/manifest.json has format 9, newer than this qemu-replay understands (3). Update the extension.' },
  manifestFieldInvalid: { args: ['/r/run1/manifest.json', 'endIcount'], code: 'recording-corrupt', id: 2009, message: '/r/run1/manifest.json has no valid "endIcount". Record again.' },
  recordingFileMissing: { args: ['replay.bin'], code: 'recording-corrupt', id: 2009, message: 'The recording is missing replay.bin. Record again.' },
  replayLogChanged: { args: ['/r/run1/replay.bin', 10, 20], code: 'recording-corrupt', id: 2009, message: '/r/run1/replay.bin changed since it was recorded (10 bytes, expected 20): it is truncated or corrupt. Record again.' },
  replayLogUnreadable: { args: ['/r/run1/replay.bin', 'bad event 0x7f at byte 12'], code: 'recording-corrupt', id: 2009, message: '/r/run1/replay.bin cannot be read: bad event 0x7f at byte 12. Record again.' },
  qemuVersionMismatch: { args: ['10.0.2', '/opt/q10/qemu-system-aarch64', '7.2.22', 'qemu-system-aarch64'], code: 'recording-version', id: 2010, message: 'This recording was made with QEMU 10.0.2 (/opt/q10/qemu-system-aarch64), and the replay would use QEMU 7.2.22 (qemu-system-aarch64). A recording replays only on the QEMU version that made it (another version executes the guest differently, so the log no longer matches). Set "qemuPath" to a QEMU 10.0.2, or record again with QEMU 7.2.22.' },
  snapshotsFromOtherRecording: { args: ['/r/run1/snapshots.qcow2', undefined, '2024-01-01 10:00:00'], code: 'recording-corrupt', id: 2009, message: '/r/run1/snapshots.qcow2 does not belong to this recording: its initial snapshot was taken at (none), the recording\'s at 2024-01-01 10:00:00. It was replaced or copied from another recording. Put the original back, or record again.' },

  snapshotImageNotCreated: { args: ['disk full'], code: 'qemu-start', id: 2011, message: 'qemu-img could not create the snapshot image: disk full' },
  snapshotImageInUse: { args: ['/r/run1'], code: 'qemu-start', id: 2011, message: 'The recording\'s snapshot image is in use by another QEMU (is another replay or recording of "/r/run1" still running?). Stop that session, then start this one again.' },
  qemuStartFailed: { args: ['QEMU exited with code 1', 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n'], code: 'qemu-start', id: 2011, message: 'QEMU failed to start: QEMU exited with code 1.\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9' },
  noSocketDir: { args: [['$TMPDIR "/t/long" would give a 120-byte socket path'], 107, 60], code: 'qemu-start', id: 2011, message: 'Cannot create QEMU\'s QMP socket: a unix socket path can have at most 107 bytes, and no folder for it fits and can be written. Tried: $XDG_RUNTIME_DIR (not set); $TMPDIR "/t/long" would give a 120-byte socket path. Set TMPDIR (or XDG_RUNTIME_DIR, a folder of yours with mode 700) to a writable folder whose path has at most 60 bytes, in the environment VS Code (or qemu-replay-dap) is started with, then start the session again.' },
  qmpConnectFailed: { args: ['/run/q.sock', new Error('connect ENOENT /run/q.sock...'), '/run/q.sock'], code: 'qemu-start', id: 2011, message: 'Cannot connect to QEMU\'s QMP at /run/q.sock: connect ENOENT /run/q.sock. Start QEMU with -qmp unix:/run/q.sock,server=on,wait=off (or tcp:HOST:PORT,server=on,wait=off) and check "qmp".' },
  launchGdbNotStarted: { args: ['/bin/gdb', 'spawn EACCES'], code: 'gdb-start', id: 2012, message: 'gdb could not be started ("/bin/gdb"): spawn EACCES. Install gdb-multiarch or fix "gdbPath".' },
  attachGdbNotStarted: { args: ['gdb-multiarch', new Error('spawn gdb-multiarch ENOENT')], code: 'gdb-start', id: 2012, message: 'gdb could not be started ("gdb-multiarch"): spawn gdb-multiarch ENOENT. Install gdb-multiarch or set "gdbPath".' },
  gdbNotConnected: { args: ['Connection timed out.'], code: 'gdb-start', id: 2012, message: 'gdb could not connect to QEMU\'s gdb server: Connection timed out.' },
  gdbServerNotConnected: { args: ['localhost', 1234, 'localhost:1234: Connection refused.'], code: 'gdb-start', id: 2012, message: 'gdb could not connect to QEMU\'s gdb server at localhost:1234: localhost:1234: Connection refused. Start QEMU with -gdb tcp::1234 (or -s for 1234) and check "gdbServer".' },

  snapshotNameEmpty: { args: [], code: 'snapshot', id: 2016, message: 'A snapshot name must be a non-empty string.' },
  snapshotNameInvalid: { args: ['1 bad'], code: 'snapshot', id: 2016, message: '"1 bad" is not a valid snapshot name: use up to 64 letters, digits, "_", "." or "-", starting with a letter or "_".' },
  snapshotNameReserved: { args: ['auto-'], code: 'snapshot', id: 2016, message: 'Names starting with "auto-" are reserved for automatic snapshots.' },
  snapshotNameTaken: { args: ['before-bug'], code: 'snapshot', id: 2016, message: 'A snapshot named "before-bug" already exists (QEMU would silently replace it). Choose another name or delete it first.' },
  snapshotNotSaved: { args: ['s1', 'Error: no block device'], code: 'snapshot', id: 2016, message: 'QEMU could not save snapshot "s1": Error: no block device' },
  snapshotNotDeleted: { args: ['s1', 'Error: not found'], code: 'snapshot', id: 2016, message: 'QEMU could not delete snapshot "s1": Error: not found' },

  execUsage: { args: [], code: 'evaluate', id: 2021, message: 'Usage: -exec <gdb command>, for example -exec info registers pc' },
  execWhileRunning: { args: [], code: 'running', id: 2014, message: 'gdb commands need a stopped guest. Pause it first.' },
  execDrivesGuest: { args: ['continue'], code: 'unsupported', id: 2020, message: '"-exec continue" would run or move the guest behind the debugger\'s back; use the debugger\'s own controls (Continue, Step, Step Back, Go to Instruction Count).' },
  execWritesReadOnly: { args: ['set var x = 1', 'writes to the guest'], code: 'read-only', id: 2017, message: '"-exec set var x = 1" writes to the guest: the session is read-only (a replay must stay the recording; a recording does not log debugger writes).' },
  execFailed: { args: [new Error('No symbol "nope" in current context.')], code: 'evaluate', id: 2021, message: 'gdb: No symbol "nope" in current context.' },
  noQmp: { args: [], code: 'unsupported', id: 2020, message: 'This session has no QMP connection.' },
  hmpUsage: { args: [], code: 'evaluate', id: 2021, message: 'Usage: hmp <monitor command>, for example hmp info snapshots' },
  hmpDrivesGuest: { args: ['stop'], code: 'unsupported', id: 2020, message: '"stop" moves or stops the guest behind the debugger\'s back; use the debugger\'s own commands (Go to Instruction Count, snapshots, pause/continue).' },
  hmpRejected: { args: ['info nope', 'unknown command: \'info nope\''], code: 'evaluate', id: 2021, message: 'QEMU\'s monitor rejected "info nope": unknown command: \'info nope\'' },
  qmpUnparsable: { args: [new Error('"execute" is missing')], code: 'evaluate', id: 2021, message: 'Usage: qmp <command> [JSON arguments], or qmp {"execute": ..., "arguments": {...}} ("execute" is missing)' },
  qmpUsage: { args: [], code: 'evaluate', id: 2021, message: 'Usage: qmp <command> [JSON arguments], for example qmp query-replay' },
  qmpDrivesGuest: { args: ['cont'], code: 'unsupported', id: 2020, message: '"cont" moves or stops the guest behind the debugger\'s back; use the debugger\'s own commands (seek, icount breakpoints, pause/continue).' },
  qmpRejected: { args: ['query-nope', 'The command query-nope has not been found', 'CommandNotFound'], code: 'evaluate', id: 2021, message: 'QEMU rejected query-nope: The command query-nope has not been found (CommandNotFound)' },

  expressionWritesReadOnly: { args: ['x = 1', 'assigns to the guest\'s memory or registers'], code: 'read-only', id: 2017, message: '"x = 1" assigns to the guest\'s memory or registers, and this session is read-only: a replay must stay what was recorded, and a recording does not log debugger writes.' },
  notMemoryAddress: { args: ['main+4'], code: 'evaluate', id: 2021, message: '"main+4" is not a memory address: use a number such as 0x40080000, or open memory from a variable.' },
  cannotEvaluate: { args: ['x +', cause], code: 'evaluate', id: 2021, message: 'Cannot evaluate "x +": Unexpected token } in JSON at position 3' },
  writeRefused: { args: ['write memory', false], code: 'read-only', id: 2017, message: 'Cannot write memory in a replay: the replay is read-only, and a write would desynchronise it from the recording. Use "Go to Instruction Count" or step to change where you are in time.' },
  icountNotNumber: { args: ['An icount breakpoint', '12'], code: 'icount', id: 2015, message: 'An icount breakpoint must be a number, not "12".' },
  icountNotWhole: { args: ['An icount breakpoint', 1.5], code: 'icount', id: 2015, message: 'An icount breakpoint must be a whole number of instructions, not 1.5.' },
  icountNegative: { args: ['An icount breakpoint', -3], code: 'icount', id: 2015, message: 'An icount breakpoint -3 is negative; instruction counts start at 0.' },
  icountPastEnd: { args: ['seek\'s icount', 20000, 16340], code: 'icount', id: 2015, message: 'seek\'s icount 20000 is beyond the end of the recording (16340). Use a value from 0 to 16340.' },
  icountsNotArray: { args: [], code: 'icount', id: 2015, message: '"icounts" must be an array of instruction counts.' },
  seekTargetNotOne: { args: [], code: 'icount', id: 2015, message: 'seek needs exactly one of "icount", "to" ("start" or "end") or "snapshot".' },
  seekToInvalid: { args: ['middle'], code: 'icount', id: 2015, message: 'seek "to" must be "start" or "end", not "middle".' },
  needsReplay: { args: ['Reverse continue', true], code: 'not-replaying', id: 2013, message: 'Reverse continue needs a replay session: the guest is being recorded. Replay the recording (launch with "mode": "replay") to travel in time.' },
  qemuCannot: { args: ['Reverse continue', '7.2.22', 'it deadlocks QEMU on x86_64 guests', 'Step back instead.'], code: 'unsupported', id: 2020, message: 'Reverse continue is not available with QEMU 7.2.22: it deadlocks QEMU on x86_64 guests. Step back instead.' },
  icountBreakpointsNeedReplay: { args: [], code: 'not-replaying', id: 2013, message: 'icount breakpoints work only while replaying: QEMU says "setting the breakpoint is allowed only in play mode". Replay the recording to use them.' },
  breakpointIdInvalid: { args: ['x'], code: 'history', id: 2022, message: '"breakpointId" must be the id of a breakpoint as a set*Breakpoints response gave it, not "x".' },
  breakpointUnknown: { args: [99], code: 'history', id: 2022, message: 'No breakpoint has id 99 in this session: set it first (its id is in the setBreakpoints response), or pick another.' },
  historyOfIcountBreakpoint: { args: [5000], code: 'history', id: 2022, message: 'An icount breakpoint is hit exactly once, at icount 5000: seek there instead.' },
  lastWriteExpressionMissing: { args: [], code: 'history', id: 2022, message: '"expression" must name what to look for a write to: a variable, a field, an element, or *(type *) address.' },
  lastWriteDirectionInvalid: { args: ['up'], code: 'history', id: 2022, message: '"direction" must be "backward" (the last write before the position) or "forward" (the next one), not "up".' },
  lastWriteRegister: { args: ['$x0 + 4'], code: 'history', id: 2022, message: '$x0 + 4 is not memory: a register is named alone ($x0), without an expression around it.' },
  lastWriteRegisterFrame: { args: ['$x19'], code: 'history', id: 2022, message: '$x19 of an outer frame is saved on the stack, not in the CPU: look for its change from the innermost frame (frame 0).' },
  lastWriteRegisterUnknown: { args: ['$foo', ['x0', 'x1']], code: 'history', id: 2022, message: '$foo is not one of the CPU\'s registers (x0, x1, …).' },
  lastWriteNotMemory: { args: ['1+2', 'Attempt to take address of value not located in memory.'], code: 'history', id: 2022, message: '1+2 has no memory to watch: Attempt to take address of value not located in memory. Use a variable, a field, an array element or *(type *) address.' },
  compareMemoryInvalid: { args: [5], code: 'history', id: 2022, message: '"memory" must be { "address": "0x…", "length": N }, not 5.' },
  compareMemoryLength: { args: [0, 65536], code: 'history', id: 2022, message: '"memory.length" must be a whole number of bytes from 1 to 65536, not 0.' },
  snapshotUnknown: { args: ['nope', ['init', 'here']], code: 'snapshot', id: 2016, message: 'No snapshot named "nope". Known: init, here.' },
  snapshotNotKept: { args: ['here'], code: 'snapshot', id: 2016, message: 'QEMU did not keep snapshot "here".' },
  initialSnapshotUndeletable: { args: ['init'], code: 'snapshot', id: 2016, message: 'The initial snapshot "init" cannot be deleted: reverse execution and seeks start from it.' },
  recordSnapshotFailed: { args: ['Error: no space'], code: 'snapshot', id: 2016, message: 'QEMU could not save a snapshot while recording: Error: no space' },
  seekTimedOut: { args: [5000], code: 'qemu-exited', id: 2018, message: 'QEMU did not reach icount 5000 in time.' },
  gdbExitedWhileRunning: { args: [], code: 'gdb-exited', id: 2019, message: 'gdb exited while the guest was running.' },
  guestRunning: { args: ['read the stack'], code: 'running', id: 2014, message: 'Cannot read the stack while the guest is running. Pause it first.' },
  notLaunched: { args: [], code: 'config', id: 2001, message: 'The session has not been launched yet.' },
  sessionEnding: { args: ['qemu-exited', 'QEMU exited (signal SIGKILL)', cause], code: 'qemu-exited', id: 2018, message: 'The session is ending: QEMU exited (signal SIGKILL)' },
  sessionEnded: { args: [true, cause], code: 'gdb-exited', id: 2019, message: 'The session has ended.' },
};

describe('error catalog', () => {
  for (const [name, row] of Object.entries(TABLE) as Array<[Factory, Row]>) {
    test(`${name}: ${row.code} (${row.id})`, () => {
      const err = (errors[name] as (...args: unknown[]) => UserError)(...row.args);
      assert.ok(err instanceof UserError);
      assert.equal(err.code, row.code);
      assert.equal(err.id, row.id);
      assert.equal(err.message, row.message);
    });
  }

  test('every factory is in the table', () => {
    assert.deepEqual(Object.keys(errors).sort(), Object.keys(TABLE).sort());
  });

  test('the variants of a factory keep their own texts and codes', () => {
    const gdb = errors.executableMissing('gdb', 'gdb-multiarch', 'Install it: apt-get install gdb-multiarch, or set "gdbPath".');
    assert.equal(gdb.code, 'gdb-missing');
    assert.equal(gdb.message, 'gdb was not found or is not executable ("gdb-multiarch"). Install it: apt-get install gdb-multiarch, or set "gdbPath".');
    assert.equal(errors.executableMissing('qemu-img', 'qemu-img', 'x').code, 'qemu-missing');
    assert.equal(errors.qemuStartFailed('QEMU exited with code 1', ' \n').message, 'QEMU failed to start: QEMU exited with code 1.');
    assert.match(errors.snapshotsFromOtherRecording('/s', 'a', 'b').message, /^\/s does not belong to this recording: its initial snapshot was taken at a, the recording's at b\. /);
    assert.match(errors.noSocketDir(['$XDG_RUNTIME_DIR "/run/user/1" cannot be written (EACCES)'], 107, 60).message,
      /Tried: \$XDG_RUNTIME_DIR "\/run\/user\/1" cannot be written \(EACCES\)\. Set TMPDIR/);
    assert.match(errors.qmpConnectFailed('localhost:4444', 'refused', undefined).message, /at localhost:4444: refused\. Start QEMU with -qmp unix:PATH,server=on/);
    assert.equal(errors.manifestNotJson('/m', cause).cause, cause);
    assert.equal(errors.recordedLogUnreadable(cause).cause, cause);
  });
});

/** Converted to the catalog: they raise no inline UserError. (session.ts, customRequests.ts, replayEngine.ts and
 * execution.ts follow in a later step.) */
const CONVERTED = [
  'adapter/image.ts', 'adapter/dap/console.ts', 'adapter/dap/inspect.ts', 'adapter/engine/attach.ts',
  'adapter/engine/launcher.ts', 'adapter/engine/snapshots.ts', 'adapter/qemu/recording.ts', 'adapter/qemu/socketdir.ts',
  'adapter/engine/replayEngine.ts', 'adapter/engine/execution.ts', 'adapter/dap/session.ts', 'adapter/dap/sessionBase.ts', 'adapter/dap/customRequests.ts',
  'adapter/engine/position.ts', 'adapter/engine/reverse.ts', 'adapter/engine/placement.ts', 'adapter/engine/reverseByReplay.ts',
  'adapter/qemu/compat.ts', 'adapter/qemu/version.ts',
];

test('the converted files raise their errors from the catalog, not with new UserError(…)', () => {
  const offenders = CONVERTED.flatMap((file) => readFileSync(path.join(root, file), 'utf8').split('\n')
    .map((line, i) => (/new\s+UserError\s*\(/.test(line) ? `${file}:${i + 1}: ${line.trim()}` : undefined))
    .filter((x): x is string => x !== undefined));
  assert.deepEqual(offenders, []);
});
