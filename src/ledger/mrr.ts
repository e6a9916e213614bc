import type Stripe from 'stripe'

import {UserError} from '../errors.js'
import {EXCLUSIONS, type LedgerDiscount, type LedgerItemRow} from '../files/ledger.js'
import {type MrrDefinitions, minorUnitRate} from './definitions.js'

/**
 * MRR by Stripe's billing-analytics definitions (SB-M1–SB-M3), one subscription at
 * one reading. Pure: everything it needs is the subscription as the SDK types it and the context.
 */

export interface ReadingContext {
  /** The month this reading belongs to (YYYY-MM). */
  month: string
  /** When Stripe's state was read (the clock's frozen time), unix seconds: decides which discounts are in force. */
  at: number
  definitions: MrrDefinitions
  /** Coupons by id, for discounts whose `source.coupon` is not expanded (item-level ones cannot be, four levels deep). */
  coupons?: ReadonlyMap<string, Stripe.Coupon>
  /** The plan key of a price, e.g. from stripe_prices.json; defaults to the price's `stripe_seed_plan` metadata, else its id. */
  planOf?: (price: Stripe.Price) => string | undefined
}

/** Statuses that count towards MRR (SB-M1); everything else is excluded under its own name. */
const COUNTED_STATUSES = new Set<Stripe.Subscription.Status>(['active', 'past_due'])

interface ItemAmounts {
  /** Monthly-normalised amount for the whole item, unrounded, after the discounts applied so far. */
  monthly: number
  monthsPerPeriod: number
}

/**
 * One ledger row per subscription item. Discounts: item-level ones apply first, then the
 * subscription's (SB-56), each in the order Stripe lists them; a percentage takes its share of what
 * remains, an amount comes off once per billing period (spread over items by their amounts).
 */
export function ledgerItemRows(subscription: Stripe.Subscription, context: ReadingContext): LedgerItemRow[] {
  const {definitions} = context
  const customerId = typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id
  const items = subscription.items.data
  const trial: LedgerItemRow['trial'] =
    subscription.status === 'trialing'
      ? 'trialing'
      : subscription.trial_end !== null && subscription.trial_end <= context.at
        ? 'ended'
        : 'none'
  const cancelAt =
    subscription.cancel_at ??
    (subscription.cancel_at_period_end ? Math.min(...items.map((item) => item.current_period_end)) : null)

  const amounts: ItemAmounts[] = items.map((item) => {
    const unit = unitAmount(item.price, subscription.currency)
    const monthsPerPeriod = monthsPerInterval(item.price, definitions)
    return {monthly: (unit * (item.quantity ?? 1)) / monthsPerPeriod, monthsPerPeriod}
  })
  const listMonthly = amounts.map((a) => a.monthly)
  const itemDiscounts = items.map((item, index) =>
    inForce(item.discounts, context).map((discount) => {
      const row = discountRow(discount, 'item', subscription.currency, context)
      if (row.counted)
        amounts[index]!.monthly = applyDiscount(amounts[index]!.monthly, row, amounts[index]!.monthsPerPeriod)
      return row
    }),
  )
  const subscriptionDiscounts = inForce(subscription.discounts, context).map((discount) => {
    const row = discountRow(discount, 'subscription', subscription.currency, context)
    if (row.counted) applySubscriptionDiscount(amounts, row, subscription.id)
    return row
  })

  return items.map((item, index) => {
    const quantity = item.quantity ?? 1
    const exactUnit = quantity === 0 ? 0 : amounts[index]!.monthly / quantity
    const unitMrr = roundHalfUp(exactUnit)
    const excluded = exclusion(subscription, item, definitions, unitMrr)
    const rate = minorUnitRate(definitions, subscription.currency)
    const recurring = item.price.recurring!
    return {
      month: context.month,
      customer_id: customerId,
      subscription_id: subscription.id,
      item_id: item.id,
      plan: context.planOf?.(item.price) ?? item.price.metadata?.stripe_seed_plan ?? item.price.id,
      price_id: item.price.id,
      status: subscription.status,
      currency: subscription.currency,
      interval: recurring.interval as LedgerItemRow['interval'],
      interval_count: recurring.interval_count,
      unit_amount: unitAmount(item.price, subscription.currency),
      quantity,
      trial,
      cancel_at: cancelAt,
      discounts: [...itemDiscounts[index]!, ...subscriptionDiscounts],
      list_mrr: listMonthly[index]!,
      unit_mrr: unitMrr,
      mrr: excluded === null ? unitMrr * quantity : 0,
      excluded,
      mrr_reporting: rate === undefined ? null : excluded === null ? roundHalfUp(exactUnit * rate) * quantity : 0,
    }
  })
}

function exclusion(
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  definitions: MrrDefinitions,
  unitMrr: number,
): LedgerItemRow['excluded'] {
  const {status} = subscription
  if (!COUNTED_STATUSES.has(status)) {
    if (!isExclusion(status))
      throw new UserError(
        `Subscription ${subscription.id} has status "${status}", which stripe-seed's MRR does not model`,
      )
    return status
  }
  // SB-M3: by default Stripe stops counting at the request; accounts may choose the period end.
  if (
    definitions.scheduledCancellation === 'at_request' &&
    (subscription.cancel_at_period_end || subscription.cancel_at !== null)
  )
    return 'scheduled_cancellation'
  if (item.price.recurring?.usage_type === 'metered') return 'metered' // SB-M1
  if (unitAmount(item.price, subscription.currency) === 0) return 'free' // SB-M1
  // A 100 % forever discount leaves a paid plan at 0: it carries no MRR, like a free plan.
  return unitMrr === 0 && item.quantity !== 0 ? 'free' : null
}

