// Recursive-descent parser for QAPI schema files: a sequence of top-level JSON-like objects, each optionally
// preceded by a `##` doc comment. QEMU's generator stops at the first error; an editor needs the rest of the file,
// so after a syntax error the parser keeps the partial expression (marked `broken`) and resumes at the next `{`
// or `##` that starts a line, which is how every schema file lays out its top-level expressions.

import { LineIndex, MAX_PROBLEMS_PER_FILE, SpanError, getMember, type DocComment, type Problem, type QArray, type QObject, type QValue, type Span,
  type TopLevel } from './ast';
import type { DialectId } from './dialect';
import { DocError, docBuilder, newDocComment } from './doc';
import { Lexer, type Token } from './lexer';

/** Nesting deeper than any schema needs; stops a file of ten million `[` from overflowing the stack. */
const MAX_DEPTH = 64;

export interface ParsedFile {
  readonly text: string;
  readonly lines: LineIndex;
  readonly exprs: TopLevel[];
  readonly docs: DocComment[];
  readonly problems: Problem[];
}

class ParseError extends SpanError {}

const isDocStart = (t: Token): boolean => t.kind === 'comment' && t.value.startsWith('##');

/** Parses a schema file; doc comments follow the rules of the given QEMU (today's by default). */
export function parseSchema(text: string, dialect: DialectId = 'upstream'): ParsedFile {
  return new Parser(text, dialect).parse();
}

class Parser {
  private readonly problems: Problem[] = [];
  private readonly lexer: Lexer;
  private tok: Token;
  private depth = 0;
  /** End of the previous token: an unexpected end of file is reported right after the last thing written. */
  private prevEnd = 0;
  private lastWasNonObject = false;

  constructor(
    private readonly text: string,
    private readonly dialect: DialectId,
  ) {
    this.lexer = new Lexer(text, this.problems);
    this.tok = this.lexer.next();
  }

  parse(): ParsedFile {
    const exprs: TopLevel[] = [];
    const docs: DocComment[] = [];
    let pending: DocComment | undefined;
    // Plain comments never matter at the top level; doc comments do.
    this.skipPlainComments();
    while (this.tok.kind !== 'eof') {
      if (isDocStart(this.tok)) {
        this.rejectPendingDoc(pending);
        pending = this.parseDoc();
        docs.push(pending);
        this.skipPlainComments();
        continue;
      }
      const expr = this.parseTopLevel(pending);
      pending = undefined;
      if (expr) exprs.push(expr);
      this.skipPlainComments();
    }
    this.rejectPendingDoc(pending);
    return { text: this.text, lines: new LineIndex(this.text), exprs, docs, problems: this.problems.slice(0, MAX_PROBLEMS_PER_FILE) };
  }

  private parseTopLevel(doc: DocComment | undefined): TopLevel | undefined {
    const start = this.tok.start;
    const problemsBefore = this.problems.length;
    let root: QValue | undefined;
    let broken = false;
    try {
      root = this.beginValue();
      this.finishValue(root);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      // After a lexical error in this expression (a stray word skipped, say), the syntax error is its echo.
      if (this.problems.length === problemsBefore) this.error(e.span, e.message);
      broken = true;
      this.recover(start);
    }
    // A lexical error (bad escape, unterminated string) makes names unreliable: no semantic checks either.
    broken ||= this.problems.length > problemsBefore;
    if (!root) return undefined;
    const end = broken ? Math.max(root.start + 1, this.tok.start) : root.end;
    if (root.kind !== 'object') {
      // One report for a run of non-objects ('a' 'b' 'c' …), as QEMU stops at the first.
      if (!broken && !this.lastWasNonObject) this.error(root, 'top-level expression must be an object');
      this.lastWasNonObject = true;
      return undefined;
    }
    this.lastWasNonObject = false;
    const kind = broken ? 'invalid' : this.classify(root, doc);
    return { start, end, value: root, doc, broken, kind };
  }

