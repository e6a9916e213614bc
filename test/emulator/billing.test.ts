import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {CHARGES} from '../../src/emulator/resources/charges.js'
import {PAYMENT_INTENTS} from '../../src/emulator/resources/payment-intents.js'
import {useEmulator} from '../helpers/emulator.js'

const emulator = useEmulator({advanceMs: 30})

function sdk(key = 'sk_test_emulator'): Stripe {
  const url = new URL(emulator().url)
  return new Stripe(key, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  })
}

const START = Date.UTC(2026, 0, 1) / 1000 // 2026-01-01T00:00:00Z
const HOUR = 3600

async function waitReady(stripe: Stripe, clockId: string): Promise<Stripe.TestHelpers.TestClock> {
  for (let i = 0; i < 200; i++) {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId)
    if (clock.status !== 'advancing') return clock
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('clock never became ready')
}

async function advance(stripe: Stripe, clockId: string, to: number) {
  const started = await stripe.testHelpers.testClocks.advance(clockId, {frozen_time: to})
  expect(started.status).toBe('advancing')
  expect(started.status_details.advancing?.target_frozen_time).toBe(to)
  return waitReady(stripe, clockId)
}

async function setup(stripe: Stripe, unitAmount = 1500, frozenTime = START) {
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: {interval: 'month'},
    product_data: {name: `Plan ${unitAmount}`},
  })
  const clock = await stripe.testHelpers.testClocks.create({frozen_time: frozenTime, name: 'billing-test'})
  const customer = await stripe.customers.create({
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: {default_payment_method: 'pm_card_visa'},
  })
  return {price, clock, customer}
}

