import {readFile, writeFile} from 'node:fs/promises'

import type {Config} from '../../src/config/schema.js'
import type {RunningEmulator} from '../../src/emulator/server.js'
import {type PricesFile, PricesFileSchema, outFile} from '../../src/files/formats.js'
import {scenarioCatalog} from '../../src/scenario/catalog.js'
import {gatewayFor, seedEmulatorPrices} from './run-service.js'

/**
 * What `prices seed --scenario` leaves behind: the default prices, then (unless seeding made them)
 * every other catalog price, coupon and promotion code of scenarioCatalog, and the catalog in
 * stripe_prices.json. The run only reads the catalog; making it is `prices seed`'s job.
 */
export async function seedScenarioCatalog(emulator: RunningEmulator, outDir: string, config: Config): Promise<void> {
  await seedEmulatorPrices(emulator, outDir, config)
  const file = outFile(outDir, 'prices')
  const prices = PricesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')))
  // Once `prices seed` itself seeds a scenario's catalog, it is already there.
  if (prices.catalog) return
  const gateway = gatewayFor(emulator, config)
  const stripe = gateway.stripe
  const catalog = scenarioCatalog(config)
  const byLookupKey = new Map(prices.plans.map((plan) => [plan.lookup_key, plan.price_id]))
  const held: NonNullable<PricesFile['catalog']> = {prices: {}, coupons: {}, promotion_codes: {}}
  for (const price of catalog.prices) {
    const id = byLookupKey.get(price.lookupKey) ?? (await stripe.prices.create(price.params)).id
    held.prices[price.lookupKey] = {
      price_id: id,
      plan: price.plan,
      interval: price.interval,
      currency: price.currency,
      unit_amount: price.unitAmount,
    }
  }
  for (const coupon of catalog.coupons) held.coupons[coupon.key] = (await stripe.coupons.create(coupon.params)).id
  for (const code of catalog.promotionCodes)
    held.promotion_codes[code.code] = (await stripe.promotionCodes.create(code.params)).id
  await writeFile(file, JSON.stringify({...prices, catalog: held}, null, 2))
  await gateway.close()
}
