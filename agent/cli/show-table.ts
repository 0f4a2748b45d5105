// Aligned text tables and human times for `vmtrace show` (and anything else that prints rows
// for people). Text from the agent is made printable first: a VM name is operator data and
// must not smuggle escape sequences into a terminal.

export interface Column {
  header: string;
  /** numbers read best right-aligned */
  align?: 'left' | 'right';
}

/** Rows under a header, columns separated by two spaces, no trailing blanks. */
export function renderTable(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) => columns.map((_, i) => printable(r[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - width(v));
        return columns[i]!.align === 'right' ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Two aligned columns: "label  value". */
export function renderPairs(pairs: [string, string][]): string {
  const w = Math.max(0, ...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v]) => `${k}${' '.repeat(w - width(k))}  ${printable(v)}`.trimEnd()).join('\n') + '\n';
}

/** Control characters (C0, DEL, C1) shown as "?": nothing from the wire reaches the terminal raw. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Terminal columns, counting each code point once (good enough for names; no East Asian widths). */
function width(s: string): number {
  return [...s].length;
}

/** "2026-11-25 02:47:11Z (3m ago)"; "-" for null. `now` is passed in, never read here. */
export function humanTime(ms: number | null, now: number): string {
  if (ms === null || !Number.isFinite(ms) || ms <= 0) return '-';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z (${humanAge(now - ms)})`;
}

/** "just now", "42s ago", "5m ago", "3h 12m ago", "2d 4h ago", "in 5s" for clock skew. */
export function humanAge(deltaMs: number): string {
  const future = deltaMs < 0;
  const s = Math.floor(Math.abs(deltaMs) / 1000);
  let text: string;
  if (s < 1) return 'just now';
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}m`;
  else if (s < 86400) text = `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  else text = `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  return future ? `in ${text}` : `${text} ago`;
}

export function humanMs(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function dash(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === '' ? '-' : String(v);
}
