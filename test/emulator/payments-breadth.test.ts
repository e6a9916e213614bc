import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {monthlyPrice, sdk} from './sdk.js'

const emulator = useEmulator({advanceMs: 0})

/** stripe-node pinned to an older version, as `stripe trigger`'s fixtures and older apps are written. */
function olderSdk(version: string): Stripe {
  // @ts-expect-error stripe-node types only its pinned version.
  return sdk(emulator(), undefined, {apiVersion: version})
}

describe('payment method types and automatic payment methods (SB-K1, SB-V12)', () => {
  it('payment_method_types[]=card is taken on PaymentIntents and SetupIntents before endive, and refused with its own code on endive', async () => {
    const older = olderSdk('2025-02-24.acacia')
    const intent = await older.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method_types: ['card'],
    } as Stripe.PaymentIntentCreateParams)
    expect(intent).toMatchObject({status: 'requires_payment_method', payment_method_types: ['card']})
    const setup = await older.setupIntents.create({payment_method_types: ['card']} as Stripe.SetupIntentCreateParams)
    expect(setup).toMatchObject({status: 'requires_payment_method', payment_method_types: ['card']})

    const stripe = sdk(emulator())
    const params = {amount: 2000, currency: 'usd', payment_method_types: ['card']}
    await expect(stripe.paymentIntents.create(params as Stripe.PaymentIntentCreateParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_method_types_no_longer_supported',
      param: 'payment_method_types',
    })
    await expect(
      stripe.setupIntents.create({payment_method_types: ['card']} as Stripe.SetupIntentCreateParams),
    ).rejects.toMatchObject({statusCode: 400, code: 'payment_method_types_no_longer_supported'})
    await expect(
      stripe.paymentIntents.confirm(intent.id, {payment_method_types: ['card']} as Stripe.PaymentIntentConfirmParams),
    ).rejects.toMatchObject({statusCode: 400, code: 'payment_method_types_no_longer_supported'})
  })

  it('automatic_payment_methods[enabled]=true creates a card PaymentIntent that confirms; allow_redirects is kept', async () => {
    const stripe = sdk(emulator())
    const intent = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      automatic_payment_methods: {enabled: true, allow_redirects: 'never'},
    })
    expect(intent).toMatchObject({
      status: 'requires_payment_method',
      automatic_payment_methods: {enabled: true, allow_redirects: 'never'},
      payment_method_types: ['card'],
    })
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {payment_method: 'pm_card_visa'})
    expect(confirmed).toMatchObject({status: 'succeeded', amount_received: 1500})
    const setup = await stripe.setupIntents.create({automatic_payment_methods: {enabled: true}})
    expect(setup.automatic_payment_methods).toEqual({enabled: true, allow_redirects: 'always'})
    await expect(
      stripe.paymentIntents.create({amount: 1500, currency: 'usd', automatic_payment_methods: {enabled: false}}),
    ).rejects.toMatchObject({statusCode: 501})
  })
})

describe("default_incomplete, paid by confirming the first invoice's PaymentIntent (SB-K2)", () => {
  async function incomplete(stripe: Stripe) {
    const price = await monthlyPrice(stripe, 1500)
    const customer = await stripe.customers.create({email: 'flow@example.com'})
    const sub = (await olderSdk('2022-08-01').subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.payment_intent'],
    })) as unknown as {id: string; status: string; latest_invoice: {id: string; payment_intent: {id: string}}}
    expect(sub.status).toBe('incomplete')
    return {sub, intentId: sub.latest_invoice.payment_intent.id, invoiceId: sub.latest_invoice.id}
  }

  it('confirming with pm_card_visa pays the invoice and activates the subscription', async () => {
    const stripe = sdk(emulator())
    const {sub, intentId, invoiceId} = await incomplete(stripe)
    const confirmed = await stripe.paymentIntents.confirm(intentId, {payment_method: 'pm_card_visa'})
    expect(confirmed).toMatchObject({status: 'succeeded', amount_received: 1500})
    expect(await stripe.invoices.retrieve(invoiceId)).toMatchObject({status: 'paid', amount_paid: 1500})
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
    const types = (await stripe.events.list({limit: 30})).data.map((event) => event.type)
    expect(types).toEqual(expect.arrayContaining(['invoice.paid', 'invoice.payment_succeeded']))
  })

  it('a declined card is a 402; the invoice stays open and the subscription incomplete, and a good card then pays', async () => {
    const stripe = sdk(emulator())
    const {sub, intentId, invoiceId} = await incomplete(stripe)
    await expect(
      stripe.paymentIntents.confirm(intentId, {payment_method: 'pm_card_chargeCustomerFail'}),
    ).rejects.toMatchObject({statusCode: 402, code: 'card_declined'})
    expect(await stripe.paymentIntents.retrieve(intentId)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: {code: 'card_declined'},
    })
    expect((await stripe.invoices.retrieve(invoiceId)).status).toBe('open')
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete')
    await stripe.paymentIntents.confirm(intentId, {payment_method: 'pm_card_visa'})
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active')
  })
})
