import {z} from 'zod'

import {closestName} from '../did-you-mean.js'
import {MrrDefinitionsSchema} from '../ledger/definitions.js'

/**
 * The one definition of stripe-seed's configuration. Defaults are the original tooling's tables
 * (../shared/reference/original-design-notes.md); a config file overrides any part of them.
 */

export const PlanSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower_snake_case (it names the plan in every file)'),
    name: z.string().min(1),
    description: z.string().default(''),
    unitAmount: z
      .number()
      .int()
      .nonnegative()
      .describe("price per screen per month, in the currency's minor unit (cents)"),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code')
      .default('usd'),
    screens: z
      .object({min: z.number().int().positive(), max: z.number().int().positive()})
      .refine((range) => range.min <= range.max, 'min must not exceed max'),
    customers: z.number().int().nonnegative().describe('customers on this plan in the reference distribution'),
    churnWeight: z.number().nonnegative().default(1).describe('relative chance that a cancellation falls on this plan'),
  })
  .strict()

export type Plan = z.infer<typeof PlanSchema>

export const DEFAULT_PLANS: Plan[] = [
  {
    key: 'free',
    name: 'Free',
    description: 'Free plan, up to 3 screens',
    unitAmount: 0,
    currency: 'usd',
    screens: {min: 1, max: 3},
    customers: 25,
    churnWeight: 3,
  },
  {
    key: 'standard',
    name: 'Standard',
    description: 'Standard plan, billed per screen',
    unitAmount: 1000,
    currency: 'usd',
    screens: {min: 2, max: 8},
    customers: 18,
    churnWeight: 3,
  },
  {
    key: 'pro_plus',
    name: 'Pro Plus',
    description: 'Pro Plus plan, billed per screen',
    unitAmount: 1500,
    currency: 'usd',
    screens: {min: 5, max: 20},
    customers: 32,
    churnWeight: 1,
  },
  {
    key: 'engage',
    name: 'Engage',
    description: 'Engage plan, billed per screen',
    unitAmount: 3000,
    currency: 'usd',
    screens: {min: 8, max: 30},
    customers: 15,
    churnWeight: 1,
  },
  {
    key: 'enterprise',
    name: 'Enterprise',
    description: 'Enterprise plan, billed per screen',
    unitAmount: 4500,
    currency: 'usd',
    screens: {min: 25, max: 100},
    customers: 10,
    churnWeight: 1,
  },
]

export const EventCountsSchema = z
  .object({
    upgrades: z.number().int().nonnegative(),
    downgrades: z.number().int().nonnegative(),
    cancellations: z.number().int().nonnegative(),
    pastDue: z.number().int().nonnegative(),
    planUpgradeShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('share of upgrades that change plan rather than add screens'),
  })
  .strict()

export const SchedulerSchema = z
  .object({
    perLaneRps: z.number().positive().max(1000).default(4),
    maxInFlight: z.number().int().positive().max(100).default(10),
    // Above 25 only makes sense against the emulator: Stripe test mode allows 25 req/s (SB-6).
    maxRps: z.number().positive().max(1000).default(20).describe('account-wide ceiling'),
    retryForSeconds: z
      .number()
      .nonnegative()
      .max(3600)
      .default(300)
      .describe(
        'how long a request failing transiently (429, 409, 5xx, dropped connection) is retried before it counts as failed',
      ),
    retryBaseMs: z.number().int().positive().default(500),
  })
  .strict()

const count = (what: string) =>
  z
    .number()
    .int()
    .nonnegative()
    .describe(
      `${what}, per the plans' reference customers (scaled to --customers by largest remainder, like the plan table)`,
    )
const currencyCode = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code')
const couponId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower_snake_case (it names the coupon in Stripe: stripe_seed_<id>)')

/**
 * Scenario features: each is absent by default, so the default plan stays the original's run.
 * Counts are per the plans' reference customers (100 by default) and scale with --customers.
 */
