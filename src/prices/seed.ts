import Stripe from 'stripe'

import {type Config, type Plan, hasScenarioFeatures} from '../config/schema.js'
import {BugError, UserError} from '../errors.js'
import {readJsonFile, writeJsonFile} from '../files/atomic.js'
import {type PricesFile, PricesFileSchema} from '../files/formats.js'
import {
  type BillingInterval,
  type Catalog,
  type CatalogCoupon,
  type CatalogPromotionCode,
  priceLookupKey,
  productIdFor,
  scenarioCatalog,
} from '../scenario/catalog.js'
import type {StripeGateway} from '../stripe/gateway.js'

export {productIdFor} from '../scenario/catalog.js'

export type PriceOutcome = 'created' | 'existing' | 'replaced'

export interface SeededPlan {
  key: string
  name: string
  unitAmount: number
  currency: string
  productId: string
  priceId: string
  lookupKey: string
  outcome: PriceOutcome
  /** The archived price whose amount no longer matched the config. */
  replacedPriceId?: string
}

/** One price of a scenario's catalog: a plan at an interval in a currency. */
export interface SeededPrice extends SeededPlan {
  interval: BillingInterval
}

export interface SeededCoupon {
  /** The config's coupon id. */
  key: string
  id: string
  outcome: 'created' | 'existing'
}

export interface SeededPromotionCode {
  code: string
  id: string
  coupon: string
  outcome: 'created' | 'existing'
}

export interface SeedPricesResult {
  file: string
  /** Each plan's monthly price in its own currency: the original's prices. */
  plans: SeededPlan[]
  /** Only when the config has scenario features: everything `scenarioCatalog` lists. */
  catalog?: {prices: SeededPrice[]; coupons: SeededCoupon[]; promotionCodes: SeededPromotionCode[]}
}

/** What a seed has in place so far: each price, coupon and promotion code once, found or created. */
export type SeedStep =
  | {kind: 'plan'; prices: number; coupons: number; promotionCodes: number}
  | {kind: 'price'; seeded: SeededPrice}
  | {kind: 'coupon'; seeded: SeededCoupon}
  | {kind: 'promotion code'; seeded: SeededPromotionCode}

export interface SeedPricesOptions {
  file: string
  apiBase?: string
  now: Date
  /** Told the totals once the reads are done, then each item as it is in place: progress, and how far an interrupted seed got. */
  onStep?: (step: SeedStep) => void
}

/** Stable per plan, whatever its amount: a re-run finds the price by it instead of creating another. */
export function lookupKeyFor(planKey: string): string {
  return priceLookupKey(planKey, 'month', 'own', 'own') // in the plan's own currency: no currency suffix
}

const LANE = 'prices'
const LOOKUP_KEYS_PER_LIST = 10 // prices.list takes up to 10 lookup_keys (SB-18)
const PROMOTION_CODES_PER_LIST = 100

/** What a price is of: a plan, or a scenario's add-on (its product is the catalog's). */
type PriceOwner = Pick<Plan, 'key' | 'name' | 'description'>

/** A price to find by its lookup key, or create. */
interface PriceToSeed {
  plan: PriceOwner
  interval: BillingInterval
  currency: string
  unitAmount: number
  lookupKey: string
  /** `transfer_lookup_key` is set per request: true only when another price holds the key. */
  params: Stripe.PriceCreateParams
}

/**
 * Creates what the config needs in Stripe, or finds it from an earlier run: for the original's
 * config a product and a monthly per-screen price per plan; for a config with scenario features
 * everything `scenarioCatalog(config)` lists (yearly and per-currency prices, coupons, promotion
 * codes). A price's amount can never change (SB-18): a changed amount gets a new price that takes
 * over the lookup key, and the old price is archived. A coupon cannot be edited (SB-54): one whose
 * terms differ from the config is refused before anything is created.
 */
