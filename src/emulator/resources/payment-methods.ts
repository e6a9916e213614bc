import type {Account} from '../account.js'
import {ApiError, invalid, missing, notModelled} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  oneOf,
  optStr,
  required,
  str,
} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {type CardBehaviour, type Decline, GENERIC_DECLINE, cardToken} from './card-tokens.js'
import {CUSTOMERS, type CustomerRecord, customersOnClock, liveCustomer, renderCustomer} from './customers/record.js'
import {assertClockWritable} from './test-clocks.js'

export type {CardBehaviour} from './card-tokens.js'

export interface PaymentMethodRecord {
  id: string
  created: number
  customer: string | null
  brand: string
  last4: string
  behaviour: CardBehaviour
  /** A card the issuer declines when it is saved (SB-24): refused by attach and by a SetupIntent. */
  declinedAtAttach?: boolean
  /** How a charge of it is declined (SB-K9); absent on older records: a generic decline. */
  decline?: Decline
  funding?: 'credit' | 'debit' | 'prepaid'
  metadata: Metadata
  /** Set by `POST /v1/payment_methods/{id}` (SB-K6); absent: the defaults rendered below. */
  billing?: {name: string | null; email: string | null; phone: string | null}
  expiry?: {month: number; year: number}
  allowRedisplay?: 'always' | 'limited' | 'unspecified'
  seq: number
}

export const PAYMENT_METHODS = collectionKey<PaymentMethodRecord>('paymentMethods', 'PaymentMethod')
const BY_CUSTOMER = 'payment-methods-by-customer'

