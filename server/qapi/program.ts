// A program is a root schema file with everything it includes, checked as a whole: that is how QEMU reads
// `qapi-schema.json`, and an included module may use types only an outer file defines. Parses are cached by
// file text, so re-checking after an edit re-parses only the edited file.

import path from 'node:path';
import { getMember, type Problem, type QString, type Span, type TopLevel } from './ast';
import { checkDefinitionExpr, type SemError } from './checkExpr';
import { detectDialect, type Dialect, type DialectId } from './dialect';
import { extractDefinition, typeRefs, type Definition } from './model';
import { emptyPragma, type Pragma } from './names';
import { parseSchema, type ParsedFile } from './parser';
import { SchemaChecker } from './schema';

/** Where file contents come from: open editor buffers first, then the disk. */
export interface FileSource {
  /** The text, or undefined if the file cannot be read. */
  read(file: string): string | undefined;
}

export interface Include {
  readonly node: QString;
  readonly target: string;
}

export interface Module {
  readonly file: string;
  readonly parsed: ParsedFile;
  readonly includes: Include[];
}

export interface Reference {
  readonly file: string;
  readonly node: QString;
}

export interface Program {
  readonly root: string;
  /** In load order (depth-first through includes, like QEMU). */
  readonly modules: Map<string, Module>;
  readonly definitions: Definition[];
  /** The definition each name resolves to (the first one, if defined twice). */
  readonly byName: Map<string, Definition>;
  /** Type name → the strings that use it, across all modules. */
  readonly references: Map<string, Reference[]>;
  readonly problems: Map<string, Problem[]>;
  readonly pragma: Pragma;
  /** Whose rules the schema was checked by: QEMU 7.2's or today's (from QEMU's VERSION file above the root). */
  readonly dialect: Dialect;
}

interface FileDefinitions {
  readonly definitions: Definition[];
  readonly errors: SemError[];
}

/**
 * Parses and the per-expression checks, cached by file text (and, for the checks, by the pragmas they depend
 * on): a re-check after an edit re-does them for the edited file only.
 */
export class ParseCache {
  private readonly entries = new Map<string, { dialect: DialectId; parsed: ParsedFile }>();
  private readonly checked = new WeakMap<ParsedFile, { pragmaKey: string; file: string; result: FileDefinitions }>();
  /** A program's pragmas are asked for once per module: their signature is computed once. */
  private readonly signatures = new WeakMap<Pragma, string>();

  parse(file: string, text: string, dialect: DialectId = 'upstream'): ParsedFile {
    const hit = this.entries.get(file);
    if (hit && hit.parsed.text === text && hit.dialect === dialect) return hit.parsed;
    const parsed = parseSchema(text, dialect);
    this.entries.set(file, { dialect, parsed });
    return parsed;
  }

  definitions(file: string, parsed: ParsedFile, pragma: Pragma, dialect: DialectId = 'upstream'): FileDefinitions {
    let signature = this.signatures.get(pragma);
    if (signature === undefined) this.signatures.set(pragma, (signature = pragmaSignature(pragma)));
    const pragmaKey = `${dialect} ${signature}`;
    const hit = this.checked.get(parsed);
    if (hit && hit.pragmaKey === pragmaKey && hit.file === file) return hit.result;
    const result = checkFile(file, parsed, pragma, dialect);
    this.checked.set(parsed, { pragmaKey, file, result });
    return result;
  }
}

function pragmaSignature(p: Pragma): string {
  return JSON.stringify([p.docRequired, [...p.commandNameExceptions], [...p.commandReturnsExceptions], [...p.memberNameExceptions],
    [...p.documentationExceptions]]);
}

/** The definitions of one file, with the problems each expression has on its own. */
function checkFile(file: string, parsed: ParsedFile, pragma: Pragma, dialect: DialectId): FileDefinitions {
  const definitions: Definition[] = [];
  const errors: SemError[] = [];
  for (const expr of parsed.exprs) {
    if (expr.kind !== 'definition' && !(expr.kind === 'invalid' && expr.broken)) continue;
    const def = extractDefinition(expr, file);
    if (expr.kind === 'definition') {
      const err = checkDefinitionExpr(expr, pragma, dialect);
      if (err) {
        errors.push(err);
        if (def) def.valid = false;
      }
    }
    if (def) definitions.push(def);
  }
  return { definitions, errors };
}

/**
 * Loads and checks the schema whose root file is `root`. The dialect (QEMU 7.2's rules or today's) comes from
 * QEMU's VERSION file above the root unless given. One function (79 lines): the passes share the program being built.
 */
