import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {internalApi, internalRequest} from '../dispatch.js'
import {ApiError, invalid, missing, notModelled} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  objectArray,
  oneOf,
  optStr,
  required,
  str,
  strArray,
} from '../params.js'
import {type ApiObject, COMMON, PAGINATION, type Resource, filter, list, page, route} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export type CheckoutMode = 'payment' | 'setup' | 'subscription'

export interface CheckoutLineItem {
  id: string
  price: string
  quantity: number
}

export interface CheckoutSessionRecord {
  id: string
  created: number
  expiresAt: number
  mode: CheckoutMode
  status: 'open' | 'complete' | 'expired'
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required'
  lineItems: CheckoutLineItem[]
  currency: string | null
  customer: string | null
  customerEmail: string | null
  customerCreation: 'always' | 'if_required' | null
  customerDetails: {email: string | null; name: string | null} | null
  successUrl: string | null
  cancelUrl: string | null
  clientReferenceId: string | null
  metadata: Metadata
  subscriptionData: {trialPeriodDays: number | null; trialEnd: number | null; metadata: Metadata} | null
  /** At most one: a coupon or a promotion code (SB-P3). */
  discounts: Array<{coupon: string} | {promotion_code: string}>
  allowPromotionCodes: boolean | null
  /** What the session's PaymentIntent is created with, in payment mode (SB-T10); absent on older records. */
  paymentIntentData?: Raw | null
  subscription: string | null
  paymentIntent: string | null
  setupIntent: string | null
  invoice: string | null
  seq: number
}

export const CHECKOUT_SESSIONS = collectionKey<CheckoutSessionRecord>('checkoutSessions', 'checkout.session')

const DAY = 86_400
const MINUTE = 60

/** A line item's money as Checkout shows it, from the price the API renders. */
export interface PricedLine {
  item: CheckoutLineItem
  price: Wire<Stripe.Price>
  productName: string
  subtotal: number
  discount: number
}

/** The session's lines with their amounts and the discount spread over them (SB-P3). */
export function pricedLines(account: Account, session: CheckoutSessionRecord): PricedLine[] {
  const lines = session.lineItems.map((item) => {
    // The prices resource renders it (typed there); read through a request so checkout imports no resource.
    const price = internalRequest(account, 'GET', `/v1/prices/${item.price}`) as Wire<Stripe.Price>
    // Checkout's amounts for tiered and metered prices (SB-U10, SB-U11) are not modelled.
    if (price.billing_scheme !== 'per_unit' || price.recurring?.usage_type === 'metered')
      throw notModelled(`Checkout Sessions with tiered or metered prices (${item.price})`)
    const product = internalRequest(account, 'GET', `/v1/products/${price.product}`)
    return {item, price, productName: String(product.name), subtotal: Number(price.unit_amount) * item.quantity}
  })
  const total = lines.reduce((sum, line) => sum + line.subtotal, 0)
  const discountTotal = couponAmount(sessionCoupon(account, session), total)
  let left = discountTotal
  return lines.map((line, index) => {
    // Spread over the lines by their share of the subtotal; the last line takes the rounding.
    const share =
      index === lines.length - 1 ? left : total === 0 ? 0 : Math.round((discountTotal * line.subtotal) / total)
    const discount = Math.min(share, left)
    left -= discount
    return {...line, discount}
  })
}

function couponAmount(coupon: ApiObject | undefined, subtotal: number): number {
  if (!coupon) return 0
  if (typeof coupon.percent_off === 'number') return Math.round((subtotal * coupon.percent_off) / 100)
  return Math.min(Number(coupon.amount_off ?? 0), subtotal)
}

/** The coupon behind the session's discount, rendered. */
export function sessionCoupon(account: Account, session: CheckoutSessionRecord): ApiObject | undefined {
  const [discount] = session.discounts
  if (!discount) return undefined
  if ('coupon' in discount) return internalRequest(account, 'GET', `/v1/coupons/${discount.coupon}`)
  const promo = internalRequest(account, 'GET', `/v1/promotion_codes/${discount.promotion_code}`)
  const coupon = (promo.promotion as {coupon?: unknown} | undefined)?.coupon ?? promo.coupon
  const id = typeof coupon === 'string' ? coupon : String((coupon as ApiObject).id)
  return internalRequest(account, 'GET', `/v1/coupons/${id}`)
}

