import type {LedgerCustomerRow, LedgerFile, LedgerItemRow, MovementKind} from '../files/ledger.js'
import type {MrrDefinitions} from './definitions.js'

/**
 * Movements, per customer and currency, between consecutive readings (SB-M4, SB-M5):
 *   new           0 → >0, the customer's first paid month;
 *   reactivation  0 → >0, for a customer who paid before;
 *   expansion     MRR rose;  contraction  MRR fell but stayed above 0;
 *   churn         >0 → 0 (canceled, unpaid, moved to free, or a scheduled cancellation, SB-M3).
 * They are computed on the customer's total, so a customer with two subscriptions who cancels one,
 * then the other, makes a contraction and then a churn (SB-M4). Their sum is the change in MRR.
 */
export function classifyMovement(was: number, now: number, paidBefore: boolean): MovementKind | null {
  if (was === 0 && now > 0) return paidBefore ? 'reactivation' : 'new'
  if (was > 0 && now === 0) return 'churn'
  if (now > was) return 'expansion'
  if (now < was) return 'contraction'
  return null
}

const key = (customer: string, currency: string) => `${customer}\u0000${currency}`

/** MRR per customer and currency in one month's rows. */
function customerTotals(
  items: readonly LedgerItemRow[],
): Map<string, {customer: string; currency: string; mrr: number}> {
  const totals = new Map<string, {customer: string; currency: string; mrr: number}>()
  for (const item of items) {
    const k = key(item.customer_id, item.currency)
    const total = totals.get(k) ?? {customer: item.customer_id, currency: item.currency, mrr: 0}
    total.mrr += item.mrr
    totals.set(k, total)
  }
  return totals
}

/**
 * One row per customer, currency and month, for every customer with a subscription that month or
 * MRR the month before. The first month starts from nothing: the history's customers begin in it.
 * "Paid before" is per customer across currencies, so a customer who moves currency reactivates.
 */
export function customerMovements(months: readonly string[], items: readonly LedgerItemRow[]): LedgerCustomerRow[] {
  const byMonth = new Map<string, LedgerItemRow[]>(months.map((m) => [m, []]))
  for (const item of items) {
    const list = byMonth.get(item.month)
    if (!list) throw new Error(`BUG: ledger row for ${item.month}, which is not among the ledger's months`)
    list.push(item)
  }
  const rows: LedgerCustomerRow[] = []
  const everPaid = new Set<string>()
  let previous = new Map<string, {customer: string; currency: string; mrr: number}>()
  for (const month of months) {
    const current = customerTotals(byMonth.get(month)!)
    const seen = new Set<string>()
    const paidThisMonth: string[] = []
    for (const [k, total] of [...current, ...previous]) {
      if (seen.has(k) || (!current.has(k) && total.mrr === 0)) continue
      seen.add(k)
      const was = previous.get(k)?.mrr ?? 0
      const now = current.get(k)?.mrr ?? 0
      rows.push({
        month,
        customer_id: total.customer,
        currency: total.currency,
        previous_mrr: was,
        mrr: now,
        movement: classifyMovement(was, now, everPaid.has(total.customer)),
        change: now - was,
      })
      if (now > 0) paidThisMonth.push(total.customer)
    }
    for (const customer of paidThisMonth) everPaid.add(customer)
    previous = current
  }
  return rows
}

/** The ledger file's content from the month's item rows (the only input: customers are derived). */
export function buildLedger(
  definitions: MrrDefinitions,
  months: readonly string[],
  items: readonly LedgerItemRow[],
): LedgerFile {
  return {version: 1, definitions, months: [...months], items: [...items], customers: customerMovements(months, items)}
}

export interface MovementTotals {
  new: number
  expansion: number
  contraction: number
  churn: number
  reactivation: number
  /** new + expansion + reactivation − contraction − churn: this month's MRR minus last month's. */
  net: number
}

export function sumMovements(rows: readonly LedgerCustomerRow[]): MovementTotals {
  const totals: MovementTotals = {new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 0}
  for (const row of rows) {
    if (row.movement === null) continue
    totals[row.movement] += Math.abs(row.change)
    totals.net += row.change
  }
  return totals
}