function isExclusion(status: string): status is NonNullable<LedgerItemRow['excluded']> {
  return (EXCLUSIONS as readonly string[]).includes(status)
}

/** The list price per unit per period, in the subscription's currency (a multi-currency price carries the others in currency_options). */
function unitAmount(price: Stripe.Price, currency: string): number {
  if (price.recurring === null)
    throw new UserError(`Price ${price.id} is not recurring: a subscription item cannot carry it`)
  if (price.billing_scheme === 'tiered')
    throw new UserError(`Price ${price.id} is tiered: stripe-seed's MRR does not model tiered prices`)
  const source = price.currency === currency ? price : price.currency_options?.[currency]
  if (!source) throw new UserError(`Price ${price.id} has no amount in ${currency}: expand its currency_options`)
  if (source.unit_amount_decimal !== null && source.unit_amount_decimal !== undefined)
    return Number(String(source.unit_amount_decimal))
  return source.unit_amount ?? 0
}

/** SB-M1: a year is 12 months; weeks and days use the definitions' factors (Stripe does not document them). */
export function monthsPerInterval(
  price: {recurring: Pick<Stripe.Price.Recurring, 'interval' | 'interval_count'> | null},
  definitions: Pick<MrrDefinitions, 'weeksPerMonth' | 'daysPerMonth'>,
): number {
  const recurring = price.recurring!
  const count = recurring.interval_count
  switch (recurring.interval) {
    case 'year':
      return 12 * count
    case 'month':
      return count
    case 'week':
      return count / definitions.weeksPerMonth
    case 'day':
      return count / definitions.daysPerMonth
    default:
      throw new UserError(`Unknown price interval "${recurring.interval}"`)
  }
}

function inForce(discounts: Array<string | Stripe.Discount>, context: ReadingContext): Stripe.Discount[] {
  return discounts
    .map((discount) => {
      if (typeof discount === 'string')
        throw new Error(
          `BUG: discount ${discount} is not expanded (expand discounts when reading subscriptions for the ledger)`,
        )
      return discount
    })
    .filter((discount) => discount.start <= context.at && (discount.end === null || discount.end > context.at)) // SB-58
}

function discountRow(
  discount: Stripe.Discount,
  level: LedgerDiscount['level'],
  currency: string,
  context: ReadingContext,
): LedgerDiscount {
  const coupon =
    typeof discount.source.coupon === 'string' ? context.coupons?.get(discount.source.coupon) : discount.source.coupon
  if (!coupon)
    throw new Error(`BUG: the coupon of discount ${discount.id} is neither expanded nor given in the context`)
  const amountOff =
    coupon.amount_off === null
      ? null
      : coupon.currency === currency
        ? coupon.amount_off
        : (coupon.currency_options?.[currency]?.amount_off ?? null)
  if (coupon.amount_off !== null && amountOff === null)
    throw new UserError(`Coupon ${coupon.id} has no amount in ${currency}`)
  const {discounts} = context.definitions
  const duration = coupon.duration
  if (!isModelledDuration(duration))
    throw new UserError(`Coupon ${coupon.id} has duration "${duration}", which stripe-seed's MRR does not model`)
  // SB-M2: forever always counts; repeating and once only where the account opted in.
  const counted =
    duration === 'forever' ||
    (duration === 'repeating' && discounts.subtractRecurring) ||
    (duration === 'once' && discounts.subtractOneTime)
  return {
    coupon_id: coupon.id,
    level,
    percent_off: coupon.percent_off,
    amount_off: amountOff,
    duration,
    ends_at: discount.end,
    counted,
  }
}

function isModelledDuration(duration: string): duration is LedgerDiscount['duration'] {
  return duration === 'forever' || duration === 'repeating' || duration === 'once'
}

function applyDiscount(monthly: number, discount: LedgerDiscount, monthsPerPeriod: number): number {
  if (discount.percent_off !== null) return monthly * (1 - discount.percent_off / 100)
  // An amount off never takes an invoice below 0 (SB-54).
  return Math.max(0, monthly - (discount.amount_off ?? 0) / monthsPerPeriod)
}

function applySubscriptionDiscount(amounts: ItemAmounts[], discount: LedgerDiscount, subscriptionId: string): void {
  if (discount.percent_off !== null) {
    for (const a of amounts) a.monthly = applyDiscount(a.monthly, discount, a.monthsPerPeriod)
    return
  }
  const periods = new Set(amounts.map((a) => a.monthsPerPeriod))
  if (periods.size > 1)
    throw new UserError(
      `Subscription ${subscriptionId} mixes billing intervals under an amount-off coupon: how Stripe spreads it is not modelled`,
    )
  const total = amounts.reduce((sum, a) => sum + a.monthly, 0)
  if (total === 0) return
  const off = Math.min(total, (discount.amount_off ?? 0) / amounts[0]!.monthsPerPeriod)
  for (const a of amounts) a.monthly -= (off * a.monthly) / total
}

/** Half up to the minor unit; a tiny epsilon keeps 0.5 that floating point stored as 0.49999… from rounding down. */
export function roundHalfUp(value: number): number {
  return Math.floor(value + 0.5 + 1e-9)
}
