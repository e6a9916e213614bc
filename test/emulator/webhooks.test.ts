import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import {type EmulatorOptions, startEmulator} from '../../src/emulator/server.js'
import {FAST} from '../helpers/emulator.js'
import {RENEWAL_SEQUENCE, firstPaidRenewal, webhookReceiver} from '../helpers/webhook-receiver.js'

// Events and webhooks through the real SDK over HTTP, as a user's ETL or webhook handler sees them.

const open: Array<{close: () => Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()))
})

async function emulator(options: EmulatorOptions = {}) {
  const running = await startEmulator({...FAST, webhookRetryDelaysMs: [0, 0, 0], ...options})
  open.push(running)
  const url = new URL(running.url)
  const stripe = new Stripe('sk_test_events', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  })
  return {running, stripe}
}

async function receiver(options: Parameters<typeof webhookReceiver>[0] = {}) {
  const made = await webhookReceiver(options)
  open.push(made)
  return made
}

const DAY = 86_400
const START = Date.UTC(2026, 0, 1) / 1000

/** Waits for an advance to finish by polling the clock, as a user would. */
async function advance(stripe: Stripe, clockId: string, to: number): Promise<void> {
  await stripe.testHelpers.testClocks.advance(clockId, {frozen_time: to})
  for (let polls = 0; ; polls++) {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId)
    if (clock.status === 'ready') return
    if (polls > 2000) throw new Error(`clock ${clockId} still ${clock.status}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('/v1/events through the SDK (SB-E1 – SB-E4)', () => {
  it('lists what requests did, newest first, filtered by type, types and created, and retrieves one', async () => {
    const {stripe} = await emulator()
    const product = await stripe.products.create({name: 'Seats'}, {idempotencyKey: 'product-1'})
    await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 1200,
      recurring: {interval: 'month'},
    })
    const customer = await stripe.customers.create({email: 'a@example.com'})
    const all = await stripe.events.list().autoPagingToArray({limit: 1000})
    expect(all.map((event) => event.type)).toEqual(['customer.created', 'price.created', 'product.created'])
    const productCreated = all[2]!
    expect(productCreated).toMatchObject({
      object: 'event',
      api_version: Stripe.API_VERSION,
      livemode: false,
      data: {object: {id: product.id, object: 'product'}},
    })
    expect(productCreated.request).toEqual({id: expect.stringMatching(/^req_/), idempotency_key: 'product-1'})
    expect((await stripe.events.list({type: 'customer.*'})).data.map((event) => event.data.object)).toMatchObject([
      {id: customer.id},
    ])
    expect((await stripe.events.list({types: ['price.created', 'product.created']})).data).toHaveLength(2)
    expect((await stripe.events.list({created: {gt: productCreated.created + 3600}})).data).toEqual([])
    expect(await stripe.events.retrieve(productCreated.id)).toMatchObject({
      id: productCreated.id,
      type: 'product.created',
    })
    await expect(stripe.events.retrieve('evt_nope')).rejects.toMatchObject({statusCode: 404})
    await expect(stripe.events.list({type: 'a', types: ['b']})).rejects.toMatchObject({
      statusCode: 400,
    })
  })
})

describe('/v1/webhook_endpoints through the SDK (SB-E5)', () => {
  it('creates, retrieves, updates, lists and deletes; the secret is in the create response only', async () => {
    const {stripe} = await emulator()
    const created = await stripe.webhookEndpoints.create({
      url: 'https://example.com/hook',
      enabled_events: ['invoice.paid'],
    })
    expect(created.secret).toMatch(/^whsec_/)
    expect(await stripe.webhookEndpoints.retrieve(created.id)).not.toHaveProperty('secret')
    const updated = await stripe.webhookEndpoints.update(created.id, {enabled_events: ['*'], disabled: true})
    expect(updated).toMatchObject({enabled_events: ['*'], status: 'disabled'})
    const second = await stripe.webhookEndpoints.create({url: 'http://localhost:3000/webhook', enabled_events: ['*']})
    const listed = await stripe.webhookEndpoints.list()
    expect(listed.data.map((endpoint) => endpoint.id)).toEqual([second.id, created.id])
    expect(listed.data.some((endpoint) => 'secret' in endpoint)).toBe(false)
    expect(await stripe.webhookEndpoints.del(created.id)).toMatchObject({id: created.id, deleted: true})
    await expect(stripe.webhookEndpoints.retrieve(created.id)).rejects.toMatchObject({statusCode: 404})
  })
})

describe('webhook delivery through the SDK (SB-E6 – SB-E9)', () => {
  it('a handler written for real Stripe verifies every delivery to a registered endpoint, even one that fails twice first', async () => {
    const {stripe, running} = await emulator()
    const hook = await receiver({failFirst: 2})
    const endpoint = await stripe.webhookEndpoints.create({url: hook.url, enabled_events: ['*']})
    hook.useSecret(endpoint.secret!)
    const product = await stripe.products.create({name: 'Seats'})
    await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 1200,
      recurring: {interval: 'month'},
    })
    await stripe.customers.create({email: 'b@example.com'})
    const listed = await stripe.events.list().autoPagingToArray({limit: 1000})
    const received = await hook.waitFor(listed.length)
    expect(hook.rejected).toEqual([])
    // No order is promised (SB-A5): the event that failed first arrives after the others.
    expect(received.map((delivery) => delivery.event.id).sort()).toEqual(listed.map((event) => event.id).sort())
    expect(hook.requests()).toBe(listed.length + 2)
    await waitUntil(() => running.events.delivery.backlog() === 0)
    expect((await stripe.events.list({delivery_success: false})).data).toEqual([])
  })

  it('answers requests while an endpoint hangs: delivery runs beside the API, never in its way (SB-E7)', async () => {
    const hook = await receiver({hang: true})
    const {stripe, running} = await emulator({webhookTimeoutMs: 60_000})
    await stripe.webhookEndpoints.create({url: hook.url, enabled_events: ['*']})
    for (let i = 0; i < 20; i++) await stripe.customers.create({email: `c${i}@example.com`})
    expect((await stripe.events.list({limit: 100})).data).toHaveLength(20)
    // All 20 still owed to the hanging endpoint: some in flight, the rest ready (SB-A5).
    expect(running.events.delivery.backlog()).toBe(20)
    expect(
      (await stripe.events.list({delivery_success: false, limit: 100})).data.every(
        (event) => event.pending_webhooks === 1,
      ),
    ).toBe(true)
  })

  it("forwards months of a subscription's billing: every event verifies, the receiver's list equals /v1/events, a renewal fires the documented sequence", async () => {
    const hook = await receiver({secret: 'whsec_forwarding_test'})
    const {stripe, running} = await emulator({forwardTo: [{url: hook.url}], webhookSecret: 'whsec_forwarding_test'})
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START, name: 'webhooks'})
    const customer = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 2500,
      recurring: {interval: 'month'},
      product_data: {name: 'Plan'},
    })
    const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    for (let month = 1; month <= 4; month++) await advance(stripe, clock.id, START + month * 31 * DAY)
    const listed = await stripe.events.list().autoPagingToArray({limit: 10_000})
    const received = await hook.waitFor(listed.length)
    expect(hook.rejected).toEqual([])
    expect(received.map((delivery) => delivery.event.id).sort()).toEqual(listed.map((event) => event.id).sort())
    await waitUntil(() => running.events.delivery.backlog() === 0)

    // One renewal, from the period's end to the paid invoice (SB-68).
    const events = received.map((delivery) => delivery.event)
    expect(firstPaidRenewal(events)).toEqual(RENEWAL_SEQUENCE)
    const period = events.find(
      (event) =>
        event.type === 'customer.subscription.updated' &&
        event.request?.id === null &&
        (event.data.object as {id: string}).id === subscription.id,
    )!
    expect(Object.keys(period.data.previous_attributes ?? {})).toContain('items')
  })
})

/** Polls observable state, bounded: never a fixed sleep. */
async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
