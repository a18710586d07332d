// The keys of the schema language, with one-line descriptions for hover and completion
// (from qapi-code-gen.rst), and which keys each kind of expression accepts.

import type { Meta } from './model';

export const KEYWORD_DOCS: ReadonlyMap<string, string> = new Map([
  ['enum', 'Defines an enumeration type; `data` lists its values.'],
  ['struct', 'Defines a struct type; `data` holds its members, `base` names a struct whose members come first.'],
  ['union', 'Defines a union: common members in `base`, the `discriminator` member selects a branch from `data`.'],
  ['alternate', 'Defines an alternate: a choice between types told apart by their JSON type on the wire.'],
  ['command', 'Defines a QMP command: arguments in `data`, result type in `returns`.'],
  ['event', 'Defines a QMP event: its data members in `data`.'],
  ['include', 'Includes another schema file, relative to this one. Including a file twice has no effect.'],
  ['pragma', 'Controls generator behaviour: `doc-required`, `command-name-exceptions`, `command-returns-exceptions`, `member-name-exceptions`, `documentation-exceptions` (newer QEMU).'],
  ['data', 'Members (struct, command, event), values (enum), or branches (union, alternate).'],
  ['base', 'Common members: a struct type name, or (unions) an inline members object.'],
  ['discriminator', "A union's common enum member whose value selects the branch."],
  ['returns', "The command's return type: normally a complex type or an array of one."],
  ['boxed', "`true`: the command or event takes its arguments as one C struct of the 'data' type."],
  ['if', "Conditional compilation: a CONFIG macro name or `{ 'all' | 'any' | 'not': … }`."],
  ['features', "Feature names exposed in introspection; 'deprecated' and 'unstable' are special."],
  ['prefix', 'Overrides the prefix of the generated C enumeration constants.'],
  ['gen', '`false`: do not generate the marshalling function; it is written by hand.'],
  ['success-response', '`false`: the command sends no success response (used by the guest agent).'],
  ['allow-oob', '`true`: the command supports out-of-band execution.'],
  ['allow-preconfig', '`true`: the command is available before the machine is built (--preconfig).'],
  ['coroutine', '`true`: the command handler may run in a coroutine and yield.'],
  ['type', 'The type of a member in long form.'],
  ['name', 'The name of an enum value or feature in long form.'],
  ['all', 'Condition: all operands must hold.'],
  ['any', 'Condition: one of the operands must hold.'],
  ['not', 'Condition: the operand must not hold.'],
]);

export const KEYS_BY_META: Readonly<Record<Meta, readonly string[]>> = {
  enum: ['data', 'prefix', 'if', 'features'],
  struct: ['data', 'base', 'if', 'features'],
  union: ['base', 'discriminator', 'data', 'if', 'features'],
  alternate: ['data', 'if', 'features'],
  command: ['data', 'returns', 'boxed', 'if', 'features', 'gen', 'success-response', 'allow-oob', 'allow-preconfig', 'coroutine'],
  event: ['data', 'boxed', 'if', 'features'],
};

export const PRAGMAS = ['doc-required', 'command-name-exceptions', 'command-returns-exceptions', 'member-name-exceptions'];
