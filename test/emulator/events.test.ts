import {readFile} from 'node:fs/promises'
import Stripe from 'stripe'
import {afterEach, describe, expect, it} from 'vitest'

import type {StateChange} from '../../src/emulator/event-sink.js'
import {AccountEvents, type AccountEventsOptions} from '../../src/emulator/events/account-events.js'
import type {DeliveryLogEntry} from '../../src/emulator/events/delivery.js'
import {renderEvent} from '../../src/emulator/events/event-log.js'
import {listEvents, retrieveEvent} from '../../src/emulator/events/events-api.js'
import {seededRandom} from '../../src/random.js'
import {webhookReceiver} from '../helpers/webhook-receiver.js'

// The event log and webhook delivery on their own, fed state changes directly as the resources do.

const open: Array<{close: () => Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()))
})

function accountEvents(options: Partial<AccountEventsOptions> = {}) {
  const clock = {now: Date.UTC(2026, 10, 1)}
  const deliveries: DeliveryLogEntry[] = []
  const events = new AccountEvents({
    random: seededRandom(7),
    wallNow: () => clock.now,
    webhookRetryDelaysMs: [0, 0, 0],
    onDelivery: (entry) => deliveries.push(entry),
    ...options,
  })
  open.push(events)
  return {events, clock, deliveries}
}

let counter = 0
function change(type: string, extra: Partial<StateChange> = {}): StateChange {
  counter++
  return {
    type,
    object: {id: `cus_${counter}`, object: type.split('.')[0], name: `n${counter}`},
    created: 1_790_000_000 + counter,
    request: {id: `req_${counter}`, idempotencyKey: null},
    ...extra,
  }
}

function listed(events: AccountEvents, params: Record<string, unknown> = {}) {
  return listEvents(events.log, params) as {
    data: Array<{id: string; type: string; created: number; pending_webhooks: number}>
    has_more: boolean
  }
}

