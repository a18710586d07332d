/**
 * The typed gdb/MI commands of the DAP views (adapter/gdb/mi-*.ts): each sends the command line it always sent and
 * reads gdb's answer into typed records: most lines recorded from gdb-multiarch 13 on test/guests' aarch64 program;
 * those that need a running target or a kernel (threads, frames, registers, several locations) written in its format.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gdb, GdbError } from '../../adapter/gdb/gdb';
import { enabledBreakpointLocations, evaluateExpression, stackInfoDepth, stackInfoFrame } from '../../adapter/gdb/mi';
import {
  breakAfter, breakCondition, breakDisable, breakEnable, breakInsertAt, breakList, breakWatch,
} from '../../adapter/gdb/mi-breakpoints';
import {
  complete, dataDisassembleWithSource, dataReadMemoryBytes, symbolInfoFunctions, symbolInfoVariables,
} from '../../adapter/gdb/mi-data';
import { fileListExecSourceFiles, stackListFrames, stackListVariables, threadInfo } from '../../adapter/gdb/mi-frames';
import {
  dataListRegisterNames, dataListRegisterValues, varCreate, varDelete, varInfoPathExpression, varListChildren,
} from '../../adapter/gdb/mi-variables';
import { parseMiLine } from '../../adapter/gdb/miParser';

/** A gdb that answers each expected command with a recorded MI result line (`^done,…` or `^error,…`). */
function fakeGdb(replies: Record<string, string>): { gdb: Gdb; sent: string[] } {
  const sent: string[] = [];
  const gdb = {
    command(command: string): Promise<unknown> {
      sent.push(command);
      const line = replies[command];
      if (line === undefined) return Promise.reject(new Error(`unexpected command ${command}`));
      const r = parseMiLine(line);
      assert.equal(r.kind, 'result');
      if (r.kind !== 'result') throw new Error('not a result');
      if (r.resultClass === 'error') return Promise.reject(new GdbError(command, typeof r.results.msg === 'string' ? r.results.msg : ''));
      return Promise.resolve(r.results);
    },
  };
  return { gdb: gdb as unknown as Gdb, sent };
}

const PROG = '/work/main/test/guests/prog.c';

void test('-break-insert: the command line (condition, ignore count, quoted location) and the breakpoint record', async () => {
  const { gdb, sent } = fakeGdb({
    '-break-insert -c "n == 3" -i 2 "prog.c:50"': `^done,bkpt={number="2",type="breakpoint",disp="keep",enabled="y",addr="0x0000000040080148",func="fib",file="prog.c",fullname="${PROG}",line="50",thread-groups=["i1"],cond="n == 3",times="0",ignore="2",original-location="prog.c:50"}`,
    '-break-insert "*0x40080000"': `^done,bkpt={number="3",type="breakpoint",disp="keep",enabled="y",addr="0x0000000040080000",file="start-aarch64.S",fullname="/work/main/test/guests/start-aarch64.S",line="5",thread-groups=["i1"],times="0",original-location="*0x40080000"}`,
    '-break-insert "nosuch"': '^error,msg="Function \\"nosuch\\" not defined."',
  });
  const b = await breakInsertAt(gdb, 'prog.c:50', { condition: 'n == 3', ignoreCount: 2 });
  assert.deepEqual(b, {
    number: '2', type: 'breakpoint', enabled: 'y', addr: '0x0000000040080148', func: 'fib', file: 'prog.c', fullname: PROG,
    line: '50', pending: undefined, cond: 'n == 3', ignore: '2', locations: [],
  });
  const a = await breakInsertAt(gdb, '*0x40080000', { ignoreCount: 0 });
  assert.deepEqual([a?.number, a?.func, a?.line, a?.addr], ['3', undefined, '5', '0x0000000040080000']);
  await assert.rejects(breakInsertAt(gdb, 'nosuch'), (err: unknown) => err instanceof GdbError && err.message === 'Function "nosuch" not defined.');
  assert.deepEqual(sent, ['-break-insert -c "n == 3" -i 2 "prog.c:50"', '-break-insert "*0x40080000"', '-break-insert "nosuch"']);
});

