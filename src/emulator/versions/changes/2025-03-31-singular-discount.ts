import {invalid} from '../../errors.js'
import type {ApiObject} from '../../resource.js'
import {type DowngradeContext, type VersionChange, idOf} from '../change.js'

const SUBSCRIPTION_WRITES = /^\/v1\/subscriptions(\/[^/]+)?$/

/** The one discount a subscription or invoice had before stacking: present only when it has exactly one. */
function single(object: ApiObject, ctx: DowngradeContext): void {
  const discounts = Array.isArray(object.discounts) ? object.discounts : []
  const only = discounts.length === 1 ? idOf(discounts[0]) : null
  object.discount = only === null ? null : (ctx.render(only) ?? null)
}

/**
 * Before basil subscriptions and invoices carry one `discount` (the Discount object), and
 * subscriptions take `coupon` and `promotion_code` parameters; basil kept only `discounts`
 * (SB-V9). Those parameters become one entry of `discounts`; a customer's own coupon, which has no
 * newer parameter, is read by the customers resource at the request's version (SB-T4).
 */
export const singularDiscount: VersionChange = {
  version: '2025-03-31.basil',
  name: 'singular-discount',
  rule: 'SB-V9',
  up(request) {
    if (request.method !== 'POST') return
    const {params} = request
    if (!SUBSCRIPTION_WRITES.test(request.path)) return
    const given = (['coupon', 'promotion_code'] as const).filter((param) => params[param] !== undefined)
    if (given.length === 0) return
    if (given.length > 1 || params.discounts !== undefined)
      throw invalid(`You may only specify one of these parameters: ${[...given, 'discounts'].join(', ')}.`, given[0])
    const param = given[0] as 'coupon' | 'promotion_code'
    const value = params[param]
    // An empty value removes the discount, as `discounts=''` does.
    params.discounts = value === '' ? '' : [{[param]: value}]
    delete params[param]
  },
  down: {
    subscription: single,
    invoice: single,
  },
}