  /** Directives and the doc comment rules that depend on what follows the comment. */
  private classify(obj: QObject, doc: DocComment | undefined): TopLevel['kind'] {
    for (const directive of ['include', 'pragma'] as const) {
      const m = getMember(obj, directive);
      if (!m) continue;
      this.rejectPendingDoc(doc);
      if (obj.members.length !== 1) {
        this.error(obj.members.find((x) => x !== m)!.key, `invalid '${directive}' directive: it must be the only key`);
        return 'invalid';
      }
      if (directive === 'include' && m.value?.kind !== 'string') {
        this.error(m.value ?? m.key, "value of 'include' must be a string");
        return 'invalid';
      }
      if (directive === 'pragma' && m.value?.kind !== 'object') {
        this.error(m.value ?? m.key, "value of 'pragma' must be an object");
        return 'invalid';
      }
      return directive;
    }
    if (doc && doc.symbol === undefined && !doc.broken) {
      this.error(doc, 'definition documentation required: start the comment with "# @NAME:"');
    }
    return 'definition';
  }

  private rejectPendingDoc(doc: DocComment | undefined): void {
    if (doc?.symbol !== undefined && !doc.broken) {
      this.error(doc, `documentation for '${doc.symbol}' is not followed by the definition`);
    }
  }

  // --- values ---------------------------------------------------------------------------------------------

  /**
   * Values are built in two steps, begin (create the node) and finish (parse the contents of an object or
   * array), so the caller attaches a node to its parent before its contents can fail: a syntax error then
   * leaves the partial tree in place for completion and symbols. (No callbacks: this is the hot path.)
   */
  private beginValue(): QValue {
    const t = this.tok;
    switch (t.kind) {
      case '{':
        return { kind: 'object', start: t.start, end: t.end, members: [] };
      case '[':
        return { kind: 'array', start: t.start, end: t.end, items: [] };
      case 'string':
        this.advance();
        return { kind: 'string', start: t.start, end: t.end, value: t.value };
      case 'bool':
        this.advance();
        return { kind: 'bool', start: t.start, end: t.end, value: t.value === 'true' };
      default:
        throw this.expected("'{', '[', string, or boolean");
    }
  }

  private finishValue(v: QValue): void {
    if (v.kind !== 'object' && v.kind !== 'array') return;
    if (++this.depth > MAX_DEPTH) throw new ParseError(this.tok, `nesting deeper than ${MAX_DEPTH} levels`);
    try {
      if (v.kind === 'object') this.parseMembers(v);
      else this.parseItems(v);
    } finally {
      this.depth--;
    }
  }

  private parseMembers(obj: QObject): void {
    this.advance();   // '{'
    if (this.tok.kind === '}') return this.close(obj);
    if (this.tok.kind !== 'string') throw this.expected("string or '}'");
    for (;;) {
      const keyTok = this.tok;
      const key = { kind: 'string' as const, start: keyTok.start, end: keyTok.end, value: keyTok.value };
      this.advance();
      if (obj.members.some((m) => m.key.value === key.value)) {
        throw new ParseError(key, `duplicate key '${key.value}'`);
      }
      // In the tree before its value: completion inside a key still being typed needs it.
      const member = { key, value: undefined as QValue | undefined };
      obj.members.push(member);
      obj.end = key.end;
      if (this.kind() !== ':') throw this.expected("':'");
      this.advance();
      const value = this.beginValue();
      member.value = value;
      this.finishValue(value);
      obj.end = value.end;
      if (this.kind() === '}') return this.close(obj);
      if (this.kind() !== ',') throw this.expected("',' or '}'");
      this.advance();
      if (this.kind() !== 'string') throw this.expected('string');
    }
  }

  private parseItems(arr: QArray): void {
    this.advance();   // '['
    if (this.tok.kind === ']') return this.close(arr);
    if (!['{', '[', 'string', 'bool'].includes(this.tok.kind)) throw this.expected("'{', '[', ']', string, or boolean");
    for (;;) {
      const item = this.beginValue();
      arr.items.push(item);
      this.finishValue(item);
      arr.end = item.end;
      if (this.kind() === ']') return this.close(arr);
      if (this.kind() !== ',') throw this.expected("',' or ']'");
      this.advance();
    }
  }