void test('a breakpoint with several locations (an ftrace kernel function): each location typed, in order', async () => {
  const { gdb } = fakeGdb({
    '-break-insert "schedule"': '^done,bkpt={number="1",type="breakpoint",disp="keep",enabled="y",addr="<MULTIPLE>",times="0",original-location="schedule",locations=[{number="1.1",enabled="y",addr="0xffff800008baf0c8",thread-groups=["i1"]},{number="1.2",enabled="y",addr="0xffff800008baf0d0",func="schedule",file="kernel/sched/core.c",fullname="/src/kernel/sched/core.c",line="6636",thread-groups=["i1"]}]}',
  });
  const b = await breakInsertAt(gdb, 'schedule');
  assert.equal(b?.addr, '<MULTIPLE>');
  assert.deepEqual(b?.locations, [
    { number: '1.1', enabled: 'y', addr: '0xffff800008baf0c8', func: undefined, file: undefined, fullname: undefined, line: undefined },
    { number: '1.2', enabled: 'y', addr: '0xffff800008baf0d0', func: 'schedule', file: 'kernel/sched/core.c', fullname: '/src/kernel/sched/core.c', line: '6636' },
  ]);
});

void test('-break-list: every row typed; the engine\'s enabled locations read from the same records', async () => {
  const table = `^done,BreakpointTable={nr_rows="3",nr_cols="6",hdr=[{width="7",alignment="-1",col_name="number",colhdr="Num"}],body=[bkpt={number="1",type="breakpoint",disp="keep",enabled="y",addr="0x000000004008011c",func="fib",file="prog.c",fullname="${PROG}",line="46",thread-groups=["i1"],times="0",original-location="fib"},bkpt={number="2",type="breakpoint",disp="keep",enabled="y",addr="<MULTIPLE>",cond="x > 1",times="0",locations=[{number="2.1",enabled="n",addr="0x10"},{number="2.2",enabled="y",addr="0x18",func="g"}]},bkpt={number="4",type="acc watchpoint",disp="keep",enabled="y",what="origin.x",times="0",original-location="origin.x"},bkpt={number="5",type="breakpoint",disp="keep",enabled="n",addr="0x20",times="0",ignore="3"}]}`;
  const { gdb, sent } = fakeGdb({ '-break-list': table });
  const rows = await breakList(gdb);
  assert.deepEqual(rows.map((r) => r.ignore), [undefined, undefined, undefined, '3'], 'the hits gdb still ignores (-break-after)');
  assert.deepEqual(rows.map((r) => [r.number, r.type, r.enabled, r.func, r.locations.map((l) => l.func)]), [
    ['1', 'breakpoint', 'y', 'fib', []], ['2', 'breakpoint', 'y', undefined, [undefined, 'g']],
    ['4', 'acc watchpoint', 'y', undefined, []], ['5', 'breakpoint', 'n', undefined, []],
  ]);
  assert.deepEqual(await enabledBreakpointLocations(gdb), [
    { number: '1', type: 'breakpoint', addr: '0x000000004008011c', cond: undefined },
    { number: '2', type: 'breakpoint', addr: '0x18', cond: 'x > 1' },
    { number: '4', type: 'acc watchpoint', addr: undefined, cond: undefined },
  ]);
  assert.deepEqual(sent, ['-break-list', '-break-list']);
});

void test('-break-watch (write, read, access: MI names each differently), -break-condition, -break-after, -break-disable, -break-enable', async () => {
  const { gdb, sent } = fakeGdb({
    '-break-watch "counter"': '^done,wpt={number="5",exp="counter"}',
    '-break-watch -r "counter"': '^done,hw-rwpt={number="6",exp="counter"}',
    '-break-watch -a "origin.x"': '^done,hw-awpt={number="4",exp="origin.x"}',
    '-break-condition 4 "origin.x == \\"a\\""': '^done',
    '-break-after 4 2': '^done',
    '-break-disable 1.1': '^done',
    '-break-enable 1': '^done',
  });
  assert.equal(await breakWatch(gdb, 'counter'), '5');
  assert.equal(await breakWatch(gdb, 'counter', 'read'), '6');
  assert.equal(await breakWatch(gdb, 'origin.x', 'readWrite'), '4');
  await breakCondition(gdb, '4', 'origin.x == "a"');
  await breakAfter(gdb, '4', 2);
  await breakDisable(gdb, '1.1');
  await breakEnable(gdb, '1');
  assert.equal(sent.length, 7);
});

