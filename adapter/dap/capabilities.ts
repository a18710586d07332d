/**
 * What the adapter tells the client it can do: at `initialize`, and step back once a replay is running (a
 * recording, or a QEMU attached without record/replay, cannot go back).
 */
import { Event } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const CAPABILITIES: DebugProtocol.Capabilities = {
  supportsConfigurationDoneRequest: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsLogPoints: true,
  supportsFunctionBreakpoints: true,
  supportsInstructionBreakpoints: true,
  supportsDataBreakpoints: true,
  supportsSteppingGranularity: true,
  supportsEvaluateForHovers: true,
  supportsDisassembleRequest: true,
  supportsReadMemoryRequest: true,
  supportsWriteMemoryRequest: false,
  supportsSetVariable: false,
  supportsSetExpression: false,
  supportsLoadedSourcesRequest: true,
  supportsCompletionsRequest: true,
  supportsTerminateRequest: true,
  supportsCancelRequest: true, // a hit-history pass (its request or its progress) can be cancelled
  supportSuspendDebuggee: true, // attach: disconnect may leave the user's QEMU paused
  supportsStepBack: false, // announced with a `capabilities` event once a replay is running
  supportsGotoTargetsRequest: false,
  supportsValueFormattingOptions: false,
};

/** The `capabilities` event for a replay: step back. */
export function stepBackEvent(): DebugProtocol.CapabilitiesEvent {
  return new Event('capabilities', { capabilities: { supportsStepBack: true } }) as DebugProtocol.CapabilitiesEvent;
}
