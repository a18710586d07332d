import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_MI_NESTING, MiParseError, MiRecord, miList, miString, miTuple, parseMiLine } from '../../adapter/gdb/miParser';
import { miQuote } from '../../adapter/gdb/gdb';

// Output shapes as gdb 12 (gdb-multiarch, --interpreter=mi3) prints them against QEMU's gdbstub.
const valid: Array<[string, string, MiRecord]> = [
  ['bare result', '^done', { kind: 'result', token: undefined, resultClass: 'done', results: {} }],
  ['token', '123^running', { kind: 'result', token: 123, resultClass: 'running', results: {} }],
  ['token 0', '0^connected', { kind: 'result', token: 0, resultClass: 'connected', results: {} }],
  ['error with escaped quotes', '7^error,msg="No symbol \\"foo\\" in current context."',
    { kind: 'result', token: 7, resultClass: 'error', results: { msg: 'No symbol "foo" in current context.' } }],
  ['error with code', '^error,msg="Undefined MI command: frob",code="undefined-command"',
    { kind: 'result', token: undefined, resultClass: 'error', results: { msg: 'Undefined MI command: frob', code: 'undefined-command' } }],
  ['breakpoint insert', '2^done,bkpt={number="1",type="breakpoint",disp="keep",enabled="y",addr="0x0000000040000010",func="main",file="prog.c",fullname="/ws/prog.c",line="12",thread-groups=["i1"],times="0",original-location="main"}',
    { kind: 'result', token: 2, resultClass: 'done', results: { bkpt: {
      number: '1', type: 'breakpoint', disp: 'keep', enabled: 'y', addr: '0x0000000040000010', func: 'main', file: 'prog.c',
      fullname: '/ws/prog.c', line: '12', 'thread-groups': ['i1'], times: '0', 'original-location': 'main' } } }],
  ['stopped with nested frame and empty args', '*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",frame={addr="0x40000010",func="main",args=[],file="prog.c",fullname="/ws/prog.c",line="12",arch="aarch64"},thread-id="1",stopped-threads="all",core="0"',
    { kind: 'exec', token: undefined, asyncClass: 'stopped', results: {
      reason: 'breakpoint-hit', disp: 'keep', bkptno: '1',
      frame: { addr: '0x40000010', func: 'main', args: [], file: 'prog.c', fullname: '/ws/prog.c', line: '12', arch: 'aarch64' },
      'thread-id': '1', 'stopped-threads': 'all', core: '0' } }],
  ['reverse stop as a signal', '*stopped,reason="signal-received",signal-name="SIGTRAP",signal-meaning="Trace/breakpoint trap",frame={addr="0x0000000040000000",func="_start",args=[]},thread-id="1",stopped-threads="all"',
    { kind: 'exec', token: undefined, asyncClass: 'stopped', results: {
      reason: 'signal-received', 'signal-name': 'SIGTRAP', 'signal-meaning': 'Trace/breakpoint trap',
      frame: { addr: '0x0000000040000000', func: '_start', args: [] }, 'thread-id': '1', 'stopped-threads': 'all' } }],
  ['running', '*running,thread-id="all"', { kind: 'exec', token: undefined, asyncClass: 'running', results: { 'thread-id': 'all' } }],
  ['notify', '=thread-group-started,id="i1",pid="42000"',
    { kind: 'notify', token: undefined, asyncClass: 'thread-group-started', results: { id: 'i1', pid: '42000' } }],
  ['status', '+download,section=".text",section-size="1024"',
    { kind: 'status', token: undefined, asyncClass: 'download', results: { section: '.text', 'section-size': '1024' } }],
  ['list of results (stack)', '^done,stack=[frame={level="0",addr="0x40000010",func="main",file="prog.c",line="12"},frame={level="1",addr="0x40000100",func="_start"}]',
    { kind: 'result', token: undefined, resultClass: 'done', results: { stack: [
      { level: '0', addr: '0x40000010', func: 'main', file: 'prog.c', line: '12' },
      { level: '1', addr: '0x40000100', func: '_start' }] } }],
  ['list of values with empty names', '^done,register-names=["x0","x1","","pc"]',
    { kind: 'result', token: undefined, resultClass: 'done', results: { 'register-names': ['x0', 'x1', '', 'pc'] } }],
  ['list of tuples', '^done,register-values=[{number="0",value="0x0"},{number="32",value="0x40000010 <main>"}]',
    { kind: 'result', token: undefined, resultClass: 'done', results: { 'register-values': [
      { number: '0', value: '0x0' }, { number: '32', value: '0x40000010 <main>' }] } }],
  ['nested lists and tuples', '^done,threads=[{id="1",target-id="Thread 1.1",frame={level="0",args=[{name="argc",value="1"}]},state="stopped"}],current-thread-id="1"',
    { kind: 'result', token: undefined, resultClass: 'done', results: {
      threads: [{ id: '1', 'target-id': 'Thread 1.1', frame: { level: '0', args: [{ name: 'argc', value: '1' }] }, state: 'stopped' }],
      'current-thread-id': '1' } }],
  ['list of lists', '^done,m=[["a"],[],[{}]]', { kind: 'result', token: undefined, resultClass: 'done', results: { m: [['a'], [], [{}]] } }],
  ['empty tuple', '^done,frame={}', { kind: 'result', token: undefined, resultClass: 'done', results: { frame: {} } }],
  ['console with newline escape', '~"Breakpoint 1 at 0x40000010: file prog.c, line 12.\\n"',
    { kind: 'console', text: 'Breakpoint 1 at 0x40000010: file prog.c, line 12.\n' }],
  ['target stream', '@"hello from the guest\\r\\n"', { kind: 'target', text: 'hello from the guest\r\n' }],
  ['log stream', '&"warning: No executable has been specified\\n"', { kind: 'log', text: 'warning: No executable has been specified\n' }],
  ['all simple escapes', '~"a\\tb\\\\c\\"d\\ee\\af\\bg\\fh\\vi\\\'j"', { kind: 'console', text: 'a\tb\\c"d\x1be\x07f\bg\fh\vi\'j' }],
  ['octal UTF-8 bytes', '~"$1 = \\"caf\\303\\251\\"\\n"', { kind: 'console', text: '$1 = "café"\n' }],
  ['octal non-BMP (4 UTF-8 bytes)', '~"\\360\\237\\230\\200!"', { kind: 'console', text: '😀!' }],
  ['octal control characters, short forms', '~"\\033[0m\\0\\12x"', { kind: 'console', text: '\x1b[0m\0\nx' }],
  ['raw UTF-8 text, BMP and non-BMP', '~"é ü 中 😀 𝄞"', { kind: 'console', text: 'é ü 中 😀 𝄞' }],
  ['prompt', '(gdb)', { kind: 'prompt' }],
  ['prompt with trailing space', '(gdb) ', { kind: 'prompt' }],
  ['prompt with CR', '(gdb) \r', { kind: 'prompt' }],
  ['CRLF line', '^done,value="1"\r', { kind: 'result', token: undefined, resultClass: 'done', results: { value: '1' } }],
  ['CR inside a string stays', '~"a\\r"\r', { kind: 'console', text: 'a\r' }],
];

