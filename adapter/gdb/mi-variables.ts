/**
 * gdb's variable objects (a value gdb keeps and expands on demand: structures, arrays, pointers) and registers, as
 * the Variables, Watch and Debug Console views ask for them: one function per MI command, typed answers.
 */
import { miQuote, type Gdb } from './gdb';
import { selectorOptions, type MiFrameSelector } from './mi';
import { miList, miString, miTuple, type MiTuple } from './miParser';

/** A variable object (`-var-create`) or a child of one (`-var-list-children`). */
export interface MiVarObject {
  /** gdb's name for it (`var1`, `var1.origin`), which later commands take. */
  name: string;
  /** A child's expression relative to its parent: a field name, an index, or `public`/`private`/`protected`. */
  exp?: string;
  /** How many children it has (undefined when gdb does not say). */
  numchild?: number;
  /** The value as gdb prints it; empty when it cannot be read. */
  value?: string;
  type?: string;
}

export function toVarObject(t: MiTuple): MiVarObject {
  const numchild = miString(t.numchild);
  return {
    name: miString(t.name) ?? '', exp: miString(t.exp), numchild: numchild === undefined ? undefined : Number(numchild),
    value: miString(t.value), type: miString(t.type),
  };
}

/**
 * Creates a variable object for an expression, evaluated in the current frame or the one `at` names. gdb refuses
 * (GdbError "unable to create variable object") an expression it cannot evaluate.
 */
export async function varCreate(gdb: Gdb, expression: string, at?: MiFrameSelector): Promise<MiVarObject> {
  return toVarObject(await gdb.command(`-var-create ${selectorOptions(at)}- * ${miQuote(expression)}`));
}

export async function varDelete(gdb: Gdb, name: string): Promise<void> {
  await gdb.command(`-var-delete ${name}`);
}

/** The children of a variable object with their values; `range`: only children [from, to) of a large one. */
export async function varListChildren(gdb: Gdb, name: string, range?: { from: number; to: number }): Promise<MiVarObject[]> {
  const r = await gdb.command(`-var-list-children --all-values ${name}${range ? ` ${range.from} ${range.to}` : ''}`);
  return miList(r.children).map(miTuple).filter((c): c is MiTuple => c !== undefined).map(toVarObject);
}

/** gdb's expression for a variable object from its root (`origin.y`, `squares[3]`). */
export async function varInfoPathExpression(gdb: Gdb, name: string): Promise<string | undefined> {
  return miString((await gdb.command(`-var-info-path-expression ${name}`)).path_expr);
}

/** The target's register names, indexed by gdb's register number ('' for a number without a register). */
export async function dataListRegisterNames(gdb: Gdb): Promise<string[]> {
  return miList((await gdb.command('-data-list-register-names'))['register-names']).map((n) => miString(n) ?? '');
}

/** A register's value (`-data-list-register-values`). */
export interface MiRegisterValue {
  /** gdb's register number (NaN if gdb did not say). */
  number: number;
  value?: string;
}

/**
 * The values of the registers numbered `registers` in a frame, formatted `x` (hex) or `N` (natural: a pc carries its
 * symbol, `0x40080038 <uart_putc+8>`).
 */
export async function dataListRegisterValues(gdb: Gdb, format: 'x' | 'N', registers: number[], at: MiFrameSelector): Promise<MiRegisterValue[]> {
  const r = await gdb.command(`-data-list-register-values ${selectorOptions(at)}${format} ${registers.join(' ')}`);
  return miList(r['register-values']).map(miTuple).map((v) => ({ number: Number(miString(v?.number)), value: miString(v?.value) }));
}
