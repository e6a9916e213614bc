import {z} from 'zod'

/**
 * The one definition of stripe-seed's configuration. Defaults are the original tooling's tables
 * (../shared/reference/original-design-notes.md); a config file overrides any part of them.
 */

export const PlanSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower_snake_case (it names the plan in every file)'),
    name: z.string().min(1),
    description: z.string().default(''),
    unitAmount: z.number().int().nonnegative().describe('price per screen per month, in the currency\'s minor unit (cents)'),
    currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code').default('usd'),
    screens: z
      .object({min: z.number().int().positive(), max: z.number().int().positive()})
      .refine((range) => range.min <= range.max, 'min must not exceed max'),
    customers: z.number().int().nonnegative().describe('customers on this plan in the reference distribution'),
    churnWeight: z.number().nonnegative().default(1).describe('relative chance that a cancellation falls on this plan'),
  })
  .strict()

export type Plan = z.infer<typeof PlanSchema>

export const DEFAULT_PLANS: Plan[] = [
  {key: 'free', name: 'Free', description: 'Free plan, up to 3 screens', unitAmount: 0, currency: 'usd', screens: {min: 1, max: 3}, customers: 25, churnWeight: 3},
  {key: 'standard', name: 'Standard', description: 'Standard plan, billed per screen', unitAmount: 1000, currency: 'usd', screens: {min: 2, max: 8}, customers: 18, churnWeight: 3},
  {key: 'pro_plus', name: 'Pro Plus', description: 'Pro Plus plan, billed per screen', unitAmount: 1500, currency: 'usd', screens: {min: 5, max: 20}, customers: 32, churnWeight: 1},
  {key: 'engage', name: 'Engage', description: 'Engage plan, billed per screen', unitAmount: 3000, currency: 'usd', screens: {min: 8, max: 30}, customers: 15, churnWeight: 1},
  {key: 'enterprise', name: 'Enterprise', description: 'Enterprise plan, billed per screen', unitAmount: 4500, currency: 'usd', screens: {min: 25, max: 100}, customers: 10, churnWeight: 1},
]

export const EventCountsSchema = z
  .object({
    upgrades: z.number().int().nonnegative(),
    downgrades: z.number().int().nonnegative(),
    cancellations: z.number().int().nonnegative(),
    pastDue: z.number().int().nonnegative(),
    planUpgradeShare: z.number().min(0).max(1).default(0.6).describe('share of upgrades that change plan rather than add screens'),
  })
  .strict()

export const SchedulerSchema = z
  .object({
    perLaneRps: z.number().positive().max(1000).default(4),
    maxInFlight: z.number().int().positive().max(100).default(10),
    // Above 25 only makes sense against the emulator: Stripe test mode allows 25 req/s (stripe-facts #12).
    maxRps: z.number().positive().max(1000).default(20).describe('account-wide ceiling'),
    retryForSeconds: z.number().nonnegative().max(3600).default(300).describe('how long a request failing transiently (429, 409, 5xx, dropped connection) is retried before it counts as failed'),
    retryBaseMs: z.number().int().positive().default(500),
  })
  .strict()

export const ConfigSchema = z
  .object({
    plans: z.array(PlanSchema).min(1).default(DEFAULT_PLANS),
    events: EventCountsSchema.default({upgrades: 15, downgrades: 2, cancellations: 8, pastDue: 5, planUpgradeShare: 0.6}),
    customers: z.number().int().positive().max(10_000).default(100),
    months: z.number().int().min(1).max(24).default(6),
    customersPerClock: z.number().int().min(1).max(3).default(3).describe('Stripe allows 3 customers per test clock (stripe-facts #4)'),
    prorationBehavior: z.enum(['none', 'create_prorations', 'always_invoice']).default('none'),
    advanceTimeoutSeconds: z.number().int().positive().default(300),
    scheduler: SchedulerSchema.default({perLaneRps: 4, maxInFlight: 10, maxRps: 20, retryForSeconds: 300, retryBaseMs: 500}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const keys = new Set<string>()
    for (const [index, plan] of config.plans.entries()) {
      if (keys.has(plan.key)) ctx.addIssue({code: 'custom', path: ['plans', index, 'key'], message: `duplicate plan key "${plan.key}"`})
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
    const currencies = new Set(config.plans.map((plan) => plan.currency))
    if (currencies.size > 1) ctx.addIssue({code: 'custom', path: ['plans'], message: 'all plans must share one currency (one customer pays in one currency)'})
    const reference = config.plans.reduce((sum, plan) => sum + plan.customers, 0)
    if (reference === 0) ctx.addIssue({code: 'custom', path: ['plans'], message: 'the plans\' customers must add up to more than 0'})
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
export type ConfigInput = z.input<typeof ConfigSchema>
export type SchedulerSettings = z.infer<typeof SchedulerSchema>

export function defaultConfig(): Config {
  return ConfigSchema.parse({})
}

/** One line per problem: `plans.2.unitAmount: Invalid input: expected number, received string`. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ')
}
