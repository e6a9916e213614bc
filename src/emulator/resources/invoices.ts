import {DAY, HOUR} from '../../billing-time.js'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Metadata, bool, checkParams, int, mergeMetadata, oneOf, optStr, str} from '../params.js'
import {
  type ApiObject,
  COMMON,
  type DueEvent,
  PAGINATION,
  type Resource,
  type RouteContext,
  filter,
  list,
  page,
  route,
  updating,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {RANK} from '../time-engine.js'
import {CUSTOMERS, type CustomerRecord, liveCustomer, renderCustomer, setDelinquent} from './customers.js'
import {applyDiscounts} from './discounts.js'
import {INVOICE_ITEMS, type InvoiceItemRecord, attachToInvoice, pendingItems} from './invoice-items.js'
import {
  INVOICE_PAYMENTS,
  openInvoicePayment,
  paymentsOfInvoice,
  renderInvoicePayment,
  settleInvoicePayment,
} from './invoice-payments.js'
import {PAYMENT_INTENTS, attemptPaymentIntent, cancelPaymentIntent, openPaymentIntent} from './payment-intents.js'
import {PAYMENT_METHODS, customerPaymentMethod, payingMethod} from './payment-methods.js'
import {PRICES} from './prices.js'
import {PRODUCTS} from './products.js'
import {
  SUBSCRIPTIONS,
  isTaxedSubscription,
  subscriptionInvoiceFailed,
  subscriptionInvoiceOverdue,
  subscriptionInvoicePaid,
  subscriptionRetriesExhausted,
} from './subscriptions.js'
import {type LineTax, TAX_RATES, lineTaxes, renderTaxRate} from './tax-rates.js'
import {assertClockWritable} from './test-clocks.js'

export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual'
export type CollectionPause = 'keep_as_draft' | 'mark_uncollectible' | 'void'

export interface InvoiceLineRecord {
  id: string
  invoiceItem: string | null
  subscriptionItem: string | null
  price: string | null
  quantity: number
  amount: number
  description: string
  proration: boolean
  credits: {invoice: string; line: string} | null
  periodStart: number
  periodEnd: number
  discountable: boolean
  discountAmounts: Array<{amount: number; discount: string}>
  /** Computed once the line's discounts are known: tax follows discounts (SB-78). */
  taxes: LineTax[]
}

export interface InvoiceRecord {
  id: string
  created: number
  customer: string
  subscription: string | null
  currency: string
  billingReason: BillingReason
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible'
  lines: InvoiceLineRecord[]
  periodStart: number
  periodEnd: number
  discounts: string[]
  /** Copied from the subscription: the rates of lines that have none of their own (SB-78). */
  defaultTaxRates: string[]
  autoAdvance: boolean
  startingBalance: number
  endingBalance: number | null
  amountPaid: number
  attemptCount: number
  /** When a draft is finalized and first charged (SB-32). */
  finalizesAt: number | null
  finalizedAt: number | null
  paidAt: number | null
  voidedAt: number | null
  markedUncollectibleAt: number | null
  uncollectibleReason: string | null
  firstFailureAt: number | null
  nextPaymentAttempt: number | null
  /** pause_collection's behaviour when the invoice was created (SB-65). */
  collectionPause: CollectionPause | null
  collectionMethod: 'charge_automatically' | 'send_invoice'
  daysUntilDue: number | null
  /** send_invoice: when payment is due, set at finalization (SB-70). */
  dueDate: number | null
  /** send_invoice: the due date passed unpaid and the subscription went past_due. */
  overdue: boolean
  /** The PaymentIntent and default InvoicePayment made at finalization when something is due (SB-69). */
  paymentIntent: string | null
  invoicePayment: string | null
  testClock: string | null
  number: string | null
  metadata: Metadata
  description: string | null
  /** What credit notes took off while it was unpaid, and gave back after (SB-74). */
  prePaymentCredit: number
  postPaymentCredit: number
  seq: number
}

export const INVOICES = collectionKey<InvoiceRecord>('invoices', 'invoice')
/** Drafts and open invoices per clock: the only invoices a clock's time engine looks at. */
const ACTIVE_BY_CLOCK = 'active-invoices-by-clock'
const BY_SUBSCRIPTION = 'invoices-by-subscription'
const BY_CLOCK = 'invoices-by-clock'
/** Finalized invoices per customer: what numbers the next one. */
const NUMBERED_BY_CUSTOMER = 'numbered-invoices-by-customer'
const DRAFT_PERIOD = HOUR // SB-32: a renewal stays draft for about an hour

export function subtotal(invoice: InvoiceRecord): number {
  return invoice.lines.reduce((sum, line) => sum + line.amount, 0)
}

function taxSum(invoice: InvoiceRecord, inclusive: boolean): number {
  return invoice.lines.reduce(
    (sum, line) => sum + line.taxes.reduce((s, t) => s + (t.inclusive === inclusive ? t.amount : 0), 0),
    0,
  )
}

/** After discounts, plus exclusive taxes; inclusive taxes are already in the amounts (SB-78). */
export function total(invoice: InvoiceRecord): number {
  return (
    subtotal(invoice) -
    invoice.lines.reduce((sum, line) => sum + line.discountAmounts.reduce((s, d) => s + d.amount, 0), 0) +
    taxSum(invoice, false)
  )
}

/** Whether any line carries tax: what credit notes do not model yet (SB-78). */
export function isTaxed(invoice: InvoiceRecord): boolean {
  return invoice.lines.some((line) => line.taxes.length > 0)
}

function renderTax(tax: LineTax): ApiObject {
  // A rate made by hand gives no taxability reason Stripe documents: `not_available` (ours, SB-78).
  return {
    amount: tax.amount,
    tax_behavior: tax.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: {tax_rate: tax.rate},
    taxability_reason: 'not_available',
    taxable_amount: tax.taxableAmount,
    type: 'tax_rate_details',
  }
}

/** Invoice-level taxes, one entry per rate, summed over the lines (SB-78). */
function totalTaxes(invoice: InvoiceRecord): ApiObject[] {
  const byRate = new Map<string, LineTax>()
  for (const line of invoice.lines) {
    for (const tax of line.taxes) {
      const sum = byRate.get(tax.rate)
      byRate.set(
        tax.rate,
        sum
          ? {...sum, amount: sum.amount + tax.amount, taxableAmount: sum.taxableAmount + tax.taxableAmount}
          : {...tax},
      )
    }
  }
  return [...byRate.values()].map(renderTax)
}

/** What is charged: the total plus any balance, never below zero (SB-37), less pre-payment credit notes (SB-74). */
export function amountDue(invoice: InvoiceRecord): number {
  return Math.max(0, total(invoice) + invoice.startingBalance) - invoice.prePaymentCredit
}

/**
 * A credit note's effect on its invoice (SB-74): `pre` lowers what is still due, and the invoice's
 * PaymentIntent and InvoicePayment follow it; `post` is recorded as credited after payment.
 */
export function creditInvoice(account: Account, invoice: InvoiceRecord, pre: number, post: number): void {
  updating(
    account,
    'invoice.updated',
    invoice.testClock,
    () => renderInvoice(account, invoice),
    () => {
      invoice.prePaymentCredit += pre
      invoice.postPaymentCredit += post
    },
  )
  if (pre === 0) return
  const intent = invoice.paymentIntent ? account.store.of(PAYMENT_INTENTS).get(invoice.paymentIntent) : undefined
  if (intent && intent.status !== 'succeeded' && intent.status !== 'canceled') intent.amount = amountDue(invoice)
  const payment = invoice.invoicePayment ? account.store.of(INVOICE_PAYMENTS).get(invoice.invoicePayment) : undefined
  if (payment && payment.status === 'open') payment.amountRequested = amountDue(invoice)
}

function lineDescription(account: Account, price: string | null, quantity: number, fallback: string | null): string {
  const product = price ? account.store.of(PRODUCTS).get(account.store.of(PRICES).get(price)?.product ?? '') : undefined
  return fallback ?? `${quantity} × ${product?.name ?? 'item'}`
}

function renderLine(account: Account, invoice: InvoiceRecord, line: InvoiceLineRecord): ApiObject {
  const prorationDetails = {
    credited_items: line.credits ? {invoice: line.credits.invoice, invoice_line_items: [line.credits.line]} : null,
  }
  // An ended subscription's item billed on another invoice still names its own subscription (SB-39).
  const subscription =
    (line.invoiceItem ? account.store.of(INVOICE_ITEMS).get(line.invoiceItem)?.subscription : null) ??
    invoice.subscription
  const parent = line.subscriptionItem
    ? {
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: line.invoiceItem,
          proration: line.proration,
          proration_details: prorationDetails,
          subscription,
          subscription_item: line.subscriptionItem,
        },
        type: 'subscription_item_details',
      }
    : {
        invoice_item_details: {
          invoice_item: line.invoiceItem,
          proration: line.proration,
          proration_details: prorationDetails,
          subscription,
        },
        subscription_item_details: null,
        type: 'invoice_item_details',
      }
  return {
    id: line.id,
    object: 'line_item',
    amount: line.amount,
    currency: invoice.currency,
    description: line.description,
    discount_amounts: line.discountAmounts,
    discountable: line.discountable,
    discounts: [...new Set(line.discountAmounts.map((d) => d.discount))],
    invoice: invoice.id,
    livemode: false,
    metadata: {},
    parent,
    period: {end: line.periodEnd, start: line.periodStart},
    pretax_credit_amounts: [],
    pricing: {
      price_details: line.price
        ? {price: line.price, product: account.store.of(PRICES).get(line.price)?.product ?? null}
        : null,
      type: 'price_details',
      unit_amount_decimal: String(line.quantity ? line.amount / line.quantity : 0),
    },
    quantity: line.quantity,
    quantity_decimal: String(line.quantity),
    subscription: invoice.subscription,
    subtotal: line.amount,
    taxes: line.taxes.map(renderTax),
  }
}

