/** Parsing and checking the parameters subscriptions take (create, update, items, discounts, billing options). */
import {DAY} from '../../../billing-time.js'
import {type Account} from '../../account.js'
import {invalid, notModelled} from '../../errors.js'
import {type Raw, oneOf, int, checkNested, strArray, bool, objectArray, str, required, optStr} from '../../params.js'
import {type RouteContext} from '../../resource.js'
import {applicableCoupon} from '../coupons.js'
import {type CustomerRecord} from '../customers/record.js'
import {applyCoupon, renderDiscount} from '../discounts.js'
import {type PriceRecord} from '../prices.js'
import {PROMOTION_CODES, promotionCodeActive} from '../promotion-codes.js'
import {type SubscriptionRecord, MAX_TRIAL_DAYS, SUBSCRIPTIONS} from './record.js'

export const ITEM_KNOWN = [
  'billing_thresholds',
  'clear_usage',
  'deleted',
  'discounts',
  'id',
  'metadata',
  'plan',
  'price',
  'price_data',
  'quantity',
  'tax_rates',
] as const

/** `collection_method` and `days_until_due`, valid only together with send_invoice (SB-70). */
export function collectionSettings(
  params: Raw,
  current: Pick<SubscriptionRecord, 'collectionMethod' | 'daysUntilDue'>,
): Pick<SubscriptionRecord, 'collectionMethod' | 'daysUntilDue'> {
  const method =
    params.collection_method === undefined
      ? current.collectionMethod
      : oneOf(params.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const)
  const days =
    params.days_until_due === undefined
      ? method === 'send_invoice'
        ? current.daysUntilDue
        : null
      : int(params.days_until_due, 'days_until_due')
  if (method !== 'send_invoice' && params.days_until_due !== undefined)
    throw invalid('days_until_due can only be set when collection_method is send_invoice.', 'days_until_due')
  if (method === 'send_invoice' && days === null)
    throw notModelled("collection_method=send_invoice without days_until_due (the account's default payment terms)")
  return {collectionMethod: method, daysUntilDue: days}
}

export function checkBillingOptions(params: Raw, endpoint: string): void {
  if (params.payment_settings !== undefined) {
    // Cards only: `payment_settings[payment_method_types][]=card` changes nothing here.
    const settings = checkNested(
      params.payment_settings,
      'payment_settings',
      ['payment_method_options', 'payment_method_types', 'save_default_payment_method'],
      ['payment_method_types', 'save_default_payment_method'],
      endpoint,
    )
    const types = strArray(settings.payment_method_types, 'payment_settings[payment_method_types]')
    if (types.some((type) => type !== 'card')) throw notModelled(`payment method types other than card on ${endpoint}`)
    // 'off' is what every subscription here does; saving the card on the subscription is not modelled (SB-2).
    if (
      settings.save_default_payment_method !== undefined &&
      oneOf(settings.save_default_payment_method, 'payment_settings[save_default_payment_method]', [
        'off',
        'on_subscription',
      ] as const) !== 'off'
    )
      throw notModelled(`payment_settings[save_default_payment_method]=on_subscription on ${endpoint}`)
  }
  // Payments here are on-session attempts with cards that never ask for authentication; off-session ones are not modelled (SB-2).
  if (params.off_session !== undefined && bool(params.off_session, 'off_session'))
    throw notModelled(`off_session=true on ${endpoint}`)
}

export function sameCadence(account: Account, prices: PriceRecord[]): void {
  // Mixed intervals on one subscription exist in flexible mode (SB-21) but are not modelled.
  if (new Set(prices.map((p) => `${p.recurring?.interval}/${p.recurring?.intervalCount}`)).size > 1)
    throw notModelled('subscriptions mixing billing intervals (SB-21)')
}

