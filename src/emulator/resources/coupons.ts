import type Stripe from 'stripe'
import {addIntervals} from '../../billing-time.js'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Metadata, checkParams, int, mergeMetadata, oneOf, optStr} from '../params.js'
import {COMMON, PAGINATION, type Resource, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import type {Wire} from '../wire.js'

export type CouponDuration = 'once' | 'repeating' | 'forever'

export interface CouponRecord {
  id: string
  created: number
  name: string | null
  percentOff: number | null
  amountOff: number | null
  currency: string | null
  duration: CouponDuration
  durationInMonths: number | null
  maxRedemptions: number | null
  redeemBy: number | null
  timesRedeemed: number
  metadata: Metadata
  deleted: boolean
  seq: number
}

export const COUPONS = collectionKey<CouponRecord>('coupons', 'coupon')

export function couponValid(coupon: CouponRecord, now: number): boolean {
  return (
    !coupon.deleted &&
    (coupon.maxRedemptions === null || coupon.timesRedeemed < coupon.maxRedemptions) &&
    (coupon.redeemBy === null || now < coupon.redeemBy)
  )
}

export function renderCoupon(account: Account, coupon: CouponRecord): Wire<Stripe.Coupon> {
  return {
    id: coupon.id,
    object: 'coupon',
    amount_off: coupon.amountOff,
    created: coupon.created,
    currency: coupon.currency,
    duration: coupon.duration,
    duration_in_months: coupon.durationInMonths,
    livemode: false,
    max_redemptions: coupon.maxRedemptions,
    metadata: coupon.metadata,
    name: coupon.name,
    percent_off: coupon.percentOff,
    redeem_by: coupon.redeemBy,
    times_redeemed: coupon.timesRedeemed,
    valid: couponValid(coupon, account.wallSeconds()),
  }
}

/**
 * A coupon that can still be applied: valid (SB-54), and not an amount-off forever coupon, which
 * since basil can no longer be applied to subscriptions (SB-55).
 */
export function applicableCoupon(account: Account, id: string, param: string, now: number): CouponRecord {
  const coupon = account.store.of(COUPONS).require(id, param)
  if (!couponValid(coupon, now)) throw invalid(`Coupon expired: ${coupon.id}`, param, 'coupon_expired')
  if (coupon.amountOff !== null && coupon.duration === 'forever')
    throw invalid(
      `Coupons with amount_off and duration=forever can no longer be applied to subscriptions (${coupon.id}).`,
      param,
    )
  return coupon
}

export function redeemCoupon(account: Account, coupon: CouponRecord): void {
  updating(
    account,
    'coupon.updated',
    null,
    () => renderCoupon(account, coupon),
    () => coupon.timesRedeemed++,
  )
}

export const coupons: Resource = {
  object: 'coupon',
  idPrefixes: [],
  render: (account, id) => {
    const coupon = account.store.of(COUPONS).get(id)
    return coupon && renderCoupon(account, coupon)
  },
  documentedParams: {
    file: 'Coupons.d.ts',
    interfaces: [
      'CouponCreateParams',
      'CouponRetrieveParams',
      'CouponUpdateParams',
      'CouponListParams',
      'CouponDeleteParams',
    ],
  },
  routes: [
    route('POST', '/v1/coupons', (ctx) => {
      checkParams(
        ctx.params,
        'CouponCreateParams',
        [
          ...COMMON,
          'amount_off',
          'currency',
          'duration',
          'duration_in_months',
          'id',
          'max_redemptions',
          'metadata',
          'name',
          'percent_off',
          'redeem_by',
          'currency_options',
          'applies_to',
        ],
        'POST /v1/coupons',
      )
      const {account, params: p} = ctx
      if (p.currency_options !== undefined) throw notModelled('coupon currency_options')
      if (p.applies_to !== undefined) throw notModelled('coupon applies_to (product-restricted coupons)')
      const coupons = account.store.of(COUPONS)
      const id = optStr(p.id, 'id') ?? account.newId('', 8)
      if (coupons.has(id))
        throw new ApiError(400, 'invalid_request_error', 'Coupon already exists.', 'resource_already_exists', 'id')
      // SB-54: percent_off (0 < p ≤ 100) or amount_off with a currency, not both.
      const percentOff = p.percent_off === undefined ? null : Number(p.percent_off)
      const amountOff = p.amount_off === undefined ? null : int(p.amount_off, 'amount_off', 1)
      if ((percentOff === null) === (amountOff === null))
        throw invalid(
          'You must pass exactly one of percent_off or amount_off.',
          percentOff === null ? 'percent_off' : 'amount_off',
        )
      if (percentOff !== null && !(percentOff > 0 && percentOff <= 100))
        throw invalid('percent_off must be greater than 0 and at most 100.', 'percent_off')
      const currency = optStr(p.currency, 'currency')?.toLowerCase() ?? null
      if (amountOff !== null && !currency) throw invalid('You must pass currency when passing amount_off.', 'currency')
      const duration =
        p.duration === undefined ? 'once' : oneOf(p.duration, 'duration', ['once', 'repeating', 'forever'] as const)
      // SB-55: since basil an amount-off coupon cannot last forever.
      if (amountOff !== null && duration === 'forever')
        throw invalid('Coupons with amount_off cannot have duration=forever.', 'duration')
      const durationInMonths =
        p.duration_in_months === undefined ? null : int(p.duration_in_months, 'duration_in_months', 1)
      if (duration === 'repeating' && durationInMonths === null)
        throw invalid(
          'duration_in_months is required when duration is repeating.',
          'duration_in_months',
          'parameter_missing',
        )
      if (duration !== 'repeating' && durationInMonths !== null)
        throw invalid('duration_in_months is only valid when duration is repeating.', 'duration_in_months')
      const now = account.wallSeconds()
      const redeemBy = p.redeem_by === undefined ? null : int(p.redeem_by, 'redeem_by')
      if (redeemBy !== null && (redeemBy <= now || redeemBy > addIntervals(now, 'year', 5)))
        throw invalid('redeem_by must be in the future and at most 5 years ahead.', 'redeem_by')
      const coupon: CouponRecord = {
        id,
        created: now,
        name: optStr(p.name, 'name') ?? null,
        percentOff,
        amountOff,
        currency: amountOff === null ? null : currency,
        duration,
        durationInMonths,
        maxRedemptions: p.max_redemptions === undefined ? null : int(p.max_redemptions, 'max_redemptions', 1),
        redeemBy,
        timesRedeemed: 0,
        metadata: mergeMetadata({}, p.metadata),
        deleted: false,
        seq: account.nextSeq(),
      }
      coupons.set(id, coupon)
      account.emit('coupon.created', () => renderCoupon(account, coupon), null)
      return renderCoupon(account, coupon)
    }),
    route('GET', '/v1/coupons/:id', (ctx) => {
      checkParams(ctx.params, 'CouponRetrieveParams', COMMON, 'GET /v1/coupons/{id}')
      const coupon = ctx.account.store.of(COUPONS).require(ctx.ids[0] ?? '')
      if (coupon.deleted)
        throw new ApiError(404, 'invalid_request_error', `No such coupon: '${coupon.id}'`, 'resource_missing', 'id')
      return renderCoupon(ctx.account, coupon)
    }),
    route('POST', '/v1/coupons/:id', (ctx) => {
      // Only metadata and name change; currency, duration and amounts are not editable by design (SB-54).
      checkParams(ctx.params, 'CouponUpdateParams', [...COMMON, 'metadata', 'name'], 'POST /v1/coupons/{id}')
      const {account, params} = ctx
      const coupon = account.store.of(COUPONS).require(ctx.ids[0] ?? '')
      updating(
        account,
        'coupon.updated',
        null,
        () => renderCoupon(account, coupon),
        () => {
          if (params.name !== undefined) coupon.name = optStr(params.name, 'name') ?? null
          coupon.metadata = mergeMetadata(coupon.metadata, params.metadata)
        },
      )
      return renderCoupon(account, coupon)
    }),
    route('GET', '/v1/coupons', (ctx) => {
      checkParams(ctx.params, 'CouponListParams', [...COMMON, ...PAGINATION], 'GET /v1/coupons')
      return list(
        ctx,
        [...ctx.account.store.of(COUPONS).values()].filter((c) => !c.deleted),
        (c) => renderCoupon(ctx.account, c),
      )
    }),
    route('DELETE', '/v1/coupons/:id', (ctx) => {
      checkParams(ctx.params, 'CouponDeleteParams', [], 'DELETE /v1/coupons/{id}')
      const {account} = ctx
      const coupon = account.store.of(COUPONS).require(ctx.ids[0] ?? '')
      if (coupon.deleted)
        throw new ApiError(404, 'invalid_request_error', `No such coupon: '${coupon.id}'`, 'resource_missing', 'id')
      // Discounts already applied keep working (SB-54); the record stays for them.
      const last = renderCoupon(account, coupon)
      coupon.deleted = true
      account.emit('coupon.deleted', () => last, null)
      return {id: coupon.id, object: 'coupon', deleted: true} satisfies Wire<Stripe.DeletedCoupon>
    }),
  ],
}
