import type Stripe from 'stripe'

import type {Interval} from '../../billing-time.js'
import type {Account} from '../account.js'
import {invalid, notModelled} from '../errors.js'
import {
  type Metadata,
  type Raw,
  bool,
  currency as parseCurrency,
  objectArray,
  oneOf,
  checkNested,
  checkParams,
  int,
  mergeMetadata,
  optStr,
  required,
  str,
  strArray,
} from '../params.js'
import {COMMON, PAGINATION, type Resource, filter, list, route, updating} from '../resource.js'
import {collectionKey} from '../store.js'
import {attachableMeter} from './billing-meters.js'
import {PRODUCTS, addProduct} from './products.js'
import type {Wire} from '../wire.js'

export interface PriceRecord {
  id: string
  created: number
  product: string
  currency: string
  unitAmount: number
  /** `usageType` metered bills a meter's usage in arrears (SB-U11); absent means licensed. */
  recurring: {
    interval: Interval
    intervalCount: number
    usageType?: 'licensed' | 'metered'
    meter?: string | null
  } | null
  /** billing_scheme=tiered: the tiers and how they price a quantity (SB-U10); absent means per unit. */
  tiering?: {mode: 'graduated' | 'volume'; tiers: PriceTier[]}
  lookupKey: string | null
  active: boolean
  nickname: string | null
  metadata: Metadata
  /** Deleted through the Plans API: gone for new subscriptions, still billed on existing ones (SB-76). */
  deleted?: boolean
  seq: number
}

/** One tier: up to `upTo` units (null: `inf`), each at `unitAmount`, plus `flatAmount` for the tier. */
export interface PriceTier {
  upTo: number | null
  unitAmount: number
  flatAmount: number
}

export const PRICES = collectionKey<PriceRecord>('prices', 'price')

export function isMetered(price: PriceRecord): boolean {
  return price.recurring?.usageType === 'metered'
}

/**
 * What `quantity` units cost (SB-U10): per unit, or by tiers. Volume prices every unit at the tier
 * the quantity falls in, plus that tier's flat amount; graduated prices each unit at the tier it
 * falls in, plus the flat amount of every tier reached.
 */
export function priceAmount(price: PriceRecord, quantity: number): number {
  if (!price.tiering) return price.unitAmount * quantity
  const {mode, tiers} = price.tiering
  // Whether a first tier's flat fee is due for zero units is not documented.
  if (quantity === 0 && (tiers[0]?.flatAmount ?? 0) > 0)
    throw notModelled(`pricing 0 units of the tiered price ${price.id}, whose first tier has a flat_amount (SB-U10)`)
  if (mode === 'volume') {
    const tier = tiers.find((t) => t.upTo === null || quantity <= t.upTo) ?? tiers[tiers.length - 1]!
    return quantity * tier.unitAmount + tier.flatAmount
  }
  let amount = 0
  let below = 0
  for (const tier of tiers) {
    if (quantity <= below) break
    const units = Math.min(quantity, tier.upTo ?? Infinity) - below
    amount += units * tier.unitAmount + tier.flatAmount
    below = tier.upTo ?? Infinity
  }
  return amount
}

/** A price's `tiers`, present only when expanded (SB-U10). */
export function renderTiers(price: PriceRecord): Array<Wire<Stripe.Price.Tier>> | undefined {
  return price.tiering?.tiers.map((tier) => ({
    flat_amount: tier.flatAmount,
    flat_amount_decimal: String(tier.flatAmount),
    unit_amount: tier.unitAmount,
    unit_amount_decimal: String(tier.unitAmount),
    up_to: tier.upTo,
  }))
}

export function renderPrice(price: PriceRecord): Wire<Stripe.Price> {
  const unitAmount = price.tiering ? null : price.unitAmount
  return {
    id: price.id,
    object: 'price',
    active: price.active,
    billing_scheme: price.tiering ? 'tiered' : 'per_unit',
    created: price.created,
    currency: price.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: price.lookupKey,
    metadata: price.metadata,
    nickname: price.nickname,
    product: price.product,
    recurring: price.recurring
      ? {
          interval: price.recurring.interval,
          interval_count: price.recurring.intervalCount,
          meter: price.recurring.meter ?? null,
          trial_period_days: null,
          usage_type: price.recurring.usageType ?? 'licensed',
        }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: price.tiering?.mode ?? null,
    transform_quantity: null,
    type: price.recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: unitAmount === null ? null : String(unitAmount),
  }
}

