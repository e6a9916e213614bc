import type Stripe from 'stripe'

import {addIntervals, monthLabel} from '../billing-time.js'
import type {Config} from '../config/schema.js'
import {groupBy} from '../group-by.js'
import {ledgerItemRows} from '../ledger/mrr.js'
import {type BillingInterval, couponIdFor, unitAmountFor} from './catalog.js'
import {addonAmount, periodEnd} from './features.js'
import type {ExpectedMonth, ExpectedSubscription, PlannedCustomer, PlannedEvent} from './plan.js'

/**
 * What Stripe should hold at each month's reading in a scenario with features, and its MRR by the
 * ledger's definitions (src/ledger/mrr.ts: one definition of MRR, fed here with the planned
 * subscription in Stripe's shape). Trial ends, scheduled cancellations and failed renewals follow
 * Stripe's rules from the planned state, not from the calendar's informational events.
 */

type Status = 'trialing' | 'active' | 'past_due' | 'canceled'

interface PlannedSubscription {
  customer: number
  seq: number
  plan: string
  screens: number
  interval: BillingInterval
  currency: string
  status: Status
  anchor: number
  trialEnd: number | null
  trialOutcome?: 'converts' | 'stops'
  cancelAt: number | null
  /** The month whose reading shows the failed renewal; Stripe has canceled it by the next (SB-32, SB-33). */
  pastDueMonth?: number
  /** `usedAt`: when a `once` discount reduced its first invoice and Stripe removed it (SB-60). */
  discount?: {coupon: string; start: number; end: number | null; usedAt?: number}
  /** The add-on's key while its item is on the subscription (a second item, monthly like the plan's). */
  addon?: string
}

export interface ExpectInput {
  config: Config
  customers: readonly PlannedCustomer[]
  /** Sorted in time order. */
  events: readonly PlannedEvent[]
  months: number
  startTime: number
}

