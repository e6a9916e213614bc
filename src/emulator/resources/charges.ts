import type {Account} from '../account.js'
import {ApiError, notModelled} from '../errors.js'
import {type Metadata, bool, checkParams, int, mergeMetadata, optStr, required, str} from '../params.js'
import {
  type ApiObject,
  COMMON,
  PAGINATION,
  type Resource,
  filter,
  list,
  route,
  forgetByClock,
  updating,
} from '../resource.js'
import {collectionKey} from '../store.js'
import {type Decline, GENERIC_DECLINE} from './card-tokens.js'
import {liveCustomer} from './customers/record.js'
import {type PaymentMethodRecord, cardError, paymentMethodFromToken} from './payment-methods.js'
import {assertClockWritable} from './test-clocks.js'
import {refundsOfCharge, renderRefund} from './refunds/record.js'

export interface ChargeRecord {
  id: string
  created: number
  amount: number
  currency: string
  customer: string | null
  /** Null for a charge made directly through the Charges API (SB-K11). */
  paymentIntent: string | null
  paymentMethod: PaymentMethodRecord
  succeeded: boolean
  /** False while a `capture=false` charge is only authorized (SB-K11); absent: captured. */
  captured?: boolean
  description?: string | null
  metadata?: Metadata
  /** Its PaymentIntent's `shipping` (SB-T5). */
  shipping?: ApiObject | null
  /** What refunds have given back so far (SB-73). */
  amountRefunded: number
  testClock: string | null
  seq: number
}

export const CHARGES = collectionKey<ChargeRecord>('charges', 'charge')
const BY_CLOCK = 'charges-by-clock'

export function renderCharge(account: Account, record: ChargeRecord): ApiObject {
  const pm = record.paymentMethod
  return {
    id: record.id,
    object: 'charge',
    amount: record.amount,
    amount_captured: record.succeeded && record.captured !== false ? record.amount : 0,
    amount_refunded: record.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: {city: null, country: null, line1: null, line2: null, postal_code: null, state: null},
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: null,
    captured: record.succeeded && record.captured !== false,
    created: record.created,
    currency: record.currency,
    customer: record.customer,
    description: record.description ?? null,
    disputed: false,
    failure_balance_transaction: null,
    // The decline code of pm_card_chargeCustomerFail is undocumented; card_declined is what public projects observe (SB-69).
    failure_code: record.succeeded ? null : (record.paymentMethod.decline?.code ?? 'card_declined'),
    failure_message: record.succeeded ? null : (record.paymentMethod.decline?.message ?? 'Your card was declined.'),
    fraud_details: {},
    livemode: false,
    metadata: record.metadata ?? {},
    on_behalf_of: null,
    outcome: record.succeeded
      ? {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        }
      : {
          network_status: 'declined_by_network',
          reason: record.paymentMethod.decline?.declineCode ?? 'generic_decline',
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        },
    paid: record.succeeded,
    payment_intent: record.paymentIntent,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        brand: pm.brand,
        country: 'US',
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 3,
        funding: 'credit',
        last4: pm.last4,
        network: pm.brand,
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    // True only once fully refunded (SB-73).
    refunded: record.amountRefunded === record.amount && record.amount > 0,
    refunds: {
      object: 'list',
      data: refundsOfCharge(account, record.id)
        .sort((a, b) => b.seq - a.seq)
        .map(renderRefund),
      has_more: false,
      url: `/v1/charges/${record.id}/refunds`,
    },
    review: null,
    shipping: record.shipping ?? null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: record.succeeded ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  }
}

/** One charge of a card for a PaymentIntent: succeeded or failed (SB-69). */
export function charge(
  account: Account,
  input: Omit<ChargeRecord, 'id' | 'seq' | 'created' | 'amountRefunded'>,
  at: number,
): ChargeRecord {
  const record: ChargeRecord = {
    ...input,
    id: account.newId('ch_'),
    created: at,
    amountRefunded: 0,
    seq: account.nextSeq(),
  }
  account.store.of(CHARGES).set(record.id, record)
  if (record.testClock) account.store.index(BY_CLOCK).add(record.testClock, record.id)
  account.emit(
    record.succeeded ? 'charge.succeeded' : 'charge.failed',
    () => renderCharge(account, record),
    record.testClock,
  )
  return record
}

/** An authorized charge captured in full: `charge.captured` ("a previously uncaptured charge is captured", SB-K11, SB-T5). */
export function captureCharge(account: Account, record: ChargeRecord): void {
  updating(
    account,
    'charge.captured',
    record.testClock,
    () => renderCharge(account, record),
    () => (record.captured = true),
  )
}

