/**
 * The one source of truth of package.json's `contributes` (except `debuggers`, which common/configSchema.ts defines):
 * command ids and their titles, icons and `when` clauses, menus, the Snapshots view and its welcome content, the
 * walkthrough, settings, languages, grammars and breakpoint languages — and the names the code uses for them
 * (command ids it registers and runs, context keys it sets, view ids, setting names, tree item context values).
 *
 * scripts/contributions.ts writes package.json from here (`npm run contributions`); test/unit/contributions.test.ts
 * fails when the two differ and checks that the code registers every command declared here and uses no command id
 * that is not. Pure: no `vscode` import, so scripts and unit tests load it.
 */
import { DEBUG_TYPE } from '../common/configSchema';

export const PUBLISHER = 'qemu-replay';
export const EXTENSION_NAME = 'qemu-replay';
export const CATEGORY = 'QEMU Replay';

/** Ids of the commands the extension contributes (and registers in src/ui/index.ts). */
export const Command = {
  showTimeline: 'qemuReplay.showTimeline',
  goToIcount: 'qemuReplay.goToIcount',
  goToStart: 'qemuReplay.goToStart',
  goToEnd: 'qemuReplay.goToEnd',
  addIcountBreakpoint: 'qemuReplay.addIcountBreakpoint',
  saveSnapshot: 'qemuReplay.saveSnapshot',
  goToSnapshot: 'qemuReplay.goToSnapshot',
  deleteSnapshot: 'qemuReplay.deleteSnapshot',
  refreshSnapshots: 'qemuReplay.refreshSnapshots',
  reverseStepIn: 'qemuReplay.reverseStepIn',
  reverseStepOut: 'qemuReplay.reverseStepOut',
  recordAndReplay: 'qemuReplay.recordAndReplay',
  checkSetup: 'qemuReplay.checkSetup',
  showAllHits: 'qemuReplay.showAllHits',
  showHitsAgain: 'qemuReplay.showHitsAgain',
  removeHits: 'qemuReplay.removeHits',
  clearHistory: 'qemuReplay.clearHistory',
  lastWrite: 'qemuReplay.lastWrite',
  nextWrite: 'qemuReplay.nextWrite',
  compare: 'qemuReplay.compare',
} as const;
export type CommandId = (typeof Command)[keyof typeof Command];

/** Commands registered only when VS Code runs the extension's tests: deliberately not in package.json. */
export const TestCommand = {
  postFromTimeline: 'qemuReplay.test.postFromTimeline',
  setProgressDelay: 'qemuReplay.test.setProgressDelay',
  getUiState: 'qemuReplay.test.getUiState',
} as const;

/** VS Code's own commands that the extension runs or links to. */
export const BuiltinCommand = {
  setContext: 'setContext',
  configureLaunch: 'workbench.action.debug.configure',
  openWalkthrough: 'workbench.action.openWalkthrough',
  showDebugView: 'workbench.view.debug',
  lockEditorGroup: 'workbench.action.lockEditorGroup',
  diff: 'vscode.diff',
} as const;

/** Context keys the extension sets (`setContext`) for `when` clauses. */
export const ContextKey = {
  /** A qemu-replay session is the active debug session. */
  active: 'qemuReplay.active',
  /** It replays a recording (it can go back). */
  replaying: 'qemuReplay.replaying',
  /** It records. */
  recording: 'qemuReplay.recording',
  /** Its recording has snapshots. */
  hasSnapshots: 'qemuReplay.hasSnapshots',
} as const;
export type ContextKeyName = (typeof ContextKey)[keyof typeof ContextKey];

export const View = {
  snapshots: 'qemuReplay.snapshots',
  history: 'qemuReplay.history',
} as const;

/** The URI scheme of the read-only documents of Compare Two Moments (one per moment). */
export const COMPARE_SCHEME = 'qemu-replay-compare';

/** The timeline's webview panel type (also in package.json's `activationEvents`, for its serializer). */
export const TIMELINE_VIEW_TYPE = 'qemuReplay.timeline';