/** What is due when the session completes: nothing during a trial or in setup mode (SB-P4). */
export function amountsDueNow(
  account: Account,
  session: CheckoutSessionRecord,
): {subtotal: number; discount: number; total: number} {
  if (session.mode === 'setup') return {subtotal: 0, discount: 0, total: 0}
  const trial =
    session.subscriptionData && (session.subscriptionData.trialPeriodDays || session.subscriptionData.trialEnd)
  if (trial) return {subtotal: 0, discount: 0, total: 0}
  const lines = pricedLines(account, session)
  const subtotal = lines.reduce((sum, line) => sum + line.subtotal, 0)
  const discount = lines.reduce((sum, line) => sum + line.discount, 0)
  return {subtotal, discount, total: subtotal - discount}
}

/** `{CHECKOUT_SESSION_ID}` in a URL becomes the session's id (SB-P5). */
export function withSessionId(url: string, id: string): string {
  return url.replaceAll('{CHECKOUT_SESSION_ID}', () => id)
}

export function checkoutUrl(account: Account, id: string): string {
  return `${internalApi(account).baseUrl}/checkout/${id}`
}

export function renderCheckoutSession(account: Account, session: CheckoutSessionRecord): Wire<Stripe.Checkout.Session> {
  expireIfDue(account, session)
  const amounts = session.status === 'expired' ? {subtotal: 0, discount: 0, total: 0} : amountsDueNow(account, session)
  return {
    id: session.id,
    object: 'checkout.session',
    adaptive_pricing: {enabled: false},
    after_expiration: null,
    allow_promotion_codes: session.allowPromotionCodes,
    // No filter requested: the session offers what payment_method_types lists.
    allowed_payment_method_types: null,
    amount_subtotal: session.mode === 'setup' ? null : amounts.subtotal,
    amount_total: session.mode === 'setup' ? null : amounts.total,
    automatic_tax: {enabled: false, liability: null, provider: null, status: null},
    billing_address_collection: null,
    cancel_url: session.cancelUrl,
    client_reference_id: session.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: session.created,
    currency: session.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null},
    customer: session.customer,
    customer_account: null,
    customer_creation: session.customerCreation,
    customer_details: session.customerDetails && {
      address: null,
      business_name: null,
      email: session.customerDetails.email,
      individual_name: null,
      name: session.customerDetails.name,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    },
    customer_email: session.customerEmail,
    discounts: session.discounts.map((discount) =>
      'coupon' in discount ? {coupon: discount.coupon, promotion_code: null} : {coupon: null, ...discount},
    ),
    expires_at: session.expiresAt,
    integration_identifier: null,
    invoice: session.invoice,
    invoice_creation: session.mode === 'payment' ? {enabled: false, invoice_data: defaultInvoiceData()} : null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: session.metadata,
    mode: session.mode,
    origin_context: null,
    payment_intent: session.paymentIntent,
    payment_link: null,
    payment_method_collection: session.mode === 'setup' ? null : 'always',
    payment_method_configuration_details: null,
    payment_method_options: {card: {request_three_d_secure: 'automatic'}},
    payment_method_types: ['card'],
    payment_status: session.paymentStatus,
    permissions: null,
    phone_number_collection: {enabled: false},
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: session.setupIntent,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: session.status,
    submit_type: null,
    subscription: session.subscription,
    success_url: session.successUrl,
    total_details:
      session.mode === 'setup' ? null : {amount_discount: amounts.discount, amount_shipping: 0, amount_tax: 0},
    ui_mode: 'hosted',
    // Present only while the session can still be completed (SB-P1).
    url: session.status === 'open' ? checkoutUrl(account, session.id) : null,
    wallet_options: null,
  }
}