describe('emulator: test clocks, renewals and payments (through the stripe SDK)', () => {
  it('a customer created with pm_card_visa has it attached and as invoice default (SB-22)', async () => {
    const stripe = sdk()
    const {customer} = await setup(stripe)
    const pm = customer.invoice_settings.default_payment_method
    expect(pm).toMatch(/^pm_/)
    const listed = await stripe.customers.listPaymentMethods(customer.id)
    expect(listed.data.map((p) => p.id)).toEqual([pm])
    expect(listed.data[0]?.card?.last4).toBe('4242')
  })

  it('a subscription is charged at once and renews one month later; the renewal stays draft for an hour; the period lives on the item (SB-27, SB-32)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create(
      {customer: customer.id, items: [{price: price.id, quantity: 4}]},
      {idempotencyKey: 'billing-renewal-sub'},
    )
    expect(sub.status).toBe('active')
    expect(sub.items.data[0]).toMatchObject({
      quantity: 4,
      current_period_start: START,
      current_period_end: addIntervals(START, 'month', 1),
    })
    const first = await stripe.invoices.retrieve(sub.latest_invoice as string)
    expect(first).toMatchObject({status: 'paid', amount_paid: 6000, billing_reason: 'subscription_create'})

    const renewal = addIntervals(START, 'month', 1)
    await advance(stripe, clock.id, renewal)
    const atRenewal = await stripe.subscriptions.retrieve(sub.id)
    const draft = await stripe.invoices.retrieve(atRenewal.latest_invoice as string)
    expect(draft).toMatchObject({
      status: 'draft',
      billing_reason: 'subscription_cycle',
      automatically_finalizes_at: renewal + HOUR,
      amount_due: 6000,
    })
    expect(draft.parent?.subscription_details?.subscription).toBe(sub.id)

    await advance(stripe, clock.id, renewal + HOUR + 60)
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({
      status: 'paid',
      amount_paid: 6000,
      attempt_count: 1,
    })
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.current_period_end).toBe(
      addIntervals(START, 'month', 2),
    )
  })

  it('pm_card_chargeCustomerFail as default makes the next renewal past_due after renewal + 1h, and canceled once Smart Retries run out (SB-23, SB-25, SB-32, SB-33, SB-34)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 2}]})
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    expect(failing.card?.last4).toBe('0341')
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})

    const renewal = addIntervals(START, 'month', 1)
    await advance(stripe, clock.id, renewal + 30 * 60)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active') // still draft, not yet charged

    await advance(stripe, clock.id, renewal + 2 * HOUR)
    const pastDue = await stripe.subscriptions.retrieve(sub.id)
    expect(pastDue.status).toBe('past_due')
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string)
    expect(invoice).toMatchObject({status: 'open', attempt_count: 1, amount_paid: 0})
    expect(invoice.next_payment_attempt).toBeGreaterThan(renewal + HOUR)

    await advance(stripe, clock.id, addIntervals(START, 'month', 2) + 2 * HOUR)
    const ended = await stripe.subscriptions.retrieve(sub.id)
    expect(ended.status).toBe('canceled')
    expect(ended.cancellation_details?.reason).toBe('payment_failed')
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(8)
    // The listing trap hides it by default; with the clock and status=all it is there.
    expect((await stripe.subscriptions.list({test_clock: clock.id})).data.map((s) => s.id)).not.toContain(sub.id)
    expect((await stripe.subscriptions.list({test_clock: clock.id, status: 'all'})).data.map((s) => s.id)).toContain(
      sub.id,
    )
  })

  it('a past_due subscription recovers when a retry succeeds with a working card (SB-33)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const good = customer.invoice_settings.default_payment_method as string
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 1}]})
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 2 * HOUR)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due')
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: good}})
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 3 * 86_400)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
  })

  it("the subscription's own default payment method wins over the customer's (SB-25)", async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      default_payment_method: customer.invoice_settings.default_payment_method as string,
    })
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 2 * HOUR)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
  })

  it('a change from a free price to a paid one charges at once and resets the billing anchor (SB-45)', async () => {
    const stripe = sdk()
    const {price: free, clock, customer} = await setup(stripe, 0)
    const paid = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: {interval: 'month'},
      product_data: {name: 'Paid'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: free.id, quantity: 2}]})
    const moved = START + 10 * 86_400
    await advance(stripe, clock.id, moved)
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{id: sub.items.data[0]!.id, price: paid.id, quantity: 2}],
      proration_behavior: 'none',
    })
    expect(updated.billing_cycle_anchor).toBe(moved)
    expect(updated.items.data[0]).toMatchObject({
      current_period_start: moved,
      current_period_end: addIntervals(moved, 'month', 1),
    })
    expect(await stripe.invoices.retrieve(updated.latest_invoice as string)).toMatchObject({
      status: 'paid',
      amount_paid: 2000,
      billing_reason: 'subscription_update',
    })
  })

  it('item updates: by id replaces the price; a new price without quantity resets it to 1; no id adds an item (SB-30)', async () => {
    const stripe = sdk()
    const {price, customer} = await setup(stripe)
    const other = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 3000,
      recurring: {interval: 'month'},
      product_data: {name: 'Other'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 7}]})
    const itemId = sub.items.data[0]!.id
    const withQuantity = await stripe.subscriptions.update(sub.id, {
      items: [{id: itemId, price: other.id, quantity: 9}],
      proration_behavior: 'none',
    })
    expect(withQuantity.items.data.map((i) => [i.id, i.price.id, i.quantity])).toEqual([[itemId, other.id, 9]])
    const reset = await stripe.subscriptions.update(sub.id, {
      items: [{id: itemId, price: price.id}],
      proration_behavior: 'none',
    })
    expect(reset.items.data.map((i) => [i.price.id, i.quantity])).toEqual([[price.id, 1]])
    const added = await stripe.subscriptions.update(sub.id, {
      items: [{price: other.id, quantity: 2}],
      proration_behavior: 'none',
    })
    expect(added.items.data).toHaveLength(2)
  })

  it('a refused item update changes nothing (SB-2)', async () => {
    const stripe = sdk()
    const {price, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id, quantity: 4}]})
    const itemId = sub.items.data[0]!.id
    await expect(
      stripe.subscriptions.update(sub.id, {items: [{id: itemId, deleted: true}], proration_behavior: 'none'}),
    ).rejects.toMatchObject({statusCode: 400})
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data.map((i) => [i.id, i.quantity])).toEqual([
      [itemId, 4],
    ])
  })

  it('cancel ends the subscription now; cancel_at_period_end ends it at renewal (SB-62, SB-63)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const now = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const canceled = await stripe.subscriptions.cancel(now.id)
    expect(canceled).toMatchObject({status: 'canceled', canceled_at: START, ended_at: START})
    const later = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      cancel_at_period_end: true,
    })
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 60)
    expect((await stripe.subscriptions.retrieve(later.id)).status).toBe('canceled')
  })

  it('an anchor on the 31st renews on the last day of shorter months (SB-20)', async () => {
    const stripe = sdk()
    const jan31 = Date.UTC(2026, 0, 31, 12) / 1000
    const {price, clock, customer} = await setup(stripe, 1000, jan31)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    expect(sub.items.data[0]?.current_period_end).toBe(Date.UTC(2026, 1, 28, 12) / 1000)
    await advance(stripe, clock.id, Date.UTC(2026, 2, 1) / 1000)
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.current_period_end).toBe(
      Date.UTC(2026, 2, 31, 12) / 1000,
    )
  })
})

