import type Stripe from 'stripe'
import {describe, expect, it} from 'vitest'

import type {StateChange} from '../../../src/emulator/event-sink.js'
import {useFreshEmulators} from '../../helpers/emulator.js'
import {DAY, START, advance, monthlyPrice, sdk} from '../sdk.js'

// Checkout Sessions through stripe-node, completed by posting the hosted page's form as a browser does (SB-P1 – SB-P7).

const fresh = useFreshEmulators()

async function setup() {
  const changes: StateChange[] = []
  const emulator = await fresh({events: {emit: (change) => changes.push(change)}})
  return {emulator, stripe: sdk(emulator), changes}
}

const CARD = {card_number: '4242 4242 4242 4242', card_expiry: '12 / 34', card_cvc: '123', card_name: 'Jenny Rosen'}

/** Submits the hosted page's form; the answer is not followed, so a redirect stays visible. */
async function pay(url: string, fields: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
  return {status: response.status, location: response.headers.get('location'), html: await response.text()}
}

describe('Checkout Sessions (SB-P1 – SB-P7)', () => {
  it('creates an open subscription session whose url serves a form with labelled card inputs', async () => {
    const {stripe} = await setup()
    const price = await monthlyPrice(stripe, 1500, 'Pro')
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{price: price.id, quantity: 2}],
      success_url: 'https://app.example/ok?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example/cancel',
      subscription_data: {trial_period_days: 7, metadata: {plan: 'pro'}},
      metadata: {order: '42'},
    })
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      currency: 'usd',
      customer: null,
      subscription: null,
      metadata: {order: '42'},
      amount_total: 0,
      url: expect.stringMatching(/\/checkout\/cs_test_/),
    })
    expect(session.expires_at - session.created).toBe(DAY)
    const lineItems = await stripe.checkout.sessions.listLineItems(session.id)
    expect(lineItems.data).toMatchObject([
      {
        object: 'item',
        quantity: 2,
        amount_subtotal: 3000,
        amount_total: 3000,
        description: 'Pro',
        price: {id: price.id},
      },
    ])
    const expanded = await stripe.checkout.sessions.retrieve(session.id, {expand: ['line_items']})
    expect(expanded.line_items?.data.map((item) => item.id)).toEqual(lineItems.data.map((item) => item.id))
    // The page is the customer's: no API key; an unknown session is a 404 page.
    expect((await fetch(session.url!.replace(session.id, 'cs_test_nope'))).status).toBe(404)
    const page = await fetch(session.url!)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await page.text()
    for (const label of ['Email', 'Card number', 'Expiry (MM / YY)', 'CVC', 'Cardholder name'])
      expect(html).toContain(`>${label}</label>`)
    expect(html).toContain('4242 4242 4242 4242')
    expect(html).not.toContain('<script')
  })

  it('completing with 4242 creates the customer, card, trialing subscription and $0 invoice, then redirects to success_url', async () => {
    const {stripe, changes} = await setup()
    const price = await monthlyPrice(stripe, 1500, 'Pro')
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{price: price.id, quantity: 1}],
      success_url: 'https://app.example/ok?session={CHECKOUT_SESSION_ID}',
      subscription_data: {trial_period_days: 7, metadata: {plan: 'pro'}},
    })
    changes.length = 0
    const answer = await pay(session.url!, {email: 'jenny@example.com', ...CARD})
    expect(answer).toMatchObject({status: 303, location: `https://app.example/ok?session=${session.id}`})
    const done = await stripe.checkout.sessions.retrieve(session.id, {expand: ['subscription', 'customer']})
    expect(done).toMatchObject({
      status: 'complete',
      payment_status: 'no_payment_required',
      url: null,
      customer_details: {email: 'jenny@example.com', name: 'Jenny Rosen'},
      customer: {email: 'jenny@example.com', name: 'Jenny Rosen'},
    })
    const subscription = done.subscription as Stripe.Subscription
    expect(subscription).toMatchObject({status: 'trialing', metadata: {plan: 'pro'}})
    expect(subscription.trial_end! - subscription.trial_start!).toBe(7 * DAY)
    expect(typeof subscription.default_payment_method).toBe('string')
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string)
    expect(invoice).toMatchObject({status: 'paid', total: 0, billing_reason: 'subscription_create'})
    expect(done.invoice).toBe(invoice.id)
    const types = changes.map((change) => change.type)
    // The customer and card first, then what the subscription route emits, the session last (SB-P7).
    expect(types.slice(0, 2)).toEqual(['customer.created', 'payment_method.attached'])
    expect(types).toEqual(expect.arrayContaining(['customer.subscription.created', 'invoice.created', 'invoice.paid']))
    expect(types.at(-1)).toBe('checkout.session.completed')
    // A completed session takes no second payment.
    expect((await pay(session.url!, {email: 'jenny@example.com', ...CARD})).status).toBe(410)
  })

  it('a declined card shows the error on the page and leaves the session open with nothing created', async () => {
    const {stripe, changes} = await setup()
    const price = await monthlyPrice(stripe, 1500)
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{price: price.id, quantity: 1}],
      success_url: 'https://app.example/ok',
    })
    changes.length = 0
    for (const [number, message] of [
      ['4000 0000 0000 0002', 'Your card was declined.'],
      ['4000 0000 0000 9995', 'Your card has insufficient funds.'],
    ] as const) {
      const answer = await pay(session.url!, {email: 'a@example.com', ...CARD, card_number: number})
      expect(answer.status).toBe(402)
      expect(answer.html).toMatch(new RegExp(`role="alert"[^>]*>${message.replace('.', '\\.')}`))
      expect(answer.html).toContain(`value="${number}"`)
    }
    expect(changes).toEqual([])
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({status: 'open', customer: null})
    expect((await stripe.customers.list()).data).toEqual([])
  })

  it('pays a payment-mode session with a coupon, and saves a card in setup mode for a given customer', async () => {
    const {stripe} = await setup()
    const price = await stripe.prices.create({currency: 'usd', unit_amount: 2000, product_data: {name: 'Book'}})
    const coupon = await stripe.coupons.create({percent_off: 25, duration: 'once'})
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{price: price.id, quantity: 2}],
      discounts: [{coupon: coupon.id}],
      customer_creation: 'always',
      success_url: 'https://shop.example/thanks',
    })
    expect(session).toMatchObject({amount_subtotal: 4000, amount_total: 3000, total_details: {amount_discount: 1000}})
    expect((await pay(session.url!, {email: 'b@example.com', ...CARD})).status).toBe(303)
    const paid = await stripe.checkout.sessions.retrieve(session.id, {expand: ['payment_intent']})
    expect(paid).toMatchObject({status: 'complete', payment_status: 'paid', customer: expect.stringMatching(/^cus_/)})
    expect(paid.payment_intent).toMatchObject({status: 'succeeded', amount: 3000, customer: paid.customer})

    const customer = await stripe.customers.create({email: 'c@example.com'})
    const saving = await stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      currency: 'usd',
      success_url: 'https://shop.example/saved',
    })
    expect(saving).toMatchObject({
      payment_status: 'no_payment_required',
      amount_total: null,
      customer_details: {email: 'c@example.com'},
    })
    expect((await pay(saving.url!, {...CARD})).status).toBe(303)
    const saved = await stripe.checkout.sessions.retrieve(saving.id, {expand: ['setup_intent']})
    expect(saved.setup_intent).toMatchObject({status: 'succeeded', customer: customer.id})
    expect((await stripe.paymentMethods.list({customer: customer.id})).data).toHaveLength(1)
  })

  it('takes a promotion code typed on the page when allow_promotion_codes is set', async () => {
    const {stripe} = await setup()
    const price = await monthlyPrice(stripe, 1000)
    const coupon = await stripe.coupons.create({amount_off: 300, currency: 'usd', duration: 'once'})
    await stripe.promotionCodes.create({promotion: {type: 'coupon', coupon: coupon.id}, code: 'SAVE3'})
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{price: price.id, quantity: 1}],
      allow_promotion_codes: true,
      success_url: 'https://app.example/ok',
    })
    const wrong = await pay(session.url!, {email: 'd@example.com', ...CARD, promotion_code: 'NOPE'})
    expect(wrong.html).toContain('This code is invalid.')
    expect((await pay(session.url!, {email: 'd@example.com', ...CARD, promotion_code: 'SAVE3'})).status).toBe(303)
    const done = await stripe.checkout.sessions.retrieve(session.id, {expand: ['subscription.latest_invoice']})
    expect(done).toMatchObject({amount_total: 700, payment_status: 'paid'})
    expect((done.subscription as Stripe.Subscription).latest_invoice).toMatchObject({total: 700, status: 'paid'})
  })

  it('expires on request, refuses to expire twice, and lists by status', async () => {
    const {stripe, changes} = await setup()
    const price = await monthlyPrice(stripe, 1000)
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{price: price.id, quantity: 1}],
      success_url: 'https://app.example/ok',
    })
    const expired = await stripe.checkout.sessions.expire(session.id)
    expect(expired).toMatchObject({status: 'expired', url: null})
    expect(changes.at(-1)?.type).toBe('checkout.session.expired')
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({statusCode: 400})
    expect((await fetch(session.url!)).status).toBe(410)
    expect((await stripe.checkout.sessions.list({status: 'expired'})).data.map((s) => s.id)).toEqual([session.id])
    expect((await stripe.checkout.sessions.list({status: 'open'})).data).toEqual([])
  })

  it('refuses what Stripe refuses and names what the emulator does not model', async () => {
    const {stripe} = await setup()
    const recurring = await monthlyPrice(stripe, 1000)
    const oneTime = await stripe.prices.create({currency: 'usd', unit_amount: 500, product_data: {name: 'Once'}})
    const customer = await stripe.customers.create({})
    const base = {success_url: 'https://app.example/ok'}
    await expect(
      stripe.checkout.sessions.create({...base, mode: 'subscription', line_items: [{price: oneTime.id, quantity: 1}]}),
    ).rejects.toMatchObject({statusCode: 400, param: 'line_items'})
    await expect(
      stripe.checkout.sessions.create({...base, mode: 'payment', line_items: [{price: recurring.id, quantity: 1}]}),
    ).rejects.toMatchObject({statusCode: 400, param: 'line_items'})
    await expect(
      stripe.checkout.sessions.create({
        ...base,
        mode: 'payment',
        line_items: [{price: oneTime.id, quantity: 1}],
        customer: customer.id,
        customer_email: 'x@example.com',
      }),
    ).rejects.toMatchObject({statusCode: 400})
    await expect(
      stripe.checkout.sessions.create({
        ...base,
        mode: 'subscription',
        line_items: [{price: recurring.id, quantity: 1}],
        expires_at: Math.floor(Date.now() / 1000) + 60,
      }),
    ).rejects.toMatchObject({statusCode: 400, param: 'expires_at'})
    await expect(
      stripe.checkout.sessions.create({
        ...base,
        mode: 'subscription',
        line_items: [{price: recurring.id, quantity: 1}],
        automatic_tax: {enabled: true},
      }),
    ).rejects.toMatchObject({statusCode: 501, message: expect.stringContaining('`automatic_tax`')})
  })

  it('a customer created on a test clock subscribes through Checkout and the clock converts the trial', async () => {
    const {stripe} = await setup()
    const price = await monthlyPrice(stripe, 1500)
    const clock = await stripe.testHelpers.testClocks.create({frozen_time: START})
    const customer = await stripe.customers.create({email: 'clock@example.com', test_clock: clock.id})
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{price: price.id, quantity: 1}],
      subscription_data: {trial_period_days: 7},
      success_url: 'https://app.example/ok',
    })
    expect((await pay(session.url!, CARD)).status).toBe(303)
    const {subscription} = await stripe.checkout.sessions.retrieve(session.id)
    const trialing = await stripe.subscriptions.retrieve(subscription as string)
    expect(trialing).toMatchObject({
      status: 'trialing',
      trial_start: START,
      trial_end: START + 7 * DAY,
      test_clock: clock.id,
    })
    await advance(stripe, clock.id, START + 8 * DAY)
    const active = await stripe.subscriptions.retrieve(trialing.id, {expand: ['latest_invoice']})
    expect(active.status).toBe('active')
    expect(active.latest_invoice).toMatchObject({status: 'paid', total: 1500, billing_reason: 'subscription_cycle'})
  })
})
