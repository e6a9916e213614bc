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

describe("the testing page's tokens: declines by reason and 3-D Secure (SB-K9)", () => {
  it('declines answer with their own code and decline_code, on the error, the charge and last_payment_error', async () => {
    const stripe = sdk(emulator())
    const cases: Array<[string, string, string]> = [
      ['pm_card_visa_chargeDeclined', 'card_declined', 'generic_decline'],
      ['pm_card_visa_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
      ['tok_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
      ['pm_card_visa_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
      ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc'],
    ]
    for (const [token, code, declineCode] of cases) {
      const intent = await stripe.paymentIntents.create({amount: 1000, currency: 'usd'})
      await expect(stripe.paymentIntents.confirm(intent.id, {payment_method: token})).rejects.toMatchObject({
        statusCode: 402,
        code,
        decline_code: declineCode,
      })
      const after = await stripe.paymentIntents.retrieve(intent.id)
      expect(after).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: {code, decline_code: declineCode},
      })
      const charge = await stripe.charges.retrieve(after.latest_charge as string)
      expect(charge).toMatchObject({status: 'failed', failure_code: code, outcome: {reason: declineCode}})
    }
    // A declining card is refused already when saved; tok_visa and pm_card_amex save and pay.
    const customer = await stripe.customers.create({email: 'tokens@example.com'})
    await expect(
      stripe.paymentMethods.attach('pm_card_visa_chargeDeclinedStolenCard', {customer: customer.id}),
    ).rejects.toMatchObject({statusCode: 402, decline_code: 'stolen_card'})
    const amex = await stripe.paymentMethods.attach('pm_card_amex', {customer: customer.id})
    expect(amex.card).toMatchObject({brand: 'amex', last4: '8431'})
    const paid = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'tok_visa',
      confirm: true,
    })
    expect(paid.status).toBe('succeeded')
    await expect(
      stripe.paymentIntents.create({amount: 1000, currency: 'usd', payment_method: 'pm_card_constructor'}),
    ).rejects.toMatchObject({code: 'resource_missing'})
  })

  it('a 3-D Secure card leaves a PaymentIntent and a SetupIntent in requires_action with a next_action, and charges nothing', async () => {
    const stripe = sdk(emulator())
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    })
    expect(intent).toMatchObject({
      status: 'requires_action',
      latest_charge: null,
      next_action: {type: 'use_stripe_sdk'},
    })
    const setup = await stripe.setupIntents.create({payment_method: 'pm_card_threeDSecure2Required', confirm: true})
    expect(setup).toMatchObject({status: 'requires_action', next_action: {type: 'use_stripe_sdk'}})
    const types = (await stripe.events.list({limit: 10})).data.map((event) => event.type)
    expect(types).toEqual(expect.arrayContaining(['payment_intent.requires_action', 'setup_intent.requires_action']))
  })
})

describe('PaymentMethod update, product delete, publishable keys (SB-K6 – SB-K8)', () => {
  it('updates a saved card (metadata, billing details, expiry) with payment_method.updated; an unsaved one is refused', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({payment_method: 'pm_card_visa'})
    const [saved] = (await stripe.paymentMethods.list({customer: customer.id})).data
    const updated = await stripe.paymentMethods.update(saved!.id, {
      metadata: {foo: 'bar'},
      billing_details: {name: 'Ada Lovelace', email: 'ada@example.com'},
      card: {exp_month: 4, exp_year: 2031},
    })
    expect(updated).toMatchObject({
      metadata: {foo: 'bar'},
      billing_details: {name: 'Ada Lovelace', email: 'ada@example.com', phone: null},
      card: {exp_month: 4, exp_year: 2031},
    })
    const [event] = (await stripe.events.list({type: 'payment_method.updated', limit: 1})).data
    expect(event?.data.previous_attributes).toMatchObject({metadata: {}})
    const intent = await stripe.paymentIntents.create({amount: 1000, currency: 'usd', payment_method: 'pm_card_visa'})
    await expect(
      stripe.paymentMethods.update(intent.payment_method as string, {metadata: {a: 'b'}}),
    ).rejects.toMatchObject({statusCode: 400})
  })

  it('deletes a product without prices (product.deleted, then 404); one with a price is refused and stays', async () => {
    const stripe = sdk(emulator())
    const bare = await stripe.products.create({name: 'Bare'})
    expect(await stripe.products.del(bare.id)).toEqual(expect.objectContaining({id: bare.id, deleted: true}))
    await expect(stripe.products.retrieve(bare.id)).rejects.toMatchObject({statusCode: 404})
    const [event] = (await stripe.events.list({type: 'product.deleted', limit: 1})).data
    expect((event?.data.object as {id: string}).id).toBe(bare.id)
    const price = await stripe.prices.create({currency: 'usd', unit_amount: 500, product_data: {name: 'Priced'}})
    await expect(stripe.products.del(price.product as string)).rejects.toMatchObject({statusCode: 400})
    expect((await stripe.products.retrieve(price.product as string)).id).toBe(price.product)
  })

  it('a publishable key with a client secret is a 501 naming it, not a 401', async () => {
    const running = emulator()
    const response = await fetch(`${running.url}/v1/payment_intents/pi_x?client_secret=pi_x_secret_y`, {
      headers: {Authorization: 'Bearer pk_test_123'},
    })
    expect(response.status).toBe(501)
    const body = (await response.json()) as {error: {message: string}}
    expect(body.error.message).toContain('publishable-key')
  })
})

