/** What a subscription bills: periods, amounts, discounts, its invoices and prorations. */
import {addIntervals} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {notModelled} from '../../errors.js'
import {updating} from '../../resource.js'
import {COUPONS} from '../coupons.js'
import {CUSTOMERS} from '../customers/record.js'
import {DISCOUNTS, discountApplies, renderDiscount} from '../discounts.js'
import {addInvoiceItem} from '../invoice-items/record.js'
import {type SubscriptionLine, createInvoice} from '../invoices/billing.js'
import {type BillingReason, type InvoiceRecord, INVOICES} from '../invoices/record.js'
import {finalizeInvoice} from '../invoices/lifecycle.js'
import {lineDescription, renderInvoice} from '../invoices/render.js'
import {billedUsage} from '../billing-meters.js'
import {type PriceRecord, PRICES, isMetered, priceAmount} from '../prices.js'
import {PRODUCTS} from '../products.js'
import {TAX_RATES} from '../tax-rates.js'
import {type SubscriptionRecord, type SubscriptionItemRecord, priceOf} from './record.js'
import {changing} from './render.js'

// ── periods and amounts ────────────────────────────────────────────────────

export type Recurring = NonNullable<PriceRecord['recurring']>

export function cadence(account: Account, sub: Pick<SubscriptionRecord, 'items'>): Recurring {
  const price = account.store.of(PRICES).get(sub.items[0]?.price ?? '')
  return price?.recurring ?? {interval: 'month', intervalCount: 1}
}

export function periodEndAfter(anchor: number, recurring: Recurring, cycles: number): number {
  return addIntervals(anchor, recurring.interval, recurring.intervalCount * cycles)
}

/** What an item bills in advance for a period: a metered item bills nothing until its usage is known (SB-U11). */
function itemAmount(account: Account, item: {price: string; quantity: number}): number {
  const price = priceOf(account, item.price)
  return isMetered(price) ? 0 : priceAmount(price, item.quantity)
}

export function hasMeteredItem(account: Account, items: ReadonlyArray<{price: string}>): boolean {
  return items.some((item) => isMetered(priceOf(account, item.price)))
}

/**
 * The usage lines of a renewal (SB-U11): each metered item bills its meter's usage for the period
 * that ended, from `from` (or the item's creation or last price change, if later) to `to`, priced
 * by its price's scheme.
 */
export function usageLines(account: Account, sub: SubscriptionRecord, from: number, to: number): SubscriptionLine[] {
  const lines: SubscriptionLine[] = []
  for (const item of sub.items) {
    const price = priceOf(account, item.price)
    const meter = price.recurring?.meter
    if (!isMetered(price) || !meter) continue
    const start = Math.max(from, item.usageSince ?? item.created)
    const quantity = billedUsage(account, meter, sub.customer, start, to)
    lines.push({
      subscriptionItem: item.id,
      price: item.price,
      quantity,
      amount: priceAmount(price, quantity),
      periodStart: start,
      periodEnd: to,
      taxRates: item.taxRates ?? sub.defaultTaxRates,
    })
  }
  return lines
}

export function periodAmount(account: Account, items: Array<{price: string; quantity: number}>): number {
  return items.reduce((sum, item) => sum + itemAmount(account, item), 0)
}

function activeDiscounts(account: Account, sub: SubscriptionRecord, at: number): string[] {
  const discounts = account.store.of(DISCOUNTS)
  return sub.discounts.filter((id) => {
    const discount = discounts.get(id)
    return discount !== undefined && discountApplies(discount, at)
  })
}

// ── invoices of a subscription ─────────────────────────────────────────────

/**
 * At finalization a renewal's usage lines take the usage reported since the draft was made, for
 * the period they bill (SB-U13). Re-spreading discounts or taxes over a changed amount is not modelled.
 */
