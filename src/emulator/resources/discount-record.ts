/** The Discount as stored and rendered: a leaf module, so customers can show theirs without importing coupons (no cycle). */
import type {ApiObject} from '../resource.js'
import {collectionKey} from '../store.js'

/** A coupon applied to a subscription or a customer (SB-T4): what an invoice discounts, and until when. */
export interface DiscountRecord {
  id: string
  created: number
  coupon: string
  promotionCode: string | null
  customer: string
  subscription: string | null
  start: number
  /** Only repeating coupons end (SB-58); once and forever have none. */
  end: number | null
  /** A `once` discount is spent after the first invoice it applied to (SB-60). */
  spent: boolean
  seq: number
}

export const DISCOUNTS = collectionKey<DiscountRecord>('discounts', 'discount')

export function renderDiscount(discount: DiscountRecord): ApiObject {
  return {
    id: discount.id,
    object: 'discount',
    checkout_session: null,
    customer: discount.customer,
    customer_account: null,
    end: discount.end,
    invoice: null,
    invoice_item: null,
    promotion_code: discount.promotionCode,
    // Since clover the coupon sits under `source` and is no longer expanded by itself (SB-58).
    source: {coupon: discount.coupon, type: 'coupon'},
    start: discount.start,
    subscription: discount.subscription,
    subscription_item: null,
  }
}

/** Whether a discount applies to an invoice created at `at`. */
export function discountApplies(discount: DiscountRecord, at: number): boolean {
  return !discount.spent && (discount.end === null || at < discount.end)
}