describe('emulator: test clock rules', () => {
  it('refuses a 4th customer on a clock (SB-16)', async () => {
    const stripe = sdk()
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
    for (let i = 0; i < 3; i++) await stripe.customers.create({test_clock: clock.id})
    await expect(stripe.customers.create({test_clock: clock.id})).rejects.toMatchObject({
      statusCode: 400,
      param: 'test_clock',
    })
  })

  it('refuses an advance of more than two intervals of the shortest subscription (SB-12), and any backwards move (SB-9)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: addIntervals(START, 'month', 3)}),
    ).rejects.toMatchObject({statusCode: 400, param: 'frozen_time'})
    await expect(stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START - 1})).rejects.toMatchObject({
      statusCode: 400,
    })
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: addIntervals(START, 'month', 2)}),
    ).resolves.toMatchObject({status: 'advancing'})
    await waitReady(stripe, clock.id)
    // With no subscriptions, up to two years.
    const empty = await stripe.testHelpers.testClocks.create({frozen_time: START})
    await expect(
      stripe.testHelpers.testClocks.advance(empty.id, {frozen_time: addIntervals(START, 'year', 2) + 1}),
    ).rejects.toMatchObject({statusCode: 400})
  })

  it("refuses writes to a clock's customers and subscriptions while it advances (SB-13)", async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START + 86_400})
    // Hold it in `advancing` (set before any other request can settle it).
    emulator().engine.clocks.get(clock.id)!.readyAt = Date.now() + 60_000
    await expect(stripe.customers.update(customer.id, {name: 'x'})).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('advancement underway'),
    })
    await expect(stripe.subscriptions.cancel(sub.id)).rejects.toMatchObject({statusCode: 400})
    await expect(stripe.customers.create({test_clock: clock.id})).rejects.toMatchObject({statusCode: 400})
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: START + 2 * 86_400}),
    ).rejects.toMatchObject({statusCode: 400})
    emulator().engine.clocks.get(clock.id)!.readyAt = Date.now()
    expect((await waitReady(stripe, clock.id)).frozen_time).toBe(START + 86_400)
    await expect(stripe.customers.update(customer.id, {name: 'x'})).resolves.toMatchObject({name: 'x'})
  })

  it('a customer joins a clock only at creation (SB-16)', async () => {
    const stripe = sdk()
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
    const customer = await stripe.customers.create({})
    // Not a parameter of update: the SDK's types refuse it too, so send it untyped.
    const error = await stripe
      .rawRequest('POST', `/v1/customers/${customer.id}`, {test_clock: clock.id})
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      message: 'Received unknown parameter: test_clock',
    })
  })

  it('the listing trap: customers on a clock are left out unless test_clock is given, subscriptions unless test_clock or customer is (SB-16)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const plain = await stripe.customers.create({email: 'plain@example.com'})
    const customers = await stripe.customers.list({limit: 100})
    expect(customers.data.map((c) => c.id)).toContain(plain.id)
    expect(customers.data.map((c) => c.id)).not.toContain(customer.id)
    expect((await stripe.customers.list({test_clock: clock.id})).data.map((c) => c.id)).toEqual([customer.id])
    expect((await stripe.subscriptions.list({limit: 100})).data.map((s) => s.id)).not.toContain(sub.id)
    expect((await stripe.subscriptions.list({test_clock: clock.id})).data.map((s) => s.id)).toEqual([sub.id])
    expect((await stripe.subscriptions.list({customer: customer.id})).data.map((s) => s.id)).toEqual([sub.id])
  })

  it('invoices and subscriptions list by collection_method (SB-8)', async () => {
    const stripe = sdk()
    const {price, customer} = await setup(stripe)
    const charged = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const sent = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      collection_method: 'send_invoice',
      days_until_due: 30,
    })
    const subs = async (collection_method: 'charge_automatically' | 'send_invoice') =>
      (await stripe.subscriptions.list({customer: customer.id, collection_method})).data.map((s) => s.id)
    expect(await subs('send_invoice')).toEqual([sent.id])
    expect(await subs('charge_automatically')).toEqual([charged.id])
    const invoices = (await stripe.invoices.list({customer: customer.id, collection_method: 'send_invoice'})).data
    expect(invoices.map((i) => i.id)).toEqual([sent.latest_invoice])
    await expect(stripe.invoices.list({collection_method: 'by_pigeon' as 'send_invoice'})).rejects.toMatchObject({
      statusCode: 400,
      param: 'collection_method',
    })
  })

  it('deleting a clock deletes its customers and subscriptions (SB-14)', async () => {
    const stripe = sdk()
    const {price, clock, customer} = await setup(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const paymentsBefore = emulator().account.store.of(PAYMENT_INTENTS).size + emulator().account.store.of(CHARGES).size
    expect(await stripe.testHelpers.testClocks.del(clock.id)).toEqual({
      id: clock.id,
      object: 'test_helpers.test_clock',
      deleted: true,
    })
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    })
    await expect(stripe.subscriptions.retrieve(sub.id)).rejects.toMatchObject({statusCode: 404})
    await expect(stripe.invoices.retrieve(sub.latest_invoice as string)).rejects.toMatchObject({statusCode: 404})
    expect(emulator().account.store.of(PAYMENT_INTENTS).size + emulator().account.store.of(CHARGES).size).toBe(
      paymentsBefore - 2,
    )
    await expect(stripe.testHelpers.testClocks.retrieve(clock.id)).rejects.toMatchObject({statusCode: 404})
  })

  it('lists clocks with pagination only; one page reports many clocks with their status (SB-15)', async () => {
    const stripe = sdk()
    const made = new Set<string>()
    for (let i = 0; i < 7; i++)
      made.add((await stripe.testHelpers.testClocks.create({frozen_time: START, name: `page-${i}`})).id)
    const seen: string[] = []
    for await (const clock of stripe.testHelpers.testClocks.list({limit: 3})) seen.push(clock.id)
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of made) expect(seen).toContain(id)
    const first = await stripe.testHelpers.testClocks.list({limit: 3})
    expect(first.has_more).toBe(true)
    const second = await stripe.testHelpers.testClocks.list({limit: 3, starting_after: first.data.at(-1)!.id})
    expect(second.data.map((c) => c.id)).toEqual(seen.slice(3, 6))
    const back = await stripe.testHelpers.testClocks.list({limit: 3, ending_before: second.data[0]!.id})
    expect(back.data.map((c) => c.id)).toEqual(first.data.map((c) => c.id))
    await expect(stripe.rawRequest('GET', '/v1/test_helpers/test_clocks?status=ready')).rejects.toMatchObject({
      code: 'parameter_unknown',
    })
  })
})