export async function seedPrices(
  gateway: StripeGateway,
  config: Config,
  options: SeedPricesOptions,
): Promise<SeedPricesResult> {
  const catalog = hasScenarioFeatures(config) ? scenarioCatalog(config) : undefined
  const toSeed = catalog ? catalogPrices(catalog, config.plans) : config.plans.map(originalPrice)

  // Every read first, so a refused coupon or promotion code leaves the account as it was; prices and coupons on their own lanes.
  const [existing, discounts] = await settled(
    findPricesByLookupKey(
      gateway,
      toSeed.map((price) => price.lookupKey),
    ),
    catalog
      ? settled(findCoupons(gateway, catalog.coupons), findPromotionCodes(gateway, catalog.promotionCodes))
      : Promise.resolve(undefined),
  )

  const onStep = options.onStep ?? (() => {})
  onStep({
    kind: 'plan',
    prices: toSeed.length,
    coupons: catalog?.coupons.length ?? 0,
    promotionCodes: catalog?.promotionCodes.length ?? 0,
  })
  const products = new ProductsOnce(gateway, catalog)
  // Every write settles before a failure surfaces: an interrupted seed counts what it made, and no request outlives the call.
  const [prices, [seededCoupons, seededCodes]] = await settled(
    allSettled(
      toSeed.map(async (price) => {
        const seeded = await seedPrice(gateway, price, existing.get(price.lookupKey), products)
        onStep({kind: 'price', seeded})
        return seeded
      }),
    ),
    catalog && discounts
      ? seedDiscounts(gateway, catalog, ...discounts, onStep)
      : Promise.resolve([[], []] as [SeededCoupon[], SeededPromotionCode[]]),
  )

  const plans = config.plans.map((plan) => {
    const own = prices.find(
      (price) => price.key === plan.key && price.interval === 'month' && price.currency === plan.currency,
    )
    if (!own) throw new BugError(`no monthly ${plan.currency} price seeded for plan ${plan.key}`)
    const {interval: _interval, ...seeded} = own
    return seeded
  })
  const result: SeedPricesResult = {
    file: options.file,
    plans,
    ...(catalog ? {catalog: {prices, coupons: seededCoupons, promotionCodes: seededCodes}} : {}),
  }
  const previous = await readJsonFile(options.file, PricesFileSchema, {missingHint: ''}).catch(() => undefined)
  await writeJsonFile(options.file, PricesFileSchema, toPricesFile(result, config.plans, previous, options))
  return result
}

/** Both, or the first failure once neither has a request in flight any more (no read outlives the call). */
async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b])
  if (first.status === 'rejected') throw first.reason as Error
  if (second.status === 'rejected') throw second.reason as Error
  return [first.value, second.value]
}

/** Every value, or the first failure once all have settled. */
async function allSettled<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason as Error
  return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
}

/** The original's price: its params (and so its requests) are exactly what the tool always sent. */
function originalPrice(plan: Plan): PriceToSeed {
  const lookupKey = lookupKeyFor(plan.key)
  return {
    plan,
    interval: 'month',
    currency: plan.currency,
    unitAmount: plan.unitAmount,
    lookupKey,
    params: {
      product: productIdFor(plan.key),
      currency: plan.currency,
      unit_amount: plan.unitAmount,
      recurring: {interval: 'month', interval_count: 1, usage_type: 'licensed'},
      lookup_key: lookupKey,
      transfer_lookup_key: false,
      nickname: `${plan.name} (per screen, monthly)`,
      metadata: {stripe_seed_plan: plan.key},
    },
  }
}

function catalogPrices(catalog: Catalog, plans: Plan[]): PriceToSeed[] {
  return catalog.prices.map((price) => {
    const product = catalog.products.find((p) => p.plan === price.plan)
    const plan: PriceOwner | undefined =
      plans.find((p) => p.key === price.plan) ??
      (product && {key: price.plan, name: product.params.name, description: ''})
    if (!plan) throw new BugError(`catalog price ${price.lookupKey} names no plan or add-on of the config`)
    return {
      plan,
      interval: price.interval,
      currency: price.currency,
      unitAmount: price.unitAmount,
      lookupKey: price.lookupKey,
      params: price.params,
    }
  })
}