/** The legacy Plan shape a subscription item still carries beside its price. */
export function renderPlan(price: PriceRecord): Wire<Stripe.Plan> {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.tiering ? null : price.unitAmount,
    amount_decimal: price.tiering ? null : String(price.unitAmount),
    billing_scheme: price.tiering ? 'tiered' : 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.intervalCount ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: price.recurring?.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiering?.mode ?? null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: price.recurring?.usageType ?? 'licensed',
  }
}

/** A price that has not been deleted as a plan (SB-76), else Stripe's 404. */
export function livePrice(account: Account, id: string, param = 'id'): PriceRecord {
  const price = account.store.of(PRICES).require(id, param)
  if (price.deleted) throw account.store.of(PRICES).missing(id, param)
  return price
}

/** A billing period: day, week, month or year, at most three years long (SB-19). */
export function billingPeriod(
  intervalValue: unknown,
  countValue: unknown,
  names: {interval: string; count: string},
): {interval: Interval; intervalCount: number} {
  const interval = str(intervalValue, names.interval)
  if (!['day', 'week', 'month', 'year'].includes(interval))
    throw invalid(`Invalid ${names.interval}: must be one of day, week, month, or year`, names.interval)
  const intervalCount = countValue === undefined ? 1 : int(countValue, names.count, 1)
  const maxCount = {day: 1095, week: 156, month: 36, year: 3}[interval as Interval]
  if (intervalCount > maxCount)
    throw invalid(`The maximum billing interval is 3 years (${maxCount} ${interval}s).`, names.count)
  return {interval: interval as Interval, intervalCount}
}

/** A recurring, active price for a subscription item. */
export function recurringPrice(
  account: Account,
  id: string,
  param: string,
): PriceRecord & {recurring: NonNullable<PriceRecord['recurring']>} {
  const price = livePrice(account, id, param)
  if (!price.recurring)
    throw invalid(
      `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
      param,
    )
  if (!price.active) throw invalid(`The price specified is inactive. This field only accepts active prices.`, param)
  return price as PriceRecord & {recurring: NonNullable<PriceRecord['recurring']>}
}

/** `tiers_mode` and `tiers` of a tiered price: ascending bounds, the last one `inf` (SB-U10). */
function parseTiering(params: Raw): NonNullable<PriceRecord['tiering']> {
  const mode = oneOf(required(params, 'tiers_mode'), 'tiers_mode', ['graduated', 'volume'] as const)
  const raw = objectArray(required(params, 'tiers'), 'tiers')
  if (raw.length === 0) throw invalid('Missing required param: tiers.', 'tiers', 'parameter_missing')
  const tiers = raw.map((tier, index): PriceTier => {
    const path = `tiers[${index}]`
    const t = checkNested(
      tier,
      path,
      ['flat_amount', 'flat_amount_decimal', 'unit_amount', 'unit_amount_decimal', 'up_to'],
      ['flat_amount', 'unit_amount', 'up_to'],
      'POST /v1/prices',
    )
    const upTo = required(t, 'up_to')
    if (t.unit_amount === undefined && t.flat_amount === undefined)
      throw invalid(`Each tier needs a unit_amount or a flat_amount.`, path)
    return {
      upTo: upTo === 'inf' ? null : int(upTo, `${path}[up_to]`, 1),
      unitAmount: t.unit_amount === undefined ? 0 : int(t.unit_amount, `${path}[unit_amount]`),
      flatAmount: t.flat_amount === undefined ? 0 : int(t.flat_amount, `${path}[flat_amount]`),
    }
  })
  for (const [index, tier] of tiers.entries()) {
    const last = index === tiers.length - 1
    if (last !== (tier.upTo === null))
      throw invalid('The last tier, and only the last, must have up_to=inf.', `tiers[${index}][up_to]`)
    const previous = tiers[index - 1]?.upTo
    if (previous !== undefined && previous !== null && tier.upTo !== null && tier.upTo <= previous)
      throw invalid('Tiers must be in ascending order of up_to.', `tiers[${index}][up_to]`)
  }
  return {mode, tiers}
}

/** A lookup key names one price at a time; `transfer_lookup_key` moves it (SB-18). */
function claimLookupKey(account: Account, key: string, transfer: boolean): void {
  for (const other of account.store.of(PRICES).values()) {
    if (other.lookupKey !== key) continue
    if (!transfer) throw invalid(`A price (\`${other.id}\`) already uses that lookup key.`, 'lookup_key')
    updating(
      account,
      'price.updated',
      null,
      () => renderPrice(other),
      () => (other.lookupKey = null),
    )
  }
}

