import {addIntervals} from '../../billing-time.js'
import {largestRemainder} from '../../scenario/distribution.js'
import type {Account} from '../account.js'
import type {Resource} from '../resource.js'
import {COUPONS, type CouponRecord, redeemCoupon} from './coupons.js'
import {DISCOUNTS, type DiscountRecord, renderDiscount} from './discount-record.js'
import {PROMOTION_CODES, redeemPromotionCode} from './promotion-codes.js'

export {DISCOUNTS, type DiscountRecord, discountApplies, renderDiscount} from './discount-record.js'

/** Applies a coupon (directly or through a promotion code) at `start`, counting the redemption (SB-54, SB-61). */
export function applyCoupon(
  account: Account,
  input: {
    coupon: CouponRecord
    promotionCode: string | null
    customer: string
    /** Null for a customer's own discount (SB-T4). */
    subscription: string | null
    start: number
  },
  /** A customer's discount switched to another coupon keeps its id (SB-T4). */
  replacing?: DiscountRecord,
): DiscountRecord {
  const {coupon} = input
  const discount: DiscountRecord = {
    id: replacing?.id ?? account.newId('di_'),
    created: input.start,
    coupon: coupon.id,
    promotionCode: input.promotionCode,
    customer: input.customer,
    subscription: input.subscription,
    start: input.start,
    // A repeating discount ends duration_in_months after it was applied (SB-60).
    end:
      coupon.duration === 'repeating' && coupon.durationInMonths !== null
        ? addIntervals(input.start, 'month', coupon.durationInMonths)
        : null,
    spent: false,
    seq: replacing?.seq ?? account.nextSeq(),
  }
  account.store.of(DISCOUNTS).set(discount.id, discount)
  redeemCoupon(account, coupon)
  const code = input.promotionCode ? account.store.of(PROMOTION_CODES).get(input.promotionCode) : undefined
  if (code) redeemPromotionCode(account, code)
  return discount
}

export interface DiscountableLine {
  amount: number
  discountable: boolean
  discountAmounts: Array<{amount: number; discount: string}>
}

/**
 * Discount amounts per line (SB-59): percent-off takes its share of each discountable line;
 * amount-off is spread over the discountable lines in proportion to their amounts, the way flexible
 * billing mode applies discounts (SB-59), and never takes the invoice below zero (SB-59). Rounding to
 * the cent is ours: Stripe does not document it.
 */
export function applyDiscounts(account: Account, lines: DiscountableLine[], discountIds: string[]): void {
  for (const id of discountIds) {
    const discount = account.store.of(DISCOUNTS).get(id)
    const coupon = discount && account.store.of(COUPONS).get(discount.coupon)
    if (!discount || !coupon) continue
    const eligible = lines.filter((line) => line.discountable)
    const remaining = (line: DiscountableLine) =>
      Math.max(0, line.amount - line.discountAmounts.reduce((sum, d) => sum + d.amount, 0))
    if (coupon.percentOff !== null) {
      for (const line of eligible) {
        const amount = Math.round((remaining(line) * coupon.percentOff) / 100)
        if (amount > 0) line.discountAmounts.push({amount, discount: id})
      }
      continue
    }
    const base = eligible.reduce((sum, line) => sum + remaining(line), 0)
    // Never below 0 (SB-59): credit lines (prorations) count, as do the discounts applied before this one.
    const left = lines.reduce(
      (sum, line) => sum + line.amount - line.discountAmounts.reduce((given, d) => given + d.amount, 0),
      0,
    )
    const off = Math.max(0, Math.min(coupon.amountOff ?? 0, base, left))
    // Shares in proportion, summing exactly to the amount off (largest remainder); each at most its line.
    largestRemainder(eligible.map(remaining), off).forEach((share, index) => {
      if (share > 0) eligible[index]!.discountAmounts.push({amount: share, discount: id})
    })
  }
}

/** Discounts are not fetched on their own (SB-58); they are expanded from the objects that hold them. */
export const discounts: Resource = {
  object: 'discount',
  idPrefixes: ['di_'],
  routes: [],
  render: (account, id) => {
    const discount = account.store.of(DISCOUNTS).get(id)
    return discount && renderDiscount(discount)
  },
}
