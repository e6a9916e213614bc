import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, sdk} from './sdk.js'

const emulator = useEmulator()
const stripe = () => sdk(emulator())

let names = 0
async function meter(
  formula: 'sum' | 'count' | 'last' = 'sum',
  extra: Partial<Stripe.Billing.MeterCreateParams> = {},
): Promise<Stripe.Billing.Meter> {
  return stripe().billing.meters.create({
    display_name: 'API calls',
    event_name: `api_calls_${++names}`,
    default_aggregation: {formula},
    ...extra,
  })
}

async function expectError(
  promise: Promise<unknown>,
  status: number,
  message?: RegExp,
): Promise<Stripe.errors.StripeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(Stripe.errors.StripeError)
  const stripeError = error as Stripe.errors.StripeError
  expect(stripeError.statusCode).toBe(status)
  if (message) expect(stripeError.message).toMatch(message)
  return stripeError
}

describe('billing meters (SB-U1, SB-U6)', () => {
  it('creates a meter with Stripe defaults and changes only its display name', async () => {
    const created = await meter('sum')
    expect(created).toMatchObject({
      object: 'billing.meter',
      status: 'active',
      customer_mapping: {type: 'by_id', event_payload_key: 'stripe_customer_id'},
      value_settings: {event_payload_key: 'value'},
      default_aggregation: {formula: 'sum'},
      event_time_window: null,
      status_transitions: {deactivated_at: null},
    })
    expect(created.id).toMatch(/^mtr_/)
    const updated = await stripe().billing.meters.update(created.id, {display_name: 'Calls'})
    expect(updated.display_name).toBe('Calls')
    expect((await stripe().billing.meters.retrieve(created.id)).display_name).toBe('Calls')
    // One meter per event name.
    await expectError(
      stripe().billing.meters.create({
        display_name: 'x',
        event_name: created.event_name,
        default_aggregation: {formula: 'sum'},
      }),
      400,
      /already exists/,
    )
  })

  it('deactivates and reactivates; an inactive meter takes no events and no prices', async () => {
    const m = await meter()
    const customer = await stripe().customers.create({})
    const off = await stripe().billing.meters.deactivate(m.id)
    expect(off.status).toBe('inactive')
    expect(off.status_transitions.deactivated_at).toEqual(expect.any(Number))
    await expectError(
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        payload: {stripe_customer_id: customer.id, value: '1'},
      }),
      400,
      /inactive/,
    )
    await expectError(
      stripe().prices.create({
        currency: 'usd',
        unit_amount: 1,
        recurring: {interval: 'month', usage_type: 'metered', meter: m.id},
        product_data: {name: 'x'},
      }),
      400,
      /inactive/,
    )
    const listed = await stripe().billing.meters.list({status: 'inactive'})
    expect(listed.data.map((x) => x.id)).toContain(m.id)
    const on = await stripe().billing.meters.reactivate(m.id)
    expect(on).toMatchObject({status: 'active', status_transitions: {deactivated_at: null}})
    await expectError(stripe().billing.meters.reactivate(m.id), 400)
  })

  it('refuses pre-aggregated meters with a 501 naming the parameter', async () => {
    const error = await expectError(meter('sum', {event_time_window: 'hour'}), 501, /event_time_window/)
    expect(error.code).toBe('emulator_not_modelled')
  })
})