function defaultInvoiceData(): Wire<Stripe.Checkout.Session.InvoiceCreation.InvoiceData> {
  return {
    account_tax_ids: null,
    custom_fields: null,
    description: null,
    footer: null,
    issuer: null,
    metadata: {},
    rendering_options: null,
  }
}

/** An open session past `expires_at` expires (SB-P2); looked at whenever the session is read. */
export function expireIfDue(account: Account, session: CheckoutSessionRecord): void {
  if (session.status === 'open' && account.wallSeconds() >= session.expiresAt) expire(account, session)
}

function expire(account: Account, session: CheckoutSessionRecord): void {
  session.status = 'expired'
  account.emit('checkout.session.expired', () => renderCheckoutSession(account, session), null)
}

export function renderLineItem(line: PricedLine): Wire<Stripe.LineItem> {
  return {
    id: line.item.id,
    object: 'item',
    adjustable_quantity: null,
    amount_discount: line.discount,
    amount_subtotal: line.subtotal,
    amount_tax: 0,
    amount_total: line.subtotal - line.discount,
    currency: line.price.currency,
    description: line.productName,
    metadata: {},
    price: line.price,
    quantity: line.item.quantity,
  }
}

// Parameters Stripe documents that change what Checkout collects or charges; refused by name (SB-2).
const CREATE_HANDLED = [
  ...COMMON,
  'mode',
  'line_items',
  'success_url',
  'cancel_url',
  'customer',
  'customer_email',
  'customer_creation',
  'client_reference_id',
  'metadata',
  'subscription_data',
  'discounts',
  'allow_promotion_codes',
  'expires_at',
  'currency',
  'ui_mode',
  'payment_intent_data',
] as const

/**
 * Endive removed `payment_method_types` from Checkout Sessions, as from PaymentIntents (SB-V12,
 * SB-T10); older versions still send it. The emulated account has cards only: `[card]` asks for
 * what the newest version gives, any other method is a 501. Read here, not checked against the
 * newest spec.
 */
function takePaymentMethodTypes(p: Raw, apiVersion: string | null): Raw {
  if (p.payment_method_types === undefined || apiVersion === null || apiVersion >= '2026-09-30') return p
  const {payment_method_types: types, ...rest} = p
  const asked = strArray(types, 'payment_method_types')
  if (asked.some((type) => type !== 'card'))
    throw notModelled(`Checkout payment method types other than card (${asked.join(', ')})`)
  return rest
}

/**
 * `payment_intent_data` (payment mode only) passes `description`, `metadata` and `shipping` on to
 * the PaymentIntent the session creates when paid (SB-T10). `capture_method` other than automatic,
 * `setup_future_usage` and the rest are refused by name.
 */
function paymentIntentData(raw: unknown, mode: CheckoutMode, endpoint: string): Raw {
  if (mode !== 'payment')
    throw invalid('You can only specify `payment_intent_data` in `payment` mode.', 'payment_intent_data')
  const data = checkNested(
    raw,
    'payment_intent_data',
    [
      'application_fee_amount',
      'capture_method',
      'description',
      'metadata',
      'on_behalf_of',
      'receipt_email',
      'setup_future_usage',
      'shipping',
      'statement_descriptor',
      'statement_descriptor_suffix',
      'transfer_data',
      'transfer_group',
    ],
    ['capture_method', 'description', 'metadata', 'shipping'],
    endpoint,
  )
  // With manual capture, what the session's payment_status is while the payment is only authorized is undocumented.
  if (data.capture_method !== undefined && data.capture_method !== 'automatic')
    throw notModelled(
      `payment_intent_data[capture_method]=${str(data.capture_method, 'payment_intent_data[capture_method]')} on a Checkout Session`,
    )
  if (data.description !== undefined) str(data.description, 'payment_intent_data[description]')
  return data
}

function priceOf(account: Account, id: string, param: string): ApiObject {
  try {
    return internalRequest(account, 'GET', `/v1/prices/${id}`)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      throw new ApiError(404, 'invalid_request_error', `No such price: '${id}'`, 'resource_missing', param)
    throw error
  }
}

