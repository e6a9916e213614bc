import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {applyScenario} from '../../src/config/scenarios.js'
import {PricesFileSchema} from '../../src/files/formats.js'
import {seedPrices} from '../../src/prices/seed.js'
import {scenarioCatalog} from '../../src/scenario/catalog.js'
import {useEmulator} from '../helpers/emulator.js'
import {fastConfig, gatewayFor} from '../helpers/run-service.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const emulator = useEmulator()

describe('prices seed for a scenario, against the in-process emulator (real SDK over HTTP)', () => {
  it('seeds the saas catalog, a re-run creates nothing, and what the file names is on the account as the catalog says', async () => {
    const config = applyScenario(fastConfig(), 'saas')
    const catalog = scenarioCatalog(config)
    const file = join(await tempDir(), 'stripe_prices.json')
    const gateway = gatewayFor(emulator(), config)
    try {
      const first = await seedPrices(gateway, config, {file, apiBase: emulator().url, now: new Date()})
      const requests = emulator().requestCount()
      const again = await seedPrices(gateway, config, {file, apiBase: emulator().url, now: new Date()})
      expect(first.catalog!.prices.every((p) => p.outcome === 'created')).toBe(true)
      expect(again.catalog!.prices.every((p) => p.outcome === 'existing')).toBe(true)
      expect([...again.catalog!.coupons, ...again.catalog!.promotionCodes].every((c) => c.outcome === 'existing')).toBe(
        true,
      )
      // The re-run only reads: ten lookup keys per list, one retrieve per coupon, one list per promotion code.
      expect(emulator().requestCount() - requests).toBe(
        Math.ceil(catalog.prices.length / 10) + catalog.coupons.length + catalog.promotionCodes.length,
      )
    } finally {
      await gateway.close()
    }

    const written = PricesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')))
    const stripe = new Stripe('sk_test_reader', {host: '127.0.0.1', port: emulator().port, protocol: 'http'})
    for (const wanted of catalog.prices) {
      const price = await stripe.prices.retrieve(written.catalog!.prices[wanted.lookupKey]!.price_id)
      expect({
        key: price.lookup_key,
        amount: price.unit_amount,
        currency: price.currency,
        interval: price.recurring?.interval,
        active: price.active,
      }).toEqual({
        key: wanted.lookupKey,
        amount: wanted.unitAmount,
        currency: wanted.currency,
        interval: wanted.interval,
        active: true,
      })
    }
    const welcome = await stripe.coupons.retrieve(written.catalog!.coupons.welcome_3_months!)
    expect(welcome).toMatchObject({percent_off: 30, duration: 'repeating', duration_in_months: 3, valid: true})
    const promo = await stripe.promotionCodes.retrieve(written.catalog!.promotion_codes.WELCOME30!)
    expect(promo).toMatchObject({
      code: 'WELCOME30',
      active: true,
      promotion: {type: 'coupon', coupon: 'stripe_seed_welcome_3_months'},
    })
  })

  it('refuses a config whose coupon terms changed since the coupon was seeded, and creates nothing', async () => {
    const config = applyScenario(fastConfig(), 'discounts')
    const dir = await tempDir()
    const gateway = gatewayFor(emulator(), config)
    try {
      await seedPrices(gateway, config, {file: join(dir, 'p.json'), apiBase: emulator().url, now: new Date()})
      const coupons = config.coupons!.map((coupon) =>
        coupon.id === 'forever_25' ? {...coupon, percentOff: 30} : coupon,
      )
      const before = emulator().requestLog.length
      await expect(
        seedPrices(
          gateway,
          {...config, coupons},
          {file: join(dir, 'p.json'), apiBase: emulator().url, now: new Date()},
        ),
      ).rejects.toThrow(
        'Coupon stripe_seed_forever_25 on this account is 25% off forever, but the config\'s coupon "forever_25" is 30% off forever',
      )
      const refused = emulator().requestLog.slice(before)
      expect(refused.map((r) => `${r.method} ${r.path}`)).toContain('GET /v1/coupons/stripe_seed_forever_25')
      expect(refused.filter((r) => r.method === 'POST')).toEqual([])
    } finally {
      await gateway.close()
    }
  })
})