export const YearlySchema = z
  .object({
    customers: count("customers who subscribe to a paid plan's yearly price"),
    discountPercent: z
      .number()
      .min(0)
      .max(100)
      .default(20)
      .describe('a yearly price is 12 months of the monthly price less this share, rounded to the minor unit'),
  })
  .strict()

export const TrialsSchema = z
  .object({
    // Stripe allows up to 730 days (SB-48); the run's months bound what is useful.
    days: z.number().int().min(1).max(730).default(14),
    converting: count('customers whose trial converts (they have a payment method)').default(0),
    stopping: count(
      'customers whose trial ends without a payment method and is canceled (trial_settings.end_behavior.missing_payment_method = cancel, SB-50)',
    ).default(0),
  })
  .strict()

export const CouponSchema = z
  .object({
    id: couponId,
    name: z.string().min(1).optional(),
    percentOff: z.number().gt(0).max(100).optional(),
    amountOff: z.number().int().positive().optional().describe('minor units off each invoice, in `currency`'),
    currency: currencyCode
      .optional()
      .describe(
        "for amountOff: the coupon's currency (only customers paying in it get the coupon); default the first plan's",
      ),
    duration: z.enum(['once', 'repeating', 'forever']),
    durationInMonths: z.number().int().positive().max(36).optional(),
    customers: count('customers who get this coupon'),
    month: z
      .number()
      .int()
      .min(0)
      .max(24)
      .default(0)
      .describe('0: on the subscription when it is created; k: added at month k'),
    promotionCode: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,50}$/, 'uses only letters, digits and - (SB-61)')
      .optional()
      .describe('customers redeem it through this promotion code instead of the coupon'),
  })
  .strict()
  .superRefine((coupon, ctx) => {
    if ((coupon.percentOff === undefined) === (coupon.amountOff === undefined))
      ctx.addIssue({code: 'custom', message: 'give exactly one of percentOff and amountOff (SB-54)'})
    if (coupon.amountOff !== undefined && coupon.duration === 'forever')
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: 'Stripe refuses an amountOff coupon with duration forever since 2025-03-31 (SB-55)',
      })
    if ((coupon.duration === 'repeating') !== (coupon.durationInMonths !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['durationInMonths'],
        message: 'durationInMonths is required for, and only for, duration repeating (SB-54)',
      })
    if (coupon.currency !== undefined && coupon.amountOff === undefined)
      ctx.addIssue({code: 'custom', path: ['currency'], message: 'currency goes with amountOff only'})
  })

export const CurrencySchema = z
  .object({
    customers: count('customers who pay in this currency'),
    amounts: z
      .record(z.string(), z.number().int().nonnegative())
      .default({})
      .describe("per plan key: price per screen per month in this currency's minor unit"),
    priceFactor: z
      .number()
      .positive()
      .optional()
      .describe("for plans without an amount here: the plan's unitAmount × this, rounded"),
  })
  .strict()

export const ChangesSchema = z
  .object({
    upgrades: count('customers who move one plan up on a day inside their billing period').default(0),
    downgrades: count('customers who move one plan down on a day inside their billing period').default(0),
    toYearly: count(
      "monthly customers who switch to the same plan's yearly price mid-period (the billing date resets, SB-45)",
    ).default(0),
    prorationBehavior: z
      .enum(['create_prorations', 'always_invoice', 'none'])
      .default('create_prorations')
      .describe("Stripe's default is create_prorations (SB-42)"),
  })
  .strict()

export const SeatGrowthSchema = z
  .object({
    customers: count('customers whose screens grow over the run'),
    steps: z.number().int().min(1).max(12).default(3).describe('quantity increases per customer, in different months'),
  })
  .strict()

export const AddonSchema = z
  .object({
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'lower case letters, digits and _')
      .describe('stable id: its product is stripe_seed_addon_<key>'),
    name: z.string().min(1),
    unitAmount: z
      .number()
      .int()
      .positive()
      .describe("flat price per month in the first plan's currency; other currencies use their priceFactor"),
    customers: count('monthly customers who add it to their subscription on a day inside a billing period'),
    removed: count('of those, customers who remove it again in a later month').default(0),
  })
  .strict()