describe('emulator: payment methods', () => {
  it('pm_card_chargeDeclined fails already at attach (SB-24)', async () => {
    const stripe = sdk()
    const customer = await stripe.customers.create({})
    await expect(stripe.paymentMethods.attach('pm_card_chargeDeclined', {customer: customer.id})).rejects.toMatchObject(
      {type: 'StripeCardError', code: 'card_declined'},
    )
  })

  it('refuses raw card numbers (SB-24)', async () => {
    const stripe = sdk()
    const error = await stripe
      .rawRequest('POST', '/v1/payment_methods', {
        type: 'card',
        card: {number: '4000000000000341', exp_month: 12, exp_year: 2030, cvc: '123'},
      })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      message: expect.stringContaining('Sending credit card numbers directly to the Stripe API is generally unsafe'),
    })
  })

  it('a default payment method must be attached to the customer', async () => {
    const stripe = sdk()
    const a = await stripe.customers.create({payment_method: 'pm_card_visa'})
    const b = await stripe.customers.create({})
    const pmOfA = (await stripe.customers.listPaymentMethods(a.id)).data[0]!.id
    await expect(
      stripe.customers.update(b.id, {invoice_settings: {default_payment_method: pmOfA}}),
    ).rejects.toMatchObject({statusCode: 400})
  })
})
