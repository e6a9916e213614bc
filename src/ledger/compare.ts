import {formatMoney} from '../render/money.js'
import type {LedgerItemRow} from '../files/ledger.js'

/**
 * What `run verify` needs for the ledger: its latest month against a fresh reading of Stripe
 * (monthReading of the same subscriptions now). Pure: the caller reads Stripe.
 */
export interface LedgerMismatch {
  subscriptionId: string
  itemId: string
  field: 'missing' | 'unexpected' | 'status' | 'interval' | 'quantity' | 'discounts' | 'trial' | 'mrr'
  expected: string
  actual: string
}

const discountsOf = (row: LedgerItemRow) =>
  row.discounts.map((d) => `${d.coupon_id}${d.counted ? '' : ' (not counted)'}`).join(', ') || 'none'

const CHECKS: Array<[LedgerMismatch['field'], (row: LedgerItemRow) => string]> = [
  ['status', (row) => row.status],
  ['interval', (row) => `${row.interval_count} ${row.interval}`],
  ['quantity', (row) => String(row.quantity)],
  ['discounts', discountsOf],
  ['trial', (row) => row.trial],
  ['mrr', (row) => formatMoney(row.mrr, row.currency)],
]

/** Every difference between the ledger's rows and the fresh ones, matched by subscription item. */
export function compareLedgerMonth(
  ledgerRows: readonly LedgerItemRow[],
  freshRows: readonly LedgerItemRow[],
): LedgerMismatch[] {
  const fresh = new Map(freshRows.map((row) => [row.item_id, row]))
  const mismatches: LedgerMismatch[] = []
  for (const row of ledgerRows) {
    const now = fresh.get(row.item_id)
    fresh.delete(row.item_id)
    if (!now) {
      mismatches.push({
        subscriptionId: row.subscription_id,
        itemId: row.item_id,
        field: 'missing',
        expected: 'present',
        actual: 'absent',
      })
      continue
    }
    for (const [field, value] of CHECKS) {
      if (value(row) !== value(now))
        mismatches.push({
          subscriptionId: row.subscription_id,
          itemId: row.item_id,
          field,
          expected: value(row),
          actual: value(now),
        })
    }
  }
  for (const row of fresh.values())
    mismatches.push({
      subscriptionId: row.subscription_id,
      itemId: row.item_id,
      field: 'unexpected',
      expected: 'absent',
      actual: 'present',
    })
  return mismatches
}
