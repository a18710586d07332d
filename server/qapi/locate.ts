// What is at an offset of a file: the string under the cursor and the chain of keys leading to it, which tells
// a type reference from a member name, a keyword, or an enum value.

import type { QObject, QString, QValue, TopLevel } from './ast';
import type { ParsedFile } from './parser';

export interface Located {
  readonly expr: TopLevel;
  /** Keys from the top-level object down to the innermost value holding the offset. */
  readonly keys: string[];
  /** The innermost object containing the offset (for key completion), if any. */
  readonly object: QObject | undefined;
  /** The string under the offset, and whether it is an object key. */
  readonly string: QString | undefined;
  readonly isKey: boolean;
}

/** The top-level expression holding an offset: a binary search, expressions are in file order. */
export function exprAt(parsed: ParsedFile, offset: number): TopLevel | undefined {
  const exprs = parsed.exprs;
  let lo = 0;
  let hi = exprs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = exprs[mid];
    if (offset < e.start) hi = mid - 1;
    else if (offset > e.end) lo = mid + 1;
    else return e;
  }
  return undefined;
}

const inside = (v: { start: number; end: number }, offset: number): boolean => offset >= v.start && offset <= v.end;
/** Inside a string means between its quotes, or right after the opening quote. */
const inString = (s: QString, offset: number): boolean => offset > s.start && offset <= s.end;

export function locate(parsed: ParsedFile, offset: number): Located | undefined {
  const expr = exprAt(parsed, offset);
  if (!expr) return undefined;
  const keys: string[] = [];
  let object: QObject | undefined;
  let value: QValue | undefined = expr.value;
  while (value) {
    if (value.kind === 'string') {
      return { expr, keys, object, string: inString(value, offset) ? value : undefined, isKey: false };
    }
    if (value.kind === 'bool') break;
    let next: QValue | undefined;
    if (value.kind === 'object') {
      object = value;
      for (const m of value.members) {
        if (inString(m.key, offset)) return { expr, keys, object, string: m.key, isKey: true };
        if (m.value && inside(m.value, offset)) {
          keys.push(m.key.value);
          next = m.value;
          break;
        }
      }
    } else {
      next = value.items.find((item) => inside(item, offset));
    }
    value = next;
  }
  return { expr, keys, object, string: undefined, isKey: false };
}
