import {describe, expect, it} from 'vitest'

import {SeedProgress, pricesSeedCommand} from '../../src/prices/progress.js'
import type {SeededPrice} from '../../src/prices/seed.js'
import {KEY_PLACEHOLDER} from '../../src/secrets.js'

const price = (lookupKey: string, outcome: SeededPrice['outcome']): SeededPrice => ({
  key: 'pro',
  name: 'Pro',
  unitAmount: 1000,
  currency: 'usd',
  productId: 'stripe_seed_pro',
  priceId: `price_${lookupKey}`,
  lookupKey,
  outcome,
  interval: 'month',
})

describe('SeedProgress (issue 18 item 4)', () => {
  it('shows each created price with its count, and says how far an interrupted seed got', () => {
    const progress = new SeedProgress()
    expect(progress.interrupted('stripe-seed prices seed')).toBe(
      'Interrupted before any price was created; run `stripe-seed prices seed` to seed',
    )
    progress.record({kind: 'plan', prices: 27, coupons: 0, promotionCodes: 0})
    expect(progress.record({kind: 'price', seeded: price('a', 'existing')})).toBeUndefined()
    expect(progress.record({kind: 'price', seeded: price('b', 'created')})).toBe('price 2 of 27: b created')
    expect(progress.interrupted('stripe-seed prices seed')).toBe(
      'Interrupted after 2 of 27 prices; run `stripe-seed prices seed` again to finish: it reuses what exists',
    )
    progress.record({kind: 'plan', prices: 27, coupons: 2, promotionCodes: 1})
    progress.record({kind: 'coupon', seeded: {key: 'x', id: 'stripe_seed_x', outcome: 'created'}})
    expect(progress.interrupted('s')).toBe(
      'Interrupted after 2 of 27 prices, 1 of 2 coupons and 0 of 1 promotion code; run `s` again to finish: it reuses what exists',
    )
  })

  it('the re-run command says again what the command line said, a key given by flag as a placeholder', () => {
    const env = {}
    expect(pricesSeedCommand({bin: 'stripe-seed', outDir: './config'}, env)).toBe('stripe-seed prices seed')
    expect(
      pricesSeedCommand(
        {
          bin: 'stripe-seed',
          scenario: 'saas',
          outDir: 'my out',
          config: 'seed.json',
          apiBase: 'http://127.0.0.1:12111',
          keySource: '--api-key',
        },
        env,
      ),
    ).toBe(
      `stripe-seed prices seed --scenario saas --out-dir 'my out' --config seed.json --api-base http://127.0.0.1:12111 --api-key '${KEY_PLACEHOLDER}'`,
    )
    // What the environment says stays with the environment.
    expect(
      pricesSeedCommand(
        {bin: 'stripe-seed', outDir: './config', apiBase: 'http://127.0.0.1:12111'},
        {STRIPE_API_BASE: 'http://127.0.0.1:12111'},
      ),
    ).toBe('stripe-seed prices seed')
  })
})
