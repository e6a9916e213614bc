import {readFile, readdir} from 'node:fs/promises'
import {join} from 'node:path'
import nock from 'nock'
import {afterEach, describe, expect, it} from 'vitest'

import {DEFAULT_PLANS, type Plan, defaultConfig} from '../../src/config/schema.js'
import {PricesFileSchema} from '../../src/files/formats.js'
import {lookupKeyFor, seedPrices} from '../../src/prices/seed.js'
import {StripeGateway} from '../../src/stripe/gateway.js'
import {RATE_LIMITED, interceptAll, list, price, recorder, stripeError} from '../helpers/fake-stripe.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()
const noSleep = async () => {}
const withPlans = (plans: Plan[]) => ({...defaultConfig(), plans})

function gateway() {
  return new StripeGateway({
    apiKey: 'sk_test_unit1234',
    scheduler: {...defaultConfig().scheduler, retryBaseMs: 1},
    sleep: noSleep,
  })
}

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

/** A fake account: answers list/create/update for prices and products, remembering what was created. */
function fakeAccount(existing: ReturnType<typeof price>[] = []) {
  const {seen, record} = recorder()
  const prices = [...existing]
  let next = 0
  interceptAll()
    .persist()
    .get('/v1/prices')
    .query(true)
    .reply(function (uri) {
      const {params} = record('GET', uri, undefined)
      const keys = Object.values((params.lookup_keys ?? {}) as Record<string, string>)
      return [
        200,
        list(
          prices.filter((p) => keys.includes(p.lookup_key)),
          '/v1/prices',
        ),
      ]
    })
    .post('/v1/products')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      return [
        200,
        {
          id: params.id,
          object: 'product',
          name: params.name,
          description: params.description ?? null,
          metadata: params.metadata,
        },
      ]
    })
    .post('/v1/prices')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      if (params.transfer_lookup_key === 'true')
        for (const p of prices) if (p.lookup_key === params.lookup_key) p.lookup_key = ''
      const created = price(
        `price_new${++next}`,
        String(params.lookup_key),
        Number(params.unit_amount),
        String(params.product),
      )
      prices.push(created)
      return [200, created]
    })
    .post(/\/v1\/prices\/price_[a-z0-9]+$/)
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      const target = prices.find((p) => uri.endsWith(p.id))
      if (target && params.active === 'false') target.active = false
      return [200, target]
    })
  return {seen}
}