export function renderInvoice(account: Account, invoice: InvoiceRecord): ApiObject {
  const customer = account.store.of(CUSTOMERS).get(invoice.customer)
  const due = amountDue(invoice)
  const totals = new Map<string, number>()
  for (const line of invoice.lines)
    for (const d of line.discountAmounts) totals.set(d.discount, (totals.get(d.discount) ?? 0) + d.amount)
  return {
    id: invoice.id,
    object: 'invoice',
    account_country: 'US',
    account_name: null,
    account_tax_ids: null,
    amount_due: due,
    amount_overpaid: 0,
    amount_paid: invoice.amountPaid,
    amount_remaining: invoice.status === 'paid' || invoice.status === 'void' ? 0 : due - invoice.amountPaid,
    amount_shipping: 0,
    application: null,
    attempt_count: invoice.attemptCount,
    attempted: invoice.attemptCount > 0,
    auto_advance: invoice.autoAdvance,
    automatic_tax: {disabled_reason: null, enabled: false, liability: null, provider: null, status: null},
    automatically_finalizes_at: invoice.status === 'draft' && invoice.autoAdvance ? invoice.finalizesAt : null,
    billing_reason: invoice.billingReason,
    collection_method: invoice.collectionMethod,
    created: invoice.created,
    currency: invoice.currency,
    custom_fields: null,
    customer: invoice.customer,
    customer_account: null,
    customer_address: null,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    customer_phone: customer?.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: invoice.defaultTaxRates.map((id) => renderTaxRate(account.store.of(TAX_RATES).require(id))),
    description: invoice.description,
    discounts: invoice.discounts,
    due_date: invoice.dueDate,
    effective_at: invoice.finalizedAt,
    ending_balance: invoice.endingBalance,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: {type: 'self'},
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: invoice.lines.map((line) => renderLine(account, invoice, line)),
      has_more: false,
      total_count: invoice.lines.length,
      url: `/v1/invoices/${invoice.id}/lines`,
    },
    livemode: false,
    metadata: invoice.metadata,
    next_payment_attempt: invoice.nextPaymentAttempt,
    number: invoice.number,
    on_behalf_of: null,
    parent: invoice.subscription
      ? {
          quote_details: null,
          subscription_details: {metadata: {}, subscription: invoice.subscription},
          type: 'subscription_details',
        }
      : null,
    payment_settings: {default_mandate: null, payment_method_options: null, payment_method_types: null},
    period_end: invoice.periodEnd,
    period_start: invoice.periodStart,
    post_payment_credit_notes_amount: invoice.postPaymentCredit,
    pre_payment_credit_notes_amount: invoice.prePaymentCredit,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: invoice.startingBalance,
    statement_descriptor: null,
    status: invoice.status,
    // Endive: why an invoice is uncollectible, only while it is (SB-40).
    ...(invoice.status === 'uncollectible' && invoice.uncollectibleReason
      ? {status_details: {uncollectible: {reason: invoice.uncollectibleReason}}}
      : {}),
    status_transitions: {
      finalized_at: invoice.finalizedAt,
      marked_uncollectible_at: invoice.markedUncollectibleAt,
      paid_at: invoice.paidAt,
      voided_at: invoice.voidedAt,
    },
    subtotal: subtotal(invoice),
    subtotal_excluding_tax: subtotal(invoice) - taxSum(invoice, true),
    test_clock: invoice.testClock,
    total: total(invoice),
    total_discount_amounts: [...totals].map(([discount, amount]) => ({amount, discount})),
    total_excluding_tax: total(invoice) - taxSum(invoice, false) - taxSum(invoice, true),
    total_pretax_credit_amounts: [],
    total_taxes: totalTaxes(invoice),
    webhooks_delivered_at: invoice.created, // SB-32: no webhooks to wait for
  }
}