describe('event log (SB-E1 – SB-E4)', () => {
  it("records a state change as a Stripe Event with the fields of fixtures3.json's event", async () => {
    const {events} = accountEvents()
    events.emit(change('customer.created', {request: {id: 'req_abc', idempotencyKey: 'key-1'}}))
    events.emit(change('invoice.paid', {request: null}))
    const [paid, created] = listed(events).data
    expect(Object.keys(created ?? {}).sort()).toEqual([...(await fixtureKeys()).event!].sort())
    expect(created).toMatchObject({
      id: expect.stringMatching(/^evt_\w{24}$/),
      object: 'event',
      api_version: Stripe.API_VERSION,
      livemode: false,
      type: 'customer.created',
      request: {id: 'req_abc', idempotency_key: 'key-1'},
    })
    // An automatic change (a clock's renewal) has a request with a null id (fact 87).
    expect(paid).toMatchObject({type: 'invoice.paid', request: {id: null, idempotency_key: null}})
  })

  it('keeps data.object as it was at the change, whatever happens to the object afterwards (fact 87)', () => {
    const {events} = accountEvents()
    const object = {id: 'sub_1', object: 'subscription', status: 'active', items: {data: [{quantity: 1}]}}
    events.emit(change('customer.subscription.created', {object}))
    object.status = 'canceled'
    object.items.data[0]!.quantity = 5
    const [event] = listed(events).data
    const again = retrieveEvent(events.log, event!.id, {}) as {data: {object: typeof object}}
    expect(again.data.object).toEqual({
      id: 'sub_1',
      object: 'subscription',
      status: 'active',
      items: {data: [{quantity: 1}]},
    })
    // What a caller does to a response cannot reach the log either.
    again.data.object.status = 'mutated'
    expect((retrieveEvent(events.log, event!.id, {}) as {data: {object: typeof object}}).data.object.status).toBe(
      'active',
    )
  })

  it('carries previous_attributes on *.updated events only (fact 87)', () => {
    const {events} = accountEvents()
    events.emit(change('customer.subscription.updated', {previousAttributes: {status: 'trialing'}}))
    events.emit(change('customer.subscription.created', {previousAttributes: {status: 'trialing'}}))
    const [created, updated] = listed(events).data.map(
      (event) => retrieveEvent(events.log, event.id, {}) as {data: Record<string, unknown>},
    )
    expect(updated?.data.previous_attributes).toEqual({status: 'trialing'})
    expect(created?.data).not.toHaveProperty('previous_attributes')
  })

  it('lists newest first, 10 by default, with cursors (fact 88)', () => {
    const {events} = accountEvents()
    for (let i = 0; i < 25; i++) events.emit(change('customer.created'))
    const first = listed(events)
    expect(first.data).toHaveLength(10)
    expect(first.has_more).toBe(true)
    const all = [...first.data]
    let page = first
    while (page.has_more) {
      page = listed(events, {starting_after: page.data.at(-1)!.id})
      all.push(...page.data)
    }
    expect(all).toHaveLength(25)
    expect(all.map((event) => event.created)).toEqual([...all.map((event) => event.created)].sort((a, b) => b - a))
    expect(listed(events, {ending_before: all[12]!.id, limit: 2}).data.map((event) => event.id)).toEqual([
      all[10]!.id,
      all[11]!.id,
    ])
  })

  it('orders by created: a clock whose frozen time is behind lists its events further down', () => {
    const {events} = accountEvents()
    events.emit(change('customer.created', {created: 2000}))
    events.emit(change('invoice.created', {created: 1000}))
    events.emit(change('invoice.paid', {created: 1000}))
    expect(listed(events).data.map((event) => event.type)).toEqual([
      'customer.created',
      'invoice.paid',
      'invoice.created',
    ])
  })

  it('filters by type with * wildcards, by types[], and by created ranges (fact 88)', () => {
    const {events} = accountEvents()
    for (const type of [
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.paid',
      'customer.subscription.updated',
    ])
      events.emit(change(type, {created: 100 + counter}))
    const types = (params: Record<string, unknown>) => listed(events, params).data.map((event) => event.type)
    expect(types({type: 'invoice.paid'})).toEqual(['invoice.paid'])
    expect(types({type: 'customer.subscription.*'})).toEqual([
      'customer.subscription.updated',
      'customer.subscription.created',
    ])
    expect(types({type: 'customer.*'})).toEqual([
      'customer.subscription.updated',
      'customer.subscription.created',
      'customer.created',
    ])
    expect(types({type: '*.created'})).toEqual(['invoice.created', 'customer.subscription.created', 'customer.created'])
    expect(types({types: ['invoice.paid', 'customer.created']})).toEqual(['invoice.paid', 'customer.created'])
    const all = listed(events).data
    const middle = all[2]!.created
    expect(listed(events, {created: {gte: String(middle)}}).data).toHaveLength(3)
    expect(listed(events, {created: {gt: String(middle)}}).data).toHaveLength(2)
    expect(listed(events, {created: {lt: String(middle), gte: String(all[4]!.created)}}).data).toHaveLength(2)
    expect(listed(events, {created: {lte: String(middle)}}).data).toHaveLength(3)
    expect(listed(events, {created: String(middle)}).data.map((event) => event.id)).toEqual([all[2]!.id])
  })

  it('refuses type with types, more than 20 types, and parameters Stripe does not have', () => {
    const {events} = accountEvents()
    expect(() => listEvents(events.log, {type: 'a', types: ['b']})).toThrow(
      expect.objectContaining({status: 400, param: 'types'}),
    )
    expect(() => listEvents(events.log, {types: Array.from({length: 21}, (_, i) => `t${i}.created`)})).toThrow(
      expect.objectContaining({status: 400}),
    )
    expect(() => listEvents(events.log, {object: 'customer'})).toThrow(
      expect.objectContaining({status: 400, code: 'parameter_unknown'}),
    )
    expect(() => retrieveEvent(events.log, 'evt_missing', {})).toThrow(
      expect.objectContaining({status: 404, code: 'resource_missing'}),
    )
  })

  it('reaches back 30 days of wall-clock time from when an event was recorded (fact 88, SB-E4)', () => {
    // Stated here, not imported: the test must fail if the emulator's retention drifts from 30 days.
    const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
    const {events, clock} = accountEvents()
    events.emit(change('customer.created', {created: 1}))
    const old = listed(events).data[0]!
    clock.now += THIRTY_DAYS_MS - 1000
    events.emit(change('customer.updated', {created: 1}))
    expect(listed(events).data).toHaveLength(2)
    clock.now += 2000
    expect(listed(events).data.map((event) => event.type)).toEqual(['customer.updated'])
    expect(() => retrieveEvent(events.log, old.id, {})).toThrow(expect.objectContaining({status: 404}))
  })
})

