import {join} from 'node:path'
import {z} from 'zod'

import {MrrDefinitionsSchema} from '../ledger/definitions.js'

/**
 * The MRR ledger: what Stripe said about every subscription item each month, its MRR by Stripe's
 * billing-analytics definitions, and each customer's MRR movement. A new file beside
 * sub_snapshots.json (whose nine columns stay as they are, derived from this one).
 */
export const LEDGER_FILE_NAME = 'mrr_ledger.json'

export function ledgerFile(outDir: string): string {
  return join(outDir, LEDGER_FILE_NAME)
}

const month = z.string().regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM')
const currency = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code')
const minor = z.number().int()

export const EXCLUSIONS = [
  'trialing',
  'canceled',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'paused',
  'scheduled_cancellation',
  'free',
  'metered',
] as const
export const MOVEMENTS = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const
export type MovementKind = (typeof MOVEMENTS)[number]

export const LedgerDiscountSchema = z
  .object({
    coupon_id: z.string(),
    level: z.enum(['subscription', 'item']),
    percent_off: z.number().nullable(),
    amount_off: minor.nonnegative().nullable().describe("per invoice, in the subscription currency's minor unit"),
    duration: z.enum(['forever', 'repeating', 'once']),
    ends_at: z.number().int().nullable().describe('unix seconds; set only for repeating coupons'),
    counted: z.boolean().describe("whether this discount reduces MRR under the ledger's definitions"),
  })
  .strict()

export const LedgerItemRowSchema = z
  .object({
    month,
    customer_id: z.string().min(1),
    subscription_id: z.string().min(1),
    item_id: z.string().min(1),
    plan: z.string().min(1),
    price_id: z.string().min(1),
    status: z.string().describe("the subscription's Stripe status at the month's reading"),
    currency,
    interval: z.enum(['day', 'week', 'month', 'year']),
    interval_count: z.number().int().positive(),
    unit_amount: z
      .number()
      .nonnegative()
      .describe('list price per unit per billing period, minor units (unit_amount_decimal when present)'),
    quantity: z.number().int().nonnegative(),
    trial: z.enum(['none', 'trialing', 'ended']),
    cancel_at: z
      .number()
      .int()
      .nullable()
      .describe('when a scheduled cancellation takes effect (cancel_at_period_end or cancel_at), unix seconds'),
    discounts: z.array(LedgerDiscountSchema).describe('discounts in force at the reading, item-level first'),
    list_mrr: z
      .number()
      .nonnegative()
      .describe('unrounded monthly-normalised list amount before discounts, minor units'),
    unit_mrr: minor
      .nonnegative()
      .describe('monthly-normalised amount per unit after counted discounts, rounded half up to the minor unit'),
    mrr: minor.nonnegative().describe('unit_mrr × quantity when the item counts, else 0'),
    excluded: z.enum(EXCLUSIONS).nullable().describe('why the item carries no MRR, or null when it counts'),
    mrr_reporting: minor
      .nonnegative()
      .nullable()
      .describe('the same MRR in the reporting currency (per unit converted, then rounded), null without a rate'),
  })
  .strict()
  .refine((row) => row.mrr === (row.excluded === null ? row.unit_mrr * row.quantity : 0), {
    message: 'mrr must equal unit_mrr × quantity when counted, else 0',
    path: ['mrr'],
  })
export type LedgerItemRow = z.infer<typeof LedgerItemRowSchema>
export type LedgerDiscount = z.infer<typeof LedgerDiscountSchema>

export const LedgerCustomerRowSchema = z
  .object({
    month,
    customer_id: z.string().min(1),
    currency,
    previous_mrr: minor.nonnegative(),
    mrr: minor.nonnegative(),
    movement: z.enum(MOVEMENTS).nullable(),
    change: minor,
  })
  .strict()
  .refine((row) => row.change === row.mrr - row.previous_mrr, {
    message: 'change must equal mrr − previous_mrr',
    path: ['change'],
  })
export type LedgerCustomerRow = z.infer<typeof LedgerCustomerRowSchema>

export const LedgerFileSchema = z
  .object({
    version: z.literal(1),
    definitions: MrrDefinitionsSchema,
    months: z.array(month).describe('every month read, in order (a month may have no rows)'),
    items: z.array(LedgerItemRowSchema),
    customers: z.array(LedgerCustomerRowSchema),
  })
  .strict()
export type LedgerFile = z.infer<typeof LedgerFileSchema>
