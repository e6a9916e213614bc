import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {checkParams, str} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export interface InvoicePaymentRecord {
  id: string
  created: number
  invoice: string
  currency: string
  amountRequested: number
  amountPaid: number | null
  paymentIntent: string
  status: 'open' | 'paid' | 'canceled'
  paidAt: number | null
  canceledAt: number | null
  testClock: string | null
  seq: number
}

export const INVOICE_PAYMENTS = collectionKey<InvoicePaymentRecord>('invoicePayments', 'invoice payment')
const BY_INVOICE = 'invoice-payments-by-invoice'
const BY_CLOCK = 'invoice-payments-by-clock'

export function renderInvoicePayment(payment: InvoicePaymentRecord): Wire<Stripe.InvoicePayment> {
  return {
    id: payment.id,
    object: 'invoice_payment',
    amount_paid: payment.amountPaid,
    amount_requested: payment.amountRequested,
    created: payment.created,
    currency: payment.currency,
    invoice: payment.invoice,
    is_default: true,
    livemode: false,
    payment: {payment_intent: payment.paymentIntent, type: 'payment_intent'},
    status: payment.status,
    status_transitions: {canceled_at: payment.canceledAt, paid_at: payment.paidAt},
  }
}

/** The default InvoicePayment Stripe creates at finalization, pointing at the PaymentIntent (SB-69). */
export function openInvoicePayment(
  account: Account,
  input: {invoice: string; currency: string; amountRequested: number; paymentIntent: string; testClock: string | null},
  at: number,
): InvoicePaymentRecord {
  const payment: InvoicePaymentRecord = {
    ...input,
    id: account.newId('inpay_'),
    created: at,
    amountPaid: null,
    status: 'open',
    paidAt: null,
    canceledAt: null,
    seq: account.nextSeq(),
  }
  account.store.of(INVOICE_PAYMENTS).set(payment.id, payment)
  account.store.index(BY_INVOICE).add(payment.invoice, payment.id)
  if (payment.testClock) account.store.index(BY_CLOCK).add(payment.testClock, payment.id)
  return payment
}

export function settleInvoicePayment(
  account: Account,
  payment: InvoicePaymentRecord,
  outcome: 'paid' | 'canceled',
  at: number,
): void {
  if (payment.status !== 'open') return
  payment.status = outcome
  if (outcome === 'paid') {
    payment.amountPaid = payment.amountRequested
    payment.paidAt = at
    account.emit('invoice_payment.paid', () => renderInvoicePayment(payment), payment.testClock)
  } else {
    payment.canceledAt = at
  }
}

export function paymentsOfInvoice(account: Account, invoice: string): InvoicePaymentRecord[] {
  return account.store.indexed(INVOICE_PAYMENTS, BY_INVOICE, invoice)
}

export const invoicePayments: Resource = {
  object: 'invoice_payment',
  idPrefixes: ['inpay_'],
  render: (account, id) => {
    const payment = account.store.of(INVOICE_PAYMENTS).get(id)
    return payment && renderInvoicePayment(payment)
  },
  documentedParams: {
    file: 'InvoicePayments.d.ts',
    interfaces: ['InvoicePaymentRetrieveParams', 'InvoicePaymentListParams'],
  },
  onClockDeleted: (account, clockId) => {
    for (const payment of account.store.indexed(INVOICE_PAYMENTS, BY_CLOCK, clockId)) {
      account.store.of(INVOICE_PAYMENTS).delete(payment.id)
      account.store.index(BY_INVOICE).drop(payment.invoice)
    }
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('GET', '/v1/invoice_payments/:id', (ctx) => {
      checkParams(ctx.params, 'InvoicePaymentRetrieveParams', COMMON, 'GET /v1/invoice_payments/{id}')
      return renderInvoicePayment(ctx.account.store.of(INVOICE_PAYMENTS).require(ctx.ids[0] ?? ''))
    }),
    route('GET', '/v1/invoice_payments', (ctx) => {
      checkParams(
        ctx.params,
        'InvoicePaymentListParams',
        [...COMMON, 'invoice', 'status', ...PAGINATION],
        'GET /v1/invoice_payments',
      )
      const invoice = ctx.params.invoice === undefined ? undefined : str(ctx.params.invoice, 'invoice')
      const status = ctx.params.status === undefined ? undefined : str(ctx.params.status, 'status')
      const all =
        invoice === undefined
          ? ctx.account.store.of(INVOICE_PAYMENTS).values()
          : paymentsOfInvoice(ctx.account, invoice)
      return list(
        ctx,
        filter(all, (p) => status === undefined || p.status === status),
        renderInvoicePayment,
      )
    }),
  ],
}