describe('prices seed against a nocked Stripe', () => {
  it('creates a product and a monthly per-screen price for every plan on an empty account, and writes the original file format', async () => {
    const {seen} = fakeAccount()
    const dir = await tempDir()
    const file = join(dir, 'config', 'stripe_prices.json')
    const result = await seedPrices(gateway(), withPlans(DEFAULT_PLANS), {file, now: new Date('2026-01-01T00:00:00Z')})

    expect(result.plans.map((p) => p.outcome)).toEqual(['created', 'created', 'created', 'created', 'created'])
    const lookup = seen.filter((r) => r.method === 'GET')
    expect(lookup).toHaveLength(1)
    expect(lookup[0]).toMatchObject({
      path: '/v1/prices',
      params: {
        lookup_keys: [
          'stripe_seed_free_monthly',
          'stripe_seed_standard_monthly',
          'stripe_seed_pro_plus_monthly',
          'stripe_seed_engage_monthly',
          'stripe_seed_enterprise_monthly',
        ],
      },
    })

    const products = seen.filter((r) => r.path === '/v1/products')
    expect(products.map((r) => r.params).find((p) => p.id === 'stripe_seed_pro_plus')).toEqual({
      id: 'stripe_seed_pro_plus',
      name: 'Pro Plus',
      description: 'Pro Plus plan, billed per screen',
      metadata: {stripe_seed_plan: 'pro_plus'},
    })
    const enterprise = seen.find(
      (r) => r.path === '/v1/prices' && r.method === 'POST' && r.params.lookup_key === 'stripe_seed_enterprise_monthly',
    )
    expect(enterprise?.params).toEqual({
      product: 'stripe_seed_enterprise',
      currency: 'usd',
      unit_amount: '4500',
      recurring: {interval: 'month', interval_count: '1', usage_type: 'licensed'},
      lookup_key: 'stripe_seed_enterprise_monthly',
      transfer_lookup_key: 'false',
      nickname: 'Enterprise (per screen, monthly)',
      metadata: {stripe_seed_plan: 'enterprise'},
    })
    // Every POST carries an idempotency key (SB-5).
    expect(seen.filter((r) => r.method === 'POST').every((r) => r.idempotencyKey)).toBe(true)

    const written = PricesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')))
    expect(Object.keys(written.price_ids)).toEqual(['free', 'standard', 'pro_plus', 'engage', 'enterprise'])
    expect(written.price_to_plan[written.price_ids.pro_plus!]).toBe('Pro Plus')
    expect(written.plans.find((p) => p.key === 'engage')).toMatchObject({
      unit_amount: 3000,
      product_id: 'stripe_seed_engage',
      lookup_key: 'stripe_seed_engage_monthly',
    })
  })

  it('creates nothing when the prices already exist', async () => {
    const existing = DEFAULT_PLANS.map((plan, i) =>
      price(`price_old${i}`, lookupKeyFor(plan.key), plan.unitAmount, `stripe_seed_${plan.key}`),
    )
    const {seen} = fakeAccount(existing)
    const dir = await tempDir()
    const result = await seedPrices(gateway(), withPlans(DEFAULT_PLANS), {
      file: join(dir, 'stripe_prices.json'),
      now: new Date(),
    })

    expect(result.plans.map((p) => p.outcome)).toEqual(['existing', 'existing', 'existing', 'existing', 'existing'])
    expect(result.plans.map((p) => p.priceId)).toEqual([
      'price_old0',
      'price_old1',
      'price_old2',
      'price_old3',
      'price_old4',
    ])
    expect(seen.filter((r) => r.method === 'POST')).toEqual([])
  })

  it('replaces a price whose amount changed: a new price takes the lookup key and the old one is archived', async () => {
    const existing = DEFAULT_PLANS.map((plan, i) =>
      price(`price_old${i}`, lookupKeyFor(plan.key), plan.unitAmount, `stripe_seed_${plan.key}`),
    )
    const {seen} = fakeAccount(existing)
    const plans = DEFAULT_PLANS.map((plan) => (plan.key === 'standard' ? {...plan, unitAmount: 1200} : plan))
    const dir = await tempDir()
    const file = join(dir, 'stripe_prices.json')
    const result = await seedPrices(gateway(), withPlans(plans), {file, now: new Date()})

    const standard = result.plans.find((p) => p.key === 'standard')
    expect(standard).toMatchObject({
      outcome: 'replaced',
      replacedPriceId: 'price_old1',
      productId: 'stripe_seed_standard',
    })
    const posts = seen.filter((r) => r.method === 'POST')
    expect(posts.map((r) => r.path)).toEqual(['/v1/prices', '/v1/prices/price_old1'])
    expect(posts[0]?.params).toMatchObject({
      product: 'stripe_seed_standard',
      unit_amount: '1200',
      lookup_key: 'stripe_seed_standard_monthly',
      transfer_lookup_key: 'true',
    })
    expect(posts[1]?.params).toEqual({active: 'false'})
    const written = PricesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')))
    expect(written.price_ids.standard).toBe(standard?.priceId)
    // Subscriptions made before the change still use the old price: it still maps to its plan.
    expect(written.price_to_plan.price_old1).toBe('Standard')
  })

  it('reuses a product left by an earlier run that crashed before creating its price', async () => {
    const {record, seen} = recorder()
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .reply(200, list([], '/v1/prices'))
      .post('/v1/products')
      .reply(400, stripeError('invalid_request_error', 'Product already exists.', 'resource_already_exists'))
      .post('/v1/prices')
      .reply(function (uri, body) {
        record('POST', uri, body)
        return [200, price('price_x', 'stripe_seed_free_monthly', 0, 'stripe_seed_free')]
      })
    const dir = await tempDir()
    const result = await seedPrices(gateway(), withPlans(DEFAULT_PLANS.slice(0, 1)), {
      file: join(dir, 'p.json'),
      now: new Date(),
    })
    expect(result.plans[0]).toMatchObject({outcome: 'created', productId: 'stripe_seed_free'})
    expect(seen[0]?.params.product).toBe('stripe_seed_free')
  })

  it('retries a rate-limited request itself (the SDK does not) and succeeds', async () => {
    const {seen, record} = recorder()
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .times(2)
      .reply(429, RATE_LIMITED)
      .get('/v1/prices')
      .query(true)
      .reply(function (uri) {
        record('GET', uri, undefined)
        return [
          200,
          list(
            DEFAULT_PLANS.map((plan, i) => price(`price_${i}`, lookupKeyFor(plan.key), plan.unitAmount, `p${i}`)),
            '/v1/prices',
          ),
        ]
      })
    const gw = gateway()
    const dir = await tempDir()
    const result = await seedPrices(gw, withPlans(DEFAULT_PLANS), {file: join(dir, 'p.json'), now: new Date()})
    expect(result.plans.every((p) => p.outcome === 'existing')).toBe(true)
    expect(seen).toHaveLength(1)
    expect(gw.counts()).toMatchObject({calls: 1, rateLimited: 2, retries: 2, sent: 3})
  })

  it('gives up once the retry time has passed and writes no file', async () => {
    interceptAll().get('/v1/prices').query(true).reply(429, RATE_LIMITED)
    const gw = new StripeGateway({
      apiKey: 'sk_test_unit1234',
      scheduler: {...defaultConfig().scheduler, retryForSeconds: 0, retryBaseMs: 1},
      sleep: noSleep,
    })
    const dir = await tempDir()
    await expect(
      seedPrices(gw, withPlans(DEFAULT_PLANS), {file: join(dir, 'p.json'), now: new Date()}),
    ).rejects.toMatchObject({statusCode: 429})
    expect(await readdir(dir)).toEqual([])
  })

  it('retries a 500 with the same idempotency key', async () => {
    const {seen, record} = recorder()
    interceptAll()
      .get('/v1/prices')
      .query(true)
      .reply(200, list([], '/v1/prices'))
      .post('/v1/products')
      .reply(function (uri, body) {
        record('POST', uri, body, this.req.headers)
        return [500, stripeError('api_error', 'Something went wrong')]
      })
      .post('/v1/products')
      .reply(function (uri, body) {
        const {params} = record('POST', uri, body, this.req.headers)
        return [200, {id: params.id, object: 'product'}]
      })
      .post('/v1/prices')
      .reply(200, price('price_1', 'stripe_seed_free_monthly', 0, 'stripe_seed_free'))
    const dir = await tempDir()
    const result = await seedPrices(gateway(), withPlans(DEFAULT_PLANS.slice(0, 1)), {
      file: join(dir, 'p.json'),
      now: new Date(),
    })
    expect(result.plans[0]?.outcome).toBe('created')
    expect(seen).toHaveLength(2)
    expect(seen[0]?.idempotencyKey).toBeTruthy()
    expect(seen[1]?.idempotencyKey).toBe(seen[0]?.idempotencyKey)
  })
})
