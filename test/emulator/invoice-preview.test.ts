import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {wholeState} from '../helpers/whole-state.js'
import {DAY, HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator()
const stripe = () => sdk(emulator())

/** What an invoice bills, without what only a real invoice has (its id, number, payment). */
function billed(inv: Stripe.Invoice) {
  return {
    currency: inv.currency,
    customer: inv.customer,
    subscription: inv.parent?.subscription_details?.subscription,
    period: [inv.period_start, inv.period_end],
    subtotal: inv.subtotal,
    total: inv.total,
    amount_due: inv.amount_due,
    lines: inv.lines.data.map((line) => ({
      description: line.description,
      amount: line.amount,
      quantity: line.quantity,
      period: line.period,
      price: line.pricing?.price_details?.price,
      proration: line.parent?.subscription_item_details?.proration ?? line.parent?.invoice_item_details?.proration,
    })),
  }
}

async function latestInvoice(subscriptionId: string): Promise<Stripe.Invoice> {
  const sub = await stripe().subscriptions.retrieve(subscriptionId)
  return invoice(stripe(), sub.latest_invoice)
}

describe('a metered subscription on a test clock (issue 19 done-when, SB-U11, SB-U12)', () => {
  it('bills exactly each period’s usage on its renewal, and the preview before each renewal equals it', async () => {
    const meter = await stripe().billing.meters.create({
      display_name: 'Tokens',
      event_name: 'preview_tokens',
      default_aggregation: {formula: 'sum'},
    })
    // A licensed base fee and a graduated metered price: first 1000 tokens at 1¢, the rest at 0.5¢ plus a $2 step.
    const base = await monthlyPrice(stripe(), 1500, 'Base')
    const tokens = await stripe().prices.create({
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [
        {up_to: 1000, unit_amount: 1},
        {up_to: 'inf', unit_amount: 0, flat_amount: 200},
      ],
      recurring: {interval: 'month', usage_type: 'metered', meter: meter.id},
      product_data: {name: 'Tokens'},
    })
    const {clock, customer} = await clockWithCustomer(stripe())
    const sub = await stripe().subscriptions.create({
      customer: customer.id,
      items: [{price: base.id}, {price: tokens.id}],
    })
    expect((await latestInvoice(sub.id)).total).toBe(1500)
    const send = (value: number) =>
      stripe().billing.meterEvents.create({
        event_name: meter.event_name,
        payload: {stripe_customer_id: customer.id, value: String(value)},
      })

    const end1 = addIntervals(START, 'month', 1)
    const end2 = addIntervals(START, 'month', 2)
    const expected: Array<{usage: number; usageAmount: number; from: number; to: number}> = [
      // Period 1: 300 + 400 tokens, all in the first tier.
      {usage: 700, usageAmount: 700, from: START, to: end1},
      // Period 2: 900 + 350 tokens: 1000 × 1¢, then the second tier's $2 flat step.
      {usage: 1250, usageAmount: 1000 + 200, from: end1, to: end2},
    ]
    for (const [period, values] of [
      [0, [300, 400]],
      [1, [900, 350]],
    ] as const) {
      const {from, to, usage, usageAmount} = expected[period]!
      await advance(stripe(), clock.id, from + 3 * DAY)
      await send(values[0])
      await advance(stripe(), clock.id, from + 10 * DAY)
      await send(values[1])
      await advance(stripe(), clock.id, to - DAY)

      const before = wholeState(emulator())
      const preview = await stripe().invoices.createPreview({subscription: sub.id})
      // The preview creates nothing: no invoice, no event, no record changed.
      expect(wholeState(emulator())).toEqual(before)
      expect(preview.id).toMatch(/^upcoming_in_/)
      expect(preview).toMatchObject({status: 'draft', billing_reason: 'upcoming', amount_paid: 0})
      await expect(stripe().invoices.retrieve(preview.id)).rejects.toThrow(/No such invoice/)

      await advance(stripe(), clock.id, to + 2 * HOUR)
      const renewal = await latestInvoice(sub.id)
      expect(renewal).toMatchObject({billing_reason: 'subscription_cycle', status: 'paid'})
      expect(billed(preview)).toEqual(billed(renewal))
      const usageLine = renewal.lines.data.find((line) => line.pricing?.price_details?.price === tokens.id)
      expect(usageLine).toMatchObject({quantity: usage, amount: usageAmount, period: {start: from, end: to}})
      expect(renewal.total).toBe(1500 + usageAmount)
    }
  })
})

describe('invoice previews of subscription changes (SB-U12)', () => {
  it('previews an upgrade’s prorations at proration_date, which the update then bills the same', async () => {
    const small = await monthlyPrice(stripe(), 1000, 'Small')
    const large = await monthlyPrice(stripe(), 4000, 'Large')
    const {clock, customer} = await clockWithCustomer(stripe())
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: small.id}]})
    await advance(stripe(), clock.id, START + 10 * DAY)
    const prorationDate = START + 10 * DAY
    const items = [{id: sub.items.data[0]!.id, price: large.id}]

    const before = wholeState(emulator())
    const next = await stripe().invoices.createPreview({
      subscription: sub.id,
      subscription_details: {items, proration_date: prorationDate},
    })
    const now = await stripe().invoices.createPreview({
      subscription: sub.id,
      subscription_details: {items, proration_date: prorationDate, proration_behavior: 'always_invoice'},
    })
    expect(wholeState(emulator())).toEqual(before)
    expect(next.parent?.subscription_details?.subscription_proration_date).toBe(prorationDate)
    const prorations = next.lines.data.filter((line) => line.parent?.subscription_item_details?.proration)
    expect(prorations.map((line) => line.period.start)).toEqual([prorationDate, prorationDate])
    // The next renewal: both prorations, then the new price for the next period.
    expect(next.lines.data).toHaveLength(3)
    expect(next.total).toBe(prorations.reduce((sum, line) => sum + line.amount, 0) + 4000)
    // always_invoice previews the invoice the update makes at once: the prorations only.
    expect(now.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual(
      prorations.map((line) => line.amount).sort((a, b) => a - b),
    )

    await stripe().subscriptions.update(sub.id, {
      items,
      proration_date: prorationDate,
      proration_behavior: 'always_invoice',
    })
    const charged = await latestInvoice(sub.id)
    expect(billed({...charged})).toEqual(billed(now))
  })

  it('previews the customer’s next invoice, and answers 404 when none is coming', async () => {
    const price = await monthlyPrice(stripe(), 2500, 'Solo')
    const {customer} = await clockWithCustomer(stripe())
    const none = await stripe()
      .invoices.createPreview({customer: customer.id})
      .catch((error: unknown) => error)
    expect(none).toMatchObject({statusCode: 404, code: 'invoice_upcoming_none'})
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const preview = await stripe().invoices.createPreview({customer: customer.id})
    expect(preview).toMatchObject({total: 2500, period_start: sub.items.data[0]!.current_period_start})
    await stripe().subscriptions.update(sub.id, {cancel_at_period_end: true})
    const ending = await stripe()
      .invoices.createPreview({subscription: sub.id})
      .catch((error: unknown) => error)
    expect(ending).toMatchObject({statusCode: 404, code: 'invoice_upcoming_none'})
  })

  it('refuses what it does not model with a 501 naming it', async () => {
    const price = await monthlyPrice(stripe(), 700, 'Refused')
    const {customer} = await clockWithCustomer(stripe())
    const refused = await stripe()
      .invoices.createPreview({customer: customer.id, subscription_details: {items: [{price: price.id}]}})
      .catch((error: unknown) => error)
    expect(refused).toMatchObject({statusCode: 501, message: expect.stringMatching(/previewing a new subscription/)})
    const param = await stripe()
      .invoices.createPreview({customer: customer.id, subscription_details: {cancel_now: true}})
      .catch((error: unknown) => error)
    expect(param).toMatchObject({statusCode: 501, message: expect.stringMatching(/subscription_details\[cancel_now\]/)})
  })

  it('answers older API versions in their shape: subscription and subscription_proration_date at the top level', async () => {
    const small = await monthlyPrice(stripe(), 1200, 'Old small')
    const large = await monthlyPrice(stripe(), 2400, 'Old large')
    const {customer} = await clockWithCustomer(stripe())
    const sub = await stripe().subscriptions.create({customer: customer.id, items: [{price: small.id}]})
    const old = sdk(emulator(), 'sk_test_emulator', {apiVersion: '2024-06-20' as Stripe.LatestApiVersion})
    const preview = (await old.invoices.createPreview({
      subscription: sub.id,
      subscription_details: {items: [{id: sub.items.data[0]!.id, price: large.id}], proration_date: START},
    })) as unknown as Record<string, unknown>
    expect(preview).toMatchObject({
      subscription: sub.id,
      subscription_proration_date: START,
      billing_reason: 'upcoming',
    })
    expect(preview.parent).toBeUndefined()
  })
})
