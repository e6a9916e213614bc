import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {useEmulator} from '../../helpers/emulator.js'
import {sdk} from '../sdk.js'

/** Checkout's `payment_intent_data` and pre-endive `payment_method_types` (docs/stripe-behaviour.md SB-T10). */
const emulator = useEmulator({advanceMs: 0})
const ACACIA = '2025-02-24.acacia' as Stripe.LatestApiVersion
type Loose = Record<string, unknown>

const CARD = {card_number: '4242 4242 4242 4242', card_expiry: '12 / 34', card_cvc: '123', card_name: 'Jenny Rosen'}
const SHIPPING = {
  name: 'Jenny Rosen',
  address: {line1: '510 Townsend St', postal_code: '94103', city: 'San Francisco', state: 'CA', country: 'US'},
}

async function oneTimePrice(stripe: Stripe): Promise<Stripe.Price> {
  return stripe.prices.create({currency: 'usd', unit_amount: 1500, product_data: {name: 'Widget'}})
}

describe('Checkout payment_intent_data and payment_method_types (SB-T10)', () => {
  it("the PaymentIntent a paid session creates takes payment_intent_data's shipping, description and metadata", async () => {
    const stripe = sdk(emulator(), 'sk_test_checkout_pid', {apiVersion: ACACIA})
    const price = await oneTimePrice(stripe)
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{price: price.id, quantity: 2}],
      success_url: 'https://app.example/ok',
      payment_method_types: ['card'],
      payment_intent_data: {shipping: SHIPPING, description: 'Two widgets', metadata: {order: '7'}},
    } as Stripe.Checkout.SessionCreateParams)
    const paid = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({email: 'jenny@example.com', ...CARD}),
      redirect: 'manual',
    })
    expect(paid.status).toBe(303)
    const done = await stripe.checkout.sessions.retrieve(session.id, {expand: ['payment_intent']})
    expect(done).toMatchObject({status: 'complete', payment_status: 'paid', amount_total: 3000})
    expect(done.payment_intent).toMatchObject({
      amount: 3000,
      status: 'succeeded',
      description: 'Two widgets',
      metadata: {order: '7'},
      shipping: {name: 'Jenny Rosen', address: {line1: '510 Townsend St', country: 'US'}},
    })
  })

  it('payment_intent_data outside payment mode is a 400; setup_future_usage, manual capture and non-card types are 501', async () => {
    const stripe = sdk(emulator(), 'sk_test_checkout_pid_refused', {apiVersion: ACACIA})
    const price = await oneTimePrice(stripe)
    const base = {
      mode: 'payment' as const,
      line_items: [{price: price.id, quantity: 1}],
      success_url: 'https://a.example',
    }
    await expect(
      stripe.checkout.sessions.create({
        ...base,
        mode: 'setup',
        line_items: undefined,
        currency: 'usd',
        payment_intent_data: {description: 'x'},
      }),
    ).rejects.toMatchObject({statusCode: 400, param: 'payment_intent_data'})
    await expect(
      stripe.checkout.sessions.create({...base, payment_intent_data: {setup_future_usage: 'off_session'}}),
    ).rejects.toMatchObject({statusCode: 501})
    await expect(
      stripe.checkout.sessions.create({...base, payment_intent_data: {capture_method: 'manual'}}),
    ).rejects.toMatchObject({statusCode: 501})
    await expect(
      stripe.checkout.sessions.create({
        ...base,
        payment_method_types: ['sepa_debit'],
      } as Loose),
    ).rejects.toMatchObject({statusCode: 501})
  })

  it('from endive payment_method_types is an unknown parameter on Checkout Sessions', async () => {
    const stripe = sdk(emulator(), 'sk_test_checkout_pmt_endive', {
      apiVersion: '2026-09-30.endive' as Stripe.LatestApiVersion,
    })
    const price = await oneTimePrice(stripe)
    await expect(
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{price: price.id, quantity: 1}],
        success_url: 'https://a.example',
        payment_method_types: ['card'],
      } as Loose),
    ).rejects.toMatchObject({statusCode: 400, code: 'parameter_unknown', param: 'payment_method_types'})
  })
})
