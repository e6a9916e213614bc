import type Stripe from 'stripe'

import type {LedgerItemRow} from '../files/ledger.js'
import {type ReadingContext, ledgerItemRows} from './mrr.js'

/**
 * What the run asks Stripe for when it reads a month for the ledger: subscriptions with their own
 * and their items' discounts as objects (four levels, Stripe's expansion limit). Since clover a
 * discount names its coupon by id (SB-V6): pass the run's coupons in the context's
 * `coupons` (listed once; an expanded `source.coupon` is used as well when present).
 */
export const LEDGER_SUBSCRIPTION_EXPAND = ['data.discounts', 'data.items.data.discounts'] as const

/**
 * One month's ledger rows from the subscriptions Stripe listed (`status: 'all'`). A subscription
 * that ended before the previous reading is history, not this month: it is left out, so an ended
 * subscription appears once, in the month it ended, with the status Stripe gave it.
 */
export function monthReading(
  subscriptions: readonly Stripe.Subscription[],
  context: ReadingContext & {previousAt?: number},
): LedgerItemRow[] {
  return subscriptions
    .filter(
      (subscription) =>
        subscription.ended_at === null ||
        context.previousAt === undefined ||
        subscription.ended_at > context.previousAt,
    )
    .flatMap((subscription) => ledgerItemRows(subscription, context))
}
