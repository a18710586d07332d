// Doc comments with today's rules (QEMU's docs/devel/qapi-code-gen.rst "Documentation comments", QEMU 10.x):
//
// - a definition's doc comment names it on its first line (`# @NAME:`); then come paragraphs of the overview,
//   the `@member:` descriptions (one block), the `Features:` line with `@feature:` descriptions, and tagged
//   sections `Returns:`, `Errors:`, `Since:`, `TODO:`, in any order after the members;
// - a description or tagged section goes on in the lines below only when they are indented (by 4 spaces by
//   convention): its second continuation line must not be indented less than its first one, and a line that is
//   not indented after a blank line starts something new;
// - `Note:` and `Example:` sections are gone (rST's `.. note::` and `.. qmp-example::` replace them);
// - every line is at most 70 columns (URLs excepted) and sentences are separated by two spaces, except inside
//   literal blocks (after a line `::` or `.. qmp-example::`, as long as the indentation lasts);
// - sections other than the overview need text.
//
// Written from that description and checked against QEMU's own checker on its test suite and real schema.

import { DocError, type DocComment, type DocSection, type Span } from './ast';
import type { DocCommentBuilder } from './doc';
import type { Token } from './lexer';

type Kind = 'plain' | 'member' | 'feature' | 'Returns' | 'Errors' | 'Since' | 'TODO';

interface Open {
  readonly section: DocSection;
  readonly kind: Kind;
  /** Continuation lines of a description or tagged section lose this many columns in the section's text. */
  indent: number;
}