export function refreshUsageLines(account: Account, invoice: InvoiceRecord): void {
  if (invoice.status !== 'draft' || invoice.billingReason !== 'subscription_cycle') return
  for (const line of invoice.lines) {
    if (!line.price || line.invoiceItem !== null || line.proration || line.periodEnd > invoice.created) continue
    const price = priceOf(account, line.price)
    const meter = price.recurring?.meter
    if (!isMetered(price) || !meter) continue
    const quantity = billedUsage(account, meter, invoice.customer, line.periodStart, line.periodEnd)
    if (quantity === line.quantity) continue
    if (invoice.discounts.length > 0 || line.taxes.length > 0)
      throw notModelled('usage reported late for a discounted or taxed renewal invoice (SB-U13)')
    updating(
      account,
      'invoice.updated',
      invoice.testClock,
      () => renderInvoice(account, invoice),
      () => {
        line.quantity = quantity
        line.amount = priceAmount(price, quantity)
        line.description = lineDescription(account, line.price, quantity, null)
      },
    )
  }
}

/**
 * The lines billed in advance for the current period. A metered item is billed in arrears: on the
 * first invoice it has a $0 line (SB-U11, unconfirmed), on renewals only its usage line (usageLines).
 */
export function fullPeriodLines(
  account: Account,
  sub: SubscriptionRecord,
  trial: boolean,
  metered: 'zero' | 'skip' = 'skip',
): SubscriptionLine[] {
  const items = metered === 'skip' ? sub.items.filter((item) => !isMetered(priceOf(account, item.price))) : sub.items
  return items.map((item) => ({
    subscriptionItem: item.id,
    price: item.price,
    quantity: isMetered(priceOf(account, item.price)) ? 0 : item.quantity,
    amount: trial ? 0 : itemAmount(account, item),
    periodStart: sub.periodStart,
    periodEnd: sub.periodEnd,
    taxRates: item.taxRates ?? sub.defaultTaxRates,
  }))
}

/** Whether any of the subscription's items is taxed (SB-78). */
export function isTaxedSubscription(sub: SubscriptionRecord): boolean {
  return sub.defaultTaxRates.length > 0 || sub.items.some((item) => (item.taxRates ?? []).length > 0)
}

export function hasInclusiveRate(account: Account, rates: ReadonlyArray<string[] | null>): boolean {
  return rates.some((ids) => (ids ?? []).some((id) => account.store.of(TAX_RATES).require(id).inclusive))
}

/**
 * The subscription's invoice for its current period (or for pending items only), with the discounts that apply now (SB-59); the caller announces the subscription's change.
 * `itemsFrom` is the earliest time items can belong to it: the previous period's start at a renewal, else now (SB-36).
 */
export function invoiceSubscription(
  account: Account,
  sub: SubscriptionRecord,
  billingReason: BillingReason,
  at: number,
  lines: SubscriptionLine[],
  itemsFrom = at,
): InvoiceRecord {
  const customer = account.store.of(CUSTOMERS).require(sub.customer)
  const discounts = activeDiscounts(account, sub, at)
  // An unpaid subscription's invoices are created but never attempted: left as drafts (SB-34).
  const collectionPause = sub.pauseCollection?.behavior ?? (sub.status === 'unpaid' ? 'keep_as_draft' : null)
  const invoice = createInvoice(account, {
    customer,
    subscription: sub.id,
    currency: sub.currency,
    billingReason,
    at,
    periodStart: itemsFrom,
    periodEnd: at,
    lines,
    discounts,
    collectionPause,
    collectionMethod: sub.collectionMethod,
    daysUntilDue: sub.daysUntilDue,
    defaultTaxRates: sub.defaultTaxRates,
  })
  for (const line of invoice.lines)
    if (line.subscriptionItem && !line.proration && line.invoiceItem === null)
      sub.lastDebit[line.subscriptionItem] = {invoice: invoice.id, line: line.id}
  sub.latestInvoice = invoice.id
  // A once coupon is spent by the first invoice it discounted (SB-60).
  for (const id of invoice.discounts) {
    const discount = account.store.of(DISCOUNTS).get(id)
    if (discount && couponDuration(account, id) === 'once') discount.spent = true
  }
  removeDiscounts(account, sub, (discount) => discount.spent)
  return invoice
}

