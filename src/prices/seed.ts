import Stripe from 'stripe'

import type {Plan} from '../config/schema.js'
import {readJsonFile, writeJsonFile} from '../files/atomic.js'
import {type PricesFile, PricesFileSchema} from '../files/formats.js'
import type {StripeGateway} from '../stripe/gateway.js'

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

export interface SeedPricesResult {
  file: string
  plans: SeededPlan[]
}

/** Stable per plan, whatever its amount: a re-run finds the price by it instead of creating another. */
export function lookupKeyFor(planKey: string): string {
  return `stripe_seed_${planKey}_monthly`
}

export function productIdFor(planKey: string): string {
  return `stripe_seed_${planKey}`
}

const LANE = 'prices'
const LOOKUP_KEYS_PER_LIST = 10 // prices.list takes up to 10 lookup_keys (stripe-facts #34)

/**
 * Creates a product and a monthly per-screen price for each plan, or finds them from an earlier run.
 * A price's amount can never change (#34): a changed amount gets a new price that takes over the
 * lookup key, and the old price is archived.
 */
export async function seedPrices(gateway: StripeGateway, plans: Plan[], options: {file: string; apiBase?: string; now: Date}): Promise<SeedPricesResult> {
  const existing = await findPricesByLookupKey(gateway, plans.map((plan) => lookupKeyFor(plan.key)))
  const seeded = await Promise.all(plans.map((plan) => seedPlan(gateway, plan, existing.get(lookupKeyFor(plan.key)))))

  const previous = await readJsonFile(options.file, PricesFileSchema, {missingHint: ''}).catch(() => undefined)
  await writeJsonFile(options.file, PricesFileSchema, toPricesFile(seeded, plans, previous, options))
  return {file: options.file, plans: seeded}
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

function matchesPlan(price: Stripe.Price, plan: Plan): boolean {
  return (
    price.active &&
    price.unit_amount === plan.unitAmount &&
    price.currency === plan.currency &&
    price.recurring?.interval === 'month' &&
    price.recurring.interval_count === 1
  )
}

async function seedPlan(gateway: StripeGateway, plan: Plan, existing: Stripe.Price | undefined): Promise<SeededPlan> {
  const lookupKey = lookupKeyFor(plan.key)
  const base = {key: plan.key, name: plan.name, unitAmount: plan.unitAmount, currency: plan.currency, lookupKey}
  if (existing && matchesPlan(existing, plan)) {
    return {...base, productId: productIdOf(existing), priceId: existing.id, outcome: 'existing'}
  }
  const lane = `${LANE}:${plan.key}`
  const productId = existing ? productIdOf(existing) : await ensureProduct(gateway, lane, plan)
  const price = await gateway.write(lane, undefined, (stripe, options) =>
    stripe.prices.create(
      {
        product: productId,
        currency: plan.currency,
        unit_amount: plan.unitAmount,
        recurring: {interval: 'month', interval_count: 1, usage_type: 'licensed'},
        lookup_key: lookupKey,
        transfer_lookup_key: existing !== undefined,
        nickname: `${plan.name} (per screen, monthly)`,
        metadata: {stripe_seed_plan: plan.key},
      },
      options,
    ),
  )
  if (!existing) return {...base, productId, priceId: price.id, outcome: 'created'}
  await gateway.write(lane, undefined, (stripe, options) => stripe.prices.update(existing.id, {active: false}, options))
  return {...base, productId, priceId: price.id, outcome: 'replaced', replacedPriceId: existing.id}
}

/** Products get a stable custom id, so a crash between product and price never leaves a duplicate. */
async function ensureProduct(gateway: StripeGateway, lane: string, plan: Plan): Promise<string> {
  const id = productIdFor(plan.key)
  try {
    const product = await gateway.write(lane, undefined, (stripe, options) =>
      stripe.products.create(
        {id, name: plan.name, ...(plan.description ? {description: plan.description} : {}), metadata: {stripe_seed_plan: plan.key}},
        options,
      ),
    )
    return product.id
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_already_exists') return id
    throw error
  }
}

function productIdOf(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id
}

function toPricesFile(seeded: SeededPlan[], plans: Plan[], previous: PricesFile | undefined, options: {apiBase?: string; now: Date}): PricesFile {
  const planNames = new Set(plans.map((plan) => plan.name))
  const priceToPlan: Record<string, string> = {}
  // Keep earlier prices of the same plans: subscriptions made before a price change still use them.
  if (previous && previous.api_base === options.apiBase) {
    for (const [priceId, name] of Object.entries(previous.price_to_plan)) if (planNames.has(name)) priceToPlan[priceId] = name
  }
  for (const plan of seeded) {
    if (plan.replacedPriceId) priceToPlan[plan.replacedPriceId] = plan.name
    priceToPlan[plan.priceId] = plan.name
  }
  return {
    price_ids: Object.fromEntries(seeded.map((plan) => [plan.key, plan.priceId])),
    price_to_plan: priceToPlan,
    plans: seeded.map((plan) => ({
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
  }
}
