import {ApiError} from '../../errors.js'
import {type VersionChange, idOf} from '../change.js'

/**
 * Before clover a PromotionCode names its coupon as `coupon` (expanded), and is created with
 * `coupon=…`; clover moved both to `promotion: {type: 'coupon', coupon}` (SB-V7).
 */
export const promotionCodePromotion: VersionChange = {
  version: '2025-09-30.clover',
  name: 'promotion-code-promotion',
  rule: 'SB-V7',
  up(request) {
    if (request.method !== 'POST' || request.path !== '/v1/promotion_codes') return
    if (request.params.promotion !== undefined)
      throw new ApiError(
        400,
        'invalid_request_error',
        'Received unknown parameter: promotion',
        'parameter_unknown',
        'promotion',
      )
    if (request.params.coupon === undefined) return
    request.params.promotion = {type: 'coupon', coupon: request.params.coupon}
    delete request.params.coupon
  },
  down: {
    promotion_code(code, ctx) {
      const promotion = code.promotion as {coupon?: unknown} | null | undefined
      const coupon = idOf(promotion?.coupon)
      code.coupon = coupon === null ? null : (ctx.render(coupon) ?? coupon)
      delete code.promotion
    },
  },
}