function lineItems(account: Account, raw: unknown, mode: CheckoutMode, endpoint: string): CheckoutLineItem[] {
  const items = objectArray(raw, 'line_items')
  if (mode === 'setup') {
    if (items.length > 0) throw invalid('You cannot pass `line_items` in `setup` mode.', 'line_items')
    return []
  }
  if (items.length === 0)
    throw new ApiError(
      400,
      'invalid_request_error',
      `Missing required param: line_items.`,
      'parameter_missing',
      'line_items',
    )
  const prices = items.map((item, index) => {
    const param = `line_items[${index}]`
    checkNested(
      item,
      param,
      ['adjustable_quantity', 'dynamic_tax_rates', 'metadata', 'price', 'price_data', 'quantity', 'tax_rates'],
      ['price', 'quantity'],
      endpoint,
    )
    const price = priceOf(account, str(required(item, 'price'), `${param}[price]`), `${param}[price]`)
    if (price.active === false)
      throw invalid(`The price specified (${String(price.id)}) is inactive.`, `${param}[price]`)
    return {
      price,
      item: {
        id: account.newId('li_'),
        price: String(price.id),
        quantity: int(required(item, 'quantity'), `${param}[quantity]`, 1),
      },
    }
  })
  const recurring = prices.filter(({price}) => price.recurring !== null)
  if (mode === 'subscription' && recurring.length === 0)
    throw invalid(
      'You must provide at least one recurring price in `subscription` mode when using prices.',
      'line_items',
    )
  if (mode === 'payment' && recurring.length > 0)
    throw invalid(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      'line_items',
    )
  const currencies = new Set(prices.map(({price}) => String(price.currency)))
  if (currencies.size > 1) throw invalid('All prices on a Checkout Session must have the same currency.', 'line_items')
  return prices.map(({item}) => item)
}

function subscriptionData(raw: unknown, now: number, endpoint: string): CheckoutSessionRecord['subscriptionData'] {
  const data = checkNested(
    raw,
    'subscription_data',
    [
      'application_fee_percent',
      'billing_cycle_anchor',
      'billing_mode',
      'default_tax_rates',
      'description',
      'invoice_settings',
      'metadata',
      'on_behalf_of',
      'pending_invoice_item_interval',
      'proration_behavior',
      'transfer_data',
      'trial_end',
      'trial_period_days',
      'trial_settings',
    ],
    ['metadata', 'trial_end', 'trial_period_days'],
    endpoint,
  )
  if (data.trial_end !== undefined && data.trial_period_days !== undefined)
    throw invalid(
      'You may only specify one of these parameters: subscription_data[trial_end], subscription_data[trial_period_days].',
      'subscription_data',
    )
  const trialPeriodDays =
    data.trial_period_days === undefined ? null : int(data.trial_period_days, 'subscription_data[trial_period_days]', 1)
  const trialEnd = data.trial_end === undefined ? null : int(data.trial_end, 'subscription_data[trial_end]')
  // Stripe wants a Checkout trial to end at least 48 hours after the session is created (SB-P4).
  if (trialEnd !== null && trialEnd < now + 2 * DAY)
    throw invalid(
      '`subscription_data[trial_end]` must be at least 48 hours in the future.',
      'subscription_data[trial_end]',
    )
  return {trialPeriodDays, trialEnd, metadata: mergeMetadata({}, data.metadata)}
}

function discounts(raw: unknown, account: Account): CheckoutSessionRecord['discounts'] {
  const given = objectArray(raw, 'discounts')
  if (given.length > 1) throw invalid('You may only specify one discount on a Checkout Session.', 'discounts')
  return given.map((discount, index) => {
    const param = `discounts[${index}]`
    checkNested(
      discount,
      param,
      ['coupon', 'promotion_code'],
      ['coupon', 'promotion_code'],
      'POST /v1/checkout/sessions',
    )
    if (discount.coupon !== undefined) {
      const coupon = str(discount.coupon, `${param}[coupon]`)
      internalRequest(account, 'GET', `/v1/coupons/${coupon}`)
      return {coupon}
    }
    const promotionCode = str(required(discount, 'promotion_code'), `${param}[promotion_code]`)
    internalRequest(account, 'GET', `/v1/promotion_codes/${promotionCode}`)
    return {promotion_code: promotionCode}
  })
}

