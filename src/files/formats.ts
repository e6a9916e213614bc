import {join} from 'node:path'
import {z} from 'zod'

/**
 * The files stripe-seed writes. Each schema is shared by its writer and every reader. The first
 * keys of each file are exactly what the original Python tooling wrote, because downstream ETL
 * reads them; anything we add lives under new keys.
 */

export const FILE_NAMES = {
  prices: 'stripe_prices.json',
  currentRun: 'current_run.json',
  snapshots: 'sub_snapshots.json',
  runDetails: 'run_details.json',
} as const

export function outFile(outDir: string, name: keyof typeof FILE_NAMES): string {
  return join(outDir, FILE_NAMES[name])
}

const priceId = z.string().min(1)

export const PricesFileSchema = z.object({
  price_ids: z.record(z.string(), priceId).describe('plan key -> price id (original format)'),
  price_to_plan: z.record(z.string(), z.string()).describe('price id -> plan name (original format)'),
  plans: z
    .array(
      z.object({
        key: z.string(),
        name: z.string(),
        price_id: priceId,
        product_id: z.string(),
        unit_amount: z.number().int().nonnegative(),
        currency: z.string(),
        lookup_key: z.string(),
      }),
    )
    .describe('everything else a reader needs about each plan, in plan order'),
  api_base: z.string().optional().describe('the Stripe API the prices live on'),
  seeded_at: z.string(),
  catalog: z
    .object({
      prices: z
        .record(
          z.string(),
          z.object({
            price_id: priceId,
            plan: z.string(),
            interval: z.enum(['month', 'year']),
            currency: z.string(),
            unit_amount: z.number().int().nonnegative(),
          }),
        )
        .describe('lookup key (src/scenario/catalog.ts priceLookupKey) -> the price holding it'),
      coupons: z.record(z.string(), z.string()).describe('config coupon id -> Stripe coupon id'),
      promotion_codes: z.record(z.string(), z.string()).describe('promotion code -> promo_ id'),
    })
    .optional()
    .describe(
      "a scenario's yearly and per-currency prices, coupons and promotion codes; absent for the default run, whose file stays the original's",
    ),
})
export type PricesFile = z.infer<typeof PricesFileSchema>

export const SnapshotRowSchema = z
  .object({
    month: z.string().regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM'),
    customer_id: z.string().min(1),
    subscription_id: z.string().min(1),
    plan: z.string().min(1),
    price_id: z.string().min(1),
    price_amount: z.number().int().nonnegative(),
    screens: z.number().int().positive(),
    mrr_cents: z.number().int().nonnegative(),
    status: z.enum(['active', 'past_due']),
  })
  .strict()
  .refine((row) => row.mrr_cents === row.price_amount * row.screens, {
    message: 'mrr_cents must equal price_amount × screens',
    path: ['mrr_cents'],
  })
export type SnapshotRow = z.infer<typeof SnapshotRowSchema>

/** A flat array with exactly nine fields per row: the original ETL loads it into a fixed-schema table. */
export const SnapshotsFileSchema = z.array(SnapshotRowSchema)

export const CurrentRunFileSchema = z.object({
  run_timestamp: z.string(),
  customer_ids: z.array(z.string()),
  clock_ids: z.array(z.string()),
  run_id: z.string(),
  seed: z.number().int(),
  months: z.number().int().positive(),
  start_time: z.string(),
  api_base: z.string().optional(),
  status: z.enum(['complete', 'partial']),
  plan_summary: z.object({
    customers: z.number().int(),
    clocks: z.number().int(),
    plans: z.record(z.string(), z.number().int()),
    events: z.record(z.string(), z.number().int()),
  }),
  failed_clocks: z.array(z.object({clock_id: z.string(), reason: z.string(), customer_ids: z.array(z.string())})),
  requests: z.object({total: z.number().int(), retries: z.number().int(), rate_limited: z.number().int()}),
  wall_time_seconds: z.number(),
})
export type CurrentRunFile = z.infer<typeof CurrentRunFileSchema>

/** Richer detail than the nine-column snapshots: clocks, applied events, subscriptions Stripe canceled. */
export const RunDetailsFileSchema = z.object({
  run_id: z.string(),
  clocks: z.array(
    z.object({
      clock_id: z.string(),
      name: z.string(),
      status: z.enum(['complete', 'failed']),
      customers: z.array(z.object({index: z.number().int(), customer_id: z.string(), subscription_id: z.string()})),
    }),
  ),
  events: z.array(
    z.object({
      month: z.number().int(),
      customer_index: z.number().int(),
      customer_id: z.string(),
      kind: z.string(),
      detail: z.string(),
    }),
  ),
  ended_subscriptions: z.array(
    z.object({month: z.string(), customer_id: z.string(), subscription_id: z.string(), status: z.string()}),
  ),
})
export type RunDetailsFile = z.infer<typeof RunDetailsFileSchema>
