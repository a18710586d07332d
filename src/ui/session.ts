/**
 * Typed access to the adapter's custom requests and the "which replay session do I act on" rule shared by all
 * commands, with the messages a user sees when there is none.
 */
import * as vscode from 'vscode';
import type { CustomRequestArgs, CustomRequestName, CustomResponseBody } from '../../common/protocol';

export const DEBUG_TYPE = 'qemu-replay';

/** `session.customRequest` with the argument and response types of common/protocol.ts. */
export async function customRequest<K extends CustomRequestName>(
  session: vscode.DebugSession, name: K, args: CustomRequestArgs<K>,
): Promise<CustomResponseBody<K>> {
  return await session.customRequest(name, args) as CustomResponseBody<K>;
}

/** A user-facing failure: shown as is, without a stack. */
export class UserError extends Error {}

export const NO_SESSION = 'No QEMU Replay session is active. Start a replay from Run and Debug with a "qemu-replay" '
  + 'launch configuration ("mode": "replay"), or run "QEMU Replay: Record and Replay".';

export const RECORDING_SESSION = 'This session is recording: seeking, snapshots of the past and reverse execution '
  + 'work in a replay. Stop the recording, then start a replay of it ("mode": "replay", same "recording" folder).';

/** The text of an error from the adapter or VS Code, without the "Error: " noise. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
