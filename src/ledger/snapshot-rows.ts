import {UsageError} from '../errors.js'
import type {SnapshotRow} from '../files/formats.js'
import type {LedgerItemRow} from '../files/ledger.js'
import type {MrrDefinitions} from './definitions.js'
import {buildLedger} from './movements.js'

/**
 * sub_snapshots.json from the ledger: its nine columns and invariants unchanged
 * (`mrr_cents = price_amount × screens`, status `active` or `past_due`), so a month's sum of
 * `mrr_cents` is that month's MRR in the reporting currency.
 *
 * - `price_amount` is the item's MRR per unit, in the reporting currency's minor unit: the list
 *   price per unit normalised to a month (yearly ÷ 12 × interval_count, …), less the discounts the
 *   definitions count, rounded half up. For a monthly, undiscounted price in the reporting currency
 *   it is the price's unit_amount, exactly as before.
 * - A row of another currency is converted at the definitions' fixed rate (per unit, then rounded);
 *   without a rate there is no honest number to write, and the mapping refuses.
 * - Rows are the items of active and past_due subscriptions that count, plus free plans (0), as
 *   before; trialing, ended, metered and scheduled-to-cancel items carry no MRR and are left out.
 *   One row per item: a subscription with an add-on (a scenario's `addon`) has two rows, the
 *   add-on's named by its key in `plan`, with `screens` 1.
 */
export function snapshotRowsFromLedger(items: readonly LedgerItemRow[], definitions: MrrDefinitions): SnapshotRow[] {
  const rows: SnapshotRow[] = []
  for (const item of items) {
    if (item.status !== 'active' && item.status !== 'past_due') continue
    if (item.excluded !== null && item.excluded !== 'free') continue
    if (item.quantity === 0) continue
    let priceAmount = item.excluded === 'free' ? 0 : item.unit_mrr
    if (item.currency !== definitions.reportingCurrency && priceAmount > 0) {
      if (item.mrr_reporting === null) {
        throw new UsageError(
          `sub_snapshots.json has no currency column and ${item.subscription_id} is in ${item.currency}: give an fxRates entry for ${item.currency} (to ${definitions.reportingCurrency})`,
        )
      }
      priceAmount = item.mrr_reporting / item.quantity
    }
    rows.push({
      month: item.month,
      customer_id: item.customer_id,
      subscription_id: item.subscription_id,
      plan: item.plan,
      price_id: item.price_id,
      price_amount: priceAmount,
      screens: item.quantity,
      mrr_cents: priceAmount * item.quantity,
      status: item.status,
    })
  }
  return rows
}

/**
 * A ledger read back from today's sub_snapshots.json, for views when no ledger exists: every row
 * is a monthly price in the reporting currency with no discount (all that file could hold before).
 */
export function ledgerFromSnapshots(rows: readonly SnapshotRow[], definitions: MrrDefinitions) {
  const months = [...new Set(rows.map((row) => row.month))].sort()
  const items: LedgerItemRow[] = rows.map((row) => ({
    month: row.month,
    customer_id: row.customer_id,
    subscription_id: row.subscription_id,
    item_id: row.subscription_id,
    plan: row.plan,
    price_id: row.price_id,
    status: row.status,
    currency: definitions.reportingCurrency,
    interval: 'month',
    interval_count: 1,
    unit_amount: row.price_amount,
    quantity: row.screens,
    trial: 'none',
    cancel_at: null,
    discounts: [],
    list_mrr: row.mrr_cents,
    unit_mrr: row.price_amount,
    mrr: row.mrr_cents,
    excluded: row.price_amount === 0 ? 'free' : null,
    mrr_reporting: row.mrr_cents,
  }))
  return buildLedger(definitions, months, items)
}