export function analyzeProgram(root: string, source: FileSource, cache = new ParseCache(), dialect = detectDialect(root)): Program {
  const modules = new Map<string, Module>();
  const problems = new Map<string, Problem[]>();
  const report = (file: string, span: Span, message: string, related?: Problem['related']): void => {
    let list = problems.get(file);
    if (!list) problems.set(file, (list = []));
    list.push({ start: span.start, end: span.end, message, severity: 'error', related });
  };
  /**
   * An error about a definition, where QEMU reports it: QEMU's checker gives the line where the definition's
   * expression starts (its `{`) for every error inside the expression, whichever member it is about. The problem
   * goes on the definition's name on that line (or the `{`), and `at` keeps the offending part. Errors in doc
   * comments (outside the expression) and on the first line already stay where they are.
   */
  const reportInDefinition = (file: string, span: Span, message: string, related?: Problem['related']): void => {
    const parsed = modules.get(file)?.parsed;
    const expr = parsed && enclosingExpr(parsed.exprs, span.start);
    if (!parsed || !expr || span.start < expr.value.start || span.end > expr.value.end) return report(file, span, message, related);
    const line = (offset: number): number => parsed.lines.position(offset).line;
    const first = line(expr.value.start);
    if (line(span.start) === first) return report(file, span, message, related);
    const head = expr.value.kind === 'object' ? expr.value.members[0]?.value : undefined;
    const target = head && head.kind === 'string' && line(head.start) === first ? head : { start: expr.value.start, end: expr.value.start + 1 };
    let list = problems.get(file);
    if (!list) problems.set(file, (list = []));
    list.push({ start: target.start, end: target.end, message, severity: 'error', related, at: { start: span.start, end: span.end } });
  };

  const load = (file: string, text: string, stack: string[]): void => {
    const parsed = cache.parse(file, text, dialect.id);
    const mod: Module = { file, parsed, includes: [] };
    modules.set(file, mod);
    problems.set(file, [...parsed.problems]);
    for (const expr of parsed.exprs) {
      if (expr.kind !== 'include' || expr.value.kind !== 'object') continue;
      const node = getMember(expr.value, 'include')!.value as QString;
      const target = path.resolve(path.dirname(file), node.value);
      mod.includes.push({ node, target });
      if (target === file || stack.includes(target)) {
        report(file, node, `inclusion loop for ${node.value}`);
      } else if (!modules.has(target)) {
        const included = source.read(target);
        if (included === undefined) {
          report(file, node, `can't read include file '${node.value}': No such file or directory`);
        } else {
          load(target, included, [...stack, file]);
        }
      }
    }
  };
  const rootText = source.read(root);
  if (rootText === undefined) {
    report(root, { start: 0, end: 0 }, `can't read schema file '${root}'`);
  } else {
    load(root, rootText, []);
  }

  const pragma = collectPragmas(modules, report, dialect.id);
  const definitions: Definition[] = [];
  for (const mod of modules.values()) {
    const local = cache.definitions(mod.file, mod.parsed, pragma, dialect.id);
    for (const err of local.errors) reportInDefinition(mod.file, err.span, err.message);
    for (const def of local.definitions) definitions.push(def);   // no spread: a 10 MB file has 100 000s
  }

  const checker = new SchemaChecker(definitions, pragma, reportInDefinition, dialect.id);
  checker.run();
  const byName = new Map<string, Definition>();
  for (const def of definitions) if (!byName.has(def.name)) byName.set(def.name, def);
  const references = new Map<string, Reference[]>();
  for (const def of definitions) {
    for (const ref of typeRefs(def)) {
      let list = references.get(ref.name);
      if (!list) references.set(ref.name, (list = []));
      list.push({ file: def.file, node: ref.node });
    }
  }
  return { root, modules, definitions, byName, references, problems, pragma, dialect };
}

/** The top-level expression that contains `offset` (exprs in text order), if any. */
function enclosingExpr(exprs: readonly TopLevel[], offset: number): TopLevel | undefined {
  let lo = 0;
  let hi = exprs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (exprs[mid].start > offset) hi = mid - 1;
    else if (exprs[mid].end <= offset) lo = mid + 1;
    else return exprs[mid];
  }
  return undefined;
}

/** Pragmas apply to the whole schema, wherever they appear. */
function collectPragmas(modules: Map<string, Module>, report: (file: string, span: Span, message: string) => void,
  dialect: DialectId): Pragma {
  const pragma = emptyPragma();
  const lists: Record<string, Set<string>> = {
    'command-name-exceptions': pragma.commandNameExceptions,
    'command-returns-exceptions': pragma.commandReturnsExceptions,
    'member-name-exceptions': pragma.memberNameExceptions,
  };
  // Definitions whose members may go undocumented: a pragma QEMU 7.2 does not know.
  if (dialect === 'upstream') lists['documentation-exceptions'] = pragma.documentationExceptions;
  for (const mod of modules.values()) {
    for (const expr of mod.parsed.exprs) {
      if (expr.kind !== 'pragma' || expr.value.kind !== 'object') continue;
      const body = expr.value.members[0].value;
      if (body?.kind !== 'object') continue;
      for (const { key, value } of body.members) {
        if (!value) continue;
        if (key.value === 'doc-required') {
          if (value.kind !== 'bool') report(mod.file, value, "pragma 'doc-required' must be boolean");
          else pragma.docRequired = value.value;
        } else if (Object.hasOwn(lists, key.value)) {
          if (value.kind !== 'array' || value.items.some((i) => i.kind !== 'string')) {
            report(mod.file, value, `pragma ${key.value} must be a list of strings`);
          } else {
            for (const item of value.items) lists[key.value].add((item as QString).value);
          }
        } else {
          report(mod.file, key, `unknown pragma '${key.value}'`);
        }
      }
    }
  }
  return pragma;
}