/** The status bar item's id (not a contribution; here so that all qemuReplay.* names live in one place). */
export const STATUS_BAR_ITEM = 'qemuReplay.icount';

export const WALKTHROUGH = 'qemuReplay.start';

/** Snapshot kinds as the Snapshots view's tree items say them in `contextValue` (`snapshot.<kind>`). */
export type SnapshotItemKind = 'initial' | 'automatic' | 'user';
export const snapshotItemContext = (kind: SnapshotItemKind): string => `snapshot.${kind}`;

/** Rows of the Recording History view as `contextValue` (`history.<kind>`): a pass's section (running or done), a hit. */
export type HistoryItemKind = 'section' | 'sectionRunning' | 'page' | 'hit' | 'output' | 'outputLine';
export const historyItemContext = (kind: HistoryItemKind): string => `history.${kind}`;

// ---- settings

interface SettingSchema<T> { type: T extends boolean ? 'boolean' : T extends number ? 'number' : 'string'; default: T; description: string }

export const Setting = {
  statusBarEnabled: 'qemuReplay.statusBar.enabled',
} as const;

export const settings: { [K in (typeof Setting)[keyof typeof Setting]]: SettingSchema<boolean> } = {
  [Setting.statusBarEnabled]: {
    type: 'boolean',
    default: true,
    description: 'Show the replay position (`icount N / end`) in the status bar during QEMU Replay sessions.',
  },
};

// ---- `when` clauses, built from the names above so that a renamed key or id cannot be left behind

type When = string & { readonly __when?: never };
const has = (key: ContextKeyName): When => key;
const not = (key: ContextKeyName): When => `!${key}`;
const and = (...parts: When[]): When => parts.join(' && ');
const inView = (view: (typeof View)[keyof typeof View]): When => `view == ${view}`;
const ourDebugType: When = `debugType == '${DEBUG_TYPE}'`;
/** Commands of a view's rows only: the palette would run them without a row. */
const never: When = 'false';
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `viewItem =~ /^snapshot\.(a|b)$/`, or any snapshot row without kinds. */
const snapshotItem = (...kinds: SnapshotItemKind[]): When => {
  const prefix = escapeRegExp(snapshotItemContext('' as SnapshotItemKind));
  return `viewItem =~ /^${prefix}${kinds.length ? `(${kinds.join('|')})$` : ''}/`;
};
const historyItem = (...kinds: HistoryItemKind[]): When =>
  `viewItem =~ /^${escapeRegExp(historyItemContext('' as HistoryItemKind))}(${kinds.join('|')})$/`;

// ---- commands

type Icon = string | { light: string; dark: string };
const codicon = (name: string): Icon => `$(${name})`;
const mediaIcon = (name: string): Icon =>
  ({ light: `media/icons/${name}-light.svg`, dark: `media/icons/${name}-dark.svg` });

export interface CommandDefinition {
  title: string;
  icon: Icon;
  /** When the Command Palette offers it (always, if absent). */
  palette?: When;
  enablement?: When;
}

