import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {DAY, START, advance, clockWithCustomer, monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})
const FEB_1 = addIntervals(START, 'month', 1)
const MAR_1 = addIntervals(START, 'month', 2)

async function eventTypes(stripe: Stripe, objectId: string): Promise<string[]> {
  const types: string[] = []
  for await (const event of stripe.events.list({limit: 100}))
    if ((event.data.object as {id?: string}).id === objectId) types.push(event.type)
  return types.reverse()
}

/** A schedule on a clock: price A (10.00) for one month, then price B (25.00) for one month. */
async function twoPhases(endBehavior: 'release' | 'cancel' = 'release') {
  const stripe = sdk(emulator())
  const a = await monthlyPrice(stripe, 1000, 'A')
  const b = await monthlyPrice(stripe, 2500, 'B')
  const {clock, customer} = await clockWithCustomer(stripe)
  const schedule = await stripe.subscriptionSchedules.create({
    customer: customer.id,
    start_date: 'now',
    end_behavior: endBehavior,
    phases: [
      {items: [{price: a.id}], duration: {interval: 'month', interval_count: 1}},
      {items: [{price: b.id, quantity: 2}], end_date: MAR_1},
    ],
  })
  return {stripe, a, b, clock, customer, schedule, sub: schedule.subscription as string}
}

