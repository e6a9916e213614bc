import {readFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import nock from 'nock'
import {afterEach, describe, expect, it} from 'vitest'

import PricesSeed from '../../src/commands/prices/seed.js'
import {applyScenario} from '../../src/config/scenarios.js'
import {defaultConfig} from '../../src/config/schema.js'
import {PricesFileSchema} from '../../src/files/formats.js'
import {seedPrices} from '../../src/prices/seed.js'
import {scenarioCatalog} from '../../src/scenario/catalog.js'
import {StripeGateway} from '../../src/stripe/gateway.js'
import {type SeenRequest, interceptAll, list, recorder, stripeError} from '../helpers/fake-stripe.js'
import {runCommand} from '../helpers/in-process.js'
import {useTempDirs} from '../helpers/tmp.js'

const tempDir = useTempDirs()

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

function gateway() {
  // The scheduler opened up: these tests check the requests, not their pace.
  return new StripeGateway({
    apiKey: 'sk_test_unit1234',
    scheduler: {...defaultConfig().scheduler, retryBaseMs: 1, perLaneRps: 500, maxRps: 1000, maxInFlight: 20},
    sleep: async () => {},
  })
}

const saas = () => applyScenario(defaultConfig(), 'saas')

interface FakePrice {
  id: string
  object: 'price'
  active: boolean
  currency: string
  unit_amount: number
  lookup_key: string | null
  product: string
  recurring: {interval: string; interval_count: number; usage_type: string}
  metadata: Record<string, unknown>
  type: 'recurring'
  livemode: false
  created: number
}

/** A fake account that remembers what it is asked to create: prices, products, coupons, promotion codes. */
function fakeAccount() {
  const {seen, record} = recorder()
  const state = {
    prices: [] as FakePrice[],
    coupons: new Map<string, Record<string, unknown>>(),
    promotionCodes: [] as Array<Record<string, unknown>>,
  }
  let next = 0
  interceptAll()
    .persist()
    .get('/v1/prices')
    .query(true)
    .reply(function (uri) {
      const {params} = record('GET', uri, undefined)
      const keys = params.lookup_keys as string[]
      return [
        200,
        list(
          state.prices.filter((p) => p.lookup_key && keys.includes(p.lookup_key)),
          '/v1/prices',
        ),
      ]
    })
    .post('/v1/products')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      return [200, {id: params.id, object: 'product', name: params.name, metadata: params.metadata}]
    })
    .post('/v1/prices')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      if (params.transfer_lookup_key === 'true')
        for (const p of state.prices) if (p.lookup_key === params.lookup_key) p.lookup_key = null
      const recurring = params.recurring as Record<string, string>
      const created: FakePrice = {
        id: `price_new${++next}`,
        object: 'price',
        active: true,
        currency: String(params.currency),
        unit_amount: Number(params.unit_amount),
        lookup_key: String(params.lookup_key),
        product: String(params.product),
        recurring: {
          interval: recurring.interval!,
          interval_count: Number(recurring.interval_count),
          usage_type: 'licensed',
        },
        metadata: {},
        type: 'recurring',
        livemode: false,
        created: 1,
      }
      state.prices.push(created)
      return [200, created]
    })
    .post(/\/v1\/prices\/price_\w+$/)
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      const target = state.prices.find((p) => uri.endsWith(p.id))
      if (target && params.active === 'false') target.active = false
      return [200, target]
    })
    .get(/\/v1\/coupons\/\w+$/)
    .reply(function (uri) {
      record('GET', uri, undefined)
      const id = uri.split('/').at(-1)!
      const coupon = state.coupons.get(id)
      return coupon
        ? [200, coupon]
        : [404, stripeError('invalid_request_error', `No such coupon: '${id}'`, 'resource_missing')]
    })
    .post('/v1/coupons')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      const coupon = {
        id: params.id,
        object: 'coupon',
        name: params.name,
        percent_off: params.percent_off === undefined ? null : Number(params.percent_off),
        amount_off: params.amount_off === undefined ? null : Number(params.amount_off),
        currency: params.currency ?? null,
        duration: params.duration,
        duration_in_months: params.duration_in_months === undefined ? null : Number(params.duration_in_months),
        valid: true,
      }
      state.coupons.set(String(params.id), coupon)
      return [200, coupon]
    })
    .get('/v1/promotion_codes')
    .query(true)
    .reply(function (uri) {
      const {params} = record('GET', uri, undefined)
      return [
        200,
        list(
          state.promotionCodes.filter((p) => String(p.code).toLowerCase() === String(params.code).toLowerCase()),
          '/v1/promotion_codes',
        ),
      ]
    })
    .post('/v1/promotion_codes')
    .reply(function (uri, body) {
      const {params} = record('POST', uri, body, this.req.headers)
      const code = {
        id: `promo_${++next}`,
        object: 'promotion_code',
        active: true,
        code: params.code,
        customer: null,
        promotion: params.promotion,
      }
      state.promotionCodes.push(code)
      return [200, code]
    })
  return {seen, state}
}

