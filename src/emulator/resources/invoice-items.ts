import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Metadata, bool, checkParams, int, mergeMetadata, optStr, required, str} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {CUSTOMERS, liveCustomer} from './customers.js'
import {INVOICES, addItemToDraft, editableDraft, removeItemFromDraft, renderInvoice} from './invoices.js'
import {subscriptionEnded} from './subscriptions.js'
import {assertClockWritable} from './test-clocks.js'

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
const PENDING_BY_CUSTOMER = 'pending-invoice-items-by-customer'
const BY_CLOCK = 'invoice-items-by-clock'

export function renderInvoiceItem(item: InvoiceItemRecord): ApiObject {
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
      price_details: item.price ? {price: item.price, product: null} : null,
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
  account.emit('invoiceitem.created', () => renderInvoiceItem(item), item.testClock)
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

export function attachToInvoice(account: Account, item: InvoiceItemRecord, invoiceId: string): void {
  item.invoice = invoiceId
  account.store.index(PENDING_BY_CUSTOMER).remove(item.customer, item.id)
}

export function deleteInvoiceItem(account: Account, item: InvoiceItemRecord): void {
  account.store.of(INVOICE_ITEMS).delete(item.id)
  account.store.index(PENDING_BY_CUSTOMER).remove(item.customer, item.id)
  if (item.testClock) account.store.index(BY_CLOCK).remove(item.testClock, item.id)
  account.emit('invoiceitem.deleted', () => renderInvoiceItem(item), item.testClock)
}

export const invoiceItems: Resource = {
  object: 'invoiceitem',
  idPrefixes: ['ii_'],
  render: (account, id) => {
    const item = account.store.of(INVOICE_ITEMS).get(id)
    return item && renderInvoiceItem(item)
  },
  documentedParams: {
    file: 'InvoiceItems.d.ts',
    interfaces: [
      'InvoiceItemCreateParams',
      'InvoiceItemRetrieveParams',
      'InvoiceItemUpdateParams',
      'InvoiceItemListParams',
      'InvoiceItemDeleteParams',
    ],
  },
  onClockDeleted: (account, clockId) => {
    for (const item of account.store.indexed(INVOICE_ITEMS, BY_CLOCK, clockId)) {
      account.store.of(INVOICE_ITEMS).delete(item.id)
      account.store.index(PENDING_BY_CUSTOMER).drop(item.customer)
    }
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('POST', '/v1/invoiceitems', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceItemCreateParams',
        [
          ...COMMON,
          'amount',
          'currency',
          'customer',
          'description',
          'discountable',
          'metadata',
          'subscription',
          'invoice',
          'pricing',
          'quantity',
          'price_data',
          'period',
        ],
        'POST /v1/invoiceitems',
      )
      const {account, params: p} = ctx
      if (p.pricing !== undefined || p.price_data !== undefined || p.period !== undefined)
        throw notModelled('invoice items with pricing, price_data or period (pass amount and currency)')
      // With `invoice`, the item goes on that draft at once instead of waiting (SB-39, SB-71).
      const draft = p.invoice === undefined ? undefined : editableDraft(account, str(p.invoice, 'invoice'), 'invoice')
      const customer = liveCustomer(
        account,
        str(p.customer ?? draft?.customer ?? required(p, 'customer'), 'customer'),
        'customer',
      )
      if (draft && draft.customer !== customer.id)
        throw invalid(`The invoice ${draft.id} belongs to another customer.`, 'invoice')
      assertClockWritable(account, customer.testClock)
      const currency = str(
        p.currency ?? draft?.currency ?? customer.currency ?? required(p, 'currency'),
        'currency',
      ).toLowerCase()
      if (draft && draft.currency !== currency)
        throw invalid(
          `The currency of the invoice item (${currency}) must match the invoice's (${draft.currency}).`,
          'currency',
        )
      // An integer parameter, like Stripe's: '12.7', '1e3' or '0x10' are refused before anything is stored.
      const amount = int(required(p, 'amount'), 'amount', Number.MIN_SAFE_INTEGER)
      const at = account.nowFor(customer.testClock)
      const item = addInvoiceItem(
        account,
        {
          customer: customer.id,
          subscription: optStr(p.subscription, 'subscription') ?? draft?.subscription ?? null,
          subscriptionItem: null,
          price: null,
          quantity: p.quantity === undefined ? 1 : int(p.quantity, 'quantity', 1),
          amount,
          currency,
          description: optStr(p.description, 'description') ?? null,
          proration: false,
          periodStart: at,
          periodEnd: at,
          discountable: p.discountable === undefined ? true : bool(p.discountable, 'discountable'),
          credits: null,
          discounts: [],
          metadata: mergeMetadata({}, p.metadata),
          testClock: customer.testClock,
        },
        at,
        draft?.id ?? null,
      )
      if (draft) addItemToDraft(account, draft, item)
      return renderInvoiceItem(item)
    }),
    route('POST', '/v1/invoiceitems/:id', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceItemUpdateParams',
        [...COMMON, 'metadata', 'description', 'amount'],
        'POST /v1/invoiceitems/{id}',
      )
      const {account, params: p} = ctx
      const item = account.store.of(INVOICE_ITEMS).require(ctx.ids[0] ?? '')
      assertClockWritable(account, item.testClock)
      const draft = item.invoice === null ? undefined : account.store.of(INVOICES).get(item.invoice)
      // An item's amount changes only while it is pending or on a draft (SB-39); its line follows.
      if ((p.amount !== undefined || p.description !== undefined) && draft) editableDraft(account, draft.id, 'invoice')
      const change = () => {
        item.metadata = mergeMetadata(item.metadata, p.metadata)
        if (p.description !== undefined) item.description = optStr(p.description, 'description') ?? null
        if (p.amount !== undefined) item.amount = int(p.amount, 'amount', Number.MIN_SAFE_INTEGER)
      }
      if (!draft) change()
      else
        updating(
          account,
          'invoice.updated',
          draft.testClock,
          () => renderInvoice(account, draft),
          () => {
            change()
            for (const line of draft.lines)
              if (line.invoiceItem === item.id)
                Object.assign(line, {amount: item.amount, description: item.description ?? line.description})
          },
        )
      // Stripe has no invoiceitem.updated event: only the invoice announces the change (SB-71).
      return renderInvoiceItem(item)
    }),
    route('GET', '/v1/invoiceitems/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceItemRetrieveParams', COMMON, 'GET /v1/invoiceitems/{id}')
      return renderInvoiceItem(ctx.account.store.of(INVOICE_ITEMS).require(ctx.ids[0] ?? ''))
    }),
    route('GET', '/v1/invoiceitems', (ctx) => {
      checkParams(
        ctx.params,
        'InvoiceItemListParams',
        [...COMMON, 'customer', 'invoice', 'pending', ...PAGINATION],
        'GET /v1/invoiceitems',
      )
      const p = ctx.params
      const pending = p.pending === undefined ? undefined : bool(p.pending, 'pending')
      return list(
        ctx,
        filter(
          ctx.account.store.of(INVOICE_ITEMS).values(),
          (item) =>
            (p.customer === undefined || item.customer === p.customer) &&
            (p.invoice === undefined || item.invoice === p.invoice) &&
            (pending === undefined || (item.invoice === null) === pending),
        ),
        renderInvoiceItem,
      )
    }),
    route('DELETE', '/v1/invoiceitems/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceItemDeleteParams', [], 'DELETE /v1/invoiceitems/{id}')
      const {account} = ctx
      const item = account.store.of(INVOICE_ITEMS).require(ctx.ids[0] ?? '')
      assertClockWritable(account, account.store.of(CUSTOMERS).get(item.customer)?.testClock ?? null)
      // Only while pending or on a draft (SB-39), whose line goes with it.
      const invoice = item.invoice === null ? undefined : account.store.of(INVOICES).get(item.invoice)
      if (invoice && invoice.status !== 'draft')
        throw new ApiError(
          400,
          'invalid_request_error',
          'Invoice items can only be deleted while pending or attached to a draft invoice.',
        )
      if (invoice) removeItemFromDraft(account, editableDraft(account, invoice.id, 'invoice'), item)
      deleteInvoiceItem(account, item)
      return {id: item.id, object: 'invoiceitem', deleted: true}
    }),
  ],
}
