/** A customer's own discount: set by `coupon` / `promotion_code` before basil, removed by `DELETE …/discount` (SB-T4). */
import {type Account, changedFields} from '../../account.js'
import {ApiError, invalid, notModelled} from '../../errors.js'
import {type Raw, str} from '../../params.js'
import {type ApiObject, type DueEvent} from '../../resource.js'
import {RANK} from '../../time-engine.js'
import {COUPONS, type CouponRecord, applicableCoupon} from '../coupons.js'
import {DISCOUNTS, type DiscountRecord, applyCoupon, renderDiscount} from '../discounts.js'
import {PROMOTION_CODES, promotionCodeActive} from '../promotion-codes.js'
import {hasInclusiveRate} from '../subscriptions/billing.js'
import {assertDiscountsModelled} from '../subscriptions/parameters.js'
import {type SubscriptionRecord, subscriptionsOf} from '../subscriptions/record.js'
import {changing} from '../subscriptions/render.js'
import {CUSTOMERS, type CustomerRecord, customerDiscount, customersOnClock, renderCustomer} from './record.js'

/** Basil removed `coupon` and `promotion_code` from customer create and update (SB-57). */
export const CUSTOMER_DISCOUNT_PARAMS = ['coupon', 'promotion_code'] as const

export function takesCustomerDiscountParams(apiVersion: string | null): boolean {
  return apiVersion !== null && apiVersion < '2025-03-31'
}

type Requested =
  {kind: 'remove'} | {kind: 'apply'; coupon: ReturnType<typeof applicableCoupon>; promotionCode: string | null}

/**
 * What `coupon` / `promotion_code` ask for, validated before anything changes: an empty value
 * removes the discount; both at once is a 400, as on subscriptions (SB-V9).
 */
export function requestedCustomerDiscount(
  account: Account,
  params: Raw,
  customer: {id: string | null; testClock: string | null},
): Requested | undefined {
  const given = CUSTOMER_DISCOUNT_PARAMS.filter((param) => params[param] !== undefined)
  if (given.length === 0) return undefined
  if (given.length > 1) throw invalid('You may only specify one of these parameters: coupon, promotion_code.', given[0])
  const param = given[0]!
  const value = str(params[param], param)
  if (value === '') return {kind: 'remove'}
  const at = account.nowFor(customer.testClock)
  if (param === 'coupon')
    return {kind: 'apply', coupon: applicableCoupon(account, value, 'coupon', at), promotionCode: null}
  const code = account.store.of(PROMOTION_CODES).require(value, 'promotion_code')
  if (!promotionCodeActive(account, code, at))
    throw invalid(`This promotion code is not active: ${code.code}`, 'promotion_code')
  if (code.customer !== null && code.customer !== customer.id)
    throw invalid('This promotion code cannot be redeemed by this customer.', 'promotion_code')
  return {kind: 'apply', coupon: applicableCoupon(account, code.coupon, 'promotion_code', at), promotionCode: code.id}
}

/**
 * Whether Stripe keeps applying a replaced or removed customer discount to the subscriptions that
 * inherited it is not documented, so such a change is refused (SB-T4).
 */
function assertNotInherited(account: Account, customer: CustomerRecord, discount: DiscountRecord): void {
  const inheriting = subscriptionsOf(account, customer.id).some(
    (sub) => sub.status !== 'canceled' && sub.status !== 'incomplete_expired' && sub.discounts.includes(discount.id),
  )
  if (inheriting)
    throw notModelled(
      "replacing or removing a customer's discount that a subscription inherited (whether the subscription keeps it is undocumented)",
    )
}

/** A removed discount's last shape: Stripe's DeletedDiscount has no `end` (fixtures3). */
function deletedShape(discount: DiscountRecord): ApiObject {
  const {end: _end, ...shape} = renderDiscount(discount)
  return {...shape, deleted: true}
}

/**
 * Applies what was requested: a new coupon creates a discount (`customer.discount.created`), one
 * replacing another is `customer.discount.updated` ("a customer is switched from one coupon to
 * another"), an empty value removes it (`customer.discount.deleted`) (SB-T4).
 */
export function changeCustomerDiscount(account: Account, customer: CustomerRecord, requested: Requested): void {
  const current = customerDiscount(account, customer)
  if (current) assertNotInherited(account, customer, current)
  if (requested.kind === 'remove') {
    if (current) removeCustomerDiscount(account, customer, current)
    return
  }
  const bare = bareSubscriptions(account, customer)
  for (const sub of bare) assertInheritable(account, sub, requested.coupon)
  // The first invoice spends a once discount (SB-60); which of several subscriptions that is, and what the others then show, is undocumented.
  if (requested.coupon.duration === 'once' && bare.length > 1)
    throw notModelled('a once discount for a customer with several subscriptions that would inherit it')
  const before = current && renderDiscount(current)
  const discount = applyCoupon(
    account,
    {
      coupon: requested.coupon,
      promotionCode: requested.promotionCode,
      customer: customer.id,
      subscription: null,
      start: account.nowFor(customer.testClock),
    },
    current,
  )
  customer.discount = discount.id
  if (!before) account.emit('customer.discount.created', () => renderDiscount(discount), customer.testClock)
  else {
    const after = renderDiscount(discount)
    account.emit('customer.discount.updated', () => after, customer.testClock, changedFields(before, after))
  }
  // Its live subscriptions without a discount of their own take it, as a new one would (SB-T7).
  for (const sub of bare) changing(account, sub, () => (sub.discounts = [discount.id]))
}