export const prices: Resource = {
  object: 'price',
  idPrefixes: ['price_'],
  on: {
    // A product with prices cannot be deleted; a deleted plan no longer counts (SB-K7).
    productDeleting: (account, {productId}) => {
      for (const price of account.store.of(PRICES).values())
        if (price.product === productId && !price.deleted)
          throw invalid('This product cannot be deleted because it has one or more user-created prices.', 'id')
    },
  },
  render: (account, id) => {
    const price = account.store.of(PRICES).get(id)
    return price && renderPrice(price)
  },
  // Includable: present only when expanded (SB-C3, SB-U10). A per-unit price has no tiers, and its one
  // currency is its only option.
  includable: {
    tiers: (account, id) => {
      const price = account.store.of(PRICES).get(id)
      return price && (renderTiers(price) ?? [])
    },
    currency_options: (account, id) => {
      const price = account.store.of(PRICES).get(id)
      if (!price) return undefined
      return {
        [price.currency]: {
          custom_unit_amount: null,
          tax_behavior: 'unspecified',
          unit_amount: price.unitAmount,
          unit_amount_decimal: String(price.unitAmount),
        },
      }
    },
  },
  documentedParams: {
    file: 'Prices.d.ts',
    interfaces: ['PriceCreateParams', 'PriceUpdateParams', 'PriceListParams', 'PriceRetrieveParams'],
  },
  routes: [
    route('POST', '/v1/prices', (ctx) => {
      checkParams(
        ctx.params,
        'PriceCreateParams',
        [
          ...COMMON,
          'currency',
          'unit_amount',
          'product',
          'product_data',
          'recurring',
          'lookup_key',
          'transfer_lookup_key',
          'nickname',
          'metadata',
          'active',
          'billing_scheme',
          'tax_behavior',
          'tiers',
          'tiers_mode',
        ],
        'POST /v1/prices',
      )
      const {account, params} = ctx
      const billingScheme =
        params.billing_scheme === undefined
          ? 'per_unit'
          : oneOf(params.billing_scheme, 'billing_scheme', ['per_unit', 'tiered'] as const)
      const tiering = billingScheme === 'tiered' ? parseTiering(params) : undefined
      if (!tiering && (params.tiers !== undefined || params.tiers_mode !== undefined))
        throw invalid('`tiers` and `tiers_mode` can only be used with billing_scheme=tiered.', 'tiers')
      if (params.tax_behavior !== undefined && params.tax_behavior !== 'unspecified')
        throw notModelled(`tax_behavior=${params.tax_behavior as string}`) // checkParams held it to the spec's enum
      if (params.product !== undefined && params.product_data !== undefined)
        throw invalid('You may only specify one of these parameters: product, product_data.', 'product')
      let recurring: PriceRecord['recurring'] = null
      if (params.recurring !== undefined) {
        const r = checkNested(
          params.recurring,
          'recurring',
          ['interval', 'interval_count', 'meter', 'trial_period_days', 'usage_type'],
          ['interval', 'interval_count', 'usage_type', 'meter'],
          'POST /v1/prices',
        )
        const usageType =
          r.usage_type === undefined
            ? 'licensed'
            : oneOf(r.usage_type, 'recurring[usage_type]', ['licensed', 'metered'] as const)
        const meter =
          r.meter === undefined
            ? null
            : attachableMeter(account, str(r.meter, 'recurring[meter]'), 'recurring[meter]').id
        if (usageType === 'licensed' && meter !== null)
          throw invalid('A meter can only be set on a price with recurring[usage_type]=metered.', 'recurring[meter]')
        // Metered prices bill a Billing Meter's usage (SB-U11); the usage records before basil are not modelled.
        if (usageType === 'metered' && meter === null) {
          if (ctx.apiVersion !== null && ctx.apiVersion < '2025-03-31')
            throw notModelled('metered prices without recurring[meter] (usage records, before basil)')
          throw invalid('A metered price requires recurring[meter].', 'recurring[meter]', 'parameter_missing')
        }
        recurring = {
          ...billingPeriod(required(r, 'interval'), r.interval_count, {
            interval: 'recurring[interval]',
            count: 'recurring[interval_count]',
          }),
          ...(usageType === 'metered' ? {usageType, meter} : {}),
        }
      }
      const currency = parseCurrency(required(params, 'currency'), 'currency')
      if (tiering && params.unit_amount !== undefined)
        throw invalid('unit_amount cannot be used with billing_scheme=tiered; set it on each tier.', 'unit_amount')
      const unitAmount = tiering ? 0 : int(required(params, 'unit_amount'), 'unit_amount')
      let productId: string
      if (params.product_data !== undefined) {
        const data = checkNested(
          params.product_data,
          'product_data',
          ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label'],
          ['active', 'id', 'metadata', 'name', 'statement_descriptor', 'unit_label'],
          'POST /v1/prices',
        )
        productId = addProduct(
          account,
          data,
          {
            id: optStr(data.id, 'product_data[id]') ?? undefined,
            name: str(required(data, 'name'), 'product_data[name]'),
            description: null,
          },
          'product_data[',
        ).id
      } else {
        productId = account.store.of(PRODUCTS).require(str(required(params, 'product'), 'product'), 'product').id
      }
      const lookupKey = optStr(params.lookup_key, 'lookup_key') ?? null
      if (lookupKey)
        claimLookupKey(
          account,
          lookupKey,
          params.transfer_lookup_key === undefined ? false : bool(params.transfer_lookup_key, 'transfer_lookup_key'),
        )
      const price: PriceRecord = {
        id: account.newId('price_'),
        created: account.wallSeconds(),
        product: productId,
        currency,
        unitAmount,
        recurring,
        ...(tiering ? {tiering} : {}),
        lookupKey,
        active: params.active === undefined ? true : bool(params.active, 'active'),
        nickname: optStr(params.nickname, 'nickname') ?? null,
        metadata: mergeMetadata({}, params.metadata),
        seq: account.nextSeq(),
      }
      account.store.of(PRICES).set(price.id, price)
      account.emit('price.created', () => renderPrice(price), null)
      return renderPrice(price)
    }),
    route('GET', '/v1/prices/:id', (ctx) => {
      checkParams(ctx.params, 'PriceRetrieveParams', COMMON, 'GET /v1/prices/{id}')
      return renderPrice(livePrice(ctx.account, ctx.ids[0] ?? ''))
    }),
    route('POST', '/v1/prices/:id', (ctx) => {
      checkParams(
        ctx.params,
        'PriceUpdateParams',
        [...COMMON, 'active', 'lookup_key', 'transfer_lookup_key', 'metadata', 'nickname', 'tax_behavior'],
        'POST /v1/prices/{id}',
      )
      const {account, params} = ctx
      const price = livePrice(account, ctx.ids[0] ?? '')
      if (params.tax_behavior !== undefined) throw notModelled('changing tax_behavior')
      // A price's amount never changes (SB-18): only these fields do.
      let key: string | null | undefined
      if (params.lookup_key !== undefined) {
        key = optStr(params.lookup_key, 'lookup_key') ?? null
        if (key && key !== price.lookupKey)
          claimLookupKey(
            account,
            key,
            params.transfer_lookup_key === undefined ? false : bool(params.transfer_lookup_key, 'transfer_lookup_key'),
          )
      }
      updating(
        account,
        'price.updated',
        null,
        () => renderPrice(price),
        () => {
          if (params.active !== undefined) price.active = bool(params.active, 'active')
          if (params.nickname !== undefined) price.nickname = optStr(params.nickname, 'nickname') ?? null
          if (key !== undefined) price.lookupKey = key
          price.metadata = mergeMetadata(price.metadata, params.metadata)
        },
      )
      return renderPrice(price)
    }),
    route('GET', '/v1/prices', (ctx) => {
      checkParams(
        ctx.params,
        'PriceListParams',
        [...COMMON, 'active', 'currency', 'lookup_keys', 'product', 'type', ...PAGINATION],
        'GET /v1/prices',
      )
      const p = ctx.params
      const lookupKeys = new Set(strArray(p.lookup_keys, 'lookup_keys'))
      if (lookupKeys.size > 10) throw invalid('You may only specify up to 10 lookup keys.', 'lookup_keys') // SB-18
      const active = p.active === undefined ? undefined : bool(p.active, 'active')
      return list(
        ctx,
        filter(
          ctx.account.store.of(PRICES).values(),
          (price) =>
            !price.deleted &&
            (active === undefined || price.active === active) &&
            (lookupKeys.size === 0 || (price.lookupKey !== null && lookupKeys.has(price.lookupKey))) &&
            (p.product === undefined || price.product === p.product) &&
            (p.currency === undefined || price.currency === p.currency) &&
            (p.type === undefined || (p.type === 'recurring') === (price.recurring !== null)),
        ),
        renderPrice,
      )
    }),
  ],
}
