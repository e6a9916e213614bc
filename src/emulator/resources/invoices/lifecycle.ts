/** How an invoice moves: finalize, pay, fail and retry, pass its due date, void, mark uncollectible. */
import {DAY} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {updating} from '../../resource.js'
import {recordBalanceTransaction} from '../customer-balance-transactions.js'
import {CUSTOMERS, setDelinquent} from '../customers/record.js'
import {INVOICE_PAYMENTS, openInvoicePayment, settleInvoicePayment} from '../invoice-payments.js'
import {PAYMENT_INTENTS, openPaymentIntent, attemptPaymentIntent, cancelPaymentIntent} from '../payment-intents.js'
import {PAYMENT_METHODS, payingMethod} from '../payment-methods.js'
import {SUBSCRIPTIONS} from '../subscriptions/record.js'
import {type InvoiceRecord, ACTIVE_BY_CLOCK, NUMBERED_BY_CUSTOMER, INVOICES} from './record.js'
import {renderInvoice} from './render.js'
import {amountDue, total} from './amounts.js'

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
  if (payment?.status === 'open') payment.amountRequested = amountDue(invoice)
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
  account.signal('invoiceFinalizing', {invoice})
  const customer = account.store.of(CUSTOMERS).get(invoice.customer)
  const numbered = account.store.index(NUMBERED_BY_CUSTOMER)
  numbered.add(invoice.customer, invoice.id)
  invoice.status = 'open'
  invoice.finalizedAt = at
  invoice.finalizesAt = null
  invoice.number = `${invoice.customer.slice(4, 12).toUpperCase()}-${String(numbered.size(invoice.customer)).padStart(4, '0')}`
  invoice.startingBalance = customer?.balance ?? 0
  const ending = Math.min(0, total(invoice) + invoice.startingBalance)
  invoice.endingBalance = ending
  // What the invoice took from or left on the balance is one entry in the customer's ledger (SB-K4).
  if (customer && customer.balance !== ending)
    recordBalanceTransaction(
      account,
      customer,
      {
        amount: ending - customer.balance,
        currency: invoice.currency,
        type: 'applied_to_invoice',
        invoice: invoice.id,
      },
      at,
    )
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

export function markPaid(account: Account, invoice: InvoiceRecord, at: number, attempted: boolean): void {
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
  if (drivesSubscription(invoice)) account.signal('invoicePaid', {invoice, at})
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
  // A card asking for 3-D Secure leaves the invoice open and its PaymentIntent in requires_action:
  // invoice.payment_action_required instead of payment_failed; the subscription reacts as to a failure (SB-K9).
  const needsAction = intent?.status === 'requires_action'
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
  account.emit(
    needsAction ? 'invoice.payment_action_required' : 'invoice.payment_failed',
    () => renderInvoice(account, invoice),
    invoice.testClock,
  )
  if (!manual) setDelinquent(account, invoice.customer, true)
  if (drivesSubscription(invoice)) account.signal('invoicePaymentFailed', {invoice})
  if (retries && retry === undefined && drivesSubscription(invoice))
    account.signal('invoiceRetriesExhausted', {invoice, at})
}

/**
 * The invoice's own PaymentIntent confirmed by the client (SB-K2): one attempt with that card, as
 * `invoices.pay` with `payment_method` makes; an invoice that is no longer payable is left alone.
 */
export function payThroughIntent(account: Account, intentId: string, paymentMethod: string, at: number): void {
  for (const payment of account.store.of(INVOICE_PAYMENTS).values()) {
    if (payment.paymentIntent !== intentId) continue
    const invoice = account.store.of(INVOICES).get(payment.invoice)
    if (invoice && (invoice.status === 'open' || invoice.status === 'uncollectible'))
      attemptPayment(account, invoice, at, paymentMethod)
    return
  }
}

/** Unpaid at its due date: the subscription becomes past_due and the customer delinquent (SB-70, SB-38). */
export function passDueDate(account: Account, invoice: InvoiceRecord): void {
  invoice.overdue = true
  setDelinquent(account, invoice.customer, true)
  if (drivesSubscription(invoice)) account.signal('invoiceOverdue', {invoice})
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

export function markUncollectible(account: Account, invoice: InvoiceRecord, at: number, reason: string | null): void {
  invoice.status = 'uncollectible'
  invoice.markedUncollectibleAt = at
  invoice.uncollectibleReason = reason
  invoice.autoAdvance = false
  settled(account, invoice)
  account.emit('invoice.marked_uncollectible', () => renderInvoice(account, invoice), invoice.testClock)
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