export function renderPaymentMethod(pm: PaymentMethodRecord): ApiObject {
  return {
    id: pm.id,
    object: 'payment_method',
    allow_redisplay: pm.allowRedisplay ?? 'unspecified',
    billing_details: {
      address: {city: null, country: null, line1: null, line2: null, postal_code: null, state: null},
      email: pm.billing?.email ?? null,
      name: pm.billing?.name ?? null,
      phone: pm.billing?.phone ?? null,
      tax_id: null,
    },
    card: {
      brand: pm.brand,
      checks: {address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass'},
      country: 'US',
      display_brand: pm.brand,
      exp_month: pm.expiry?.month ?? 12,
      exp_year: pm.expiry?.year ?? new Date().getUTCFullYear() + 3,
      fingerprint: pm.id.slice(3, 19),
      funding: pm.funding ?? 'credit',
      generated_from: null,
      last4: pm.last4,
      networks: {available: [pm.brand], preferred: null},
      regulated_status: 'unregulated',
      three_d_secure_usage: {supported: true},
      wallet: null,
    },
    created: pm.created,
    customer: pm.customer,
    customer_account: null,
    livemode: false,
    metadata: pm.metadata,
    type: 'card',
  }
}

/** The 402 of a declined card, with its code and decline_code (SB-K9). */
export function cardError(decline: Decline, param?: string): ApiError {
  const error = new ApiError(402, 'card_error', decline.message, decline.code, param)
  error.declineCode = decline.declineCode
  return error
}

/** A `pm_card_*` or `tok_*` token makes a fresh payment method; a declining card fails already here (SB-24). */
export function paymentMethodFromToken(
  account: Account,
  token: string,
  param: string,
  options: {attaching: boolean; prefix?: 'pm_' | 'card_'} = {attaching: true},
): PaymentMethodRecord {
  const existing = account.store.of(PAYMENT_METHODS).get(token)
  if (existing) return existing
  const card = cardToken(token)
  if (!card) throw missing('PaymentMethod', token, param)
  // Not being attached (a PaymentIntent's or SetupIntent's card), it is declined when charged instead (SB-72).
  if (card.declinedAtAttach && options.attaching) throw cardError(card.decline ?? GENERIC_DECLINE, param)
  const pm: PaymentMethodRecord = {
    // A card saved as a customer source is a `card_` object, usable as a PaymentMethod too (SB-K10).
    id: account.newId(options.prefix ?? 'pm_'),
    created: account.wallSeconds(),
    customer: null,
    brand: card.brand,
    last4: card.last4,
    behaviour: card.behaviour,
    ...(card.declinedAtAttach ? {declinedAtAttach: true} : {}),
    ...(card.decline ? {decline: card.decline} : {}),
    ...(card.funding && card.funding !== 'credit' ? {funding: card.funding} : {}),
    metadata: {},
    seq: account.nextSeq(),
  }
  account.store.of(PAYMENT_METHODS).set(pm.id, pm)
  return pm
}

/**
 * `POST /v1/payment_methods` with `card[token]=tok_…` (SB-T6): "you can alternatively provide a
 * Stripe token … into the card hash". The card is made unattached, like a test token given to an
 * intent, so a card that is declined when saved is declined at attach or charge, not here.
 */
function paymentMethodFromCardToken(account: Account, params: Raw): PaymentMethodRecord {
  const endpoint = 'POST /v1/payment_methods'
  // Stripe's spec checks the value; cards are the only method the emulated account has (SB-72).
  if (params.type !== undefined && str(params.type, 'type') !== 'card')
    throw notModelled(`payment methods of type ${str(params.type, 'type')} (cards only, SB-72)`)
  const card = checkNested(
    params.card ?? {},
    'card',
    ['cvc', 'exp_month', 'exp_year', 'networks', 'number', 'token'],
    ['token'],
    endpoint,
  )
  if (card.token === undefined)
    throw notModelled(
      'creating payment methods other than from a tok_* test token in card[token] (or attach pm_card_visa to a customer)',
    )
  const token = str(card.token, 'card[token]')
  if (!token.startsWith('tok_') || !cardToken(token)) throw missing('token', token, 'card[token]')
  const billing = billingDetailsParam(params.billing_details, endpoint)
  const pm = paymentMethodFromToken(account, token, 'card[token]', {attaching: false})
  pm.metadata = mergeMetadata({}, params.metadata)
  if (billing) {
    const text = (key: 'name' | 'email' | 'phone') => optStr(billing[key], `billing_details[${key}]`) ?? null
    pm.billing = {name: text('name'), email: text('email'), phone: text('phone')}
  }
  // Stripe has no payment_method.created event: creating one announces nothing.
  return pm
}

export function attachPaymentMethod(
  account: Account,
  pmIdOrToken: string,
  customer: CustomerRecord,
  param = 'payment_method',
  options: {source?: boolean} = {},
): PaymentMethodRecord {
  assertClockWritable(account, customer.testClock)
  const pm = paymentMethodFromToken(
    account,
    pmIdOrToken,
    param,
    options.source ? {attaching: true, prefix: 'card_'} : undefined,
  )
  if (pm.customer && pm.customer !== customer.id)
    throw invalid(`The payment method you provided has already been attached to a customer.`, param)
  // A card made unattached (SB-T6) is still declined when it is saved (SB-24).
  if (pm.declinedAtAttach && pm.customer === null) throw cardError(pm.decline ?? GENERIC_DECLINE, param)
  pm.customer = customer.id
  account.store.index(BY_CUSTOMER).add(customer.id, pm.id)
  // A source announces itself as customer.source.created, which its module emits (SB-K10).
  if (!options.source) account.emit('payment_method.attached', () => renderPaymentMethod(pm), customer.testClock)
  return pm
}

/** A default payment method must belong to the customer. */
export function customerPaymentMethod(
  account: Account,
  customer: CustomerRecord,
  pmIdOrToken: string,
  param: string,
): string {
  const pm = account.store.of(PAYMENT_METHODS).get(pmIdOrToken)
  if (pm?.customer === customer.id) return pm.id
  // No such object at all is a 404, as everywhere (SB-C5); one not attached to the customer is this 400.
  if (!pm && !cardToken(pmIdOrToken)) throw missing('PaymentMethod', pmIdOrToken, param)
  throw new ApiError(
    400,
    'invalid_request_error',
    `The customer does not have a payment method with the ID ${pmIdOrToken}. The payment method must be attached to the customer.`,
    'resource_missing',
    param,
  )
}

/** Which card pays: the subscription's default, else the customer's invoice default (SB-25). */
export function payingMethod(
  account: Account,
  subscriptionDefault: string | null,
  customerId: string,
): PaymentMethodRecord | undefined {
  const customer = account.store.of(CUSTOMERS).get(customerId)
  // The customer's default source comes last (SB-K10).
  const id = subscriptionDefault ?? customer?.defaultPaymentMethod ?? customer?.defaultSource
  return id ? account.store.of(PAYMENT_METHODS).get(id) : undefined
}

export function detach(account: Account, pm: PaymentMethodRecord, options: {source?: boolean} = {}): void {
  const customerId = pm.customer
  if (!customerId) return
  pm.customer = null
  account.store.index(BY_CUSTOMER).remove(customerId, pm.id)
  const customer = account.store.of(CUSTOMERS).get(customerId)
  if (options.source) return
  account.emit('payment_method.detached', () => renderPaymentMethod(pm), customer?.testClock ?? null, {
    customer: customerId,
  })
  if (customer?.defaultPaymentMethod === pm.id)
    updating(
      account,
      'customer.updated',
      customer.testClock,
      () => renderCustomer(account, customer),
      () => (customer.defaultPaymentMethod = null),
    )
}

/**
 * Endive answers `payment_method_types` on a PaymentIntent or SetupIntent write with a 400 of its
 * own code (SB-K1); older versions reach here without it (versions/changes, SB-V12).
 */
export function refuseWrittenPaymentMethodTypes(params: Raw): void {
  if (params.payment_method_types === undefined) return
  throw new ApiError(
    400,
    'invalid_request_error',
    'The `payment_method_types` parameter is no longer supported on this API version. Use `allowed_payment_method_types`, `excluded_payment_method_types` or dynamic payment methods instead.',
    'payment_method_types_no_longer_supported',
    'payment_method_types',
  )
}

export type AllowRedirects = 'always' | 'never'

/**
 * `automatic_payment_methods[enabled]=true` asks for the account's enabled methods: cards only here
 * (SB-72, SB-K1). `enabled=false` needs explicit types, which the newest version no longer takes.
 */
export function automaticPaymentMethods(value: unknown, endpoint: string): AllowRedirects | undefined {
  if (value === undefined) return undefined
  const raw = checkNested(
    value,
    'automatic_payment_methods',
    ['allow_redirects', 'enabled'],
    ['allow_redirects', 'enabled'],
    endpoint,
  )
  if (raw.enabled === undefined)
    throw new ApiError(
      400,
      'invalid_request_error',
      'Missing required param: automatic_payment_methods[enabled].',
      'parameter_missing',
      'automatic_payment_methods[enabled]',
    )
  if (!bool(raw.enabled, 'automatic_payment_methods[enabled]'))
    throw notModelled(`automatic_payment_methods[enabled]=false on ${endpoint}`)
  return raw.allow_redirects === undefined
    ? 'always'
    : oneOf(raw.allow_redirects, 'automatic_payment_methods[allow_redirects]', ['always', 'never'] as const)
}

export function paymentMethodsOf(account: Account, customerId: string): PaymentMethodRecord[] {
  return account.store.indexed(PAYMENT_METHODS, BY_CUSTOMER, customerId)
}

export const paymentMethods: Resource = {
  object: 'payment_method',
  idPrefixes: ['pm_'],
  render: (account, id) => {
    const pm = account.store.of(PAYMENT_METHODS).get(id)
    return pm && renderPaymentMethod(pm)
  },
  documentedParams: {
    file: 'PaymentMethods.d.ts',
    interfaces: [
      'PaymentMethodCreateParams',
      'PaymentMethodAttachParams',
      'PaymentMethodDetachParams',
      'PaymentMethodListParams',
      'PaymentMethodRetrieveParams',
      'PaymentMethodUpdateParams',
    ],
  },
  onClockDeleted: (account, clockId) => {
    for (const customer of customersOnClock(account, clockId)) {
      for (const pm of paymentMethodsOf(account, customer.id)) account.store.of(PAYMENT_METHODS).delete(pm.id)
      account.store.index(BY_CUSTOMER).drop(customer.id)
    }
  },
  routes: [
    route('POST', '/v1/payment_methods', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentMethodCreateParams',
        [...COMMON, 'type', 'card', 'metadata', 'billing_details'],
        'POST /v1/payment_methods',
      )
      const card = ctx.params.card
      if (typeof card === 'object' && card !== null && 'number' in card) {
        // Raw card numbers are refused unless raw card data APIs are enabled on the account (SB-24).
        throw new ApiError(
          402,
          'card_error',
          'Sending credit card numbers directly to the Stripe API is generally unsafe. To continue processing use Stripe.js, the Stripe mobile bindings, or Stripe Elements. To enable raw card data APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.',
          'card_declined',
          'card[number]',
        )
      }
      return renderPaymentMethod(paymentMethodFromCardToken(ctx.account, ctx.params))
    }),
    route('GET', '/v1/payment_methods/:id', (ctx) => {
      checkParams(ctx.params, 'PaymentMethodRetrieveParams', COMMON, 'GET /v1/payment_methods/{id}')
      return renderPaymentMethod(ctx.account.store.of(PAYMENT_METHODS).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/payment_methods/:id', (ctx) => {
      const endpoint = 'POST /v1/payment_methods/{id}'
      checkParams(
        ctx.params,
        'PaymentMethodUpdateParams',
        [...COMMON, 'metadata', 'billing_details', 'card', 'allow_redisplay'],
        endpoint,
      )
      const {account, params: p} = ctx
      const pm = account.store.of(PAYMENT_METHODS).require(ctx.ids[0] ?? '')
      // Only a saved card can be updated (SN23 `update`: "must be attached to a customer").
      if (!pm.customer)
        throw invalid('You must save this PaymentMethod to a customer before you can update it.', undefined)
      const customer = account.store.of(CUSTOMERS).get(pm.customer)
      assertClockWritable(account, customer?.testClock ?? null)
      const billing = billingDetailsParam(p.billing_details, endpoint)
      const card =
        p.card === undefined
          ? undefined
          : checkNested(p.card, 'card', ['exp_month', 'exp_year', 'networks'], ['exp_month', 'exp_year'], endpoint)
      updating(
        account,
        'payment_method.updated',
        customer?.testClock ?? null,
        () => renderPaymentMethod(pm),
        () => {
          pm.metadata = mergeMetadata(pm.metadata, p.metadata)
          if (p.allow_redisplay !== undefined)
            pm.allowRedisplay = oneOf(p.allow_redisplay, 'allow_redisplay', [
              'always',
              'limited',
              'unspecified',
            ] as const)
          if (billing) {
            const current = pm.billing ?? {name: null, email: null, phone: null}
            const text = (key: 'name' | 'email' | 'phone') =>
              billing[key] === undefined ? current[key] : (optStr(billing[key], `billing_details[${key}]`) ?? null)
            pm.billing = {name: text('name'), email: text('email'), phone: text('phone')}
          }
          if (card) {
            const rendered = renderPaymentMethod(pm).card as {exp_month: number; exp_year: number}
            pm.expiry = {
              month: card.exp_month === undefined ? rendered.exp_month : int(card.exp_month, 'card[exp_month]', 1),
              year: card.exp_year === undefined ? rendered.exp_year : int(card.exp_year, 'card[exp_year]', 1),
            }
            if (pm.expiry.month > 12)
              throw invalid('Invalid integer: card[exp_month] must be 1 to 12', 'card[exp_month]')
          }
        },
      )
      return renderPaymentMethod(pm)
    }),
    route('POST', '/v1/payment_methods/:id/attach', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentMethodAttachParams',
        [...COMMON, 'customer'],
        'POST /v1/payment_methods/{id}/attach',
      )
      const customer = liveCustomer(ctx.account, str(required(ctx.params, 'customer'), 'customer'), 'customer')
      return renderPaymentMethod(attachPaymentMethod(ctx.account, ctx.ids[0] ?? '', customer, 'payment_method'))
    }),
    route('POST', '/v1/payment_methods/:id/detach', (ctx) => {
      checkParams(ctx.params, 'PaymentMethodDetachParams', COMMON, 'POST /v1/payment_methods/{id}/detach')
      const pm = ctx.account.store.of(PAYMENT_METHODS).require(ctx.ids[0] ?? '')
      if (!pm.customer)
        throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.')
      assertClockWritable(ctx.account, ctx.account.store.of(CUSTOMERS).get(pm.customer)?.testClock ?? null)
      detach(ctx.account, pm)
      return renderPaymentMethod(pm)
    }),
    route('GET', '/v1/payment_methods', (ctx) => {
      checkParams(
        ctx.params,
        'PaymentMethodListParams',
        [...COMMON, 'customer', 'type', ...PAGINATION],
        'GET /v1/payment_methods',
      )
      const customer = ctx.params.customer === undefined ? undefined : str(ctx.params.customer, 'customer')
      const all =
        customer === undefined
          ? ctx.account.store.of(PAYMENT_METHODS).values()
          : paymentMethodsOf(ctx.account, customer)
      return list(
        ctx,
        filter(all, (pm) => pm.customer !== null),
        renderPaymentMethod,
      )
    }),
  ],
}

/**
 * `billing_details` on create and update: the fields Stripe takes, of which email, name and phone
 * are kept (an address or tax id is a 501 naming it, from checkNested).
 */
function billingDetailsParam(raw: unknown, endpoint: string): Raw | undefined {
  return raw === undefined
    ? undefined
    : checkNested(
        raw,
        'billing_details',
        ['address', 'email', 'name', 'phone', 'tax_id'],
        ['email', 'name', 'phone'],
        endpoint,
      )
}
