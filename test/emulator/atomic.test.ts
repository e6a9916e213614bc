import {describe, expect, it} from 'vitest'

import {invalid} from '../../src/emulator/errors.js'
import {ROUTES} from '../../src/emulator/registry.js'
import type {Route} from '../../src/emulator/resource.js'
import type {RunningEmulator} from '../../src/emulator/server.js'
import {useFreshEmulators} from '../helpers/emulator.js'
import {webhookReceiver} from '../helpers/webhook-receiver.js'
import {wholeState} from '../helpers/whole-state.js'
import {sdk} from './sdk.js'

// Every request is all-or-nothing (SB-A1): one that fails leaves no record, index entry, event,
// webhook or idempotent result behind, whatever kind of failure it is. Declines whose state Stripe
// keeps are the documented exception (SB-A3); idempotent results are saved as Stripe saves them (SB-A2).

const emulator = useFreshEmulators()

/** Everything a request could leave behind, with the webhook deliveries still owed and those made. */
function everything(running: RunningEmulator, delivered: number) {
  return {...wholeState(running), deliveriesOwed: running.events.delivery.backlog(), delivered}
}

/** One raw form-encoded request, as any HTTP client sends it: the answer's status and body. */
async function post(running: RunningEmulator, path: string, form: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer sk_test_atomic',
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: form,
  })
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    body: (await response.json()) as {id?: string; status?: string; error?: {type: string; message: string}},
  }
}

/** An account with a webhook endpoint, a customer paying by card and a monthly price. */
async function account() {
  const running = await emulator({webhookRetryDelaysMs: [0, 0, 0]})
  const stripe = sdk(running)
  const hook = await webhookReceiver()
  const endpoint = await stripe.webhookEndpoints.create({url: hook.url, enabled_events: ['*']})
  hook.useSecret(endpoint.secret!)
  const customer = await stripe.customers.create({
    email: 'atomic@example.com',
    payment_method: 'pm_card_visa',
    invoice_settings: {default_payment_method: 'pm_card_visa'},
  })
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    recurring: {interval: 'month'},
    product_data: {name: 'Seats'},
  })
  const subscription = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
  /** The state once every webhook owed so far has been delivered. */
  const settled = async () => {
    const events = (await stripe.events.list({limit: 100})).data.length
    await hook.waitFor(events)
    while (running.events.delivery.backlog() > 0) await new Promise((resolve) => setImmediate(resolve))
    return everything(running, hook.requests())
  }
  return {running, stripe, customer, price, subscription, settled, hook}
}

/** Replaces a route's handler for one test: `after` runs once the real handler has changed the state. */
function failingAfter(method: Route['method'], path: string, after: () => never): () => void {
  const route = ROUTES.find((candidate) => candidate.method === method && candidate.pattern.test(path))!
  const original = route.handle
  route.handle = (ctx) => {
    original(ctx)
    after()
  }
  return () => {
    route.handle = original
  }
}

