import type {LedgerFile, LedgerItemRow} from '../files/ledger.js'
import {groupBy} from '../group-by.js'
import {type SubscriberMonth, monthMetrics} from '../ledger/metrics.js'
import type {MovementTotals} from '../ledger/movements.js'
import {type PlanCatalog, nameFromKey, planCatalog} from '../ledger/plans.js'
import {mrrChart} from '../render/chart.js'
import {formatChange, formatMoney} from '../render/money.js'
import {formatTable} from '../render/table.js'
import {type SnapshotFormat, toCsv} from './render.js'

/**
 * `snapshots show` when the run wrote mrr_ledger.json: per month, MRR per currency (and a total in
 * the reporting currency where the ledger's definitions give rates), subscriptions by interval,
 * trials, the discounts in force and the movements, all from the ledger (views never call Stripe).
 * Amounts are in each currency's minor unit.
 */

/** Subscriptions that Stripe still bills or will bill: what a dashboard lists as live. */
const LIVE = new Set(['active', 'past_due', 'trialing'])

export interface CurrencyLine {
  currency: string
  mrr: number
  movements: MovementTotals
  subscriptions: {
    active: number
    pastDue: number
    trialing: number
    byInterval: Record<string, number>
    discounted: number
  }
}

export interface DiscountInForce {
  coupon: string
  terms: string
  subscriptions: number
  /** Whether it reduces MRR under the ledger's definitions (forever always; repeating and once only if opted in). */
  counted: boolean
}

/** One plan's live subscriptions in one currency at a month's reading, and the MRR they carry. */
export interface PlanLine {
  plan: string
  /** The catalog's display name (stripe_prices.json), else one made from the key. */
  name: string
  currency: string
  /** Live subscriptions (active, past due or trialing) with an item on this plan. */
  subscriptions: number
  /** The MRR of those items, in the currency's minor unit (a trial or a free plan carries none). */
  mrr: number
}

export interface LedgerMonthView {
  month: string
  /** The first reading: its MRR is the opening balance, where the history starts; nothing moved into it. */
  opening: boolean
  currencies: CurrencyLine[]
  /** Per plan (in the catalog's order) and currency: subscriptions and MRR, from the ledger's items. */
  plans: PlanLine[]
  /** Total MRR in the reporting currency at the definitions' fixed rates; null when a currency of the month has no rate. */
  reporting: {currency: string; mrr: number} | null
  subscribers: SubscriberMonth
  trials: {trialing: number; started: number; converted: number}
  discounts: DiscountInForce[]
}

export interface LedgerView {
  reportingCurrency: string
  /** The plans the months hold, in the catalog's order, with their display names. */
  plans: Array<{key: string; name: string}>
  fxRates: Record<string, number>
  months: LedgerMonthView[]
}

export function ledgerView(ledger: LedgerFile, catalog: PlanCatalog = planCatalog(ledger)): LedgerView {
  const itemsByMonth = groupBy(ledger.items, (item) => item.month)
  const position = new Map(catalog.order.map((plan, index) => [plan, index]))
  const rank = (plan: string) => position.get(plan) ?? Number.MAX_SAFE_INTEGER
  const name = (plan: string) => catalog.names[plan] ?? nameFromKey(plan)
  const months = monthMetrics(ledger).map((metrics): LedgerMonthView => {
    const items = itemsByMonth.get(metrics.month) ?? []
    const live = items.filter((item) => LIVE.has(item.status))
    return {
      month: metrics.month,
      opening: metrics.opening,
      currencies: metrics.currencies.map((line) => ({
        currency: line.currency,
        mrr: line.mrr,
        movements: line.movements,
        subscriptions: subscriptionCounts(live.filter((item) => item.currency === line.currency)),
      })),
      plans: [...groupBy(live, (item) => `${item.plan}\u0000${item.currency}`).values()]
        .map((planItems): PlanLine => {
          const {plan, currency} = planItems[0]!
          return {
            plan,
            name: name(plan),
            currency,
            subscriptions: distinct(planItems),
            mrr: planItems.reduce((sum, item) => sum + item.mrr, 0),
          }
        })
        .sort(
          (a, b) => rank(a.plan) - rank(b.plan) || a.plan.localeCompare(b.plan) || a.currency.localeCompare(b.currency),
        ),
      reporting: metrics.reporting,
      subscribers: metrics.subscribers,
      trials: {
        trialing: distinct(live.filter((item) => item.status === 'trialing')),
        started: metrics.currencies.reduce((sum, line) => sum + line.trials.started, 0),
        converted: metrics.currencies.reduce((sum, line) => sum + line.trials.converted, 0),
      },
      discounts: discountsInForce(live),
    }
  })
  const held = new Set(months.flatMap((month) => month.plans.map((line) => line.plan)))
  const plans = [...held].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((key) => ({key, name: name(key)}))
  return {
    reportingCurrency: ledger.definitions.reportingCurrency,
    plans,
    fxRates: ledger.definitions.fxRates,
    months,
  }
}