/** Every contributed command, in package.json order. The mapped type rejects a Command without an entry. */
export const commands: { readonly [K in CommandId]: CommandDefinition } = {
  [Command.showTimeline]: { title: 'Show Timeline', icon: codicon('graph-line') },
  [Command.goToIcount]: { title: 'Go to Instruction Count…', icon: codicon('go-to-file'), palette: has(ContextKey.replaying) },
  [Command.goToStart]: { title: 'Go to Start of Recording', icon: codicon('debug-restart'), palette: has(ContextKey.replaying) },
  [Command.goToEnd]: { title: 'Go to End of Recording', icon: codicon('debug-stop'), palette: has(ContextKey.replaying) },
  [Command.addIcountBreakpoint]: { title: 'Add Breakpoint at Instruction Count…', icon: codicon('debug-breakpoint-function'),
    palette: has(ContextKey.replaying) },
  [Command.saveSnapshot]: { title: 'Save Snapshot Here…', icon: codicon('device-camera'), palette: has(ContextKey.active) },
  [Command.goToSnapshot]: { title: 'Go to Snapshot', icon: codicon('debug-step-into'), palette: has(ContextKey.replaying) },
  [Command.deleteSnapshot]: { title: 'Delete Snapshot', icon: codicon('trash'), palette: has(ContextKey.active) },
  [Command.refreshSnapshots]: { title: 'Refresh', icon: codicon('refresh'), palette: has(ContextKey.active) },
  [Command.reverseStepIn]: { title: 'Reverse Step Into', icon: mediaIcon('reverse-step-into'), palette: has(ContextKey.replaying) },
  [Command.reverseStepOut]: { title: 'Reverse Step Out', icon: mediaIcon('reverse-step-out'), palette: has(ContextKey.replaying) },
  [Command.recordAndReplay]: { title: 'Record and Replay', icon: codicon('record') },
  [Command.checkSetup]: { title: 'Check Setup', icon: codicon('checklist') },
  [Command.showAllHits]: { title: 'Show All Hits in the Recording…', icon: codicon('list-ordered'), palette: has(ContextKey.replaying) },
  [Command.showHitsAgain]: { title: 'Search Again', icon: codicon('refresh'), palette: never },
  [Command.removeHits]: { title: 'Remove from History', icon: codicon('close'), palette: never },
  [Command.clearHistory]: { title: 'Clear Recording History', icon: codicon('clear-all'), palette: has(ContextKey.active) },
  [Command.lastWrite]: { title: 'When Did This Change?', icon: codicon('debug-reverse-continue'), palette: has(ContextKey.replaying) },
  [Command.nextWrite]: { title: 'Next Write', icon: codicon('debug-continue'), palette: has(ContextKey.replaying) },
  [Command.compare]: { title: 'Compare Two Moments…', icon: codicon('diff'), palette: has(ContextKey.replaying) },
};

/** The Command Palette's entries, in package.json order (the palette itself sorts by title). */
const PALETTE_ORDER: readonly CommandId[] = [
  Command.goToIcount, Command.goToStart, Command.goToEnd, Command.addIcountBreakpoint, Command.goToSnapshot,
  Command.reverseStepIn, Command.reverseStepOut, Command.saveSnapshot, Command.deleteSnapshot, Command.refreshSnapshots,
  Command.showAllHits, Command.lastWrite, Command.nextWrite, Command.compare, Command.clearHistory,
  Command.showHitsAgain, Command.removeHits,
];

// ---- menus, views, welcome content, walkthrough

interface MenuItem { command: CommandId; when: When; group?: string }

const inSnapshots = inView(View.snapshots);
const canGoToSnapshot = and(inSnapshots, snapshotItem(), has(ContextKey.replaying));
const canDeleteSnapshot = and(inSnapshots, snapshotItem('automatic', 'user'));
const replayToolbar = and(ourDebugType, has(ContextKey.replaying));
const inHistory = inView(View.history);
const replayingHere = and(ourDebugType, has(ContextKey.replaying));
/** "When did this change?" and "Next write" on a variable or a watch expression, in a replay. */
const writeMenu = (group: string): MenuItem[] => [
  { command: Command.lastWrite, when: replayingHere, group: `${group}@1` },
  { command: Command.nextWrite, when: replayingHere, group: `${group}@2` },
];