function createSession(
  account: Account,
  given: Raw,
  endpoint: string,
  apiVersion: string | null,
): CheckoutSessionRecord {
  const p = takePaymentMethodTypes(given, apiVersion)
  checkParams(p, 'Checkout.SessionCreateParams', CREATE_HANDLED, endpoint)
  const mode = oneOf(required(p, 'mode'), 'mode', ['payment', 'setup', 'subscription'] as const)
  if (p.ui_mode !== undefined && p.ui_mode !== 'hosted')
    throw notModelled('Checkout Sessions with `ui_mode` other than hosted')
  const now = account.wallSeconds()
  if (p.customer !== undefined && p.customer_email !== undefined)
    throw invalid('You may only specify one of these parameters: customer, customer_email.', 'customer_email')
  if (p.discounts !== undefined && p.allow_promotion_codes !== undefined)
    throw invalid('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts')
  if (p.customer_creation !== undefined && mode === 'subscription')
    throw invalid('`customer_creation` can only be used in `payment` and `setup` mode.', 'customer_creation')
  if (p.subscription_data !== undefined && mode !== 'subscription')
    throw invalid('You can only specify `subscription_data` in `subscription` mode.', 'subscription_data')
  let customer: string | null = null
  let email: string | null = null
  if (p.customer !== undefined) {
    const id = str(p.customer, 'customer')
    const found = internalRequest(account, 'GET', `/v1/customers/${id}`)
    if (found.deleted) throw missing('customer', id, 'customer')
    assertNoCustomerDiscount(found)
    customer = String(found.id)
    email = typeof found.email === 'string' ? found.email : null
  }
  const items = lineItems(account, p.line_items, mode, endpoint)
  const currency =
    items.length > 0
      ? String(internalRequest(account, 'GET', `/v1/prices/${items[0]!.price}`).currency)
      : (optStr(p.currency, 'currency') ?? null)
  const expiresAt = p.expires_at === undefined ? now + DAY : int(p.expires_at, 'expires_at')
  // Between 30 minutes and 24 hours after creation (SB-P2).
  if (expiresAt < now + 30 * MINUTE || expiresAt > now + DAY)
    throw invalid(
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
      'expires_at',
    )
  const session: CheckoutSessionRecord = {
    id: `cs_test_${account.newId('', 58)}`,
    created: now,
    expiresAt,
    mode,
    status: 'open',
    paymentStatus: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    lineItems: items,
    currency,
    customer,
    customerEmail: optStr(p.customer_email, 'customer_email') ?? null,
    customerCreation:
      mode === 'subscription'
        ? null
        : p.customer_creation === undefined
          ? 'if_required'
          : oneOf(p.customer_creation, 'customer_creation', ['always', 'if_required'] as const),
    customerDetails: customer ? {email, name: null} : null,
    successUrl: optStr(p.success_url, 'success_url') ?? null,
    cancelUrl: optStr(p.cancel_url, 'cancel_url') ?? null,
    clientReferenceId: optStr(p.client_reference_id, 'client_reference_id') ?? null,
    metadata: mergeMetadata({}, p.metadata),
    subscriptionData:
      mode === 'subscription'
        ? p.subscription_data === undefined
          ? {trialPeriodDays: null, trialEnd: null, metadata: {}}
          : subscriptionData(p.subscription_data, now, endpoint)
        : null,
    discounts: p.discounts === undefined ? [] : discounts(p.discounts, account),
    allowPromotionCodes:
      p.allow_promotion_codes === undefined ? null : bool(p.allow_promotion_codes, 'allow_promotion_codes'),
    paymentIntentData:
      p.payment_intent_data === undefined ? null : paymentIntentData(p.payment_intent_data, mode, endpoint),
    subscription: null,
    paymentIntent: null,
    setupIntent: null,
    invoice: null,
    seq: account.nextSeq(),
  }
  account.store.of(CHECKOUT_SESSIONS).set(session.id, session)
  return session
}

