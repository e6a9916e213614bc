import {join} from 'node:path'
import Stripe from 'stripe'

import type {Config, Plan} from '../config/schema.js'
import {UserError} from '../errors.js'
import {readJsonFile} from '../files/atomic.js'
import {type PricesFile, PricesFileSchema} from '../files/formats.js'
import {type HeldLock, acquireLock, assertWritable} from '../files/lock.js'
import {scenarioCatalog} from '../scenario/catalog.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {stateDir} from './journal.js'

const LOOKUP_KEYS_PER_LIST = 10 // prices.list takes up to 10 lookup_keys (SB-18)
const FIX = 'Run `stripe-seed prices seed` against this account (or pass --seed-prices), then run again.'

/** Local checks first, no request: the out-dir takes files, and no other live run holds it. */
export async function lockOutDir(outDir: string, purpose: string): Promise<HeldLock> {
  await assertWritable(outDir)
  await assertWritable(stateDir(outDir))
  return acquireLock(join(stateDir(outDir), 'lock'), purpose)
}

export async function readPrices(path: string): Promise<PricesFile> {
  return readJsonFile(path, PricesFileSchema, {
    missingHint: 'run `stripe-seed prices seed` first, or pass --seed-prices',
  })
}

/**
 * Every plan's price in stripe_prices.json exists on this account, is active, and has the
 * config's amount and currency. One list by lookup key per ten plans: also the cheap read that
 * proves the key works, before anything is deleted or created.
 */
export async function checkPrices(
  gateway: StripeGateway,
  plans: Plan[],
  prices: PricesFile,
  file: string,
): Promise<void> {
  const missing = plans.filter((plan) => !prices.price_ids[plan.key])
  if (missing.length > 0)
    throw new UserError(`${file} has no price for plan ${missing.map((plan) => `"${plan.key}"`).join(', ')}`, {
      suggestion: FIX,
    })
  const entries = plans.map((plan) => ({plan, entry: prices.plans.find((p) => p.key === plan.key)}))
  const lookupKeys = entries.flatMap(({entry}) => (entry ? [entry.lookup_key] : []))
  const found = new Map<string, Stripe.Price>()
  for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_LIST) {
    const page = await gateway.read('preflight', (stripe) =>
      stripe.prices.list({lookup_keys: lookupKeys.slice(i, i + LOOKUP_KEYS_PER_LIST), limit: 100}),
    )
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price)
  }
  for (const {plan, entry} of entries) {
    const priceId = prices.price_ids[plan.key]!
    const price = entry ? found.get(entry.lookup_key) : undefined
    const problem =
      price?.id !== priceId
        ? `price ${priceId} of plan "${plan.key}" is not on this account`
        : !price.active
          ? `price ${priceId} of plan "${plan.key}" is archived`
          : price.unit_amount !== plan.unitAmount || price.currency !== plan.currency
            ? `price ${priceId} of plan "${plan.key}" is ${price.unit_amount} ${price.currency}, the config says ${plan.unitAmount} ${plan.currency}`
            : undefined
    if (problem) throw new UserError(`${file} does not match this Stripe account: ${problem}`, {suggestion: FIX})
  }
}

/**
 * A scenario's catalog (yearly and per-currency prices, coupons, promotion codes) is in
 * stripe_prices.json as the config says, and on this account: prices by lookup key, ten per list;
 * each coupon and promotion code once. Returns the coupons, which the ledger needs to read discounts
 * (a discount names its coupon by id, SB-V6). Nothing is created or deleted here.
 */
export async function checkCatalog(
  gateway: StripeGateway,
  config: Config,
  prices: PricesFile,
  file: string,
  scenarioName: string | undefined,
): Promise<Map<string, Stripe.Coupon>> {
  const fix = `Run \`stripe-seed prices seed${scenarioName ? ` --scenario ${scenarioName}` : ''}\` against this account (or pass --seed-prices), then run again.`
  const mismatch = (problem: string) =>
    new UserError(`${file} does not hold this scenario's prices and coupons: ${problem}`, {suggestion: fix})
  const wanted = scenarioCatalog(config)
  const catalog = prices.catalog
  if (!catalog) throw mismatch('it has no catalog')
  for (const price of wanted.prices) {
    const held = catalog.prices[price.lookupKey]
    if (!held) throw mismatch(`no price ${price.lookupKey}`)
    if (held.unit_amount !== price.unitAmount || held.currency !== price.currency || held.interval !== price.interval)
      throw mismatch(
        `price ${price.lookupKey} is ${held.unit_amount} ${held.currency} per ${held.interval}, the config says ${price.unitAmount} ${price.currency} per ${price.interval}`,
      )
  }
  for (const coupon of wanted.coupons) if (!catalog.coupons[coupon.key]) throw mismatch(`no coupon ${coupon.key}`)
  for (const code of wanted.promotionCodes)
    if (!catalog.promotion_codes[code.code]) throw mismatch(`no promotion code ${code.code}`)

  const lookupKeys = wanted.prices.map((price) => price.lookupKey)
  const found = new Map<string, Stripe.Price>()
  for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_LIST) {
    const page = await gateway.read('preflight', (stripe) =>
      stripe.prices.list({lookup_keys: lookupKeys.slice(i, i + LOOKUP_KEYS_PER_LIST), limit: 100}),
    )
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price)
  }
  for (const price of wanted.prices) {
    const onAccount = found.get(price.lookupKey)
    const held = catalog.prices[price.lookupKey]!
    if (onAccount?.id !== held.price_id || !onAccount.active)
      throw mismatch(`price ${held.price_id} (${price.lookupKey}) is not on this account, or archived`)
  }
  const coupons = new Map<string, Stripe.Coupon>()
  for (const coupon of wanted.coupons) {
    const id = catalog.coupons[coupon.key]!
    const onAccount = await gateway
      .read('preflight', (stripe) => stripe.coupons.retrieve(id))
      .catch((error: unknown) => {
        if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return undefined
        throw error
      })
    if (!onAccount?.valid) throw mismatch(`coupon ${id} is not on this account, or no longer valid`)
    coupons.set(onAccount.id, onAccount)
  }
  for (const code of wanted.promotionCodes) {
    const id = catalog.promotion_codes[code.code]!
    const onAccount = await gateway
      .read('preflight', (stripe) => stripe.promotionCodes.retrieve(id))
      .catch((error: unknown) => {
        if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return undefined
        throw error
      })
    if (!onAccount?.active) throw mismatch(`promotion code ${code.code} (${id}) is not on this account, or inactive`)
  }
  return coupons
}
