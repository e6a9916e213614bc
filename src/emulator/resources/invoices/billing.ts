/** Making invoices: a subscription's or a hand-made one, and the items on a draft. */
import {type Account} from '../../account.js'
import {invalid, notModelled} from '../../errors.js'
import {type Metadata} from '../../params.js'
import {updating} from '../../resource.js'
import {type CustomerRecord} from '../customers/record.js'
import {applyDiscounts} from '../discounts.js'
import {type InvoiceItemRecord, pendingItems, attachToInvoice} from '../invoice-items/record.js'
import {lineTaxes} from '../tax-rates.js'
import {
  type BillingReason,
  type CollectionPause,
  type InvoiceRecord,
  type InvoiceLineRecord,
  DRAFT_PERIOD,
  INVOICES,
  ACTIVE_BY_CLOCK,
  BY_CLOCK,
  BY_SUBSCRIPTION,
} from './record.js'
import {lineDescription, renderInvoice} from './render.js'

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
