import type {Account} from '../account.js'
import {checkParams, str} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, route, forgetByClock} from '../resource.js'
import {collectionKey} from '../store.js'
import type {PaymentMethodRecord} from './payment-methods.js'
import {refundsOfCharge, renderRefund} from './refunds/record.js'

export interface ChargeRecord {
  id: string
  created: number
  amount: number
  currency: string
  customer: string | null
  paymentIntent: string
  paymentMethod: PaymentMethodRecord
  succeeded: boolean
  /** What refunds have given back so far (SB-73). */
  amountRefunded: number
  testClock: string | null
  seq: number
}

export const CHARGES = collectionKey<ChargeRecord>('charges', 'charge')
const BY_CLOCK = 'charges-by-clock'

export function renderCharge(account: Account, charge: ChargeRecord): ApiObject {
  const pm = charge.paymentMethod
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.succeeded ? charge.amount : 0,
    amount_refunded: charge.amountRefunded,
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
    captured: charge.succeeded,
    created: charge.created,
    currency: charge.currency,
    customer: charge.customer,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    // The decline code of pm_card_chargeCustomerFail is undocumented; card_declined is what public projects observe (SB-69).
    failure_code: charge.succeeded ? null : (charge.paymentMethod.decline?.code ?? 'card_declined'),
    failure_message: charge.succeeded ? null : (charge.paymentMethod.decline?.message ?? 'Your card was declined.'),
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: charge.succeeded
      ? {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        }
      : {
          network_status: 'declined_by_network',
          reason: charge.paymentMethod.decline?.declineCode ?? 'generic_decline',
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        },
    paid: charge.succeeded,
    payment_intent: charge.paymentIntent,
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
    refunded: charge.amountRefunded === charge.amount && charge.amount > 0,
    refunds: {
      object: 'list',
      data: refundsOfCharge(account, charge.id)
        .sort((a, b) => b.seq - a.seq)
        .map(renderRefund),
      has_more: false,
      url: `/v1/charges/${charge.id}/refunds`,
    },
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: charge.succeeded ? 'succeeded' : 'failed',
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

export const charges: Resource = {
  object: 'charge',
  idPrefixes: ['ch_'],
  render: (account, id) => {
    const record = account.store.of(CHARGES).get(id)
    return record && renderCharge(account, record)
  },
  documentedParams: {file: 'Charges.d.ts', interfaces: ['ChargeRetrieveParams', 'ChargeListParams']},
  onClockDeleted: forgetByClock(CHARGES, BY_CLOCK),
  routes: [
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