export interface SubscriptionLine {
  subscriptionItem: string
  price: string
  quantity: number
  amount: number
  periodStart: number
  periodEnd: number
  /** The item's own rates, else the subscription's defaults (SB-78). */
  taxRates: string[]
}

/**
 * A draft invoice: the customer's pending items first, newest first, then the subscription's items
 * (SB-36), discounted by the discounts that apply at `at` (SB-59). Finalization follows an hour
 * later, or at once for a subscription's first and update invoices (SB-28).
 */
export function createInvoice(
  account: Account,
  input: {
    customer: CustomerRecord
    subscription: string | null
    currency: string
    billingReason: BillingReason
    at: number
    periodStart: number
    periodEnd: number
    lines: SubscriptionLine[]
    discounts: string[]
    collectionPause?: CollectionPause | null
    takePending?: boolean
    collectionMethod?: 'charge_automatically' | 'send_invoice'
    daysUntilDue?: number | null
    autoAdvance?: boolean
    pending?: InvoiceItemRecord[]
    metadata?: Metadata
    description?: string | null
    defaultTaxRates?: string[]
  },
): InvoiceRecord {
  const id = account.newId('in_')
  const pending =
    input.pending ??
    (input.takePending === false
      ? []
      : pendingItems(account, input.customer.id, input.currency, input.subscription)
    ).sort((a, b) => b.seq - a.seq)
  const subscriptionLines = [...input.lines].reverse()
  const lines: InvoiceLineRecord[] = [
    ...pending.map((item) => itemLine(account, item)),
    ...subscriptionLines.map((line): InvoiceLineRecord => ({
      id: account.newId('il_'),
      invoiceItem: null,
      subscriptionItem: line.subscriptionItem,
      price: line.price,
      quantity: line.quantity,
      amount: line.amount,
      description: lineDescription(account, line.price, line.quantity, null),
      proration: false,
      credits: null,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      discountable: true,
      discountAmounts: [],
      taxes: [],
    })),
  ]
  applyDiscounts(account, lines, input.discounts)
  // Tax is on what is left after discounts; invoice items, having no rates of their own, take the invoice's defaults (SB-78).
  const ownRates = [...pending.map(() => undefined), ...subscriptionLines.map((line) => line.taxRates)]
  for (const [i, line] of lines.entries())
    line.taxes = lineTaxes(
      account,
      line.amount - line.discountAmounts.reduce((sum, d) => sum + d.amount, 0),
      ownRates[i] ?? input.defaultTaxRates ?? [],
    )
  const invoice: InvoiceRecord = {
    id,
    created: input.at,
    customer: input.customer.id,
    subscription: input.subscription,
    currency: input.currency,
    billingReason: input.billingReason,
    status: 'draft',
    lines,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    defaultTaxRates: input.defaultTaxRates ?? [],
    discounts: input.discounts.filter((d) => lines.some((line) => line.discountAmounts.some((a) => a.discount === d))),
    // keep_as_draft pauses leave the draft alone (SB-65).
    autoAdvance: input.autoAdvance ?? input.collectionPause !== 'keep_as_draft',
    startingBalance: 0,
    endingBalance: null,
    amountPaid: 0,
    attemptCount: 0,
    finalizesAt: input.at + DRAFT_PERIOD,
    finalizedAt: null,
    paidAt: null,
    voidedAt: null,
    markedUncollectibleAt: null,
    uncollectibleReason: null,
    firstFailureAt: null,
    nextPaymentAttempt: null,
    collectionPause: input.collectionPause ?? null,
    collectionMethod: input.collectionMethod ?? 'charge_automatically',
    daysUntilDue: input.daysUntilDue ?? null,
    dueDate: null,
    overdue: false,
    paymentIntent: null,
    invoicePayment: null,
    testClock: input.customer.testClock,
    number: null,
    metadata: input.metadata ?? {},
    description: input.description ?? null,
    prePaymentCredit: 0,
    postPaymentCredit: 0,
    seq: account.nextSeq(),
  }
  account.store.of(INVOICES).set(invoice.id, invoice)
  for (const item of pending) attachToInvoice(account, item, invoice.id)
  if (invoice.testClock) {
    account.store.index(ACTIVE_BY_CLOCK).add(invoice.testClock, invoice.id)
    account.store.index(BY_CLOCK).add(invoice.testClock, invoice.id)
  }
  if (invoice.subscription) account.store.index(BY_SUBSCRIPTION).add(invoice.subscription, invoice.id)
  account.emit('invoice.created', () => renderInvoice(account, invoice), invoice.testClock)
  return invoice
}