async function findPricesByLookupKey(gateway: StripeGateway, lookupKeys: string[]): Promise<Map<string, Stripe.Price>> {
  const found = new Map<string, Stripe.Price>()
  for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_LIST) {
    const chunk = lookupKeys.slice(i, i + LOOKUP_KEYS_PER_LIST)
    const page = await gateway.read(LANE, (stripe) => stripe.prices.list({lookup_keys: chunk, limit: 100}))
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price)
  }
  return found
}

function matches(price: Stripe.Price, wanted: PriceToSeed): boolean {
  return (
    price.active &&
    price.unit_amount === wanted.unitAmount &&
    price.currency === wanted.currency &&
    price.recurring?.interval === wanted.interval &&
    price.recurring.interval_count === 1
  )
}

async function seedPrice(
  gateway: StripeGateway,
  wanted: PriceToSeed,
  existing: Stripe.Price | undefined,
  products: ProductsOnce,
): Promise<SeededPrice> {
  const {plan, lookupKey} = wanted
  const base = {
    key: plan.key,
    name: plan.name,
    unitAmount: wanted.unitAmount,
    currency: wanted.currency,
    lookupKey,
    interval: wanted.interval,
  }
  if (existing && matches(existing, wanted)) {
    return {...base, productId: productIdOf(existing), priceId: existing.id, outcome: 'existing'}
  }
  const lane = `${LANE}:${plan.key}`
  const productId = existing ? productIdOf(existing) : await products.ensure(lane, plan)
  // The spread keeps each key where the params put it: the form body is the same bytes as always.
  const params: Stripe.PriceCreateParams = {
    ...wanted.params,
    product: productId,
    transfer_lookup_key: existing !== undefined,
  }
  const price = await gateway.write(lane, undefined, (stripe, options) => stripe.prices.create(params, options))
  if (!existing) return {...base, productId, priceId: price.id, outcome: 'created'}
  await gateway.write(lane, undefined, (stripe, options) => stripe.prices.update(existing.id, {active: false}, options))
  return {...base, productId, priceId: price.id, outcome: 'replaced', replacedPriceId: existing.id}
}

/**
 * Products get a stable custom id, so a crash between product and price never leaves a duplicate;
 * a plan with several new prices creates its product once.
 */
class ProductsOnce {
  private readonly pending = new Map<string, Promise<string>>()

  constructor(
    private readonly gateway: StripeGateway,
    private readonly catalog: Catalog | undefined,
  ) {}

  ensure(lane: string, plan: PriceOwner): Promise<string> {
    let product = this.pending.get(plan.key)
    if (!product) {
      product = this.create(lane, plan)
      this.pending.set(plan.key, product)
    }
    return product
  }

  private async create(lane: string, plan: PriceOwner): Promise<string> {
    const params = this.catalog?.products.find((product) => product.plan === plan.key)?.params ?? {
      id: productIdFor(plan.key),
      name: plan.name,
      ...(plan.description ? {description: plan.description} : {}),
      metadata: {stripe_seed_plan: plan.key},
    }
    try {
      const product = await this.gateway.write(lane, undefined, (stripe, options) =>
        stripe.products.create(params, options),
      )
      return product.id
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_already_exists')
        return params.id!
      throw error
    }
  }
}

function productIdOf(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id
}

const COUPONS_LANE = `${LANE}:coupons`