void test('-symbol-info-functions and -symbol-info-variables: symbols by file', async () => {
  const { gdb, sent } = fakeGdb({
    '-symbol-info-functions --name "^fib$"': `^done,symbols={debug=[{filename="prog.c",fullname="${PROG}",symbols=[{line="44",name="fib",type="unsigned int (unsigned int)",description="unsigned int fib(unsigned int);"}]}]}`,
    '-symbol-info-variables': `^done,symbols={debug=[{filename="prog.c",fullname="${PROG}",symbols=[{line="22",name="banner",type="const char [25]",description="const char banner[25];"},{line="20",name="origin",type="struct point",description="struct point origin;"}]}],nondebug=[{address="0x40081000",name="stack_top"}]}`,
  });
  assert.deepEqual(await symbolInfoFunctions(gdb, '^fib$'), [{
    filename: 'prog.c', fullname: PROG,
    symbols: [{ line: '44', name: 'fib', type: 'unsigned int (unsigned int)', description: 'unsigned int fib(unsigned int);' }],
  }]);
  const vars = await symbolInfoVariables(gdb);
  assert.deepEqual(vars.flatMap((f) => f.symbols.map((s) => `${f.filename}:${s.name}:${s.line}`)), ['prog.c:banner:22', 'prog.c:origin:20']);
  assert.deepEqual(sent, ['-symbol-info-functions --name "^fib$"', '-symbol-info-variables']);
});

void test('threads, stack frames, depth, frame info and source files', async () => {
  const { gdb, sent } = fakeGdb({
    '-thread-info': '^done,threads=[{id="1",target-id="Thread 1.1",frame={level="0",addr="0x40080120",func="fib",args=[],arch="aarch64"},state="stopped"},{id="2",state="stopped"}],current-thread-id="1"',
    '-stack-list-frames --thread 1 0 63': `^done,stack=[frame={level="0",addr="0x0000000040080148",func="fib",file="prog.c",fullname="${PROG}",line="50",arch="aarch64"},frame={level="1",addr="0x0000000040080290",func="work",file="prog.c",fullname="${PROG}",line="70",arch="aarch64"},frame={level="2",addr="0x000000004008000c",func="_start",arch="aarch64"}]`,
    '-stack-info-depth --thread 1': '^done,depth="3"',
    '-stack-info-depth': '^done,depth="3"',
    '-stack-info-frame --thread 1 --frame 1': `^done,frame={level="1",addr="0x0000000040080290",func="work",file="prog.c",fullname="${PROG}",line="70",arch="aarch64"}`,
    '-stack-info-frame': `^done,frame={level="0",addr="0x0000000040080148",func="fib",file="prog.c",fullname="${PROG}",line="50",arch="aarch64"}`,
    '-file-list-exec-source-files': `^done,files=[{file="start-aarch64.S",fullname="/work/main/test/guests/start-aarch64.S",debug-fully-read="true"},{file="prog.c",fullname="${PROG}",debug-fully-read="true"}]`,
  });
  assert.deepEqual(await threadInfo(gdb), [{ id: '1', targetId: 'Thread 1.1' }, { id: '2', targetId: undefined }]);
  const frames = await stackListFrames(gdb, 1, 0, 63);
  assert.deepEqual(frames.map((f) => [f.level, f.func, f.line, f.addr, f.fullname]), [
    ['0', 'fib', '50', '0x0000000040080148', PROG], ['1', 'work', '70', '0x0000000040080290', PROG], ['2', '_start', undefined, '0x000000004008000c', undefined],
  ]);
  assert.equal(await stackInfoDepth(gdb, 1), 3);
  assert.equal(await stackInfoDepth(gdb), 3);
  assert.equal((await stackInfoFrame(gdb, { thread: 1, frame: 1 }))?.func, 'work');
  assert.equal((await stackInfoFrame(gdb))?.line, '50');
  assert.deepEqual((await fileListExecSourceFiles(gdb)).map((f) => f.file), ['start-aarch64.S', 'prog.c']);
  assert.deepEqual(sent, ['-thread-info', '-stack-list-frames --thread 1 0 63', '-stack-info-depth --thread 1', '-stack-info-depth',
    '-stack-info-frame --thread 1 --frame 1', '-stack-info-frame', '-file-list-exec-source-files']);
});