const menus: Record<string, readonly MenuItem[]> = {
  'view/title': [
    { command: Command.saveSnapshot, when: and(inSnapshots, has(ContextKey.active)), group: 'navigation@1' },
    { command: Command.showTimeline, when: inSnapshots, group: 'navigation@2' },
    { command: Command.refreshSnapshots, when: and(inSnapshots, has(ContextKey.active)), group: 'navigation@3' },
    { command: Command.showAllHits, when: and(inHistory, has(ContextKey.replaying)), group: 'navigation@1' },
    { command: Command.compare, when: and(inHistory, has(ContextKey.replaying)), group: 'navigation@2' },
    { command: Command.clearHistory, when: and(inHistory, has(ContextKey.active)), group: 'navigation@3' },
  ],
  'view/item/context': [
    { command: Command.goToSnapshot, when: canGoToSnapshot, group: 'inline@1' },
    { command: Command.deleteSnapshot, when: canDeleteSnapshot, group: 'inline@2' },
    { command: Command.goToSnapshot, when: canGoToSnapshot, group: '1_navigate@1' },
    { command: Command.deleteSnapshot, when: canDeleteSnapshot, group: '2_modify@1' },
    { command: Command.showHitsAgain, when: and(inHistory, historyItem('section'), has(ContextKey.replaying)), group: 'inline@1' },
    { command: Command.removeHits, when: and(inHistory, historyItem('section', 'sectionRunning')), group: 'inline@2' },
    { command: Command.showHitsAgain, when: and(inHistory, historyItem('section'), has(ContextKey.replaying)), group: '1_navigate@1' },
    { command: Command.removeHits, when: and(inHistory, historyItem('section', 'sectionRunning')), group: '2_modify@1' },
  ],
  // Between VS Code's own "Set Value"/"Copy" (3_…) and "Add to Watch"/"Break on Value Change" (z_commands).
  'debug/variables/context': writeMenu('5_qemuReplay'),
  'debug/watch/context': writeMenu('5_qemuReplay'),
  // The editor's line-number (and breakpoint gutter) context menu: the hits of that line's breakpoint. VS Code has no
  // contribution point in the Breakpoints view's context menu (microsoft/vscode#274072).
  'editor/lineNumber/context': [{ command: Command.showAllHits, when: has(ContextKey.replaying), group: 'z_qemuReplay@1' }],
  commandPalette: PALETTE_ORDER.map((command) => {
    const when = commands[command].palette;
    if (!when) throw new Error(`${command} is in PALETTE_ORDER but has no palette clause`);
    return { command, when };
  }),
  // Next to the built-in Step Back (navigation@…): the Reverse Step buttons of the debug toolbar.
  'debug/toolBar': [
    { command: Command.reverseStepIn, when: replayToolbar, group: 'navigation@56' },
    { command: Command.reverseStepOut, when: replayToolbar, group: 'navigation@57' },
  ],
};

/** `[Title](command:id)`, a link in welcome content and walkthrough steps, with the command's own title. */
const link = (command: CommandId, title = commands[command].title.replace(/…$/, '')): string => `[${title}](command:${command})`;
const builtinLink = (title: string, command: string, arg?: unknown): string =>
  `[${title}](command:${command}${arg === undefined ? '' : `?${encodeURIComponent(JSON.stringify(arg))}`})`;
export const walkthroughArgument = `${PUBLISHER}.${EXTENSION_NAME}#${WALKTHROUGH}`;
const walkthroughLink = `New to time-travel debugging? ${builtinLink('Open the walkthrough', BuiltinCommand.openWalkthrough, walkthroughArgument)}.`;

const viewsWelcome = [
  { view: View.history, when: not(ContextKey.active), contents: [
    'No QEMU Replay session. In a replay, this view lists every hit of a breakpoint in the whole recording, the '
    + 'output of a logpoint at each of them, and the guest\'s serial output, each with its instruction count: click '
    + 'one to go there.',
    link(Command.recordAndReplay)] },
  { view: View.history, when: and(has(ContextKey.active), has(ContextKey.recording)), contents: [
    'Recording. The hits of breakpoints in the whole recording, and its output line by line, show here in the replay.'] },
  { view: View.history, when: and(has(ContextKey.active), not(ContextKey.recording)), contents: [
    'Every hit of a breakpoint in the whole recording, with its instruction count, function and line: pick a '
    + 'breakpoint, and one pass of the replay finds them. A logpoint set in a replay lists its message at every hit.',
    link(Command.showAllHits), link(Command.compare)] },
  { view: View.snapshots, when: not(ContextKey.active), contents: [
    'No QEMU Replay session. Snapshots of a recording show here while you debug its replay.',
    link(Command.recordAndReplay), link(Command.checkSetup), walkthroughLink] },
  { view: View.snapshots, when: and(has(ContextKey.active), has(ContextKey.recording)), contents: [
    'Recording. Snapshots saved now are there in the replay, which makes going back to them fast.',
    link(Command.saveSnapshot)] },
  { view: View.snapshots, when: and(has(ContextKey.active), not(ContextKey.recording)), contents: [
    'No snapshots yet. A snapshot makes going back to any later point fast.',
    link(Command.saveSnapshot), link(Command.showTimeline), walkthroughLink] },
].map((w) => ({ ...w, contents: w.contents.join('\n') }));

