/**
 * Inspection: scopes, variables (through gdb variable objects, so structs, arrays and pointers expand lazily
 * and large arrays page), registers, evaluate, disassembly and memory. Variable references are valid until the
 * next stop (DAP's rule), when `reset()` drops them.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { errors } from '../errors';
import { Gdb, GdbError } from '../gdb/gdb';
import { evaluateExpression, stackInfoFrame, type MiFrameSelector } from '../gdb/mi';
import { dataDisassembleWithSource, dataReadMemoryBytes, symbolInfoVariables, type MiSourceInstructions } from '../gdb/mi-data';
import { stackListVariables } from '../gdb/mi-frames';
import {
  dataListRegisterNames, dataListRegisterValues, varCreate, varDelete, varInfoPathExpression, varListChildren, type MiVarObject,
} from '../gdb/mi-variables';

type Ref =
  | { kind: 'locals' | 'arguments' | 'globals'; frame: number; thread: number }
  | { kind: 'registers'; frame: number; thread: number }
  | { kind: 'varobj'; name: string; start?: number; count?: number };

const PAGE = 100; // children of a large array are shown in pages of this many

export class Inspector {
  private refs = new Map<number, Ref>();
  private nextRef = 1;
  private varobjs: string[] = [];
  private registerNames: string[] | undefined;
  private readonly globalNames = new Map<string, string[]>();
  /** Record and replay sessions: expressions that would write to the guest (or run its code) are refused. */
  readOnly = false;
  /** parent varobj + shown name → child varobj, so a child shown in the Variables view can be watched. */
  private childVarobjs = new Map<string, string>();

  constructor(private readonly gdb: Gdb) {}

  reset(): void {
    this.refs.clear();
    this.childVarobjs.clear();
    this.nextRef = 1;
    const old = this.varobjs;
    this.varobjs = [];
    // Not awaited: the stop is reported without waiting for them; gdb's queue runs them before the views' requests.
    for (const v of old) void varDelete(this.gdb, v).catch(() => undefined);
  }

  private ref(r: Ref): number {
    const id = this.nextRef++;
    this.refs.set(id, r);
    return id;
  }

  scopes(thread: number, frame: number): DebugProtocol.Scope[] {
    return [
      { name: 'Locals', presentationHint: 'locals', variablesReference: this.ref({ kind: 'locals', frame, thread }), expensive: false },
      { name: 'Arguments', presentationHint: 'arguments', variablesReference: this.ref({ kind: 'arguments', frame, thread }), expensive: false },
      { name: 'Globals', variablesReference: this.ref({ kind: 'globals', frame, thread }), expensive: true },
      { name: 'Registers', presentationHint: 'registers', variablesReference: this.ref({ kind: 'registers', frame, thread }), expensive: false },
    ];
  }

  async variables(reference: number, start?: number, count?: number): Promise<DebugProtocol.Variable[]> {
    const r = this.refs.get(reference);
    if (!r) return [];
    switch (r.kind) {
      case 'locals':
      case 'arguments':
        return await this.frameVariables(r.kind, r.thread, r.frame);
      case 'globals':
        return await this.globals(r.thread, r.frame);
      case 'registers':
        return await this.registers(r.thread, r.frame);
      case 'varobj':
        return await this.children(r.name, start ?? r.start, count ?? r.count);
    }
  }

  private async frameVariables(kind: 'locals' | 'arguments', thread: number, frame: number): Promise<DebugProtocol.Variable[]> {
    // Without debug information for the frame there are no variables to list (gdb: "No symbol table info").
    const out: DebugProtocol.Variable[] = [];
    for (const v of await stackListVariables(this.gdb, { thread, frame })) {
      if ((kind === 'arguments') !== v.arg) continue;
      out.push(await this.varobjVariable(v.name ?? '?', v.name ?? '?', thread, frame));
    }
    return out;
  }

  /** Globals and statics of the current file (gdb's `info variables` for that file's symtab). */
  private async globals(thread: number, frame: number): Promise<DebugProtocol.Variable[]> {
    const f = await stackInfoFrame(this.gdb, { thread, frame });
    const file = f?.fullname ?? f?.file;
    if (!file) return [];
    let names = this.globalNames.get(file);
    if (!names) {
      // The symbol table does not change during a session: list it once per file (a kernel has many thousands).
      const found: string[] = [];
      for (const group of await symbolInfoVariables(this.gdb)) {
        if (group.fullname !== file && group.filename !== file) continue;
        for (const sym of group.symbols) {
          if (sym.name) found.push(sym.name);
        }
      }
      names = [...new Set(found)].sort();
      this.globalNames.set(file, names);
    }
    const out: DebugProtocol.Variable[] = [];
    for (const name of names) out.push(await this.varobjVariable(name, `'${file.split('/').pop()}'::${name}`, thread, frame));
    return out;
  }

  private async varobjVariable(display: string, expression: string, thread: number, frame: number): Promise<DebugProtocol.Variable> {
    try {
      const v = await varCreate(this.gdb, expression, { thread, frame });
      return await this.withAddress(this.fromVarobj(display, v, expression), expression, { thread, frame });
    } catch (err) {
      return { name: display, value: `<${(err as Error).message}>`, variablesReference: 0 };
    }
  }

  private fromVarobj(display: string, v: MiVarObject, evaluateName?: string): DebugProtocol.Variable {
    const name = v.name;
    this.varobjs.push(name);
    const numchild = v.numchild ?? 0;
    const type = v.type;
    const value = v.value ?? '';
    const isArray = /\[\d+\]$/.test(type ?? '');
    return {
      name: display,
      value,
      type,
      evaluateName,
      variablesReference: numchild > 0 ? this.ref({ kind: 'varobj', name }) : 0,
      indexedVariables: isArray && numchild > PAGE ? numchild : undefined,
      memoryReference: /^0x[0-9a-f]+/.exec(value)?.[0],
    };
  }

  /**
   * VS Code opens its memory view on a variable's memoryReference: a pointer refers to what it points at, any
   * other variable that lives in memory to its own address (registers have none).
   */
  private async withAddress(variable: DebugProtocol.Variable, expression: string, at: MiFrameSelector | undefined): Promise<DebugProtocol.Variable> {
    if (variable.memoryReference || expression.startsWith('$')) return variable;
    const value = await evaluateExpression(this.gdb, `&(${expression})`, at).catch(() => undefined);
    const address = /0x[0-9a-f]+/.exec(value ?? '')?.[0]; // after the type: (const char (*)[25]) 0x40080398 <banner>
    return address ? { ...variable, memoryReference: address } : variable;
  }

  private async children(varobj: string, start?: number, count?: number): Promise<DebugProtocol.Variable[]> {
    const from = start ?? 0;
    const to = count !== undefined ? from + count : undefined;
    const out: DebugProtocol.Variable[] = [];
    for (const c of await varListChildren(this.gdb, varobj, to !== undefined ? { from, to } : undefined)) {
      const exp = c.exp ?? '?';
      // Access specifiers (public/private) are pseudo-children in C++: flatten them.
      if (['public', 'private', 'protected'].includes(exp) && !c.type) {
        out.push(...(await this.children(c.name)));
        continue;
      }
      const isIndex = /^\d+$/.test(exp);
      const shown = isIndex ? `[${exp}]` : exp;
      const childName = c.name;
      this.childVarobjs.set(`${varobj}\0${shown}`, childName);
      // The expression for Add to Watch / Copy as Expression: gdb's own path to the child (origin.y, squares[3]).
      const path = await varInfoPathExpression(this.gdb, childName).catch(() => undefined);
      out.push(this.fromVarobj(shown, c, path));
    }
    return out;
  }

  private async registers(thread: number, frame: number): Promise<DebugProtocol.Variable[]> {
    if (!this.registerNames) {
      this.registerNames = await dataListRegisterNames(this.gdb);
    }
    // The general registers only: gdb numbers them first, up to pc (and the flags after it on aarch64). Reading
    // all of them fails on riscv64, whose CSRs QEMU does not all serve (E14).
    const names = this.registerNames;
    const pcIndex = names.indexOf('pc');
    const general = generalRegisters(names);
    const at = { thread, frame };
    const values = await dataListRegisterValues(this.gdb, 'x', general, at);
    // pc in gdb's natural format carries the symbol: 0x40080038 <uart_putc+8>
    const pcNatural = pcIndex < 0 ? undefined
      : (await dataListRegisterValues(this.gdb, 'N', [pcIndex], at).catch(() => []))[0]?.value;
    const out: DebugProtocol.Variable[] = [];
    for (const v of values) {
      const name = names[v.number];
      if (!name) continue;
      const value = v.value ?? '';
      const shown = name === 'pc' && pcNatural?.includes('<') ? pcNatural : decorateRegister(name, value);
      out.push({ name, value: shown, evaluateName: `$${name}`, variablesReference: 0, memoryReference: /^0x[0-9a-f]+$/.test(value) ? value : undefined });
    }
    return out;
  }

  /**
   * Can `name` be watched? A name from the Variables view comes with its container's reference: a child of a
   * structure or array becomes gdb's path expression for it (origin.y, squares[3]); registers cannot be watched.
   */
  private refuseWrites(expression: string): void {
    const write = this.readOnly ? writesToGuest(expression) : undefined;
    if (write) throw errors.expressionWritesReadOnly(expression, write);
  }

  async dataBreakpointInfo(name: string, reference?: number): Promise<DebugProtocol.DataBreakpointInfoResponse['body']> {
    const container = reference !== undefined ? this.refs.get(reference) : undefined;
    if (container?.kind === 'registers' || name.startsWith('$')) return { dataId: null, description: `${name} is a register and cannot be watched.` };
    let expression = name;
    if (this.readOnly && writesToGuest(name)) return { dataId: null, description: `${name} cannot be watched: it ${writesToGuest(name)}.` };
    if (container?.kind === 'varobj') {
      const child = this.childVarobjs.get(`${container.name}\0${name}`);
      const path = child ? await varInfoPathExpression(this.gdb, child).catch(() => undefined) : undefined;
      if (!path) return { dataId: null, description: `${name} cannot be watched: gdb has no expression for it.` };
      expression = path;
    }
    try {
      await evaluateExpression(this.gdb, `&(${expression})`);
    } catch (err) {
      if (!(err instanceof GdbError)) throw err;
      return { dataId: null, description: `${expression} cannot be watched: ${err.message}` };
    }
    return { dataId: expression, description: expression, accessTypes: ['write', 'read', 'readWrite'], canPersist: true };
  }

  async evaluate(expression: string, thread?: number, frame?: number): Promise<DebugProtocol.EvaluateResponse['body']> {
    this.refuseWrites(expression);
    const at = thread !== undefined ? { thread, frame: frame ?? 0 } : undefined;
    let v: MiVarObject;
    try {
      v = await varCreate(this.gdb, expression, at);
    } catch (err) {
      // A variable object says only "unable to create variable object": gdb's evaluator says what is wrong
      // (and can still evaluate some expressions varobjs refuse, such as registers in another frame).
      if (!(err instanceof GdbError)) throw err;
      return { result: (await evaluateExpression(this.gdb, expression, at)) ?? '', variablesReference: 0 };
    }
    if ((v.value ?? '') === '' && v.numchild === 0) {
      // gdb creates a variable object even when its value cannot be read (memory that is not there) and leaves
      // the value empty: the evaluator says why.
      this.varobjs.push(v.name);
      await evaluateExpression(this.gdb, expression, at);
    }
    const variable = await this.withAddress(this.fromVarobj(expression, v, expression), expression, at);
    return { result: variable.value, type: variable.type, variablesReference: variable.variablesReference, indexedVariables: variable.indexedVariables, memoryReference: variable.memoryReference };
  }

  async disassemble(memoryReference: string, offset: number, instructionOffset: number, instructionCount: number): Promise<DebugProtocol.DisassembledInstruction[]> {
    const base = parseAddress(memoryReference) + BigInt(offset);
    const before = Math.max(0, -instructionOffset);
    // Forward from `base`, which is an instruction (a pc, a symbol, an address VS Code had from us).
    const end = base + BigInt(Math.max(0, instructionOffset + instructionCount) * 4 + 16);
    const after = await this.disassembleRange(base, end);
    // Backwards, instructions of 2 or 4 bytes (riscv64 compressed ones) can be decoded from a wrong start: try
    // starts until the decoding lands exactly on `base`.
    let earlier: DebugProtocol.DisassembledInstruction[] = [];
    if (before > 0) {
      const window = BigInt(before * 4 + 16);
      for (const shift of [0n, 2n]) {
        const start = base > window + shift ? base - window + shift : 0n;
        const lines = await this.disassembleRange(start, base);
        const last = lines[lines.length - 1];
        if (last && BigInt(last.address) + BigInt((last.instructionBytes ?? '').replace(/\s/g, '').length / 2) === base) {
          earlier = lines;
          break;
        }
      }
    }
    const lines = [...earlier, ...after];
    const index = earlier.length;
    const out: DebugProtocol.DisassembledInstruction[] = [];
    for (let i = index + instructionOffset; out.length < instructionCount; i++) {
      if (i >= 0 && i < lines.length) out.push(lines[i]);
      else out.push({ address: `0x${(base + BigInt((i - index) * 4)).toString(16)}`, instruction: '', presentationHint: 'invalid' });
    }
    // VS Code wants the source location on the first instruction it gets, even mid-line.
    if (out[0] && !out[0].location) {
      const first = lines.slice(0, index + instructionOffset + 1).reverse().find((l) => l.location);
      if (first?.location && out[0].line !== undefined) out[0] = { ...out[0], location: first.location };
    }
    return out;
  }

  /** gdb's disassembly of [start, end), with source lines; nothing where there is no memory. */
  private async disassembleRange(start: bigint, end: bigint): Promise<DebugProtocol.DisassembledInstruction[]> {
    if (end <= start) return [];
    try {
      return flattenDisassembly(await dataDisassembleWithSource(this.gdb, start, end));
    } catch (err) {
      if (!(err instanceof GdbError)) throw err;
      return [];
    }
  }

  async readMemory(memoryReference: string, offset: number, count: number): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    const address = parseAddress(memoryReference) + BigInt(offset);
    const addr = `0x${address.toString(16)}`;
    try {
      const chunks = await dataReadMemoryBytes(this.gdb, addr, count);
      const bytes = Buffer.concat(chunks.filter((c) => BigInt(c.begin ?? '0') >= address).map((c) => Buffer.from(c.contents, 'hex')));
      return { address: addr, data: bytes.toString('base64'), unreadableBytes: count - bytes.length };
    } catch (err) {
      if (err instanceof GdbError) return { address: addr, unreadableBytes: count };
      throw err;
    }
  }
}

