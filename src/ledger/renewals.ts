import type Stripe from 'stripe'
import {z} from 'zod'

import {monthLabel} from '../billing-time.js'

import type {LedgerItemRow} from '../files/ledger.js'
import {formatMoney} from '../render/money.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {after, listAll} from '../stripe/pagination.js'

/**
 * The ledger's months against the renewal invoices Stripe made (SB-R2). A subscription read at
 * month j bills its next period at the renewal that opens month j + 1, with the price and quantity
 * it had at the reading: the plan's changes come after a stop's renewal, never between a reading
 * and the next renewal. So each month's row predicts one renewal invoice: its line's price,
 * quantity and amount (list price × quantity, before discounts), and its status (paid, or not paid
 * when the subscription is past due at month j + 1). The months a clock skipped are written from the
 * plan; this is what confirms them, and `run verify --months all` runs it on every month. A
 * subscription with several items (a plan and an add-on) renews them on one invoice, a line each.
 */

/** A subscription's renewal, as the check needs it: one line per item, kept compact (a run journals them). */
export const RenewalInvoiceSchema = z.object({
  invoiceId: z.string(),
  customerId: z.string(),
  subscriptionId: z.string(),
  /** `YYYY-MM` of the period the renewal opens. */
  month: z.string(),
  /** When that period starts, unix seconds: which reading the renewal follows (a free→paid change moves it mid-month). */
  periodStart: z.number().int(),
  status: z.string(),
  /** The invoice's lines billing the subscription's items for the period (prorations left out). */
  lines: z.array(z.object({priceId: z.string().nullable(), quantity: z.number(), amount: z.number()})),
})
export type RenewalInvoice = z.infer<typeof RenewalInvoiceSchema>

export interface RenewalMismatch {
  month: string
  customerId: string
  subscriptionId: string
  field: 'missing' | 'lines' | 'price' | 'quantity' | 'amount' | 'status'
  expected: string
  actual: string
}

export interface RenewalCheck {
  /** Rows whose next renewal was compared. */
  checked: number
  mismatches: RenewalMismatch[]
}

const renewalKey = (subscriptionId: string, month: string) => `${subscriptionId}:${month}`

/** Renewal invoices by subscription, in the order of the periods they open: built once per listing, read per row. */
export type RenewalIndex = ReadonlyMap<string, readonly RenewalInvoice[]>

export function indexRenewals(renewals: Iterable<RenewalInvoice>): RenewalIndex {
  const index = new Map<string, RenewalInvoice[]>()
  for (const renewal of renewals) {
    const list = index.get(renewal.subscriptionId)
    if (list) list.push(renewal)
    else index.set(renewal.subscriptionId, [renewal])
  }
  for (const list of index.values()) list.sort((a, b) => a.periodStart - b.periodStart)
  return index
}

/** A month label's boundary, where its reading is (simulationStart puts every boundary on the 1st, UTC). */
function boundaryOf(month: string): number {
  const [year, m] = month.split('-').map(Number) as [number, number]
  return Date.UTC(year, m - 1, 1) / 1000
}

/**
 * The renewal a reading predicts: the subscription's first one after it. Usually the one opening
 * the next month; after a free plan's upgrade moved the anchor (SB-45) it falls later in the same
 * month, before the next reading.
 */
function renewalAfter(index: RenewalIndex, subscriptionId: string, month: string): RenewalInvoice | undefined {
  const readAt = boundaryOf(month)
  return index.get(subscriptionId)?.find((renewal) => renewal.periodStart > readAt)
}

/** The next `YYYY-MM`. */
export function nextMonthLabel(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
}

/**
 * Whether a row predicts its next renewal exactly: an active monthly subscription with no trial,
 * no discount and no scheduled end, unchanged at the next reading (a scenario's mid-month change
 * reprices the renewal; the default plan's changes come after it), and not ended there by a
 * cancellation scheduled after the reading: that one ends at the period end, where the renewal
 * would have been (an immediate cancellation has no cancel_at, and came after its renewal).
 */
function predictsRenewal(row: LedgerItemRow, next: LedgerItemRow | undefined): boolean {
  return (
    row.status === 'active' &&
    row.interval === 'month' &&
    row.interval_count === 1 &&
    row.trial === 'none' &&
    row.discounts.length === 0 &&
    row.cancel_at === null &&
    next?.price_id === row.price_id &&
    next.quantity === row.quantity &&
    (next.cancel_at === null || LIVE.has(next.status))
  )
}

const LIVE = new Set(['active', 'past_due', 'trialing'])

/**
 * Compares rows (any months of one or more clocks) with the renewals listed. `months` says which
 * months' rows to check (default all but the last, which has no renewal yet); a row is checked
 * against the subscription's first renewal after its reading. Takes the index, not the list: a run checks
 * clock by clock against one account-wide listing, and indexing it per clock was quadratic.
 */