void test('-stack-list-variables: locals and arguments; a frame without debug information has none', async () => {
  const { gdb } = fakeGdb({
    '-stack-list-variables --thread 1 --frame 0 --simple-values': '^done,variables=[{name="n",arg="1",type="unsigned int",value="5"},{name="a",type="unsigned int",value="0"},{name="p",type="struct point"}]',
    '-stack-list-variables --thread 1 --frame 2 --simple-values': '^error,msg="No symbol table info available."',
    '-stack-list-variables --thread 9 --frame 0 --simple-values': '^error,msg="Invalid thread id: 9"',
  });
  assert.deepEqual(await stackListVariables(gdb, { thread: 1, frame: 0 }), [
    { name: 'n', arg: true, type: 'unsigned int', value: '5' }, { name: 'a', arg: false, type: 'unsigned int', value: '0' },
    { name: 'p', arg: false, type: 'struct point', value: undefined },
  ]);
  assert.deepEqual(await stackListVariables(gdb, { thread: 1, frame: 2 }), []);
  await assert.rejects(stackListVariables(gdb, { thread: 9, frame: 0 }), /Invalid thread id: 9/);
});

void test('variable objects: create (in a frame or the current one), children (a page of an array), path, delete', async () => {
  const { gdb, sent } = fakeGdb({
    '-var-create --thread 1 --frame 0 - * "origin"': '^done,name="var1",numchild="2",value="{...}",type="struct point",has_more="0"',
    '-var-create - * "squares"': '^done,name="var2",numchild="64",value="[64]",type="int [64]",has_more="0"',
    '-var-list-children --all-values var1': '^done,numchild="2",children=[child={name="var1.x",exp="x",numchild="0",value="3",type="int"},child={name="var1.y",exp="y",numchild="0",value="4",type="int"}],has_more="0"',
    '-var-list-children --all-values var2 3 5': '^done,numchild="2",children=[child={name="var2.3",exp="3",numchild="0",value="9",type="int"},child={name="var2.4",exp="4",numchild="0",value="16",type="int"}],has_more="1"',
    '-var-info-path-expression var1.y': '^done,path_expr="(origin).y"',
    '-var-delete var1': '^done,ndeleted="3"',
    '-var-create - * "nosuch"': '^error,msg="-var-create: unable to create variable object"',
  });
  assert.deepEqual(await varCreate(gdb, 'origin', { thread: 1, frame: 0 }), { name: 'var1', exp: undefined, numchild: 2, value: '{...}', type: 'struct point' });
  assert.equal((await varCreate(gdb, 'squares')).numchild, 64);
  assert.deepEqual((await varListChildren(gdb, 'var1')).map((c) => [c.name, c.exp, c.value, c.numchild]), [['var1.x', 'x', '3', 0], ['var1.y', 'y', '4', 0]]);
  assert.deepEqual((await varListChildren(gdb, 'var2', { from: 3, to: 5 })).map((c) => c.exp), ['3', '4']);
  assert.equal(await varInfoPathExpression(gdb, 'var1.y'), '(origin).y');
  await varDelete(gdb, 'var1');
  await assert.rejects(varCreate(gdb, 'nosuch'), GdbError);
  assert.deepEqual(sent, ['-var-create --thread 1 --frame 0 - * "origin"', '-var-create - * "squares"', '-var-list-children --all-values var1',
    '-var-list-children --all-values var2 3 5', '-var-info-path-expression var1.y', '-var-delete var1', '-var-create - * "nosuch"']);
});