for (const [name, line, expected] of valid) {
  void test(`parses ${name}: ${line.slice(0, 60)}`, () => {
    assert.deepEqual(parseMiLine(line), expected);
  });
}

void test('repeated names become one array, in order, however many there are (-thread-list-ids)', () => {
  const r = parseMiLine('^done,thread-ids={thread-id="4",thread-id="3",thread-id="2",thread-id="1"},current-thread-id="1",number-of-threads="4"');
  assert.equal(r.kind, 'result');
  assert.deepEqual(r.kind === 'result' && r.results['thread-ids'], { 'thread-id': ['4', '3', '2', '1'] });
  // Top level too, and a repeated name whose first value is itself a list is not flattened into it.
  const s = parseMiLine('^done,a=["x"],a=["y"],a="z",a={}');
  assert.deepEqual(s.kind === 'result' && s.results.a, [['x'], ['y'], 'z', {}]);
  const t = parseMiLine('^done,a="1",b="2",a="3"');
  assert.deepEqual(t.kind === 'result' && t.results, { a: ['1', '3'], b: '2' });
});

void test('names that exist on Object.prototype are plain data, never the prototype', () => {
  const r = parseMiLine('^done,__proto__={polluted="yes"},toString="x",constructor="y",hasOwnProperty={}');
  assert.ok(r.kind === 'result');
  const results = r.results;
  assert.equal(Object.getPrototypeOf(results), Object.prototype);
  assert.deepEqual(Object.keys(results), ['__proto__', 'toString', 'constructor', 'hasOwnProperty']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(results, '__proto__')?.value, { polluted: 'yes' });
  assert.equal((results as Record<string, unknown>).polluted, undefined);
  const own = (name: string): unknown => Object.getOwnPropertyDescriptor(results, name)?.value;
  assert.equal(own('toString'), 'x');
  assert.equal(own('constructor'), 'y');
  assert.deepEqual(own('hasOwnProperty'), {});
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

void test('typed accessors', () => {
  const r = parseMiLine('^done,s="x",t={a="1"},l=["1","2"]');
  assert.ok(r.kind === 'result');
  assert.equal(miString(r.results.s), 'x');
  assert.equal(miString(r.results.t), undefined);
  assert.deepEqual(miTuple(r.results.t), { a: '1' });
  assert.equal(miTuple(r.results.l), undefined);
  assert.equal(miTuple(r.results.s), undefined);
  assert.deepEqual(miList(r.results.l), ['1', '2']);
  assert.deepEqual(miList(r.results.s), ['x']);
  assert.deepEqual(miList(undefined), []);
});

const malformed: Array<[string, RegExp, number]> = [
  // [line, message, column (1-based) of the offending character, or one past the end]
  ['', /unexpected end of line/, 1],
  ['hello', /unexpected record marker "h"/, 1],
  ['12', /unexpected end of line/, 3],
  ['^', /expected a name/, 2],
  ['^5done', /expected a name/, 2],
  ['^done,', /expected a name/, 7],
  ['^done x="1"', /expected ","/, 6],
  ['^done,x', /unexpected end of line/, 8],
  ['^done,x:"1"', /expected "="/, 8],
  ['^done,x=', /expected a value/, 9],
  ['^done,x=1', /expected a value/, 9],
  ['^done,x="abc', /unterminated string/, 13],
  ['^done,x="a\\q"', /invalid escape \\q/, 11],
  ['^done,x="a\\', /unexpected end of line/, 12],
  ['^done,x={a="1"', /unexpected end of line/, 15],
  ['^done,x={a="1";b="2"}', /expected "," or "}"/, 15],
  ['^done,x={="1"}', /expected a name/, 10],
  ['^done,x=["1" "2"]', /expected "," or "]"/, 13],
  ['^done,x=["1",]', /expected a name/, 14],
  ['^done,x=[', /expected a name/, 10],
  ['*stopped,reason="x"garbage', /expected ","/, 20],
  ['~"text" trailing', /unexpected text after the record/, 8],
  ['~text', /expected a string/, 2],
  ['5~"x"', /unexpected record marker "~"/, 2],
  ['+download,{section=".text"}', /expected a name/, 11],
  ['(gdb) extra', /unexpected record marker "\("/, 1],
  ['\u0000', /unexpected record marker "\\u0000"/, 1],
];

for (const [line, message, column] of malformed) {
  void test(`rejects ${JSON.stringify(line)} with MiParseError`, () => {
    assert.throws(() => parseMiLine(line), (err: unknown) => {
      assert.ok(err instanceof MiParseError, `not a MiParseError: ${String(err)}`);
      assert.match(err.message, message);
      assert.match(err.message, new RegExp(`at column ${column} of gdb/MI line: `));
      assert.equal(err.offset, column - 1);
      assert.equal(err.line, line);
      return true;
    });
  });
}

void test('nesting deeper than MAX_MI_NESTING is a MiParseError, not a stack overflow', () => {
  const ok = `^done,a=${'['.repeat(MAX_MI_NESTING)}${']'.repeat(MAX_MI_NESTING)}`;
  assert.equal(parseMiLine(ok).kind, 'result');
  for (const depth of [MAX_MI_NESTING + 1, 20_000, 200_000]) {
    for (const [open, close] of [['[', ']'], ['{a=', '}']]) {
      const line = `^done,a=${open.repeat(depth)}${close.repeat(depth)}`;
      assert.throws(() => parseMiLine(line), (err: unknown) =>
        err instanceof MiParseError && /nested deeper than 512 levels/.test(err.message));
    }
  }
  // Depth is counted along a path, not in total: many shallow siblings are fine.
  const wide = `^done,a=[${Array.from({ length: 5000 }, () => '{b=["x"]}').join(',')}]`;
  const r = parseMiLine(wide);
  assert.equal(r.kind === 'result' && (r.results.a as unknown[]).length, 5000);
});

void test('a line with 50,000 results parses', () => {
  const line = '^done,' + Array.from({ length: 50_000 }, (_, i) => `n${i}="v${i}\\n"`).join(',');
  const r = parseMiLine(line);
  assert.equal(r.kind === 'result' && r.results.n49999, 'v49999\n');
});

// miQuote: user text becomes exactly one C-string argument.
/** Well-formed text of any code points, weighted to ASCII (fc.string's 'binary' unit is slow to generate). */
const anyText = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
  fc.integer({ min: 0x80, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0x10ffff }),
), { maxLength: 200 }).map((cps) => String.fromCodePoint(...cps));

