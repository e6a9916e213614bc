import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {monthlyPrice, sdk} from './sdk.js'

/** A customer's own discount (docs/stripe-behaviour.md SB-T4): settable only before basil (SB-57). */
const emulator = useEmulator({advanceMs: 0})
const ACACIA = '2025-02-24.acacia' as Stripe.LatestApiVersion
type Loose = Record<string, unknown>

/** Customer create/update as a pre-basil client sends them: `coupon` was a customer parameter then. */
const legacy = (params: Loose) => params as Stripe.CustomerCreateParams

async function eventsAbout(stripe: Stripe, id: string): Promise<Stripe.Event[]> {
  const page = await stripe.events.list({limit: 100})
  return page.data.filter((event) => (event.data.object as {id?: string}).id === id).reverse()
}

describe('a customer discount before basil (SB-T4)', () => {
  it('coupon on create sets customer.discount; another coupon switches it; an empty coupon removes it', async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts', {apiVersion: ACACIA})
    const first = await stripe.coupons.create({percent_off: 20, duration: 'forever'})
    const second = await stripe.coupons.create({percent_off: 30, duration: 'forever'})
    const customer = await stripe.customers.create(legacy({coupon: first.id}))
    const discount = customer.discount as unknown as Loose
    // Before clover the Discount carries its coupon expanded (SB-V6).
    expect(discount).toMatchObject({object: 'discount', customer: customer.id, subscription: null, end: null})
    expect(discount.coupon).toMatchObject({id: first.id, times_redeemed: 1})
    const id = discount.id as string

    const switched = await stripe.customers.update(customer.id, legacy({coupon: second.id}))
    expect(switched.discount).toMatchObject({id, coupon: {id: second.id}})
    const removed = await stripe.customers.update(customer.id, legacy({coupon: ''}))
    expect(removed.discount).toBeNull()

    const events = await eventsAbout(stripe, id)
    expect(events.map((event) => event.type)).toEqual([
      'customer.discount.created',
      'customer.discount.updated',
      'customer.discount.deleted',
    ])
    // Events are rendered at the account's default version, the newest here (SB-V2).
    expect(events[1]?.data.previous_attributes).toMatchObject({source: {coupon: first.id}})
    const customerEvents = await eventsAbout(stripe, customer.id)
    expect(customerEvents.map((event) => event.type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.updated',
    ])
  })

  it('DELETE /v1/customers/{id}/discount removes it, and is a 404 when there is none', async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts_delete', {apiVersion: ACACIA})
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const customer = await stripe.customers.create(legacy({coupon: coupon.id}))
    const deleted = await stripe.customers.deleteDiscount(customer.id)
    expect(deleted).toMatchObject({object: 'discount', deleted: true, customer: customer.id})
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({discount: null})
    await expect(stripe.customers.deleteDiscount(customer.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    })
  })

  it('an unknown coupon is a 404, and coupon with promotion_code a 400', async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts_bad', {apiVersion: ACACIA})
    await expect(stripe.customers.create(legacy({coupon: 'NOPE'}))).rejects.toMatchObject({statusCode: 404})
    await expect(stripe.customers.create(legacy({coupon: 'NOPE', promotion_code: 'promo_x'}))).rejects.toMatchObject({
      statusCode: 400,
    })
  })

  it('from basil coupon is no customer parameter (SB-57)', async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts_basil')
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    await expect(stripe.customers.create(legacy({coupon: coupon.id}))).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
    })
  })

  it("a subscription without discounts of its own inherits the customer's discount; its invoices are discounted", async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts_inherit', {apiVersion: ACACIA})
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 25, duration: 'forever'})
    const customer = await stripe.customers.create(
      legacy({
        coupon: coupon.id,
        payment_method: 'pm_card_visa',
        invoice_settings: {default_payment_method: 'pm_card_visa'},
      }),
    )
    const discountId = (customer.discount as unknown as Loose).id
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      expand: ['latest_invoice'],
    })
    expect(sub.discounts).toEqual([discountId])
    expect(sub.latest_invoice).toMatchObject({subtotal: 1000, total: 750, status: 'paid'})
    // Whether a subscription keeps a discount its customer loses is undocumented: refused (SB-1).
    await expect(stripe.customers.deleteDiscount(customer.id)).rejects.toMatchObject({statusCode: 501})
    await expect(stripe.subscriptions.deleteDiscount(sub.id)).rejects.toMatchObject({statusCode: 501})
    await expect(stripe.subscriptions.update(sub.id, {discounts: ''})).rejects.toMatchObject({statusCode: 501})

    const own = await stripe.coupons.create({percent_off: 50, duration: 'forever'})
    const withOwn = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      discounts: [{coupon: own.id}],
      expand: ['latest_invoice'],
    })
    expect(withOwn.latest_invoice).toMatchObject({subtotal: 1000, total: 500})
  })

  it('a once coupon on a customer is spent by the first invoice it discounts (SB-60)', async () => {
    const stripe = sdk(emulator(), 'sk_test_customer_discounts_once', {apiVersion: ACACIA})
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'once'})
    const customer = await stripe.customers.create(
      legacy({
        coupon: coupon.id,
        payment_method: 'pm_card_visa',
        invoice_settings: {default_payment_method: 'pm_card_visa'},
      }),
    )
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      expand: ['latest_invoice'],
    })
    expect(sub.latest_invoice).toMatchObject({total: 900})
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).discount).toBeNull()
  })
})
