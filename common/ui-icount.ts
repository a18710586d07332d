/**
 * Reading and writing instruction counts as people type and read them: `1,234,567`, `1.2M`, `+5000`, `0x1f00`.
 * Pure (no vscode, no DOM) so the input boxes, the status bar, the snapshots view and the timeline share one
 * behaviour and unit tests cover it.
 */

/** What an icount typed by the user is measured against. */
export interface IcountContext {
  /** The current position: `+N` / `-N` are relative to it. */
  current: number;
  /** Smallest accepted value (default 0). */
  min?: number;
  /** Largest accepted value (the recording's replayable end); no upper bound when undefined. */
  max?: number;
}

export type IcountParse = { ok: true; icount: number } | { ok: false; message: string };

// Suffixes people use for big instruction counts; `B` (billion) as well as `G` because both are common.
const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, b: 1e9, t: 1e12 };

/**
 * Parses an absolute or relative icount. Accepts digit groups separated by `,`, `_`, spaces or thin spaces
 * (`1,234,567`), a decimal number with a k/M/G suffix (`1.2M`), hex (`0x4000`), and a leading `+`/`-` for a
 * distance from `ctx.current`. Returns a message fit for an input box's validation when the text is not usable.
 */
export function parseIcount(text: string, ctx: IcountContext): IcountParse {
  const raw = text.trim();
  if (raw === '') return { ok: false, message: 'Enter an instruction count, e.g. 1,234,567, 1.2M or +5000.' };
  let sign = 0;
  let body = raw;
  if (body.startsWith('+') || body.startsWith('-')) {
    sign = body.startsWith('+') ? 1 : -1;
    body = body.slice(1).trim();
  }
  const amount = parseAmount(body);
  if (typeof amount === 'string') return { ok: false, message: amount };
  const icount = sign === 0 ? amount : ctx.current + sign * amount;
  if (!Number.isSafeInteger(icount)) return { ok: false, message: `${raw} is too large.` };
  const min = ctx.min ?? 0;
  if (icount < min) {
    return { ok: false, message: `${formatIcount(icount)} is before ${formatIcount(min)}: enter a value from `
      + `${formatIcount(min)}${ctx.max === undefined ? ' on' : ` to ${formatIcount(ctx.max)}`}.` };
  }
  if (ctx.max !== undefined && icount > ctx.max) {
    return { ok: false, message: `${formatIcount(icount)} is past the end of the recording (${formatIcount(ctx.max)}): `
      + `enter a value from ${formatIcount(min)} to ${formatIcount(ctx.max)}.` };
  }
  return { ok: true, icount };
}

/** Parses an unsigned amount; returns an error message instead of throwing. */
function parseAmount(body: string): number | string {
  const hex = /^0x([0-9a-f]+)$/i.exec(body);
  if (hex) return Number.parseInt(hex[1], 16);
  const suffixed = /^(\d+(?:\.\d+)?)\s*([kmgbt])$/i.exec(body);
  if (suffixed) {
    const value = Number(suffixed[1]) * SUFFIX[suffixed[2].toLowerCase()];
    // 1.2M is exact; 1.2345K would be 1234.5 instructions, which does not exist.
    const rounded = Math.round(value);
    if (Math.abs(value - rounded) > 1e-6 * Math.max(1, value)) {
      return `${body} is not a whole number of instructions.`;
    }
    return rounded;
  }
  const compact = body.replace(/[_\s\u2009\u202f]/g, '');
  if (/^\d+$/.test(compact)) return Number(compact);
  // Commas only as thousands separators, so a typo like 1,23,4 is caught instead of read as 1234.
  if (/^\d{1,3}(,\d{3})+$/.test(compact)) return Number(compact.replace(/,/g, ''));
  if (/^\d[\d,]*$/.test(compact)) return `${body}: commas must separate groups of three digits (1,234,567).`;
  return `"${body}" is not an instruction count: use digits (1,234,567), a suffix (1.2M, 500k) or +/- for a distance from now.`;
}

/** `1234567` → `1,234,567`. Locale-independent so tests, screenshots and docs agree. */
export function formatIcount(icount: number): string {
  if (!Number.isFinite(icount)) return String(icount);
  const negative = icount < 0;
  const digits = Math.trunc(Math.abs(icount)).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return negative ? `-${grouped}` : grouped;
}

/** A short form for axis labels: `0`, `950`, `12k`, `1.5M`, `2.25G`. */
export function formatIcountShort(icount: number): string {
  const abs = Math.abs(icount);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const value = icount / size;
      const text = value.toFixed(value >= 100 || Number.isInteger(value) ? 0 : value >= 10 ? 1 : 2);
      return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}${unit}`;
    }
  }
  return String(Math.round(icount));
}

/** `614400` → `600 KiB`: vm-state sizes of snapshots. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** Age of a snapshot for a list row: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(dateMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - dateMs) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}