export function expectFeatureMonths(input: ExpectInput): ExpectedMonth[] {
  const {config, customers, events, months, startTime} = input
  const coupons = new Map((config.coupons ?? []).map((coupon) => [coupon.id, coupon]))
  // A `once` discount is used up by the next invoice with an amount: the first one at creation, the
  // trial-end one after a trial (a $0 trial invoice does not use it, unconfirmed), else the next renewal.
  const discountFrom = (id: string, start: number, nextInvoice: number) => {
    const coupon = coupons.get(id)!
    return {
      coupon: id,
      start,
      end: coupon.duration === 'repeating' ? addIntervals(start, 'month', coupon.durationInMonths!) : null,
      ...(coupon.duration === 'once' ? {usedAt: nextInvoice} : {}),
    }
  }
  const invoiceNow = (sub: PlannedSubscription, time: number) => {
    if (sub.discount?.usedAt !== undefined && sub.discount.usedAt > time) sub.discount.usedAt = time
  }
  const subscriptions: PlannedSubscription[][] = customers.map((c) => {
    const terms = c.terms!
    const trial = terms.trial
    return [
      {
        customer: c.index,
        seq: 0,
        plan: c.plan,
        screens: c.screens,
        interval: terms.interval,
        currency: terms.currency,
        status: trial ? 'trialing' : 'active',
        anchor: terms.anchor,
        trialEnd: trial?.endsAt ?? null,
        ...(trial ? {trialOutcome: trial.outcome} : {}),
        cancelAt: null,
        ...(terms.coupon?.month === 0
          ? {discount: discountFrom(terms.coupon.id, startTime, trial?.endsAt ?? startTime)}
          : {}),
      },
    ]
  })
  const freePlans = new Set(config.plans.filter((plan) => plan.unitAmount === 0).map((plan) => plan.key))
  const isFree = (plan: string) => freePlans.has(plan)
  const unitAmounts = new Map<string, number>()
  const unitAmount = (sub: PlannedSubscription) => {
    const key = `${sub.plan}:${sub.interval}:${sub.currency}`
    let amount = unitAmounts.get(key)
    if (amount === undefined)
      unitAmounts.set(key, (amount = unitAmountFor(config, sub.plan, sub.interval, sub.currency)))
    return amount
  }
  const byMonth = groupBy(events, (event) => event.month)
  const expected: ExpectedMonth[] = []
  for (let month = 0; month <= months; month++) {
    const at = addIntervals(startTime, 'month', month)
    for (const event of byMonth.get(month) ?? []) {
      const list = subscriptions[event.customer]!
      const time = event.at ?? at
      settle(list, time)
      const sub = list[event.subscription ?? 0] ?? list[0]!
      switch (event.kind) {
        case 'upgrade':
        case 'downgrade':
        case 'mid_cycle_upgrade':
        case 'mid_cycle_downgrade':
        case 'seat_growth': {
          // From free to paid, Stripe bills at once and resets the billing date (SB-45).
          if (isFree(sub.plan) && !isFree(event.to!.plan)) {
            sub.anchor = time
            invoiceNow(sub, time)
          }
          Object.assign(sub, {plan: event.to!.plan, screens: event.to!.screens})
          break
        }
        case 'to_yearly': {
          // An interval change resets the billing date (SB-45).
          Object.assign(sub, {interval: 'year', anchor: time})
          invoiceNow(sub, time)
          break
        }
        case 'cancel': {
          sub.status = 'canceled'
          break
        }
        case 'past_due': {
          sub.status = 'past_due'
          sub.pastDueMonth = month
          break
        }
        case 'cancel_at_period_end': {
          sub.cancelAt = event.endsAt!
          break
        }
        case 'reactivation': {
          // A new subscription: no discount carries over (the API cannot put one on the customer, SB-57).
          list.push({
            customer: sub.customer,
            seq: list.length,
            plan: event.to!.plan,
            screens: event.to!.screens,
            interval: event.to!.interval ?? 'month',
            currency: sub.currency,
            status: 'active',
            anchor: time,
            trialEnd: null,
            cancelAt: null,
          })
          break
        }
        case 'discount': {
          sub.discount = discountFrom(event.coupon!, time, periodEnd(sub.anchor, sub.interval, time))
          break
        }
        case 'addon_added': {
          sub.addon = event.addon!
          break
        }
        case 'addon_removed': {
          delete sub.addon
          break
        }
        case 'trial_end':
        case 'subscription_end': {
          break // Stripe's doing, settled from the state
        }
      }
    }
    const rows: ExpectedSubscription[] = []
    const byCurrency: Record<string, number> = {}
    let total = 0
    const unconverted = new Set<string>()
    const label = monthLabel(at)
    for (const list of subscriptions) {
      settle(list, at, month)
      for (const sub of list) {
        if (sub.status === 'canceled') continue
        const addon = sub.addon === undefined ? undefined : addonAmount(config, config.addon!, sub.currency)
        if (sub.addon !== undefined && addon === undefined)
          throw new Error(
            `BUG: the add-on has no price in ${sub.currency}, and the planner gave it to a customer paying in it`,
          )
        // One row per item, as the ledger reads it: the subscription's MRR is their sum (SB-M1).
        const items = ledgerItemRows(toStripe(sub, unitAmount(sub), config, at, addon), {
          month: label,
          at,
          definitions: config.analytics,
          planOf: (price) => price.metadata.stripe_seed_addon ?? sub.plan,
        })
        const row = items[0]!
        const mrr = items.reduce((sum, item) => sum + item.mrr, 0)
        byCurrency[sub.currency] = (byCurrency[sub.currency] ?? 0) + mrr
        if (items.some((item) => item.mrr_reporting === null)) {
          if (mrr > 0) unconverted.add(sub.currency)
        } else total += items.reduce((sum, item) => sum + item.mrr_reporting!, 0)
        rows.push({
          customer: sub.customer,
          plan: sub.plan,
          screens: sub.screens,
          status: sub.status,
          mrrCents: mrr,
          currency: sub.currency,
          interval: sub.interval,
          subscription: sub.seq,
          excluded: row.excluded,
          ...(listed(sub.discount, at) ? {coupon: sub.discount!.coupon} : {}),
          cancelAt: sub.cancelAt,
          ...(sub.addon === undefined ? {} : {addon: sub.addon}),
        })
      }
    }
    expected.push({
      month,
      label,
      mrrCents: total,
      subscriptions: rows,
      mrrByCurrency: byCurrency,
      ...(unconverted.size > 0 ? {unconverted: [...unconverted].sort()} : {}),
    })
  }
  return expected
}

/** Whether Stripe still lists the discount on the subscription at `at` (a repeating one ends at `end`, SB-58; a once one goes when used). */
function listed(discount: PlannedSubscription['discount'], at: number): boolean {
  return (
    discount !== undefined &&
    (discount.end === null || discount.end > at) &&
    (discount.usedAt === undefined || discount.usedAt > at)
  )
}