const posts = (seen: SeenRequest[]) => seen.filter((r) => r.method === 'POST')

describe('prices seed for a scenario (nocked Stripe)', () => {
  it("creates every price, coupon and promotion code the saas catalog lists, with the catalog's params, and fills the file's catalog", async () => {
    const {seen} = fakeAccount()
    const config = saas()
    const catalog = scenarioCatalog(config)
    const file = join(await tempDir(), 'stripe_prices.json')
    const result = await seedPrices(gateway(), config, {file, now: new Date('2026-01-01T00:00:00Z')})

    // Lookups: prices ten keys at a time (SB-18), each coupon by its id, each promotion code by its code.
    const lookups = seen
      .filter((r) => r.path === '/v1/prices' && r.method === 'GET')
      .map((r) => r.params.lookup_keys as string[])
    expect(lookups.every((keys) => keys.length <= 10)).toBe(true)
    expect(lookups.flat().sort()).toEqual(catalog.prices.map((p) => p.lookupKey).sort())
    expect(
      seen
        .filter((r) => r.path.startsWith('/v1/coupons/'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(catalog.coupons.map((c) => `/v1/coupons/${c.id}`).sort())
    expect(seen.filter((r) => r.path === '/v1/promotion_codes' && r.method === 'GET').map((r) => r.params)).toEqual([
      {code: 'WELCOME30', limit: '100'},
    ])

    // One product per plan and one for the add-on, even though each has several new prices.
    expect(
      posts(seen)
        .filter((r) => r.path === '/v1/products')
        .map((r) => r.params.id as string)
        .sort(),
    ).toEqual([...config.plans.map((p) => `stripe_seed_${p.key}`), 'stripe_seed_addon_support'].sort())
    expect(posts(seen).find((r) => r.params.lookup_key === 'stripe_seed_addon_support_monthly_gbp')?.params).toEqual({
      product: 'stripe_seed_addon_support',
      currency: 'gbp',
      unit_amount: '3920',
      recurring: {interval: 'month', interval_count: '1', usage_type: 'licensed'},
      lookup_key: 'stripe_seed_addon_support_monthly_gbp',
      transfer_lookup_key: 'false',
      nickname: 'Priority support (monthly, GBP)',
      metadata: {stripe_seed_addon: 'support'},
    })
    const priceCreates = posts(seen).filter((r) => r.path === '/v1/prices')
    expect(priceCreates).toHaveLength(catalog.prices.length)
    const yearlyEur = priceCreates.find((r) => r.params.lookup_key === 'stripe_seed_pro_plus_yearly_eur')
    const wanted = catalog.prices.find((p) => p.lookupKey === 'stripe_seed_pro_plus_yearly_eur')!
    expect(yearlyEur?.params).toEqual({
      product: 'stripe_seed_pro_plus',
      currency: 'eur',
      unit_amount: String(wanted.unitAmount),
      recurring: {interval: 'year', interval_count: '1', usage_type: 'licensed'},
      lookup_key: 'stripe_seed_pro_plus_yearly_eur',
      // Nobody holds the key yet: nothing to transfer.
      transfer_lookup_key: 'false',
      nickname: 'Pro Plus (yearly, EUR)',
      metadata: {stripe_seed_plan: 'pro_plus', stripe_seed_interval: 'year'},
    })
    const couponCreates = posts(seen).filter((r) => r.path === '/v1/coupons')
    expect(couponCreates.find((r) => r.params.id === 'stripe_seed_welcome_3_months')?.params).toEqual({
      id: 'stripe_seed_welcome_3_months',
      name: '30% off for 3 months',
      percent_off: '30',
      duration: 'repeating',
      duration_in_months: '3',
      metadata: {stripe_seed_coupon: 'welcome_3_months'},
    })
    expect(couponCreates.find((r) => r.params.id === 'stripe_seed_first_month_10_off')?.params).toMatchObject({
      amount_off: '1000',
      currency: 'usd',
      duration: 'once',
    })
    expect(
      posts(seen)
        .filter((r) => r.path === '/v1/promotion_codes')
        .map((r) => r.params),
    ).toEqual([
      {
        promotion: {type: 'coupon', coupon: 'stripe_seed_welcome_3_months'},
        code: 'WELCOME30',
        metadata: {stripe_seed_coupon: 'welcome_3_months'},
      },
    ])
    // The promotion code is created after its coupon exists.
    const paths = posts(seen).map((r) => r.path)
    expect(paths.indexOf('/v1/promotion_codes')).toBeGreaterThan(paths.lastIndexOf('/v1/coupons'))
    expect(posts(seen).every((r) => r.idempotencyKey)).toBe(true)

    const written = PricesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')))
    expect(Object.keys(written.catalog!.prices).sort()).toEqual(catalog.prices.map((p) => p.lookupKey).sort())
    expect(written.catalog!.prices.stripe_seed_pro_plus_yearly_eur).toEqual({
      price_id: result.catalog!.prices.find((p) => p.lookupKey === 'stripe_seed_pro_plus_yearly_eur')!.priceId,
      plan: 'pro_plus',
      interval: 'year',
      currency: 'eur',
      unit_amount: wanted.unitAmount,
    })
    expect(written.catalog!.coupons).toEqual({
      launch_20_forever: 'stripe_seed_launch_20_forever',
      welcome_3_months: 'stripe_seed_welcome_3_months',
      first_month_10_off: 'stripe_seed_first_month_10_off',
      retention_15: 'stripe_seed_retention_15',
    })
    expect(written.catalog!.promotion_codes).toEqual({WELCOME30: result.catalog!.promotionCodes[0]!.id})
    // The original's keys still hold each plan's monthly price in its own currency; every price maps to its plan.
    expect(written.price_ids.pro_plus).toBe(written.catalog!.prices.stripe_seed_pro_plus_monthly!.price_id)
    expect(written.plans.map((p) => p.lookup_key)).toEqual(config.plans.map((p) => `stripe_seed_${p.key}_monthly`))
    expect(written.price_to_plan[written.catalog!.prices.stripe_seed_pro_plus_yearly_eur!.price_id]).toBe('Pro Plus')
  })

  it('a re-run finds everything and creates nothing', async () => {
    const {seen} = fakeAccount()
    const config = saas()
    const dir = await tempDir()
    const first = await seedPrices(gateway(), config, {file: join(dir, 'p.json'), now: new Date()})
    const created = posts(seen).length
    const again = await seedPrices(gateway(), config, {file: join(dir, 'p.json'), now: new Date()})

    expect(posts(seen)).toHaveLength(created)
    expect(again.catalog!.prices.every((p) => p.outcome === 'existing')).toBe(true)
    expect(again.catalog!.coupons.map((c) => c.outcome)).toEqual(['existing', 'existing', 'existing', 'existing'])
    expect(again.catalog!.promotionCodes).toEqual([
      {
        code: 'WELCOME30',
        id: first.catalog!.promotionCodes[0]!.id,
        coupon: 'stripe_seed_welcome_3_months',
        outcome: 'existing',
      },
    ])
    expect(again.catalog!.prices.map((p) => p.priceId)).toEqual(first.catalog!.prices.map((p) => p.priceId))
  })

  it('a changed yearly discount makes new yearly prices that take the keys over; the monthly ones stay', async () => {
    const {seen} = fakeAccount()
    const dir = await tempDir()
    const config = saas()
    const first = await seedPrices(gateway(), config, {file: join(dir, 'p.json'), now: new Date()})
    const before = posts(seen).length
    const changed = {...config, yearly: {...config.yearly!, discountPercent: 25}}
    const again = await seedPrices(gateway(), changed, {file: join(dir, 'p.json'), now: new Date()})

    const replaced = again.catalog!.prices.filter((p) => p.outcome === 'replaced')
    expect(replaced.map((p) => p.interval)).toEqual(replaced.map(() => 'year'))
    expect(replaced).toHaveLength(first.catalog!.prices.filter((p) => p.interval === 'year').length)
    expect(again.catalog!.prices.filter((p) => p.interval === 'month').every((p) => p.outcome === 'existing')).toBe(
      true,
    )
    const newPosts = posts(seen).slice(before)
    expect(newPosts.filter((r) => r.path === '/v1/prices').every((r) => r.params.transfer_lookup_key === 'true')).toBe(
      true,
    )
    expect(newPosts.filter((r) => r.path.startsWith('/v1/prices/price_')).map((r) => r.params)).toEqual(
      replaced.map(() => ({active: 'false'})),
    )
    // No product, coupon or promotion code is created again.
    expect(newPosts.filter((r) => r.path !== '/v1/prices' && !r.path.startsWith('/v1/prices/'))).toEqual([])
  })

  it('a coupon on the account with other terms is refused with a one-line cause, before anything is created or written', async () => {
    const {seen, state} = fakeAccount()
    const dir = await tempDir()
    state.coupons.set('stripe_seed_launch_20_forever', {
      id: 'stripe_seed_launch_20_forever',
      object: 'coupon',
      percent_off: 25,
      amount_off: null,
      currency: null,
      duration: 'forever',
      duration_in_months: null,
      valid: true,
    })

    const error = await seedPrices(gateway(), saas(), {file: join(dir, 'p.json'), now: new Date()}).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({
      name: 'UserError',
      message:
        'Coupon stripe_seed_launch_20_forever on this account is 25% off forever, but the config\'s coupon "launch_20_forever" is 20% off forever; Stripe cannot edit a coupon\'s terms (SB-54)',
      suggestion: expect.stringContaining('Give the coupon a new id in the config'),
    })
    expect(posts(seen)).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('a promotion code that redeems another coupon is refused, before anything is created', async () => {
    const {seen, state} = fakeAccount()
    state.promotionCodes.push({
      id: 'promo_other',
      object: 'promotion_code',
      active: true,
      code: 'welcome30',
      customer: null,
      promotion: {type: 'coupon', coupon: 'someone_elses'},
    })
    const error = await seedPrices(gateway(), saas(), {file: join(await tempDir(), 'p.json'), now: new Date()}).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({
      name: 'UserError',
      message:
        'Promotion code WELCOME30 on this account (promo_other) redeems coupon someone_elses, not stripe_seed_welcome_3_months as the config says',
    })
    expect(posts(seen)).toEqual([])
  })

  it('a config with scenario sections seeds its catalog without --scenario', async () => {
    const {seen} = fakeAccount()
    const config = {...defaultConfig(), currencies: {eur: {customers: 5, amounts: {}, priceFactor: 0.9}}}
    const result = await seedPrices(gateway(), config, {file: join(await tempDir(), 'p.json'), now: new Date()})
    expect(result.catalog!.prices.map((p) => p.lookupKey)).toContain('stripe_seed_standard_monthly_eur')
    expect(result.catalog!.coupons).toEqual([])
    expect(seen.some((r) => r.path.startsWith('/v1/coupons') || r.path.startsWith('/v1/promotion_codes'))).toBe(false)
  })
})

describe('prices seed --scenario (command, in process)', () => {
  const env = {STRIPE_SECRET_KEY: 'sk_test_command4321', STRIPE_API_BASE: undefined, STRIPE_SEED_SCENARIO: undefined}

  it('an unknown scenario is a usage error (exit 2) naming the scenarios, before any request', async () => {
    const cwd = await tempDir()
    interceptAll() // any request would fail the test: net connect is off and nothing is answered
    const result = await runCommand(PricesSeed, ['--out-dir', join(cwd, 'out'), '--scenario', 'sass', '--json'], env)
    expect(result.exitCode).toBe(2)
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: {exitCode: 2, message: expect.stringMatching(/^Unknown scenario "sass": choose one of default, saas, /)},
    })
    expect(nock.pendingMocks()).toEqual([])
    expect(await readdir(cwd)).toEqual([])
  })

  it('STRIPE_SEED_SCENARIO selects the scenario', async () => {
    const cwd = await tempDir()
    const {seen} = fakeAccount()
    await writeFile(join(cwd, 'fast.json'), JSON.stringify({scheduler: {perLaneRps: 500, maxRps: 1000}}))
    const result = await runCommand(PricesSeed, ['--config', join(cwd, 'fast.json'), '--out-dir', join(cwd, 'out')], {
      ...env,
      STRIPE_SEED_SCENARIO: 'discounts',
    })
    expect(result.exitCode, result.error?.message).toBe(0)
    expect(result.stdout).toMatch(/HALFOFF\s+stripe_seed_repeating_50_2m\s+promo_\w+\s+created/)
    expect(
      posts(seen)
        .filter((r) => r.path === '/v1/coupons')
        .map((r) => r.params.id),
    ).toEqual(['stripe_seed_forever_25', 'stripe_seed_repeating_50_2m', 'stripe_seed_once_5_off'])
  })
})