const step = (id: string, title: string, description: string, action: string, completion: string): Record<string, unknown> =>
  ({ id, title, description: `${description}\n${action}`, media: { markdown: `media/walkthrough/${id}.md` },
    completionEvents: [`onCommand:${completion}`] });

const walkthroughs = [{
  id: WALKTHROUGH,
  title: 'Time-travel debugging with QEMU Replay',
  description: 'Record a QEMU guest once, then debug the recording forwards and backwards.',
  steps: [
    step('setup', 'Check the tools', 'QEMU, qemu-img and gdb-multiarch with reverse debugging.',
      link(Command.checkSetup), Command.checkSetup),
    step('launch', 'Add record and replay configurations', 'Two entries in launch.json that share a recording folder.',
      builtinLink('Open launch.json', BuiltinCommand.configureLaunch), BuiltinCommand.configureLaunch),
    step('record', 'Record, then replay', 'Run the guest once under recording, then debug the replay.',
      link(Command.recordAndReplay), Command.recordAndReplay),
    step('travel', 'Travel in time', 'Step back, reverse continue, icount breakpoints, snapshots and the timeline.',
      link(Command.showTimeline), Command.showTimeline),
  ],
}];

// ---- languages

export const Language = { qapi: 'qapi', asm: 'asm' } as const;

/** Languages whose editors take breakpoints: C, C++ and the assembly languages of ours and of common extensions. */
const BREAKPOINT_LANGUAGES = ['c', 'cpp', Language.asm, 'arm', 'riscv', 'arm64', 'aarch64', 'gas', 'x86asm', 'asm-collection'];

const languages = [
  {
    id: Language.qapi,
    aliases: ['QAPI schema', 'qapi'],
    extensions: ['.qapi'],
    filenamePatterns: ['**/qapi/*.json', '**/qapi-schema.json', '**/tests/qapi-schema/*.json', '**/tests/qapi-schema/include/*.json'],
    firstLine: '^(##|# -\\*- [Mm]ode: [Pp]ython -\\*-)\\s*$',
    configuration: './syntaxes/qapi.language-configuration.json',
  },
  {
    id: Language.asm,
    aliases: ['GNU Assembler', 'asm'],
    extensions: ['.S', '.s', '.asm'],
    configuration: './syntaxes/asm.language-configuration.json',
  },
];

const grammars = [
  { language: Language.qapi, scopeName: 'source.qapi', path: './syntaxes/qapi.tmLanguage.json' },
  { language: Language.asm, scopeName: 'source.asm.gnu', path: './syntaxes/asm.tmLanguage.json' },
];

// ---- the whole

/** `contributes` of package.json, in its key order, with `debuggers` (from common/configSchema.ts) put in by the caller. */
export function contributions(debuggers: readonly unknown[]): Record<string, unknown> {
  return {
    breakpoints: BREAKPOINT_LANGUAGES.map((language) => ({ language })),
    debuggers,
    commands: Object.entries(commands).map(([command, c]) =>
      ({ command, title: c.title, category: CATEGORY, ...(c.enablement ? { enablement: c.enablement } : {}), icon: c.icon })),
    views: {
      debug: [
        { id: View.snapshots, name: 'Snapshots', when: ourDebugType, contextualTitle: CATEGORY, icon: codicon('device-camera') },
        { id: View.history, name: 'Recording History', when: ourDebugType, contextualTitle: CATEGORY, icon: codicon('list-ordered') },
      ],
    },
    viewsWelcome,
    menus,
    walkthroughs,
    configuration: { title: CATEGORY, properties: settings },
    languages,
    grammars,
  };
}

/** package.json's `activationEvents` entries that name the extension's own ids. */
export const ownActivationEvents = [`onWebviewPanel:${TIMELINE_VIEW_TYPE}`, `onLanguage:${Language.qapi}`];