describe('emulator subscription schedules', () => {
  it('starts the subscription on the first phase and names the schedule on it (SB-S1, SB-S2)', async () => {
    const {stripe, a, schedule, sub} = await twoPhases()
    expect(schedule).toMatchObject({
      object: 'subscription_schedule',
      status: 'active',
      end_behavior: 'release',
      current_phase: {start_date: START, end_date: FEB_1},
    })
    expect(schedule.phases.map((phase) => [phase.start_date, phase.end_date])).toEqual([
      [START, FEB_1],
      [FEB_1, MAR_1],
    ])
    const subscription = await stripe.subscriptions.retrieve(sub)
    expect(subscription).toMatchObject({status: 'active', schedule: schedule.id, cancel_at: null})
    expect(subscription.items.data.map((item) => item.price.id)).toEqual([a.id])
    expect((await stripe.invoices.retrieve(subscription.latest_invoice as string)).amount_paid).toBe(1000)
    expect(
      (await stripe.subscriptionSchedules.list({customer: schedule.customer as string})).data.map((s) => s.id),
    ).toEqual([schedule.id])
  })

  it('at the phase boundary the item moves to the next price, billed by the renewal without prorations (SB-S3)', async () => {
    const {stripe, b, clock, customer, schedule, sub} = await twoPhases()
    await advance(stripe, clock.id, FEB_1 + DAY)
    const subscription = await stripe.subscriptions.retrieve(sub)
    expect(subscription.items.data.map((item) => [item.price.id, item.quantity])).toEqual([[b.id, 2]])
    const renewal = await stripe.invoices.retrieve(subscription.latest_invoice as string)
    // The renewal bills the new phase's price for the period it starts (its line's period; the invoice's own period is the one that ended, SB-36).
    expect(renewal).toMatchObject({billing_reason: 'subscription_cycle', amount_paid: 5000, period_end: FEB_1})
    expect(
      renewal.lines.data.map((line) => [line.pricing?.price_details?.price, line.amount, line.period.start]),
    ).toEqual([[b.id, 5000, FEB_1]])
    expect((await stripe.invoiceItems.list({customer: customer.id})).data.filter((item) => item.proration)).toEqual([])
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'active',
      current_phase: {start_date: FEB_1, end_date: MAR_1},
    })
  })

  it('a phase that ends mid-period prorates the change as a subscription update would (SB-S3)', async () => {
    const stripe = sdk(emulator())
    const a = await monthlyPrice(stripe, 3100, 'A')
    const b = await monthlyPrice(stripe, 6200, 'B')
    const {clock, customer} = await clockWithCustomer(stripe)
    await stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      phases: [
        {items: [{price: a.id}], end_date: START + 10 * DAY},
        {items: [{price: b.id}], end_date: MAR_1},
      ],
    })
    await advance(stripe, clock.id, START + 11 * DAY)
    // January has 31 days: 21 unused days are credited at A and debited at B.
    const pending = (await stripe.invoiceItems.list({customer: customer.id, pending: true})).data
      .map((item) => item.amount)
      .sort((x, y) => x - y)
    expect(pending).toEqual([-2100, 4200])
  })

  it('end_behavior=release completes the schedule after the last phase and the subscription renews alone (SB-S4)', async () => {
    const {stripe, b, clock, schedule, sub} = await twoPhases('release')
    await advance(stripe, clock.id, FEB_1 + DAY)
    await advance(stripe, clock.id, MAR_1 + DAY)
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'completed',
      completed_at: MAR_1,
      current_phase: null,
    })
    const subscription = await stripe.subscriptions.retrieve(sub)
    expect(subscription).toMatchObject({status: 'active', schedule: null})
    expect(subscription.items.data.map((item) => item.price.id)).toEqual([b.id])
    expect(await eventTypes(stripe, schedule.id)).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.updated',
      'subscription_schedule.completed',
    ])
  })

  it('end_behavior=cancel cancels the subscription when the last phase ends (SB-S4)', async () => {
    const {stripe, clock, schedule, sub} = await twoPhases('cancel')
    await advance(stripe, clock.id, FEB_1 + DAY)
    expect(await stripe.subscriptions.retrieve(sub)).toMatchObject({cancel_at: MAR_1, status: 'active'})
    await advance(stripe, clock.id, MAR_1 + DAY)
    expect(await stripe.subscriptions.retrieve(sub)).toMatchObject({status: 'canceled', ended_at: MAR_1})
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'completed',
      completed_at: MAR_1,
    })
  })

  it('release stops the phases and leaves the subscription as it is (SB-S5)', async () => {
    const {stripe, a, clock, schedule, sub} = await twoPhases()
    const released = await stripe.subscriptionSchedules.release(schedule.id)
    expect(released).toMatchObject({
      status: 'released',
      released_at: START,
      released_subscription: sub,
      subscription: null,
      current_phase: null,
    })
    await advance(stripe, clock.id, FEB_1 + DAY)
    const subscription = await stripe.subscriptions.retrieve(sub)
    expect(subscription).toMatchObject({status: 'active', schedule: null})
    expect(subscription.items.data.map((item) => item.price.id)).toEqual([a.id])
    await expect(stripe.subscriptionSchedules.release(schedule.id)).rejects.toMatchObject({statusCode: 400})
    expect(await eventTypes(stripe, schedule.id)).toEqual([
      'subscription_schedule.created',
      'subscription_schedule.updated',
      'subscription_schedule.released',
    ])
  })

  it('cancel ends the schedule and its subscription now (SB-S5)', async () => {
    const {stripe, clock, schedule, sub} = await twoPhases()
    await advance(stripe, clock.id, START + 5 * DAY)
    await expect(stripe.subscriptionSchedules.cancel(schedule.id)).rejects.toMatchObject({statusCode: 501})
    const canceled = await stripe.subscriptionSchedules.cancel(schedule.id, {prorate: false, invoice_now: false})
    expect(canceled).toMatchObject({status: 'canceled', canceled_at: START + 5 * DAY, current_phase: null})
    expect(await stripe.subscriptions.retrieve(sub)).toMatchObject({
      status: 'canceled',
      ended_at: START + 5 * DAY,
      schedule: schedule.id,
    })
    expect(await eventTypes(stripe, sub)).toContain('customer.subscription.deleted')
    expect((await eventTypes(stripe, schedule.id)).at(-1)).toBe('subscription_schedule.canceled')
  })

  it('a subscription canceled directly cancels its schedule; one ended by delinquency aborts it (SB-S6)', async () => {
    const direct = await twoPhases()
    await direct.stripe.subscriptions.cancel(direct.sub)
    expect(await direct.stripe.subscriptionSchedules.retrieve(direct.schedule.id)).toMatchObject({
      status: 'canceled',
      canceled_at: START,
      current_phase: null,
    })
    expect((await eventTypes(direct.stripe, direct.schedule.id)).at(-1)).toBe('subscription_schedule.canceled')

    const {stripe, clock, customer, schedule, sub} = await twoPhases()
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, FEB_1 + DAY)
    expect(await stripe.subscriptions.retrieve(sub)).toMatchObject({status: 'past_due', schedule: schedule.id})
    await advance(stripe, clock.id, FEB_1 + 20 * DAY)
    expect(await stripe.subscriptions.retrieve(sub)).toMatchObject({
      status: 'canceled',
      cancellation_details: {reason: 'payment_failed'},
    })
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'canceled',
      current_phase: null,
    })
    expect((await eventTypes(stripe, schedule.id)).at(-1)).toBe('subscription_schedule.aborted')
  })

  it('from_subscription puts an existing subscription under a one-phase schedule; update adds the next phase (SB-S5, SB-S2)', async () => {
    const stripe = sdk(emulator())
    const a = await monthlyPrice(stripe, 1000, 'A')
    const b = await monthlyPrice(stripe, 2500, 'B')
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: a.id}]})
    await expect(
      stripe.subscriptionSchedules.create({from_subscription: sub.id, end_behavior: 'cancel'}),
    ).rejects.toMatchObject({statusCode: 400, param: 'end_behavior'})
    const schedule = await stripe.subscriptionSchedules.create({from_subscription: sub.id})
    expect(schedule).toMatchObject({
      status: 'active',
      subscription: sub.id,
      end_behavior: 'release',
      current_phase: {start_date: START, end_date: FEB_1},
    })
    expect(schedule.phases[0]!.items.map((item) => [item.price, item.quantity])).toEqual([[a.id, 1]])
    expect((await stripe.subscriptions.retrieve(sub.id)).schedule).toBe(schedule.id)
    await expect(stripe.subscriptionSchedules.create({from_subscription: sub.id})).rejects.toMatchObject({
      statusCode: 400,
    })
    const updated = await stripe.subscriptionSchedules.update(schedule.id, {
      metadata: {plan: 'upgrade'},
      phases: [
        {items: [{price: a.id}], start_date: START, end_date: FEB_1},
        {items: [{price: b.id}], duration: {interval: 'month'}},
      ],
    })
    expect(updated.phases.map((phase) => phase.end_date)).toEqual([FEB_1, MAR_1])
    expect(updated.metadata).toEqual({plan: 'upgrade'})
    await advance(stripe, clock.id, FEB_1 + DAY)
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data.map((item) => item.price.id)).toEqual([b.id])
  })

  it("end_behavior=cancel on the last phase sets the subscription's cancel_at; release takes it back unless preserve_cancel_date (SB-S4, SB-S5)", async () => {
    const stripe = sdk(emulator())
    const a = await monthlyPrice(stripe, 1000, 'A')
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: a.id}]})
    const schedule = await stripe.subscriptionSchedules.create({from_subscription: sub.id})
    await stripe.subscriptionSchedules.update(schedule.id, {end_behavior: 'cancel'})
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({cancel_at: FEB_1})
    await stripe.subscriptionSchedules.release(schedule.id)
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({cancel_at: null, schedule: null})

    const kept = await stripe.subscriptionSchedules.create({from_subscription: sub.id, metadata: {again: 'yes'}})
    await stripe.subscriptionSchedules.update(kept.id, {end_behavior: 'cancel'})
    await stripe.subscriptionSchedules.release(kept.id, {preserve_cancel_date: true})
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({cancel_at: FEB_1, schedule: null})
  })

  it('refuses what it does not model with 501 naming it', async () => {
    const stripe = sdk(emulator())
    const a = await monthlyPrice(stripe, 1000, 'A')
    const {customer} = await clockWithCustomer(stripe)
    const create = (
      extra: Partial<Stripe.SubscriptionScheduleCreateParams.Phase>,
      params: Partial<Stripe.SubscriptionScheduleCreateParams> = {},
    ) =>
      stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        phases: [{items: [{price: a.id}], duration: {interval: 'month'}, ...extra}],
        ...params,
      })
    await expect(create({trial_end: START + DAY})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('trial_end'),
    })
    await expect(create({discounts: [{coupon: 'x'}]})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('discounts'),
    })
    await expect(create({billing_cycle_anchor: 'phase_start'})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('billing_cycle_anchor'),
    })
    await expect(create({}, {default_settings: {collection_method: 'send_invoice'}})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('default_settings'),
    })
    await expect(create({}, {start_date: START + DAY})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('start_date'),
    })
    expect((await stripe.subscriptions.list({customer: customer.id})).data).toEqual([])
  })
})