/** An invoice item's line on an invoice. */
function itemLine(account: Account, item: InvoiceItemRecord): InvoiceLineRecord {
  return {
    id: account.newId('il_'),
    invoiceItem: item.id,
    subscriptionItem: item.subscriptionItem,
    price: item.price,
    quantity: item.quantity,
    amount: item.amount,
    description: lineDescription(account, item.price, item.quantity, item.description),
    proration: item.proration,
    credits: item.credits,
    periodStart: item.periodStart,
    periodEnd: item.periodEnd,
    discountable: item.discountable,
    // Included in the amount already: listed with 0 (SB-46).
    discountAmounts: item.discounts.map((discount) => ({amount: 0, discount})),
    taxes: [],
  }
}

/** A draft the caller may change the lines of; discounted drafts are refused, since re-spreading discounts over new lines is not modelled. */
export function editableDraft(account: Account, id: string, param: string): InvoiceRecord {
  const invoice = account.store.of(INVOICES).require(id, param)
  if (invoice.status !== 'draft')
    throw invalid(
      `You can only add or remove invoice items on a draft invoice; ${invoice.id} is ${invoice.status}.`,
      param,
    )
  if (invoice.discounts.length > 0) throw notModelled('changing the lines of a discounted draft invoice')
  return invoice
}

/** An item added to a draft comes after the lines it had, oldest first (SB-36); the draft announces its new totals (SB-71). */
export function addItemToDraft(account: Account, invoice: InvoiceRecord, item: InvoiceItemRecord): void {
  updating(
    account,
    'invoice.updated',
    invoice.testClock,
    () => renderInvoice(account, invoice),
    () => {
      const line = itemLine(account, item)
      // Drafts with discounts are refused before this (editableDraft), so the whole amount is taxable.
      line.taxes = lineTaxes(account, line.amount, invoice.defaultTaxRates)
      invoice.lines.push(line)
    },
  )
}

export function removeItemFromDraft(account: Account, invoice: InvoiceRecord, item: InvoiceItemRecord): void {
  updating(
    account,
    'invoice.updated',
    invoice.testClock,
    () => renderInvoice(account, invoice),
    () => (invoice.lines = invoice.lines.filter((line) => line.invoiceItem !== item.id)),
  )
}

/** A hand-made invoice (`invoices.create`, billing_reason manual) leaves its subscription's status alone (SB-71). */
function drivesSubscription(invoice: InvoiceRecord): boolean {
  return invoice.billingReason !== 'manual'
}

function settled(account: Account, invoice: InvoiceRecord): void {
  invoice.nextPaymentAttempt = null
  if (invoice.testClock) account.store.index(ACTIVE_BY_CLOCK).remove(invoice.testClock, invoice.id)
}

/**
 * Finalizes a draft: the customer's balance is applied (SB-37), then, unless collection is paused,
 * payment is attempted at once (SB-32).
 */
