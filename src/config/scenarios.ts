import {UsageError} from '../errors.js'
import {type Config, type ConfigInput, ConfigSchema, type FEATURE_KEYS, formatZodIssues} from './schema.js'

/**
 * Named scenarios for `--scenario <name>`: each sets only scenario features (and the analytics
 * settings they need), so it works with any plans a config file defines. Counts are per the plans'
 * reference customers (100 by default) and scale with --customers.
 */
export interface ScenarioPreset {
  name: string
  description: string
  features: Pick<ConfigInput, (typeof FEATURE_KEYS)[number] | 'analytics'>
}

/** Rates for a total across currencies: fixed, illustrative, not market data (Stripe does not say which rate its MRR uses, SB-M6). */
const FX = {eur: 1.08, gbp: 1.27}

export const SCENARIOS: readonly ScenarioPreset[] = [
  {
    name: 'default',
    description:
      'The original run: monthly per-screen prices in one currency, changes at period boundaries, no trials or discounts',
    features: {},
  },
  {
    name: 'saas',
    description:
      'A realistic mix: yearly plans, converting and abandoned trials, coupons and a promotion code, EUR and GBP customers, mid-cycle changes, reactivations, scheduled cancellations, seat growth and a support add-on added and removed mid-cycle',
    features: {
      yearly: {customers: 15, discountPercent: 20},
      trials: {days: 14, converting: 8, stopping: 4},
      coupons: [
        {id: 'launch_20_forever', name: 'Launch 20% forever', percentOff: 20, duration: 'forever', customers: 5},
        {
          id: 'welcome_3_months',
          name: '30% off for 3 months',
          percentOff: 30,
          duration: 'repeating',
          durationInMonths: 3,
          customers: 4,
          promotionCode: 'WELCOME30',
        },
        {
          id: 'first_month_10_off',
          name: '$10 off the first invoice',
          amountOff: 1000,
          currency: 'usd',
          duration: 'once',
          customers: 3,
        },
        {
          id: 'retention_15',
          name: 'Retention 15% forever',
          percentOff: 15,
          duration: 'forever',
          customers: 2,
          month: 3,
        },
      ],
      currencies: {eur: {customers: 12, priceFactor: 0.9}, gbp: {customers: 6, priceFactor: 0.8}},
      changes: {upgrades: 6, downgrades: 3, toYearly: 3},
      reactivations: 4,
      scheduledCancellations: 4,
      seatGrowth: {customers: 6, steps: 3},
      addon: {key: 'support', name: 'Priority support', unitAmount: 4900, customers: 6, removed: 2},
      analytics: {fxRates: FX},
    },
  },
  {
    name: 'trials',
    description:
      'The original run plus 14-day trials: some convert, some end without a payment method and are canceled',
    features: {trials: {days: 14, converting: 12, stopping: 6}},
  },
  {
    name: 'discounts',
    description:
      'The original run plus coupons of every duration (forever, repeating, once), percent and amount off, one redeemed through a promotion code',
    features: {
      coupons: [
        {id: 'forever_25', percentOff: 25, duration: 'forever', customers: 8},
        {
          id: 'repeating_50_2m',
          percentOff: 50,
          duration: 'repeating',
          durationInMonths: 2,
          customers: 6,
          promotionCode: 'HALFOFF',
        },
        {id: 'once_5_off', amountOff: 500, currency: 'usd', duration: 'once', customers: 6},
      ],
    },
  },
  {
    name: 'multi-currency',
    description:
      'Customers paying in USD, EUR and GBP (one currency each, as Stripe requires), with fixed rates for a total',
    features: {
      currencies: {eur: {customers: 25, priceFactor: 0.9}, gbp: {customers: 15, priceFactor: 0.8}},
      analytics: {fxRates: FX},
    },
  },
  {
    name: 'yearly',
    description:
      'A quarter of paid customers on yearly prices at 20% off, and some switching from monthly to yearly mid-period',
    features: {yearly: {customers: 25, discountPercent: 20}, changes: {toYearly: 5}},
  },
  {
    name: 'mid-cycle',
    description:
      "Upgrades, downgrades and seat growth on a day inside the billing period, with Stripe's default prorations",
    features: {changes: {upgrades: 10, downgrades: 5}, seatGrowth: {customers: 8, steps: 3}},
  },
  {
    name: 'churn-and-return',
    description: 'Scheduled cancellations (cancel at period end) and customers who cancel and later subscribe again',
    features: {reactivations: 8, scheduledCancellations: 8},
  },
]

/** For `--scenario list`: every named scenario with its one-line description. */
export function listScenarios(): Array<{name: string; description: string}> {
  return SCENARIOS.map(({name, description}) => ({name, description}))
}

/**
 * The config with a named scenario's features: the scenario's sections replace the same sections
 * of the config (the flag is the more specific choice), its analytics settings merge over the
 * config's. Validated again as a whole, so a scenario that cannot fit the config's plans is refused
 * with the config's own messages.
 */
export function applyScenario(config: Config, name: string): Config {
  const preset = SCENARIOS.find((scenario) => scenario.name === name)
  if (!preset)
    throw new UsageError(
      `Unknown scenario "${name}": choose one of ${SCENARIOS.map((s) => s.name).join(', ')} (--scenario list describes them)`,
    )
  const {analytics, ...features} = preset.features
  const merged = {
    ...config,
    ...features,
    analytics: {...config.analytics, ...analytics, fxRates: {...config.analytics.fxRates, ...analytics?.fxRates}},
  }
  const parsed = ConfigSchema.safeParse(merged)
  if (!parsed.success)
    throw new UsageError(`Scenario "${name}" does not fit this config: ${formatZodIssues(parsed.error)}`)
  return parsed.data
}
