// Doc comment text is reStructuredText (QEMU renders it with Sphinx); hovers show Markdown. The constructs QEMU's
// schema uses are translated: `.. qmp-example::` blocks (with `:title:` and `:annotated:`) and `::` literal
// blocks become fenced code, admonitions (`.. note::`, `.. admonition:: Title`…) become block quotes, `@name`
// becomes code. Anything else is left as written, which Markdown shows readably.

const ADMONITIONS = new Set(['note', 'admonition', 'caution', 'warning', 'important', 'hint', 'tip', 'attention', 'danger', 'error',
  'seealso']);

const indentOf = (line: string): number => line.length - line.trimStart().length;

/** `@name` is QAPI's reference to a member or definition; it reads best as code. */
export const atNamesToCode = (text: string): string => text.replace(/@([A-Za-z_][A-Za-z0-9_.-]*[A-Za-z0-9_])/g, '`$1`');

/** The lines indented more than `base` from `from` on (blank lines inside kept), dedented; and the index after them. */
function indentedBlock(lines: string[], from: number, base: number): { body: string[]; next: number } {
  let next = from;
  let min = Infinity;
  let lastText = from;
  while (next < lines.length) {
    const line = lines[next];
    if (line.trim() !== '') {
      if (indentOf(line) <= base) break;
      min = Math.min(min, indentOf(line));
      lastText = next + 1;
    }
    next++;
  }
  const body = lines.slice(from, lastText).map((l) => l.slice(Math.min(min, indentOf(l))));
  while (body.length && body[0].trim() === '') body.shift();
  return { body, next: lastText };
}

const fence = (body: string[]): string[] => {
  const longest = Math.max(2, ...body.map((l) => /`+/.exec(l)?.[0].length ?? 0));
  const marks = '`'.repeat(longest + 1);
  return [marks, ...body, marks];
};

/** Markdown for a doc comment section's text; `@name` becomes code outside code blocks. */
export function rstToMarkdown(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    const base = indentOf(line);
    const trimmed = line.trim();
    const directive = /^\.\. +([a-z-]+)::\s*(.*)$/.exec(trimmed);
    if (directive?.[1] === 'qmp-example') {
      let j = i + 1;
      let title = '';
      let annotated = false;
      for (let opt = /^\s+:([a-z-]+):\s*(.*)$/.exec(lines[j] ?? ''); opt; opt = /^\s+:([a-z-]+):\s*(.*)$/.exec(lines[++j] ?? '')) {
        if (opt[1] === 'title') title = opt[2];
        if (opt[1] === 'annotated') annotated = true;
      }
      const { body, next } = indentedBlock(lines, j, base);
      out.push(`**Example${title ? `: ${atNamesToCode(title)}` : ''}**`, '');
      out.push(...(annotated ? rstToMarkdown(body.join('\n')).split('\n') : fence(body)));
      i = next;
      continue;
    }
    if (directive && ADMONITIONS.has(directive[1])) {
      const { body, next } = indentedBlock(lines, i + 1, base);
      const kind = directive[1] === 'seealso' ? 'See also' : directive[1][0].toUpperCase() + directive[1].slice(1);
      const title = directive[1] === 'admonition' ? directive[2] : kind;
      const content = directive[1] === 'admonition' || !directive[2] ? body : [directive[2], ...body];
      out.push(`> **${atNamesToCode(title)}**`, '>');
      for (const l of rstToMarkdown(content.join('\n')).split('\n')) out.push(l ? `> ${l}` : '>');
      i = next;
      continue;
    }
    if (trimmed.endsWith('::') && !directive) {
      const { body, next } = indentedBlock(lines, i + 1, base);
      if (body.length) {
        // rST: "text::" reads "text:", "text ::" and a lone "::" read as nothing
        const intro = trimmed === '::' ? '' : / ::$/.test(trimmed) ? line.replace(/ ::\s*$/, '') : line.replace(/::\s*$/, ':');
        if (intro) out.push(atNamesToCode(intro), '');
        out.push(...fence(body));
        i = next;
        continue;
      }
    }
    out.push(atNamesToCode(line));
    i++;
  }
  return out.join('\n');
}
