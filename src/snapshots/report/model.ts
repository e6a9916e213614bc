import type {LedgerFile, MovementKind} from '../../files/ledger.js'
import {monthMetrics} from '../../ledger/metrics.js'
import {type PlanCatalog, planCatalog} from '../../ledger/plans.js'
import type {LedgerSource} from '../../ledger/store.js'

/**
 * Everything the HTML report shows, computed here from the ledger (the page only draws it), so the
 * numbers on screen are the ledger's by construction and a test can compare the two.
 * Amounts are integers in the currency's minor unit; rates are fractions.
 */
export interface ReportModel {
  source: LedgerSource
  read: string
  months: string[]
  /** The first month is the opening balance: the history starts there, nothing moved into it. */
  openingMonth: string | null
  /** Every plan in the catalog's order, with its display name and a colour fixed by that order (the same in every currency). */
  plans: Array<{key: string; name: string; color: string}>
  definitions: string[]
  currencies: string[]
  /** The total across currencies at the definitions' fixed rates, per month (null where a rate is missing). */
  reporting: {currency: string; mrr: Array<number | null>} | null
  subscribers: Array<{
    month: string
    active: number
    new: number
    reactivated: number
    churned: number
    churnRate: number | null
  }>
  byCurrency: Record<string, CurrencySeries>
  /**
   * Customer-level rows per month (every customer with a subscription, or MRR the month before),
   * packed: each row is CUSTOMER_COLUMNS in order, text as an index into `strings` (a 10,000-customer,
   * 24-month history would otherwise repeat every key and id 240,000 times in the page).
   */
  customers: {columns: typeof CUSTOMER_COLUMNS; text: string[]; strings: string[]; months: Record<string, number[][]>}
}

export interface CurrencySeries {
  mrr: number[]
  movements: Record<MovementKind | 'net', number[]>
  activeSubscribers: number[]
  arpu: Array<number | null>
  churnRate: Array<number | null>
  trialsStarted: number[]
  trialsConverted: number[]
  plans: string[]
  mrrByPlan: Record<string, number[]>
  customersByPlan: Record<string, number[]>
}

export const CUSTOMER_COLUMNS = [
  'customer',
  'currency',
  'plans',
  'status',
  'interval',
  'quantity',
  'discounts',
  'trial',
  'previousMrr',
  'mrr',
  'movement',
] as const
const TEXT_COLUMNS = new Set<string>([
  'customer',
  'currency',
  'plans',
  'status',
  'interval',
  'discounts',
  'trial',
  'movement',
])

export interface CustomerRow {
  customer: string
  currency: string
  plans: string
  status: string
  interval: string
  quantity: number
  discounts: string
  trial: string
  previousMrr: number
  mrr: number
  movement: MovementKind | null
}

/** Plan colours by catalog position: distinct, colour-blind-friendly first (Okabe–Ito order), then greys. */
const PLAN_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#7a869a', '#000000']

export function reportModel(
  ledger: LedgerFile,
  source: LedgerSource,
  read: string,
  catalog: PlanCatalog = planCatalog(ledger),
): ReportModel {
  const metrics = monthMetrics(ledger)
  const position = new Map(catalog.order.map((plan, index) => [plan, index]))
  const byCatalog = (a: string, b: string) =>
    (position.get(a) ?? Number.MAX_SAFE_INTEGER) - (position.get(b) ?? Number.MAX_SAFE_INTEGER) || a.localeCompare(b)
  const currencies = [...new Set(ledger.customers.map((row) => row.currency))].sort()
  const byCurrency: Record<string, CurrencySeries> = {}
  for (const currency of currencies) {
    const months = metrics.map((m) => m.currencies.find((c) => c.currency === currency))
    const plans = [...new Set(months.flatMap((m) => m?.byPlan.map((p) => p.plan) ?? []))].sort(byCatalog)
    const planSeries = (pick: 'mrr' | 'customers') =>
      Object.fromEntries(
        plans.map((plan) => [plan, months.map((m) => m?.byPlan.find((p) => p.plan === plan)?.[pick] ?? 0)]),
      )
    const movement = (kind: MovementKind | 'net') => months.map((m) => m?.movements[kind] ?? 0)
    byCurrency[currency] = {
      mrr: months.map((m) => m?.mrr ?? 0),
      movements: {
        new: movement('new'),
        expansion: movement('expansion'),
        reactivation: movement('reactivation'),
        contraction: movement('contraction'),
        churn: movement('churn'),
        net: movement('net'),
      },
      activeSubscribers: months.map((m) => m?.subscribers.ending ?? 0),
      arpu: months.map((m) => (m?.arpu === null || m?.arpu === undefined ? null : Math.round(m.arpu))),
      churnRate: months.map((m) => m?.subscribers.churnRate ?? null),
      trialsStarted: months.map((m) => m?.trials.started ?? 0),
      trialsConverted: months.map((m) => m?.trials.converted ?? 0),
      plans,
      mrrByPlan: planSeries('mrr'),
      customersByPlan: planSeries('customers'),
    }
  }
  const anyConverted = metrics.some((m) => m.reporting !== null)
  return {
    source,
    read,
    months: ledger.months,
    openingMonth: ledger.months[0] ?? null,
    plans: catalog.order.map((key, index) => ({
      key,
      name: catalog.names[key] ?? key,
      color: PLAN_COLORS[index % PLAN_COLORS.length]!,
    })),
    definitions: describeDefinitions(ledger),
    currencies,
    reporting:
      anyConverted && currencies.length > 1
        ? {currency: ledger.definitions.reportingCurrency, mrr: metrics.map((m) => m.reporting?.mrr ?? null)}
        : null,
    subscribers: metrics.map((m) => ({month: m.month, ...m.subscribers})),
    byCurrency,
    customers: packCustomers(ledger, catalog.names),
  }
}

