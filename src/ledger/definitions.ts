import {z} from 'zod'

/**
 * The choices behind every MRR number in the ledger. Stripe lets an account choose some of them
 * (SB-M2, SB-M3); where Stripe's text is silent (SB-M1: week and day intervals; SB-M6: FX)
 * the choice is ours, and it is written into the ledger file so a reader sees what was used.
 */
export const MrrDefinitionsSchema = z
  .object({
    discounts: z
      .object({
        // `forever` coupons always reduce MRR (SB-M2); these two are the Dashboard's opt-in settings.
        subtractRecurring: z.boolean().default(false).describe('also subtract `repeating` coupons while they last'),
        subtractOneTime: z
          .boolean()
          .default(false)
          .describe('also subtract `once` coupons while Stripe lists them on the subscription'),
      })
      .strict()
      .default({subtractRecurring: false, subtractOneTime: false}),
    scheduledCancellation: z
      .enum(['at_request', 'at_period_end'])
      .default('at_request')
      .describe(
        "when a subscription set to cancel (cancel_at_period_end or cancel_at) leaves MRR: when the cancellation is requested (Stripe's documented default) or when it ends",
      ),
    // Stripe does not say how it maps weeks and days onto a month (SB-M1): ours is a year's worth / 12.
    weeksPerMonth: z
      .number()
      .positive()
      .default(52 / 12)
      .describe('months of a week-interval price = interval_count / weeksPerMonth'),
    daysPerMonth: z
      .number()
      .positive()
      .default(365 / 12)
      .describe('months of a day-interval price = interval_count / daysPerMonth'),
    // The run sets it to the config's plan currency: a ledger in eur with usd here would have no sub_snapshots.json without a rate.
    reportingCurrency: z
      .string()
      .regex(/^[a-z]{3}$/)
      .default('usd')
      .describe('the currency of totals across currencies, and of sub_snapshots.json'),
    fxRates: z
      .record(z.string().regex(/^[a-z]{3}$/), z.number().positive())
      .default({})
      .describe(
        'fixed rates: 1 unit of the key currency = rate units of reportingCurrency (major units). A currency without a rate has no total.',
      ),
  })
  .strict()

export type MrrDefinitions = z.infer<typeof MrrDefinitionsSchema>
export type MrrDefinitionsInput = z.input<typeof MrrDefinitionsSchema>

export function defaultMrrDefinitions(): MrrDefinitions {
  return MrrDefinitionsSchema.parse({})
}

/**
 * Currencies whose minor unit is not a hundredth (docs.stripe.com/currencies): amounts in the API
 * are in the minor unit, so converting between currencies must rescale by the exponent.
 */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
])
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd'])

export function minorUnitExponent(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0
  if (THREE_DECIMAL.has(currency)) return 3
  return 2
}

/**
 * Minor units of `reportingCurrency` per minor unit of `currency`, or undefined when the
 * definitions give no rate (then that currency has no converted total).
 */
export function minorUnitRate(definitions: MrrDefinitions, currency: string): number | undefined {
  if (currency === definitions.reportingCurrency) return 1
  const rate = definitions.fxRates[currency]
  if (rate === undefined) return undefined
  return rate * 10 ** (minorUnitExponent(definitions.reportingCurrency) - minorUnitExponent(currency))
}

/** An amount in minor units as a decimal string in major units: 123456 usd → "1234.56". */
export function majorUnits(minor: number, currency: string): string {
  const exponent = minorUnitExponent(currency)
  const sign = minor < 0 ? '-' : ''
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0')
  return exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`
}
