/** Plain, aligned text tables: readable in a terminal and in CI logs alike. */
export function formatTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  align: Array<'left' | 'right'> = [],
): string {
  const cells = [headers, ...rows.map((row) => row.map(String))]
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)))
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        align[column] === 'right' ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((width) => '─'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

export function formatUsd(cents: number): string {
  const dollars = cents / 100
  return `$${dollars.toLocaleString('en-US', {minimumFractionDigits: Number.isInteger(dollars) ? 0 : 2, maximumFractionDigits: 2})}`
}

/** MRR by month as lines of `  2026-05     $45,250  ████▋`, bars scaled to the largest month. */
export function mrrChart(months: Array<{month: string; mrrCents: number}>): string[] {
  const max = Math.max(0, ...months.map((m) => m.mrrCents))
  return months.map((m) => `  ${m.month}  ${formatUsd(m.mrrCents).padStart(10)}  ${bar(m.mrrCents, max)}`)
}

/** A horizontal bar scaled to the largest value, for MRR-by-month charts. */
export function bar(value: number, max: number, width = 40): string {
  if (max <= 0 || value <= 0) return ''
  const eighths = Math.round((value / max) * width * 8)
  const blocks = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
  return '█'.repeat(Math.floor(eighths / 8)) + (blocks[eighths % 8] ?? '')
}