export const ConfigSchema = z
  .object({
    plans: z.array(PlanSchema).min(1).default(DEFAULT_PLANS),
    events: EventCountsSchema.default({
      upgrades: 15,
      downgrades: 2,
      cancellations: 8,
      pastDue: 5,
      planUpgradeShare: 0.6,
    }),
    customers: z.number().int().positive().max(10_000).default(100),
    months: z.number().int().min(1).max(24).default(6),
    customersPerClock: z
      .number()
      .int()
      .min(1)
      .max(3)
      .default(3)
      .describe('Stripe allows 3 customers per test clock (SB-16)'),
    prorationBehavior: z.enum(['none', 'create_prorations', 'always_invoice']).default('none'),
    clockStops: z
      .enum(['events', 'monthly'])
      .default('events')
      .describe(
        'events: a clock stops only in the months where something happens to its customers; monthly: at every month (the earlier design, for comparison)',
      ),
    advanceTimeoutSeconds: z.number().int().positive().default(300),
    scheduler: SchedulerSchema.default({
      perLaneRps: 4,
      maxInFlight: 10,
      maxRps: 20,
      retryForSeconds: 300,
      retryBaseMs: 500,
    }),
    yearly: YearlySchema.optional(),
    trials: TrialsSchema.optional(),
    coupons: z.array(CouponSchema).optional(),
    currencies: z
      .record(currencyCode, CurrencySchema)
      .optional()
      .describe(
        "customers who pay in another currency than their plan's (one currency per customer, as Stripe requires)",
      ),
    changes: ChangesSchema.optional(),
    reactivations: count('customers who cancel and later subscribe again').optional(),
    scheduledCancellations: count('customers who ask to cancel at period end (cancel_at_period_end)').optional(),
    seatGrowth: SeatGrowthSchema.optional(),
    addon: AddonSchema.optional().describe(
      'a second item priced separately (e.g. support), added to and removed from subscriptions mid-cycle',
    ),
    analytics: MrrDefinitionsSchema.default(MrrDefinitionsSchema.parse({})).describe(
      "how MRR is counted: the ledger's and the expected MRR's definitions",
    ),
  })
  .strict()
  .superRefine((config, ctx) => {
    const keys = new Set<string>()
    for (const [index, plan] of config.plans.entries()) {
      if (keys.has(plan.key))
        ctx.addIssue({code: 'custom', path: ['plans', index, 'key'], message: `duplicate plan key "${plan.key}"`})
      keys.add(plan.key)
    }
    // Upgrades move one plan up and downgrades one down, so the list's order is the price order.
    for (const [index, plan] of config.plans.entries()) {
      const before = config.plans[index - 1]
      if (before && plan.unitAmount < before.unitAmount) {
        ctx.addIssue({
          code: 'custom',
          path: ['plans', index],
          message: `"${plan.key}" (${plan.unitAmount}) is cheaper than "${before.key}" (${before.unitAmount}) listed before it: list plans cheapest first, as an upgrade moves one plan up`,
        })
      }
    }
    // The same order in every other currency a customer may pay in.
    for (const [currency, entry] of Object.entries(config.currencies ?? {})) {
      for (const [index, plan] of config.plans.entries()) {
        const before = config.plans[index - 1]
        const amount = planAmount(config, plan, currency)
        const previous = before && planAmount(config, before, currency)
        if (before && entry && amount !== undefined && previous !== undefined && amount < previous) {
          ctx.addIssue({
            code: 'custom',
            path: ['currencies', currency, 'amounts', plan.key],
            message: `"${plan.key}" (${amount}) is cheaper in ${currency} than "${before.key}" (${previous}) listed before it: keep the plans' price order in every currency`,
          })
        }
      }
    }
    // One currency per customer (Stripe's rule): every plan a customer can move to needs a price in their currency.
    for (const currency of customerCurrencies(config)) {
      for (const [index, plan] of config.plans.entries()) {
        if (planAmount(config, plan, currency) === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: config.currencies?.[currency]
              ? ['currencies', currency, 'amounts', plan.key]
              : ['plans', index, 'currency'],
            message: `plan "${plan.key}" has no price in ${currency}, a currency its customers may pay in (one currency per customer): give currencies.${currency}.amounts.${plan.key} or a priceFactor`,
          })
        }
      }
    }
    for (const [currency, entry] of Object.entries(config.currencies ?? {})) {
      for (const key of Object.keys(entry.amounts))
        if (!keys.has(key))
          ctx.addIssue({code: 'custom', path: ['currencies', currency, 'amounts', key], message: `no plan "${key}"`})
    }
    for (const [index, coupon] of (config.coupons ?? []).entries()) {
      if (coupon.month > config.months)
        ctx.addIssue({
          code: 'custom',
          path: ['coupons', index, 'month'],
          message: `month ${coupon.month} is after the run's ${config.months} months`,
        })
      if (coupon.currency !== undefined && !customerCurrencies(config).has(coupon.currency))
        ctx.addIssue({
          code: 'custom',
          path: ['coupons', index, 'currency'],
          message: `no customer pays in ${coupon.currency}`,
        })
    }
    if (config.addon) {
      const {key, customers, removed} = config.addon
      if (keys.has(key) || keys.has(`addon_${key}`))
        ctx.addIssue({code: 'custom', path: ['addon', 'key'], message: `"${key}" is a plan's key too: choose another`})
      if (removed > customers)
        ctx.addIssue({
          code: 'custom',
          path: ['addon', 'removed'],
          message: `${removed} customers cannot remove an add-on only ${customers} add`,
        })
      if (removed > 0 && config.months < 2)
        ctx.addIssue({
          code: 'custom',
          path: ['addon', 'removed'],
          message: 'removing an add-on needs at least 2 months: one to add it in, a later one to remove it',
        })
    }
    if ((config.changes?.toYearly ?? 0) > 0 && !config.yearly)
      ctx.addIssue({
        code: 'custom',
        path: ['changes', 'toYearly'],
        message: 'switching to yearly needs yearly prices: add a yearly section',
      })
    const couponIds = (config.coupons ?? []).map((coupon) => coupon.id)
    if (new Set(couponIds).size < couponIds.length)
      ctx.addIssue({code: 'custom', path: ['coupons'], message: 'coupon ids must be unique'})
    const codes = (config.coupons ?? []).flatMap((coupon) =>
      coupon.promotionCode ? [coupon.promotionCode.toLowerCase()] : [],
    )
    if (new Set(codes).size < codes.length)
      ctx.addIssue({
        code: 'custom',
        path: ['coupons'],
        message: 'promotion codes must be unique, ignoring case (SB-61)',
      })
    const reference = config.plans.reduce((sum, plan) => sum + plan.customers, 0)
    if (reference === 0)
      ctx.addIssue({code: 'custom', path: ['plans'], message: "the plans' customers must add up to more than 0"})
    const {upgrades, downgrades, cancellations, pastDue} = config.events
    if (upgrades + downgrades + cancellations + pastDue > reference) {
      ctx.addIssue({
        code: 'custom',
        path: ['events'],
        message: `${upgrades + downgrades + cancellations + pastDue} events cannot fit on ${reference} reference customers (one event per customer)`,
      })
    }
  })