/** `discounts: [{coupon} | {promotion_code}]` resolved to coupons to apply (SB-56); `{discount}` is not modelled. */
export function requestedDiscounts(
  account: Account,
  raw: unknown,
  customer: CustomerRecord,
  endpoint: string,
  at: number,
  currency: string,
) {
  const resolved = objectArray(raw, 'discounts').map((entry, index) => {
    const param = `discounts[${index}]`
    const d = checkNested(
      entry,
      param,
      ['coupon', 'discount', 'promotion_code'],
      ['coupon', 'promotion_code'],
      endpoint,
    )
    if (d.promotion_code !== undefined) {
      const code = account.store
        .of(PROMOTION_CODES)
        .require(str(d.promotion_code, `${param}[promotion_code]`), `${param}[promotion_code]`)
      if (!promotionCodeActive(account, code, at))
        throw invalid(`This promotion code is not active: ${code.code}`, `${param}[promotion_code]`)
      if (code.customer !== null && code.customer !== customer.id)
        throw invalid(`This promotion code cannot be redeemed by this customer.`, `${param}[promotion_code]`)
      return {coupon: applicableCoupon(account, code.coupon, `${param}[promotion_code]`, at), promotionCode: code.id}
    }
    return {
      coupon: applicableCoupon(account, str(required(d, 'coupon'), `${param}[coupon]`), `${param}[coupon]`, at),
      promotionCode: null,
    }
  })
  for (const {coupon} of resolved) {
    if (coupon.currency !== null && coupon.currency !== currency)
      throw invalid(`The coupon ${coupon.id} is in ${coupon.currency}, the subscription in ${currency}.`, 'discounts')
  }
  return resolved
}

/** Classic mode spreads an amount-off discount evenly across items, flexible in proportion (SB-59); only the latter is modelled. */
export function assertDiscountsModelled(
  billingMode: SubscriptionRecord['billingMode'],
  requested: ReturnType<typeof requestedDiscounts>,
): void {
  if (billingMode === 'classic' && requested.some(({coupon}) => coupon.amountOff !== null))
    throw notModelled('amount_off discounts on a classic billing mode subscription (spread evenly across items, SB-59)')
}

export function attachDiscounts(
  account: Account,
  sub: SubscriptionRecord,
  requested: ReturnType<typeof requestedDiscounts>,
  at: number,
): void {
  sub.discounts = requested.map(({coupon, promotionCode}) => {
    const discount = applyCoupon(account, {
      coupon,
      promotionCode,
      customer: sub.customer,
      subscription: sub.id,
      start: at,
    })
    account.emit('customer.discount.created', () => renderDiscount(discount), sub.testClock)
    return discount.id
  })
}

export function trialEndParam(value: unknown, now: number): number | 'now' {
  if (value === 'now') return 'now'
  const at = int(value, 'trial_end')
  if (at <= now) throw invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end')
  if (at > now + MAX_TRIAL_DAYS * DAY)
    throw invalid(`trial_end can be no more than ${MAX_TRIAL_DAYS} days in the future.`, 'trial_end')
  return at
}

export function cancellationDetails(
  raw: unknown,
  endpoint: string,
): {comment?: string | null; feedback?: string | null} {
  const d = checkNested(raw, 'cancellation_details', ['comment', 'feedback'], ['comment', 'feedback'], endpoint)
  const feedbacks = [
    'customer_service',
    'low_quality',
    'missing_features',
    'other',
    'switched_service',
    'too_complex',
    'too_expensive',
    'unused',
  ] as const
  return {
    ...(d.comment === undefined ? {} : {comment: optStr(d.comment, 'cancellation_details[comment]') ?? null}),
    ...(d.feedback === undefined
      ? {}
      : {feedback: d.feedback === '' ? null : oneOf(d.feedback, 'cancellation_details[feedback]', feedbacks)}),
  }
}

export function subscriptionOf(ctx: RouteContext): SubscriptionRecord {
  return ctx.account.store.of(SUBSCRIPTIONS).require(ctx.ids[0] ?? '')
}