/** Coupons, then the promotion codes that redeem them (a code needs its coupon). */
async function seedDiscounts(
  gateway: StripeGateway,
  catalog: Catalog,
  coupons: Map<string, Stripe.Coupon>,
  promotionCodes: Map<string, Stripe.PromotionCode>,
  onStep: (step: SeedStep) => void,
): Promise<[SeededCoupon[], SeededPromotionCode[]]> {
  const seededCoupons = await allSettled(
    catalog.coupons.map(async (coupon) => {
      const seeded = await seedCoupon(gateway, coupon, coupons.get(coupon.id))
      onStep({kind: 'coupon', seeded})
      return seeded
    }),
  )
  const seededCodes = await allSettled(
    catalog.promotionCodes.map(async (code) => {
      const seeded = await seedPromotionCode(gateway, code, promotionCodes.get(code.code))
      onStep({kind: 'promotion code', seeded})
      return seeded
    }),
  )
  return [seededCoupons, seededCodes]
}

async function findCoupons(gateway: StripeGateway, wanted: CatalogCoupon[]): Promise<Map<string, Stripe.Coupon>> {
  const found = new Map<string, Stripe.Coupon>()
  for (const coupon of wanted) {
    const existing = await gateway.read(COUPONS_LANE, async (stripe) => {
      try {
        return await stripe.coupons.retrieve(coupon.id)
      } catch (error) {
        if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return undefined
        throw error
      }
    })
    if (!existing) continue
    const difference = couponDifference(existing, coupon.params)
    if (difference) {
      throw new UserError(
        `Coupon ${coupon.id} on this account is ${difference.found}, but the config's coupon "${coupon.key}" is ${difference.wanted}; Stripe cannot edit a coupon's terms (SB-54)`,
        {
          suggestion: `Give the coupon a new id in the config, or delete ${coupon.id} in the Dashboard (discounts already applied keep working) and seed again.`,
        },
      )
    }
    found.set(coupon.id, existing)
  }
  return found
}

/** The coupon's terms in words, when they are not the config's: `20% off forever`. */
function couponDifference(
  found: Stripe.Coupon,
  wanted: Stripe.CouponCreateParams,
): {found: string; wanted: string} | undefined {
  const foundTerms = couponTerms({
    percentOff: found.percent_off,
    amountOff: found.amount_off,
    currency: found.currency,
    duration: found.duration,
    months: found.duration_in_months,
  })
  const wantedTerms = couponTerms({
    percentOff: wanted.percent_off ?? null,
    amountOff: wanted.amount_off ?? null,
    currency: wanted.currency ?? null,
    duration: wanted.duration ?? 'once',
    months: wanted.duration_in_months ?? null,
  })
  return foundTerms === wantedTerms ? undefined : {found: foundTerms, wanted: wantedTerms}
}

function couponTerms(terms: {
  percentOff: number | null
  amountOff: number | null
  currency: string | null
  duration: string
  months: number | null
}): string {
  const off =
    terms.percentOff === null
      ? `${terms.amountOff} ${terms.currency?.toUpperCase() ?? ''} (minor units)`
      : `${terms.percentOff}%`
  const duration = terms.duration === 'repeating' ? `for ${terms.months} months` : terms.duration
  return `${off} off ${duration}`
}

async function seedCoupon(
  gateway: StripeGateway,
  coupon: CatalogCoupon,
  existing: Stripe.Coupon | undefined,
): Promise<SeededCoupon> {
  if (existing) return {key: coupon.key, id: existing.id, outcome: 'existing'}
  try {
    const created = await gateway.write(COUPONS_LANE, undefined, (stripe, options) =>
      stripe.coupons.create(coupon.params, options),
    )
    return {key: coupon.key, id: created.id, outcome: 'created'}
  } catch (error) {
    // Another seed created it between our read and this write: it has the config's terms only if it says so.
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_already_exists') {
      const [found] = (await findCoupons(gateway, [coupon])).values()
      if (found) return {key: coupon.key, id: found.id, outcome: 'existing'}
    }
    throw error
  }
}

