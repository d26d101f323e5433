// Renders a table as aligned text for the terminal, or as markdown for the README.

export type Cell = string;

export function renderTable(headers: Cell[], rows: Cell[][], format: 'text' | 'md'): string {
  if (format === 'md') {
    const line = (cells: Cell[]) => `| ${cells.join(' | ')} |`;
    return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Text columns (the first ones) align left, numbers right.
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d.x[\]– /()]*$/.test(r[i] ?? '')));
  const pad = (c: Cell, i: number) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  const line = (cells: Cell[]) => cells.map(pad).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
