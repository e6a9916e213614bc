import {formatMoney} from './money.js'

/** A horizontal bar scaled to the largest value, for MRR-by-month charts. */
export function bar(value: number, max: number, width = 40): string {
  if (max <= 0 || value <= 0) return ''
  const eighths = Math.round((value / max) * width * 8)
  const blocks = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
  return '█'.repeat(Math.floor(eighths / 8)) + (blocks[eighths % 8] ?? '')
}

/** MRR by month as lines of `  2026-05     $45,250.00  ████▋`, bars scaled to the largest month. */
export function mrrChart(months: Array<{month: string; mrr: number}>, currency: string): string[] {
  const max = Math.max(0, ...months.map((m) => m.mrr))
  const amounts = months.map((m) => formatMoney(m.mrr, currency))
  const width = Math.max(0, ...amounts.map((amount) => amount.length))
  return months.map((m, i) => `  ${m.month}  ${amounts[i]!.padStart(width)}  ${bar(m.mrr, max)}`.trimEnd())
}