export const charges: Resource = {
  object: 'charge',
  idPrefixes: ['ch_'],
  render: (account, id) => {
    const record = account.store.of(CHARGES).get(id)
    return record && renderCharge(account, record)
  },
  documentedParams: {
    file: 'Charges.d.ts',
    interfaces: ['ChargeRetrieveParams', 'ChargeListParams', 'ChargeCreateParams', 'ChargeCaptureParams'],
  },
  onClockDeleted: forgetByClock(CHARGES, BY_CLOCK),
  routes: [
    route('POST', '/v1/charges', (ctx) => {
      checkParams(
        ctx.params,
        'ChargeCreateParams',
        [...COMMON, 'amount', 'currency', 'customer', 'source', 'capture', 'description', 'metadata'],
        'POST /v1/charges',
      )
      const {account, params: p} = ctx
      const amount = int(required(p, 'amount'), 'amount', 1)
      const currency = str(required(p, 'currency'), 'currency').toLowerCase()
      // The same minimum as a PaymentIntent's (SB-72).
      if (currency === 'usd' && amount < 50)
        throw new ApiError(
          400,
          'invalid_request_error',
          'Amount must be at least $0.50 usd',
          'amount_too_small',
          'amount',
        )
      const customer =
        p.customer === undefined ? undefined : liveCustomer(account, str(p.customer, 'customer'), 'customer')
      if (customer) assertClockWritable(account, customer.testClock)
      const sourceId = p.source === undefined ? (customer?.defaultSource ?? undefined) : str(p.source, 'source')
      if (sourceId === undefined)
        throw new ApiError(
          400,
          'invalid_request_error',
          customer ? 'Cannot charge a customer that has no active card' : 'Must provide source or customer.',
          'missing',
          'source',
        )
      // A token is charged unsaved; a saved card must be the customer's (SB-K11).
      const card = paymentMethodFromToken(account, sourceId, 'source', {attaching: false})
      if (card.customer !== null && card.customer !== customer?.id)
        throw new ApiError(404, 'invalid_request_error', `No such source: '${sourceId}'`, 'resource_missing', 'source')
      const capture = p.capture === undefined ? true : bool(p.capture, 'capture')
      const testClock = customer?.testClock ?? null
      // The Charges API cannot run 3-D Secure: such a card is declined (decline_code authentication_required).
      const decline: Decline =
        card.behaviour === 'requires_action'
          ? {
              code: 'card_declined',
              declineCode: 'authentication_required',
              message: 'Your card was declined. This transaction requires authentication.',
            }
          : (card.decline ?? GENERIC_DECLINE)
      const record = charge(
        account,
        {
          amount,
          currency,
          customer: customer?.id ?? null,
          paymentIntent: null,
          paymentMethod: card.behaviour === 'requires_action' ? {...card, decline} : card,
          succeeded: card.behaviour === 'succeeds',
          ...(capture ? {} : {captured: false}),
          description: optStr(p.description, 'description') ?? null,
          metadata: mergeMetadata({}, p.metadata),
          testClock,
        },
        account.nowFor(testClock),
      )
      if (!record.succeeded) {
        // The failed charge is the request's result: it stands (SB-A3).
        account.keepChanges()
        throw cardError(decline)
      }
      return renderCharge(account, record)
    }),
    route('POST', '/v1/charges/:id/capture', (ctx) => {
      checkParams(ctx.params, 'ChargeCaptureParams', [...COMMON, 'amount'], 'POST /v1/charges/{id}/capture')
      const {account, params: p} = ctx
      const record = account.store.of(CHARGES).require(ctx.ids[0] ?? '')
      assertClockWritable(account, record.testClock)
      // Its PaymentIntent would have to follow; capture the PaymentIntent instead (SB-T5).
      if (record.paymentIntent !== null)
        throw notModelled("capturing a PaymentIntent's charge through the Charges API (capture the PaymentIntent)")
      if (!record.succeeded || record.captured !== false)
        throw new ApiError(
          400,
          'invalid_request_error',
          `Charge ${record.id} has already been captured.`,
          'charge_already_captured',
        )
      // Capturing less refunds the rest: refunds of uncaptured amounts are not modelled.
      if (p.amount !== undefined && int(p.amount, 'amount', 1) !== record.amount)
        throw notModelled('capturing part of a charge (amount less than authorized)')
      captureCharge(account, record)
      return renderCharge(account, record)
    }),
    route('GET', '/v1/charges/:id', (ctx) => {
      checkParams(ctx.params, 'ChargeRetrieveParams', COMMON, 'GET /v1/charges/{id}')
      return renderCharge(ctx.account, ctx.account.store.of(CHARGES).require(ctx.ids[0] ?? ''))
    }),
    route('GET', '/v1/charges', (ctx) => {
      checkParams(
        ctx.params,
        'ChargeListParams',
        [...COMMON, 'customer', 'payment_intent', ...PAGINATION],
        'GET /v1/charges',
      )
      const customer = ctx.params.customer === undefined ? undefined : str(ctx.params.customer, 'customer')
      const intent =
        ctx.params.payment_intent === undefined ? undefined : str(ctx.params.payment_intent, 'payment_intent')
      return list(
        ctx,
        filter(
          ctx.account.store.of(CHARGES).values(),
          (c) =>
            (customer === undefined || c.customer === customer) && (intent === undefined || c.paymentIntent === intent),
        ),
        (c) => renderCharge(ctx.account, c),
      )
    }),
  ],
}
