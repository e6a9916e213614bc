import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {recordingSink} from './events.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const sink = recordingSink()
const emulator = useEmulator({advanceMs: 0, events: sink})

function trialWillEnd(subscription: string) {
  return sink.of(subscription).filter((change) => change.type === 'customer.subscription.trial_will_end')
}

describe('emulator trials', () => {
  it('trial_end=now means no trial: charged at once and active (SB-48)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], trial_end: 'now'})
    expect(sub).toMatchObject({status: 'active', trial_start: null, trial_end: null})
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({amount_paid: 1000})
  })

  it('a trial lasts at most 730 days (SB-48)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], trial_period_days: 731}),
    ).rejects.toMatchObject({statusCode: 400, param: 'trial_period_days'})
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], trial_end: START + 731 * DAY}),
    ).rejects.toMatchObject({statusCode: 400, param: 'trial_end'})
  })

  it('trial_will_end fires at once for a trial under three days (SB-51)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 1,
    })
    expect(trialWillEnd(sub.id).map((change) => change.created)).toEqual([START])
  })

  it('ending a trial early fires trial_will_end, starts the paid period now and bills it (SB-51, SB-52)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 30,
    })
    await advance(stripe, clock.id, START + 5 * DAY)
    const ended = await stripe.subscriptions.update(sub.id, {trial_end: 'now'})
    expect(ended).toMatchObject({status: 'active', trial_end: START + 5 * DAY, billing_cycle_anchor: START + 5 * DAY})
    expect(ended.items.data[0]).toMatchObject({
      current_period_start: START + 5 * DAY,
      current_period_end: addIntervals(START + 5 * DAY, 'month', 1),
    })
    expect(await invoice(stripe, ended.latest_invoice)).toMatchObject({
      status: 'paid',
      amount_paid: 1000,
      billing_reason: 'subscription_update',
    })
    expect(trialWillEnd(sub.id)).toHaveLength(1)
  })

  it('moving trial_end later moves the period end and the anchor with it (SB-52)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
    })
    const later = START + 20 * DAY
    const moved = await stripe.subscriptions.update(sub.id, {trial_end: later})
    expect(moved).toMatchObject({status: 'trialing', trial_end: later, billing_cycle_anchor: later})
    expect(moved.items.data[0]?.current_period_end).toBe(later)
  })

  it('without a card, missing_payment_method=cancel cancels at trial end (SB-50)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe, START, null)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
      trial_settings: {end_behavior: {missing_payment_method: 'cancel'}},
    })
    expect(sub).toMatchObject({status: 'trialing', trial_settings: {end_behavior: {missing_payment_method: 'cancel'}}})
    await advance(stripe, clock.id, START + 7 * DAY + HOUR)
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({status: 'canceled', ended_at: START + 7 * DAY})
    expect(sink.of(sub.id).map((change) => change.type)).toContain('customer.subscription.deleted')
    expect((await stripe.invoices.list({subscription: sub.id})).data).toHaveLength(1) // only the $0 trial invoice
  })

  it('without a card, missing_payment_method=pause pauses: no invoices, no new periods (SB-50, SB-66)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe, START, null)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
      trial_settings: {end_behavior: {missing_payment_method: 'pause'}},
    })
    await advance(stripe, clock.id, START + 7 * DAY + HOUR)
    const paused = await stripe.subscriptions.retrieve(sub.id)
    expect(paused).toMatchObject({
      status: 'paused',
      status_details: {paused: {subscription: {type: 'trial_end_without_payment_method'}, type: 'subscription'}},
    })
    expect(sink.of(sub.id).map((change) => change.type)).toContain('customer.subscription.paused')
    await advance(stripe, clock.id, START + 60 * DAY)
    expect((await stripe.invoices.list({subscription: sub.id})).data).toHaveLength(1)
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.current_period_end).toBe(START + 7 * DAY)
    // Resuming needs a card to pay the resumption invoice; with one, a new period starts now and is billed (SB-66).
    await expect(stripe.subscriptions.resume(sub.id)).rejects.toMatchObject({statusCode: 501})
    const card = await stripe.paymentMethods.attach('pm_card_visa', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: card.id}})
    const resumed = await stripe.subscriptions.resume(sub.id)
    expect(resumed).toMatchObject({status: 'active', billing_cycle_anchor: START + 60 * DAY})
    expect(resumed.status_details).toBeUndefined()
    expect(await invoice(stripe, resumed.latest_invoice)).toMatchObject({
      status: 'paid',
      amount_paid: 1000,
      billing_reason: 'subscription_update',
      period_start: START + 60 * DAY,
    })
    expect(sink.of(sub.id).map((change) => change.type)).toContain('customer.subscription.resumed')
  })

  it('without a card, missing_payment_method=create_invoice (and the default) converts: an invoice an hour later that cannot be charged, past_due, no retries; a card then pays it (SB-50, SB-K5)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    for (const settings of [
      {trial_settings: {end_behavior: {missing_payment_method: 'create_invoice' as const}}},
      {},
    ]) {
      const {clock, customer} = await clockWithCustomer(stripe, START, null)
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        trial_period_days: 7,
        ...settings,
      })
      expect(sub).toMatchObject({
        status: 'trialing',
        trial_settings: {end_behavior: {missing_payment_method: 'create_invoice'}},
      })
      await advance(stripe, clock.id, START + 7 * DAY + 2 * HOUR)
      const late = await stripe.subscriptions.retrieve(sub.id)
      expect(late.status).toBe('past_due')
      const unpaid = await invoice(stripe, late.latest_invoice)
      expect(unpaid).toMatchObject({
        status: 'open',
        amount_due: 1000,
        billing_reason: 'subscription_cycle',
        attempt_count: 1,
        next_payment_attempt: null,
      })
      expect(sink.of(unpaid.id).map((change) => change.type)).toEqual(
        expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.payment_failed']),
      )
      const card = await stripe.paymentMethods.attach('pm_card_visa', {customer: customer.id})
      expect(await stripe.invoices.pay(unpaid.id, {payment_method: card.id})).toMatchObject({status: 'paid'})
      expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
    }
  })

  it('a trial converting onto a failing card goes past_due an hour after trial end (SB-49, SB-33)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe, START, 'pm_card_chargeCustomerFail')
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 7,
    })
    await advance(stripe, clock.id, START + 7 * DAY + 30 * 60)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active') // the invoice is still a draft
    await advance(stripe, clock.id, START + 7 * DAY + 2 * HOUR)
    const late = await stripe.subscriptions.retrieve(sub.id)
    expect(late.status).toBe('past_due')
    expect(await invoice(stripe, late.latest_invoice)).toMatchObject({
      status: 'open',
      attempt_count: 1,
      billing_reason: 'subscription_cycle',
    })
  })

  it('trial_settings.end_behavior.billing_cycle_anchor=unchanged is refused (SB-53)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    const error = await stripe
      .rawRequest('POST', '/v1/subscriptions', {
        customer: customer.id,
        items: [{price: price.id}],
        trial_period_days: 7,
        trial_settings: {end_behavior: {billing_cycle_anchor: 'unchanged'}},
      })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({statusCode: 501})
  })
})