async function findPromotionCodes(
  gateway: StripeGateway,
  wanted: CatalogPromotionCode[],
): Promise<Map<string, Stripe.PromotionCode>> {
  const found = new Map<string, Stripe.PromotionCode>()
  for (const code of wanted) {
    const page = await gateway.read(COUPONS_LANE, (stripe) =>
      stripe.promotionCodes.list({code: code.code, limit: PROMOTION_CODES_PER_LIST}),
    )
    // Codes are unique case-insensitively among active codes (SB-61); inactive ones can be redeemed by no one.
    const active = page.data.filter(
      (promo) => promo.active && promo.code.toLowerCase() === code.code.toLowerCase() && promo.customer === null,
    )
    const ours = active.find((promo) => couponOf(promo) === code.coupon)
    if (ours) {
      found.set(code.code, ours)
      continue
    }
    const other = active[0]
    if (other) {
      throw new UserError(
        `Promotion code ${code.code} on this account (${other.id}) redeems coupon ${couponOf(other)}, not ${code.coupon} as the config says`,
        {
          suggestion: `Choose another promotionCode in the config, or deactivate ${other.id} in the Dashboard and seed again.`,
        },
      )
    }
  }
  return found
}

function couponOf(promo: Stripe.PromotionCode): string | undefined {
  const coupon = promo.promotion.coupon
  return typeof coupon === 'string' ? coupon : coupon?.id
}

async function seedPromotionCode(
  gateway: StripeGateway,
  code: CatalogPromotionCode,
  existing: Stripe.PromotionCode | undefined,
): Promise<SeededPromotionCode> {
  if (existing) return {code: code.code, id: existing.id, coupon: code.coupon, outcome: 'existing'}
  const created = await gateway.write(COUPONS_LANE, undefined, (stripe, options) =>
    stripe.promotionCodes.create(code.params, options),
  )
  return {code: code.code, id: created.id, coupon: code.coupon, outcome: 'created'}
}

function toPricesFile(
  result: SeedPricesResult,
  plans: Plan[],
  previous: PricesFile | undefined,
  options: {apiBase?: string; now: Date},
): PricesFile {
  const planNames = new Set(plans.map((plan) => plan.name))
  const priceToPlan: Record<string, string> = {}
  // Keep earlier prices of the same plans: subscriptions made before a price change still use them.
  if (previous && previous.api_base === options.apiBase) {
    for (const [priceId, name] of Object.entries(previous.price_to_plan))
      if (planNames.has(name)) priceToPlan[priceId] = name
  }
  // A scenario's yearly and per-currency prices map to their plan too: subscriptions on them are of that plan.
  for (const price of result.catalog?.prices ?? result.plans) {
    if (price.replacedPriceId) priceToPlan[price.replacedPriceId] = price.name
    priceToPlan[price.priceId] = price.name
  }
  const catalog = result.catalog
  return {
    price_ids: Object.fromEntries(result.plans.map((plan) => [plan.key, plan.priceId])),
    price_to_plan: priceToPlan,
    plans: result.plans.map((plan) => ({
      key: plan.key,
      name: plan.name,
      price_id: plan.priceId,
      product_id: plan.productId,
      unit_amount: plan.unitAmount,
      currency: plan.currency,
      lookup_key: plan.lookupKey,
    })),
    ...(options.apiBase ? {api_base: options.apiBase} : {}),
    seeded_at: options.now.toISOString(),
    ...(catalog
      ? {
          catalog: {
            prices: Object.fromEntries(
              catalog.prices.map((price) => [
                price.lookupKey,
                {
                  price_id: price.priceId,
                  plan: price.key,
                  interval: price.interval,
                  currency: price.currency,
                  unit_amount: price.unitAmount,
                },
              ]),
            ),
            coupons: Object.fromEntries(catalog.coupons.map((coupon) => [coupon.key, coupon.id])),
            promotion_codes: Object.fromEntries(catalog.promotionCodes.map((code) => [code.code, code.id])),
          },
        }
      : {}),
  }
}