function distinct(items: readonly LedgerItemRow[]): number {
  return new Set(items.map((item) => item.subscription_id)).size
}

/** `month`, `year`, or `3 month` for an interval_count above 1. */
export function intervalLabel(item: Pick<LedgerItemRow, 'interval' | 'interval_count'>): string {
  return item.interval_count === 1 ? item.interval : `${item.interval_count} ${item.interval}`
}

function subscriptionCounts(live: readonly LedgerItemRow[]): CurrencyLine['subscriptions'] {
  const byInterval: Record<string, number> = {}
  for (const [interval, items] of groupBy(live, intervalLabel)) byInterval[interval] = distinct(items)
  return {
    active: distinct(live.filter((item) => item.status === 'active')),
    pastDue: distinct(live.filter((item) => item.status === 'past_due')),
    trialing: distinct(live.filter((item) => item.status === 'trialing')),
    byInterval,
    discounted: distinct(live.filter((item) => item.discounts.length > 0)),
  }
}

function discountsInForce(live: readonly LedgerItemRow[]): DiscountInForce[] {
  const byCoupon = groupBy(
    live.flatMap((item) =>
      item.discounts.map((discount) => ({discount, subscription: item.subscription_id, currency: item.currency})),
    ),
    (entry) => entry.discount.coupon_id,
  )
  return [...byCoupon]
    .map(([coupon, entries]) => {
      const {discount, currency} = entries[0]!
      const off =
        discount.percent_off === null ? formatMoney(discount.amount_off ?? 0, currency) : `${discount.percent_off}%`
      const duration = discount.duration === 'repeating' ? 'repeating' : discount.duration
      return {
        coupon,
        terms: `${off} off, ${duration}`,
        subscriptions: new Set(entries.map((entry) => entry.subscription)).size,
        counted: discount.counted,
      }
    })
    .sort((a, b) => a.coupon.localeCompare(b.coupon))
}