/**
 * Whether Checkout applies, stacks or ignores the discount of the customer it is for is not
 * documented, and its amounts would be wrong either way: refused (SB-T7).
 */
function assertNoCustomerDiscount(customer: ApiObject): void {
  if (customer.discount !== null && customer.discount !== undefined)
    throw notModelled(`a Checkout Session for a customer with a discount (${String(customer.id)})`)
}

/** What the customer typed on the hosted page, already checked there. */
export interface CheckoutPayment {
  email: string
  name: string
  /** The `pm_card_*` token of the test card entered. */
  cardToken: string
  /** A promotion code the customer entered, when the session allows them (SB-P3). */
  promotionCode?: string
}

/**
 * Completes an open session as Stripe does when the customer pays (SB-P7): the customer (unless
 * given), the card attached to them, then the subscription, payment or setup through the API's own
 * routes, and `checkout.session.completed` once the session names them.
 */
export function completeCheckout(account: Account, session: CheckoutSessionRecord, payment: CheckoutPayment): void {
  expireIfDue(account, session)
  if (session.status !== 'open') throw invalid(`This Checkout Session is ${session.status}.`)
  const promotion = payment.promotionCode ? findPromotionCode(account, payment.promotionCode) : undefined
  if (promotion) session.discounts = [{promotion_code: promotion}]
  const needsCustomer =
    session.customer === null && (session.mode === 'subscription' || session.customerCreation === 'always')
  let customer = session.customer
  if (customer) assertNoCustomerDiscount(internalRequest(account, 'GET', `/v1/customers/${customer}`))
  if (needsCustomer)
    customer = String(internalRequest(account, 'POST', '/v1/customers', {email: payment.email, name: payment.name}).id)
  let paymentMethod = payment.cardToken
  if (customer)
    paymentMethod = String(
      internalRequest(account, 'POST', `/v1/payment_methods/${payment.cardToken}/attach`, {customer}).id,
    )
  session.customer = customer
  session.customerDetails = {email: session.customerDetails?.email ?? payment.email, name: payment.name}
  if (session.mode === 'subscription') {
    const data = session.subscriptionData
    const subscription = internalRequest(account, 'POST', '/v1/subscriptions', {
      customer,
      items: session.lineItems.map((item) => ({price: item.price, quantity: String(item.quantity)})),
      default_payment_method: paymentMethod,
      ...(data && Object.keys(data.metadata).length > 0 ? {metadata: data.metadata} : {}),
      ...(data?.trialPeriodDays ? {trial_period_days: String(data.trialPeriodDays)} : {}),
      ...(data?.trialEnd ? {trial_end: String(data.trialEnd)} : {}),
      ...(session.discounts.length > 0 ? {discounts: session.discounts} : {}),
    })
    session.subscription = String(subscription.id)
    session.invoice = typeof subscription.latest_invoice === 'string' ? subscription.latest_invoice : null
    session.paymentStatus = amountsDueNow(account, session).total === 0 ? 'no_payment_required' : 'paid'
  } else if (session.mode === 'payment') {
    const {total} = amountsDueNow(account, session)
    const intent = internalRequest(account, 'POST', '/v1/payment_intents', {
      ...session.paymentIntentData,
      amount: String(total),
      currency: session.currency,
      payment_method: paymentMethod,
      confirm: 'true',
      ...(customer ? {customer} : {}),
    })
    session.paymentIntent = String(intent.id)
    session.paymentStatus = 'paid'
  } else {
    const intent = internalRequest(account, 'POST', '/v1/setup_intents', {
      payment_method: paymentMethod,
      confirm: 'true',
      usage: 'off_session',
      ...(customer ? {customer} : {}),
    })
    session.setupIntent = String(intent.id)
  }
  session.status = 'complete'
  account.emit('checkout.session.completed', () => renderCheckoutSession(account, session), null)
}

