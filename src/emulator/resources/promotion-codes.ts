import type Stripe from 'stripe'
import type {Account} from '../account.js'
import {ApiError, invalid, notModelled} from '../errors.js'
import {type Metadata, bool, checkNested, checkParams, int, mergeMetadata, optStr, required, str} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {COUPONS, couponValid} from './coupons.js'
import {CUSTOMERS} from './customers/record.js'
import type {Wire} from '../wire.js'

export interface PromotionCodeRecord {
  id: string
  created: number
  code: string
  coupon: string
  customer: string | null
  active: boolean
  maxRedemptions: number | null
  expiresAt: number | null
  timesRedeemed: number
  firstTimeTransaction: boolean
  metadata: Metadata
  seq: number
}

export const PROMOTION_CODES = collectionKey<PromotionCodeRecord>('promotionCodes', 'promotion code')

/** Active only while it is switched on, unexpired, under its redemption cap and its coupon is valid (SB-61). */
export function promotionCodeActive(account: Account, code: PromotionCodeRecord, now: number): boolean {
  const coupon = account.store.of(COUPONS).get(code.coupon)
  return (
    code.active &&
    (code.expiresAt === null || now < code.expiresAt) &&
    (code.maxRedemptions === null || code.timesRedeemed < code.maxRedemptions) &&
    coupon !== undefined &&
    couponValid(coupon, now)
  )
}

export function renderPromotionCode(account: Account, code: PromotionCodeRecord): Wire<Stripe.PromotionCode> {
  return {
    id: code.id,
    object: 'promotion_code',
    active: promotionCodeActive(account, code, account.wallSeconds()),
    code: code.code,
    created: code.created,
    customer: code.customer,
    customer_account: null,
    expires_at: code.expiresAt,
    livemode: false,
    max_redemptions: code.maxRedemptions,
    metadata: code.metadata,
    // Since clover a promotion code points at its coupon through `promotion` (SB-61).
    promotion: {coupon: code.coupon, type: 'coupon'},
    restrictions: {
      first_time_transaction: code.firstTimeTransaction,
      minimum_amount: null,
      minimum_amount_currency: null,
    },
    times_redeemed: code.timesRedeemed,
  }
}

export function redeemPromotionCode(account: Account, code: PromotionCodeRecord): void {
  updating(
    account,
    'promotion_code.updated',
    null,
    () => renderPromotionCode(account, code),
    () => code.timesRedeemed++,
  )
}

const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