describe('meter events and summaries (SB-U2 – SB-U5, SB-U7, SB-U9)', () => {
  it('maps events to customers by the meter payload keys and refuses duplicate identifiers', async () => {
    const m = await meter('sum', {
      customer_mapping: {type: 'by_id', event_payload_key: 'account'},
      value_settings: {event_payload_key: 'tokens'},
    })
    const customer = await stripe().customers.create({})
    const now = Math.floor(Date.now() / 1000)
    const event = await stripe().billing.meterEvents.create({
      event_name: m.event_name,
      identifier: 'evt-1',
      payload: {account: customer.id, tokens: '25'},
    })
    expect(event).toMatchObject({object: 'billing.meter_event', identifier: 'evt-1', payload: {tokens: '25'}})
    expect(Math.abs(event.timestamp - now)).toBeLessThan(5)
    const duplicate = await expectError(
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        identifier: 'evt-1',
        payload: {account: customer.id, tokens: '5'},
      }),
      400,
      /already exists with identifier evt-1/,
    )
    expect(duplicate.code).toBeUndefined() // undocumented, so none (SB-C4, SB-U3)
    await expectError(
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        payload: {stripe_customer_id: customer.id, tokens: '1'},
      }),
      400,
      /customer mapping key `account`/,
    )
    await expectError(
      stripe().billing.meterEvents.create({event_name: m.event_name, payload: {account: customer.id, tokens: '1.5'}}),
      400,
      /whole number/,
    )
    await expectError(
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        payload: {account: customer.id, tokens: '1'},
        timestamp: now - 36 * DAY,
      }),
      400,
      /35 calendar days/,
    )
    await expectError(
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        payload: {account: customer.id, tokens: '1'},
        timestamp: now + 10 * 60,
      }),
      400,
      /5 minutes/,
    )
    const start = Math.floor(now / 60) * 60 - 3600
    const summaries = await stripe().billing.meters.listEventSummaries(m.id, {
      customer: customer.id,
      start_time: start,
      end_time: start + 2 * 3600,
    })
    expect(summaries.data).toHaveLength(1)
    expect(summaries.data[0]).toMatchObject({object: 'billing.meter_event_summary', aggregated_value: 25, meter: m.id})
  })

  it('groups summaries by hour or day windows and aggregates sum, count and last', async () => {
    const {customer} = await clockWithCustomer(stripe(), START + 3 * DAY)
    const meters = {sum: await meter('sum'), count: await meter('count'), last: await meter('last')}
    const at = [START + 3 * DAY - 2 * HOUR + 10, START + 3 * DAY - 2 * HOUR + 20, START + 3 * DAY - HOUR + 5]
    const values = ['4', '6', '3']
    for (const m of Object.values(meters))
      for (const [i, timestamp] of at.entries())
        await stripe().billing.meterEvents.create({
          event_name: m.event_name,
          timestamp,
          payload: {stripe_customer_id: customer.id, value: values[i]!},
        })
    const range = {customer: customer.id, start_time: START + 3 * DAY - 3 * HOUR, end_time: START + 3 * DAY}
    const hourly = async (m: Stripe.Billing.Meter) =>
      (await stripe().billing.meters.listEventSummaries(m.id, {...range, value_grouping_window: 'hour'})).data.map(
        (s) => [s.start_time - range.start_time, s.aggregated_value],
      )
    // Newest window first.
    expect(await hourly(meters.sum)).toEqual([
      [2 * HOUR, 3],
      [HOUR, 10],
      [0, 0],
    ])
    expect(await hourly(meters.count)).toEqual([
      [2 * HOUR, 1],
      [HOUR, 2],
      [0, 0],
    ])
    expect(await hourly(meters.last)).toEqual([
      [2 * HOUR, 3],
      [HOUR, 6],
      [0, 0],
    ])
    const daily = await stripe().billing.meters.listEventSummaries(meters.sum.id, {
      ...range,
      value_grouping_window: 'day',
    })
    expect(daily.data.map((s) => s.aggregated_value)).toEqual([13])
    await expectError(
      stripe().billing.meters.listEventSummaries(meters.sum.id, {...range, start_time: range.start_time + 1}),
      400,
      /minute boundaries/,
    )
  })
})