/** An active promotion code by its customer-facing code, or a 400 the page shows. */
function findPromotionCode(account: Account, code: string): string {
  const found = internalRequest(account, 'GET', '/v1/promotion_codes', {code, active: 'true', limit: '1'})
  const [promotion] = found.data as ApiObject[]
  if (!promotion) throw invalid('This code is invalid.', 'promotion_code')
  return String(promotion.id)
}

function sessionOf(account: Account, id: string): CheckoutSessionRecord {
  return account.store.of(CHECKOUT_SESSIONS).require(id)
}

export const checkoutSessions: Resource = {
  object: 'checkout.session',
  idPrefixes: ['cs_'],
  render: (account, id) => {
    const session = account.store.of(CHECKOUT_SESSIONS).get(id)
    return session && renderCheckoutSession(account, session)
  },
  includable: {
    line_items: (account, id) => {
      const session = sessionOf(account, id)
      const lines = pricedLines(account, session).map(renderLineItem)
      return {object: 'list', data: lines, has_more: false, url: `/v1/checkout/sessions/${id}/line_items`}
    },
  },
  documentedParams: {
    file: 'Checkout/Sessions.d.ts',
    interfaces: [
      'Checkout.SessionCreateParams',
      'Checkout.SessionRetrieveParams',
      'Checkout.SessionListParams',
      'Checkout.SessionExpireParams',
      'Checkout.SessionListLineItemsParams',
    ],
  },
  routes: [
    route('POST', '/v1/checkout/sessions', (ctx) =>
      renderCheckoutSession(
        ctx.account,
        createSession(ctx.account, ctx.params, 'POST /v1/checkout/sessions', ctx.apiVersion),
      ),
    ),
    route('GET', '/v1/checkout/sessions/:id', (ctx) => {
      checkParams(ctx.params, 'Checkout.SessionRetrieveParams', COMMON, 'GET /v1/checkout/sessions/{id}')
      return renderCheckoutSession(ctx.account, sessionOf(ctx.account, ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/checkout/sessions/:id/expire', (ctx) => {
      checkParams(ctx.params, 'Checkout.SessionExpireParams', COMMON, 'POST /v1/checkout/sessions/{id}/expire')
      const session = sessionOf(ctx.account, ctx.ids[0] ?? '')
      expireIfDue(ctx.account, session)
      if (session.status !== 'open') throw invalid(`Only Checkout Sessions with a status in ["open"] can be expired.`)
      // The expire call moves expires_at to now (SB-P2).
      session.expiresAt = ctx.account.wallSeconds()
      expire(ctx.account, session)
      return renderCheckoutSession(ctx.account, session)
    }),
    route('GET', '/v1/checkout/sessions/:id/line_items', (ctx) => {
      checkParams(
        ctx.params,
        'Checkout.SessionListLineItemsParams',
        [...COMMON, ...PAGINATION],
        'GET /v1/checkout/sessions/{id}/line_items',
      )
      const session = sessionOf(ctx.account, ctx.ids[0] ?? '')
      const lines = pricedLines(ctx.account, session)
      return page(
        ctx,
        lines.map((line) => ({...line, id: line.item.id})),
        renderLineItem,
      )
    }),
    route('GET', '/v1/checkout/sessions', (ctx) => {
      checkParams(
        ctx.params,
        'Checkout.SessionListParams',
        [...COMMON, 'customer', 'status', 'subscription', 'payment_intent', ...PAGINATION],
        'GET /v1/checkout/sessions',
      )
      const p = ctx.params
      const status =
        p.status === undefined ? undefined : oneOf(p.status, 'status', ['open', 'complete', 'expired'] as const)
      for (const session of ctx.account.store.of(CHECKOUT_SESSIONS).values()) expireIfDue(ctx.account, session)
      return list(
        ctx,
        filter(
          ctx.account.store.of(CHECKOUT_SESSIONS).values(),
          (session) =>
            (status === undefined || session.status === status) &&
            (p.customer === undefined || session.customer === p.customer) &&
            (p.subscription === undefined || session.subscription === p.subscription) &&
            (p.payment_intent === undefined || session.paymentIntent === p.payment_intent),
        ),
        (session) => renderCheckoutSession(ctx.account, session),
      )
    }),
  ],
}
