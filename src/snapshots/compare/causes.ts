import type {LedgerItemRow} from '../../files/ledger.js'
import {type MrrDefinitions, minorUnitRate} from '../../ledger/definitions.js'
import {monthsPerInterval, roundHalfUp} from '../../ledger/mrr.js'

/**
 * The mistakes a dashboard makes that the ledger can see, each as a change to the MRR definitions:
 * an item's MRR under a set of mistakes is computed from the ledger row's own facts (status,
 * interval, quantity, discounts, cancel_at, currency). Pure.
 */
export const CAUSES = {
  trial_counted: 'counted a trialing subscription',
  interval_not_normalised: 'a yearly (or other non-monthly) price not normalised to a month',
  once_coupon_subtracted: 'a `once` coupon subtracted',
  repeating_coupon_subtracted: 'a `repeating` coupon subtracted',
  forever_coupon_not_subtracted: 'a `forever` coupon not subtracted',
  scheduled_cancellation_counted:
    'cancel_at_period_end counted after the request (the definitions drop it at the request)',
  scheduled_cancellation_dropped:
    'a scheduled cancellation dropped at the request (the definitions count it until the period ends)',
  past_due_dropped: 'a past_due subscription dropped',
  ended_counted: 'an unpaid or canceled subscription counted',
  free_plan_counted: 'a free plan (a 100% discount) counted at its list price',
  quantity_ignored: 'quantity ignored (one unit counted)',
  currency_unconverted: 'currencies summed unconverted',
  metered_counted: 'a metered price counted',
  reactivation_missed: 'a reactivation missed',
} as const
export type Cause = keyof typeof CAUSES
export const CAUSE_IDS = Object.keys(CAUSES) as Cause[]

/** What the ledger cannot see, said where a difference stays unexplained. */
export const UNSEEN =
  'the ledger holds subscriptions, not invoices: a proration or one-off invoice item counted as MRR shows up as unexplained'

/** A ledger item as compare evaluates it, with what the row alone does not say. */
export interface EvaluatedItem {
  row: LedgerItemRow
  /** The subscription ended before this month (the ledger lists it only in the month it ended): 0 unless `ended_counted`. */
  ghost: boolean
  /** The subscription that brought a churned customer back (`reactivation_missed` leaves it out). */
  reactivating: boolean
}

/** Statuses whose subscriptions carry MRR (SB rules in mrr.ts); the others only under a mistake. */
const COUNTED = new Set(['active', 'past_due'])

/**
 * The item's MRR in `target` currency's minor unit under `mistakes` (none: the ledger's own
 * definitions, which must reproduce the row's mrr, else the item is opaque and its MRR is fixed).
 */
export function itemMrr(
  item: EvaluatedItem,
  mistakes: ReadonlySet<Cause>,
  definitions: MrrDefinitions,
  target: string,
): number | undefined {
  const {row} = item
  const has = (cause: Cause) => mistakes.has(cause)
  if (item.ghost) return has('ended_counted') ? amount(row, mistakes, definitions, target) : 0
  if (item.reactivating && has('reactivation_missed')) return 0
  const status = row.status
  if (status === 'trialing') {
    if (!has('trial_counted')) return 0
  } else if (status === 'canceled' || status === 'unpaid') {
    if (!has('ended_counted')) return 0
  } else if (!COUNTED.has(status)) return 0
  if (status === 'past_due' && has('past_due_dropped')) return 0
  if (row.cancel_at !== null && COUNTED.has(status)) {
    const counts =
      definitions.scheduledCancellation === 'at_request'
        ? has('scheduled_cancellation_counted')
        : !has('scheduled_cancellation_dropped')
    if (!counts) return 0
  }
  if (row.excluded === 'metered' && !has('metered_counted')) return 0
  return amount(row, mistakes, definitions, target)
}

function amount(
  row: LedgerItemRow,
  mistakes: ReadonlySet<Cause>,
  definitions: MrrDefinitions,
  target: string,
): number | undefined {
  const has = (cause: Cause) => mistakes.has(cause)
  const months = has('interval_not_normalised') ? 1 : monthsPerInterval({recurring: row}, definitions)
  const free = row.excluded === 'free'
  let monthly = row.unit_amount / months
  for (const discount of row.discounts) {
    const counted =
      discount.duration === 'forever'
        ? !has('forever_coupon_not_subtracted') && !(free && has('free_plan_counted'))
        : discount.counted ||
          has(discount.duration === 'once' ? 'once_coupon_subtracted' : 'repeating_coupon_subtracted')
    if (!counted) continue
    if (discount.percent_off !== null) monthly *= 1 - discount.percent_off / 100
    else monthly = Math.max(0, monthly - (discount.amount_off ?? 0) / Math.max(1, row.quantity) / months)
  }
  const quantity = has('quantity_ignored') && row.quantity > 0 ? 1 : row.quantity
  if (target === row.currency || has('currency_unconverted')) return roundHalfUp(monthly) * quantity
  const rate = minorUnitRate(definitions, row.currency)
  return rate === undefined ? undefined : roundHalfUp(monthly * rate) * quantity
}