export const promotionCodes: Resource = {
  object: 'promotion_code',
  idPrefixes: ['promo_'],
  render: (account, id) => {
    const code = account.store.of(PROMOTION_CODES).get(id)
    return code && renderPromotionCode(account, code)
  },
  documentedParams: {
    file: 'PromotionCodes.d.ts',
    interfaces: [
      'PromotionCodeCreateParams',
      'PromotionCodeRetrieveParams',
      'PromotionCodeUpdateParams',
      'PromotionCodeListParams',
    ],
  },
  routes: [
    route('POST', '/v1/promotion_codes', (ctx) => {
      const endpoint = 'POST /v1/promotion_codes'
      checkParams(
        ctx.params,
        'PromotionCodeCreateParams',
        [
          ...COMMON,
          'promotion',
          'active',
          'code',
          'customer',
          'expires_at',
          'max_redemptions',
          'metadata',
          'restrictions',
        ],
        endpoint,
      )
      const {account, params: p} = ctx
      const promotion = checkNested(
        required(p, 'promotion'),
        'promotion',
        ['coupon', 'type'],
        ['coupon', 'type'],
        endpoint,
      )
      if (promotion.type !== 'coupon') throw invalid('promotion[type] must be coupon.', 'promotion[type]')
      const coupon = account.store
        .of(COUPONS)
        .require(str(required(promotion, 'coupon'), 'promotion[coupon]'), 'promotion[coupon]')
      let firstTimeTransaction = false
      if (p.restrictions !== undefined) {
        const r = checkNested(
          p.restrictions,
          'restrictions',
          ['currency_options', 'first_time_transaction', 'minimum_amount', 'minimum_amount_currency'],
          ['first_time_transaction'],
          endpoint,
        )
        if (r.first_time_transaction !== undefined)
          firstTimeTransaction = bool(r.first_time_transaction, 'restrictions[first_time_transaction]')
        if (firstTimeTransaction) throw notModelled('restrictions[first_time_transaction] on promotion codes')
      }
      const now = account.wallSeconds()
      const codes = account.store.of(PROMOTION_CODES)
      let code = optStr(p.code, 'code') ?? undefined
      if (code !== undefined && !/^[a-zA-Z0-9-]+$/.test(code))
        throw invalid('A promotion code may contain only letters, digits and dashes.', 'code')
      code ??= Array.from({length: 8}, () => CODE_CHARS[Math.floor(account.options.random() * CODE_CHARS.length)]).join(
        '',
      )
      const customer = optStr(p.customer, 'customer') ?? null
      if (customer) account.store.of(CUSTOMERS).require(customer, 'customer')
      // A code is unique, case-insensitively, among active codes (SB-61).
      const taken = [...codes.values()].some(
        (other) =>
          other.code.toLowerCase() === code.toLowerCase() &&
          promotionCodeActive(account, other, now) &&
          (other.customer === null || customer === null || other.customer === customer),
      )
      if (taken)
        throw new ApiError(
          400,
          'invalid_request_error',
          `An active promotion code with \`code: ${code}\` already exists.`,
          'resource_already_exists',
          'code',
        )
      const record: PromotionCodeRecord = {
        id: account.newId('promo_'),
        created: now,
        code,
        coupon: coupon.id,
        customer,
        active: p.active === undefined ? true : bool(p.active, 'active'),
        maxRedemptions: p.max_redemptions === undefined ? null : int(p.max_redemptions, 'max_redemptions', 1),
        expiresAt: p.expires_at === undefined ? null : int(p.expires_at, 'expires_at'),
        timesRedeemed: 0,
        firstTimeTransaction,
        metadata: mergeMetadata({}, p.metadata),
        seq: account.nextSeq(),
      }
      codes.set(record.id, record)
      account.emit('promotion_code.created', () => renderPromotionCode(account, record), null)
      return renderPromotionCode(account, record)
    }),
    route('GET', '/v1/promotion_codes/:id', (ctx) => {
      checkParams(ctx.params, 'PromotionCodeRetrieveParams', COMMON, 'GET /v1/promotion_codes/{id}')
      return renderPromotionCode(ctx.account, ctx.account.store.of(PROMOTION_CODES).require(ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/promotion_codes/:id', (ctx) => {
      checkParams(
        ctx.params,
        'PromotionCodeUpdateParams',
        [...COMMON, 'active', 'metadata'],
        'POST /v1/promotion_codes/{id}',
      )
      const {account, params} = ctx
      const code = account.store.of(PROMOTION_CODES).require(ctx.ids[0] ?? '')
      updating(
        account,
        'promotion_code.updated',
        null,
        () => renderPromotionCode(account, code),
        () => {
          if (params.active !== undefined) code.active = bool(params.active, 'active')
          code.metadata = mergeMetadata(code.metadata, params.metadata)
        },
      )
      return renderPromotionCode(account, code)
    }),
    route('GET', '/v1/promotion_codes', (ctx) => {
      checkParams(
        ctx.params,
        'PromotionCodeListParams',
        [...COMMON, 'active', 'code', 'coupon', 'customer', ...PAGINATION],
        'GET /v1/promotion_codes',
      )
      const {account, params: p} = ctx
      const now = account.wallSeconds()
      const active = p.active === undefined ? undefined : bool(p.active, 'active')
      return list(
        ctx,
        filter(
          account.store.of(PROMOTION_CODES).values(),
          (c) =>
            (active === undefined || promotionCodeActive(account, c, now) === active) &&
            (p.code === undefined || c.code === p.code) &&
            (p.coupon === undefined || c.coupon === p.coupon) &&
            (p.customer === undefined || c.customer === p.customer),
        ),
        (c) => renderPromotionCode(account, c),
      )
    }),
  ],
}