function packCustomers(ledger: LedgerFile, names: Record<string, string>): ReportModel['customers'] {
  const strings: string[] = []
  const index = new Map<string, number>()
  const intern = (text: string) => {
    let i = index.get(text)
    if (i === undefined) index.set(text, (i = strings.push(text) - 1))
    return i
  }
  const months = Object.fromEntries(
    Object.entries(customerRows(ledger, names)).map(([month, rows]) => [
      month,
      rows.map((row) =>
        CUSTOMER_COLUMNS.map((column) => {
          const value = row[column]
          return TEXT_COLUMNS.has(column) ? intern(value === null ? '' : String(value)) : (value as number)
        }),
      ),
    ]),
  )
  return {columns: CUSTOMER_COLUMNS, text: [...TEXT_COLUMNS], strings, months}
}

/** Unpacks one month of the packed customer rows (what the page does), for tests and other views. */
export function unpackCustomers(packed: ReportModel['customers'], month: string): CustomerRow[] {
  return (packed.months[month] ?? []).map((cells) => {
    const row = Object.fromEntries(
      packed.columns.map((column, i) => [column, TEXT_COLUMNS.has(column) ? packed.strings[cells[i]!] : cells[i]]),
    ) as unknown as CustomerRow
    return {...row, movement: row.movement || null}
  })
}

function customerRows(ledger: LedgerFile, names: Record<string, string>): Record<string, CustomerRow[]> {
  const items = new Map<string, LedgerFile['items']>()
  for (const item of ledger.items) {
    const key = `${item.month}\u0000${item.customer_id}\u0000${item.currency}`
    items.set(key, [...(items.get(key) ?? []), item])
  }
  const out: Record<string, CustomerRow[]> = Object.fromEntries(ledger.months.map((month) => [month, []]))
  const unique = (values: string[]) => [...new Set(values)].join(', ')
  for (const row of ledger.customers) {
    const mine = items.get(`${row.month}\u0000${row.customer_id}\u0000${row.currency}`) ?? []
    out[row.month]!.push({
      customer: row.customer_id,
      currency: row.currency,
      plans: unique(mine.map((i) => names[i.plan] ?? i.plan)) || '—',
      status:
        unique(
          mine.map((i) =>
            i.excluded && i.excluded !== i.status ? `${i.status} (${i.excluded.replaceAll('_', ' ')})` : i.status,
          ),
        ) || 'gone',
      interval: unique(mine.map((i) => (i.interval_count === 1 ? i.interval : `${i.interval_count} ${i.interval}s`))),
      quantity: mine.reduce((sum, i) => sum + i.quantity, 0),
      discounts: unique(
        mine.flatMap((i) =>
          i.discounts.map(
            (d) =>
              `${d.coupon_id} (${d.percent_off === null ? `${d.amount_off} off` : `${d.percent_off}%`} ${d.duration}${d.counted ? '' : ', not counted'})`,
          ),
        ),
      ),
      trial: unique(mine.map((i) => i.trial).filter((t) => t !== 'none')),
      previousMrr: row.previous_mrr,
      mrr: row.mrr,
      movement: row.movement,
    })
  }
  return out
}

function describeDefinitions(ledger: LedgerFile): string[] {
  const d = ledger.definitions
  const rates = Object.entries(d.fxRates)
  return [
    `MRR counts active and past_due subscriptions; trialing, unpaid, canceled, free and metered carry none.`,
    `Discounts: forever coupons always${d.discounts.subtractRecurring ? ', repeating coupons while they last' : ''}${d.discounts.subtractOneTime ? ', once coupons while listed' : ''}.`,
    `Scheduled cancellations leave MRR ${d.scheduledCancellation === 'at_request' ? 'when requested' : 'at the period end'}.`,
    `A week is ${(1 / d.weeksPerMonth).toFixed(4)} months, a day ${(1 / d.daysPerMonth).toFixed(4)}; a year 12.`,
    rates.length === 0
      ? 'No exchange rates: each currency stands alone.'
      : `Totals in ${d.reportingCurrency.toUpperCase()} at fixed rates: ${rates.map(([c, r]) => `1 ${c.toUpperCase()} = ${r} ${d.reportingCurrency.toUpperCase()}`).join(', ')}.`,
  ]
}