  private close(node: QObject | QArray): void {
    node.end = this.tok.end;
    this.advance();
  }

  // --- doc comments ---------------------------------------------------------------------------------------

  private parseDoc(): DocComment {
    const open = this.tok;
    const doc = newDocComment(open);
    if (open.value !== '##') {
      this.error(open, "junk after '##' at start of documentation comment: the first line must be exactly '##'");
      doc.broken = true;
      this.skipDocLines(doc);
      return doc;
    }
    this.advanceRaw();
    const lines: Token[] = [];
    while (this.tok.kind === 'comment' && !this.tok.value.startsWith('##')) {
      lines.push(this.tok);
      doc.lineStarts.push(this.tok.start);
      doc.end = this.tok.end;
      this.advanceRaw();
    }
    const close = this.tok.kind === 'comment' ? this.tok : undefined;
    const end = close ?? (this.tok.kind === 'eof' ? { start: doc.end, end: doc.end } : this.tok);
    if (close) {
      doc.lineStarts.push(close.start);
      doc.end = close.end;
      this.advanceRaw();
    }
    const builder = docBuilder(this.dialect, doc);
    try {
      builder.parseLines(lines, end);
      if (!close) {
        this.error(end, "documentation comment must end with '##'");
        doc.broken = true;
        return doc;
      }
      if (close.value !== '##') {
        this.error(close, "junk after '##' at end of documentation comment");
        doc.broken = true;
      }
      builder.finish(close);
    } catch (e) {
      if (!(e instanceof DocError)) throw e;
      this.error(e.span, e.message);
      doc.broken = true;
    }
    return doc;
  }

  /** After an error in a doc comment: skip to its closing `##` (or the first non-comment). */
  private skipDocLines(doc: DocComment): void {
    if (this.tok.start === doc.start) this.advanceRaw();
    while (this.tok.kind === 'comment') {
      doc.lineStarts.push(this.tok.start);
      doc.end = this.tok.end;
      const last = this.tok.value.startsWith('##');
      this.advanceRaw();
      if (last) break;
    }
  }

  // --- tokens and recovery --------------------------------------------------------------------------------

  /** Inside expressions plain comments are skipped; a `##` stays a token (and is an error there, as in QEMU). */
  private advance(): void {
    this.prevEnd = this.tok.end;
    this.tok = this.lexer.next();
    while (this.tok.kind === 'comment' && !isDocStart(this.tok)) this.tok = this.lexer.next();
  }

  /** The current token's kind, read through a call so TypeScript does not keep a narrowing across advance(). */
  private kind(): Token['kind'] {
    return this.tok.kind;
  }

  private advanceRaw(): void {
    this.tok = this.lexer.next();
  }

  private skipPlainComments(): void {
    while (this.tok.kind === 'comment' && !isDocStart(this.tok)) this.tok = this.lexer.next();
  }

  /** Skips to the next `{` or `##` at the start of a line after the failed expression's start. */
  private recover(exprStart: number): void {
    while (this.tok.kind !== 'eof') {
      if (this.tok.start > exprStart && this.tok.atLineStart && (this.tok.kind === '{' || isDocStart(this.tok))) return;
      this.advanceRaw();
    }
  }

  private expected(what: string): ParseError {
    const t = this.tok;
    const found = t.kind === 'eof' ? 'end of file' : t.kind === 'comment' ? "'##'" : `'${t.kind === 'string' ? t.value : t.kind}'`;
    return new ParseError(t.kind === 'eof' ? { start: this.prevEnd, end: this.prevEnd } : t, `expected ${what}, found ${found}`);
  }

  private error(span: Span, message: string): void {
    if (this.problems.length < MAX_PROBLEMS_PER_FILE) this.problems.push({ start: span.start, end: span.end, message, severity: 'error' });
  }
}
