/** An invoice item as stored and rendered, and the pending items an invoice pulls in. */
import type Stripe from 'stripe'
import {type Account} from '../../account.js'
import {type Metadata} from '../../params.js'
import {collectionKey} from '../../store.js'
import {PRICES} from '../prices.js'
import {subscriptionEnded} from '../subscriptions/record.js'
import type {Wire} from '../../wire.js'

export interface InvoiceItemRecord {
  id: string
  created: number
  customer: string
  subscription: string | null
  subscriptionItem: string | null
  price: string | null
  quantity: number
  amount: number
  currency: string
  description: string | null
  proration: boolean
  periodStart: number
  periodEnd: number
  /** Null while pending: it lands on the customer's next invoice (SB-39). */
  invoice: string | null
  discountable: boolean
  /** For a credit proration: the debit line it offsets (SB-44). */
  credits: {invoice: string; line: string} | null
  /** Discounts already reflected in a proration's amount (`proration_discounts=included`, SB-46). */
  discounts: string[]
  metadata: Metadata
  testClock: string | null
  seq: number
}

export const INVOICE_ITEMS = collectionKey<InvoiceItemRecord>('invoiceItems', 'invoiceitem')
export const PENDING_BY_CUSTOMER = 'pending-invoice-items-by-customer'
export const BY_CLOCK = 'invoice-items-by-clock'

export function renderInvoiceItem(account: Account, item: InvoiceItemRecord): Wire<Stripe.InvoiceItem> {
  const product = item.price ? account.store.of(PRICES).get(item.price)?.product : undefined
  return {
    id: item.id,
    object: 'invoiceitem',
    amount: item.amount,
    currency: item.currency,
    customer: item.customer,
    customer_account: null,
    date: item.created,
    description: item.description,
    discountable: item.discountable,
    discounts: item.discounts,
    invoice: item.invoice,
    livemode: false,
    metadata: item.metadata,
    net_amount: item.amount,
    parent: item.subscription
      ? {
          subscription_details: {
            subscription: item.subscription,
            ...(item.subscriptionItem ? {subscription_item: item.subscriptionItem} : {}),
          },
          type: 'subscription_details',
        }
      : null,
    period: {end: item.periodEnd, start: item.periodStart},
    pricing: {
      // Absent, not null, without a price (stripe-node `InvoiceItem.Pricing`).
      ...(item.price && product ? {price_details: {price: item.price, product}} : {}),
      type: 'price_details',
      unit_amount_decimal: item.quantity ? String(item.amount / item.quantity) : null,
    },
    proration: item.proration,
    quantity: item.quantity,
    quantity_decimal: String(item.quantity),
    tax_rates: [],
    test_clock: item.testClock,
  }
}

export function addInvoiceItem(
  account: Account,
  fields: Omit<InvoiceItemRecord, 'id' | 'seq' | 'created' | 'invoice'>,
  at: number,
  invoice: string | null = null,
): InvoiceItemRecord {
  const item: InvoiceItemRecord = {...fields, id: account.newId('ii_'), created: at, invoice, seq: account.nextSeq()}
  account.store.of(INVOICE_ITEMS).set(item.id, item)
  if (invoice === null) account.store.index(PENDING_BY_CUSTOMER).add(item.customer, item.id)
  if (item.testClock) account.store.index(BY_CLOCK).add(item.testClock, item.id)
  account.emit('invoiceitem.created', () => renderInvoiceItem(account, item), item.testClock)
  return item
}

/** Pending items for the customer's next invoice; a subscription's invoice takes its own and unassigned ones, an ended subscription's items count as unassigned (SB-39). */
export function pendingItems(
  account: Account,
  customer: string,
  currency: string,
  subscription: string | null,
): InvoiceItemRecord[] {
  const unassigned = (item: InvoiceItemRecord) =>
    item.subscription === null || subscriptionEnded(account, item.subscription)
  return account.store
    .indexed(INVOICE_ITEMS, PENDING_BY_CUSTOMER, customer)
    .filter((item) => item.currency === currency && (unassigned(item) || item.subscription === subscription))
}

/** Every pending item of the customer in `currency`, whatever subscription it names: what a hand-made invoice with `include` takes (SB-C6). */
export function allPendingItems(account: Account, customer: string, currency: string): InvoiceItemRecord[] {
  return account.store
    .indexed(INVOICE_ITEMS, PENDING_BY_CUSTOMER, customer)
    .filter((item) => item.currency === currency)
}

export function attachToInvoice(account: Account, item: InvoiceItemRecord, invoiceId: string): void {
  item.invoice = invoiceId
  account.store.index(PENDING_BY_CUSTOMER).remove(item.customer, item.id)
}

export function deleteInvoiceItem(account: Account, item: InvoiceItemRecord): void {
  account.store.of(INVOICE_ITEMS).delete(item.id)
  account.store.index(PENDING_BY_CUSTOMER).remove(item.customer, item.id)
  if (item.testClock) account.store.index(BY_CLOCK).remove(item.testClock, item.id)
  account.emit('invoiceitem.deleted', () => renderInvoiceItem(account, item), item.testClock)
}