describe('customer sources: source: tok_visa and /v1/customers/{id}/sources (SB-K10)', () => {
  it('a tok_visa source becomes the default source, pays a subscription, and is listed, updated and deleted', async () => {
    const stripe = sdk(emulator())
    const customer = await stripe.customers.create({email: 'legacy@example.com', source: 'tok_visa'})
    const withSource = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer
    expect(withSource.default_source).toMatch(/^card_/)
    const sources = await stripe.customers.listSources(customer.id, {object: 'card'})
    expect(sources.data).toHaveLength(1)
    expect(sources.data[0]).toMatchObject({
      id: withSource.default_source,
      object: 'card',
      brand: 'Visa',
      last4: '4242',
      customer: customer.id,
    })
    const price = await monthlyPrice(stripe, 1200)
    const sub = await stripe.subscriptions.create({customer: customer.id, items: [{price: price.id}]})
    expect(sub.status).toBe('active')
    expect((await stripe.invoices.retrieve(sub.latest_invoice as string)).status).toBe('paid')

    const second = await stripe.customers.createSource(customer.id, {source: 'tok_mastercard', metadata: {n: '2'}})
    expect(second).toMatchObject({object: 'card', brand: 'MasterCard', metadata: {n: '2'}})
    // The first card stays the default.
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).default_source).toBe(
      withSource.default_source,
    )
    const updated = await stripe.customers.updateSource(customer.id, second.id, {name: 'Ada', exp_month: '7'})
    expect(updated).toMatchObject({name: 'Ada', exp_month: 7})
    expect(await stripe.customers.deleteSource(customer.id, withSource.default_source as string)).toMatchObject({
      deleted: true,
    })
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).default_source).toBeNull()
    expect((await stripe.customers.listSources(customer.id)).data.map((card) => card.id)).toEqual([second.id])
    const types = (await stripe.events.list({limit: 30})).data.map((event) => event.type)
    expect(types).toEqual(
      expect.arrayContaining(['customer.source.created', 'customer.source.updated', 'customer.source.deleted']),
    )
    await expect(
      stripe.customers.create({email: 'declined@example.com', source: 'tok_chargeDeclined'}),
    ).rejects.toMatchObject({statusCode: 402, code: 'card_declined'})
    expect((await stripe.customers.list({email: 'declined@example.com'})).data).toEqual([])
  })
})

describe('Charges API for cards: create and capture (SB-K11)', () => {
  it('charges a token or the default source; capture=false authorizes, capture captures once; a decline is a 402 with the failed charge', async () => {
    const stripe = sdk(emulator())
    const direct = await stripe.charges.create({
      amount: 2500,
      currency: 'usd',
      source: 'tok_visa',
      description: 'Order 7',
    })
    expect(direct).toMatchObject({
      status: 'succeeded',
      paid: true,
      captured: true,
      amount_captured: 2500,
      payment_intent: null,
      description: 'Order 7',
    })
    const customer = await stripe.customers.create({source: 'tok_mastercard'})
    const held = await stripe.charges.create({amount: 900, currency: 'usd', customer: customer.id, capture: false})
    expect(held).toMatchObject({status: 'succeeded', captured: false, amount_captured: 0, customer: customer.id})
    expect(held.payment_method).toBe((customer as Stripe.Customer & {default_source: string}).default_source)
    const captured = await stripe.charges.capture(held.id)
    expect(captured).toMatchObject({captured: true, amount_captured: 900})
    await expect(stripe.charges.capture(held.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_captured',
    })
    const [event] = (await stripe.events.list({type: 'charge.captured', limit: 1})).data
    expect((event?.data.object as {id: string}).id).toBe(held.id)

    await expect(
      stripe.charges.create({amount: 900, currency: 'usd', source: 'tok_chargeDeclinedInsufficientFunds'}),
    ).rejects.toMatchObject({statusCode: 402, decline_code: 'insufficient_funds'})
    const [failed] = (await stripe.charges.list({limit: 1})).data
    expect(failed).toMatchObject({status: 'failed', failure_code: 'card_declined'})
    const bare = await stripe.customers.create({email: 'nocard@example.com'})
    await expect(stripe.charges.create({amount: 900, currency: 'usd', customer: bare.id})).rejects.toMatchObject({
      statusCode: 400,
      param: 'source',
    })
    const refund = await stripe.refunds.create({charge: direct.id, amount: 500})
    expect(refund).toMatchObject({status: 'succeeded', amount: 500, payment_intent: null})
  })
})