describe('event log memory (SB-E4)', () => {
  it('keeps at most maxEvents, forgetting the oldest recorded, and still delivers what it forgot', async () => {
    const receiver = await webhookReceiver({secret: 'whsec_cap'})
    open.push(receiver)
    const {events} = accountEvents({maxEvents: 5, webhookSecret: 'whsec_cap', forwardTo: [{url: receiver.url}]})
    for (let i = 0; i < 20; i++) {
      events.emit(change('customer.created', {created: 1000 + i}))
      // A healthy target keeps up (a target that falls maxEvents behind gives up the oldest, below).
      if (i % 5 === 4) await waitUntil(() => events.delivery.backlog() === 0)
    }
    const kept = listed(events, {limit: 100}).data
    expect(kept.map((event) => event.created)).toEqual([1019, 1018, 1017, 1016, 1015])
    expect((await receiver.waitFor(20)).map((delivery) => delivery.event.created)).toEqual(
      Array.from({length: 20}, (_, i) => 1000 + i),
    )
  })
})

describe('delivery backlog (SB-E7)', () => {
  it('a target that is down holds at most maxEvents: the oldest waiting events are given up, the newest still arrive', async () => {
    const receiver = await webhookReceiver({hang: true})
    open.push(receiver)
    const {events, deliveries} = accountEvents({maxEvents: 3, webhookTimeoutMs: 60_000})
    events.endpoints.create({url: receiver.url, enabled_events: ['*']})
    for (let i = 0; i < 10; i++) events.emit(change('customer.created', {created: 2000 + i}))
    expect(events.delivery.backlog()).toBe(3)
    expect(deliveries.map((entry) => entry.outcome)).toEqual(Array.from({length: 7}, () => 'gave_up'))
    // Given up: the seven oldest; the three newest still wait (SB-A5: none is in flight yet).
    expect(
      listed(events, {limit: 100})
        .data.filter((event) => event.pending_webhooks === 1)
        .map((event) => event.created),
    ).toEqual([2009, 2008, 2007])
  })
})

describe('webhook endpoints (SB-E5)', () => {
  it('create answers the whsec_ secret once; retrieve, update and delete never show it (fact 90)', async () => {
    const {events} = accountEvents()
    const created = events.endpoints.create({
      url: 'https://example.com/hook',
      enabled_events: ['invoice.paid', 'customer.created'],
      description: 'ETL',
      metadata: {team: 'data'},
    })
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      id: expect.stringMatching(/^we_/),
      secret: expect.stringMatching(/^whsec_/),
      status: 'enabled',
      api_version: null,
      enabled_events: ['invoice.paid', 'customer.created'],
    })
    const id = created.id as string
    const retrieved = events.endpoints.retrieve(id, {})
    expect(retrieved).not.toHaveProperty('secret')
    expect(Object.keys(retrieved).sort()).toEqual([...(await fixtureKeys()).webhook_endpoint!].sort())
    const updated = events.endpoints.update(id, {
      disabled: 'true',
      enabled_events: ['*'],
      url: 'http://localhost:3000/webhook',
      metadata: {team: ''},
    })
    expect(updated).toMatchObject({
      status: 'disabled',
      enabled_events: ['*'],
      url: 'http://localhost:3000/webhook',
      metadata: {},
    })
    expect(updated).not.toHaveProperty('secret')
    expect(events.endpoints.update(id, {disabled: 'false'})).toMatchObject({status: 'enabled'})
    expect(events.endpoints.delete(id, {})).toEqual({id, object: 'webhook_endpoint', deleted: true})
    expect(() => events.endpoints.retrieve(id, {})).toThrow(expect.objectContaining({status: 404}))
  })

  it('refuses unknown event types, a bad URL, an API version Stripe does not have, and what it does not model (Connect) (SB-V2, SB-V3)', () => {
    const {events} = accountEvents()
    expect(() => events.endpoints.create({url: 'https://example.com', enabled_events: ['invoice.payed']})).toThrow(
      expect.objectContaining({status: 400, param: 'enabled_events[0]'}),
    )
    expect(() => events.endpoints.create({url: 'not a url', enabled_events: ['*']})).toThrow(
      expect.objectContaining({status: 400, param: 'url'}),
    )
    expect(() => events.endpoints.create({enabled_events: ['*']})).toThrow(
      expect.objectContaining({status: 400, param: 'url'}),
    )
    expect(() => events.endpoints.create({url: 'https://example.com', enabled_events: ['*'], connect: 'true'})).toThrow(
      expect.objectContaining({status: 501}),
    )
    expect(() =>
      events.endpoints.create({url: 'https://example.com', enabled_events: ['*'], api_version: '2024-06-21'}),
    ).toThrow(expect.objectContaining({status: 400, message: 'Invalid Stripe API version: 2024-06-21'}))
    expect(
      events.endpoints.create({url: 'https://example.com', enabled_events: ['*'], api_version: '2024-06-20'}),
    ).toMatchObject({api_version: '2024-06-20'})
    expect(
      events.endpoints.create({url: 'https://example.com', enabled_events: ['*'], api_version: Stripe.API_VERSION}),
    ).toMatchObject({api_version: Stripe.API_VERSION})
  })
})