function couponDuration(account: Account, discountId: string): string | undefined {
  const discount = account.store.of(DISCOUNTS).get(discountId)
  return discount ? account.store.of(COUPONS).get(discount.coupon)?.duration : undefined
}

export function removeDiscounts(
  account: Account,
  sub: SubscriptionRecord,
  which: (discount: {id: string; spent: boolean; end: number | null}) => boolean,
): void {
  const discounts = account.store.of(DISCOUNTS)
  const removed = sub.discounts.filter((id) => {
    const discount = discounts.get(id)
    return discount !== undefined && which(discount)
  })
  if (removed.length === 0) return
  sub.discounts = sub.discounts.filter((id) => !removed.includes(id))
  for (const id of removed) {
    const discount = discounts.get(id)
    if (discount) account.emit('customer.discount.deleted', () => renderDiscount(discount), sub.testClock)
  }
}

function fraction(sub: SubscriptionRecord, at: number): number {
  const length = sub.periodEnd - sub.periodStart
  return length > 0 ? (sub.periodEnd - at) / length : 0
}

/** Credit prorations for the unused time of `items` from `at` to the period end, to the second (SB-41). */
export function creditUnusedTime(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  items: SubscriptionItemRecord[],
): void {
  addProrations(
    account,
    sub,
    at,
    items.map((item) => ({item, price: item.price, quantity: item.quantity, sign: -1 as const})),
  )
}

export interface ProrationSpec {
  item: SubscriptionItemRecord
  price: string
  quantity: number
  sign: 1 | -1
}

/** Computes every proration first, so a refusal (501) leaves nothing half created, then adds them. */
export function addProrations(account: Account, sub: SubscriptionRecord, at: number, allSpecs: ProrationSpec[]): void {
  // A metered item bills nothing in advance, so adding one prorates nothing. Removing one drops its
  // usage so far in classic mode; flexible mode bills it on an invoice item, which is not modelled (SB-U11).
  const metered = allSpecs.filter((spec) => isMetered(priceOf(account, spec.price)))
  if (sub.billingMode === 'flexible' && metered.some((spec) => spec.sign < 0))
    throw notModelled(
      'removing or repricing a metered item with prorations in billing_mode=flexible (the invoice item for its usage so far, SB-U11); pass proration_behavior=none',
    )
  const specs = allSpecs.filter((spec) => !metered.includes(spec))
  // How Stripe taxes proration lines, credits above all, is not documented (SB-78).
  if (specs.length > 0 && isTaxedSubscription(sub))
    throw notModelled('prorations on a subscription with tax rates (the tax of proration lines, SB-78)')
  const computed = specs.map((spec) => ({spec, ...prorationAmount(account, sub, at, spec)}))
  for (const {spec, amount, discounts} of computed)
    if (amount !== 0) addProration(account, sub, at, spec, amount, discounts)
}

/**
 * The percent-off discounts a proration reflects (`proration_discounts=included`: net amounts,
 * SB-46). Amount-off discounts, and discounts ending before the period does, are not modelled.
 */
function prorationDiscounts(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
): {ids: string[]; percents: number[]} {
  const ids = activeDiscounts(account, sub, at)
  const percents = ids.map((id) => {
    const discount = account.store.of(DISCOUNTS).require(id)
    const coupon = account.store.of(COUPONS).require(discount.coupon)
    if (coupon.percentOff === null)
      throw notModelled(
        'prorations on a subscription with an amount_off discount (how it is spread over prorations, SB-46)',
      )
    if (discount.end !== null && discount.end < sub.periodEnd)
      throw notModelled('prorations across the end of a repeating discount (SB-46)')
    return coupon.percentOff
  })
  return {ids, percents}
}

