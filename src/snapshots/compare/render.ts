import {formatChange, formatMoney} from '../../render/money.js'
import {plural} from '../../render/plural.js'
import {formatTable} from '../../render/table.js'
import {UNSEEN} from './causes.js'
import type {Comparison, Difference} from './compare.js'

const KEY_HEADER = {customer: 'Customer', subscription: 'Subscription', total: ''} as const

/** The comparison as a person reads it: months first, then each difference with its cause. */
export function renderComparison(comparison: Comparison, file: string): string {
  const tolerance =
    comparison.tolerance === 0
      ? 'exactly'
      : `within ${formatMoney(comparison.tolerance, comparison.reportingCurrency)} (--tolerance ${comparison.tolerance})`
  const out = [
    `Your MRR (${file}, ${comparison.grain === 'total' ? 'totals per month' : `per ${comparison.grain} per month`}) against mrr_ledger.json, compared ${tolerance}`,
    formatTable(
      ['Month', 'Currency', 'Yours', 'Truth', 'Difference'],
      comparison.months.map((line) => [
        line.month,
        line.currency.toUpperCase(),
        formatMoney(line.yours, line.currency),
        formatMoney(line.truth, line.currency),
        formatChange(line.difference, line.currency),
      ]),
      ['left', 'left', 'right', 'right', 'right'],
    ),
  ]
  if (comparison.monthsNotInLedger.length > 0)
    out.push(`Left out: ${comparison.monthsNotInLedger.join(', ')} (months the ledger does not hold).`)
  if (comparison.matches) {
    out.push('', '✔ Your numbers match the truth.')
    return out.join('\n')
  }
  const differences = (side: Difference['side']) => comparison.differences.filter((d) => d.side === side)
  const table = (rows: Difference[]) =>
    formatTable(
      ['Month', ...(comparison.grain === 'total' ? [] : [KEY_HEADER[comparison.grain]]), 'Yours', 'Truth', 'Cause'],
      rows.map((d) => [
        d.month,
        ...(comparison.grain === 'total' ? [] : [d.key]),
        formatMoney(d.yours, d.currency),
        formatMoney(d.truth, d.currency),
        d.explanation,
      ]),
      ['left', ...(comparison.grain === 'total' ? [] : ['left' as const]), 'right', 'right', 'left'],
    )
  const what = comparison.grain === 'total' ? 'month' : comparison.grain
  for (const [side, title] of [
    ['both', `Differences (${what}s on both sides)`],
    ['yours', `Only in yours (the truth has no MRR there)`],
    ['truth', `Only in the truth (missing from yours)`],
  ] as const) {
    const rows = differences(side)
    if (rows.length > 0) out.push('', `${title}: ${rows.length}`, table(rows))
  }
  const unexplained = comparison.differences.filter((d) => d.causes.length === 0).length
  out.push(
    '',
    `✘ ${plural(comparison.differences.length, 'difference')}${unexplained > 0 ? `, ${unexplained} unexplained (${UNSEEN})` : ''}.`,
  )
  return out.join('\n')
}