describe('every request is atomic (SB-A1)', () => {
  it('a failing request of each kind leaves the whole state as it was: records, indexes, events, webhooks, idempotent results', async () => {
    const {running, customer, price, subscription, settled} = await account()
    const create = `customer=${customer.id}&items[0][price]=${price.id}`
    const failures: Array<[string, () => Promise<{status: number}>, number]> = [
      ['an unknown parameter', () => post(running, '/v1/subscriptions', `${create}&items[0][colour]=red`), 400],
      // Today's bug: the subscription and its open invoice were created before the expand was refused.
      ['a refused expand', () => post(running, '/v1/subscriptions', `${create}&expand[]=latest_invoice.nothing`), 400],
      [
        'a missing object',
        () => post(running, '/v1/subscriptions', `customer=${customer.id}&items[0][price]=price_nope`),
        404,
      ],
      ['a missing path', () => post(running, '/v1/subscriptions/sub_nope', 'metadata[a]=b'), 404],
      [
        'an unmodelled parameter',
        () => post(running, `/v1/invoices/${subscription.latest_invoice as string}/pay`, 'forgive=true'),
        501,
      ],
    ]
    for (const [kind, request, status] of failures) {
      const before = await settled()
      expect((await request()).status, kind).toBe(status)
      expect(await settled(), kind).toEqual(before)
    }
  })

  it('an error raised midway, after the handler changed records in place and emitted events, undoes all of it and keeps each record the same object', async () => {
    const {running, customer, subscription, settled} = await account()
    const record = running.engine.subscriptions.get(subscription.id)!
    const kept = JSON.stringify(record)
    const before = await settled()
    const restore = failingAfter('POST', `/v1/subscriptions/${subscription.id}`, () => {
      throw invalid('refused after the change was made')
    })
    try {
      const answer = await post(
        running,
        `/v1/subscriptions/${subscription.id}`,
        'metadata[plan]=gold&cancel_at_period_end=true',
      )
      expect(answer.status).toBe(400)
    } finally {
      restore()
    }
    expect(await settled()).toEqual(before)
    expect(running.engine.subscriptions.get(subscription.id)).toBe(record)
    expect(JSON.stringify(record)).toBe(kept)

    // Our own bug midway (a 500): the same.
    const restoreCreate = failingAfter('POST', '/v1/customers', () => {
      throw new Error('a bug after the customer was created')
    })
    try {
      const answer = await post(running, '/v1/customers', `email=midway@example.com&payment_method=pm_card_visa`)
      expect(answer).toMatchObject({status: 500, body: {error: {type: 'api_error'}}})
    } finally {
      restoreCreate()
    }
    expect(await settled()).toEqual(before)
    expect(running.engine.customers.get(customer.id)).toBeDefined()
  })

  it('an injected server_error changes nothing', async () => {
    const running = await emulator({faultRate: 0.5, faultKinds: ['server_error'], seed: 3})
    let injected = 0
    for (let attempt = 0; attempt < 20 && injected < 3; attempt++) {
      const before = everything(running, 0)
      const answer = await post(running, '/v1/customers', `email=c${attempt}@example.com`)
      if (answer.status !== 500) continue
      injected++
      expect(answer.body.error?.message).toMatch(/injected/)
      expect(everything(running, 0)).toEqual(before)
    }
    expect(injected).toBe(3)
  })

  it('a decline keeps what Stripe keeps: the PaymentIntent in requires_payment_method with its failed charge, and its result is replayed (SB-A3, SB-A2)', async () => {
    const {running, stripe, customer} = await account()
    const form = `amount=2000&currency=usd&customer=${customer.id}&payment_method=pm_card_chargeCustomerFail&confirm=true`
    const first = await post(running, '/v1/payment_intents', form, {'Idempotency-Key': 'decline-1'})
    expect(first).toMatchObject({status: 402, body: {error: {type: 'card_error'}}})
    const direct = async () =>
      (await stripe.paymentIntents.list({customer: customer.id})).data.filter((intent) => intent.amount === 2000)
    const [intent] = await direct()
    expect(intent).toMatchObject({status: 'requires_payment_method', last_payment_error: {code: 'card_declined'}})
    const types = (await stripe.events.list({limit: 100})).data.map((event) => event.type)
    expect(types).toEqual(expect.arrayContaining(['payment_intent.payment_failed', 'charge.failed']))
    const replay = await post(running, '/v1/payment_intents', form, {'Idempotency-Key': 'decline-1'})
    expect(replay).toMatchObject({status: 402, replayed: true, body: first.body})
    expect(await direct()).toHaveLength(1)
  })

  it('error_if_incomplete with a failing card is a 402 that creates nothing (SB-28)', async () => {
    const {running, stripe, price, settled} = await account()
    const failing = await stripe.customers.create({
      payment_method: 'pm_card_chargeCustomerFail',
      invoice_settings: {default_payment_method: 'pm_card_chargeCustomerFail'},
    })
    const before = await settled()
    const answer = await post(
      running,
      '/v1/subscriptions',
      `customer=${failing.id}&items[0][price]=${price.id}&payment_behavior=error_if_incomplete`,
    )
    expect(answer.status).toBe(402)
    const after = await settled()
    expect({...after, idempotency: {}}).toEqual({...before, idempotency: {}})
  })
})

describe('idempotent results are saved only once an endpoint ran (SB-A2)', () => {
  it('refused parameters save nothing: the same key then runs the corrected request', async () => {
    const {running, customer, price} = await account()
    const create = `customer=${customer.id}&items[0][price]=${price.id}`
    const refused = await post(running, '/v1/subscriptions', `${create}&items[0][colour]=red`, {
      'Idempotency-Key': 'k1',
    })
    expect(refused.status).toBe(400)
    expect(running.idempotency.has('k1')).toBe(false)
    const corrected = await post(running, '/v1/subscriptions', create, {'Idempotency-Key': 'k1'})
    expect(corrected).toMatchObject({status: 200, replayed: false, body: {status: 'active'}})
    const again = await post(running, '/v1/subscriptions', create, {'Idempotency-Key': 'k1'})
    expect(again).toMatchObject({status: 200, replayed: true, body: {id: corrected.body.id}})
  })

  it('an endpoint that failed after it began saves its 500, with nothing of what it did', async () => {
    const {running, settled} = await account()
    const before = await settled()
    const restore = failingAfter('POST', '/v1/customers', () => {
      throw new Error('a bug after the customer was created')
    })
    let first
    try {
      first = await post(running, '/v1/customers', 'email=x@example.com', {'Idempotency-Key': 'k500'})
    } finally {
      restore()
    }
    expect(first.status).toBe(500)
    const replay = await post(running, '/v1/customers', 'email=x@example.com', {'Idempotency-Key': 'k500'})
    expect(replay).toMatchObject({status: 500, replayed: true, body: first.body})
    const after = await settled()
    expect(Object.keys(after.idempotency)).toEqual([...Object.keys(before.idempotency), 'k500'])
    expect({...after, idempotency: before.idempotency}).toEqual(before)
  })
})