function afterDiscounts(amount: number, percents: number[]): number {
  return percents.reduce((left, percent) => left - Math.round((left * percent) / 100), amount)
}

/**
 * What a credit proration gives back (SB-46): flexible mode credits the share of what the item's
 * debit line for this period actually charged; classic credits from the current price and
 * discounts. An item already changed in this period while discounted is not modelled.
 */
function creditAmount(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  item: SubscriptionItemRecord,
  price: string,
  quantity: number,
  percents: number[],
): number {
  const gross = Math.round(itemAmount(account, {price, quantity}) * fraction(sub, at))
  if (sub.billingMode === 'classic') return afterDiscounts(gross, percents)
  const debit = sub.lastDebit[item.id]
  const line = debit
    ? account.store
        .of(INVOICES)
        .get(debit.invoice)
        ?.lines.find((l) => l.id === debit.line)
    : undefined
  if (line?.price === price && line.quantity === quantity && line.periodStart === sub.periodStart) {
    return Math.round((line.amount - line.discountAmounts.reduce((sum, d) => sum + d.amount, 0)) * fraction(sub, at))
  }
  if (percents.length > 0) throw notModelled('crediting a discounted item already changed in this period (SB-46)')
  return gross
}

function prorationAmount(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  {item, price, quantity, sign}: ProrationSpec,
): {amount: number; discounts: string[]} {
  const {ids, percents} = prorationDiscounts(account, sub, at)
  const amount =
    sign < 0
      ? -creditAmount(account, sub, at, item, price, quantity, percents)
      : afterDiscounts(Math.round(itemAmount(account, {price, quantity}) * fraction(sub, at)), percents)
  return {amount, discounts: ids}
}

function addProration(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  {item, price, quantity, sign}: ProrationSpec,
  amount: number,
  discounts: string[],
): void {
  const product = account.store.of(PRODUCTS).get(priceOf(account, price).product)
  const name = `${quantity} × ${product?.name ?? 'item'}`
  addInvoiceItem(
    account,
    {
      customer: sub.customer,
      subscription: sub.id,
      subscriptionItem: item.id,
      price,
      quantity,
      amount,
      currency: sub.currency,
      description: `${sign < 0 ? 'Unused' : 'Remaining'} time on ${name} after ${new Date(at * 1000).toISOString().slice(0, 10)}`,
      proration: true,
      periodStart: at,
      periodEnd: sub.periodEnd,
      // Prorations are never discountable (SB-44).
      discountable: false,
      credits: sign < 0 ? (sub.lastDebit[item.id] ?? null) : null,
      discounts,
      metadata: {},
      testClock: sub.testClock,
    },
    at,
  )
}

/** Starts a new billing period at `at` (the anchor resets, SB-45) and bills it at once. */
export function restartPeriod(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  billingReason: BillingReason,
): InvoiceRecord {
  return changing(account, sub, () => startPeriodAt(account, sub, at, billingReason))
}

/** A new period from `at` and its invoice, unannounced: the caller's `changing` announces it. */
export function startPeriodAt(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  billingReason: BillingReason,
): InvoiceRecord {
  // The usage of the period cut short is billed at a reset; how is not modelled (SB-U11).
  if (hasMeteredItem(account, sub.items))
    throw notModelled('resetting the billing period of a subscription with metered prices (SB-U11)')
  sub.billingCycleAnchor = at
  sub.cycles = 0
  sub.periodStart = at
  sub.periodEnd = periodEndAfter(at, cadence(account, sub), 1)
  // cancel_at_period_end follows the period it belongs to (SB-63).
  if (sub.cancelAtPeriodEnd) sub.cancelAt = sub.periodEnd
  return invoiceSubscription(account, sub, billingReason, at, fullPeriodLines(account, sub, false))
}

export function billNow(account: Account, invoice: InvoiceRecord, at: number): void {
  finalizeInvoice(account, invoice, at)
}
