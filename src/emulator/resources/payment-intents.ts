import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Metadata, bool, checkParams, int, mergeMetadata, oneOf, optStr, required, str} from '../params.js'
import {
  type ApiObject,
  COMMON,
  PAGINATION,
  type Resource,
  filter,
  list,
  route,
  updating,
  forgetByClock,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {GENERIC_DECLINE} from './card-tokens.js'
import {CHARGES, captureCharge, charge} from './charges.js'
import {liveCustomer} from './customers/record.js'
import {
  type AllowRedirects,
  PAYMENT_METHODS,
  type PaymentMethodRecord,
  automaticPaymentMethods,
  cardError,
  paymentMethodFromToken,
  refuseWrittenPaymentMethodTypes,
} from './payment-methods.js'
import {assertClockWritable} from './test-clocks.js'

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled'

export interface PaymentIntentRecord {
  id: string
  created: number
  amount: number
  currency: string
  customer: string | null
  status: PaymentIntentStatus
  /** Made by an invoice's finalization (SB-69): paid through the invoice, not confirmed directly. */
  forInvoice: boolean
  /** `automatic_payment_methods[allow_redirects]` of an intent created directly (SB-K1). */
  allowRedirects?: AllowRedirects
  description: string | null
  metadata: Metadata
  paymentMethod: string | null
  latestCharge: string | null
  lastError: {code: string; message: string; paymentMethod: string; declineCode?: string} | null
  canceledAt: number | null
  cancellationReason: string | null
  /** `manual` authorizes at confirmation and waits in requires_capture (SB-T5); absent: automatic. */
  captureMethod?: 'automatic' | 'manual'
  /** `manual` is the server confirming with a secret key, as every confirmation here is (SB-T5). */
  confirmationMethod?: 'automatic' | 'manual'
  /** What an authorized intent can still capture (SB-T5). */
  amountCapturable?: number
  /** Shipping as given, in Stripe's shape (SB-T5). */
  shipping?: ApiObject | null
  testClock: string | null
  seq: number
}

export const PAYMENT_INTENTS = collectionKey<PaymentIntentRecord>('paymentIntents', 'payment_intent')
const BY_CLOCK = 'payment-intents-by-clock'

export function renderPaymentIntent(intent: PaymentIntentRecord): ApiObject {
  return {
    id: intent.id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: intent.amount,
    amount_capturable: intent.amountCapturable ?? 0,
    amount_details: {tip: {}},
    amount_received: intent.status === 'succeeded' ? intent.amount : 0,
    application: null,
    application_fee_amount: null,
    // Created directly, cards are the emulated account's only enabled method (SB-72).
    automatic_payment_methods: intent.forInvoice
      ? null
      : {allow_redirects: intent.allowRedirects ?? 'always', enabled: true},
    canceled_at: intent.canceledAt,
    cancellation_reason: intent.cancellationReason,
    capture_method: intent.captureMethod ?? 'automatic',
    client_secret: `${intent.id}_secret_emulator`,
    confirmation_method: intent.confirmationMethod ?? 'automatic',
    created: intent.created,
    currency: intent.currency,
    customer: intent.customer,
    customer_account: null,
    description: intent.description,
    excluded_payment_method_types: null,
    last_payment_error: intent.lastError
      ? {
          code: intent.lastError.code,
          decline_code: intent.lastError.declineCode ?? 'generic_decline',
          message: intent.lastError.message,
          payment_method: {id: intent.lastError.paymentMethod, object: 'payment_method'},
          type: 'card_error',
        }
      : null,
    latest_charge: intent.latestCharge,
    livemode: false,
    managed_payments: null,
    metadata: intent.metadata,
    next_action: intent.status === 'requires_action' ? threeDSecureAction(intent.id) : null,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: {installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic'},
    },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: intent.shipping ?? null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: intent.status,
    transfer_data: null,
    transfer_group: null,
  }
}

/** What Stripe.js needs to run 3-D Secure for an intent (SB-K9); the emulator has no challenge page. */
export function threeDSecureAction(intentId: string): ApiObject {
  return {
    type: 'use_stripe_sdk',
    use_stripe_sdk: {type: 'three_d_secure_redirect', stripe_js: null, source: `src_${intentId.slice(-24)}`},
  }
}

/** A finalized invoice with an amount due gets a PaymentIntent for it (SB-69). */
export function openPaymentIntent(
  account: Account,
  input: {amount: number; currency: string; customer: string; testClock: string | null},
  at: number,
): PaymentIntentRecord {
  const intent: PaymentIntentRecord = {
    ...input,
    id: account.newId('pi_'),
    created: at,
    status: 'requires_payment_method',
    forInvoice: true,
    description: 'Subscription update',
    metadata: {},
    paymentMethod: null,
    latestCharge: null,
    lastError: null,
    canceledAt: null,
    cancellationReason: null,
    seq: account.nextSeq(),
  }
  account.store.of(PAYMENT_INTENTS).set(intent.id, intent)
  if (intent.testClock) account.store.index(BY_CLOCK).add(intent.testClock, intent.id)
  account.emit('payment_intent.created', () => renderPaymentIntent(intent), intent.testClock)
  return intent
}

/**
 * One attempt with a card: a Charge, then the PaymentIntent succeeds, or goes back to
 * requires_payment_method with the decline as last_payment_error (SB-69).
 */
export function attemptPaymentIntent(
  account: Account,
  intent: PaymentIntentRecord,
  card: PaymentMethodRecord,
  at: number,
): boolean {
  // A card that asks for 3-D Secure is not charged: the intent waits for the customer (SB-K9).
  if (card.behaviour === 'requires_action') {
    intent.paymentMethod = card.id
    intent.status = 'requires_action'
    intent.lastError = null
    account.emit('payment_intent.requires_action', () => renderPaymentIntent(intent), intent.testClock)
    return false
  }
  const succeeded = card.behaviour === 'succeeds'
  // Manual capture only authorizes: the charge succeeds uncaptured and the intent waits (SB-T5).
  const authorizeOnly = intent.captureMethod === 'manual'
  const decline = card.decline ?? GENERIC_DECLINE
  const record = charge(
    account,
    {
      amount: intent.amount,
      currency: intent.currency,
      customer: intent.customer,
      paymentIntent: intent.id,
      paymentMethod: card,
      succeeded,
      ...(authorizeOnly ? {captured: false} : {}),
      ...(intent.shipping ? {shipping: intent.shipping} : {}),
      testClock: intent.testClock,
    },
    at,
  )
  intent.paymentMethod = card.id
  intent.latestCharge = record.id
  intent.lastError = succeeded
    ? null
    : {code: decline.code, message: decline.message, paymentMethod: card.id, declineCode: decline.declineCode}
  if (succeeded && authorizeOnly) {
    intent.status = 'requires_capture'
    intent.amountCapturable = intent.amount
    account.emit('payment_intent.amount_capturable_updated', () => renderPaymentIntent(intent), intent.testClock)
    return true
  }
  intent.status = succeeded ? 'succeeded' : 'requires_payment_method'
  account.emit(
    succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed',
    () => renderPaymentIntent(intent),
    intent.testClock,
  )
  return succeeded
}

/** A voided invoice cancels its PaymentIntent (`void_invoice`); one paid out of band too (our reading). */
export function cancelPaymentIntent(account: Account, intent: PaymentIntentRecord, reason: string, at: number): void {
  if (intent.status === 'succeeded' || intent.status === 'canceled') return
  updating(
    account,
    'payment_intent.canceled',
    intent.testClock,
    () => renderPaymentIntent(intent),
    () => {
      intent.status = 'canceled'
      intent.canceledAt = at
      intent.cancellationReason = reason
    },
  )
}

/** `shipping` in Stripe's shape (`name` and `address` required, SB-T5): plain data shown on the intent and its charge. */
function shippingParam(raw: unknown): ApiObject {
  const shipping = raw as Record<string, unknown>
  const address = required(shipping, 'address') as Record<string, unknown>
  const field = (from: Record<string, unknown>, key: string, param: string) =>
    optStr(from[key], `shipping[${param}]`) ?? null
  return {
    address: Object.fromEntries(
      ['city', 'country', 'line1', 'line2', 'postal_code', 'state'].map((key) => [
        key,
        field(address, key, `address][${key}`),
      ]),
    ),
    carrier: field(shipping, 'carrier', 'carrier'),
    name: str(required(shipping, 'name'), 'shipping[name]'),
    phone: field(shipping, 'phone', 'phone'),
    tracking_number: field(shipping, 'tracking_number', 'tracking_number'),
  }
}

/** An intent created directly; an invoice's is paid and canceled through its invoice (SB-69). */
function directIntent(account: Account, id: string, action: string): PaymentIntentRecord {
  const intent = account.store.of(PAYMENT_INTENTS).require(id)
  if (intent.forInvoice)
    throw notModelled(`${action} an invoice's PaymentIntent directly (use invoices.pay or invoices.voidInvoice)`)
  return intent
}

/** A test token makes a card that is not attached to anyone; a saved card must be the intent's customer's (SB-72). */
function intentPaymentMethod(account: Account, intent: PaymentIntentRecord, idOrToken: string): PaymentMethodRecord {
  const pm = paymentMethodFromToken(account, idOrToken, 'payment_method', {attaching: false})
  if (pm.customer !== null && pm.customer !== intent.customer)
    throw invalid(
      `The provided PaymentMethod belongs to another customer. Only the PaymentIntent's customer may use it.`,
      'payment_method',
    )
  return pm
}

/**
 * Captures an authorized intent (SB-T5): its charge becomes captured (`charge.captured`), then the
 * intent succeeds (`payment_intent.succeeded`). Only `requires_capture` can be captured; less than
 * the whole `amount_capturable` is not modelled (how the released rest shows on the charge is undocumented).
 */
function capture(account: Account, intent: PaymentIntentRecord, amountToCapture: number | undefined): void {
  if (intent.status !== 'requires_capture')
    throw new ApiError(
      400,
      'invalid_request_error',
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      'payment_intent_unexpected_state',
    )
  const capturable = intent.amountCapturable ?? 0
  if (amountToCapture !== undefined && amountToCapture > capturable)
    throw invalid(
      `The amount to capture (${amountToCapture}) is greater than the amount capturable (${capturable}).`,
      'amount_to_capture',
    )
  if (amountToCapture !== undefined && amountToCapture < capturable)
    throw notModelled('capturing part of a PaymentIntent (amount_to_capture less than amount_capturable)')
  const record = intent.latestCharge ? account.store.of(CHARGES).get(intent.latestCharge) : undefined
  if (record) captureCharge(account, record)
  intent.amountCapturable = 0
  intent.status = 'succeeded'
  account.emit('payment_intent.succeeded', () => renderPaymentIntent(intent), intent.testClock)
}

/** Confirming charges the card at once: succeeded, or a decline answered with 402 and the intent back to requires_payment_method (SB-72). */
function confirm(account: Account, intent: PaymentIntentRecord, at: number): void {
  const pm = intent.paymentMethod === null ? undefined : account.store.of(PAYMENT_METHODS).get(intent.paymentMethod)
  if (!pm)
    throw new ApiError(
      400,
      'invalid_request_error',
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a payment method, pass `payment_method`.",
      'payment_intent_unexpected_state',
    )
  if (!attemptPaymentIntent(account, intent, pm, at)) {
    // Waiting for 3-D Secure is an answer, not an error (SB-K9).
    if (intent.status === 'requires_action') return
    // The failed charge and last_payment_error are the request's result: they stand (SB-A3).
    account.keepChanges()
    throw cardError(pm.decline ?? GENERIC_DECLINE)
  }
}

/**
 * Stripe's recommended subscription flow (SB-K2): the client confirms the first invoice's
 * PaymentIntent with a card; the invoice is paid through that attempt and its subscription
 * activates. A decline is a 402 and the invoice stays open, as `invoices.pay` leaves it.
 */
function confirmForInvoice(account: Account, intent: PaymentIntentRecord, at: number): void {
  if (intent.paymentMethod === null)
    throw new ApiError(
      400,
      'invalid_request_error',
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a payment method, pass `payment_method`.",
      'payment_intent_unexpected_state',
    )
  account.signal('invoiceIntentConfirmed', {intent, paymentMethod: intent.paymentMethod, at})
  if (intent.status === 'succeeded' || intent.status === 'requires_action') return
  account.keepChanges()
  const pm = account.store.of(PAYMENT_METHODS).get(intent.paymentMethod)
  throw cardError(pm?.decline ?? GENERIC_DECLINE)
}

export const paymentIntents: Resource = {
  object: 'payment_intent',
  idPrefixes: ['pi_'],
  render: (account, id) => {
    const intent = account.store.of(PAYMENT_INTENTS).get(id)
    return intent && renderPaymentIntent(intent)
  },
  documentedParams: {
    file: 'PaymentIntents.d.ts',
    interfaces: [
      'PaymentIntentCreateParams',
      'PaymentIntentUpdateParams',
      'PaymentIntentConfirmParams',
      'PaymentIntentCancelParams',
      'PaymentIntentRetrieveParams',
      'PaymentIntentListParams',
      'PaymentIntentCaptureParams',
    ],
  },
  onClockDeleted: forgetByClock(PAYMENT_INTENTS, BY_CLOCK),
  routes: [
    route('GET', '/v1/payment_intents/:id', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentIntentRetrieveParams',
        [...COMMON, 'client_secret'],
        'GET /v1/payment_intents/{id}',
      )
      return renderPaymentIntent(ctx.account.store.of(PAYMENT_INTENTS).require(ctx.ids[0] ?? ''))
    }),
    route('GET', '/v1/payment_intents', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentIntentListParams',
        [...COMMON, 'customer', ...PAGINATION],
        'GET /v1/payment_intents',
      )
      const customer = ctx.params.customer === undefined ? undefined : str(ctx.params.customer, 'customer')
      return list(
        ctx,
        filter(
          ctx.account.store.of(PAYMENT_INTENTS).values(),
          (pi) => customer === undefined || pi.customer === customer,
        ),
        renderPaymentIntent,
      )
    }),
    route('POST', '/v1/payment_intents', (ctx) => {
      refuseWrittenPaymentMethodTypes(ctx.params)
      checkParams(
        ctx.params,
        'PaymentIntentCreateParams',
        [
          ...COMMON,
          'amount',
          'currency',
          'customer',
          'payment_method',
          'confirm',
          'off_session',
          'description',
          'metadata',
          'automatic_payment_methods',
          'capture_method',
          'confirmation_method',
          'return_url',
          'shipping',
        ],
        'POST /v1/payment_intents',
      )
      const {account, params: p} = ctx
      const confirming = p.confirm !== undefined && bool(p.confirm, 'confirm')
      // Stripe documents off_session "only when confirm=true" (SB-C2).
      if (p.off_session !== undefined && !confirming)
        throw invalid('The parameter `off_session` can only be used when `confirm` is `true`.', 'off_session')
      // return_url "can only be used with confirm=true"; cards here never redirect, so it is only checked (SB-T5).
      if (p.return_url !== undefined) {
        str(p.return_url, 'return_url')
        if (!confirming)
          throw invalid('The parameter `return_url` can only be used when `confirm` is `true`.', 'return_url')
      }
      const captureMethod =
        p.capture_method === undefined
          ? undefined
          : oneOf(p.capture_method, 'capture_method', ['automatic', 'automatic_async', 'manual'] as const)
      // Asynchronous capture changes when charge details arrive, which is not modelled (SB-V17).
      if (captureMethod === 'automatic_async') throw notModelled('capture_method=automatic_async')
      const confirmationMethod =
        p.confirmation_method === undefined
          ? undefined
          : oneOf(p.confirmation_method, 'confirmation_method', ['automatic', 'manual'] as const)
      const shipping = p.shipping === undefined || p.shipping === '' ? undefined : shippingParam(p.shipping)
      const allowRedirects = automaticPaymentMethods(p.automatic_payment_methods, 'POST /v1/payment_intents')
      const currency = str(required(p, 'currency'), 'currency').toLowerCase()
      const amount = int(required(p, 'amount'), 'amount', 1)
      // Stripe's minimum charge is $0.50; other currencies' minimums are not modelled (SB-72).
      if (currency === 'usd' && amount < 50)
        throw new ApiError(
          400,
          'invalid_request_error',
          'Amount must be at least $0.50 usd',
          'amount_too_small',
          'amount',
        )
      const customer = p.customer === undefined ? null : liveCustomer(account, str(p.customer, 'customer'), 'customer')
      if (customer) assertClockWritable(account, customer.testClock)
      const testClock = customer?.testClock ?? null
      const at = account.nowFor(testClock)
      const intent: PaymentIntentRecord = {
        id: account.newId('pi_'),
        created: at,
        amount,
        currency,
        customer: customer?.id ?? null,
        status: 'requires_payment_method',
        forInvoice: false,
        ...(allowRedirects ? {allowRedirects} : {}),
        description: optStr(p.description, 'description') ?? null,
        metadata: mergeMetadata({}, p.metadata),
        paymentMethod: null,
        latestCharge: null,
        lastError: null,
        canceledAt: null,
        cancellationReason: null,
        ...(captureMethod ? {captureMethod} : {}),
        ...(confirmationMethod ? {confirmationMethod} : {}),
        ...(shipping ? {shipping} : {}),
        testClock,
        seq: account.nextSeq(),
      }
      // A payment method given at creation waits for confirmation (SB-72).
      if (p.payment_method !== undefined) {
        intent.paymentMethod = intentPaymentMethod(account, intent, str(p.payment_method, 'payment_method')).id
        intent.status = 'requires_confirmation'
      }
      account.store.of(PAYMENT_INTENTS).set(intent.id, intent)
      if (testClock) account.store.index(BY_CLOCK).add(testClock, intent.id)
      account.emit('payment_intent.created', () => renderPaymentIntent(intent), testClock)
      if (confirming) confirm(account, intent, at)
      return renderPaymentIntent(intent)
    }),
    route('POST', '/v1/payment_intents/:id', (ctx) => {
      refuseWrittenPaymentMethodTypes(ctx.params)
      checkParams(
        ctx.params,
        'PaymentIntentUpdateParams',
        [...COMMON, 'metadata', 'description'],
        'POST /v1/payment_intents/{id}',
      )
      const {account, params: p} = ctx
      const intent = account.store.of(PAYMENT_INTENTS).require(ctx.ids[0] ?? '')
      assertClockWritable(account, intent.testClock)
      // Stripe has no payment_intent.updated event: an update announces nothing (SB-72).
      intent.metadata = mergeMetadata(intent.metadata, p.metadata)
      if (p.description !== undefined) intent.description = optStr(p.description, 'description') ?? null
      return renderPaymentIntent(intent)
    }),
    route('POST', '/v1/payment_intents/:id/confirm', (ctx) => {
      refuseWrittenPaymentMethodTypes(ctx.params)
      checkParams(
        ctx.params,
        'PaymentIntentConfirmParams',
        [...COMMON, 'payment_method', 'off_session'],
        'POST /v1/payment_intents/{id}/confirm',
      )
      const {account, params: p} = ctx
      const intent = account.store.of(PAYMENT_INTENTS).require(ctx.ids[0] ?? '')
      assertClockWritable(account, intent.testClock)
      if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation')
        throw new ApiError(
          400,
          'invalid_request_error',
          `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
          'payment_intent_unexpected_state',
        )
      if (p.payment_method !== undefined)
        intent.paymentMethod = intentPaymentMethod(account, intent, str(p.payment_method, 'payment_method')).id
      if (intent.forInvoice) confirmForInvoice(account, intent, account.nowFor(intent.testClock))
      else confirm(account, intent, account.nowFor(intent.testClock))
      return renderPaymentIntent(intent)
    }),
    route('POST', '/v1/payment_intents/:id/capture', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentIntentCaptureParams',
        [...COMMON, 'amount_to_capture', 'metadata'],
        'POST /v1/payment_intents/{id}/capture',
      )
      const {account, params: p} = ctx
      const intent = directIntent(account, ctx.ids[0] ?? '', 'capturing')
      assertClockWritable(account, intent.testClock)
      capture(
        account,
        intent,
        p.amount_to_capture === undefined ? undefined : int(p.amount_to_capture, 'amount_to_capture', 1),
      )
      intent.metadata = mergeMetadata(intent.metadata, p.metadata)
      return renderPaymentIntent(intent)
    }),
    route('POST', '/v1/payment_intents/:id/cancel', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentIntentCancelParams',
        [...COMMON, 'cancellation_reason'],
        'POST /v1/payment_intents/{id}/cancel',
      )
      const {account, params: p} = ctx
      const intent = directIntent(account, ctx.ids[0] ?? '', 'canceling')
      assertClockWritable(account, intent.testClock)
      const reason =
        p.cancellation_reason === undefined
          ? null
          : oneOf(p.cancellation_reason, 'cancellation_reason', [
              'abandoned',
              'duplicate',
              'fraudulent',
              'requested_by_customer',
            ] as const)
      // Only an intent not yet succeeded or canceled can be canceled (SB-72).
      if (intent.status === 'succeeded' || intent.status === 'canceled')
        throw new ApiError(
          400,
          'invalid_request_error',
          `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
          'payment_intent_unexpected_state',
        )
      // "the remaining amount_capturable is automatically refunded": how that refund of an uncaptured charge looks is undocumented (SB-T5).
      if (intent.status === 'requires_capture')
        throw notModelled(
          'canceling an authorized PaymentIntent (requires_capture): the release of its uncaptured charge',
        )
      const at = account.nowFor(intent.testClock)
      intent.status = 'canceled'
      intent.canceledAt = at
      intent.cancellationReason = reason
      account.emit('payment_intent.canceled', () => renderPaymentIntent(intent), intent.testClock)
      return renderPaymentIntent(intent)
    }),
  ],
}
