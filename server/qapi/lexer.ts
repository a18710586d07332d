// Hand-written lexer for the QAPI schema language: JSON's structural characters, 'single-quoted' strings
// (printable ASCII, only the `\\` escape), `true`/`false`, and `#` comments to the end of the line.
// It never throws: a bad character becomes a problem and lexing goes on, so one typo does not hide the rest of
// the file. It is a pull lexer (one token at a time) so a 10 MB file does not need a token array.

import { MAX_PROBLEMS_PER_FILE, type Problem } from './ast';

export type TokenKind = '{' | '}' | '[' | ']' | ':' | ',' | 'string' | 'bool' | 'comment' | 'eof';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** String contents (escapes resolved), comment text (from `#`, without the line break), or 'true'/'false'. */
  value: string;
  /** The token is the first thing on its line, at column 0: where a new top-level expression usually starts. */
  atLineStart: boolean;
}

const STRUCTURAL = new Set(['{', '}', '[', ']', ':', ',']);

export class Lexer {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly problems: Problem[],
  ) {}

  next(): Token {
    // A loop, not recursion, over stray characters: a file full of junk must not overflow the stack.
    for (;;) {
      const token = this.scan();
      if (token) return token;
    }
  }

  private scan(): Token | undefined {
    const text = this.text;
    const n = text.length;
    let i = this.pos;
    while (i < n) {
      const c = text.charCodeAt(i);
      // space, tab, CR, LF, form feed, vertical tab
      if (c === 32 || (c >= 9 && c <= 13)) i++;
      else break;
    }
    const start = i;
    const atLineStart = start === 0 || text.charCodeAt(start - 1) === 10;
    if (i >= n) {
      this.pos = n;
      return { kind: 'eof', start: n, end: n, value: '', atLineStart };
    }
    const ch = text[i];
    if (STRUCTURAL.has(ch)) {
      this.pos = i + 1;
      return { kind: ch as TokenKind, start, end: i + 1, value: ch, atLineStart };
    }
    if (ch === '#') {
      let end = text.indexOf('\n', i);
      if (end === -1) end = n;
      this.pos = end;
      const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      return { kind: 'comment', start, end: lineEnd, value: text.slice(i, lineEnd), atLineStart };
    }
    if (ch === "'") return this.string(start, atLineStart);
    if (text.startsWith('true', i)) {
      this.pos = i + 4;
      return { kind: 'bool', start, end: i + 4, value: 'true', atLineStart };
    }
    if (text.startsWith('false', i)) {
      this.pos = i + 5;
      return { kind: 'bool', start, end: i + 5, value: 'false', atLineStart };
    }
    // Anything else is stray: report the run up to the next structural, space or quote character, skip it.
    let end = i + 1;
    while (end < n && end - i < 80 && !/[[\]{}:,\s'"]/.test(text[end])) end++;
    this.report(start, end, `stray '${text.slice(i, end)}'`);
    this.pos = end;
    return undefined;
  }

  private string(start: number, atLineStart: boolean): Token {
    const text = this.text;
    const n = text.length;
    let i = start + 1;
    // Fast path: most strings have no escape; slice them instead of building them a character at a time.
    let value: string | undefined;
    let parts: string[] | undefined;
    let from = i;
    let reported = false;
    for (;;) {
      const code = i < n ? text.charCodeAt(i) : 10;
      if (code === 39 /* ' */) {
        value = parts ? parts.join('') + text.slice(from, i) : text.slice(from, i);
        this.pos = i + 1;
        return { kind: 'string', start, end: i + 1, value, atLineStart };
      }
      if (code === 10 || code === 13) {
        if (!reported) this.report(start, i, 'missing terminating "\'"');
        this.pos = i;
        value = parts ? parts.join('') + text.slice(from, i) : text.slice(from, i);
        return { kind: 'string', start, end: i, value, atLineStart };
      }
      if (code === 92 /* \ */) {
        const esc = i + 1 < n ? text[i + 1] : '\n';
        if (esc === '\n' || esc === '\r') {
          i++;
          continue;   // the missing quote is reported next
        }
        if (esc !== '\\' && !reported) {
          this.report(i, i + 2, `unknown escape \\${esc}`);
          reported = true;
        }
        (parts ??= []).push(text.slice(from, i), esc);
        i += 2;
        from = i;
        continue;
      }
      if ((code < 32 || code >= 127) && !reported) {
        this.report(i, i + 1, 'funny character in string: only printable ASCII is allowed');
        reported = true;
      }
      i++;
    }
  }

  private report(start: number, end: number, message: string): void {
    if (this.problems.length < MAX_PROBLEMS_PER_FILE) this.problems.push({ start, end, message, severity: 'error' });
  }
}
