import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import type {RunningEmulator} from '../../src/emulator/server.js'
import {useFreshEmulators} from '../helpers/emulator.js'

const emulator = useFreshEmulators()

function sdk(running: RunningEmulator, key = 'sk_test_wire', extra: Partial<Stripe.StripeConfig> = {}): Stripe {
  const url = new URL(running.url)
  return new Stripe(key, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
    ...extra,
  })
}

const START = Date.UTC(2026, 0, 1) / 1000

describe('emulator: wire format', () => {
  it("requires a test-mode key, answering 401 in Stripe's error shape (SB-3, SB-4)", async () => {
    const running = await emulator()
    const noKey = await fetch(`${running.url}/v1/customers`)
    expect(noKey.status).toBe(401)
    expect(await noKey.json()).toMatchObject({
      error: {type: 'invalid_request_error', message: expect.stringContaining('You did not provide an API key')},
    })
    await expect(sdk(running, 'sk_live_abc').customers.list()).rejects.toMatchObject({statusCode: 401})
    // Basic auth, as `curl -u sk_test_…:` sends it, works too.
    const basic = await fetch(`${running.url}/v1/customers`, {
      headers: {Authorization: `Basic ${Buffer.from('sk_test_curl:').toString('base64')}`},
    })
    expect(basic.status).toBe(200)
  })

  it("parses Stripe's bracket notation from any client, not just stripe-node", async () => {
    const running = await emulator()
    const headers = {Authorization: 'Bearer sk_test_raw', 'Content-Type': 'application/x-www-form-urlencoded'}
    const product = (await (
      await fetch(`${running.url}/v1/products`, {method: 'POST', headers, body: 'name=Raw&metadata[team]=billing'})
    ).json()) as {id: string}
    expect(product).toMatchObject({object: 'product', name: 'Raw', metadata: {team: 'billing'}})
    const price = await (
      await fetch(`${running.url}/v1/prices`, {
        method: 'POST',
        headers,
        body: `product=${product.id}&currency=usd&unit_amount=500&recurring[interval]=month&expand[]=product`,
      })
    ).json()
    expect(price).toMatchObject({
      unit_amount: 500,
      recurring: {interval: 'month', interval_count: 1},
      product: {id: product.id, object: 'product'},
    })
    const listed = await (
      await fetch(`${running.url}/v1/prices?lookup_keys[]=none&expand[]=data.product`, {headers})
    ).json()
    expect(listed).toMatchObject({object: 'list', data: [], has_more: false, url: '/v1/prices'})
  })

  it('refuses unknown parameters as Stripe does, and documented but unmodelled ones with a 501 the SDK does not retry (SB-1, SB-2)', async () => {
    const running = await emulator()
    const stripe = sdk(running, 'sk_test_wire', {maxNetworkRetries: 2})
    const unknown = await stripe.rawRequest('POST', '/v1/customers', {colour: 'blue'}).catch((e: unknown) => e)
    expect(unknown).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'colour',
      message: 'Received unknown parameter: colour',
    })
    const unmodelled = await stripe.customers
      .create({tax_id_data: [{type: 'eu_vat', value: 'DE123456789'}]})
      .catch((e: unknown) => e)
    expect(unmodelled).toMatchObject({statusCode: 501, message: expect.stringContaining('`tax_id_data`')})
    expect(running.requestLog.filter((entry) => entry.status === 501)).toHaveLength(1)
    // Documented parameters that are plain data are stored and shown; those with effects the emulator lacks are refused (SB-2).
    const localized = await stripe.customers.create({preferred_locales: ['en', 'de'], phone: '+15555550100'})
    expect(localized).toMatchObject({phone: '+15555550100', preferred_locales: ['en', 'de']})
    expect(await stripe.customers.update(localized.id, {preferred_locales: ['fr']})).toMatchObject({
      preferred_locales: ['fr'],
    })
    for (const refused of [
      stripe.customers.create({address: {country: 'DE'}}),
      stripe.customers.update(localized.id, {tax_exempt: 'exempt'}),
      stripe.customers.create({shipping: {name: 'A', address: {country: 'DE'}}}),
      stripe.products.create({name: 'Taxed', tax_code: 'txcd_10000000'}),
      stripe.products.create({name: 'Described', statement_descriptor: 'SEED CO'}),
    ])
      await expect(refused).rejects.toMatchObject({statusCode: 501})
    const shown = await stripe.products.create({
      name: 'Shown',
      url: 'https://example.com',
      images: ['https://example.com/a.png'],
      shippable: false,
    })
    expect(shown).toMatchObject({url: 'https://example.com', images: ['https://example.com/a.png'], shippable: false})
    expect(await stripe.products.update(shown.id, {url: '', images: ''})).toMatchObject({
      url: null,
      images: [],
      shippable: false,
    })
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      recurring: {interval: 'month'},
      product_data: {name: 'P'},
    })
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        payment_settings: {payment_method_types: ['card']},
      }),
    ).resolves.toMatchObject({status: 'active'})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        add_invoice_items: [{price: price.id}],
      }),
    ).rejects.toMatchObject({statusCode: 501})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        payment_settings: {save_default_payment_method: 'off'},
      }),
    ).resolves.toMatchObject({payment_settings: {save_default_payment_method: 'off'}})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        payment_settings: {save_default_payment_method: 'on_subscription'},
      }),
    ).rejects.toMatchObject({statusCode: 501})
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], off_session: true}),
    ).rejects.toMatchObject({statusCode: 501})
  })

  it("a Stripe endpoint the emulator does not model is a 501 naming it; an unknown URL is Stripe's 404 (SB-1)", async () => {
    const running = await emulator()
    const stripe = sdk(running)
    await expect(stripe.quotes.list()).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('GET /v1/quotes'),
    })
    await expect(stripe.disputes.list()).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('GET /v1/disputes'),
    })
    // A fixed path is never taken for an id by a `/:id` route.
    await expect(stripe.creditNotes.preview({invoice: 'in_x'})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('GET /v1/credit_notes/preview'),
    })
    const unknown = await stripe.rawRequest('GET', '/v1/not_a_thing').catch((e: unknown) => e)
    expect(unknown).toMatchObject({statusCode: 404, message: expect.stringContaining('Unrecognized request URL')})
  })

  it('idempotency: the same key and parameters replay the first answer; other parameters are an idempotency_error (SB-5)', async () => {
    const running = await emulator()
    const stripe = sdk(running)
    const first = await stripe.customers.create({email: 'a@example.com'}, {idempotencyKey: 'key-1'})
    const replay = await stripe.customers.create({email: 'a@example.com'}, {idempotencyKey: 'key-1'})
    expect(replay.id).toBe(first.id)
    expect(running.engine.customers.size).toBe(1)
    await expect(stripe.customers.create({email: 'b@example.com'}, {idempotencyKey: 'key-1'})).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    })
    // GET ignores keys.
    expect((await stripe.customers.retrieve(first.id, {}, {idempotencyKey: 'key-1'})).id).toBe(first.id)
  })

  it("answers 429 in Stripe's shape above the account rate limit (SB-6)", async () => {
    const running = await emulator({rateLimit: 5})
    const stripe = sdk(running)
    const results = await Promise.allSettled(Array.from({length: 12}, () => stripe.customers.list({limit: 1})))
    const limited = results.filter((r) => r.status === 'rejected')
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
    expect(limited).toHaveLength(7)
    expect((limited[0] as PromiseRejectedResult).reason).toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
      code: 'rate_limit',
    })
  })

  it('paginates customers across pages with limit / starting_after (SB-8)', async () => {
    const running = await emulator()
    const stripe = sdk(running)
    for (let i = 0; i < 25; i++) await stripe.customers.create({email: `c${i}@example.com`})
    const all = await stripe.customers.list({limit: 10}).autoPagingToArray({limit: 100})
    expect(all).toHaveLength(25)
    expect(new Set(all.map((c) => c.id)).size).toBe(25)
    expect(all[0]?.email).toBe('c24@example.com') // newest first
    await expect(stripe.customers.list({limit: 101})).rejects.toMatchObject({statusCode: 400, param: 'limit'})
  })

  it('transfers a lookup key only when asked, and lists up to 10 lookup keys (SB-18)', async () => {
    const running = await emulator()
    const stripe = sdk(running)
    const product = await stripe.products.create({id: 'custom_product', name: 'Custom'})
    expect(product.id).toBe('custom_product')
    await expect(stripe.products.create({id: 'custom_product', name: 'Again'})).rejects.toMatchObject({
      code: 'resource_already_exists',
    })
    const a = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 100,
      recurring: {interval: 'month'},
      lookup_key: 'plan',
    })
    await expect(
      stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 200,
        recurring: {interval: 'month'},
        lookup_key: 'plan',
      }),
    ).rejects.toMatchObject({statusCode: 400, param: 'lookup_key'})
    const b = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 200,
      recurring: {interval: 'month'},
      lookup_key: 'plan',
      transfer_lookup_key: true,
    })
    expect((await stripe.prices.list({lookup_keys: ['plan']})).data.map((p) => p.id)).toEqual([b.id])
    expect((await stripe.prices.retrieve(a.id)).lookup_key).toBeNull()
    await expect(stripe.prices.list({lookup_keys: Array.from({length: 11}, (_, i) => `k${i}`)})).rejects.toMatchObject({
      statusCode: 400,
    })
  })
})

