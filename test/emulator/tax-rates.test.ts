import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

describe('emulator: tax rates as objects (SB-77)', () => {
  it('creates, retrieves, updates labels and lists by active and inclusive; percentage and inclusive never change', async () => {
    const stripe = sdk(emulator())
    const vat = await stripe.taxRates.create({display_name: 'VAT', percentage: 19.5, inclusive: false, country: 'DE', jurisdiction: 'DE', tax_type: 'vat', metadata: {k: 'v'}})
    expect(vat.id).toMatch(/^txr_/)
    expect(vat).toMatchObject({object: 'tax_rate', display_name: 'VAT', percentage: 19.5, inclusive: false, active: true, country: 'DE', tax_type: 'vat', metadata: {k: 'v'}, effective_percentage: null, livemode: false})
    const gst = await stripe.taxRates.create({display_name: 'GST', percentage: 10, inclusive: true})
    expect(await stripe.taxRates.retrieve(gst.id)).toMatchObject({inclusive: true, percentage: 10, country: null})
    const updated = await stripe.taxRates.update(vat.id, {active: false, display_name: 'MwSt', description: 'Germany'})
    expect(updated).toMatchObject({active: false, display_name: 'MwSt', description: 'Germany', percentage: 19.5})
    await expect(stripe.taxRates.update(vat.id, {percentage: 7} as Stripe.TaxRateUpdateParams)).rejects.toMatchObject({statusCode: 400, code: 'parameter_unknown'})
    expect((await stripe.taxRates.list({active: true})).data.map((rate) => rate.id)).toContain(gst.id)
    expect((await stripe.taxRates.list({active: true})).data.map((rate) => rate.id)).not.toContain(vat.id)
    expect((await stripe.taxRates.list({inclusive: false})).data.map((rate) => rate.id)).toEqual([vat.id])
    await expect(stripe.taxRates.create({display_name: 'Bad', percentage: 101, inclusive: false})).rejects.toMatchObject({statusCode: 400, param: 'percentage'})
    const types = (await stripe.events.list({limit: 3})).data.map((event) => event.type)
    expect(types).toEqual(['tax_rate.updated', 'tax_rate.created', 'tax_rate.created'])
    expect((await stripe.events.list({type: 'tax_rate.updated', limit: 1})).data[0]?.data.previous_attributes).toEqual({active: true, display_name: 'VAT', description: null})
  })

  it('applying tax rates to subscriptions or invoices is refused with a 501 naming the parameter', async () => {
    const stripe = sdk(emulator())
    const rate = await stripe.taxRates.create({display_name: 'Sales tax', percentage: 8, inclusive: false})
    const price = await stripe.prices.create({currency: 'usd', unit_amount: 1000, recurring: {interval: 'month'}, product_data: {name: 'Taxed'}})
    const customer = await stripe.customers.create({payment_method: 'pm_card_visa', invoice_settings: {default_payment_method: 'pm_card_visa'}})
    await expect(stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}], default_tax_rates: [rate.id]})).rejects.toMatchObject({statusCode: 501, message: expect.stringContaining('default_tax_rates')})
    await expect(stripe.invoiceItems.create({customer: customer.id, amount: 100, currency: 'usd', tax_rates: [rate.id]})).rejects.toMatchObject({statusCode: 501, message: expect.stringContaining('tax_rates')})
  })
})