export type Config = z.infer<typeof ConfigSchema>
export type Coupon = z.infer<typeof CouponSchema>
export type Addon = z.infer<typeof AddonSchema>
export type FeatureKey =
  | 'yearly'
  | 'trials'
  | 'coupons'
  | 'currencies'
  | 'changes'
  | 'reactivations'
  | 'scheduledCancellations'
  | 'seatGrowth'
  | 'addon'
export const FEATURE_KEYS: readonly FeatureKey[] = [
  'yearly',
  'trials',
  'coupons',
  'currencies',
  'changes',
  'reactivations',
  'scheduledCancellations',
  'seatGrowth',
  'addon',
]

/** Whether the config asks for anything beyond the original's run. */
export function hasScenarioFeatures(config: Pick<Config, FeatureKey>): boolean {
  return FEATURE_KEYS.some((key) => config[key] !== undefined)
}

/** Every currency a customer may pay in: the plans' own, and the configured others. */
export function customerCurrencies(config: Pick<Config, 'plans' | 'currencies'>): Set<string> {
  return new Set([...config.plans.map((plan) => plan.currency), ...Object.keys(config.currencies ?? {})])
}

/** A plan's monthly price per screen in `currency`, or undefined when it has none. */
export function planAmount(
  config: Pick<Config, 'currencies'>,
  plan: Pick<Plan, 'key' | 'unitAmount' | 'currency'>,
  currency: string,
): number | undefined {
  const entry = config.currencies?.[currency]
  const explicit = entry?.amounts[plan.key]
  if (explicit !== undefined) return explicit
  if (entry?.priceFactor !== undefined) return Math.round(plan.unitAmount * entry.priceFactor)
  return plan.currency === currency ? plan.unitAmount : undefined
}
export type ConfigInput = z.input<typeof ConfigSchema>
export type SchedulerSettings = z.infer<typeof SchedulerSchema>

