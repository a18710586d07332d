// Doc comments. A doc comment is a block of `#` lines between two `##` lines; when its first line is `# @NAME:`
// it documents the definition NAME and is split into the body, `@member:` descriptions, a `Features:` list and
// tagged sections (`Returns:`, `Since:`…). Which sections exist and how continuation lines are indented depend on
// the QEMU the schema belongs to (dialect.ts): this file has QEMU 7.2's rules, docUpstream.ts today's. Both follow
// qapi-code-gen.rst "Documentation comments" of their QEMU; the first violation ends the parse of the block with a
// `DocError`, like QEMU's generator.

import { DocError, type DocComment, type DocSection, type Span } from './ast';
import type { DialectId } from './dialect';
import { UpstreamDocBuilder } from './docUpstream';
import type { Token } from './lexer';

export { DocError };

const SECTION_TAGS = new Set(['Returns:', 'Since:', 'Note:', 'Notes:', 'Example:', 'Examples:', 'TODO:']);

type State = 'body' | 'args' | 'features' | 'various';

interface OpenSection {
  readonly section: DocSection;
  readonly indent: number;
}

const firstWord = (line: string): string => {
  const sp = line.indexOf(' ');
  return sp === -1 ? line : line.slice(0, sp);
};
const isMemberTag = (word: string): boolean => word.startsWith('@') && word.endsWith(':');
const leadingSpaces = (s: string): number => s.length - s.trimStart().length;

/** What the parser needs of a doc comment builder: the lines between the `##`, then the closing `##`. */
export interface DocCommentBuilder {
  readonly doc: DocComment;
  /** Parses the `#` lines (the opening and closing `##` excluded); throws DocError on the first rule broken. */
  parseLines(lines: readonly Token[], end: Span): void;
  /** After the closing `##`: checks that need the whole block (empty sections); throws DocError. */
  finish(close: Token): void;
}

/** An empty doc comment starting at its opening `##`; the parser records its lines. */
export function newDocComment(open: Token): DocComment {
  const body: DocSection = { name: '', start: open.start, text: '' };
  return {
    start: open.start, end: open.end, symbol: undefined, symbolSpan: undefined, body,
    args: new Map(), features: new Map(), sections: [], lineStarts: [open.start], broken: false,
  };
}

export function docBuilder(dialect: DialectId, doc: DocComment): DocCommentBuilder {
  return dialect === 'qemu-7.2' ? new LegacyDocBuilder(doc) : new UpstreamDocBuilder(doc);
}

/** QEMU 7.2's rules: continuation lines indented like the text after the tag, `Example:` and `Note:` sections. */
class LegacyDocBuilder implements DocCommentBuilder {
  readonly doc: DocComment;
  private state: State = 'body';
  private current: OpenSection | undefined;
  private line!: Token;

  constructor(doc: DocComment) {
    this.doc = doc;
    this.current = { section: doc.body, indent: 0 };
  }

  parseLines(lines: readonly Token[]): void {
    for (const line of lines) this.append(line);
  }

  /** Feeds one `#` line; throws DocError on the first rule it breaks. */
  private append(token: Token): void {
    this.line = token;
    if (token.value.startsWith('# =') && this.doc.symbol !== undefined) {
      this.fail("unexpected '=' markup in definition documentation");
    }
    let line = token.value.slice(1);
    if (line === '') {
      this.freeform('');
      return;
    }
    if (line[0] !== ' ') this.fail('missing space after #');
    line = line.slice(1);
    switch (this.state) {
      case 'body': return this.bodyLine(line);
      case 'args': return this.argsLine(line, false);
      case 'features': return this.argsLine(line, true);
      case 'various': return this.variousLine(line);
    }
  }

  /** The closing `##`. */
  finish(close: Token): void {
    this.line = close;
    this.endSection();
  }