describe('tiered prices (SB-U10)', () => {
  const tiers: Stripe.PriceCreateParams.Tier[] = [
    {up_to: 5, unit_amount: 500},
    {up_to: 10, unit_amount: 400, flat_amount: 100},
    {up_to: 'inf', unit_amount: 100},
  ]

  it('renders tiers only when expanded, on retrieve and list', async () => {
    const price = await stripe().prices.create({
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers,
      recurring: {interval: 'month'},
      product_data: {name: 'Seats'},
    })
    expect(price).toMatchObject({billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null})
    expect(price.tiers).toBeUndefined()
    const expanded = await stripe().prices.retrieve(price.id, {expand: ['tiers']})
    expect(expanded.tiers?.map((t) => [t.up_to, t.unit_amount, t.flat_amount])).toEqual([
      [5, 500, 0],
      [10, 400, 100],
      [null, 100, 0],
    ])
    const listed = await stripe().prices.list({product: price.product as string, expand: ['data.tiers']})
    expect(listed.data[0]?.tiers).toHaveLength(3)
    await expectError(
      stripe().prices.create({
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: 'volume',
        tiers: [{up_to: 5, unit_amount: 1}],
        product_data: {name: 'x'},
      }),
      400,
      /up_to=inf/,
    )
  })

  it('bills licensed quantities by volume and graduated tiers', async () => {
    const amounts: Record<string, number> = {}
    for (const mode of ['graduated', 'volume'] as const) {
      const price = await stripe().prices.create({
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: mode,
        tiers,
        recurring: {interval: 'month'},
        product_data: {name: `Seats ${mode}`},
      })
      const {customer} = await clockWithCustomer(stripe())
      const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 12}]})
      amounts[mode] = (await invoice(stripe(), sub.latest_invoice)).total
    }
    // Graduated: 5 × 500 + (5 × 400 + 100) + 2 × 100; volume: 12 × 100 in the last tier.
    expect(amounts).toEqual({graduated: 2500 + 2100 + 200, volume: 1200})
  })
})

describe('metered prices on subscriptions (SB-U11)', () => {
  it('bills each period’s usage in arrears on the renewal invoice, through a test clock', async () => {
    const m = await meter('sum')
    const price = await stripe().prices.create({
      currency: 'usd',
      unit_amount: 3,
      recurring: {interval: 'month', usage_type: 'metered', meter: m.id},
      product_data: {name: 'API'},
    })
    expect(price.recurring).toMatchObject({usage_type: 'metered', meter: m.id})
    const {clock, customer} = await clockWithCustomer(stripe())
    await expectError(
      stripe().subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 2}]}),
      400,
      /metered/,
    )
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    // A metered item shows no quantity; its first invoice bills nothing (a $0 line).
    expect(sub.items.data[0]!.quantity).toBeUndefined()
    const first = await invoice(stripe(), sub.latest_invoice)
    expect(first.total).toBe(0)
    expect(first.lines.data.map((l) => [l.quantity, l.amount])).toEqual([[0, 0]])
    const send = (value: number, timestamp: number) =>
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        timestamp,
        payload: {stripe_customer_id: customer.id, value: String(value)},
      })
    // Events carry the customer's clock time: none may be ahead of it (SB-U5).
    await expectError(send(1, START + DAY), 400, /5 minutes/)
    await advance(stripe(), clock.id, START + 2 * DAY)
    await send(100, START + DAY)
    await send(20, START + 2 * DAY)
    const end1 = addIntervals(START, 'month', 1)
    await advance(stripe(), clock.id, end1 + 2 * HOUR)
    const renewal = await invoice(stripe(), (await stripe().subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal).toMatchObject({billing_reason: 'subscription_cycle', total: 360, status: 'paid'})
    expect(renewal.lines.data.map((l) => [l.quantity, l.amount, l.period.start, l.period.end])).toEqual([
      [120, 360, START, end1],
    ])
  })
})

