import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {DAY, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

/**
 * A customer's discount over time (docs/stripe-behaviour.md SB-T7, SB-T8): what previews, later
 * subscriptions and Checkout do with it, and how a repeating one ends as a test clock advances.
 */
const emulator = useEmulator({advanceMs: 0})
const ACACIA = '2025-02-24.acacia' as Stripe.LatestApiVersion
type Loose = Record<string, unknown>

/** Customer create/update as a pre-basil client sends them: `coupon` was a customer parameter then (SB-T4). */
const legacy = (params: Loose) => params as Stripe.CustomerUpdateParams

async function eventTypes(stripe: Stripe, id: string): Promise<string[]> {
  // The emulator's keys share one account: page through all of its events.
  const all = await stripe.events.list({limit: 100}).autoPagingToArray({limit: 10_000})
  return all
    .filter((event) => (event.data.object as {id?: string}).id === id)
    .reverse()
    .map((event) => event.type)
}

describe("a customer's discount on invoices to come (SB-T7)", () => {
  it("the invoice preview of a subscription that inherited the customer's discount is discounted", async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_preview', {apiVersion: ACACIA})
    const price = await monthlyPrice(stripe, 2000)
    const coupon = await stripe.coupons.create({percent_off: 25, duration: 'forever'})
    const customer = await stripe.customers.create({
      ...legacy({coupon: coupon.id}),
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const discountId = (customer.discount as unknown as Loose).id as string
    const bySubscription = await stripe.invoices.createPreview({subscription: sub.id})
    expect(bySubscription).toMatchObject({subtotal: 2000, total: 1500, discounts: [discountId]})
    const byCustomer = await stripe.invoices.createPreview({customer: customer.id})
    expect(byCustomer).toMatchObject({subtotal: 2000, total: 1500})
  })

  it('a subscription without discounts of its own takes a discount its customer gets later: preview and renewal', async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_later', {apiVersion: ACACIA})
    const {clock, customer} = await clockWithCustomer(stripe)
    const price = await monthlyPrice(stripe, 1000)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    expect(sub.discounts).toEqual([])
    const own = await stripe.coupons.create({percent_off: 50, duration: 'forever'})
    const withOwn = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: (await monthlyPrice(stripe, 3000)).id}],
      discounts: [{coupon: own.id}],
    })

    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const updated = await stripe.customers.update(customer.id, legacy({coupon: coupon.id}))
    const discountId = (updated.discount as unknown as Loose).id as string
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([discountId])
    // A subscription with a discount of its own keeps only that one.
    const ownAfter = await stripe.subscriptions.retrieve(withOwn.id)
    expect(ownAfter.discounts).toHaveLength(1)
    expect(ownAfter.discounts).not.toContain(discountId)
    expect(await eventTypes(stripe, sub.id)).toContain('customer.subscription.updated')

    const preview = await stripe.invoices.createPreview({subscription: sub.id})
    expect(preview).toMatchObject({subtotal: 1000, total: 900})
    const renewed = await advance(stripe, clock.id, START + 32 * DAY)
    expect(renewed.frozen_time).toBe(START + 32 * DAY)
    const latest = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(latest).toMatchObject({billing_reason: 'subscription_cycle', subtotal: 1000, total: 900})
  })

  it('a once discount for a customer with two subscriptions that would take it is refused (501), changing nothing', async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_once_two', {apiVersion: ACACIA})
    const {customer} = await clockWithCustomer(stripe)
    for (const amount of [1000, 2000])
      await stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: (await monthlyPrice(stripe, amount)).id}],
      })
    const once = await stripe.coupons.create({percent_off: 10, duration: 'once'})
    await expect(stripe.customers.update(customer.id, legacy({coupon: once.id}))).rejects.toMatchObject({
      statusCode: 501,
    })
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).discount).toBeNull()
    expect(await stripe.coupons.retrieve(once.id)).toMatchObject({times_redeemed: 0})
  })

  it('Checkout for a customer with a discount is refused (501): whether Checkout applies it is undocumented', async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_checkout', {apiVersion: ACACIA})
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const customer = await stripe.customers.create(legacy({coupon: coupon.id}))
    const session = {
      mode: 'subscription' as const,
      customer: customer.id,
      line_items: [{price: price.id, quantity: 1}],
      success_url: 'https://example.com/ok',
    }
    await expect(stripe.checkout.sessions.create(session)).rejects.toMatchObject({statusCode: 501})
    // Without the discount the same session is made.
    await stripe.customers.deleteDiscount(customer.id)
    await expect(stripe.checkout.sessions.create(session)).resolves.toMatchObject({customer: customer.id})
  })
})

