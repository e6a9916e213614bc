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
