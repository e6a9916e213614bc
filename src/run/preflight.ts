import {join} from 'node:path'
import type Stripe from 'stripe'

import type {Plan} from '../config/schema.js'
import {UserError} from '../errors.js'
import {readJsonFile} from '../files/atomic.js'
import {type PricesFile, PricesFileSchema} from '../files/formats.js'
import {type HeldLock, acquireLock, assertWritable} from '../files/lock.js'
import type {StripeGateway} from '../stripe/gateway.js'
import {stateDir} from './journal.js'

const LOOKUP_KEYS_PER_LIST = 10 // prices.list takes up to 10 lookup_keys (stripe-facts #34)
const FIX = 'Run `stripe-seed prices seed` against this account (or pass --seed-prices), then run again.'

/** Local checks first, no request: the out-dir takes files, and no other live run holds it. */
export async function lockOutDir(outDir: string, purpose: string): Promise<HeldLock> {
  await assertWritable(outDir)
  await assertWritable(stateDir(outDir))
  return acquireLock(join(stateDir(outDir), 'lock'), purpose)
}

export async function readPrices(path: string): Promise<PricesFile> {
  return readJsonFile(path, PricesFileSchema, {missingHint: 'run `stripe-seed prices seed` first, or pass --seed-prices'})
}

/**
 * Every plan's price in stripe_prices.json exists on this account, is active, and has the
 * config's amount and currency. One list by lookup key per ten plans: also the cheap read that
 * proves the key works, before anything is deleted or created.
 */
export async function checkPrices(gateway: StripeGateway, plans: Plan[], prices: PricesFile, file: string): Promise<void> {
  const missing = plans.filter((plan) => !prices.price_ids[plan.key])
  if (missing.length > 0) throw new UserError(`${file} has no price for plan ${missing.map((plan) => `"${plan.key}"`).join(', ')}`, {suggestion: FIX})
  const entries = plans.map((plan) => ({plan, entry: prices.plans.find((p) => p.key === plan.key)}))
  const lookupKeys = entries.flatMap(({entry}) => (entry ? [entry.lookup_key] : []))
  const found = new Map<string, Stripe.Price>()
  for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_LIST) {
    const page = await gateway.read('preflight', (stripe) => stripe.prices.list({lookup_keys: lookupKeys.slice(i, i + LOOKUP_KEYS_PER_LIST), limit: 100}))
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price)
  }
  for (const {plan, entry} of entries) {
    const priceId = prices.price_ids[plan.key]!
    const price = entry ? found.get(entry.lookup_key) : undefined
    const problem = !price || price.id !== priceId
      ? `price ${priceId} of plan "${plan.key}" is not on this account`
      : !price.active
        ? `price ${priceId} of plan "${plan.key}" is archived`
        : price.unit_amount !== plan.unitAmount || price.currency !== plan.currency
          ? `price ${priceId} of plan "${plan.key}" is ${price.unit_amount} ${price.currency}, the config says ${plan.unitAmount} ${plan.currency}`
          : undefined
    if (problem) throw new UserError(`${file} does not match this Stripe account: ${problem}`, {suggestion: FIX})
  }
}
