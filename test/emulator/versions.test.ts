import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import {LATEST_VERSION, VERSIONS, resolveVersion} from '../../src/emulator/versions/index.js'
import {useEmulator, useFreshEmulators} from '../helpers/emulator.js'
import {clockWithCustomer, monthlyPrice, sdk} from './sdk.js'

/** Stripe-Version, the account's default and the changes between versions (docs/stripe-behaviour.md SB-V1 – SB-V18). */
const emulator = useEmulator({advanceMs: 0})
const fresh = useFreshEmulators()
type Loose = Record<string, unknown>

/** A raw request with an optional Stripe-Version header, as a client without an SDK sends it. */
async function call(url: string, path: string, version?: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: {
      Authorization: 'Bearer sk_test_versions',
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(version ? {'Stripe-Version': version} : {}),
    },
  })
  return {status: response.status, body: (await response.json()) as Loose}
}

describe('which version a request runs at (SB-V1, SB-V3)', () => {
  it('takes Stripe-Version, else the account default; refuses versions Stripe does not have with its 400, and older ones naming what is served', async () => {
    expect(resolveVersion(undefined, '2024-06-20')).toBe('2024-06-20')
    expect(resolveVersion('2022-11-15', LATEST_VERSION)).toBe('2022-11-15')
    const {url} = emulator()
    for (const bad of ['2024-06-21', 'banana', '2025-02-24.basil']) {
      const {status, body} = await call(url, '/v1/customers', bad)
      expect(status).toBe(400)
      expect(body.error).toMatchObject({type: 'invalid_request_error', message: `Invalid Stripe API version: ${bad}`})
    }
    const old = await call(url, '/v1/customers', '2020-08-27')
    expect(old.status).toBe(400)
    expect((old.body.error as Loose).message).toContain(`serves API versions 2022-08-01 to ${LATEST_VERSION}`)
    expect((await call(url, '/v1/customers', '2025-01-27.acacia.preview')).status).toBe(501)
    // Removed in basil, not modelled before it: refused by name, not read as an invoice id (SB-V21).
    const upcoming = await call(url, '/v1/invoices/upcoming?customer=cus_x', '2024-06-20')
    expect(upcoming.status).toBe(501)
    expect((upcoming.body.error as Loose).message).toContain('upcoming invoice')
    expect(VERSIONS.at(-1)).toBe(Stripe.API_VERSION)
  })

  it('an account on an older default answers requests without the header in it, and its events too (SB-V1, SB-V2)', async () => {
    const running = await fresh({advanceMs: 0, apiVersion: '2024-06-20'})
    const price = await monthlyPrice(sdk(running), 1000)
    const {customer} = await clockWithCustomer(sdk(running))
    const body = new URLSearchParams({customer: customer.id, 'items[0][price]': price.id})
    const created = await call(running.url, '/v1/subscriptions', undefined, {method: 'POST', body})
    expect(created.status).toBe(200)
    expect(created.body).toHaveProperty('current_period_end')
    const events = await call(running.url, '/v1/events?type=customer.subscription.created')
    const [event] = (events.body.data as Loose[]) ?? []
    expect(event).toMatchObject({api_version: '2024-06-20', data: {object: {id: created.body.id}}})
    expect((event?.data as {object: Loose}).object).toHaveProperty('current_period_end')
    // The header still wins over the account default.
    const newest = await call(running.url, `/v1/subscriptions/${created.body.id as string}`, LATEST_VERSION)
    expect(newest.body).not.toHaveProperty('current_period_end')
  })
})