describe('webhook delivery (SB-E6 – SB-E8)', () => {
  it("POSTs every event, once, signed so that stripe-node's constructEvent accepts it, with Stripe's headers", async () => {
    const receiver = await webhookReceiver()
    open.push(receiver)
    const {events, deliveries} = accountEvents()
    const endpoint = events.endpoints.create({url: receiver.url, enabled_events: ['*']})
    receiver.useSecret(endpoint.secret as string)
    for (let i = 0; i < 30; i++) events.emit(change(i % 2 ? 'invoice.paid' : 'customer.created'))
    const received = await receiver.waitFor(30)
    expect(receiver.rejected).toEqual([])
    const sent = listed(events, {limit: 100}).data
    // No order is promised (SB-A5): each event once.
    expect(received.map((delivery) => delivery.event.id).sort()).toEqual(sent.map((event) => event.id).sort())
    expect(received[0]!.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/),
    })
    // Delivered: pending_webhooks counted 1 while in flight and 0 once delivered (SB-E8).
    expect(received[0]!.event.pending_webhooks).toBe(1)
    await waitUntil(() => deliveries.length === 30)
    expect(listed(events, {limit: 100}).data.every((event) => event.pending_webhooks === 0)).toBe(true)
    expect(listed(events, {delivery_success: 'false'}).data).toEqual([])
    expect(deliveries.every((entry) => entry.outcome === 'delivered' && entry.status === 200)).toBe(true)
  })

  it('retries each failed delivery on its own until the endpoint recovers: every event arrives once (SB-E7, SB-A5)', async () => {
    const receiver = await webhookReceiver({failFirst: 2})
    open.push(receiver)
    const {events, deliveries} = accountEvents({webhookRetryDelaysMs: [5, 5, 5]})
    receiver.useSecret(events.endpoints.create({url: receiver.url, enabled_events: ['*']}).secret as string)
    for (let i = 0; i < 5; i++) events.emit(change('customer.created'))
    const received = await receiver.waitFor(5)
    expect(received.map((delivery) => delivery.event.id).sort()).toEqual(
      listed(events)
        .data.map((event) => event.id)
        .sort(),
    )
    expect(receiver.requests()).toBe(7)
    await waitUntil(() => deliveries.length === 7)
    // The two failed attempts were retried, each by its own delivery, and then delivered.
    const failed = deliveries.filter((entry) => entry.outcome === 'will_retry')
    expect(failed.map((entry) => entry.status)).toEqual([500, 500])
    for (const entry of failed)
      expect(deliveries.some((later) => later.eventId === entry.eventId && later.outcome === 'delivered')).toBe(true)
  })

  it('gives up after 3 retries on an unreachable target, and delivery_success=false finds the event (fact 88, 92)', async () => {
    const receiver = await webhookReceiver()
    const deadUrl = receiver.url
    await receiver.close()
    const {events, deliveries} = accountEvents()
    events.endpoints.create({url: deadUrl, enabled_events: ['invoice.paid']})
    events.emit(change('invoice.paid'))
    events.emit(change('customer.created'))
    await waitUntil(() => deliveries.some((entry) => entry.outcome === 'gave_up'))
    expect(deliveries.map((entry) => [entry.attempt, entry.status, entry.outcome])).toEqual([
      [1, 0, 'will_retry'],
      [2, 0, 'will_retry'],
      [3, 0, 'will_retry'],
      [4, 0, 'gave_up'],
    ])
    expect(
      listed(events, {delivery_success: 'false'}).data.map((event) => [event.type, event.pending_webhooks]),
    ).toEqual([['invoice.paid', 0]])
    // An event no endpoint wanted counts as delivered.
    expect(listed(events, {delivery_success: 'true'}).data.map((event) => event.type)).toEqual(['customer.created'])
  })

  it('sends each target only what it enabled; a disabled endpoint gets nothing; forwarding targets sign with the forwarding secret', async () => {
    const invoices = await webhookReceiver()
    const everything = await webhookReceiver({secret: 'whsec_forwarding'})
    const onlyCustomers = await webhookReceiver({secret: 'whsec_forwarding'})
    const disabled = await webhookReceiver()
    open.push(invoices, everything, onlyCustomers, disabled)
    const {events} = accountEvents({
      webhookSecret: 'whsec_forwarding',
      forwardTo: [{url: everything.url}, {url: onlyCustomers.url, events: ['customer.created']}],
    })
    invoices.useSecret(
      events.endpoints.create({url: invoices.url, enabled_events: ['invoice.paid', 'invoice.created']})
        .secret as string,
    )
    const off = events.endpoints.create({url: disabled.url, enabled_events: ['*']})
    events.endpoints.update(off.id as string, {disabled: 'true'})
    for (const type of ['customer.created', 'invoice.created', 'invoice.paid', 'customer.updated'])
      events.emit(change(type))
    expect((await everything.waitFor(4)).map((delivery) => delivery.event.type)).toEqual([
      'customer.created',
      'invoice.created',
      'invoice.paid',
      'customer.updated',
    ])
    expect((await invoices.waitFor(2)).map((delivery) => delivery.event.type)).toEqual([
      'invoice.created',
      'invoice.paid',
    ])
    expect((await onlyCustomers.waitFor(1)).map((delivery) => delivery.event.type)).toEqual(['customer.created'])
    // Each event is recorded once; pending_webhooks counts down to 0 as its targets answer.
    await waitUntil(() => events.delivery.backlog() === 0)
    expect(listed(events).data.map((event) => event.pending_webhooks)).toEqual([0, 0, 0, 0])
    expect(disabled.requests()).toBe(0)
    expect(everything.received.length + onlyCustomers.received.length + invoices.received.length).toBe(7)
  })

  it('counts a target that does not answer in time as failed, and moves on after the retries', async () => {
    const receiver = await webhookReceiver({hang: true})
    open.push(receiver)
    const {events, deliveries} = accountEvents({webhookTimeoutMs: 50, webhookRetryDelaysMs: [0]})
    events.endpoints.create({url: receiver.url, enabled_events: ['*']})
    events.emit(change('customer.created'))
    events.emit(change('customer.updated'))
    await waitUntil(() => deliveries.length === 4)
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b))
    expect(deliveries.map((entry) => [entry.type, entry.status, entry.outcome, entry.error]).sort(byJson)).toEqual(
      [
        ['customer.created', 0, 'will_retry', 'no answer within 50 ms'],
        ['customer.created', 0, 'gave_up', 'no answer within 50 ms'],
        ['customer.updated', 0, 'will_retry', 'no answer within 50 ms'],
        ['customer.updated', 0, 'gave_up', 'no answer within 50 ms'],
      ].sort(byJson),
    )
  })

  it('close() stops at once, even with a retry hours away, and sends nothing afterwards', async () => {
    const receiver = await webhookReceiver({failFirst: 1})
    open.push(receiver)
    const deliveries: DeliveryLogEntry[] = []
    const events = new AccountEvents({
      random: seededRandom(1),
      wallNow: Date.now,
      webhookRetryDelaysMs: [3_600_000],
      onDelivery: (entry) => deliveries.push(entry),
    })
    events.endpoints.create({url: receiver.url, enabled_events: ['*']})
    events.emit(change('customer.created'))
    await waitUntil(() => deliveries.length === 1)
    expect(events.delivery.backlog()).toBe(1)
    await events.close()
    events.emit(change('customer.updated'))
    expect(receiver.requests()).toBe(1)
    expect(renderEvent([...events.log.newestFirst()][1]!)).toMatchObject({pending_webhooks: 1})
  })
})

/** Top-level field names of Stripe's example objects (fixtures3.json). */
async function fixtureKeys(): Promise<Record<string, string[]>> {
  return (
    JSON.parse(await readFile(new URL('../fixtures/stripe-object-keys.json', import.meta.url), 'utf8')) as {
      objects: Record<string, string[]>
    }
  ).objects
}

/** Polls observable state, bounded: never a fixed sleep. */
async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
