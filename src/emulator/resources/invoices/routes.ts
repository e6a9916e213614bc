/** The invoices resource: its routes and the billing events it schedules on a clock. */
import type Stripe from 'stripe'
import {invalid, notModelled, ApiError} from '../../errors.js'
import {checkParams, oneOf, bool, str, int, mergeMetadata, optStr} from '../../params.js'
import {
  type RouteContext,
  type Resource,
  type DueEvent,
  route,
  COMMON,
  PAGINATION,
  list,
  filter,
  page,
  updating,
} from '../../resource.js'
import {RANK} from '../../time-engine.js'
import {CUSTOMERS, setDelinquent, liveCustomer, customerDiscount} from '../customers/record.js'
import {allPendingItems, pendingItems} from '../invoice-items/record.js'
import {paymentsOfInvoice, renderInvoicePayment} from '../invoice-payments.js'
import {PAYMENT_INTENTS} from '../payment-intents.js'
import {customerPaymentMethod} from '../payment-methods.js'
import {isTaxedSubscription} from '../subscriptions/billing.js'
import {SUBSCRIPTIONS} from '../subscriptions/record.js'
import {assertClockWritable} from '../test-clocks.js'
import {
  type InvoiceRecord,
  INVOICES,
  ACTIVE_BY_CLOCK,
  BY_CLOCK,
  BY_SUBSCRIPTION,
  NUMBERED_BY_CUSTOMER,
  invoicesOfSubscription,
} from './record.js'
import {renderInvoice, renderLine} from './render.js'
import {
  finalizeInvoice,
  attemptPayment,
  passDueDate,
  markPaid,
  payThroughIntent,
  voidInvoice,
  markUncollectible,
} from './lifecycle.js'
import {createInvoice} from './billing.js'
import type {Wire} from '../../wire.js'

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
  on: {
    invoiceIntentConfirmed: (account, {intent, paymentMethod, at}) =>
      payThroughIntent(account, intent.id, paymentMethod, at),
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
      if (invoice.status === 'paid') throw invalid('Invoice is already paid.')
      if (invoice.status === 'void')
        throw invalid('You can only pay an open or uncollectible invoice; this one is void.')
      const at = account.nowFor(invoice.testClock)
      // Paying a draft finalizes it first (invoice.finalized), then pays it (SB-T1).
      if (invoice.status === 'draft') {
        finalizeInvoice(account, invoice, at, {attempt: false})
        // Nothing due: finalizing paid it (SB-37).
        if ((invoice.status as InvoiceRecord['status']) === 'paid') return renderInvoice(account, invoice)
      }
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
      const intent = invoice.paymentIntent ? account.store.of(PAYMENT_INTENTS).get(invoice.paymentIntent) : undefined
      if (intent?.status === 'requires_action') {
        account.keepChanges()
        throw new ApiError(
          402,
          'card_error',
          'This payment requires additional user action before it can be completed successfully.',
          'invoice_payment_intent_requires_action',
        )
      }
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
      return {id: invoice.id, object: 'invoice', deleted: true} satisfies Wire<Stripe.DeletedInvoice>
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
      // It would inherit the customer's discount (SB-T4); spending and re-spreading one on a hand-made invoice is not modelled.
      if (customerDiscount(account, customer))
        throw notModelled('an invoice created by hand for a customer with a discount')
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
      // The customer's currency unless given; for a customer without one, the account's default (SB-K3).
      const currency =
        p.currency === undefined
          ? (customer.currency ?? account.defaultCurrency)
          : str(p.currency, 'currency').toLowerCase()
      const behaviour =
        p.pending_invoice_items_behavior === undefined
          ? 'exclude'
          : oneOf(p.pending_invoice_items_behavior, 'pending_invoice_items_behavior', ['exclude', 'include'] as const)
      // `include` takes all the customer's pending items in the invoice's currency, a live subscription's
      // too; with `subscription`, only that subscription's (SB-71, SB-C6).
      const pending =
        behaviour === 'exclude'
          ? []
          : sub
            ? pendingItems(account, customer.id, currency, sub.id).filter((item) => item.subscription === sub.id)
            : allPendingItems(account, customer.id, currency)
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
      if (invoice.collectionMethod !== 'send_invoice') throw notModelled('sending a charge_automatically invoice')
      // Sending a draft finalizes it first (invoice.finalized), then sends it (SB-T1).
      if (invoice.status === 'draft')
        finalizeInvoice(account, invoice, account.nowFor(invoice.testClock), {attempt: false})
      if (invoice.status !== 'open') throw invalid(`You can only send an open invoice; this one is ${invoice.status}.`)
      account.emit('invoice.sent', () => renderInvoice(account, invoice), invoice.testClock)
      return renderInvoice(account, invoice)
    }),
  ],
}