export function defaultConfig(): Config {
  return ConfigSchema.parse({})
}

/**
 * One line per problem: `plans.2.unitAmount: Invalid input: expected number, received string`.
 * Given the schema, an unrecognized key names the closest known one: `(root): Unrecognized key
 * "custmers" (did you mean "customers"?)`.
 */
export function formatZodIssues(error: z.ZodError, schema?: z.ZodType): string {
  return error.issues
    .map((issue) => {
      let message = issue.message
      if (schema && issue.code === 'unrecognized_keys') {
        const suggestion = keySuggestion(issue, schema)
        if (suggestion) message = `${unrecognizedKeys(issue)} (${suggestion})`
      }
      return `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${message}`
    })
    .join('; ')
}

/** `Unrecognized key "custmers"`, as zod says it, but without the colon. */
export function unrecognizedKeys(issue: z.core.$ZodIssueUnrecognizedKeys): string {
  return `Unrecognized key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
}

/** `did you mean "customers"?` for a mistyped key, from the keys the schema allows where it stands. */
export function keySuggestion(issue: z.core.$ZodIssueUnrecognizedKeys, schema: z.ZodType): string | undefined {
  const known = knownKeysAt(schema, issue.path)
  const closest = issue.keys.flatMap((key) => {
    const name = closestName(key, known)
    return name ? [`"${name}"`] : []
  })
  return closest.length > 0 ? `did you mean ${closest.join(', ')}?` : undefined
}

/** The keys an object may have at `path` in `schema` (list indexes and record keys stepped through). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema
  for (const segment of path) node = node && childSchema(node, segment)
  const object = node && innermost(node)
  return object?._zod.def.type === 'object' ? Object.keys((object as z.ZodObject)._zod.def.shape) : []
}

type WrapperDef = {type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType}

/** Through optional, default, nullable and pipes to the schema that holds the value. */
function innermost(node: z.core.$ZodType): z.core.$ZodType {
  const def = node._zod.def as WrapperDef
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined)
  return inner ? innermost(inner) : node
}

function childSchema(node: z.core.$ZodType, segment: PropertyKey): z.core.$ZodType | undefined {
  const inner = innermost(node)
  const def = inner._zod.def as {type: string; shape?: Record<string, z.core.$ZodType>}
  if (def.type === 'object') return def.shape?.[String(segment)]
  if (def.type === 'array') return (inner as z.ZodArray)._zod.def.element
  if (def.type === 'record') return (inner as z.ZodRecord)._zod.def.valueType
  return undefined
}
