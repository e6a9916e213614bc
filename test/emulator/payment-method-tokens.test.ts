import {describe, expect, it} from 'vitest'

import {useEmulator} from '../helpers/emulator.js'
import {sdk} from './sdk.js'

/** `POST /v1/payment_methods` with `card[token]` (docs/stripe-behaviour.md SB-T6). */
const emulator = useEmulator({advanceMs: 0})

describe('payment methods from card tokens (SB-T6)', () => {
  it('card[token]=tok_visa makes an unattached card that can be attached and charged', async () => {
    const stripe = sdk(emulator(), 'sk_test_pm_tokens')
    const pm = await stripe.paymentMethods.create({
      type: 'card',
      card: {token: 'tok_visa'},
      billing_details: {name: 'Jenny Rosen'},
      metadata: {order: '7'},
    })
    expect(pm).toMatchObject({
      object: 'payment_method',
      type: 'card',
      customer: null,
      card: {brand: 'visa', last4: '4242'},
      billing_details: {name: 'Jenny Rosen'},
      metadata: {order: '7'},
    })
    const customer = await stripe.customers.create({})
    expect(await stripe.paymentMethods.attach(pm.id, {customer: customer.id})).toMatchObject({customer: customer.id})
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
    })
    expect(intent.status).toBe('succeeded')
  })

  it('a card declined when saved is made, then declined at attach (SB-24)', async () => {
    const stripe = sdk(emulator(), 'sk_test_pm_tokens_declined')
    const pm = await stripe.paymentMethods.create({type: 'card', card: {token: 'tok_chargeDeclined'}})
    expect(pm).toMatchObject({customer: null, card: {last4: '0002'}})
    const customer = await stripe.customers.create({})
    await expect(stripe.paymentMethods.attach(pm.id, {customer: customer.id})).rejects.toMatchObject({
      statusCode: 402,
      code: 'card_declined',
    })
  })

  it('an unknown token is a 404; a pm_card_ name is no token; without card[token] it is not modelled', async () => {
    const stripe = sdk(emulator(), 'sk_test_pm_tokens_bad')
    await expect(stripe.paymentMethods.create({type: 'card', card: {token: 'tok_nope'}})).rejects.toMatchObject({
      statusCode: 404,
      param: 'card[token]',
    })
    await expect(stripe.paymentMethods.create({type: 'card', card: {token: 'pm_card_visa'}})).rejects.toMatchObject({
      statusCode: 404,
    })
    await expect(stripe.paymentMethods.create({type: 'card'})).rejects.toMatchObject({statusCode: 501})
  })
})
