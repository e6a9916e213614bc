import type {Account} from '../account.js'
import {notModelled} from '../errors.js'
import {checkParams, str} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {charge} from './charges.js'
import type {PaymentMethodRecord} from './payment-methods.js'

export type PaymentIntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'succeeded' | 'canceled'

export interface PaymentIntentRecord {
  id: string
  created: number
  amount: number
  currency: string
  customer: string
  status: PaymentIntentStatus
  paymentMethod: string | null
  latestCharge: string | null
  lastError: {code: string; message: string; paymentMethod: string} | null
  canceledAt: number | null
  cancellationReason: string | null
  testClock: string | null
  seq: number
}

export const PAYMENT_INTENTS = collectionKey<PaymentIntentRecord>('paymentIntents', 'payment_intent')
const BY_CLOCK = 'payment-intents-by-clock'

export function renderPaymentIntent(intent: PaymentIntentRecord): ApiObject {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_capturable: 0,
    amount_details: {tip: {}},
    amount_received: intent.status === 'succeeded' ? intent.amount : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: intent.canceledAt,
    cancellation_reason: intent.cancellationReason,
    capture_method: 'automatic',
    client_secret: `${intent.id}_secret_emulator`,
    confirmation_method: 'automatic',
    created: intent.created,
    currency: intent.currency,
    customer: intent.customer,
    customer_account: null,
    description: 'Subscription update',
    excluded_payment_method_types: null,
    last_payment_error: intent.lastError ? {code: intent.lastError.code, decline_code: 'generic_decline', message: intent.lastError.message, payment_method: {id: intent.lastError.paymentMethod, object: 'payment_method'}, type: 'card_error'} : null,
    latest_charge: intent.latestCharge,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {card: {installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic'}},
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: intent.status,
    transfer_data: null,
    transfer_group: null,
  }
}

/** A finalized invoice with an amount due gets a PaymentIntent for it (SB-69). */
export function openPaymentIntent(account: Account, input: {amount: number; currency: string; customer: string; testClock: string | null}, at: number): PaymentIntentRecord {
  const intent: PaymentIntentRecord = {...input, id: account.newId('pi_'), created: at, status: 'requires_payment_method', paymentMethod: null, latestCharge: null, lastError: null, canceledAt: null, cancellationReason: null, seq: account.nextSeq()}
  account.store.of(PAYMENT_INTENTS).set(intent.id, intent)
  if (intent.testClock) account.store.index(BY_CLOCK).add(intent.testClock, intent.id)
  account.emit('payment_intent.created', () => renderPaymentIntent(intent), intent.testClock)
  return intent
}

/**
 * One attempt with a card: a Charge, then the PaymentIntent succeeds, or goes back to
 * requires_payment_method with the decline as last_payment_error (SB-69).
 */
export function attemptPaymentIntent(account: Account, intent: PaymentIntentRecord, card: PaymentMethodRecord, at: number): boolean {
  const succeeded = card.behaviour === 'succeeds'
  const record = charge(account, {amount: intent.amount, currency: intent.currency, customer: intent.customer, paymentIntent: intent.id, paymentMethod: card, succeeded, testClock: intent.testClock}, at)
  intent.paymentMethod = card.id
  intent.latestCharge = record.id
  intent.status = succeeded ? 'succeeded' : 'requires_payment_method'
  intent.lastError = succeeded ? null : {code: 'card_declined', message: 'Your card was declined.', paymentMethod: card.id}
  account.emit(succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed', () => renderPaymentIntent(intent), intent.testClock)
  return succeeded
}

/** A voided invoice cancels its PaymentIntent (`void_invoice`); one paid out of band too (our reading). */
export function cancelPaymentIntent(account: Account, intent: PaymentIntentRecord, reason: 'void_invoice' | 'automatic', at: number): void {
  if (intent.status === 'succeeded' || intent.status === 'canceled') return
  updating(account, 'payment_intent.canceled', intent.testClock, () => renderPaymentIntent(intent), () => {
    intent.status = 'canceled'
    intent.canceledAt = at
    intent.cancellationReason = reason
  })
}

export const paymentIntents: Resource = {
  object: 'payment_intent',
  idPrefixes: ['pi_'],
  render: (account, id) => {
    const intent = account.store.of(PAYMENT_INTENTS).get(id)
    return intent && renderPaymentIntent(intent)
  },
  documentedParams: {file: 'PaymentIntents.d.ts', interfaces: ['PaymentIntentRetrieveParams', 'PaymentIntentListParams']},
  onClockDeleted: (account, clockId) => {
    for (const intent of account.store.indexed(PAYMENT_INTENTS, BY_CLOCK, clockId)) account.store.of(PAYMENT_INTENTS).delete(intent.id)
    account.store.index(BY_CLOCK).drop(clockId)
  },
  routes: [
    route('GET', '/v1/payment_intents/:id', (ctx) => {
      checkParams(ctx.params, 'PaymentIntentRetrieveParams', [...COMMON, 'client_secret'], 'GET /v1/payment_intents/{id}')
      return renderPaymentIntent(ctx.account.store.of(PAYMENT_INTENTS).require(ctx.ids[0] ?? ''))
    }),
    route('GET', '/v1/payment_intents', (ctx) => {
      checkParams(ctx.params, 'PaymentIntentListParams', [...COMMON, 'customer', ...PAGINATION], 'GET /v1/payment_intents')
      const customer = ctx.params.customer === undefined ? undefined : str(ctx.params.customer, 'customer')
      return list(ctx, filter(ctx.account.store.of(PAYMENT_INTENTS).values(), (pi) => customer === undefined || pi.customer === customer), renderPaymentIntent)
    }),
    route('POST', '/v1/payment_intents', () => {
      throw notModelled('PaymentIntents outside invoices (pay the invoice with invoices.pay instead)')
    }),
    route('POST', '/v1/payment_intents/:id/confirm', () => {
      throw notModelled('confirming an invoice\'s PaymentIntent (pay the invoice with invoices.pay instead)')
    }),
  ],
}
