import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

/** Separate authorization and capture, shipping and return_url on PaymentIntents (docs/stripe-behaviour.md SB-T5). */
const emulator = useEmulator({advanceMs: 0})

async function eventTypes(stripe: Stripe, ids: string[]): Promise<string[]> {
  const page = await stripe.events.list({limit: 100})
  return page.data
    .filter((event) => ids.includes((event.data.object as {id?: string}).id ?? ''))
    .reverse()
    .map((event) => event.type)
}

describe('PaymentIntents with capture_method=manual (SB-T5)', () => {
  it('confirming authorizes: requires_capture with amount_capturable; capture succeeds it and captures the charge', async () => {
    const stripe = sdk(emulator(), 'sk_test_capture_full')
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
      return_url: 'https://example.com/back',
    })
    expect(intent).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: 2000,
      amount_received: 0,
    })
    const authorized = await stripe.charges.retrieve(intent.latest_charge as string)
    expect(authorized).toMatchObject({status: 'succeeded', paid: true, captured: false, amount_captured: 0})

    const captured = await stripe.paymentIntents.capture(intent.id)
    expect(captured).toMatchObject({status: 'succeeded', amount_capturable: 0, amount_received: 2000})
    expect(await stripe.charges.retrieve(authorized.id)).toMatchObject({captured: true, amount_captured: 2000})
    expect(await eventTypes(stripe, [intent.id, authorized.id])).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'charge.captured',
      'payment_intent.succeeded',
    ])
    // A second capture finds no authorization to capture.
    await expect(stripe.paymentIntents.capture(intent.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
  })

  it('amount_to_capture above amount_capturable is a 400; below it is not modelled (501)', async () => {
    const stripe = sdk(emulator(), 'sk_test_capture_amounts')
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    })
    await expect(stripe.paymentIntents.capture(intent.id, {amount_to_capture: 2500})).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount_to_capture',
    })
    await expect(stripe.paymentIntents.capture(intent.id, {amount_to_capture: 1500})).rejects.toMatchObject({
      statusCode: 501,
    })
    expect(await stripe.paymentIntents.capture(intent.id, {amount_to_capture: 2000})).toMatchObject({
      status: 'succeeded',
      amount_received: 2000,
    })
  })

  it('a declined card leaves a manual intent in requires_payment_method with nothing capturable', async () => {
    const stripe = sdk(emulator(), 'sk_test_capture_declined')
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
    })
    await expect(
      stripe.paymentIntents.confirm(intent.id, {payment_method: 'pm_card_chargeDeclined'}),
    ).rejects.toMatchObject({statusCode: 402})
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_payment_method',
      amount_capturable: 0,
    })
  })

  it('return_url needs confirm=true; shipping shows on the intent and its charge', async () => {
    const stripe = sdk(emulator(), 'sk_test_capture_shipping')
    await expect(
      stripe.paymentIntents.create({amount: 2000, currency: 'usd', return_url: 'https://example.com'}),
    ).rejects.toMatchObject({statusCode: 400, param: 'return_url'})
    const shipping = {
      name: 'Jenny Rosen',
      address: {line1: '510 Townsend St', postal_code: '94103', city: 'San Francisco', state: 'CA', country: 'US'},
    }
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      shipping,
    })
    const expected = {
      name: 'Jenny Rosen',
      address: {...shipping.address, line2: null},
      carrier: null,
      phone: null,
      tracking_number: null,
    }
    expect(intent).toMatchObject({status: 'succeeded', shipping: expected})
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({shipping: expected})
  })

  it('an automatic intent cannot be captured, and canceling an authorized one is not modelled', async () => {
    const stripe = sdk(emulator(), 'sk_test_capture_cancel')
    const automatic = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    await expect(stripe.paymentIntents.capture(automatic.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    })
    const manual = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    })
    await expect(stripe.paymentIntents.cancel(manual.id)).rejects.toMatchObject({statusCode: 501})
  })
})
