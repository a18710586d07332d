/**
 * A launched QEMU or its gdb failing under the session: it exits, loses its QMP connection, or stops responding
 * (the watchdog notices within ~3 s, see adapter/qemu/watchdog.ts). The session ends with a message that says
 * what happened and how to continue; a recording being made is still finalised when QEMU could end it cleanly.
 */
import type { Emulator } from '../engine/launcher';
import { Watchdog } from '../qemu/watchdog';

export interface EmulatorWatchHost {
  /** QEMU or gdb failed; `hung`: it stopped responding (or QMP closed under a live QEMU). */
  failed(what: 'QEMU' | 'gdb', how: string, hung?: boolean): void;
  /** QEMU ended as it should: a recorded guest finished. */
  gone(what: string): void;
}

/** Reports the emulator's faults to `host`; returns the watchdog (to stop when the session ends), if any. */
export function watchEmulator(emulator: Emulator, host: EmulatorWatchHost): Watchdog | undefined {
  const { qemu, gdb } = emulator;
  qemu.on('exit', (code, signal) => {
    if (emulator.mode === 'record' && !signal && code === 0) host.gone('QEMU exited');
    else host.failed('QEMU', `exited unexpectedly (${qemu.describeExit()})`);
  });
  gdb.on('exit', (code, signal) => {
    // A bug in gdb: say so, in gdb's own words (it quits instead of dumping a core, see Gdb.start).
    if (gdb.internalError) host.failed('gdb', `hit an internal error and exited: ${gdb.internalError}`);
    else host.failed('gdb', `exited unexpectedly (${signal ? `killed by ${signal}` : `exit code ${code}`})`);
  });
  qemu.qmp.on('close', () => {
    // QEMU closes QMP as it exits, usually just before its exit is seen: only a close without an exit is a fault.
    setTimeout(() => { if (!qemu.exited) host.failed('QEMU', 'closed its QMP connection', true); }, 500).unref();
  });
  if (qemu.pid === undefined) return undefined;
  const watchdog = new Watchdog({ pid: qemu.pid, qmp: qemu.qmp }, gdb.pid !== undefined ? [{ name: 'gdb', pid: gdb.pid }] : []);
  watchdog.on('hung', (why) => { host.failed(why.startsWith('gdb') ? 'gdb' : 'QEMU', why, true); });
  watchdog.start();
  return watchdog;
}

/** What the user is told of a failure: what happened (`fault`), and in `text` also where and how to continue. */
export function failureMessage(what: 'QEMU' | 'gdb', how: string, replay: boolean, icount: number): { fault: string; text: string } {
  const fault = how.startsWith(what) ? how : `${what} ${how}`;
  const next = replay
    ? `The recording is unchanged: start the replay again to continue${icount > 0 ? ` (seek to icount ${icount} to return here)` : ''}.`
    : 'What was recorded until then is saved if QEMU could still end its log cleanly (see below); otherwise record again.';
  return { fault, text: `${fault}${replay ? ` at icount ${icount}` : ''}. The session was ended. ${next}` };
}