/** Stripe's own transitions up to `at`: trial ends (SB-49, SB-50), scheduled cancellations, failed renewals running out (SB-33). */
function settle(list: PlannedSubscription[], at: number, readingMonth?: number): void {
  for (const sub of list) {
    if (sub.status === 'trialing' && sub.trialEnd !== null && sub.trialEnd <= at) {
      sub.status = sub.trialOutcome === 'stops' ? 'canceled' : 'active'
      if (sub.status === 'active') sub.anchor = sub.trialEnd
    }
    if (sub.status !== 'canceled' && sub.cancelAt !== null && sub.cancelAt <= at) sub.status = 'canceled'
    if (
      sub.status === 'past_due' &&
      readingMonth !== undefined &&
      sub.pastDueMonth !== undefined &&
      readingMonth > sub.pastDueMonth
    )
      sub.status = 'canceled'
  }
}

/**
 * The planned subscription in the shape Stripe returns it, with the fields the ledger's MRR reads
 * (src/ledger/mrr.ts); the rest of Stripe's object is not needed and not invented.
 */
function toStripe(
  sub: PlannedSubscription,
  unitAmount: number,
  config: Config,
  at: number,
  addonUnitAmount?: number,
): Stripe.Subscription {
  const coupon = listed(sub.discount, at) ? config.coupons!.find((c) => c.id === sub.discount!.coupon)! : undefined
  const discounts = coupon
    ? [
        {
          object: 'discount',
          id: `planned_di_${sub.customer}_${sub.seq}`,
          start: sub.discount!.start,
          end: sub.discount!.end,
          source: {
            type: 'coupon',
            coupon: {
              object: 'coupon',
              id: couponIdFor(coupon.id),
              percent_off: coupon.percentOff ?? null,
              amount_off: coupon.amountOff ?? null,
              currency: coupon.amountOff === undefined ? null : (coupon.currency ?? config.plans[0]!.currency),
              duration: coupon.duration,
              duration_in_months: coupon.durationInMonths ?? null,
            },
          },
        },
      ]
    : []
  const currentPeriodEnd = sub.status === 'trialing' ? sub.trialEnd! : periodEnd(sub.anchor, sub.interval, at)
  const recurring = {
    interval: sub.interval,
    interval_count: 1,
    usage_type: 'licensed',
    meter: null,
    trial_period_days: null,
  }
  // The add-on's item, after the plan's: added later, so Stripe lists it second.
  const addonItems =
    sub.addon === undefined || addonUnitAmount === undefined
      ? []
      : [
          {
            object: 'subscription_item',
            id: `planned_si_${sub.customer}_${sub.seq}_addon`,
            quantity: 1,
            discounts: [],
            current_period_end: currentPeriodEnd,
            price: {
              object: 'price',
              id: `planned_price_addon_${sub.addon}_${sub.currency}`,
              currency: sub.currency,
              unit_amount: addonUnitAmount,
              unit_amount_decimal: null,
              billing_scheme: 'per_unit',
              recurring,
              metadata: {stripe_seed_addon: sub.addon},
            },
          },
        ]
  const planned = {
    object: 'subscription',
    id: `planned_sub_${sub.customer}_${sub.seq}`,
    customer: `planned_cus_${sub.customer}`,
    status: sub.status,
    currency: sub.currency,
    discounts,
    trial_end: sub.trialEnd,
    cancel_at_period_end: sub.cancelAt !== null,
    cancel_at: sub.cancelAt,
    items: {
      object: 'list',
      data: [
        {
          object: 'subscription_item',
          id: `planned_si_${sub.customer}_${sub.seq}`,
          quantity: sub.screens,
          discounts: [],
          current_period_end: currentPeriodEnd,
          price: {
            object: 'price',
            id: `planned_price_${sub.plan}_${sub.interval}_${sub.currency}`,
            currency: sub.currency,
            unit_amount: unitAmount,
            unit_amount_decimal: null,
            billing_scheme: 'per_unit',
            recurring,
            metadata: {stripe_seed_plan: sub.plan},
          },
        },
        ...addonItems,
      ],
    },
  }
  // Only the fields above are read by ledgerItemRows; the cast stands for the rest of Stripe's shape.
  return planned as unknown as Stripe.Subscription
}