describe('metered items changing and late usage (SB-U11, SB-U13)', () => {
  async function meteredPrice(m: Stripe.Billing.Meter, unitAmount: number): Promise<Stripe.Price> {
    return stripe().prices.create({
      currency: 'usd',
      unit_amount: unitAmount,
      recurring: {interval: 'month', usage_type: 'metered', meter: m.id},
      product_data: {name: `Metered ${unitAmount}`},
    })
  }

  it('an item added mid-period bills only the usage after it was added; removing one needs proration_behavior=none', async () => {
    const m = await meter('sum')
    const metered = await meteredPrice(m, 10)
    const base = await stripe().prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: {interval: 'month'},
      product_data: {name: 'Base'},
    })
    const {clock, customer} = await clockWithCustomer(stripe())
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: base.id}]})
    const send = (value: number) =>
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        payload: {stripe_customer_id: customer.id, value: String(value)},
      })
    await advance(stripe(), clock.id, START + 5 * DAY)
    await send(1000)
    await advance(stripe(), clock.id, START + 10 * DAY)
    // Adding a metered item prorates nothing: it bills nothing in advance.
    await stripe().subscriptions.update(sub.id, {items: [{price: metered.id}]})
    expect((await stripe().invoiceItems.list({customer: customer.id, pending: true})).data).toEqual([])
    await advance(stripe(), clock.id, START + 15 * DAY)
    await send(7)
    const end1 = addIntervals(START, 'month', 1)
    await advance(stripe(), clock.id, end1 + 2 * HOUR)
    const renewal = await invoice(stripe(), (await stripe().subscriptions.retrieve(sub.id)).latest_invoice)
    const usage = renewal.lines.data.find((line) => line.pricing?.price_details?.price === metered.id)
    expect(usage).toMatchObject({quantity: 7, amount: 70, period: {start: START + 10 * DAY, end: end1}})
    expect(renewal.total).toBe(1070)

    const item = (await stripe().subscriptions.retrieve(sub.id)).items.data.find((i) => i.price.id === metered.id)!
    await expectError(stripe().subscriptions.update(sub.id, {items: [{id: item.id, quantity: 3}]}), 400, /metered/)
    await expectError(stripe().subscriptionItems.update(item.id, {quantity: 3}), 400, /metered/)
    const refused = await expectError(
      stripe().subscriptions.update(sub.id, {items: [{id: item.id, deleted: true}]}),
      501,
      /metered item with prorations/,
    )
    expect(refused.code).toBe('emulator_not_modelled')
    const removed = await stripe().subscriptions.update(sub.id, {
      items: [{id: item.id, deleted: true}],
      proration_behavior: 'none',
    })
    expect(removed.items.data.map((i) => i.price.id)).toEqual([base.id])
  })

  it('usage reported during the renewal draft’s hour, for the period it bills, is on it when it is finalized', async () => {
    const m = await meter('count')
    const price = await meteredPrice(m, 25)
    const {clock, customer} = await clockWithCustomer(stripe())
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const send = (timestamp: number) =>
      stripe().billing.meterEvents.create({
        event_name: m.event_name,
        timestamp,
        payload: {stripe_customer_id: customer.id},
      })
    await advance(stripe(), clock.id, START + 3 * DAY)
    await send(START + 2 * DAY)
    const end1 = addIntervals(START, 'month', 1)
    await advance(stripe(), clock.id, end1 + 10 * 60)
    const draft = await invoice(stripe(), (await stripe().subscriptions.retrieve(sub.id)).latest_invoice)
    expect(draft).toMatchObject({status: 'draft', total: 25})
    // Late: for the period that ended, sent while the renewal is still a draft.
    await send(end1 - 60)
    await send(end1 + 60) // the new period's: not on this invoice
    await advance(stripe(), clock.id, end1 + 2 * HOUR)
    const final = await invoice(stripe(), draft.id)
    expect(final).toMatchObject({status: 'paid', total: 50})
    expect(final.lines.data[0]).toMatchObject({quantity: 2, amount: 50})
  })

  it('before basil a metered price shows aggregate_usage sum; other aggregations (usage records) are refused', async () => {
    const m = await meter('sum')
    const old = sdk(emulator(), 'sk_test_emulator', {apiVersion: '2024-06-20' as Stripe.LatestApiVersion})
    const recurring = {interval: 'month', usage_type: 'metered', meter: m.id}
    const price = (await old.prices.create({
      currency: 'usd',
      unit_amount: 5,
      recurring: {...recurring, aggregate_usage: 'sum'} as Stripe.PriceCreateParams.Recurring,
      product_data: {name: 'Old metered'},
    })) as unknown as {recurring: Record<string, unknown>}
    expect(price.recurring).toMatchObject({usage_type: 'metered', meter: m.id, aggregate_usage: 'sum'})
    await expectError(
      old.prices.create({
        currency: 'usd',
        unit_amount: 5,
        recurring: {...recurring, aggregate_usage: 'max'} as Stripe.PriceCreateParams.Recurring,
        product_data: {name: 'Old max'},
      }),
      501,
      /aggregate_usage=max/,
    )
    await expectError(
      old.prices.create({
        currency: 'usd',
        unit_amount: 5,
        recurring: {interval: 'month', usage_type: 'metered'},
        product_data: {name: 'Old usage records'},
      }),
      501,
      /usage records/,
    )
  })
})