describe('emulator: realism and faults', () => {
  it('an injected internal_failure breaks the clock for good (SB-10)', async () => {
    const running = await emulator({failClocksNamed: /^doomed/})
    const stripe = sdk(running)
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START, name: 'doomed-1'})
    await stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START + 86_400})
    let status = 'advancing'
    for (let i = 0; i < 100 && status === 'advancing'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      status = (await stripe.testHelpers.testClocks.retrieve(clock.id)).status
    }
    expect(status).toBe('internal_failure')
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START + 2 * 86_400}),
    ).rejects.toMatchObject({statusCode: 400})
  })

  it('advances take longer while other clocks advance (SB-11)', async () => {
    // A's advance lasts long enough to be underway when B's starts, however slow the machine: no wall-clock race.
    const running = await emulator({advanceMs: 30_000, advancePerConcurrentMs: 1000, log: true})
    const stripe = sdk(running)
    const a = await stripe.testHelpers.testClocks.create({frozen_time: START})
    const b = await stripe.testHelpers.testClocks.create({frozen_time: START})
    await stripe.testHelpers.testClocks.advance(a.id, {frozen_time: START + 60})
    await stripe.testHelpers.testClocks.advance(b.id, {frozen_time: START + 60})
    const duration = (id: string) => running.advanceLog.find((entry) => entry.clockId === id)?.durationMs
    expect(duration(a.id)).toBe(30_000)
    expect(duration(b.id)).toBe(31_000)
  })

  it('injected 500s and dropped connections are retried by the SDK with the same idempotency key, creating one object', async () => {
    const running = await emulator({faultRate: 0.5, seed: 3})
    const stripe = sdk(running, 'sk_test_faults', {maxNetworkRetries: 8})
    for (let i = 0; i < 10; i++)
      await stripe.customers.create({email: `f${i}@example.com`}, {idempotencyKey: `fault-${i}`})
    expect(running.engine.customers.size).toBe(10)
    expect(running.requestLog.filter((entry) => entry.status === 500 || entry.status === 0).length).toBeGreaterThan(0)
    const keys = running.requestLog.filter((entry) => entry.status === 200).map((entry) => entry.idempotencyKey)
    expect(new Set(keys).size).toBe(10)
  })

  it('keeps a request log with method, path, status, latency and idempotency key', async () => {
    const running = await emulator({latencyMs: 15})
    const stripe = sdk(running)
    await stripe.customers.create({}, {idempotencyKey: 'logged'})
    await stripe.customers.list()
    expect(
      running.requestLog.map(({method, path, status, idempotencyKey}) => ({method, path, status, idempotencyKey})),
    ).toEqual([
      {method: 'POST', path: '/v1/customers', status: 200, idempotencyKey: 'logged'},
      {method: 'GET', path: '/v1/customers', status: 200, idempotencyKey: undefined},
    ])
    expect(running.requestLog.every((entry) => entry.latencyMs >= 14)).toBe(true)
  })
})