void test('registers: names by number, values in hex and natural format of one frame', async () => {
  const { gdb, sent } = fakeGdb({
    '-data-list-register-names': '^done,register-names=["x0","x1","","pc","cpsr"]',
    '-data-list-register-values --thread 1 --frame 0 x 0 1 3 4': '^done,register-values=[{number="0",value="0x5"},{number="1",value="0x0"},{number="3",value="0x40080148"},{number="4",value="0x600003c5"}]',
    '-data-list-register-values --thread 1 --frame 0 N 3': '^done,register-values=[{number="3",value="0x40080148 <fib+44>"}]',
  });
  assert.deepEqual(await dataListRegisterNames(gdb), ['x0', 'x1', '', 'pc', 'cpsr']);
  const values = await dataListRegisterValues(gdb, 'x', [0, 1, 3, 4], { thread: 1, frame: 0 });
  assert.deepEqual(values.map((v) => [v.number, v.value]), [[0, '0x5'], [1, '0x0'], [3, '0x40080148'], [4, '0x600003c5']]);
  assert.deepEqual(await dataListRegisterValues(gdb, 'N', [3], { thread: 1, frame: 0 }), [{ number: 3, value: '0x40080148 <fib+44>' }]);
  assert.equal(sent.length, 3);
});

void test('evaluate in a frame, memory chunks, disassembly with source lines, completion', async () => {
  const { gdb, sent } = fakeGdb({
    '-data-evaluate-expression --thread 1 --frame 0 "&(banner)"': '^done,value="(const char (*)[25]) 0x40080398 <banner>"',
    '-data-evaluate-expression "&(banner)"': '^done,value="0x40080398 <banner>"',
    '-data-read-memory-bytes 0x40080000 8': '^done,memory=[{begin="0x0000000040080000",offset="0x0000000000000000",end="0x0000000040080008",contents="000100581f000091"}]',
    '-data-disassemble -s 0x40080000 -e 0x40080008 -- 5': '^done,asm_insns=[src_and_asm_line={line="5",file="start-aarch64.S",fullname="/work/main/test/guests/start-aarch64.S",line_asm_insn=[{address="0x0000000040080000",func-name="_start",offset="0",opcodes="00 01 00 58",inst="ldr\\tx0, 0x40080020 <_start+32>"}]},src_and_asm_line={line="6",file="start-aarch64.S",fullname="/work/main/test/guests/start-aarch64.S",line_asm_insn=[{address="0x0000000040080004",func-name="_start",offset="4",opcodes="1f 00 00 91",inst="mov\\tsp, x0"}]}]',
    '-data-disassemble -s 0x1000 -e 0x1008 -- 5': '^done,asm_insns=[{address="0x0000000000001000",opcodes="1f 20 03 d5",inst="nop"},{address="0x0000000000001004",opcodes="1f 20 03 d5",inst="nop"}]',
    '-complete "print squ"': '^done,completion="print squares",matches=["print squares"],max_completions_reached="0"',
  });
  assert.equal(await evaluateExpression(gdb, '&(banner)', { thread: 1, frame: 0 }), '(const char (*)[25]) 0x40080398 <banner>');
  assert.equal(await evaluateExpression(gdb, '&(banner)'), '0x40080398 <banner>');
  assert.deepEqual(await dataReadMemoryBytes(gdb, '0x40080000', 8), [{ begin: '0x0000000040080000', contents: '000100581f000091' }]);
  const lines = await dataDisassembleWithSource(gdb, 0x40080000n, 0x40080008n);
  assert.deepEqual(lines.map((l) => [l.file, l.line, l.instructions.map((i) => [i.address, i.funcName, i.offset, i.opcodes, i.inst])]), [
    ['start-aarch64.S', '5', [['0x0000000040080000', '_start', '0', '00 01 00 58', 'ldr\tx0, 0x40080020 <_start+32>']]],
    ['start-aarch64.S', '6', [['0x0000000040080004', '_start', '4', '1f 00 00 91', 'mov\tsp, x0']]],
  ]);
  // Without line information gdb lists bare instructions: each its own group, with no file or line.
  const bare = await dataDisassembleWithSource(gdb, 0x1000n, 0x1008n);
  assert.deepEqual(bare.map((l) => [l.fullname, l.line, l.instructions.map((i) => i.inst)]), [[undefined, undefined, ['nop']], [undefined, undefined, ['nop']]]);
  assert.deepEqual(await complete(gdb, 'print squ'), ['print squares']);
  assert.equal(sent.length, 6);
});