/**
 * Does a gdb expression (or `set var`/`print`/`call` command line) write to the guest or run its code? Returns
 * the reason, for assignments (= += ++ …) and calls of functions; comparisons, casts, sizeof, gdb's own
 * $functions and text in quotes do not count.
 */
const NOT_CALLS = /^(sizeof|_Alignof|alignof|\$.*|int|char|short|long|unsigned|signed|void|float|double|_Bool|bool|const|volatile|struct|union|enum)$/;

export function writesToGuest(text: string): string | undefined {
  const code = text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  if (/^\s*(call|set\s+var(iable)?)\b/.test(code)) return 'writes to the guest';
  if (/\+\+|--|<<=|>>=|[-+*/%&|^]=|(^|[^=!<>])=(?!=)/.test(code)) return 'assigns to the guest\'s memory or registers';
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*)\s*\((?!\s*\*\s*\))/g)) { // not the (*) of a cast to a pointer type
    if (!NOT_CALLS.test(m[1])) return `calls ${m[1]}() in the guest`;
  }
  return undefined;
}

/** A DAP memory reference is an address we handed out (0x…), or one a user typed in the memory view. */
/** gdb's numbers of the general registers: those up to pc (and the flags after it on aarch64, riscv's priv). */
export function generalRegisters(names: readonly string[]): number[] {
  const pcIndex = names.indexOf('pc');
  return names.map((n, i) => ({ n, i })).filter(({ n, i }) => n && (pcIndex < 0 || i <= pcIndex || n === 'cpsr' || n === 'pstate' || n === 'priv')).map(({ i }) => i);
}

