// The syntax tree of a QAPI schema file. Every node keeps its source offsets so that diagnostics, hover and
// navigation can point at the exact string the user wrote. Offsets are UTF-16 indices into the file text (the
// unit LSP positions use), turned into line/column by `LineIndex`.

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface QString extends Span {
  readonly kind: 'string';
  readonly value: string;
}

export interface QBool extends Span {
  readonly kind: 'bool';
  readonly value: boolean;
}

export interface QMember {
  readonly key: QString;
  value: QValue | undefined;   // undefined while a syntax error interrupted the member
}

export interface QObject extends Span {
  readonly kind: 'object';
  readonly members: QMember[];
  end: number;
}

export interface QArray extends Span {
  readonly kind: 'array';
  readonly items: QValue[];
  end: number;
}

export type QValue = QString | QBool | QObject | QArray;

/** More problems than this in one file are noise (and memory): the rest are dropped. */
export const MAX_PROBLEMS_PER_FILE = 200;

export type Severity = 'error' | 'warning' | 'information';

/** A problem found in one file; `related` points at another place (e.g. the previous definition). */
export interface Problem extends Span {
  readonly message: string;
  readonly severity: Severity;
  readonly related?: { readonly file: string; readonly span: Span; readonly message: string };
  /**
   * For an error about a definition, reported like QEMU on the line where the definition starts: the part of the
   * definition the error is about (same file), shown as related information and used by quick fixes.
   */
  readonly at?: Span;
}

/** A section of a doc comment: the body, `@member:` descriptions, features, or a tagged section (`Since:`…). */
export interface DocSection {
  readonly name: string;      // '' for the body and untagged sections
  readonly start: number;     // offset of the line that starts the section
  text: string;
}

export interface DocComment {
  readonly start: number;
  end: number;
  /** `@SYMBOL:` on the first line makes it definition documentation; free-form otherwise. */
  symbol: string | undefined;
  symbolSpan: Span | undefined;
  readonly body: DocSection;
  readonly args: Map<string, DocSection>;
  readonly features: Map<string, DocSection>;
  readonly sections: DocSection[];
  /** A rule of the doc syntax was broken (reported); the block is kept for hover but not checked further. */
  broken: boolean;
  /** Offsets of the lines (`#` comments) the block is made of, for folding and hover ranges. */
  readonly lineStarts: number[];
}

/**
 * An error about a place in a schema, thrown and caught inside the analysis (one per bad definition or doc block):
 * it carries no stack trace, whose capture would cost more than the rest of the check when many blocks are bad.
 */
export class SpanError extends Error {
  constructor(
    readonly span: Span,
    message: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A broken rule of the doc comment syntax, thrown by the doc comment builders (doc.ts, docUpstream.ts). */
export class DocError extends SpanError {}

/** One top-level expression with the doc comment right before it, if any. */
export interface TopLevel extends Span {
  readonly value: QValue;
  /** What the parser made of it; only well-formed directives are 'include'/'pragma'. */
  readonly kind: 'definition' | 'include' | 'pragma' | 'invalid';
  readonly doc: DocComment | undefined;
  /** A syntax error cut the expression short: keep it for symbols and navigation, skip the semantic checks. */
  readonly broken: boolean;
}

export function getMember(obj: QObject, key: string): QMember | undefined {
  for (const m of obj.members) if (m.key.value === key) return m;
  return undefined;
}

/** Line starts of a text, for offset → (line, column) in O(log n). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Zero-based line and character of an offset. */
  position(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }

  offset(line: number, character: number): number {
    if (line < 0) return 0;
    if (line >= this.starts.length) return this.starts[this.starts.length - 1] + character;
    return this.starts[line] + character;
  }

  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }
}