/** `@name:` at the start of a line, and the spaces after it. */
const AT_NAME_COLON = /^@([^:]*): */;
/** A tagged section; `Since::` and the like are rST markup, not tags. */
const TAG = /^(Returns|Errors|Since|Notes?|Examples?|TODO)(?!::): */;
/** A line that starts a literal block: `::` alone, or the `.. qmp-example::` directive. */
const LITERAL_START = /^(\.\. +qmp-example)? *::$/;
const URL_LINE = /^ *(https?|ftp):\/\/[^ ]*$/;
/** A sentence end followed by one space and the start of a sentence; `e.g.` and list numbers `1.` do not count. */
const SENTENCE_GAP = /(\be\.g\.|^ *\d\.|([.!?])) [A-Z0-9(]/g;
const MAX_COLUMNS = 70;

const leading = (s: string): number => /^\s*/.exec(s)![0].length;

/** Python's str.title() of the kinds, as QEMU names them in "text required after 'Member:'". */
const KIND_TITLE: Record<Exclude<Kind, 'plain'>, string> = {
  member: 'Member', feature: 'Feature', Returns: 'Returns', Errors: 'Errors', Since: 'Since', TODO: 'Todo',
};

export class UpstreamDocBuilder implements DocCommentBuilder {
  private lines: readonly Token[] = [];
  private index = -1;
  /** The line being read, for error positions: the closing `##` (or the end) once the lines are used up. */
  private at: Span = { start: 0, end: 0 };
  private end: Span = { start: 0, end: 0 };
  private literal = false;
  private literalIndent = 0;
  private readonly all: Open[];

  constructor(readonly doc: DocComment) {
    this.all = [{ section: doc.body, kind: 'plain', indent: 0 }];
  }

  parseLines(lines: readonly Token[], end: Span): void {
    this.lines = lines;
    this.end = end;
    const line = this.next();
    if (line !== null && line.startsWith('@')) this.definition(line);
    else this.freeForm(line);
  }

  finish(close: Token): void {
    this.at = close;
    for (const open of this.all) {
      open.section.text = open.section.text.replace(/^\n+|\n+$/g, '');
      if (open.kind !== 'plain' && open.section.text === '') {
        throw new DocError(this.lineSpan(open.section.start), `text required after '${KIND_TITLE[open.kind]}:'`);
      }
    }
  }

  private definition(first: string): void {
    const doc = this.doc;
    if (!first.endsWith(':')) this.fail("line should end with ':'");
    doc.symbol = first.slice(1, -1);
    doc.symbolSpan = { start: this.at.start + 3, end: this.at.start + 3 + doc.symbol.length };
    if (!doc.symbol) this.fail("name required after '@'");
    let line = this.next();
    let noMoreArgs = false;
    while (line !== null) {
      while (line === '') line = this.next();
      if (line === null) break;
      let m: RegExpExecArray | null;
      if (line === 'Features:') {
        if (doc.features.size) this.fail("duplicated 'Features:' line");
        line = this.next();
        while (line === '') line = this.next();
        while (line !== null && (m = AT_NAME_COLON.exec(line))) {
          this.describe(m[1], 'feature');
          line = this.rest(line, m[0].length);
        }
        if (!doc.features.size) this.fail('feature descriptions expected');
        noMoreArgs = true;
      } else if ((m = AT_NAME_COLON.exec(line))) {
        if (noMoreArgs) this.fail(`description of '@${m[1]}:' follows a section`);
        while (line !== null && (m = AT_NAME_COLON.exec(line))) {
          this.describe(m[1], 'member');
          line = this.rest(line, m[0].length);
        }
        noMoreArgs = true;
      } else if ((m = TAG.exec(line))) {
        const tag = m[1];
        if (tag.startsWith('Note')) {
          this.fail(`The '${tag}' section is no longer supported. Please use rST's '.. note::' or '.. admonition:: notes' `
            + 'directives, or another suitable admonition instead.');
        }
        if (tag.startsWith('Example')) {
          this.fail(`The '${tag}' section is no longer supported. Please use the '.. qmp-example::' directive, `
            + 'or other suitable markup instead.');
        }
        this.tagged(tag as Kind);
        line = this.rest(line, m[0].length);
        noMoreArgs = true;
      } else {
        this.untagged();
        this.append(line);
        line = this.paragraph();
      }
    }
  }

  private freeForm(first: string | null): void {
    let line = first;
    while (line !== null) {
      const m = AT_NAME_COLON.exec(line);
      if (m) this.fail(`'@${m[1]}:' not allowed in free-form documentation`);
      this.append(line);
      line = this.next();
    }
  }

  /** The text after a tag on its line, then the section's indented continuation; returns the next line. */
  private rest(line: string, tagLength: number): string | null {
    const text = line.slice(tagLength);
    if (text) this.append(text);
    return this.indented();
  }

  /** Continuation lines of a description or tagged section: they are indented. Returns the first line after. */
  private indented(): string | null {
    let line = this.next();
    while (line === '') {
      this.append('');
      line = this.next();
    }
    if (line === null) return null;
    const indent = leading(line);
    if (!indent) return line;
    const open = this.all[this.all.length - 1];
    open.indent = indent;
    this.append(line);
    let prevBlank = false;
    for (;;) {
      line = this.next();
      if (line === null || AT_NAME_COLON.test(line)) return line;
      if (line !== '' && leading(line) < indent) {
        if (prevBlank) return line;
        this.fail(`unexpected de-indent (expected at least ${indent} spaces)`);
      }
      this.append(line);
      // As QEMU's checker does: only the first continuation line must be followed by one indented as much.
      prevBlank = true;
    }
  }

  /** A plain paragraph goes on to the next blank line. */
  private paragraph(): string | null {
    for (;;) {
      const line = this.next();
      if (line === null || line === '') return line;
      this.append(line);
    }
  }

  private describe(name: string, kind: 'member' | 'feature'): void {
    const table = kind === 'feature' ? this.doc.features : this.doc.args;
    if (!name) this.fail('invalid parameter name');
    if (table.has(name)) this.fail(`'${name}' parameter name duplicated`);
    const section: DocSection = { name, start: this.at.start, text: '' };
    table.set(name, section);
    this.all.push({ section, kind, indent: 0 });
  }

  private tagged(kind: Kind): void {
    if ((kind === 'Returns' || kind === 'Errors' || kind === 'Since') && this.doc.sections.some((s) => s.name === kind)) {
      this.fail(`duplicated '${kind}' section`);
    }
    const section: DocSection = { name: kind, start: this.at.start, text: '' };
    this.doc.sections.push(section);
    this.all.push({ section, kind, indent: 0 });
  }

  /** A plain paragraph continues the overview or the untagged section before it, or starts one. */
  private untagged(): void {
    const last = this.all[this.all.length - 1];
    if (last.kind === 'plain') {
      last.section.text += '\n';
      return;
    }
    const section: DocSection = { name: '', start: this.at.start, text: '' };
    this.doc.sections.push(section);
    this.all.push({ section, kind: 'plain', indent: 0 });
  }

  private append(line: string): void {
    const open = this.all[this.all.length - 1];
    const text = open.indent && line !== '' ? line.slice(Math.min(open.indent, leading(line))) : line;
    open.section.text += text + '\n';
  }

  /** The next line without its `# `, checked for length and sentence spacing; null at the closing `##`. */
  private next(): string | null {
    const token = this.lines[++this.index];
    if (!token) {
      this.index = this.lines.length;
      this.at = this.end;
      this.literal = false;
      return null;
    }
    this.at = token;
    const value = token.value;
    if (value === '#') return '';
    if (value[1] !== ' ') this.fail('missing space after #');
    const line = value.slice(2).trimEnd();
    if (LITERAL_START.test(line)) {
      this.literal = true;
      this.literalIndent = 0;
    } else if (this.literal && line) {
      const indent = leading(line);
      if (this.literalIndent === 0) this.literalIndent = indent;
      else if (indent < this.literalIndent) this.literal = false;   // rST directives stop at a de-indent
    }
    if (!this.literal) this.checkFormat(line);
    return line;
  }

  private checkFormat(line: string): void {
    if (line.length + 2 > MAX_COLUMNS && [...line].length + 2 > MAX_COLUMNS && !URL_LINE.test(line)) {
      this.fail(`documentation line longer than ${MAX_COLUMNS} characters`);
    }
    if (!/[.!?] [A-Z0-9(]/.test(line)) return;
    SENTENCE_GAP.lastIndex = 0;
    for (let m = SENTENCE_GAP.exec(line); m; m = SENTENCE_GAP.exec(line)) {
      if (!m[2]) continue;
      const column = this.at.start + 2 + m.index + m[0].indexOf(m[2]) + 1;
      throw new DocError({ start: column, end: column + 1 },
        'Use two spaces between sentences. If this is not the end of a sentence, it is a false alarm of QEMU\'s rule');
    }
  }

  private lineSpan(start: number): Span {
    const line = this.lines.find((l) => l.start === start);
    return line ? { start: line.start, end: line.end } : { start, end: start + 1 };
  }

  private fail(message: string): never {
    throw new DocError({ start: this.at.start, end: this.at.end }, message);
  }
}