const ENDED = new Set(['canceled', 'incomplete_expired'])

/** The customer's subscriptions that have not ended and have no discount of their own (SB-T7). */
function bareSubscriptions(account: Account, customer: CustomerRecord): SubscriptionRecord[] {
  return subscriptionsOf(account, customer.id).filter((sub) => !ENDED.has(sub.status) && sub.discounts.length === 0)
}

/** What a subscription inheriting a coupon at its creation could not take, it cannot take later (SB-T4, SB-T7). */
function assertInheritable(account: Account, sub: SubscriptionRecord, coupon: CouponRecord): void {
  if (coupon.currency !== null && coupon.currency !== sub.currency)
    throw notModelled(`a customer's ${coupon.currency} discount inherited by a ${sub.currency} subscription`)
  assertDiscountsModelled(sub.billingMode, [{coupon, promotionCode: null}])
  if (hasInclusiveRate(account, [sub.defaultTaxRates, ...sub.items.map((item) => item.taxRates)]))
    throw notModelled(
      'discounts on a subscription with an inclusive tax rate (how the contained tax is rounded after a discount, SB-78)',
    )
}

/**
 * A repeating customer discount ends at its `end` (SB-60): the time engine removes it from the
 * customer and from the subscriptions that inherited it, with one `customer.discount.deleted`
 * ("Occurs whenever a coupon is removed from a customer"), SB-T8.
 */
export function customerDiscountEnds(account: Account, clockId: string): DueEvent[] {
  const events: DueEvent[] = []
  for (const customer of customersOnClock(account, clockId)) {
    const discount = customer.discount ? account.store.of(DISCOUNTS).get(customer.discount) : undefined
    if (discount === undefined || discount.end === null || discount.spent) continue
    // The customer's seq is below its subscriptions': this runs before their own discount ends do.
    events.push({
      at: discount.end,
      rank: RANK.discountEnd,
      seq: customer.seq,
      run: () => endCustomerDiscount(account, customer, discount),
    })
  }
  return events
}

function endCustomerDiscount(account: Account, customer: CustomerRecord, discount: DiscountRecord): void {
  const before = renderDiscount(discount)
  customer.discount = null
  account.emit('customer.discount.deleted', () => renderDiscount(discount), customer.testClock)
  // customer.updated: "Occurs whenever any property of a customer changes" (SB-T8; order ours).
  account.emit('customer.updated', () => renderCustomer(account, customer), customer.testClock, {discount: before})
  for (const sub of subscriptionsOf(account, customer.id))
    if (!ENDED.has(sub.status) && sub.discounts.includes(discount.id))
      changing(account, sub, () => (sub.discounts = sub.discounts.filter((id) => id !== discount.id)))
}

function removeCustomerDiscount(account: Account, customer: CustomerRecord, discount: DiscountRecord): ApiObject {
  customer.discount = null
  const shape = deletedShape(discount)
  account.emit('customer.discount.deleted', () => renderDiscount(discount), customer.testClock)
  return shape
}

/** `DELETE /v1/customers/{id}/discount`: `{deleted: true}`, or an error "if no discount exists on this customer" (SB-T4). */
export function deleteCustomerDiscount(account: Account, customer: CustomerRecord): ApiObject {
  const current = customerDiscount(account, customer)
  if (!current)
    throw new ApiError(
      404,
      'invalid_request_error',
      `No active discount for customer: '${customer.id}'`,
      'resource_missing',
      'id',
    )
  assertNotInherited(account, customer, current)
  return removeCustomerDiscount(account, customer, current)
}

/**
 * The customer's discount a new subscription without discounts of its own takes: "If not specified
 * or empty, inherits the discount from the subscription's customer" (SB-T4). It is the customer's
 * discount itself, not a copy; an amount-off one in another currency is not modelled.
 */
export function inheritedDiscount(
  account: Account,
  customer: CustomerRecord,
  currency: string,
): {discount: DiscountRecord; applied: {coupon: CouponRecord; promotionCode: string | null}} | undefined {
  const discount = customerDiscount(account, customer)
  const coupon = discount && account.store.of(COUPONS).get(discount.coupon)
  if (!discount || !coupon) return undefined
  if (coupon.currency !== null && coupon.currency !== currency)
    throw notModelled(`a customer's ${coupon.currency} discount inherited by a ${currency} subscription`)
  return {discount, applied: {coupon, promotionCode: discount.promotionCode}}
}

/**
 * Whether taking an inherited discount off a subscription takes it off its customer too is not
 * documented, so a subscription's inherited discount is not replaced or removed there (SB-T4).
 */
export function assertOwnDiscounts(account: Account, sub: {customer: string; discounts: string[]}): void {
  const customer = account.store.of(CUSTOMERS).get(sub.customer)
  const discount = customer && customerDiscount(account, customer)
  if (discount && sub.discounts.includes(discount.id))
    throw notModelled("replacing or removing a subscription's discount inherited from its customer")
}
