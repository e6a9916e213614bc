import {DAY, HOUR, type Interval, addIntervals} from '../../billing-time.js'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  objectArray,
  oneOf,
  optStr,
  required,
  str,
  strArray,
} from '../params.js'
import {
  type ApiObject,
  COMMON,
  type DueEvent,
  PAGINATION,
  type Resource,
  type RouteContext,
  filter,
  list,
  route,
  updating,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {RANK} from '../time-engine.js'
import {COUPONS, applicableCoupon} from './coupons.js'
import {CUSTOMERS, type CustomerRecord, claimCurrency, customersOnClock, liveCustomer} from './customers.js'
import {DISCOUNTS, applyCoupon, discountApplies, renderDiscount} from './discounts.js'
import {addInvoiceItem, deleteInvoiceItem, pendingItems} from './invoice-items.js'
import {
  type BillingReason,
  type CollectionPause,
  INVOICES,
  type InvoiceRecord,
  type SubscriptionLine,
  amountDue,
  createInvoice,
  finalizeInvoice,
  invoicesOfSubscription,
  stopCollection,
  voidInvoice,
} from './invoices.js'
import {customerPaymentMethod, payingMethod} from './payment-methods.js'
import {PRICES, type PriceRecord, recurringPrice, renderPlan, renderPrice} from './prices.js'
import {PRODUCTS} from './products.js'
import {PROMOTION_CODES, promotionCodeActive} from './promotion-codes.js'
import {scheduledSubscriptionEnded} from './subscription-schedules.js'
import {TAX_RATES, renderTaxRate, taxRatesParam} from './tax-rates.js'
import {assertClockWritable} from './test-clocks.js'

export type SubscriptionStatus =
  'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused'

export interface SubscriptionItemRecord {
  id: string
  created: number
  price: string
  quantity: number
  metadata: Metadata
  /** The item's own tax rates; null lets the subscription's defaults apply (SB-78). */
  taxRates: string[] | null
}

export interface SubscriptionRecord {
  id: string
  created: number
  customer: string
  currency: string
  items: SubscriptionItemRecord[]
  status: SubscriptionStatus
  /** Endive: why a subscription is paused (SB-66). */
  pausedReason: string | null
  billingMode: 'flexible' | 'classic'
  /** send_invoice: invoices are sent with terms instead of charged (SB-70). */
  collectionMethod: 'charge_automatically' | 'send_invoice'
  daysUntilDue: number | null
  startDate: number
  billingCycleAnchor: number
  /** Whole periods from the anchor to the current period's start: period ends never drift (SB-20). */
  cycles: number
  periodStart: number
  periodEnd: number
  trialStart: number | null
  trialEnd: number | null
  trialWillEndSent: boolean
  missingPaymentMethod: 'cancel' | 'pause' | 'create_invoice'
  cancelAt: number | null
  cancelAtPeriodEnd: boolean
  canceledAt: number | null
  endedAt: number | null
  cancellation: {comment: string | null; feedback: string | null; reason: string | null}
  pauseCollection: {behavior: CollectionPause; resumesAt: number | null} | null
  discounts: string[]
  /** Tax rates of every item without its own (SB-78). */
  defaultTaxRates: string[]
  defaultPaymentMethod: string | null
  description: string | null
  metadata: Metadata
  latestInvoice: string | null
  /** A first invoice left unpaid expires the subscription at this time (SB-29). */
  incompleteExpiresAt: number | null
  /** The last full-period debit line of each item: what a credit proration offsets (SB-44). */
  lastDebit: Record<string, {invoice: string; line: string}>
  testClock: string | null
  /** While its create request runs, payment outcomes do not announce updates: the request announces the result. */
  creating: boolean
  seq: number
}

export const SUBSCRIPTIONS = collectionKey<SubscriptionRecord>('subscriptions', 'subscription')
const BY_CUSTOMER = 'subscriptions-by-customer'
/** The subscription each item belongs to, for /v1/subscription_items. */
const BY_ITEM = 'subscription-by-item'
/** The schedule that manages a subscription, kept by subscription-schedules.ts (SB-S1). */
export const SCHEDULE_OF_SUBSCRIPTION = 'schedule-of-subscription'
const LIVE = new Set<SubscriptionStatus>(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused'])
const INCOMPLETE_WINDOW = 23 * HOUR // SB-29
const TRIAL_WILL_END_BEFORE = 3 * DAY // SB-51
const MAX_TRIAL_DAYS = 730 // SB-48

// ── periods and amounts ────────────────────────────────────────────────────

type Recurring = NonNullable<PriceRecord['recurring']>

function priceOf(account: Account, id: string): PriceRecord {
  return account.store.of(PRICES).require(id)
}

function cadence(account: Account, sub: Pick<SubscriptionRecord, 'items'>): Recurring {
  const price = account.store.of(PRICES).get(sub.items[0]?.price ?? '')
  return price?.recurring ?? {interval: 'month', intervalCount: 1}
}

function periodEndAfter(anchor: number, recurring: Recurring, cycles: number): number {
  return addIntervals(anchor, recurring.interval, recurring.intervalCount * cycles)
}

function itemAmount(account: Account, item: {price: string; quantity: number}): number {
  return priceOf(account, item.price).unitAmount * item.quantity
}

function periodAmount(account: Account, items: Array<{price: string; quantity: number}>): number {
  return items.reduce((sum, item) => sum + itemAmount(account, item), 0)
}

function activeDiscounts(account: Account, sub: SubscriptionRecord, at: number): string[] {
  const discounts = account.store.of(DISCOUNTS)
  return sub.discounts.filter((id) => {
    const discount = discounts.get(id)
    return discount !== undefined && discountApplies(discount, at)
  })
}

/** The shortest billing cadence among a clock's live subscriptions: what bounds one advance (SB-12). */
export function shortestLiveInterval(
  account: Account,
  clockId: string,
): {interval: Interval; count: number} | undefined {
  let shortest: {interval: Interval; count: number; end: number} | undefined
  for (const customer of customersOnClock(account, clockId)) {
    for (const sub of subscriptionsOf(account, customer.id)) {
      if (!LIVE.has(sub.status)) continue
      const {interval, intervalCount} = cadence(account, sub)
      const end = addIntervals(0, interval, intervalCount)
      if (!shortest || end < shortest.end) shortest = {interval, count: intervalCount, end}
    }
  }
  return shortest && {interval: shortest.interval, count: shortest.count}
}

export function subscriptionsOf(account: Account, customerId: string): SubscriptionRecord[] {
  return account.store.indexed(SUBSCRIPTIONS, BY_CUSTOMER, customerId)
}

// ── rendering ──────────────────────────────────────────────────────────────

export function renderItem(account: Account, sub: SubscriptionRecord, item: SubscriptionItemRecord): ApiObject {
  const price = priceOf(account, item.price)
  return {
    id: item.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: item.created,
    // Since basil the billing period lives on the item (SB-27).
    current_period_end: sub.periodEnd,
    current_period_start: sub.periodStart,
    // Item-level trials are not modelled: no item has one.
    current_trial: null,
    discounts: [],
    metadata: item.metadata,
    plan: renderPlan(price),
    price: renderPrice(price),
    quantity: item.quantity,
    subscription: sub.id,
    tax_rates: (item.taxRates ?? []).map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
  }
}

export function renderSubscription(account: Account, sub: SubscriptionRecord): ApiObject {
  return {
    id: sub.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: {disabled_reason: null, enabled: false, liability: null},
    billing_cycle_anchor: sub.billingCycleAnchor,
    billing_cycle_anchor_config: null,
    // API subscriptions are flexible from clover on (SB-26).
    billing_mode:
      sub.billingMode === 'flexible'
        ? {flexible: {proration_discounts: 'included'}, type: 'flexible', updated_at: sub.created}
        : {flexible: null, type: 'classic'},
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: sub.cancelAt,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    canceled_at: sub.canceledAt,
    cancellation_details: sub.cancellation,
    collection_method: sub.collectionMethod,
    created: sub.created,
    currency: sub.currency,
    customer: sub.customer,
    customer_account: null,
    days_until_due: sub.daysUntilDue,
    default_payment_method: sub.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: sub.defaultTaxRates.map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
    description: sub.description,
    discounts: sub.discounts,
    ended_at: sub.endedAt,
    invoice_settings: {account_tax_ids: null, issuer: {type: 'self'}},
    items: {
      object: 'list',
      data: sub.items.map((item) => renderItem(account, sub, item)),
      has_more: false,
      total_count: sub.items.length,
      url: `/v1/subscription_items?subscription=${sub.id}`,
    },
    latest_invoice: sub.latestInvoice,
    livemode: false,
    managed_payments: null,
    metadata: sub.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: sub.pauseCollection
      ? {behavior: sub.pauseCollection.behavior, resumes_at: sub.pauseCollection.resumesAt}
      : null,
    payment_settings: {payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off'},
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: account.store.index(SCHEDULE_OF_SUBSCRIPTION).ids(sub.id)[0] ?? null,
    start_date: sub.startDate,
    status: sub.status,
    // Endive: why it paused, only while paused (SB-66).
    ...(sub.status === 'paused' ? {status_details: {paused: {type: sub.pausedReason}}} : {}),
    test_clock: sub.testClock,
    transfer_data: null,
    trial_end: sub.trialEnd,
    trial_settings: {end_behavior: {billing_cycle_anchor: 'now', missing_payment_method: sub.missingPaymentMethod}},
    trial_start: sub.trialStart,
  }
}

/** Emits `customer.subscription.updated` with what `change` altered (SB-68); quiet while the create request runs. */
function changing<T>(account: Account, sub: SubscriptionRecord, change: () => T): T {
  if (sub.creating) return change()
  return updating(
    account,
    'customer.subscription.updated',
    sub.testClock,
    () => renderSubscription(account, sub),
    change,
  )
}

// ── invoices of a subscription ─────────────────────────────────────────────

function fullPeriodLines(account: Account, sub: SubscriptionRecord, trial: boolean): SubscriptionLine[] {
  return sub.items.map((item) => ({
    subscriptionItem: item.id,
    price: item.price,
    quantity: item.quantity,
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

function hasInclusiveRate(account: Account, rates: ReadonlyArray<string[] | null>): boolean {
  return rates.some((ids) => (ids ?? []).some((id) => account.store.of(TAX_RATES).require(id).inclusive))
}

/**
 * The subscription's invoice for its current period (or for pending items only), with the discounts that apply now (SB-59); the caller announces the subscription's change.
 * `itemsFrom` is the earliest time items can belong to it: the previous period's start at a renewal, else now (SB-36).
 */
function invoiceSubscription(
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

function removeDiscounts(
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

// ── payment outcomes (called by the invoices module) ───────────────────────

export function subscriptionInvoicePaid(account: Account, invoice: InvoiceRecord, at: number): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub) return
  changing(account, sub, () => {
    // Paying the first invoice makes an incomplete subscription active (SB-29).
    if (sub.status === 'incomplete') {
      sub.status = sub.trialEnd !== null && sub.trialEnd > at ? 'trialing' : 'active'
      sub.incompleteExpiresAt = null
    }
    if (sub.status === 'past_due' && invoicesOfSubscription(account, sub.id).every((other) => other.status !== 'open'))
      sub.status = 'active'
  })
}

export function subscriptionInvoiceFailed(account: Account, invoice: InvoiceRecord): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub || sub.creating) return
  // A failed renewal or update charge makes the subscription past_due (SB-33).
  changing(account, sub, () => {
    if (sub.status === 'active' || sub.status === 'trialing') sub.status = 'past_due'
  })
}

/** A send_invoice invoice unpaid by its due date makes the subscription past_due (SB-70). */
export function subscriptionInvoiceOverdue(account: Account, invoice: InvoiceRecord): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub) return
  changing(account, sub, () => {
    if (sub.status === 'active') sub.status = 'past_due'
  })
}

/** When Smart Retries run out the subscription is canceled, marked unpaid or left past_due, as the account is set (SB-34). */
export function subscriptionRetriesExhausted(account: Account, invoice: InvoiceRecord, at: number): void {
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  if (!sub || !LIVE.has(sub.status)) return
  const action = account.options.retriesExhausted ?? 'cancel'
  if (action === 'cancel') return endSubscription(account, sub, at, 'payment_failed')
  if (action === 'unpaid') changing(account, sub, () => (sub.status = 'unpaid'))
}

/** Canceled or expired: its pending items can be billed on any invoice for the customer (SB-39). */
export function subscriptionEnded(account: Account, id: string): boolean {
  const status = account.store.of(SUBSCRIPTIONS).get(id)?.status
  return status === 'canceled' || status === 'incomplete_expired'
}

// ── state changes ──────────────────────────────────────────────────────────

function endSubscription(account: Account, sub: SubscriptionRecord, at: number, reason: string | null): void {
  changing(account, sub, () => {
    sub.status = 'canceled'
    sub.canceledAt ??= at
    sub.endedAt = at
    sub.cancelAt = null
    sub.cancellation = {...sub.cancellation, reason}
    sub.incompleteExpiresAt = null
  })
  stopCollection(account, sub.customer)
  account.emit('customer.subscription.deleted', () => renderSubscription(account, sub), sub.testClock)
  scheduledSubscriptionEnded(account, sub, at)
}

/**
 * Cancels now (SB-62). `prorate` credits the unused time; `invoiceNow` would bill pending
 * prorations at once; with neither, the subscription's pending prorations are removed.
 */
export function cancelNow(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  options: {prorate: boolean; invoiceNow: boolean},
): void {
  if (options.prorate && (sub.status === 'active' || sub.status === 'past_due'))
    creditUnusedTime(account, sub, at, sub.items)
  const pending = pendingItems(account, sub.customer, sub.currency, sub.id).filter(
    (item) => item.subscription === sub.id,
  )
  if (options.invoiceNow && pending.length > 0)
    throw notModelled(
      "invoice_now=true on a cancel with pending prorations (the final invoice's billing_reason is undocumented)",
    )
  if (!options.invoiceNow && !options.prorate)
    for (const item of pending) if (item.proration) deleteInvoiceItem(account, item)
  endSubscription(account, sub, at, 'cancellation_requested')
}

/** Subscriptions of a deleted customer end at once (SB-67), one customer.subscription.deleted each (our choice, unconfirmed). */
export function endSubscriptionsOfDeletedCustomer(account: Account, customerId: string): void {
  for (const sub of subscriptionsOf(account, customerId)) {
    if (!LIVE.has(sub.status)) continue
    cancelNow(account, sub, account.nowFor(sub.testClock), {prorate: false, invoiceNow: false})
  }
}

function fraction(sub: SubscriptionRecord, at: number): number {
  const length = sub.periodEnd - sub.periodStart
  return length > 0 ? (sub.periodEnd - at) / length : 0
}

/** Credit prorations for the unused time of `items` from `at` to the period end, to the second (SB-41). */
function creditUnusedTime(
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

interface ProrationSpec {
  item: SubscriptionItemRecord
  price: string
  quantity: number
  sign: 1 | -1
}

/** Computes every proration first, so a refusal (501) leaves nothing half created, then adds them. */
function addProrations(account: Account, sub: SubscriptionRecord, at: number, specs: ProrationSpec[]): void {
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
  if (line && line.price === price && line.quantity === quantity && line.periodStart === sub.periodStart) {
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
function restartPeriod(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  billingReason: BillingReason,
): InvoiceRecord {
  return changing(account, sub, () => startPeriodAt(account, sub, at, billingReason))
}

/** A new period from `at` and its invoice, unannounced: the caller's `changing` announces it. */
function startPeriodAt(
  account: Account,
  sub: SubscriptionRecord,
  at: number,
  billingReason: BillingReason,
): InvoiceRecord {
  sub.billingCycleAnchor = at
  sub.cycles = 0
  sub.periodStart = at
  sub.periodEnd = periodEndAfter(at, cadence(account, sub), 1)
  // cancel_at_period_end follows the period it belongs to (SB-63).
  if (sub.cancelAtPeriodEnd) sub.cancelAt = sub.periodEnd
  return invoiceSubscription(account, sub, billingReason, at, fullPeriodLines(account, sub, false))
}

function billNow(account: Account, invoice: InvoiceRecord, at: number): void {
  finalizeInvoice(account, invoice, at)
}

// ── the time engine's events for subscriptions ─────────────────────────────

function renew(account: Account, sub: SubscriptionRecord, at: number): void {
  changing(account, sub, () => {
    const previousStart = sub.periodStart
    sub.cycles++
    sub.periodStart = at
    sub.periodEnd = periodEndAfter(sub.billingCycleAnchor, cadence(account, sub), sub.cycles + 1)
    invoiceSubscription(account, sub, 'subscription_cycle', at, fullPeriodLines(account, sub, false), previousStart)
  })
}

/** At trial end: bill the first paid period, or cancel or pause without a payment method (SB-50). */
function endTrial(account: Account, sub: SubscriptionRecord, at: number): void {
  const card = payingMethod(account, sub.defaultPaymentMethod, sub.customer)
  if (!card && sub.missingPaymentMethod === 'cancel') return endSubscription(account, sub, at, null)
  if (!card && sub.missingPaymentMethod === 'pause') {
    changing(account, sub, () => {
      sub.status = 'paused'
      sub.pausedReason = 'trial_end_without_payment_method'
    })
    account.emit('customer.subscription.paused', () => renderSubscription(account, sub), sub.testClock)
    return
  }
  changing(account, sub, () => {
    const trialStart = sub.periodStart
    sub.status = 'active'
    sub.billingCycleAnchor = at
    sub.cycles = 0
    sub.periodStart = at
    sub.periodEnd = periodEndAfter(at, cadence(account, sub), 1)
    // The trial-end invoice: billing_reason subscription_cycle (SB-49: unconfirmed), draft for an hour.
    invoiceSubscription(account, sub, 'subscription_cycle', at, fullPeriodLines(account, sub, false), trialStart)
  })
}

function trialWillEnd(account: Account, sub: SubscriptionRecord): void {
  sub.trialWillEndSent = true
  account.emit('customer.subscription.trial_will_end', () => renderSubscription(account, sub), sub.testClock)
}

function expireIncomplete(account: Account, sub: SubscriptionRecord, at: number): void {
  // An unpaid first invoice after 23 hours: incomplete_expired, terminal, the invoice voided (SB-29).
  changing(account, sub, () => {
    sub.status = 'incomplete_expired'
    sub.endedAt = at
    sub.incompleteExpiresAt = null
  })
  for (const invoice of invoicesOfSubscription(account, sub.id))
    if (invoice.status === 'open') voidInvoice(account, invoice, at)
}

function dueEvents(account: Account, clockId: string): DueEvent[] {
  const events: DueEvent[] = []
  for (const customer of customersOnClock(account, clockId)) {
    for (const sub of subscriptionsOf(account, customer.id)) {
      const add = (at: number | null, rank: number, run: (at: number) => void) => {
        if (at !== null) events.push({at, rank, seq: sub.seq, run: () => run(at)})
      }
      if (sub.status === 'incomplete')
        add(sub.incompleteExpiresAt, RANK.incompleteExpiry, (at) => expireIncomplete(account, sub, at))
      if (!['trialing', 'active', 'past_due', 'unpaid'].includes(sub.status)) continue
      for (const id of sub.discounts) {
        const discount = account.store.of(DISCOUNTS).get(id)
        // A repeating discount ends at its `end` (SB-60).
        if (discount?.end != null)
          add(discount.end, RANK.discountEnd, (at) =>
            changing(account, sub, () => removeDiscounts(account, sub, (d) => d.end !== null && d.end <= at)),
          )
      }
      if (sub.cancelAt !== null)
        add(sub.cancelAt, RANK.cancellation, (at) => endSubscription(account, sub, at, 'cancellation_requested'))
      if (sub.pauseCollection?.resumesAt != null)
        add(sub.pauseCollection.resumesAt, RANK.resumeCollection, () =>
          changing(account, sub, () => (sub.pauseCollection = null)),
        )
      if (sub.status === 'trialing' && sub.trialEnd !== null) {
        if (!sub.trialWillEndSent)
          add(Math.max(sub.trialStart ?? 0, sub.trialEnd - TRIAL_WILL_END_BEFORE), RANK.trialWillEnd, () =>
            trialWillEnd(account, sub),
          )
        add(sub.trialEnd, RANK.trialEnd, (at) => endTrial(account, sub, at))
        continue
      }
      add(sub.periodEnd, RANK.renewal, (at) => renew(account, sub, at))
    }
  }
  return events
}

// ── parameters ─────────────────────────────────────────────────────────────

const ITEM_KNOWN = [
  'billing_thresholds',
  'clear_usage',
  'deleted',
  'discounts',
  'id',
  'metadata',
  'plan',
  'price',
  'price_data',
  'quantity',
  'tax_rates',
] as const

/** `collection_method` and `days_until_due`, valid only together with send_invoice (SB-70). */
function collectionSettings(
  params: Raw,
  current: Pick<SubscriptionRecord, 'collectionMethod' | 'daysUntilDue'>,
): Pick<SubscriptionRecord, 'collectionMethod' | 'daysUntilDue'> {
  const method =
    params.collection_method === undefined
      ? current.collectionMethod
      : oneOf(params.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
  const days =
    params.days_until_due === undefined
      ? method === 'send_invoice'
        ? current.daysUntilDue
        : null
      : int(params.days_until_due, 'days_until_due')
  if (method !== 'send_invoice' && params.days_until_due !== undefined)
    throw invalid('days_until_due can only be set when collection_method is send_invoice.', 'days_until_due')
  if (method === 'send_invoice' && days === null)
    throw notModelled("collection_method=send_invoice without days_until_due (the account's default payment terms)")
  return {collectionMethod: method, daysUntilDue: days}
}

function checkBillingOptions(params: Raw, endpoint: string): void {
  if (params.payment_settings !== undefined) {
    // Cards only: `payment_settings[payment_method_types][]=card` changes nothing here.
    const settings = checkNested(
      params.payment_settings,
      'payment_settings',
      ['payment_method_options', 'payment_method_types', 'save_default_payment_method'],
      ['payment_method_types', 'save_default_payment_method'],
      endpoint,
    )
    const types = strArray(settings.payment_method_types, 'payment_settings[payment_method_types]')
    if (types.some((type) => type !== 'card')) throw notModelled(`payment method types other than card on ${endpoint}`)
    // 'off' is what every subscription here does; saving the card on the subscription is not modelled (SB-2).
    if (
      settings.save_default_payment_method !== undefined &&
      oneOf(settings.save_default_payment_method, 'payment_settings[save_default_payment_method]', [
        'off',
        'on_subscription',
      ] as const) !== 'off'
    )
      throw notModelled(`payment_settings[save_default_payment_method]=on_subscription on ${endpoint}`)
  }
  // Payments here are on-session attempts with cards that never ask for authentication; off-session ones are not modelled (SB-2).
  if (params.off_session !== undefined && bool(params.off_session, 'off_session'))
    throw notModelled(`off_session=true on ${endpoint}`)
}

function sameCadence(account: Account, prices: PriceRecord[]): void {
  // Mixed intervals on one subscription exist in flexible mode (SB-21) but are not modelled.
  if (new Set(prices.map((p) => `${p.recurring?.interval}/${p.recurring?.intervalCount}`)).size > 1)
    throw notModelled('subscriptions mixing billing intervals (SB-21)')
}

/** `discounts: [{coupon} | {promotion_code}]` resolved to coupons to apply (SB-56); `{discount}` is not modelled. */
function requestedDiscounts(
  account: Account,
  raw: unknown,
  customer: CustomerRecord,
  endpoint: string,
  at: number,
  currency: string,
) {
  const resolved = objectArray(raw, 'discounts').map((entry, index) => {
    const param = `discounts[${index}]`
    const d = checkNested(
      entry,
      param,
      ['coupon', 'discount', 'promotion_code'],
      ['coupon', 'promotion_code'],
      endpoint,
    )
    if (d.promotion_code !== undefined) {
      const code = account.store
        .of(PROMOTION_CODES)
        .require(str(d.promotion_code, `${param}[promotion_code]`), `${param}[promotion_code]`)
      if (!promotionCodeActive(account, code, at))
        throw invalid(`This promotion code is not active: ${code.code}`, `${param}[promotion_code]`)
      if (code.customer !== null && code.customer !== customer.id)
        throw invalid(`This promotion code cannot be redeemed by this customer.`, `${param}[promotion_code]`)
      return {coupon: applicableCoupon(account, code.coupon, `${param}[promotion_code]`, at), promotionCode: code.id}
    }
    return {
      coupon: applicableCoupon(account, str(required(d, 'coupon'), `${param}[coupon]`), `${param}[coupon]`, at),
      promotionCode: null,
    }
  })
  for (const {coupon} of resolved) {
    if (coupon.currency !== null && coupon.currency !== currency)
      throw invalid(`The coupon ${coupon.id} is in ${coupon.currency}, the subscription in ${currency}.`, 'discounts')
  }
  return resolved
}

/** Classic mode spreads an amount-off discount evenly across items, flexible in proportion (SB-59); only the latter is modelled. */
function assertDiscountsModelled(
  billingMode: SubscriptionRecord['billingMode'],
  requested: ReturnType<typeof requestedDiscounts>,
): void {
  if (billingMode === 'classic' && requested.some(({coupon}) => coupon.amountOff !== null))
    throw notModelled('amount_off discounts on a classic billing mode subscription (spread evenly across items, SB-59)')
}

function attachDiscounts(
  account: Account,
  sub: SubscriptionRecord,
  requested: ReturnType<typeof requestedDiscounts>,
  at: number,
): void {
  sub.discounts = requested.map(({coupon, promotionCode}) => {
    const discount = applyCoupon(account, {
      coupon,
      promotionCode,
      customer: sub.customer,
      subscription: sub.id,
      start: at,
    })
    account.emit('customer.discount.created', () => renderDiscount(discount), sub.testClock)
    return discount.id
  })
}

function trialEndParam(value: unknown, now: number): number | 'now' {
  if (value === 'now') return 'now'
  const at = int(value, 'trial_end')
  if (at <= now) throw invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end')
  if (at > now + MAX_TRIAL_DAYS * DAY)
    throw invalid(`trial_end can be no more than ${MAX_TRIAL_DAYS} days in the future.`, 'trial_end')
  return at
}

function cancellationDetails(raw: unknown, endpoint: string): {comment?: string | null; feedback?: string | null} {
  const d = checkNested(raw, 'cancellation_details', ['comment', 'feedback'], ['comment', 'feedback'], endpoint)
  const feedbacks = [
    'customer_service',
    'low_quality',
    'missing_features',
    'other',
    'switched_service',
    'too_complex',
    'too_expensive',
    'unused',
  ] as const
  return {
    ...(d.comment === undefined ? {} : {comment: optStr(d.comment, 'cancellation_details[comment]') ?? null}),
    ...(d.feedback === undefined
      ? {}
      : {feedback: d.feedback === '' ? null : oneOf(d.feedback, 'cancellation_details[feedback]', feedbacks)}),
  }
}

function subscriptionOf(ctx: RouteContext): SubscriptionRecord {
  return ctx.account.store.of(SUBSCRIPTIONS).require(ctx.ids[0] ?? '')
}

// ── create ─────────────────────────────────────────────────────────────────

const CREATE_HANDLED = [
  ...COMMON,
  'customer',
  'currency',
  'items',
  'default_payment_method',
  'metadata',
  'description',
  'proration_behavior',
  'payment_behavior',
  'collection_method',
  'days_until_due',
  'cancel_at_period_end',
  'cancel_at',
  'payment_settings',
  'off_session',
  'trial_period_days',
  'trial_end',
  'trial_from_plan',
  'trial_settings',
  'discounts',
  'billing_mode',
  'default_tax_rates',
] as const

export function createSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionCreateParams', CREATE_HANDLED, endpoint)
  checkBillingOptions(params, endpoint)
  const customer = liveCustomer(account, str(required(params, 'customer'), 'customer'), 'customer')
  assertClockWritable(account, customer.testClock)
  const now = account.nowFor(customer.testClock)
  const items = objectArray(required(params, 'items'), 'items').map((raw, index) => {
    const item = checkNested(
      raw,
      `items[${index}]`,
      ITEM_KNOWN.filter((k) => k !== 'id' && k !== 'deleted' && k !== 'clear_usage'),
      ['price', 'quantity', 'metadata', 'plan', 'tax_rates'],
      endpoint,
    )
    const price = recurringPrice(
      account,
      str(item.price ?? item.plan ?? required(item, 'price'), `items[${index}][price]`),
      `items[${index}][price]`,
    )
    // An item's own rates replace the subscription's defaults; `''` or none leaves the defaults (SB-78).
    const taxRates =
      item.tax_rates === undefined || item.tax_rates === ''
        ? null
        : taxRatesParam(account, item.tax_rates, `items[${index}][tax_rates]`)
    return {
      price,
      quantity: item.quantity === undefined ? 1 : int(item.quantity, `items[${index}][quantity]`),
      metadata: mergeMetadata({}, item.metadata),
      taxRates,
    }
  })
  if (items.length === 0) throw invalid('Missing required param: items.', 'items', 'parameter_missing')
  if (new Set(items.map((item) => item.price.id)).size !== items.length)
    throw invalid('Cannot add multiple subscription items with the same price.', 'items')
  if (new Set(items.map((item) => item.price.currency)).size > 1)
    throw invalid('All prices on a subscription must have the same currency.', 'items')
  sameCadence(
    account,
    items.map((item) => item.price),
  )
  const currency = items[0]!.price.currency
  if (params.currency !== undefined && str(params.currency, 'currency').toLowerCase() !== currency)
    throw invalid('The currency must match the currency of the prices.', 'currency')
  const paymentBehavior =
    params.payment_behavior === undefined
      ? 'allow_incomplete'
      : oneOf(params.payment_behavior, 'payment_behavior', [
          'allow_incomplete',
          'default_incomplete',
          'error_if_incomplete',
          'pending_if_incomplete',
        ] as const)
  // pending_if_incomplete exists only on updates (SB-28).
  if (paymentBehavior === 'pending_if_incomplete')
    throw invalid(
      'payment_behavior=pending_if_incomplete can only be used when updating a subscription.',
      'payment_behavior',
    )
  if (params.billing_mode !== undefined) {
    const mode = checkNested(params.billing_mode, 'billing_mode', ['flexible', 'type'], ['type'], endpoint)
    oneOf(required(mode, 'type'), 'billing_mode[type]', ['classic', 'flexible'] as const)
  }
  // Flexible by default from clover (2025-09-30) on; older request versions default to classic (SB-26).
  const defaultMode = ctx.apiVersion !== null && ctx.apiVersion < '2025-09-30' ? 'classic' : 'flexible'
  const billingMode =
    params.billing_mode === undefined ? defaultMode : ((params.billing_mode as Raw).type as 'classic' | 'flexible')
  const collection = collectionSettings(params, {collectionMethod: 'charge_automatically', daysUntilDue: null})
  const sendInvoice = collection.collectionMethod === 'send_invoice'

  // Trials (SB-48): trial_end (a time or `now`) or trial_period_days; `now` means no trial.
  if (params.trial_end !== undefined && params.trial_period_days !== undefined)
    throw invalid('You may only specify one of these parameters: trial_end, trial_period_days.', 'trial_end')
  if (
    params.trial_from_plan !== undefined &&
    bool(params.trial_from_plan, 'trial_from_plan') &&
    params.trial_end !== undefined
  )
    throw invalid('trial_from_plan cannot be combined with trial_end.', 'trial_from_plan')
  let trialEnd: number | null = null
  if (params.trial_end !== undefined) {
    const end = trialEndParam(params.trial_end, now)
    trialEnd = end === 'now' ? null : end
  }
  if (params.trial_period_days !== undefined) {
    const days = int(params.trial_period_days, 'trial_period_days')
    if (days > MAX_TRIAL_DAYS) throw invalid(`trial_period_days can be at most ${MAX_TRIAL_DAYS}.`, 'trial_period_days')
    trialEnd = days > 0 ? now + days * DAY : null
  }
  let missingPaymentMethod: SubscriptionRecord['missingPaymentMethod'] = 'create_invoice'
  let missingExplicit = false
  if (params.trial_settings !== undefined) {
    const settings = checkNested(params.trial_settings, 'trial_settings', ['end_behavior'], ['end_behavior'], endpoint)
    const behaviour = checkNested(
      required(settings, 'end_behavior'),
      'trial_settings[end_behavior]',
      ['billing_cycle_anchor', 'missing_payment_method'],
      ['billing_cycle_anchor', 'missing_payment_method'],
      endpoint,
    )
    if (behaviour.billing_cycle_anchor !== undefined && behaviour.billing_cycle_anchor !== 'now')
      throw notModelled('trial_settings[end_behavior][billing_cycle_anchor]=unchanged (SB-53)')
    if (behaviour.missing_payment_method !== undefined) {
      missingPaymentMethod = oneOf(
        behaviour.missing_payment_method,
        'trial_settings[end_behavior][missing_payment_method]',
        ['cancel', 'pause', 'create_invoice'] as const,
      )
      missingExplicit = missingPaymentMethod !== 'create_invoice'
    }
  }
  const defaultPm = optStr(params.default_payment_method, 'default_payment_method')
  const defaultPaymentMethod = defaultPm
    ? customerPaymentMethod(account, customer, defaultPm, 'default_payment_method')
    : null
  const card = payingMethod(account, defaultPaymentMethod, customer.id)
  // What a trial without a card does at its end is documented only for cancel and pause (SB-50).
  if (trialEnd !== null && !card && !missingExplicit && !sendInvoice)
    throw notModelled(
      'a trial without a payment method whose trial_settings[end_behavior][missing_payment_method] is create_invoice or omitted (SB-50: undocumented); pass cancel or pause, or give the customer a card',
    )
  const discounts =
    params.discounts === undefined || params.discounts === ''
      ? []
      : requestedDiscounts(account, params.discounts, customer, endpoint, now, currency)
  const defaultTaxRates =
    params.default_tax_rates === undefined || params.default_tax_rates === ''
      ? []
      : taxRatesParam(account, params.default_tax_rates, 'default_tax_rates')
  if (discounts.length > 0 && hasInclusiveRate(account, [defaultTaxRates, ...items.map((item) => item.taxRates)]))
    throw notModelled(
      'discounts on a subscription with an inclusive tax rate (how the contained tax is rounded after a discount, SB-78)',
    )

  assertDiscountsModelled(billingMode, discounts)
  const itemsTotal = periodAmount(
    account,
    items.map((item) => ({price: item.price.id, quantity: item.quantity})),
  )
  const discountsCoverAll = discounts.some(
    ({coupon}) => coupon.percentOff === 100 || (coupon.amountOff ?? 0) >= itemsTotal,
  )
  const chargeDue = trialEnd === null && itemsTotal > 0 && !discountsCoverAll
  // error_if_incomplete: a first payment that would fail is a 402, and nothing is created (SB-28).
  if (chargeDue && !sendInvoice && paymentBehavior === 'error_if_incomplete' && card?.behaviour !== 'succeeds')
    throw new ApiError(402, 'card_error', 'Your card was declined.', 'card_declined')
  const recurring = items[0]!.price.recurring as Recurring
  const periodEnd = trialEnd ?? periodEndAfter(now, recurring, 1)
  const cancelAtPeriodEnd =
    params.cancel_at_period_end !== undefined && bool(params.cancel_at_period_end, 'cancel_at_period_end')
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const cancelAt =
    params.cancel_at === undefined ? undefined : resolveCancelAt({periodEnd}, params.cancel_at, now, proration)
  // Everything is validated: from here on the request changes the account.
  claimCurrency(
    account,
    customer,
    currency,
    subscriptionsOf(account, customer.id).some((other) => LIVE.has(other.status)),
  )
  const sub: SubscriptionRecord = {
    id: account.newId('sub_'),
    created: now,
    customer: customer.id,
    currency,
    items: items.map((item) => ({
      id: account.newId('si_', 14),
      created: now,
      price: item.price.id,
      quantity: item.quantity,
      metadata: item.metadata,
      taxRates: item.taxRates,
    })),
    status: trialEnd !== null ? 'trialing' : 'active',
    pausedReason: null,
    billingMode,
    ...collection,
    startDate: now,
    // With a trial the anchor is the trial end (SB-49).
    billingCycleAnchor: periodEnd === trialEnd ? trialEnd : now,
    cycles: 0,
    periodStart: now,
    periodEnd,
    trialStart: trialEnd !== null ? now : null,
    trialEnd,
    trialWillEndSent: false,
    missingPaymentMethod,
    cancelAt: null,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    endedAt: null,
    cancellation: {comment: null, feedback: null, reason: null},
    pauseCollection: null,
    discounts: [],
    defaultTaxRates,
    defaultPaymentMethod,
    description: optStr(params.description, 'description') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    latestInvoice: null,
    incompleteExpiresAt: null,
    lastDebit: {},
    testClock: customer.testClock,
    creating: true,
    seq: account.nextSeq(),
  }
  if (cancelAtPeriodEnd) scheduleCancel(sub, sub.periodEnd, true, now)
  if (cancelAt !== undefined) scheduleCancel(sub, cancelAt, false, now)
  account.store.of(SUBSCRIPTIONS).set(sub.id, sub)
  account.store.index(BY_CUSTOMER).add(customer.id, sub.id)
  for (const item of sub.items) account.store.index(BY_ITEM).add(item.id, sub.id)
  attachDiscounts(account, sub, discounts, now)

  // The first invoice is finalized inside this request (SB-28); a trial's is for $0 (SB-49).
  const invoice = invoiceSubscription(
    account,
    sub,
    'subscription_create',
    now,
    fullPeriodLines(account, sub, trialEnd !== null),
  )
  if (sendInvoice) {
    // A send_invoice subscription is active whatever its first invoice does; the invoice is a draft for an hour, then sent (SB-28, SB-70).
  } else if (paymentBehavior === 'default_incomplete' && amountDue(invoice) > 0) {
    finalizeInvoice(account, invoice, now, {attempt: false})
  } else {
    billNow(account, invoice, now)
  }
  if (!sendInvoice && invoice.status !== 'paid') {
    // allow_incomplete and default_incomplete: incomplete until the first invoice is paid (SB-28, SB-29).
    sub.status = 'incomplete'
    sub.incompleteExpiresAt = now + INCOMPLETE_WINDOW
  }
  sub.creating = false
  account.emit('customer.subscription.created', () => renderSubscription(account, sub), sub.testClock)
  // trial_will_end fires at once for a trial of under three days (SB-51).
  if (sub.status === 'trialing' && sub.trialEnd !== null && sub.trialEnd - TRIAL_WILL_END_BEFORE <= now)
    trialWillEnd(account, sub)
  return renderSubscription(account, sub)
}

function scheduleCancel(sub: SubscriptionRecord, at: number | null, atPeriodEnd: boolean, requestTime: number): void {
  sub.cancelAt = at
  sub.cancelAtPeriodEnd = atPeriodEnd
  // canceled_at is the time of the request that scheduled it (SB-63).
  sub.canceledAt = at === null ? null : requestTime
}

/** `cancel_at`: a time, or min/max_period_end; before the period end it would prorate (SB-47), which is modelled only with proration_behavior=none. */
function resolveCancelAt(
  sub: Pick<SubscriptionRecord, 'periodEnd'>,
  value: unknown,
  now: number,
  proration: string,
): number | null {
  if (value === '') return null
  const at = value === 'min_period_end' || value === 'max_period_end' ? sub.periodEnd : int(value, 'cancel_at')
  if (at <= now) throw invalid('cancel_at must be in the future.', 'cancel_at')
  if (at !== sub.periodEnd && proration !== 'none')
    throw notModelled(
      'cancel_at at another time than the current period end with prorations (SB-47: the proration of a partial or future period is not modelled); pass proration_behavior=none',
    )
  return at
}

// ── update ─────────────────────────────────────────────────────────────────

/** A canceled subscription takes only metadata and cancellation_details (SB-62); an incomplete one only what creates no invoice (SB-29). */
function assertUpdatable(sub: SubscriptionRecord, keys: string[]): void {
  if (
    (sub.status === 'canceled' || sub.status === 'incomplete_expired') &&
    keys.some((key) => key !== 'metadata' && key !== 'cancellation_details')
  )
    throw invalid('A canceled subscription can only update its cancellation_details and metadata.')
  if (
    sub.status === 'incomplete' &&
    keys.some((key) => !['metadata', 'description', 'default_payment_method'].includes(key))
  )
    throw invalid(
      'An incomplete subscription can only update attributes that create no invoice: metadata, description, default payment method.',
    )
}

export function findItem(
  account: Account,
  itemId: string,
): {sub: SubscriptionRecord; item: SubscriptionItemRecord} | undefined {
  const sub = account.store.of(SUBSCRIPTIONS).get(account.store.index(BY_ITEM).ids(itemId)[0] ?? '')
  const item = sub?.items.find((it) => it.id === itemId)
  return sub && item ? {sub, item} : undefined
}

export function subscriptionOfItem(
  account: Account,
  itemId: string,
  param = 'id',
): {sub: SubscriptionRecord; item: SubscriptionItemRecord} {
  const found = findItem(account, itemId)
  if (!found)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No such subscription item: '${itemId}'`,
      'resource_missing',
      param,
    )
  return found
}

/**
 * One item added, changed or deleted through /v1/subscription_items: the same rules as `items[]`
 * on the subscription (SB-30, SB-41..SB-46).
 */
export function changeOneItem(account: Account, sub: SubscriptionRecord, change: ItemChange, params: Raw): void {
  assertClockWritable(account, sub.testClock)
  assertUpdatable(
    sub,
    Object.keys(params).filter((key) => key !== 'expand' && key !== 'subscription'),
  )
  const now = account.nowFor(sub.testClock)
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const prorationDate = params.proration_date === undefined ? now : int(params.proration_date, 'proration_date')
  if (prorationDate < sub.periodStart || prorationDate > sub.periodEnd)
    throw invalid('proration_date must be within the current billing period.', 'proration_date')
  if (params.payment_behavior !== undefined && params.payment_behavior !== 'allow_incomplete')
    throw notModelled(`payment_behavior=${String(params.payment_behavior)} on an item change`)
  if (change.price && change.price.currency !== sub.currency)
    throw invalid('All prices on a subscription must have the same currency.', 'price')
  const next = itemsAfter(account, sub, [change], now)
  if (sameBilling(next, sub.items)) return changing(account, sub, () => void (sub.items = next)) // item metadata only
  const invoice = changeItems(account, sub, next, proration, prorationDate, now)
  if (invoice) billNow(account, invoice, now)
}

/** Whether two item lists bill the same: same items, prices and quantities. */
function sameBilling(a: SubscriptionItemRecord[], b: SubscriptionItemRecord[]): boolean {
  const key = (items: SubscriptionItemRecord[]) =>
    JSON.stringify(items.map(({id, price, quantity}) => [id, price, quantity]))
  return key(a) === key(b)
}

const UPDATE_HANDLED = [
  ...COMMON,
  'items',
  'default_payment_method',
  'metadata',
  'description',
  'proration_behavior',
  'proration_date',
  'payment_behavior',
  'collection_method',
  'days_until_due',
  'cancel_at_period_end',
  'cancel_at',
  'cancellation_details',
  'payment_settings',
  'off_session',
  'trial_end',
  'trial_from_plan',
  'discounts',
  'pause_collection',
  'billing_cycle_anchor',
] as const

export interface ItemChange {
  existing: SubscriptionItemRecord | undefined
  price: PriceRecord | undefined
  quantity: number | undefined
  deleted: boolean
  metadata: unknown
}

function parseItemChanges(ctx: RouteContext, sub: SubscriptionRecord, endpoint: string): ItemChange[] {
  const rawItems = ctx.params.items === undefined ? [] : objectArray(ctx.params.items, 'items')
  return rawItems.map((raw, index) => {
    const item = checkNested(
      raw,
      `items[${index}]`,
      ITEM_KNOWN,
      ['id', 'price', 'quantity', 'metadata', 'deleted'],
      endpoint,
    )
    const id = optStr(item.id, `items[${index}][id]`) ?? undefined
    const existing = id ? sub.items.find((it) => it.id === id) : undefined
    if (id && !existing)
      throw new ApiError(
        400,
        'invalid_request_error',
        `No such subscription item: '${id}'`,
        'resource_missing',
        `items[${index}][id]`,
      )
    const price =
      item.price === undefined
        ? undefined
        : recurringPrice(ctx.account, str(item.price, `items[${index}][price]`), `items[${index}][price]`)
    if (!existing && !price)
      throw new ApiError(
        400,
        'invalid_request_error',
        `Missing required param: items[${index}][price].`,
        'parameter_missing',
        `items[${index}][price]`,
      )
    if (price && price.currency !== sub.currency)
      throw invalid('All prices on a subscription must have the same currency.', `items[${index}][price]`)
    return {
      existing,
      price,
      quantity: item.quantity === undefined ? undefined : int(item.quantity, `items[${index}][quantity]`),
      deleted: item.deleted === undefined ? false : bool(item.deleted, `items[${index}][deleted]`),
      metadata: item.metadata,
    }
  })
}

/** The items after the changes: by id replaces, a new price without quantity resets it to 1, no id adds (SB-30). */
function itemsAfter(
  account: Account,
  sub: SubscriptionRecord,
  changes: ItemChange[],
  now: number,
): SubscriptionItemRecord[] {
  let next = sub.items.map((item) => ({...item}))
  for (const change of changes) {
    if (change.existing) {
      const target = next.find((it) => it.id === change.existing?.id)
      if (!target) continue
      if (change.deleted) {
        next = next.filter((it) => it !== target)
        continue
      }
      if (change.price && change.price.id !== target.price) target.quantity = change.quantity ?? 1
      else if (change.quantity !== undefined) target.quantity = change.quantity
      if (change.price) target.price = change.price.id
      target.metadata = mergeMetadata(target.metadata, change.metadata)
    } else if (change.price) {
      if (next.some((it) => it.price === change.price?.id))
        throw invalid('Cannot add multiple subscription items with the same price.', 'items')
      // A new item has no rates of its own: the subscription's defaults apply (SB-78).
      next.push({
        id: account.newId('si_', 14),
        created: now,
        price: change.price.id,
        quantity: change.quantity ?? 1,
        metadata: mergeMetadata({}, change.metadata),
        taxRates: null,
      })
      account.store.index(BY_ITEM).add(next.at(-1)!.id, sub.id)
    }
  }
  if (next.length === 0) throw invalid('A subscription must have at least one active plan.', 'items')
  sameCadence(
    account,
    next.map((item) => priceOf(account, item.price)),
  )
  return next
}

/**
 * An item change (SB-41..SB-46). A change of interval, or from free to paid, credits the unused
 * time (unless proration_behavior=none), resets the anchor and bills the new period at once.
 * Otherwise `create_prorations` leaves credit and debit items for the next invoice,
 * `always_invoice` bills them now, and `none` changes the items alone.
 */
function changeItems(
  account: Account,
  sub: SubscriptionRecord,
  next: SubscriptionItemRecord[],
  proration: string,
  prorationDate: number,
  now: number,
): InvoiceRecord | undefined {
  const before = sub.items
  const oldCadence = cadence(account, sub)
  const newCadence = cadence(account, {items: next})
  const intervalChanged =
    oldCadence.interval !== newCadence.interval || oldCadence.intervalCount !== newCadence.intervalCount
  const freeToPaid = periodAmount(account, before) === 0 && periodAmount(account, next) > 0
  if (sub.status === 'trialing') {
    // Nothing was billed during the trial, so nothing is prorated; the trial keeps its end.
    if (intervalChanged) throw notModelled('changing the billing interval during a trial')
    changing(account, sub, () => (sub.items = next))
    return undefined
  }
  if (sub.status !== 'active' && sub.status !== 'past_due')
    throw notModelled(`item changes on a ${sub.status} subscription`)
  if (proration !== 'none' && sub.cancelAt !== null)
    throw notModelled('prorations on a subscription with a scheduled cancellation')
  if (intervalChanged || freeToPaid) {
    if (proration !== 'none') creditUnusedTime(account, sub, prorationDate, before)
    changing(account, sub, () => (sub.items = next))
    return restartPeriod(account, sub, now, 'subscription_update')
  }
  if (proration !== 'none') {
    const specs: ProrationSpec[] = []
    for (const item of next) {
      const old = before.find((it) => it.id === item.id)
      if (old && old.price === item.price && old.quantity === item.quantity) continue
      if (old) specs.push({item: old, price: old.price, quantity: old.quantity, sign: -1})
      specs.push({item, price: item.price, quantity: item.quantity, sign: 1})
    }
    for (const old of before)
      if (!next.some((it) => it.id === old.id))
        specs.push({item: old, price: old.price, quantity: old.quantity, sign: -1})
    addProrations(account, sub, prorationDate, specs)
  }
  changing(account, sub, () => (sub.items = next))
  if (proration === 'always_invoice')
    return changing(account, sub, () => invoiceSubscription(account, sub, 'subscription_update', now, []))
  return undefined
}

/** A subscription schedule's phase start (SB-S3): the items become the phase's, prorated as the phase says. */
export function applyScheduledItems(
  account: Account,
  sub: SubscriptionRecord,
  items: Array<{price: string; quantity: number}>,
  proration: 'create_prorations' | 'none',
  at: number,
): void {
  // An item whose price stays keeps its id; the others are re-priced in order, then added or deleted (our choice).
  const kept = sub.items.filter((item) => items.some((wanted) => wanted.price === item.price))
  const freed = sub.items.filter((item) => !kept.includes(item))
  const added = items.filter((wanted) => !sub.items.some((item) => item.price === wanted.price))
  const changes: ItemChange[] = [
    ...kept.map((item) => ({
      existing: item,
      price: undefined,
      quantity: items.find((wanted) => wanted.price === item.price)!.quantity,
      deleted: false,
      metadata: undefined,
    })),
    ...freed.map((item, i) => ({
      existing: item,
      price: added[i] && priceOf(account, added[i].price),
      quantity: added[i]?.quantity,
      deleted: !added[i],
      metadata: undefined,
    })),
    ...added
      .slice(freed.length)
      .map((wanted) => ({
        existing: undefined,
        price: priceOf(account, wanted.price),
        quantity: wanted.quantity,
        deleted: false,
        metadata: undefined,
      })),
  ]
  const next = itemsAfter(account, sub, changes, at)
  if (sameBilling(next, sub.items)) return
  const invoice = changeItems(account, sub, next, proration, at, at)
  if (invoice) billNow(account, invoice, at)
}

function updateSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionUpdateParams', UPDATE_HANDLED, endpoint)
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  checkBillingOptions(params, endpoint)
  const now = account.nowFor(sub.testClock)
  assertUpdatable(
    sub,
    Object.keys(params).filter((key) => key !== 'expand'),
  )
  const customer = account.store.of(CUSTOMERS).require(sub.customer)
  const proration =
    params.proration_behavior === undefined
      ? 'create_prorations'
      : oneOf(params.proration_behavior, 'proration_behavior', ['create_prorations', 'always_invoice', 'none'] as const)
  const prorationDate = params.proration_date === undefined ? now : int(params.proration_date, 'proration_date')
  if (prorationDate < sub.periodStart || prorationDate > sub.periodEnd)
    throw invalid('proration_date must be within the current billing period.', 'proration_date')
  if (params.billing_cycle_anchor !== undefined && params.billing_cycle_anchor !== 'unchanged')
    throw notModelled('billing_cycle_anchor=now on update')
  const paymentBehavior =
    params.payment_behavior === undefined
      ? 'allow_incomplete'
      : oneOf(params.payment_behavior, 'payment_behavior', [
          'allow_incomplete',
          'default_incomplete',
          'error_if_incomplete',
          'pending_if_incomplete',
        ] as const)
  if (paymentBehavior !== 'allow_incomplete' && params.items !== undefined)
    throw notModelled(`payment_behavior=${paymentBehavior} on an item change`)
  const changes = parseItemChanges(ctx, sub, endpoint)
  const next = changes.length > 0 ? itemsAfter(account, sub, changes, now) : sub.items
  const itemsChanged = !sameBilling(next, sub.items)
  const requested =
    params.discounts === undefined
      ? undefined
      : params.discounts === ''
        ? []
        : requestedDiscounts(account, params.discounts, customer, endpoint, now, sub.currency)
  if (requested) assertDiscountsModelled(sub.billingMode, requested)
  if (
    requested &&
    requested.length > 0 &&
    hasInclusiveRate(account, [sub.defaultTaxRates, ...sub.items.map((item) => item.taxRates)])
  )
    throw notModelled(
      'discounts on a subscription with an inclusive tax rate (how the contained tax is rounded after a discount, SB-78)',
    )
  const defaultPm =
    params.default_payment_method === undefined
      ? undefined
      : optStr(params.default_payment_method, 'default_payment_method')
  const defaultPaymentMethod = defaultPm
    ? customerPaymentMethod(account, customer, defaultPm, 'default_payment_method')
    : defaultPm
  const trialEnd = params.trial_end === undefined ? undefined : trialEndParam(params.trial_end, now)
  if (trialEnd !== undefined && sub.status !== 'trialing')
    throw notModelled('starting a trial on a subscription that is not trialing')
  if (trialEnd !== undefined && itemsChanged) throw notModelled('changing items and trial_end in one request')
  const cancelAtPeriodEnd =
    params.cancel_at_period_end === undefined ? undefined : bool(params.cancel_at_period_end, 'cancel_at_period_end')
  if (cancelAtPeriodEnd && params.cancel_at !== undefined && params.cancel_at !== '')
    throw invalid('You may only specify one of these parameters: cancel_at, cancel_at_period_end.', 'cancel_at')
  if (
    cancelAtPeriodEnd &&
    pendingItems(account, sub.customer, sub.currency, sub.id).some(
      (item) => item.subscription === sub.id && item.proration,
    )
  ) {
    throw notModelled(
      'cancel_at_period_end with pending prorations (SB-62: they would be collected at period end, on an invoice Stripe does not describe)',
    )
  }
  let pause: SubscriptionRecord['pauseCollection'] | undefined
  if (params.pause_collection !== undefined) {
    if (params.pause_collection === '') pause = null
    else {
      const p = checkNested(
        params.pause_collection,
        'pause_collection',
        ['behavior', 'resumes_at'],
        ['behavior', 'resumes_at'],
        endpoint,
      )
      const resumesAt = p.resumes_at === undefined ? null : int(p.resumes_at, 'pause_collection[resumes_at]')
      if (resumesAt !== null && resumesAt <= now)
        throw invalid('pause_collection[resumes_at] must be in the future.', 'pause_collection[resumes_at]')
      pause = {
        behavior: oneOf(required(p, 'behavior'), 'pause_collection[behavior]', [
          'keep_as_draft',
          'mark_uncollectible',
          'void',
        ] as const),
        resumesAt,
      }
    }
  }
  const details =
    params.cancellation_details === undefined ? undefined : cancellationDetails(params.cancellation_details, endpoint)
  const cancelAt = params.cancel_at === undefined ? undefined : resolveCancelAt(sub, params.cancel_at, now, proration)
  const collection = collectionSettings(params, sub)

  // Everything is validated: now change, in an order where a refusal leaves nothing half done.
  let invoice: InvoiceRecord | undefined
  if (itemsChanged) invoice = changeItems(account, sub, next, proration, prorationDate, now)
  else if (next !== sub.items) changing(account, sub, () => (sub.items = next)) // item metadata only
  if (requested !== undefined && (requested.length > 0 || params.discounts === '')) {
    // A populated array replaces the discounts, `''` clears them, an empty array leaves them (SB-56).
    changing(account, sub, () => {
      removeDiscounts(account, sub, () => true)
      attachDiscounts(account, sub, requested, now)
    })
  }
  if (trialEnd === 'now') {
    // Ending a trial early: trial_will_end at once, then the first paid period starts and is billed now (SB-51, SB-52).
    if (!sub.trialWillEndSent) trialWillEnd(account, sub)
    changing(account, sub, () => {
      sub.status = 'active'
      sub.trialEnd = now
    })
    invoice = restartPeriod(account, sub, now, 'subscription_update')
  } else if (trialEnd !== undefined) {
    // On update the anchor becomes trial_end (SB-52); under three days left fires trial_will_end now (SB-51).
    changing(account, sub, () => {
      sub.trialEnd = trialEnd
      sub.periodEnd = trialEnd
      sub.billingCycleAnchor = trialEnd
    })
    if (!sub.trialWillEndSent && trialEnd - TRIAL_WILL_END_BEFORE <= now) trialWillEnd(account, sub)
  }
  changing(account, sub, () => {
    if (defaultPaymentMethod !== undefined) sub.defaultPaymentMethod = defaultPaymentMethod
    if (cancelAtPeriodEnd !== undefined)
      scheduleCancel(sub, cancelAtPeriodEnd ? sub.periodEnd : null, cancelAtPeriodEnd, now)
    if (cancelAt !== undefined) scheduleCancel(sub, cancelAt, false, now)
    if (details) sub.cancellation = {...sub.cancellation, ...details}
    if (pause !== undefined) sub.pauseCollection = pause
    if (params.description !== undefined) sub.description = optStr(params.description, 'description') ?? null
    sub.collectionMethod = collection.collectionMethod
    sub.daysUntilDue = collection.daysUntilDue
    sub.metadata = mergeMetadata(sub.metadata, params.metadata)
  })
  if (invoice) billNow(account, invoice, now)
  return renderSubscription(account, sub)
}

// ── pause and resume ───────────────────────────────────────────────────────

/**
 * Endive's pause endpoint (SB-66): the subscription becomes `paused` (`pause_requested`) and the
 * unused time is credited, from now by default, as pending items or on an invoice at once.
 */
function pauseSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}/pause'
  const {account, params} = ctx
  checkParams(params, 'SubscriptionPauseParams', [...COMMON, 'bill_for', 'invoicing_behavior', 'type'], endpoint)
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  if (params.type !== undefined) oneOf(params.type, 'type', ['subscription'] as const)
  const invoicing =
    params.invoicing_behavior === undefined
      ? 'pending_invoice_item'
      : oneOf(params.invoicing_behavior, 'invoicing_behavior', ['invoice', 'pending_invoice_item'] as const)
  let creditFrom: 'now' | 'none' | 'item_current_period_start' = 'now'
  if (params.bill_for !== undefined) {
    const billFor = checkNested(
      params.bill_for,
      'bill_for',
      ['outstanding_usage_through', 'unused_time_from'],
      ['outstanding_usage_through', 'unused_time_from'],
      endpoint,
    )
    if (billFor.unused_time_from !== undefined) {
      const from = checkNested(billFor.unused_time_from, 'bill_for[unused_time_from]', ['type'], ['type'], endpoint)
      creditFrom = oneOf(required(from, 'type'), 'bill_for[unused_time_from][type]', [
        'now',
        'none',
        'item_current_period_start',
      ] as const)
    }
  }
  if (sub.status !== 'active' && sub.status !== 'past_due') throw notModelled(`pausing a ${sub.status} subscription`)
  const now = account.nowFor(sub.testClock)
  if (creditFrom !== 'none') creditUnusedTime(account, sub, creditFrom === 'now' ? now : sub.periodStart, sub.items)
  let invoice: InvoiceRecord | undefined
  changing(account, sub, () => {
    sub.status = 'paused'
    sub.pausedReason = 'pause_requested'
    if (invoicing === 'invoice') invoice = invoiceSubscription(account, sub, 'subscription_update', now, [])
  })
  account.emit('customer.subscription.paused', () => renderSubscription(account, sub), sub.testClock)
  if (invoice) billNow(account, invoice, now)
  return renderSubscription(account, sub)
}

/**
 * Resuming (SB-66): with the default `billing_cycle_anchor=now` a new period starts and its
 * resumption invoice is finalized and charged at once; paid, the subscription is active again. What
 * follows a failed resumption payment is not modelled, nor `billing_cycle_anchor=unchanged`.
 */
function resumeSubscription(ctx: RouteContext): ApiObject {
  const endpoint = 'POST /v1/subscriptions/{id}/resume'
  const {account, params} = ctx
  checkParams(
    params,
    'SubscriptionResumeParams',
    [...COMMON, 'billing_cycle_anchor', 'payment_behavior', 'proration_behavior', 'proration_date'],
    endpoint,
  )
  const sub = subscriptionOf(ctx)
  assertClockWritable(account, sub.testClock)
  if (params.billing_cycle_anchor !== undefined) {
    const anchor = checkNested(params.billing_cycle_anchor, 'billing_cycle_anchor', ['type'], ['type'], endpoint)
    if (oneOf(required(anchor, 'type'), 'billing_cycle_anchor[type]', ['now', 'unchanged'] as const) === 'unchanged')
      throw notModelled('resuming with billing_cycle_anchor=unchanged (its prorations)')
  }
  if (params.payment_behavior !== undefined)
    oneOf(params.payment_behavior, 'payment_behavior', [
      'resume_on_payment_attempt',
      'resume_on_payment_success',
    ] as const)
  if (sub.status !== 'paused') throw invalid(`Only a paused subscription can be resumed; this one is ${sub.status}.`)
  if (sub.collectionMethod !== 'charge_automatically')
    throw invalid('Only subscriptions with collection_method=charge_automatically can be resumed.')
  const card = payingMethod(account, sub.defaultPaymentMethod, sub.customer)
  if (periodAmount(account, sub.items) > 0 && card?.behaviour !== 'succeeds')
    throw notModelled('a resumption whose payment fails or has no card to charge')
  const now = account.nowFor(sub.testClock)
  let invoice: InvoiceRecord | undefined
  changing(account, sub, () => {
    sub.status = 'active'
    sub.pausedReason = null
    invoice = startPeriodAt(account, sub, now, 'subscription_update')
  })
  if (invoice) billNow(account, invoice, now)
  account.emit('customer.subscription.resumed', () => renderSubscription(account, sub), sub.testClock)
  return renderSubscription(account, sub)
}

// ── the resource ───────────────────────────────────────────────────────────

export const subscriptions: Resource = {
  object: 'subscription',
  idPrefixes: ['sub_'],
  render: (account, id) => {
    const sub = account.store.of(SUBSCRIPTIONS).get(id)
    return sub && renderSubscription(account, sub)
  },
  documentedParams: {
    file: 'Subscriptions.d.ts',
    interfaces: [
      'SubscriptionCreateParams',
      'SubscriptionUpdateParams',
      'SubscriptionListParams',
      'SubscriptionRetrieveParams',
      'SubscriptionCancelParams',
      'SubscriptionDeleteDiscountParams',
      'SubscriptionPauseParams',
      'SubscriptionResumeParams',
    ],
  },
  due: dueEvents,
  onClockDeleted: (account, clockId) => {
    for (const customer of customersOnClock(account, clockId)) {
      for (const sub of subscriptionsOf(account, customer.id)) {
        for (const id of sub.discounts) account.store.of(DISCOUNTS).delete(id)
        for (const item of sub.items) account.store.index(BY_ITEM).drop(item.id)
        account.store.of(SUBSCRIPTIONS).delete(sub.id)
      }
      account.store.index(BY_CUSTOMER).drop(customer.id)
    }
  },
  routes: [
    route('POST', '/v1/subscriptions', createSubscription),
    route('GET', '/v1/subscriptions/:id', (ctx) => {
      checkParams(ctx.params, 'SubscriptionRetrieveParams', COMMON, 'GET /v1/subscriptions/{id}')
      return renderSubscription(ctx.account, subscriptionOf(ctx))
    }),
    route('POST', '/v1/subscriptions/:id', updateSubscription),
    route('DELETE', '/v1/subscriptions/:id', (ctx) => {
      // subscriptions.cancel ends it now (SB-62).
      const endpoint = 'DELETE /v1/subscriptions/{id}'
      checkParams(
        ctx.params,
        'SubscriptionCancelParams',
        [...COMMON, 'cancellation_details', 'invoice_now', 'prorate'],
        endpoint,
      )
      const {account, params} = ctx
      const sub = subscriptionOf(ctx)
      assertClockWritable(account, sub.testClock)
      if (!LIVE.has(sub.status))
        throw new ApiError(404, 'invalid_request_error', `No such subscription: '${sub.id}'`, 'resource_missing', 'id')
      const details =
        params.cancellation_details === undefined ? {} : cancellationDetails(params.cancellation_details, endpoint)
      sub.cancellation = {...sub.cancellation, ...details}
      cancelNow(account, sub, account.nowFor(sub.testClock), {
        prorate: params.prorate !== undefined && bool(params.prorate, 'prorate'),
        invoiceNow: params.invoice_now !== undefined && bool(params.invoice_now, 'invoice_now'),
      })
      return renderSubscription(account, sub)
    }),
    route('DELETE', '/v1/subscriptions/:id/discount', (ctx) => {
      checkParams(ctx.params, 'SubscriptionDeleteDiscountParams', [], 'DELETE /v1/subscriptions/{id}/discount')
      const {account} = ctx
      const sub = subscriptionOf(ctx)
      assertClockWritable(account, sub.testClock)
      const first = sub.discounts[0]
      const discount = first ? account.store.of(DISCOUNTS).get(first) : undefined
      if (!discount)
        throw new ApiError(
          404,
          'invalid_request_error',
          `No active discount for subscription: '${sub.id}'`,
          'resource_missing',
          'id',
        )
      changing(account, sub, () => removeDiscounts(account, sub, () => true))
      const {end: _end, ...shape} = renderDiscount(discount) // a deleted discount has no end (fixtures3)
      return {...shape, deleted: true}
    }),
    route('POST', '/v1/subscriptions/:id/pause', pauseSubscription),
    route('POST', '/v1/subscriptions/:id/resume', resumeSubscription),
    route('GET', '/v1/subscriptions', (ctx) => {
      checkParams(
        ctx.params,
        'SubscriptionListParams',
        [...COMMON, 'customer', 'price', 'plan', 'status', 'test_clock', 'collection_method', ...PAGINATION],
        'GET /v1/subscriptions',
      )
      const {account, params: p} = ctx
      const statuses = [
        'active',
        'all',
        'canceled',
        'ended',
        'incomplete',
        'incomplete_expired',
        'past_due',
        'paused',
        'trialing',
        'unpaid',
      ] as const
      const status = p.status === undefined ? undefined : oneOf(p.status, 'status', statuses)
      const clock = p.test_clock === undefined ? null : str(p.test_clock, 'test_clock')
      const price = p.price ?? p.plan
      const collection =
        p.collection_method === undefined
          ? undefined
          : oneOf(p.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
      const candidates = clock
        ? customersOnClock(account, clock).flatMap((c) => subscriptionsOf(account, c.id))
        : typeof p.customer === 'string'
          ? subscriptionsOf(account, p.customer)
          : account.store.of(SUBSCRIPTIONS).values()
      const ended = (sub: SubscriptionRecord) => sub.status === 'canceled' || sub.status === 'incomplete_expired'
      return list(
        ctx,
        filter(
          candidates,
          (sub) =>
            // Listing trap: subscriptions on a test clock are left out unless test_clock or customer is given (SB-16).
            (clock !== null ? sub.testClock === clock : p.customer !== undefined || sub.testClock === null) &&
            (p.customer === undefined || sub.customer === p.customer) &&
            (collection === undefined || sub.collectionMethod === collection) &&
            (price === undefined || sub.items.some((item) => item.price === price)) &&
            // By default Stripe lists every subscription that has not been canceled; `ended` means canceled or incomplete_expired.
            (status === undefined
              ? sub.status !== 'canceled'
              : status === 'all' || (status === 'ended' ? ended(sub) : sub.status === status)),
        ),
        (sub) => renderSubscription(account, sub),
      )
    }),
  ],
}
