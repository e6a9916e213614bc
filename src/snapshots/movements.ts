import type {SnapshotRow} from '../files/formats.js'
import {groupBy} from '../group-by.js'
import {type MovementTotals, classifyMovement} from '../ledger/movements.js'

/**
 * MRR maths over snapshot rows, by Stripe's billing-analytics definitions (SB-M1):
 * - MRR counts `active` and `past_due` subscriptions; free plans carry none (their mrr_cents is 0).
 * - Movements are computed per customer between consecutive months, on the customer's total MRR:
 *   new           0 → >0, the customer's first paid month;
 *   reactivation  0 → >0, for a customer who paid before and churned;
 *   expansion     MRR rose;  contraction  MRR fell but stayed above 0;
 *   churn         >0 → 0: the subscription is gone (canceled or unpaid) or moved to a free plan.
 * new + expansion + reactivation − contraction − churn = the month's change in MRR.
 */

export interface MonthSummary {
  month: string
  /** The first month: its MRR is the opening balance, where the history starts; nothing moved into it. */
  opening: boolean
  customers: number
  active: number
  pastDue: number
  mrrCents: number
  mrrByPlan: Record<string, number>
  movements: Movements
}

/** In cents, contraction and churn as positive amounts lost; `net` is this month's MRR minus last month's. */
export type Movements = MovementTotals

const ZERO: Movements = {new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 0}

/** Months in calendar order, each with its rows. */
export function groupByMonth(rows: readonly SnapshotRow[]): Array<{month: string; rows: SnapshotRow[]}> {
  return [...groupBy(rows, (row) => row.month).entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, monthRows]) => ({month, rows: monthRows}))
}

function mrrByCustomer(rows: readonly SnapshotRow[]): Map<string, number> {
  const totals = new Map<string, number>()
  for (const row of rows) totals.set(row.customer_id, (totals.get(row.customer_id) ?? 0) + row.mrr_cents)
  return totals
}

/** Movements (in cents, contraction and churn as positive amounts lost) from one month to the next. */
export function mrrMovements(
  previous: readonly SnapshotRow[],
  current: readonly SnapshotRow[],
  everPaid: ReadonlySet<string>,
): Movements {
  const before = mrrByCustomer(previous)
  const after = mrrByCustomer(current)
  const m = {...ZERO}
  for (const customer of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(customer) ?? 0
    const now = after.get(customer) ?? 0
    const kind = classifyMovement(was, now, everPaid.has(customer))
    if (kind !== null) m[kind] += Math.abs(now - was)
  }
  m.net = m.new + m.expansion + m.reactivation - m.contraction - m.churn
  return m
}

export function summarizeMonths(rows: readonly SnapshotRow[]): MonthSummary[] {
  const everPaid = new Set<string>()
  let previous: SnapshotRow[] = []
  return groupByMonth(rows).map(({month, rows: current}, index) => {
    // The first month has no predecessor: everything in it is where the history starts, not "new".
    const movements = index === 0 ? {...ZERO} : mrrMovements(previous, current, everPaid)
    for (const [customer, mrr] of mrrByCustomer(current)) if (mrr > 0) everPaid.add(customer)
    previous = current
    const mrrByPlan: Record<string, number> = {}
    for (const row of current) mrrByPlan[row.plan] = (mrrByPlan[row.plan] ?? 0) + row.mrr_cents
    return {
      month,
      opening: index === 0,
      customers: new Set(current.map((row) => row.customer_id)).size,
      active: current.filter((row) => row.status === 'active').length,
      pastDue: current.filter((row) => row.status === 'past_due').length,
      mrrCents: current.reduce((sum, row) => sum + row.mrr_cents, 0),
      mrrByPlan,
      movements,
    }
  })
}