export function finalizeInvoice(
  account: Account,
  invoice: InvoiceRecord,
  at: number,
  options: {attempt: boolean} = {attempt: true},
): void {
  const customer = account.store.of(CUSTOMERS).get(invoice.customer)
  const numbered = account.store.index(NUMBERED_BY_CUSTOMER)
  numbered.add(invoice.customer, invoice.id)
  invoice.status = 'open'
  invoice.finalizedAt = at
  invoice.finalizesAt = null
  invoice.number = `${invoice.customer.slice(4, 12).toUpperCase()}-${String(numbered.size(invoice.customer)).padStart(4, '0')}`
  invoice.startingBalance = customer?.balance ?? 0
  const after = total(invoice) + invoice.startingBalance
  invoice.endingBalance = Math.min(0, after)
  if (customer && customer.balance !== invoice.endingBalance) {
    updating(
      account,
      'customer.updated',
      customer.testClock,
      () => renderCustomer(account, customer),
      () => (customer.balance = invoice.endingBalance ?? 0),
    )
  }
  const due = amountDue(invoice)
  if (due > 0) {
    const intent = openPaymentIntent(
      account,
      {amount: due, currency: invoice.currency, customer: invoice.customer, testClock: invoice.testClock},
      at,
    )
    invoice.paymentIntent = intent.id
    invoice.invoicePayment = openInvoicePayment(
      account,
      {
        invoice: invoice.id,
        currency: invoice.currency,
        amountRequested: due,
        paymentIntent: intent.id,
        testClock: invoice.testClock,
      },
      at,
    ).id
  }
  if (invoice.collectionMethod === 'send_invoice' && invoice.daysUntilDue !== null)
    invoice.dueDate = at + invoice.daysUntilDue * DAY
  account.emit('invoice.finalized', () => renderInvoice(account, invoice), invoice.testClock)
  if (invoice.collectionPause === 'void') return voidInvoice(account, invoice, at)
  if (invoice.collectionPause === 'mark_uncollectible')
    return markUncollectible(account, invoice, at, 'subscription_paused')
  // send_invoice: sent, not charged; test mode sends no email but emits invoice.sent (SB-70).
  if (invoice.collectionMethod === 'send_invoice') {
    // Finalized by hand without auto_advance, it waits for invoices.send (SB-71).
    if (due > 0)
      return options.attempt
        ? account.emit('invoice.sent', () => renderInvoice(account, invoice), invoice.testClock)
        : undefined
    return markPaid(account, invoice, at, false)
  }
  if (options.attempt) attemptPayment(account, invoice, at)
}

function markPaid(account: Account, invoice: InvoiceRecord, at: number, attempted: boolean): void {
  const payment = invoice.invoicePayment ? account.store.of(INVOICE_PAYMENTS).get(invoice.invoicePayment) : undefined
  if (payment && attempted) settleInvoicePayment(account, payment, 'paid', at)
  setDelinquent(account, invoice.customer, false)
  invoice.amountPaid = amountDue(invoice)
  invoice.status = 'paid'
  invoice.paidAt = at
  invoice.autoAdvance = false
  settled(account, invoice)
  const after = renderInvoice(account, invoice)
  // invoice.paid for any payment; invoice.payment_succeeded only for attempts (SB-38).
  account.emit('invoice.paid', () => after, invoice.testClock)
  if (attempted) account.emit('invoice.payment_succeeded', () => after, invoice.testClock)
  if (drivesSubscription(invoice)) subscriptionInvoicePaid(account, invoice, at)
}

/**
 * One charge attempt, with the subscription's or the customer's default card (SB-25), or the card
 * `invoices.pay` names. An automatic failure schedules the next Smart Retry (SB-33); when they run
 * out the subscription reacts (SB-34). `attempt_count` counts the first attempt of any kind, then
 * only automatic ones (SB-33).
 */
export function attemptPayment(account: Account, invoice: InvoiceRecord, at: number, paymentMethod?: string): void {
  const due = amountDue(invoice)
  if (due === 0) return markPaid(account, invoice, at, false)
  const manual = paymentMethod !== undefined
  const sub = invoice.subscription ? account.store.of(SUBSCRIPTIONS).get(invoice.subscription) : undefined
  const card = manual
    ? account.store.of(PAYMENT_METHODS).get(paymentMethod)
    : payingMethod(account, sub?.defaultPaymentMethod ?? null, invoice.customer)
  if (!manual || invoice.attemptCount === 0) invoice.attemptCount++
  const intent = invoice.paymentIntent ? account.store.of(PAYMENT_INTENTS).get(invoice.paymentIntent) : undefined
  const succeeded = card !== undefined && intent !== undefined && attemptPaymentIntent(account, intent, card, at)
  if (succeeded) return markPaid(account, invoice, at, true)
  invoice.firstFailureAt ??= at
  // No retry without a card (SB-33); a first invoice waits to be paid until it expires (SB-29).
  // A hand-made invoice is retried only with auto_advance: without it nothing happens unasked (SB-71).
  const retries =
    !manual &&
    card !== undefined &&
    invoice.billingReason !== 'subscription_create' &&
    invoice.collectionMethod === 'charge_automatically' &&
    invoice.autoAdvance
  const retry = retries ? account.options.retryScheduleDays[invoice.attemptCount - 1] : undefined
  if (!manual) invoice.nextPaymentAttempt = retry === undefined ? null : invoice.firstFailureAt + retry * DAY
  account.emit('invoice.payment_failed', () => renderInvoice(account, invoice), invoice.testClock)
  if (!manual) setDelinquent(account, invoice.customer, true)
  if (drivesSubscription(invoice)) subscriptionInvoiceFailed(account, invoice)
  if (retries && retry === undefined && drivesSubscription(invoice)) subscriptionRetriesExhausted(account, invoice, at)
}

/** Unpaid at its due date: the subscription becomes past_due and the customer delinquent (SB-70, SB-38). */
function passDueDate(account: Account, invoice: InvoiceRecord): void {
  invoice.overdue = true
  setDelinquent(account, invoice.customer, true)
  if (drivesSubscription(invoice)) subscriptionInvoiceOverdue(account, invoice)
}

