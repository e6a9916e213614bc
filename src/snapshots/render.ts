import type {SnapshotRow} from '../files/formats.js'
import {mrrChart} from '../render/chart.js'
import {formatChange, formatMoney} from '../render/money.js'
import {formatTable} from '../render/table.js'
import type {MonthSummary} from './movements.js'

export type SnapshotFormat = 'table' | 'csv' | 'json'

function csvCell(value: string | number): string {
  const text = String(value)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(headers: string[], rows: Array<Array<string | number>>): string {
  return [headers, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')
}

// sub_snapshots.json has no currency column: its amounts are in the reporting currency, usd by default.
const formatUsd = (cents: number) => formatMoney(cents, 'usd')
const signed = (cents: number) => formatChange(cents, 'usd')

export function renderSummaries(summaries: MonthSummary[], format: SnapshotFormat, plans: string[]): string {
  if (format === 'csv') {
    return toCsv(
      [
        'month',
        'customers',
        'active',
        'past_due',
        'mrr_cents',
        ...plans.map((plan) => `mrr_cents_${plan}`),
        'new_cents',
        'expansion_cents',
        'contraction_cents',
        'churn_cents',
        'reactivation_cents',
        'net_new_cents',
      ],
      summaries.map((s) => [
        s.month,
        s.customers,
        s.active,
        s.pastDue,
        s.mrrCents,
        ...plans.map((plan) => s.mrrByPlan[plan] ?? 0),
        s.movements.new,
        s.movements.expansion,
        s.movements.contraction,
        s.movements.churn,
        s.movements.reactivation,
        s.movements.net,
      ]),
    )
  }
  const right = (n: number) => Array.from({length: n}, () => 'right' as const)
  return [
    'Subscriptions and MRR by month',
    formatTable(
      ['Month', 'Customers', 'Active', 'Past due', ...plans, 'MRR'],
      summaries.map((s) => [
        s.month,
        s.customers,
        s.active,
        s.pastDue,
        ...plans.map((plan) => formatUsd(s.mrrByPlan[plan] ?? 0)),
        formatUsd(s.mrrCents),
      ]),
      ['left', ...right(plans.length + 4)],
    ),
    '',
    'MRR by month',
    ...mrrChart(
      summaries.map((s) => ({month: s.month, mrr: s.mrrCents})),
      'usd',
    ),
    '',
    'MRR movements (what moved MRR each month)',
    ...(summaries[0]
      ? [`Opening balance ${summaries[0].month} (the history starts there): ${formatUsd(summaries[0].mrrCents)}`]
      : []),
    formatTable(
      ['Month', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'Net new'],
      // The opening month is a balance, not movements: listed as "New" it would read as growth.
      summaries
        .filter((s) => !s.opening)
        .map((s) => [
          s.month,
          signed(s.movements.new),
          signed(s.movements.expansion),
          signed(s.movements.reactivation),
          signed(-s.movements.contraction),
          signed(-s.movements.churn),
          signed(s.movements.net),
        ]),
      ['left', ...right(6)],
    ),
  ].join('\n')
}

export function renderMonthRows(rows: SnapshotRow[], format: SnapshotFormat): string {
  const headers = [
    'month',
    'customer_id',
    'subscription_id',
    'plan',
    'price_id',
    'price_amount',
    'screens',
    'mrr_cents',
    'status',
  ] as const
  if (format === 'csv')
    return toCsv(
      [...headers],
      rows.map((row) => headers.map((h) => row[h])),
    )
  return formatTable(
    ['Customer', 'Subscription', 'Plan', 'Screens', 'MRR', 'Status'],
    rows.map((row) => [
      row.customer_id,
      row.subscription_id,
      row.plan,
      row.screens,
      formatUsd(row.mrr_cents),
      row.status,
    ]),
    ['left', 'left', 'left', 'right', 'right', 'left'],
  )
}
