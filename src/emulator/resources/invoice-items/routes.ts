/** The invoice items resource: its routes. */
import type Stripe from 'stripe'
import {notModelled, invalid, ApiError} from '../../errors.js'
import {checkParams, str, required, int, optStr, bool, mergeMetadata} from '../../params.js'
import {type Resource, route, COMMON, updating, PAGINATION, list, filter} from '../../resource.js'
import {liveCustomer, CUSTOMERS} from '../customers/record.js'
import {editableDraft, addItemToDraft, removeItemFromDraft} from '../invoices/billing.js'
import {INVOICES} from '../invoices/record.js'
import {renderInvoice} from '../invoices/render.js'
import {assertClockWritable} from '../test-clocks.js'
import {
  INVOICE_ITEMS,
  renderInvoiceItem,
  BY_CLOCK,
  PENDING_BY_CUSTOMER,
  addInvoiceItem,
  deleteInvoiceItem,
} from './record.js'
import type {Wire} from '../../wire.js'

export const invoiceItems: Resource = {
  object: 'invoiceitem',
  idPrefixes: ['ii_'],
  render: (account, id) => {
    const item = account.store.of(INVOICE_ITEMS).get(id)
    return item && renderInvoiceItem(account, item)
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
        // A customer without a currency of its own is billed in the account's default (SB-K3).
        p.currency ?? draft?.currency ?? customer.currency ?? account.defaultCurrency,
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
      return renderInvoiceItem(ctx.account, item)
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
      return renderInvoiceItem(ctx.account, item)
    }),
    route('GET', '/v1/invoiceitems/:id', (ctx) => {
      checkParams(ctx.params, 'InvoiceItemRetrieveParams', COMMON, 'GET /v1/invoiceitems/{id}')
      return renderInvoiceItem(ctx.account, ctx.account.store.of(INVOICE_ITEMS).require(ctx.ids[0] ?? ''))
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
        (item) => renderInvoiceItem(ctx.account, item),
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
      return {id: item.id, object: 'invoiceitem', deleted: true} satisfies Wire<Stripe.DeletedInvoiceItem>
    }),
  ],
}