export function voidInvoice(account: Account, invoice: InvoiceRecord, at: number): void {
  // Voiding cancels the invoice's PaymentIntent (`void_invoice`) and its InvoicePayment (SB-69).
  const intent = invoice.paymentIntent ? account.store.of(PAYMENT_INTENTS).get(invoice.paymentIntent) : undefined
  if (intent) cancelPaymentIntent(account, intent, 'void_invoice', at)
  const payment = invoice.invoicePayment ? account.store.of(INVOICE_PAYMENTS).get(invoice.invoicePayment) : undefined
  if (payment) settleInvoicePayment(account, payment, 'canceled', at)
  invoice.status = 'void'
  invoice.voidedAt = at
  invoice.autoAdvance = false
  settled(account, invoice)
  account.emit('invoice.voided', () => renderInvoice(account, invoice), invoice.testClock)
}

function markUncollectible(account: Account, invoice: InvoiceRecord, at: number, reason: string | null): void {
  invoice.status = 'uncollectible'
  invoice.markedUncollectibleAt = at
  invoice.uncollectibleReason = reason
  invoice.autoAdvance = false
  settled(account, invoice)
  account.emit('invoice.marked_uncollectible', () => renderInvoice(account, invoice), invoice.testClock)
}

export function invoicesOfSubscription(account: Account, subscription: string): InvoiceRecord[] {
  return account.store.indexed(INVOICES, BY_SUBSCRIPTION, subscription)
}

/** Canceling a subscription stops automatic collection of all the customer's finalized invoices, not only its own (SB-62). */
export function stopCollection(account: Account, customer: string): void {
  for (const invoice of account.store.indexed(INVOICES, NUMBERED_BY_CUSTOMER, customer)) {
    if (invoice.status !== 'open' || !invoice.autoAdvance) continue
    updating(
      account,
      'invoice.updated',
      invoice.testClock,
      () => renderInvoice(account, invoice),
      () => {
        invoice.autoAdvance = false
        settled(account, invoice)
      },
    )
  }
}

function invoiceOf(ctx: RouteContext): InvoiceRecord {
  return ctx.account.store.of(INVOICES).require(ctx.ids[0] ?? '')
}