const INTERVAL_HEADERS: Record<string, string> = {day: 'Daily', week: 'Weekly', month: 'Monthly', year: 'Yearly'}
const intervalHeader = (interval: string) => INTERVAL_HEADERS[interval] ?? `Every ${interval}s`
const right = (n: number) => Array.from({length: n}, () => 'right' as const)
const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`)

export function renderLedgerView(view: LedgerView, format: Exclude<SnapshotFormat, 'json'>): string {
  const currencies = [...new Set(view.months.flatMap((month) => month.currencies.map((line) => line.currency)))].sort()
  const intervals = [
    ...new Set(
      view.months.flatMap((month) => month.currencies.flatMap((line) => Object.keys(line.subscriptions.byInterval))),
    ),
  ].sort()
  if (format === 'csv') return renderCsv(view, intervals)

  const line = (month: LedgerMonthView, currency: string) => month.currencies.find((c) => c.currency === currency)
  const rates = Object.entries(view.fxRates).map(
    ([currency, rate]) => `1 ${currency.toUpperCase()} = ${rate} ${view.reportingCurrency.toUpperCase()}`,
  )
  const totalHeader = `Total ${view.reportingCurrency.toUpperCase()}`
  const out = [
    'MRR by month and currency (from mrr_ledger.json)',
    formatTable(
      ['Month', ...currencies.map((c) => c.toUpperCase()), totalHeader],
      view.months.map((month) => [
        month.month,
        ...currencies.map((c) => formatMoney(line(month, c)?.mrr ?? 0, c)),
        month.reporting ? formatMoney(month.reporting.mrr, month.reporting.currency) : '-',
      ]),
      ['left', ...right(currencies.length + 1)],
    ),
    currencies.length > 1 || currencies[0] !== view.reportingCurrency
      ? `Total: at fixed rates${rates.length > 0 ? ` (${rates.join(', ')})` : ''}, not market data; "-" where a currency of the month has no rate.`
      : `Total: the ${view.reportingCurrency.toUpperCase()} MRR (one currency).`,
  ]
  const totals = view.months.filter((month) => month.reporting !== null)
  if (totals.length > 0) {
    out.push(
      '',
      `${totalHeader} by month`,
      ...mrrChart(
        totals.map((month) => ({month: month.month, mrr: month.reporting!.mrr})),
        view.reportingCurrency,
      ),
    )
  }
  out.push('', ...renderPlans(view))
  out.push(
    '',
    'Subscriptions by month (live: active, past due or trialing)',
    formatTable(
      [
        'Month',
        'Active',
        'Past due',
        'Trialing',
        ...intervals.map(intervalHeader),
        'Discounted',
        'Trials started',
        'Trials converted',
        'Subscribers',
        'Churn rate',
      ],
      view.months.map((month) => {
        const sum = (pick: (line: CurrencyLine) => number) => month.currencies.reduce((total, c) => total + pick(c), 0)
        return [
          month.month,
          sum((c) => c.subscriptions.active),
          sum((c) => c.subscriptions.pastDue),
          sum((c) => c.subscriptions.trialing),
          ...intervals.map((interval) => sum((c) => c.subscriptions.byInterval[interval] ?? 0)),
          sum((c) => c.subscriptions.discounted),
          month.trials.started,
          month.trials.converted,
          month.subscribers.active,
          percent(month.subscribers.churnRate),
        ]
      }),
      ['left', ...right(intervals.length + 9)],
    ),
  )
  const discounts = view.months.flatMap((month) =>
    month.discounts.map((d) => [month.month, d.coupon, d.terms, d.subscriptions, d.counted ? 'yes' : 'no']),
  )
  out.push(
    '',
    'Discounts in force',
    discounts.length > 0
      ? formatTable(['Month', 'Coupon', 'Terms', 'Subscriptions', 'Reduces MRR'], discounts, [
          'left',
          'left',
          'left',
          'right',
          'left',
        ])
      : '  none',
  )
  out.push(
    '',
    'MRR movements per currency (what moved MRR each month)',
    ...openingLines(view),
    formatTable(
      ['Month', 'Currency', 'New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'Net new'],
      // The opening month is a balance, not movements: listed as "New" it would read as growth.
      view.months
        .filter((month) => !month.opening)
        .flatMap((month) =>
          month.currencies.map((c) => [
            month.month,
            c.currency.toUpperCase(),
            formatChange(c.movements.new, c.currency),
            formatChange(c.movements.expansion, c.currency),
            formatChange(c.movements.reactivation, c.currency),
            formatChange(-c.movements.contraction, c.currency),
            formatChange(-c.movements.churn, c.currency),
            formatChange(c.movements.net, c.currency),
          ]),
        ),
      ['left', 'left', ...right(6)],
    ),
  )
  if (view.months.length === 1) out.push('  none yet: one month read')
  return out.join('\n')
}

/** "Opening balance 2026-09 (the history starts there): $13,530.00", each currency's MRR that month. */
function openingLines(view: LedgerView): string[] {
  const opening = view.months.find((month) => month.opening)
  if (!opening) return []
  const balances = opening.currencies.map((c) => formatMoney(c.mrr, c.currency)).join(', ')
  return [`Opening balance ${opening.month} (the history starts there): ${balances || 'no MRR'}`]
}

/**
 * MRR by plan: a row per month and currency, a column per plan in the catalog's order, each cell
 * the plan's live subscriptions and their MRR ("·" where the plan has none that month).
 */
function renderPlans(view: LedgerView): string[] {
  if (view.plans.length === 0) return ['MRR by plan', '  no subscriptions']
  const rows = view.months.flatMap((month) =>
    month.currencies.map((c) => [
      month.month,
      c.currency.toUpperCase(),
      ...view.plans.map(({key}) => {
        const line = month.plans.find((p) => p.plan === key && p.currency === c.currency)
        return line ? `${line.subscriptions} · ${formatMoney(line.mrr, line.currency)}` : '·'
      }),
    ]),
  )
  return [
    'MRR by plan (each cell: live subscriptions · their MRR)',
    formatTable(['Month', 'Currency', ...view.plans.map((p) => p.name)], rows, [
      'left',
      'left',
      ...right(view.plans.length),
    ]),
    'Trials count as subscriptions and carry no MRR until they convert; a free plan carries none.',
  ]
}

/** One row per month and currency; amounts in the currency's minor unit, the total in the reporting currency's (empty without rates). */
function renderCsv(view: LedgerView, intervals: string[]): string {
  return toCsv(
    [
      'month',
      'currency',
      'mrr',
      'active',
      'past_due',
      'trialing',
      ...intervals.map((interval) => `interval_${interval.replace(' ', '_')}`),
      'discounted',
      'new',
      'expansion',
      'reactivation',
      'contraction',
      'churn',
      'net',
      'reporting_currency',
      'total_mrr_reporting',
    ],
    view.months.flatMap((month) =>
      month.currencies.map((c) => [
        month.month,
        c.currency,
        c.mrr,
        c.subscriptions.active,
        c.subscriptions.pastDue,
        c.subscriptions.trialing,
        ...intervals.map((interval) => c.subscriptions.byInterval[interval] ?? 0),
        c.subscriptions.discounted,
        c.movements.new,
        c.movements.expansion,
        c.movements.reactivation,
        c.movements.contraction,
        c.movements.churn,
        c.movements.net,
        view.reportingCurrency,
        month.reporting?.mrr ?? '',
      ]),
    ),
  )
}

/** `--month` with a ledger: that month's subscription items as the ledger holds them (plan names for people, keys in CSV). */
export function renderLedgerMonth(
  items: readonly LedgerItemRow[],
  format: Exclude<SnapshotFormat, 'json'>,
  names: Record<string, string> = {},
): string {
  const discounts = (item: LedgerItemRow) =>
    item.discounts.map((d) => `${d.coupon_id}${d.counted ? '' : ' (not counted)'}`).join(' ') || ''
  if (format === 'csv') {
    const headers = [
      'month',
      'customer_id',
      'subscription_id',
      'item_id',
      'plan',
      'price_id',
      'status',
      'currency',
      'interval',
      'interval_count',
      'unit_amount',
      'quantity',
      'trial',
      'discounts',
      'mrr',
      'excluded',
      'mrr_reporting',
    ] as const
    return toCsv(
      [...headers],
      items.map((item) => headers.map((h) => (h === 'discounts' ? discounts(item) : (item[h] ?? '')))),
    )
  }
  return formatTable(
    ['Customer', 'Subscription', 'Plan', 'Interval', 'Qty', 'Status', 'Trial', 'Discounts', 'MRR', 'Excluded'],
    items.map((item) => [
      item.customer_id,
      item.subscription_id,
      names[item.plan] ?? nameFromKey(item.plan),
      intervalLabel(item),
      item.quantity,
      item.status,
      item.trial,
      discounts(item) || '-',
      formatMoney(item.mrr, item.currency),
      item.excluded ?? '',
    ]),
    ['left', 'left', 'left', 'left', 'right', 'left', 'left', 'left', 'right', 'left'],
  )
}
