import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {HOUR, advance, clockWithCustomer, invoice, monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

describe('emulator: tax rates as objects (SB-77)', () => {
  it('creates, retrieves, updates labels and lists by active and inclusive; percentage and inclusive never change', async () => {
    const stripe = sdk(emulator())
    const vat = await stripe.taxRates.create({
      display_name: 'VAT',
      percentage: 19.5,
      inclusive: false,
      country: 'DE',
      jurisdiction: 'DE',
      tax_type: 'vat',
      metadata: {k: 'v'},
    })
    expect(vat.id).toMatch(/^txr_/)
    expect(vat).toMatchObject({
      object: 'tax_rate',
      display_name: 'VAT',
      percentage: 19.5,
      inclusive: false,
      active: true,
      country: 'DE',
      tax_type: 'vat',
      metadata: {k: 'v'},
      effective_percentage: null,
      livemode: false,
    })
    const gst = await stripe.taxRates.create({display_name: 'GST', percentage: 10, inclusive: true})
    expect(await stripe.taxRates.retrieve(gst.id)).toMatchObject({inclusive: true, percentage: 10, country: null})
    const updated = await stripe.taxRates.update(vat.id, {active: false, display_name: 'MwSt', description: 'Germany'})
    expect(updated).toMatchObject({active: false, display_name: 'MwSt', description: 'Germany', percentage: 19.5})
    await expect(stripe.taxRates.update(vat.id, {percentage: 7} as Stripe.TaxRateUpdateParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
    })
    expect((await stripe.taxRates.list({active: true})).data.map((rate) => rate.id)).toContain(gst.id)
    expect((await stripe.taxRates.list({active: true})).data.map((rate) => rate.id)).not.toContain(vat.id)
    expect((await stripe.taxRates.list({inclusive: false})).data.map((rate) => rate.id)).toEqual([vat.id])
    await expect(
      stripe.taxRates.create({display_name: 'Bad', percentage: 101, inclusive: false}),
    ).rejects.toMatchObject({statusCode: 400, param: 'percentage'})
    const types = (await stripe.events.list({limit: 3})).data.map((event) => event.type)
    expect(types).toEqual(['tax_rate.updated', 'tax_rate.created', 'tax_rate.created'])
    expect((await stripe.events.list({type: 'tax_rate.updated', limit: 1})).data[0]?.data.previous_attributes).toEqual({
      active: true,
      display_name: 'VAT',
      description: null,
    })
  })

  it('invoice items and invoices still refuse tax_rates with a 501 naming the parameter (SB-78)', async () => {
    const stripe = sdk(emulator())
    const rate = await stripe.taxRates.create({display_name: 'Sales tax', percentage: 8, inclusive: false})
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: {default_payment_method: 'pm_card_visa'},
    })
    await expect(
      stripe.invoiceItems.create({customer: customer.id, amount: 100, currency: 'usd', tax_rates: [rate.id]}),
    ).rejects.toMatchObject({statusCode: 501, message: expect.stringContaining('tax_rates')})
  })
})

const FEB_1 = Date.UTC(2026, 1, 1) / 1000