export const invoices: Resource = {
  object: 'invoice',
  idPrefixes: ['in_'],
  render: (account, id) => {
    const invoice = account.store.of(INVOICES).get(id)
    return invoice && renderInvoice(account, invoice)
  },
  // `payments` is includable: present only when expanded (SB-69).
  includable: {
    payments: (account, id) => ({
      object: 'list',
      data: paymentsOfInvoice(account, id).map(renderInvoicePayment),
      has_more: false,
      url: '/v1/invoice_payments',
    }),
  },
  documentedParams: {
    file: 'Invoices.d.ts',
    interfaces: [
      'InvoiceCreateParams',
      'InvoiceUpdateParams',
      'InvoiceDeleteParams',
      'InvoiceSendInvoiceParams',
      'InvoiceListParams',
      'InvoiceListLineItemsParams',
      'InvoiceRetrieveParams',
      'InvoicePayParams',
      'InvoiceVoidInvoiceParams',
      'InvoiceFinalizeInvoiceParams',
      'InvoiceMarkUncollectibleParams',
    ],
  },
  due: (account, clockId) => {
    const events: DueEvent[] = []
    for (const invoice of account.store.indexed(INVOICES, ACTIVE_BY_CLOCK, clockId)) {
      if (invoice.status === 'draft' && invoice.autoAdvance && invoice.finalizesAt !== null) {
        const at = invoice.finalizesAt
        events.push({at, rank: RANK.finalize, seq: invoice.seq, run: () => finalizeInvoice(account, invoice, at)})
      }
      if (invoice.status === 'open' && invoice.nextPaymentAttempt !== null) {
        const at = invoice.nextPaymentAttempt
        events.push({at, rank: RANK.paymentRetry, seq: invoice.seq, run: () => attemptPayment(account, invoice, at)})
      }
      if (invoice.status === 'open' && invoice.dueDate !== null && !invoice.overdue) {
        events.push({
          at: invoice.dueDate,
          rank: RANK.paymentRetry,
          seq: invoice.seq,
          run: () => passDueDate(account, invoice),
        })
      }
    }
    return events
  },
  onClockDeleted: (account, clockId) => {
    for (const invoice of account.store.indexed(INVOICES, BY_CLOCK, clockId)) {
      account.store.of(INVOICES).delete(invoice.id)
      if (invoice.subscription) account.store.index(BY_SUBSCRIPTION).drop(invoice.subscription)
      account.store.index(NUMBERED_BY_CUSTOMER).drop(invoice.customer)
    }
    account.store.index(BY_CLOCK).drop(clockId)
    account.store.index(ACTIVE_BY_CLOCK).drop(clockId)
  },
  routes: [
    route('GET', '/v1/invoices/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceRetrieveParams', COMMON, 'GET /v1/invoices/{id}')
      return renderInvoice(ctx.account, invoiceOf(ctx))
    }),
    route('GET', '/v1/invoices', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceListParams',
        [...COMMON, 'customer', 'subscription', 'status', 'collection_method', ...PAGINATION],
        'GET /v1/invoices',
      )
      const p = ctx.params
      const collection =
        p.collection_method === undefined
          ? undefined
          : oneOf(p.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
      const all =
        typeof p.subscription === 'string'
          ? invoicesOfSubscription(ctx.account, p.subscription)
          : ctx.account.store.of(INVOICES).values()
      return list(
        ctx,
        filter(
          all,
          (inv) =>
            (p.customer === undefined || inv.customer === p.customer) &&
            (p.subscription === undefined || inv.subscription === p.subscription) &&
            (p.status === undefined || inv.status === p.status) &&
            (collection === undefined || inv.collectionMethod === collection),
        ),
        (inv) => renderInvoice(ctx.account, inv),
      )
    }),
    route('GET', '/v1/invoices/:id/lines', (ctx) => {
      checkParams(ctx.params, 'InvoiceListLineItemsParams', [...COMMON, ...PAGINATION], 'GET /v1/invoices/{id}/lines')
      const invoice = invoiceOf(ctx)
      // In the invoice's own order (SB-36).
      return page(ctx, invoice.lines, (line) => renderLine(ctx.account, invoice, line))
    }),
    route('POST', '/v1/invoices/:id/finalize', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceFinalizeInvoiceParams',
        [...COMMON, 'auto_advance'],
        'POST /v1/invoices/{id}/finalize',
      )
      const invoice = invoiceOf(ctx)
      assertClockWritable(ctx.account, invoice.testClock)
      if (invoice.status !== 'draft')
        throw invalid(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`)
      // Finalizing by hand attempts payment only with auto_advance (SB-35).
      const autoAdvance =
        ctx.params.auto_advance === undefined ? invoice.autoAdvance : bool(ctx.params.auto_advance, 'auto_advance')
      invoice.autoAdvance = autoAdvance
      finalizeInvoice(ctx.account, invoice, ctx.account.nowFor(invoice.testClock), {attempt: autoAdvance})
      return renderInvoice(ctx.account, invoice)
    }),
    route('POST', '/v1/invoices/:id/pay', (ctx) => {
      checkParams(
        ctx.params,
        'InvoicePayParams',
        [...COMMON, 'payment_method', 'paid_out_of_band', 'off_session', 'forgive'],
        'POST /v1/invoices/{id}/pay',
      )
      const {account, params} = ctx
      const invoice = invoiceOf(ctx)
      assertClockWritable(account, invoice.testClock)
      if (params.forgive !== undefined && bool(params.forgive, 'forgive'))
        throw notModelled('forgive=true on invoices.pay')
      if (invoice.status === 'paid') throw invalid('Invoice is already paid.', undefined, 'invoice_already_paid')
      if (invoice.status !== 'open' && invoice.status !== 'uncollectible')
        throw invalid(`You can only pay an open or uncollectible invoice; this one is ${invoice.status}.`)
      const at = account.nowFor(invoice.testClock)
      // Out of band: marked paid, no charge, so invoice.paid but no invoice.payment_succeeded (SB-38).
      if (params.paid_out_of_band !== undefined && bool(params.paid_out_of_band, 'paid_out_of_band')) {
        markPaid(account, invoice, at, false)
        return renderInvoice(account, invoice)
      }
      const customer = account.store.of(CUSTOMERS).require(invoice.customer)
      const pm =
        params.payment_method === undefined
          ? undefined
          : customerPaymentMethod(account, customer, str(params.payment_method, 'payment_method'), 'payment_method')
      attemptPayment(account, invoice, at, pm)
      if ((invoice.status as InvoiceRecord['status']) !== 'paid') {
        // The failed attempt (its charge, attempt_count, invoice.payment_failed) stands (SB-A3).
        account.keepChanges()
        throw new ApiError(402, 'card_error', 'Your card was declined.', 'card_declined')
      }
      return renderInvoice(account, invoice)
    }),
    route('POST', '/v1/invoices/:id/void', (ctx) => {
      checkParams(ctx.params, 'InvoiceVoidInvoiceParams', COMMON, 'POST /v1/invoices/{id}/void')
      const invoice = invoiceOf(ctx)
      assertClockWritable(ctx.account, invoice.testClock)
      // Void applies to finalized invoices only, and paid and void are final (SB-35).
      if (invoice.status !== 'open' && invoice.status !== 'uncollectible')
        throw invalid(`You can only void an open or uncollectible invoice; this one is ${invoice.status}.`)
      voidInvoice(ctx.account, invoice, ctx.account.nowFor(invoice.testClock))
      return renderInvoice(ctx.account, invoice)
    }),
    route('POST', '/v1/invoices/:id/mark_uncollectible', (ctx) => {
      checkParams(ctx.params, 'InvoiceMarkUncollectibleParams', COMMON, 'POST /v1/invoices/{id}/mark_uncollectible')
      const invoice = invoiceOf(ctx)
      assertClockWritable(ctx.account, invoice.testClock)
      if (invoice.status !== 'open')
        throw invalid(`You can only mark an open invoice uncollectible; this one is ${invoice.status}.`)
      // Marked by the user through the API (SB-40).
      markUncollectible(ctx.account, invoice, ctx.account.nowFor(invoice.testClock), 'user_forgiven')
      setDelinquent(ctx.account, invoice.customer, false)
      return renderInvoice(ctx.account, invoice)
    }),
    route('DELETE', '/v1/invoices/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceDeleteParams', [], 'DELETE /v1/invoices/{id}')
      const {account} = ctx
      const invoice = invoiceOf(ctx)
      assertClockWritable(account, invoice.testClock)
      // Only one-off drafts can be deleted; a subscription's invoice is voided instead (SB-35).
      if (invoice.subscription || invoice.status !== 'draft')
        throw invalid('You can only delete draft invoices that are not part of a subscription. Void it instead.')
      // What becomes of the items on a deleted draft is undocumented (SB-71).
      if (invoice.lines.length > 0)
        throw notModelled('deleting a draft invoice that holds invoice items (delete the items first)')
      account.store.of(INVOICES).delete(invoice.id)
      if (invoice.testClock) {
        account.store.index(ACTIVE_BY_CLOCK).remove(invoice.testClock, invoice.id)
        account.store.index(BY_CLOCK).remove(invoice.testClock, invoice.id)
      }
      account.emit('invoice.deleted', () => renderInvoice(account, invoice), invoice.testClock)
      return {id: invoice.id, object: 'invoice', deleted: true}
    }),
    route('POST', '/v1/invoices', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceCreateParams',
        [
          ...COMMON,
          'customer',
          'subscription',
          'currency',
          'auto_advance',
          'pending_invoice_items_behavior',
          'collection_method',
          'days_until_due',
          'description',
          'metadata',
        ],
        'POST /v1/invoices',
      )
      const {account, params: p} = ctx
      const sub =
        p.subscription === undefined
          ? undefined
          : account.store.of(SUBSCRIPTIONS).require(str(p.subscription, 'subscription'), 'subscription')
      const customerId = p.customer === undefined ? sub?.customer : str(p.customer, 'customer')
      if (customerId === undefined)
        throw new ApiError(
          400,
          'invalid_request_error',
          'Missing required param: customer.',
          'parameter_missing',
          'customer',
        )
      const customer = liveCustomer(account, customerId, 'customer')
      if (sub && sub.customer !== customer.id)
        throw invalid(`The subscription ${sub.id} does not belong to the customer ${customer.id}.`, 'subscription')
      assertClockWritable(account, customer.testClock)
      const collectionMethod =
        p.collection_method === undefined
          ? 'charge_automatically'
          : oneOf(p.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
      const daysUntilDue = p.days_until_due === undefined ? null : int(p.days_until_due, 'days_until_due')
      // days_until_due goes with send_invoice only, and send_invoice needs terms (SB-70).
      if (daysUntilDue !== null && collectionMethod !== 'send_invoice')
        throw invalid(
          'Invoices with `collection_method=charge_automatically` cannot have `days_until_due`.',
          'days_until_due',
        )
      if (collectionMethod === 'send_invoice' && daysUntilDue === null)
        throw notModelled("send_invoice without days_until_due (the account's default terms)")
      // The customer's currency unless given; a customer without one and no `currency` is not modelled (SB-71).
      const currency = p.currency === undefined ? customer.currency : str(p.currency, 'currency').toLowerCase()
      if (!currency)
        throw notModelled(
          "an invoice for a customer without a currency and without `currency` (the account's default currency)",
        )
      const behaviour =
        p.pending_invoice_items_behavior === undefined
          ? 'exclude'
          : oneOf(p.pending_invoice_items_behavior, 'pending_invoice_items_behavior', ['exclude', 'include'] as const)
      // `include` takes the customer's pending items in the invoice's currency; with `subscription`, only that subscription's (SB-71).
      const pending =
        behaviour === 'exclude'
          ? []
          : pendingItems(account, customer.id, currency, sub?.id ?? null).filter(
              (item) => sub === undefined || item.subscription === sub.id,
            )
      // Whether a hand-made invoice takes its subscription's default tax rates is not documented (SB-78).
      if (sub && isTaxedSubscription(sub))
        throw notModelled('an invoice created by hand for a subscription with tax rates (SB-78)')
      const at = account.nowFor(customer.testClock)
      const invoice = createInvoice(account, {
        customer,
        subscription: sub?.id ?? null,
        currency,
        billingReason: 'manual',
        at,
        periodStart: at,
        periodEnd: at,
        lines: [],
        discounts: [],
        pending,
        autoAdvance: p.auto_advance === undefined ? false : bool(p.auto_advance, 'auto_advance'),
        collectionMethod,
        daysUntilDue,
        metadata: mergeMetadata({}, p.metadata),
        description: optStr(p.description, 'description') ?? null,
      })
      return renderInvoice(account, invoice)
    }),
    route('POST', '/v1/invoices/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceUpdateParams', [...COMMON, 'metadata', 'description'], 'POST /v1/invoices/{id}')
      const {account, params: p} = ctx
      const invoice = invoiceOf(ctx)
      assertClockWritable(account, invoice.testClock)
      // A finalized invoice keeps its description; only metadata changes there (SB-71).
      if (p.description !== undefined && invoice.status !== 'draft')
        throw notModelled('updating the description of a finalized invoice')
      updating(
        account,
        'invoice.updated',
        invoice.testClock,
        () => renderInvoice(account, invoice),
        () => {
          invoice.metadata = mergeMetadata(invoice.metadata, p.metadata)
          if (p.description !== undefined) invoice.description = optStr(p.description, 'description') ?? null
        },
      )
      return renderInvoice(account, invoice)
    }),
    route('POST', '/v1/invoices/:id/send', (ctx) => {
      checkParams(ctx.params, 'InvoiceSendInvoiceParams', COMMON, 'POST /v1/invoices/{id}/send')
      const {account} = ctx
      const invoice = invoiceOf(ctx)
      assertClockWritable(account, invoice.testClock)
      // Sending an open invoice emits invoice.sent and leaves it open; test mode emails no one (SB-70, SB-35).
      if (invoice.status === 'draft') throw notModelled('sending a draft invoice (finalize it first)')
      if (invoice.status !== 'open') throw invalid(`You can only send an open invoice; this one is ${invoice.status}.`)
      if (invoice.collectionMethod !== 'send_invoice') throw notModelled('sending a charge_automatically invoice')
      account.emit('invoice.sent', () => renderInvoice(account, invoice), invoice.testClock)
      return renderInvoice(account, invoice)
    }),
  ],
}