export function checkRenewals(
  rows: readonly LedgerItemRow[],
  byKey: RenewalIndex,
  months?: ReadonlySet<string>,
): RenewalCheck {
  // Per item: a subscription with an add-on has two items, and the renewal a line for each.
  const itemKey = (row: Pick<LedgerItemRow, 'subscription_id' | 'month' | 'item_id'>) =>
    `${renewalKey(row.subscription_id, row.month)}:${row.item_id}`
  const rowByKey = new Map(rows.map((row) => [itemKey(row), row]))
  const itemsOf = new Map<string, number>()
  for (const row of rows) {
    const key = renewalKey(row.subscription_id, row.month)
    itemsOf.set(key, (itemsOf.get(key) ?? 0) + 1)
  }
  const mismatches: RenewalMismatch[] = []
  let checked = 0
  for (const row of rows) {
    if (months && !months.has(row.month)) continue
    const nextMonth = nextMonthLabel(row.month)
    const next = rowByKey.get(itemKey({...row, month: nextMonth}))
    // An item added or removed mid-month (an add-on) reprices the renewal like any other change.
    const items = itemsOf.get(renewalKey(row.subscription_id, row.month))!
    if (!predictsRenewal(row, next) || itemsOf.get(renewalKey(row.subscription_id, nextMonth)) !== items) continue
    checked++
    const at = {month: row.month, customerId: row.customer_id, subscriptionId: row.subscription_id}
    const renewal = renewalAfter(byKey, row.subscription_id, row.month)
    if (!renewal) {
      mismatches.push({
        ...at,
        field: 'missing',
        expected: `a renewal invoice after the ${row.month} reading`,
        actual: 'none',
      })
      continue
    }
    // One line per item the subscription had at the reading, this row's the one with its price.
    if (renewal.lines.length !== items) {
      mismatches.push({
        ...at,
        field: 'lines',
        expected: `${items} line${items === 1 ? '' : 's'}`,
        actual: `${renewal.lines.length} lines`,
      })
      continue
    }
    const line = renewal.lines.find((l) => l.priceId === row.price_id)
    if (!line) {
      mismatches.push({
        ...at,
        field: 'price',
        expected: row.price_id,
        actual: renewal.lines.map((l) => String(l.priceId)).join(', '),
      })
      continue
    }
    if (line.quantity !== row.quantity)
      mismatches.push({...at, field: 'quantity', expected: String(row.quantity), actual: String(line.quantity)})
    const amount = Math.round(row.unit_amount * row.quantity)
    if (line.amount !== amount)
      mismatches.push({
        ...at,
        field: 'amount',
        expected: formatMoney(amount, row.currency),
        actual: formatMoney(line.amount, row.currency),
      })
    // A subscription past due at the next reading failed this renewal's payment (SB-34).
    const paid = next!.status !== 'past_due'
    if ((renewal.status === 'paid') !== paid)
      mismatches.push({...at, field: 'status', expected: paid ? 'paid' : 'not paid', actual: renewal.status})
  }
  return {checked, mismatches}
}

/**
 * Every renewal invoice of these customers, indexed for checkRenewals, from one account-wide listing, 100 to a page: a run's
 * renewals cost a request per 100 invoices, far less than one per clock. Invoices of customers on a
 * test clock are listed without naming the clock (SB-R3, unconfirmed); if Stripe leaves them out,
 * every row reads as missing and the check fails loudly, never silently.
 */
export async function listRenewals(
  gateway: StripeGateway,
  customerIds: ReadonlySet<string>,
  lane = 'renewals',
  priority?: number,
): Promise<RenewalIndex> {
  const found = await listAll(
    (startingAfter) =>
      gateway.read(lane, (stripe) => stripe.invoices.list({limit: 100, ...after(startingAfter)}), priority),
    (invoice) => (invoice.billing_reason === 'subscription_cycle' ? renewalOf(invoice, customerIds) : undefined),
  )
  return indexRenewals(found.filter((renewal): renewal is RenewalInvoice => renewal !== undefined))
}

function renewalOf(invoice: Stripe.Invoice, customerIds: ReadonlySet<string>): RenewalInvoice | undefined {
  const customerId = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id
  if (!customerId || !customerIds.has(customerId)) return undefined
  return renewalFrom(invoice, customerId)
}

/**
 * A subscription's latest invoice, when a reading expanded it and it is a renewal (SB-R2, SB-R4): the
 * reading at a stop right after skipped months sees each one's renewal there, so the run checks
 * them without listing invoices (SB-R3).
 */
export function latestRenewal(subscription: Stripe.Subscription): RenewalInvoice | undefined {
  const invoice = subscription.latest_invoice
  if (!invoice || typeof invoice === 'string' || invoice.billing_reason !== 'subscription_cycle') return undefined
  const customerId = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id
  return customerId ? renewalFrom(invoice, customerId) : undefined
}

function renewalFrom(invoice: Stripe.Invoice, customerId: string): RenewalInvoice | undefined {
  const details = (line: Stripe.InvoiceLineItem) => line.parent?.subscription_item_details
  const billed = invoice.lines.data.filter((line) => details(line) && !details(line)!.proration)
  const subscriptionId = billed.map((line) => details(line)!.subscription).find((id) => id) ?? undefined
  if (!subscriptionId) return undefined
  const start = billed[0]?.period.start ?? invoice.period_end
  return {
    invoiceId: invoice.id,
    customerId,
    subscriptionId,
    month: monthLabel(start),
    periodStart: start,
    status: invoice.status ?? 'draft',
    lines: billed.map((line) => ({
      priceId: priceIdOf(line),
      quantity: line.quantity ?? 0,
      amount: line.amount,
    })),
  }
}

function priceIdOf(line: Stripe.InvoiceLineItem): string | null {
  const price = line.pricing?.price_details?.price
  return typeof price === 'string' ? price : (price?.id ?? null)
}