const unquote = (quoted: string): string => {
  const r = parseMiLine(`~${quoted}`); // the console stream record holds exactly one C string, then the end of line
  assert.ok(r.kind === 'console');
  return r.text;
};

void test('miQuote round-trips through the C-string rules of the parser, for any text', () => {
  fc.assert(fc.property(anyText, (s) => {
    const q = miQuote(s);
    assert.equal(unquote(q), s);
    assert.ok(!/[\n\r\0]/.test(q), 'raw newline, CR or NUL in the quoted text');
    assert.ok(q.startsWith('"') && q.endsWith('"'));
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\t', '\x1b', '\x7f', '\0', 'a', ' ', ';', '-', 'é', '😀'), maxLength: 60 }), (s) => {
    assert.equal(unquote(miQuote(s)), s);
  }), { numRuns: 500 });
});

void test('miQuote neutralises injection attempts', () => {
  const attempts = [
    '"; -gdb-exit', 'x" -gdb-exit', 'main\n-gdb-exit', 'main\r\n-gdb-exit', 'main\r-gdb-exit', '\\"\n-gdb-exit',
    'a\\', '\\', '"', '""', 'x\\" "y', '\0-gdb-exit', 'shell rm -rf /', '\u2028-gdb-exit',
  ];
  for (const text of attempts) {
    const q = miQuote(text);
    const command = `5-interpreter-exec console ${q}`;
    assert.equal(command.split(/\r\n|\r|\n/).length, 1, `${JSON.stringify(text)} split the command into lines`);
    assert.equal(unquote(q), text, `${JSON.stringify(text)} did not stay one argument`);
  }
  assert.equal(miQuote('"; -gdb-exit'), '"\\"; -gdb-exit"');
  assert.equal(miQuote('a\nb'), '"a\\nb"');
  assert.equal(miQuote('\x01\x7f'), '"\\001\\177"');
  assert.equal(miQuote('é'), '"é"');
});
