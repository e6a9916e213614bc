import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {recordingSink} from './events.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

/**
 * The common billing flows a stripe-node integration runs, through several clock advances, each
 * result held to Stripe's documented behaviour (docs/stripe-behaviour.md). This is the issue's
 * done-script: if it passes, the emulator stands in for Stripe for subscription billing.
 */
const sink = recordingSink()
const emulator = useEmulator({advanceMs: 0, events: sink})
const FEB_1 = addIntervals(START, 'month', 1)
const MAR_1 = addIntervals(START, 'month', 2)
const APR_1 = addIntervals(START, 'month', 3)
const SETTLED = HOUR + 60 // past the hour a renewal stays draft (SB-32)

function types(id: string): string[] {
  return sink.of(id).map((change) => change.type)
}

describe('done-script: the common billing flows through stripe-node', () => {
  it('subscribes with a 14-day trial and converts at trial end (SB-49, SB-51)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const trialEnd = START + 14 * DAY
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      trial_period_days: 14,
    })
    expect(sub).toMatchObject({
      status: 'trialing',
      trial_start: START,
      trial_end: trialEnd,
      billing_cycle_anchor: trialEnd,
      billing_mode: {type: 'flexible'},
    })
    expect(sub.items.data[0]).toMatchObject({current_period_start: START, current_period_end: trialEnd})
    expect(await invoice(stripe, sub.latest_invoice)).toMatchObject({
      status: 'paid',
      total: 0,
      amount_due: 0,
      billing_reason: 'subscription_create',
      period_start: START,
      period_end: START,
    })

    await advance(stripe, clock.id, trialEnd - 3 * DAY + 60)
    const warned = sink.of(sub.id).find((change) => change.type === 'customer.subscription.trial_will_end')
    expect(warned).toMatchObject({created: trialEnd - 3 * DAY, request: null})

    await advance(stripe, clock.id, trialEnd + SETTLED)
    const converted = await stripe.subscriptions.retrieve(sub.id)
    expect(converted).toMatchObject({status: 'active', billing_cycle_anchor: trialEnd})
    expect(converted.items.data[0]).toMatchObject({
      current_period_start: trialEnd,
      current_period_end: addIntervals(trialEnd, 'month', 1),
    })
    expect(await invoice(stripe, converted.latest_invoice)).toMatchObject({
      status: 'paid',
      amount_paid: 1000,
      billing_reason: 'subscription_cycle',
      period_start: START,
      period_end: trialEnd,
    })
    const statusChange = sink
      .of(sub.id)
      .find(
        (change) => change.type === 'customer.subscription.updated' && change.previousAttributes?.status === 'trialing',
      )
    expect(statusChange?.object.status).toBe('active')
  })

  it('upgrades mid-cycle with the default prorations and bills them on the next invoice (SB-41, SB-42, SB-44)', async () => {
    const stripe = sdk(emulator())
    const basic = await monthlyPrice(stripe, 1000, 'Basic')
    const pro = await monthlyPrice(stripe, 2000, 'Pro')
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: basic.id}]})
    const first = sub.latest_invoice as string
    // Half of January's 31 days: half the old price back, half the new one due.
    const halfway = START + 15 * DAY + 12 * HOUR
    await advance(stripe, clock.id, halfway)
    const upgraded = await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, price: pro.id}]})
    expect(upgraded.latest_invoice).toBe(first) // nothing billed now
    expect(upgraded.items.data[0]).toMatchObject({current_period_end: FEB_1})
    const pending = await stripe.invoiceItems.list({customer: customer.id, pending: true})
    expect(
      pending.data.map((item) => [item.amount, item.proration, item.discountable] as const).sort((a, b) => a[0] - b[0]),
    ).toEqual([
      [-500, true, false],
      [1000, true, false],
    ])

    await advance(stripe, clock.id, FEB_1 + SETTLED)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_cycle',
      subtotal: 2500,
      total: 2500,
      amount_paid: 2500,
    })
    // Pending items first, newest first, then the subscription item (SB-36).
    expect(renewal.lines.data.map((line) => [line.amount, line.parent?.subscription_item_details?.proration])).toEqual([
      [1000, true],
      [-500, true],
      [2000, false],
    ])
    const credit = renewal.lines.data[1]!
    expect(credit.period).toEqual({start: halfway, end: FEB_1})
    expect(credit.parent?.subscription_item_details?.proration_details?.credited_items?.invoice).toBe(first)
    expect(renewal.lines.data[2]?.period).toEqual({start: FEB_1, end: MAR_1})
    // The invoice's own period is the one just ended, when its items could be added (SB-36).
    expect(renewal).toMatchObject({period_start: START, period_end: FEB_1})
    expect((await stripe.invoiceItems.list({customer: customer.id, pending: true})).data).toEqual([])
  })

  it('a forever 20% coupon discounts every renewal; a 3-month repeating one ends after three invoices, its end running before a renewal in the same second (SB-17, SB-56, SB-58, SB-59, SB-60, SB-61)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const forever = await stripe.coupons.create({percent_off: 20, duration: 'forever', name: '20% forever'})
    const threeMonths = await stripe.coupons.create({percent_off: 25, duration: 'repeating', duration_in_months: 3})
    const code = await stripe.promotionCodes.create({
      promotion: {type: 'coupon', coupon: threeMonths.id},
      code: 'SPRING25',
    })
    const {clock, customer: first} = await clockWithCustomer(stripe)
    const second = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })

    // The repeating coupon, through a promotion code, from the first invoice.
    const limited = await stripe.subscriptions.create({
      customer: second.id,
      items: [{price: price.id}],
      discounts: [{promotion_code: code.id}],
    })

    // The forever coupon is applied to a running subscription; the next invoices carry it.
    const kept = await stripe.subscriptions.create({customer: first.id, items: [{price: price.id}]})
    expect(await invoice(stripe, kept.latest_invoice)).toMatchObject({total: 1000})
    await advance(stripe, clock.id, START + DAY)
    const discounted = await stripe.subscriptions.update(kept.id, {discounts: [{coupon: forever.id}]})
    expect(discounted.discounts).toHaveLength(1)
    const foreverDiscount = (await stripe.subscriptions.retrieve(kept.id, {expand: ['discounts']}))
      .discounts[0] as Stripe.Discount
    expect(foreverDiscount).toMatchObject({
      object: 'discount',
      end: null,
      start: START + DAY,
      source: {type: 'coupon', coupon: forever.id},
    })

    const limitedDiscount = (await stripe.subscriptions.retrieve(limited.id, {expand: ['discounts']}))
      .discounts[0] as Stripe.Discount
    expect(limitedDiscount).toMatchObject({start: START, end: APR_1, promotion_code: code.id})
    const firstLimited = await invoice(stripe, limited.latest_invoice)
    expect(firstLimited).toMatchObject({
      subtotal: 1000,
      total: 750,
      amount_paid: 750,
      discounts: [limitedDiscount.id],
      total_discount_amounts: [{amount: 250, discount: limitedDiscount.id}],
    })
    expect(firstLimited.lines.data[0]?.discount_amounts).toEqual([{amount: 250, discount: limitedDiscount.id}])
    expect(await stripe.promotionCodes.retrieve(code.id)).toMatchObject({times_redeemed: 1})
    expect(await stripe.coupons.retrieve(threeMonths.id)).toMatchObject({times_redeemed: 1, valid: true})

    const totals = async (id: string) =>
      (await invoice(stripe, (await stripe.subscriptions.retrieve(id)).latest_invoice)).total
    for (const [at, keptTotal, limitedTotal] of [
      [FEB_1, 800, 750],
      [MAR_1, 800, 750],
      [APR_1, 800, 1000],
    ] as const) {
      await advance(stripe, clock.id, at + SETTLED)
      expect([await totals(kept.id), await totals(limited.id)]).toEqual([keptTotal, limitedTotal])
    }
    expect((await stripe.subscriptions.retrieve(limited.id)).discounts).toEqual([])
    expect((await stripe.subscriptions.retrieve(kept.id)).discounts).toEqual([foreverDiscount.id])
    expect(types(limitedDiscount.id)).toEqual(['customer.discount.created', 'customer.discount.deleted'])
  })

  it('moves monthly to yearly: credits the unused month, bills the year at once and resets the anchor (SB-45)', async () => {
    const stripe = sdk(emulator())
    const monthly = await monthlyPrice(stripe, 1000, 'Monthly')
    const yearly = await monthlyPrice(stripe, 12_000, 'Yearly', {interval: 'year'})
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: monthly.id}]})
    const moved = START + 10 * DAY
    await advance(stripe, clock.id, moved)
    const updated = await stripe.subscriptions.update(sub.id, {items: [{id: sub.items.data[0]!.id, price: yearly.id}]})
    const nextYear = addIntervals(moved, 'year', 1)
    expect(updated).toMatchObject({billing_cycle_anchor: moved, status: 'active'})
    expect(updated.items.data[0]).toMatchObject({current_period_start: moved, current_period_end: nextYear})
    const bill = await invoice(stripe, updated.latest_invoice)
    // 21 of January's 31 days unused: −677 (rounded to the cent), then the year.
    expect(bill).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_update',
      total: 12_000 - 677,
      amount_paid: 12_000 - 677,
    })
    expect(bill.lines.data.map((line) => line.amount)).toEqual([-677, 12_000])

    // Only a yearly subscription on the clock: an advance may cover two years (SB-12).
    await advance(stripe, clock.id, nextYear + SETTLED)
    expect(await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)).toMatchObject({
      status: 'paid',
      amount_paid: 12_000,
      billing_reason: 'subscription_cycle',
      period_start: moved,
      period_end: nextYear,
    })
  })

  it('cancels at period end: active until then, canceled at the period end with no renewal invoice, the cancellation running before a renewal in the same second (SB-17, SB-63)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 5 * DAY)
    const scheduled = await stripe.subscriptions.update(sub.id, {
      cancel_at_period_end: true,
      cancellation_details: {feedback: 'too_expensive'},
    })
    expect(scheduled).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: FEB_1,
      canceled_at: START + 5 * DAY,
    })

    await advance(stripe, clock.id, FEB_1 + SETTLED)
    const ended = await stripe.subscriptions.retrieve(sub.id)
    expect(ended).toMatchObject({
      status: 'canceled',
      ended_at: FEB_1,
      canceled_at: START + 5 * DAY,
      cancellation_details: {feedback: 'too_expensive', reason: 'cancellation_requested'},
    })
    expect(ended.latest_invoice).toBe(sub.latest_invoice)
    expect((await stripe.invoices.list({subscription: sub.id})).data).toHaveLength(1)
    expect(
      sink
        .of(sub.id)
        .filter((change) => change.type === 'customer.subscription.deleted')
        .map((change) => change.created),
    ).toEqual([FEB_1])
  })

  it('deletes a customer: its subscription ends at once, the customer reads as deleted and takes nothing more (SB-67)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    await advance(stripe, clock.id, START + 3 * DAY)
    expect(await stripe.customers.del(customer.id)).toEqual(
      expect.objectContaining({id: customer.id, object: 'customer', deleted: true}),
    )
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({status: 'canceled', ended_at: START + 3 * DAY})
    expect(await stripe.customers.retrieve(customer.id)).toEqual(
      expect.objectContaining({id: customer.id, deleted: true}),
    )
    await expect(stripe.customers.update(customer.id, {name: 'x'})).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    })
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]}),
    ).rejects.toMatchObject({statusCode: 404, param: 'customer'})
    expect((await stripe.customers.listPaymentMethods(customer.id)).data).toEqual([])
    expect(types(customer.id).slice(-1)).toEqual(['customer.deleted'])
    expect(types(sub.id).slice(-1)).toEqual(['customer.subscription.deleted'])
  })
})
