import {describe, expect, it} from 'vitest'

import {addIntervals} from '../../src/billing-time.js'
import {useEmulator} from '../helpers/emulator.js'
import {HOUR, START, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

/** An account whose retries end by marking the subscription unpaid, one of Stripe's settings. */
const emulator = useEmulator({advanceMs: 0, retriesExhausted: 'unpaid'})

describe('emulator account settings', () => {
  it('retriesExhausted=unpaid: the subscription becomes unpaid and its later invoices are never attempted (SB-34)', async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 2 * HOUR)
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due')
    await advance(stripe, clock.id, addIntervals(START, 'month', 2) + 2 * HOUR)
    const unpaid = await stripe.subscriptions.retrieve(sub.id)
    expect(unpaid.status).toBe('unpaid')
    expect(await invoice(stripe, unpaid.latest_invoice)).toMatchObject({
      status: 'draft',
      auto_advance: false,
      attempt_count: 0,
      billing_reason: 'subscription_cycle',
    })
  })

  it("delinquent follows the latest invoice state change; expand[]=subscriptions lists the customer's (SB-38)", async () => {
    const stripe = sdk(emulator())
    const price = await monthlyPrice(stripe, 1000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    const good = customer.invoice_settings.default_payment_method as string
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {customer: customer.id})
    await stripe.customers.update(customer.id, {invoice_settings: {default_payment_method: failing.id}})
    await advance(stripe, clock.id, addIntervals(START, 'month', 1) + 2 * HOUR)
    expect(await stripe.customers.retrieve(customer.id, {expand: ['subscriptions']})).toMatchObject({
      delinquent: true,
      subscriptions: {data: [{id: sub.id, status: 'past_due'}]},
    })
    await stripe.invoices.pay((await stripe.subscriptions.retrieve(sub.id)).latest_invoice as string, {
      payment_method: good,
    })
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({delinquent: false})
    expect('subscriptions' in (await stripe.customers.retrieve(customer.id))).toBe(false)
  })
})