describe('a repeating customer discount ends (SB-T8)', () => {
  it('at its end the time engine removes it, with one customer.discount.deleted, from the customer and its subscription', async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_end', {apiVersion: ACACIA})
    const {clock, customer} = await clockWithCustomer(stripe)
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 20, duration: 'repeating', duration_in_months: 2})
    const withDiscount = await stripe.customers.update(customer.id, legacy({coupon: coupon.id}))
    const discount = withDiscount.discount as unknown as Loose
    expect(discount.end).toBe(Date.UTC(2026, 2, 1) / 1000)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      expand: ['latest_invoice'],
    })
    expect(sub.discounts).toEqual([discount.id])
    expect(sub.latest_invoice).toMatchObject({total: 800})

    // Past the end (March 1) and the March renewal's draft hour; a clock moves two periods at most (SB-12).
    await advance(stripe, clock.id, Date.UTC(2026, 1, 2) / 1000)
    await advance(stripe, clock.id, Date.UTC(2026, 2, 2) / 1000)
    const after = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer
    expect(after.discount).toBeNull()
    const subAfter = await stripe.subscriptions.retrieve(sub.id)
    expect(subAfter.discounts).toEqual([])
    const march = await invoice(stripe, subAfter.latest_invoice)
    expect(march).toMatchObject({period_end: Date.UTC(2026, 2, 1) / 1000, subtotal: 1000, total: 1000})
    const february = (await stripe.invoices.list({subscription: sub.id, limit: 10})).data.find(
      (inv) => inv.period_end === Date.UTC(2026, 1, 1) / 1000,
    )
    expect(february).toMatchObject({total: 800})
    const discountEvents = (await eventTypes(stripe, discount.id as string)).filter((type) =>
      type.startsWith('customer.discount.'),
    )
    expect(discountEvents).toEqual(['customer.discount.created', 'customer.discount.deleted'])
  })

  it('ends on a customer without subscriptions too, and customer.updated names the discount it had', async () => {
    const stripe = sdk(emulator(), 'sk_test_cdl_end_alone', {apiVersion: ACACIA})
    const {clock, customer} = await clockWithCustomer(stripe)
    const coupon = await stripe.coupons.create({percent_off: 20, duration: 'repeating', duration_in_months: 1})
    const withDiscount = await stripe.customers.update(customer.id, legacy({coupon: coupon.id}))
    const discountId = (withDiscount.discount as unknown as Loose).id as string

    await advance(stripe, clock.id, START + 20 * DAY)
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).discount).toMatchObject({
      id: discountId,
    })
    await advance(stripe, clock.id, START + 40 * DAY)
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).discount).toBeNull()
    expect(await eventTypes(stripe, discountId)).toEqual(['customer.discount.created', 'customer.discount.deleted'])
    const page = await stripe.events.list({type: 'customer.updated', limit: 10})
    const ended = page.data.find(
      (event) =>
        (event.data.object as Stripe.Customer).id === customer.id &&
        (event.data.previous_attributes as Loose | undefined)?.discount !== undefined &&
        (event.data.previous_attributes as Loose).discount !== null,
    )
    expect(ended?.data.previous_attributes).toMatchObject({discount: {id: discountId}})
    expect((ended?.data.object as Stripe.Customer).discount).toBeNull()
  })
})