export function parseAddress(reference: string): bigint {
  const text = reference.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) return BigInt(text);
  throw errors.notMemoryAddress(reference);
}

function flattenDisassembly(groups: MiSourceInstructions[]): DebugProtocol.DisassembledInstruction[] {
  const out: DebugProtocol.DisassembledInstruction[] = [];
  for (const item of groups) {
    const file = item.fullname ?? item.file;
    const line = Number(item.line);
    item.instructions.forEach((insn, k) => {
      const fn = insn.funcName;
      const off = insn.offset;
      out.push({
        address: insn.address ?? '0x0',
        instructionBytes: insn.opcodes,
        instruction: insn.inst ?? '',
        symbol: fn ? `${fn}+${off ?? 0}` : undefined,
        location: file && k === 0 ? { path: file, name: file.split('/').pop() } : undefined,
        line: file && Number.isFinite(line) ? line : undefined,
      });
    });
  }
  return out;
}

/** Registers decoded next to their value: aarch64 `cpsr`/`pstate` (NZCV flags, EL), riscv `priv` (mode). */
export function decorateRegister(name: string, value: string): string {
  if ((name === 'cpsr' || name === 'pstate') && /^0x[0-9a-f]+$/.test(value)) {
    const v = Number(BigInt(value) & 0xffffffffn);
    const flags = ['N', 'Z', 'C', 'V'].filter((_, i) => (v >>> (31 - i)) & 1).join('') || '-';
    const el = (v >> 2) & 3;
    return `${value} [${flags} EL${el}]`;
  }
  if (name === 'priv' && /^0x[0-9a-f]+$/.test(value)) {
    // riscv has no flags register; QEMU's virtual `priv` register says which privilege level runs.
    const level = ['U', 'S', 'H', 'M'][Number(BigInt(value) & 3n)];
    return `${value} [${level} mode]`;
  }
  return value;
}