describe('older shapes through stripe-node (SB-V6 – SB-V15)', () => {
  it("2022-08-01, as Stripe's sample subscription server: default_incomplete with expand[]=latest_invoice.payment_intent gives the PaymentIntent to confirm (SB-V11, SB-V18)", async () => {
    const stripe = sdk(emulator())
    const options = {apiVersion: '2022-08-01'}
    const price = await monthlyPrice(stripe, 1500)
    const {customer} = await clockWithCustomer(stripe, undefined, null)
    const sub = (await stripe.subscriptions.create(
      {
        customer: customer.id,
        items: [{price: price.id}],
        payment_behavior: 'default_incomplete',
        expand: ['latest_invoice.payment_intent'],
      },
      options,
    )) as unknown as Loose
    const latest = sub.latest_invoice as Loose
    expect(sub.status).toBe('incomplete')
    expect(latest).toMatchObject({
      object: 'invoice',
      subscription: sub.id,
      paid: false,
      payment_intent: {object: 'payment_intent', status: 'requires_payment_method', invoice: latest.id},
    })
    expect(typeof (latest.payment_intent as Loose).client_secret).toBe('string')
    // The newest version has no such field to expand.
    await expect(
      stripe.subscriptions.retrieve(sub.id as string, {expand: ['latest_invoice.payment_intent']}),
    ).rejects.toMatchObject({statusCode: 400, param: 'expand'})
  })

  it('2024-06-20: promotionCodes.create({coupon}) and subscriptions.create({promotion_code}); the code carries its coupon (SB-V7, SB-V9)', async () => {
    // @ts-expect-error stripe-node types only its pinned version.
    const stripe = sdk(emulator(), undefined, {apiVersion: '2024-06-20'})
    const coupon = await stripe.coupons.create({percent_off: 10, duration: 'forever'})
    const code = (await stripe.promotionCodes.create({
      coupon: coupon.id,
      code: 'OLD10',
    } as unknown as Stripe.PromotionCodeCreateParams)) as unknown as Loose
    expect(code).toMatchObject({code: 'OLD10', coupon: {id: coupon.id, object: 'coupon', percent_off: 10}})
    expect(code).not.toHaveProperty('promotion')
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    const sub = (await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      promotion_code: code.id,
    } as Stripe.SubscriptionCreateParams)) as unknown as Loose
    expect(sub.discount).toMatchObject({promotion_code: code.id, coupon: {id: coupon.id}})
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{price: price.id}],
        coupon: coupon.id,
        discounts: [{coupon: coupon.id}],
      } as Stripe.SubscriptionCreateParams),
    ).rejects.toMatchObject({statusCode: 400})
    // The newest parameter is unknown to the old version.
    await expect(stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}})).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'promotion',
    })
  })

  it('2025-02-24.acacia: expand[]=data.discount.coupon on a subscription list, include[]=total_count on a list (SB-V9, SB-V13, SB-V18)', async () => {
    const running = emulator()
    // @ts-expect-error as above
    const stripe = sdk(running, undefined, {apiVersion: '2025-02-24.acacia'})
    const coupon = await stripe.coupons.create({percent_off: 25, duration: 'forever'})
    const price = await monthlyPrice(stripe, 1000)
    const {customer} = await clockWithCustomer(stripe)
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{price: price.id}],
      coupon: coupon.id,
    } as Stripe.SubscriptionCreateParams)
    const list = await call(
      running.url,
      `/v1/subscriptions?customer=${customer.id}&expand[]=data.discount.coupon&include[]=total_count`,
      '2025-02-24.acacia',
    )
    expect(list.status).toBe(200)
    expect(list.body).toMatchObject({
      object: 'list',
      total_count: 1,
      data: [{discount: {coupon: {id: coupon.id, percent_off: 25}}}],
    })
    // Basil removed both (SB-V13): the newest version knows neither `discount` nor `include`.
    expect(
      (await call(running.url, `/v1/subscriptions?customer=${customer.id}&expand[]=data.discount.coupon`)).status,
    ).toBe(400)
    expect((await call(running.url, `/v1/subscriptions?customer=${customer.id}&include[]=total_count`)).status).toBe(
      400,
    )
    const plain = await call(running.url, `/v1/subscriptions?customer=${customer.id}`, '2025-02-24.acacia')
    expect(plain.body).not.toHaveProperty('total_count')
  })

  it('2022-08-01: a product shows `features`; a PaymentIntent takes payment_method_types=[card] and lists its charges (SB-V12, SB-V14, SB-V15)', async () => {
    const stripe = sdk(emulator())
    const options = {apiVersion: '2022-08-01'}
    const product = (await stripe.products.create({name: 'Old'}, options)) as unknown as Loose
    expect(product).toMatchObject({features: []})
    expect(product).not.toHaveProperty('marketing_features')
    const {customer} = await clockWithCustomer(stripe)
    const intent = (await stripe.paymentIntents.create(
      {
        amount: 500,
        currency: 'usd',
        customer: customer.id,
        payment_method: 'pm_card_visa',
        payment_method_types: ['card'],
        confirm: true,
      } as Stripe.PaymentIntentCreateParams,
      options,
    )) as unknown as Loose
    expect(intent).toMatchObject({status: 'succeeded', invoice: null, charges: {object: 'list', total_count: 1}})
    expect((intent.charges as {data: Loose[]}).data[0]).toMatchObject({id: intent.latest_charge, invoice: null})
    await expect(
      stripe.paymentIntents.create(
        {amount: 500, currency: 'usd', payment_method_types: ['sepa_debit']} as Stripe.PaymentIntentCreateParams,
        options,
      ),
    ).rejects.toMatchObject({statusCode: 501})
    // The newest version removed the parameter: a 400 with the code endive documents (SB-K1).
    await expect(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method_types: ['card'],
      } as Stripe.PaymentIntentCreateParams),
    ).rejects.toMatchObject({statusCode: 400, code: 'payment_method_types_no_longer_supported'})
    // A customer's own coupon is read at these versions (SB-T4): an unknown one is Stripe's 404.
    await expect(stripe.customers.create({coupon: 'X'} as Stripe.CustomerCreateParams, options)).rejects.toMatchObject({
      statusCode: 404,
    })
  })
})