describe('emulator: tax rates applied to subscription invoices (SB-78)', () => {
  it('an exclusive 10% default rate on a $20 subscription: tax on top, charged, and again at renewal', async () => {
    const stripe = sdk(emulator())
    const rate = await stripe.taxRates.create({display_name: 'Sales tax', percentage: 10, inclusive: false})
    const price = await monthlyPrice(stripe, 2000)
    const {clock, customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      default_tax_rates: [rate.id],
    })
    expect(sub.default_tax_rates?.map((r) => r.id)).toEqual([rate.id])
    const first = await invoice(stripe, sub.latest_invoice)
    expect(first).toMatchObject({
      subtotal: 2000,
      subtotal_excluding_tax: 2000,
      total_excluding_tax: 2000,
      total: 2200,
      amount_due: 2200,
      amount_paid: 2200,
      status: 'paid',
    })
    expect(first.default_tax_rates.map((r) => r.id)).toEqual([rate.id])
    const tax = {
      amount: 200,
      tax_behavior: 'exclusive',
      tax_rate_details: {tax_rate: rate.id},
      taxable_amount: 2000,
      type: 'tax_rate_details',
    }
    expect(first.total_taxes).toEqual([expect.objectContaining(tax)])
    expect(first.lines.data[0]?.taxes).toEqual([expect.objectContaining(tax)])
    expect((await stripe.charges.list({customer: customer.id})).data.map((charge) => charge.amount)).toEqual([2200])
    await advance(stripe, clock.id, FEB_1 + 2 * HOUR)
    const renewal = await invoice(stripe, (await stripe.subscriptions.retrieve(sub.id)).latest_invoice)
    expect(renewal).toMatchObject({
      billing_reason: 'subscription_cycle',
      subtotal: 2000,
      total: 2200,
      amount_paid: 2200,
      status: 'paid',
    })
    expect(renewal.total_taxes).toEqual([expect.objectContaining(tax)])
  })

  it('an inclusive 20% rate leaves the total alone and shows the contained tax, 2000 × 20/120 rounded', async () => {
    const stripe = sdk(emulator())
    const vat = await stripe.taxRates.create({display_name: 'VAT', percentage: 20, inclusive: true})
    const price = await monthlyPrice(stripe, 2000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      default_tax_rates: [vat.id],
    })
    const first = await invoice(stripe, sub.latest_invoice)
    expect(first).toMatchObject({
      subtotal: 2000,
      subtotal_excluding_tax: 1667,
      total: 2000,
      total_excluding_tax: 1667,
      amount_paid: 2000,
    })
    expect(first.total_taxes).toEqual([
      expect.objectContaining({amount: 333, tax_behavior: 'inclusive', taxable_amount: 1667}),
    ])
  })

  it("an item's own rates replace the subscription's defaults; several exclusive rates each apply to the line", async () => {
    const stripe = sdk(emulator())
    const state = await stripe.taxRates.create({display_name: 'State', percentage: 6, inclusive: false})
    const city = await stripe.taxRates.create({display_name: 'City', percentage: 2.5, inclusive: false})
    const reduced = await stripe.taxRates.create({display_name: 'Reduced', percentage: 5, inclusive: false})
    const basic = await monthlyPrice(stripe, 1000, 'Basic')
    const books = await monthlyPrice(stripe, 999, 'Books')
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: basic.id}, {price: books.id, tax_rates: [reduced.id]}],
      default_tax_rates: [state.id, city.id],
    })
    expect(sub.items.data.find((item) => item.price.id === books.id)?.tax_rates?.map((r) => r.id)).toEqual([reduced.id])
    const first = await invoice(stripe, sub.latest_invoice)
    const taxesOf = (priceId: string) =>
      first.lines.data
        .find((line) => line.pricing?.price_details?.price === priceId)
        ?.taxes?.map((t) => [t.tax_rate_details?.tax_rate, t.amount])
    // 1000 × 6% = 60 and × 2.5% = 25; 999 × 5% = 49.95 → 50.
    expect(taxesOf(basic.id)).toEqual([
      [state.id, 60],
      [city.id, 25],
    ])
    expect(taxesOf(books.id)).toEqual([[reduced.id, 50]])
    expect(first).toMatchObject({subtotal: 1999, total: 2134, amount_paid: 2134})
  })

  it('a percent-off discount comes first: tax is on the discounted amount', async () => {
    const stripe = sdk(emulator())
    const rate = await stripe.taxRates.create({display_name: 'Sales tax', percentage: 10, inclusive: false})
    const coupon = await stripe.coupons.create({percent_off: 25, duration: 'forever'})
    const price = await monthlyPrice(stripe, 2000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      default_tax_rates: [rate.id],
      discounts: [{coupon: coupon.id}],
    })
    const first = await invoice(stripe, sub.latest_invoice)
    expect(first).toMatchObject({subtotal: 2000, total_excluding_tax: 1500, total: 1650, amount_paid: 1650})
    expect(first.total_taxes).toEqual([expect.objectContaining({amount: 150, taxable_amount: 1500})])
  })

  it('refuses inactive rates, and with 501 what Stripe leaves undocumented: prorations, inclusive with discounts, credit notes', async () => {
    const stripe = sdk(emulator())
    const rate = await stripe.taxRates.create({display_name: 'Sales tax', percentage: 10, inclusive: false})
    const vat = await stripe.taxRates.create({display_name: 'VAT', percentage: 20, inclusive: true})
    const old = await stripe.taxRates.create({display_name: 'Old', percentage: 5, inclusive: false, active: false})
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const price = await monthlyPrice(stripe, 2000)
    const bigger = await monthlyPrice(stripe, 3000)
    const {customer} = await clockWithCustomer(stripe)
    await expect(
      stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], default_tax_rates: [old.id]}),
    ).rejects.toMatchObject({statusCode: 400, param: 'default_tax_rates'})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        default_tax_rates: [vat.id],
        discounts: [{coupon: coupon.id}],
      }),
    ).rejects.toMatchObject({statusCode: 501})
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      default_tax_rates: [rate.id],
    })
    const item = sub.items.data[0]!
    await expect(stripe.subscriptions.update(sub.id, {items: [{id: item.id, price: bigger.id}]})).rejects.toMatchObject(
      {statusCode: 501, message: expect.stringContaining('prorations')},
    )
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]?.price.id).toBe(price.id)
    await expect(stripe.creditNotes.create({invoice: sub.latest_invoice as string, amount: 100})).rejects.toMatchObject(
      {statusCode: 501},
    )
    await expect(stripe.subscriptions.update(sub.id, {default_tax_rates: [vat.id]})).rejects.toMatchObject({
      statusCode: 501,
      message: expect.stringContaining('default_tax_rates'),
    })
  })
})
