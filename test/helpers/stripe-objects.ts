import Stripe from 'stripe'

/**
 * Subscriptions, prices, coupons and discounts for ledger tests: the fields of Stripe's own example
 * objects (stripe/openapi fixtures3.json, API 2026-10-28.endive) that MRR reads, with the values a
 * test sets. Fields MRR never reads are left out, hence the casts.
 */
const fixtures: Record<string, Record<string, unknown>> = {
  price: {
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: 1721948530,
    livemode: false,
    lookup_key: null,
    nickname: null,
    product: 'prod_1',
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    custom_unit_amount: null,
  },
  coupon: {
    object: 'coupon',
    created: 1234567890,
    currency: null,
    livemode: false,
    max_redemptions: null,
    metadata: {},
    name: null,
    redeem_by: null,
    times_redeemed: 0,
    valid: true,
  },
  discount: {
    object: 'discount',
    checkout_session: null,
    customer: 'cus_1',
    customer_account: null,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    subscription: null,
    subscription_item: null,
  },
  subscription: {
    object: 'subscription',
    billing_cycle_anchor: 1234567890,
    collection_method: 'charge_automatically',
    created: 1234567890,
    livemode: false,
    metadata: {},
    items: {
      object: 'list',
      data: [
        {
          object: 'subscription_item',
          created: 1234567890,
          metadata: {},
          tax_rates: [],
          current_period_start: 1234567890,
        },
      ],
      has_more: false,
      url: '/v1/subscription_items',
    },
  },
}

const clone = <T>(value: unknown): T => structuredClone(value) as T

export interface ItemSpec {
  unitAmount: number
  quantity?: number
  interval?: Stripe.Price.Recurring.Interval
  intervalCount?: number
  currency?: string
  usageType?: Stripe.Price.Recurring.UsageType
  plan?: string
  discounts?: Stripe.Discount[]
}

export function price(
  spec: ItemSpec,
  id = `price_${spec.plan ?? 'p'}_${spec.unitAmount}_${spec.interval ?? 'month'}`,
): Stripe.Price {
  const p = clone<Stripe.Price>(fixtures.price)
  return {
    ...p,
    id,
    currency: spec.currency ?? 'usd',
    unit_amount: spec.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(String(spec.unitAmount)),
    billing_scheme: 'per_unit',
    metadata: spec.plan ? {stripe_seed_plan: spec.plan} : {},
    recurring: {
      interval: spec.interval ?? 'month',
      interval_count: spec.intervalCount ?? 1,
      meter: null,
      trial_period_days: null,
      usage_type: spec.usageType ?? 'licensed',
    },
  }
}

export function coupon(
  fields: Partial<
    Pick<Stripe.Coupon, 'id' | 'percent_off' | 'amount_off' | 'currency' | 'duration' | 'duration_in_months'>
  >,
): Stripe.Coupon {
  const c = clone<Stripe.Coupon>(fixtures.coupon)
  return {...c, amount_off: null, percent_off: null, duration_in_months: null, ...fields}
}

export function discount(
  c: Stripe.Coupon,
  start: number,
  end: number | null = null,
  id = `di_${c.id}`,
): Stripe.Discount {
  const d = clone<Stripe.Discount>(fixtures.discount)
  return {...d, id, start, end, source: {type: 'coupon', coupon: c}}
}

export interface SubscriptionSpec {
  id?: string
  customer?: string
  status?: Stripe.Subscription.Status
  currency?: string
  items: ItemSpec[]
  discounts?: Stripe.Discount[]
  trialEnd?: number | null
  cancelAtPeriodEnd?: boolean
  cancelAt?: number | null
  periodEnd?: number
}

export function subscription(spec: SubscriptionSpec): Stripe.Subscription {
  const s = clone<Stripe.Subscription>(fixtures.subscription)
  const template = s.items.data[0]!
  const id = spec.id ?? 'sub_1'
  return {
    ...s,
    id,
    customer: spec.customer ?? 'cus_1',
    status: spec.status ?? 'active',
    currency: spec.currency ?? 'usd',
    discounts: spec.discounts ?? [],
    trial_end: spec.trialEnd ?? null,
    trial_start: null,
    cancel_at_period_end: spec.cancelAtPeriodEnd ?? false,
    cancel_at: spec.cancelAt ?? (spec.cancelAtPeriodEnd ? (spec.periodEnd ?? 2_000_000_000) : null),
    canceled_at: null,
    ended_at: null,
    items: {
      ...s.items,
      data: spec.items.map((item, index) => ({
        ...clone<Stripe.SubscriptionItem>(template),
        id: `si_${id}_${index}`,
        quantity: item.quantity ?? 1,
        price: price({...item, currency: item.currency ?? spec.currency ?? 'usd'}),
        discounts: item.discounts ?? [],
        current_period_end: spec.periodEnd ?? 2_000_000_000,
      })),
    },
  }
}
