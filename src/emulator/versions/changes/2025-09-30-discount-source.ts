import {type VersionChange, idOf} from '../change.js'

/** Before clover a Discount carries its Coupon, expanded, as `coupon`; clover moved it to `source` (SB-V6). */
export const discountSource: VersionChange = {
  version: '2025-09-30.clover',
  name: 'discount-source',
  rule: 'SB-V6',
  down: {
    discount(discount, ctx) {
      const source = discount.source as {coupon?: unknown} | null | undefined
      const coupon = idOf(source?.coupon)
      discount.coupon = coupon === null ? null : (ctx.render(coupon) ?? coupon)
      delete discount.source
    },
  },
}