  private bodyLine(line: string): void {
    const doc = this.doc;
    const word = firstWord(line);
    if (doc.symbol === undefined && doc.body.text === '' && line.startsWith('@')) {
      if (!line.endsWith(':')) this.fail("line should end with ':'");
      doc.symbol = line.slice(1, -1);
      // '# @' is two characters before the name
      doc.symbolSpan = { start: this.line.start + 3, end: this.line.start + 3 + doc.symbol.length };
      if (!doc.symbol) this.fail("name required after '@'");
    } else if (doc.symbol !== undefined) {
      if (isMemberTag(word)) {
        this.state = 'args';
        this.argsLine(line, false);
      } else if (line === 'Features:') {
        this.state = 'features';
      } else if (SECTION_TAGS.has(word)) {
        this.state = 'various';
        this.variousLine(line);
      } else {
        this.freeform(line);
      }
    } else {
      this.freeform(line);
    }
  }

  /** `@name: text` lines: members (args) or features. */
  private argsLine(line: string, features: boolean): void {
    const word = firstWord(line);
    if (isMemberTag(word)) {
      const head = /^@\S*:\s*/.exec(line)![0];
      const rest = line.slice(head.length);
      const indent = rest === '' ? 0 : head.length;
      this.startArg(word.slice(1, -1), indent, features);
      this.freeform(rest === '' ? '' : ' '.repeat(indent) + rest);
      return;
    }
    if (SECTION_TAGS.has(word)) {
      this.state = 'various';
      this.variousLine(line);
      return;
    }
    // After a blank line, an unindented line starts an untagged section (or the feature list).
    if (this.current?.section.text.endsWith('\n\n') && line !== '' && !/^\s/.test(line)) {
      if (line === 'Features:' && !features) {
        this.state = 'features';
      } else {
        this.startSection('', 0);
        this.state = 'various';
        this.variousLine(line);
      }
      return;
    }
    this.freeform(line);
  }

  private variousLine(line: string): void {
    const word = firstWord(line);
    if (isMemberTag(word)) {
      this.fail(`'${word}' can't follow '${this.current?.section.name || 'untagged'}' section`);
    }
    if (SECTION_TAGS.has(word)) {
      const head = /^\S*:\s*/.exec(line)![0];
      const rest = line.slice(head.length);
      const indent = rest === '' ? 0 : head.length;
      this.startSection(word.slice(0, -1), indent);
      this.freeform(rest === '' ? '' : ' '.repeat(indent) + rest);
      return;
    }
    this.freeform(line);
  }

  private startArg(name: string, indent: number, feature: boolean): void {
    const table = feature ? this.doc.features : this.doc.args;
    if (!name) this.fail(feature ? 'invalid feature name' : 'invalid parameter name');
    if (table.has(name)) this.fail(`'${name}' ${feature ? 'feature' : 'parameter'} name duplicated`);
    this.endSection();
    const section: DocSection = { name, start: this.line.start, text: '' };
    table.set(name, section);
    this.current = { section, indent };
  }

  private startSection(name: string, indent: number): void {
    if ((name === 'Returns' || name === 'Since') && this.doc.sections.some((s) => s.name === name)) {
      this.fail(`duplicated '${name}' section`);
    }
    this.endSection();
    const section: DocSection = { name, start: this.line.start, text: '' };
    this.doc.sections.push(section);
    this.current = { section, indent };
  }

  private endSection(): void {
    const open = this.current;
    if (!open) return;
    open.section.text = open.section.text.trim();
    this.current = undefined;
    if (open.section.name && !open.section.text) {
      this.fail(`empty doc section '${open.section.name}'`);
    }
  }

  private freeform(line: string): void {
    const tag = /^@\S+:/.exec(line);
    if (tag) this.fail(`'${tag[0]}' not allowed in free-form documentation`);
    const open = this.current;
    if (!open) return;
    if (line !== '') {
      const indent = leadingSpaces(line);
      if (indent < open.indent) this.fail(`unexpected de-indent (expected at least ${open.indent} spaces)`);
      line = line.slice(open.indent);
    }
    open.section.text += line.trimEnd() + '\n';
  }

  private fail(message: string): never {
    throw new DocError({ start: this.line.start, end: this.line.end }, message);
  }
}
